/*
 * dash.c - the operator dashboard's HTTP handlers, its sessions, and the
 * listener and timer that keep the last hour's samples (see dash.h).
 */
#include "dash/dash.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "config/config.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "dash/dash_assets.h"
#include "dash/dash_chart.h"
#include "dash/dash_cookie.h"
#include "dash/dash_html.h"
#include "dash/dash_incidents.h"
#include "dash/dash_page.h"
#include "dash/dash_ring.h"
#include "dash/dash_session.h"
#include "deliver/deliver.h"
#include "ingress/api_auth.h"
#include "ingress/auth_throttle.h"
#include "ingress/http_admin.h"
#include "mime/form.h"
#include "observe/events.h"
#include "observe/stats.h"
#include "route/reputation.h"

#define DASH_COOKIE "swerve_session"
#define DASH_CSRF_HEADER "X-CSRF-Token"
#define DASH_BODY_MAX 16384
/* Samples in "the last 5 minutes". */
#define DASH_RECENT (5 * 60 * 1000 / DASH_RING_STEP_MS)
#define DASH_CHART_SERIES 8

struct dash {
	struct event_base *base;
	struct http_admin *h;
	const struct config *cfg;
	struct deliver *d;
	struct stats *st;
	struct incidents *in;
	struct dash_scopes *scopes; /* their live scope, when in is set */
	struct dash_sessions *sessions;
	struct dash_ring *ring;
	struct auth_throttle *throttle;
	struct event *timer;
};

/* --- answers --------------------------------------------------------- */

/* dash_headers - what every dashboard answer carries. */
static void
dash_headers(struct evhttp_request *req, const char *ctype)
{
	struct evkeyvalq *oh = evhttp_request_get_output_headers(req);

	evhttp_add_header(oh, "Content-Type", ctype);
	evhttp_add_header(oh, "Cache-Control", "no-store");
	evhttp_add_header(oh, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(oh, "X-Frame-Options", "DENY");
	evhttp_add_header(oh, "Referrer-Policy", "same-origin");
	evhttp_add_header(oh, "Content-Security-Policy",
	                  "default-src 'none'; script-src 'self'; "
	                  "style-src 'self'; img-src 'self' data:; "
	                  "connect-src 'self'; form-action 'self'; "
	                  "frame-ancestors 'none'; base-uri 'none'");
}

/* dash_send - answer req with code and out's bytes as ctype. */
static void
dash_send(struct evhttp_request *req, int code, const char *ctype,
          const char *body, size_t len)
{
	struct evbuffer *b = evbuffer_new();

	dash_headers(req, ctype);
	evbuffer_add(b, body, len);
	evhttp_send_reply(req, code, NULL, b);
	evbuffer_free(b);
}

/* dash_send_html - answer with the HTML in out (freed). */
static void
dash_send_html(struct evhttp_request *req, int code, struct buf *out)
{
	dash_send(req, code, "text/html; charset=utf-8", out->p ? out->p : "",
	          out->len);
	buf_fini(out);
}

/* dash_redirect - 303 to location. */
static void
dash_redirect(struct evhttp_request *req, const char *location)
{
	evhttp_add_header(evhttp_request_get_output_headers(req), "Location",
	                  location);
	dash_send(req, 303, "text/plain; charset=utf-8", "", 0);
}

/* dash_refuse - a plain refusal page: code and why. */
static void
dash_refuse(struct evhttp_request *req, int code, const char *why)
{
	struct buf out;

	buf_init(&out);
	buf_addstr(&out,
	           "<!doctype html>\n<html lang=\"en\"><head>"
	           "<meta charset=\"utf-8\"><title>refused</title>"
	           "<link rel=\"icon\" href=\"/dashboard/assets/icon.svg\">"
	           "</head><body><p id=\"refused\">");
	dash_html_esc(&out, why);
	buf_addstr(&out, "</p><p><a href=\"/dashboard\">back to the dashboard"
	                 "</a></p></body></html>\n");
	dash_send_html(req, code, &out);
}

/* --- who is asking ----------------------------------------------------- */

/* dash_is_tls - did req come over TLS? */
static int
dash_is_tls(struct evhttp_request *req)
{
	struct evhttp_connection *c = evhttp_request_get_connection(req);
	struct bufferevent *bev =
	    c ? evhttp_connection_get_bufferevent(c) : NULL;

	return bev != NULL && bufferevent_openssl_get_ssl(bev) != NULL;
}

/* dash_peer - req's peer address ("?" when unknown). */
static const char *
dash_peer(struct evhttp_request *req)
{
	struct evhttp_connection *c = evhttp_request_get_connection(req);
	char *peer = NULL;
	ev_uint16_t port = 0;

	if (c != NULL)
		evhttp_connection_get_peer(c, &peer, &port);
	return peer != NULL ? peer : "?";
}

/* dash_session_of - req's live session from its cookie, or NULL. */
static const struct dash_session *
dash_session_of(struct dash *ds, struct evhttp_request *req)
{
	char id[DASH_TOKEN_SIZE];
	const char *cookie =
	    evhttp_find_header(evhttp_request_get_input_headers(req), "Cookie");

	if (dash_cookie_get(cookie, DASH_COOKIE, id, sizeof(id)) != 0)
		return NULL;
	return dash_session_find(ds->sessions, id, (int64_t)clock_mono_ms());
}

/* dash_admin_key - the admin key called name with role admin, or NULL. */
static const struct config_admin_key *
dash_admin_key(const struct config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->n_admin_keys; i++)
		if (strcmp(cfg->admin_keys[i].name, name) == 0 &&
		    cfg->admin_keys[i].role == CONFIG_ADMIN_ROLE_ADMIN)
			return &cfg->admin_keys[i];
	return NULL;
}

