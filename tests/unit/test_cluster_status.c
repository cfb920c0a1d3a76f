/*
 * test_cluster_status.c - an incident's public face (cluster_status.h):
 * it round-trips through JSON with only the public updates' text, and
 * malformed faces are refused with nothing to free.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cluster/cluster_status.h"

static void
face_round_trips(void **state)
{
	const char *provs[] = {"ses"}, *streams[] = {"bulk", "otp"};
	struct incident_update ups[2] = {
	    {.at_ms = 1000,
	     .kind = "status",
	     .text = "We are investigating.",
	     .status = INCIDENT_INVESTIGATING,
	     .public_ = 1,
	     .who = "swerve"},
	    {.at_ms = 2000,
	     .kind = "circuit",
	     .text = "internal: 3 failures at 10.0.0.7",
	     .status = INCIDENT_IDENTIFIED,
	     .public_ = 0,
	     .who = "swerve"},
	};
	struct incident_info ii = {.id = "inc_01",
	                           .title = "Delays on \"bulk\" mail",
	                           .status = INCIDENT_IDENTIFIED,
	                           .impact = IMPACT_MAJOR,
	                           .drill = 1,
	                           .started_ms = 1000,
	                           .updated_ms = 2000,
	                           .providers = provs,
	                           .n_providers = 1,
	                           .streams = streams,
	                           .n_streams = 2,
	                           .updates = ups,
	                           .n_updates = 2};
	struct cluster_face f;
	char err[160], *json = cluster_status_encode(&ii);

	(void)state;
	assert_null(strstr(json, "10.0.0.7")); /* private text stays home */
	assert_int_equal(
	    cluster_status_decode(json, strlen(json), &f, err, sizeof(err)), 0);
	free(json);
	assert_string_equal(f.info.id, "inc_01");
	assert_string_equal(f.info.title, "Delays on \"bulk\" mail");
	assert_int_equal(f.info.status, INCIDENT_IDENTIFIED);
	assert_int_equal(f.info.impact, IMPACT_MAJOR);
	assert_int_equal(f.info.drill, 1);
	assert_true(f.info.updated_ms == 2000 && f.info.resolved_ms == 0);
	assert_int_equal(f.info.n_providers, 1);
	assert_string_equal(f.info.providers[0], "ses");
	assert_int_equal(f.info.n_streams, 2);
	assert_string_equal(f.info.streams[1], "otp");
	assert_int_equal(f.info.n_updates, 2);
	assert_string_equal(f.info.updates[0].text, "We are investigating.");
	assert_int_equal(f.info.updates[0].public_, 1);
	assert_string_equal(f.info.updates[1].text, "");
	assert_int_equal(f.info.updates[1].status, INCIDENT_IDENTIFIED);
	assert_true(f.info.updates[1].at_ms == 2000);
	cluster_face_fini(&f);
}

static void
malformed_faces_are_refused(void **state)
{
	static const char *const ok_tail =
	    "\"drill\":false,\"started\":1,\"updated\":1,\"resolved\":0,"
	    "\"providers\":[],\"streams\":[],\"updates\":[]}";
	static const char *const bad[] = {
	    "",
	    "[]",
	    "{\"id\":\"x_1\",\"title\":\"t\",\"status\":\"resolved\","
	    "\"impact\":\"none\",",
	    "{\"id\":\"inc_1\",\"title\":5,\"status\":\"resolved\","
	    "\"impact\":\"none\",",
	    "{\"id\":\"inc_1\",\"title\":\"t\",\"status\":\"gone\","
	    "\"impact\":\"none\",",
	    "{\"id\":\"inc_1\",\"title\":\"t\",\"status\":\"resolved\","
	    "\"impact\":\"huge\",",
	    "{\"id\":\"inc_1\\u0000\",\"title\":\"t\",\"status\":"
	    "\"resolved\",\"impact\":\"none\",",
	    "{\"id\":\"inc_0123456789012345678901234567890\",\"title\":\"t\","
	    "\"status\":\"resolved\",\"impact\":\"none\",",
	};
	static const char *const bad_tails[] = {
	    "\"drill\":1,\"started\":1,\"updated\":1,\"resolved\":0,"
	    "\"providers\":[],\"streams\":[],\"updates\":[]}",
	    "\"drill\":false,\"started\":-1,\"updated\":1,\"resolved\":0,"
	    "\"providers\":[],\"streams\":[],\"updates\":[]}",
	    "\"drill\":false,\"started\":1,\"updated\":1,\"resolved\":0,"
	    "\"providers\":[7],\"streams\":[],\"updates\":[]}",
	    "\"drill\":false,\"started\":1,\"updated\":1,\"resolved\":0,"
	    "\"providers\":[],\"streams\":{},\"updates\":[]}",
	    "\"drill\":false,\"started\":1,\"updated\":1,\"resolved\":0,"
	    "\"providers\":[],\"streams\":[],\"updates\":[{\"at\":1,"
	    "\"kind\":\"x\",\"status\":\"nope\",\"public\":true}]}",
	    "\"drill\":false,\"started\":1,\"updated\":1,\"resolved\":0,"
	    "\"providers\":[\"a\"],\"streams\":[],\"updates\":[{\"at\":1,"
	    "\"kind\":\"x\",\"status\":\"resolved\",\"public\":true,"
	    "\"text\":3}]}",
	};
	struct cluster_face f;
	char buf[1024], err[160];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf), "%s%s", bad[i],
		         i < 2 ? "" : ok_tail);
		if (cluster_status_decode(buf, strlen(buf), &f, err,
		                          sizeof(err)) != -1)
			fail_msg("accepted: %s", buf);
		assert_null(f.id);
		assert_null(f.providers);
	}
	for (i = 0; i < sizeof(bad_tails) / sizeof(bad_tails[0]); i++) {
		snprintf(buf, sizeof(buf),
		         "{\"id\":\"inc_1\",\"title\":\"t\",\"status\":"
		         "\"resolved\",\"impact\":\"none\",%s",
		         bad_tails[i]);
		if (cluster_status_decode(buf, strlen(buf), &f, err,
		                          sizeof(err)) != -1)
			fail_msg("accepted: %s", buf);
		assert_null(f.id);
		assert_null(f.updates);
	}
	/* The well-formed one the cases were made from is taken. */
	snprintf(buf, sizeof(buf),
	         "{\"id\":\"inc_1\",\"title\":\"t\",\"status\":\"resolved\","
	         "\"impact\":\"none\",%s",
	         ok_tail);
	assert_int_equal(
	    cluster_status_decode(buf, strlen(buf), &f, err, sizeof(err)), 0);
	cluster_face_fini(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(face_round_trips),
	    cmocka_unit_test(malformed_faces_are_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
