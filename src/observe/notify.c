/*
 * notify.c - the notification queue: jobs, retries with back-off, HTTP
 * posts and e-mail submissions. See notify.h for the targets and the
 * retry policy.
 *
 * A job is one payload for one target. A timer (every 200 ms) starts, for
 * each target, its oldest job when it is due: one job in flight per
 * target, in order. Each target has its own HTTP client (its own
 * connections), so a receiver that hangs only delays its own jobs. Nothing here
 * blocks: HTTP goes through libcurl multi on the loop, e-mail through
 * spool_msg_submit.
 */
#include "observe/notify.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "net/http_client.h"
#include "observe/events.h"
#include "spool/spool.h"

#define NOTIFY_TICK_MS 200
#define NOTIFY_BACKOFF_MAX_MS (5 * 60 * 1000)

struct notify_target {
	const struct config_notify *cfg;
	struct http_client *http; /* NULL for e-mail */
	char *url;                /* where to POST */
	char label[96];           /* "webhook 127.0.0.1:9000", for logs */
	bool head_seen;           /* notify_on_tick: met its first job */
};

struct notify_job {
	TAILQ_ENTRY(notify_job) link;
	struct notify *n; /* NULL once orphaned (spool callback pending) */
	size_t target;
	char *body;
	size_t len;
	unsigned attempts;
	uint64_t next_ms; /* monotonic: when to try again (0: now) */
	bool busy;
	struct http_call *call;
	char what[96];            /* "queue_too_old/transactional firing" */
	struct notify_gate *gate; /* held until the fleet answers; NULL: go */
};

/* A firing's notifications waiting for the fleet's word. */
struct notify_gate {
	struct notify_gate *next;
	struct notify *n; /* NULL once n is freed (the answer frees it) */
	char key[160];
};

#define NOTIFY_OWNED_MAX 256

TAILQ_HEAD(notify_jobs, notify_job);

struct notify {
	const struct config *cfg;
	struct spool *spool;
	char *host;
	uint64_t backoff_min_ms;
	int64_t (*now_ms)(void); /* wall: stamps and signatures */
	struct notify_target *targets;
	size_t n_targets;
	struct notify_jobs jobs;
	size_t n_jobs;
	struct event *tick;
	struct notify_stats stats;
	struct notify_fleet fleet;     /* claim NULL: no fleet */
	struct notify_gate *gates;     /* waiting for the fleet */
	char *owned[NOTIFY_OWNED_MAX]; /* episodes this node notifies */
	size_t n_owned;
};

/* notify_label - "type host[:port]" of a URL, without path or query
 * (which may hold a token, as Slack's do). */
static void
notify_label(const char *type, const char *url, char *out, size_t n)
{
	const char *h = url ? strstr(url, "://") : NULL;
	size_t len;

	if (h == NULL) {
		snprintf(out, n, "%s", type);
		return;
	}
	h += 3;
	len = strcspn(h, "/?#@");
	if (h[len] == '@') { /* user:pass@host: drop the credentials */
		h += len + 1;
		len = strcspn(h, "/?#");
	}
	snprintf(out, n, "%s %.*s", type, (int)len, h);
}

static const char *const notify_type_names[] = {
    [CONFIG_NOTIFY_WEBHOOK] = "webhook",
    [CONFIG_NOTIFY_SLACK] = "slack",
    [CONFIG_NOTIFY_ALERTMANAGER] = "alertmanager",
    [CONFIG_NOTIFY_EMAIL] = "email",
};

/* notify_job_free - unlink (if linked) and free j. */
static void
notify_job_free(struct notify *n, struct notify_job *j)
{
	if (n != NULL) {
		TAILQ_REMOVE(&n->jobs, j, link);
		n->n_jobs--;
	}
	free(j->body);
	free(j);
}

/* notify_kind_name - the notifier's kind, as EVENT_NOTIFIED names it. */
static const char *
notify_kind_name(int type)
{
	switch (type) {
	case CONFIG_NOTIFY_SLACK:
		return "slack";
	case CONFIG_NOTIFY_ALERTMANAGER:
		return "alertmanager";
	case CONFIG_NOTIFY_EMAIL:
		return "email";
	default:
		return "webhook";
	}
}

