/*
 * health.h - passive health per provider (contract).
 *
 * Learns from every delivery result: counts per result class (since init
 * and over a sliding window), the success ratio over that window, and an
 * exponentially weighted moving average (EWMA) of the latency of the
 * attempts the provider answered. Folds them into one score in (0, 1]
 * that the router multiplies into a provider's weight, and keeps the
 * fail-back ramp that brings traffic back to a healed provider slowly.
 *
 * For the provider, SEND_ACCEPTED and SEND_REJECTED are successes (a
 * rejection means the provider worked and the recipient was bad);
 * DEFERRED, THROTTLED, CONFIG and UNKNOWN are failures.
 *
 * Pure logic: time is passed in (milliseconds, monotonic), no I/O, no
 * allocation; the struct is plain data the caller embeds. Not
 * thread-safe; the loop thread owns it.
 */
#ifndef SWERVE_ROUTE_HEALTH_H
#define SWERVE_ROUTE_HEALTH_H

#include <stdbool.h>
#include <stdint.h>

#include "send/result.h"

#define HEALTH_BUCKETS 30 /* the window is this many slices */
#define HEALTH_SCORE_FLOOR 0.01
#define HEALTH_RAMP_FLOOR 0.05

/* Tuning; a zero field takes its default (in parentheses). */
struct health_opts {
	double ewma_alpha;       /* weight of the newest sample, (0,1] (0.2) */
	uint64_t window_ms;      /* success-ratio window (300000) */
	uint64_t latency_ref_ms; /* latency that still scores 1 (1000) */
};

/* One slice of the window. */
struct health_bucket {
	uint64_t slot; /* now_ms / slice width when last written */
	uint32_t n[SEND_CLASS_COUNT];
};

struct health {
	struct health_opts opts;
	uint64_t total[SEND_CLASS_COUNT]; /* since init, per class */
	struct health_bucket win[HEALTH_BUCKETS];
	double ewma_ms; /* latency EWMA; valid if have_latency */
	bool have_latency;
	uint64_t ramp_start_ms; /* fail-back ramp began at */
	uint64_t ramp_ms;       /* its length; 0: no ramp */
};

/* health_init - no data yet: ratio 1, score 1; opts may be NULL. */
void health_init(struct health *h, const struct health_opts *opts);

/*
 * health_record - learn one attempt's result. latency_ms is from the
 * start of the attempt to its outcome; it feeds the EWMA only for
 * successes (a timeout's "latency" says nothing about speed). A class
 * out of range is ignored.
 */
void health_record(struct health *h, uint64_t now_ms, enum send_class cls,
                   uint64_t latency_ms);

/* health_class_is_success - ACCEPTED or REJECTED. */
bool health_class_is_success(enum send_class cls);

/* health_window_count - results of class cls in the window ending now. */
uint64_t health_window_count(const struct health *h, uint64_t now_ms,
                             enum send_class cls);

/*
 * health_success_ratio - successes / results over the window ending now;
 * 1.0 when there are none.
 */
double health_success_ratio(const struct health *h, uint64_t now_ms);

/* health_latency_ewma - latency EWMA in ms, rounded; 0 with no data. */
uint64_t health_latency_ewma(const struct health *h);

/*
 * health_score - success ratio x latency factor, in [0.01, 1].
 *   latency factor = min(1, 2 * ref / (ref + ewma))
 * which is 1 while the EWMA is at or under latency_ref_ms, 2/3 at twice
 * the reference, 1/2 at three times, and tends to 0 as latency grows;
 * with no latency data it is 1. The result is floored at
 * HEALTH_SCORE_FLOOR so that health alone never makes a weight exactly
 * zero. Does not include the fail-back ramp (health_ramp_factor).
 */
double health_score(const struct health *h, uint64_t now_ms);

/*
 * health_ramp_start - begin the fail-back ramp: call when the provider's
 * breaker closes after having been open. Also forgets the window (not
 * the totals or the latency EWMA): the outage's failures would otherwise
 * hold the score down for a whole window after the breaker proved the
 * provider healthy, and the ramp is what limits its share now. ramp_ms 0
 * cancels any ramp (the provider gets its full share at once).
 */
void health_ramp_start(struct health *h, uint64_t now_ms, uint64_t ramp_ms);

/*
 * health_ramp_factor - share multiplier for fail-back: rises linearly from
 * HEALTH_RAMP_FLOOR (0.05) at the ramp's start to 1.0 at its end; 1.0
 * when no ramp is running.
 */
double health_ramp_factor(const struct health *h, uint64_t now_ms);

#endif