const struct config_admin_key *
dash_session_admin(struct evhttp_request *req, void *arg, const char **why)
{
	struct dash *ds = arg;
	const struct dash_session *s = dash_session_of(ds, req);
	const char *token;

	*why = NULL;
	if (s == NULL)
		return NULL;
	token = evhttp_find_header(evhttp_request_get_input_headers(req),
	                           DASH_CSRF_HEADER);
	if (!dash_session_csrf_ok(s, token)) {
		*why = "a dashboard session cookie alone authenticates nothing "
		       "on the API: send the session's CSRF token in "
		       "X-CSRF-Token, or an admin key (Authorization: Bearer)";
		return NULL;
	}
	return dash_admin_key(ds->cfg, s->who);
}

/*
 * dash_origin_ok - a browser's Origin header, when it sent one, must be
 * this server (the scheme the request came over and its Host).
 */
static int
dash_origin_ok(struct evhttp_request *req)
{
	struct evkeyvalq *ih = evhttp_request_get_input_headers(req);
	const char *origin = evhttp_find_header(ih, "Origin");
	const char *host = evhttp_find_header(ih, "Host");
	char want[300];

	if (origin == NULL)
		return 1;
	if (host == NULL)
		return 0;
	snprintf(want, sizeof(want), "%s://%s",
	         dash_is_tls(req) ? "https" : "http", host);
	return strcmp(origin, want) == 0;
}

/* A form body, parsed (fields are views into body). */
struct dash_form {
	char *body;
	struct form f;
};

/* dash_form_read - req's body as an urlencoded form: 0, or -1 with the
 * request answered. */
static int
dash_form_read(struct evhttp_request *req, struct dash_form *df)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	const char *ct = evhttp_find_header(
	    evhttp_request_get_input_headers(req), "Content-Type");
	size_t len = evbuffer_get_length(in);
	const char *why;

	form_init(&df->f);
	df->body = NULL;
	if (len > DASH_BODY_MAX) {
		dash_refuse(req, 413, "the form is too large");
		return -1;
	}
	if (len > 0 &&
	    (ct == NULL ||
	     strncmp(ct, "application/x-www-form-urlencoded", 33) != 0)) {
		dash_refuse(req, 415,
		            "expected an HTML form "
		            "(application/x-www-form-urlencoded)");
		return -1;
	}
	df->body = xmalloc(len + 1);
	evbuffer_copyout(in, df->body, len);
	df->body[len] = '\0';
	if (form_urlencoded_parse(df->body, len, &df->f, &why) != 0) {
		dash_refuse(req, 400, why);
		form_fini(&df->f);
		free(df->body);
		df->body = NULL;
		return -1;
	}
	return 0;
}