/* notify_emit - EVENT_NOTIFIED: j's notification was delivered (ok) or
 * given up on. */
static void
notify_emit(const struct notify_target *t, const struct notify_job *j, bool ok)
{
	struct events_item e = {
	    .kind = EVENT_NOTIFIED,
	    .state = ok ? "ok" : "failed",
	    .reason = notify_kind_name(t->cfg->type),
	    .text = j->what,
	};

	events_emit(&e);
}

/* notify_job_done - j's try ended: ok, retry later, or give up. */
static void
notify_job_done(struct notify *n, struct notify_job *j, bool ok, bool final,
                const char *why)
{
	const struct notify_target *t = &n->targets[j->target];
	uint64_t delay;

	j->busy = false;
	j->call = NULL;
	if (ok) {
		n->stats.sent++;
		log_info("notify: %s: %s delivered", t->label, j->what);
		notify_emit(t, j, true);
		notify_job_free(n, j);
		return;
	}
	if (final || j->attempts >= NOTIFY_MAX_ATTEMPTS) {
		n->stats.failed++;
		log_warn("notify: %s: %s not delivered after %u tries: %s",
		         t->label, j->what, j->attempts, why);
		notify_emit(t, j, false);
		notify_job_free(n, j);
		return;
	}
	n->stats.retries++;
	delay = n->backoff_min_ms
	        << (j->attempts - 1 < 20 ? j->attempts - 1 : 20);
	if (delay > NOTIFY_BACKOFF_MAX_MS)
		delay = NOTIFY_BACKOFF_MAX_MS;
	j->next_ms = clock_mono_ms() + delay;
	log_warn("notify: %s: %s: try %u failed (%s); again in %llums",
	         t->label, j->what, j->attempts, why,
	         (unsigned long long)delay);
}

/* notify_on_http - a POST finished. */
static void
notify_on_http(const struct http_response *r, void *arg)
{
	struct notify_job *j = arg;
	char why[HTTP_CLIENT_ERROR_SIZE + 32];
	bool ok, final;

	if (r->error != HTTP_CLIENT_OK) {
		snprintf(why, sizeof(why), "%s: %s",
		         http_client_error_name(r->error), r->error_text);
		notify_job_done(j->n, j, false, false, why);
		return;
	}
	ok = r->status >= 200 && r->status < 300;
	final = r->status >= 400 && r->status < 500 && r->status != 408 &&
	        r->status != 429;
	snprintf(why, sizeof(why), "HTTP %d", r->status);
	notify_job_done(j->n, j, ok, final, why);
}

/* notify_on_spool - the e-mail's submit finished. */
static void
notify_on_spool(int status, const char *id, void *arg)
{
	struct notify_job *j = arg;

	if (j->n == NULL) { /* notify_free ran meanwhile */
		notify_job_free(NULL, j);
		return;
	}
	if (status == SPOOL_OK)
		log_info("notify: e-mail %s queued as %s", j->what, id);
	notify_job_done(j->n, j, status == SPOOL_OK, status == SPOOL_ERR_CLOSED,
	                spool_status_name(status));
}

/* notify_stream - the stream of an alert e-mail for target c. */
static const char *
notify_stream(const struct notify *n, const struct config_notify *c)
{
	size_t i;

	if (c->stream != NULL)
		return c->stream;
	for (i = 0; i < n->cfg->n_streams; i++)
		if (strcmp(n->cfg->streams[i].name, "critical") == 0)
			return "critical";
	return "transactional";
}

/* notify_email_submit - hand j's message to the spool. */
static void
notify_email_submit(struct notify *n, struct notify_job *j)
{
	const struct config_notify *c = n->targets[j->target].cfg;
	struct spool_msg_new m;
	size_t i;

	memset(&m, 0, sizeof(m));
	m.sender = xstrdup(c->from);
	m.rcpts = xcalloc(c->n_to, sizeof(*m.rcpts));
	for (i = 0; i < c->n_to; i++)
		m.rcpts[i] = xstrdup(c->to[i]);
	m.n_rcpts = c->n_to;
	buf_init(&m.body);
	buf_add(&m.body, j->body, j->len);
	m.tenant = xstrdup("swerve-alerts");
	m.stream = xstrdup(notify_stream(n, c));
	j->busy = true;
	if (spool_msg_submit(n->spool, &m, notify_on_spool, j) != 0)
		notify_job_done(n, j, false, true, "spool closed");
}

