/*
 * incident_report.c - the post-incident report (incident_report.h).
 *
 * Markdown and HTML are written by one walk over the sections through a
 * few block writers (heading, paragraph, table, list) that know the
 * format; HTML text goes through status_text_clean and status_text_esc
 * (status/status_text.h), the same cleaning and escaping as the public
 * status page.
 */
#include "incident/incident_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "status/status_text.h"

int
incident_report_format_parse(const char *s)
{
	if (s == NULL)
		return -1;
	if (strcmp(s, "md") == 0 || strcmp(s, "markdown") == 0)
		return INCIDENT_REPORT_MD;
	if (strcmp(s, "html") == 0)
		return INCIDENT_REPORT_HTML;
	if (strcmp(s, "json") == 0)
		return INCIDENT_REPORT_JSON;
	return -1;
}

const char *
incident_report_ext(enum incident_report_format f)
{
	return f == INCIDENT_REPORT_HTML   ? "html"
	       : f == INCIDENT_REPORT_JSON ? "json"
	                                   : "md";
}

/* since - b - a, or -1 when either is unknown or b is before a. */
static int64_t
since(int64_t a, int64_t b)
{
	return a > 0 && b > 0 && b >= a ? b - a : -1;
}

void
incident_report_facts(const struct incident_info *ii, int64_t now_ms,
                      struct incident_facts *f)
{
	memset(f, 0, sizeof(*f));
	for (size_t i = 0; i < ii->n_updates; i++) {
		const struct incident_update *u = &ii->updates[i];
		int64_t t = u->at_ms;

		if (strcmp(u->kind, "first_failure") == 0 &&
		    (f->first_failure_ms == 0 || t < f->first_failure_ms))
			f->first_failure_ms = t;
		else if (strcmp(u->kind, "alert") == 0 && f->detected_ms == 0 &&
		         strncmp(u->text, "alert firing", 12) == 0)
			f->detected_ms = t;
		else if (strcmp(u->kind, "failover") == 0 &&
		         f->failover_ms == 0)
			f->failover_ms = t;
		else if (strcmp(u->kind, "traffic") == 0 && f->moved_ms == 0)
			f->moved_ms = t;
		else if (strcmp(u->kind, "circuit") == 0 &&
		         strncmp(u->text, "circuit closed", 14) == 0)
			f->healed_ms = t;
		else if (strcmp(u->kind, "failback") == 0)
			f->failback_ms = t;
		if (u->who == NULL || strcmp(u->who, "swerve") == 0)
			f->n_auto++;
		else
			f->n_human++;
	}
	f->detection = since(f->first_failure_ms, f->detected_ms);
	f->to_failover =
	    since(f->first_failure_ms ? f->first_failure_ms : ii->started_ms,
	          f->moved_ms);
	f->to_failback = since(f->healed_ms, f->failback_ms);
	f->duration = since(ii->started_ms,
	                    ii->resolved_ms > 0 ? ii->resolved_ms : now_ms);
}

/* ---- JSON ------------------------------------------------------------- */

/* j_time - RFC 3339, or null for 0. */
static json_t *
j_time(int64_t ms)
{
	char t[40];

	if (ms <= 0)
		return json_null();
	clock_wall_text(ms, t, sizeof(t));
	return json_string(t);
}

json_t *
incident_json_text(const char *s)
{
	char *c = status_text_clean(s);
	json_t *j = json_string(c);

	free(c);
	return j != NULL ? j : json_string("");
}

/* j_dur - ms, or null for -1. */
static json_t *
j_dur(int64_t ms)
{
	return ms < 0 ? json_null() : json_integer(ms);
}

/* j_names - a JSON array of v[0..n). */
static json_t *
j_names(const char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

/* j_figures - one stream's (or the total's) figures. */
static json_t *
j_figures(const struct incident_figures *f)
{
	json_t *o = json_pack(
	    "{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "affected",
	    (json_int_t)f->affected, "delayed", (json_int_t)f->delayed,
	    "waiting", (json_int_t)f->waiting, "rerouted",
	    (json_int_t)f->rerouted, "failed", (json_int_t)f->failed,
	    "duplicates_possible", (json_int_t)f->dup_possible, "lost",
	    (json_int_t)f->lost, "delay_p50_ms", (json_int_t)f->p50_ms,
	    "delay_p99_ms", (json_int_t)f->p99_ms, "delay_max_ms",
	    (json_int_t)f->max_ms);

	if (f->stream != NULL)
		json_object_set_new(o, "stream", json_string(f->stream));
	return o;
}

/* j_counts - [{"name", "count"}...]. */
static json_t *
j_counts(const struct incident_count *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a,
		                      json_pack("{s:s,s:I}", "name", v[i].name,
		                                "count", (json_int_t)v[i].n));
	return a;
}

