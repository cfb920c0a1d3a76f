/*
 * alert.h - the built-in alert rules (contract).
 *
 * A pure rule engine: the caller feeds it events (alert_event) and, every
 * alerts.interval, a snapshot of what it can see now (alert_eval with the
 * time). For each rule of the configuration (alerts.rules) and each
 * subject (a provider or a stream; none for disk_low) it keeps an alert
 * instance through
 *
 *   inactive --cond--> pending --cond held for `for`--> firing
 *   firing --clear (with hysteresis) held for clear_for--> resolved
 *
 * and calls the notify callback on firing, on resolve, and again while
 * firing once every repeat interval (rule's repeat_interval, else
 * alerts.repeat_interval; 0: never). Everything else is suppressed: a
 * condition that flaps inside clear_for neither resolves nor re-fires.
 *
 * Hysteresis: a threshold rule fires when the value crosses the threshold
 * t, and stays firing until the value is back past t*(1-h) (rate_drop:
 * t*(1+h)) for clear_for; h is the rule's hysteresis (default 20%). For
 * yes/no conditions clear_for is the hysteresis (circuit_open also keeps
 * firing while the circuit is half-open).
 *
 * Kinds, and where their condition comes from:
 *   circuit_open     snapshot: provider mode "open" (subject provider)
 *   stream_unusable  snapshot: none of the stream's providers is closed
 *                    or half-open (subject stream)
 *   failover         events: a failover away from the provider within
 *                    the rule's window (info: a silent fallback is
 *                    never silent)
 *   queue_age        snapshot: now - oldest unfinished message of the
 *                    stream > oldest_age_over
 *   deferred         snapshot: deferred messages of the stream >
 *                    deferred_over
 *   rate_drop        snapshot: deliveries per minute over the rule's
 *                    window < rate_below x the usual rate for this hour
 *                    of the day (UTC). The usual rate is an EWMA per hour
 *                    of day (alpha 0.3: one day counts 30%) of each
 *                    hour's mean deliveries per minute, folded in when
 *                    the hour ends if at least 30 of its minutes were
 *                    seen. The rule is silent until that hour has 3 days
 *                    of history and a usual rate of at least 1 per
 *                    minute, and until window minutes were seen since
 *                    start. Kept in memory: a restart starts learning
 *                    again.
 *   provider_config  events: a circuit opened by a config failure, or an
 *                    attempt or probe classed SEND_CONFIG (credentials,
 *                    account paused); cleared by the circuit closing or
 *                    an accepted attempt or probe
 *   disk_low         snapshot: the spool's disk below spool.min_free
 *   spool_damaged    snapshot: the spool met a damaged database (see
 *                    spool_health(); stays until restart)
 *   bounce_rate      snapshot: the provider's hard bounces / sends over
 *                    the last 24 hours >= the rule's ratio_over (else
 *                    rates.bounce_warning, or rates.bounce_critical for
 *                    a critical rule); silent below rates.min_volume
 *                    sends in those 24 hours
 *   complaint_rate   the same with complaints (rates.complaint_*)
 *   readiness        snapshot: the provider is known not ready (not
 *                    verified, DNS incomplete) for a sender domain sent
 *                    in the last day (subject provider)
 *   cluster_lost     snapshot: cluster: is configured and Redis (or
 *                    Sentinel's master) is not reachable: the node works
 *                    alone (src/cluster/cluster.h)
 *
 * Not thread-safe: one thread (the loop) calls everything. The engine
 * borrows cfg's rules; cfg must outlive it.
 */
#ifndef SWERVE_OBSERVE_ALERT_H
#define SWERVE_OBSERVE_ALERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct events_item;
struct alert;

