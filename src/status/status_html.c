/*
 * status_html.c - the public status page as HTML.
 *
 * One pass over the model into a buffer: overall status, active
 * incidents, components with their 90-day history, past incidents, links
 * to the machine-readable forms. The words and symbols carry every
 * status; colour only repeats them.
 */
#include "status/status_html.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "status/status_text.h"

/* The inline style sheet: system fonts, colours with AA contrast. */
static const char status_html_css[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;"
    "margin:0;color:#1f2328;background:#fff;line-height:1.5}"
    "header,main,footer{max-width:52rem;margin:0 auto;padding:0 1rem}"
    "h1{font-size:1.6rem;margin:1.5rem 0 1rem}"
    "h2{font-size:1.2rem;margin:1.5rem 0 .5rem}"
    "h3{font-size:1.05rem;margin:0 0 .25rem}"
    ".overall{padding:.75rem 1rem;border-radius:6px;color:#fff;"
    "font-size:1.15rem;margin:0}"
    ".ind-none{background:#1a7f37}.ind-minor{background:#9a6700}"
    ".ind-major{background:#bc4c00}.ind-critical{background:#cf222e}"
    ".ind-maintenance{background:#0969da}"
    "ul.components{list-style:none;padding:0;margin:0;border:1px solid "
    "#d0d7de;border-radius:6px}"
    "ul.components>li{padding:.75rem 1rem;border-top:1px solid #d0d7de}"
    "ul.components>li:first-child{border-top:0}"
    ".row{display:flex;justify-content:space-between;gap:1rem;"
    "flex-wrap:wrap}"
    ".name{font-weight:600}"
    ".st-operational{color:#1a7f37}.st-degraded_performance{color:#9a6700}"
    ".st-partial_outage{color:#bc4c00}.st-major_outage{color:#cf222e}"
    ".st-under_maintenance{color:#0969da}"
    ".bars{display:flex;gap:1px;height:1.5rem;margin:.4rem 0 .2rem}"
    ".bars span{flex:1;background:#2da44e;border-radius:1px}"
    ".bars .d-degraded_performance{background:#d4a72c;height:80%;"
    "align-self:flex-end}"
    ".bars .d-partial_outage{background:#fb8f44;height:65%;"
    "align-self:flex-end}"
    ".bars .d-major_outage{background:#cf222e;height:50%;"
    "align-self:flex-end}"
    ".bars .d-under_maintenance{background:#0969da}"
    ".hist{font-size:.875rem;color:#59636e;margin:0}"
    "article{border-left:4px solid #d0d7de;padding:.25rem 0 .25rem 1rem;"
    "margin:0 0 1rem}"
    "article.impact-minor{border-color:#9a6700}"
    "article.impact-major{border-color:#bc4c00}"
    "article.impact-critical{border-color:#cf222e}"
    ".meta{font-size:.875rem;color:#59636e;margin:0}"
    "ol.updates{list-style:none;padding:0;margin:.5rem 0 0}"
    "ol.updates li{margin:0 0 .5rem}"
    ".body{white-space:pre-wrap;margin:0}"
    "footer{font-size:.875rem;color:#59636e;padding-bottom:2rem}"
    "a{color:#0969da}";

/* status_html_symbol - a symbol for a component status (decorative: the
 * words beside it say the same). */
static const char *
status_html_symbol(enum status_comp s)
{
	switch (s) {
	case STATUS_COMP_DEGRADED:
		return "\xe2\x96\xb2"; /* up-pointing triangle */
	case STATUS_COMP_PARTIAL:
		return "\xe2\x97\x86"; /* black diamond */
	case STATUS_COMP_MAJOR:
		return "\xe2\x9c\x95"; /* multiplication x */
	case STATUS_COMP_MAINTENANCE:
		return "\xe2\x9a\x99"; /* gear */
	default:
		return "\xe2\x9c\x93"; /* check mark */
	}
}

/* status_html_ind_comp - the component status that looks like ind. */
static enum status_comp
status_html_ind_comp(enum status_indicator ind)
{
	switch (ind) {
	case STATUS_IND_MINOR:
		return STATUS_COMP_DEGRADED;
	case STATUS_IND_MAJOR:
		return STATUS_COMP_PARTIAL;
	case STATUS_IND_CRITICAL:
		return STATUS_COMP_MAJOR;
	case STATUS_IND_MAINTENANCE:
		return STATUS_COMP_MAINTENANCE;
	default:
		return STATUS_COMP_OPERATIONAL;
	}
}

/* status_html_time - <time datetime="...">human</time>. */
static void
status_html_time(struct buf *b, int64_t ms)
{
	char iso[STATUS_TEXT_DATE_SIZE], human[STATUS_TEXT_DATE_SIZE];

	status_text_rfc3339(iso, ms);
	status_text_human(human, ms);
	buf_printf(b, "<time datetime=\"%s\">%s</time>", iso, human);
}

/* status_html_incident - one incident as an article with its updates. */
static void
status_html_incident(struct buf *b, const struct status_model *m,
                     const struct status_incident *inc)
{
	size_t i, shown;

	buf_addstr(b, "<article id=\"incident-");
	status_text_esc(b, inc->id);
	buf_printf(b, "\" class=\"impact-%s\" aria-labelledby=\"incident-",
	           status_impact_name(inc->impact));
	status_text_esc(b, inc->id);
	buf_addstr(b, "-h\">\n<h3 id=\"incident-");
	status_text_esc(b, inc->id);
	buf_addstr(b, "-h\">");
	status_text_esc(b, inc->name);
	buf_printf(b,
	           "</h3>\n<p class=\"meta\">Status: %s. Impact: %s. "
	           "Started ",
	           status_phase_text(inc->phase),
	           status_impact_name(inc->impact));
	status_html_time(b, inc->created_ms);
	if (inc->resolved_ms != 0) {
		buf_addstr(b, ", resolved ");
		status_html_time(b, inc->resolved_ms);
	}
	buf_addstr(b, ".");
	for (i = 0, shown = 0; i < inc->n_comps; i++) {
		if (inc->comps[i] >= m->n_comps)
			continue;
		buf_addstr(b, shown++ == 0 ? " Affects: " : ", ");
		status_text_esc(b, m->comps[inc->comps[i]].name);
	}
	if (shown > 0)
		buf_addstr(b, ".");
	buf_addstr(b, "</p>\n");
	if (inc->n_updates > 0) {
		buf_addstr(b, "<ol class=\"updates\" reversed>\n");
		for (i = 0; i < inc->n_updates; i++) {
			const struct status_update *u = &inc->updates[i];
			buf_printf(b,
			           "<li><p class=\"body\"><strong>%s"
			           "</strong> &mdash; ",
			           status_phase_text(u->phase));
			status_text_esc(b, u->body);
			buf_addstr(b, "</p><p class=\"meta\">");
			status_html_time(b, u->at_ms);
			buf_addstr(b, "</p></li>\n");
		}
		buf_addstr(b, "</ol>\n");
	}
	buf_addstr(b, "</article>\n");
}

/* status_html_history - the bars (decorative) and the same in words. */
static void
status_html_history(struct buf *b, const struct status_model *m,
                    const struct status_component *c)
{
	int64_t first = m->now_ms - (STATUS_HISTORY_DAYS - 1) * STATUS_DAY_MS;
	size_t d, ok = 0, bad = 0;

	buf_addstr(b, "<div class=\"bars\" aria-hidden=\"true\">");
	for (d = 0; d < STATUS_HISTORY_DAYS; d++) {
		char day[STATUS_TEXT_DATE_SIZE];
		enum status_comp s = (enum status_comp)c->history[d];
		status_text_day(day, first + (int64_t)d * STATUS_DAY_MS);
		buf_printf(b, "<span class=\"d-%s\" title=\"%s: %s\"></span>",
		           status_comp_name(s), day, status_comp_text(s));
		ok += s == STATUS_COMP_OPERATIONAL;
	}
	buf_printf(b,
	           "</div>\n<p class=\"hist\">Last %d days: %zu of %d "
	           "days operational",
	           STATUS_HISTORY_DAYS, ok, STATUS_HISTORY_DAYS);
	for (d = 0; d < STATUS_HISTORY_DAYS; d++) {
		char day[STATUS_TEXT_DATE_SIZE];
		enum status_comp s = (enum status_comp)c->history[d];
		if (s == STATUS_COMP_OPERATIONAL)
			continue;
		status_text_day(day, first + (int64_t)d * STATUS_DAY_MS);
		buf_printf(b, "%s%s %s", bad++ == 0 ? "; " : ", ", day,
		           status_comp_text(s));
	}
	buf_addstr(b, ".</p>\n");
}

/* status_html_components - the list of components. */
static void
status_html_components(struct buf *b, const struct status_model *m)
{
	size_t i;

	buf_addstr(b, "<section aria-labelledby=\"components-h\">\n"
	              "<h2 id=\"components-h\">Components</h2>\n");
	if (m->n_comps == 0) {
		buf_addstr(b, "<p>No components are configured.</p>\n"
		              "</section>\n");
		return;
	}
	buf_addstr(b, "<ul class=\"components\">\n");
	for (i = 0; i < m->n_comps; i++) {
		const struct status_component *c = &m->comps[i];
		buf_addstr(b, "<li id=\"component-");
		status_text_esc(b, c->id);
		buf_addstr(b, "\"><div class=\"row\"><span class=\"name\">");
		status_text_esc(b, c->name);
		buf_printf(b,
		           "</span> <span class=\"st st-%s\">"
		           "<span aria-hidden=\"true\">%s</span> %s</span>"
		           "</div>\n",
		           status_comp_name(c->status),
		           status_html_symbol(c->status),
		           status_comp_text(c->status));
		if (c->description != NULL && c->description[0] != '\0') {
			buf_addstr(b, "<p class=\"meta\">");
			status_text_esc(b, c->description);
			buf_addstr(b, "</p>\n");
		}
		status_html_history(b, m, c);
		buf_addstr(b, "</li>\n");
	}
	buf_addstr(b, "</ul>\n</section>\n");
}

char *
status_html_render(const struct status_model *m, size_t *len)
{
	enum status_indicator ind = status_model_indicator(m);
	struct buf b;
	size_t i, n;

	buf_init(&b);
	buf_addstr(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	               "<meta charset=\"utf-8\">\n"
	               "<meta name=\"viewport\" content=\"width=device-width, "
	               "initial-scale=1\">\n"
	               "<link rel=\"icon\" href=\"data:,\">\n<title>");
	status_text_esc(&b, m->name);
	buf_printf(&b, " status: %s</title>\n", status_indicator_text(ind));
	buf_addstr(&b, "<link rel=\"alternate\" type=\"application/rss+xml\" "
	               "title=\"RSS\" href=\"history.rss\">\n"
	               "<link rel=\"alternate\" "
	               "type=\"application/atom+xml\" title=\"Atom\" "
	               "href=\"history.atom\">\n<style>");
	buf_addstr(&b, status_html_css);
	buf_addstr(&b, "</style>\n</head>\n<body>\n<header><h1>");
	status_text_esc(&b, m->name);
	buf_addstr(&b, "</h1></header>\n<main>\n"
	               "<section aria-labelledby=\"overall-h\">\n");
	buf_printf(&b,
	           "<h2 id=\"overall-h\" class=\"overall ind-%s\">"
	           "<span aria-hidden=\"true\">%s</span> %s</h2>\n",
	           status_indicator_name(ind),
	           status_html_symbol(status_html_ind_comp(ind)),
	           status_indicator_text(ind));
	buf_addstr(&b, "<p class=\"meta\">Last updated ");
	status_html_time(&b, m->updated_ms != 0 ? m->updated_ms : m->now_ms);
	buf_addstr(&b, ".</p>\n</section>\n");

	n = status_model_unresolved(m);
	buf_addstr(&b, "<section aria-labelledby=\"active-h\">\n"
	               "<h2 id=\"active-h\">Active incidents</h2>\n");
	if (n == 0)
		buf_addstr(&b, "<p>No active incidents.</p>\n");
	for (i = 0; i < m->n_incs; i++)
		if (m->incs[i].phase != STATUS_PHASE_RESOLVED)
			status_html_incident(&b, m, &m->incs[i]);
	buf_addstr(&b, "</section>\n");

	status_html_components(&b, m);

	buf_printf(&b,
	           "<section aria-labelledby=\"past-h\">\n"
	           "<h2 id=\"past-h\">Past incidents (last %d days)</h2>\n",
	           STATUS_HISTORY_DAYS);
	if (m->n_incs == n)
		buf_addstr(&b, "<p>No incidents reported.</p>\n");
	for (i = 0; i < m->n_incs; i++)
		if (m->incs[i].phase == STATUS_PHASE_RESOLVED)
			status_html_incident(&b, m, &m->incs[i]);
	buf_addstr(&b, "</section>\n</main>\n<footer>\n<p>Machine-readable: "
	               "<a href=\"api/v2/summary.json\">summary</a>, "
	               "<a href=\"api/v2/status.json\">status</a>, "
	               "<a href=\"api/v2/components.json\">components</a>, "
	               "<a href=\"api/v2/incidents.json\">incidents</a>, "
	               "<a href=\"api/v2/incidents/unresolved.json\">"
	               "unresolved incidents</a> (Statuspage API v2); "
	               "<a href=\"history.rss\">RSS</a>, "
	               "<a href=\"history.atom\">Atom</a>. "
	               "All times UTC.</p>\n</footer>\n</body>\n</html>\n");
	return buf_steal(&b, len);
}