json_t *
incident_report_json(const struct incident_info *ii,
                     const struct incident_scope *s, int64_t now_ms)
{
	struct incident_facts f;
	json_t *o, *ups = json_array(), *streams;
	size_t i;

	incident_report_facts(ii, now_ms, &f);
	for (i = 0; i < ii->n_updates; i++) {
		const struct incident_update *u = &ii->updates[i];

		json_array_append_new(
		    ups, json_pack("{s:o,s:o,s:o,s:s,s:b,s:o}", "at",
		                   j_time(u->at_ms), "kind",
		                   incident_json_text(u->kind), "text",
		                   incident_json_text(u->text), "status",
		                   incident_status_name(u->status), "public",
		                   u->public_, "who",
		                   incident_json_text(
		                       u->who != NULL ? u->who : "swerve")));
	}
	o = json_pack(
	    "{s:s,s:s,s:s,s:s,s:b,s:b,s:o,s:o,s:o,s:o,s:o,s:o,s:{s:o,s:o,"
	    "s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:I,s:I}}",
	    "id", ii->id, "title", ii->title, "status",
	    incident_status_name(ii->status), "impact",
	    incident_impact_name(ii->impact), "impact_override",
	    ii->impact_override, "drill", ii->drill, "started_at",
	    j_time(ii->started_ms), "updated_at", j_time(ii->updated_ms),
	    "resolved_at", j_time(ii->resolved_ms), "providers",
	    j_names(ii->providers, ii->n_providers), "streams",
	    j_names(ii->streams, ii->n_streams), "updates", ups, "facts",
	    "first_failure_at", j_time(f.first_failure_ms), "detected_at",
	    j_time(f.detected_ms), "failover_at", j_time(f.failover_ms),
	    "traffic_moved_at", j_time(f.moved_ms), "healed_at",
	    j_time(f.healed_ms), "failback_at", j_time(f.failback_ms),
	    "detection_ms", j_dur(f.detection), "time_to_failover_ms",
	    j_dur(f.to_failover), "time_to_failback_ms", j_dur(f.to_failback),
	    "duration_ms", j_dur(f.duration), "automatic_actions",
	    (json_int_t)f.n_auto, "human_actions", (json_int_t)f.n_human);
	if (ii->report_path != NULL)
		json_object_set_new(o, "report_path",
		                    json_string(ii->report_path));
	if (ii->opened_by != NULL)
		json_object_set_new(o, "opened_by",
		                    incident_json_text(ii->opened_by));
	if (s == NULL)
		return o;
	streams = json_array();
	for (i = 0; i < s->n_streams; i++)
		json_array_append_new(streams, j_figures(&s->streams[i]));
	json_object_set_new(
	    o, "scope",
	    json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "from",
	              j_time(s->from_ms), "to", j_time(s->to_ms), "total",
	              j_figures(&s->total), "streams", streams, "tenants",
	              j_counts(s->tenants, s->n_tenants), "recipient_domains",
	              j_counts(s->domains, s->n_domains), "traffic_now",
	              j_counts(s->traffic, s->n_traffic)));
	return o;
}

/* ---- Markdown and HTML ------------------------------------------------ */

/* A report being written in one of the two text formats. */
struct doc {
	struct buf *b;
	int html;
};

/* d_text - s as text of the format: escaped in HTML; in Markdown with
 * line breaks folded so an entry stays one line, and | and \ escaped so
 * it stays in its table cell. */
static void
d_text(struct doc *d, const char *s)
{
	char *c = status_text_clean(s);

	if (d->html) {
		status_text_esc(d->b, c);
	} else {
		for (const char *p = c; *p; p++) {
			if (*p == '|' || *p == '\\')
				buf_addch(d->b, '\\');
			buf_addch(d->b, *p == '\n' || *p == '\t' ? ' ' : *p);
		}
	}
	free(c);
}

/* d_head - a heading of level 1 or 2. */
static void
d_head(struct doc *d, int level, const char *s)
{
	if (d->html) {
		buf_printf(d->b, "<h%d>", level);
		d_text(d, s);
		buf_printf(d->b, "</h%d>\n", level);
	} else {
		buf_addstr(d->b, level == 1 ? "# " : "## ");
		d_text(d, s);
		buf_addstr(d->b, "\n\n");
	}
}

