/*
 * compat_resend.c - Resend POST /emails, as the resend npm client calls
 * it.
 *
 * Authorization: Bearer <key>, a swerve api key. The body is Resend's
 * (from, to, cc, bcc, reply_to as a string or an array, subject, text,
 * html, headers {}, attachments [{filename, content (base64),
 * content_type, content_id}], tags). An Idempotency-Key header (1..256
 * printable octets) makes a retry with the same body answer the first
 * message's id, and a reuse with another body 409
 * invalid_idempotent_request, as Resend does; the payload compared is
 * the request body's SHA-256. Success is 200 {"id"}; errors are
 * {"statusCode", "name", "message"} with Resend's names.
 *
 * Not done: /emails/batch, scheduled_at (refused), attachments by path
 * (URL; refused), react, tags (ignored).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "core/xmalloc.h"
#include "ingress/api_auth.h"
#include "ingress/compat.h"

#define RESEND_KEY_MAX 256

/* rs_headers - the headers object into m. */
static int
rs_headers(json_t *h, struct mime_build_msg *m, struct api_error *e)
{
	const char *k;
	json_t *v;

	if (h == NULL || json_is_null(h))
		return 0;
	if (!json_is_object(h))
		return api_error_set(e, 422, "invalid_field", "headers",
		                     "headers must be an object");
	json_object_foreach(h, k, v)
	{
		if (!json_is_string(v))
			return api_error_set(e, 422, "invalid_field", "headers",
			                     "header values must be strings");
		if (compat_field_add(m, k, json_string_value(v), "headers", e) <
		    0)
			return -1;
	}
	return 0;
}

