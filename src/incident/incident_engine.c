/*
 * incident_engine.c - incidents opened and kept from the event bus
 * (incident.h says the rules).
 *
 * Provider events that come before the alert (the first failed
 * attempt, the circuit opening, the first failover, the provider's
 * status page) are remembered for a window, so an incident opened by the
 * alert starts its timeline where the trouble started.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/xmalloc.h"
#include "incident/incident_int.h"
#include "observe/events.h"

#define RECENT_MAX 64
#define PROV_MAX 64
#define RING_MIN 10 /* accepted attempts before a share is judged */
#define RING_LEN 20
#define NAME_MAX_ 64
#define TEXT_MAX 240
#define FF_STREAMS 8

/* A provider event before any incident took it. */
struct recent_ev {
	int64_t at_ms;
	char kind[16];
	char provider[NAME_MAX_];
	char text[TEXT_MAX];
	int drill;
};

/* A provider's failing streak: since its first failed attempt. */
struct prov_ff {
	char name[NAME_MAX_];
	int failing;
	int64_t first_ms;
	char text[TEXT_MAX];
	uint64_t failovers; /* away from it since, before any incident */
	int moved_from;     /* a failover away from it in this streak */
	unsigned away;      /* accepted attempts elsewhere since */
	int moved;          /* "95% of traffic elsewhere" was told */
	char streams[FF_STREAMS][NAME_MAX_]; /* of those failovers */
};

struct inc_recent {
	struct recent_ev ev[RECENT_MAX];
	size_t n, pos;
	struct prov_ff ff[PROV_MAX];
	size_t n_ff;
};

/* recent_get - the engine's memory, made on first use. */
static struct inc_recent *
recent_get(struct incidents *in)
{
	if (in->recent == NULL)
		in->recent = xcalloc(1, sizeof(*in->recent));
	return in->recent;
}

void
incident_engine_free(struct incidents *in)
{
	free(in->recent);
	in->recent = NULL;
}

/* recent_add - remember a provider event (the oldest goes when full). */
static void
recent_add(struct incidents *in, int64_t at, const char *kind, const char *prov,
           const char *text, int drill)
{
	struct inc_recent *r = recent_get(in);
	struct recent_ev *ev = &r->ev[r->pos];

	ev->at_ms = at;
	snprintf(ev->kind, sizeof(ev->kind), "%s", kind);
	snprintf(ev->provider, sizeof(ev->provider), "%s", prov);
	snprintf(ev->text, sizeof(ev->text), "%s", text);
	ev->drill = drill;
	r->pos = (r->pos + 1) % RECENT_MAX;
	if (r->n < RECENT_MAX)
		r->n++;
}

/* recent_has - a remembered event of kind on prov since since_ms. */
static int
recent_has(struct incidents *in, const char *kind, const char *prov,
           int64_t since_ms)
{
	struct inc_recent *r = recent_get(in);

	for (size_t i = 0; i < r->n; i++)
		if (r->ev[i].at_ms >= since_ms &&
		    strcmp(r->ev[i].kind, kind) == 0 &&
		    strcmp(r->ev[i].provider, prov) == 0)
			return 1;
	return 0;
}

/* ff_get - the failing streak of provider name (made when new; NULL when
 * the table is full). */
static struct prov_ff *
ff_get(struct incidents *in, const char *name)
{
	struct inc_recent *r = recent_get(in);
	size_t i;

	for (i = 0; i < r->n_ff; i++)
		if (strcmp(r->ff[i].name, name) == 0)
			return &r->ff[i];
	if (r->n_ff == PROV_MAX || strlen(name) >= NAME_MAX_)
		return NULL;
	snprintf(r->ff[r->n_ff].name, NAME_MAX_, "%s", name);
	return &r->ff[r->n_ff++];
}

/* inc_has_update - c has an update of kind whose text is text. */
static int
inc_has_update(const struct inc *c, const char *kind, const char *text)
{
	for (size_t i = 0; i < c->n_updates; i++)
		if (strcmp(c->updates[i].kind, kind) == 0 &&
		    strcmp(c->updates[i].text, text) == 0)
			return 1;
	return 0;
}

static void inc_identify(struct inc *c, int64_t now);