/* d_para - a paragraph. */
static void
d_para(struct doc *d, const char *s)
{
	buf_addstr(d->b, d->html ? "<p>" : "");
	d_text(d, s);
	buf_addstr(d->b, d->html ? "</p>\n" : "\n\n");
}

/* d_row - one table row of n cells (header: the first row). */
static void
d_row(struct doc *d, const char *const *cells, size_t n, int header)
{
	size_t i;

	buf_addstr(d->b, d->html ? "<tr>" : "|");
	for (i = 0; i < n; i++) {
		buf_addstr(d->b, d->html ? (header ? "<th>" : "<td>") : " ");
		d_text(d, cells[i]);
		buf_addstr(d->b, d->html ? (header ? "</th>" : "</td>") : " |");
	}
	buf_addstr(d->b, d->html ? "</tr>\n" : "\n");
	if (header && !d->html) {
		buf_addstr(d->b, "|");
		for (i = 0; i < n; i++)
			buf_addstr(d->b, " --- |");
		buf_addstr(d->b, "\n");
	}
}

/* d_table - open (n > 0) or close (n == 0) a table. */
static void
d_table(struct doc *d, int open)
{
	if (d->html)
		buf_addstr(d->b, open ? "<table>\n" : "</table>\n");
	else if (!open)
		buf_addstr(d->b, "\n");
}

/* dur_text - "2 min 5 s", "850 ms", or "n/a". */
static void
dur_text(int64_t ms, char *out, size_t n)
{
	if (ms < 0)
		snprintf(out, n, "n/a");
	else if (ms < 1000)
		snprintf(out, n, "%lld ms", (long long)ms);
	else if (ms < 60000)
		snprintf(out, n, "%.1f s", (double)ms / 1000.0);
	else if (ms < 3600000)
		snprintf(out, n, "%lld min %lld s", (long long)(ms / 60000),
		         (long long)(ms % 60000 / 1000));
	else
		snprintf(out, n, "%lld h %lld min", (long long)(ms / 3600000),
		         (long long)(ms % 3600000 / 60000));
}

/* kv - a two-cell row with a duration or a time. */
static void
kv(struct doc *d, const char *k, const char *v)
{
	const char *cells[2] = {k, v};

	d_row(d, cells, 2, 0);
}

/* r_summary - what, when, how long, status and impact. */
static void
r_summary(struct doc *d, const struct incident_info *ii,
          const struct incident_facts *f)
{
	char t1[40], t2[40], dur[40], line[512];
	const char *head[2] = {"Fact", "Value"};

	clock_wall_text(ii->started_ms, t1, sizeof(t1));
	if (ii->resolved_ms > 0)
		clock_wall_text(ii->resolved_ms, t2, sizeof(t2));
	else
		snprintf(t2, sizeof(t2), "not resolved");
	dur_text(f->duration, dur, sizeof(dur));
	d_head(d, 2, "Summary");
	snprintf(line, sizeof(line),
	         "%s%s: %s, impact %s, from %s to %s (%s). Providers: ",
	         ii->drill ? "[drill] " : "", ii->title,
	         incident_status_name(ii->status),
	         incident_impact_name(ii->impact), t1, t2, dur);
	for (size_t i = 0; i < ii->n_providers; i++)
		snprintf(line + strlen(line), sizeof(line) - strlen(line),
		         "%s%s", i ? ", " : "", ii->providers[i]);
	snprintf(line + strlen(line), sizeof(line) - strlen(line),
	         "%s. Streams: ", ii->n_providers ? "" : "none");
	for (size_t i = 0; i < ii->n_streams; i++)
		snprintf(line + strlen(line), sizeof(line) - strlen(line),
		         "%s%s", i ? ", " : "", ii->streams[i]);
	snprintf(line + strlen(line), sizeof(line) - strlen(line), "%s.",
	         ii->n_streams ? "" : "none");
	d_para(d, line);
	d_head(d, 2, "Response");
	d_table(d, 1);
	d_row(d, head, 2, 1);
	dur_text(f->detection, dur, sizeof(dur));
	kv(d, "Detection time (first failure -> alert)", dur);
	dur_text(f->to_failover, dur, sizeof(dur));
	kv(d, "Time to failover (-> 95% of traffic elsewhere)", dur);
	dur_text(f->to_failback, dur, sizeof(dur));
	kv(d, "Time to fail back (healed -> ramp completed)", dur);
	snprintf(dur, sizeof(dur), "%zu", f->n_auto);
	kv(d, "Timeline entries by swerve (automatic)", dur);
	snprintf(dur, sizeof(dur), "%zu", f->n_human);
	kv(d, "Timeline entries by people", dur);
	d_table(d, 0);
}