static void
dash_form_free(struct dash_form *df)
{
	form_fini(&df->f);
	free(df->body);
}

/* dash_form_value - field name's value as a new C string, or NULL. */
static char *
dash_form_value(const struct dash_form *df, const char *name)
{
	const struct form_field *f = form_field_get(&df->f, name);

	return f != NULL ? str_dup(f->value) : NULL;
}

/*
 * dash_post_session - a POST's session, CSRF token (form field or
 * header) and Origin checked: the session, or NULL with req answered
 * (403, nothing done).
 */
static const struct dash_session *
dash_post_session(struct dash *ds, struct evhttp_request *req,
                  const struct dash_form *df)
{
	const struct dash_session *s = dash_session_of(ds, req);
	const char *hdr = evhttp_find_header(
	    evhttp_request_get_input_headers(req), DASH_CSRF_HEADER);
	char *field = dash_form_value(df, "csrf");
	int ok;

	if (s == NULL) {
		free(field);
		dash_refuse(req, 403,
		            "not signed in (or the session expired): sign in "
		            "again");
		return NULL;
	}
	ok = dash_session_csrf_ok(s, field != NULL ? field : hdr);
	free(field);
	if (!ok) {
		log_warn("dashboard: POST %s without the session's CSRF token "
		         "from %s: refused",
		         evhttp_request_get_uri(req), dash_peer(req));
		dash_refuse(req, 403,
		            "refused: the request lacks this session's CSRF "
		            "token");
		return NULL;
	}
	if (!dash_origin_ok(req)) {
		log_warn("dashboard: POST %s from another origin (%s): refused",
		         evhttp_request_get_uri(req), dash_peer(req));
		dash_refuse(req, 403,
		            "refused: the request came from another "
		            "origin");
		return NULL;
	}
	return s;
}

/* dash_post_checked - dash_post_session for a POST whose form has
 * nothing else the handler needs. */
static const struct dash_session *
dash_post_checked(struct dash *ds, struct evhttp_request *req)
{
	const struct dash_session *s;
	struct dash_form df;

	if (dash_form_read(req, &df) != 0)
		return NULL;
	s = dash_post_session(ds, req, &df);
	dash_form_free(&df);
	return s;
}

/* --- sign in, sign out ------------------------------------------------- */

/* dash_cookie_set - Set-Cookie for id (NULL: clear it). */
static void
dash_cookie_set(struct dash *ds, struct evhttp_request *req, const char *id)
{
	char v[256];

	snprintf(v, sizeof(v),
	         DASH_COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict; "
	                     "Max-Age=%llu%s",
	         id ? id : "",
	         id ? (unsigned long long)(ds->cfg->dashboard_session_ms / 1000)
	            : 0ULL,
	         dash_is_tls(req) ? "; Secure" : "");
	evhttp_add_header(evhttp_request_get_output_headers(req), "Set-Cookie",
	                  v);
}

static void
dash_login_page(struct evhttp_request *req, int code, const char *error)
{
	struct buf out;

	buf_init(&out);
	dash_page_login(&out, error);
	dash_send_html(req, code, &out);
}

