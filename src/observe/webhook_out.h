/*
 * webhook_out.h - events out to applications: events.webhooks
 * (contract).
 *
 * Each event an application may want (observe/webhook_event.h) becomes
 * one queued delivery per matching webhook (types, tenant). Those that
 * tell of a change the spool records (accepted, sent, deferred, failed,
 * and the provider-reported ones) are made by the spool's outbox
 * (spool.h) on the writer thread and stored in the very transaction of
 * the change, so a crash never falls between the two; a recipient left
 * out by the suppression list (nothing stored) comes from the event bus
 * and is queued in the next group commit. Neither waits for the network,
 * so webhooks never slow delivery.
 * A sender on the loop claims due rows, signs each with the Standard
 * Webhooks scheme (core/whsig.h) at send time and POSTs it with
 * net/http_client (one client per URL, events.concurrency calls at
 * once). A 2xx removes the row; anything else is retried with
 * exponential back-off and jitter (events.retry_min .. retry_max) until
 * events.retry_for after it was queued, then dead-lettered (kept in the
 * spool, listed by swervectl events dead). At-least-once: a claimed row
 * is leased, so after a crash it is sent again with the same
 * webhook-id.
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

/* webhook_out_check - would webhook_out_new() take cfg's webhooks
 * (every secret decodes)? 0, or -1 with err. */
int webhook_out_check(const struct config *cfg, char *err, size_t errlen);

/* webhook_out_config_same - 1 when a and b configure the same webhooks
 * and events settings (a reload need not replace the sender). */
int webhook_out_config_same(const struct config *a, const struct config *b);

/* webhook_out_stats_get - copy the counters. */
void webhook_out_stats_get(const struct webhook_out *w,
                           struct webhook_out_stats *out);

/* webhook_out_render - swerve_webhook_deliveries_total{result},
 * swerve_webhook_queue, swerve_webhook_dead_total (w may be NULL: zeros). */
void webhook_out_render(const struct webhook_out *w, struct metrics_writer *mw);

/* webhook_out_free - unsubscribe, cancel the calls in flight (their rows
 * stay leased in the spool and are sent again later, under the same
 * ids) and free w. Events not yet handed to the spool are handed to it
 * now. The spool's outbox is cleared if it is still w's (a reload makes
 * the new sender first, then frees the old one, so no change goes
 * untold in between). NULL is a no-op. */
void webhook_out_free(struct webhook_out *w);

#endif
