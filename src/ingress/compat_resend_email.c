/*
 * compat_resend_email.c - Resend's calls on one email: GET /emails/{id}
 * (the email as Resend shows it), PATCH /emails/{id} (a new scheduled_at)
 * and POST /emails/{id}/cancel.
 *
 * An email is a swerve message of the key's tenant; another tenant's id
 * is answered as an unknown one (404 not_found), so a key cannot probe
 * for ids. The spool reads, cancels and reschedules on its writer; the
 * request waits in an http_pending watch, so a client that goes away is
 * simply not answered. The rendering of a stored message as Resend's
 * email object is pure (compat_resend_email_render) and unit-tested.
 * Loop thread only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/http.h>

#include "core/clock.h"
#include "core/xmalloc.h"
#include "ingress/compat.h"
#include "ingress/submit.h"
#include "mime/mime.h"
#include "spool/msg_meta.h"

/* The last_event Resend would show for a swerve state. */
static const char *
email_event(enum spool_state s)
{
	switch (s) {
	case SPOOL_STATE_SCHEDULED:
		return "scheduled";
	case SPOOL_STATE_DEFERRED:
		return "delivery_delayed";
	case SPOOL_STATE_SENT:
		return "sent";
	case SPOOL_STATE_FAILED:
		return "failed";
	case SPOOL_STATE_CANCELLED:
		return "canceled";
	case SPOOL_STATE_SANDBOXED:
		return "suppressed";
	default:
		return "queued"; /* ready, inflight */
	}
}

/* email_time - ms since the epoch as Resend writes its times. */
static json_t *
email_time(int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	char out[48], day[32];
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(day, sizeof(day), "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(out, sizeof(out), "%s.%03d+00", day, (int)(ms % 1000));
	return json_string(out);
}

/* email_addrs - the addresses of v[0..n) as an array (NULL when none). */
static json_t *
email_addrs(const struct mime_addr *v, size_t n)
{
	json_t *a;
	size_t i;

	if (n == 0)
		return json_null();
	a = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i].addr));
	return a;
}

/* email_in - is addr among v[0..n)? (ASCII case ignored) */
static bool
email_in(const char *addr, const struct mime_addr *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcasecmp(v[i].addr, addr) == 0)
			return true;
	return false;
}

/* email_text - a body part as a string, or null. */
static json_t *
email_text(const char *p, size_t n)
{
	return p != NULL ? json_stringn(p, n) : json_null();
}

json_t *
compat_resend_email_render(const struct spool_msg *m)
{
	struct mime_msg *mm = mime_parse(m->body.p, m->body.len);
	const char *from = mime_field_get(mm, "From"),
	           *mid = mime_field_get(mm, "Message-ID");
	json_t *o, *bcc = json_array(), *tags = json_array();
	struct msg_meta meta;
	size_t i;

	/* Hidden recipients: the envelope's that no field shows. */
	for (i = 0; i < m->n_rcpts; i++)
		if (!email_in(m->rcpts[i].address, mm->to, mm->nto) &&
		    !email_in(m->rcpts[i].address, mm->cc, mm->ncc))
			json_array_append_new(bcc,
			                      json_string(m->rcpts[i].address));
	if (m->meta == NULL ||
	    msg_meta_decode(m->meta, strlen(m->meta), &meta) < 0)
		msg_meta_init(&meta);
	for (i = 0; i < meta.n_tags; i++)
		json_array_append_new(
		    tags,
		    json_pack("{s:s,s:s}", "name", meta.tags[i].name, "value",
		              meta.tags[i].value ? meta.tags[i].value : ""));
	o = json_pack(
	    "{s:s,s:s,s:o,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:s,s:o,s:o}",
	    "object", "email", "id", m->id, "to", email_addrs(mm->to, mm->nto),
	    "from", from ? from : m->sender, "created_at",
	    email_time(m->created_at), "subject",
	    mm->subject ? json_string(mm->subject) : json_null(), "html",
	    email_text(mm->html, mm->html_len), "text",
	    email_text(mm->text, mm->text_len), "cc",
	    email_addrs(mm->cc, mm->ncc), "bcc",
	    json_array_size(bcc) ? json_incref(bcc) : json_null(), "reply_to",
	    email_addrs(mm->reply_to, mm->nreply_to), "scheduled_at",
	    meta.send_at ? email_time(meta.send_at * 1000) : json_null(),
	    "last_event", email_event(m->state), "tags", json_incref(tags),
	    "message_id", mid ? json_string(mid) : json_null());
	if (json_is_array(json_object_get(o, "to")) == 0)
		json_object_set_new(o, "to", json_array());
	json_decref(bcc);
	json_decref(tags);
	msg_meta_fini(&meta);
	mime_free(mm);
	return o;
}

