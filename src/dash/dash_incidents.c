/*
 * dash_incidents.c - open incidents on the dashboard, with their
 * timelines and a note form.
 */
#include "dash/dash_incidents.h"

#include <string.h>

#include "dash/dash_html.h"
#include "dash/dash_page.h"
#include "incident/incident.h"

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

/* dash_incidents_one - one open incident. */
static void
dash_incidents_one(struct buf *out, const struct incident_info *ii,
                   const char *csrf)
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
	buf_addstr(out, "</span></p><ol class=\"timeline\">");
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
                      const char *csrf)
{
	size_t i, n = incidents_count(in), open = 0;
	struct incident_info ii;

	buf_addstr(out, "<section id=\"incidents\"><h2>Open incidents</h2>");
	for (i = 0; i < n; i++) {
		if (incidents_get(in, i, &ii) != 0 ||
		    ii.status == INCIDENT_RESOLVED)
			continue;
		dash_incidents_one(out, &ii, csrf);
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
