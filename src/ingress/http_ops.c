/*
 * http_ops.c - operator endpoints (the admin plane): the providers' live
 * health, and pause / resume / drain without a restart.
 *
 *   GET  /v1/providers                     every provider's state
 *   POST /v1/providers/NAME/pause[?for=10m]
 *   POST /v1/providers/NAME/resume
 *   POST /v1/providers/NAME/drain[?for=10m]
 *   POST /v1/providers/NAME/account        poll its account now
 *   POST /v1/queue/ID/release              a deferred (e.g. held) message
 *                                          becomes due now
 *   POST /v1/reload                        re-read the configuration file
 *                                          (what SIGHUP does)
 *
 * Every one of them needs an admin key (the access table,
 * http_access.c, is checked before these handlers run); where the request
 * comes from grants nothing. Answers are JSON; errors {"error": {"code",
 * "message"}}.
 */
#include "ingress/http_ops.h"
#include "ingress/http_reply.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>

#include "cluster/cluster_fwd.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/id.h"
#include "core/xmalloc.h"
#include "deliver/deliver.h"
#include "ingress/http_admin.h"
#include "ingress/http_pending.h"
#include "observe/events.h"
#include "spool/spool.h"

struct http_ops {
	struct deliver *d;
	struct spool *sp;
	http_ops_reload_fn *reload; /* POST /v1/reload; NULL: 404 */
	void *reload_arg;
};

static void ops_emit(const char *action, const char *provider, uint64_t for_ms,
                     const char *msg_id);

/* A release waiting for the spool: the message's state, then the write. */
struct ops_release {
	struct http_ops *o;
	struct http_pending_watch w; /* the operator's request */
	char id[ID_SIZE];
};

/* ops_send - answer req with code and the JSON of obj (stolen). */
static void
ops_send(struct evhttp_request *req, int code, json_t *obj)
{
	http_reply_json(req, code, obj, 0);
}

/* ops_provider_json - one provider's live state. */
/* ops_account_more - the account poll's findings into a (what is told). */
static void
ops_account_more(json_t *a, const struct deliver_provider_info *pi)
{
	if (pi->account_state != NULL && pi->account_state[0] != '\0')
		json_object_set_new(a, "state", json_string(pi->account_state));
	json_object_set_new(a, "paused", json_boolean(pi->account_paused));
	if (pi->account_bounce_rate >= 0)
		json_object_set_new(a, "bounce_rate",
		                    json_real(pi->account_bounce_rate));
	if (pi->account_complaint_rate >= 0)
		json_object_set_new(a, "complaint_rate",
		                    json_real(pi->account_complaint_rate));
	if (pi->account_score >= 0)
		json_object_set_new(a, "reputation",
		                    json_real(pi->account_score));
	json_object_set_new(a, "in_flight",
	                    json_integer((json_int_t)pi->account_inflight));
	json_object_set_new(a, "polls",
	                    json_integer((json_int_t)pi->account_polls));
	json_object_set_new(a, "polled_at_ms",
	                    json_integer((json_int_t)pi->account_polled_ms));
	if (pi->account_error != NULL && pi->account_error[0] != '\0')
		json_object_set_new(a, "error", json_string(pi->account_error));
}

static json_t *
ops_provider_json(const struct deliver_provider_info *pi)
{
	json_t *o = json_pack(
	    "{s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:I,"
	    "s:f,s:f,s:I,s:I}",
	    "name", pi->name, "type", pi->type ? pi->type : "smtp", "state",
	    pi->mode, "reason", pi->reason ? pi->reason : "",
	    "cooldown_left_ms", (json_int_t)pi->cooldown_left_ms, "sent",
	    (json_int_t)pi->sent, "failed", (json_int_t)pi->failed, "picks",
	    (json_int_t)pi->picks, "keep_warm_picks",
	    (json_int_t)pi->warm_picks, "circuit_opens", (json_int_t)pi->opens,
	    "connections", (json_int_t)pi->connections, "busy",
	    (json_int_t)pi->busy, "waiting", (json_int_t)pi->waiting,
	    "success_ratio", pi->success_ratio, "latency_ewma_ms",
	    (json_int_t)pi->latency_ewma_ms, "health", pi->health, "ramp",
	    pi->ramp, "probes_ok", (json_int_t)pi->probes_ok, "probes_failed",
	    (json_int_t)pi->probes_failed);

	json_object_set_new(o, "connection_window",
	                    json_integer((json_int_t)pi->conc_window));
	json_object_set_new(o, "connection_window_cuts",
	                    json_integer((json_int_t)pi->conc_cuts));
	if (pi->limited)
		json_object_set_new(o, "rate",
		                    json_pack("{s:f,s:f}", "per_second",
		                              pi->rate, "tokens", pi->tokens));
	if (pi->quota_limit > 0)
		json_object_set_new(
		    o, "quota",
		    json_pack("{s:I,s:I}", "daily", (json_int_t)pi->quota_limit,
		              "left", (json_int_t)pi->quota_left));
	if (pi->status_page != NULL)
		json_object_set_new(o, "status_page",
		                    json_string(pi->status_page));
	if (pi->account_known) {
		json_t *a = json_pack("{s:s,s:b,s:s}", "enforcement",
		                      pi->account, "spill", pi->account_spill,
		                      "note", pi->account_why);
		if (pi->account_quota_max >= 0)
			json_object_set_new(a, "quota_24h",
			                    json_real(pi->account_quota_max));
		if (pi->account_quota_left >= 0)
			json_object_set_new(a, "quota_left",
			                    json_real(pi->account_quota_left));
		if (pi->account_quota_max >= 0 && pi->account_period != NULL)
			json_object_set_new(a, "quota_period",
			                    json_string(pi->account_period));
		ops_account_more(a, pi);
		json_object_set_new(o, "account", a);
	}
	json_object_set_new(o, "failovers_from",
	                    json_integer((json_int_t)pi->failovers_from));
	return o;
}

