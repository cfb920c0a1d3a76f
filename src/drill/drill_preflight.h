/*
 * drill_preflight.h - is the system ready to lose a provider? (contract)
 *
 * For each stream the drilled provider serves (every provider, when
 * none is named: each stream's preferred one), one row per check:
 *
 *   backup    another provider the stream may use is enabled, not
 *             paused or draining, and its circuit is not open
 *   capacity  the backups together can take the last hour's peak minute
 *             of the provider plus their own: max_rate, the daily quota
 *             left, and max_connections at their observed latency
 *   proven    a backup worked in the last hour (an accepted message or
 *             a good probe; keep_warm or probes keep one proven)
 *   alerts    every alert notifier answered the test notification
 *             (only when tested: `swervectl drill preflight` tests)
 *
 * Each row says ok or not and why, in words. Ready is every row ok.
 * Reads deliver's provider states (deliver.h) and the traffic record;
 * no I/O.
 */
#ifndef SWERVE_DRILL_DRILL_PREFLIGHT_H
#define SWERVE_DRILL_DRILL_PREFLIGHT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

struct config;
struct deliver;
struct drill_traffic;

/* What the alert routes did with a test notification. */
struct drill_preflight_alerts {
	bool tested;    /* a test was sent (and waited for) */
	size_t targets; /* notifiers configured */
	size_t ok, failed;
};

/*
 * drill_preflight_run - the readiness of cfg's streams to lose provider
 * (NULL: each stream's preferred provider), only stream when not NULL:
 *   {"ready": bool, "provider": ..., "rows": [{"stream", "provider",
 *    "check", "ok", "reason"}]}
 * Caller decrefs.
 */
json_t *drill_preflight_run(const struct config *cfg, const struct deliver *d,
                            const struct drill_traffic *t, const char *provider,
                            const char *stream,
                            const struct drill_preflight_alerts *alerts,
                            int64_t now_ms);

/* drill_preflight_render - the table as text, appended to out. */
void drill_preflight_render(const json_t *pf, struct buf *out);

/* drill_preflight_reasons - the reasons of the rows that are not ok,
 * joined by "; ", into out. */
void drill_preflight_reasons(const json_t *pf, char *out, size_t n);

#endif
