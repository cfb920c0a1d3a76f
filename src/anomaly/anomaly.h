/*
 * anomaly.h - trouble coming: the detector of anomaly_model.h on the
 * daemon's delivery signals (contract).
 *
 * Listens to the event bus and keeps, per interval (anomaly.interval),
 * one sample of each signal:
 *
 *   per provider             acceptance latency (mean ms of accepted
 *                            attempts), deferral ratio (attempts deferred
 *                            or with an unknown outcome / attempts),
 *                            throttle ratio, bounce ratio (hard bounces
 *                            reported / recipients accepted), complaint
 *                            ratio — all watched upwards;
 *   per provider and         deferral and bounce ratios, for the first
 *   recipient domain         anomaly.top_domains domains a provider
 *                            carries (the domain of an attempt's first
 *                            recipient);
 *   per stream               volume (messages accepted), watched both
 *                            ways: a drop means an application stopped
 *                            sending.
 *
 * A ratio or latency sample is taken only when the interval had
 * anomaly.min_volume attempts (a ratio of 3 attempts says nothing). Each
 * signal learns its hour-of-week baseline; nothing fires before
 * anomaly.warmup of samples. A change is explained in words and numbers
 * ("deferral ratio at sendgrid for gmail.com 18.2% over the last 5 min
 * (52 of 286 attempts); usual for Monday 10:00 is 0.7% +- 0.4%; 92% of
 * deferrals were 421 4.7.0"), logged, and emitted as EVENT_ANOMALY
 * (state "firing" / "resolved"), which the alert rules of kind anomaly
 * and the incidents read. With on_anomaly: shift a provider keeps
 * anomaly.shift_share of its traffic (for the domain, when the signal is
 * a domain's) while one of its signals fires (anomaly_share()).
 *
 * Learning survives a restart: the models are written to
 * <spool.dir>/anomaly.state (anomaly_state.h) every hour and at exit, by
 * a thread (the loop never waits for the disk), and read at start.
 *
 * Loop thread only (the writer thread touches only its own copy).
 */
#ifndef SWERVE_ANOMALY_ANOMALY_H
#define SWERVE_ANOMALY_ANOMALY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct event_base;
struct anomaly;

/*
 * anomaly_new - start, reading the learning in state_path (a missing
 * file starts empty; an unreadable one is logged and starts empty).
 * base may be NULL (no timers: a test calls anomaly_tick). cfg and
 * state_path are copied where kept. NULL when anomaly.enabled is false.
 */
struct anomaly *anomaly_new(struct event_base *base, const struct config *cfg,
                            const char *state_path);

/* anomaly_free - save the learning (waits for the write), unsubscribe,
 * free. NULL is a no-op. */
void anomaly_free(struct anomaly *an);

/* anomaly_tick - close the interval ending at now_ms: sample every
 * signal, learn, emit changes. The daemon's timer calls it. */
void anomaly_tick(struct anomaly *an, int64_t now_ms);

/* anomaly_save - write the learning now (blocking; for tests and exit).
 * 0 or -1 (logged). */
int anomaly_save(struct anomaly *an);

/*
 * anomaly_share - with on_anomaly: shift, the share provider keeps for
 * a message to domain (NULL: any) while one of its signals (the
 * provider's, or that domain's at the provider) fires: shift_share, and
 * why in why[0..whylen); otherwise 1 and why "". NULL an: 1.
 */
double anomaly_share(const struct anomaly *an, const char *provider,
                     const char *domain, char *why, size_t whylen);

/*
 * anomaly_json - for GET /v1/anomalies: {"signals": N, "interval_s",
 * "warmup_samples", "firing": [{"signal", "provider", "stream",
 * "domain", "since", "text"}], "recent": [{"at", "state", "signal",
 * "provider", "stream", "domain", "text"}] (newest first, at most
 * 100)}. New reference.
 */
json_t *anomaly_json(const struct anomaly *an);

#endif
