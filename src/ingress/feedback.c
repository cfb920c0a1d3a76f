/*
 * feedback.c - provider delivery events in: the table of sources, and
 * the route that verifies, parses and stores (see feedback.h).
 *
 * Each source type is one row: a struct feedback_source_ops defined in
 * ingress/feedback_<type>.c beside its pure verifier and parser. A
 * configured provider whose type has no row here, or whose row has no
 * verifier yet, is answered 501 "not_implemented": nothing unverified is
 * ever parsed or stored.
 *
 * The route copies what a verifier sees (headers, body, peer) so that an
 * asynchronous verification may outlive evhttp's request; the client's
 * leaving is watched (http_pending_watch) and only means no answer is
 * sent. The events are answered 200 only from the spool's callback,
 * after their commit; then each new one is published (EVENT_FEEDBACK).
 * XXX: evhttp (2.1) reads a body up to the listener's own cap before any
 * callback runs, so events.max_body is enforced on the read body (413,
 * never verified or parsed), not on the wire.
 */
#include "ingress/feedback.h"
#include "ingress/feedback_replay.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include "cluster/cluster_fwd.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "ingress/feedback_mailgun.h"
#include "ingress/feedback_postmark.h"
#include "ingress/feedback_resend.h"
#include "ingress/feedback_sendgrid.h"
#include "ingress/feedback_ses.h"
#include "ingress/http_access.h"
#include "ingress/http_admin.h"
#include "ingress/http_conn.h"
#include "ingress/http_pending.h"
#include "ingress/http_reply.h"
#include "observe/events.h"
#include "spool/spool.h"

/* The sources, one row per provider type; NULL ends the table. */
static const struct feedback_source_ops *const feedback_sources[] = {
    &feedback_postmark_ops, /* feedback_postmark.c */
    &feedback_ses_ops,      /* feedback_ses.c, feedback_sns.c */
    &feedback_sendgrid_ops, /* feedback_sendgrid.c */
    &feedback_mailgun_ops,  /* feedback_mailgun.c */
    &feedback_resend_ops,   /* feedback_resend.c */
    NULL,
};

const struct feedback_source_ops *
feedback_source_ops_find(const char *type)
{
	size_t i;

	for (i = 0; feedback_sources[i] != NULL; i++)
		if (strcmp(feedback_sources[i]->type, type) == 0)
			return feedback_sources[i];
	return NULL;
}

