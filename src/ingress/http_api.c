/*
 * http_api.c - POST /v1/messages, /v1/messages/raw, /v1/messages/batch.
 *
 * Each request runs the same ladder, answering at the first failing rung:
 * method and path, API key (401), body size (413), spool space (503),
 * decode (400), From allowed for the key (403), build and size (400/413),
 * then spool_msg_submit_idem(). The answer is sent from the spool's
 * callback only. A request waiting for the spool is a struct api_ctx;
 * if the client goes away, evhttp's close callback clears ctx->req and
 * the spool callback only releases the context.
 *
 * The decoder (api_json.c), the builder (mime/mime_build.c) and the key
 * rules (api_auth.c) and the raw message checks (api_raw.c) are pure;
 * this file owns the HTTP and spool glue.
 */
#include "ingress/http_api.h"

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
#include "core/log.h"
#include "core/xmalloc.h"
#include "ingress/api_auth.h"
#include "ingress/api_json.h"
#include "ingress/api_raw.h"
#include "mime/mime_build.h"
#include "observe/events.h"
#include "spool/spool.h"

#define HTTP_API_JSON_SLACK (1u << 20) /* JSON around the message */
#define HTTP_API_MAX_PENDING 20000     /* requests waiting for the spool */
#define HTTP_API_RETRY_AFTER "5"       /* seconds, with every 503 */

struct http_api {
	const struct config *cfg;
	struct spool *sp;
	size_t body_max;
	size_t pending; /* contexts alive */
	bool freed;     /* http_api_free ran; free when pending is 0 */
};

/* A request waiting for one or more spool callbacks. */
struct api_ctx {
	struct http_api *api;
	struct evhttp_request *req; /* NULL once the client is gone */
	struct evhttp_connection *conn;
	bool gone; /* the connection closed (conn is freed) */
	bool batch;
	size_t n, left;  /* items submitted, callbacks still due */
	size_t n_ok;     /* items stored or replayed */
	json_t *results; /* batch: one object per item */
	char *key_name;  /* for the log */
};

/* One item's callback argument. */
struct api_item {
	struct api_ctx *ctx;
	size_t index;
};

/* api_reply - answer req with status and the JSON text of obj (stolen). */
static void
api_reply(struct evhttp_request *req, int status, json_t *obj)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *out = evbuffer_new();
	char *text = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);

	evhttp_add_header(h, "Content-Type", "application/json");
	if (status == 503)
		evhttp_add_header(h, "Retry-After", HTTP_API_RETRY_AFTER);
	if (status == 401)
		evhttp_add_header(h, "WWW-Authenticate", "Bearer");
	evbuffer_add_printf(out, "%s\n", text ? text : "{}");
	evhttp_send_reply(req, status, status < 300 ? "OK" : "Error", out);
	evbuffer_free(out);
	free(text);
	json_decref(obj);
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

/* api_status_error - the client's view of a spool status. */
static void
api_status_error(int status, struct api_error *e)
{
	switch (status) {
	case SPOOL_ERR_CONFLICT:
		api_error_set(e, 409, "idempotency_conflict", "idempotency_key",
		              "this idempotency key was used for "
		              "another request");
		break;
	case SPOOL_ERR_FULL:
		api_error_set(
		    e, 503, "spool_full", "",
		    "the queue is full or disk space is low; retry later");
		break;
	case SPOOL_ERR_CLOSED:
		api_error_set(e, 503, "shutting_down", "",
		              "the server is shutting down; retry later");
		break;
	default:
		api_error_set(e, 503, "spool_error", "",
		              "the message could not be stored; retry later");
	}
}

/* api_ctx_closed - evhttp closes the connection: forget the request. */
static void
api_ctx_closed(struct evhttp_connection *conn, void *arg)
{
	struct api_ctx *c = arg;

	(void)conn;
	c->req = NULL;
	c->gone = true;
}

/* api_ctx_new - a context for req with n items due. */
static struct api_ctx *
api_ctx_new(struct http_api *a, struct evhttp_request *req, size_t n,
            bool batch, const char *key_name)
{
	struct api_ctx *c = xcalloc(1, sizeof(*c));

	c->api = a;
	c->req = req;
	c->conn = evhttp_request_get_connection(req);
	if (c->conn != NULL)
		evhttp_connection_set_closecb(c->conn, api_ctx_closed, c);
	c->batch = batch;
	c->n = c->left = n;
	c->results = batch ? json_array() : NULL;
	c->key_name = xstrdup(key_name);
	for (size_t i = 0; batch && i < n; i++)
		json_array_append_new(c->results, json_null());
	a->pending++;
	return c;
}

