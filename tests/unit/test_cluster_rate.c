/*
 * test_cluster_rate.c - the fleet's leases of tokens (cluster_rate_lease.h):
 * lease sizes from the rate and the node's own use, the refill point, one
 * ask at a time and none before Redis's time, unspent tokens dropped to
 * one, give-backs, the split when Redis is lost; and the route gate
 * (route.h) that cluster_rate.c plugs in: route_pick asks it, takes from
 * the chosen provider only, and gives quota back where the node's own is.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cluster/cluster_rate_lease.h"
#include "config/config.h"
#include "route/route.h"

static void
caps_follow_the_rate_and_the_quota(void **state)
{
	assert_int_equal(cluster_rate_lease_cap_for_rate(100), 25);
	assert_int_equal(cluster_rate_lease_cap_for_rate(30), 7);
	assert_int_equal(cluster_rate_lease_cap_for_rate(1), 1);
	assert_int_equal(cluster_rate_lease_cap_for_rate(0.01), 1);
	assert_int_equal(cluster_rate_lease_cap_for_rate(0), 1);
	assert_int_equal(cluster_rate_lease_cap_for_rate(1e12), 1000000);
	assert_int_equal(cluster_rate_lease_cap_for_quota(50000), 500);
	assert_int_equal(cluster_rate_lease_cap_for_quota(99), 1);
	assert_int_equal(cluster_rate_lease_cap_for_quota(0), 1);
}

static void
size_grows_with_use_up_to_the_cap(void **state)
{
	struct cluster_rate_lease l;
	uint64_t now = 1000, k;
	int i;

	cluster_rate_lease_init(&l, 25, CLUSTER_RATE_LEASE_TTL_MS);
	/* Nothing known: one token. */
	assert_int_equal(cluster_rate_lease_asking(&l, now), 1);
	cluster_rate_lease_granted(&l, 1, 0, now);
	/* 40 messages a second for a while: 0.5 s of it is 20. */
	for (i = 0; i < 10; i++) {
		l.spent = 4;
		now += 100;
		k = cluster_rate_lease_asking(&l, now);
		cluster_rate_lease_granted(&l, 0, 1, now);
	}
	assert_true(l.use > 39 && l.use <= 40);
	assert_int_equal(k, 20);
	/* 1000 a second: the cap. */
	for (i = 0; i < 10; i++) {
		l.spent = 100;
		now += 100;
		k = cluster_rate_lease_asking(&l, now);
		cluster_rate_lease_granted(&l, 0, 1, now);
	}
	assert_int_equal(k, 25);
	/* Quiet: the EWMA halves at each ask, 999/s to 15.6/s in six. */
	for (i = 0; i < 6; i++) {
		now += 10000;
		l.spent = 0;
		k = cluster_rate_lease_asking(&l, now);
	}
	assert_int_equal(k, 8);
	/* A burst in 1 ms is not read as an infinite rate. */
	cluster_rate_lease_init(&l, 1000000, 0);
	(void)cluster_rate_lease_asking(&l, 5000);
	l.spent = 10;
	k = cluster_rate_lease_asking(&l, 5001);
	assert_int_equal(k, 50); /* 10 / 0.05 s = 200/s, halved, x 0.5 s */
}

