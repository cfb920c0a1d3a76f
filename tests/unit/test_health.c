/*
 * test_health.c - passive health: counts, success ratio over a sliding
 * window, latency EWMA, score and fail-back ramp, on a fake clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "route/health.h"

#define EPS 1e-9

/* fabs_ok - a and b equal up to rounding. */
static bool
fabs_ok(double a, double b)
{
	return a - b < EPS && b - a < EPS;
}

static const struct health_opts opts = {
    .ewma_alpha = 0.5,
    .window_ms = 30000, /* 30 slices of 1 s */
    .latency_ref_ms = 1000,
};

static void
fresh_provider_has_full_score(void **state)
{
	struct health h;

	health_init(&h, NULL);
	assert_true(h.opts.ewma_alpha == 0.2);
	assert_int_equal(h.opts.window_ms, 300000);
	assert_int_equal(h.opts.latency_ref_ms, 1000);
	assert_true(health_success_ratio(&h, 12345) == 1.0);
	assert_true(health_score(&h, 12345) == 1.0);
	assert_int_equal(health_latency_ewma(&h), 0);
	assert_true(health_ramp_factor(&h, 12345) == 1.0);
}

static void
bad_opts_take_defaults(void **state)
{
	struct health_opts o = {.ewma_alpha = -1};
	struct health h;

	health_init(&h, &o);
	assert_true(h.opts.ewma_alpha == 0.2);
	assert_int_equal(h.opts.window_ms, 300000);
	o.ewma_alpha = 7;
	health_init(&h, &o);
	assert_true(h.opts.ewma_alpha == 1.0);
}

/* Which classes are the provider's success; table of all six. */
static void
accepted_and_rejected_are_successes_rest_failures(void **state)
{
	static const struct {
		enum send_class cls;
		bool success;
	} t[] = {
	    {SEND_ACCEPTED, true},  {SEND_REJECTED, true},
	    {SEND_DEFERRED, false}, {SEND_THROTTLED, false},
	    {SEND_CONFIG, false},   {SEND_UNKNOWN, false},
	};
	struct health h;
	size_t i;

	assert_int_equal(sizeof(t) / sizeof(t[0]), SEND_CLASS_COUNT);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		health_init(&h, &opts);
		health_record(&h, 0, t[i].cls, 10);
		assert_int_equal(health_class_is_success(t[i].cls),
		                 t[i].success);
		assert_true(health_success_ratio(&h, 0) ==
		            (t[i].success ? 1.0 : 0.0));
	}
}

static void
counts_per_class_in_window_and_totals(void **state)
{
	struct health h;
	int i;

	health_init(&h, &opts);
	for (i = 0; i < 5; i++)
		health_record(&h, 0, SEND_ACCEPTED, 100);
	for (i = 0; i < 3; i++)
		health_record(&h, 1000, SEND_THROTTLED, 0);
	health_record(&h, 2000, SEND_UNKNOWN, 0);
	assert_int_equal(health_window_count(&h, 2000, SEND_ACCEPTED), 5);
	assert_int_equal(health_window_count(&h, 2000, SEND_THROTTLED), 3);
	assert_int_equal(health_window_count(&h, 2000, SEND_UNKNOWN), 1);
	assert_int_equal(health_window_count(&h, 2000, SEND_CONFIG), 0);
	/* 30 s after t=0 the first slice has left the window. */
	assert_int_equal(health_window_count(&h, 30000, SEND_ACCEPTED), 0);
	assert_int_equal(health_window_count(&h, 30000, SEND_THROTTLED), 3);
	assert_int_equal(h.total[SEND_ACCEPTED], 5);
	assert_int_equal(h.total[SEND_THROTTLED], 3);
}