/* One provider as the rules see it. Borrowed for the call. */
struct alert_provider_view {
	const char *name;
	const char *mode;   /* deliver_provider_info's mode */
	const char *reason; /* the circuit's last change; may be NULL */
	/* route/reputation.h, 24-hour window: recipients sent, hard
	 * bounces and complaints reported for them */
	uint64_t sends_24h, hard_bounces_24h, complaints_24h;
	/* route/account.h: the account is on probation or its quota nearly
	 * used (note says which, with numbers) */
	bool account_warn;
	char account_note[160];
	/* readiness/readiness.h: sender domains sent in the last day this
	 * provider is known not ready for (not verified, DNS incomplete);
	 * note names the first ones with their reasons */
	size_t not_ready;
	char not_ready_note[400];
};

/* One stream as the rules see it. Borrowed for the call. */
struct alert_stream_view {
	const char *name;
	const char *const *providers; /* allowed providers; none: all */
	size_t n_providers;
	int64_t oldest_ms;   /* created_at of its oldest unfinished message
	                        (ms since the epoch); 0: none */
	uint64_t deferred;   /* its messages backing off now */
	uint64_t sent_total; /* its messages sent since start (counter) */
};

struct alert_snapshot {
	const struct alert_provider_view *provs;
	size_t n_provs;
	const struct alert_stream_view *streams;
	size_t n_streams;
	bool disk_low;
	bool spool_damaged;
	bool cluster_lost; /* cluster: configured and Redis not reachable */
};

enum alert_state {
	ALERT_PENDING, /* condition true, `for` not yet reached */
	ALERT_FIRING,
	ALERT_RESOLVED, /* only in the resolve notification */
};

enum alert_change {
	ALERT_CHANGE_FIRING,   /* it started firing */
	ALERT_CHANGE_REPEAT,   /* still firing, repeat interval passed */
	ALERT_CHANGE_RESOLVED, /* it cleared */
};

/*
 * One alert as notifiers and the API see it. Strings are borrowed from
 * the engine and valid until the next alert_eval / alert_event /
 * alert_free.
 */
struct alert_info {
	const char *rule;     /* the rule's name: "queue_too_old" */
	const char *kind;     /* "queue_age", ... (alert_kind_name) */
	const char *severity; /* "info", "warning", "critical" */
	int severity_level;   /* enum config_severity */
	const char *provider; /* subject; NULL if the kind has none */
	const char *stream;   /* subject; NULL if the kind has none */
	enum alert_state state;
	int64_t since_ms;    /* condition first seen (ms since the epoch) */
	int64_t fired_ms;    /* started firing; 0 while pending */
	int64_t resolved_ms; /* 0 unless resolved */
	double value;        /* the measured value (kind's unit) */
	double threshold;    /* what it is compared with; 0 for yes/no */
	const char *summary; /* one line in plain words */
};

/* alert_notify_fn - an alert changed; a is borrowed for the call. */
typedef void alert_notify_fn(const struct alert_info *a, enum alert_change ch,
                             void *arg);

/* alert_kind_name - "circuit_open", ... for enum config_alert_kind. */
const char *alert_kind_name(int kind);
/* alert_severity_name - "info", "warning", "critical". */
const char *alert_severity_name(int severity);
/* alert_change_name - "firing", "repeat", "resolved". */
const char *alert_change_name(enum alert_change ch);

/* alert_new - an engine over cfg's rules; fn(…, arg) gets the changes. */
struct alert *alert_new(const struct config *cfg, alert_notify_fn *fn,
                        void *arg);

/* alert_free - free a. NULL is a no-op. */
void alert_free(struct alert *a);

/* alert_event - learn from one event (failover, circuit, attempt, probe);
 * others are ignored. Never notifies by itself: alert_eval does. */
void alert_event(struct alert *a, const struct events_item *e);

/* alert_eval - evaluate every rule against s at now_ms; notifications
 * run inside this call. */
void alert_eval(struct alert *a, const struct alert_snapshot *s,
                int64_t now_ms);

/* alert_active_count - pending and firing alerts now. */
size_t alert_active_count(const struct alert *a);
/* alert_active_get - fill out for active alert i (< count). */
void alert_active_get(const struct alert *a, size_t i, struct alert_info *out);

#endif
