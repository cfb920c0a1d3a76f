/*
 * webhook_out.c - events out to applications (see webhook_out.h).
 *
 * Three parts on the loop: the bus listener (webhook_out_on_event)
 * appends rows to memory and activates a flush; the flush hands them to
 * the spool in one job; the sender claims due rows (leased for the
 * request's timeout and a margin), POSTs them, and settles each: done on
 * 2xx, else a retry at the back-off, or dead once events.retry_for is
 * spent. One claim at a time; a claim is asked again whenever a call
 * ends, a flush commits, or the timer set to the earliest due row fires.
 */
#include "observe/webhook_out.h"

#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/clock.h"
#include "core/id.h"
#include "core/log.h"
#include "core/whsig.h"
#include "core/xmalloc.h"
#include "net/http_client.h"
#include "observe/events.h"
#include "observe/metrics.h"
#include "observe/webhook_event.h"
#include "spool/feedback.h"
#include "spool/spool.h"

#define WEBHOOK_PENDING_MAX 100000 /* rows waiting for the spool */
#define WEBHOOK_LEASE_MARGIN_MS 5000
/* Rows held in memory per request slot: each claim (a write, so an
 * fsync) fetches several rounds of requests, which wait in their URL's
 * client queue. */
#define WEBHOOK_ROUNDS 8

struct webhook_hook {
	const struct config_webhook *cfg;
	unsigned char key[WHSIG_KEY_MAX];
	size_t keylen;
	unsigned types; /* bit per enum webhook_type; 0: all */
	struct http_client *client;
};

struct webhook_call {
	struct webhook_out *w;
	struct webhook_hook *hook;
	struct spool_wh row; /* owned strings */
	char *body;
	struct http_call *call;
	struct webhook_call *next, *prev;
};

struct webhook_out {
	struct event_base *base;
	const struct config *cfg;
	struct spool *sp;
	struct webhook_hook *hooks;
	size_t n_hooks;
	unsigned max_held; /* rows claimed and not settled, at most */
	/* listener -> spool */
	struct spool_wh *pending;
	size_t n_pending, cap_pending;
	struct event *flush_ev;
	/* sender */
	struct event *timer;
	int claiming, again;
	/* Spool calls whose callbacks have w as arg, still to run; after
	 * webhook_out_free (freed) the last of them frees w. */
	unsigned stores;
	int freed;
	struct webhook_call *calls; /* in flight */
	struct webhook_out_stats st;
};

static void webhook_out_kick(struct webhook_out *w);

/* webhook_out_shell_end - free w after webhook_out_free once no spool
 * callback holds it. */
static void
webhook_out_shell_end(struct webhook_out *w)
{
	if (w->freed && w->stores == 0 && !w->claiming)
		free(w);
}

/* webhook_hook_find - the configured webhook with url, or NULL. */
static struct webhook_hook *
webhook_hook_find(struct webhook_out *w, const char *url)
{
	size_t i;

	for (i = 0; url != NULL && i < w->n_hooks; i++)
		if (strcmp(w->hooks[i].cfg->url, url) == 0)
			return &w->hooks[i];
	return NULL;
}

/* webhook_hook_wants - does h take events of type t from tenant? */
static int
webhook_hook_wants(const struct webhook_hook *h, int t, const char *tenant)
{
	if (h->types != 0 && !(h->types & (1u << t)))
		return 0;
	if (h->cfg->tenant != NULL &&
	    (tenant == NULL || strcmp(h->cfg->tenant, tenant) != 0))
		return 0;
	return 1;
}

/* webhook_out_rows - the rows of event e (of type t) for every hook
 * that wants it, appended to *rows (*n of *cap). Any thread: reads only
 * what webhook_out_new set. */
static void
webhook_out_rows(const struct webhook_out *w, const struct events_item *e,
                 int t, struct spool_wh **rows, size_t *n, size_t *cap)
{
	char id[ID_SIZE], evid[SPOOL_WH_ID_MAX];
	char *payload = NULL;
	struct spool_wh *r;
	size_t i;

	for (i = 0; i < w->n_hooks; i++) {
		if (!webhook_hook_wants(&w->hooks[i], t, e->tenant))
			continue;
		if (payload == NULL) {
			id_new(id);
			snprintf(evid, sizeof(evid), "evt_%s", id);
			payload = webhook_event_payload(e, (enum webhook_type)t,
			                                evid);
		}
		if (*n == *cap) {
			*cap = *cap ? *cap * 2 : 4;
			*rows = xreallocarray(*rows, *cap, sizeof(**rows));
		}
		r = &(*rows)[(*n)++];
		memset(r, 0, sizeof(*r));
		memcpy(r->id, evid, sizeof(r->id));
		r->url = xstrdup(w->hooks[i].cfg->url);
		r->msg_id = e->msg_id != NULL ? xstrdup(e->msg_id) : NULL;
		r->payload = xstrdup(payload);
	}
	free(payload);
}