/* ---- the calls ----------------------------------------------------------- */

enum email_op { EMAIL_GET, EMAIL_CANCEL, EMAIL_UPDATE };

/* A call waiting for the spool. */
struct email_wait {
	struct http_pending_watch w;
	enum email_op op;
	char *tenant; /* the key's; only its messages */
};

/* email_wait_free - free a finished wait. */
static void
email_wait_free(struct email_wait *wt)
{
	free(wt->tenant);
	free(wt);
}

/* email_not_found - Resend's 404 for an id. */
static void
email_not_found(struct evhttp_request *req)
{
	struct api_error e;

	api_error_set(&e, 404, "not_found", "", "Email not found");
	compat_resend_fail(req, &e);
}

/* email_done - the spool's answer to a read, cancel or update. */
static void
email_done(int status, struct spool_msg *m, void *arg)
{
	struct email_wait *wt = arg;
	struct evhttp_request *req = http_pending_watch_end(&wt->w);
	struct api_error e;

	if (req == NULL)
		goto done;
	if (status == SPOOL_OK && wt->op == EMAIL_GET &&
	    (m->tenant == NULL || wt->tenant == NULL ||
	     strcmp(m->tenant, wt->tenant) != 0))
		status = SPOOL_ERR_NOTFOUND;
	if (status == SPOOL_ERR_NOTFOUND) {
		email_not_found(req);
	} else if (status == SPOOL_ERR_CONFLICT) {
		api_error_set(&e, 422, "invalid_field", "",
		              "The email is %s and can no longer be %s.",
		              m ? spool_state_name(m->state) : "sent",
		              wt->op == EMAIL_CANCEL ? "canceled" : "updated");
		compat_resend_fail(req, &e);
	} else if (status != SPOOL_OK) {
		submit_status_compat(status, &e);
		compat_resend_fail(req, &e);
	} else if (wt->op == EMAIL_GET)
		compat_reply_json(req, 200, compat_resend_email_render(m));
	else
		compat_reply_json(
		    req, 200,
		    json_pack("{s:s,s:s}", "object", "email", "id", m->id));
done:
	spool_msg_free(m);
	email_wait_free(wt);
}

void
compat_resend_email_handle(struct compat *c, struct evhttp_request *req,
                           const struct config_api_key *k, const char *rest)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	const char *slash = strchr(rest, '/'), *body;
	struct email_wait *wt;
	char id[ID_SIZE];
	struct api_error e;
	int64_t at = 0;
	size_t idlen = slash ? (size_t)(slash - rest) : strlen(rest), len;
	int rc;

	if (idlen == 0 || idlen >= sizeof(id) ||
	    (slash != NULL && strcmp(slash, "/cancel") != 0)) {
		api_error_set(&e, 404, "not_found", "",
		              "The requested endpoint does not exist.");
		compat_resend_fail(req, &e);
		return;
	}
	memcpy(id, rest, idlen);
	id[idlen] = '\0';
	if ((slash ? cmd != EVHTTP_REQ_POST
	           : cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_PATCH)) {
		api_error_set(&e, 405, "method_not_allowed", "",
		              "Method is not allowed for the requested path.");
		compat_resend_fail(req, &e);
		return;
	}
	if (cmd == EVHTTP_REQ_PATCH &&
	    ((body = compat_body(c, req, &len, &e)) == NULL ||
	     compat_resend_update_decode(body, len, clock_wall_time(), &at,
	                                 &e) < 0)) {
		compat_resend_fail(req, &e);
		return;
	}
	wt = xcalloc(1, sizeof(*wt));
	wt->op = slash                   ? EMAIL_CANCEL
	         : cmd == EVHTTP_REQ_GET ? EMAIL_GET
	                                 : EMAIL_UPDATE;
	wt->tenant = k->tenant ? xstrdup(k->tenant) : NULL;
	http_pending_watch_start(&wt->w, req);
	if (wt->op == EMAIL_GET)
		rc = spool_msg_get(c->sp, id, SPOOL_GET_BODY, email_done, wt);
	else if (wt->op == EMAIL_CANCEL)
		rc = spool_msg_cancel(c->sp, id, k->tenant, email_done, wt);
	else
		rc = spool_msg_reschedule(
		    c->sp, id, k->tenant,
		    at ? at * 1000 : (int64_t)clock_wall_time() * 1000,
		    email_done, wt);
	if (rc != 0) {
		req = http_pending_watch_end(&wt->w);
		email_wait_free(wt);
		submit_status_compat(rc, &e);
		if (req != NULL)
			compat_resend_fail(req, &e);
	}
}