static void
dash_login(struct dash *ds, struct evhttp_request *req)
{
	const char *ip = dash_peer(req);
	const struct config_admin_key *k;
	const struct dash_session *s;
	struct dash_form df;
	uint64_t now = clock_mono_ms(), wait;
	char *key, msg[128];

	wait = auth_throttle_wait(ds->throttle, ip, NULL, now);
	if (wait > 0) {
		snprintf(
		    msg, sizeof(msg),
		    "Too many failed sign-ins from here: try again in %llu "
		    "s.",
		    (unsigned long long)((wait + 999) / 1000));
		evhttp_add_header(evhttp_request_get_output_headers(req),
		                  "Retry-After", "5");
		dash_login_page(req, 429, msg);
		return;
	}
	if (dash_form_read(req, &df) != 0)
		return;
	key = dash_form_value(&df, "key");
	k = key != NULL && key[0] != '\0'
	        ? api_auth_admin_find(ds->cfg, str_from(key))
	        : NULL;
	if (key != NULL) {
		explicit_bzero(key, strlen(key));
		free(key);
	}
	/* The body held the key too. */
	if (df.body != NULL)
		explicit_bzero(
		    df.body,
		    evbuffer_get_length(evhttp_request_get_input_buffer(req)));
	dash_form_free(&df);
	if (k == NULL || k->role != CONFIG_ADMIN_ROLE_ADMIN) {
		auth_throttle_failed(ds->throttle, ip, NULL, now);
		log_warn("dashboard: failed sign-in from %s", ip);
		dash_login_page(req, 401,
		                k == NULL
		                    ? "That is not an admin key."
		                    : "That key may read metrics only; "
		                      "the dashboard needs an admin key.");
		return;
	}
	auth_throttle_passed(ds->throttle, ip, NULL);
	s = dash_session_create(ds->sessions, k->name, (int64_t)now);
	if (s == NULL) {
		dash_login_page(req, 503,
		                "No session could be made (no "
		                "random numbers); try again.");
		return;
	}
	log_info("dashboard: %s signed in from %s", k->name, ip);
	dash_cookie_set(ds, req, s->id);
	dash_redirect(req, "/dashboard");
}

static void
dash_logout(struct dash *ds, struct evhttp_request *req)
{
	const struct dash_session *s;

	s = dash_post_checked(ds, req);
	if (s == NULL)
		return;
	log_info("dashboard: %s signed out", s->who);
	dash_session_end(ds->sessions, s->id);
	dash_cookie_set(ds, req, NULL);
	dash_redirect(req, "/dashboard/login");
}

/* --- the page ---------------------------------------------------------- */

/* dash_stream_index - cfg's index of stream name (NULL: transactional);
 * n_streams when unknown. */
static size_t
dash_stream_index(const struct config *cfg, const char *name)
{
	size_t i;

	if (name == NULL || name[0] == '\0')
		name = "transactional";
	for (i = 0; i < cfg->n_streams; i++)
		if (strcmp(cfg->streams[i].name, name) == 0)
			break;
	return i;
}

static void
dash_providers(struct dash *ds, struct buf *out, const char *csrf)
{
	size_t i, n = deliver_provider_count(ds->d);
	struct dash_view_provider *v = xcalloc(n ? n : 1, sizeof(*v));
	const struct reputation *rep = deliver_reputation(ds->d);
	int64_t now = clock_wall_ms();

	for (i = 0; i < n; i++) {
		struct deliver_provider_info pi;
		struct stats_provider_view pv = {0};
		struct reputation_counts c = {{0}};

		deliver_provider_info(ds->d, i, &pi);
		if (ds->st != NULL)
			stats_provider_view(ds->st, i, &pv);
		v[i].name = pi.name;
		v[i].type = pi.type ? pi.type : "smtp";
		v[i].mode = pi.mode;
		v[i].reason = pi.reason;
		v[i].share = pv.share_5m;
		v[i].success = pi.success_ratio;
		v[i].latency_ms = pi.latency_ewma_ms;
		v[i].sent = pi.sent;
		v[i].failed = pi.failed;
		if (rep != NULL &&
		    reputation_get(rep, now, REPUTATION_PROVIDER, pi.name, NULL,
		                   REPUTATION_24H, &c) == 0) {
			v[i].has_feedback = c.n[REPUTATION_DELIVERED] +
			                        c.n[REPUTATION_HARD_BOUNCE] +
			                        c.n[REPUTATION_SOFT_BOUNCE] +
			                        c.n[REPUTATION_COMPLAINT] >
			                    0;
			v[i].bounce =
			    reputation_ratio(&c, REPUTATION_HARD_BOUNCE);
			v[i].complaint =
			    reputation_ratio(&c, REPUTATION_COMPLAINT);
		}
	}
	dash_page_providers(out, v, n, csrf);
	free(v);
}

