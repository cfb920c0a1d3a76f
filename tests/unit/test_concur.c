/*
 * test_concur.c - the AIMD connection window (route/concur.h): it starts
 * where asked, grows by about one connection per window's worth of
 * answers up to max and never past it, halves on a deferral at most once
 * per CONCUR_HOLD_MS and never below 1, and a fixed window never moves.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "route/concur.h"

static void
init_clamps(void **state)
{
	struct concur c;

	(void)state;
	concur_init(&c, 0, 8, true);
	assert_int_equal(concur_limit(&c), 8);
	concur_init(&c, 3, 8, true);
	assert_int_equal(concur_limit(&c), 3);
	concur_init(&c, 20, 8, true);
	assert_int_equal(concur_limit(&c), 8);
	concur_init(&c, 1, 0, true);
	assert_int_equal(concur_limit(&c), 1);
	concur_init(&c, 2, 8, false);
	assert_int_equal(concur_limit(&c), 8);
}

/* Additive increase: from w to w+1 takes w or w+1 answers (each adds
 * 1/window, and the window grows on the way). */
static void
grows_one_per_window(void **state)
{
	struct concur c;
	int n;

	(void)state;
	concur_init(&c, 4, 16, true);
	for (n = 0; concur_limit(&c) == 4; n++)
		concur_answered(&c);
	assert_in_range(n, 4, 5);
	assert_int_equal(concur_limit(&c), 5);
	for (n = 0; concur_limit(&c) == 5; n++)
		concur_answered(&c);
	assert_in_range(n, 5, 6);
	/* All the way up, and never past max. */
	for (n = 0; n < 1000; n++)
		concur_answered(&c);
	assert_int_equal(concur_limit(&c), 16);
	assert_int_equal(c.ups, 12);
}

/* Multiplicative decrease on deferrals; one cut per hold. */
static void
halves_on_deferral_once_per_hold(void **state)
{
	struct concur c;
	uint64_t t = 50000;

	(void)state;
	concur_init(&c, 0, 8, true);
	assert_true(concur_slowed(&c, t));
	assert_int_equal(concur_limit(&c), 4);
	/* The other connections' failures of the same slow-down. */
	assert_false(concur_slowed(&c, t + 10));
	assert_false(concur_slowed(&c, t + CONCUR_HOLD_MS - 1));
	assert_int_equal(concur_limit(&c), 4);
	assert_true(concur_slowed(&c, t + CONCUR_HOLD_MS));
	assert_int_equal(concur_limit(&c), 2);
	assert_true(concur_slowed(&c, t + 2 * CONCUR_HOLD_MS));
	assert_int_equal(concur_limit(&c), 1);
	/* Never below one. */
	assert_true(concur_slowed(&c, t + 3 * CONCUR_HOLD_MS));
	assert_int_equal(concur_limit(&c), 1);
	assert_int_equal(c.cuts, 4);
	/* And back up as the provider answers again. */
	concur_answered(&c);
	assert_int_equal(concur_limit(&c), 2);
}

/* A cut at time 0 of the monotonic clock still holds. */
static void
hold_at_time_zero(void **state)
{
	struct concur c;

	(void)state;
	concur_init(&c, 0, 8, true);
	assert_true(concur_slowed(&c, 0));
	assert_false(concur_slowed(&c, 5));
	assert_int_equal(concur_limit(&c), 4);
}

static void
fixed_never_moves(void **state)
{
	struct concur c;
	int i;

	(void)state;
	concur_init(&c, 0, 6, false);
	for (i = 0; i < 10; i++)
		assert_false(concur_slowed(&c, (uint64_t)i * 10000));
	assert_int_equal(concur_limit(&c), 6);
	concur_answered(&c);
	assert_int_equal(concur_limit(&c), 6);
	assert_int_equal(c.cuts, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(init_clamps),
	    cmocka_unit_test(grows_one_per_window),
	    cmocka_unit_test(halves_on_deferral_once_per_hold),
	    cmocka_unit_test(hold_at_time_zero),
	    cmocka_unit_test(fixed_never_moves),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
