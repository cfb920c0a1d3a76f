/*
 * test_incident_report.c - the post-incident report: facts from the
 * timeline (detection, time to failover, time to fail back), the three
 * formats, hostile timeline text never breaking out of HTML or out of a
 * Markdown table cell, and a missing scope said plainly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "incident/incident.h"
#include "incident/incident_report.h"
#include "observe/events.h"

#define T0 1700000000000LL

/* outage - an incident through its whole life, with a hostile note. */
static struct incidents *
outage(void)
{
	struct incidents_opts o = {.quiet_ms = 60000};
	struct incidents *in = incidents_new(NULL, NULL, &o, NULL, 0);
	struct events_item ev[] = {
	    {.kind = EVENT_ATTEMPT,
	     .at_ms = T0,
	     .provider = "primary",
	     .cls = SEND_DEFERRED,
	     .text = "421 busy"},
	    {.kind = EVENT_ALERT,
	     .at_ms = T0 + 4000,
	     .state = "firing",
	     .reason = "circuit_open",
	     .provider = "primary"},
	    {.kind = EVENT_FAILOVER,
	     .at_ms = T0 + 5000,
	     .provider = "primary",
	     .to_provider = "backup",
	     .stream = "transactional"},
	};
	struct incident_info ii;

	for (size_t i = 0; i < sizeof(ev) / sizeof(ev[0]); i++)
		incidents_on_event(&ev[i], in);
	for (int k = 0; k < 10; k++)
		incidents_on_event(&(struct events_item){.kind = EVENT_ATTEMPT,
		                                         .at_ms = T0 + 6000 + k,
		                                         .provider = "backup",
		                                         .cls = SEND_ACCEPTED},
		                   in);
	assert_int_equal(incidents_get(in, 0, &ii), 0);
	assert_int_equal(incidents_note(in, ii.id, "eve",
	                                "</td><script>alert(1)</script> | x\n"
	                                "# not a heading",
	                                0),
	                 0);
	incidents_on_event(&(struct events_item){.kind = EVENT_CIRCUIT,
	                                         .at_ms = T0 + 60000,
	                                         .provider = "primary",
	                                         .state = "closed",
	                                         .reason = "probe ok"},
	                   in);
	incidents_on_event(&(struct events_item){.kind = EVENT_ALERT,
	                                         .at_ms = T0 + 61000,
	                                         .state = "resolved",
	                                         .reason = "circuit_open",
	                                         .provider = "primary"},
	                   in);
	incidents_tick(in, T0 + 60000 + 5 * 60000);
	incidents_tick(in, T0 + 60000 + 6 * 60000);
	return in;
}

static void
facts_from_the_timeline(void **state)
{
	struct incidents *in = outage();
	struct incident_info ii;
	struct incident_facts f;

	(void)state;
	assert_int_equal(incidents_get(in, 0, &ii), 0);
	assert_int_equal(ii.status, INCIDENT_RESOLVED);
	incident_report_facts(&ii, T0 + 3600000, &f);
	assert_int_equal(f.first_failure_ms, T0);
	assert_int_equal(f.detected_ms, T0 + 4000);
	assert_int_equal(f.detection, 4000);
	assert_int_equal(f.failover_ms, T0 + 5000);
	assert_int_equal(f.moved_ms, T0 + 6009);
	assert_int_equal(f.to_failover, 6009);
	assert_int_equal(f.healed_ms, T0 + 60000);
	assert_int_equal(f.failback_ms, T0 + 60000 + 5 * 60000);
	assert_int_equal(f.to_failback, 5 * 60000);
	assert_int_equal(f.duration, ii.resolved_ms - ii.started_ms);
	assert_int_equal(f.n_human, 1);
	assert_true(f.n_auto >= 6);
	incidents_free(in);
}

static void
html_escapes_hostile_text(void **state)
{
	struct incidents *in = outage();
	struct incident_info ii;
	struct buf b;

	(void)state;
	assert_int_equal(incidents_get(in, 0, &ii), 0);
	buf_init(&b);
	incident_report_render(&ii, NULL, T0, INCIDENT_REPORT_HTML, &b);
	assert_non_null(strstr(buf_cstr(&b), "<!DOCTYPE html>"));
	assert_null(strstr(buf_cstr(&b), "<script>"));
	assert_null(strstr(buf_cstr(&b), "</td><script"));
	assert_non_null(
	    strstr(buf_cstr(&b), "&lt;/td&gt;&lt;script&gt;alert(1)"));
	assert_non_null(strstr(buf_cstr(&b), "could not be read"));
	assert_non_null(strstr(buf_cstr(&b), "<h2>Lessons</h2>"));
	buf_fini(&b);
	incidents_free(in);
}