/* notify_job_start - one try of j. */
static void
notify_job_start(struct notify *n, struct notify_job *j)
{
	const struct notify_target *t = &n->targets[j->target];
	struct http_header hs[2];
	struct http_request req;
	char sig[NOTIFY_SIG_SIZE];

	j->attempts++;
	if (t->http == NULL) {
		notify_email_submit(n, j);
		return;
	}
	hs[0] = (struct http_header){"Content-Type", "application/json"};
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = t->url;
	req.headers = hs;
	req.n_headers = 1;
	req.body = j->body;
	req.body_len = j->len;
	if (t->cfg->type == CONFIG_NOTIFY_WEBHOOK && t->cfg->secret != NULL) {
		/* Signed at each try: the timestamp says when it was sent. */
		notify_webhook_sign(t->cfg->secret, n->now_ms() / 1000, j->body,
		                    j->len, sig);
		hs[1] = (struct http_header){"X-Swerve-Signature", sig};
		req.n_headers = 2;
	}
	j->busy = true;
	j->call = http_client_submit(t->http, &req, notify_on_http, j);
	if (j->call == NULL)
		notify_job_done(n, j, false, true, "bad request");
}

/*
 * notify_on_tick - start the due jobs. Each target takes its jobs one at
 * a time in queue order, so a receiver never sees a resolve before the
 * firing it ends (a retried firing holds back what follows it).
 */
static void
notify_on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct notify *n = arg;
	struct notify_job *j, *next;
	uint64_t now = clock_mono_ms(); /* retries are timers */
	size_t i;

	(void)fd;
	(void)what;
	for (i = 0; i < n->n_targets; i++)
		n->targets[i].head_seen = false;
	for (j = TAILQ_FIRST(&n->jobs); j != NULL; j = next) {
		struct notify_target *t = &n->targets[j->target];
		next = TAILQ_NEXT(j, link);
		if (t->head_seen)
			continue;
		t->head_seen = true;
		if (!j->busy && j->gate == NULL && j->next_ms <= now)
			notify_job_start(n, j);
	}
}

/* notify_enqueue - queue body (taken) for target i. */
static void
notify_enqueue(struct notify *n, size_t i, char *body, size_t len,
               const struct alert_info *a, const char *change)
{
	struct notify_job *j, *old;

	if (n->n_jobs >= NOTIFY_QUEUE_MAX) {
		TAILQ_FOREACH(old, &n->jobs, link)
		if (!old->busy)
			break;
		if (old == NULL) {
			log_warn("notify: queue full of requests in flight; "
			         "%s %s dropped",
			         a->rule, change);
			n->stats.dropped++;
			free(body);
			return;
		}
		log_warn("notify: queue full; %s: %s dropped",
		         n->targets[old->target].label, old->what);
		n->stats.dropped++;
		notify_job_free(n, old);
	}
	j = xcalloc(1, sizeof(*j));
	j->n = n;
	j->target = i;
	j->body = body;
	j->len = len;
	j->next_ms = 0;
	snprintf(j->what, sizeof(j->what), "%s/%s %s", a->rule,
	         a->provider ? a->provider
	         : a->stream ? a->stream
	                     : "-",
	         change);
	TAILQ_INSERT_TAIL(&n->jobs, j, link);
	n->n_jobs++;
}

/* notify_payload - target t's payload for a. */
static char *
notify_payload(struct notify *n, const struct notify_target *t,
               const struct alert_info *a, enum alert_change ch, size_t *len)
{
	struct buf b;
	char *s = NULL;

	switch (t->cfg->type) {
	case CONFIG_NOTIFY_WEBHOOK:
		s = notify_webhook_body(a, ch, n->host, n->now_ms());
		break;
	case CONFIG_NOTIFY_SLACK:
		s = notify_slack_body(a, ch, n->host);
		break;
	case CONFIG_NOTIFY_ALERTMANAGER:
		s = notify_alertmanager_body(a, ch, n->host, n->now_ms());
		break;
	default:
		buf_init(&b);
		notify_email_build(t->cfg, a, ch, n->host, n->now_ms(), &b);
		return buf_steal(&b, len);
	}
	*len = strlen(s);
	return s;
}