static void
one_ask_at_a_time_and_refill_at_half(void **state)
{
	struct cluster_rate_lease l;
	uint64_t now = 1000;
	int i;

	cluster_rate_lease_init(&l, 10, 0);
	assert_true(cluster_rate_lease_should_ask(&l, now, true));
	(void)cluster_rate_lease_asking(&l, now);
	assert_true(l.pending);
	/* An ask is out: no second one, whatever is left. */
	assert_false(cluster_rate_lease_should_ask(&l, now, true));
	assert_false(cluster_rate_lease_take(&l, now));
	cluster_rate_lease_granted(&l, 10, 0, now);
	assert_false(l.pending);
	l.use = 20; /* size 10 */
	assert_int_equal(cluster_rate_lease_size(&l), 10);
	/* The filter asks only when nothing is left; a spend refills at
	 * half, before the flow runs dry. */
	for (i = 0; i < 4; i++) {
		assert_true(cluster_rate_lease_take(&l, now));
		assert_false(cluster_rate_lease_should_ask(&l, now, false));
	}
	assert_true(cluster_rate_lease_take(&l, now)); /* 5 left */
	assert_false(cluster_rate_lease_should_ask(&l, now, true));
	assert_true(cluster_rate_lease_should_ask(&l, now, false));
	assert_int_equal(l.taken, 5);
	assert_int_equal(cluster_rate_lease_left(&l, now), 5);
}

static void
no_ask_before_redis_said(void **state)
{
	struct cluster_rate_lease l;

	cluster_rate_lease_init(&l, 4, 0);
	(void)cluster_rate_lease_asking(&l, 1000);
	cluster_rate_lease_granted(&l, 0, 150, 1000); /* no room for 150 ms */
	assert_false(l.pending);
	assert_int_equal(l.retry_ms, 1150);
	assert_false(cluster_rate_lease_should_ask(&l, 1149, true));
	assert_true(cluster_rate_lease_should_ask(&l, 1150, true));
	/* A zero retry still waits a millisecond: no busy loop. */
	(void)cluster_rate_lease_asking(&l, 1150);
	cluster_rate_lease_granted(&l, 0, 0, 1150);
	assert_false(cluster_rate_lease_should_ask(&l, 1150, true));
	assert_true(cluster_rate_lease_should_ask(&l, 1151, true));
	/* A grant clears the wait. */
	(void)cluster_rate_lease_asking(&l, 1151);
	cluster_rate_lease_granted(&l, 3, 0, 1151);
	assert_int_equal(l.retry_ms, 0);
	assert_int_equal(l.granted, 3);
	/* A lost answer ends the ask; the tokens held stay. */
	(void)cluster_rate_lease_asking(&l, 1152);
	cluster_rate_lease_failed(&l);
	assert_false(l.pending);
	assert_int_equal(cluster_rate_lease_left(&l, 1152), 3);
	cluster_rate_lease_drop(&l);
	assert_int_equal(cluster_rate_lease_left(&l, 1152), 0);
}

static void
a_reservation_is_spent_when_due(void **state)
{
	struct cluster_rate_lease l;

	cluster_rate_lease_init(&l, 10, 1000);
	(void)cluster_rate_lease_asking(&l, 1000);
	cluster_rate_lease_granted(&l, 2, 0, 1000);
	assert_true(cluster_rate_lease_take(&l, 1000));
	/* The refill comes as a reservation due in 80 ms. */
	(void)cluster_rate_lease_asking(&l, 1000);
	cluster_rate_lease_granted(&l, 4, 80, 1000);
	assert_int_equal(cluster_rate_lease_left(&l, 1000), 1);
	assert_true(cluster_rate_lease_take(&l, 1010));
	assert_false(cluster_rate_lease_take(&l, 1010));
	assert_int_equal(cluster_rate_lease_wait_ms(&l, 1010), 70);
	/* Held: no other ask, even with nothing to spend now. */
	assert_false(cluster_rate_lease_should_ask(&l, 1010, true));
	assert_int_equal(cluster_rate_lease_left(&l, 1079), 0);
	assert_int_equal(cluster_rate_lease_left(&l, 1080), 4);
	assert_int_equal(cluster_rate_lease_wait_ms(&l, 1080), 0);
	/* Its tokens age from when they became due. */
	assert_int_equal(cluster_rate_lease_left(&l, 2079), 4);
	assert_int_equal(cluster_rate_lease_left(&l, 2080), 1);
	assert_int_equal(l.granted, 6);
	/* Dropped with the rest. */
	cluster_rate_lease_granted(&l, 3, 500, 2080);
	cluster_rate_lease_drop(&l);
	assert_int_equal(cluster_rate_lease_left(&l, 9999), 0);
	assert_int_equal(cluster_rate_lease_wait_ms(&l, 2080), 0);
}

