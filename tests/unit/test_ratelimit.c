/*
 * test_ratelimit.c - rate strings, token bucket (burst, refill, wait
 * time), AIMD (halve on throttle, slow additive recovery, floors) and the
 * daily quota's UTC rollover, on a fake clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "route/ratelimit.h"

#define DAY 86400000ULL

/* near - a and b equal up to rounding. */
static bool
near(double a, double b)
{
	return a - b < 1e-9 && b - a < 1e-9;
}

static void
rate_parse_accepts_documented_forms(void **state)
{
	static const struct {
		const char *s;
		double count;
		uint64_t period_ms;
		double per_sec;
	} t[] = {
	    {"14/s", 14, 1000, 14},
	    {"100/m", 100, 60000, 100.0 / 60},
	    {"5000/h", 5000, 3600000, 5000.0 / 3600},
	    {"0.5/s", 0.5, 1000, 0.5},
	    {"1000/d", 1000, 86400000, 1000.0 / 86400},
	    {"1.25/m", 1.25, 60000, 1.25 / 60},
	    {"007/s", 7, 1000, 7},
	    {"0.000000001/d", 1e-9, 86400000, 1e-9 / 86400},
	    {"1000000000/s", 1e9, 1000, 1e9},
	    {"999999999.999999999/s", 999999999.999999999, 1000,
	     999999999.999999999},
	};
	struct rate r;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = rate_parse(t[i].s, &r);

		if (rc != RATE_OK)
			fail_msg("%s: %s", t[i].s, rate_strerror(rc));
		if (!near(r.count, t[i].count) ||
		    r.period_ms != t[i].period_ms ||
		    !near(r.per_sec, t[i].per_sec))
			fail_msg("%s: %g per %llu ms = %g/s", t[i].s, r.count,
			         (unsigned long long)r.period_ms, r.per_sec);
	}
}

static void
rate_parse_refuses_junk_with_a_reason(void **state)
{
	static const struct {
		const char *s;
		int rc;
	} t[] = {
	    {"", RATE_ERR_EMPTY},
	    {"-1/s", RATE_ERR_NUMBER},
	    {"+1/s", RATE_ERR_NUMBER},
	    {"/s", RATE_ERR_NUMBER},
	    {".5/s", RATE_ERR_NUMBER},
	    {"5./s", RATE_ERR_NUMBER},
	    {" 14/s", RATE_ERR_NUMBER},
	    {"s/14", RATE_ERR_NUMBER},
	    {"0/s", RATE_ERR_ZERO},
	    {"0.000/m", RATE_ERR_ZERO},
	    {"14", RATE_ERR_SLASH},
	    {"14 /s", RATE_ERR_SLASH},
	    {"1e3/s", RATE_ERR_SLASH},
	    {"1.2.3/s", RATE_ERR_SLASH},
	    {"14:s", RATE_ERR_SLASH},
	    {"14/", RATE_ERR_UNIT},
	    {"14/x", RATE_ERR_UNIT},
	    {"14/S", RATE_ERR_UNIT},
	    {"14//s", RATE_ERR_UNIT},
	    {"14/ s", RATE_ERR_UNIT},
	    {"14/sec", RATE_ERR_TRAILING},
	    {"14/s ", RATE_ERR_TRAILING},
	    {"14/s\n", RATE_ERR_TRAILING},
	    {"14/s/s", RATE_ERR_TRAILING},
	    {"12345678901/s", RATE_ERR_DIGITS},
	    {"0.1234567891/s", RATE_ERR_DIGITS},
	    {"99999999999999999999999/s", RATE_ERR_DIGITS},
	    {"1000000001/s", RATE_ERR_RANGE},
	    {"9999999999/d", RATE_ERR_RANGE},
	};
	struct rate r;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc;

		memset(&r, 0xa5, sizeof(r));
		rc = rate_parse(t[i].s, &r);
		if (rc != t[i].rc)
			fail_msg("\"%s\": got %d (%s), expected %d (%s)",
			         t[i].s, rc, rate_strerror(rc), t[i].rc,
			         rate_strerror(t[i].rc));
		assert_true(r.count == 0 && r.per_sec == 0 && r.period_ms == 0);
	}
	assert_int_equal(rate_parse(NULL, &r), RATE_ERR_EMPTY);
	/* A NUL inside ends the string: what follows is never read. */
	assert_int_equal(rate_parse("14/s\0junk", &r), RATE_OK);
}