/* rs_attachments - the attachments array into m. */
static int
rs_attachments(json_t *a, struct mime_build_msg *m, struct api_error *e)
{
	size_t i;
	json_t *it;

	if (a == NULL || json_is_null(a))
		return 0;
	if (!json_is_array(a))
		return api_error_set(e, 422, "invalid_field", "attachments",
		                     "attachments must be an array");
	json_array_foreach(a, i, it)
	{
		char f[40], *fn = NULL, *ct = NULL, *cid = NULL;
		json_t *c = json_object_get(it, "content");
		int rc;

		snprintf(f, sizeof(f), "attachments[%zu]", i);
		if (json_object_get(it, "path") != NULL)
			return api_error_set(
			    e, 422, "invalid_field", f,
			    "attachments by path are not supported by this "
			    "endpoint; send content");
		if (!json_is_string(c))
			return api_error_set(
			    e, 422, "invalid_field", f,
			    "attachment content (base64) is required");
		rc = compat_json_str(it, "filename", f, true, &fn, e);
		if (rc == 0)
			rc = compat_json_str(it, "content_type", f, true, &ct,
			                     e);
		if (rc == 0)
			rc =
			    compat_json_str(it, "content_id", f, true, &cid, e);
		if (rc == 0 && cid == NULL)
			rc = compat_json_str(it, "inline_content_id", f, true,
			                     &cid, e);
		if (rc == 0)
			rc = compat_att_add_b64(m, fn, ct, cid,
			                        json_string_value(c),
			                        json_string_length(c), f, e);
		free(fn);
		free(ct);
		free(cid);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int
compat_resend_decode(const char *body, size_t len, struct api_msg *msg,
                     struct api_error *e)
{
	struct mime_build_msg *m = &msg->mail;
	json_t *j, *v;
	int rc = -1;

	memset(msg, 0, sizeof(*msg));
	if ((j = compat_json_load(body, len, e)) == NULL) {
		e->http_status = 422;
		return -1;
	}
	if (!json_is_object(j)) {
		api_error_set(e, 422, "invalid_json", "", "expected an object");
		goto done;
	}
	if (json_object_get(j, "scheduled_at") != NULL ||
	    json_object_get(j, "scheduledAt") != NULL) {
		api_error_set(
		    e, 422, "invalid_field", "scheduled_at",
		    "scheduled sends are not supported by this endpoint");
		goto done;
	}
	v = json_object_get(j, "from");
	if (v == NULL || json_is_null(v)) {
		api_error_set(e, 422, "missing_field", "from",
		              "Missing `from` field.");
		goto done;
	}
	if (compat_json_addr1(v, "from", &m->from, e) < 0) {
		snprintf(e->message, sizeof(e->message),
		         "Invalid `from` "
		         "field. The email address needs to follow the "
		         "`email@example.com` or `Name <email@example.com>` "
		         "format.");
		goto done;
	}
	if (compat_json_addrs(json_object_get(j, "to"), "to", false, &m->to,
	                      &m->n_to, e) < 0 ||
	    compat_json_addrs(json_object_get(j, "cc"), "cc", false, &m->cc,
	                      &m->n_cc, e) < 0 ||
	    compat_json_addrs(json_object_get(j, "bcc"), "bcc", false,
	                      &msg->bcc, &msg->n_bcc, e) < 0 ||
	    compat_json_addrs(json_object_get(j, "reply_to"), "reply_to", false,
	                      &m->reply_to, &m->n_reply_to, e) < 0) {
		snprintf(
		    e->message, sizeof(e->message),
		    "Invalid `%.40s` field. "
		    "The email address needs to follow the "
		    "`email@example.com` or `Name <email@example.com>` format.",
		    e->field);
		e->http_status = 422;
		goto done;
	}
	if (m->n_to == 0) {
		api_error_set(e, 422, "missing_field", "to",
		              "Missing `to` field.");
		goto done;
	}
	if (compat_json_str(j, "subject", "subject", true, &m->subject, e) < 0)
		goto done;
	if (m->subject == NULL) {
		api_error_set(e, 422, "missing_field", "subject",
		              "Missing `subject` field.");
		goto done;
	}
	if (((v = json_object_get(j, "text")) != NULL && !json_is_null(v) &&
	     (!json_is_string(v) ||
	      compat_text_set(m, false, json_string_value(v),
	                      json_string_length(v), "text", e) < 0)) ||
	    ((v = json_object_get(j, "html")) != NULL && !json_is_null(v) &&
	     (!json_is_string(v) ||
	      compat_text_set(m, true, json_string_value(v),
	                      json_string_length(v), "html", e) < 0))) {
		api_error_set(e, 422, "invalid_field", "text",
		              "text and html must be strings");
		goto done;
	}
	if (m->text == NULL && m->html == NULL) {
		api_error_set(e, 422, "missing_field", "html",
		              "Missing `html` or `text` field.");
		goto done;
	}
	if (rs_headers(json_object_get(j, "headers"), m, e) < 0 ||
	    rs_attachments(json_object_get(j, "attachments"), m, e) < 0)
		goto done;
	compat_sha256_hex(body, len, msg->payload_sha256);
	rc = 0;
done:
	json_decref(j);
	if (rc < 0) {
		if (e->http_status == 400)
			e->http_status = 422;
		api_msg_fini(msg);
	}
	return rc;
}

/* rs_name - Resend's error name and status for a generic error. */
static const char *
rs_name(const struct api_error *e, int *status)
{
	static const struct {
		const char *code, *name;
		int status;
	} map[] = {
	    {"missing_auth", "missing_api_key", 401},
	    {"unauthorized", "invalid_api_key", 403},
	    {"forbidden", "validation_error", 403},
	    {"missing_field", "missing_required_field", 422},
	    {"conflict", "invalid_idempotent_request", 409},
	    {"bad_idempotency_key", "invalid_idempotency_key", 400},
	    {"too_large", "validation_error", 422},
	    {"unavailable", "application_error", 503},
	    {"not_found", "not_found", 404},
	    {"method_not_allowed", "method_not_allowed", 405},
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].code, e->code) == 0) {
			*status = map[i].status;
			return map[i].name;
		}
	*status = 422;
	return "validation_error";
}

void
compat_resend_error_render(const struct api_error *e, struct compat_answer *a)
{
	int st;
	const char *name = rs_name(e, &st);

	compat_answer_json(a, st,
	                   json_pack("{s:i,s:s,s:s}", "statusCode", st, "name",
	                             name, "message", e->message));
}

