/*
 * incident.c - the incident records: memory, reads, operator changes
 * (incident.h). The automatic part is incident_engine.c, the database
 * incident_db.c.
 */
#include "incident/incident.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "core/clock.h"
#include "core/id.h"
#include "core/xmalloc.h"
#include "incident/incident_int.h"
#include "observe/events.h"

#define INC_DAY_MS (24LL * 3600 * 1000)

static const char *const incident_status_names[INCIDENT_STATUS_COUNT] = {
    "investigating", "identified", "monitoring", "resolved"};
static const char *const incident_impact_names[IMPACT_COUNT] = {
    "none", "minor", "major", "critical"};

const char *
incident_status_name(enum incident_status s)
{
	return (unsigned)s < INCIDENT_STATUS_COUNT ? incident_status_names[s]
	                                           : "unknown";
}

int
incident_status_parse(const char *s)
{
	for (int i = 0; s != NULL && i < INCIDENT_STATUS_COUNT; i++)
		if (strcmp(s, incident_status_names[i]) == 0)
			return i;
	return -1;
}

const char *
incident_impact_name(enum incident_impact i)
{
	return (unsigned)i < IMPACT_COUNT ? incident_impact_names[i]
	                                  : "unknown";
}

int
incident_impact_parse(const char *s)
{
	for (int i = 0; s != NULL && i < IMPACT_COUNT; i++)
		if (strcmp(s, incident_impact_names[i]) == 0)
			return i;
	return -1;
}

int
inc_set_has(char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; s != NULL && i < n; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

int
inc_set_add(char ***v, size_t *n, const char *s)
{
	if (s == NULL || *s == '\0' || inc_set_has(*v, *n, s))
		return 0;
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = xstrdup(s);
	return 1;
}

void
inc_add_update(struct inc *c, int64_t at_ms, const char *kind, const char *who,
               const char *text, int public_)
{
	size_t i;

	if (c->n_updates == c->cap_updates) {
		c->cap_updates = c->cap_updates ? 2 * c->cap_updates : 8;
		c->updates = xreallocarray(c->updates, c->cap_updates,
		                           sizeof(*c->updates));
		c->seq = xreallocarray(c->seq, c->cap_updates, sizeof(*c->seq));
		c->stored = xreallocarray(c->stored, c->cap_updates,
		                          sizeof(*c->stored));
	}
	/* Sorted by time; entries of one millisecond keep their order. */
	i = c->n_updates;
	while (i > 0 && c->updates[i - 1].at_ms > at_ms)
		i--;
	memmove(c->updates + i + 1, c->updates + i,
	        (c->n_updates - i) * sizeof(*c->updates));
	memmove(c->seq + i + 1, c->seq + i,
	        (c->n_updates - i) * sizeof(*c->seq));
	memmove(c->stored + i + 1, c->stored + i,
	        (c->n_updates - i) * sizeof(*c->stored));
	c->updates[i] = (struct incident_update){
	    .at_ms = at_ms,
	    .kind = xstrdup(kind),
	    .text = xstrdup(text != NULL ? text : ""),
	    .status = c->status,
	    .public_ = public_,
	    .who = xstrdup(who != NULL ? who : "swerve"),
	};
	c->seq[i] = c->next_seq++;
	c->stored[i] = 0;
	c->n_updates++;
	if (at_ms > c->updated_ms)
		c->updated_ms = at_ms;
	c->dirty = 1;
}

struct inc *
inc_new(struct incidents *in, int64_t at_ms, const char *title, int drill)
{
	struct inc *c = xcalloc(1, sizeof(*c));
	char id[ID_SIZE];

	id_new(id);
	snprintf(c->id, sizeof(c->id), "inc_%s", id);
	c->title = xstrdup(title);
	c->status = INCIDENT_INVESTIGATING;
	c->impact = IMPACT_NONE;
	c->drill = drill != 0;
	c->started_ms = c->updated_ms = at_ms;
	c->dirty = 1;
	if (in->n == in->cap) {
		in->cap = in->cap ? 2 * in->cap : 8;
		in->v = xreallocarray(in->v, in->cap, sizeof(*in->v));
	}
	memmove(in->v + 1, in->v, in->n * sizeof(*in->v));
	in->v[0] = c;
	in->n++;
	return c;
}

void
inc_free(struct inc *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n_updates; i++) {
		free((char *)c->updates[i].kind);
		free((char *)c->updates[i].text);
		free((char *)c->updates[i].who);
	}
	for (i = 0; i < c->n_providers; i++)
		free(c->providers[i]);
	for (i = 0; i < c->n_streams; i++)
		free(c->streams[i]);
	for (i = 0; i < c->n_alerts; i++) {
		free(c->alerts[i].rule);
		free(c->alerts[i].subject);
	}
	free(c->alerts);
	free(c->providers);
	free(c->streams);
	free(c->updates);
	free(c->seq);
	free(c->stored);
	free(c->title);
	free(c->report_path);
	free(c->opened_by);
	free(c->traffic_to);
	free(c->failback_prov);
	free(c);
}

