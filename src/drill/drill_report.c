/*
 * drill_report.c - a drill's report and its renderings. See
 * drill_report.h.
 */
#include "drill/drill_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"

/* rep_ms - ms as JSON, or null when not seen (negative). */
static json_t *
rep_ms(int64_t ms)
{
	return ms < 0 ? json_null() : json_integer((json_int_t)ms);
}

/* rep_since - to - from when both were seen, else -1. */
static int64_t
rep_since(int64_t from, int64_t to)
{
	if (from <= 0 || to <= 0)
		return -1;
	return to > from ? to - from : 0;
}

/* rep_time - RFC 3339 or null. */
static json_t *
rep_time(int64_t ms)
{
	char t[40];

	if (ms <= 0)
		return json_null();
	clock_wall_text(ms, t, sizeof(t));
	return json_string(t);
}

/* rep_check - one objective row: observed (<0: not seen) <= want. */
static bool
rep_check(json_t *arr, const char *name, uint64_t want, int64_t observed,
          const char *unmeasured)
{
	json_t *row = json_object();
	bool pass = observed >= 0 && (uint64_t)observed <= want;

	json_object_set_new(row, "name", json_string(name));
	json_object_set_new(row, "objective", json_integer((json_int_t)want));
	json_object_set_new(row, "observed", rep_ms(observed));
	if (unmeasured != NULL) {
		json_object_set_new(row, "pass", json_null());
		json_object_set_new(row, "why", json_string(unmeasured));
		pass = true;
	} else {
		json_object_set_new(row, "pass", json_boolean(pass));
		if (observed < 0)
			json_object_set_new(row, "why",
			                    json_string("not seen during the "
			                                "drill"));
	}
	json_array_append_new(arr, row);
	return pass;
}