static void
unspent_tokens_drop_to_one(void **state)
{
	struct cluster_rate_lease l, q;

	cluster_rate_lease_init(&l, 20, 1000);
	(void)cluster_rate_lease_asking(&l, 0);
	cluster_rate_lease_granted(&l, 20, 0, 5000);
	assert_int_equal(cluster_rate_lease_left(&l, 5999), 20);
	assert_int_equal(cluster_rate_lease_left(&l, 6000), 1);
	assert_true(cluster_rate_lease_take(&l, 6000));
	assert_false(cluster_rate_lease_take(&l, 6000));
	/* A give-back returns the token. */
	cluster_rate_lease_give_back(&l);
	assert_int_equal(cluster_rate_lease_left(&l, 6000), 1);
	assert_int_equal(l.taken, 0);
	/* Without a ttl (the quota's lease) tokens are kept. */
	cluster_rate_lease_init(&q, 20, 0);
	(void)cluster_rate_lease_asking(&q, 0);
	cluster_rate_lease_granted(&q, 20, 0, 5000);
	assert_int_equal(cluster_rate_lease_left(&q, 5000 + 86400000), 20);
	/* A new grant keeps what was still fresh and restarts the clock. */
	cluster_rate_lease_init(&l, 20, 1000);
	cluster_rate_lease_granted(&l, 5, 0, 0);
	cluster_rate_lease_granted(&l, 5, 0, 900);
	assert_int_equal(cluster_rate_lease_left(&l, 1500), 10);
	assert_int_equal(cluster_rate_lease_left(&l, 1900), 1);
}

static void
split_when_redis_is_lost(void **state)
{
	double r = cluster_rate_lease_split_rate(30, 3);

	assert_true(r > 9.999 && r < 10.001);
	assert_true(cluster_rate_lease_split_rate(30, 0) == 30);
	assert_true(cluster_rate_lease_split_rate(30, 1) == 30);
	/* (1000 - 400) / 3 = 200, plus the 7 it held. */
	assert_int_equal(cluster_rate_lease_split_quota(1000, 400, 7, 3), 207);
	assert_int_equal(cluster_rate_lease_split_quota(1000, 999, 0, 3), 0);
	assert_int_equal(cluster_rate_lease_split_quota(1000, 1000, 2, 3), 2);
	assert_int_equal(cluster_rate_lease_split_quota(1000, 5000, 0, 3), 0);
	assert_int_equal(cluster_rate_lease_split_quota(1000, 0, 0, 0), 1000);
}

/* ---- the route gate ------------------------------------------------- */

struct fake_gate {
	int allows, takes, refunds;
	bool deny;          /* deny every provider */
	const char *deny_p; /* deny this one only */
	uint64_t wait;
};

static bool
fake_allow(void *arg, const struct route_prov *rp, uint64_t now_ms,
           int64_t wall_ms, uint64_t *wait_ms, char *why, size_t n)
{
	struct fake_gate *g = arg;

	g->allows++;
	if (g->deny ||
	    (g->deny_p != NULL && strcmp(g->deny_p, rp->cfg->name) == 0)) {
		*wait_ms = g->wait;
		snprintf(why, n, "fleet says no");
		return false;
	}
	snprintf(why, n, "split 1/3");
	return true;
}

static void
fake_take(void *arg, const struct route_prov *rp, uint64_t now_ms,
          int64_t wall_ms)
{
	((struct fake_gate *)arg)->takes++;
}

static void
fake_refund(void *arg, const struct route_prov *rp, int64_t wall_ms)
{
	((struct fake_gate *)arg)->refunds++;
}

