/*
 * test_cluster_fwd_event.c - provider events forwarded between nodes
 * (cluster/cluster_fwd_event.h): an event round-trips; malformed,
 * ill-typed and oversized ones are refused with a reason and leave the
 * event all zero.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cluster/cluster_fwd_event.h"

static void
an_event_round_trips(void **state)
{
	struct feedback_event in, out;
	char from[64], err[200], *json;

	memset(&in, 0, sizeof(in));
	in.type = FEEDBACK_HARD_BOUNCE;
	feedback_set(in.provider, sizeof(in.provider), "relay");
	feedback_set(in.event_id, sizeof(in.event_id), "dsn:<x@y>:a@b.c");
	feedback_set(in.swerve_id, sizeof(in.swerve_id),
	             "01M99VMS30199G591DWK");
	feedback_set(in.recipient, sizeof(in.recipient), "a@b.c");
	feedback_set(in.enhanced, sizeof(in.enhanced), "5.1.1");
	feedback_set(in.diagnostic, sizeof(in.diagnostic), "no such user");
	in.smtp_code = 550;
	in.occurred_ms = 1700000000123;
	json = cluster_fwd_event_encode(&in, "n2");
	assert_non_null(json);
	assert_int_equal(cluster_fwd_event_decode(json, strlen(json), &out,
	                                          from, sizeof(from), err,
	                                          sizeof(err)),
	                 0);
	free(json);
	assert_memory_equal(&in, &out, sizeof(in));
	assert_string_equal(from, "n2");
}

static void
malformed_events_are_refused(void **state)
{
	static const char *const bad[] = {
	    "",
	    "{",
	    "[]",
	    "null",
	    "{\"v\":2}",
	    /* no type, an unknown type */
	    "{\"v\":1,\"provider\":\"p\",\"event_id\":\"e\",\"swerve_id\":"
	    "\"01M99VMS30199G591DWK\"}",
	    "{\"v\":1,\"type\":\"zap\",\"provider\":\"p\",\"event_id\":\"e\","
	    "\"swerve_id\":\"01M99VMS30199G591DWK\"}",
	    /* no provider, an empty event_id, a swerve_id that is no id */
	    "{\"v\":1,\"type\":\"other\",\"event_id\":\"e\",\"swerve_id\":"
	    "\"01M99VMS30199G591DWK\"}",
	    "{\"v\":1,\"type\":\"other\",\"provider\":\"p\",\"event_id\":\"\","
	    "\"swerve_id\":\"01M99VMS30199G591DWK\"}",
	    "{\"v\":1,\"type\":\"other\",\"provider\":\"p\",\"event_id\":\"e\","
	    "\"swerve_id\":\"01M99VMS30199G591DWU\"}",
	    "{\"v\":1,\"type\":\"other\",\"provider\":\"p\",\"event_id\":"
	    "\"e\"}",
	    /* ill-typed members */
	    "{\"v\":1,\"type\":\"other\",\"provider\":7,\"event_id\":\"e\","
	    "\"swerve_id\":\"01M99VMS30199G591DWK\"}",
	    "{\"v\":1,\"type\":\"other\",\"provider\":\"p\",\"event_id\":\"e\","
	    "\"swerve_id\":\"01M99VMS30199G591DWK\",\"smtp_code\":1000}",
	    "{\"v\":1,\"type\":\"other\",\"provider\":\"p\",\"event_id\":\"e\","
	    "\"swerve_id\":\"01M99VMS30199G591DWK\",\"occurred_ms\":-1}",
	    "{\"v\":1,\"type\":\"other\",\"provider\":\"p\",\"event_id\":\"e\","
	    "\"swerve_id\":\"01M99VMS30199G591DWK\",\"enhanced\":"
	    "\"5.1.1.1.1.1.1.1.1\"}",
	    "{\"v\":1,\"type\":\"other\",\"provider\":\"p\",\"event_id\":\"e\","
	    "\"swerve_id\":\"01M99VMS30199G591DWK\",\"from\":\"a\\u0000b\"}",
	    /* a duplicate member */
	    "{\"v\":1,\"v\":1,\"type\":\"other\",\"provider\":\"p\","
	    "\"event_id\":\"e\",\"swerve_id\":\"01M99VMS30199G591DWK\"}",
	};
	static const struct feedback_event zero;
	struct feedback_event out;
	char from[64], err[200];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		memset(&out, 0x5a, sizeof(out));
		if (cluster_fwd_event_decode(bad[i], strlen(bad[i]), &out, from,
		                             sizeof(from), err,
		                             sizeof(err)) != -1)
			fail_msg("accepted: %s", bad[i]);
		assert_true(strncmp(err, "forwarded event: ", 17) == 0);
		assert_memory_equal(&out, &zero, sizeof(out));
		assert_string_equal(from, "");
	}
}

/* A text one byte over its field is refused, not cut. */
static void
an_oversized_text_is_refused(void **state)
{
	char big[FEEDBACK_TEXT_MAX + 64], json[2048], from[64], err[200];
	struct feedback_event out;

	memset(big, 'x', FEEDBACK_TEXT_MAX);
	big[FEEDBACK_TEXT_MAX] = '\0';
	snprintf(json, sizeof(json),
	         "{\"v\":1,\"type\":\"other\",\"provider\":\"p\",\"event_id\":"
	         "\"e\",\"swerve_id\":\"01M99VMS30199G591DWK\",\"diagnostic\":"
	         "\"%s\"}",
	         big);
	assert_int_equal(cluster_fwd_event_decode(json, strlen(json), &out,
	                                          from, sizeof(from), err,
	                                          sizeof(err)),
	                 -1);
	big[FEEDBACK_TEXT_MAX - 1] = '\0';
	snprintf(json, sizeof(json),
	         "{\"v\":1,\"type\":\"other\",\"provider\":\"p\",\"event_id\":"
	         "\"e\",\"swerve_id\":\"01M99VMS30199G591DWK\",\"diagnostic\":"
	         "\"%s\",\"later\":1}",
	         big);
	assert_int_equal(cluster_fwd_event_decode(json, strlen(json), &out,
	                                          from, sizeof(from), err,
	                                          sizeof(err)),
	                 0);
	assert_int_equal(strlen(out.diagnostic), FEEDBACK_TEXT_MAX - 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(an_event_round_trips),
	    cmocka_unit_test(malformed_events_are_refused),
	    cmocka_unit_test(an_oversized_text_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
