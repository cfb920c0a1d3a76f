/*
 * http_api.c - POST /v1/messages, /v1/messages/raw, /v1/messages/batch.
 *
 * Each request runs the same ladder, answering at the first failing rung:
 * method and path, API key (401), body size (413), spool space (503),
 * decode (400), From allowed for the key (403), build and size (400/413),
 * then spool_msg_submit_idem(). The answer is sent from the spool's
 * callback only, through the one pending-request life cycle
 * (http_pending.c), which also forgets a request whose client went away.
 *
 * The decoder (api_json.c), the builder (mime/mime_build.c) and the key
 * rules (api_auth.c) and the raw message checks (api_raw.c) are pure;
 * this file owns the HTTP and spool glue.
 */
#include "ingress/http_api.h"
#include "ingress/http_reply.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "config/config.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/id.h"
#include "core/xmalloc.h"
#include "ingress/api_auth.h"
#include "ingress/api_json.h"
#include "ingress/api_raw.h"
#include "ingress/http_pending.h"
#include "ingress/http_templates.h"
#include "ingress/submit.h"
#include "mime/mime_build.h"
#include "spool/spool.h"

#define HTTP_API_RETRY_AFTER "5" /* seconds, with every 503 */

struct http_api {
	const struct config *cfg;
	struct spool *sp;
	struct http_pending_set *pending; /* requests waiting for the spool */
};

/* api_reply - answer req with status and the JSON text of obj (stolen). */
static void
api_reply(struct evhttp_request *req, int status, json_t *obj)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	if (status == 503)
		evhttp_add_header(h, "Retry-After", HTTP_API_RETRY_AFTER);
	if (status == 401)
		evhttp_add_header(h, "WWW-Authenticate", "Bearer");
	http_reply_json(req, status, obj, JSON_SORT_KEYS);
}

/* api_error_obj - {"code", "field", "message"} of e. */
static json_t *
api_error_obj(const struct api_error *e)
{
	json_t *o =
	    json_pack("{s:s,s:s}", "code", e->code, "message", e->message);

	if (e->field[0] != '\0')
		json_object_set_new(o, "field", json_string(e->field));
	return o;
}

/* api_fail - answer req with the error e. */
static void
api_fail(struct evhttp_request *req, const struct api_error *e)
{
	api_reply(req, e->http_status,
	          json_pack("{s:o}", "error", api_error_obj(e)));
}

/* api_fail_with - answer req with a one-off error. */
static void
api_fail_with(struct evhttp_request *req, int status, const char *code,
              const char *msg)
{
	struct api_error e;

	api_error_set(&e, status, code, "", "%s", msg);
	api_fail(req, &e);
}

/* api_suppressed_add - "suppressed": the recipients taken out, if any. */
static void
api_suppressed_add(json_t *o, const struct http_pending_result *r)
{
	json_t *a = r->suppressed ? json_loads(r->suppressed, 0, NULL) : NULL;

	if (json_is_array(a))
		json_object_set_new(o, "suppressed", a);
	else
		json_decref(a);
}

/* api_item_json - one batch item's result object. */
static json_t *
api_item_json(const struct http_pending_result *r, size_t index)
{
	struct api_error e;
	json_t *o;

	if (r->status != SPOOL_OK) {
		submit_status_http(r->status, &e);
		return json_pack("{s:I,s:i,s:o}", "index", (json_int_t)index,
		                 "status", e.http_status, "error",
		                 api_error_obj(&e));
	}
	o = json_pack("{s:I,s:i,s:s,s:s}", "index", (json_int_t)index, "status",
	              r->dup ? 200 : 202, "id", r->id, "message_id",
	              r->message_id);
	if (r->dup)
		json_object_set_new(o, "duplicate", json_true());
	api_suppressed_add(o, r);
	return o;
}

/* api_done_one - answer one message: 202 {"id", "message_id"}, 200 for a
 * replay. */
static void
api_done_one(struct evhttp_request *req, const struct http_pending_result *res,
             size_t n, void *arg)
{
	struct api_error e;

	(void)n;
	(void)arg;
	if (res[0].status != SPOOL_OK) {
		submit_status_http(res[0].status, &e);
		api_fail(req, &e);
	} else if (res[0].dup)
		api_reply(req, 200,
		          json_pack("{s:s,s:s,s:b}", "id", res[0].id,
		                    "message_id", res[0].message_id,
		                    "duplicate", 1));
	else {
		json_t *o = json_pack("{s:s,s:s}", "id", res[0].id,
		                      "message_id", res[0].message_id);
		api_suppressed_add(o, &res[0]);
		api_reply(req, 202, o);
	}
}

