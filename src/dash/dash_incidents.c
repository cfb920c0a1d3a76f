/*
 * dash_incidents.c - open incidents on the dashboard, with their
 * timelines and a note form.
 */
#include "dash/dash_incidents.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/xmalloc.h"
#include "dash/dash_html.h"
#include "dash/dash_page.h"
#include "incident/incident.h"
#include "spool/spool.h"

/* dash_incidents_list - names joined with ", " ("-" when none). */
static void
dash_incidents_list(struct buf *out, const char *const *v, size_t n)
{
	size_t i;

	if (n == 0)
		buf_addstr(out, "-");
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_addstr(out, ", ");
		dash_html_esc(out, v[i]);
	}
}

/* One cached scope line. */
struct dash_scope_line {
	char id[INCIDENT_ID_SIZE];
	char *html; /* NULL: none yet */
	int64_t at_ms;
};

struct dash_scopes {
	struct incidents *in;
	struct dash_scope_line line[DASH_SCOPES];
	size_t pending; /* answers on their way */
	int orphan;     /* dash_scopes_free was called */
};

/* A question on its way: which slot, for which incident. */
struct dash_scope_ask {
	struct dash_scopes *sc;
	char id[INCIDENT_ID_SIZE];
	int64_t at_ms;
};

static void
dash_scopes_release(struct dash_scopes *sc)
{
	size_t i;

	for (i = 0; i < DASH_SCOPES; i++)
		free(sc->line[i].html);
	free(sc);
}

struct dash_scopes *
dash_scopes_new(struct incidents *in)
{
	struct dash_scopes *sc = xcalloc(1, sizeof(*sc));

	sc->in = in;
	return sc;
}

void
dash_scopes_free(struct dash_scopes *sc)
{
	if (sc == NULL)
		return;
	if (sc->pending > 0) {
		sc->orphan = 1;
		return;
	}
	dash_scopes_release(sc);
}

/* dash_scope_counts - "a (3), b (1)" or "-". */
static void
dash_scope_counts(struct buf *out, const struct incident_count *c, size_t n)
{
	size_t i;

	if (n == 0)
		buf_addstr(out, "-");
	for (i = 0; i < n && i < 5; i++) {
		if (i > 0)
			buf_addstr(out, ", ");
		dash_html_esc(out, c[i].name);
		buf_printf(out, " (%llu)", (unsigned long long)c[i].n);
	}
}

/* dash_scope_html - the scope line of s. */
static char *
dash_scope_html(const struct incident_scope *s, int64_t at_ms)
{
	const struct incident_figures *t = &s->total;
	struct buf out;

	buf_init(&out);
	buf_printf(&out, "<p class=\"scope\"><strong>Scope</strong> "
	                 "<span class=\"muted\">(as of ");
	dash_page_time(&out, at_ms);
	buf_printf(&out,
	           ")</span>: %llu messages affected, %llu delayed "
	           "(p50 ",
	           (unsigned long long)t->affected,
	           (unsigned long long)t->delayed);
	dash_page_duration(&out, t->p50_ms > 0 ? (uint64_t)t->p50_ms : 0);
	buf_addstr(&out, ", p99 ");
	dash_page_duration(&out, t->p99_ms > 0 ? (uint64_t)t->p99_ms : 0);
	buf_addstr(&out, ", max ");
	dash_page_duration(&out, t->max_ms > 0 ? (uint64_t)t->max_ms : 0);
	buf_printf(
	    &out, "), %llu rerouted, %llu failed, %llu waiting. Tenants: ",
	    (unsigned long long)t->rerouted, (unsigned long long)t->failed,
	    (unsigned long long)t->waiting);
	dash_scope_counts(&out, s->tenants, s->n_tenants);
	buf_addstr(&out, ". Top domains: ");
	dash_scope_counts(&out, s->domains, s->n_domains);
	buf_addstr(&out, ". Traffic now (5 min): ");
	dash_scope_counts(&out, s->traffic, s->n_traffic);
	buf_addstr(&out, ".</p>");
	return buf_steal(&out, NULL);
}

/* dash_scope_slot - the line of incident id, a free one, or the
 * oldest. */
static struct dash_scope_line *
dash_scope_slot(struct dash_scopes *sc, const char *id)
{
	struct dash_scope_line *l = NULL;
	size_t i;

	for (i = 0; i < DASH_SCOPES; i++)
		if (strcmp(sc->line[i].id, id) == 0)
			return &sc->line[i];
	for (i = 0; i < DASH_SCOPES; i++)
		if (l == NULL || sc->line[i].at_ms < l->at_ms)
			l = &sc->line[i];
	free(l->html);
	l->html = NULL;
	snprintf(l->id, sizeof(l->id), "%s", id);
	l->at_ms = 0;
	return l;
}

static void
dash_scope_answer(int status, const struct incident_scope *s, void *arg)
{
	struct dash_scope_ask *a = arg;
	struct dash_scopes *sc = a->sc;

	sc->pending--;
	if (!sc->orphan && status == SPOOL_OK && s != NULL) {
		struct dash_scope_line *l = dash_scope_slot(sc, a->id);
		free(l->html);
		l->html = dash_scope_html(s, a->at_ms);
		l->at_ms = a->at_ms;
	}
	free(a);
	if (sc->orphan && sc->pending == 0)
		dash_scopes_release(sc);
}

