/*
 * test_incident_notice.c - the shipped notice templates: filled with the
 * incident's facts, escaped per output (HTML, text, Slack), hostile note
 * text never breaking out of HTML, missing facts rendering as nothing,
 * unknown templates and formats refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "incident/incident.h"
#include "incident/incident_notice.h"
#include "observe/events.h"

#define T0 1700000000000LL
#define HOSTILE "<script>alert(1)</script> & <b>bold</b>"

/* outage - an open incident on two streams with a hostile public note. */
static struct incidents *
outage(struct incident_info *ii)
{
	struct incidents *in = incidents_new(NULL, NULL, NULL, NULL, 0);
	struct events_item ev[] = {
	    {.kind = EVENT_ALERT,
	     .at_ms = T0,
	     .state = "firing",
	     .reason = "circuit_open",
	     .provider = "primary"},
	    {.kind = EVENT_FAILOVER,
	     .at_ms = T0 + 1000,
	     .provider = "primary",
	     .to_provider = "backup",
	     .stream = "transactional"},
	    {.kind = EVENT_FAILOVER,
	     .at_ms = T0 + 2000,
	     .provider = "primary",
	     .to_provider = "backup",
	     .stream = "bulk"},
	};

	for (size_t i = 0; i < sizeof(ev) / sizeof(ev[0]); i++)
		incidents_on_event(&ev[i], in);
	assert_int_equal(incidents_get(in, 0, ii), 0);
	assert_int_equal(incidents_note(in, ii->id, "eve", HOSTILE, 1), 0);
	assert_int_equal(incidents_get(in, 0, ii), 0);
	return in;
}

static int
render(const char *name, const struct incident_info *ii,
       const struct incident_scope *s, enum incident_notice_format f,
       struct buf *sub, struct buf *body)
{
	char err[256];

	buf_init(sub);
	buf_init(body);
	return incident_notice_render(name, ii, s, T0 + 600000, f, sub, body,
	                              err, sizeof(err));
}

static void
delays_text_names_streams_and_time(void **state)
{
	struct incident_info ii;
	struct incidents *in = outage(&ii);
	struct incident_figures tot = {.affected = 4, .p99_ms = 125000};
	struct incident_scope sc = {.total = tot};
	struct buf sub, body;

	(void)state;
	assert_int_equal(render("delays", &ii, &sc, NOTICE_TEXT, &sub, &body),
	                 0);
	assert_string_equal(buf_cstr(&sub),
	                    "Delays sending transactional and bulk email");
	assert_non_null(strstr(buf_cstr(&body), "Since 14 Nov 2023, 22:13 UTC"
	                                        " some of our transactional "
	                                        "and bulk email is delayed."));
	assert_non_null(strstr(buf_cstr(&body), "up to 3 minutes late"));
	assert_non_null(strstr(buf_cstr(&body), "none has been lost"));
	assert_non_null(strstr(buf_cstr(&body), "Current status: identified"));
	/* Plain text: the note as written, no entities. */
	assert_non_null(strstr(buf_cstr(&body), HOSTILE));
	buf_fini(&sub);
	buf_fini(&body);
	incidents_free(in);
}

static void
html_escapes_the_hostile_note(void **state)
{
	struct incident_info ii;
	struct incidents *in = outage(&ii);
	struct buf sub, body;

	(void)state;
	assert_int_equal(render("delays", &ii, NULL, NOTICE_HTML, &sub, &body),
	                 0);
	assert_null(strstr(buf_cstr(&body), "<script>"));
	assert_null(strstr(buf_cstr(&body), "<b>bold"));
	assert_non_null(strstr(buf_cstr(&body), "&lt;script&gt;"));
	assert_non_null(strstr(buf_cstr(&body), "<li>"));
	/* No scope: no delay figure, the sentence around it is left out. */
	assert_null(strstr(buf_cstr(&body), "late."));
	buf_fini(&sub);
	buf_fini(&body);
	/* The internal summary's HTML too (it has the whole timeline). */
	assert_int_equal(
	    render("internal", &ii, NULL, NOTICE_HTML, &sub, &body), 0);
	assert_null(strstr(buf_cstr(&body), "<script>"));
	assert_non_null(strstr(buf_cstr(&body), "&lt;b&gt;bold"));
	buf_fini(&sub);
	buf_fini(&body);
	incidents_free(in);
}

