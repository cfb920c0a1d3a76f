/*
 * http_suppress.c - GET, POST and DELETE /v1/suppressions
 * (http_suppress.h).
 *
 * An entry as JSON: {"tenant", "address", "reason", "provider",
 * "created_at_ms", "expires_at_ms" (null: never), "diagnostic"}. POST
 * takes one such object (only "address" required; reason defaults to
 * "manual", created_at_ms to now) or {"suppressions": [...]} with up to
 * HTTP_SUPPRESS_MAX of them, all valid or none stored (400 naming the
 * index). The request waits in an http_pending watch while the list
 * works, so a client that goes away is simply not answered.
 */
#include "ingress/http_suppress.h"

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "core/clock.h"
#include "core/xmalloc.h"
#include "ingress/http_pending.h"
#include "ingress/http_reply.h"
#include "spool/spool.h"
#include "spool/suppress.h"

#define HTTP_SUPPRESS_MAX 1000 /* entries in one POST */
#define HTTP_SUPPRESS_PREFIX "/v1/suppressions"

/* A request waiting for the list. */
struct http_suppress_wait {
	struct http_pending_watch w;
	char address[SUPPRESS_ADDR_MAX];
	size_t limit; /* a list: the page size asked */
};

static struct http_suppress_wait *
wait_new(struct evhttp_request *req)
{
	struct http_suppress_wait *sw = xcalloc(1, sizeof(*sw));

	http_pending_watch_start(&sw->w, req);
	return sw;
}

/* wait_end - the request if its client is still there; frees sw. */
static struct evhttp_request *
wait_end(struct http_suppress_wait *sw)
{
	struct evhttp_request *req = http_pending_watch_end(&sw->w);

	free(sw);
	return req;
}

/* entry_json - one entry. */
static json_t *
entry_json(const struct suppress_entry *e)
{
	return json_pack(
	    "{s:s,s:s,s:s,s:s,s:I,s:o,s:s}", "tenant", e->tenant, "address",
	    e->address, "reason", suppress_reason_name(e->reason), "provider",
	    e->provider, "created_at_ms", (json_int_t)e->created_ms,
	    "expires_at_ms",
	    e->expires_ms != 0 ? json_integer(e->expires_ms) : json_null(),
	    "diagnostic", e->diagnostic);
}

static void
unavailable(struct evhttp_request *req)
{
	http_reply_error(req, 503, "unavailable",
	                 "the suppression list is not available");
}

/* on_list - a page (or one entry, when sw->address is set). */
static void
on_list(int status, const struct suppress_entry *e, size_t n, void *arg)
{
	struct http_suppress_wait *sw = arg;
	bool one = sw->address[0] != '\0';
	size_t limit = sw->limit;
	struct evhttp_request *req = wait_end(sw);
	json_t *arr;
	size_t i;

	if (req == NULL)
		return;
	if (status != SPOOL_OK) {
		unavailable(req);
		return;
	}
	if (one) {
		if (n == 0)
			http_reply_error(req, 404, "not_found",
			                 "not on the suppression list");
		else
			http_reply_json(req, 200, entry_json(&e[0]),
			                JSON_SORT_KEYS);
		return;
	}
	arr = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(arr, entry_json(&e[i]));
	http_reply_json(req, 200,
	                json_pack("{s:o,s:o}", "suppressions", arr, "next",
	                          n == limit && n > 0
	                              ? json_string(e[n - 1].address)
	                              : json_null()),
	                JSON_SORT_KEYS);
}

/* on_done - an add or a remove is on disk. */
static void
on_done(int status, size_t n, void *arg)
{
	struct http_suppress_wait *sw = arg;
	bool removing = sw->address[0] != '\0';
	char address[SUPPRESS_ADDR_MAX];
	struct evhttp_request *req;

	memcpy(address, sw->address, sizeof(address));
	req = wait_end(sw);
	if (req == NULL)
		return;
	if (status == SPOOL_ERR_NOTFOUND)
		http_reply_error(req, 404, "not_found",
		                 "not on the suppression list");
	else if (status != SPOOL_OK)
		unavailable(req);
	else if (removing)
		http_reply_json(req, 200,
		                json_pack("{s:s}", "removed", address),
		                JSON_SORT_KEYS);
	else
		http_reply_json(req, 200,
		                json_pack("{s:I}", "added", (json_int_t)n),
		                JSON_SORT_KEYS);
}

