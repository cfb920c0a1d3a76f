/*
 * compat_sendgrid.c - SendGrid v3 POST /v3/mail/send, as @sendgrid/mail
 * calls it, and the /v3 prefix shared with Mailgun.
 *
 * Authorization: Bearer <key>, a swerve api key. Each personalization
 * is one message (its to/cc/bcc, subject and headers over the request's
 * own). Success is SendGrid's: 202 with an empty body and the message id
 * in X-Message-Id (the first message's, when there are several). Errors
 * are {"errors": [{"message", "field", "help"}]} with SendGrid's
 * statuses (400, 401, 403, 413, 503).
 *
 * Not done: templates (template_id is refused), substitutions,
 * dynamic_template_data, send_at / batch_id scheduling (refused),
 * categories, custom_args, asm, mail_settings, tracking_settings (read
 * and ignored).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "core/xmalloc.h"
#include "ingress/api_auth.h"
#include "ingress/compat.h"

#define SG_PERSONALIZATIONS_MAX 1000

/* sg_headers - the {"Name": "value"} object h into m's fields. */
static int
sg_headers(json_t *h, const char *field, struct mime_build_msg *m,
           struct api_error *e)
{
	const char *k;
	json_t *v;

	if (h == NULL || json_is_null(h))
		return 0;
	if (!json_is_object(h))
		return api_error_set(e, 400, "invalid_field", field,
		                     "expected an object");
	json_object_foreach(h, k, v)
	{
		if (!json_is_string(v))
			return api_error_set(e, 400, "invalid_field", field,
			                     "header values must be strings");
		if (compat_field_add(m, k, json_string_value(v), field, e) < 0)
			return -1;
	}
	return 0;
}

/* sg_content - the content array into m's text and html. */
static int
sg_content(json_t *c, struct mime_build_msg *m, struct api_error *e)
{
	size_t i;
	json_t *it;

	if (c == NULL || json_is_null(c))
		return 0;
	if (!json_is_array(c))
		return api_error_set(e, 400, "invalid_field", "content",
		                     "expected an array");
	json_array_foreach(c, i, it)
	{
		json_t *t = json_object_get(it, "type");
		json_t *v = json_object_get(it, "value");
		bool html;

		if (!json_is_string(t) || !json_is_string(v))
			return api_error_set(
			    e, 400, "invalid_field", "content.type",
			    "each content needs type and value");
		if (strcmp(json_string_value(t), "text/plain") == 0)
			html = false;
		else if (strcmp(json_string_value(t), "text/html") == 0)
			html = true;
		else
			return api_error_set(e, 400, "invalid_field",
			                     "content.type",
			                     "only text/plain and text/html");
		if (compat_text_set(m, html, json_string_value(v),
		                    json_string_length(v), "content.value",
		                    e) < 0)
			return -1;
	}
	return 0;
}

