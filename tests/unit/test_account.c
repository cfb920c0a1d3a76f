/*
 * test_account.c - the account's standing in routing: spill before the
 * quota runs out, a lower share on probation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
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

static void
inflight_counts_into_the_estimate(void **state)
{
	struct account_state a;
	char why[160];
	(void)state;

	account_init(&a);
	account_update(&a, "HEALTHY", 1000, 30, 1000, 0.02);
	/* 4 connections' worth on their way: 26 left, not yet spilling */
	account_inflight(&a, 4);
	assert_true(account_quota_left(&a) == 26);
	assert_false(account_spill(&a, 0.02, why, sizeof(why)));
	/* 6 more in flight reach the reserve (20) before any answer */
	account_inflight(&a, 6);
	assert_true(account_spill(&a, 0.02, why, sizeof(why)));
	/* they land: accepted ones count as sent, nothing twice */
	account_landed(&a, 10);
	account_sent(&a, 10);
	assert_true(account_quota_left(&a) == 20);
	account_landed(&a, 5); /* more than in flight: clamps at 0 */
	assert_true(a.inflight == 0);
	/* a poll keeps what is still in flight */
	account_inflight(&a, 3);
	account_update(&a, "HEALTHY", 1000, 500, 2000, 0.02);
	assert_true(account_quota_left(&a) == 497);
}

static void
a_reading_applies_what_it_tells(void **state)
{
	struct account_state a;
	struct account_reading r;
	char why[160];
	(void)state;

	account_init(&a);
	account_reading_init(&r);
	r.quota_max = 1000;
	r.quota_left = 15;
	snprintf(r.period, sizeof(r.period), "month");
	snprintf(r.state, sizeof(r.state), "paid");
	assert_true(account_apply(&a, &r, 1000, 0.02));
	assert_true(account_spill(&a, 0.02, why, sizeof(why)));
	assert_string_equal(why, "account quota nearly used: 15 of 1000 "
	                         "left (reserve 2%)");
	assert_string_equal(a.period, "month");
	assert_true(a.polls == 1);
	/* a reading without a quota keeps the last one */
	account_reading_init(&r);
	r.score = 97.5;
	assert_false(account_apply(&a, &r, 2000, 0.02));
	assert_true(account_quota_left(&a) == 15);
	assert_true(a.score == 97.5);
	assert_string_equal(a.state, "paid");
	/* paused, and back */
	account_reading_init(&r);
	r.sending = 0;
	snprintf(r.why, sizeof(r.why), "Mailgun domain mg.test is disabled");
	assert_true(account_apply(&a, &r, 3000, 0.02));
	assert_true(account_paused(&a, why, sizeof(why)));
	assert_string_equal(why, "Mailgun domain mg.test is disabled");
	r.sending = 1;
	assert_true(account_apply(&a, &r, 4000, 0.02));
	assert_false(account_paused(&a, why, sizeof(why)));
	assert_string_equal(why, "");
	/* a failed call is kept for status until the next answer */
	account_failed(&a, "user/credits: HTTP 403");
	assert_string_equal(a.error, "user/credits: HTTP 403");
	account_reading_init(&r);
	account_apply(&a, &r, 5000, 0.02);
	assert_string_equal(a.error, "");
}

static void
reputation_against_ses_levels(void **state)
{
	struct account_state a;
	struct account_reading r;
	char why[160];
	(void)state;

	account_init(&a);
	assert_int_equal(account_reputation(&a, why, sizeof(why)), 0);
	account_reading_init(&r);
	r.bounce_rate = 0.049;
	r.complaint_rate = 0.0009;
	account_apply(&a, &r, 1000, 0.02);
	assert_int_equal(account_reputation(&a, why, sizeof(why)), 0);
	assert_string_equal(why, "");
	r.bounce_rate = 0.06;
	assert_true(account_apply(&a, &r, 2000, 0.02));
	assert_int_equal(account_reputation(&a, why, sizeof(why)), 1);
	assert_string_equal(why, "bounce rate 6.0% at SES's review level "
	                         "(5%)");
	r.bounce_rate = 0.01;
	r.complaint_rate = 0.006;
	account_apply(&a, &r, 3000, 0.02);
	assert_int_equal(account_reputation(&a, why, sizeof(why)), 2);
	assert_string_equal(why, "complaint rate 0.60% at SES's pause level "
	                         "(0.5%)");
	r.bounce_rate = 0.10;
	r.complaint_rate = 0.001;
	account_apply(&a, &r, 4000, 0.02);
	assert_int_equal(account_reputation(&a, why, sizeof(why)), 2);
	assert_string_equal(why, "bounce rate 10.0% at SES's pause level "
	                         "(10%)");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(unknown_account_changes_nothing),
	    cmocka_unit_test(quota_spills_before_it_runs_out),
	    cmocka_unit_test(probation_lowers_the_share),
	    cmocka_unit_test(inflight_counts_into_the_estimate),
	    cmocka_unit_test(a_reading_applies_what_it_tells),
	    cmocka_unit_test(reputation_against_ses_levels),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