/* inc_backfill - add what happened on prov before c took it. */
static void
inc_backfill(struct incidents *in, struct inc *c, const char *prov, int64_t now)
{
	struct inc_recent *r = recent_get(in);
	struct prov_ff *ff = ff_get(in, prov);
	char line[TEXT_MAX + 96];
	const char *cause = NULL;

	if (ff != NULL && ff->failing && ff->first_ms > 0 &&
	    ff->first_ms >= now - in->o.window_ms) {
		snprintf(line, sizeof(line), "first failed attempt on %s: %s",
		         prov, ff->text);
		if (!inc_has_update(c, "first_failure", line))
			inc_add_update(c, ff->first_ms, "first_failure", NULL,
			               line, 0);
		c->n_failover += ff->failovers;
		ff->failovers = 0;
		for (size_t k = 0; k < FF_STREAMS && ff->streams[k][0]; k++)
			inc_set_add(&c->streams, &c->n_streams, ff->streams[k]);
		memset(ff->streams, 0, sizeof(ff->streams));
	}
	for (size_t i = 0; i < r->n; i++) {
		const struct recent_ev *ev = &r->ev[i];

		if (ev->at_ms < now - in->o.window_ms || ev->at_ms > now ||
		    strcmp(ev->provider, prov) != 0 ||
		    inc_has_update(c, ev->kind, ev->text))
			continue;
		inc_add_update(c, ev->at_ms, ev->kind, NULL, ev->text, 0);
		if (strcmp(ev->kind, "failover") == 0)
			c->failover_seen = 1;
		if (strcmp(ev->kind, "traffic") == 0)
			c->traffic_seen = 1;
		if (strcmp(ev->kind, "failover") == 0 ||
		    strncmp(ev->text, "circuit open", 12) == 0)
			cause = ev->text;
	}
	/* After the opening line: the cause was known before the alert. */
	if (cause != NULL)
		inc_identify(c, now);
}

/* inc_open - not resolved. */
static int
inc_open(const struct inc *c)
{
	return c->status != INCIDENT_RESOLVED;
}

/* inc_related - c concerns provider or stream (either may be NULL). */
static int
inc_related(const struct inc *c, const char *provider, const char *stream)
{
	return inc_set_has(c->providers, c->n_providers, provider) ||
	       inc_set_has(c->streams, c->n_streams, stream);
}

/* inc_impact - recompute the impact from what mail went through (unless
 * an operator set it): failed mail is critical, mail waiting with no
 * provider to take it major, mail moved to another provider minor. */
static void
inc_impact(struct inc *c, int64_t now)
{
	enum incident_impact i = c->n_failed     ? IMPACT_CRITICAL
	                         : c->n_deferred ? IMPACT_MAJOR
	                         : c->n_failover ? IMPACT_MINOR
	                                         : IMPACT_NONE;
	char line[128];

	if (c->impact_override || i <= c->impact)
		return;
	c->impact = i;
	snprintf(line, sizeof(line),
	         "impact %s: %llu messages moved to another provider, %llu "
	         "waiting, %llu failed",
	         incident_impact_name(i), (unsigned long long)c->n_failover,
	         (unsigned long long)c->n_deferred,
	         (unsigned long long)c->n_failed);
	inc_add_update(c, now, "status", NULL, line, 0);
}

/* inc_identify - swerve knows the cause: investigating -> identified.
 * The public words name no provider (the status page may not); the
 * cause is in the timeline's own entries. */
static void
inc_identify(struct inc *c, int64_t now)
{
	if (c->status != INCIDENT_INVESTIGATING)
		return;
	inc_set_status(c, INCIDENT_IDENTIFIED, now, NULL,
	               "The issue has been identified: one of our email "
	               "providers is failing. Mail is being sent through "
	               "other providers.");
}

/* alert_subject - the alert's subject for matching. */
static const char *
alert_subject(const struct events_item *e)
{
	return e->provider ? e->provider : e->stream ? e->stream : "-";
}

/* inc_alert_set - record the alert (rule, subject) on c as firing or not;
 * 1 if it was firing before. */
