/*
 * cluster_status.c - incidents' public faces shared, so every node's
 * status page is the same (see cluster_status.h).
 */
#include "cluster/cluster_status.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>
#include <jansson.h>

#include "cluster/cluster_int.h"
#include "cluster/cluster_link.h"
#include "cluster/cluster_msg.h"
#include "config/config.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "observe/events.h"
#include "status/status_http.h"

#define FACE_KEEP_MS (7ULL * 24 * 3600 * 1000)
#define FACE_DIRTY_MAX 32

/* The node's faces and what it has to publish. */
struct cluster_status {
	struct cluster *c;
	struct status_http *page;
	struct cluster_face *faces[CLUSTER_STATUS_FACES]; /* newest last */
	size_t n_faces;
	char dirty[FACE_DIRTY_MAX][INCIDENT_ID_SIZE]; /* ids changed here */
	size_t n_dirty;
	size_t pending; /* GETs in flight */
	bool detached;  /* the cluster is gone: the last GET frees this */
};

/* ---- JSON ----------------------------------------------------------- */

/* names_json - v[0..n) as a JSON array. */
static json_t *
names_json(const char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

char *
cluster_status_encode(const struct incident_info *ii)
{
	json_t *o = json_object(), *ups = json_array();
	size_t i = ii->n_updates > CLUSTER_STATUS_UPDATES
	               ? ii->n_updates - CLUSTER_STATUS_UPDATES
	               : 0;
	char *s;

	for (; i < ii->n_updates; i++) {
		const struct incident_update *u = &ii->updates[i];
		json_t *uo = json_pack(
		    "{s:I,s:s,s:s,s:b}", "at", (json_int_t)u->at_ms, "kind",
		    u->kind != NULL ? u->kind : "", "status",
		    incident_status_name(u->status), "public", u->public_);

		if (u->public_ && u->text != NULL)
			json_object_set_new(uo, "text", json_string(u->text));
		json_array_append_new(ups, uo);
	}
	json_object_set_new(o, "id", json_string(ii->id));
	json_object_set_new(o, "title", json_string(ii->title));
	json_object_set_new(o, "status",
	                    json_string(incident_status_name(ii->status)));
	json_object_set_new(o, "impact",
	                    json_string(incident_impact_name(ii->impact)));
	json_object_set_new(o, "drill", json_boolean(ii->drill));
	json_object_set_new(o, "started", json_integer(ii->started_ms));
	json_object_set_new(o, "updated", json_integer(ii->updated_ms));
	json_object_set_new(o, "resolved", json_integer(ii->resolved_ms));
	json_object_set_new(o, "providers",
	                    names_json(ii->providers, ii->n_providers));
	json_object_set_new(o, "streams",
	                    names_json(ii->streams, ii->n_streams));
	json_object_set_new(o, "updates", ups);
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (s == NULL)
		log_panic("cluster: cannot encode an incident");
	return s;
}

void
cluster_face_fini(struct cluster_face *f)
{
	size_t i;

	for (i = 0; i < f->info.n_providers; i++)
		free(f->providers[i]);
	for (i = 0; i < f->info.n_streams; i++)
		free(f->streams[i]);
	for (i = 0; i < f->info.n_updates; i++) {
		free((char *)f->updates[i].kind);
		free((char *)f->updates[i].text);
	}
	free(f->providers);
	free(f->streams);
	free(f->updates);
	free(f->id);
	free(f->title);
	free(f->opened_by);
	memset(f, 0, sizeof(*f));
}

/* face_text - a string member (NULL when absent or not text without
 * NUL). */
static const char *
face_text(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_string(v) ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return NULL;
	return json_string_value(v);
}

/* face_time - a non-negative integer member into *out; -1 if not. */
static int
face_time(const json_t *o, const char *key, int64_t *out)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -1;
	*out = json_integer_value(v);
	return 0;
}

/* face_names - a JSON array of names into (*v, *n); -1 if not. */
static int
face_names(const json_t *a, char ***v, size_t *n)
{
	size_t i, k = json_array_size(a);

	if (!json_is_array(a) || k > 64)
		return -1;
	*v = xcalloc(k + 1, sizeof(**v));
	for (i = 0; i < k; i++) {
		const json_t *s = json_array_get(a, i);

		if (!json_is_string(s) || json_string_length(s) > 128 ||
		    strlen(json_string_value(s)) != json_string_length(s))
			return -1;
		(*v)[i] = xstrdup(json_string_value(s));
		(*n)++;
	}
	return 0;
}

