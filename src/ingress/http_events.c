/*
 * http_events.c - GET /v1/events and GET /v1/events/dead (see
 * http_events.h). The tail answers from memory; the dead-letter list
 * waits for the spool's writer in an http_pending watch, so a client
 * that goes away is simply not answered.
 */
#include "ingress/http_events.h"

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "core/clock.h"
#include "core/xmalloc.h"
#include "ingress/http_admin.h"
#include "ingress/http_pending.h"
#include "ingress/http_reply.h"
#include "observe/event_tail.h"
#include "observe/webhook_event.h"
#include "spool/spool.h"

struct http_events {
	struct event_tail *tail;
	struct spool *sp;
};

/* events_limit - limit= as 1..1000 (def when absent), or -1. */
static long
events_limit(const char *s, long def)
{
	char *end;
	long v;

	if (s == NULL)
		return def;
	v = strtol(s, &end, 10);
	return *end == '\0' && v >= 1 && v <= 1000 ? v : -1;
}

/* events_types - type=a,b as a bit set of webhook types; -1 for an
 * unknown name. */
static long
events_types(const char *s)
{
	char word[32];
	unsigned bits = 0;
	size_t n;
	int t;

	while (s != NULL && *s != '\0') {
		n = strcspn(s, ",");
		if (n == 0 || n >= sizeof(word))
			return -1;
		memcpy(word, s, n);
		word[n] = '\0';
		if ((t = webhook_type_parse(word)) < 0)
			return -1;
		bits |= 1u << t;
		s += n + (s[n] == ',');
	}
	return (long)bits;
}

/* events_tail - GET /v1/events. */
static void
events_tail(struct http_events *e, struct evhttp_request *req,
            struct evkeyvalq *q)
{
	const char *after = evhttp_find_header(q, "after");
	long lim = events_limit(evhttp_find_header(q, "limit"), 100);
	long types = events_types(evhttp_find_header(q, "type"));
	unsigned long long from = 0;
	uint64_t last = event_tail_last(e->tail), next;
	json_t *arr = json_array();
	char *end = NULL;

	if (after != NULL)
		from = strtoull(after, &end, 10);
	if (lim < 0 || types < 0 || (after != NULL && *end != '\0')) {
		json_decref(arr);
		http_reply_error(req, 400, "bad_query",
		                 "expected after=N, limit=1..1000 and type= "
		                 "a comma-separated list of event types");
		return;
	}
	if (after == NULL)
		from = last > (uint64_t)lim ? last - (uint64_t)lim : 0;
	next =
	    event_tail_read(e->tail, from, (unsigned)types, (size_t)lim, arr);
	http_reply_json(
	    req, 200,
	    json_pack("{s:o,s:I}", "events", arr, "next", (json_int_t)next), 0);
}

/* events_time - RFC 3339 of ms. */
static json_t *
events_time(int64_t ms)
{
	char t[40];

	clock_wall_text(ms, t, sizeof(t));
	return json_string(t);
}

/* events_dead_done - the spool's dead-letter rows: answer. */
static void
events_dead_done(int status, struct spool_wh *w, size_t n,
                 const struct spool_wh_counts *c, void *arg)
{
	struct http_pending_watch *pw = arg;
	struct evhttp_request *req = http_pending_watch_end(pw);
	json_t *arr, *o, *p;
	size_t i;

	free(pw);
	if (req == NULL) {
		spool_wh_free(w, n);
		return;
	}
	if (status != SPOOL_OK) {
		http_reply_error(req, 503, "spool", spool_status_name(status));
		return;
	}
	arr = json_array();
	for (i = 0; i < n; i++) {
		p = json_loads(w[i].payload, 0, NULL);
		o = json_pack("{s:s,s:s,s:I}", "id", w[i].id, "url", w[i].url,
		              "attempts", (json_int_t)w[i].attempts);
		json_object_set(o, "type", json_object_get(p, "type"));
		if (w[i].msg_id != NULL)
			json_object_set_new(o, "message_id",
			                    json_string(w[i].msg_id));
		if (w[i].last_error != NULL)
			json_object_set_new(o, "last_error",
			                    json_string(w[i].last_error));
		json_object_set_new(o, "created_at",
		                    events_time(w[i].created_at));
		json_object_set_new(o, "dead_at", events_time(w[i].next_at));
		json_decref(p);
		json_array_append_new(arr, o);
	}
	spool_wh_free(w, n);
	http_reply_json(req, 200,
	                json_pack("{s:o,s:I,s:I}", "dead", arr, "queued",
	                          (json_int_t)c->queued, "dead_total",
	                          (json_int_t)c->dead),
	                JSON_SORT_KEYS);
}

/* events_dead - GET /v1/events/dead. */
static void
events_dead(struct http_events *e, struct evhttp_request *req,
            struct evkeyvalq *q)
{
	long lim = events_limit(evhttp_find_header(q, "limit"), 100);
	struct http_pending_watch *pw;

	if (lim < 0) {
		http_reply_error(req, 400, "bad_query",
		                 "expected limit=1..1000");
		return;
	}
	pw = xcalloc(1, sizeof(*pw));
	http_pending_watch_start(pw, req);
	if (spool_wh_dead_list(e->sp, (size_t)lim, events_dead_done, pw) !=
	    SPOOL_OK) {
		req = http_pending_watch_end(pw);
		free(pw);
		if (req != NULL)
			http_reply_error(req, 503, "spool", "spool closed");
	}
}

/* events_handle - the route's callback. */
static void
events_handle(struct evhttp_request *req, void *arg)
{
	struct http_events *e = arg;
	const char *uri = evhttp_request_get_uri(req), *qs;
	struct evkeyvalq q;
	size_t plen;

	TAILQ_INIT(&q);
	qs = strchr(uri, '?');
	plen = qs ? (size_t)(qs - uri) : strlen(uri);
	if (qs && evhttp_parse_query_str(qs + 1, &q) != 0) {
		http_reply_error(req, 400, "bad_query",
		                 "malformed query string");
		return;
	}
	if (plen == strlen("/v1/events/dead") &&
	    strncmp(uri, "/v1/events/dead", plen) == 0)
		events_dead(e, req, &q);
	else
		events_tail(e, req, &q);
	evhttp_clear_headers(&q);
}

struct http_events *
http_events_new(struct http_admin *h, struct event_tail *tail, struct spool *sp)
{
	struct http_events *e = xcalloc(1, sizeof(*e));

	e->tail = tail;
	e->sp = sp;
	http_admin_route_set(h, HTTP_ROUTE_EVENTS, events_handle, e);
	return e;
}

void
http_events_free(struct http_events *e)
{
	free(e);
}