static int
inc_alert_set(struct inc *c, const char *rule, const char *subject, int firing)
{
	for (size_t i = 0; i < c->n_alerts; i++)
		if (strcmp(c->alerts[i].rule, rule) == 0 &&
		    strcmp(c->alerts[i].subject, subject) == 0) {
			int was = c->alerts[i].firing;

			c->alerts[i].firing = firing;
			return was;
		}
	if (!firing)
		return 0;
	c->alerts =
	    xreallocarray(c->alerts, c->n_alerts + 1, sizeof(*c->alerts));
	c->alerts[c->n_alerts++] = (struct inc_alert){
	    .rule = xstrdup(rule), .subject = xstrdup(subject), .firing = 1};
	return 0;
}

/* inc_firing - alerts of c still firing. */
static size_t
inc_firing(const struct inc *c)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n_alerts; i++)
		n += c->alerts[i].firing != 0;
	return n;
}

/* alert_find - the incident an alert that fires belongs to: an open one
 * of the same kind (drill or not) sharing its provider or stream, or
 * (an alert without subject) updated within the window; else one
 * resolved within the reopen window sharing them; else NULL. */
static struct inc *
alert_find(struct incidents *in, const struct events_item *e, int64_t now)
{
	size_t i;
	int drill = e->drill != 0;

	for (i = 0; i < in->n; i++) {
		struct inc *c = in->v[i];

		if (!inc_open(c) || c->drill != drill)
			continue;
		if (inc_related(c, e->provider, e->stream) ||
		    (e->provider == NULL && e->stream == NULL &&
		     c->updated_ms >= now - in->o.window_ms))
			return c;
	}
	for (i = 0; i < in->n; i++) {
		struct inc *c = in->v[i];

		if (!inc_open(c) && c->drill == drill &&
		    c->resolved_ms >= now - in->o.reopen_ms &&
		    inc_related(c, e->provider, e->stream))
			return c;
	}
	return NULL;
}

/* alert_words - the title and public opening line of an incident an
 * alert opens: delays, unless the rule is about a delivery ratio. */
static void
alert_words(const char *rule, const char *stream, char *title, size_t tn,
            char *line, size_t ln)
{
	if (strncmp(rule, "complaint_rate", 14) == 0 ||
	    strncmp(rule, "bounce_rate", 11) == 0) {
		snprintf(title, tn, "Elevated %s rate",
		         rule[0] == 'c' ? "complaint" : "bounce");
		snprintf(line, ln,
		         "We are investigating a problem with sending email.");
		return;
	}
	if (stream != NULL) {
		snprintf(title, tn, "Delays on %s mail", stream);
		snprintf(line, ln,
		         "We are investigating delays in sending mail on the "
		         "%s stream.",
		         stream);
	} else {
		snprintf(title, tn, "Delays sending mail");
		snprintf(line, ln,
		         "We are investigating delays in sending mail.");
	}
}

/* inc_fleet_done - the fleet's word on an incident opened here. */
static void
inc_fleet_done(struct incidents *in, const char *id, const char *fleet_id,
               const char *node)
{
	struct inc *c = NULL;
	size_t i;

	for (i = 0; i < in->n && c == NULL; i++)
		if (strcmp(in->v[i]->id, id) == 0)
			c = in->v[i];
	if (c == NULL || !c->fleet_pending)
		return;
	c->fleet_pending = 0;
	if (fleet_id != NULL && strcmp(fleet_id, id) != 0 &&
	    strncmp(fleet_id, "inc_", 4) == 0 &&
	    strlen(fleet_id) < sizeof(c->id) &&
	    strspn(fleet_id + 4,
	           "0123456789abcdefghijklmnopqrstuvwxyz"
	           "ABCDEFGHIJKLMNOPQRSTUVWXYZ_-") == strlen(fleet_id + 4)) {
		for (i = 0; i < in->n; i++)
			if (strcmp(in->v[i]->id, fleet_id) == 0)
				break;
		if (i == in->n) {
			snprintf(c->id, sizeof(c->id), "%s", fleet_id);
			free(c->opened_by);
			c->opened_by = xstrdup(node != NULL ? node : "");
		}
	}
	inc_changed(in, c);
}

/* inc_fleet_claim - ask the fleet who opens the incident c, just opened
 * here for the alert e (rule). */
