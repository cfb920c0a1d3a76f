/*
 * fuzz_incident_text.c - libFuzzer target: hostile timeline text through
 * the incident's renderers (incident_report.c, incident_notice.c).
 *
 * The input is an operator's note. Invariants checked: the HTML report
 * and the HTML notices have exactly as many '<' as with a harmless note
 * (the note adds no markup: it is escaped); the Markdown report has as
 * many lines and '|' cell borders as with a harmless note (the note stays
 * in its table cell: its line breaks folded, its '|' escaped); Slack's
 * text has as many '<' too; and nothing crashes or leaks (ASan).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "incident/incident.h"
#include "incident/incident_notice.h"
#include "incident/incident_report.h"
#include "observe/events.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fuzz_check - abort unless ok (libFuzzer reports the crash). */
static void
fuzz_check(int ok)
{
	if (!ok)
		abort();
}

/* count - occurrences of ch in s, or of unescaped '|' for '|' (a
 * Markdown cell border). */
static size_t
count(const char *s, char ch)
{
	size_t n = 0;

	for (const char *p = s; *p; p++)
		n += *p == ch && (ch != '|' || p == s || p[-1] != '\\');
	return n;
}

/* Figures of one rendering of an incident with note as its note. */
struct shape {
	size_t html_lt, notice_lt, slack_lt, md_nl, md_bar;
};

static void
shape_of(const char *note, struct shape *out)
{
	struct incidents *in = incidents_new(NULL, NULL, NULL, NULL, 0);
	struct events_item e = {.kind = EVENT_ALERT,
	                        .at_ms = 1700000000000LL,
	                        .state = "firing",
	                        .reason = "circuit_open",
	                        .provider = "primary"};
	struct incident_info ii;
	struct buf b, s;
	char err[256];

	incidents_on_event(&e, in);
	fuzz_check(incidents_get(in, 0, &ii) == 0);
	fuzz_check(incidents_note(in, ii.id, "fuzz", note, 1) == 0);
	fuzz_check(incidents_get(in, 0, &ii) == 0);
	buf_init(&b);
	incident_report_render(&ii, NULL, e.at_ms, INCIDENT_REPORT_HTML, &b);
	out->html_lt = count(buf_cstr(&b), '<');
	buf_fini(&b);
	buf_init(&b);
	incident_report_render(&ii, NULL, e.at_ms, INCIDENT_REPORT_MD, &b);
	out->md_nl = count(buf_cstr(&b), '\n');
	out->md_bar = count(buf_cstr(&b), '|');
	buf_fini(&b);
	buf_init(&b);
	buf_init(&s);
	fuzz_check(incident_notice_render("internal", &ii, NULL, e.at_ms,
	                                  NOTICE_HTML, &s, &b, err,
	                                  sizeof(err)) == 0);
	out->notice_lt = count(buf_cstr(&b), '<');
	buf_fini(&b);
	buf_fini(&s);
	buf_init(&b);
	buf_init(&s);
	fuzz_check(incident_notice_render("delays", &ii, NULL, e.at_ms,
	                                  NOTICE_SLACK, &s, &b, err,
	                                  sizeof(err)) == 0);
	out->slack_lt = count(buf_cstr(&b), '<');
	buf_fini(&b);
	buf_fini(&s);
	/* Every kind of JSON the record makes, for the sanitizers. */
	buf_init(&b);
	incident_report_render(&ii, NULL, e.at_ms, INCIDENT_REPORT_JSON, &b);
	buf_fini(&b);
	incidents_free(in);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *note = malloc(size + 1);
	struct shape got, want;

	memcpy(note, data, size);
	note[size] = '\0';
	/* An empty note is refused; NULs end it (a C string). */
	if (note[0] != '\0') {
		shape_of(note, &got);
		shape_of("x", &want);
		fuzz_check(got.html_lt == want.html_lt);
		fuzz_check(got.notice_lt == want.notice_lt);
		fuzz_check(got.slack_lt == want.slack_lt);
		fuzz_check(got.md_nl == want.md_nl);
		fuzz_check(got.md_bar == want.md_bar);
	}
	free(note);
	return 0;
}
