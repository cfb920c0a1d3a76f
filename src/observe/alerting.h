/*
 * alerting.h - built-in alerting wired to the daemon (contract).
 *
 * Puts observe/alert.h (the rules), observe/backlog.h (per-stream queue
 * figures from events) and observe/notify.h (the notifiers) together:
 * subscribes to events, evaluates the rules every alerts.interval over a
 * snapshot of deliver's providers, the backlog and the spool, logs each
 * change ("alert: firing rule/subject [severity] summary"; with
 * log.format json one JSON line with event "alert") and hands it to the
 * notifiers. Every
 * minute it re-posts firing alerts to Alertmanager and checks the oldest
 * message of each stream against the spool (a missed event must not
 * leave a ghost that keeps queue_age firing). At start it seeds the
 * backlog from the spool's ready and deferred messages, a page at a
 * time on the writer thread.
 *
 * The rules and notifiers are those of the configuration at start: a
 * SIGHUP reload does not change them (restart to change alerts:).
 *
 * Loop thread only. cfg, d and sp are borrowed and must outlive it;
 * alerting_free must run before spool_close (a spool read still pending
 * then releases what is left from its callback).
 */
#ifndef SWERVE_OBSERVE_ALERTING_H
#define SWERVE_OBSERVE_ALERTING_H

#include <stddef.h>

struct config;
struct deliver;
struct event_base;
struct spool;
struct alert;
struct notify;
struct alerting;

/* alerting_new - start. NULL if a notifier cannot be set up (logged). */
struct alerting *alerting_new(struct event_base *base, const struct config *cfg,
                              struct deliver *d, struct spool *sp);

/* alerting_free - stop: unsubscribe, drop queued notifications. NULL is
 * a no-op. */
void alerting_free(struct alerting *al);

struct cluster;
/* alerting_set_readiness - the readiness rule asks r which sender
 * domains a provider is not ready for (borrowed; outlives al). */
struct readiness;
void alerting_set_readiness(struct alerting *al, struct readiness *r);

/* alerting_set_cluster - the cluster_lost rule asks c (borrowed; must
 * outlive al or be unset with NULL) whether Redis is reachable. */
void alerting_set_cluster(struct alerting *al, struct cluster *c);

struct notify_fleet;
/* alerting_fleet_set - notifications asked of the fleet f (copied; NULL:
 * none) before they go: see notify_fleet_set. No-op without notifiers. */
void alerting_fleet_set(struct alerting *al, const struct notify_fleet *f);

/* alerting_engine - the rules, for listing active alerts. */
const struct alert *alerting_engine(const struct alerting *al);

/* alerting_notify - the notifiers, for their counters. */
const struct notify *alerting_notify(const struct alerting *al);

/*
 * alerting_notice - an alert that no rule watches (drills, issue 16):
 * firing 1: rule fires once with summary (logged, EVENT_ALERT, every
 * notifier told; severity warning); firing 0: a test notification (a
 * "resolved" notice of severity critical, so every notifier gets it)
 * that tells each route's answer through EVENT_NOTIFIED. Strings are
 * borrowed for the call.
 */
void alerting_notice(struct alerting *al, const char *rule, const char *summary,
                     int firing);

/* alerting_targets - how many notifiers there are. */
size_t alerting_targets(const struct alerting *al);

#endif