static void
inc_fleet_claim(struct incidents *in, struct inc *c,
                const struct events_item *e, const char *rule)
{
	char key[400];
	char id[INCIDENT_ID_SIZE];

	snprintf(key, sizeof(key), "%s%s:%s", c->drill ? "d:" : "",
	         e->provider ? "p"
	         : e->stream ? "s"
	                     : "r",
	         e->provider ? e->provider
	         : e->stream ? e->stream
	                     : rule);
	snprintf(id, sizeof(id), "%s", c->id);
	in->fleet.claim(in->fleet.arg, in, key, id, inc_fleet_done);
}

void
incidents_fleet_set(struct incidents *in, const struct incidents_fleet *f)
{
	if (f != NULL)
		in->fleet = *f;
	else
		memset(&in->fleet, 0, sizeof(in->fleet));
}

/* on_alert_firing - open, join or reopen. */
static void
on_alert_firing(struct incidents *in, const struct events_item *e, int64_t now)
{
	struct inc *c = alert_find(in, e, now);
	const char *rule = e->reason ? e->reason : "alert";
	char line[TEXT_MAX + 96], title[160];
	int fresh = 0;

	if (c == NULL) {
		alert_words(rule, e->stream, title, sizeof(title), line,
		            sizeof(line));
		c = inc_new(in, now, title, e->drill);
		inc_add_update(c, now, "status", NULL, line, 1);
		fresh = 1;
		c->fleet_pending = in->fleet.claim != NULL;
	} else if (c->status == INCIDENT_RESOLVED ||
	           c->status == INCIDENT_MONITORING) {
		inc_set_status(c,
		               c->identified ? INCIDENT_IDENTIFIED
		                             : INCIDENT_INVESTIGATING,
		               now, NULL,
		               "The issue has returned; we are working on it.");
	}
	inc_alert_set(c, rule, alert_subject(e), 1);
	c->quiet_since = 0;
	snprintf(line, sizeof(line), "alert firing: %s%s%s%s%s", rule,
	         e->provider || e->stream ? " (" : "",
	         e->provider ? e->provider
	         : e->stream ? e->stream
	                     : "",
	         e->provider || e->stream ? ")" : "", e->text ? ": " : "");
	if (e->text != NULL)
		strncat(line, e->text, sizeof(line) - strlen(line) - 1);
	inc_add_update(c, now, "alert", NULL, line, 0);
	inc_set_add(&c->streams, &c->n_streams, e->stream);
	if (e->provider != NULL) {
		inc_set_add(&c->providers, &c->n_providers, e->provider);
		inc_backfill(in, c, e->provider, now);
	}
	/* A new incident learned its stream from what came before. */
	if (fresh && c->n_streams > 0 &&
	    strcmp(c->title, "Delays sending mail") == 0) {
		snprintf(title, sizeof(title), "Delays on %s mail",
		         c->streams[0]);
		free(c->title);
		c->title = xstrdup(title);
	}
	inc_impact(c, now);
	inc_changed(in, c);
	if (fresh && c->fleet_pending)
		inc_fleet_claim(in, c, e, rule);
}

/* on_alert_resolved - the alert stops firing in the incidents it is in;
 * an incident with none left firing is monitoring. */
static void
on_alert_resolved(struct incidents *in, const struct events_item *e,
                  int64_t now)
{
	const char *rule = e->reason ? e->reason : "alert";
	char line[TEXT_MAX + 64];

	for (size_t i = 0; i < in->n; i++) {
		struct inc *c = in->v[i];

		if (!inc_open(c) ||
		    !inc_alert_set(c, rule, alert_subject(e), 0))
			continue;
		snprintf(line, sizeof(line), "alert resolved: %s%s%s%s", rule,
		         e->provider || e->stream ? " (" : "",
		         e->provider ? e->provider
		         : e->stream ? e->stream
		                     : "",
		         e->provider || e->stream ? ")" : "");
		inc_add_update(c, now, "alert", NULL, line, 0);
		if (inc_firing(c) == 0) {
			c->quiet_since = now;
			if (c->status < INCIDENT_MONITORING)
				inc_set_status(c, INCIDENT_MONITORING, now,
				               NULL,
				               "Delivery has recovered; we are "
				               "monitoring the results.");
		}
		inc_changed(in, c);
	}
}

/*
 * on_provider - an event about provider p: added to the open incidents
 * that concern it (identify: it names the cause), else remembered for an
 * incident that opens soon. once: kept only once per window.
 */