static void
rate_strerror_names_every_error_differently(void **state)
{
	int a, b;

	for (a = RATE_ERR_TRAILING; a <= RATE_OK; a++) {
		assert_true(strlen(rate_strerror(a)) > 0);
		for (b = RATE_ERR_TRAILING; b < a; b++)
			assert_string_not_equal(rate_strerror(a),
			                        rate_strerror(b));
	}
	assert_string_equal(rate_strerror(-99), "invalid rate");
	assert_string_equal(rate_strerror(RATE_ERR_UNIT),
	                    "unit after '/' must be s, m, h or d");
}

static void
bucket_starts_full_with_one_second_of_burst(void **state)
{
	struct tbucket tb;
	int i;

	tbucket_init(&tb, 14, 0, 5000);
	assert_true(near(tb.burst, 14));
	for (i = 0; i < 14; i++)
		assert_true(tbucket_take(&tb, 5000));
	assert_false(tbucket_take(&tb, 5000));
	assert_true(near(tbucket_tokens(&tb, 5000), 0));
}

static void
bucket_burst_is_at_least_one_token(void **state)
{
	struct tbucket tb;

	tbucket_init(&tb, 0.5, 0, 0);
	assert_true(near(tb.burst, 1));
	assert_true(tbucket_take(&tb, 0));
	assert_false(tbucket_take(&tb, 0));
	assert_false(tbucket_take(&tb, 1999));
	assert_true(tbucket_take(&tb, 2000));
	tbucket_init(&tb, 5, 0.2, 0);
	assert_true(near(tb.burst, 1));
}

static void
bucket_explicit_burst_is_kept(void **state)
{
	struct tbucket tb;
	int i;

	tbucket_init(&tb, 1, 5, 0);
	for (i = 0; i < 5; i++)
		assert_true(tbucket_take(&tb, 0));
	assert_false(tbucket_take(&tb, 0));
	/* An hour later: full again, but no fuller than 5. */
	assert_true(near(tbucket_tokens(&tb, 3600000), 5));
}

static void
bucket_refills_at_its_rate(void **state)
{
	struct tbucket tb;
	int i;

	tbucket_init(&tb, 10, 0, 0);
	for (i = 0; i < 10; i++)
		assert_true(tbucket_take(&tb, 0));
	assert_false(tbucket_take(&tb, 99));
	assert_true(tbucket_take(&tb, 100));
	assert_false(tbucket_take(&tb, 100));
	assert_true(near(tbucket_tokens(&tb, 150), 0.5));
	/* Over 10 s at 10/s with steady demand: 100 messages pass. */
	for (i = 0, tb.tokens = 0; i <= 10000; i++)
		tbucket_take(&tb, 200 + (uint64_t)i);
	assert_true(near(tbucket_tokens(&tb, 10200), 0));
}

static void
bucket_steady_demand_gets_exactly_the_rate(void **state)
{
	struct tbucket tb;
	unsigned n = 0;
	uint64_t t;

	tbucket_init(&tb, 14, 0, 0);
	tb.tokens = 0;
	for (t = 1; t <= 60000; t++)
		while (tbucket_take(&tb, t))
			n++;
	assert_int_equal(n, 14 * 60);
}

static void
bucket_wait_ms_says_when_the_next_token_comes(void **state)
{
	static const double rates[] = {0.3,  0.5,  1,           3,
	                               7,    14,   33.3,        1000.0 / 3600,
	                               1000, 2500, 1.0 / 86400, 1e-9 / 86400,
	                               1e9};
	struct tbucket tb, probe;
	size_t i;
	uint64_t w;

	for (i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		tbucket_init(&tb, rates[i], 1, 1000); /* burst 1 */
		assert_true(tbucket_take(&tb, 1000));
		w = tbucket_wait_ms(&tb, 1000);
		probe = tb;
		if (w > 0 && tbucket_take(&probe, 1000 + w - 1))
			fail_msg("rate %g: a token before %llu ms", rates[i],
			         (unsigned long long)w);
		if (!tbucket_take(&tb, 1000 + w))
			fail_msg("rate %g: no token at %llu ms", rates[i],
			         (unsigned long long)w);
	}
	tbucket_init(&tb, 14, 0, 0);
	assert_int_equal(tbucket_wait_ms(&tb, 0), 0);
	while (tbucket_take(&tb, 0))
		;
	assert_int_equal(tbucket_wait_ms(&tb, 0), 72); /* ceil(1000/14) */
	assert_int_equal(tbucket_wait_ms(&tb, 50), 22);
	assert_int_equal(tbucket_wait_ms(&tb, 72), 0);
}

static void
bucket_without_rate_is_unlimited(void **state)
{
	struct tbucket tb;
	int i;

	tbucket_init(&tb, 0, 0, 0);
	for (i = 0; i < 10000; i++)
		assert_true(tbucket_take(&tb, 0));
	assert_int_equal(tbucket_wait_ms(&tb, 0), 0);
	tbucket_init(&tb, -3, 0, 0);
	assert_true(tbucket_take(&tb, 0));
}

