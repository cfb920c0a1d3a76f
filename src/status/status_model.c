/*
 * status_model.c - the public status page's model: building it, sorting
 * it, its 90-day history and overall indicator, and Statuspage's words.
 *
 * Pure: no I/O, no clock (now_ms is given). Does not: know where the
 * facts come from (status_live.c), render anything (status_html.c,
 * status_json.c, status_feed.c).
 */
#include "status/status_model.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "status/status_text.h"

/* status_model_dup - a clean copy of s (status_text_clean), "" for NULL. */
static char *
status_model_dup(const char *s)
{
	return status_text_clean(s);
}

void
status_model_init(struct status_model *m, const char *name, const char *url,
                  int64_t now_ms)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	char id[17], *clean;
	size_t n;
	const char *p;

	memset(m, 0, sizeof(*m));
	m->name = status_model_dup(name);
	clean = status_model_dup(url);
	n = strlen(clean);
	m->url = xmalloc(n + 2);
	memcpy(m->url, clean, n);
	free(clean);
	if (n > 0 && m->url[n - 1] != '/')
		m->url[n++] = '/';
	m->url[n] = '\0';
	for (p = m->name; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	snprintf(id, sizeof(id), "%016llx", (unsigned long long)h);
	m->page_id = xstrdup(id);
	m->now_ms = now_ms;
}

void
status_model_fini(struct status_model *m)
{
	size_t i, j;

	for (i = 0; i < m->n_comps; i++) {
		free(m->comps[i].id);
		free(m->comps[i].name);
		free(m->comps[i].description);
	}
	free(m->comps);
	for (i = 0; i < m->n_incs; i++) {
		struct status_incident *inc = &m->incs[i];
		for (j = 0; j < inc->n_updates; j++) {
			free(inc->updates[j].id);
			free(inc->updates[j].body);
		}
		free(inc->updates);
		free(inc->comps);
		free(inc->id);
		free(inc->name);
	}
	free(m->incs);
	free(m->page_id);
	free(m->name);
	free(m->url);
	memset(m, 0, sizeof(*m));
}

size_t
status_model_component_add(struct status_model *m, const char *id,
                           const char *name, const char *description,
                           enum status_comp status, int64_t created_ms,
                           int64_t updated_ms)
{
	struct status_component *c;

	m->comps = xreallocarray(m->comps, m->n_comps + 1, sizeof(*m->comps));
	c = &m->comps[m->n_comps];
	memset(c, 0, sizeof(*c));
	c->id = status_model_dup(id);
	c->name = status_model_dup(name);
	c->description =
	    description != NULL ? status_model_dup(description) : NULL;
	c->status = status;
	c->created_ms = created_ms;
	c->updated_ms = updated_ms != 0 ? updated_ms : created_ms;
	return m->n_comps++;
}

struct status_incident *
status_model_incident_add(struct status_model *m, const char *id,
                          const char *name, enum status_phase phase,
                          enum status_impact impact, int64_t created_ms)
{
	struct status_incident *inc;

	m->incs = xreallocarray(m->incs, m->n_incs + 1, sizeof(*m->incs));
	inc = &m->incs[m->n_incs++];
	memset(inc, 0, sizeof(*inc));
	inc->id = status_model_dup(id);
	inc->name = status_model_dup(name);
	inc->phase = phase;
	inc->impact = impact;
	inc->created_ms = created_ms;
	inc->updated_ms = created_ms;
	return inc;
}

void
status_model_incident_comp(struct status_incident *inc, size_t comp)
{
	size_t i;

	for (i = 0; i < inc->n_comps; i++)
		if (inc->comps[i] == comp)
			return;
	inc->comps =
	    xreallocarray(inc->comps, inc->n_comps + 1, sizeof(*inc->comps));
	inc->comps[inc->n_comps++] = comp;
}

void
status_model_update_add(struct status_incident *inc, const char *id,
                        int64_t at_ms, enum status_phase phase,
                        const char *body)
{
	struct status_update *u;

	inc->updates = xreallocarray(inc->updates, inc->n_updates + 1,
	                             sizeof(*inc->updates));
	u = &inc->updates[inc->n_updates++];
	u->id = status_model_dup(id);
	u->at_ms = at_ms;
	u->phase = phase;
	u->body = status_model_dup(body);
}