/* notify_episode_key - "<rule> <subject>": the alert's episode in the
 * fleet. */
static void
notify_episode_key(const struct alert_info *a, char *out, size_t n)
{
	snprintf(out, n, "%s %s", a->rule,
	         a->provider ? a->provider
	         : a->stream ? a->stream
	                     : "-");
}

/* notify_owned - the index of key among the episodes owned, or -1. */
static int
notify_owned(const struct notify *n, const char *key)
{
	size_t i;

	for (i = 0; i < n->n_owned; i++)
		if (strcmp(n->owned[i], key) == 0)
			return (int)i;
	return -1;
}

/* notify_own - this node notifies key's episode (on: 1) or no more. */
static void
notify_own(struct notify *n, const char *key, int on)
{
	int i = notify_owned(n, key);

	if (on && i < 0) {
		if (n->n_owned == NOTIFY_OWNED_MAX) {
			free(n->owned[0]);
			memmove(n->owned, n->owned + 1,
			        --n->n_owned * sizeof(n->owned[0]));
		}
		n->owned[n->n_owned++] = xstrdup(key);
	} else if (!on && i >= 0) {
		free(n->owned[i]);
		memmove(n->owned + i, n->owned + i + 1,
		        (--n->n_owned - (size_t)i) * sizeof(n->owned[0]));
	}
}

/* notify_on_claim - the fleet's word on a firing's held jobs. */
static void
notify_on_claim(bool send, void *token)
{
	struct notify_gate *g = token, **pp;
	struct notify *n = g->n;
	struct notify_job *j, *next;

	if (n == NULL) {
		free(g);
		return;
	}
	for (pp = &n->gates; *pp != NULL; pp = &(*pp)->next)
		if (*pp == g) {
			*pp = g->next;
			break;
		}
	for (j = TAILQ_FIRST(&n->jobs); j != NULL; j = next) {
		next = TAILQ_NEXT(j, link);
		if (j->gate != g)
			continue;
		j->gate = NULL;
		if (!send) {
			n->stats.deduped++;
			notify_job_free(n, j);
		}
	}
	if (send)
		notify_own(n, g->key, 1);
	else
		log_info("notify: %s is notified by another node of the fleet",
		         g->key);
	free(g);
	notify_on_tick(-1, 0, n);
}

void
notify_fleet_set(struct notify *n, const struct notify_fleet *f)
{
	if (f != NULL)
		n->fleet = *f;
	else
		memset(&n->fleet, 0, sizeof(n->fleet));
}

void
notify_alert(struct notify *n, const struct alert_info *a, enum alert_change ch)
{
	void (*claim)(void *, const char *, notify_claim_done *, void *) =
	    n->fleet.claim;
	struct notify_gate *g = NULL;
	struct notify_job *j;
	char key[160] = "";
	size_t i, len;
	char *body;

	if (claim != NULL) {
		notify_episode_key(a, key, sizeof(key));
		if (ch == ALERT_CHANGE_FIRING && notify_owned(n, key) < 0) {
			g = xcalloc(1, sizeof(*g));
			g->n = n;
			snprintf(g->key, sizeof(g->key), "%s", key);
		} else if (notify_owned(n, key) < 0) {
			n->stats.deduped++;
			return;
		}
	}
	for (i = 0; i < n->n_targets; i++) {
		const struct notify_target *t = &n->targets[i];
		if (a->severity_level < t->cfg->min_severity)
			continue;
		body = notify_payload(n, t, a, ch, &len);
		notify_enqueue(n, i, body, len, a, alert_change_name(ch));
		j = TAILQ_LAST(&n->jobs, notify_jobs);
		if (g != NULL && j != NULL && j->body == body)
			j->gate = g;
	}
	if (claim != NULL && ch == ALERT_CHANGE_RESOLVED) {
		notify_own(n, key, 0);
		n->fleet.release(n->fleet.arg, key);
	}
	if (g != NULL && claim != NULL) {
		g->next = n->gates;
		n->gates = g;
		claim(n->fleet.arg, g->key, notify_on_claim, g);
	}
	notify_on_tick(-1, 0, n);
}