static void
dash_streams(struct dash *ds, struct buf *out)
{
	size_t i, n = ds->cfg->n_streams;
	struct dash_view_stream *v = xcalloc(n ? n : 1, sizeof(*v));

	for (i = 0; i < n; i++) {
		uint64_t sent = 0, lat = 0;

		v[i].name = ds->cfg->streams[i].name;
		if (ds->st != NULL)
			stats_stream_queue(ds->st, i, &v[i].queued,
			                   &v[i].oldest_age_ms);
		dash_ring_sum(ds->ring, DASH_RECENT, SIZE_MAX, i, NULL, NULL,
		              NULL, &sent, &lat);
		v[i].sent_5m = sent;
		v[i].latency_ms = sent > 0 ? (int64_t)(lat / sent) : -1;
	}
	dash_page_streams(out, v, n);
	free(v);
}

/* What one chart plots from a sample: series k of sample s. */
typedef double dash_pick_fn(const struct dash_sample *s, size_t k);

static double
dash_pick_ok(const struct dash_sample *s, size_t k)
{
	return (double)s->ok[k];
}

static double
dash_pick_failed(const struct dash_sample *s, size_t k)
{
	return (double)s->failed[k];
}

static double
dash_pick_queued(const struct dash_sample *s, size_t k)
{
	return (double)s->queued[k];
}

static double
dash_pick_latency(const struct dash_sample *s, size_t k)
{
	return s->sent[k] ? (double)s->lat_ms[k] / (double)s->sent[k] / 1000.0
	                  : 0.0;
}

/* dash_chart - one chart of ns series named by names, from the ring. */
static void
dash_chart(struct dash *ds, struct buf *out, const char *id, const char *title,
           const char *unit, const char *const *names, size_t ns,
           dash_pick_fn *pick)
{
	size_t n = dash_ring_len(ds->ring), i, k;
	struct dash_series series[DASH_CHART_SERIES];
	double *vals;
	struct dash_sample s;

	if (ns > DASH_CHART_SERIES)
		ns = DASH_CHART_SERIES;
	vals = xcalloc(ns * n + 1, sizeof(*vals));
	for (i = 0; i < n; i++) {
		if (dash_ring_at(ds->ring, i, &s) != 0)
			break;
		for (k = 0; k < ns; k++)
			vals[k * n + i] = pick(&s, k);
	}
	for (k = 0; k < ns; k++) {
		series[k].name = names[k];
		series[k].v = vals + k * n;
	}
	dash_chart_svg(out, id, title, unit, series, ns, n, DASH_RING_SLOTS,
	               "60 min");
	free(vals);
}

static void
dash_charts(struct dash *ds, struct buf *out)
{
	size_t i, np = ds->cfg->n_providers, ns = ds->cfg->n_streams;
	const char **pn = xcalloc(np + 1, sizeof(*pn));
	const char **sn = xcalloc(ns + 1, sizeof(*sn));

	for (i = 0; i < np; i++)
		pn[i] = ds->cfg->providers[i].name;
	for (i = 0; i < ns; i++)
		sn[i] = ds->cfg->streams[i].name;
	buf_addstr(out, "<section id=\"charts\"><h2>Last hour</h2>"
	                "<div class=\"charts\">");
	dash_chart(ds, out, "chart-accepted", "Accepted by provider",
	           "per 10 s", pn, np, dash_pick_ok);
	dash_chart(ds, out, "chart-failed", "Failed attempts by provider",
	           "per 10 s", pn, np, dash_pick_failed);
	dash_chart(ds, out, "chart-queue", "Queued by stream", "messages", sn,
	           ns, dash_pick_queued);
	dash_chart(ds, out, "chart-latency", "Delivery latency by stream",
	           "seconds, mean", sn, ns, dash_pick_latency);
	buf_addstr(out, "</div></section>\n");
	free(pn);
	free(sn);
}