json_t *
drill_report_build(const struct drill_meta *m, struct drill_obs *o,
                   const struct config_drill_objectives *obj,
                   const struct drill_lost *lost)
{
	json_t *r = json_object(), *fig = json_object(),
	       *streams = json_object();
	json_t *checks = json_array(), *notes = json_array();
	int64_t detect = rep_since(o->first_fail_ms, o->open_ms);
	int64_t alert = rep_since(o->first_fail_ms, o->notified_ms);
	int64_t first = rep_since(o->first_fail_ms, o->elsewhere_ms);
	int64_t f95 = drill_obs_failover95_ms(o);
	int64_t failback = rep_since(o->end_ms, o->failback_ms);
	int64_t crit = -1;
	const char *alert_why = NULL;
	bool passed = true;
	size_t i;

	json_object_set_new(r, "id", json_string(m->id));
	json_object_set_new(r, "name", json_string(m->name));
	json_object_set_new(r, "provider", json_string(m->provider));
	json_object_set_new(r, "fault", json_string(m->fault));
	if (m->stream[0] != '\0')
		json_object_set_new(r, "stream", json_string(m->stream));
	json_object_set_new(r, "share", json_real(m->share));
	json_object_set_new(r, "state", json_string(m->state));
	json_object_set_new(r, "end_reason", json_string(m->reason));
	json_object_set_new(r, "started_at", rep_time(m->started_ms));
	json_object_set_new(r, "ends_at", rep_time(m->ends_ms));
	json_object_set_new(r, "ended_at", rep_time(m->ended_ms));
	json_object_set_new(r, "started_by", json_string(m->by));

	json_object_set_new(fig, "detect_ms", rep_ms(detect));
	json_object_set_new(fig, "alert_ms", rep_ms(alert));
	json_object_set_new(fig, "failover_first_ms", rep_ms(first));
	json_object_set_new(fig, "failover_95_ms", rep_ms(f95));
	json_object_set_new(fig, "failback_ms", rep_ms(failback));
	json_object_set_new(fig, "simulated",
	                    json_integer((json_int_t)o->simulated));
	json_object_set_new(fig, "rerouted",
	                    json_integer((json_int_t)o->rerouted));
	json_object_set_new(fig, "accepted_elsewhere",
	                    json_integer((json_int_t)o->accepted_elsewhere));
	json_object_set_new(fig, "deferred",
	                    json_integer((json_int_t)o->deferred));
	json_object_set_new(fig, "duplicates_possible",
	                    json_integer((json_int_t)o->duplicates));
	json_object_set_new(fig, "lost",
	                    lost && lost->known
	                        ? json_integer((json_int_t)lost->lost)
	                        : json_null());
	json_object_set_new(fig, "permanent_failures",
	                    lost && lost->known
	                        ? json_integer((json_int_t)lost->permanent)
	                        : json_null());
	for (i = 0; i < o->n_streams; i++) {
		struct drill_obs_stream *s = &o->streams[i];
		uint64_t p99 = drill_obs_percentile(s, 99);
		json_object_set_new(
		    streams, s->name,
		    json_pack("{s:I,s:I,s:I,s:I}", "sent", (json_int_t)s->n,
		              "p50_ms", (json_int_t)drill_obs_percentile(s, 50),
		              "p99_ms", (json_int_t)p99, "max_ms",
		              (json_int_t)(s->n ? s->ms[s->n - 1] : 0)));
		if (strcmp(s->name, "critical") == 0 && s->n > 0)
			crit = (int64_t)p99;
	}
	json_object_set_new(fig, "streams", streams);
	json_object_set_new(r, "figures", fig);

	if (o->first_fail_ms == 0 && o->simulated == 0) {
		passed &= rep_check(checks, "detect_within", obj->detect_ms, -1,
		                    "no attempt met the fault (no traffic, or "
		                    "the fault never failed an attempt)");
	} else {
		passed &= rep_check(checks, "detect_within", obj->detect_ms,
		                    detect, NULL);
	}
	if (!m->notifiers)
		alert_why = "no alert notifier is configured";
	else if (m->notify == CONFIG_DRILL_NOTIFY_QUIET)
		alert_why = "drill.notify is quiet: nothing was notified";
	else if (o->first_fail_ms == 0)
		alert_why = "no attempt met the fault";
	passed &=
	    rep_check(checks, "alert_within", obj->alert_ms, alert, alert_why);
	passed &= rep_check(checks, "failover_within", obj->failover_ms, first,
	                    o->first_fail_ms == 0 ? "no attempt met the fault"
	                                          : NULL);
	passed &= rep_check(checks, "critical_p99", obj->critical_p99_ms, crit,
	                    crit < 0 ? "no critical message was sent during "
	                               "the drill"
	                             : NULL);
	if (lost == NULL || !lost->known) {
		rep_check(checks, "lost", obj->lost, -1,
		          "counted when the report is final");
	} else {
		passed &= rep_check(checks, "lost", obj->lost,
		                    (int64_t)lost->lost, NULL);
	}
	json_object_set_new(r, "objectives", checks);
	json_object_set_new(r, "passed", json_boolean(passed));
	for (i = 0; i < o->n_notes; i++)
		json_array_append_new(notes, json_string(o->notes[i]));
	if (o->ids_full)
		json_array_append_new(
		    notes, json_string("more messages met the fault than the "
		                       "report follows (65536): lost counts "
		                       "those only"));
	json_object_set_new(r, "notes", notes);
	return r;
}

/* ---- renderings ------------------------------------------------------- */

/* ren_str - o[key] as a string, "" when absent. */
static const char *
ren_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

/* ren_ms - a figure in milliseconds as "1.234 s", "-" when null. */
static void
ren_ms(const json_t *v, char *out, size_t n)
{
	if (!json_is_integer(v)) {
		snprintf(out, n, "-");
		return;
	}
	snprintf(out, n, "%.3f s", (double)json_integer_value(v) / 1000.0);
}

/* ren_html - s with &, <, >, " escaped, appended to b. */
static void
ren_html(struct buf *b, const char *s)
{
	static const char *const ent[256] = {
	    ['&'] = "&amp;",
	    ['<'] = "&lt;",
	    ['>'] = "&gt;",
	    ['"'] = "&quot;",
	};

	for (; *s != '\0'; s++) {
		const char *e = ent[(unsigned char)*s];
		if (e != NULL)
			buf_addstr(b, e);
		else
			buf_addch(b, *s);
	}
}

enum ren_fmt { REN_TEXT, REN_MD, REN_HTML };