static void
on_provider(struct incidents *in, const struct events_item *e, int64_t now,
            const char *kind, const char *text, int identify, int once)
{
	int taken = 0;

	for (size_t i = 0; e->provider != NULL && i < in->n; i++) {
		struct inc *c = in->v[i];

		if (!inc_open(c) ||
		    !inc_set_has(c->providers, c->n_providers, e->provider))
			continue;
		taken = 1;
		if (once && inc_has_update(c, kind, text))
			continue;
		inc_add_update(c, now, kind, NULL, text, 0);
		if (identify)
			inc_identify(c, now);
		inc_changed(in, c);
	}
	if (!taken && e->provider != NULL &&
	    (!once ||
	     !recent_has(in, kind, e->provider, now - in->o.window_ms)))
		recent_add(in, now, kind, e->provider, text, e->drill);
}

/* on_circuit - a circuit changed; closed starts the fail-back ramp. */
static void
on_circuit(struct incidents *in, const struct events_item *e, int64_t now)
{
	char line[TEXT_MAX + 96];
	const char *state = e->state ? e->state : "?";

	snprintf(line, sizeof(line), "circuit %s on %s: %s%s%s", state,
	         e->provider ? e->provider : "?", e->reason ? e->reason : "",
	         e->text ? "; last answer: " : "", e->text ? e->text : "");
	on_provider(in, e, now, "circuit", line, strcmp(state, "open") == 0, 0);
	for (size_t i = 0; e->provider != NULL && i < in->n; i++) {
		struct inc *c = in->v[i];

		if (!inc_open(c) ||
		    !inc_set_has(c->providers, c->n_providers, e->provider))
			continue;
		if (strcmp(state, "closed") == 0) {
			int64_t ramp =
			    in->o.failback_ms
			        ? in->o.failback_ms(e->provider, in->o.arg)
			        : 5 * 60 * 1000;

			c->failback_at = now + (ramp > 0 ? ramp : 0);
			free(c->failback_prov);
			c->failback_prov = xstrdup(e->provider);
		} else if (strcmp(state, "open") == 0) {
			c->failback_at = 0;
		}
	}
}

/* inc_any - an open incident concerns provider p. */
static int
inc_any(const struct incidents *in, const char *p)
{
	for (size_t i = 0; i < in->n; i++)
		if (inc_open(in->v[i]) &&
		    inc_set_has(in->v[i]->providers, in->v[i]->n_providers, p))
			return 1;
	return 0;
}

/* on_failover - mail moved away from e->provider. */
static void
on_failover(struct incidents *in, const struct events_item *e, int64_t now)
{
	char line[TEXT_MAX + 96];

	snprintf(line, sizeof(line),
	         "failover started: mail moves from %s to %s",
	         e->provider ? e->provider : "?",
	         e->to_provider ? e->to_provider : "?");
	on_provider(in, e, now, "failover", line, 1, 1);
	if (e->provider != NULL && !inc_any(in, e->provider)) {
		struct prov_ff *ff = ff_get(in, e->provider);

		if (ff != NULL && ff->failing)
			ff->moved_from = 1;
		if (ff != NULL && ff->failing) {
			size_t k = 0;

			ff->failovers++;
			while (k < FF_STREAMS && ff->streams[k][0] &&
			       (e->stream == NULL ||
			        strcmp(ff->streams[k], e->stream) != 0))
				k++;
			if (k < FF_STREAMS && !ff->streams[k][0] &&
			    e->stream != NULL && strlen(e->stream) < NAME_MAX_)
				memcpy(ff->streams[k], e->stream,
				       strlen(e->stream) + 1);
		}
	}
	for (size_t i = 0; e->provider != NULL && i < in->n; i++) {
		struct inc *c = in->v[i];

		if (!inc_open(c) ||
		    !inc_set_has(c->providers, c->n_providers, e->provider))
			continue;
		c->failover_seen = 1;
		c->n_failover++;
		inc_set_add(&c->streams, &c->n_streams, e->stream);
		inc_impact(c, now);
	}
}

/*
 * traffic_streaks - an attempt accepted by provider p: for each provider
 * failing since a failover away from it, one more accepted elsewhere;
 * at RING_MIN of them (all elsewhere: it takes none while failing) its
 * traffic has moved, told to its open incidents or remembered for one.
 */