/* query_parse - req's query string into q (cleared by the caller). */
static int
query_parse(struct evhttp_request *req, struct evkeyvalq *q)
{
	const char *qs = strchr(evhttp_request_get_uri(req), '?');

	TAILQ_INIT(q);
	if (qs != NULL && evhttp_parse_query_str(qs + 1, q) != 0) {
		http_reply_error(req, 400, "bad_query",
		                 "malformed query string");
		return -1;
	}
	return 0;
}

/* list_tenant - the list a request names: an API key's own; an admin's
 * ?tenant= (or ""). NULL after answering 403. */
static const char *
list_tenant(struct evhttp_request *req, struct evkeyvalq *q, const char *tenant)
{
	const char *t = evhttp_find_header(q, "tenant");

	if (tenant == NULL)
		return t != NULL ? t : "";
	if (t != NULL && strcmp(t, tenant) != 0) {
		http_reply_error(req, 403, "forbidden",
		                 "an API key reads its own tenant's list only");
		return NULL;
	}
	return tenant;
}

/* do_list - GET /v1/suppressions. */
static void
do_list(struct evhttp_request *req, struct suppress *s, struct evkeyvalq *q,
        const char *tenant)
{
	const char *reason = evhttp_find_header(q, "reason");
	const char *limit = evhttp_find_header(q, "limit");
	struct suppress_query sq = {.tenant = tenant, .reason = -1};
	struct http_suppress_wait *sw;
	long lim = 100;
	char *end;

	if (reason != NULL && (sq.reason = suppress_reason_parse(reason)) < 0) {
		http_reply_error(
		    req, 400, "bad_query",
		    "reason must be one of hard_bounce, complaint, "
		    "unsubscribe, soft_bounce, manual, import");
		return;
	}
	if (limit != NULL) {
		lim = strtol(limit, &end, 10);
		if (*end != '\0' || lim < 1 || lim > 1000) {
			http_reply_error(req, 400, "bad_query",
			                 "limit must be 1..1000");
			return;
		}
	}
	sq.after = evhttp_find_header(q, "after");
	sq.limit = (size_t)lim;
	sq.now_ms = clock_wall_ms();
	sw = wait_new(req);
	sw->limit = sq.limit;
	if (s->be->list(s->impl, &sq, on_list, sw) != 0) {
		wait_end(sw);
		http_reply_error(req, 400, "bad_query", "after is no address");
	}
}

/* do_get - GET /v1/suppressions/ADDRESS. */
static void
do_get(struct evhttp_request *req, struct suppress *s, const char *tenant,
       const char *address)
{
	struct suppress_query sq = {.tenant = tenant,
	                            .reason = -1,
	                            .address = address,
	                            .limit = 1,
	                            .now_ms = clock_wall_ms()};
	struct http_suppress_wait *sw = wait_new(req);

	snprintf(sw->address, sizeof(sw->address), "%s", address);
	if (s->be->list(s->impl, &sq, on_list, sw) != 0) {
		wait_end(sw);
		http_reply_error(req, 400, "invalid_address",
		                 "not an address (local@domain)");
	}
}

/* do_delete - DELETE /v1/suppressions/ADDRESS. */
static void
do_delete(struct evhttp_request *req, struct suppress *s, const char *tenant,
          const char *address)
{
	struct http_suppress_wait *sw = wait_new(req);

	if (suppress_addr_store(address, sw->address, sizeof(sw->address)) <
	        0 ||
	    s->be->remove(s->impl, tenant, address, on_done, sw) != 0) {
		wait_end(sw);
		http_reply_error(req, 400, "invalid_address",
		                 "not an address (local@domain)");
	}
}

/* entry_from_json - one POSTed object into e; 0, or -1 with why. */
static int
entry_from_json(json_t *o, const char *tenant, int64_t now,
                struct suppress_entry *e, const char **why)
{
	json_t *v;
	int r;