void
inc_info(const struct inc *c, struct incident_info *out)
{
	*out = (struct incident_info){
	    .id = c->id,
	    .title = c->title,
	    .status = c->status,
	    .impact = c->impact,
	    .impact_override = c->impact_override,
	    .drill = c->drill,
	    .started_ms = c->started_ms,
	    .updated_ms = c->updated_ms,
	    .resolved_ms = c->resolved_ms,
	    .providers = (const char *const *)c->providers,
	    .n_providers = c->n_providers,
	    .streams = (const char *const *)c->streams,
	    .n_streams = c->n_streams,
	    .updates = c->updates,
	    .n_updates = c->n_updates,
	    .report_path = c->report_path,
	    .opened_by = c->opened_by,
	};
}

void
inc_set_status(struct inc *c, enum incident_status s, int64_t at_ms,
               const char *who, const char *text)
{
	char line[160];

	if (s == c->status)
		return;
	c->status = s;
	if (s == INCIDENT_IDENTIFIED)
		c->identified = 1;
	c->resolved_ms = s == INCIDENT_RESOLVED ? at_ms : 0;
	c->report_due = s == INCIDENT_RESOLVED;
	snprintf(line, sizeof(line), "status: %s", incident_status_name(s));
	inc_add_update(c, at_ms, "status", who,
	               text != NULL && *text ? text : line, 1);
}

void
inc_changed(struct incidents *in, struct inc *c)
{
	struct incident_info info;
	struct events_item e = {
	    .kind = EVENT_INCIDENT,
	    .at_ms = c->updated_ms,
	    .reason = c->id,
	    .state = incident_status_name(c->status),
	    .text = c->title,
	    .drill = c->drill,
	};

	if (c->providers != NULL && c->n_providers > 0)
		e.provider = c->providers[0];
	if (c->streams != NULL && c->n_streams > 0)
		e.stream = c->streams[0];
	if (c->fleet_pending)
		return; /* told once the fleet answers */
	incident_db_save(in, c);
	events_emit(&e);
	if (in->change_fn != NULL) {
		inc_info(c, &info);
		in->change_fn(&info, in->change_arg);
	}
	if (c->report_due) {
		c->report_due = 0;
		(void)incidents_report_write(in, c->id);
	}
}

struct incidents *
incidents_new(struct spool *sp, const char *db_path,
              const struct incidents_opts *opts, char *err, size_t errlen)
{
	struct incidents *in = xcalloc(1, sizeof(*in));

	in->sp = sp;
	if (opts != NULL)
		in->o = *opts;
	if (in->o.window_ms <= 0)
		in->o.window_ms = 15 * 60 * 1000;
	if (in->o.quiet_ms <= 0)
		in->o.quiet_ms = 10 * 60 * 1000;
	if (in->o.reopen_ms <= 0)
		in->o.reopen_ms = 30 * 60 * 1000;
	if (in->o.retention_ms <= 0)
		in->o.retention_ms = 90 * INC_DAY_MS;
	if (db_path != NULL) {
		const char *slash = strrchr(db_path, '/');
		int dlen = slash != NULL ? (int)(slash - db_path) : 1;

		in->report_dir = xmalloc((size_t)dlen + 16);
		snprintf(in->report_dir, (size_t)dlen + 16, "%.*s/incidents",
		         dlen, slash != NULL ? db_path : ".");
	}
	if (db_path != NULL &&
	    incident_db_load(in, db_path, clock_wall_ms(), err, errlen) != 0) {
		incidents_free(in);
		return NULL;
	}
	return in;
}

/* incidents_on_timer - time passing. */
static void
incidents_on_timer(evutil_socket_t fd, short what, void *arg)
{
	incidents_tick(arg, clock_wall_ms());
}

int
incidents_attach(struct incidents *in, struct event_base *base)
{
	const struct timeval every = {5, 0};

	if (events_subscribe(incidents_on_event, in) != 0)
		return -1;
	in->subscribed = 1;
	in->base = base;
	in->timer = event_new(base, -1, EV_PERSIST, incidents_on_timer, in);
	if (in->timer == NULL || event_add(in->timer, &every) != 0)
		return -1;
	return 0;
}