/*
 * webhook_out_outbox - the spool's outbox (spool.h): the notices of a
 * change, stored in the transaction that records it, so that no crash
 * falls between the two. Writer thread.
 */
static size_t
webhook_out_outbox(const struct spool_change *c, struct spool_wh **out,
                   void *arg)
{
	const struct webhook_out *w = arg;
	struct events_item e;
	size_t n = 0, cap = 0;
	int t;

	memset(&e, 0, sizeof(e));
	e.at_ms = c->at_ms;
	e.msg_id = c->msg_id;
	e.tenant = c->tenant;
	e.stream = c->stream;
	e.rcpts = (unsigned)c->n_rcpts;
	switch (c->kind) {
	case SPOOL_CHANGE_STORED:
		e.kind = EVENT_ACCEPTED;
		break;
	case SPOOL_CHANGE_OUTCOME:
		e.provider = c->outcome->provider;
		if (c->outcome->notice == SPOOL_NOTICE_SENT) {
			e.kind = EVENT_SENT;
			e.text = c->outcome->reply;
		} else {
			e.kind = c->outcome->notice == SPOOL_NOTICE_DEFERRED
			             ? EVENT_DEFERRED
			             : EVENT_FAILED;
			e.text = c->outcome->last_error;
		}
		break;
	case SPOOL_CHANGE_FEEDBACK:
		e.kind = EVENT_FEEDBACK;
		e.feedback = c->fb;
		e.provider = c->fb->provider;
		e.rcpts = 0;
		break;
	default:
		return 0;
	}
	*out = NULL;
	if ((t = webhook_event_type(&e)) >= 0)
		webhook_out_rows(w, &e, t, out, &n, &cap);
	return n;
}

/* webhook_out_committed - the spool stored outbox rows: send. */
static void
webhook_out_committed(void *arg)
{
	webhook_out_kick(arg);
}

/*
 * webhook_out_on_event - the bus listener, for what no spool change
 * tells: a recipient left out by the suppression list (nothing of it is
 * stored). Queued in memory, handed to the spool in the next commit.
 */
static void
webhook_out_on_event(const struct events_item *e, void *arg)
{
	struct webhook_out *w = arg;
	int t;

	if (e->kind != EVENT_SUPPRESSED || (t = webhook_event_type(e)) < 0)
		return;
	if (w->n_pending >= WEBHOOK_PENDING_MAX) {
		w->st.dropped++;
		return;
	}
	webhook_out_rows(w, e, t, &w->pending, &w->n_pending, &w->cap_pending);
	if (w->n_pending > 0)
		event_active(w->flush_ev, EV_TIMEOUT, 0);
}
/* webhook_out_stored - the spool committed a flush: send. */
static void
webhook_out_stored(int status, void *arg)
{
	struct webhook_out *w = arg;

	w->stores--;
	if (w->freed) {
		webhook_out_shell_end(w);
		return;
	}
	if (status != SPOOL_OK)
		log_warn("webhook: queueing events failed: %s",
		         spool_status_name(status));
	webhook_out_kick(w);
}

/* webhook_out_flush - hand the pending rows to the spool. */
static void
webhook_out_flush(evutil_socket_t fd, short what, void *arg)
{
	struct webhook_out *w = arg;
	struct spool_wh *rows = w->pending;
	size_t n = w->n_pending;

	(void)fd;
	(void)what;
	if (n == 0)
		return;
	w->pending = NULL;
	w->n_pending = w->cap_pending = 0;
	if (spool_wh_enqueue(w->sp, rows, n, webhook_out_stored, w) != SPOOL_OK)
		log_warn("webhook: spool closed, %zu events not queued", n);
	else
		w->stores++;
}

/* webhook_call_release - free what c owns, and c. */
static void
webhook_call_release(struct webhook_call *c)
{
	free(c->row.url);
	free(c->row.msg_id);
	free(c->row.payload);
	free(c->row.meta);
	free(c->row.last_error);
	free(c->body);
	free(c);
}

/* webhook_call_free - unlink and free c (its call has ended). */
static void
webhook_call_free(struct webhook_call *c)
{
	struct webhook_out *w = c->w;

	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		w->calls = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	w->st.in_flight--;
	webhook_call_release(c);
}