/* ren_row - one table row of cells in fmt. */
static void
ren_row(struct buf *b, enum ren_fmt f, const char *const *cells, size_t n)
{
	size_t i;

	if (f == REN_HTML)
		buf_addstr(b, "<tr>");
	for (i = 0; i < n; i++) {
		if (f == REN_TEXT) {
			buf_printf(b, i ? "  %-14s" : "%-26s", cells[i]);
		} else if (f == REN_MD) {
			buf_printf(b, "| %s ", cells[i]);
		} else {
			buf_addstr(b, "<td>");
			ren_html(b, cells[i]);
			buf_addstr(b, "</td>");
		}
	}
	while (f == REN_TEXT && b->len > 0 && b->p[b->len - 1] == ' ')
		b->len--; /* no trailing blanks */
	buf_addstr(b, f == REN_MD ? "|\n" : f == REN_HTML ? "</tr>\n" : "\n");
}

/* ren_head - a heading line. */
static void
ren_head(struct buf *b, enum ren_fmt f, const char *text)
{
	if (f == REN_TEXT)
		buf_printf(b, "\n%s\n", text);
	else if (f == REN_MD)
		buf_printf(b, "\n## %s\n\n", text);
	else {
		buf_addstr(b, "<h2>");
		ren_html(b, text);
		buf_addstr(b, "</h2>\n");
	}
}

/* ren_table - start (on) or end (off) a table with a header row. */
static void
ren_table(struct buf *b, enum ren_fmt f, const char *const *head, size_t n)
{
	size_t i;

	if (f == REN_HTML) {
		buf_addstr(b, "<table>\n<tr>");
		for (i = 0; i < n; i++) {
			buf_addstr(b, "<th>");
			ren_html(b, head[i]);
			buf_addstr(b, "</th>");
		}
		buf_addstr(b, "</tr>\n");
		return;
	}
	ren_row(b, f, head, n);
	if (f == REN_MD) {
		for (i = 0; i < n; i++)
			buf_addstr(b, "| --- ");
		buf_addstr(b, "|\n");
	}
}

/* ren_end - close a table. */
static void
ren_end(struct buf *b, enum ren_fmt f)
{
	if (f == REN_HTML)
		buf_addstr(b, "</table>\n");
}

/* ren_objectives - the objectives table. */
static void
ren_objectives(struct buf *b, enum ren_fmt f, const json_t *arr)
{
	static const char *const head[] = {"objective", "target", "observed",
	                                   "result"};
	size_t i;
	json_t *row;

	ren_head(b, f, "Objectives");
	ren_table(b, f, head, 4);
	json_array_foreach(arr, i, row)
	{
		char want[32], got[32];
		const char *cells[4];
		json_t *pass = json_object_get(row, "pass");
		const char *name = ren_str(row, "name");
		if (strcmp(name, "lost") == 0) {
			snprintf(want, sizeof(want), "%lld",
			         (long long)json_integer_value(
			             json_object_get(row, "objective")));
			if (json_is_integer(json_object_get(row, "observed")))
				snprintf(got, sizeof(got), "%lld",
				         (long long)json_integer_value(
				             json_object_get(row, "observed")));
			else
				snprintf(got, sizeof(got), "-");
		} else {
			ren_ms(json_object_get(row, "objective"), want,
			       sizeof(want));
			ren_ms(json_object_get(row, "observed"), got,
			       sizeof(got));
		}
		cells[0] = name;
		cells[1] = want;
		cells[2] = got;
		cells[3] = json_is_true(pass)    ? "PASS"
		           : json_is_false(pass) ? "FAIL"
		                                 : "not measured";
		ren_row(b, f, cells, 4);
	}
	ren_end(b, f);
}

