/*
 * test_drill.c - the pure parts of outage drills: faults (parse, the
 * simulated answers through the failure policy), schedules under the
 * clock seam, the observation's figures, the report and its renderings,
 * and the drill: / drills: configuration.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"
#include "core/buf.h"
#include "core/clock.h"
#include "drill/drill_fault.h"
#include "drill/drill_label.h"
#include "drill/drill_obs.h"
#include "drill/drill_report.h"
#include "drill/drill_sched.h"
#include "observe/events.h"

/* ---- faults ---------------------------------------------------------- */

static void
test_fault_parse_good(void **state)
{
	struct drill_fault f;
	char err[200], text[40];

	(void)state;
	assert_int_equal(drill_fault_parse("outage", &f, err, sizeof(err)), 0);
	assert_int_equal(f.kind, DRILL_FAULT_OUTAGE);
	assert_int_equal(drill_fault_parse("slow:2s", &f, err, sizeof(err)), 0);
	assert_int_equal(f.kind, DRILL_FAULT_SLOW);
	assert_int_equal(f.param_ms, 2000);
	drill_fault_text(&f, text, sizeof(text));
	assert_string_equal(text, "slow:2s");
	assert_int_equal(drill_fault_parse("flap:30s", &f, err, sizeof(err)),
	                 0);
	assert_int_equal(f.param_ms, 30000);
	assert_int_equal(drill_fault_parse("throttle", &f, err, sizeof(err)),
	                 0);
	assert_int_equal(f.param_ms, 30000);
	assert_int_equal(
	    drill_fault_parse("throttle:500ms", &f, err, sizeof(err)), 0);
	drill_fault_text(&f, text, sizeof(text));
	assert_string_equal(text, "throttle:500ms");
	assert_int_equal(drill_fault_parse("hang", &f, err, sizeof(err)), 0);
	assert_int_equal(drill_fault_parse("tempfail", &f, err, sizeof(err)),
	                 0);
	assert_int_equal(drill_fault_parse("account", &f, err, sizeof(err)), 0);
}

static void
test_fault_parse_malformed(void **state)
{
	static const char *const bad[] = {
	    "",          "out",       "outage:5s", "slow",
	    "slow:",     "slow:-1s",  "flap:0s",   "flap:2h",
	    "hang:1s",   "OUTAGE",    "slow:2s:3", "slow:2s ",
	    "throttle:", "account:x", "slow:50ms", "tempfail:1s",
	};
	struct drill_fault f;
	char err[200];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (drill_fault_parse(bad[i], &f, err, sizeof(err)) != -1)
			fail_msg("fault \"%s\" was accepted", bad[i]);
		assert_true(strlen(err) > 0);
	}
	assert_int_equal(drill_fault_parse(NULL, &f, err, sizeof(err)), -1);
}

/* answer - the simulated answer of fault text at a provider of type. */
static struct send_result
answer(const char *fault, const char *type, uint64_t *after)
{
	struct drill_fault f;
	struct send_result r;
	char err[200];

	assert_int_equal(drill_fault_parse(fault, &f, err, sizeof(err)), 0);
	memset(&r, 0, sizeof(r));
	drill_fault_answer(&f, type, "dr-1", 5000, &r, after);
	return r;
}

static void
test_fault_answers(void **state)
{
	static const char *const types[] = {"smtp",    "ses",      "sendgrid",
	                                    "mailgun", "postmark", "resend"};
	uint64_t after;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct send_result r;
		r = answer("outage", types[i], &after);
		assert_int_equal(r.class, SEND_DEFERRED);
		assert_int_equal(r.stage, SEND_STAGE_CONNECT);
		assert_int_equal(after, 0);
		assert_non_null(strstr(r.text, "drill dr-1"));
		r = answer("hang", types[i], &after);
		assert_int_equal(r.class, SEND_DEFERRED);
		assert_int_equal(after, 5000);
		/* Before anything was sent: never after the request. */
		assert_true(r.stage == SEND_STAGE_CONNECT ||
		            r.stage == SEND_STAGE_GREETING);
		r = answer("tempfail", types[i], &after);
		assert_int_equal(r.class, SEND_DEFERRED);
		r = answer("throttle:7s", types[i], &after);
		assert_int_equal(r.class, SEND_THROTTLED);
		assert_true(r.retry_after_ms >= 7000);
		r = answer("account", types[i], &after);
		assert_int_equal(r.class, SEND_CONFIG);
		r = answer("flap:30s", types[i], &after);
		assert_int_equal(r.class, SEND_DEFERRED);
	}
}

