/*
 * http_admin.c - /healthz, /readyz, /metrics, /metrics.json and
 * /v1/status over evhttp.
 *
 * Everything served here comes from memory (spool_counts_get keeps its
 * counts in memory), so a slow disk can never stall a status request or
 * the loop. JSON is built with jansson. Every response is counted by
 * handler and status code for /metrics (on completion, so the code is
 * the one the client got).
 */
#include "ingress/http_admin.h"
#include "ingress/http_reply.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>

#include "config/config.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "deliver/deliver.h"
#include "ingress/http_guard.h"
#include "ingress/http_pending.h"
#include "ingress/smtpd.h"
#include "observe/metrics.h"
#include "observe/stats.h"
#include "spool/spool.h"

struct http_admin {
	struct evhttp *http;
	const struct config *cfg;
	struct spool *sp;
	struct deliver *deliver;
	struct smtpd *smtpd;
	struct stats *stats;
	struct metrics_http httpc; /* responses by handler and code */
	uint64_t started_ms;       /* monotonic, for the uptime */
	void (*post_cb)(struct evhttp_request *, void *); /* send API */
	void *post_arg;
	struct {
		const char *prefix;
		void (*cb)(struct evhttp_request *, void *);
		void *arg;
	} routes[HTTP_ADMIN_MAX_ROUTES];
	size_t n_routes;
};

/* http_admin_json_send - answer req with code and the JSON of obj. */
static void
http_admin_json_send(struct evhttp_request *req, int code, json_t *obj)
{
	http_reply_json(req, code, obj, JSON_SORT_KEYS);
}

/* http_admin_done - count a finished response by its status code. */
static void
http_admin_done(uint64_t *by_code, struct evhttp_request *req)
{
	int code = evhttp_request_get_response_code(req);

	if (code >= 100 && code < METRICS_HTTP_CODES)
		by_code[code]++;
}

static void
http_admin_done_admin(struct evhttp_request *req, void *arg)
{
	struct http_admin *h = arg;

	http_admin_done(h->httpc.admin, req);
}

static void
http_admin_done_send(struct evhttp_request *req, void *arg)
{
	struct http_admin *h = arg;

	http_admin_done(h->httpc.send, req);
}

/* http_admin_track - count req's response when it is sent. */
static void
http_admin_track(struct http_admin *h, struct evhttp_request *req, int send)
{
	evhttp_request_set_on_complete_cb(
	    req, send ? http_admin_done_send : http_admin_done_admin, h);
}

static void
http_admin_healthz(struct evhttp_request *req, void *arg)
{
	http_admin_track(arg, req, 0);
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		http_reply_error(req, 405, "method_not_allowed", "use GET");
		return;
	}
	http_admin_json_send(req, 200, json_pack("{s:s}", "status", "ok"));
}

static void
http_admin_status(struct evhttp_request *req, void *arg)
{
	struct http_admin *h = arg;
	struct spool_counts c;
	json_t *queue, *root;
	int s;

	http_admin_track(h, req, 0);
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		http_reply_error(req, 405, "method_not_allowed", "use GET");
		return;
	}
	spool_counts_get(h->sp, &c);
	queue = json_object();
	for (s = 0; s < SPOOL_STATE_COUNT; s++)
		json_object_set_new(queue, spool_state_name(s),
		                    json_integer((json_int_t)c.state[s]));
	root =
	    json_pack("{s:s,s:I,s:o,s:{s:I,s:I,s:b}}", "service", "swerved",
	              "uptime_seconds",
	              (json_int_t)((clock_mono_ms() - h->started_ms) / 1000),
	              "queue", queue, "spool", "commits", (json_int_t)c.commits,
	              "committed_messages", (json_int_t)c.committed_msgs,
	              "accepting", spool_space_check(h->sp) == SPOOL_OK);
	if (h->deliver != NULL) {
		struct deliver_stats ds;
		json_t *provs = json_array();
		size_t i, n = deliver_provider_count(h->deliver);
		for (i = 0; i < n; i++) {
			struct deliver_provider_info pi;
			deliver_provider_info(h->deliver, i, &pi);
			json_array_append_new(
			    provs,
			    json_pack(
			        "{s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
			        "name", pi.name, "state", pi.mode, "reason",
			        pi.reason, "consecutive_failures",
			        (json_int_t)pi.consecutive_failures,
			        "cooldown_left_ms",
			        (json_int_t)pi.cooldown_left_ms, "sent",
			        (json_int_t)pi.sent, "failed",
			        (json_int_t)pi.failed, "connections",
			        (json_int_t)pi.connections, "busy",
			        (json_int_t)pi.busy, "waiting",
			        (json_int_t)pi.waiting));
		}
		json_object_set_new(root, "providers", provs);
		deliver_stats_get(h->deliver, &ds);
		json_object_set_new(
		    root, "delivery",
		    json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "inflight",
		              (json_int_t)ds.inflight, "attempts",
		              (json_int_t)ds.attempts, "delivered",
		              (json_int_t)ds.delivered, "failovers",
		              (json_int_t)ds.failovers, "deferred",
		              (json_int_t)ds.deferred, "failed",
		              (json_int_t)ds.failed, "dsns",
		              (json_int_t)ds.dsns, "possible_duplicates",
		              (json_int_t)ds.possible_duplicates));
	}
	http_admin_json_send(req, 200, root);
}