/* dash_live_part - what GET /dashboard/live answers, and the page's
 * middle. */
static void
dash_live_part(struct dash *ds, struct buf *out, const struct dash_session *s)
{
	dash_providers(ds, out, s->csrf);
	if (ds->in != NULL)
		dash_incidents_render(out, ds->in, ds->scopes, s->csrf);
	dash_streams(ds, out);
	dash_charts(ds, out);
}

/* dash_flash - the notice for ?done=VERB&provider=NAME (or &id=). */
static void
dash_flash(struct evhttp_request *req, struct buf *out)
{
	const char *uri = evhttp_request_get_uri(req), *qs = strchr(uri, '?');
	struct evkeyvalq q;
	const char *done, *what;
	struct buf text;

	if (qs == NULL)
		return;
	TAILQ_INIT(&q);
	if (evhttp_parse_query_str(qs + 1, &q) != 0) {
		evhttp_clear_headers(&q);
		return;
	}
	done = evhttp_find_header(&q, "done");
	what = evhttp_find_header(&q, "provider");
	if (what == NULL)
		what = evhttp_find_header(&q, "incident");
	buf_init(&text);
	if (done != NULL && what != NULL &&
	    (strcmp(done, "pause") == 0 || strcmp(done, "drain") == 0 ||
	     strcmp(done, "resume") == 0))
		buf_printf(&text, "%s: %s.", what,
		           strcmp(done, "pause") == 0   ? "paused"
		           : strcmp(done, "drain") == 0 ? "draining"
		                                        : "resumed");
	else if (done != NULL && what != NULL && strcmp(done, "note") == 0)
		buf_printf(&text, "Note added to %s.", what);
	if (text.len > 0)
		dash_page_flash(out, buf_cstr(&text), 0);
	buf_fini(&text);
	evhttp_clear_headers(&q);
}

static void
dash_page(struct dash *ds, struct evhttp_request *req)
{
	const struct dash_session *s = dash_session_of(ds, req);
	struct buf out;

	if (s == NULL) {
		dash_redirect(req, "/dashboard/login");
		return;
	}
	buf_init(&out);
	buf_reserve(&out, 64 * 1024);
	dash_page_head(&out, s->who, s->csrf);
	dash_flash(req, &out);
	dash_live_part(ds, &out, s);
	buf_addstr(&out, "<footer>swerved: the figures of this process since "
	                 "it started; charts sample every 10 s.</footer>");
	dash_page_tail(&out);
	dash_send_html(req, 200, &out);
}

static void
dash_live(struct dash *ds, struct evhttp_request *req)
{
	const struct dash_session *s = dash_session_of(ds, req);
	const char *token = evhttp_find_header(
	    evhttp_request_get_input_headers(req), DASH_CSRF_HEADER);
	struct buf out;

	if (s == NULL) {
		dash_refuse(req, 401, "not signed in");
		return;
	}
	if (!dash_session_csrf_ok(s, token)) {
		dash_refuse(req, 403,
		            "refused: the request lacks this "
		            "session's CSRF token");
		return;
	}
	buf_init(&out);
	dash_live_part(ds, &out, s);
	dash_send_html(req, 200, &out);
}

/* --- actions ----------------------------------------------------------- */

/* dash_operator_emit - EVENT_OPERATOR for an action taken here. */
static void
dash_operator_emit(const char *action, const char *provider, const char *who)
{
	struct events_item e = {
	    .kind = EVENT_OPERATOR,
	    .reason = action,
	    .provider = provider,
	    .state = who,
	    .text = "from the dashboard",
	};

	events_emit(&e);
}