static void
traffic_streaks(struct incidents *in, const char *p, int64_t now)
{
	struct inc_recent *r = recent_get(in);
	char line[TEXT_MAX + 96];

	for (size_t k = 0; k < r->n_ff; k++) {
		struct prov_ff *ff = &r->ff[k];
		int taken = 0;

		if (!ff->failing || !ff->moved_from || ff->moved ||
		    strcmp(ff->name, p) == 0 || ++ff->away < RING_MIN)
			continue;
		ff->moved = 1;
		snprintf(line, sizeof(line),
		         "95%% of traffic now goes to other providers than %s "
		         "(last: %s)",
		         ff->name, p);
		for (size_t i = 0; i < in->n; i++) {
			struct inc *c = in->v[i];

			if (!inc_open(c) ||
			    !inc_set_has(c->providers, c->n_providers,
			                 ff->name))
				continue;
			taken = 1;
			if (c->traffic_seen)
				continue;
			c->traffic_seen = 1;
			inc_add_update(c, now, "traffic", NULL, line, 0);
			inc_changed(in, c);
		}
		if (!taken)
			recent_add(in, now, "traffic", ff->name, line, 0);
	}
}

/* on_attempt - failing streaks, and the share of traffic elsewhere. */
static void
on_attempt(struct incidents *in, const struct events_item *e, int64_t now)
{
	struct prov_ff *ff = e->provider ? ff_get(in, e->provider) : NULL;
	char line[TEXT_MAX + 96];

	if (e->provider == NULL)
		return;
	if (e->cls != SEND_ACCEPTED && e->cls != SEND_REJECTED) {
		if (ff != NULL && !ff->failing) {
			ff->failing = 1;
			ff->first_ms = now;
			ff->failovers = 0;
			ff->moved_from = 0;
			ff->away = 0;
			ff->moved = 0;
			memset(ff->streams, 0, sizeof(ff->streams));
			snprintf(ff->text, sizeof(ff->text), "%s%s%s",
			         send_class_name(e->cls), e->text ? ": " : "",
			         e->text ? e->text : "");
		}
		return;
	}
	if (ff != NULL)
		ff->failing = 0;
	if (e->cls != SEND_ACCEPTED)
		return;
	traffic_streaks(in, e->provider, now);
	for (size_t i = 0; i < in->n; i++) {
		struct inc *c = in->v[i];
		int away =
		    !inc_set_has(c->providers, c->n_providers, e->provider);
		unsigned n_away = 0;

		if (!inc_open(c) || !c->failover_seen || c->traffic_seen ||
		    c->n_providers == 0)
			continue;
		c->ring =
		    (c->ring << 1 | (uint32_t)away) & ((1u << RING_LEN) - 1);
		if (c->ring_n < RING_LEN)
			c->ring_n++;
		if (away) {
			free(c->traffic_to);
			c->traffic_to = xstrdup(e->provider);
		}
		for (unsigned b = 0; b < c->ring_n; b++)
			n_away += (c->ring >> b) & 1u;
		if (c->ring_n < RING_MIN || n_away * 100 < 95 * c->ring_n)
			continue;
		c->traffic_seen = 1;
		snprintf(line, sizeof(line),
		         "95%% of traffic now goes to other providers (last: "
		         "%s)",
		         c->traffic_to ? c->traffic_to : "?");
		inc_add_update(c, now, "traffic", NULL, line, 0);
		inc_changed(in, c);
	}
}

/* on_mail - a message waits with no provider (deferred) or failed. */
static void
on_mail(struct incidents *in, const struct events_item *e, int64_t now)
{
	for (size_t i = 0; i < in->n; i++) {
		struct inc *c = in->v[i];
		enum incident_impact was = c->impact;
		int added;

		if (!inc_open(c) || c->drill != (e->drill != 0))
			continue;
		if (e->kind == EVENT_FAILED)
			c->n_failed++;
		else
			c->n_deferred++;
		added = inc_set_add(&c->streams, &c->n_streams, e->stream);
		inc_impact(c, now);
		if (added || c->impact != was)
			inc_changed(in, c);
	}
}

/* on_scoped - operator actions, notifications, drills: to the incidents
 * of their provider (all open ones when none is named). */
