/*
 * compat_resend.c - Resend POST /emails and POST /emails/batch, as the
 * resend npm client calls them.
 *
 * Authorization: Bearer <key>, a swerve api key. The bodies are decoded
 * by compat_resend_msg.c (every field honoured or refused). An
 * Idempotency-Key header (1..256 printable octets) makes a retry with
 * the same body answer the first message's id, and a reuse with another
 * body 409 invalid_idempotent_request, as Resend does; the payload
 * compared is the request body's SHA-256 (a batch's items share the
 * body's, each under a key made from the header and its index).
 *
 * GET /emails/{id}, PATCH /emails/{id} and POST /emails/{id}/cancel
 * are compat_resend_email.c's.
 *
 * A batch (1..100 emails) is judged as Resend judges it: with
 * x-batch-validation: strict (the default) one invalid email refuses the
 * whole batch and nothing is stored; with permissive the valid ones are
 * stored and the answer lists the others by index. Success is 200
 * {"id"} or {"data": [{"id"}], "errors": [{"index", "message"}]};
 * errors are {"statusCode", "name", "message"} with Resend's names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "core/clock.h"
#include "core/xmalloc.h"
#include "ingress/api_auth.h"
#include "ingress/compat.h"

#define RESEND_KEY_MAX 256
#define RESEND_BATCH_MAX 100

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
	    {"suppressed", "validation_error", 422},
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

void
compat_resend_fail(struct evhttp_request *req, const struct api_error *e)
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
		compat_resend_fail(req, &e);
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

/* rs_key - the request's key, or NULL with the answer sent. */
static const struct config_api_key *
rs_key(struct compat *c, struct evhttp_request *req)
{
	const char *authz = compat_header(req, "Authorization");
	const struct config_api_key *k = NULL;
	struct api_error e;
	struct str key;

	if (api_auth_bearer_parse(authz, &key) == 0)
		k = compat_key_find(c, key.p, key.len);
	if (k != NULL)
		return k;
	if (authz == NULL)
		api_error_set(&e, 401, "missing_auth", "",
		              "Missing API key in the authorization header. "
		              "Include the following header "
		              "Authorization: Bearer YOUR_API_KEY in the "
		              "request.");
	else
		api_error_set(&e, 403, "unauthorized", "",
		              "API key is invalid");
	compat_resend_fail(req, &e);
	return NULL;
}

/* rs_forbidden_wording - Resend's words for a From the key may not use. */
static void
rs_forbidden_wording(struct api_error *e, const char *from)
{
	const char *d;

	if (strcmp(e->code, "forbidden") != 0 || from == NULL)
		return;
	d = strrchr(from, '@');
	snprintf(e->message, sizeof(e->message),
	         "The %s domain is not verified. Please, add and verify your "
	         "domain on https://resend.com/domains",
	         d ? d + 1 : from);
}

/* rs_send - POST /emails. */
static void
rs_send(struct compat *c, struct evhttp_request *req,
        const struct config_api_key *k)
{
	const char *idem, *body;
	struct spool_msg_new m;
	struct api_error e;
	struct api_msg msg;
	char client[96];
	size_t len;

	if (rs_idem_key(req, &idem, &e) < 0 ||
	    (body = compat_body(c, req, &len, &e)) == NULL ||
	    compat_resend_decode(body, len, clock_wall_time(), &msg, &e) < 0) {
		compat_resend_fail(req, &e);
		return;
	}
	if (idem != NULL)
		msg.idempotency_key = xstrdup(idem);
	http_pending_client(req, client, sizeof(client));
	if (compat_msg_prepare(c, k, &msg, client, &m, &e) < 0) {
		rs_forbidden_wording(&e, msg.mail.from.addr);
		api_msg_fini(&msg);
		compat_resend_fail(req, &e);
		return;
	}
	api_msg_fini(&msg);
	compat_submit(c, req, k, &m, NULL, 1, rs_done, NULL, NULL);
}

/* rs_batch_done - {"data": [{"id"}], "errors": [...]}, or the error. */
static void
rs_batch_done(struct evhttp_request *req, const struct http_pending_result *res,
              size_t n, void *arg)
{
	bool permissive = *(bool *)arg;
	json_t *data = json_array(), *errs = json_array(), *out;
	struct api_error e;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!compat_result_failed(&res[i], &e)) {
			json_array_append_new(
			    data, json_pack("{s:s}", "id", res[i].id));
			continue;
		}
		/* Strict: stored items stay stored, but the batch answers
		 * the first failure (the spool refused mid-batch). */
		if (!permissive || res[i].err.http_status == 0) {
			json_decref(data);
			json_decref(errs);
			compat_resend_fail(req, &e);
			return;
		}
		json_array_append_new(errs,
		                      json_pack("{s:i,s:s}", "index", (int)i,
		                                "message", e.message));
	}
	out = json_pack("{s:o}", "data", data);
	if (permissive)
		json_object_set_new(out, "errors", errs);
	else
		json_decref(errs);
	compat_reply_json(req, 200, out);
}

/* rs_batch_key - item i's idempotency key: the header's, per index. */
static char *
rs_batch_key(const char *idem, size_t i)
{
	char hex[65], *out;

	compat_sha256_hex(idem, strlen(idem), hex);
	out = xmalloc(80);
	snprintf(out, 80, "resend-batch-%.40s-%zu", hex, i);
	return out;
}