static void
test_fault_failing(void **state)
{
	struct drill_fault f;
	char err[100];

	(void)state;
	assert_int_equal(drill_fault_parse("flap:30s", &f, err, sizeof(err)),
	                 0);
	assert_true(drill_fault_failing(&f, 0));
	assert_true(drill_fault_failing(&f, 29999));
	assert_false(drill_fault_failing(&f, 30000));
	assert_false(drill_fault_failing(&f, 59999));
	assert_true(drill_fault_failing(&f, 60000));
	assert_int_equal(drill_fault_parse("slow:2s", &f, err, sizeof(err)), 0);
	assert_false(drill_fault_failing(&f, 0));
	assert_int_equal(drill_fault_parse("outage", &f, err, sizeof(err)), 0);
	assert_true(drill_fault_failing(&f, 123456789));
}

/* ---- schedules, under the clock seam --------------------------------- */

static int64_t fake_wall_us;

static uint64_t
fake_mono(void *arg)
{
	(void)arg;
	return 1000000;
}

static int64_t
fake_wall(void *arg)
{
	(void)arg;
	return fake_wall_us;
}

/* at - ms since the epoch of an RFC 3339-ish UTC time (via timegm). */
static int64_t
at(int y, int mo, int d, int h, int mi)
{
	struct tm tm = {0};

	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	return (int64_t)timegm(&tm) * 1000;
}

static void
test_sched_next(void **state)
{
	struct clock_source src = {fake_mono, fake_wall, NULL};
	struct drill_sched s;
	char err[200];

	(void)state;
	clock_source_set(&src);
	/* 2026-12-14 is a Monday. */
	fake_wall_us = at(2026, 12, 14, 2, 59) * 1000;
	assert_int_equal(
	    drill_sched_parse("Mon 03:00", NULL, &s, err, sizeof(err)), 0);
	assert_int_equal(drill_sched_next(&s, clock_wall_ms()),
	                 at(2026, 12, 14, 3, 0));
	/* At the minute itself: the next week. */
	fake_wall_us = at(2026, 12, 14, 3, 0) * 1000;
	assert_int_equal(drill_sched_next(&s, clock_wall_ms()),
	                 at(2026, 12, 21, 3, 0));
	/* From a Wednesday. */
	fake_wall_us = at(2026, 12, 16, 12, 0) * 1000;
	assert_int_equal(drill_sched_next(&s, clock_wall_ms()),
	                 at(2026, 12, 21, 3, 0));
	/* Two days, a fixed offset: Thu 14:30 at +02:00 is 12:30 UTC. */
	assert_int_equal(
	    drill_sched_parse("mon,THU 14:30", "+02:00", &s, err, sizeof(err)),
	    0);
	assert_int_equal(drill_sched_next(&s, clock_wall_ms()),
	                 at(2026, 12, 17, 12, 30));
	/* West of UTC across midnight: Mon 23:00 at -05:00 is Tue 04:00. */
	assert_int_equal(
	    drill_sched_parse("Mon 23:00", "-05:00", &s, err, sizeof(err)), 0);
	fake_wall_us = at(2026, 12, 15, 3, 0) * 1000;
	assert_int_equal(drill_sched_next(&s, clock_wall_ms()),
	                 at(2026, 12, 15, 4, 0));
	/* Daily. */
	assert_int_equal(
	    drill_sched_parse("daily 00:05", "UTC", &s, err, sizeof(err)), 0);
	assert_int_equal(drill_sched_next(&s, clock_wall_ms()),
	                 at(2026, 12, 16, 0, 5));
	assert_int_equal(drill_sched_parse("06:00", NULL, &s, err, sizeof(err)),
	                 0);
	assert_int_equal(drill_sched_next(&s, clock_wall_ms()),
	                 at(2026, 12, 15, 6, 0));
	clock_source_set(NULL);
}

