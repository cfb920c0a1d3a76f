/*
 * http_msg.c - a tenant's messages over HTTP: GET /v1/messages (a page
 * of the queue), GET /v1/messages/ID (one message, with its meta and
 * schedule) and DELETE /v1/messages/ID (cancel it before it is sent).
 *
 * An API key sees and cancels its own tenant's messages only; another
 * tenant's message is answered as an unknown id (404), so a key cannot
 * probe for ids. The admin key (tenant NULL) sees every tenant's. The
 * spool does the reading and the cancelling on its writer; the request
 * waits in an http_pending watch, so a client that goes away is simply
 * not answered. Loop thread only.
 */
#include "ingress/http_msg.h"

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "cluster/cluster_fwd.h"
#include "core/id.h"
#include "core/xmalloc.h"
#include "ingress/http_pending.h"
#include "ingress/http_reply.h"
#include "spool/spool.h"

/* http_msg_json_send - answer req with code and the JSON of obj. */
static void
http_msg_json_send(struct evhttp_request *req, int code, json_t *obj)
{
	http_reply_json(req, code, obj, JSON_SORT_KEYS);
}

/* A message read waiting for the spool. */
struct http_msg_read {
	struct http_pending_watch w; /* the reader's request */
	char *tenant; /* an API key's tenant: only its messages; NULL: any */
	char id[ID_SIZE]; /* the message asked for ("" for a list) */
};

/* http_msg_wait - a watch on req while the spool reads (freed by
 * http_msg_unwait); tenant is copied. */
static struct http_msg_read *
http_msg_wait(struct evhttp_request *req, const char *tenant)
{
	struct http_msg_read *rd = xcalloc(1, sizeof(*rd));

	http_pending_watch_start(&rd->w, req);
	rd->tenant = tenant ? xstrdup(tenant) : NULL;
	return rd;
}

/* http_msg_unwait - the request if its client is still there; frees rd
 * (after *tenant_ok says whether a message of tenant may be shown).
 * With notfound, a message this spool does not have: a request about
 * another node's message goes there (cluster_fwd.h), and NULL is
 * returned as if the client had left. */
static struct evhttp_request *
http_msg_unwait_fwd(struct http_msg_read *rd, const char *tenant,
                    bool *tenant_ok, bool notfound)
{
	struct evhttp_request *req = http_pending_watch_end(&rd->w);

	if (req != NULL && notfound && rd->id[0] != '\0' &&
	    cluster_fwd_http(req, rd->id))
		req = NULL;

	if (tenant_ok != NULL)
		*tenant_ok =
		    rd->tenant == NULL ||
		    (tenant != NULL && strcmp(rd->tenant, tenant) == 0);
	free(rd->tenant);
	free(rd);
	return req;
}

/* http_msg_unwait - http_msg_unwait_fwd without forwarding. */
static struct evhttp_request *
http_msg_unwait(struct http_msg_read *rd, const char *tenant, bool *tenant_ok)
{
	return http_msg_unwait_fwd(rd, tenant, tenant_ok, false);
}

static json_t *
http_msg_str(const char *s)
{
	return s ? json_string(s) : json_null();
}

/*
 * http_msg_trace_json - an attempt's stored trace into o: "trace" (the
 * router's words) and "not_applied" ("not applied by <provider>: ...",
 * or null), split where spool.h's SPOOL_TRACE_NOT_APPLIED line begins.
 */
static void
http_msg_trace_json(json_t *o, const char *trace)
{
	const char *na = trace ? strstr(trace, SPOOL_TRACE_NOT_APPLIED) : NULL;
	const char *lead = &SPOOL_TRACE_NOT_APPLIED[1];

	if (na != NULL) {
		json_object_set_new(o, "trace",
		                    json_stringn(trace, (size_t)(na - trace)));
		json_object_set_new(o, "not_applied", json_string(na + 1));
	} else if (trace != NULL && strncmp(trace, lead, strlen(lead)) == 0) {
		json_object_set_new(o, "trace", json_null());
		json_object_set_new(o, "not_applied", json_string(trace));
	} else {
		json_object_set_new(o, "trace", http_msg_str(trace));
		json_object_set_new(o, "not_applied", json_null());
	}
}