void
dash_scopes_refresh(struct dash_scopes *sc, int64_t now_ms)
{
	size_t i, n = incidents_count(sc->in), asked = 0;
	struct incident_info ii;

	for (i = 0; i < n && asked < DASH_SCOPES; i++) {
		struct dash_scope_ask *a;
		if (incidents_get(sc->in, i, &ii) != 0 ||
		    ii.status == INCIDENT_RESOLVED)
			continue;
		a = xcalloc(1, sizeof(*a));
		a->sc = sc;
		a->at_ms = now_ms;
		snprintf(a->id, sizeof(a->id), "%s", ii.id);
		if (incidents_scope(sc->in, ii.id, now_ms, dash_scope_answer,
		                    a) != 0) {
			free(a);
			continue;
		}
		sc->pending++;
		asked++;
	}
}

/* dash_scope_find - the cached line of incident id, or NULL. */
static const char *
dash_scope_find(const struct dash_scopes *sc, const char *id)
{
	size_t i;

	if (sc == NULL)
		return NULL;
	for (i = 0; i < DASH_SCOPES; i++)
		if (sc->line[i].html != NULL && strcmp(sc->line[i].id, id) == 0)
			return sc->line[i].html;
	return NULL;
}

/* dash_incidents_one - one open incident. */
static void
dash_incidents_one(struct buf *out, const struct incident_info *ii,
                   const char *scope, const char *csrf)
{
	size_t i;

	buf_printf(out, "<article class=\"incident%s\" data-incident=\"",
	           ii->drill ? " drill" : "");
	dash_html_esc(out, ii->id);
	buf_addstr(out, "\"><h3>");
	if (ii->drill)
		buf_addstr(out, "[drill] ");
	dash_html_esc(out, ii->title);
	buf_addstr(out, "</h3><p><span class=\"badge st-open\">");
	buf_addstr(out, incident_status_name(ii->status));
	buf_addstr(out, "</span> impact <strong>");
	buf_addstr(out, incident_impact_name(ii->impact));
	buf_addstr(out, "</strong> &middot; since ");
	dash_page_time(out, ii->started_ms);
	buf_addstr(out, " &middot; providers: ");
	dash_incidents_list(out, ii->providers, ii->n_providers);
	buf_addstr(out, " &middot; streams: ");
	dash_incidents_list(out, ii->streams, ii->n_streams);
	buf_addstr(out, " &middot; <span class=\"muted\">");
	dash_html_esc(out, ii->id);
	buf_addstr(out, "</span></p>");
	if (scope != NULL)
		buf_addstr(out, scope);
	else
		buf_addstr(out, "<p class=\"scope muted\">Scope: computed "
		                "every 10 s; not yet.</p>");
	buf_addstr(out, "<ol class=\"timeline\">");
	for (i = 0; i < ii->n_updates; i++) {
		const struct incident_update *u = &ii->updates[i];
		buf_addstr(out, "<li><time>");
		dash_page_time(out, u->at_ms);
		buf_addstr(out, "</time><span class=\"kind\">");
		dash_html_esc(out, u->kind);
		buf_addstr(out, "</span>");
		dash_html_esc(out, u->text);
		if (u->who != NULL && strcmp(u->who, "swerve") != 0) {
			buf_addstr(out, " <span class=\"muted\">(");
			dash_html_esc(out, u->who);
			buf_addstr(out, ")</span>");
		}
		buf_addstr(out, "</li>");
	}
	buf_addstr(out, "</ol><form method=\"post\" action=\"/dashboard/"
	                "incidents/");
	dash_html_esc(out, ii->id);
	buf_addstr(out, "/notes\"><input type=\"hidden\" name=\"csrf\" "
	                "value=\"");
	dash_html_esc(out, csrf);
	buf_addstr(out, "\"><label>Note <textarea name=\"text\" required>"
	                "</textarea></label><br><label><input "
	                "type=\"checkbox\" name=\"public\" value=\"1\"> "
	                "public (shown on the status page)</label> "
	                "<button type=\"submit\">Add note</button></form>"
	                "</article>");
}

void
dash_incidents_render(struct buf *out, const struct incidents *in,
                      const struct dash_scopes *sc, const char *csrf)
{
	size_t i, n = incidents_count(in), open = 0;
	struct incident_info ii;

	buf_addstr(out, "<section id=\"incidents\"><h2>Open incidents</h2>");
	for (i = 0; i < n; i++) {
		if (incidents_get(in, i, &ii) != 0 ||
		    ii.status == INCIDENT_RESOLVED)
			continue;
		dash_incidents_one(out, &ii, dash_scope_find(sc, ii.id), csrf);
		open++;
	}
	if (open == 0)
		buf_addstr(out, "<p class=\"muted\" id=\"no-incidents\">None: "
		                "every provider and stream is fine.</p>");
	buf_addstr(out, "</section>\n");
}

int
dash_incidents_note(struct incidents *in, const char *id, const char *who,
                    const char *text, int public_)
{
	struct incident_info ii;

	if (incidents_find(in, id, &ii) != 0)
		return -1;
	if (text == NULL || text[strspn(text, " \t\r\n")] == '\0')
		return -2;
	return incidents_note(in, id, who, text, public_) == 0 ? 0 : -1;
}