/*
 * http_admin_readyz - 200 when mail can flow end to end: the spool takes
 * new messages and at least one provider can take one now; else 503 with
 * the reason, for load balancers and orchestrators.
 */
static void
http_admin_readyz(struct evhttp_request *req, void *arg)
{
	struct http_admin *h = arg;
	struct buf why;
	size_t i, n;

	http_admin_track(h, req, 0);
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		http_reply_error(req, 405, "method_not_allowed", "use GET");
		return;
	}
	if (spool_space_check(h->sp) != SPOOL_OK) {
		http_admin_json_send(
		    req, 503,
		    json_pack(
		        "{s:b,s:s}", "ready", 0, "reason",
		        "spool: free space below spool.min_free or the queue "
		        "is at spool.max_messages"));
		return;
	}
	n = h->deliver ? deliver_provider_count(h->deliver) : 0;
	if (n == 0) {
		http_admin_json_send(
		    req, 503,
		    json_pack(
		        "{s:b,s:s}", "ready", 0, "reason",
		        "no provider configured: mail is queued, not sent"));
		return;
	}
	if (deliver_can_send(h->deliver)) {
		http_admin_json_send(req, 200, json_pack("{s:b}", "ready", 1));
		return;
	}
	buf_init(&why);
	buf_addstr(&why, "no provider can take mail now:");
	for (i = 0; i < n; i++) {
		struct deliver_provider_info pi;
		deliver_provider_info(h->deliver, i, &pi);
		buf_printf(&why, "%s %s %s", i ? "," : "", pi.name, pi.mode);
		if (pi.cooldown_left_ms > 0)
			buf_printf(&why, " (retry in %.1fs)",
			           (double)pi.cooldown_left_ms / 1000.0);
	}
	http_admin_json_send(
	    req, 503,
	    json_pack("{s:b,s:s}", "ready", 0, "reason", buf_cstr(&why)));
	buf_fini(&why);
}

/* What a metrics snapshot borrows, taken from the modules. */
struct http_admin_snap {
	struct metrics_snapshot ms;
	struct deliver_provider_info *provs;
	size_t *stream_inflight;
	struct deliver_stats ds;
	struct smtpd_stats ss;
	struct spool_counts sc;
};

