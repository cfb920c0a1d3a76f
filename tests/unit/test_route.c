/*
 * test_route.c - provider choice: priority, weights, standbys, health.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"
#include "route/route.h"

#define N 4

struct world {
	struct config_provider cfg[N];
	struct route_prov rp[N];
	struct route_prov *v[N];
};

/* world_init - n enabled providers, priority 1, weight 1, all up. */
static void
world_init(struct world *w, size_t n)
{
	size_t i;

	memset(w, 0, sizeof(*w));
	for (i = 0; i < n; i++) {
		w->cfg[i].enabled = true;
		w->cfg[i].priority = 1;
		w->cfg[i].weight = 1;
		w->rp[i].cfg = &w->cfg[i];
		pstate_init(&w->rp[i].ps, NULL);
		w->v[i] = &w->rp[i];
	}
}

static int
pick(struct world *w, size_t n)
{
	uint64_t tried = 0;

	return route_pick(w->v, n, &tried, 0);
}

static void
lowest_priority_number_wins(void **state)
{
	struct world w;

	world_init(&w, 3);
	w.cfg[0].priority = 2;
	w.cfg[1].priority = 1;
	w.cfg[2].priority = 3;
	for (int i = 0; i < 10; i++)
		assert_int_equal(pick(&w, 3), 1);
}

static void
weights_share_traffic_exactly(void **state)
{
	struct world w;
	int count[2] = {0, 0}, i, run = 0, longest = 0, last = -1;

	world_init(&w, 2);
	w.cfg[0].weight = 1;
	w.cfg[1].weight = 3;
	for (i = 0; i < 400; i++) {
		int k = pick(&w, 2);
		count[k]++;
		run = k == last ? run + 1 : 1;
		if (run > longest)
			longest = run;
		last = k;
	}
	assert_int_equal(count[0], 100);
	assert_int_equal(count[1], 300);
	/* Smooth: never more than 3 in a row to the heavy one. */
	assert_true(longest <= 3);
}

static void
standby_weight_zero_only_when_needed(void **state)
{
	struct world w;
	uint64_t tried = 0;

	world_init(&w, 2);
	w.cfg[1].weight = 0;
	for (int i = 0; i < 10; i++)
		assert_int_equal(pick(&w, 2), 0);
	/* The weighted one already failed for this message: standby. */
	tried = 1;
	assert_int_equal(route_pick(w.v, 2, &tried, 0), 1);
}

static void
tried_disabled_and_cooling_are_skipped(void **state)
{
	struct world w;
	uint64_t tried = 1; /* provider 0 tried */

	world_init(&w, 4);
	w.cfg[1].enabled = false;
	pstate_failure(&w.rp[2].ps, 0, true); /* cooling for 5 s */
	assert_int_equal(route_pick(w.v, 4, &tried, 100), 3);
	tried |= 1ULL << 3;
	assert_int_equal(route_pick(w.v, 4, &tried, 100), -1);
	/* "Any usable" ignores what this message tried: 0 and 3 still are. */
	assert_true(route_any_usable(w.v, 4, 100));
	/* Only the disabled and the cooling one: none. */
	assert_false(route_any_usable(w.v + 1, 2, 100));
}

static void
lower_priority_used_when_preferred_cools(void **state)
{
	struct world w;

	world_init(&w, 2);
	w.cfg[1].priority = 2;
	pstate_failure(&w.rp[0].ps, 0, true);
	assert_int_equal(pick(&w, 2), 1);
	/* After the cool-down exactly one message probes the primary. */
	{
		uint64_t now = w.rp[0].ps.until_ms, t1 = 0, t2 = 0;
		assert_int_equal(route_pick(w.v, 2, &t1, now), 0);
		assert_int_equal(route_pick(w.v, 2, &t2, now), 1);
	}
}

static void
nothing_usable_gives_minus_one(void **state)
{
	struct world w;

	world_init(&w, 2);
	pstate_failure(&w.rp[0].ps, 0, true);
	pstate_failure(&w.rp[1].ps, 0, true);
	assert_int_equal(pick(&w, 2), -1);
	assert_false(route_any_usable(w.v, 2, 1));
	assert_int_equal(pick(&w, 0), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lowest_priority_number_wins),
		cmocka_unit_test(weights_share_traffic_exactly),
		cmocka_unit_test(standby_weight_zero_only_when_needed),
		cmocka_unit_test(tried_disabled_and_cooling_are_skipped),
		cmocka_unit_test(lower_priority_used_when_preferred_cools),
		cmocka_unit_test(nothing_usable_gives_minus_one),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