/* api_done_batch - 202 when every item was stored, else 207. */
static void
api_done_batch(struct evhttp_request *req,
               const struct http_pending_result *res, size_t n, void *arg)
{
	json_t *results = json_array();
	size_t i, n_ok = 0;

	(void)arg;
	for (i = 0; i < n; i++) {
		n_ok += res[i].status == SPOOL_OK;
		json_array_append_new(results, api_item_json(&res[i], i));
	}
	api_reply(req, n_ok == n ? 202 : 207,
	          json_pack("{s:o,s:I,s:I}", "results", results, "accepted",
	                    (json_int_t)n_ok, "failed",
	                    (json_int_t)(n - n_ok)));
}

/* api_key_get - the request's API key, or NULL after answering 401. */
static const struct config_api_key *
api_key_get(struct http_api *a, struct evhttp_request *req)
{
	const char *h = evhttp_find_header(
	    evhttp_request_get_input_headers(req), "Authorization");
	const struct config_api_key *k = NULL;
	struct str key;

	if (api_auth_bearer_parse(h, &key) == 0)
		k = api_auth_key_find(a->cfg, key);
	if (k == NULL)
		api_fail_with(
		    req, 401, "unauthorized",
		    "missing or invalid API key (Authorization: Bearer <key>)");
	return k;
}

/* api_who - the submitter of req, made with key k; client is its buffer. */
static struct submit_who
api_who(struct evhttp_request *req, const struct config_api_key *k,
        char client[96])
{
	struct submit_who w = {SUBMIT_INGRESS_HTTP, NULL, k, client};

	http_pending_client(req, client, 96);
	return w;
}

/*
 * api_idem_header - the Idempotency-Key header into *key (NULL when
 * absent). 0, or -1 with *e set when it is malformed.
 */
static int
api_idem_header(struct evhttp_request *req, const char **key,
                struct api_error *e)
{
	*key = evhttp_find_header(evhttp_request_get_input_headers(req),
	                          "Idempotency-Key");
	if (*key != NULL && !submit_idem_key_ok(*key))
		return api_error_set(
		    e, 400, "invalid_field", "Idempotency-Key",
		    "expected 1..255 printable ASCII characters");
	return 0;
}

/*
 * api_idem_apply - the Idempotency-Key header as msg's key. 0, or -1
 * with *e set (malformed, or different from the body's key).
 */
static int
api_idem_apply(struct evhttp_request *req, struct api_msg *msg,
               struct api_error *e)
{
	const char *h;

	if (api_idem_header(req, &h, e) < 0)
		return -1;
	if (h == NULL)
		return 0;
	if (msg->idempotency_key != NULL &&
	    strcmp(msg->idempotency_key, h) != 0)
		return api_error_set(e, 400, "invalid_field", "idempotency_key",
		                     "differs from the Idempotency-Key header");
	if (msg->idempotency_key == NULL)
		msg->idempotency_key = xstrdup(h);
	return 0;
}

/*
 * api_body - the request body as one contiguous block, or NULL after
 * answering 413 / 503. *len is its length.
 */
static const char *
api_body(struct http_api *a, struct evhttp_request *req, size_t *len)
{
	int status;
	const char *body = http_pending_body(a->pending, req, len, &status);

	if (body == NULL && status == 413)
		api_fail_with(req, 413, "too_large",
		              "the request body is over the size limit");
	else if (body == NULL && spool_health(a->sp, NULL, 0) != SPOOL_OK)
		api_fail_with(req, 503, "spool_damaged",
		              "the message store is unavailable; retry later");
	else if (body == NULL)
		api_fail_with(
		    req, 503, "spool_full",
		    "the queue is full or disk space is low; retry later");
	return body;
}

