/*
 * incident.h - incidents, opened and kept by swerve (contract; issue 15).
 *
 * An incident is one provider or stream outage as people talk about it:
 * a title, a status in the Statuspage vocabulary (investigating ->
 * identified -> monitoring -> resolved), an impact (none, minor, major,
 * critical), the providers and streams it concerns, and a timeline of
 * updates. The engine (incident.c) listens to the event bus: an alert
 * that fires opens an incident, or joins the open one with the same
 * provider or stream (related alerts within a window make one
 * incident); circuit changes, failovers, provider status pages,
 * operator actions, alerts resolving and the fail-back are added to its
 * timeline as they happen; when every alert of it has resolved it is
 * monitoring, and after a quiet period resolved. An alert that fires
 * again soon after (the reopen window) reopens the same incident rather
 * than opening another: a flapping provider makes one incident, not a
 * storm. Operators add notes, set status and impact, and resolve.
 *
 * Every change is emitted as EVENT_INCIDENT (observe/events.h: reason:
 * the id; state: the status name; text: the title; drill when the
 * incident was caused by a drill's simulated fault) and written to the
 * spool database through the spool's writer thread (spool_exec), so the
 * record survives a restart: incidents_new() reads it back.
 *
 * Kept in memory: every open incident and those resolved in the last
 * retention period (90 days by default), newest first.
 *
 * Loop thread only (the thread running the event_base the spool is
 * attached to). Strings passed in are copied.
 */
#ifndef SWERVE_INCIDENT_INCIDENT_H
#define SWERVE_INCIDENT_INCIDENT_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct events_item;
struct spool;

#define INCIDENT_ID_SIZE 32 /* "inc_" + a 20-character time-sortable id */

enum incident_status {
	INCIDENT_INVESTIGATING,
	INCIDENT_IDENTIFIED,
	INCIDENT_MONITORING,
	INCIDENT_RESOLVED,
	INCIDENT_STATUS_COUNT,
};

enum incident_impact {
	IMPACT_NONE,
	IMPACT_MINOR,
	IMPACT_MAJOR,
	IMPACT_CRITICAL,
	IMPACT_COUNT,
};

/* incident_status_name - "investigating", "identified", "monitoring",
 * "resolved" ("unknown" out of range). */
const char *incident_status_name(enum incident_status s);
/* incident_status_parse - the status named s, or -1. */
int incident_status_parse(const char *s);
/* incident_impact_name - "none", "minor", "major", "critical". */
const char *incident_impact_name(enum incident_impact i);
/* incident_impact_parse - the impact named s, or -1. */
int incident_impact_parse(const char *s);

/*
 * One entry of an incident's timeline, oldest first. kind says who or
 * what made it:
 *   "first_failure"  the first failed attempt on a provider of it
 *   "alert"          an alert fired ("firing: ...") or resolved
 *   "circuit"        a provider's circuit changed (with the reason)
 *   "status_page"    a provider's own status page changed
 *   "failover"       failover started (mail moved to another provider)
 *   "traffic"        a share of the traffic moved ("95% of traffic ...")
 *   "failback"       the fail-back ramp completed
 *   "operator"       pause, drain, resume, release, reload
 *   "notified"       a notifier delivered or gave up on a notification
 *   "drill"          a drill started or ended on a provider of it
 *   "note"           an operator's note
 *   "status"         status or impact set (by swerve or an operator)
 *   "notice"         a notice was sent (text: which, to whom)
 * public_ is 1 for updates meant for customers (the status page shows
 * those): the opening line, status changes, and what operators mark
 * public.
 */
struct incident_update {
	int64_t at_ms; /* wall ms */
	const char *kind;
	const char *text;
	enum incident_status status; /* the incident's status after it */
	int public_;
	const char *who; /* "swerve", or the operator (admin key name) */
};

/*
 * An incident as read. Every pointer is borrowed from the incidents
 * object: valid until the loop's next turn (any change to the incident
 * may move them).
 */
struct incident_info {
	const char *id, *title;
	enum incident_status status;
	enum incident_impact impact;
	int impact_override; /* 1: the impact was set by an operator */
	int drill;           /* 1: caused by a drill's simulated fault */
	int64_t started_ms, updated_ms;
	int64_t resolved_ms; /* 0 while open */
	const char *const *providers;
	size_t n_providers;
	const char *const *streams;
	size_t n_streams;
	const struct incident_update *updates;
	size_t n_updates;
	const char *report_path; /* the post-incident report file, or NULL */
	const char *opened_by;   /* in a fleet: the node that opened it, or
	                            NULL (this node, or no fleet) */
};

