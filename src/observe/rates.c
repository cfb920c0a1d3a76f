/*
 * rates.c - feed route/reputation from events and render its ratios
 * (see rates.h).
 */
#include "observe/rates.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "observe/events.h"
#include "observe/metrics.h"
#include "route/reputation.h"
#include "spool/feedback.h"

struct rates {
	struct reputation *rep;
	int64_t (*now_ms)(void);
	char **provs, **streams;
	size_t n_provs, n_streams;
	uint64_t min_volume;
};

/* rates_wall - the real clock's wall time. */
static int64_t
rates_wall(void)
{
	return clock_wall_ms();
}

struct rates *
rates_new(const struct config *cfg, struct reputation *rep,
          int64_t (*now_ms)(void))
{
	struct rates *r = xcalloc(1, sizeof(*r));
	size_t i;

	r->rep = rep;
	r->now_ms = now_ms != NULL ? now_ms : rates_wall;
	r->min_volume = cfg->rates_min_volume;
	r->provs = xcalloc(cfg->n_providers + 1, sizeof(*r->provs));
	for (i = 0; i < cfg->n_providers; i++)
		r->provs[r->n_provs++] = xstrdup(cfg->providers[i].name);
	r->streams = xcalloc(cfg->n_streams + 1, sizeof(*r->streams));
	for (i = 0; i < cfg->n_streams; i++)
		r->streams[r->n_streams++] = xstrdup(cfg->streams[i].name);
	if (events_subscribe(rates_on_event, r) != 0)
		log_warn("rates: too many event listeners; delivery ratios "
		         "will stay empty");
	return r;
}

void
rates_free(struct rates *r)
{
	size_t i;

	if (r == NULL)
		return;
	events_unsubscribe(rates_on_event, r);
	for (i = 0; i < r->n_provs; i++)
		free(r->provs[i]);
	for (i = 0; i < r->n_streams; i++)
		free(r->streams[i]);
	free(r->provs);
	free(r->streams);
	free(r);
}

/* rates_kind - what a feedback type counts as, or -1 for none. */
static int
rates_kind(enum feedback_type t)
{
	switch (t) {
	case FEEDBACK_DELIVERED:
		return REPUTATION_DELIVERED;
	case FEEDBACK_HARD_BOUNCE:
		return REPUTATION_HARD_BOUNCE;
	case FEEDBACK_SOFT_BOUNCE:
		return REPUTATION_SOFT_BOUNCE;
	case FEEDBACK_COMPLAINT:
		return REPUTATION_COMPLAINT;
	default:
		return -1;
	}
}

void
rates_on_event(const struct events_item *e, void *arg)
{
	struct rates *r = arg;
	int k;

	if (e->kind == EVENT_ATTEMPT && e->cls == SEND_ACCEPTED) {
		reputation_count(r->rep, r->now_ms(), e->provider,
		                 e->sender_domain, e->stream, REPUTATION_SENT,
		                 e->rcpts);
	} else if (e->kind == EVENT_FEEDBACK && e->feedback != NULL &&
	           e->msg_id != NULL) {
		k = rates_kind(e->feedback->type);
		if (k >= 0)
			reputation_count(r->rep, r->now_ms(), e->provider,
			                 e->sender_domain, e->stream,
			                 (enum reputation_kind)k, 1);
	}
}

/* The ratios exported, and their kind label. */
static const struct {
	enum reputation_kind kind;
	const char *name;
} rates_kinds[] = {
    {REPUTATION_DELIVERED, "delivered"},
    {REPUTATION_HARD_BOUNCE, "bounce"},
    {REPUTATION_SOFT_BOUNCE, "soft_bounce"},
    {REPUTATION_COMPLAINT, "complaint"},
};
#define RATES_KINDS (sizeof(rates_kinds) / sizeof(rates_kinds[0]))

/* One exported key. */
struct rates_key {
	enum reputation_scope scope;
	const char *name;
	uint64_t sends; /* 24h, for choosing domains */
};

/* rates_keys - the keys to export: configured providers and streams,
 * then the busiest domains over min_volume. Returns the count; *out is
 * malloc'd. */