static void
success_ratio_slides_with_the_window(void **state)
{
	struct health h;
	int i;

	health_init(&h, &opts);
	/* An outage at t=0..9 s: all deferred. */
	for (i = 0; i < 10; i++)
		health_record(&h, (uint64_t)i * 1000, SEND_DEFERRED, 0);
	/* Then healthy at 10..19 s. */
	for (i = 10; i < 20; i++)
		health_record(&h, (uint64_t)i * 1000, SEND_ACCEPTED, 50);
	assert_true(health_success_ratio(&h, 19000) == 0.5);
	/* At 35 s the slices of 0..5 s have gone: 4 failed, 10 ok. */
	assert_true(fabs_ok(health_success_ratio(&h, 35000), 10.0 / 14));
	/* At 40 s only the healthy part is left. */
	assert_true(health_success_ratio(&h, 40000) == 1.0);
	/* And once all is older than the window: no data, ratio 1. */
	assert_true(health_success_ratio(&h, 60000) == 1.0);
	assert_int_equal(h.total[SEND_DEFERRED], 10);
}

static void
ewma_starts_at_first_sample_then_weighs_by_alpha(void **state)
{
	struct health h;

	health_init(&h, &opts); /* alpha 0.5 */
	health_record(&h, 0, SEND_ACCEPTED, 100);
	assert_int_equal(health_latency_ewma(&h), 100);
	health_record(&h, 0, SEND_ACCEPTED, 300);
	assert_int_equal(health_latency_ewma(&h), 200);
	health_record(&h, 0, SEND_REJECTED, 600);
	assert_int_equal(health_latency_ewma(&h), 400);
	health_init(&h, NULL); /* alpha 0.2 */
	health_record(&h, 0, SEND_ACCEPTED, 100);
	health_record(&h, 0, SEND_ACCEPTED, 200);
	assert_int_equal(health_latency_ewma(&h), 120);
}

static void
ewma_ignores_latency_of_failures(void **state)
{
	struct health h;

	health_init(&h, &opts);
	health_record(&h, 0, SEND_DEFERRED, 30000);
	assert_int_equal(health_latency_ewma(&h), 0);
	health_record(&h, 0, SEND_ACCEPTED, 80);
	health_record(&h, 0, SEND_UNKNOWN, 30000);
	health_record(&h, 0, SEND_THROTTLED, 5);
	assert_int_equal(health_latency_ewma(&h), 80);
}

/* The latency factor, min(1, 2 ref / (ref + ewma)), at known points. */
static void
score_latency_factor_follows_formula(void **state)
{
	static const struct {
		uint64_t ewma;
		double score;
	} t[] = {
	    {10, 1.0},   {1000, 1.0},    {2000, 2.0 / 3}, {3000, 0.5},
	    {9000, 0.2}, {199000, 0.01}, {999000, 0.01}, /* floor */
	};
	struct health_opts o = opts;
	struct health h;
	size_t i;

	o.ewma_alpha = 1; /* the EWMA is the last sample */
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		health_init(&h, &o);
		health_record(&h, 0, SEND_ACCEPTED, t[i].ewma);
		if (!fabs_ok(health_score(&h, 0), t[i].score))
			fail_msg("ewma %llu: score %f, expected %f",
			         (unsigned long long)t[i].ewma,
			         health_score(&h, 0), t[i].score);
	}
}

static void
score_is_ratio_times_latency_factor(void **state)
{
	struct health h;
	int i;

	health_init(&h, &opts);
	for (i = 0; i < 3; i++)
		health_record(&h, 0, SEND_ACCEPTED, 3000);
	health_record(&h, 0, SEND_DEFERRED, 0);
	/* 3/4 ok, latency 3 s: 0.75 * 0.5. */
	assert_true(fabs_ok(health_score(&h, 0), 0.375));
}

static void
score_never_reaches_zero(void **state)
{
	struct health h;
	int i;

	health_init(&h, &opts);
	for (i = 0; i < 100; i++)
		health_record(&h, 0, SEND_CONFIG, 0);
	assert_true(health_success_ratio(&h, 0) == 0.0);
	assert_true(health_score(&h, 0) == HEALTH_SCORE_FLOOR);
	assert_true(health_score(&h, 0) > 0);
}

