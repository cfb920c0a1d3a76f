/*
 * test_peer_cap.c - connection counts per client address, the default
 * share of a cap, and fitting the caps under the open-file limit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "core/fdlimit.h"
#include "ingress/peer_cap.h"

static void
one_address_stops_at_its_limit(void **state)
{
	struct peer_cap *pc = peer_cap_new();
	int i;

	for (i = 0; i < 3; i++)
		assert_int_equal(peer_cap_take(pc, "192.0.2.1", 3), 0);
	assert_int_equal(peer_cap_take(pc, "192.0.2.1", 3), -1);
	assert_int_equal(peer_cap_count(pc, "192.0.2.1"), 3);
	/* Another address is counted on its own. */
	assert_int_equal(peer_cap_take(pc, "192.0.2.2", 3), 0);
	assert_int_equal(peer_cap_count(pc, "192.0.2.2"), 1);
	peer_cap_release(pc, "192.0.2.1");
	assert_int_equal(peer_cap_take(pc, "192.0.2.1", 3), 0);
	peer_cap_free(pc);
}

static void
released_addresses_are_forgotten(void **state)
{
	struct peer_cap *pc = peer_cap_new();
	char ip[32];
	int i;

	/* Many addresses in the same buckets, in and out. */
	for (i = 0; i < 5000; i++) {
		snprintf(ip, sizeof(ip), "10.0.%d.%d", i / 256, i % 256);
		assert_int_equal(peer_cap_take(pc, ip, 1), 0);
	}
	for (i = 0; i < 5000; i += 2) {
		snprintf(ip, sizeof(ip), "10.0.%d.%d", i / 256, i % 256);
		peer_cap_release(pc, ip);
		assert_int_equal(peer_cap_count(pc, ip), 0);
	}
	assert_int_equal(peer_cap_count(pc, "10.0.0.1"), 1);
	assert_int_equal(peer_cap_take(pc, "10.0.0.1", 1), -1);
	assert_int_equal(peer_cap_take(pc, "10.0.0.2", 1), 0);
	peer_cap_free(pc); /* frees the rest (ASan checks) */
	peer_cap_free(NULL);
}

static void
default_share_is_a_quarter(void **state)
{
	assert_int_equal(peer_cap_share(1000, 0), 250);
	assert_int_equal(peer_cap_share(3, 0), 1);
	assert_int_equal(peer_cap_share(1000, 7), 7);
}

static void
caps_that_fit_are_kept(void **state)
{
	unsigned smtp = 1000, http = 1000;

	assert_int_equal(fdlimit_fit(65536, 512, &smtp, &http), 0);
	assert_int_equal(smtp, 1000);
	assert_int_equal(http, 1000);
}

static void
caps_shrink_in_proportion_below_the_limit(void **state)
{
	unsigned smtp = 1000, http = 3000;

	assert_int_equal(fdlimit_fit(1024, 512, &smtp, &http), 1);
	assert_int_equal(smtp + http, 512);
	assert_int_equal(smtp, 128);
	/* A limit below the reserve still leaves one of each. */
	smtp = 10;
	http = 10;
	assert_int_equal(fdlimit_fit(100, 512, &smtp, &http), 1);
	assert_true(smtp >= 1 && http >= 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(one_address_stops_at_its_limit),
	    cmocka_unit_test(released_addresses_are_forgotten),
	    cmocka_unit_test(default_share_is_a_quarter),
	    cmocka_unit_test(caps_that_fit_are_kept),
	    cmocka_unit_test(caps_shrink_in_proportion_below_the_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
