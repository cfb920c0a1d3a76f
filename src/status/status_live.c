/*
 * status_live.c - the status page's model from the configuration,
 * providers' health and the incident records (see the contract for the
 * rules). Pure; everything is passed in.
 */
#include "status/status_live.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/buf.h"
#include "deliver/deliver.h"
#include "incident/incident.h"

/* status_live_name_char - may c be part of a provider name's run? */
static bool
status_live_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

/* status_live_display - what provider i is called on the page (NULL:
 * not shown by name). */
static const char *
status_live_display(const struct config *cfg, size_t i)
{
	const struct config_public_status *ps = &cfg->public_status;
	size_t j;

	for (j = 0; j < ps->n_providers; j++)
		if (strcmp(ps->providers[j].id, cfg->providers[i].name) == 0)
			return ps->providers[j].name != NULL
			           ? ps->providers[j].name
			           : ps->providers[j].id;
	return NULL;
}

char *
status_live_scrub(const struct config *cfg, const char *text)
{
	struct buf b;
	const char *p = text != NULL ? text : "";

	buf_init(&b);
	while (*p != '\0') {
		size_t i, best = 0, best_i = 0;
		bool start = p == text || !status_live_name_char(p[-1]);
		for (i = 0; start && i < cfg->n_providers; i++) {
			size_t n = strlen(cfg->providers[i].name);
			if (n > best &&
			    strncmp(p, cfg->providers[i].name, n) == 0 &&
			    !status_live_name_char(p[n]))
				best = n, best_i = i;
		}
		if (best == 0) {
			buf_addch(&b, *p++);
			continue;
		}
		{
			const char *shown =
			    cfg->public_status.show_providers
			        ? status_live_display(cfg, best_i)
			        : NULL;
			if (shown == NULL && cfg->public_status.show_providers)
				buf_printf(&b, "Provider %zu", best_i + 1);
			else
				buf_addstr(&b, shown != NULL
				                   ? shown
				                   : "an email provider");
		}
		p += best;
	}
	buf_cstr(&b);
	return buf_steal(&b, NULL);
}

/* status_live_mode - provider i's mode ("closed" without facts, and
 * while a drill hidden from the page simulates a fault at it). */
static const char *
status_live_mode(const struct status_live_facts *f, size_t i)
{
	if (f->provs == NULL || i >= f->n_provs || f->provs[i].mode == NULL)
		return "closed";
	if (f->drilled != NULL && f->drilled[i] &&
	    !f->cfg->public_status.show_drills)
		return "closed";
	return f->provs[i].mode;
}

/* status_live_stream_allows - may stream st use provider i? */
static bool
status_live_stream_allows(const struct config *cfg,
                          const struct config_stream *st, size_t i)
{
	size_t j;

	if (!cfg->providers[i].enabled)
		return false;
	if (st == NULL || st->n_providers == 0)
		return true;
	for (j = 0; j < st->n_providers; j++)
		if (strcmp(st->providers[j], cfg->providers[i].name) == 0)
			return true;
	return false;
}

/* status_live_stream - the configured stream named name, or NULL. */
static const struct config_stream *
status_live_stream(const struct config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->n_streams; i++)
		if (strcmp(cfg->streams[i].name, name) == 0)
			return &cfg->streams[i];
	return NULL;
}

/* status_live_stream_health - a stream's status from its providers. */
static enum status_comp
status_live_stream_health(const struct status_live_facts *f,
                          const struct config_stream *st)
{
	size_t i, n = 0, usable = 0, open = 0;

	for (i = 0; i < f->cfg->n_providers; i++) {
		const char *mode;
		if (!status_live_stream_allows(f->cfg, st, i))
			continue;
		n++;
		mode = status_live_mode(f, i);
		if (strcmp(mode, "closed") == 0 ||
		    strcmp(mode, "half-open") == 0)
			usable++;
		else if (strcmp(mode, "open") == 0)
			open++;
	}
	if (n > 0 && usable == 0)
		return STATUS_COMP_MAJOR;
	if (open > 0)
		return STATUS_COMP_DEGRADED;
	return STATUS_COMP_OPERATIONAL;
}