static void
ramp_rises_linearly_from_five_percent(void **state)
{
	static const struct {
		uint64_t at;
		double factor;
	} t[] = {
	    {1000, 0.05},           {1000 + 75000, 0.2875},
	    {1000 + 150000, 0.525}, {1000 + 299999, 1.0 - 0.95 / 300000},
	    {1000 + 300000, 1.0},   {1000 + 900000, 1.0},
	};
	struct health h;
	size_t i;

	health_init(&h, &opts);
	health_ramp_start(&h, 1000, 300000);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!fabs_ok(health_ramp_factor(&h, t[i].at), t[i].factor))
			fail_msg("at %llu: %f, expected %f",
			         (unsigned long long)t[i].at,
			         health_ramp_factor(&h, t[i].at), t[i].factor);
	/* A clock before the start gives the lowest share. */
	assert_true(health_ramp_factor(&h, 0) == HEALTH_RAMP_FLOOR);
}

static void
ramp_start_forgets_the_outage_but_not_totals_or_latency(void **state)
{
	struct health h;
	int i;

	health_init(&h, &opts);
	health_record(&h, 0, SEND_ACCEPTED, 400);
	for (i = 0; i < 10; i++)
		health_record(&h, 1000, SEND_DEFERRED, 0);
	assert_true(health_success_ratio(&h, 2000) < 0.1);
	health_ramp_start(&h, 2000, 60000);
	assert_true(health_success_ratio(&h, 2000) == 1.0);
	assert_true(health_score(&h, 2000) == 1.0);
	assert_int_equal(health_window_count(&h, 2000, SEND_DEFERRED), 0);
	assert_int_equal(h.total[SEND_DEFERRED], 10);
	assert_int_equal(health_latency_ewma(&h), 400);
	/* What comes after counts as usual. */
	health_record(&h, 3000, SEND_DEFERRED, 0);
	assert_true(health_success_ratio(&h, 3000) == 0.0);
}

static void
zero_ramp_cancels_and_gives_full_share(void **state)
{
	struct health h;

	health_init(&h, &opts);
	health_ramp_start(&h, 1000, 60000);
	assert_true(health_ramp_factor(&h, 1000) < 0.1);
	health_ramp_start(&h, 2000, 0);
	assert_true(health_ramp_factor(&h, 2000) == 1.0);
	/* A huge ramp does not overflow into "over". */
	health_ramp_start(&h, 5000, UINT64_MAX);
	assert_true(health_ramp_factor(&h, 6000) < 0.1);
}

static void
class_out_of_range_is_ignored(void **state)
{
	struct health h;

	health_init(&h, &opts);
	health_record(&h, 0, SEND_CLASS_COUNT, 5);
	health_record(&h, 0, (enum send_class)99, 5);
	assert_true(health_success_ratio(&h, 0) == 1.0);
	assert_int_equal(health_window_count(&h, 0, SEND_CLASS_COUNT), 0);
	assert_int_equal(health_latency_ewma(&h), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(fresh_provider_has_full_score),
	    cmocka_unit_test(bad_opts_take_defaults),
	    cmocka_unit_test(accepted_and_rejected_are_successes_rest_failures),
	    cmocka_unit_test(counts_per_class_in_window_and_totals),
	    cmocka_unit_test(success_ratio_slides_with_the_window),
	    cmocka_unit_test(ewma_starts_at_first_sample_then_weighs_by_alpha),
	    cmocka_unit_test(ewma_ignores_latency_of_failures),
	    cmocka_unit_test(score_latency_factor_follows_formula),
	    cmocka_unit_test(score_is_ratio_times_latency_factor),
	    cmocka_unit_test(score_never_reaches_zero),
	    cmocka_unit_test(ramp_rises_linearly_from_five_percent),
	    cmocka_unit_test(
	        ramp_start_forgets_the_outage_but_not_totals_or_latency),
	    cmocka_unit_test(zero_ramp_cancels_and_gives_full_share),
	    cmocka_unit_test(class_out_of_range_is_ignored),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
