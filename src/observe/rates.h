/*
 * rates.h - the delivery ratios' listener on the event bus, and their
 * metrics (contract; the store is route/reputation.h).
 *
 * Counts into a struct reputation:
 *   sends      EVENT_ATTEMPT classed SEND_ACCEPTED: its recipients
 *              (the provider took them), under the provider, the
 *              message's sender domain and its stream;
 *   feedback   EVENT_FEEDBACK that matched a message: delivered, hard
 *              bounce, soft bounce, complaint, under the same three
 *              (provider, sender domain and stream of the message).
 * Unmatched feedback counts nowhere (no message: no domain, no send).
 * The windows start empty at start: feedback that arrives after a
 * restart for mail sent before it counts in the numerator without its
 * send (rates.min_volume keeps that from firing on a handful).
 *
 * Metrics (rates_render):
 *   swerve_delivery_ratio{provider|domain|stream, window, kind}
 *       kind: delivered, bounce (hard), soft_bounce, complaint, each
 *       over sends in the window (24h, 1h);
 *   swerve_delivery_sends{provider|domain|stream, window}
 *       the denominator;
 *   swerve_delivery_rate_keys, swerve_delivery_rate_evicted_total.
 * Exactly one of the provider, domain and stream labels is set on a
 * sample. Providers and streams are the configured ones; domains only
 * those with at least rates.min_volume sends in 24 hours, at most
 * RATES_METRIC_DOMAINS of them (the busiest), so the series stay
 * bounded whatever mail is sent. (provider, domain) pairs drive routing
 * and are shown in `swervectl trace`, not exported.
 *
 * Loop thread only.
 */
#ifndef SWERVE_OBSERVE_RATES_H
#define SWERVE_OBSERVE_RATES_H

#include <stdint.h>

struct config;
struct events_item;
struct metrics_writer;
struct reputation;
struct rates;

#define RATES_METRIC_DOMAINS 50

/* rates_new - count into rep (borrowed; must outlive the listener) and
 * subscribe; provider and stream names are cfg's (copied). now_ms (NULL:
 * the wall clock) is a test seam. */
struct rates *rates_new(const struct config *cfg, struct reputation *rep,
                        int64_t (*now_ms)(void));

/* rates_free - unsubscribe and release r. NULL is a no-op. */
void rates_free(struct rates *r);

/* rates_on_event - the listener (events_fn); public for tests. */
void rates_on_event(const struct events_item *e, void *arg);

/* rates_render - the families above into w. */
void rates_render(struct rates *r, struct metrics_writer *w);

#endif