static void
markdown_keeps_cells(void **state)
{
	struct incidents *in = outage();
	struct incident_info ii;
	struct buf b;
	const char *s, *line;

	(void)state;
	assert_int_equal(incidents_get(in, 0, &ii), 0);
	buf_init(&b);
	incident_report_render(&ii, NULL, T0, INCIDENT_REPORT_MD, &b);
	s = buf_cstr(&b);
	assert_memory_equal(s, "# Post-incident report: inc_", 28);
	assert_non_null(strstr(s, "## Timeline"));
	assert_non_null(strstr(s, "Detection time (first failure -> alert) "
	                          "| 4.0 s |"));
	/* The note stays one line, its | escaped. */
	line = strstr(s, "| eve | note |");
	assert_non_null(line);
	assert_non_null(strstr(line, "\\| x # not a heading |"));
	assert_null(strstr(s, "\n# not a heading"));
	buf_fini(&b);
	incidents_free(in);
}

static void
json_has_record_facts_and_scope(void **state)
{
	struct incidents *in = outage();
	struct incident_info ii;
	struct incident_figures st = {.stream = "transactional",
	                              .affected = 3,
	                              .rerouted = 2,
	                              .p99_ms = 900,
	                              .max_ms = 1200};
	struct incident_count dom = {.name = "b.example", .n = 3};
	struct incident_scope sc = {.total = st,
	                            .streams = &st,
	                            .n_streams = 1,
	                            .domains = &dom,
	                            .n_domains = 1};
	struct buf b;
	json_t *o;

	(void)state;
	sc.total.stream = NULL;
	assert_int_equal(incidents_get(in, 0, &ii), 0);
	buf_init(&b);
	incident_report_render(&ii, &sc, T0, INCIDENT_REPORT_JSON, &b);
	o = json_loads(buf_cstr(&b), 0, NULL);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "status")),
	                    "resolved");
	assert_int_equal(json_integer_value(json_object_get(
	                     json_object_get(o, "facts"), "detection_ms")),
	                 4000);
	assert_true(json_is_null(json_object_get(json_object_get(o, "facts"),
	                                         "healed_at")) == 0);
	assert_int_equal(
	    json_integer_value(json_object_get(
	        json_object_get(json_object_get(o, "scope"), "total"),
	        "affected")),
	    3);
	assert_true(json_array_size(json_object_get(o, "updates")) ==
	            ii.n_updates);
	json_decref(o);
	buf_fini(&b);
	/* The Markdown report shows the stream's row and the total. */
	buf_init(&b);
	incident_report_render(&ii, &sc, T0, INCIDENT_REPORT_MD, &b);
	assert_non_null(strstr(buf_cstr(&b), "| transactional | 3 | 2 | 0 |"
	                                     " 900 ms | 1.2 s |"));
	assert_non_null(strstr(buf_cstr(&b), "| all | 3 |"));
	buf_fini(&b);
	incidents_free(in);
}

static void
formats_parse(void **state)
{
	(void)state;
	assert_int_equal(incident_report_format_parse("md"),
	                 INCIDENT_REPORT_MD);
	assert_int_equal(incident_report_format_parse("html"),
	                 INCIDENT_REPORT_HTML);
	assert_int_equal(incident_report_format_parse("json"),
	                 INCIDENT_REPORT_JSON);
	assert_int_equal(incident_report_format_parse("pdf"), -1);
	assert_int_equal(incident_report_format_parse(NULL), -1);
	assert_string_equal(incident_report_ext(INCIDENT_REPORT_HTML), "html");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(facts_from_the_timeline),
	    cmocka_unit_test(html_escapes_hostile_text),
	    cmocka_unit_test(markdown_keeps_cells),
	    cmocka_unit_test(json_has_record_facts_and_scope),
	    cmocka_unit_test(formats_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