/* rs_batch_item - decode and prepare item i of the batch. */
static void
rs_batch_item(struct compat *c, const struct config_api_key *k, json_t *it,
              size_t i, const char *idem, const char *digest,
              const char *client, struct spool_msg_new *m,
              struct http_pending_result *r)
{
	struct api_error *e = &r->err;
	struct api_msg msg;
	char pre[32];
	size_t pl, ml;

	memset(r, 0, sizeof(*r));
	if (compat_resend_msg_decode(it, clock_wall_time(), &msg, e) == 0) {
		if (idem != NULL) {
			msg.idempotency_key = rs_batch_key(idem, i);
			memcpy(msg.payload_sha256, digest, 65);
		}
		if (compat_msg_prepare(c, k, &msg, client, m, e) < 0)
			rs_forbidden_wording(e, msg.mail.from.addr);
		api_msg_fini(&msg);
	}
	if (e->http_status == 0)
		return;
	if (e->http_status == 400)
		e->http_status = 422;
	/* Which email: the index in front of the message. */
	pl = (size_t)snprintf(pre, sizeof(pre), "emails[%zu]: ", i);
	ml = strnlen(e->message, sizeof(e->message) - 1);
	if (pl + ml >= sizeof(e->message))
		ml = sizeof(e->message) - 1 - pl;
	memmove(e->message + pl, e->message, ml);
	memcpy(e->message, pre, pl);
	e->message[pl + ml] = '\0';
}

/* rs_batch - POST /emails/batch. */
static void
rs_batch(struct compat *c, struct evhttp_request *req,
         const struct config_api_key *k)
{
	const char *idem, *body,
	    *mode = compat_header(req, "x-batch-validation");
	struct http_pending_result *rs;
	struct spool_msg_new *ms;
	char client[96], digest[65];
	struct api_error e;
	bool *permissive;
	size_t len, n, i;
	json_t *j = NULL;

	if (mode != NULL && strcmp(mode, "strict") != 0 &&
	    strcmp(mode, "permissive") != 0) {
		api_error_set(&e, 422, "invalid_field", "x-batch-validation",
		              "The x-batch-validation header must be strict "
		              "or permissive.");
		compat_resend_fail(req, &e);
		return;
	}
	if (rs_idem_key(req, &idem, &e) < 0 ||
	    (body = compat_body(c, req, &len, &e)) == NULL ||
	    (j = compat_json_load(body, len, &e)) == NULL) {
		e.http_status = e.http_status == 400 ? 422 : e.http_status;
		compat_resend_fail(req, &e);
		return;
	}
	if (!json_is_array(j) || json_array_size(j) == 0 ||
	    json_array_size(j) > RESEND_BATCH_MAX) {
		api_error_set(&e, 422, "invalid_field", "",
		              "The request body must be an array of 1 to %d "
		              "emails.",
		              RESEND_BATCH_MAX);
		json_decref(j);
		compat_resend_fail(req, &e);
		return;
	}
	n = json_array_size(j);
	compat_sha256_hex(body, len, digest);
	http_pending_client(req, client, sizeof(client));
	ms = xcalloc(n, sizeof(*ms));
	rs = xcalloc(n, sizeof(*rs));
	permissive = xmalloc(sizeof(*permissive));
	*permissive = mode != NULL && strcmp(mode, "permissive") == 0;
	for (i = 0; i < n; i++)
		rs_batch_item(c, k, json_array_get(j, i), i, idem, digest,
		              client, &ms[i], &rs[i]);
	json_decref(j);
	for (i = 0; !*permissive && i < n; i++)
		if (rs[i].err.http_status != 0)
			break;
	if (!*permissive && i < n) {
		/* All or nothing: one invalid email refuses the batch. */
		compat_resend_fail(req, &rs[i].err);
		for (i = 0; i < n; i++)
			spool_msg_new_fini(&ms[i]);
		free(permissive);
	} else
		compat_submit(c, req, k, ms, rs, n, rs_batch_done, permissive,
		              NULL);
	free(rs);
	free(ms);
}

void
compat_resend_handle(struct compat *c, struct evhttp_request *req,
                     const char *path)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	const struct config_api_key *k;
	struct api_error e;

	if (path == NULL ||
	    (strcmp(path, "/emails") != 0 && strncmp(path, "/emails/", 8))) {
		api_error_set(&e, 404, "not_found", "",
		              "The requested endpoint does not exist.");
		compat_resend_fail(req, &e);
		return;
	}
	if (strcmp(path, "/emails") != 0 && strcmp(path, "/emails/batch")) {
		/* /emails/{id}, /emails/{id}/cancel */
		if ((k = rs_key(c, req)) != NULL)
			compat_resend_email_handle(c, req, k, path + 8);
		return;
	}
	if (cmd != EVHTTP_REQ_POST) {
		api_error_set(&e, 405, "method_not_allowed", "",
		              "Method is not allowed for the requested path.");
		compat_resend_fail(req, &e);
		return;
	}
	if ((k = rs_key(c, req)) == NULL)
		return;
	if (strcmp(path, "/emails") == 0)
		rs_send(c, req, k);
	else
		rs_batch(c, req, k);
}
