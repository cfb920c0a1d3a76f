/*
 * incident_int.h - what incident.c, incident_engine.c and incident_db.c
 * share (not a public contract).
 *
 * One struct inc per incident, owned by struct incidents (newest first
 * in v[]). Its timeline is kept sorted by time; each entry has a
 * sequence number (its order of arrival) and whether it is stored yet,
 * in arrays parallel to updates[].
 */
#ifndef SWERVE_INCIDENT_INCIDENT_INT_H
#define SWERVE_INCIDENT_INCIDENT_INT_H

#include <stdint.h>

#include "incident/incident.h"

/* An alert that joined an incident: rule and subject, firing or not. */
struct inc_alert {
	char *rule, *subject;
	int firing;
};

struct inc {
	char id[INCIDENT_ID_SIZE];
	char *title;
	enum incident_status status;
	enum incident_impact impact;
	int impact_override, drill;
	int64_t started_ms, updated_ms, resolved_ms;
	char **providers, **streams;
	size_t n_providers, n_streams;
	struct incident_update *updates;
	uint32_t *seq;         /* arrival order of updates[i] */
	unsigned char *stored; /* 1: updates[i] is in the database */
	size_t n_updates, cap_updates;
	uint32_t next_seq;
	char *report_path;
	int dirty;      /* the row changed since it was last written */
	int report_due; /* resolved: the report is to be written */
	/* The engine's state (not stored). */
	struct inc_alert *alerts;
	size_t n_alerts;
	int64_t quiet_since; /* every alert resolved at; 0 while one fires */
	int failover_seen;   /* a failover was recorded */
	int traffic_seen;    /* "95% of traffic elsewhere" was recorded */
	int identified;      /* ever identified (for reopening) */
	uint32_t ring;       /* last accepted attempts: bit 1 = elsewhere */
	unsigned ring_n;     /* entries in ring (up to 20) */
	char *traffic_to;    /* where the last attempt elsewhere went */
	int64_t failback_at; /* a fail-back ramp ends then; 0: none */
	char *failback_prov; /* of this provider */
	uint64_t n_failover, n_deferred, n_failed;
	int fleet_pending; /* opened; the fleet not answered yet */
	char *opened_by;   /* the node of the fleet that opened it, or NULL */
};

struct inc_recent; /* incident_engine.c: provider events before an open */
struct inc_post;   /* incident_send.c: a notice being posted */

struct incidents {
	struct spool *sp;
	struct incidents_opts o;
	struct inc **v; /* newest first */
	size_t n, cap;
	incidents_change_fn *change_fn;
	void *change_arg;
	struct inc_recent *recent;
	int64_t last_tick;
	struct event *timer;      /* incidents_attach's tick; NULL: none */
	char *report_dir;         /* <spool dir>/incidents; NULL: none */
	struct event_base *base;  /* incidents_attach's */
	struct http_client *http; /* notices' posts; made on first use */
	struct inc_post *posts;   /* posts under way (incident_send.c) */
	int subscribed;
	struct incidents_fleet fleet; /* claim NULL: no fleet */
};

/* inc_add_update - append a timeline entry (sorted in by at_ms), mark
 * the incident changed; strings copied. incident.c */
void inc_add_update(struct inc *c, int64_t at_ms, const char *kind,
                    const char *who, const char *text, int public_);

/* inc_set_add - add s to the set (*v, *n) unless there; 1 if added. */
int inc_set_add(char ***v, size_t *n, const char *s);

/* inc_set_has - 1 if s is in v[0..n). */
int inc_set_has(char *const *v, size_t n, const char *s);

/* inc_new - a new open incident at at_ms, put first in in->v. */
struct inc *inc_new(struct incidents *in, int64_t at_ms, const char *title,
                    int drill);

/* inc_changed - the incident changed: write it, emit EVENT_INCIDENT, tell
 * the watcher. incident.c */
void inc_changed(struct incidents *in, struct inc *c);

/* inc_set_status - set status (resolved sets resolved_ms); with a public
 * line when text is not NULL. incident.c */
void inc_set_status(struct inc *c, enum incident_status s, int64_t at_ms,
                    const char *who, const char *text);

/* inc_free - free one incident. */
void inc_free(struct inc *c);

/* inc_info - fill out (borrowed from c). */
void inc_info(const struct inc *c, struct incident_info *out);

/* incident_db_load - read every incident started within retention, and
 * every open one, from db_path into in (creating the tables). 0 or -1
 * with err. incident_db.c */
int incident_db_load(struct incidents *in, const char *db_path, int64_t now_ms,
                     char *err, size_t errlen);

/* incident_db_save - queue c's row and its unstored updates to the
 * spool's writer; marks them stored. No-op without a spool. */
void incident_db_save(struct incidents *in, struct inc *c);

/* incident_engine_event - the bus listener's work. incident_engine.c */
void incident_engine_event(struct incidents *in, const struct events_item *e);

/* incident_engine_tick - quiet periods, fail-back ends. */
void incident_engine_tick(struct incidents *in, int64_t now_ms);

/* incident_send_free - the notices' client and posts under way. */
void incident_send_free(struct incidents *in);

/* incident_engine_free - the engine's memory in in. */
void incident_engine_free(struct incidents *in);

#endif