static void
ops_list(struct evhttp_request *req, struct http_ops *o)
{
	json_t *arr = json_array();
	size_t i, n = deliver_provider_count(o->d);

	for (i = 0; i < n; i++) {
		struct deliver_provider_info pi;
		deliver_provider_info(o->d, i, &pi);
		json_array_append_new(arr, ops_provider_json(&pi));
	}
	ops_send(req, 200, json_pack("{s:o}", "providers", arr));
}

/* ops_for - the for= query parameter in ms (0 if absent); -1 if bad. */
static int
ops_for(struct evhttp_request *req, uint64_t *ms)
{
	const char *uri = evhttp_request_get_uri(req), *qs = strchr(uri, '?');
	struct evkeyvalq q;
	const char *v;
	int rc = 0;

	*ms = 0;
	if (qs == NULL)
		return 0;
	TAILQ_INIT(&q);
	if (evhttp_parse_query_str(qs + 1, &q) != 0)
		return -1;
	v = evhttp_find_header(&q, "for");
	if (v != NULL && (config_parse_duration(v, ms) < 0 || *ms == 0))
		rc = -1;
	evhttp_clear_headers(&q);
	return rc;
}

static void
ops_handle(struct evhttp_request *req, void *arg)
{
	struct http_ops *o = arg;
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *path = u ? evhttp_uri_get_path(u) : "";
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	char name[80], verb[16], err[160];
	enum deliver_admin_action act;
	uint64_t ms;
	int n = 0;

	if (strcmp(path, "/v1/providers") == 0) {
		if (cmd != EVHTTP_REQ_GET) {
			http_reply_error(req, 405, "method_not_allowed",
			                 "use GET");
			return;
		}
		ops_list(req, o);
		return;
	}
	if (sscanf(path, "/v1/providers/%79[a-z0-9_-]/%15[a-z]%n", name, verb,
	           &n) != 2 ||
	    path[n] != '\0') {
		http_reply_error(
		    req, 404, "not_found",
		    "use /v1/providers/NAME/pause, resume, drain or account");
		return;
	}
	if (cmd != EVHTTP_REQ_POST) {
		http_reply_error(req, 405, "method_not_allowed", "use POST");
		return;
	}
	if (strcmp(verb, "account") == 0) {
		/* Poll the account now; the answer shows in GET
		 * /v1/providers (account.polls counts up). */
		n = deliver_account_refresh(o->d, name);
		if (n < 0) {
			http_reply_error(req, 404, "not_found",
			                 "no provider of that name");
			return;
		}
		ops_send(req, 200,
		         json_pack("{s:s,s:b,s:i}", "provider", name, "started",
		                   n > 0, "answers", n));
		return;
	}
	if (strcmp(verb, "pause") == 0)
		act = DELIVER_ADMIN_PAUSE;
	else if (strcmp(verb, "resume") == 0)
		act = DELIVER_ADMIN_RESUME;
	else if (strcmp(verb, "drain") == 0)
		act = DELIVER_ADMIN_DRAIN;
	else {
		http_reply_error(req, 404, "not_found",
		                 "the actions are pause, resume and drain");
		return;
	}
	if (ops_for(req, &ms) < 0) {
		http_reply_error(req, 400, "invalid_field",
		                 "for: expected a duration like \"10m\"");
		return;
	}
	if (deliver_provider_admin(o->d, name, act, ms, err, sizeof(err)) < 0) {
		http_reply_error(req, 404, "not_found", err);
		return;
	}
	ops_emit(verb, name, ms, NULL);
	{
		struct deliver_provider_info pi = {0};
		size_t i, cnt = deliver_provider_count(o->d);
		for (i = 0; i < cnt; i++) {
			deliver_provider_info(o->d, i, &pi);
			if (strcmp(pi.name, name) == 0)
				break;
		}
		ops_send(req, 200, ops_provider_json(&pi));
	}
}

/* ops_emit - EVENT_OPERATOR: an operator's action took effect; for_ms:
 * a pause's or drain's duration (0: until resumed), as duration_ms, so
 * that the cluster can apply it on every node. */
static void
ops_emit(const char *action, const char *provider, uint64_t for_ms,
         const char *msg_id)
{
	struct events_item e = {
	    .kind = EVENT_OPERATOR,
	    .reason = action,
	    .provider = provider,
	    .msg_id = msg_id,
	    .state = "admin_api",
	    .duration_ms = for_ms,
	};

	events_emit(&e);
}