/* Tuning; 0 in any field takes the default. Times in ms. */
struct incidents_opts {
	/* An alert on a provider or stream of an incident updated within
	 * this window joins it (default 15 min). */
	int64_t window_ms;
	/* An incident whose alerts all resolved is resolved after this
	 * long with no alert firing again (default 10 min). */
	int64_t quiet_ms;
	/* A related alert within this long after resolution reopens the
	 * incident instead of opening a new one (default 30 min). */
	int64_t reopen_ms;
	/* Resolved incidents older than this are forgotten from memory
	 * (kept in the database; default 90 days). */
	int64_t retention_ms;
	/* How long provider's fail-back ramp lasts after its circuit
	 * closes (providers[].failback_ramp); NULL: 5 min for all. */
	int64_t (*failback_ms)(const char *provider, void *arg);
	void *arg;
};

struct incidents;

/*
 * incidents_new - the incidents of the spool whose database file is
 * db_path (read here, synchronously: call at start, before the loop
 * runs; NULL: none), writing later changes through sp (NULL: memory
 * only, for tests). Listens to nothing until incidents_attach(). NULL
 * with err on failure (an unreadable database). opts may be NULL.
 */
struct incidents *incidents_new(struct spool *sp, const char *db_path,
                                const struct incidents_opts *opts, char *err,
                                size_t errlen);

/*
 * incidents_attach - subscribe to the event bus and tick every 5 s on
 * base (so a quiet incident resolves without further events). 0, or -1
 * when the bus is full.
 */
int incidents_attach(struct incidents *in, struct event_base *base);

/* incidents_free - unsubscribe, stop the timer, free in (NULL: nothing).
 * Call after spool_close() (its last callbacks still reach in). */
void incidents_free(struct incidents *in);

/* incidents_on_event - the event bus listener (arg: the incidents). */
void incidents_on_event(const struct events_item *e, void *arg);

/*
 * incidents_tick - time passing: resolve monitoring incidents whose
 * quiet period ended, forget those past retention. now_ms: wall ms.
 * The engine calls it from its own events; swerved also calls it from
 * a timer so a quiet incident resolves without further events.
 */
void incidents_tick(struct incidents *in, int64_t now_ms);

/* incidents_count - incidents kept (open, and resolved within the
 * retention period). */
size_t incidents_count(const struct incidents *in);

/*
 * incidents_get - the i-th incident, newest (by start) first, into out
 * (borrowed, see struct incident_info). 0, or -1 when i is out of range.
 */
int incidents_get(const struct incidents *in, size_t i,
                  struct incident_info *out);

/* incidents_find - the incident with this id into out; 0 or -1. */
int incidents_find(const struct incidents *in, const char *id,
                   struct incident_info *out);

/* incidents_open_count - incidents not resolved: drill 0 real ones, 1
 * drill ones, -1 both. */
size_t incidents_open_count(const struct incidents *in, int drill);

/*
 * incidents_note - add an operator's note to the timeline (public_ 1:
 * shown on the status page). who: the operator. 0, or -1 (no such
 * incident, or empty text).
 */
int incidents_note(struct incidents *in, const char *id, const char *who,
                   const char *text, int public_);

/*
 * What an operator changes with incidents_update(): status -1 keeps it,
 * impact -1 keeps it (else it overrides swerve's computed impact from
 * now on), text (may be NULL) is the public update that goes with it.
 */
struct incident_change {
	int status; /* enum incident_status or -1 */
	int impact; /* enum incident_impact or -1 */
	const char *text;
	const char *who;
};

/*
 * incidents_update - apply c to the incident. Setting status resolved
 * resolves it as incidents_resolve() does. 0, or -1 (no such incident,
 * nothing to change, or a value out of range); nothing changes on -1.
 */
int incidents_update(struct incidents *in, const char *id,
                     const struct incident_change *c);

/*
 * incidents_resolve - resolve the incident now (text: the public
 * closing update, may be NULL). Resolving a resolved incident is 0 and
 * changes nothing. 0 or -1 (no such incident).
 */
int incidents_resolve(struct incidents *in, const char *id, const char *who,
                      const char *text);

/*
 * incidents_report_path_set - remember where the post-incident report
 * of id was written (copied; stored with the incident). 0 or -1.
 */
int incidents_report_path_set(struct incidents *in, const char *id,
                              const char *path);

/*
 * incidents_on_change - call fn(info, arg) after every change of an
 * incident (after its EVENT_INCIDENT); one watcher (NULL: none). For the
 * report writer: info is borrowed for the call.
 */