/* http_msg_outcome_json - what the provider reported of recipient r,
 * into ro: outcome (null before any report), bounce, its text and time. */
static void
http_msg_outcome_json(json_t *ro, const struct spool_rcpt *r)
{
	json_object_set_new(ro, "outcome", http_msg_str(r->outcome));
	json_object_set_new(ro, "bounce", http_msg_str(r->bounce));
	json_object_set_new(ro, "outcome_text", http_msg_str(r->outcome_text));
	json_object_set_new(ro, "outcome_at_ms",
	                    r->outcome != NULL
	                        ? json_integer((json_int_t)r->outcome_at)
	                        : json_null());
}

/* http_msg_events_json - m's provider events, oldest first. */
static json_t *
http_msg_events_json(const struct spool_msg *m)
{
	json_t *es = json_array();
	size_t i;

	for (i = 0; i < m->n_events; i++) {
		const struct spool_fb_row *e = &m->events[i];
		json_array_append_new(
		    es,
		    json_pack("{s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}",
		              "at_ms", (json_int_t)e->at_ms, "rcpt",
		              e->rcpt_idx >= 0 ? json_integer(e->rcpt_idx)
		                               : json_null(),
		              "provider", http_msg_str(e->provider), "event_id",
		              http_msg_str(e->event_id), "type",
		              http_msg_str(e->type), "recipient",
		              http_msg_str(e->recipient), "smtp_code",
		              e->smtp_code > 0 ? json_integer(e->smtp_code)
		                               : json_null(),
		              "enhanced", http_msg_str(e->enhanced),
		              "provider_type", http_msg_str(e->provider_type),
		              "provider_subtype",
		              http_msg_str(e->provider_subtype), "diagnostic",
		              http_msg_str(e->diagnostic)));
	}
	return es;
}

/* http_msg_json - a message summary (and details when full). */
static json_t *
http_msg_json(const struct spool_msg *m, int full)
{
	json_t *o = json_pack(
	    "{s:s,s:s,s:o,s:I,s:I,s:I,s:I,s:I,s:o,s:o,s:s}", "id", m->id,
	    "state", spool_state_name(m->state), "sender",
	    http_msg_str(m->sender), "size", (json_int_t)m->size,
	    "created_at_ms", (json_int_t)m->created_at, "next_attempt_at_ms",
	    (json_int_t)m->next_attempt_at, "attempts", (json_int_t)m->attempts,
	    "recipients", (json_int_t)m->n_rcpts, "last_error",
	    http_msg_str(m->last_error), "tenant", http_msg_str(m->tenant),
	    "stream", m->stream ? m->stream : "transactional");
	size_t i;

	if (m->rcpts != NULL) {
		json_t *rs = json_array();
		for (i = 0; i < m->n_rcpts; i++) {
			const struct spool_rcpt *r = &m->rcpts[i];
			json_t *ro = json_pack(
			    "{s:o,s:s,s:o,s:o,s:o}", "address",
			    http_msg_str(r->address), "state",
			    spool_rcpt_state_name(r->state), "last_reply",
			    http_msg_str(r->last_reply), "provider",
			    http_msg_str(r->provider), "provider_message_id",
			    http_msg_str(r->provider_msg_id));

			http_msg_outcome_json(ro, r);
			json_array_append_new(rs, ro);
		}
		json_object_set_new(o, "rcpts", rs);
	}
	if (full) {
		json_t *as = json_array();
		for (i = 0; i < m->n_atts; i++) {
			const struct spool_attempt *a = &m->atts[i];
			json_t *ao =
			    json_pack("{s:I,s:o,s:o,s:o,s:I}", "at_ms",
			              (json_int_t)a->at_ms, "provider",
			              http_msg_str(a->provider), "result",
			              http_msg_str(a->result), "reply",
			              http_msg_str(a->reply), "duration_ms",
			              (json_int_t)a->duration_ms);

			http_msg_trace_json(ao, a->trace);
			json_array_append_new(as, ao);
		}
		json_object_set_new(o, "attempts_detail", as);
		json_object_set_new(o, "events", http_msg_events_json(m));
		json_object_set_new(o, "client", http_msg_str(m->client));
		/* The stored msg_meta as it is: {} when the caller asked
		 * nothing besides the bytes. */
		json_t *meta = m->meta ? json_loads(m->meta, 0, NULL) : NULL;
		json_object_set_new(
		    o, "meta", json_is_object(meta) ? meta : json_object());
		if (meta != NULL && !json_is_object(meta))
			json_decref(meta);
	}
	/* The schedule: when a scheduled message goes (null otherwise). */
	json_object_set_new(o, "send_at_ms",
	                    m->state == SPOOL_STATE_SCHEDULED
	                        ? json_integer((json_int_t)m->next_attempt_at)
	                        : json_null());
	return o;
}