/* r_figures_row - one stream's figures as a row. */
static void
r_figures_row(struct doc *d, const char *name, const struct incident_figures *f)
{
	char c[9][32];
	const char *cells[10];

	snprintf(c[0], sizeof(c[0]), "%llu", (unsigned long long)f->affected);
	snprintf(c[1], sizeof(c[1]), "%llu", (unsigned long long)f->rerouted);
	snprintf(c[2], sizeof(c[2]), "%llu", (unsigned long long)f->waiting);
	dur_text(f->p99_ms, c[3], sizeof(c[3]));
	dur_text(f->max_ms, c[4], sizeof(c[4]));
	snprintf(c[5], sizeof(c[5]), "%llu", (unsigned long long)f->failed);
	snprintf(c[6], sizeof(c[6]), "%llu",
	         (unsigned long long)f->dup_possible);
	snprintf(c[7], sizeof(c[7]), "%llu", (unsigned long long)f->lost);
	cells[0] = name;
	for (int i = 0; i < 8; i++)
		cells[i + 1] = c[i];
	d_row(d, cells, 9, 0);
}

/* r_impact - the figures from the spool. */
static void
r_impact(struct doc *d, const struct incident_scope *s)
{
	static const char *const head[9] = {
	    "Stream",    "Affected",  "Rerouted", "Waiting",
	    "p99 delay", "Max delay", "Failed",   "Duplicates possible",
	    "Lost"};
	char line[256];

	d_head(d, 2, "Impact");
	if (s == NULL) {
		d_para(d, "The figures could not be read from the spool.");
		return;
	}
	snprintf(line, sizeof(line),
	         "Computed from the spool: %llu messages affected, %llu "
	         "delayed, %llu failed, %llu lost.",
	         (unsigned long long)s->total.affected,
	         (unsigned long long)s->total.delayed,
	         (unsigned long long)s->total.failed,
	         (unsigned long long)s->total.lost);
	d_para(d, line);
	d_table(d, 1);
	d_row(d, head, 9, 1);
	for (size_t i = 0; i < s->n_streams; i++)
		r_figures_row(d, s->streams[i].stream, &s->streams[i]);
	r_figures_row(d, "all", &s->total);
	d_table(d, 0);
}

/* r_timeline - every entry, oldest first. */
static void
r_timeline(struct doc *d, const struct incident_info *ii)
{
	static const char *const head[4] = {"Time", "Who", "What", "Entry"};
	char t[40];

	d_head(d, 2, "Timeline");
	d_table(d, 1);
	d_row(d, head, 4, 1);
	for (size_t i = 0; i < ii->n_updates; i++) {
		const struct incident_update *u = &ii->updates[i];
		const char *cells[4] = {t, u->who ? u->who : "swerve", u->kind,
		                        u->text};

		clock_wall_text(u->at_ms, t, sizeof(t));
		d_row(d, cells, 4, 0);
	}
	d_table(d, 0);
}

void
incident_report_render(const struct incident_info *ii,
                       const struct incident_scope *s, int64_t now_ms,
                       enum incident_report_format fmt, struct buf *out)
{
	struct doc d = {.b = out, .html = fmt == INCIDENT_REPORT_HTML};
	struct incident_facts f;
	char title[256];

	if (fmt == INCIDENT_REPORT_JSON) {
		json_t *o = incident_report_json(ii, s, now_ms);
		char *j = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);

		buf_addstr(out, j != NULL ? j : "{}");
		buf_addch(out, '\n');
		free(j);
		json_decref(o);
		return;
	}
	incident_report_facts(ii, now_ms, &f);
	snprintf(title, sizeof(title), "Post-incident report: %s", ii->id);
	if (d.html) {
		buf_addstr(out, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
		                "<meta charset=\"utf-8\"><title>");
		d_text(&d, title);
		buf_addstr(out, "</title></head><body><main>\n");
	}
	d_head(&d, 1, title);
	r_summary(&d, ii, &f);
	r_impact(&d, s);
	r_timeline(&d, ii);
	d_head(&d, 2, "Lessons");
	d_para(&d, "What went well, what went wrong, where we were lucky, "
	           "and what we will change: to be filled in by the team.");
	if (d.html)
		buf_addstr(out, "</main></body></html>\n");
}