static void
on_scoped(struct incidents *in, const struct events_item *e, int64_t now,
          const char *kind, const char *text, const char *who)
{
	for (size_t i = 0; i < in->n; i++) {
		struct inc *c = in->v[i];

		if (!inc_open(c) ||
		    (e->provider != NULL &&
		     !inc_set_has(c->providers, c->n_providers, e->provider)))
			continue;
		if (e->kind == EVENT_NOTIFIED) {
			int mine = 0;

			for (size_t a = 0; a < c->n_alerts; a++)
				mine |= e->text != NULL &&
				        strcmp(c->alerts[a].rule, e->text) == 0;
			if (!mine)
				continue;
		}
		inc_add_update(c, now, kind, who, text, 0);
		inc_changed(in, c);
	}
}

void
incident_engine_event(struct incidents *in, const struct events_item *e)
{
	int64_t now = e->at_ms > 0 ? e->at_ms : clock_wall_ms();
	char line[TEXT_MAX + 96];

	switch (e->kind) {
	case EVENT_ALERT:
		if (e->state != NULL && strcmp(e->state, "firing") == 0)
			on_alert_firing(in, e, now);
		else
			on_alert_resolved(in, e, now);
		break;
	case EVENT_CIRCUIT:
		on_circuit(in, e, now);
		break;
	case EVENT_STATUS_PAGE:
		snprintf(line, sizeof(line), "%s's status page: %s%s%s",
		         e->provider ? e->provider : "?",
		         e->state ? e->state : "?", e->text ? ": " : "",
		         e->text ? e->text : "");
		on_provider(in, e, now, "status_page", line, 0, 0);
		break;
	case EVENT_FAILOVER:
		on_failover(in, e, now);
		break;
	case EVENT_ATTEMPT:
		on_attempt(in, e, now);
		break;
	case EVENT_DEFERRED:
	case EVENT_FAILED:
		on_mail(in, e, now);
		break;
	case EVENT_OPERATOR:
		/* The incidents' own actions are in their timelines. */
		if (e->reason != NULL && strncmp(e->reason, "incident", 8) == 0)
			break;
		snprintf(line, sizeof(line), "%s%s%s%s%s",
		         e->reason ? e->reason : "action",
		         e->provider ? " " : "", e->provider ? e->provider : "",
		         e->text ? ": " : "", e->text ? e->text : "");
		on_scoped(in, e, now, "operator", line, e->state);
		break;
	case EVENT_NOTIFIED:
		snprintf(line, sizeof(line), "%s notification %s: %s",
		         e->reason ? e->reason : "?",
		         e->state && strcmp(e->state, "ok") == 0 ? "delivered"
		                                                 : "failed",
		         e->text ? e->text : "");
		on_scoped(in, e, now, "notified", line, NULL);
		break;
	case EVENT_DRILL:
		snprintf(line, sizeof(line), "drill %s %s%s%s",
		         e->reason ? e->reason : "?", e->state ? e->state : "?",
		         e->text ? ": " : "", e->text ? e->text : "");
		on_provider(in, e, now, "drill", line, 0, 0);
		break;
	default:
		return;
	}
	incident_engine_tick(in, now);
}

void
incident_engine_tick(struct incidents *in, int64_t now)
{
	char line[160];

	for (size_t i = 0; i < in->n; i++) {
		struct inc *c = in->v[i];
		int changed = 0;

		if (!inc_open(c))
			continue;
		if (c->failback_at > 0 && now >= c->failback_at) {
			snprintf(line, sizeof(line),
			         "fail-back ramp to %s completed: it takes its "
			         "full share again",
			         c->failback_prov ? c->failback_prov : "?");
			inc_add_update(c, c->failback_at, "failback", NULL,
			               line, 0);
			c->failback_at = 0;
			changed = 1;
		}
		if (c->status == INCIDENT_MONITORING && c->quiet_since > 0 &&
		    inc_firing(c) == 0 && c->failback_at == 0 &&
		    now - c->quiet_since >= in->o.quiet_ms) {
			inc_set_status(c, INCIDENT_RESOLVED, now, NULL,
			               "This incident has been resolved: mail "
			               "has been delivered normally since.");
			changed = 1;
		}
		if (changed)
			inc_changed(in, c);
	}
}