const char *
feedback_request_header(const struct feedback_request *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n_headers; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

/* The answer and the refusal reason of each verdict. */
static const struct {
	int status;
	const char *reason;
} feedback_checks[FEEDBACK_CHECK_COUNT] = {
    [FEEDBACK_CHECK_OK] = {200, ""},
    [FEEDBACK_CHECK_DONE] = {200, ""},
    [FEEDBACK_CHECK_AUTH] = {401, "signature"},
    [FEEDBACK_CHECK_STALE] = {401, "stale"},
    [FEEDBACK_CHECK_REPLAY] = {403, "replay"},
    [FEEDBACK_CHECK_FORBIDDEN] = {403, "forbidden"},
    [FEEDBACK_CHECK_MALFORMED] = {400, "malformed"},
    [FEEDBACK_CHECK_UNAVAILABLE] = {503, "unavailable"},
};

int
feedback_check_status(enum feedback_check c)
{
	return (unsigned)c < FEEDBACK_CHECK_COUNT ? feedback_checks[c].status
	                                          : 500;
}

const char *
feedback_check_reason(enum feedback_check c)
{
	return (unsigned)c < FEEDBACK_CHECK_COUNT ? feedback_checks[c].reason
	                                          : "internal";
}

void
feedback_publish(const char *provider, const struct feedback_event *ev,
                 const struct spool_fb_match *m, size_t n, size_t *fresh,
                 size_t *unmatched)
{
	size_t i;

	*fresh = *unmatched = 0;
	for (i = 0; i < n; i++) {
		struct events_item e = {
		    .kind = EVENT_FEEDBACK,
		    .provider = provider,
		    .feedback = &ev[i],
		};
		if (!m[i].is_new)
			continue;
		(*fresh)++;
		if (m[i].msg_id[0] != '\0') {
			e.msg_id = m[i].msg_id;
			e.tenant = m[i].tenant;
			e.stream = m[i].stream;
			e.sender_domain = m[i].sender_domain;
		} else {
			(*unmatched)++;
		}
		events_emit(&e);
	}
	/* Events for another node's messages go there (cluster_fwd.h). */
	cluster_fwd_events(ev, m, n);
}

/* ---- the route ------------------------------------------------------ */

/* One request between its arrival and its answer. */
struct feedback_req {
	struct feedback *f;
	struct feedback_source *src;
	struct feedback_req *next, **prevp; /* f->verifying while verifying */
	struct http_pending_watch w;        /* the provider's request */
	struct feedback_request r;          /* views into the copies below */
	struct feedback_header *hdrs;
	char *path, *body;
	struct sockaddr_storage peer;
	struct feedback_verify *v; /* an asynchronous verification */
	char *fleet_key;           /* claimed in the fleet; NULL: not */
};

struct feedback {
	struct event_base *base;
	const struct config *cfg;
	struct spool *sp;
	struct feedback_source *src; /* one per provider with events */
	size_t n_src;
	struct feedback_req *verifying; /* asynchronous verifications */
	unsigned storing;               /* requests waiting for the spool */
	bool freed;                     /* feedback_free ran; storing > 0 */
	struct feedback_fleet fleet;    /* claim NULL: no fleet */
};

/* feedback_refused - count and log a refusal of src's request. */
static void
feedback_refused(const struct feedback_source *src, const char *reason,
                 const char *text)
{
	struct events_item e = {
	    .kind = EVENT_FEEDBACK_REFUSED,
	    .provider = src->provider->name,
	    .reason = reason,
	    .text = text,
	};

	log_info("feedback: %s: refused (%s): %s", src->provider->name, reason,
	         text);
	events_emit(&e);
}

/* feedback_answer_error - refuse req (may be NULL: the client left). */
static void
feedback_answer_error(struct evhttp_request *req,
                      const struct feedback_source *src, int status,
                      const char *reason, const char *text)
{
	feedback_refused(src, reason, text);
	if (req == NULL)
		return;
	if (status == 401)
		evhttp_add_header(evhttp_request_get_output_headers(req),
		                  "WWW-Authenticate", "Basic realm=\"swerve\"");
	http_reply_error(req, status, reason, text);
}

/* feedback_req_free - release fr (its request is answered or gone). */
static void
feedback_req_free(struct feedback_req *fr)
{
	size_t i;

	if (fr->fleet_key != NULL && fr->f->fleet.failed != NULL)
		fr->f->fleet.failed(fr->f->fleet.arg, fr->src->provider->name,
		                    fr->fleet_key); /* not stored: let go */
	free(fr->fleet_key);
	for (i = 0; i < fr->r.n_headers; i++) {
		free((char *)fr->hdrs[i].name);
		free((char *)fr->hdrs[i].value);
	}
	free(fr->hdrs);
	free(fr->path);
	free(fr->body);
	free(fr);
}

/* feedback_release - free f once nothing waits for the spool. */
static void
feedback_release(struct feedback *f)
{
	size_t i;

	if (f->storing > 0)
		return;
	for (i = 0; i < f->n_src; i++)
		if (f->src[i].ops != NULL && f->src[i].ops->fini != NULL)
			f->src[i].ops->fini(&f->src[i]);
	free(f->src);
	free(f);
}

/* feedback_fleet_ttl - how long the fleet remembers src's requests. */
static uint64_t
feedback_fleet_ttl(const struct feedback_source *src)
{
	uint64_t ms = src->provider->events.max_age_ms;

	return ms > 0 ? ms : 24ULL * 3600 * 1000;
}

/* feedback_on_stored - the spool's answer for fr's events. */
static void
feedback_on_stored(int status, const struct feedback_event *ev,
                   const struct spool_fb_match *m, size_t n, void *arg)
{
	struct feedback_req *fr = arg;
	struct feedback *f = fr->f;
	struct evhttp_request *req = http_pending_watch_end(&fr->w);
	size_t fresh = 0, unmatched = 0;

	f->storing--;
	if (status != SPOOL_OK) {
		feedback_answer_error(req, fr->src, 503, "spool",
		                      "the events could not be stored; retry "
		                      "later");
		goto done;
	}
	feedback_publish(fr->src->provider->name, ev, m, n, &fresh, &unmatched);
	if (fr->fleet_key != NULL && f->fleet.stored != NULL)
		f->fleet.stored(f->fleet.arg, fr->src->provider->name,
		                fr->fleet_key, feedback_fleet_ttl(fr->src));
	free(fr->fleet_key);
	fr->fleet_key = NULL;
	if (!f->freed && fr->src->ops->stored != NULL)
		fr->src->ops->stored(fr->src, &fr->r);
	log_info("feedback: %s: %zu events, %zu new, %zu unmatched",
	         fr->src->provider->name, n, fresh, unmatched);
	if (req != NULL)
		http_reply_json(req, 200,
		                json_pack("{s:I,s:I,s:I}", "events",
		                          (json_int_t)n, "stored",
		                          (json_int_t)fresh, "duplicates",
		                          (json_int_t)(n - fresh)),
		                JSON_SORT_KEYS);
done:
	feedback_req_free(fr);
	if (f->freed)
		feedback_release(f);
}

/* feedback_store - parse fr's verified body and hand the events to the
 * spool; answers and frees fr on a refusal. */
static void
feedback_store(struct feedback_req *fr)
{
	struct feedback_source *src = fr->src;
	struct feedback_event *ev = NULL;
	struct evhttp_request *req;
	char err[256] = "";
	size_t i, n = 0;

	if (src->ops->parse(fr->r.body, fr->r.body_len, src->provider->name,
	                    &ev, &n, err, sizeof(err)) != 0) {
		free(ev);
		req = http_pending_watch_end(&fr->w);
		feedback_answer_error(req, src, 400, "parse",
		                      err[0] ? err : "the body does not parse");
		feedback_req_free(fr);
		return;
	}
	for (i = 0; i < n; i++) {
		/* The route names the provider, not the body. */
		feedback_set(ev[i].provider, sizeof(ev[i].provider),
		             src->provider->name);
		if (ev[i].event_id[0] != '\0')
			continue;
		free(ev);
		req = http_pending_watch_end(&fr->w);
		feedback_answer_error(req, src, 400, "parse",
		                      "an event without an id to de-duplicate "
		                      "it on");
		feedback_req_free(fr);
		return;
	}
	fr->f->storing++;
	if (spool_feedback_record(fr->f->sp, ev, n, clock_wall_ms(),
	                          feedback_on_stored, fr) != 0) {
		fr->f->storing--;
		req = http_pending_watch_end(&fr->w);
		feedback_answer_error(
		    req, src, 503, "spool",
		    "the server is shutting down; retry later");
		feedback_req_free(fr);
	}
}

/* feedback_on_fleet - the fleet's word on fr's identity. */
static void
feedback_on_fleet(void *token, enum feedback_fleet_verdict v, const char *node)
{
	struct feedback_req *fr = token;
	struct evhttp_request *req;
	char text[200];

	if (v == FEEDBACK_FLEET_NEW) {
		feedback_store(fr);
		return;
	}
	free(fr->fleet_key); /* not ours to drop */
	fr->fleet_key = NULL;
	req = http_pending_watch_end(&fr->w);
	if (v == FEEDBACK_FLEET_SEEN) {
		snprintf(text, sizeof(text),
		         "the request was taken by node %s of the fleet",
		         node != NULL ? node : "?");
		feedback_answer_error(req, fr->src, 403, "replay", text);
	} else {
		snprintf(text, sizeof(text),
		         "node %s of the fleet is storing the same request; "
		         "retry later",
		         node != NULL ? node : "?");
		feedback_answer_error(req, fr->src, 503, "busy", text);
	}
	feedback_req_free(fr);
}

/* feedback_verdict - act on a verifier's verdict for fr. */
static void
feedback_verdict(struct feedback_req *fr, enum feedback_check c,
                 const char *err)
{
	struct feedback *f = fr->f;
	struct evhttp_request *req;
	char key[FEEDBACK_REPLAY_KEY_MAX];

	if (c == FEEDBACK_CHECK_OK && f->fleet.claim != NULL) {
		feedback_replay_key(fr->src->provider->type, &fr->r, key,
		                    sizeof(key));
		fr->fleet_key = xstrdup(key);
		f->fleet.claim(f->fleet.arg, fr->src->provider->name, key,
		               feedback_fleet_ttl(fr->src), feedback_on_fleet,
		               fr);
		return;
	}
	if (c == FEEDBACK_CHECK_OK) {
		feedback_store(fr);
		return;
	}
	req = http_pending_watch_end(&fr->w);
	if (c == FEEDBACK_CHECK_DONE) {
		if (req != NULL)
			http_reply_json(req, 200,
			                json_pack("{s:I,s:I,s:I}", "events", 0,
			                          "stored", 0, "duplicates", 0),
			                JSON_SORT_KEYS);
	} else {
		feedback_answer_error(
		    req, fr->src, feedback_check_status(c),
		    feedback_check_reason(c),
		    err != NULL && err[0] != '\0'
		        ? err
		        : "the request could not be verified");
	}
	feedback_req_free(fr);
}

/* feedback_on_verified - an asynchronous verifier's verdict. */
static void
feedback_on_verified(enum feedback_check c, const char *err, void *arg)
{
	struct feedback_req *fr = arg;

	if (fr->prevp != NULL) {
		*fr->prevp = fr->next;
		if (fr->next != NULL)
			fr->next->prevp = fr->prevp;
		fr->prevp = NULL;
	}
	fr->v = NULL;
	feedback_verdict(fr, c, err);
}

/* feedback_req_new - copy what the verifier sees of req. */
static struct feedback_req *
feedback_req_new(struct feedback *f, struct feedback_source *src,
                 struct evhttp_request *req, const char *path, const char *body,
                 size_t len)
{
	struct feedback_req *fr = xcalloc(1, sizeof(*fr));
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	const struct sockaddr *sa = conn ? http_conn_client_addr(conn) : NULL;
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	struct evkeyval *kv;
	size_t n = 0;

	fr->f = f;
	fr->src = src;
	TAILQ_FOREACH(kv, in, next)
	n++;
	fr->hdrs = xcalloc(n ? n : 1, sizeof(*fr->hdrs));
	TAILQ_FOREACH(kv, in, next)
	{
		fr->hdrs[fr->r.n_headers].name = xstrdup(kv->key);
		fr->hdrs[fr->r.n_headers].value = xstrdup(kv->value);
		fr->r.n_headers++;
	}
	fr->path = xstrdup(path);
	fr->body = xmalloc(len + 1);
	memcpy(fr->body, body, len);
	fr->body[len] = '\0';
	fr->r.method = "POST";
	fr->r.path = fr->path;
	fr->r.query = u ? evhttp_uri_get_query(u) : NULL;
	fr->r.headers = fr->hdrs;
	fr->r.body = fr->body;
	fr->r.body_len = len;
	if (sa != NULL) {
		socklen_t sl = sa->sa_family == AF_INET6
		                   ? sizeof(struct sockaddr_in6)
		                   : sizeof(struct sockaddr_in);
		memcpy(&fr->peer, sa, sl);
		fr->r.peer = (const struct sockaddr *)&fr->peer;
		fr->r.peer_len = sl;
	}
	fr->r.now_ms = clock_wall_ms();
	http_pending_watch_start(&fr->w, req);
	return fr;
}

/* feedback_find - the source serving path, or NULL. */
static struct feedback_source *
feedback_find(struct feedback *f, const char *path)
{
	size_t i;

	for (i = 0; i < f->n_src; i++)
		if (strcmp(f->src[i].provider->events.path, path) == 0)
			return &f->src[i];
	return NULL;
}

/* feedback_handle - POST on a feedback path (HTTP_ROUTE_FEEDBACK). */
static void
feedback_handle(struct evhttp_request *req, void *arg)
{
	struct feedback *f = arg;
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *path = u ? evhttp_uri_get_path(u) : NULL;
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	struct feedback_source *src;
	struct feedback_req *fr;
	struct feedback_verify *v;
	enum feedback_check c;
	char err[256] = "";
	const char *body;
	size_t len;

	src = path ? feedback_find(f, path) : NULL;
	if (src == NULL) {
		http_reply_error(req, 404, "not_found",
		                 "no provider's events are taken here");
		return;
	}
	len = evbuffer_get_length(in);
	if (len > src->provider->events.max_body) {
		feedback_answer_error(req, src, 413, "too_large",
		                      "the body is over events.max_body");
		return;
	}
	if (src->ops == NULL ||
	    (src->ops->verify == NULL && src->ops->verify_start == NULL)) {
		feedback_answer_error(req, src, 501, "not_implemented",
		                      "swerve cannot verify this provider "
		                      "type's events yet; nothing was stored");
		return;
	}
	if (spool_space_check(f->sp) != SPOOL_OK) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		                  "Retry-After", "30");
		feedback_answer_error(req, src, 503, "spool",
		                      "the spool is full or damaged; retry "
		                      "later");
		return;
	}
	body = (const char *)evbuffer_pullup(in, -1);
	fr = feedback_req_new(f, src, req, path, body ? body : "", len);
	if (src->ops->verify != NULL) {
		c = src->ops->verify(src, &fr->r, err, sizeof(err));
		feedback_verdict(fr, c, err);
		return;
	}
	/* Linked first: done may run inside verify_start. */
	fr->next = f->verifying;
	if (fr->next != NULL)
		fr->next->prevp = &fr->next;
	fr->prevp = &f->verifying;
	f->verifying = fr;
	/* A verdict given at once (done already ran, and fr may be freed)
	 * comes back as NULL: only a verification in flight is kept. */
	v = src->ops->verify_start(src, &fr->r, feedback_on_verified, fr);
	if (v != NULL)
		fr->v = v;
}