static size_t
rates_keys(struct rates *r, int64_t now, struct rates_key **out)
{
	size_t n = 0, nd = 0, i, j, total = reputation_keys(r->rep);
	struct rates_key *k = xcalloc(
	    r->n_provs + r->n_streams + RATES_METRIC_DOMAINS + 1, sizeof(*k));
	struct reputation_counts c;
	enum reputation_scope s;
	const char *a, *b;

	for (i = 0; i < r->n_provs; i++)
		k[n++] =
		    (struct rates_key){REPUTATION_PROVIDER, r->provs[i], 0};
	for (i = 0; i < r->n_streams; i++)
		k[n++] =
		    (struct rates_key){REPUTATION_STREAM, r->streams[i], 0};
	for (i = 0; i < total; i++) {
		if (reputation_key_at(r->rep, i, &s, &a, &b) != 0 ||
		    s != REPUTATION_DOMAIN)
			continue;
		(void)reputation_get(r->rep, now, s, a, b, REPUTATION_24H, &c);
		if (c.n[REPUTATION_SENT] < r->min_volume ||
		    c.n[REPUTATION_SENT] == 0)
			continue;
		/* Keep the busiest: insertion into a short sorted tail. */
		if (nd == RATES_METRIC_DOMAINS &&
		    k[n + nd - 1].sends >= c.n[REPUTATION_SENT])
			continue;
		if (nd < RATES_METRIC_DOMAINS)
			nd++;
		for (j = n + nd - 1;
		     j > n && k[j - 1].sends < c.n[REPUTATION_SENT]; j--)
			k[j] = k[j - 1];
		k[j] = (struct rates_key){s, a, c.n[REPUTATION_SENT]};
	}
	*out = k;
	return n + nd;
}

/* rates_label - the scope's label key. */
static const char *
rates_label(enum reputation_scope s)
{
	return s == REPUTATION_PROVIDER ? "provider"
	       : s == REPUTATION_STREAM ? "stream"
	                                : "domain";
}

/* rates_samples - for every key and window, the four ratios (ratios)
 * or the sends, as samples of the current family. */
static void
rates_samples(struct rates *r, struct metrics_writer *w, int64_t now,
              const struct rates_key *keys, size_t n, bool ratios)
{
	struct metrics_label l[3] = {
	    {NULL, NULL}, {"window", NULL}, {"kind", NULL}};
	struct reputation_counts c;
	size_t i, k;
	int win;

	for (i = 0; i < n; i++) {
		l[0].key = rates_label(keys[i].scope);
		l[0].value = keys[i].name;
		for (win = 0; win < REPUTATION_WINDOW_COUNT; win++) {
			(void)reputation_get(r->rep, now, keys[i].scope,
			                     keys[i].name, NULL,
			                     (enum reputation_window)win, &c);
			l[1].value =
			    reputation_window_name((enum reputation_window)win);
			if (!ratios) {
				metrics_sample(w, l, 2,
				               (double)c.n[REPUTATION_SENT]);
				continue;
			}
			for (k = 0; k < RATES_KINDS; k++) {
				l[2].value = rates_kinds[k].name;
				metrics_sample(
				    w, l, 3,
				    reputation_ratio(&c, rates_kinds[k].kind));
			}
		}
	}
}

void
rates_render(struct rates *r, struct metrics_writer *w)
{
	int64_t now = r->now_ms();
	struct rates_key *keys;
	size_t n = rates_keys(r, now, &keys);

	metrics_family(w, "swerve_delivery_ratio", "gauge",
	               "Recipients delivered, hard-bounced (bounce), "
	               "soft-bounced and complained about, over recipients "
	               "sent, in the window (as Amazon SES computes "
	               "reputation).");
	rates_samples(r, w, now, keys, n, true);
	metrics_family(w, "swerve_delivery_sends", "gauge",
	               "Recipients a provider accepted in the window (the "
	               "ratios' denominator).");
	rates_samples(r, w, now, keys, n, false);
	free(keys);
	metrics_family(w, "swerve_delivery_rate_keys", "gauge",
	               "Providers, sender domains, streams and (provider, "
	               "domain) pairs whose ratios are kept (rates.max_keys).");
	metrics_sample(w, NULL, 0, (double)reputation_keys(r->rep));
	metrics_family(w, "swerve_delivery_rate_evicted_total", "counter",
	               "Keys of the ratios evicted to stay within "
	               "rates.max_keys (least recently counted first).");
	metrics_sample(w, NULL, 0, (double)reputation_evicted(r->rep));
}