/* status_live_provider_health - a provider component's status. */
static enum status_comp
status_live_provider_health(const struct status_live_facts *f, size_t i)
{
	const char *mode = status_live_mode(f, i);

	if (strcmp(mode, "open") == 0)
		return STATUS_COMP_MAJOR;
	if (strcmp(mode, "half-open") == 0)
		return STATUS_COMP_DEGRADED;
	if (strcmp(mode, "paused") == 0 || strcmp(mode, "draining") == 0)
		return STATUS_COMP_MAINTENANCE;
	return STATUS_COMP_OPERATIONAL;
}

/* One component and where it came from. */
struct status_live_comp {
	const struct config_stream *stream; /* NULL: a provider */
	const char *stream_name;
	size_t provider; /* index in cfg->providers when stream_name NULL */
};

/* status_live_has - is s one of the n strings in v? */
static bool
status_live_has(const char *const *v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] != NULL && strcmp(v[i], s) == 0)
			return true;
	return false;
}

/* status_live_affects - does incident inc affect component c? */
static bool
status_live_affects(const struct config *cfg, const struct incident_info *inc,
                    const struct status_live_comp *c)
{
	size_t i;

	if (c->stream_name == NULL)
		return status_live_has(inc->providers, inc->n_providers,
		                       cfg->providers[c->provider].name);
	if (inc->n_streams > 0)
		return status_live_has(inc->streams, inc->n_streams,
		                       c->stream_name);
	for (i = 0; i < cfg->n_providers; i++)
		if (status_live_has(inc->providers, inc->n_providers,
		                    cfg->providers[i].name) &&
		    status_live_stream_allows(cfg, c->stream, i))
			return true;
	return false;
}

/* status_live_phase - the page's word for an incident status. */
static enum status_phase
status_live_phase(enum incident_status s)
{
	switch (s) {
	case INCIDENT_IDENTIFIED:
		return STATUS_PHASE_IDENTIFIED;
	case INCIDENT_MONITORING:
		return STATUS_PHASE_MONITORING;
	case INCIDENT_RESOLVED:
		return STATUS_PHASE_RESOLVED;
	default:
		return STATUS_PHASE_INVESTIGATING;
	}
}

/* status_live_impact - the page's word for an incident impact. */
static enum status_impact
status_live_impact(enum incident_impact i)
{
	switch (i) {
	case IMPACT_MINOR:
		return STATUS_IMPACT_MINOR;
	case IMPACT_MAJOR:
		return STATUS_IMPACT_MAJOR;
	case IMPACT_CRITICAL:
		return STATUS_IMPACT_CRITICAL;
	default:
		return STATUS_IMPACT_NONE;
	}
}

/* status_live_components - the components, in order, into *out. */
static size_t
status_live_components(const struct config *cfg, struct status_live_comp **out)
{
	const struct config_public_status *ps = &cfg->public_status;
	size_t n = 0, i,
	       max = ps->n_streams + cfg->n_streams + cfg->n_providers;
	struct status_live_comp *c = calloc(max > 0 ? max : 1, sizeof(*c));

	if (c == NULL)
		abort();
	if (ps->n_streams > 0) {
		for (i = 0; i < ps->n_streams; i++, n++) {
			c[n].stream_name = ps->streams[i].id;
			c[n].stream =
			    status_live_stream(cfg, ps->streams[i].id);
		}
	} else {
		for (i = 0; i < cfg->n_streams; i++, n++) {
			c[n].stream_name = cfg->streams[i].name;
			c[n].stream = &cfg->streams[i];
		}
	}
	if (ps->show_providers)
		for (i = 0; i < cfg->n_providers; i++)
			if (cfg->providers[i].enabled)
				c[n++].provider = i;
	*out = c;
	return n;
}