static void
slack_escapes_its_three(void **state)
{
	struct incident_info ii;
	struct incidents *in = outage(&ii);
	struct buf sub, body;

	(void)state;
	assert_int_equal(
	    render("internal", &ii, NULL, NOTICE_SLACK, &sub, &body), 0);
	assert_non_null(strstr(buf_cstr(&body),
	                       "&lt;script&gt;alert(1)&lt;/script&gt; &amp; "
	                       "&lt;b&gt;bold&lt;/b&gt;"));
	assert_non_null(strstr(buf_cstr(&sub), "[incident inc_"));
	assert_non_null(strstr(buf_cstr(&body), "What swerve did:"));
	assert_non_null(strstr(buf_cstr(&body), "failover started"));
	buf_fini(&sub);
	buf_fini(&body);
	incidents_free(in);
}

static void
resolved_and_status_page(void **state)
{
	struct incident_info ii;
	struct incidents *in = outage(&ii);
	struct buf sub, body;

	(void)state;
	/* Open: the status page says delays. */
	assert_int_equal(
	    render("status_page", &ii, NULL, NOTICE_TEXT, &sub, &body), 0);
	assert_non_null(strstr(buf_cstr(&body), "We are seeing delays"));
	buf_fini(&sub);
	buf_fini(&body);
	assert_int_equal(incidents_resolve(in, ii.id, "ops", NULL), 0);
	assert_int_equal(incidents_get(in, 0, &ii), 0);
	assert_int_equal(
	    render("status_page", &ii, NULL, NOTICE_TEXT, &sub, &body), 0);
	assert_non_null(strstr(buf_cstr(&body), "has been resolved"));
	buf_fini(&sub);
	buf_fini(&body);
	assert_int_equal(
	    render("resolved", &ii, NULL, NOTICE_TEXT, &sub, &body), 0);
	assert_memory_equal(buf_cstr(&sub), "Resolved: transactional and bulk",
	                    32);
	assert_non_null(strstr(buf_cstr(&body), "are over since"));
	buf_fini(&sub);
	buf_fini(&body);
	incidents_free(in);
}

static void
a_subject_stays_one_line_and_bad_names_are_refused(void **state)
{
	struct incidents *in = incidents_new(NULL, NULL, NULL, NULL, 0);
	struct incident_info ii;
	struct buf sub, body;
	char err[256];

	(void)state;
	/* An incident on no stream: the sentence reads without one. */
	incidents_on_event(&(struct events_item){.kind = EVENT_ALERT,
	                                         .at_ms = T0,
	                                         .state = "firing",
	                                         .reason = "r"},
	                   in);
	assert_int_equal(incidents_get(in, 0, &ii), 0);
	assert_int_equal(render("delays", &ii, NULL, NOTICE_TEXT, &sub, &body),
	                 0);
	assert_string_equal(buf_cstr(&sub), "Delays sending email");
	assert_non_null(strstr(buf_cstr(&body), "some of our email"));
	buf_fini(&sub);
	buf_fini(&body);
	buf_init(&sub);
	buf_init(&body);
	buf_addstr(&sub, "kept");
	assert_int_equal(incident_notice_render("apology", &ii, NULL, T0,
	                                        NOTICE_TEXT, &sub, &body, err,
	                                        sizeof(err)),
	                 -1);
	assert_non_null(strstr(err, "apology"));
	assert_string_equal(buf_cstr(&sub), "kept");
	assert_int_equal(body.len, 0);
	buf_fini(&sub);
	buf_fini(&body);
	assert_int_equal(incident_notice_format_parse("slack"), NOTICE_SLACK);
	assert_int_equal(incident_notice_format_parse("pdf"), -1);
	assert_int_equal(incident_notice_format_parse(NULL), -1);
	assert_true(incident_notice_known("status_page"));
	assert_false(incident_notice_known("apology"));
	incidents_free(in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(delays_text_names_streams_and_time),
	    cmocka_unit_test(html_escapes_the_hostile_note),
	    cmocka_unit_test(slack_escapes_its_three),
	    cmocka_unit_test(resolved_and_status_page),
	    cmocka_unit_test(
	        a_subject_stays_one_line_and_bad_names_are_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