static void
dash_provider_action(struct dash *ds, struct evhttp_request *req,
                     const char *path)
{
	char name[80], verb[16], err[160], loc[160];
	const struct dash_session *s;
	enum deliver_admin_action act;
	int n = 0;

	if (sscanf(path, "/dashboard/providers/%79[a-z0-9_-]/%15[a-z]%n", name,
	           verb, &n) != 2 ||
	    path[n] != '\0') {
		dash_refuse(req, 404, "no such page");
		return;
	}
	if (strcmp(verb, "pause") == 0)
		act = DELIVER_ADMIN_PAUSE;
	else if (strcmp(verb, "drain") == 0)
		act = DELIVER_ADMIN_DRAIN;
	else if (strcmp(verb, "resume") == 0)
		act = DELIVER_ADMIN_RESUME;
	else {
		dash_refuse(req, 404,
		            "the actions are pause, drain and resume");
		return;
	}
	s = dash_post_checked(ds, req);
	if (s == NULL)
		return;
	if (deliver_provider_admin(ds->d, name, act, 0, err, sizeof(err)) < 0) {
		dash_refuse(req, 404, err);
		return;
	}
	log_info("dashboard: %s: %s by %s", name, verb, s->who);
	dash_operator_emit(verb, name, s->who);
	snprintf(loc, sizeof(loc), "/dashboard?done=%s&provider=%s", verb,
	         name);
	dash_redirect(req, loc);
}

static void
dash_incident_note(struct dash *ds, struct evhttp_request *req,
                   const char *path)
{
	char id[80], loc[160];
	const struct dash_session *s;
	struct dash_form df;
	char *text, *pub;
	int n = 0, rc;

	if (sscanf(path, "/dashboard/incidents/%79[a-zA-Z0-9_-]/notes%n", id,
	           &n) != 1 ||
	    path[n] != '\0' || ds->in == NULL) {
		dash_refuse(req, 404, "no such page");
		return;
	}
	if (dash_form_read(req, &df) != 0)
		return;
	s = dash_post_session(ds, req, &df);
	if (s == NULL) {
		dash_form_free(&df);
		return;
	}
	text = dash_form_value(&df, "text");
	pub = dash_form_value(&df, "public");
	dash_form_free(&df);
	rc = dash_incidents_note(ds->in, id, s->who, text,
	                         pub != NULL && strcmp(pub, "1") == 0);
	free(pub);
	free(text);
	if (rc != 0) {
		dash_refuse(req, rc == -2 ? 400 : 404,
		            rc == -2 ? "a note needs some text"
		                     : "no such incident");
		return;
	}
	log_info("dashboard: note on %s by %s", id, s->who);
	snprintf(loc, sizeof(loc), "/dashboard?done=note&incident=%s", id);
	dash_redirect(req, loc);
}

/* --- dispatch ---------------------------------------------------------- */

static void
dash_asset(struct evhttp_request *req, const char *name)
{
	const struct dash_asset *a = dash_asset_find(name);

	if (a == NULL) {
		dash_refuse(req, 404, "no such file");
		return;
	}
	dash_send(req, 200, a->ctype, a->body, a->len);
}

static void
dash_handle(struct evhttp_request *req, void *arg)
{
	struct dash *ds = arg;
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *path = u ? evhttp_uri_get_path(u) : "";
	int post = evhttp_request_get_command(req) == EVHTTP_REQ_POST;

	if (path == NULL)
		path = "";
	if (strncmp(path, "/dashboard/assets/", 18) == 0 && !post) {
		dash_asset(req, path + 18);
		return;
	}
	if (strcmp(path, "/dashboard/login") == 0) {
		if (post)
			dash_login(ds, req);
		else if (dash_session_of(ds, req) != NULL)
			dash_redirect(req, "/dashboard");
		else
			dash_login_page(req, 200, NULL);
		return;
	}
	if (!post && (strcmp(path, "/dashboard") == 0 ||
	              strcmp(path, "/dashboard/") == 0)) {
		dash_page(ds, req);
		return;
	}
	if (!post && strcmp(path, "/dashboard/live") == 0) {
		dash_live(ds, req);
		return;
	}
	if (post && strcmp(path, "/dashboard/logout") == 0) {
		dash_logout(ds, req);
		return;
	}
	if (post && strncmp(path, "/dashboard/providers/", 21) == 0) {
		dash_provider_action(ds, req, path);
		return;
	}
	if (post && strncmp(path, "/dashboard/incidents/", 21) == 0) {
		dash_incident_note(ds, req, path);
		return;
	}
	dash_refuse(req, 404, "no such page");
}