/* webhook_out_rand - a uniform double in [0, 1). */
static double
webhook_out_rand(void)
{
	uint32_t r = 0;

	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		r = (uint32_t)clock_mono_us();
	return (double)r / 4294967296.0;
}

/* webhook_out_done - a POST ended: settle its row. */
static void
webhook_out_done(const struct http_response *resp, void *arg)
{
	struct webhook_call *c = arg;
	struct webhook_out *w = c->w;
	enum spool_wh_verdict v = SPOOL_WH_DONE;
	int64_t now = clock_wall_ms();
	char why[256];

	if (resp->error == HTTP_CLIENT_OK && resp->status >= 200 &&
	    resp->status < 300) {
		w->st.ok++;
	} else {
		if (resp->error == HTTP_CLIENT_OK)
			snprintf(why, sizeof(why), "HTTP %d", resp->status);
		else
			snprintf(why, sizeof(why), "%s: %s",
			         http_client_error_name(resp->error),
			         resp->error_text);
		c->row.attempts++;
		c->row.next_at = now + webhook_event_backoff(
		                           c->row.attempts,
		                           (int64_t)w->cfg->events_retry_min_ms,
		                           (int64_t)w->cfg->events_retry_max_ms,
		                           webhook_out_rand());
		free(c->row.last_error);
		c->row.last_error = xstrdup(why);
		if (webhook_event_dead(c->row.created_at, c->row.next_at,
		                       (int64_t)w->cfg->events_retry_for_ms)) {
			v = SPOOL_WH_DEAD;
			c->row.next_at = now;
			w->st.dead++;
			w->st.dead_stored++;
			log_warn("webhook: %s to %s dead-lettered after %u "
			         "attempts: %s",
			         c->row.id, c->row.url, c->row.attempts, why);
		} else {
			v = SPOOL_WH_RETRY;
			w->st.retry++;
		}
	}
	spool_wh_settle(w->sp, &c->row, v, NULL, NULL);
	webhook_call_free(c);
	webhook_out_kick(w);
}

/* webhook_out_post - sign and send one claimed row. */
static void
webhook_out_post(struct webhook_out *w, struct spool_wh *row)
{
	struct webhook_call *c = xcalloc(1, sizeof(*c));
	char ts[24], sig[WHSIG_SIG_SIZE];
	struct http_header h[5];
	struct http_request req;
	int64_t now_s = clock_wall_ms() / 1000;

	c->w = w;
	c->row = *row;
	memset(row, 0, sizeof(*row));
	c->hook = webhook_hook_find(w, c->row.url);
	c->body = webhook_event_body(c->row.payload, c->row.meta);
	c->next = w->calls;
	if (w->calls != NULL)
		w->calls->prev = c;
	w->calls = c;
	w->st.in_flight++;
	if (c->hook == NULL || c->body == NULL) {
		/* Not ours any more (the URL left the configuration), or
		 * unreadable: kept, dead, for an operator to see. */
		c->row.attempts++;
		c->row.next_at = clock_wall_ms();
		c->row.last_error =
		    xstrdup(c->hook == NULL ? "no webhook with this url"
		                            : "payload is not JSON");
		spool_wh_settle(w->sp, &c->row, SPOOL_WH_DEAD, NULL, NULL);
		w->st.dead++;
		w->st.dead_stored++;
		webhook_call_free(c);
		return;
	}
	snprintf(ts, sizeof(ts), "%lld", (long long)now_s);
	whsig_sign(c->hook->key, c->hook->keylen, c->row.id, now_s, c->body,
	           strlen(c->body), sig);
	h[0] = (struct http_header){"Content-Type", "application/json"};
	h[1] = (struct http_header){"webhook-id", c->row.id};
	h[2] = (struct http_header){"webhook-timestamp", ts};
	h[3] = (struct http_header){"webhook-signature", sig};
	h[4] = (struct http_header){"User-Agent", "swerve-webhooks/1"};
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = c->row.url;
	req.headers = h;
	req.n_headers = 5;
	req.body = c->body;
	req.body_len = strlen(c->body);
	c->call =
	    http_client_submit(c->hook->client, &req, webhook_out_done, c);
	if (c->call == NULL) {
		struct http_response r;

		memset(&r, 0, sizeof(r));
		r.error = HTTP_CLIENT_ERR_CONNECT;
		r.error_text = "unusable request";
		webhook_out_done(&r, c);
	}
}