/* sg_attachments - the attachments array into m. */
static int
sg_attachments(json_t *a, struct mime_build_msg *m, struct api_error *e)
{
	size_t i;
	json_t *it;

	if (a == NULL || json_is_null(a))
		return 0;
	if (!json_is_array(a))
		return api_error_set(e, 400, "invalid_field", "attachments",
		                     "expected an array");
	json_array_foreach(a, i, it)
	{
		char f[48], *fn = NULL, *ct = NULL, *cid = NULL, *disp = NULL;
		json_t *c = json_object_get(it, "content");
		int rc;

		snprintf(f, sizeof(f), "attachments.%zu", i);
		if (!json_is_string(c))
			return api_error_set(
			    e, 400, "invalid_field", "attachments.content",
			    "The attachment content is required.");
		rc = compat_json_str(it, "filename", f, true, &fn, e);
		if (rc == 0)
			rc = compat_json_str(it, "type", f, true, &ct, e);
		if (rc == 0)
			rc =
			    compat_json_str(it, "content_id", f, true, &cid, e);
		if (rc == 0)
			rc = compat_json_str(it, "disposition", f, true, &disp,
			                     e);
		if (rc == 0)
			rc = compat_att_add_b64(
			    m, fn, ct,
			    disp && strcmp(disp, "inline") == 0 ? cid : NULL,
			    json_string_value(c), json_string_length(c), f, e);
		free(fn);
		free(ct);
		free(cid);
		free(disp);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* sg_one - the message for personalization p of request j into msg. */
static int
sg_one(json_t *j, json_t *p, struct api_msg *msg, struct api_error *e)
{
	struct mime_build_msg *m = &msg->mail;
	json_t *rtl;
	char *subj = NULL;

	if (!json_is_object(p))
		return api_error_set(e, 400, "invalid_field",
		                     "personalizations", "expected objects");
	if (compat_json_addr1(json_object_get(j, "from"), "from", &m->from, e) <
	    0)
		return -1;
	if (m->from.addr == NULL)
		return api_error_set(
		    e, 400, "missing_field", "from",
		    "The from object must be provided for every email send. "
		    "It is an object that requires the email parameter, but "
		    "may also contain a name parameter.");
	if (compat_json_addrs(json_object_get(p, "to"), "personalizations.to",
	                      false, &m->to, &m->n_to, e) < 0 ||
	    compat_json_addrs(json_object_get(p, "cc"), "personalizations.cc",
	                      false, &m->cc, &m->n_cc, e) < 0 ||
	    compat_json_addrs(json_object_get(p, "bcc"), "personalizations.bcc",
	                      false, &msg->bcc, &msg->n_bcc, e) < 0)
		return -1;
	if (m->n_to == 0)
		return api_error_set(
		    e, 400, "missing_field", "personalizations.0.to",
		    "The to array is required for all personalization "
		    "objects, and must have at least one email object with a "
		    "valid email address.");
	if (compat_json_addrs(json_object_get(j, "reply_to"), "reply_to", false,
	                      &m->reply_to, &m->n_reply_to, e) < 0)
		return -1;
	rtl = json_object_get(j, "reply_to_list");
	if (rtl != NULL && m->n_reply_to == 0 &&
	    compat_json_addrs(rtl, "reply_to_list", false, &m->reply_to,
	                      &m->n_reply_to, e) < 0)
		return -1;
	if (compat_json_str(p, "subject", "personalizations.subject", true,
	                    &subj, e) < 0)
		return -1;
	if (subj == NULL &&
	    compat_json_str(j, "subject", "subject", true, &subj, e) < 0)
		return -1;
	m->subject = subj;
	if (sg_content(json_object_get(j, "content"), m, e) < 0 ||
	    sg_attachments(json_object_get(j, "attachments"), m, e) < 0 ||
	    sg_headers(json_object_get(j, "headers"), "headers", m, e) < 0 ||
	    sg_headers(json_object_get(p, "headers"),
	               "personalizations.headers", m, e) < 0)
		return -1;
	if (m->text == NULL && m->html == NULL)
		return api_error_set(
		    e, 400, "missing_field", "content",
		    "Unless a valid template_id is provided, the content "
		    "parameter is required. There must be at least one "
		    "defined content block.");
	return 0;
}

int
compat_sendgrid_decode(const char *body, size_t len, struct api_msg **msgs,
                       size_t *n, struct api_error *e)
{
	json_t *j, *ps, *p;
	size_t i;
	int rc = -1;

	*msgs = NULL;
	*n = 0;
	if ((j = compat_json_load(body, len, e)) == NULL)
		return -1;
	if (!json_is_object(j)) {
		api_error_set(e, 400, "invalid_json", "", "Bad Request");
		goto done;
	}
	if (json_object_get(j, "template_id") != NULL) {
		api_error_set(e, 400, "invalid_field", "template_id",
		              "templates are not supported by this endpoint");
		goto done;
	}
	if (json_object_get(j, "send_at") != NULL ||
	    json_object_get(j, "batch_id") != NULL) {
		api_error_set(
		    e, 400, "invalid_field", "send_at",
		    "scheduled sends are not supported by this endpoint");
		goto done;
	}
	ps = json_object_get(j, "personalizations");
	if (!json_is_array(ps) || json_array_size(ps) == 0 ||
	    json_array_size(ps) > SG_PERSONALIZATIONS_MAX) {
		api_error_set(
		    e, 400, "missing_field", "personalizations",
		    "The personalizations field is required and must have "
		    "at least one personalization.");
		goto done;
	}
	*msgs = xcalloc(json_array_size(ps), sizeof(**msgs));
	json_array_foreach(ps, i, p)
	{
		*n = i + 1;
		if (sg_one(j, p, &(*msgs)[i], e) < 0)
			goto done;
	}
	rc = 0;
done:
	json_decref(j);
	if (rc < 0) {
		compat_msgs_free(*msgs, *n);
		*msgs = NULL;
		*n = 0;
	}
	return rc;
}

void
compat_sendgrid_error_render(const struct api_error *e, struct compat_answer *a)
{
	json_t *err;
	int st;

	st = compat_error_status(e);
	err = json_pack("{s:s,s:o,s:n}", "message", e->message, "field",
	                e->field[0] ? json_string(e->field) : json_null(),
	                "help");
	compat_answer_json(a, st, json_pack("{s:[o]}", "errors", err));
}

/* sg_fail - a SendGrid error. */
static void
sg_fail(struct evhttp_request *req, const struct api_error *e)
{
	struct compat_answer a;

	compat_sendgrid_error_render(e, &a);
	compat_answer_send(req, &a);
}

/* sg_done - 202 with X-Message-Id, or the first failure. */
static void
sg_done(struct evhttp_request *req, const struct http_pending_result *res,
        size_t n, void *arg)
{
	struct api_error e;
	size_t i;

	(void)arg;
	for (i = 0; i < n; i++) {
		if (!compat_result_failed(&res[i], &e))
			continue;
		sg_fail(req, &e);
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req),
	                  "X-Message-Id", res[0].id);
	compat_reply(req, 202, NULL, NULL, 0);
}

void
compat_sendgrid_handle(struct compat *c, struct evhttp_request *req,
                       const char *path)
{
	const struct config_api_key *k = NULL;
	struct spool_msg_new *ms;
	struct api_msg *msgs;
	struct api_error e;
	const char *body;
	char client[96];
	struct str key;
	size_t len, n, i;

	(void)path; /* the route row matched it exactly */
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		api_error_set(&e, 405, "method_not_allowed", "", "use POST");
		sg_fail(req, &e);
		return;
	}
	if (api_auth_bearer_parse(compat_header(req, "Authorization"), &key) ==
	    0)
		k = compat_key_find(c, key.p, key.len);
	if (k == NULL) {
		api_error_set(
		    &e, 401, "unauthorized", "",
		    "The provided authorization grant is invalid, expired, "
		    "or revoked");
		sg_fail(req, &e);
		return;
	}
	if ((body = compat_body(c, req, &len, &e)) == NULL ||
	    compat_sendgrid_decode(body, len, &msgs, &n, &e) < 0) {
		sg_fail(req, &e);
		return;
	}
	http_pending_client(req, client, sizeof(client));
	ms = xcalloc(n, sizeof(*ms));
	for (i = 0; i < n; i++) {
		if (compat_msg_prepare(c, k, &msgs[i], client, &ms[i], &e) == 0)
			continue;
		if (strcmp(e.code, "forbidden") == 0)
			snprintf(
			    e.message, sizeof(e.message),
			    "The from address does not match a verified Sender "
			    "Identity. Mail cannot be sent until this error is "
			    "resolved.");
		while (i-- > 0)
			spool_msg_new_fini(&ms[i]);
		free(ms);
		compat_msgs_free(msgs, n);
		sg_fail(req, &e);
		return;
	}
	compat_msgs_free(msgs, n);
	compat_submit(c, req, k, ms, NULL, n, sg_done, NULL, NULL);
	free(ms);
}
