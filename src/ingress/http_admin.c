/*
 * http_admin.c - the HTTP listeners: every request is dispatched through
 * the access table (http_access.c) and served here (/healthz, /readyz,
 * /metrics, /metrics.json, /v1/status), by http_msg.c (a tenant's
 * messages: list, read, cancel) or by the module
 * that registered the route (send API, drop-ins, operator actions,
 * alerts, reload).
 *
 * listen.http serves the send plane, and the admin plane too unless
 * listen.admin is configured; listen.admin is an evhttp of its own, so a
 * request's listener is known from the callback it arrives on. Status
 * and metrics come from memory (spool_counts_get keeps its counts in
 * memory), so a slow disk can never stall a status request or the loop.
 * JSON is built with jansson. Every response is counted by handler and
 * status code for /metrics (on completion, so the code is the one the
 * client got).
 */
#include "ingress/http_admin.h"
#include "ingress/http_reply.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <stdbool.h>
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
#include "ingress/http_access.h"
#include "ingress/http_guard.h"
#include "ingress/http_msg.h"
#include "ingress/http_pending.h"
#include "ingress/http_suppress.h"
#include "ingress/http_templates.h"
#include "ingress/smtpd.h"
#include "observe/metrics.h"
#include "observe/stats.h"
#include "spool/spool.h"

/* Seconds a client is told to wait when a graceful stop refuses it. */
#define HTTP_ADMIN_STOP_RETRY_AFTER "5"

/* One evhttp and the planes it serves (the callbacks' argument). */
struct http_admin_listener {
	struct http_admin *h;
	unsigned planes; /* HTTP_PLANE_* */
};

struct http_admin {
	struct evhttp *http;       /* listen.http */
	struct evhttp *admin_http; /* listen.admin; NULL when not configured */
	struct evhttp
	    *status_http; /* listen.status; NULL when not configured */
	struct http_admin_listener lmain, ladmin, lstatus;
	const struct config *cfg;
	struct spool *sp;
	struct deliver *deliver;
	struct smtpd *smtpd;
	struct stats *stats;
	struct webhook_out *webhooks; /* or NULL */
	struct readiness *readiness;  /* or NULL */
	struct metrics_http httpc;    /* responses by handler and code */
	uint64_t started_ms;          /* monotonic, for the uptime */
	struct {
		void (*cb)(struct evhttp_request *, void *);
		void *arg;
	} routes[HTTP_ROUTE_COUNT];     /* registered by other modules */
	bool stopping;                  /* http_admin_stop_accepting */
	http_admin_session_fn *session; /* http_admin_set_session */
	void *session_arg;
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
	(void)arg;
	http_admin_json_send(req, 200, json_pack("{s:s}", "status", "ok"));
}

