/*
 * test_cluster_health.c - providers' health samples in heartbeats: the
 * text's grammar, its malformed forms (refused whole), the cap.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cluster/cluster_health.h"

static void
samples_parse(void **state)
{
	struct cluster_health_sample s[CLUSTER_HEALTH_MAX];

	(void)state;
	assert_int_equal(cluster_health_parse("", s, CLUSTER_HEALTH_MAX), 0);
	assert_int_equal(cluster_health_parse("ses 998 120 5000 3;mg-eu 0 0 0 "
	                                      "18446744073709551615",
	                                      s, CLUSTER_HEALTH_MAX),
	                 2);
	assert_string_equal(s[0].provider, "ses");
	assert_int_equal(s[0].permille, 998);
	assert_true(s[0].latency_ms == 120 && s[0].sent == 5000 &&
	            s[0].failed == 3);
	assert_string_equal(s[1].provider, "mg-eu");
	assert_true(s[1].failed == UINT64_MAX);
}

static void
malformed_text_is_refused(void **state)
{
	static const char *const bad[] = {
	    "ses",
	    "ses 1 2 3",
	    "ses 1 2 3 4 5",
	    "ses 1001 0 0 0",                 /* over 1000 per mille */
	    "ses 1 2 3 18446744073709551616", /* over 64 bits */
	    "ses -1 2 3 4",
	    " ses 1 2 3 4",
	    "ses  1 2 3 4",
	    "ses 1 2 3 4;",
	    "ses 1 2 3 4;;mg 1 2 3 4",
	    "s/s 1 2 3 4",
	    "ses 1 2 3 4,mg 1 2 3 4",
	    "ses 1 2 3 4\n",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    " 1 2 3 4", /* a name of 65 */
	};
	struct cluster_health_sample s[2];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (cluster_health_parse(bad[i], s, 2) != -1)
			fail_msg("accepted: %s", bad[i]);
	/* More entries than room. */
	assert_int_equal(
	    cluster_health_parse("a 1 1 1 1;b 1 1 1 1;c 1 1 1 1", s, 2), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(samples_parse),
	    cmocka_unit_test(malformed_text_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