/* status_model_inc_cmp - newest created first, then by id. */
static int
status_model_inc_cmp(const void *a, const void *b)
{
	const struct status_incident *x = a, *y = b;

	if (x->created_ms != y->created_ms)
		return x->created_ms > y->created_ms ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* status_model_upd_cmp - newest first, then by id. */
static int
status_model_upd_cmp(const void *a, const void *b)
{
	const struct status_update *x = a, *y = b;

	if (x->at_ms != y->at_ms)
		return x->at_ms > y->at_ms ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* status_model_day - the UTC day number of ms (floor, also before 1970). */
static int64_t
status_model_day(int64_t ms)
{
	return ms >= 0 ? ms / STATUS_DAY_MS : -((-ms - 1) / STATUS_DAY_MS) - 1;
}

/* status_model_mark - history days [from, to] of c get at least s. */
static void
status_model_mark(struct status_component *c, int64_t today, int64_t from,
                  int64_t to, enum status_comp s)
{
	int64_t first = today - (STATUS_HISTORY_DAYS - 1), d;

	if (from < first)
		from = first;
	if (to > today)
		to = today;
	for (d = from; d <= to; d++) {
		unsigned char *h = &c->history[d - first];
		if (status_comp_worse(s, (enum status_comp) * h))
			*h = (unsigned char)s;
	}
}

void
status_model_finish(struct status_model *m)
{
	int64_t today = status_model_day(m->now_ms);
	size_t i, j;

	if (m->n_incs > 1)
		qsort(m->incs, m->n_incs, sizeof(*m->incs),
		      status_model_inc_cmp);
	m->updated_ms = 0;
	for (i = 0; i < m->n_comps; i++) {
		struct status_component *c = &m->comps[i];
		memset(c->history, STATUS_COMP_OPERATIONAL, sizeof(c->history));
		status_model_mark(c, today, today, today, c->status);
		if (c->updated_ms > m->updated_ms)
			m->updated_ms = c->updated_ms;
	}
	for (i = 0; i < m->n_incs; i++) {
		struct status_incident *inc = &m->incs[i];
		int64_t end =
		    inc->resolved_ms != 0 ? inc->resolved_ms : m->now_ms;

		if (inc->n_updates > 1)
			qsort(inc->updates, inc->n_updates,
			      sizeof(*inc->updates), status_model_upd_cmp);
		if (inc->n_updates > 0 &&
		    inc->updates[0].at_ms > inc->updated_ms)
			inc->updated_ms = inc->updates[0].at_ms;
		if (inc->resolved_ms > inc->updated_ms)
			inc->updated_ms = inc->resolved_ms;
		if (inc->updated_ms > m->updated_ms)
			m->updated_ms = inc->updated_ms;
		for (j = 0; j < inc->n_comps; j++)
			if (inc->comps[j] < m->n_comps)
				status_model_mark(
				    &m->comps[inc->comps[j]], today,
				    status_model_day(inc->created_ms),
				    status_model_day(end),
				    status_comp_of_impact(inc->impact));
	}
}

enum status_indicator
status_model_indicator(const struct status_model *m)
{
	enum status_indicator worst = STATUS_IND_NONE;
	bool maint = false;
	size_t i;

	for (i = 0; i < m->n_comps; i++) {
		enum status_indicator x = STATUS_IND_NONE;
		switch (m->comps[i].status) {
		case STATUS_COMP_DEGRADED:
			x = STATUS_IND_MINOR;
			break;
		case STATUS_COMP_PARTIAL:
			x = STATUS_IND_MAJOR;
			break;
		case STATUS_COMP_MAJOR:
			x = STATUS_IND_CRITICAL;
			break;
		case STATUS_COMP_MAINTENANCE:
			maint = true;
			break;
		default:
			break;
		}
		if (x > worst)
			worst = x;
	}
	for (i = 0; i < m->n_incs; i++)
		if (m->incs[i].phase != STATUS_PHASE_RESOLVED &&
		    (enum status_indicator)m->incs[i].impact > worst)
			worst = (enum status_indicator)m->incs[i].impact;
	return worst == STATUS_IND_NONE && maint ? STATUS_IND_MAINTENANCE
	                                         : worst;
}

size_t
status_model_unresolved(const struct status_model *m)
{
	size_t i, n = 0;

	for (i = 0; i < m->n_incs; i++)
		n += m->incs[i].phase != STATUS_PHASE_RESOLVED;
	return n;
}

const char *
status_comp_name(enum status_comp s)
{
	static const char *const names[] = {
	    [STATUS_COMP_OPERATIONAL] = "operational",
	    [STATUS_COMP_DEGRADED] = "degraded_performance",
	    [STATUS_COMP_PARTIAL] = "partial_outage",
	    [STATUS_COMP_MAJOR] = "major_outage",
	    [STATUS_COMP_MAINTENANCE] = "under_maintenance",
	};
	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s]
	                                                      : "operational";
}

const char *
status_comp_text(enum status_comp s)
{
	static const char *const names[] = {
	    [STATUS_COMP_OPERATIONAL] = "Operational",
	    [STATUS_COMP_DEGRADED] = "Degraded performance",
	    [STATUS_COMP_PARTIAL] = "Partial outage",
	    [STATUS_COMP_MAJOR] = "Major outage",
	    [STATUS_COMP_MAINTENANCE] = "Under maintenance",
	};
	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s]
	                                                      : "Operational";
}