static void
http_admin_status(struct evhttp_request *req, void *arg)
{
	struct http_admin *h = arg;
	struct spool_counts c;
	json_t *queue, *root;
	int s;

	spool_counts_get(h->sp, &c);
	queue = json_object();
	for (s = 0; s < SPOOL_STATE_COUNT; s++)
		json_object_set_new(queue, spool_state_name(s),
		                    json_integer((json_int_t)c.state[s]));
	root = json_pack(
	    "{s:s,s:I,s:o,s:{s:I,s:I,s:b,s:b}}", "service", "swerved",
	    "uptime_seconds",
	    (json_int_t)((clock_mono_ms() - h->started_ms) / 1000), "queue",
	    queue, "spool", "commits", (json_int_t)c.commits,
	    "committed_messages", (json_int_t)c.committed_msgs, "accepting",
	    spool_space_check(h->sp) == SPOOL_OK, "damaged", c.damaged != 0);
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
	char why_spool[256];
	size_t i, n;

	if (h->stopping) {
		http_admin_json_send(req, 503,
		                     json_pack("{s:b,s:s}", "ready", 0,
		                               "reason", "shutting down"));
		return;
	}
	if (spool_health(h->sp, why_spool, sizeof(why_spool)) != SPOOL_OK) {
		buf_init(&why);
		buf_printf(&why, "spool damaged: %s", why_spool);
		http_admin_json_send(req, 503,
		                     json_pack("{s:b,s:s}", "ready", 0,
		                               "reason", buf_cstr(&why)));
		buf_fini(&why);
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
	ms->webhooks = h->webhooks;
	ms->readiness = h->readiness;
	ms->readiness_cap = (size_t)h->cfg->readiness_max_metrics;
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

	http_admin_snap_take(h, &sn);
	root = json_object();
	metrics_render_json(&sn.ms, root);
	http_admin_snap_free(&sn);
	http_admin_json_send(req, 200, root);
}

/* http_admin_method - evhttp's command as an HTTP_METHOD_* bit. */
static unsigned
http_admin_method(enum evhttp_cmd_type cmd)
{
	if (cmd == EVHTTP_REQ_GET)
		return HTTP_METHOD_GET;
	if (cmd == EVHTTP_REQ_POST)
		return HTTP_METHOD_POST;
	if (cmd == EVHTTP_REQ_DELETE)
		return HTTP_METHOD_DELETE;
	return HTTP_METHOD_OTHER;
}

/* http_admin_refuse - a 404 / 405 for a request that has no row. */
static void
http_admin_refuse(struct evhttp_request *req, int status, unsigned allow)
{
	struct evkeyvalq *oh = evhttp_request_get_output_headers(req);
	static const struct {
		unsigned bit;
		const char *name;
	} ms[] = {{HTTP_METHOD_GET, "GET"},
	          {HTTP_METHOD_POST, "POST"},
	          {HTTP_METHOD_DELETE, "DELETE"}};
	char names[32] = "", text[48] = "use";
	size_t i, n = 0;

	if (status == 404) {
		http_reply_error(req, 404, "not_found", "no such endpoint");
		return;
	}
	/* Allow: "GET", "GET, POST", ...; the text: "use GET or POST". */
	for (i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
		if (!(allow & ms[i].bit))
			continue;
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
		         "%s %s", n ? " or" : "", ms[i].name);
		n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s",
		                      n ? ", " : "", ms[i].name);
	}
	evhttp_add_header(oh, "Allow", names);
	http_reply_error(req, 405, "method_not_allowed", text);
}

/* http_admin_stop_refuse - during a graceful stop, answer what would
 * change something with 503; true if req was answered. */
static bool
http_admin_stop_refuse(struct evhttp_request *req)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);

	if (cmd == EVHTTP_REQ_GET || cmd == EVHTTP_REQ_HEAD)
		return false;
	evhttp_add_header(out, "Retry-After", HTTP_ADMIN_STOP_RETRY_AFTER);
	evhttp_add_header(out, "Connection", "close");
	http_reply_error(req, 503, "shutting_down",
	                 "the server is shutting down; retry later");
	return true;
}

/*
 * http_admin_session_check - a request the bearer check refused with 401:
 * 0 with who->admin set when the session hook vouches for it (admin
 * plane, an admin, tenant or metrics row, an admin key of role admin);
 * else 401, with *msg replaced by the hook's reason when it gave one.
 */
static int
http_admin_session_check(struct http_admin *h,
                         const struct http_admin_listener *l,
                         const struct http_access_rule *r,
                         struct evhttp_request *req,
                         struct http_access_who *who, const char **msg)
{
	const struct config_admin_key *k;
	const char *why = NULL;

	if (h->session == NULL || (l->planes & HTTP_PLANE_ADMIN) == 0 ||
	    (r->who != HTTP_WHO_ADMIN && r->who != HTTP_WHO_TENANT &&
	     r->who != HTTP_WHO_METRICS))
		return 401;
	k = h->session(req, h->session_arg, &why);
	if (k == NULL || k->role != CONFIG_ADMIN_ROLE_ADMIN) {
		if (why != NULL)
			*msg = why;
		return 401;
	}
	memset(who, 0, sizeof(*who));
	who->admin = k;
	return 0;
}