/* status_live_comp_label - a component's id, name and description. */
static void
status_live_comp_label(const struct config *cfg,
                       const struct status_live_comp *c, char *id, size_t idlen,
                       const char **name, const char **desc)
{
	const struct config_public_status *ps = &cfg->public_status;
	size_t i;

	*desc = NULL;
	if (c->stream_name != NULL) {
		snprintf(id, idlen, "stream-%s", c->stream_name);
		*name = c->stream_name;
		for (i = 0; i < ps->n_streams; i++)
			if (strcmp(ps->streams[i].id, c->stream_name) == 0) {
				if (ps->streams[i].name != NULL)
					*name = ps->streams[i].name;
				*desc = ps->streams[i].description;
			}
		return;
	}
	snprintf(id, idlen, "provider-%zu", c->provider + 1);
	*name = NULL;
	for (i = 0; i < ps->n_providers; i++)
		if (strcmp(ps->providers[i].id,
		           cfg->providers[c->provider].name) == 0) {
			*name = ps->providers[i].name != NULL
			            ? ps->providers[i].name
			            : ps->providers[i].id;
			*desc = ps->providers[i].description;
		}
}

/* status_live_shown - is inc on the page? */
static bool
status_live_shown(const struct config *cfg, const struct incident_info *inc)
{
	return !inc->drill || cfg->public_status.show_drills;
}

/* status_live_incident - add inc with its public updates to m. */
static void
status_live_incident(struct status_model *m, const struct config *cfg,
                     const struct incident_info *inc,
                     const struct status_live_comp *comps, size_t n_comps)
{
	struct status_incident *si;
	char *title = status_live_scrub(cfg, inc->title);
	size_t i, n = 0;

	si = status_model_incident_add(
	    m, inc->id, title, status_live_phase(inc->status),
	    status_live_impact(inc->impact), inc->started_ms);
	free(title);
	si->updated_ms = inc->updated_ms;
	si->resolved_ms =
	    inc->status == INCIDENT_RESOLVED ? inc->resolved_ms : 0;
	for (i = 0; i < n_comps; i++)
		if (status_live_affects(cfg, inc, &comps[i]))
			status_model_incident_comp(si, i);
	for (i = 0; i < inc->n_updates; i++) {
		const struct incident_update *u = &inc->updates[i];
		char uid[64], *body;
		if (u->status == INCIDENT_MONITORING && si->monitoring_ms == 0)
			si->monitoring_ms = u->at_ms;
		if (!u->public_)
			continue;
		snprintf(uid, sizeof(uid), "%.40s-%zu", inc->id, ++n);
		body = status_live_scrub(cfg, u->text);
		status_model_update_add(si, uid, u->at_ms,
		                        status_live_phase(u->status), body);
		free(body);
	}
}

void
status_live_build(struct status_model *m, const struct status_live_facts *f)
{
	const struct config *cfg = f->cfg;
	struct status_live_comp *comps = NULL;
	size_t n_comps = status_live_components(cfg, &comps), i, j;

	status_model_init(m,
	                  cfg->public_status.title != NULL
	                      ? cfg->public_status.title
	                      : "Email delivery",
	                  cfg->public_status.url, f->now_ms);
	for (i = 0; i < n_comps; i++) {
		const char *name, *desc;
		char id[96], fallback[32];
		enum status_comp st =
		    comps[i].stream_name != NULL
		        ? status_live_stream_health(f, comps[i].stream)
		        : status_live_provider_health(f, comps[i].provider);
		int64_t updated = f->started_ms;

		status_live_comp_label(cfg, &comps[i], id, sizeof(id), &name,
		                       &desc);
		if (name == NULL) {
			snprintf(fallback, sizeof(fallback), "Provider %zu",
			         comps[i].provider + 1);
			name = fallback;
		}
		for (j = 0; j < f->n_incs; j++) {
			const struct incident_info *inc = &f->incs[j];
			if (!status_live_shown(cfg, inc) ||
			    !status_live_affects(cfg, inc, &comps[i]))
				continue;
			if (inc->updated_ms > updated)
				updated = inc->updated_ms;
			if (inc->status != INCIDENT_RESOLVED) {
				enum status_comp s = status_comp_of_impact(
				    status_live_impact(inc->impact));
				if (status_comp_worse(s, st))
					st = s;
			}
		}
		status_model_component_add(m, id, name, desc, st, f->started_ms,
		                           updated);
	}
	for (j = 0; j < f->n_incs; j++)
		if (status_live_shown(cfg, &f->incs[j]))
			status_live_incident(m, cfg, &f->incs[j], comps,
			                     n_comps);
	free(comps);
	status_model_finish(m);
}