/* api_ctx_free - release c; frees the api if it was freed meanwhile. */
static void
api_ctx_free(struct api_ctx *c)
{
	struct http_api *a = c->api;

	if (!c->gone && c->conn != NULL)
		evhttp_connection_set_closecb(c->conn, NULL, NULL);
	json_decref(c->results);
	free(c->key_name);
	free(c);
	if (--a->pending == 0 && a->freed)
		free(a);
}

/* api_on_commit - one item's spool callback (loop thread). */
static void
api_on_commit(int status, const char *id, int dup, void *arg)
{
	struct api_item *it = arg;
	struct api_ctx *c = it->ctx;
	struct api_error e;
	int code;

	if (status == SPOOL_OK) {
		c->n_ok++;
		code = dup ? 200 : 202;
		log_info("http_api: %s id=%s key=%s",
		         dup ? "replayed" : "accepted", id, c->key_name);
		if (!dup) {
			struct events_item ev = {
			    .kind = EVENT_ACCEPTED,
			    .msg_id = id,
			    .ingress = "http",
			};
			events_emit(&ev);
		}
	} else {
		api_status_error(status, &e);
		code = e.http_status;
		log_info("http_api: refused key=%s: %s", c->key_name,
		         spool_status_name(status));
	}
	if (c->batch) {
		json_t *o = json_pack("{s:I,s:i}", "index",
		                      (json_int_t)it->index, "status", code);
		if (status == SPOOL_OK)
			json_object_set_new(o, "id", json_string(id));
		else
			json_object_set_new(o, "error", api_error_obj(&e));
		if (dup && status == SPOOL_OK)
			json_object_set_new(o, "duplicate", json_true());
		json_array_set_new(c->results, it->index, o);
	} else if (c->req != NULL) {
		if (status == SPOOL_OK)
			api_reply(c->req, code,
			          dup ? json_pack("{s:s,s:b}", "id", id,
			                          "duplicate", 1)
			              : json_pack("{s:s}", "id", id));
		else
			api_fail(c->req, &e);
		c->req = NULL;
	}
	free(it);
	if (--c->left > 0)
		return;
	if (c->batch && c->req != NULL)
		api_reply(c->req, c->n_ok == c->n ? 202 : 207,
		          json_pack("{s:O,s:I,s:I}", "results", c->results,
		                    "accepted", (json_int_t)c->n_ok, "failed",
		                    (json_int_t)(c->n - c->n_ok)));
	api_ctx_free(c);
}

/* api_submit - hand m to the spool for item index of c. */
static void
api_submit(struct api_ctx *c, size_t index, struct spool_msg_new *m)
{
	struct api_item *it = xmalloc(sizeof(*it));
	int rc;

	it->ctx = c;
	it->index = index;
	rc = spool_msg_submit_idem(c->api->sp, m, api_on_commit, it);
	if (rc != 0)
		api_on_commit(rc, NULL, 0, it);
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

/* api_peer - "ip:port" of req's client, into out. */
static void
api_peer(struct evhttp_request *req, char *out, size_t n)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	const char *host = NULL;
	uint16_t port = 0;

	if (conn != NULL)
		evhttp_connection_get_peer(conn, (char **)&host, &port);
	snprintf(out, n, "%s:%u", host ? host : "?", port);
}

/*
 * api_prepare - check msg against the key and the limits, build its
 * message and fill out for the spool. 0, or -1 with *e set.
 */
static int
api_prepare(struct http_api *a, const struct config_api_key *k,
            struct api_msg *msg, const char *client, struct spool_msg_new *out,
            struct api_error *e)
{
	memset(out, 0, sizeof(*out));
	if (!api_auth_from_allowed(k, msg->mail.from.addr))
		return api_error_set(e, 403, "forbidden", "",
		                     "this API key may not send this message");
	if (msg->mail.n_to + msg->mail.n_cc + msg->n_bcc >
	    a->cfg->max_recipients)
		return api_error_set(
		    e, 400, "invalid_field", "to",
		    "more than %u recipients (limits.max_recipients)",
		    a->cfg->max_recipients);
	return api_msg_spool(a->cfg, k, msg, client, out, e);
}

/*
 * api_idem_header - apply the Idempotency-Key header to msg. 0, or -1
 * with *e set (malformed, or different from the body's key).
 */
static int
api_idem_header(struct evhttp_request *req, struct api_msg *msg,
                struct api_error *e)
{
	const char *h = evhttp_find_header(
	    evhttp_request_get_input_headers(req), "Idempotency-Key");
	size_t i;

