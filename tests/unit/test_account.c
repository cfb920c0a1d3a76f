/*
 * test_account.c - the account's standing in routing: spill before the
 * quota runs out, a lower share on probation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "route/account.h"

static void
unknown_account_changes_nothing(void **state)
{
	struct account_state a;
	char why[160];
	(void)state;

	memset(&a, 0, sizeof(a));
	assert_false(account_spill(&a, 0.02, why, sizeof(why)));
	assert_true(account_share(&a, 0.25, why, sizeof(why)) == 1);
	assert_true(account_quota_left(&a) < 0);
	/* a provider that tells no quota */
	assert_true(account_update(&a, "HEALTHY", -1, -1, 1000, 0.02));
	assert_false(account_spill(&a, 0.02, why, sizeof(why)));
}

static void
quota_spills_before_it_runs_out(void **state)
{
	struct account_state a;
	char why[160];
	(void)state;

	memset(&a, 0, sizeof(a));
	account_update(&a, "HEALTHY", 50000, 1100, 1000, 0.02);
	assert_false(account_spill(&a, 0.02, why, sizeof(why)));
	/* sends here count down the estimate between polls */
	account_sent(&a, 50);
	assert_true(account_quota_left(&a) == 1050);
	assert_false(account_spill(&a, 0.02, why, sizeof(why)));
	account_sent(&a, 51);
	assert_true(account_spill(&a, 0.02, why, sizeof(why)));
	assert_string_equal(why, "account quota nearly used: 999 of 50000 "
	                         "left (reserve 2%)");
	/* never below zero */
	account_sent(&a, 5000);
	assert_true(account_quota_left(&a) == 0);
	/* a new day's poll: room again, and the change is reported */
	assert_true(account_update(&a, "HEALTHY", 50000, 50000, 2000, 0.02));
	assert_false(account_spill(&a, 0.02, why, sizeof(why)));
	assert_false(account_update(&a, "HEALTHY", 50000, 49000, 3000, 0.02));
}

static void
probation_lowers_the_share(void **state)
{
	struct account_state a;
	char why[160];
	(void)state;

	memset(&a, 0, sizeof(a));
	account_update(&a, "HEALTHY", -1, -1, 1000, 0.02);
	assert_true(account_share(&a, 0.25, why, sizeof(why)) == 1);
	assert_string_equal(why, "");
	assert_true(account_update(&a, "PROBATION", -1, -1, 2000, 0.02));
	assert_true(account_share(&a, 0.25, why, sizeof(why)) == 0.25);
	assert_string_equal(why, "account on probation at the provider");
	/* an over-long status is cut, not overflowed */
	account_update(&a, "AVERYLONGSTATUSNAMEINDEED", -1, -1, 3000, 0.02);
	assert_int_equal(strlen(a.enforcement), 15);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(unknown_account_changes_nothing),
	    cmocka_unit_test(quota_spills_before_it_runs_out),
	    cmocka_unit_test(probation_lowers_the_share),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