/* --- live figures -------------------------------------------------------- */

static void
dash_on_event(const struct events_item *e, void *arg)
{
	struct dash *ds = arg;
	size_t i;

	if (e->kind == EVENT_ATTEMPT && e->provider != NULL) {
		for (i = 0; i < ds->cfg->n_providers; i++)
			if (strcmp(ds->cfg->providers[i].name, e->provider) ==
			    0)
				break;
		dash_ring_attempt(ds->ring, i, e->cls == SEND_ACCEPTED,
		                  e->duration_ms);
	} else if (e->kind == EVENT_SENT) {
		dash_ring_sent(ds->ring, dash_stream_index(ds->cfg, e->stream),
		               e->latency_ms);
	}
}

static void
dash_on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct dash *ds = arg;
	size_t i, n = ds->cfg->n_streams;
	uint64_t *queued = xcalloc(n + 1, sizeof(*queued)), age;

	(void)fd;
	(void)what;
	for (i = 0; i < n; i++)
		if (ds->st != NULL)
			stats_stream_queue(ds->st, i, &queued[i], &age);
	dash_ring_tick(ds->ring, clock_wall_ms(), queued);
	free(queued);
	if (ds->scopes != NULL)
		dash_scopes_refresh(ds->scopes, clock_wall_ms());
}

struct dash *
dash_new(struct event_base *base, struct http_admin *h,
         const struct config *cfg, struct deliver *d, struct stats *st)
{
	struct timeval tv = {DASH_RING_STEP_MS / 1000, 0};
	struct dash *ds;

	if (!cfg->dashboard_enabled)
		return NULL;
	ds = xcalloc(1, sizeof(*ds));
	ds->base = base;
	ds->h = h;
	ds->cfg = cfg;
	ds->d = d;
	ds->st = st;
	ds->sessions = dash_sessions_new(cfg->dashboard_max_sessions,
	                                 (int64_t)cfg->dashboard_session_ms);
	ds->ring = dash_ring_new(cfg->n_providers, cfg->n_streams);
	ds->throttle = auth_throttle_new();
	if (events_subscribe(dash_on_event, ds) != 0) {
		log_warn("dashboard: the event bus is full: no dashboard");
		dash_ring_free(ds->ring);
		dash_sessions_free(ds->sessions);
		auth_throttle_free(ds->throttle);
		free(ds);
		return NULL;
	}
	ds->timer = event_new(base, -1, EV_PERSIST, dash_on_tick, ds);
	event_add(ds->timer, &tv);
	http_admin_route_set(h, HTTP_ROUTE_DASHBOARD, dash_handle, ds);
	http_admin_set_session(h, dash_session_admin, ds);
	return ds;
}

void
dash_set_incidents(struct dash *ds, struct incidents *in)
{
	if (ds == NULL)
		return;
	ds->in = in;
	dash_scopes_free(ds->scopes);
	ds->scopes = in != NULL ? dash_scopes_new(in) : NULL;
}

void
dash_free(struct dash *ds)
{
	if (ds == NULL)
		return;
	events_unsubscribe(dash_on_event, ds);
	if (ds->timer != NULL)
		event_free(ds->timer);
	dash_scopes_free(ds->scopes);
	dash_sessions_free(ds->sessions);
	dash_ring_free(ds->ring);
	auth_throttle_free(ds->throttle);
	free(ds);
}