/* ren_figures - the figures table. */
static void
ren_figures(struct buf *b, enum ren_fmt f, const json_t *fig)
{
	static const char *const head[] = {"figure", "value"};
	static const char *const ms_keys[][2] = {
	    {"detect_ms", "time to detect"},
	    {"alert_ms", "time to alert"},
	    {"failover_first_ms", "time to failover (first)"},
	    {"failover_95_ms", "time to failover (95%)"},
	    {"failback_ms", "time to fail back"},
	};
	static const char *const n_keys[][2] = {
	    {"simulated", "attempts simulated"},
	    {"rerouted", "messages rerouted"},
	    {"accepted_elsewhere", "accepted elsewhere"},
	    {"deferred", "deferred (no provider)"},
	    {"duplicates_possible", "duplicates possible"},
	    {"lost", "lost"},
	    {"permanent_failures", "permanent failures"},
	};
	const char *cells[2];
	char v[48];
	size_t i;

	ren_head(b, f, "Figures");
	ren_table(b, f, head, 2);
	for (i = 0; i < sizeof(ms_keys) / sizeof(ms_keys[0]); i++) {
		ren_ms(json_object_get(fig, ms_keys[i][0]), v, sizeof(v));
		cells[0] = ms_keys[i][1];
		cells[1] = v;
		ren_row(b, f, cells, 2);
	}
	for (i = 0; i < sizeof(n_keys) / sizeof(n_keys[0]); i++) {
		json_t *x = json_object_get(fig, n_keys[i][0]);
		if (json_is_integer(x))
			snprintf(v, sizeof(v), "%lld",
			         (long long)json_integer_value(x));
		else
			snprintf(v, sizeof(v), "-");
		cells[0] = n_keys[i][1];
		cells[1] = v;
		ren_row(b, f, cells, 2);
	}
	ren_end(b, f);
}

/* ren_streams - delay per stream. */
static void
ren_streams(struct buf *b, enum ren_fmt f, const json_t *streams)
{
	static const char *const head[] = {"stream", "sent", "p50", "p99",
	                                   "max"};
	const char *key;
	json_t *s;

	ren_head(b, f, "Delay per stream during the drill");
	ren_table(b, f, head, 5);
	json_object_foreach((json_t *)streams, key, s)
	{
		char n[24], p50[32], p99[32], mx[32];
		const char *cells[5] = {key, n, p50, p99, mx};
		snprintf(
		    n, sizeof(n), "%lld",
		    (long long)json_integer_value(json_object_get(s, "sent")));
		ren_ms(json_object_get(s, "p50_ms"), p50, sizeof(p50));
		ren_ms(json_object_get(s, "p99_ms"), p99, sizeof(p99));
		ren_ms(json_object_get(s, "max_ms"), mx, sizeof(mx));
		ren_row(b, f, cells, 5);
	}
	ren_end(b, f);
}

int
drill_report_render(const json_t *report, const char *format, struct buf *out,
                    char *err, size_t errlen)
{
	enum ren_fmt f;
	const json_t *fig = json_object_get(report, "figures");
	json_t *note;
	size_t i;
	char title[300];

	if (strcmp(format, "json") == 0) {
		char *s = json_dumps(report, JSON_INDENT(2) | JSON_SORT_KEYS);
		if (s != NULL) {
			buf_addstr(out, s);
			buf_addstr(out, "\n");
		}
		free(s);
		return 0;
	}
	if (strcmp(format, "text") == 0)
		f = REN_TEXT;
	else if (strcmp(format, "md") == 0)
		f = REN_MD;
	else if (strcmp(format, "html") == 0)
		f = REN_HTML;
	else {
		snprintf(err, errlen,
		         "unknown format \"%.20s\": expected text, md, html "
		         "or json",
		         format);
		return -1;
	}
	snprintf(title, sizeof(title), "Drill %s: %s %s%s%s - %s",
	         ren_str(report, "id"), ren_str(report, "provider"),
	         ren_str(report, "fault"),
	         json_object_get(report, "stream") ? " stream " : "",
	         ren_str(report, "stream"),
	         json_is_true(json_object_get(report, "passed")) ? "PASSED"
	                                                         : "FAILED");
	if (f == REN_HTML) {
		buf_addstr(out, "<!DOCTYPE html>\n<html><head><meta "
		                "charset=\"utf-8\"><title>");
		ren_html(out, title);
		buf_addstr(out, "</title></head><body>\n<h1>");
		ren_html(out, title);
		buf_addstr(out, "</h1>\n<p>");
	} else if (f == REN_MD) {
		buf_printf(out, "# %s\n\n", title);
	} else {
		buf_printf(out, "%s\n", title);
	}
	{
		char line[700];
		snprintf(line, sizeof(line),
		         "state %s (%s); started %s by %s, ended %s",
		         ren_str(report, "state"),
		         ren_str(report, "end_reason"),
		         ren_str(report, "started_at"),
		         ren_str(report, "started_by"),
		         json_is_string(json_object_get(report, "ended_at"))
		             ? ren_str(report, "ended_at")
		             : "-");
		if (f == REN_HTML)
			ren_html(out, line);
		else
			buf_addstr(out, line);
	}
	buf_addstr(out, f == REN_HTML ? "</p>\n" : "\n");
	ren_objectives(out, f, json_object_get(report, "objectives"));
	ren_figures(out, f, fig);
	ren_streams(out, f, json_object_get(fig, "streams"));
	ren_head(out, f, "What went wrong");
	if (json_array_size(json_object_get(report, "notes")) == 0)
		buf_addstr(out,
		           f == REN_HTML ? "<p>nothing</p>\n" : "nothing\n");
	if (f == REN_HTML && json_array_size(json_object_get(report, "notes")))
		buf_addstr(out, "<ul>\n");
	json_array_foreach(json_object_get(report, "notes"), i, note)
	{
		if (f == REN_HTML) {
			buf_addstr(out, "<li>");
			ren_html(out, json_string_value(note));
			buf_addstr(out, "</li>\n");
		} else {
			buf_printf(out, "- %s\n", json_string_value(note));
		}
	}
	if (f == REN_HTML) {
		if (json_array_size(json_object_get(report, "notes")))
			buf_addstr(out, "</ul>\n");
		buf_addstr(out, "</body></html>\n");
	}
	return 0;
}

