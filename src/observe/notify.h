/*
 * notify.h - alert notifications to people and their tools (contract).
 *
 * One target per alerts.notify entry:
 *
 *   webhook       POST url, application/json (notify_webhook_body), with
 *                 X-Swerve-Signature: t=<unix seconds>,v1=<hex> where hex
 *                 is HMAC-SHA256(secret, "<t>." + body) when secret_file
 *                 is set. A receiver recomputes it over the raw body and
 *                 refuses a t more than a few minutes old (replays).
 *   slack         POST url, Slack incoming-webhook JSON {text, blocks}
 *   alertmanager  POST url + /api/v2/alerts, a one-element array of
 *                 {labels, annotations, startsAt, endsAt}. Firing alerts
 *                 carry endsAt = now + 4 minutes and are re-posted every
 *                 minute while they fire (notify_alert_refresh), as
 *                 Prometheus does; a resolve carries endsAt = now.
 *   email         a plain-text message to `to` from `from`, submitted to
 *                 the spool on the stream `stream` (default critical,
 *                 else transactional) so ordinary routing delivers it:
 *                 routing never picks a provider whose circuit is open,
 *                 so the mail about a dead provider leaves through a
 *                 healthy one (or waits, deferred, until one is).
 *
 * Every notification is a job in a bounded queue (NOTIFY_QUEUE_MAX; when
 * full the oldest job not in flight is dropped, with a warning). A failed
 * job (connection error, timeout, 5xx, 408, 429; a spool refusal) is
 * retried with exponential back-off from backoff_min_ms doubling up to
 * 5 minutes, at most NOTIFY_MAX_ATTEMPTS times; other 4xx answers are
 * final. A target gets its jobs one at a time, in order (a resolve never
 * overtakes the firing it ends). HTTP runs on the loop through libcurl
 * multi (net/http_client.h), one client per target with a 10 s timeout,
 * so a dead or hanging receiver costs a socket and never blocks delivery.
 * Secrets are never logged: log lines name the target by type and host.
 *
 * Loop thread only.
 */
#ifndef SWERVE_OBSERVE_NOTIFY_H
#define SWERVE_OBSERVE_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "observe/alert.h"

struct config;
struct config_notify;
struct event_base;
struct spool;
struct notify;

#define NOTIFY_QUEUE_MAX 256
#define NOTIFY_MAX_ATTEMPTS 12
#define NOTIFY_SIG_SIZE 96 /* "t=...,v1=" + 64 hex digits + NUL */

struct notify_opts {
	struct event_base *base;
	const struct config *cfg; /* borrowed: alerts.notify, streams */
	struct spool *spool;      /* borrowed: e-mail targets */
	const char *hostname;     /* copied; in payloads; NULL: cfg's */
	uint64_t backoff_min_ms;  /* first retry delay; 0: 1000 */
	uint64_t timeout_ms;      /* per HTTP request; 0: 10000 */
	int64_t (*now_ms)(void);  /* stamps' wall clock; NULL: core/clock */
};

/* notify_new - the targets of cfg. NULL if an HTTP client cannot be
 * made (logged). */
struct notify *notify_new(const struct notify_opts *opts);

/*
 * notify_free - drop queued jobs and cancel requests in flight (their
 * outcome is never known). E-mail jobs waiting for the spool are
 * released by its callback. NULL is a no-op.
 */
void notify_free(struct notify *n);

/* notify_alert - queue a change of a (borrowed) for every target whose
 * min_severity it meets. */
void notify_alert(struct notify *n, const struct alert_info *a,
                  enum alert_change ch);

/* notify_alert_refresh - re-post a firing alert to Alertmanager targets
 * only (keeps its endsAt in the future). */
void notify_alert_refresh(struct notify *n, const struct alert_info *a);

/*
 * ---- one notification per event across a fleet (src/cluster) ----------
 *
 * With a fleet set, a firing alert's notifications are held until the
 * fleet answers whether this node sends them (claim: key "<rule>
 * <subject>"; done(send, token) exactly once, maybe inside the call).
 * The node that wins owns the episode: it alone sends the firing, its
 * repeats and refreshes, and the resolve (then release(key) lets the
 * claim lapse after a grace period); the others drop theirs (counted in
 * notify_stats.deduped). A target's held job keeps its place: nothing
 * behind it overtakes it. Without a fleet, every change is sent.
 */
typedef void notify_claim_done(bool send, void *token);
struct notify_fleet {
	void (*claim)(void *arg, const char *key, notify_claim_done *done,
	              void *token);
	void (*release)(void *arg, const char *key);
	void *arg;
};

/* notify_fleet_set - ask f (copied; NULL: no fleet) from now on. */
void notify_fleet_set(struct notify *n, const struct notify_fleet *f);

struct notify_stats {
	uint64_t queued;  /* jobs waiting or in flight now */
	uint64_t sent;    /* delivered (2xx, or stored by the spool) */
	uint64_t retries; /* failed tries that were retried */
	uint64_t failed;  /* given up (final answer or attempts used) */
	uint64_t dropped; /* pushed out of a full queue */
	uint64_t deduped; /* left to the node of the fleet that sends them */
};

/* notify_stats_get - counters since start. */
void notify_stats_get(const struct notify *n, struct notify_stats *out);

/* --- payloads (pure; notify_webhook.c, notify_slack.c, ...) ------------ */

/* notify_webhook_body - the generic webhook JSON; caller frees. */
char *notify_webhook_body(const struct alert_info *a, enum alert_change ch,
                          const char *host, int64_t now_ms);

/* notify_webhook_sign - "t=<ts>,v1=<hex HMAC-SHA256(secret, ts.body)>". */
void notify_webhook_sign(const char *secret, int64_t ts, const char *body,
                         size_t len, char out[NOTIFY_SIG_SIZE]);

/* notify_slack_body - Slack incoming-webhook JSON; caller frees. */
char *notify_slack_body(const struct alert_info *a, enum alert_change ch,
                        const char *host);

/* notify_alertmanager_body - Alertmanager v2 alerts JSON (an array of
 * one); caller frees. */
char *notify_alertmanager_body(const struct alert_info *a, enum alert_change ch,
                               const char *host, int64_t now_ms);

/* notify_alertmanager_url - base + "/api/v2/alerts"; caller frees. */
char *notify_alertmanager_url(const char *base);

/* notify_email_build - the RFC 5322 alert message (CRLF) for target t,
 * appended to out. */
void notify_email_build(const struct config_notify *t,
                        const struct alert_info *a, enum alert_change ch,
                        const char *host, int64_t now_ms, struct buf *out);

#endif