	memset(e, 0, sizeof(*e));
	snprintf(e->tenant, sizeof(e->tenant), "%s", tenant);
	if (!json_is_object(o))
		return *why = "expected an object", -1;
	v = json_object_get(o, "address");
	if (!json_is_string(v) ||
	    suppress_addr_store(json_string_value(v), e->address,
	                        sizeof(e->address)) < 0)
		return *why = "address: expected local@domain", -1;
	v = json_object_get(o, "reason");
	r = v == NULL           ? SUPPRESS_MANUAL
	    : json_is_string(v) ? suppress_reason_parse(json_string_value(v))
	                        : -1;
	if (r < 0)
		return *why = "reason: expected hard_bounce, complaint, "
		              "unsubscribe, soft_bounce, manual or import",
		       -1;
	e->reason = (enum suppress_reason)r;
	v = json_object_get(o, "provider");
	if (v != NULL && !json_is_string(v))
		return *why = "provider: expected a string", -1;
	snprintf(e->provider, sizeof(e->provider), "%s",
	         v != NULL ? json_string_value(v) : "");
	v = json_object_get(o, "diagnostic");
	if (v != NULL && !json_is_string(v))
		return *why = "diagnostic: expected a string", -1;
	snprintf(e->diagnostic, sizeof(e->diagnostic), "%s",
	         v != NULL ? json_string_value(v) : "");
	v = json_object_get(o, "created_at_ms");
	if (v != NULL && (!json_is_integer(v) || json_integer_value(v) < 0))
		return *why = "created_at_ms: expected milliseconds", -1;
	e->created_ms = v != NULL ? json_integer_value(v) : now;
	v = json_object_get(o, "expires_at_ms");
	if (v != NULL && !json_is_null(v) &&
	    (!json_is_integer(v) || json_integer_value(v) <= 0))
		return *why = "expires_at_ms: expected milliseconds or null",
		       -1;
	e->expires_ms =
	    v != NULL && !json_is_null(v) ? json_integer_value(v) : 0;
	return 0;
}

/* do_post - POST /v1/suppressions. */
static void
do_post(struct evhttp_request *req, struct suppress *s, const char *tenant)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in), n, i;
	const char *body = (const char *)evbuffer_pullup(in, -1), *why = NULL;
	struct suppress_entry *es;
	json_t *root, *arr;
	char msg[160];
	int64_t now = clock_wall_ms();

	root = json_loadb(body != NULL ? body : "", len, JSON_REJECT_DUPLICATES,
	                  NULL);
	arr =
	    json_is_object(root) ? json_object_get(root, "suppressions") : NULL;
	if (!json_is_object(root) ||
	    (arr != NULL && (!json_is_array(arr) || json_array_size(arr) == 0 ||
	                     json_array_size(arr) > HTTP_SUPPRESS_MAX))) {
		json_decref(root);
		http_reply_error(req, 400, "invalid_json",
		                 "expected an entry or {\"suppressions\": [1.."
		                 "1000 entries]}");
		return;
	}
	n = arr != NULL ? json_array_size(arr) : 1;
	es = xcalloc(n, sizeof(*es));
	for (i = 0; i < n; i++)
		if (entry_from_json(arr != NULL ? json_array_get(arr, i) : root,
		                    tenant, now, &es[i], &why) < 0)
			break;
	json_decref(root);
	if (i < n) {
		snprintf(msg, sizeof(msg), "suppressions[%zu].%s", i, why);
		free(es);
		http_reply_error(req, 400, "invalid_field", msg);
		return;
	}
	struct http_suppress_wait *sw = wait_new(req);
	if (s->be->add(s->impl, es, n, on_done, sw) != 0) {
		wait_end(sw);
		unavailable(req);
	}
	free(es);
}

void
http_suppress_handle(struct evhttp_request *req, const char *path,
                     const char *tenant)
{
	struct suppress *s = suppress_active();
	size_t plen = strlen(HTTP_SUPPRESS_PREFIX);
	const char *rest = path + plen, *t;
	struct evkeyvalq q;
	char *address = NULL;

	if (s == NULL || s->be == NULL) {
		unavailable(req);
		return;
	}
	if (query_parse(req, &q) < 0)
		return;
	t = list_tenant(req, &q, tenant);
	if (t == NULL)
		goto out;
	if (*rest == '/') {
		address = evhttp_uridecode(rest + 1, 0, NULL);
		if (address == NULL || address[0] == '\0') {
			http_reply_error(req, 400, "invalid_address",
			                 "not an address (local@domain)");
			goto out;
		}
	}
	switch (evhttp_request_get_command(req)) {
	case EVHTTP_REQ_GET:
		if (address != NULL)
			do_get(req, s, t, address);
		else
			do_list(req, s, &q, t);
		break;
	case EVHTTP_REQ_POST:
		do_post(req, s, t);
		break;
	case EVHTTP_REQ_DELETE:
		do_delete(req, s, t, address != NULL ? address : "");
		break;
	default:
		http_reply_error(req, 405, "method_not_allowed",
		                 "GET, POST or DELETE");
	}
out:
	free(address);
	evhttp_clear_headers(&q);
}
