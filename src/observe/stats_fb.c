/*
 * stats_fb.c - counters of provider delivery events (see stats_fb.h).
 *
 * Fixed tables: [provider + 1 ("other")][type] and [provider + 1]
 * [reason + 1 ("other")], so counting is an index and an increment.
 * Rows of configured providers are always shown (zeros included), so a
 * rate() over them starts at the first scrape; "other" only once it
 * counted something.
 */
#include "observe/stats_fb.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/xmalloc.h"
#include "observe/events.h"
#include "observe/metrics.h"
#include "spool/feedback.h"

static const char *const stats_fb_reasons[] = {
    "signature",   "stale",     "replay", "forbidden",       "malformed",
    "unavailable", "too_large", "parse",  "not_implemented", "spool",
};
#define STATS_FB_REASONS                                                       \
	(sizeof(stats_fb_reasons) / sizeof(stats_fb_reasons[0]))

struct stats_fb {
	char **names; /* providers with events */
	size_t n;
	uint64_t *events;    /* [n + 1][FEEDBACK_TYPE_COUNT] */
	uint64_t *unmatched; /* [n + 1] */
	uint64_t *refused;   /* [n + 1][STATS_FB_REASONS + 1] */
};

struct stats_fb *
stats_fb_new(const struct config *cfg)
{
	struct stats_fb *s = xcalloc(1, sizeof(*s));
	size_t i;

	s->names = xcalloc(cfg->n_providers + 1, sizeof(*s->names));
	for (i = 0; i < cfg->n_providers; i++)
		if (cfg->providers[i].events.configured)
			s->names[s->n++] = xstrdup(cfg->providers[i].name);
	s->events = xcalloc((s->n + 1) * FEEDBACK_TYPE_COUNT, sizeof(uint64_t));
	s->unmatched = xcalloc(s->n + 1, sizeof(uint64_t));
	s->refused =
	    xcalloc((s->n + 1) * (STATS_FB_REASONS + 1), sizeof(uint64_t));
	return s;
}

void
stats_fb_free(struct stats_fb *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++)
		free(s->names[i]);
	free(s->names);
	free(s->events);
	free(s->unmatched);
	free(s->refused);
	free(s);
}

/* stats_fb_provider - the row of provider p ("other": n). */
static size_t
stats_fb_provider(const struct stats_fb *s, const char *p)
{
	size_t i;

	for (i = 0; p != NULL && i < s->n; i++)
		if (strcmp(s->names[i], p) == 0)
			return i;
	return s->n;
}

void
stats_fb_on_event(struct stats_fb *s, const struct events_item *e)
{
	size_t p = stats_fb_provider(s, e->provider), r;

	if (e->kind == EVENT_FEEDBACK && e->feedback != NULL &&
	    (unsigned)e->feedback->type < FEEDBACK_TYPE_COUNT) {
		s->events[p * FEEDBACK_TYPE_COUNT + e->feedback->type]++;
		if (e->msg_id == NULL)
			s->unmatched[p]++;
	} else if (e->kind == EVENT_FEEDBACK_REFUSED) {
		for (r = 0; r < STATS_FB_REASONS; r++)
			if (e->reason != NULL &&
			    strcmp(e->reason, stats_fb_reasons[r]) == 0)
				break;
		s->refused[p * (STATS_FB_REASONS + 1) + r]++;
	}
}

/* stats_fb_zero - true if n counters from v are all zero. */
static bool
stats_fb_zero(const uint64_t *v, size_t n)
{
	while (n-- > 0)
		if (*v++ != 0)
			return false;
	return true;
}

void
stats_fb_render(const struct stats_fb *s, struct metrics_writer *w)
{
	struct metrics_label l[2] = {{"provider", NULL}, {"type", NULL}};
	size_t p, k;

	/* Nothing configured and nothing seen: no empty families. */
	if (s->n == 0 && stats_fb_zero(s->events, FEEDBACK_TYPE_COUNT) &&
	    s->unmatched[0] == 0 &&
	    stats_fb_zero(s->refused, STATS_FB_REASONS + 1))
		return;
	metrics_family(w, "swerve_feedback_events_total", "counter",
	               "Provider delivery events stored, by type (replays "
	               "not counted).");
	for (p = 0; p <= s->n; p++) {
		const uint64_t *v = &s->events[p * FEEDBACK_TYPE_COUNT];
		if (p == s->n && stats_fb_zero(v, FEEDBACK_TYPE_COUNT))
			continue;
		l[0].value = p < s->n ? s->names[p] : "other";
		for (k = 0; k < FEEDBACK_TYPE_COUNT; k++) {
			l[1].value = feedback_type_name((enum feedback_type)k);
			metrics_sample(w, l, 2, (double)v[k]);
		}
	}
	metrics_family(w, "swerve_feedback_unmatched_total", "counter",
	               "Stored provider events that named no known message.");
	for (p = 0; p <= s->n; p++) {
		if (p == s->n && s->unmatched[p] == 0)
			continue;
		l[0].value = p < s->n ? s->names[p] : "other";
		metrics_sample(w, l, 1, (double)s->unmatched[p]);
	}
	metrics_family(w, "swerve_feedback_refused_total", "counter",
	               "Requests to a feedback path refused, nothing stored, "
	               "by reason.");
	l[1].key = "reason";
	for (p = 0; p <= s->n; p++) {
		const uint64_t *v = &s->refused[p * (STATS_FB_REASONS + 1)];
		if (p == s->n && stats_fb_zero(v, STATS_FB_REASONS + 1))
			continue;
		l[0].value = p < s->n ? s->names[p] : "other";
		for (k = 0; k <= STATS_FB_REASONS; k++) {
			l[1].value = k < STATS_FB_REASONS ? stats_fb_reasons[k]
			                                  : "other";
			metrics_sample(w, l, 2, (double)v[k]);
		}
	}
}