/* rs_fail - a Resend error. */
static void
rs_fail(struct evhttp_request *req, const struct api_error *e)
{
	struct compat_answer a;

	compat_resend_error_render(e, &a);
	compat_answer_send(req, &a);
}

/* rs_done - 200 {"id"} (also for a replay) or the failure. */
static void
rs_done(struct evhttp_request *req, const struct http_pending_result *res,
        size_t n, void *arg)
{
	struct api_error e;

	(void)n;
	(void)arg;
	if (compat_result_failed(&res[0], &e)) {
		if (res[0].err.http_status == 0 &&
		    res[0].status == SPOOL_ERR_CONFLICT)
			snprintf(e.message, sizeof(e.message),
			         "Same idempotency key used with a different "
			         "request payload. Change your idempotency key "
			         "or payload.");
		rs_fail(req, &e);
		return;
	}
	compat_reply_json(req, 200, json_pack("{s:s}", "id", res[0].id));
}

/* rs_idem_key - the Idempotency-Key header checked. 0, or -1 with *e. */
static int
rs_idem_key(struct evhttp_request *req, const char **key, struct api_error *e)
{
	const char *h = compat_header(req, "Idempotency-Key");
	size_t i;

	*key = NULL;
	if (h == NULL)
		return 0;
	for (i = 0; h[i] != '\0'; i++)
		if ((unsigned char)h[i] < 0x21 || (unsigned char)h[i] > 0x7e)
			break;
	if (i == 0 || h[i] != '\0' || i > RESEND_KEY_MAX)
		return api_error_set(e, 400, "bad_idempotency_key",
		                     "Idempotency-Key",
		                     "The idempotency key must be 1 to 256 "
		                     "printable characters.");
	*key = h;
	return 0;
}

void
compat_resend_handle(struct compat *c, struct evhttp_request *req,
                     const char *path)
{
	const char *authz = compat_header(req, "Authorization"), *idem, *body;
	const struct config_api_key *k = NULL;
	struct spool_msg_new m;
	struct api_error e;
	struct api_msg msg;
	char client[96];
	struct str key;
	size_t len;

	if (path == NULL || strcmp(path, "/emails") != 0) {
		api_error_set(&e, 404, "not_found", "",
		              "The requested endpoint does not exist.");
		rs_fail(req, &e);
		return;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		api_error_set(&e, 405, "method_not_allowed", "",
		              "Method is not allowed for the requested path.");
		rs_fail(req, &e);
		return;
	}
	if (api_auth_bearer_parse(authz, &key) == 0)
		k = compat_key_find(c, key.p, key.len);
	if (k == NULL) {
		if (authz == NULL)
			api_error_set(
			    &e, 401, "missing_auth", "",
			    "Missing API key in the authorization header. "
			    "Include the following header "
			    "Authorization: Bearer YOUR_API_KEY in the "
			    "request.");
		else
			api_error_set(&e, 403, "unauthorized", "",
			              "API key is invalid");
		rs_fail(req, &e);
		return;
	}
	if (rs_idem_key(req, &idem, &e) < 0 ||
	    (body = compat_body(c, req, &len, &e)) == NULL ||
	    compat_resend_decode(body, len, &msg, &e) < 0) {
		rs_fail(req, &e);
		return;
	}
	if (idem != NULL)
		msg.idempotency_key = xstrdup(idem);
	http_pending_client(req, client, sizeof(client));
	if (compat_msg_prepare(c, k, &msg, client, &m, &e) < 0) {
		if (strcmp(e.code, "forbidden") == 0) {
			const char *d = strrchr(msg.mail.from.addr, '@');
			snprintf(
			    e.message, sizeof(e.message),
			    "The %s domain is not verified. Please, add and "
			    "verify your domain on https://resend.com/domains",
			    d ? d + 1 : msg.mail.from.addr);
		}
		api_msg_fini(&msg);
		rs_fail(req, &e);
		return;
	}
	api_msg_fini(&msg);
	compat_submit(c, req, k, &m, NULL, 1, rs_done, NULL, NULL);
}