/* api_post_message - POST /v1/messages. */
static void
api_post_message(struct http_api *a, struct evhttp_request *req,
                 const struct config_api_key *k)
{
	struct spool_msg_new m;
	struct api_error e;
	struct api_msg msg;
	struct submit_who w;
	const char *body;
	char client[96];
	size_t len;

	if ((body = api_body(a, req, &len)) == NULL)
		return;
	if (api_json_msg_decode(body, len, &msg, &e) < 0) {
		api_fail(req, &e);
		return;
	}
	w = api_who(req, k, client);
	if (api_idem_apply(req, &msg, &e) < 0 ||
	    (msg.template_name != NULL &&
	     http_templates_apply(k->tenant, &msg, NULL, &e) < 0) ||
	    submit_msg_prepare(a->cfg, &w, &msg, &m, &e) < 0) {
		api_msg_fini(&msg);
		api_fail(req, &e);
		return;
	}
	api_msg_fini(&msg);
	http_pending_submit(a->pending, req, k->name, &m, NULL, 1, api_done_one,
	                    NULL, NULL);
}

/* api_post_batch - POST /v1/messages/batch: all valid, or nothing. */
static void
api_post_batch(struct http_api *a, struct evhttp_request *req,
               const struct config_api_key *k)
{
	struct spool_msg_new *ms = NULL;
	struct api_batch b;
	struct api_error e;
	struct submit_who w;
	const char *body;
	char client[96];
	json_t *res;
	size_t len, i, bad = 0;
	int worst = 0;

	if ((body = api_body(a, req, &len)) == NULL)
		return;
	if (evhttp_find_header(evhttp_request_get_input_headers(req),
	                       "Idempotency-Key") != NULL) {
		api_fail_with(
		    req, 400, "invalid_field",
		    "a batch takes idempotency_key per message, not the "
		    "Idempotency-Key header");
		return;
	}
	if (api_json_batch_decode(body, len, &b, &e) < 0) {
		api_fail(req, &e);
		return;
	}
	w = api_who(req, k, client);
	ms = xcalloc(b.n, sizeof(*ms));
	res = json_array();
	for (i = 0; i < b.n; i++) {
		if (b.errs[i].http_status == 0 &&
		    (b.msgs[i].template_name == NULL ||
		     http_templates_apply(k->tenant, &b.msgs[i], NULL,
		                          &b.errs[i]) == 0) &&
		    submit_msg_prepare(a->cfg, &w, &b.msgs[i], &ms[i],
		                       &b.errs[i]) == 0) {
			json_array_append_new(
			    res, json_pack("{s:I,s:b}", "index", (json_int_t)i,
			                   "valid", 1));
			continue;
		}
		bad++;
		if (b.errs[i].http_status > worst)
			worst = b.errs[i].http_status;
		json_array_append_new(
		    res, json_pack("{s:I,s:i,s:o}", "index", (json_int_t)i,
		                   "status", b.errs[i].http_status, "error",
		                   api_error_obj(&b.errs[i])));
	}
	if (bad > 0) {
		/* Nothing is queued unless every item is valid. */
		for (i = 0; i < b.n; i++)
			spool_msg_new_fini(&ms[i]);
		api_reply(
		    req,
		    worst == 403   ? 403
		    : worst == 413 ? 413
		                   : 400,
		    json_pack("{s:{s:s,s:s},s:o}", "error", "code",
		              "invalid_batch", "message",
		              "some messages are invalid; nothing was queued",
		              "results", res));
		goto done;
	}
	json_decref(res);
	http_pending_submit(a->pending, req, k->name, ms, NULL, b.n,
	                    api_done_batch, NULL, NULL);
done:
	free(ms);
	api_batch_fini(&b);
}

/* The query's envelope for a raw message. */
struct raw_env {
	char *from;
	char **to;
	size_t n_to;
};

/* raw_env_fini - free what env holds. */
static void
raw_env_fini(struct raw_env *env)
{
	size_t i;

	free(env->from);
	for (i = 0; i < env->n_to; i++)
		free(env->to[i]);
	free(env->to);
}