/* webhook_out_claimed - due rows from the spool: send them. */
static void
webhook_out_claimed(int status, struct spool_wh *rows, size_t n,
                    const struct spool_wh_counts *cnt, void *arg)
{
	struct webhook_out *w = arg;
	struct timeval tv;
	int64_t wait;
	size_t i;

	w->claiming = 0;
	if (w->freed) {
		spool_wh_free(rows, n);
		webhook_out_shell_end(w);
		return;
	}
	if (status != SPOOL_OK) {
		log_warn("webhook: claim failed: %s",
		         spool_status_name(status));
		return;
	}
	w->st.queued = cnt->queued;
	w->st.dead_stored = cnt->dead;
	for (i = 0; i < n; i++)
		webhook_out_post(w, &rows[i]);
	spool_wh_free(rows, n);
	if (w->again) {
		w->again = 0;
		webhook_out_kick(w);
		return;
	}
	/* Wake when the earliest waiting row is due (a leased one: when its
	 * lease runs out). */
	if (cnt->next_at != INT64_MAX) {
		wait = cnt->next_at - clock_wall_ms();
		if (wait < 10)
			wait = 10;
		tv.tv_sec = wait / 1000;
		tv.tv_usec = (wait % 1000) * 1000;
		evtimer_add(w->timer, &tv);
	}
}

/* webhook_out_kick - claim what is due, if there is room. */
static void
webhook_out_kick(struct webhook_out *w)
{
	int64_t lease;

	if (w->claiming) {
		w->again = 1;
		return;
	}
	if (w->st.in_flight >= w->max_held)
		return; /* a call's end kicks again */
	/* A row may wait behind a full queue of its URL's: the lease covers
	 * every round of requests before it, then its own. */
	lease = (int64_t)w->cfg->events_timeout_ms * (WEBHOOK_ROUNDS + 1) +
	        WEBHOOK_LEASE_MARGIN_MS;
	w->claiming = 1;
	if (spool_wh_claim(w->sp, clock_wall_ms(), lease,
	                   w->max_held - w->st.in_flight, webhook_out_claimed,
	                   w) != SPOOL_OK)
		w->claiming = 0;
}

/* webhook_out_timer - the earliest row is due. */
static void
webhook_out_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	webhook_out_kick(arg);
}

/* webhook_hook_init - decode the secret, make the client. 0 or -1. */
static int
webhook_hook_init(struct webhook_out *w, struct webhook_hook *h,
                  const struct config_webhook *cw, char *err, size_t errlen)
{
	struct http_client_opts o;
	size_t i;
	int t;

	h->cfg = cw;
	if (whsig_secret_decode(cw->secret, h->key, &h->keylen) < 0) {
		snprintf(err, errlen,
		         "webhook %s: secret is not whsec_<base64>", cw->url);
		return -1;
	}
	for (i = 0; i < cw->n_types; i++)
		if ((t = webhook_type_parse(cw->types[i])) >= 0)
			h->types |= 1u << t;
	memset(&o, 0, sizeof(o));
	o.name = "webhook";
	o.max_in_flight = w->cfg->events_concurrency;
	o.total_timeout_ms = (long)w->cfg->events_timeout_ms;
	o.connect_timeout_ms = (long)w->cfg->events_timeout_ms;
	o.max_body = 64 * 1024;
	h->client = http_client_new(w->base, &o);
	if (h->client == NULL) {
		snprintf(err, errlen, "webhook %s: no HTTP client", cw->url);
		return -1;
	}
	return 0;
}

int
webhook_out_check(const struct config *cfg, char *err, size_t errlen)
{
	unsigned char key[WHSIG_KEY_MAX];
	size_t i, len;

	for (i = 0; i < cfg->n_webhooks; i++)
		if (whsig_secret_decode(cfg->webhooks[i].secret, key, &len) <
		    0) {
			snprintf(err, errlen,
			         "webhook %s: secret is not whsec_<base64>",
			         cfg->webhooks[i].url);
			return -1;
		}
	OPENSSL_cleanse(key, sizeof(key));
	return 0;
}