static void
http_msg_on_list(int status, struct spool_msg **msgs, size_t n, void *arg)
{
	struct evhttp_request *req = http_msg_unwait(arg, NULL, NULL);
	json_t *arr;
	size_t i;

	if (req == NULL || status != SPOOL_OK) {
		for (i = 0; i < n; i++)
			spool_msg_free(msgs[i]);
		if (req != NULL)
			http_reply_error(req, 503, "spool_unavailable",
			                 "the spool could not be read");
		return;
	}
	arr = json_array();
	for (i = 0; i < n; i++) {
		json_array_append_new(arr, http_msg_json(msgs[i], 0));
		spool_msg_free(msgs[i]);
	}
	http_msg_json_send(req, 200, json_pack("{s:o}", "messages", arr));
}

static void
http_msg_on_get(int status, struct spool_msg *m, void *arg)
{
	bool mine;
	struct evhttp_request *req =
	    http_msg_unwait_fwd(arg, m != NULL ? m->tenant : NULL, &mine,
	                        status == SPOOL_ERR_NOTFOUND);

	if (req == NULL) {
		spool_msg_free(m);
		return;
	}
	/* Another tenant's message is not there, as far as this key can
	 * tell: the same 404 as an unknown id. */
	if (status == SPOOL_ERR_NOTFOUND || (status == SPOOL_OK && !mine))
		http_reply_error(req, 404, "not_found", "no such message");
	else if (status != SPOOL_OK || m == NULL)
		http_reply_error(req, 503, "spool_unavailable",
		                 "the spool could not be read");
	else
		http_msg_json_send(req, 200, http_msg_json(m, 1));
	spool_msg_free(m);
}

/* http_msg_state_parse - "ready" -> SPOOL_STATE_READY; -1 for all. */
static int
http_msg_state_parse(const char *s)
{
	int i;

	if (s == NULL || s[0] == '\0' || strcmp(s, "all") == 0)
		return -1;
	for (i = 0; i < SPOOL_STATE_COUNT; i++)
		if (strcmp(s, spool_state_name(i)) == 0)
			return i;
	return -2;
}

/* http_msg_list - GET /v1/messages?state=&after=&limit=, of tenant
 * only if not NULL. */