	if (h == NULL)
		return 0;
	for (i = 0; h[i] != '\0'; i++)
		if ((unsigned char)h[i] < 0x21 || (unsigned char)h[i] > 0x7e)
			break;
	if (i == 0 || h[i] != '\0' || i > API_JSON_KEY_MAX)
		return api_error_set(
		    e, 400, "invalid_field", "Idempotency-Key",
		    "expected 1..255 printable ASCII characters");
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
	struct evbuffer *in = evhttp_request_get_input_buffer(req);

	*len = evbuffer_get_length(in);
	if (*len > a->body_max) {
		api_fail_with(req, 413, "too_large",
		              "the request body is over the size limit");
		return NULL;
	}
	if (spool_space_check(a->sp) != SPOOL_OK ||
	    a->pending >= HTTP_API_MAX_PENDING) {
		api_fail_with(
		    req, 503, "spool_full",
		    "the queue is full or disk space is low; retry later");
		return NULL;
	}
	return *len ? (const char *)evbuffer_pullup(in, -1) : "";
}

/* api_post_message - POST /v1/messages. */
static void
api_post_message(struct http_api *a, struct evhttp_request *req,
                 const struct config_api_key *k)
{
	struct spool_msg_new m;
	struct api_error e;
	struct api_msg msg;
	struct api_ctx *c;
	const char *body;
	char client[96];
	size_t len;

	if ((body = api_body(a, req, &len)) == NULL)
		return;
	if (api_json_msg_decode(body, len, &msg, &e) < 0) {
		api_fail(req, &e);
		return;
	}
	api_peer(req, client, sizeof(client));
	if (api_idem_header(req, &msg, &e) < 0 ||
	    api_prepare(a, k, &msg, client, &m, &e) < 0) {
		api_msg_fini(&msg);
		api_fail(req, &e);
		return;
	}
	api_msg_fini(&msg);
	c = api_ctx_new(a, req, 1, false, k->name);
	api_submit(c, 0, &m);
}

/* api_post_batch - POST /v1/messages/batch: all valid, or nothing. */
static void
api_post_batch(struct http_api *a, struct evhttp_request *req,
               const struct config_api_key *k)
{
	struct spool_msg_new *ms = NULL;
	struct api_batch b;
	struct api_error e;
	struct api_ctx *c;
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
	api_peer(req, client, sizeof(client));
	ms = xcalloc(b.n, sizeof(*ms));
	res = json_array();
	for (i = 0; i < b.n; i++) {
		if (b.errs[i].http_status == 0 &&
		    api_prepare(a, k, &b.msgs[i], client, &ms[i], &b.errs[i]) ==
		        0) {
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
	c = api_ctx_new(a, req, b.n, true, k->name);
	for (i = 0; i < b.n; i++)
		api_submit(c, i, &ms[i]);
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
	char local[ID_SIZE], client[96];
	const char *body;
	size_t len;

	if ((body = api_body(a, req, &len)) == NULL)
		return;
	memset(&env, 0, sizeof(env));
	if (raw_query(req, &env, &e) < 0)
		goto fail;
	id_new(local);
	o.env_from = env.from;
	o.env_to = env.to;
	o.n_env_to = env.n_to;
	o.idem_key = evhttp_find_header(evhttp_request_get_input_headers(req),
	                                "Idempotency-Key");
	o.msgid_local = local;
	o.date = clock_wall_time();
	o.max_recipients = a->cfg->max_recipients;
	o.max_size = a->cfg->max_message_size;
	if (api_raw_prepare(body, len, &o, k, &m, &e) < 0)
		goto fail;
	raw_env_fini(&env);
	api_peer(req, client, sizeof(client));
	m.tenant = xstrdup(k->tenant);
	m.client = xstrdup(client);
	api_submit(api_ctx_new(a, req, 1, false, k->name), 0, &m);
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
	uint64_t max = cfg->max_message_size / 3 * 4 + 4 + HTTP_API_JSON_SLACK;

	a->cfg = cfg;
	a->sp = sp;
	a->body_max = (size_t)max;
	/* Twice our own limit: between the two the client gets our JSON 413,
	 * above it evhttp's plain one without reading the body. */
	evhttp_set_max_body_size(http, (ev_ssize_t)(2 * max));
	return a;
}

void
http_api_free(struct http_api *a)
{
	if (a == NULL)
		return;
	if (a->pending == 0)
		free(a);
	else
		a->freed = true;
}
