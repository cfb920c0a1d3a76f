/*
 * test_pstate.c - provider state: cool-downs, probes, recovery.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "route/pstate.h"

static const struct pstate_opts opts = {
	.fail_threshold = 3,
	.cooldown_min_ms = 1000,
	.cooldown_max_ms = 4000,
};

static void
fresh_provider_is_usable(void **state)
{
	struct pstate p;

	pstate_init(&p, NULL);
	assert_int_equal(p.mode, PSTATE_UP);
	assert_true(pstate_try(&p, 0));
	assert_true(pstate_try(&p, 0));
	assert_int_equal(p.opts.fail_threshold, 3);
}

static void
threshold_failures_start_cooldown(void **state)
{
	struct pstate p;

	pstate_init(&p, &opts);
	pstate_failure(&p, 100, false);
	pstate_failure(&p, 100, false);
	assert_true(pstate_try(&p, 100));
	pstate_failure(&p, 100, false);
	assert_int_equal(p.mode, PSTATE_COOLING);
	assert_false(pstate_try(&p, 100));
	assert_false(pstate_try(&p, 1099));
}

static void
success_resets_consecutive_count(void **state)
{
	struct pstate p;

	pstate_init(&p, &opts);
	pstate_failure(&p, 0, false);
	pstate_failure(&p, 0, false);
	pstate_success(&p);
	pstate_failure(&p, 0, false);
	pstate_failure(&p, 0, false);
	assert_int_equal(p.mode, PSTATE_UP);
}

static void
after_cooldown_exactly_one_probe(void **state)
{
	struct pstate p;

	pstate_init(&p, &opts);
	pstate_failure(&p, 0, true);
	assert_int_equal(p.mode, PSTATE_COOLING);
	assert_true(pstate_try(&p, 1000));
	assert_int_equal(p.mode, PSTATE_PROBING);
	assert_false(pstate_try(&p, 1000));
	pstate_success(&p);
	assert_int_equal(p.mode, PSTATE_UP);
	assert_true(pstate_try(&p, 1001));
	assert_true(pstate_try(&p, 1001));
}

static void
failed_probe_doubles_cooldown_up_to_cap(void **state)
{
	struct pstate p;
	uint64_t now = 0;

	pstate_init(&p, &opts);
	pstate_failure(&p, now, true);
	assert_int_equal(p.cooldown_ms, 1000);
	now = p.until_ms;
	assert_true(pstate_try(&p, now));
	pstate_failure(&p, now, false);
	assert_int_equal(p.cooldown_ms, 2000);
	now = p.until_ms;
	assert_true(pstate_try(&p, now));
	pstate_failure(&p, now, false);
	assert_int_equal(p.cooldown_ms, 4000);
	now = p.until_ms;
	assert_true(pstate_try(&p, now));
	pstate_failure(&p, now, false);
	assert_int_equal(p.cooldown_ms, 4000);
	assert_false(pstate_try(&p, now + 3999));
}

static void
late_failures_do_not_extend_cooldown(void **state)
{
	struct pstate p;

	pstate_init(&p, &opts);
	pstate_failure(&p, 0, true);
	pstate_failure(&p, 500, false);
	pstate_failure(&p, 600, false);
	assert_int_equal(p.until_ms, 1000);
	assert_int_equal(p.cooldown_ms, 1000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fresh_provider_is_usable),
		cmocka_unit_test(threshold_failures_start_cooldown),
		cmocka_unit_test(success_resets_consecutive_count),
		cmocka_unit_test(after_cooldown_exactly_one_probe),
		cmocka_unit_test(failed_probe_doubles_cooldown_up_to_cap),
		cmocka_unit_test(late_failures_do_not_extend_cooldown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
