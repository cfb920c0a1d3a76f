/*
 * stats.h - counters and histograms learnt from events (contract).
 *
 * An events listener (observe/events.h) that keeps what the Prometheus
 * exposition needs beyond the modules' own counters: deliveries by
 * provider, stream and result class; failovers from -> to; delivery
 * latency (accepted -> provider accepted) per stream and attempt
 * duration per provider as histograms; outcomes per stream; messages
 * accepted per ingress and tenant; circuit changes; throttling; each
 * provider's share of accepted deliveries over the last 5 minutes; and
 * an in-memory estimate of the queue per stream (depth and oldest age).
 *
 * Every label value comes from the configuration (provider, stream and
 * tenant names) or from fixed tables (class, outcome, state): a name not
 * in the configuration counts under "other", so the label sets stay
 * bounded whatever the events say. Message ids are used only as keys of
 * the queue estimate and never appear in the output; addresses are never
 * read.
 *
 * The queue estimate (swerve_stream_queued_messages,
 * swerve_stream_oldest_message_age_seconds) is APPROXIMATE: a message
 * counts from its accepted event (mail the daemon found in the spool at
 * start: from stats_seed(); DSNs: from their first delivery event) until
 * it is sent or failed. Its age comes from its id (ids carry their creation
 * time). At most STATS_TRACK_MAX messages are tracked; beyond that new
 * ones are only counted in swerve_stream_queue_untracked_total, which
 * keeps the oldest age right (the oldest are the ones tracked). Accepted
 * events without a stream count under the stream "transactional" until
 * a delivery event names the real one. The spool's own per-state counts
 * (swerve_queue_messages) stay exact.
 *
 * Loop thread only (events come from the loop thread; render from it).
 */
#ifndef SWERVE_OBSERVE_STATS_H
#define SWERVE_OBSERVE_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "observe/events.h"

struct config;
struct metrics_writer;
struct stats;

#define STATS_TRACK_MAX 65536 /* messages in the queue estimate */
#define STATS_MAX_TENANTS 256 /* tenant label values; more: "other" */

/*
 * stats_new - empty statistics for cfg's providers, streams and tenants
 * (SMTP users' names and API keys' tenants). The names are copied; cfg
 * may be freed afterwards. now_ms (may be NULL: the real clock) is a
 * test seam for the 5-minute window and the queue ages.
 */
struct stats *stats_new(const struct config *cfg, int64_t (*now_ms)(void));

/*
 * stats_seed - add the unsent messages already in the spool (ready and
 * deferred, oldest first, up to STATS_TRACK_MAX) to the queue estimate,
 * so a restart does not hide old mail until its next attempt. Pages of
 * 1,000 through spool_msg_list(), one after the other, on the spool's
 * writer like any read; the callbacks run on the loop thread, in order
 * with the claims, so a message is never counted after it was sent.
 * sp is borrowed; st must outlive spool_close(sp) (which runs the last
 * callback). Returns 0, or -1 when the spool refused (closing).
 */
struct spool;
int stats_seed(struct stats *st, struct spool *sp);

/* stats_rates_set - render r's delivery ratios (observe/rates.h) with
 * the rest; r is borrowed and must outlive st's rendering. */
struct rates;
void stats_rates_set(struct stats *st, struct rates *r);

/* stats_free - free st. NULL is a no-op. */
void stats_free(struct stats *st);

/* stats_on_event - an events_fn: record e. arg is the struct stats. */
void stats_on_event(const struct events_item *e, void *arg);

/*
 * stats_render - write every family this module keeps to w, with zero
 * samples for configured label values that saw nothing yet (so rate()
 * and increase() see a series from its first increment).
 */
void stats_render(struct stats *st, struct metrics_writer *w);

/* What swervectl and tests read without parsing the exposition. */
struct stats_provider_view {
	uint64_t accepted_5m; /* accepted deliveries in the last 5 min */
	double share_5m;      /* of all providers' accepted_5m; 0 if none */
};
/* stats_provider_view - fill out for provider i (config order); -1 if
 * there is no such provider. */
int stats_provider_view(struct stats *st, size_t i,
                        struct stats_provider_view *out);

/* stats_stream_queue - the estimate for stream i: messages tracked and
 * the oldest one's age in ms (0 when none). -1 if no such stream. */
int stats_stream_queue(struct stats *st, size_t i, uint64_t *queued,
                       uint64_t *oldest_age_ms);

/* Bucket upper bounds, in seconds, of the latency histograms: the
 * Prometheus client default buckets, then minutes to an hour (mail that
 * waited through an outage). */
#define STATS_LAT_BUCKETS 18
extern const double stats_latency_bounds[STATS_LAT_BUCKETS];

#endif