static void
test_sched_malformed(void **state)
{
	static const char *const bad[][2] = {
	    {"", NULL},
	    {"Mon", NULL},
	    {"Mon 3:00", NULL},
	    {"Mon 24:00", NULL},
	    {"Mon 03:60", NULL},
	    {"Mo 03:00", NULL},
	    {"Mon,,Tue 03:00", NULL},
	    {"Funday 03:00", NULL},
	    {"Mon 03:00 ", NULL},
	    {"Mon 03:00", "CET"},
	    {"Mon 03:00", "+2"},
	    {"Mon 03:00", "+15:00"},
	    {"Mon 03:00", "02:00"},
	    {"Mon  03:00", NULL},
	    {" 03:00", "UTC"},
	    {",Mon 03:00", NULL},
	};
	struct drill_sched s;
	char err[200];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (drill_sched_parse(bad[i][0], bad[i][1], &s, err,
		                      sizeof(err)) != -1)
			fail_msg("schedule \"%s\" tz %s was accepted",
			         bad[i][0], bad[i][1] ? bad[i][1] : "-");
		assert_true(strlen(err) > 0);
	}
	assert_int_equal(drill_sched_parse(NULL, NULL, &s, err, sizeof(err)),
	                 -1);
}

/* ---- observation and report ------------------------------------------ */

#define T0 1700000000000LL

static void
ev(struct drill_obs *o, enum event_kind k, int64_t t, const char *provider,
   const char *msg, enum send_class cls, int drill)
{
	struct events_item e = {
	    .kind = k,
	    .at_ms = t,
	    .provider = provider,
	    .msg_id = msg,
	    .stream = "transactional",
	    .cls = cls,
	    .drill = drill,
	};

	if (k == EVENT_CIRCUIT)
		e.state = "open";
	if (k == EVENT_ALERT)
		e.state = "firing";
	if (k == EVENT_NOTIFIED)
		e.state = "ok";
	if (k == EVENT_SENT)
		e.latency_ms = (uint64_t)(t - T0) / 10;
	drill_obs_event(o, &e);
}

static void
test_obs_figures(void **state)
{
	struct drill_obs o;
	struct drill_meta m = {0};
	struct config_drill_objectives obj = {10000, 60000, 5000, 2000, 0};
	struct drill_lost lost = {true, 0, 0};
	json_t *r, *fig;
	char id[ID_SIZE];
	int i;

	(void)state;
	drill_obs_init(&o, "primary", NULL, T0, 60000);
	/* Simulated failures at 1.0 s and 1.2 s, circuit open at 1.5 s. */
	ev(&o, EVENT_ATTEMPT, T0 + 1000, "primary", "m1", SEND_DEFERRED, 1);
	ev(&o, EVENT_FAILOVER, T0 + 1000, "primary", "m1", SEND_DEFERRED, 1);
	ev(&o, EVENT_ATTEMPT, T0 + 1200, "primary", "m2", SEND_DEFERRED, 1);
	ev(&o, EVENT_CIRCUIT, T0 + 1500, "primary", NULL, SEND_DEFERRED, 1);
	/* m1 accepted by the backup at 1.3 s; m3 (never touched) too. */
	ev(&o, EVENT_ATTEMPT, T0 + 1300, "backup", "m3", SEND_ACCEPTED, 0);
	ev(&o, EVENT_ATTEMPT, T0 + 1300, "backup", "m1", SEND_ACCEPTED, 0);
	for (i = 2; i < 10; i++) {
		snprintf(id, sizeof(id), "n%d", i);
		ev(&o, EVENT_ATTEMPT, T0 + i * 1000 + 100, "backup", id,
		   SEND_ACCEPTED, 0);
		ev(&o, EVENT_SENT, T0 + i * 1000 + 100, "backup", id,
		   SEND_ACCEPTED, 0);
	}
	ev(&o, EVENT_ALERT, T0 + 2000, "primary", NULL, SEND_DEFERRED, 1);
	ev(&o, EVENT_NOTIFIED, T0 + 4000, NULL, NULL, SEND_DEFERRED, 0);
	assert_true(drill_obs_touched(&o, "m1"));
	assert_false(drill_obs_touched(&o, "m3"));
	drill_obs_end(&o, T0 + 10000);
	ev(&o, EVENT_ATTEMPT, T0 + 12500, "primary", "z", SEND_ACCEPTED, 0);

	snprintf(m.id, sizeof(m.id), "dr-x");
	snprintf(m.provider, sizeof(m.provider), "primary");
	snprintf(m.fault, sizeof(m.fault), "outage");
	snprintf(m.state, sizeof(m.state), "ended");
	m.share = 1;
	m.notifiers = true;
	r = drill_report_build(&m, &o, &obj, &lost);
	fig = json_object_get(r, "figures");
	assert_int_equal(json_integer_value(json_object_get(fig, "detect_ms")),
	                 500);
	assert_int_equal(json_integer_value(json_object_get(fig, "alert_ms")),
	                 3000);
	assert_int_equal(
	    json_integer_value(json_object_get(fig, "failover_first_ms")), 300);
	/* Second 1 had two of four attempts at the provider; from second 2
	 * on none: 95% elsewhere from T0 + 2 s, 1 s after the first. */
	assert_int_equal(
	    json_integer_value(json_object_get(fig, "failover_95_ms")), 1000);
	assert_int_equal(
	    json_integer_value(json_object_get(fig, "failback_ms")), 2500);
	assert_int_equal(json_integer_value(json_object_get(fig, "rerouted")),
	                 1);
	assert_int_equal(json_integer_value(json_object_get(fig, "simulated")),
	                 2);
	assert_int_equal(json_integer_value(json_object_get(fig, "lost")), 0);
	assert_true(json_is_true(json_object_get(r, "passed")));
	json_decref(r);

	/* Slower than the objectives, and a message lost: failed. */
	obj.detect_ms = 100;
	lost.lost = 1;
	r = drill_report_build(&m, &o, &obj, &lost);
	assert_true(json_is_false(json_object_get(r, "passed")));
	{
		json_t *row;
		size_t k;
		int failed = 0;
		json_array_foreach(
		    json_object_get(r, "objectives"), k,
		    row) if (json_is_false(json_object_get(row, "pass")))
		    failed++;
		assert_int_equal(failed, 2);
	}
	json_decref(r);
	drill_obs_fini(&o);
}