static void
bucket_clock_going_back_earns_nothing(void **state)
{
	struct tbucket tb;

	tbucket_init(&tb, 1, 0, 10000);
	assert_true(tbucket_take(&tb, 10000));
	assert_false(tbucket_take(&tb, 5000));
	assert_int_equal(tbucket_wait_ms(&tb, 9000), 2000);
	assert_false(tbucket_take(&tb, 10999));
	assert_true(tbucket_take(&tb, 11000));
}

static void
bucket_lower_rate_lowers_burst_higher_restores_it(void **state)
{
	struct tbucket tb;

	tbucket_init(&tb, 20, 0, 0);
	tbucket_rate_set(&tb, 5, 0);
	assert_true(near(tb.burst, 5));
	assert_true(near(tbucket_tokens(&tb, 0), 5));
	tbucket_rate_set(&tb, 0.5, 0);
	assert_true(near(tb.burst, 1));
	tbucket_rate_set(&tb, 40, 0);
	assert_true(near(tb.burst, 20)); /* never above the configured */
	assert_true(near(tbucket_tokens(&tb, 1000), 20));
}

static void
aimd_throttle_halves_rate_and_empties_bucket(void **state)
{
	struct tbucket tb;
	struct aimd a;

	tbucket_init(&tb, 16, 0, 0);
	aimd_init(&a, 16, 0);
	assert_true(near(a.cur, 16));
	assert_true(aimd_throttled(&a, &tb, 100));
	assert_true(near(a.cur, 8));
	assert_true(near(tb.rate, 8));
	assert_true(near(tb.burst, 8));
	assert_true(near(tbucket_tokens(&tb, 100), 0));
	assert_int_equal(tbucket_wait_ms(&tb, 100), 125);
}

static void
aimd_throttles_within_a_second_halve_once(void **state)
{
	struct aimd a;

	aimd_init(&a, 16, 0);
	assert_true(aimd_throttled(&a, NULL, 1000));
	assert_false(aimd_throttled(&a, NULL, 1000));
	assert_false(aimd_throttled(&a, NULL, 1999));
	assert_true(near(a.cur, 8));
	assert_true(aimd_throttled(&a, NULL, 2000));
	assert_true(near(a.cur, 4));
}

static void
aimd_rate_never_goes_below_floor(void **state)
{
	static const struct {
		double max, min, floor;
	} t[] = {
	    {16, 0, 0.25},   /* max / 64 */
	    {1, 0, 0.1},     /* 0.1/s when max / 64 is less */
	    {0.05, 0, 0.05}, /* never above max */
	    {16, 3, 3},      /* configured */
	};
	struct aimd a;
	size_t i;
	int k;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		aimd_init(&a, t[i].max, t[i].min);
		for (k = 0; k < 20; k++)
			aimd_throttled(&a, NULL, (uint64_t)k * 1000);
		if (!near(a.cur, t[i].floor) || !near(a.min_rate, t[i].floor))
			fail_msg("max %g min %g: cur %g floor %g", t[i].max,
			         t[i].min, a.cur, a.min_rate);
		assert_false(aimd_throttled(&a, NULL, 100000));
	}
}

static void
aimd_recovers_additively_once_per_second(void **state)
{
	struct tbucket tb;
	struct aimd a;
	uint64_t t;
	int steps = 0;

	tbucket_init(&tb, 16, 0, 0);
	aimd_init(&a, 16, 0);
	aimd_throttled(&a, &tb, 0); /* 8/s */
	assert_false(aimd_success(&a, &tb, 999));
	assert_true(aimd_success(&a, &tb, 1000));
	assert_true(near(a.cur, 8.8));
	assert_true(near(tb.rate, 8.8));
	assert_false(aimd_success(&a, &tb, 1500));
	/* Successes every 10 ms: one step a second, 10 steps to 16. */
	for (t = 1010; t < 60000; t += 10)
		if (aimd_success(&a, &tb, t))
			steps++;
	assert_int_equal(steps, 9);
	assert_true(near(a.cur, 16));
	assert_true(near(tb.rate, 16));
	assert_true(near(tb.burst, 16));
	assert_false(aimd_success(&a, &tb, 100000));
}

static void
aimd_throttle_delays_recovery(void **state)
{
	struct aimd a;

	aimd_init(&a, 16, 0);
	aimd_throttled(&a, NULL, 0);
	assert_true(aimd_success(&a, NULL, 5000));
	aimd_throttled(&a, NULL, 5500);
	assert_false(aimd_success(&a, NULL, 6000));
	assert_true(aimd_success(&a, NULL, 6500));
}