/* webhook_str_same - both NULL, or equal strings. */
static int
webhook_str_same(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

int
webhook_out_config_same(const struct config *a, const struct config *b)
{
	size_t i, k;

	if (a->n_webhooks != b->n_webhooks ||
	    a->events_retry_for_ms != b->events_retry_for_ms ||
	    a->events_retry_min_ms != b->events_retry_min_ms ||
	    a->events_retry_max_ms != b->events_retry_max_ms ||
	    a->events_timeout_ms != b->events_timeout_ms ||
	    a->events_concurrency != b->events_concurrency)
		return 0;
	for (i = 0; i < a->n_webhooks; i++) {
		const struct config_webhook *x = &a->webhooks[i],
		                            *y = &b->webhooks[i];

		if (!webhook_str_same(x->url, y->url) ||
		    !webhook_str_same(x->secret, y->secret) ||
		    !webhook_str_same(x->tenant, y->tenant) ||
		    x->n_types != y->n_types)
			return 0;
		for (k = 0; k < x->n_types; k++)
			if (!webhook_str_same(x->types[k], y->types[k]))
				return 0;
	}
	return 1;
}

struct webhook_out *
webhook_out_new(struct event_base *base, const struct config *cfg,
                struct spool *sp, char *err, size_t errlen)
{
	struct webhook_out *w;
	size_t i;

	if (cfg->n_webhooks == 0)
		return NULL;
	w = xcalloc(1, sizeof(*w));
	w->base = base;
	w->cfg = cfg;
	w->sp = sp;
	w->hooks = xcalloc(cfg->n_webhooks, sizeof(*w->hooks));
	w->n_hooks = cfg->n_webhooks;
	for (i = 0; i < cfg->n_webhooks; i++)
		if (webhook_hook_init(w, &w->hooks[i], &cfg->webhooks[i], err,
		                      errlen) < 0)
			goto fail;
	w->max_held =
	    cfg->events_concurrency * (unsigned)w->n_hooks * WEBHOOK_ROUNDS;
	w->flush_ev = event_new(base, -1, 0, webhook_out_flush, w);
	w->timer = evtimer_new(base, webhook_out_timer, w);
	if (events_subscribe(webhook_out_on_event, w) < 0) {
		snprintf(err, errlen, "webhook: event bus full");
		goto fail;
	}
	spool_outbox_set(sp, webhook_out_outbox, webhook_out_committed, w);
	/* Whatever a previous run left queued. */
	webhook_out_kick(w);
	return w;
fail:
	webhook_out_free(w);
	return NULL;
}

void
webhook_out_stats_get(const struct webhook_out *w,
                      struct webhook_out_stats *out)
{
	if (w == NULL)
		memset(out, 0, sizeof(*out));
	else
		*out = w->st;
}

void
webhook_out_render(const struct webhook_out *w, struct metrics_writer *mw)
{
	static const char *const results[] = {"ok", "retry", "dead"};
	struct webhook_out_stats s;
	struct metrics_label l;
	uint64_t v[3];
	size_t i;

	webhook_out_stats_get(w, &s);
	v[0] = s.ok;
	v[1] = s.retry;
	v[2] = s.dead;
	metrics_family(mw, "swerve_webhook_deliveries_total", "counter",
	               "Outbound webhook requests by result (ok: 2xx; retry: "
	               "failed, tried again later; dead: given up).");
	for (i = 0; i < 3; i++) {
		l.key = "result";
		l.value = results[i];
		metrics_sample(mw, &l, 1, (double)v[i]);
	}
	metrics_family(mw, "swerve_webhook_queue", "gauge",
	               "Outbound webhook deliveries waiting in the spool.");
	metrics_sample(mw, NULL, 0, (double)s.queued);
	metrics_family(mw, "swerve_webhook_dead_total", "counter",
	               "Outbound webhook deliveries dead-lettered (kept in the "
	               "spool).");
	metrics_sample(mw, NULL, 0, (double)s.dead_stored);
}

void
webhook_out_free(struct webhook_out *w)
{
	struct webhook_call *c, *next;
	size_t i;

	if (w == NULL)
		return;
	/* The writer stops making rows with w's hooks before they go. */
	if (w->sp != NULL)
		spool_outbox_unset(w->sp, w);
	events_unsubscribe(webhook_out_on_event, w);
	/* Hand what the bus gave to the spool; nobody waits for the commit. */
	if (w->n_pending > 0)
		(void)spool_wh_enqueue(w->sp, w->pending, w->n_pending, NULL,
		                       NULL); /* takes the rows either way */
	w->pending = NULL;
	w->n_pending = 0;
	for (c = w->calls; c != NULL; c = next) {
		next = c->next;
		if (c->call != NULL)
			http_call_cancel(c->call);
		webhook_call_release(c);
	}
	w->calls = NULL;
	for (i = 0; i < w->n_hooks; i++) {
		http_client_free(w->hooks[i].client);
		OPENSSL_cleanse(w->hooks[i].key, sizeof(w->hooks[i].key));
	}
	free(w->hooks);
	spool_wh_free(w->pending, w->n_pending);
	if (w->flush_ev != NULL)
		event_free(w->flush_ev);
	if (w->timer != NULL)
		event_free(w->timer);
	/* A claim or a store still in the spool calls back with w. */
	w->freed = 1;
	webhook_out_shell_end(w);
}