const char *
status_phase_name(enum status_phase p)
{
	static const char *const names[] = {
	    [STATUS_PHASE_INVESTIGATING] = "investigating",
	    [STATUS_PHASE_IDENTIFIED] = "identified",
	    [STATUS_PHASE_MONITORING] = "monitoring",
	    [STATUS_PHASE_RESOLVED] = "resolved",
	};
	return (unsigned)p < sizeof(names) / sizeof(names[0]) ? names[p]
	                                                      : "investigating";
}

const char *
status_phase_text(enum status_phase p)
{
	static const char *const names[] = {
	    [STATUS_PHASE_INVESTIGATING] = "Investigating",
	    [STATUS_PHASE_IDENTIFIED] = "Identified",
	    [STATUS_PHASE_MONITORING] = "Monitoring",
	    [STATUS_PHASE_RESOLVED] = "Resolved",
	};
	return (unsigned)p < sizeof(names) / sizeof(names[0]) ? names[p]
	                                                      : "Investigating";
}

const char *
status_impact_name(enum status_impact i)
{
	static const char *const names[] = {
	    [STATUS_IMPACT_NONE] = "none",
	    [STATUS_IMPACT_MINOR] = "minor",
	    [STATUS_IMPACT_MAJOR] = "major",
	    [STATUS_IMPACT_CRITICAL] = "critical",
	};
	return (unsigned)i < sizeof(names) / sizeof(names[0]) ? names[i]
	                                                      : "none";
}

const char *
status_indicator_name(enum status_indicator i)
{
	static const char *const names[] = {
	    [STATUS_IND_NONE] = "none",
	    [STATUS_IND_MINOR] = "minor",
	    [STATUS_IND_MAJOR] = "major",
	    [STATUS_IND_CRITICAL] = "critical",
	    [STATUS_IND_MAINTENANCE] = "maintenance",
	};
	return (unsigned)i < sizeof(names) / sizeof(names[0]) ? names[i]
	                                                      : "none";
}

const char *
status_indicator_text(enum status_indicator i)
{
	static const char *const names[] = {
	    [STATUS_IND_NONE] = "All Systems Operational",
	    [STATUS_IND_MINOR] = "Minor Service Outage",
	    [STATUS_IND_MAJOR] = "Partial System Outage",
	    [STATUS_IND_CRITICAL] = "Major System Outage",
	    [STATUS_IND_MAINTENANCE] = "Service Under Maintenance",
	};
	return (unsigned)i < sizeof(names) / sizeof(names[0])
	           ? names[i]
	           : "All Systems Operational";
}

/* status_comp_rank - operational < maintenance < degraded < partial <
 * major. */
static int
status_comp_rank(enum status_comp s)
{
	switch (s) {
	case STATUS_COMP_MAINTENANCE:
		return 1;
	case STATUS_COMP_DEGRADED:
		return 2;
	case STATUS_COMP_PARTIAL:
		return 3;
	case STATUS_COMP_MAJOR:
		return 4;
	default:
		return 0;
	}
}

int
status_comp_worse(enum status_comp a, enum status_comp b)
{
	return status_comp_rank(a) > status_comp_rank(b);
}

enum status_comp
status_comp_of_impact(enum status_impact i)
{
	switch (i) {
	case STATUS_IMPACT_MINOR:
		return STATUS_COMP_DEGRADED;
	case STATUS_IMPACT_MAJOR:
		return STATUS_COMP_PARTIAL;
	case STATUS_IMPACT_CRITICAL:
		return STATUS_COMP_MAJOR;
	default:
		return STATUS_COMP_OPERATIONAL;
	}
}