void
notify_alert_refresh(struct notify *n, const struct alert_info *a)
{
	size_t i, len;
	char *body;

	if (n->fleet.claim != NULL) {
		char key[160];

		notify_episode_key(a, key, sizeof(key));
		if (notify_owned(n, key) < 0)
			return; /* another node refreshes it */
	}
	for (i = 0; i < n->n_targets; i++) {
		const struct notify_target *t = &n->targets[i];
		if (t->cfg->type != CONFIG_NOTIFY_ALERTMANAGER ||
		    a->severity_level < t->cfg->min_severity)
			continue;
		body = notify_payload(n, t, a, ALERT_CHANGE_REPEAT, &len);
		notify_enqueue(n, i, body, len, a, "refresh");
	}
	notify_on_tick(-1, 0, n);
}

struct notify *
notify_new(const struct notify_opts *o)
{
	struct notify *n = xcalloc(1, sizeof(*n));
	struct http_client_opts ho;
	struct timeval tv = {0, NOTIFY_TICK_MS * 1000};
	size_t i;

	n->cfg = o->cfg;
	n->spool = o->spool;
	n->host = xstrdup(o->hostname        ? o->hostname
	                  : o->cfg->hostname ? o->cfg->hostname
	                                     : "swerve");
	n->backoff_min_ms = o->backoff_min_ms ? o->backoff_min_ms : 1000;
	n->now_ms = o->now_ms ? o->now_ms : clock_wall_ms;
	TAILQ_INIT(&n->jobs);
	n->n_targets = o->cfg->n_alert_notify;
	n->targets = xcalloc(n->n_targets + 1, sizeof(*n->targets));
	for (i = 0; i < n->n_targets; i++) {
		struct notify_target *t = &n->targets[i];
		t->cfg = &o->cfg->alert_notify[i];
		notify_label(notify_type_names[t->cfg->type], t->cfg->url,
		             t->label, sizeof(t->label));
		if (t->cfg->type == CONFIG_NOTIFY_EMAIL)
			continue;
		t->url = t->cfg->type == CONFIG_NOTIFY_ALERTMANAGER
		             ? notify_alertmanager_url(t->cfg->url)
		             : xstrdup(t->cfg->url);
		memset(&ho, 0, sizeof(ho));
		ho.name = "notify";
		ho.max_in_flight = 1;
		ho.connect_timeout_ms = 5000;
		ho.total_timeout_ms =
		    o->timeout_ms ? (long)o->timeout_ms : 10000;
		ho.max_body = 64 * 1024;
		t->http = http_client_new(o->base, &ho);
		if (t->http == NULL) {
			log_error("notify: %s: no HTTP client", t->label);
			n->n_targets = i + 1;
			notify_free(n);
			return NULL;
		}
	}
	n->tick = event_new(o->base, -1, EV_PERSIST, notify_on_tick, n);
	event_add(n->tick, &tv);
	return n;
}

void
notify_free(struct notify *n)
{
	struct notify_job *j;
	size_t i;

	if (n == NULL)
		return;
	if (n->tick != NULL)
		event_free(n->tick);
	while ((j = TAILQ_FIRST(&n->jobs)) != NULL) {
		TAILQ_REMOVE(&n->jobs, j, link);
		if (j->busy && n->targets[j->target].http == NULL) {
			j->n = NULL; /* the spool callback frees it */
			continue;
		}
		if (j->call != NULL)
			http_call_cancel(j->call);
		free(j->body);
		free(j);
	}
	for (i = 0; i < n->n_targets; i++) {
		http_client_free(n->targets[i].http);
		free(n->targets[i].url);
	}
	while (n->gates != NULL) { /* the fleet's answer frees each */
		n->gates->n = NULL;
		n->gates = n->gates->next;
	}
	for (i = 0; i < n->n_owned; i++)
		free(n->owned[i]);
	free(n->targets);
	free(n->host);
	free(n);
}

void
notify_stats_get(const struct notify *n, struct notify_stats *out)
{
	*out = n->stats;
	out->queued = n->n_jobs;
}