static void
test_obs_nothing_seen(void **state)
{
	struct drill_obs o;
	struct drill_meta m = {0};
	struct config_drill_objectives obj = {10000, 60000, 5000, 2000, 0};
	json_t *r, *fig;

	(void)state;
	drill_obs_init(&o, "primary", "critical", T0, 5000);
	drill_obs_end(&o, T0 + 5000);
	r = drill_report_build(&m, &o, &obj, NULL);
	fig = json_object_get(r, "figures");
	assert_true(json_is_null(json_object_get(fig, "detect_ms")));
	assert_true(json_is_null(json_object_get(fig, "lost")));
	assert_true(json_is_null(json_object_get(fig, "failover_95_ms")));
	json_decref(r);
	drill_obs_fini(&o);
}

static void
test_obs_percentiles(void **state)
{
	struct drill_obs_stream s = {0};
	uint64_t v[] = {5, 1, 4, 2, 3, 10, 9, 8, 7, 6};

	(void)state;
	s.ms = v;
	s.n = 10;
	assert_int_equal(drill_obs_percentile(&s, 50), 5);
	assert_int_equal(drill_obs_percentile(&s, 99), 10);
	assert_int_equal(drill_obs_percentile(&s, 0), 1);
	s.n = 0;
	assert_int_equal(drill_obs_percentile(&s, 99), 0);
}

static void
test_obs_many_ids(void **state)
{
	struct drill_obs o;
	char id[ID_SIZE];
	int i;

	(void)state;
	drill_obs_init(&o, "p", NULL, T0, 1000);
	for (i = 0; i < 5000; i++) {
		snprintf(id, sizeof(id), "id%d", i);
		ev(&o, EVENT_ATTEMPT, T0 + 1, "p", id, SEND_DEFERRED, 1);
	}
	assert_int_equal(o.n_ids, 5000);
	assert_true(drill_obs_touched(&o, "id0"));
	assert_true(drill_obs_touched(&o, "id4999"));
	assert_false(drill_obs_touched(&o, "id5000"));
	drill_obs_fini(&o);
}