static void
quota_counts_to_limit_then_refuses(void **state)
{
	struct quota q;
	int i;

	quota_init(&q, 3, 20000 * DAY);
	assert_int_equal(quota_left(&q, 20000 * DAY), 3);
	for (i = 0; i < 3; i++)
		assert_true(quota_take(&q, 20000 * DAY + 1));
	assert_false(quota_take(&q, 20000 * DAY + 2));
	assert_int_equal(quota_left(&q, 20000 * DAY + 2), 0);
	quota_refund(&q, 20000 * DAY + 3);
	assert_int_equal(quota_left(&q, 20000 * DAY + 3), 1);
	assert_true(quota_take(&q, 20000 * DAY + 3));
}

static void
quota_resets_at_utc_midnight(void **state)
{
	struct quota q;
	uint64_t last = 20000 * DAY + DAY - 1; /* 23:59:59.999 UTC */

	quota_init(&q, 2, last - 5000);
	assert_true(quota_take(&q, last));
	assert_true(quota_take(&q, last));
	assert_false(quota_take(&q, last));
	assert_int_equal(quota_left(&q, last), 0);
	assert_int_equal(quota_left(&q, last + 1), 2);
	assert_true(quota_take(&q, last + 1));
	assert_int_equal(quota_left(&q, last + 1), 1);
	assert_int_equal(q.day, 20001);
	assert_int_equal(quota_reset_in_ms(last), 1);
	assert_int_equal(quota_reset_in_ms(last + 1), DAY);
}

static void
quota_clock_stepping_back_keeps_the_count(void **state)
{
	struct quota q;

	quota_init(&q, 1, 20001 * DAY);
	assert_true(quota_take(&q, 20001 * DAY));
	assert_false(quota_take(&q, 20001 * DAY - 10));
	assert_int_equal(quota_left(&q, 20001 * DAY - 10), 0);
}

static void
quota_exhausted_by_provider_until_next_day(void **state)
{
	struct quota q;

	quota_init(&q, 0, 20000 * DAY + 5);
	assert_int_equal(quota_left(&q, 20000 * DAY + 5), UINT64_MAX);
	assert_true(quota_take(&q, 20000 * DAY + 5));
	quota_exhaust(&q, 20000 * DAY + 6);
	assert_int_equal(quota_left(&q, 20000 * DAY + 7), 0);
	assert_false(quota_take(&q, 20000 * DAY + DAY - 1));
	assert_int_equal(quota_left(&q, 20001 * DAY), UINT64_MAX);
	assert_true(quota_take(&q, 20001 * DAY));
	assert_int_equal(q.used, 1);
	/* With a limit: the next day has the whole limit again. */
	quota_init(&q, 50000, 0);
	quota_exhaust(&q, 10);
	assert_int_equal(quota_left(&q, 11), 0);
	assert_int_equal(quota_left(&q, DAY), 50000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(rate_parse_accepts_documented_forms),
	    cmocka_unit_test(rate_parse_refuses_junk_with_a_reason),
	    cmocka_unit_test(rate_strerror_names_every_error_differently),
	    cmocka_unit_test(bucket_starts_full_with_one_second_of_burst),
	    cmocka_unit_test(bucket_burst_is_at_least_one_token),
	    cmocka_unit_test(bucket_explicit_burst_is_kept),
	    cmocka_unit_test(bucket_refills_at_its_rate),
	    cmocka_unit_test(bucket_steady_demand_gets_exactly_the_rate),
	    cmocka_unit_test(bucket_wait_ms_says_when_the_next_token_comes),
	    cmocka_unit_test(bucket_without_rate_is_unlimited),
	    cmocka_unit_test(bucket_clock_going_back_earns_nothing),
	    cmocka_unit_test(bucket_lower_rate_lowers_burst_higher_restores_it),
	    cmocka_unit_test(aimd_throttle_halves_rate_and_empties_bucket),
	    cmocka_unit_test(aimd_throttles_within_a_second_halve_once),
	    cmocka_unit_test(aimd_rate_never_goes_below_floor),
	    cmocka_unit_test(aimd_recovers_additively_once_per_second),
	    cmocka_unit_test(aimd_throttle_delays_recovery),
	    cmocka_unit_test(quota_counts_to_limit_then_refuses),
	    cmocka_unit_test(quota_resets_at_utc_midnight),
	    cmocka_unit_test(quota_clock_stepping_back_keeps_the_count),
	    cmocka_unit_test(quota_exhausted_by_provider_until_next_day),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