static void
ops_on_released(int status, void *arg)
{
	struct ops_release *r = arg;
	struct evhttp_request *req = http_pending_watch_end(&r->w);

	if (status == SPOOL_OK)
		ops_emit("release", NULL, 0, r->id);
	if (req != NULL && status == SPOOL_OK)
		ops_send(req, 200,
		         json_pack("{s:s,s:s}", "id", r->id, "state", "ready"));
	else if (req != NULL)
		http_reply_error(req, 503, "spool_error",
		                 spool_status_name(status));
	free(r);
}

/* ops_release_fail - answer r's request (if its client is there) with an
 * error and free r. */
static void
ops_release_fail(struct ops_release *r, int code, const char *ecode,
                 const char *msg)
{
	struct evhttp_request *req = http_pending_watch_end(&r->w);

	if (req != NULL)
		http_reply_error(req, code, ecode, msg);
	free(r);
}

/* ops_on_release_get - only a deferred message may be released: one that
 * is inflight belongs to the scheduler, a finished one is finished. */
static void
ops_on_release_get(int status, struct spool_msg *m, void *arg)
{
	struct ops_release *r = arg;
	struct spool_outcome out;

	if (status == SPOOL_ERR_NOTFOUND) {
		/* Another node's message goes there (cluster_fwd.h). */
		struct evhttp_request *req = http_pending_watch_end(&r->w);

		if (req != NULL && !cluster_fwd_http(req, r->id))
			http_reply_error(req, 404, "not_found",
			                 "no such message");
		free(r);
		return;
	}
	if (status != SPOOL_OK) {
		ops_release_fail(
		    r, status == SPOOL_ERR_NOTFOUND ? 404 : 503,
		    status == SPOOL_ERR_NOTFOUND ? "not_found" : "spool_error",
		    status == SPOOL_ERR_NOTFOUND ? "no such message"
		                                 : spool_status_name(status));
		return;
	}
	if (m->state != SPOOL_STATE_DEFERRED) {
		char msg[96];
		snprintf(
		    msg, sizeof(msg),
		    "the message is %s; only a deferred one can be released",
		    spool_state_name(m->state));
		spool_msg_free(m);
		ops_release_fail(r, 409, "conflict", msg);
		return;
	}
	spool_msg_free(m);
	memset(&out, 0, sizeof(out));
	out.id = r->id;
	out.next_state = SPOOL_STATE_READY;
	out.next_attempt_at = clock_wall_ms(); /* stored: wall */
	out.last_error = "released by operator";
	if (spool_msg_outcome(r->o->sp, &out, ops_on_released, r) != 0)
		ops_release_fail(r, 503, "spool_error", "spool closing");
}

static void
ops_queue(struct evhttp_request *req, void *arg)
{
	struct http_ops *o = arg;
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *path = u ? evhttp_uri_get_path(u) : "";
	struct ops_release *r;
	char id[ID_SIZE];
	int n = 0;

	if (sscanf(path, "/v1/queue/%20[0-9A-Z]/release%n", id, &n) != 1 ||
	    path[n] != '\0' || !id_valid(id)) {
		http_reply_error(req, 404, "not_found",
		                 "use /v1/queue/ID/release");
		return;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		http_reply_error(req, 405, "method_not_allowed", "use POST");
		return;
	}
	r = xcalloc(1, sizeof(*r));
	r->o = o;
	http_pending_watch_start(&r->w, req);
	snprintf(r->id, sizeof(r->id), "%s", id);
	if (spool_msg_get(o->sp, id, 0, ops_on_release_get, r) != 0)
		ops_release_fail(r, 503, "spool_error", "spool closing");
}

/* ops_reload - POST /v1/reload: 200, or 409 with why it was refused. */
static void
ops_reload(struct evhttp_request *req, void *arg)
{
	struct http_ops *o = arg;
	char err[512];

	if (o->reload == NULL) {
		http_reply_error(req, 404, "not_found", "no reload here");
		return;
	}
	err[0] = '\0';
	if (o->reload(o->reload_arg, err, sizeof(err)) != 0) {
		http_reply_error(req, 409, "reload_refused", err);
		return;
	}
	ops_send(req, 200, json_pack("{s:b}", "reloaded", 1));
}

void
http_ops_set_reload(struct http_ops *o, http_ops_reload_fn *fn, void *arg)
{
	o->reload = fn;
	o->reload_arg = arg;
}

struct http_ops *
http_ops_new(struct http_admin *h, struct deliver *d, struct spool *sp)
{
	struct http_ops *o = xcalloc(1, sizeof(*o));

	o->d = d;
	o->sp = sp;
	http_admin_route_set(h, HTTP_ROUTE_PROVIDERS, ops_handle, o);
	http_admin_route_set(h, HTTP_ROUTE_QUEUE, ops_queue, o);
	http_admin_route_set(h, HTTP_ROUTE_RELOAD, ops_reload, o);
	return o;
}

void
http_ops_free(struct http_ops *o)
{
	free(o);
}