void
http_msg_list(struct evhttp_request *req, struct spool *sp, const char *tenant)
{
	struct http_msg_read *rd;
	struct evkeyvalq q;
	const char *uri = evhttp_request_get_uri(req), *qs;
	const char *state, *after, *limit;
	long lim = 100;
	int st;
	char *end;

	TAILQ_INIT(&q);
	qs = strchr(uri, '?');
	if (qs && evhttp_parse_query_str(qs + 1, &q) != 0) {
		http_reply_error(req, 400, "bad_query",
		                 "malformed query string");
		return;
	}
	state = evhttp_find_header(&q, "state");
	after = evhttp_find_header(&q, "after");
	limit = evhttp_find_header(&q, "limit");
	st = http_msg_state_parse(state);
	if (limit) {
		lim = strtol(limit, &end, 10);
		if (*end != '\0' || lim < 1 || lim > 1000)
			lim = -1;
	}
	if (st == -2 || lim < 0) {
		evhttp_clear_headers(&q);
		http_reply_error(req, 400, "bad_query",
		                 st == -2
		                     ? "state must be one of ready, inflight, "
		                       "deferred, sent, failed, scheduled, "
		                       "sandboxed, cancelled, all"
		                     : "limit must be 1..1000");
		return;
	}
	rd = http_msg_wait(req, NULL);
	if (spool_msg_list_tenant(sp, tenant, st, after, (size_t)lim,
	                          http_msg_on_list, rd) != 0) {
		http_msg_unwait(rd, NULL, NULL);
		http_reply_error(req, 503, "spool_unavailable",
		                 "the spool is closing");
	}
	evhttp_clear_headers(&q);
}

static void
http_msg_on_cancel(int status, struct spool_msg *m, void *arg)
{
	struct evhttp_request *req =
	    http_msg_unwait_fwd(arg, NULL, NULL, status == SPOOL_ERR_NOTFOUND);
	json_t *o;

	if (req == NULL) {
		spool_msg_free(m);
		return;
	}
	if (status == SPOOL_ERR_NOTFOUND)
		http_reply_error(req, 404, "not_found", "no such message");
	else if ((status == SPOOL_OK || status == SPOOL_ERR_CONFLICT) &&
	         m != NULL) {
		o = http_msg_json(m, 1);
		if (status == SPOOL_ERR_CONFLICT)
			o = json_pack(
			    "{s:{s:s,s:s},s:s,s:o}", "error", "code",
			    "not_cancellable", "message",
			    m->state == SPOOL_STATE_INFLIGHT
			        ? "the message is being sent"
			        : "the message is no longer waiting to be sent",
			    "state", spool_state_name(m->state), "message", o);
		http_msg_json_send(req, status == SPOOL_OK ? 200 : 409, o);
	} else
		http_reply_error(req, 503, "spool_unavailable",
		                 "the spool could not be changed");
	spool_msg_free(m);
}

/*
 * http_msg_one - queue a read (cancel false) or a cancel of the message
 * path names, for req, of tenant only if not NULL.
 */
static void
http_msg_one(struct evhttp_request *req, struct spool *sp, const char *path,
             const char *tenant, bool cancel)
{
	const char *id = path + strlen("/v1/messages/");
	struct http_msg_read *rd;
	int rc;

	if (!id_valid(id)) {
		http_reply_error(req, 404, "not_found", "no such message");
		return;
	}
	/* A read checks the tenant in its answer; a cancel has the spool
	 * check it with the state, in one step. */
	rd = http_msg_wait(req, cancel ? NULL : tenant);
	snprintf(rd->id, sizeof(rd->id), "%s", id);
	rc = cancel ? spool_msg_cancel(sp, id, tenant, http_msg_on_cancel, rd)
	            : spool_msg_get(sp, id, 0, http_msg_on_get, rd);
	if (rc != 0) {
		http_msg_unwait(rd, NULL, NULL);
		http_reply_error(req, 503, "spool_unavailable",
		                 "the spool is closing");
	}
}

/* http_msg_get - GET /v1/messages/ID, of tenant only if not NULL. */
void
http_msg_get(struct evhttp_request *req, struct spool *sp, const char *path,
             const char *tenant)
{
	http_msg_one(req, sp, path, tenant, false);
}

/* http_msg_cancel - DELETE /v1/messages/ID, of tenant only if not NULL. */
void
http_msg_cancel(struct evhttp_request *req, struct spool *sp, const char *path,
                const char *tenant)
{
	http_msg_one(req, sp, path, tenant, true);
}
