/*
 * test_clock.c - the monotonic and wall clocks and their seam.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "core/clock.h"

struct fake {
	uint64_t mono_us;
	int64_t wall_us;
};

static uint64_t
fake_mono(void *arg)
{
	return ((struct fake *)arg)->mono_us;
}

static int64_t
fake_wall(void *arg)
{
	return ((struct fake *)arg)->wall_us;
}

static int
reset(void **state)
{
	clock_source_set(NULL);
	return 0;
}

static void
seam_drives_both_clocks(void **state)
{
	struct fake f = {.mono_us = 5000123, .wall_us = 1700000000123456};
	struct clock_source src = {fake_mono, fake_wall, &f};

	clock_source_set(&src);
	assert_int_equal(clock_mono_us(), 5000123);
	assert_int_equal(clock_mono_ms(), 5000);
	assert_int_equal(clock_wall_ms(), 1700000000123);
	assert_int_equal(clock_wall_time(), 1700000000);
	/* A step of the wall clock leaves the monotonic clock alone. */
	f.wall_us -= 3600 * 1000000LL;
	assert_int_equal(clock_mono_ms(), 5000);
	assert_int_equal(clock_wall_ms(), 1700000000123 - 3600 * 1000);
}

static void
wall_until_counts_down_to_zero(void **state)
{
	struct fake f = {.mono_us = 0, .wall_us = 10000000};
	struct clock_source src = {fake_mono, fake_wall, &f};

	clock_source_set(&src);
	assert_int_equal(clock_wall_until_ms(12500), 2500);
	assert_int_equal(clock_wall_until_ms(10000), 0);
	assert_int_equal(clock_wall_until_ms(-5), 0);
}

static void
wall_before_the_epoch_floors(void **state)
{
	struct fake f = {.mono_us = 0, .wall_us = -1500};
	struct clock_source src = {fake_mono, fake_wall, &f};

	clock_source_set(&src);
	assert_int_equal(clock_wall_ms(), -2);
	assert_int_equal(clock_wall_time(), -1);
}

static void
wall_text_is_rfc3339_utc_with_ms(void **state)
{
	char t[40];

	clock_wall_text(1700000000042LL, t, sizeof(t));
	assert_string_equal(t, "2023-11-14T22:13:20.042Z");
}

static void
real_clocks_are_sane(void **state)
{
	uint64_t m0 = clock_mono_us(), m1;
	int64_t w = clock_wall_ms();
	struct timespec dl, now;

	m1 = clock_mono_us();
	assert_true(m1 >= m0);
	/* After 2020 and before 2100. */
	assert_true(w > 1577836800000LL && w < 4102444800000LL);
	clock_deadline_after(&dl, 1500000);
	clock_gettime(CLOCK_MONOTONIC, &now);
	assert_true(dl.tv_sec > now.tv_sec ||
	            (dl.tv_sec == now.tv_sec && dl.tv_nsec > now.tv_nsec));
	assert_true(dl.tv_nsec < 1000000000L);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(seam_drives_both_clocks, reset),
	    cmocka_unit_test_teardown(wall_until_counts_down_to_zero, reset),
	    cmocka_unit_test_teardown(wall_before_the_epoch_floors, reset),
	    cmocka_unit_test_teardown(wall_text_is_rfc3339_utc_with_ms, reset),
	    cmocka_unit_test_teardown(real_clocks_are_sane, reset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
