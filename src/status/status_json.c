/*
 * status_json.c - Statuspage v2 JSON documents from the model (jansson).
 *
 * Field names and nesting follow Statuspage's public API; fields it has
 * that swerve has no notion of are written with the values a page
 * without the feature shows (showcase false, group_id null, group false,
 * only_show_if_degraded false, custom_tweet null, tweet_id null).
 */
#include "status/status_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/xmalloc.h"
#include "status/status_text.h"

/* status_json_date - an RFC 3339 date, or null for 0. */
static json_t *
status_json_date(int64_t ms)
{
	char d[STATUS_TEXT_DATE_SIZE];

	if (ms == 0)
		return json_null();
	status_text_rfc3339(d, ms);
	return json_string(d);
}

/* status_json_str - a string (the model's strings are clean UTF-8). */
static json_t *
status_json_str(const char *s)
{
	json_t *j = json_string(s != NULL ? s : "");

	return j != NULL ? j : json_string("");
}

/* status_json_page - the "page" object. */
static json_t *
status_json_page(const struct status_model *m)
{
	json_t *p = json_object();

	json_object_set_new(p, "id", status_json_str(m->page_id));
	json_object_set_new(p, "name", status_json_str(m->name));
	json_object_set_new(p, "url", status_json_str(m->url));
	json_object_set_new(p, "time_zone", json_string("Etc/UTC"));
	json_object_set_new(
	    p, "updated_at",
	    status_json_date(m->updated_ms != 0 ? m->updated_ms : m->now_ms));
	return p;
}

/* status_json_component - one component object. */
static json_t *
status_json_component(const struct status_model *m, size_t i)
{
	const struct status_component *c = &m->comps[i];
	json_t *o = json_object();

	json_object_set_new(o, "id", status_json_str(c->id));
	json_object_set_new(o, "name", status_json_str(c->name));
	json_object_set_new(o, "status",
	                    json_string(status_comp_name(c->status)));
	json_object_set_new(o, "created_at", status_json_date(c->created_ms));
	json_object_set_new(o, "updated_at", status_json_date(c->updated_ms));
	json_object_set_new(o, "position", json_integer((json_int_t)i + 1));
	json_object_set_new(o, "description",
	                    c->description != NULL
	                        ? status_json_str(c->description)
	                        : json_null());
	json_object_set_new(o, "showcase", json_false());
	json_object_set_new(o, "start_date", json_null());
	json_object_set_new(o, "group_id", json_null());
	json_object_set_new(o, "page_id", status_json_str(m->page_id));
	json_object_set_new(o, "group", json_false());
	json_object_set_new(o, "only_show_if_degraded", json_false());
	return o;
}

/* status_json_components - every component, in order. */
static json_t *
status_json_components(const struct status_model *m)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < m->n_comps; i++)
		json_array_append_new(a, status_json_component(m, i));
	return a;
}