/* face_updates - the updates array into f; -1 if malformed. */
static int
face_updates(const json_t *a, struct cluster_face *f)
{
	size_t i, k = json_array_size(a);

	if (!json_is_array(a) || k > CLUSTER_STATUS_UPDATES)
		return -1;
	f->updates = xcalloc(k + 1, sizeof(*f->updates));
	for (i = 0; i < k; i++) {
		const json_t *u = json_array_get(a, i);
		struct incident_update *o = &f->updates[i];
		const char *kind = face_text(u, "kind");
		const char *st = face_text(u, "status");
		const char *text = face_text(u, "text");
		const json_t *pub = json_object_get(u, "public");
		int s = st != NULL ? incident_status_parse(st) : -1;

		if (kind == NULL || s < 0 || !json_is_boolean(pub) ||
		    face_time(u, "at", &o->at_ms) < 0 ||
		    (json_object_get(u, "text") != NULL && text == NULL))
			return -1;
		o->kind = xstrdup(kind);
		o->text = xstrdup(text != NULL ? text : "");
		o->status = (enum incident_status)s;
		o->public_ = json_is_true(pub);
		o->who = "swerve";
		f->info.n_updates++;
	}
	return 0;
}

int
cluster_status_decode(const char *buf, size_t len, struct cluster_face *out,
                      char *err, size_t errlen)
{
	json_error_t je;
	json_t *o;
	const char *id, *title, *st, *imp;
	int s = -1, i = -1;

	memset(out, 0, sizeof(*out));
	o = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(o)) {
		json_decref(o);
		snprintf(err, errlen, "not a JSON object");
		return -1;
	}
	id = face_text(o, "id");
	title = face_text(o, "title");
	st = face_text(o, "status");
	imp = face_text(o, "impact");
	if (st != NULL)
		s = incident_status_parse(st);
	if (imp != NULL)
		i = incident_impact_parse(imp);
	if (id == NULL || strncmp(id, "inc_", 4) != 0 ||
	    strlen(id) >= INCIDENT_ID_SIZE || title == NULL || s < 0 || i < 0 ||
	    !json_is_boolean(json_object_get(o, "drill")) ||
	    face_time(o, "started", &out->info.started_ms) < 0 ||
	    face_time(o, "updated", &out->info.updated_ms) < 0 ||
	    face_time(o, "resolved", &out->info.resolved_ms) < 0) {
		json_decref(o);
		memset(out, 0, sizeof(*out));
		snprintf(err, errlen,
		         "id, title, status, impact, drill or a "
		         "time missing or malformed");
		return -1;
	}
	out->id = xstrdup(id);
	out->title = xstrdup(title);
	if (face_names(json_object_get(o, "providers"), &out->providers,
	               &out->info.n_providers) < 0 ||
	    face_names(json_object_get(o, "streams"), &out->streams,
	               &out->info.n_streams) < 0 ||
	    face_updates(json_object_get(o, "updates"), out) < 0) {
		json_decref(o);
		cluster_face_fini(out);
		snprintf(err, errlen,
		         "providers, streams or updates "
		         "malformed");
		return -1;
	}
	out->info.id = out->id;
	out->info.title = out->title;
	out->info.status = (enum incident_status)s;
	out->info.impact = (enum incident_impact)i;
	out->info.drill = json_is_true(json_object_get(o, "drill"));
	out->info.providers = (const char *const *)out->providers;
	out->info.streams = (const char *const *)out->streams;
	out->info.updates = out->updates;
	json_decref(o);
	return 0;
}

/* ---- the fleet ------------------------------------------------------ */

/* status_face - the face of id here, or NULL. */
static const struct incident_info *
status_face(void *arg, const char *id)
{
	struct cluster_status *cs = arg;
	size_t i;

	for (i = 0; i < cs->n_faces; i++)
		if (strcmp(cs->faces[i]->id, id) == 0)
			return &cs->faces[i]->info;
	return NULL;
}

static size_t
status_count(void *arg)
{
	struct cluster_status *cs = arg;

	return cs->n_faces;
}

static const struct incident_info *
status_get(void *arg, size_t i)
{
	struct cluster_status *cs = arg;

	return i < cs->n_faces ? &cs->faces[cs->n_faces - 1 - i]->info : NULL;
}

/* status_keep - f (taken) replaces the face of its id, or is added (the
 * oldest goes when full). */
static void
status_keep(struct cluster_status *cs, struct cluster_face *f, const char *node)
{
	size_t i;

	f->opened_by = xstrdup(node);
	f->info.opened_by = f->opened_by;
	for (i = 0; i < cs->n_faces; i++)
		if (strcmp(cs->faces[i]->id, f->id) == 0)
			break;
	if (i < cs->n_faces) {
		cluster_face_fini(cs->faces[i]);
		free(cs->faces[i]);
		memmove(cs->faces + i, cs->faces + i + 1,
		        (cs->n_faces - i - 1) * sizeof(cs->faces[0]));
		cs->n_faces--;
	} else if (cs->n_faces == CLUSTER_STATUS_FACES) {
		cluster_face_fini(cs->faces[0]);
		free(cs->faces[0]);
		memmove(cs->faces, cs->faces + 1,
		        (cs->n_faces - 1) * sizeof(cs->faces[0]));
		cs->n_faces--;
	}
	cs->faces[cs->n_faces++] = f;
}