/* http_admin_snap_take - fill sn from the modules (memory only). */
static void
http_admin_snap_take(struct http_admin *h, struct http_admin_snap *sn)
{
	struct metrics_snapshot *ms = &sn->ms;
	size_t i;

	memset(sn, 0, sizeof(*sn));
	spool_counts_get(h->sp, &sn->sc);
	ms->spool = &sn->sc;
	if (h->smtpd) {
		smtpd_stats_get(h->smtpd, &sn->ss);
		ms->smtpd = &sn->ss;
	}
	if (h->deliver) {
		deliver_stats_get(h->deliver, &sn->ds);
		ms->deliver = &sn->ds;
		ms->n_provs = deliver_provider_count(h->deliver);
		sn->provs =
		    xcalloc(ms->n_provs ? ms->n_provs : 1, sizeof(*sn->provs));
		for (i = 0; i < ms->n_provs; i++)
			deliver_provider_info(h->deliver, i, &sn->provs[i]);
		ms->provs = sn->provs;
		sn->stream_inflight = xcalloc(h->cfg->n_streams + 1,
		                              sizeof(*sn->stream_inflight));
		for (i = 0; i < h->cfg->n_streams; i++)
			sn->stream_inflight[i] =
			    deliver_stream_inflight(h->deliver, i);
		ms->stream_inflight = sn->stream_inflight;
		ms->cfg = h->cfg;
	}
	ms->stats = h->stats;
	ms->http = &h->httpc;
	ms->uptime_seconds = (double)((clock_mono_ms() - h->started_ms) / 1000);
	metrics_process_read(ms);
}

/* http_admin_snap_free - release what sn allocated. */
static void
http_admin_snap_free(struct http_admin_snap *sn)
{
	free(sn->provs);
	free(sn->stream_inflight);
}

/* http_admin_metrics - GET /metrics in the Prometheus text format. */
static void
http_admin_metrics(struct evhttp_request *req, void *arg)
{
	struct http_admin *h = arg;
	struct http_admin_snap sn;
	struct evbuffer *body;
	struct buf out;

	http_admin_track(h, req, 0);
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		http_reply_error(req, 405, "method_not_allowed", "use GET");
		return;
	}
	http_admin_snap_take(h, &sn);
	buf_init(&out);
	buf_reserve(&out, 256 * 1024);
	metrics_render(&sn.ms, &out);
	http_admin_snap_free(&sn);
	body = evbuffer_new();
	evbuffer_add(body, out.p ? out.p : "", out.len);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	                  "Content-Type",
	                  "text/plain; version=0.0.4; charset=utf-8");
	evhttp_send_reply(req, 200, "OK", body);
	evbuffer_free(body);
	buf_fini(&out);
}

/* http_admin_metrics_json - GET /metrics.json: the same, for scripts. */
static void
http_admin_metrics_json(struct evhttp_request *req, void *arg)
{
	struct http_admin *h = arg;
	struct http_admin_snap sn;
	json_t *root;

	http_admin_track(h, req, 0);
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		http_reply_error(req, 405, "method_not_allowed", "use GET");
		return;
	}
	http_admin_snap_take(h, &sn);
	root = json_object();
	metrics_render_json(&sn.ms, root);
	http_admin_snap_free(&sn);
	http_admin_json_send(req, 200, root);
}

/* http_admin_wait - a watch on req while the spool reads (freed by
 * http_admin_unwait). */
static struct http_pending_watch *
http_admin_wait(struct evhttp_request *req)
{
	struct http_pending_watch *w = xcalloc(1, sizeof(*w));

	http_pending_watch_start(w, req);
	return w;
}

/* http_admin_unwait - the request if its client is still there; frees w. */
static struct evhttp_request *
http_admin_unwait(struct http_pending_watch *w)
{
	struct evhttp_request *req = http_pending_watch_end(w);

	free(w);
	return req;
}