/*
 * http_admin_dispatch - every request on a listener: its row in the
 * access table (404 / 405 without one), the credential the row needs
 * (401 / 403), then the handler.
 */
static void
http_admin_dispatch(struct evhttp_request *req, void *arg)
{
	struct http_admin_listener *l = arg;
	struct http_admin *h = l->h;
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *path = u ? evhttp_uri_get_path(u) : NULL;
	const struct http_access_rule *r;
	struct http_access_who who;
	const char *code, *msg;
	unsigned allow;
	int status;

	if (path == NULL || path[0] == '\0')
		path = "/";
	r = http_access_find(path,
	                     http_admin_method(evhttp_request_get_command(req)),
	                     l->planes, &status, &allow);
	http_admin_track(h, req, r != NULL && r->route == HTTP_ROUTE_SEND);
	if (http_guard_check(req) < 0)
		return;
	if (h->stopping && http_admin_stop_refuse(req))
		return;
	if (r == NULL) {
		http_admin_refuse(req, status, allow);
		return;
	}
	status = http_access_decide(
	    h->cfg, r, l->planes,
	    evhttp_find_header(evhttp_request_get_input_headers(req),
	                       "Authorization"),
	    &who, &code, &msg);
	if (status == 401)
		status = http_admin_session_check(h, l, r, req, &who, &msg);
	if (status != 0) {
		if (status == 401)
			evhttp_add_header(
			    evhttp_request_get_output_headers(req),
			    "WWW-Authenticate", "Bearer");
		http_reply_error(req, status, code, msg);
		return;
	}
	switch (r->route) {
	case HTTP_ROUTE_HEALTHZ:
		http_admin_healthz(req, h);
		return;
	case HTTP_ROUTE_READYZ:
		http_admin_readyz(req, h);
		return;
	case HTTP_ROUTE_METRICS:
		http_admin_metrics(req, h);
		return;
	case HTTP_ROUTE_METRICS_JSON:
		http_admin_metrics_json(req, h);
		return;
	case HTTP_ROUTE_STATUS:
		http_admin_status(req, h);
		return;
	case HTTP_ROUTE_MSG_LIST:
		http_msg_list(req, h->sp, who.tenant);
		return;
	case HTTP_ROUTE_MSG_GET:
		http_msg_get(req, h->sp, path, who.tenant);
		return;
	case HTTP_ROUTE_MSG_CANCEL:
		http_msg_cancel(req, h->sp, path, who.tenant);
		return;
	case HTTP_ROUTE_SUPPRESS:
		http_suppress_handle(req, path, who.tenant);
		return;
	case HTTP_ROUTE_TEMPLATES:
		http_templates_handle(req, path, who.tenant);
		return;
	default:
		break;
	}
	if (h->routes[r->route].cb == NULL) {
		http_reply_error(req, 404, "not_found", "no such endpoint");
		return;
	}
	h->routes[r->route].cb(req, h->routes[r->route].arg);
}

/* http_admin_evhttp_new - an evhttp with our limits, dispatching to l. */
static struct evhttp *
http_admin_evhttp_new(struct event_base *base, struct http_admin_listener *l)
{
	struct evhttp *http = evhttp_new(base);

	if (http == NULL)
		return NULL;
	/* PATCH: Resend's PATCH /emails/{id} (a new send time). */
	evhttp_set_allowed_methods(
	    http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
	              EVHTTP_REQ_DELETE | EVHTTP_REQ_HEAD | EVHTTP_REQ_PATCH);
	evhttp_set_max_headers_size(http, 16384);
	evhttp_set_max_body_size(http, 1 << 20);
	evhttp_set_timeout(http, 30);
	evhttp_set_gencb(http, http_admin_dispatch, l);
	return http;
}