void
incidents_free(struct incidents *in)
{
	if (in == NULL)
		return;
	if (in->subscribed)
		events_unsubscribe(incidents_on_event, in);
	if (in->timer != NULL)
		event_free(in->timer);
	incident_send_free(in);
	for (size_t i = 0; i < in->n; i++)
		inc_free(in->v[i]);
	free(in->v);
	free(in->report_dir);
	incident_engine_free(in);
	free(in);
}

void
incidents_on_event(const struct events_item *e, void *arg)
{
	incident_engine_event(arg, e);
}

void
incidents_tick(struct incidents *in, int64_t now_ms)
{
	size_t i = 0;

	incident_engine_tick(in, now_ms);
	/* Forget what is past retention (it stays in the database). */
	while (i < in->n) {
		struct inc *c = in->v[i];

		if (c->status == INCIDENT_RESOLVED &&
		    c->resolved_ms + in->o.retention_ms < now_ms) {
			inc_free(c);
			memmove(in->v + i, in->v + i + 1,
			        (in->n - i - 1) * sizeof(*in->v));
			in->n--;
		} else {
			i++;
		}
	}
	in->last_tick = now_ms;
}

size_t
incidents_count(const struct incidents *in)
{
	return in->n;
}

int
incidents_get(const struct incidents *in, size_t i, struct incident_info *out)
{
	if (i >= in->n)
		return -1;
	inc_info(in->v[i], out);
	return 0;
}

/* inc_find - the incident with id, or NULL. */
static struct inc *
inc_find(const struct incidents *in, const char *id)
{
	for (size_t i = 0; id != NULL && i < in->n; i++)
		if (strcmp(in->v[i]->id, id) == 0)
			return in->v[i];
	return NULL;
}

int
incidents_find(const struct incidents *in, const char *id,
               struct incident_info *out)
{
	struct inc *c = inc_find(in, id);

	if (c == NULL)
		return -1;
	inc_info(c, out);
	return 0;
}

size_t
incidents_open_count(const struct incidents *in, int drill)
{
	size_t n = 0;

	for (size_t i = 0; i < in->n; i++)
		if (in->v[i]->status != INCIDENT_RESOLVED &&
		    (drill < 0 || in->v[i]->drill == (drill != 0)))
			n++;
	return n;
}

int
incidents_note(struct incidents *in, const char *id, const char *who,
               const char *text, int public_)
{
	struct inc *c = inc_find(in, id);

	if (c == NULL || text == NULL || *text == '\0')
		return -1;
	inc_add_update(c, clock_wall_ms(), "note", who, text, public_ != 0);
	inc_changed(in, c);
	return 0;
}

int
incidents_update(struct incidents *in, const char *id,
                 const struct incident_change *ch)
{
	struct inc *c = inc_find(in, id);
	int64_t now = clock_wall_ms();
	char line[160];

	if (c == NULL || ch->status >= INCIDENT_STATUS_COUNT ||
	    ch->impact >= IMPACT_COUNT || ch->status < -1 || ch->impact < -1 ||
	    (ch->status < 0 && ch->impact < 0 &&
	     (ch->text == NULL || *ch->text == '\0')))
		return -1;
	if (ch->impact >= 0) {
		c->impact = (enum incident_impact)ch->impact;
		c->impact_override = 1;
		snprintf(line, sizeof(line), "impact set to %s",
		         incident_impact_name(c->impact));
		inc_add_update(c, now, "status", ch->who, line, 0);
	}
	if (ch->status >= 0 && (enum incident_status)ch->status != c->status) {
		inc_set_status(
		    c, (enum incident_status)ch->status, now, ch->who,
		    ch->text == NULL && ch->status == INCIDENT_RESOLVED
		        ? "This incident has been resolved."
		        : ch->text);
	} else if (ch->text != NULL && *ch->text != '\0') {
		inc_add_update(c, now, "note", ch->who, ch->text, 1);
	}
	inc_changed(in, c);
	return 0;
}

int
incidents_resolve(struct incidents *in, const char *id, const char *who,
                  const char *text)
{
	struct inc *c = inc_find(in, id);

	if (c == NULL)
		return -1;
	if (c->status == INCIDENT_RESOLVED)
		return 0;
	inc_set_status(
	    c, INCIDENT_RESOLVED, clock_wall_ms(), who,
	    text != NULL && *text ? text : "This incident has been resolved.");
	inc_changed(in, c);
	return 0;
}

int
incidents_report_path_set(struct incidents *in, const char *id,
                          const char *path)
{
	struct inc *c = inc_find(in, id);

	if (c == NULL || path == NULL)
		return -1;
	free(c->report_path);
	c->report_path = xstrdup(path);
	c->dirty = 1;
	incident_db_save(in, c);
	return 0;
}

void
incidents_on_change(struct incidents *in, incidents_change_fn *fn, void *arg)
{
	in->change_fn = fn;
	in->change_arg = arg;
}