static json_t *
http_admin_str(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* http_admin_msg_json - a message summary (and details when full). */
static json_t *
http_admin_msg_json(const struct spool_msg *m, int full)
{
	json_t *o = json_pack(
	    "{s:s,s:s,s:o,s:I,s:I,s:I,s:I,s:I,s:o,s:o,s:s}", "id", m->id,
	    "state", spool_state_name(m->state), "sender",
	    http_admin_str(m->sender), "size", (json_int_t)m->size,
	    "created_at_ms", (json_int_t)m->created_at, "next_attempt_at_ms",
	    (json_int_t)m->next_attempt_at, "attempts", (json_int_t)m->attempts,
	    "recipients", (json_int_t)m->n_rcpts, "last_error",
	    http_admin_str(m->last_error), "tenant", http_admin_str(m->tenant),
	    "stream", m->stream ? m->stream : "transactional");
	size_t i;

	if (m->rcpts != NULL) {
		json_t *rs = json_array();
		for (i = 0; i < m->n_rcpts; i++) {
			const struct spool_rcpt *r = &m->rcpts[i];
			json_array_append_new(
			    rs, json_pack(
			            "{s:o,s:s,s:o,s:o,s:o}", "address",
			            http_admin_str(r->address), "state",
			            spool_rcpt_state_name(r->state),
			            "last_reply", http_admin_str(r->last_reply),
			            "provider", http_admin_str(r->provider),
			            "provider_message_id",
			            http_admin_str(r->provider_msg_id)));
		}
		json_object_set_new(o, "rcpts", rs);
	}
	if (full) {
		json_t *as = json_array();
		for (i = 0; i < m->n_atts; i++) {
			const struct spool_attempt *a = &m->atts[i];
			json_array_append_new(
			    as,
			    json_pack("{s:I,s:o,s:o,s:o,s:I,s:o}", "at_ms",
			              (json_int_t)a->at_ms, "provider",
			              http_admin_str(a->provider), "result",
			              http_admin_str(a->result), "reply",
			              http_admin_str(a->reply), "duration_ms",
			              (json_int_t)a->duration_ms, "trace",
			              http_admin_str(a->trace)));
		}
		json_object_set_new(o, "attempts_detail", as);
		json_object_set_new(o, "client", http_admin_str(m->client));
	}
	return o;
}

static void
http_admin_on_list(int status, struct spool_msg **msgs, size_t n, void *arg)
{
	struct evhttp_request *req = http_admin_unwait(arg);
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
		json_array_append_new(arr, http_admin_msg_json(msgs[i], 0));
		spool_msg_free(msgs[i]);
	}
	http_admin_json_send(req, 200, json_pack("{s:o}", "messages", arr));
}

static void
http_admin_on_get(int status, struct spool_msg *m, void *arg)
{
	struct evhttp_request *req = http_admin_unwait(arg);

	if (req == NULL) {
		spool_msg_free(m);
		return;
	}
	if (status == SPOOL_ERR_NOTFOUND)
		http_reply_error(req, 404, "not_found", "no such message");
	else if (status != SPOOL_OK || m == NULL)
		http_reply_error(req, 503, "spool_unavailable",
		                 "the spool could not be read");
	else
		http_admin_json_send(req, 200, http_admin_msg_json(m, 1));
	spool_msg_free(m);
}

/* http_admin_state_parse - "ready" -> SPOOL_STATE_READY; -1 for all. */
static int
http_admin_state_parse(const char *s)
{
	int i;

	if (s == NULL || s[0] == '\0' || strcmp(s, "all") == 0)
		return -1;
	for (i = 0; i < SPOOL_STATE_COUNT; i++)
		if (strcmp(s, spool_state_name(i)) == 0)
			return i;
	return -2;
}

static void
http_admin_messages(struct evhttp_request *req, struct http_admin *h,
                    const char *path)
{
	struct http_pending_watch *pd;
	int rc;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET &&
	    h->post_cb != NULL) {
		h->post_cb(req, h->post_arg);
		return;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		http_reply_error(req, 405, "method_not_allowed", "use GET");
		return;
	}
	if (strcmp(path, "/v1/messages") == 0) {
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
		st = http_admin_state_parse(state);
		if (limit) {
			lim = strtol(limit, &end, 10);
			if (*end != '\0' || lim < 1 || lim > 1000)
				lim = -1;
		}
		if (st == -2 || lim < 0) {
			evhttp_clear_headers(&q);
			http_reply_error(
			    req, 400, "bad_query",
			    st == -2 ? "state must be one of ready, inflight, "
			               "deferred, sent, failed, all"
			             : "limit must be 1..1000");
			return;
		}
		pd = http_admin_wait(req);
		rc = spool_msg_list(h->sp, st, after, (size_t)lim,
		                    http_admin_on_list, pd);
		evhttp_clear_headers(&q);
	} else {
		const char *id = path + strlen("/v1/messages/");
		if (!id_valid(id)) {
			http_reply_error(req, 404, "not_found",
			                 "no such message");
			return;
		}
		pd = http_admin_wait(req);
		rc = spool_msg_get(h->sp, id, 0, http_admin_on_get, pd);
	}
	if (rc != 0) {
		http_admin_unwait(pd);
		http_reply_error(req, 503, "spool_unavailable",
		                 "the spool is closing");
	}
}