static void
test_render(void **state)
{
	struct drill_obs o;
	struct drill_meta m = {0};
	struct config_drill_objectives obj = {10000, 60000, 5000, 2000, 0};
	struct drill_lost lost = {true, 0, 0};
	struct buf b;
	json_t *r, *arr;
	char err[200];

	(void)state;
	drill_obs_init(&o, "primary", NULL, T0, 5000);
	ev(&o, EVENT_ATTEMPT, T0 + 10, "primary", "m1", SEND_DEFERRED, 1);
	ev(&o, EVENT_SENT, T0 + 900, "backup", "m1", SEND_ACCEPTED, 0);
	drill_obs_note(&o, "backup <b> throttled & \"slowed\"");
	snprintf(m.id, sizeof(m.id), "dr-r");
	snprintf(m.provider, sizeof(m.provider), "primary");
	snprintf(m.fault, sizeof(m.fault), "outage");
	r = drill_report_build(&m, &o, &obj, &lost);
	buf_init(&b);
	assert_int_equal(drill_report_render(r, "text", &b, err, sizeof(err)),
	                 0);
	assert_non_null(strstr(buf_cstr(&b), "detect_within"));
	assert_non_null(strstr(buf_cstr(&b), "transactional"));
	b.len = 0;
	assert_int_equal(drill_report_render(r, "md", &b, err, sizeof(err)), 0);
	assert_non_null(strstr(buf_cstr(&b), "| objective | target |"));
	b.len = 0;
	assert_int_equal(drill_report_render(r, "html", &b, err, sizeof(err)),
	                 0);
	assert_non_null(strstr(buf_cstr(&b), "&lt;b&gt; throttled &amp; "
	                                     "&quot;slowed&quot;"));
	assert_null(strstr(buf_cstr(&b), "<b>"));
	b.len = 0;
	assert_int_equal(drill_report_render(r, "json", &b, err, sizeof(err)),
	                 0);
	assert_non_null(strstr(buf_cstr(&b), "\"figures\""));
	assert_int_equal(drill_report_render(r, "pdf", &b, err, sizeof(err)),
	                 -1);
	assert_non_null(strstr(err, "pdf"));
	/* History: the same drill twice, slower the second time. */
	arr = json_array();
	json_array_append(arr, r);
	json_object_set_new(json_object_get(r, "figures"), "detect_ms",
	                    json_integer(1000));
	{
		json_t *r2 = json_deep_copy(r);
		json_object_set_new(json_object_get(r2, "figures"), "detect_ms",
		                    json_integer(9000));
		json_array_append_new(arr, r2);
	}
	b.len = 0;
	drill_history_render(arr, &b);
	assert_non_null(strstr(buf_cstr(&b), "slower/"));
	json_decref(arr);
	buf_fini(&b);
	json_decref(r);
	drill_obs_fini(&o);
}

static void
test_label(void **state)
{
	(void)state;
	assert_null(drill_label_match("p", NULL));
	drill_label_set("dr-1", "p", NULL, CONFIG_DRILL_NOTIFY_QUIET);
	assert_string_equal(drill_label_match("p", NULL), "dr-1");
	assert_null(drill_label_match("q", NULL));
	assert_string_equal(drill_label_match(NULL, "bulk"), "dr-1");
	assert_int_equal(drill_label_notify(), CONFIG_DRILL_NOTIFY_QUIET);
	drill_label_set("dr-2", "p", "critical", CONFIG_DRILL_NOTIFY_REAL);
	assert_null(drill_label_match(NULL, "bulk"));
	assert_string_equal(drill_label_match(NULL, "critical"), "dr-2");
	drill_label_set(NULL, NULL, NULL, 0);
	assert_null(drill_label_match("p", NULL));
	assert_int_equal(drill_label_notify(), CONFIG_DRILL_NOTIFY_LABELLED);
}

/* ---- configuration --------------------------------------------------- */

#define CFG_HEAD                                                               \
	"providers:\n"                                                         \
	"  - {name: primary, type: smtp, host: 127.0.0.1, port: 2525}\n"       \
	"  - {name: backup, type: smtp, host: 127.0.0.1, port: 2526}\n"

static struct config *
load(const char *yaml, char *err, size_t n)
{
	return config_load_buf(yaml, strlen(yaml), "t.yaml", err, n);
}