/* raw_query - the query's from and to parameters into env (0 or -1). */
static int
raw_query(struct evhttp_request *req, struct raw_env *env, struct api_error *e)
{
	const char *uri = evhttp_request_get_uri(req), *qs = strchr(uri, '?');
	struct mime_build_addr ad;
	struct evkeyvalq q;
	struct evkeyval *kv;
	int rc = 0;

	TAILQ_INIT(&q);
	if (qs == NULL)
		return 0;
	if (evhttp_parse_query_str(qs + 1, &q) != 0)
		return api_error_set(e, 400, "invalid_field", "query",
		                     "malformed query string");
	TAILQ_FOREACH(kv, &q, next)
	{
		bool is_from = strcmp(kv->key, "from") == 0;
		if (!is_from && strcmp(kv->key, "to") != 0) {
			rc = api_error_set(e, 400, "unknown_field", "query",
			                   "the query takes from and to only");
			break;
		}
		if (api_json_addr_parse(kv->value, &ad) < 0 || ad.name ||
		    (!is_from && env->n_to >= API_JSON_RCPTS_MAX)) {
			free(ad.name);
			free(ad.addr);
			rc = api_error_set(e, 400, "invalid_address",
			                   is_from ? "from" : "to",
			                   "not an email address");
			break;
		}
		if (is_from) {
			free(env->from);
			env->from = ad.addr;
		} else {
			env->to = xreallocarray(env->to, env->n_to + 1,
			                        sizeof(*env->to));
			env->to[env->n_to++] = ad.addr;
		}
	}
	evhttp_clear_headers(&q);
	return rc;
}

/* api_post_raw - POST /v1/messages/raw. */
static void
api_post_raw(struct http_api *a, struct evhttp_request *req,
             const struct config_api_key *k)
{
	struct api_raw_opts o;
	struct spool_msg_new m;
	struct raw_env env;
	struct api_error e;
	struct submit_who w;
	char local[ID_SIZE], client[96];
	const char *body;
	size_t len;

	if ((body = api_body(a, req, &len)) == NULL)
		return;
	/* Zeroed: members added later (meta) are NULL unless set. */
	memset(&o, 0, sizeof(o));
	memset(&env, 0, sizeof(env));
	if (raw_query(req, &env, &e) < 0)
		goto fail;
	if (api_idem_header(req, &o.idem_key, &e) < 0)
		goto fail;
	id_new(local);
	o.env_from = env.from;
	o.env_to = env.to;
	o.n_env_to = env.n_to;
	o.stream = NULL;
	o.msgid_local = local;
	o.date = clock_wall_time();
	o.max_recipients = a->cfg->max_recipients;
	o.max_size = a->cfg->max_message_size;
	o.meta = NULL; /* a raw message asks nothing besides its bytes */
	w = api_who(req, k, client);
	if (api_raw_prepare(body, len, &o, a->cfg, &w, &m, &e) < 0)
		goto fail;
	raw_env_fini(&env);
	http_pending_submit(a->pending, req, k->name, &m, NULL, 1, api_done_one,
	                    NULL, NULL);
	return;
fail:
	raw_env_fini(&env);
	api_fail(req, &e);
}

void
http_api_handle(struct evhttp_request *req, void *arg)
{
	struct http_api *a = arg;
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *path = u ? evhttp_uri_get_path(u) : NULL;
	const struct config_api_key *k;
	int which;

	if (path == NULL)
		path = "";
	if (strcmp(path, "/v1/messages") == 0)
		which = 0;
	else if (strcmp(path, "/v1/messages/raw") == 0)
		which = 1;
	else if (strcmp(path, "/v1/messages/batch") == 0)
		which = 2;
	else {
		api_fail_with(req, 404, "not_found", "no such endpoint");
		return;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		api_fail_with(req, 405, "method_not_allowed", "use POST");
		return;
	}
	if ((k = api_key_get(a, req)) == NULL)
		return;
	if (which == 0)
		api_post_message(a, req, k);
	else if (which == 1)
		api_post_raw(a, req, k);
	else
		api_post_batch(a, req, k);
}

struct http_api *
http_api_new(struct evhttp *http, const struct config *cfg, struct spool *sp)
{
	struct http_api *a = xcalloc(1, sizeof(*a));

	a->cfg = cfg;
	a->sp = sp;
	a->pending =
	    http_pending_set_new(sp, cfg->max_message_size, "http_api");
	/* Twice our own limit: between the two the client gets our JSON 413,
	 * above it evhttp's plain one without reading the body. */
	evhttp_set_max_body_size(
	    http, (ev_ssize_t)(2 * http_pending_body_max(a->pending)));
	return a;
}

void
http_api_free(struct http_api *a)
{
	if (a == NULL)
		return;
	http_pending_set_free(a->pending);
	free(a);
}