typedef void incidents_change_fn(const struct incident_info *info, void *arg);
void incidents_on_change(struct incidents *in, incidents_change_fn *fn,
                         void *arg);

/*
 * ---- One incident per event across a fleet (src/cluster) ------------
 *
 * With a fleet set, an alert that would open a new incident (none open
 * or reopenable is related) asks the fleet first, under key: "p:<provider>",
 * "s:<stream>" or "r:<rule>" ("d:" before it for a drill's). The incident
 * is made at once but neither stored nor announced (no EVENT_INCIDENT)
 * until done(in, id, fleet_id, node) comes (exactly once, maybe inside
 * the call): fleet_id is the id of the incident the fleet has for it,
 * opened by node; when it is not id, the incident takes fleet_id as its
 * own (unless an incident of that id is already kept here), so every
 * node lists the same id. Joining, reopening and everything after are
 * each node's own, as without a fleet.
 */
typedef void incidents_claim_done(struct incidents *in, const char *id,
                                  const char *fleet_id, const char *node);
struct incidents_fleet {
	void (*claim)(void *arg, struct incidents *in, const char *key,
	              const char *id, incidents_claim_done *done);
	void *arg;
};

/* incidents_fleet_set - ask f (copied; NULL: no fleet) from now on. */
void incidents_fleet_set(struct incidents *in, const struct incidents_fleet *f);

/*
 * ---- Scope: who and what an incident touches, from the spool ---------
 *
 * Computed on the spool's writer thread (a read inside a group commit)
 * over the incident's window: from a minute before its first timeline
 * entry (attempts are stamped when they start) to its resolution (or
 * now). A message is affected when it had a failed attempt (deferred,
 * throttled, config, unknown) in the window, waits deferred now, or
 * failed in the window. Messages created more than 6 h before the window
 * and no longer waiting are not looked at. The streams found affected
 * are added to the incident's.
 */

/* A name and how many affected messages (or recipients) it has. */
struct incident_count {
	const char *name;
	uint64_t n;
};

/* The figures of one stream (or of all: struct incident_scope.total). */
struct incident_figures {
	const char *stream;    /* NULL in total */
	uint64_t affected;     /* messages affected */
	uint64_t delayed;      /* affected and not failed */
	uint64_t waiting;      /* affected and not delivered yet */
	uint64_t rerouted;     /* delivered by another provider than one
	                          that failed it */
	uint64_t failed;       /* failed (every recipient) in the window */
	uint64_t dup_possible; /* had an attempt whose outcome is unknown */
	uint64_t lost;         /* final "sent" with a recipient never
	                          settled: 0 unless the spool is wrong */
	int64_t p50_ms, p99_ms, max_ms; /* delay: accepted (or now, or
	                                   failed) minus stored */
};

struct incident_scope {
	int64_t from_ms, to_ms;
	struct incident_figures total;
	const struct incident_figures *streams; /* by stream, by name */
	size_t n_streams;
	const struct incident_count *tenants; /* most affected first */
	size_t n_tenants;
	const struct incident_count *domains; /* recipient domains, top 10 */
	size_t n_domains;
	/* Where traffic goes now: accepted attempts in the last 5 minutes
	 * (of to_ms) by provider, most first. */
	const struct incident_count *traffic;
	size_t n_traffic;
};

/*
 * incident_scope_fn - the scope of the incident, on the loop thread:
 * status SPOOL_OK with s (borrowed for the call), else an error (s
 * NULL; SPOOL_ERR_NOTFOUND: no such incident).
 */
typedef void incident_scope_fn(int status, const struct incident_scope *s,
                               void *arg);

/*
 * incidents_scope - compute the scope of incident id as of now_ms; cb
 * runs once, later (never inside this call), unless this returns -1
 * (no such incident, no spool, or the spool closing; cb not called).
 */
int incidents_scope(struct incidents *in, const char *id, int64_t now_ms,
                    incident_scope_fn *cb, void *arg);

/*
 * incidents_report_write - write the post-incident report of id
 * (incident_report.h) as <dir>/incidents/<id>.md, .html and .json, dir
 * being the spool database's directory, with its scope as of now; the
 * Markdown file's path becomes the incident's report_path. The files
 * are written on the spool's writer thread. Done by itself when an
 * incident is resolved; this is the on-demand call. 0 (under way), or
 * -1 (no such incident, no spool or database path, or closing).
 */
int incidents_report_write(struct incidents *in, const char *id);

#endif