struct feedback *
feedback_new(struct event_base *base, struct http_admin *http,
             const struct config *cfg, struct spool *sp, char *err,
             size_t errlen)
{
	struct feedback *f = xcalloc(1, sizeof(*f));
	struct feedback_source *s;
	size_t i;

	f->base = base;
	f->cfg = cfg;
	f->sp = sp;
	f->src =
	    xcalloc(cfg->n_providers ? cfg->n_providers : 1, sizeof(*f->src));
	for (i = 0; i < cfg->n_providers; i++) {
		if (!cfg->providers[i].events.configured)
			continue;
		s = &f->src[f->n_src++];
		s->provider = &cfg->providers[i];
		s->ops = feedback_source_ops_find(cfg->providers[i].type);
		s->base = base;
		if (s->ops != NULL && s->ops->init != NULL &&
		    s->ops->init(s, err, errlen) != 0) {
			s->ops = NULL; /* no fini for it */
			feedback_free(f);
			return NULL;
		}
		log_info("feedback: %s: events on %s%s", s->provider->name,
		         s->provider->events.path,
		         s->ops != NULL && (s->ops->verify != NULL ||
		                            s->ops->verify_start != NULL)
		             ? ""
		             : " (no verifier yet: answered 501)");
	}
	if (http != NULL)
		http_admin_route_set(http, HTTP_ROUTE_FEEDBACK, feedback_handle,
		                     f);
	return f;
}

void
feedback_fleet_set(struct feedback *f, const struct feedback_fleet *ff)
{
	if (ff != NULL)
		f->fleet = *ff;
	else
		memset(&f->fleet, 0, sizeof(f->fleet));
}

void
feedback_free(struct feedback *f)
{
	struct feedback_req *fr;

	if (f == NULL)
		return;
	while ((fr = f->verifying) != NULL) {
		f->verifying = fr->next;
		if (fr->v != NULL && fr->src->ops->verify_cancel != NULL)
			fr->src->ops->verify_cancel(fr->v);
		(void)http_pending_watch_end(&fr->w);
		feedback_req_free(fr);
	}
	f->freed = true;
	feedback_release(f);
}