/* status_free - free cs and its faces. */
static void
status_free(struct cluster_status *cs)
{
	while (cs->n_faces > 0) {
		cluster_face_fini(cs->faces[--cs->n_faces]);
		free(cs->faces[cs->n_faces]);
	}
	free(cs);
}

/* A GET of one face. */
struct face_get {
	struct cluster_status *cs;
	char node[CLUSTER_MSG_TEXT_MAX + 1];
};

/* status_on_get - another node's face. */
static void
status_on_get(const struct redisReply *r, void *arg)
{
	struct face_get *g = arg;
	struct cluster_status *cs = g->cs;
	struct cluster_face *f;
	char err[160];

	if (r != NULL && r->type == REDIS_REPLY_STRING && !cs->detached) {
		f = xcalloc(1, sizeof(*f));
		if (cluster_status_decode(r->str, r->len, f, err,
		                          sizeof(err)) == 0) {
			status_keep(cs, f, g->node);
		} else {
			log_limited(LOG_LEVEL_WARN, "cluster: incident: %s",
			            err);
			free(f);
		}
	}
	free(g);
	if (--cs->pending == 0 && cs->detached)
		status_free(cs);
}

void
cluster_status_apply(struct cluster *c, const struct cluster_msg *m)
{
	struct cluster_status *cs = c->status;
	struct face_get *g;

	if (cs == NULL || strncmp(m->name, "inc_", 4) != 0 ||
	    strlen(m->name) >= INCIDENT_ID_SIZE)
		return;
	g = xcalloc(1, sizeof(*g));
	g->cs = cs;
	snprintf(g->node, sizeof(g->node), "%s", m->node);
	cs->pending++;
	if (cluster_link_command_cb(c->link, status_on_get, g,
	                            "GET %s:incident:%s",
	                            c->cfg->cluster_key_prefix, m->name) != 0) {
		free(g);
		cs->pending--;
	}
}

/* status_on_event - an incident changed: publish it later if it is
 * this node's. */
static void
status_on_event(const struct events_item *e, void *arg)
{
	struct cluster_status *cs = arg;
	size_t i;

	if (e->kind != EVENT_INCIDENT || e->reason == NULL ||
	    strlen(e->reason) >= INCIDENT_ID_SIZE)
		return;
	for (i = 0; i < cs->n_dirty; i++)
		if (strcmp(cs->dirty[i], e->reason) == 0)
			return;
	if (cs->n_dirty == FACE_DIRTY_MAX)
		return; /* the next change publishes it */
	snprintf(cs->dirty[cs->n_dirty++], INCIDENT_ID_SIZE, "%s", e->reason);
}

void
cluster_status_flush(struct cluster *c)
{
	struct cluster_status *cs = c->status;
	struct incident_info ii;
	size_t i;

	if (cs == NULL || c->inc == NULL || !cluster_link_up(c->link))
		return;
	for (i = 0; i < cs->n_dirty; i++) {
		struct cluster_msg m = {.kind = CLUSTER_MSG_INCIDENT};
		char *json;

		if (incidents_find(c->inc, cs->dirty[i], &ii) != 0 ||
		    ii.opened_by != NULL)
			continue; /* not ours: its node publishes it */
		json = cluster_status_encode(&ii);
		cluster_link_command(c->link, "SET %s:incident:%s %s PX %llu",
		                     c->cfg->cluster_key_prefix, ii.id, json,
		                     FACE_KEEP_MS);
		free(json);
		m.name = cs->dirty[i];
		cluster_publish(c, &m);
	}
	cs->n_dirty = 0;
}

void
cluster_status_attach(struct cluster *c, struct status_http *s)
{
	struct cluster_status *cs = xcalloc(1, sizeof(*cs));
	struct status_http_fleet f = {.find = status_face,
	                              .count = status_count,
	                              .get = status_get,
	                              .arg = cs};

	cs->c = c;
	cs->page = s;
	c->status = cs;
	if (events_subscribe(status_on_event, cs) < 0)
		log_warn("cluster: no room on the event bus: incidents are "
		         "not published to the fleet's status page");
	if (s != NULL)
		status_http_fleet_set(s, &f);
}

void
cluster_status_detach(struct cluster *c)
{
	struct cluster_status *cs = c->status;

	if (cs == NULL)
		return;
	events_unsubscribe(status_on_event, cs);
	if (cs->page != NULL)
		status_http_fleet_set(cs->page, NULL);
	c->status = NULL;
	cs->detached = true;
	if (cs->pending == 0)
		status_free(cs);
}