static void
http_admin_notfound(struct evhttp_request *req, void *arg)
{
	struct http_admin *h = arg;
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *path = u ? evhttp_uri_get_path(u) : NULL;

	size_t i;

	http_admin_track(h, req,
	                 evhttp_request_get_command(req) != EVHTTP_REQ_GET &&
	                     path && strncmp(path, "/v1/messages", 12) == 0);
	if (http_guard_check(req) < 0)
		return;
	if (path && (strcmp(path, "/v1/messages") == 0 ||
	             strncmp(path, "/v1/messages/", 13) == 0)) {
		http_admin_messages(req, h, path);
		return;
	}
	for (i = 0; path != NULL && i < h->n_routes; i++) {
		size_t n = strlen(h->routes[i].prefix);
		if (strncmp(path, h->routes[i].prefix, n) == 0 &&
		    (path[n] == '\0' || path[n] == '/')) {
			h->routes[i].cb(req, h->routes[i].arg);
			return;
		}
	}
	http_reply_error(req, 404, "not_found", "no such endpoint");
}

struct http_admin *
http_admin_new(struct event_base *base, const struct config *cfg,
               struct spool *sp, char *err, size_t errlen)
{
	struct http_admin *h = xcalloc(1, sizeof(*h));

	h->http = evhttp_new(base);
	if (h->http == NULL) {
		snprintf(err, errlen, "http: evhttp_new failed");
		free(h);
		return NULL;
	}
	h->cfg = cfg;
	h->sp = sp;
	h->started_ms = clock_mono_ms();
	evhttp_set_allowed_methods(
	    h->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
	                 EVHTTP_REQ_DELETE | EVHTTP_REQ_HEAD);
	evhttp_set_max_headers_size(h->http, 16384);
	evhttp_set_max_body_size(h->http, 1 << 20);
	evhttp_set_timeout(h->http, 30);
	evhttp_set_cb(h->http, "/healthz", http_admin_healthz, h);
	evhttp_set_cb(h->http, "/v1/status", http_admin_status, h);
	evhttp_set_cb(h->http, "/readyz", http_admin_readyz, h);
	evhttp_set_cb(h->http, "/metrics", http_admin_metrics, h);
	evhttp_set_cb(h->http, "/metrics.json", http_admin_metrics_json, h);
	evhttp_set_gencb(h->http, http_admin_notfound, h);
	return h;
}

int
http_admin_listen(struct http_admin *h, const struct config_addr *addr,
                  char *err, size_t errlen)
{
	if (evhttp_bind_socket_with_handle(h->http, addr->host, addr->port) ==
	    NULL) {
		snprintf(err, errlen, "http: cannot listen on %s:%u: %s",
		         addr->host, addr->port, strerror(errno));
		return -1;
	}
	log_info("swerved: listening http %s:%u", addr->host, addr->port);
	return 0;
}

void
http_admin_set_deliver(struct http_admin *h, struct deliver *d)
{
	h->deliver = d;
}

void
http_admin_set_smtpd(struct http_admin *h, struct smtpd *s)
{
	h->smtpd = s;
}

void
http_admin_set_stats(struct http_admin *h, struct stats *st)
{
	h->stats = st;
}

void
http_admin_set_post(struct http_admin *h,
                    void (*cb)(struct evhttp_request *, void *), void *arg)
{
	h->post_cb = cb;
	h->post_arg = arg;
}

void
http_admin_route_add(struct http_admin *h, const char *prefix,
                     void (*cb)(struct evhttp_request *, void *), void *arg)
{
	if (h->n_routes == HTTP_ADMIN_MAX_ROUTES)
		log_panic("http: more than %d prefix routes",
		          HTTP_ADMIN_MAX_ROUTES);
	h->routes[h->n_routes].prefix = prefix;
	h->routes[h->n_routes].cb = cb;
	h->routes[h->n_routes].arg = arg;
	h->n_routes++;
}

struct evhttp *
http_admin_evhttp(struct http_admin *h)
{
	return h->http;
}

void
http_admin_free(struct http_admin *h)
{
	if (h == NULL)
		return;
	evhttp_free(h->http);
	free(h);
}