struct http_admin *
http_admin_new(struct event_base *base, const struct config *cfg,
               struct spool *sp, char *err, size_t errlen)
{
	struct http_admin *h = xcalloc(1, sizeof(*h));

	h->cfg = cfg;
	h->sp = sp;
	h->started_ms = clock_mono_ms();
	h->lmain.h = h;
	h->lmain.planes = http_access_planes(cfg, 0);
	h->ladmin.h = h;
	h->ladmin.planes = http_access_planes(cfg, 1);
	h->lstatus.h = h;
	h->lstatus.planes = HTTP_PLANE_STATUS;
	h->http = http_admin_evhttp_new(base, &h->lmain);
	if (h->http != NULL && cfg->n_listen_admin > 0 &&
	    (h->admin_http = http_admin_evhttp_new(base, &h->ladmin)) == NULL) {
		evhttp_free(h->http);
		h->http = NULL;
	}
	if (h->http != NULL && cfg->n_listen_status > 0 &&
	    (h->status_http = http_admin_evhttp_new(base, &h->lstatus)) ==
	        NULL) {
		if (h->admin_http != NULL)
			evhttp_free(h->admin_http);
		evhttp_free(h->http);
		h->http = NULL;
	}
	if (h->http == NULL) {
		snprintf(err, errlen, "http: evhttp_new failed");
		free(h);
		return NULL;
	}
	if (cfg->n_admin_keys == 0)
		log_warn("http: no admin_keys: status, queue, metrics and "
		         "provider control answer 401 (see docs/http-api.md)");
	return h;
}

int
http_admin_listen(struct http_admin *h, const struct config_addr *addr,
                  int admin, char *err, size_t errlen)
{
	struct evhttp *http = admin == 2 ? h->status_http
	                      : admin    ? h->admin_http
	                                 : h->http;
	const char *kind = admin == 2 ? "status" : admin ? "admin" : "http";

	if (http == NULL || evhttp_bind_socket_with_handle(
	                        http, addr->host, addr->port) == NULL) {
		snprintf(err, errlen, "%s: cannot listen on %s:%u: %s", kind,
		         addr->host, addr->port, strerror(errno));
		return -1;
	}
	log_info("swerved: listening %s %s:%u", kind, addr->host, addr->port);
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
http_admin_set_webhooks(struct http_admin *h, struct webhook_out *w)
{
	h->webhooks = w;
}

void
http_admin_set_readiness(struct http_admin *h, struct readiness *r)
{
	h->readiness = r;
}

struct webhook_out *
http_admin_webhooks(struct http_admin *h)
{
	return h->webhooks;
}

void
http_admin_route_set(struct http_admin *h, enum http_route route,
                     void (*cb)(struct evhttp_request *, void *), void *arg)
{
	if ((unsigned)route >= HTTP_ROUTE_COUNT)
		log_panic("http: no route %d", (int)route);
	h->routes[route].cb = cb;
	h->routes[route].arg = arg;
}

void
http_admin_set_session(struct http_admin *h, http_admin_session_fn *fn,
                       void *arg)
{
	h->session = fn;
	h->session_arg = arg;
}

void
http_admin_stop_accepting(struct http_admin *h)
{
	h->stopping = true;
}

struct evhttp *
http_admin_evhttp(struct http_admin *h)
{
	return h->http;
}

struct evhttp *
http_admin_admin_evhttp(struct http_admin *h)
{
	return h->admin_http;
}

struct evhttp *
http_admin_status_evhttp(struct http_admin *h)
{
	return h->status_http;
}

void
http_admin_free(struct http_admin *h)
{
	if (h == NULL)
		return;
	evhttp_free(h->http);
	if (h->admin_http != NULL)
		evhttp_free(h->admin_http);
	if (h->status_http != NULL)
		evhttp_free(h->status_http);
	free(h);
}
