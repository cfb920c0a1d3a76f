/*
 * status_model.h - what the public status page shows (contract).
 *
 * A small model the renderers read (status_html.h, status_json.h,
 * status_feed.h): the page, its components (each with a current status
 * and the worst status of each of the last STATUS_HISTORY_DAYS days) and
 * incidents with their public updates. It uses Atlassian Statuspage's
 * vocabulary, so the JSON renderer writes Statuspage's own words:
 *
 *   component status  operational, degraded_performance, partial_outage,
 *                     major_outage, under_maintenance
 *   incident status   investigating, identified, monitoring, resolved
 *   incident impact   none, minor, major, critical
 *   page indicator    none, minor, major, critical, maintenance
 *
 * The model knows nothing of swerve's live state: status_live.c fills one
 * from the configuration, the providers' health and the incident records;
 * tests fill one by hand. It holds no secret and no provider name unless
 * the builder put one in.
 *
 * Building: status_model_init, then components, incidents and their
 * updates in any order, then status_model_finish (sorts incidents and
 * updates newest first, computes the history and updated_ms). The model
 * owns copies of every string it is given; status_model_fini frees them.
 * Not thread-safe; no I/O.
 */
#ifndef SWERVE_STATUS_STATUS_MODEL_H
#define SWERVE_STATUS_STATUS_MODEL_H

#include <stddef.h>
#include <stdint.h>

#define STATUS_HISTORY_DAYS 90
#define STATUS_DAY_MS (24LL * 3600 * 1000)

/* A component's status, best to worst (maintenance sorts last but is
 * not worse than an outage: see status_comp_worse). */
enum status_comp {
	STATUS_COMP_OPERATIONAL,
	STATUS_COMP_DEGRADED,    /* degraded_performance */
	STATUS_COMP_PARTIAL,     /* partial_outage */
	STATUS_COMP_MAJOR,       /* major_outage */
	STATUS_COMP_MAINTENANCE, /* under_maintenance */
};

enum status_phase {
	STATUS_PHASE_INVESTIGATING,
	STATUS_PHASE_IDENTIFIED,
	STATUS_PHASE_MONITORING,
	STATUS_PHASE_RESOLVED,
};

enum status_impact {
	STATUS_IMPACT_NONE,
	STATUS_IMPACT_MINOR,
	STATUS_IMPACT_MAJOR,
	STATUS_IMPACT_CRITICAL,
};

/* The page's overall indicator (Statuspage's status.indicator). */
enum status_indicator {
	STATUS_IND_NONE,
	STATUS_IND_MINOR,
	STATUS_IND_MAJOR,
	STATUS_IND_CRITICAL,
	STATUS_IND_MAINTENANCE,
};

/* One public update of an incident. */
struct status_update {
	char *id;
	int64_t at_ms;
	enum status_phase phase;
	char *body;
};

struct status_incident {
	char *id;
	char *name;
	enum status_phase phase;
	enum status_impact impact;
	int64_t created_ms, updated_ms;
	int64_t monitoring_ms, resolved_ms; /* 0: not (yet) */
	size_t *comps;                      /* indices into the model's comps */
	size_t n_comps;
	struct status_update *updates; /* newest first after finish */
	size_t n_updates;
};

struct status_component {
	char *id;
	char *name;
	char *description; /* NULL: none */
	enum status_comp status;
	int64_t created_ms, updated_ms;
	/* Worst status of each UTC day, oldest first; the last is today. */
	unsigned char history[STATUS_HISTORY_DAYS];
};

struct status_model {
	char *page_id;
	char *name;
	char *url; /* public base URL ending in '/', or "" (links relative) */
	int64_t now_ms;
	int64_t updated_ms; /* the newest change shown; after finish */
	struct status_component *comps;
	size_t n_comps;
	struct status_incident *incs; /* newest first after finish */
	size_t n_incs;
};

/*
 * status_model_init - an empty model. name and url are copied (url NULL:
 * ""; a url without a trailing '/' gets one). page_id is derived from
 * name. now_ms decides which UTC day is "today" for the history.
 */
void status_model_init(struct status_model *m, const char *name,
                       const char *url, int64_t now_ms);

/* status_model_fini - free everything m owns; m is zeroed. */
void status_model_fini(struct status_model *m);

/*
 * status_model_component_add - a component (strings copied; description
 * may be NULL). updated_ms 0: created_ms. Returns its index.
 */
size_t status_model_component_add(struct status_model *m, const char *id,
                                  const char *name, const char *description,
                                  enum status_comp status, int64_t created_ms,
                                  int64_t updated_ms);

/*
 * status_model_incident_add - an incident (strings copied). The pointer
 * is valid until the next status_model_incident_add or finish.
 */
struct status_incident *
status_model_incident_add(struct status_model *m, const char *id,
                          const char *name, enum status_phase phase,
                          enum status_impact impact, int64_t created_ms);

/* status_model_incident_comp - inc affects the component at index comp
 * (added once however often it is called). */
void status_model_incident_comp(struct status_incident *inc, size_t comp);

/* status_model_update_add - a public update of inc (strings copied). */
void status_model_update_add(struct status_incident *inc, const char *id,
                             int64_t at_ms, enum status_phase phase,
                             const char *body);

/*
 * status_model_finish - sort incidents (newest created first; equal:
 * by id) and their updates (newest first), set each incident's
 * updated_ms to its newest update when later, each component's history
 * (the worst of its current status for today and, for every day an
 * incident affecting it was open, the status its impact maps to:
 * minor -> degraded_performance, major -> partial_outage, critical ->
 * major_outage) and the model's updated_ms.
 */
void status_model_finish(struct status_model *m);

/* status_model_indicator - the worst of the components' statuses
 * (degraded -> minor, partial -> major, major -> critical) and the
 * unresolved incidents' impacts; maintenance only when nothing is worse. */
enum status_indicator status_model_indicator(const struct status_model *m);

/* status_model_unresolved - how many incidents are not resolved. */
size_t status_model_unresolved(const struct status_model *m);

/* Statuspage's words (static strings). */
const char *status_comp_name(enum status_comp s);
const char *status_phase_name(enum status_phase p);
const char *status_impact_name(enum status_impact i);
const char *status_indicator_name(enum status_indicator i);
/* status_indicator_text - Statuspage's description of an indicator
 * ("All Systems Operational", ...). */
const char *status_indicator_text(enum status_indicator i);
/* status_comp_text, status_phase_text - the words shown to people
 * ("Degraded performance", "Investigating"). */
const char *status_comp_text(enum status_comp s);
const char *status_phase_text(enum status_phase p);

/* status_comp_worse - a is worse than b (outages above maintenance). */
int status_comp_worse(enum status_comp a, enum status_comp b);

/* status_comp_of_impact - the component status an impact stands for. */
enum status_comp status_comp_of_impact(enum status_impact i);

#endif
