/*
 * webhook_out.h - events out to applications: events.webhooks
 * (contract).
 *
 * A listener on the event bus (observe/events.h) turns each event an
 * application may want (observe/webhook_event.h) into one queued
 * delivery per matching webhook (types, tenant) and hands the batch to
 * the spool (spool_wh_enqueue(): the same group commits as the mail; the
 * listener itself only appends to memory, so it never slows delivery).
 * A sender on the loop claims due rows, signs each with the Standard
 * Webhooks scheme (core/whsig.h) at send time and POSTs it with
 * net/http_client (one client per URL, events.concurrency calls at
 * once). A 2xx removes the row; anything else is retried with
 * exponential back-off and jitter (events.retry_min .. retry_max) until
 * events.retry_for after it was queued, then dead-lettered (kept in the
 * spool, listed by swervectl events dead). At-least-once: a claimed row
 * is leased, so after a crash it is sent again with the same
 * webhook-id. XXX: an event reaches the spool in the commit after the
 * one that made it happen, so a crash between the two loses it.
 *
 * Loop thread only.
 */
#ifndef SWERVE_OBSERVE_WEBHOOK_OUT_H
#define SWERVE_OBSERVE_WEBHOOK_OUT_H

#include <stddef.h>
#include <stdint.h>

struct config;
struct event_base;
struct spool;
struct metrics_writer;

struct webhook_out;

/* What the sender did since it started, and what the queue holds. */
struct webhook_out_stats {
	uint64_t ok, retry, dead; /* deliveries by result (this process) */
	uint64_t dropped;         /* events not queued (memory cap) */
	uint64_t queued;          /* rows waiting in the spool (last read) */
	uint64_t dead_stored;     /* dead-lettered rows in the spool */
	unsigned in_flight; /* rows claimed: being sent or waiting for a slot */
};

/*
 * webhook_out_new - subscribe to the bus and start sending for cfg's
 * events.webhooks (cfg, sp borrowed; they outlive it). NULL when cfg has
 * none (nothing to do) or a secret does not decode (err says why).
 */
struct webhook_out *webhook_out_new(struct event_base *base,
                                    const struct config *cfg, struct spool *sp,
                                    char *err, size_t errlen);

/* webhook_out_stats_get - copy the counters. */
void webhook_out_stats_get(const struct webhook_out *w,
                           struct webhook_out_stats *out);

/* webhook_out_render - swerve_webhook_deliveries_total{result},
 * swerve_webhook_queue, swerve_webhook_dead_total (w may be NULL: zeros). */
void webhook_out_render(const struct webhook_out *w, struct metrics_writer *mw);

/* webhook_out_free - unsubscribe, cancel the calls in flight (their rows
 * stay leased in the spool and are sent again later) and free w. Events
 * not yet handed to the spool are handed to it now. NULL is a no-op. */
void webhook_out_free(struct webhook_out *w);

#endif