static void
test_config_good(void **state)
{
	char err[CONFIG_ERR_SIZE] = "";
	struct config *c;

	(void)state;
	c = load(CFG_HEAD, err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(c->drill_objectives.detect_ms, 10000);
	assert_int_equal(c->drill_objectives.alert_ms, 60000);
	assert_int_equal(c->drill_objectives.failover_ms, 5000);
	assert_int_equal(c->drill_objectives.critical_p99_ms, 2000);
	assert_int_equal(c->drill_objectives.lost, 0);
	assert_int_equal(c->drill_notify, CONFIG_DRILL_NOTIFY_LABELLED);
	config_free(c);
	c = load(
	    CFG_HEAD
	    "drill: {notify: quiet, max_duration: 2h,"
	    " objectives: {detect_within: 3s, lost: 2}}\n"
	    "drills:\n"
	    "  - {name: weekly, provider: primary, fault: outage,"
	    " duration: 10m, schedule: \"Mon 03:00\", timezone: \"+01:00\","
	    " share: 50%, stream: critical, objectives: {alert_within: 2m}}\n",
	    err, sizeof(err));
	if (c == NULL)
		fail_msg("%s", err);
	assert_int_equal(c->drill_notify, CONFIG_DRILL_NOTIFY_QUIET);
	assert_int_equal(c->drill_objectives.detect_ms, 3000);
	assert_int_equal(c->drill_objectives.lost, 2);
	assert_int_equal(c->n_drills, 1);
	assert_string_equal(c->drills[0].fault, "outage");
	assert_int_equal(c->drills[0].duration_ms, 600000);
	assert_int_equal(c->drills[0].objectives.alert_ms, 120000);
	assert_true(c->drills[0].objectives.detect_ms == CONFIG_DRILL_UNSET);
	assert_true(c->drills[0].share > 0.49 && c->drills[0].share < 0.51);
	config_free(c);
}

static void
test_config_malformed(void **state)
{
	static const char *const bad[][2] = {
	    {"drills:\n  - {name: a, provider: nope, fault: outage,"
	     " schedule: \"Mon 03:00\"}\n",
	     "no provider named"},
	    {"drills:\n  - {name: a, provider: primary, fault: melt,"
	     " schedule: \"Mon 03:00\"}\n",
	     "unknown fault"},
	    {"drills:\n  - {name: a, provider: primary, fault: outage,"
	     " schedule: \"Mon 3am\"}\n",
	     "HH:MM"},
	    {"drills:\n  - {name: a, provider: primary, fault: outage,"
	     " schedule: \"Mon 03:00\", timezone: Europe/Paris}\n",
	     "timezone"},
	    {"drills:\n  - {name: a, provider: primary, fault: outage,"
	     " schedule: \"Mon 03:00\", stream: nope}\n",
	     "no stream named"},
	    {"drills:\n  - {name: a, provider: primary, fault: outage,"
	     " schedule: \"Mon 03:00\", duration: 3h}\n",
	     "max_duration"},
	    {"drills:\n  - {name: a, provider: primary, fault: outage,"
	     " schedule: \"Mon 03:00\"}\n"
	     "  - {name: a, provider: backup, fault: hang,"
	     " schedule: \"Tue 03:00\"}\n",
	     "another drill"},
	    {"drills:\n  - {name: a, provider: primary, fault: outage}\n",
	     "schedule"},
	    {"drill: {notify: loud}\n", "notify"},
	    {"drill: {objectives: {detect_within: soon}}\n", "detect_within"},
	    {"drill: {objectives: {lost: -1}}\n", "lost"},
	};
	char yaml[1024], err[CONFIG_ERR_SIZE];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct config *c;
		snprintf(yaml, sizeof(yaml), "%s%s", CFG_HEAD, bad[i][0]);
		err[0] = '\0';
		c = load(yaml, err, sizeof(err));
		if (c != NULL) {
			config_free(c);
			fail_msg("case %zu was accepted", i);
		}
		if (strstr(err, bad[i][1]) == NULL)
			fail_msg("case %zu: \"%s\" not in: %s", i, bad[i][1],
			         err);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fault_parse_good),
	    cmocka_unit_test(test_fault_parse_malformed),
	    cmocka_unit_test(test_fault_answers),
	    cmocka_unit_test(test_fault_failing),
	    cmocka_unit_test(test_sched_next),
	    cmocka_unit_test(test_sched_malformed),
	    cmocka_unit_test(test_obs_figures),
	    cmocka_unit_test(test_obs_nothing_seen),
	    cmocka_unit_test(test_obs_percentiles),
	    cmocka_unit_test(test_obs_many_ids),
	    cmocka_unit_test(test_render),
	    cmocka_unit_test(test_label),
	    cmocka_unit_test(test_config_good),
	    cmocka_unit_test(test_config_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
