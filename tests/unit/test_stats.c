/*
 * test_stats.c - counters and histograms learnt from events: bounded
 * labels, histogram shape, the queue estimate, the 5-minute share.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "config/config.h"
#include "core/buf.h"
#include "core/id.h"
#include "observe/events.h"
#include "observe/metrics.h"
#include "observe/stats.h"

static int64_t fake_now = 1800000000000LL;

static int64_t
clock_fake(void)
{
	return fake_now;
}

static struct config_provider provs[3] = {
    {.name = "primary"}, {.name = "backup"}, {.name = "third"}};
static struct config_stream streams[2] = {{.name = "transactional"},
                                          {.name = "bulk"}};
static struct config_user users[1] = {{.name = "app1"}};

static struct stats *
stats_make(void)
{
	static struct config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.providers = provs;
	cfg.n_providers = 3;
	cfg.streams = streams;
	cfg.n_streams = 2;
	cfg.users = users;
	cfg.n_users = 1;
	fake_now = 1800000000000LL;
	return stats_new(&cfg, clock_fake);
}

static char *
render(struct stats *st)
{
	struct metrics_writer w;
	struct buf out;

	buf_init(&out);
	metrics_writer_text(&w, &out);
	stats_render(st, &w);
	buf_cstr(&out);
	return out.p;
}

/* has - the exposition contains line (a whole line). */
static bool
has(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p = text;

	while ((p = strstr(p, line)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
		p++;
	}
	return false;
}

static void
emit(struct stats *st, enum event_kind k, const char *id, const char *stream,
     const char *prov, enum send_class cls)
{
	struct events_item e = {.kind = k,
	                        .msg_id = id,
	                        .stream = stream,
	                        .provider = prov,
	                        .cls = cls,
	                        .tenant = "app1"};

	stats_on_event(&e, st);
}

static void
deliveries_are_counted_by_provider_stream_and_class(void **state)
{
	struct stats *st = stats_make();
	char *t;

	emit(st, EVENT_ATTEMPT, NULL, "bulk", "primary", SEND_ACCEPTED);
	emit(st, EVENT_ATTEMPT, NULL, "bulk", "primary", SEND_ACCEPTED);
	emit(st, EVENT_ATTEMPT, NULL, "transactional", "backup",
	     SEND_THROTTLED);
	t = render(st);
	assert_true(has(t, "swerve_deliveries_total{provider=\"primary\","
	                   "stream=\"bulk\",class=\"accepted\"} 2"));
	assert_true(has(t, "swerve_deliveries_total{provider=\"backup\","
	                   "stream=\"transactional\",class=\"throttled\"} 1"));
	/* Configured series exist before they count anything. */
	assert_true(has(t, "swerve_deliveries_total{provider=\"third\","
	                   "stream=\"bulk\",class=\"config\"} 0"));
	free(t);
	stats_free(st);
}

static void
unknown_names_count_as_other_so_labels_stay_bounded(void **state)
{
	struct stats *st = stats_make();
	char *t;
	int i;

	t = render(st);
	assert_null(strstr(t, "\"other\""));
	free(t);
	for (i = 0; i < 100; i++) {
		char name[32];
		snprintf(name, sizeof(name), "made-up-%d", i);
		emit(st, EVENT_ATTEMPT, NULL, name, name, SEND_DEFERRED);
	}
	t = render(st);
	assert_true(has(t, "swerve_deliveries_total{provider=\"other\","
	                   "stream=\"other\",class=\"deferred\"} 100"));
	assert_null(strstr(t, "made-up"));
	free(t);
	stats_free(st);
}

static void
failovers_are_counted_from_and_to(void **state)
{
	struct stats *st = stats_make();
	struct events_item e = {.kind = EVENT_FAILOVER,
	                        .stream = "transactional",
	                        .provider = "primary",
	                        .to_provider = "backup"};
	char *t;

	stats_on_event(&e, st);
	stats_on_event(&e, st);
	t = render(st);
	assert_true(has(t, "swerve_provider_failovers_total{from=\"primary\","
	                   "to=\"backup\"} 2"));
	assert_true(has(t, "swerve_provider_failovers_total{from=\"backup\","
	                   "to=\"primary\"} 0"));
	/* No self-pairs. */
	assert_null(strstr(t, "{from=\"primary\",to=\"primary\"}"));
	assert_true(has(t, "swerve_stream_messages_total{stream="
	                   "\"transactional\",outcome=\"failover\"} 2"));
	free(t);
	stats_free(st);
}

static void
latency_histogram_is_cumulative_with_sum_and_count(void **state)
{
	struct stats *st = stats_make();
	struct events_item e = {.kind = EVENT_SENT,
	                        .stream = "bulk",
	                        .provider = "primary",
	                        .latency_ms = 300};
	char *t;

	stats_on_event(&e, st);
	e.latency_ms = 7200000; /* two hours: past the last bound */
	stats_on_event(&e, st);
	t = render(st);
	assert_true(has(t, "# TYPE swerve_delivery_latency_seconds histogram"));
	assert_true(has(t, "swerve_delivery_latency_seconds_bucket{stream="
	                   "\"bulk\",le=\"0.25\"} 0"));
	assert_true(has(t, "swerve_delivery_latency_seconds_bucket{stream="
	                   "\"bulk\",le=\"0.5\"} 1"));
	assert_true(has(t, "swerve_delivery_latency_seconds_bucket{stream="
	                   "\"bulk\",le=\"3600\"} 1"));
	assert_true(has(t, "swerve_delivery_latency_seconds_bucket{stream="
	                   "\"bulk\",le=\"+Inf\"} 2"));
	assert_true(has(t, "swerve_delivery_latency_seconds_count{stream="
	                   "\"bulk\"} 2"));
	assert_true(has(t, "swerve_delivery_latency_seconds_sum{stream="
	                   "\"bulk\"} 7200.3000000000002"));
	free(t);
	stats_free(st);
}

static void
queue_estimate_reports_the_oldest_until_it_is_sent(void **state)
{
	struct stats *st = stats_make();
	char old[ID_SIZE], young[ID_SIZE], *t;
	uint64_t n, age;

	id_make(old, (uint64_t)fake_now - 90000, 1);
	id_make(young, (uint64_t)fake_now - 5000, 2);
	emit(st, EVENT_ACCEPTED, young, NULL, NULL, SEND_ACCEPTED);
	emit(st, EVENT_DEFERRED, old, "bulk", NULL, SEND_DEFERRED);
	assert_int_equal(stats_stream_queue(st, 0, &n, &age), 0);
	assert_int_equal(n, 1); /* no stream: counted as transactional */
	assert_int_equal(age, 5000);
	assert_int_equal(stats_stream_queue(st, 1, &n, &age), 0);
	assert_int_equal(n, 1);
	assert_int_equal(age, 90000);
	t = render(st);
	assert_true(has(t, "swerve_stream_oldest_message_age_seconds{stream="
	                   "\"bulk\"} 90"));
	assert_true(has(t, "swerve_stream_queued_messages{stream=\"bulk\","
	                   "state=\"deferred\"} 1"));
	free(t);
	/* A delivery event moves the message to its real stream. */
	emit(st, EVENT_ATTEMPT, young, "bulk", "primary", SEND_DEFERRED);
	stats_stream_queue(st, 0, &n, &age);
	assert_int_equal(n, 0);
	assert_int_equal(age, 0);
	emit(st, EVENT_SENT, old, "bulk", "backup", SEND_ACCEPTED);
	stats_stream_queue(st, 1, &n, &age);
	assert_int_equal(n, 1);
	assert_int_equal(age, 5000);
	emit(st, EVENT_FAILED, young, "bulk", "backup", SEND_REJECTED);
	stats_stream_queue(st, 1, &n, &age);
	assert_int_equal(n, 0);
	/* Message ids never appear in the output. */
	t = render(st);
	assert_null(strstr(t, old));
	free(t);
	stats_free(st);
}

static void
queue_table_survives_heavy_churn(void **state)
{
	struct stats *st = stats_make();
	static char ids[20000][ID_SIZE];
	uint64_t n, age;
	int i;

	for (i = 0; i < 20000; i++) {
		id_make(ids[i], (uint64_t)fake_now - 100000 + (uint64_t)i,
		        (uint64_t)i * 7919);
		emit(st, EVENT_DEFERRED, ids[i], "bulk", NULL, SEND_DEFERRED);
	}
	/* Drop every odd one, then every one below 10000. */
	for (i = 1; i < 20000; i += 2)
		emit(st, EVENT_SENT, ids[i], "bulk", "primary", SEND_ACCEPTED);
	for (i = 0; i < 10000; i += 2)
		emit(st, EVENT_SENT, ids[i], "bulk", "primary", SEND_ACCEPTED);
	stats_stream_queue(st, 1, &n, &age);
	assert_int_equal(n, 5000);
	assert_int_equal(age, 100000 - 10000);
	/* Every survivor is still findable: sending it removes it. */
	for (i = 10000; i < 20000; i += 2)
		emit(st, EVENT_SENT, ids[i], "bulk", "primary", SEND_ACCEPTED);
	stats_stream_queue(st, 1, &n, &age);
	assert_int_equal(n, 0);
	stats_free(st);
}

static void
traffic_share_covers_the_last_five_minutes(void **state)
{
	struct stats *st = stats_make();
	struct stats_provider_view v;
	int i;

	for (i = 0; i < 3; i++)
		emit(st, EVENT_ATTEMPT, NULL, "bulk", "primary", SEND_ACCEPTED);
	emit(st, EVENT_ATTEMPT, NULL, "bulk", "backup", SEND_ACCEPTED);
	emit(st, EVENT_ATTEMPT, NULL, "bulk", "backup", SEND_DEFERRED);
	assert_int_equal(stats_provider_view(st, 0, &v), 0);
	assert_int_equal(v.accepted_5m, 3);
	assert_true(v.share_5m > 0.74 && v.share_5m < 0.76);
	fake_now += 4 * 60 * 1000;
	emit(st, EVENT_ATTEMPT, NULL, "bulk", "backup", SEND_ACCEPTED);
	stats_provider_view(st, 1, &v);
	assert_int_equal(v.accepted_5m, 2);
	fake_now += 2 * 60 * 1000; /* the first ones are 6 minutes old */
	stats_provider_view(st, 0, &v);
	assert_int_equal(v.accepted_5m, 0);
	stats_provider_view(st, 1, &v);
	assert_int_equal(v.accepted_5m, 1);
	assert_true(v.share_5m > 0.99);
	assert_int_equal(stats_provider_view(st, 3, &v), -1);
	stats_free(st);
}

static void
accepted_counts_by_ingress_and_tenant(void **state)
{
	struct stats *st = stats_make();
	struct events_item e = {
	    .kind = EVENT_ACCEPTED, .ingress = "smtp", .tenant = "app1"};
	char *t;

	stats_on_event(&e, st);
	e.tenant = NULL;
	stats_on_event(&e, st);
	e.tenant = "intruder";
	e.ingress = "http";
	stats_on_event(&e, st);
	t = render(st);
	assert_true(has(t, "swerve_tenant_messages_accepted_total{ingress="
	                   "\"smtp\",tenant=\"app1\"} 1"));
	assert_true(has(t, "swerve_tenant_messages_accepted_total{ingress="
	                   "\"smtp\",tenant=\"none\"} 1"));
	assert_true(has(t, "swerve_tenant_messages_accepted_total{ingress="
	                   "\"http\",tenant=\"other\"} 1"));
	assert_null(strstr(t, "intruder"));
	assert_true(has(t, "swerve_events_total{event=\"accepted\"} 3"));
	free(t);
	stats_free(st);
}

static void
circuit_changes_and_throttling_are_counted(void **state)
{
	struct stats *st = stats_make();
	struct events_item e = {
	    .kind = EVENT_CIRCUIT, .provider = "backup", .state = "open"};
	char *t;

	stats_on_event(&e, st);
	e.state = "half-open";
	stats_on_event(&e, st);
	e.kind = EVENT_THROTTLED;
	stats_on_event(&e, st);
	t = render(st);
	assert_true(has(t, "swerve_provider_circuit_changes_total{provider="
	                   "\"backup\",state=\"open\"} 1"));
	assert_true(has(t, "swerve_provider_circuit_changes_total{provider="
	                   "\"backup\",state=\"half-open\"} 1"));
	assert_true(has(t, "swerve_provider_throttled_total{provider="
	                   "\"backup\"} 1"));
	free(t);
	stats_free(st);
}

static void
json_rendering_has_the_same_families(void **state)
{
	struct stats *st = stats_make();
	struct metrics_writer w;
	json_t *root = json_object(), *fam, *s0;
	struct events_item e = {
	    .kind = EVENT_SENT, .stream = "bulk", .latency_ms = 20};

	stats_on_event(&e, st);
	metrics_writer_json(&w, root);
	stats_render(st, &w);
	fam = json_object_get(root, "swerve_delivery_latency_seconds");
	assert_non_null(fam);
	assert_string_equal(json_string_value(json_object_get(fam, "type")),
	                    "histogram");
	s0 = json_array_get(json_object_get(fam, "samples"), 1);
	assert_string_equal(json_string_value(json_object_get(
	                        json_object_get(s0, "labels"), "stream")),
	                    "bulk");
	assert_int_equal(json_integer_value(json_object_get(s0, "count")), 1);
	fam = json_object_get(root, "swerve_deliveries_total");
	assert_string_equal(json_string_value(json_object_get(fam, "type")),
	                    "counter");
	json_decref(root);
	stats_free(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        deliveries_are_counted_by_provider_stream_and_class),
	    cmocka_unit_test(
	        unknown_names_count_as_other_so_labels_stay_bounded),
	    cmocka_unit_test(failovers_are_counted_from_and_to),
	    cmocka_unit_test(
	        latency_histogram_is_cumulative_with_sum_and_count),
	    cmocka_unit_test(
	        queue_estimate_reports_the_oldest_until_it_is_sent),
	    cmocka_unit_test(queue_table_survives_heavy_churn),
	    cmocka_unit_test(traffic_share_covers_the_last_five_minutes),
	    cmocka_unit_test(accepted_counts_by_ingress_and_tenant),
	    cmocka_unit_test(circuit_changes_and_throttling_are_counted),
	    cmocka_unit_test(json_rendering_has_the_same_families),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