/* status_json_incident - one incident with its updates and components. */
static json_t *
status_json_incident(const struct status_model *m,
                     const struct status_incident *inc)
{
	json_t *o = json_object(), *ups = json_array(), *comps = json_array();
	size_t i;

	for (i = 0; i < inc->n_updates; i++) {
		const struct status_update *u = &inc->updates[i];
		json_t *uo = json_object();
		json_object_set_new(uo, "id", status_json_str(u->id));
		json_object_set_new(uo, "status",
		                    json_string(status_phase_name(u->phase)));
		json_object_set_new(uo, "body", status_json_str(u->body));
		json_object_set_new(uo, "incident_id",
		                    status_json_str(inc->id));
		json_object_set_new(uo, "created_at",
		                    status_json_date(u->at_ms));
		json_object_set_new(uo, "updated_at",
		                    status_json_date(u->at_ms));
		json_object_set_new(uo, "display_at",
		                    status_json_date(u->at_ms));
		json_object_set_new(uo, "affected_components", json_null());
		json_object_set_new(uo, "deliver_notifications", json_true());
		json_object_set_new(uo, "custom_tweet", json_null());
		json_object_set_new(uo, "tweet_id", json_null());
		json_array_append_new(ups, uo);
	}
	for (i = 0; i < inc->n_comps; i++)
		if (inc->comps[i] < m->n_comps)
			json_array_append_new(
			    comps, status_json_component(m, inc->comps[i]));
	json_object_set_new(o, "id", status_json_str(inc->id));
	json_object_set_new(o, "name", status_json_str(inc->name));
	json_object_set_new(o, "status",
	                    json_string(status_phase_name(inc->phase)));
	json_object_set_new(o, "created_at", status_json_date(inc->created_ms));
	json_object_set_new(o, "updated_at", status_json_date(inc->updated_ms));
	json_object_set_new(o, "monitoring_at",
	                    status_json_date(inc->monitoring_ms));
	json_object_set_new(o, "resolved_at",
	                    status_json_date(inc->resolved_ms));
	json_object_set_new(o, "impact",
	                    json_string(status_impact_name(inc->impact)));
	{
		/* The incident's anchor on the page. */
		size_t n = strlen(m->url) + strlen(inc->id) + 16;
		char *link = xmalloc(n);
		snprintf(link, n, "%s#incident-%s", m->url, inc->id);
		json_object_set_new(o, "shortlink", status_json_str(link));
		free(link);
	}
	json_object_set_new(o, "started_at", status_json_date(inc->created_ms));
	json_object_set_new(o, "page_id", status_json_str(m->page_id));
	json_object_set_new(o, "incident_updates", ups);
	json_object_set_new(o, "components", comps);
	return o;
}

/* status_json_incidents - all (at most 50) or only unresolved ones. */
static json_t *
status_json_incidents(const struct status_model *m, int unresolved)
{
	json_t *a = json_array();
	size_t i, n = 0;

	for (i = 0; i < m->n_incs; i++) {
		if (unresolved && m->incs[i].phase == STATUS_PHASE_RESOLVED)
			continue;
		if (!unresolved && n == STATUS_JSON_INCIDENTS_MAX)
			break;
		json_array_append_new(a, status_json_incident(m, &m->incs[i]));
		n++;
	}
	return a;
}

/* status_json_status - the "status" object. */
static json_t *
status_json_status(const struct status_model *m)
{
	enum status_indicator ind = status_model_indicator(m);
	json_t *s = json_object();

	json_object_set_new(s, "indicator",
	                    json_string(status_indicator_name(ind)));
	json_object_set_new(s, "description",
	                    json_string(status_indicator_text(ind)));
	return s;
}

char *
status_json_render(const struct status_model *m, enum status_json_doc doc,
                   size_t *len)
{
	json_t *root = json_object();
	char *text, *out;
	size_t n;

	json_object_set_new(root, "page", status_json_page(m));
	switch (doc) {
	case STATUS_JSON_SUMMARY:
		json_object_set_new(root, "components",
		                    status_json_components(m));
		json_object_set_new(root, "incidents",
		                    status_json_incidents(m, 1));
		json_object_set_new(root, "scheduled_maintenances",
		                    json_array());
		json_object_set_new(root, "status", status_json_status(m));
		break;
	case STATUS_JSON_STATUS:
		json_object_set_new(root, "status", status_json_status(m));
		break;
	case STATUS_JSON_COMPONENTS:
		json_object_set_new(root, "components",
		                    status_json_components(m));
		break;
	case STATUS_JSON_INCIDENTS:
		json_object_set_new(root, "incidents",
		                    status_json_incidents(m, 0));
		break;
	case STATUS_JSON_UNRESOLVED:
		json_object_set_new(root, "incidents",
		                    status_json_incidents(m, 1));
		break;
	case STATUS_JSON_MAINTENANCES:
		json_object_set_new(root, "scheduled_maintenances",
		                    json_array());
		break;
	}
	text = json_dumps(root, JSON_PRESERVE_ORDER | JSON_COMPACT);
	json_decref(root);
	if (text == NULL)
		text = xstrdup("{}");
	n = strlen(text);
	out = xmalloc(n + 2);
	memcpy(out, text, n);
	out[n++] = '\n';
	out[n] = '\0';
	free(text);
	if (len != NULL)
		*len = n;
	return out;
}