static void
route_asks_the_gate(void **state)
{
	struct config_provider cfg[2] = {
	    {.name = "a", .enabled = true, .priority = 1, .weight = 1},
	    {.name = "b", .enabled = true, .priority = 2, .weight = 1},
	};
	struct route_prov rp[2], *provs[2] = {&rp[0], &rp[1]};
	struct fake_gate g = {0};
	struct route_gate rg = {fake_allow, fake_take, fake_refund, &g};
	struct route_ctx ctx;
	struct send_result res = {.class = SEND_DEFERRED};
	struct buf trace;
	int i;

	buf_init(&trace);
	for (i = 0; i < 2; i++)
		route_prov_init(&rp[i], &cfg[i], 1000, 1700000000000);
	/* No gate: nothing asked (the default). */
	memset(&ctx, 0, sizeof(ctx));
	ctx.now_ms = 1000;
	assert_int_equal(route_pick(provs, 2, &ctx), 0);
	route_gate_set(&rg);
	/* Asked for each candidate, taken from the chosen one only; the
	 * trace names the limit in force. */
	memset(&ctx, 0, sizeof(ctx));
	ctx.now_ms = 1000;
	ctx.trace = &trace;
	assert_int_equal(route_pick(provs, 2, &ctx), 0);
	assert_int_equal(g.allows, 2);
	assert_int_equal(g.takes, 1);
	assert_non_null(strstr(buf_cstr(&trace), "chose a"));
	assert_non_null(strstr(buf_cstr(&trace), "(split 1/3)"));
	/* The gate says no to a: b takes it, and the trace says why. */
	g.deny_p = "a";
	trace.len = 0;
	memset(&ctx, 0, sizeof(ctx));
	ctx.now_ms = 1000;
	ctx.trace = &trace;
	assert_int_equal(route_pick(provs, 2, &ctx), 1);
	assert_non_null(strstr(buf_cstr(&trace), "a (fleet says no)"));
	/* No to all, with a wait: the pick waits that long. */
	g.deny = true;
	g.wait = 40;
	memset(&ctx, 0, sizeof(ctx));
	ctx.now_ms = 1000;
	assert_int_equal(route_pick(provs, 2, &ctx), -1);
	assert_int_equal(ctx.wait_ms, 40);
	/* No to all without a wait (not today): no wait either. */
	g.wait = 0;
	memset(&ctx, 0, sizeof(ctx));
	ctx.now_ms = 1000;
	assert_int_equal(route_pick(provs, 2, &ctx), -1);
	assert_int_equal(ctx.wait_ms, 0);
	/* A failed attempt and an unpicked one give the quota back; an
	 * accepted one does not. */
	route_result(&rp[0], &res, 10, false, 1000, 1700000000000);
	assert_int_equal(g.refunds, 1);
	res.class = SEND_ACCEPTED;
	route_result(&rp[0], &res, 10, false, 1000, 1700000000000);
	assert_int_equal(g.refunds, 1);
	route_unpick(&rp[0], false, 1700000000000);
	assert_int_equal(g.refunds, 2);
	/* Gone: not asked any more. */
	route_gate_set(NULL);
	g.deny = true;
	memset(&ctx, 0, sizeof(ctx));
	ctx.now_ms = 1000;
	assert_int_equal(route_pick(provs, 2, &ctx), 0);
	buf_fini(&trace);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(caps_follow_the_rate_and_the_quota),
	    cmocka_unit_test(size_grows_with_use_up_to_the_cap),
	    cmocka_unit_test(one_ask_at_a_time_and_refill_at_half),
	    cmocka_unit_test(no_ask_before_redis_said),
	    cmocka_unit_test(a_reservation_is_spent_when_due),
	    cmocka_unit_test(unspent_tokens_drop_to_one),
	    cmocka_unit_test(split_when_redis_is_lost),
	    cmocka_unit_test(route_asks_the_gate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