/* hist_ms - a figure of r, or -1. */
static int64_t
hist_ms(const json_t *r, const char *key)
{
	json_t *v = json_object_get(json_object_get(r, "figures"), key);

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : -1;
}

/* hist_trend - now against before: "slower", "faster", "same", "-". */
static const char *
hist_trend(int64_t now, int64_t before)
{
	if (now < 0 || before < 0)
		return "-";
	if (now > before + before / 10 + 100)
		return "slower";
	if (now + now / 10 + 100 < before)
		return "faster";
	return "same";
}

void
drill_history_render(const json_t *reports, struct buf *out)
{
	size_t i, j;
	json_t *r;

	buf_printf(out, "%-24s %-20s %-12s %-12s %-7s %9s %9s %9s  %s\n", "id",
	           "started", "provider", "fault", "result", "detect", "alert",
	           "failover", "trend (detect/alert/failover)");
	json_array_foreach(reports, i, r)
	{
		const json_t *prev = NULL;
		char d[16], a[16], fo[16];
		int64_t dm = hist_ms(r, "detect_ms"),
		        am = hist_ms(r, "alert_ms"),
		        fm = hist_ms(r, "failover_first_ms");
		for (j = i; j-- > 0;) {
			const json_t *q = json_array_get(reports, j);
			if (strcmp(ren_str(q, "provider"),
			           ren_str(r, "provider")) == 0 &&
			    strcmp(ren_str(q, "fault"), ren_str(r, "fault")) ==
			        0) {
				prev = q;
				break;
			}
		}
		snprintf(d, sizeof(d), dm < 0 ? "-" : "%.1fs",
		         (double)dm / 1000.0);
		snprintf(a, sizeof(a), am < 0 ? "-" : "%.1fs",
		         (double)am / 1000.0);
		snprintf(fo, sizeof(fo), fm < 0 ? "-" : "%.1fs",
		         (double)fm / 1000.0);
		buf_printf(
		    out,
		    "%-24s %-20.20s %-12.12s %-12.12s %-7s %9s %9s %9s  "
		    "%s/%s/%s\n",
		    ren_str(r, "id"), ren_str(r, "started_at"),
		    ren_str(r, "provider"), ren_str(r, "fault"),
		    json_is_true(json_object_get(r, "passed")) ? "pass"
		                                               : "FAIL",
		    d, a, fo,
		    prev ? hist_trend(dm, hist_ms(prev, "detect_ms")) : "-",
		    prev ? hist_trend(am, hist_ms(prev, "alert_ms")) : "-",
		    prev ? hist_trend(fm, hist_ms(prev, "failover_first_ms"))
		         : "-");
	}
}
