/*
 * drill.h - outage drills: rehearse a provider's failure on the live
 * system, safely (contract; issue 16, docs/drills.md).
 *
 * A drill simulates one fault (drill/drill_fault.h) at one provider,
 * for one stream or all, for a share of the provider's traffic or all
 * of it, for a duration. It sits at the adapter boundary through
 * deliver's fault hook (deliver.h): the provider's attempts end with the
 * simulated answer without anything being sent (slow: sent late), and
 * everything after the adapter - failure policy, breakers, health,
 * routing, alerts, incidents, metrics - runs unchanged. No message is
 * ever failed or bounced by a drill: its answers are deferred, throttled
 * or config, never rejected or unknown.
 *
 * Safety:
 *   - every drill has a duration and rolls back by itself;
 *     drill_ctl_abort() ends it at once;
 *   - a drill is refused while another runs, while a real incident is
 *     open with an impact on delivery (without incident records: while
 *     a real alert is firing),
 *     and when a stream
 *     it covers would be left with no usable provider (unless force);
 *   - a real failure during the drill (another provider's circuit
 *     opens, a real alert fires) aborts it and the report says why;
 *   - the drill is written to the spool before its fault starts; a
 *     process that stops during a drill ends it, and the next start
 *     marks any drill still "running" as "interrupted" with the reason;
 *     a SIGHUP reload does not touch a running drill.
 *
 * Events: EVENT_DRILL on start and end; attempts the drill answered,
 * and what followed from them (circuit, failover, alerts), carry
 * drill = 1; alerts about the drilled provider are labelled
 * (drill/drill_label.h) and notified per drill.notify.
 *
 * The report (drill/drill_report.h) is built while it runs, stored at
 * the end and made final once the provider failed back (or after
 * drill.failback_wait), with the lost messages counted in the spool.
 * Scheduled drills (drills:) start at their time (drill/drill_sched.h);
 * a failed objective of a finished drill raises the alert
 * "drill_objective_failed".
 *
 * Loop thread only.
 */
#ifndef SWERVE_DRILL_DRILL_H
#define SWERVE_DRILL_DRILL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

struct event_base;
struct deliver;
struct spool;
struct alerting;
struct incidents;
struct drill_ctl;

struct drill_ctl_opts {
	struct event_base *base;
	const struct config *cfg;  /* borrowed; drill_ctl_reload replaces */
	struct deliver *deliver;   /* borrowed; must outlive the ctl */
	struct spool *spool;       /* borrowed; must outlive the ctl */
	struct alerting *alerting; /* borrowed; may be NULL */
	/* incident records (incident/incident.h): a drill is refused while
	 * a real one is open. Borrowed; may be NULL. */
	const struct incidents *incidents;
};

/*
 * drill_ctl_new - install the fault hook, listen to events, mark drills
 * left "running" by an earlier process as interrupted, arm the
 * schedule. NULL if the event bus is full (logged).
 */
struct drill_ctl *drill_ctl_new(const struct drill_ctl_opts *o);

/*
 * drill_ctl_free - stop: a running drill ends now (stored as
 * "interrupted": the process stops), the hook is removed. Call before
 * deliver_free, alerting_free and spool_close. NULL is a no-op.
 */
void drill_ctl_free(struct drill_ctl *c);

/* drill_ctl_reload - the configuration after a reload: schedules and
 * defaults change; a running drill goes on as it started. */
void drill_ctl_reload(struct drill_ctl *c, const struct config *cfg);

/* What to drill. */
struct drill_start {
	const char *provider;
	const char *fault;    /* drill_fault_parse() text */
	const char *stream;   /* NULL: every stream */
	double share;         /* 0: all (1) */
	uint64_t duration_ms; /* 0: 5 minutes */
	bool force;           /* start even if a stream is left without a
	                         usable provider */
	const char *name;     /* a scheduled drill's name, or NULL */
	const char *by;       /* who started it ("swervectl", a key name) */
	/* NULL: drill.objectives */
	const struct config_drill_objectives *objectives;
};

/*
 * drill_started_fn - the drill began (status 0; j is its status, as
 * drill_ctl_status's "running") or could not be stored (status -1; j is
 * {"error": ...}). j is borrowed for the call.
 */
typedef void drill_started_fn(int status, const json_t *j, void *arg);

/*
 * drill_ctl_start - check s and start it: 0 (cb runs once the drill is
 * on disk and its fault is on), or -1 with *http (400: bad request, 409:
 * refused now) and the reason in err, cb never called.
 */
int drill_ctl_start(struct drill_ctl *c, const struct drill_start *s,
                    drill_started_fn *cb, void *arg, int *http, char *err,
                    size_t errlen);

/*
 * drill_ctl_drilled - is a drill simulating a fault at provider now
 * (running, or ended and its provider still failing back)? arg: the
 * drill_ctl. The public status page asks it (status/status_http.h:
 * status_http_drilled_set), so a drill never shows there.
 */
bool drill_ctl_drilled(const char *provider, void *arg);

/* drill_ctl_abort - end the running drill now. 0, or -1 with err (no
 * drill runs). */
int drill_ctl_abort(struct drill_ctl *c, const char *by, char *err,
                    size_t errlen);

/*
 * drill_ctl_status - {"running": report-so-far or null, "last": the
 * report of the drill that ended last in this process, or null}.
 * Caller decrefs.
 */
json_t *drill_ctl_status(struct drill_ctl *c);

/* drill_json_fn - an answer: j (owned by the callee, NULL: none, with
 * http the status to answer). */
typedef void drill_json_fn(int http, json_t *j, void *arg);

/* drill_ctl_report - the report of drill id: from memory while it is
 * the running or last drill, else from the spool. 0, or -1 (spool
 * closed; cb not called). */
int drill_ctl_report(struct drill_ctl *c, const char *id, drill_json_fn *cb,
                     void *arg);

/* drill_ctl_history - the last limit drills' reports, oldest first. */
int drill_ctl_history(struct drill_ctl *c, size_t limit, drill_json_fn *cb,
                      void *arg);

/*
 * drill_ctl_preflight - the readiness table (drill/drill_preflight.h)
 * for losing provider (NULL: each stream's preferred), of stream (NULL:
 * all); with test_alerts every notifier gets a test notification first
 * and the answer waits for them (at most 5 s). 0, or -1 with *http and
 * err (a test already running).
 */
int drill_ctl_preflight(struct drill_ctl *c, const char *provider,
                        const char *stream, bool test_alerts, drill_json_fn *cb,
                        void *arg, int *http, char *err, size_t errlen);

#endif
