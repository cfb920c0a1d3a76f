/*
 * test_route.c - provider choice: priority, health-weighted shares,
 * standbys, keep-warm, objectives, stream filters, circuit, rate limits,
 * quota, the fail-back ramp, and the trace; all with a fake clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"
#include "route/route.h"

#define N 4
#define T0 1000000ULL /* fake clock start, ms */

struct world {
	struct config_provider cfg[N];
	struct route_prov rp[N];
	struct route_prov *v[N];
	char names[N][24];
	size_t n;
};

/* world_init - n enabled providers p0.., priority 1, weight 1, healthy. */
static void
world_init(struct world *w, size_t n)
{
	size_t i;

	memset(w, 0, sizeof(*w));
	w->n = n;
	for (i = 0; i < n; i++) {
		memset(&w->cfg[i], 0, sizeof(w->cfg[i]));
		snprintf(w->names[i], sizeof(w->names[i]), "p%zu", i);
		w->cfg[i].name = w->names[i];
		w->cfg[i].enabled = true;
		w->cfg[i].priority = 1;
		w->cfg[i].weight = 1;
		w->cfg[i].failback_ramp_ms = 300000;
		w->v[i] = &w->rp[i];
	}
}

/* world_start - route_prov_init every provider (after cfg tweaks). */
static void
world_start(struct world *w)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		route_prov_init(&w->rp[i], &w->cfg[i], T0, (int64_t)T0);
}

static int
pick_at(struct world *w, const struct config_stream *st, uint64_t tried,
        uint64_t now, struct route_ctx *out)
{
	struct route_ctx ctx;
	int i;

	memset(&ctx, 0, sizeof(ctx));
	ctx.stream = st;
	ctx.tried = tried;
	ctx.now_ms = now;
	ctx.wall_ms = (int64_t)now;
	i = route_pick(w->v, w->n, &ctx);
	if (out != NULL)
		*out = ctx;
	return i;
}

static int
pick(struct world *w)
{
	return pick_at(w, NULL, 0, T0, NULL);
}

/* result - feed one result of class c to provider i at time now. */
static enum breaker_event
result(struct world *w, size_t i, enum send_class c, uint64_t now)
{
	struct send_result r;

	send_result_init(&r, c, SEND_STAGE_DOT);
	return route_result(&w->rp[i], &r, 100, false, now, (int64_t)now);
}

static void
lowest_priority_number_wins(void **state)
{
	struct world w;
	int i;

	world_init(&w, 3);
	w.cfg[0].priority = 2;
	w.cfg[1].priority = 1;
	w.cfg[2].priority = 3;
	world_start(&w);
	for (i = 0; i < 10; i++)
		assert_int_equal(pick(&w), 1);
}

static void
weights_share_traffic_within_tolerance(void **state)
{
	struct world w;
	int counts[N] = {0}, i;

	world_init(&w, 3);
	w.cfg[0].weight = 1;
	w.cfg[1].weight = 3;
	w.cfg[2].weight = 6;
	world_start(&w);
	for (i = 0; i < 10000; i++)
		counts[pick(&w)]++;
	/* Smooth round-robin is exact over whole cycles of 10. */
	assert_int_equal(counts[0], 1000);
	assert_int_equal(counts[1], 3000);
	assert_int_equal(counts[2], 6000);
}

static void
health_lowers_a_providers_share(void **state)
{
	struct world w;
	int counts[N] = {0}, i;

	world_init(&w, 2);
	world_start(&w);
	/* p1: half its recent attempts failed -> score 0.5. */
	for (i = 0; i < 10; i++) {
		result(&w, 1, SEND_ACCEPTED, T0);
		result(&w, 1, i % 2 ? SEND_DEFERRED : SEND_ACCEPTED, T0);
	}
	w.rp[1].br.consecutive = 0; /* keep the circuit closed for this */
	for (i = 0; i < 3000; i++)
		counts[pick(&w)]++;
	/* p1 had 15 of 20 succeed: share 0.75 / 1.75 = 43% (+-2%). */
	assert_in_range(counts[1], 1230, 1340);
	assert_int_equal(counts[0] + counts[1], 3000);
}

static void
standby_only_when_no_weighted_provider_is_left(void **state)
{
	struct world w;
	int i;

	world_init(&w, 2);
	w.cfg[1].weight = 0;
	world_start(&w);
	for (i = 0; i < 20; i++)
		assert_int_equal(pick(&w), 0);
	w.cfg[0].enabled = false;
	assert_int_equal(pick(&w), 1);
}

static void
keep_warm_sends_its_share_to_a_standby(void **state)
{
	struct world w;
	struct route_ctx ctx;
	int counts[N] = {0}, warm = 0, i;

	world_init(&w, 2);
	w.cfg[1].priority = 2;
	w.cfg[1].keep_warm = 0.02;
	world_start(&w);
	for (i = 0; i < 1000; i++) {
		counts[pick_at(&w, NULL, 0, T0, &ctx)]++;
		warm += ctx.warm;
	}
	assert_int_equal(counts[1], 20);
	assert_int_equal(warm, 20);
	assert_int_equal(w.rp[1].warm_picks, 20);
}

static void
open_circuit_fails_over_and_half_open_lets_trials_through(void **state)
{
	struct world w;
	struct route_ctx ctx;
	int i;

	world_init(&w, 2);
	w.cfg[1].priority = 2;
	world_start(&w);
	assert_int_equal(result(&w, 0, SEND_DEFERRED, T0), BREAKER_EV_NONE);
	assert_int_equal(result(&w, 0, SEND_DEFERRED, T0), BREAKER_EV_NONE);
	assert_int_equal(result(&w, 0, SEND_DEFERRED, T0), BREAKER_EV_OPENED);
	assert_string_equal(route_state_name(&w.rp[0], T0), "open");
	for (i = 0; i < 5; i++)
		assert_int_equal(pick(&w), 1);
	/* After the 5 s cool-down: three trial messages at most. */
	for (i = 0; i < 3; i++) {
		assert_int_equal(pick_at(&w, NULL, 0, T0 + 5000, &ctx), 0);
		assert_true(ctx.trial);
	}
	assert_int_equal(pick_at(&w, NULL, 0, T0 + 5000, &ctx), 1);
	assert_false(ctx.trial);
	/* One trial never ran: its slot comes back. */
	route_unpick(&w.rp[0], true, (int64_t)T0);
	assert_int_equal(pick_at(&w, NULL, 0, T0 + 5001, &ctx), 0);
}

static void
trials_succeeding_close_the_circuit_and_start_the_ramp(void **state)
{
	struct world w;
	struct send_result r;
	int counts[N] = {0}, i;

	world_init(&w, 2);
	w.cfg[0].weight = 1;
	w.cfg[1].weight = 1;
	world_start(&w);
	for (i = 0; i < 3; i++)
		result(&w, 0, SEND_DEFERRED, T0);
	send_result_init(&r, SEND_ACCEPTED, SEND_STAGE_DOT);
	for (i = 0; i < 3; i++) {
		struct route_ctx ctx;
		uint64_t tried = 1ULL << 1; /* only p0 */
		assert_int_equal(pick_at(&w, NULL, tried, T0 + 6000, &ctx), 0);
		assert_true(ctx.trial);
	}
	assert_int_equal(
	    route_result(&w.rp[0], &r, 50, true, T0 + 6000, (int64_t)T0),
	    BREAKER_EV_NONE);
	route_result(&w.rp[0], &r, 50, true, T0 + 6000, (int64_t)T0);
	assert_int_equal(
	    route_result(&w.rp[0], &r, 50, true, T0 + 6000, (int64_t)T0),
	    BREAKER_EV_CLOSED);
	/* Just closed: its share starts near 5% of its weight. */
	for (i = 0; i < 1000; i++)
		counts[pick_at(&w, NULL, 0, T0 + 6000, NULL)]++;
	assert_in_range(counts[0], 30, 70);
	/* Half-way through the 5 m ramp: about half its weight. */
	memset(counts, 0, sizeof(counts));
	for (i = 0; i < 1000; i++)
		counts[pick_at(&w, NULL, 0, T0 + 6000 + 150000, NULL)]++;
	assert_in_range(counts[0], 320, 370);
	/* After the ramp: an equal share. */
	memset(counts, 0, sizeof(counts));
	for (i = 0; i < 1000; i++)
		counts[pick_at(&w, NULL, 0, T0 + 6000 + 300000, NULL)]++;
	assert_int_equal(counts[0], 500);
}

static void
ramp_spills_to_the_next_priority_while_alone_in_its_group(void **state)
{
	struct world w;
	struct route_ctx ctx;
	int counts[N] = {0}, i;

	world_init(&w, 2);
	w.cfg[1].priority = 2;
	world_start(&w);
	for (i = 0; i < 3; i++)
		result(&w, 0, SEND_DEFERRED, T0);
	for (i = 0; i < 3; i++) {
		struct send_result r;
		send_result_init(&r, SEND_ACCEPTED, SEND_STAGE_DOT);
		assert_int_equal(pick_at(&w, NULL, 1ULL << 1, T0 + 6000, &ctx),
		                 0);
		route_result(&w.rp[0], &r, 50, true, T0 + 6000, (int64_t)T0);
	}
	assert_string_equal(route_state_name(&w.rp[0], T0 + 6000), "closed");
	/* Just closed: about 5% to the recovered primary, 95% stays on
	 * the backup of priority 2. */
	for (i = 0; i < 1000; i++)
		counts[pick_at(&w, NULL, 0, T0 + 6000, &ctx)]++;
	assert_in_range(counts[0], 40, 60);
	/* Half-way: about half; at the end: everything. */
	memset(counts, 0, sizeof(counts));
	for (i = 0; i < 1000; i++)
		counts[pick_at(&w, NULL, 0, T0 + 6000 + 150000, NULL)]++;
	assert_in_range(counts[0], 490, 560);
	memset(counts, 0, sizeof(counts));
	for (i = 0; i < 100; i++)
		counts[pick_at(&w, NULL, 0, T0 + 6000 + 300000, NULL)]++;
	assert_int_equal(counts[0], 100);
}

static void
stream_filter_and_tried_bits_are_respected(void **state)
{
	struct world w;
	struct config_stream st;
	char *allowed[] = {"p1"};
	struct route_ctx ctx;

	world_init(&w, 3);
	world_start(&w);
	memset(&st, 0, sizeof(st));
	st.name = "critical";
	st.providers = allowed;
	st.n_providers = 1;
	assert_int_equal(pick_at(&w, &st, 0, T0, NULL), 1);
	assert_int_equal(pick_at(&w, &st, 1ULL << 1, T0, &ctx), -1);
	assert_int_equal(ctx.wait_ms, 0);
	assert_int_equal(pick_at(&w, NULL, 1ULL << 0 | 1ULL << 1, T0, NULL), 2);
}

static void
cost_objective_picks_the_cheapest_usable(void **state)
{
	struct world w;
	struct config_stream st;
	int i;

	world_init(&w, 3);
	w.cfg[0].cost_per_1k = 1.25;
	w.cfg[1].cost_per_1k = 0.10;
	w.cfg[1].priority = 3;
	w.cfg[2].cost_per_1k = 0.80;
	world_start(&w);
	memset(&st, 0, sizeof(st));
	st.name = "bulk";
	st.objective = CONFIG_OBJECTIVE_COST;
	for (i = 0; i < 5; i++)
		assert_int_equal(pick_at(&w, &st, 0, T0, NULL), 1);
	for (i = 0; i < 3; i++)
		result(&w, 1, SEND_DEFERRED, T0);
	assert_int_equal(pick_at(&w, &st, 0, T0, NULL), 2);
	/* Balanced ignores cost: priority 1 providers share. */
	assert_int_not_equal(pick_at(&w, NULL, 0, T0, NULL), 1);
}

static void
latency_objective_picks_the_fastest(void **state)
{
	struct world w;
	struct config_stream st;
	struct send_result r;

	world_init(&w, 2);
	world_start(&w);
	send_result_init(&r, SEND_ACCEPTED, SEND_STAGE_DOT);
	route_result(&w.rp[0], &r, 900, false, T0, (int64_t)T0);
	route_result(&w.rp[1], &r, 40, false, T0, (int64_t)T0);
	memset(&st, 0, sizeof(st));
	st.name = "critical";
	st.objective = CONFIG_OBJECTIVE_LATENCY;
	assert_int_equal(pick_at(&w, &st, 0, T0, NULL), 1);
	assert_int_equal(pick_at(&w, &st, 0, T0, NULL), 1);
}

static void
rate_limit_waits_instead_of_failing(void **state)
{
	struct world w;
	struct route_ctx ctx;
	char rate[] = "2/s";
	int i;

	world_init(&w, 1);
	w.cfg[0].max_rate = rate;
	world_start(&w);
	for (i = 0; i < 2; i++)
		assert_int_equal(pick_at(&w, NULL, 0, T0, NULL), 0);
	assert_int_equal(pick_at(&w, NULL, 0, T0, &ctx), -1);
	assert_in_range(ctx.wait_ms, 1, 500);
	assert_int_equal(pick_at(&w, NULL, 0, T0 + 500, NULL), 0);
	/* A throttling answer halves the rate (AIMD), without opening. */
	{
		struct send_result r;
		send_result_init(&r, SEND_THROTTLED, SEND_STAGE_MAIL);
		assert_int_equal(route_result(&w.rp[0], &r, 10, false, T0 + 600,
		                              (int64_t)T0),
		                 BREAKER_EV_NONE);
		assert_true(w.rp[0].tb.rate < 1.01);
		assert_string_equal(route_state_name(&w.rp[0], T0), "closed");
	}
}

static void
retry_after_opens_the_circuit_for_that_long(void **state)
{
	struct world w;
	struct send_result r;

	world_init(&w, 1);
	world_start(&w);
	send_result_init(&r, SEND_THROTTLED, SEND_STAGE_RESPONSE);
	r.retry_after_ms = 30000;
	assert_int_equal(route_result(&w.rp[0], &r, 10, false, T0, (int64_t)T0),
	                 BREAKER_EV_OPENED);
	assert_int_equal(breaker_cooldown_left(&w.rp[0].br, T0), 30000);
	assert_string_equal(w.rp[0].br.reason,
	                    "provider asked to retry after 30 s");
}

static void
daily_quota_filters_when_used_up(void **state)
{
	struct world w;

	world_init(&w, 2);
	w.cfg[0].quota_daily = 2;
	w.cfg[1].priority = 2;
	world_start(&w);
	assert_int_equal(pick(&w), 0);
	assert_int_equal(pick(&w), 0);
	assert_int_equal(pick(&w), 1);
	/* A failed attempt gives its quota back. */
	result(&w, 0, SEND_DEFERRED, T0);
	assert_int_equal(pick(&w), 0);
}

static void
paused_and_draining_providers_take_nothing(void **state)
{
	struct world w;

	world_init(&w, 2);
	world_start(&w);
	w.rp[0].admin = ROUTE_ADMIN_PAUSED;
	w.rp[0].admin_until_ms = T0 + 1000;
	assert_int_equal(pick_at(&w, NULL, 0, T0, NULL), 1);
	assert_int_equal(pick_at(&w, NULL, 0, T0, NULL), 1);
	assert_string_equal(route_state_name(&w.rp[0], T0), "paused");
	/* The pause had a time limit. */
	assert_string_equal(route_state_name(&w.rp[0], T0 + 1000), "closed");
	w.rp[1].admin = ROUTE_ADMIN_DRAINING;
	assert_int_equal(pick_at(&w, NULL, 0, T0 + 1000, NULL), 0);
	assert_false(route_usable(&w.rp[1], T0));
}

static void
good_probe_ends_a_failure_cooldown_but_not_a_forced_one(void **state)
{
	struct world w;
	struct send_result r;

	world_init(&w, 3);
	world_start(&w);
	/* p0: opened by refused connections; a good probe sees what failed,
	 * so trials go at once. */
	for (int i = 0; i < 3; i++) {
		send_result_init(&r, SEND_DEFERRED, SEND_STAGE_CONNECT);
		route_result(&w.rp[0], &r, 10, false, T0, (int64_t)T0);
	}
	assert_false(route_usable(&w.rp[0], T0 + 100));
	route_probe_result(&w.rp[0], true, SEND_ACCEPTED, 20, T0 + 100);
	assert_true(route_usable(&w.rp[0], T0 + 100));
	/* p0 again, now refusing each message (451 at MAIL): a probe never
	 * sends a message, so it cannot tell; the cool-down stands. */
	{
		struct route_ctx ctx;
		assert_int_equal(pick_at(&w, NULL, 6, T0 + 200, &ctx), 0);
		assert_true(ctx.trial);
		send_result_init(&r, SEND_DEFERRED, SEND_STAGE_MAIL);
		assert_int_equal(
		    route_result(&w.rp[0], &r, 10, true, T0 + 200, (int64_t)T0),
		    BREAKER_EV_REOPENED);
	}
	assert_false(route_usable(&w.rp[0], T0 + 300));
	route_probe_result(&w.rp[0], true, SEND_ACCEPTED, 20, T0 + 300);
	assert_false(route_usable(&w.rp[0], T0 + 300));
	/* p1: a Retry-After is the provider's own word: kept. */
	send_result_init(&r, SEND_THROTTLED, SEND_STAGE_RESPONSE);
	r.retry_after_ms = 30000;
	route_result(&w.rp[1], &r, 10, false, T0, (int64_t)T0);
	route_probe_result(&w.rp[1], true, SEND_ACCEPTED, 20, T0 + 100);
	assert_false(route_usable(&w.rp[1], T0 + 100));
	/* p2: an account fault: a probe cannot see a paused account. */
	result(&w, 2, SEND_CONFIG, T0);
	route_probe_result(&w.rp[2], true, SEND_ACCEPTED, 20, T0 + 100);
	assert_false(route_usable(&w.rp[2], T0 + 100));
}

static bool
json_cannot(size_t i, char *why, size_t n, void *arg)
{
	(void)arg;
	if (i == 0) {
		snprintf(why, n, "cannot carry multipart/signed as JSON");
		return false;
	}
	return true;
}

static void
trace_says_why_in_plain_words(void **state)
{
	struct world w;
	struct route_ctx ctx;
	struct buf t;
	int i;

	world_init(&w, 3);
	w.cfg[2].priority = 2;
	world_start(&w);
	for (i = 0; i < 3; i++)
		result(&w, 1, SEND_DEFERRED, T0);
	buf_init(&t);
	memset(&ctx, 0, sizeof(ctx));
	ctx.now_ms = T0;
	ctx.wall_ms = (int64_t)T0;
	ctx.represents = json_cannot;
	ctx.trace = &t;
	assert_int_equal(route_pick(w.v, w.n, &ctx), 2);
	assert_string_equal(
	    buf_cstr(&t),
	    "stream transactional (balanced): chose p2 by priority and "
	    "weight (priority 2, weight 1 x health 1.00 x ramp 1.00, cost "
	    "0.00/1k, latency 0 ms); filtered: p0 (cannot carry "
	    "multipart/signed as JSON), p1 (circuit open, 5.0 s left)");
	buf_fini(&t);
}

/* bad_p0 - reputation callback: p0 is over its bounce warning. */
static double
bad_p0(size_t i, char *why, size_t whylen, void *arg)
{
	(void)arg;
	if (i != 0)
		return 1.0;
	snprintf(why, whylen,
	         "bounce 20.00%% >= 5%% (2/10 sends, 24h) for "
	         "example.com");
	return 0.1;
}

/* bad_all - every provider is over a warning level, p1 the least. */
static double
bad_all(size_t i, char *why, size_t whylen, void *arg)
{
	(void)arg;
	snprintf(why, whylen, "complaints over 0.1%% for example.com");
	return i == 1 ? 0.5 : 0.1;
}

static void
balanced_cuts_the_share_of_a_provider_over_warning(void **state)
{
	struct world w;
	struct route_ctx ctx;
	int i, got[2] = {0, 0};

	world_init(&w, 2);
	world_start(&w);
	for (i = 0; i < 110; i++) {
		memset(&ctx, 0, sizeof(ctx));
		ctx.now_ms = T0;
		ctx.wall_ms = (int64_t)T0;
		ctx.reputation = bad_p0;
		got[route_pick(w.v, w.n, &ctx)]++;
	}
	/* Weights 1 x 0.1 and 1: p0 gets one pick in eleven. */
	assert_int_equal(got[0], 10);
	assert_int_equal(got[1], 100);
}

static void
deliverability_demotes_a_provider_over_warning(void **state)
{
	struct world w;
	struct config_stream st;
	struct route_ctx ctx;
	struct buf t;
	int i;

	world_init(&w, 3);
	w.cfg[0].priority = 1; /* the best priority, but over warning */
	w.cfg[1].priority = 2;
	w.cfg[2].priority = 2;
	world_start(&w);
	memset(&st, 0, sizeof(st));
	st.name = "transactional";
	st.objective = CONFIG_OBJECTIVE_DELIVERABILITY;
	buf_init(&t);
	for (i = 0; i < 20; i++) {
		memset(&ctx, 0, sizeof(ctx));
		ctx.stream = &st;
		ctx.now_ms = T0;
		ctx.wall_ms = (int64_t)T0;
		ctx.reputation = bad_p0;
		t.len = 0;
		ctx.trace = &t;
		assert_int_not_equal(route_pick(w.v, w.n, &ctx), 0);
	}
	assert_non_null(strstr(buf_cstr(&t), "(deliverability): chose p"));
	assert_non_null(strstr(buf_cstr(&t),
	                       "filtered: p0 (demoted for deliverability: "
	                       "bounce 20.00% >= 5% (2/10 sends, 24h) for "
	                       "example.com)"));
	/* The clean ones gone: the demoted one still takes the mail. */
	memset(&ctx, 0, sizeof(ctx));
	ctx.stream = &st;
	ctx.now_ms = T0;
	ctx.tried = 1ULL << 1 | 1ULL << 2;
	ctx.reputation = bad_p0;
	assert_int_equal(route_pick(w.v, w.n, &ctx), 0);
	/* Without a verdict it is the plain priority order again. */
	st.objective = CONFIG_OBJECTIVE_DELIVERABILITY;
	assert_int_equal(pick_at(&w, &st, 0, T0, NULL), 0);
	buf_fini(&t);
}

static void
deliverability_with_every_provider_over_warning_shares_by_reputation(
    void **state)
{
	struct world w;
	struct config_stream st;
	struct route_ctx ctx;
	struct buf t;

	world_init(&w, 2);
	world_start(&w);
	memset(&st, 0, sizeof(st));
	st.name = "bulk";
	st.objective = CONFIG_OBJECTIVE_DELIVERABILITY;
	buf_init(&t);
	memset(&ctx, 0, sizeof(ctx));
	ctx.stream = &st;
	ctx.now_ms = T0;
	ctx.reputation = bad_all;
	ctx.trace = &t;
	assert_int_equal(route_pick(w.v, w.n, &ctx), 1);
	assert_string_equal(
	    buf_cstr(&t),
	    "stream bulk (deliverability): chose p1 by deliverability (every "
	    "candidate over a warning level) (priority 1, weight 1 x health "
	    "1.00 x ramp 1.00, cost 0.00/1k, latency 0 ms) x reputation "
	    "0.50: complaints over 0.1% for example.com; other candidates: "
	    "p0 (priority 1, score 0.10; reputation x0.10: complaints over "
	    "0.1% for example.com)");
	buf_fini(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(lowest_priority_number_wins),
	    cmocka_unit_test(weights_share_traffic_within_tolerance),
	    cmocka_unit_test(health_lowers_a_providers_share),
	    cmocka_unit_test(standby_only_when_no_weighted_provider_is_left),
	    cmocka_unit_test(keep_warm_sends_its_share_to_a_standby),
	    cmocka_unit_test(
	        open_circuit_fails_over_and_half_open_lets_trials_through),
	    cmocka_unit_test(
	        trials_succeeding_close_the_circuit_and_start_the_ramp),
	    cmocka_unit_test(
	        ramp_spills_to_the_next_priority_while_alone_in_its_group),
	    cmocka_unit_test(stream_filter_and_tried_bits_are_respected),
	    cmocka_unit_test(cost_objective_picks_the_cheapest_usable),
	    cmocka_unit_test(latency_objective_picks_the_fastest),
	    cmocka_unit_test(rate_limit_waits_instead_of_failing),
	    cmocka_unit_test(retry_after_opens_the_circuit_for_that_long),
	    cmocka_unit_test(daily_quota_filters_when_used_up),
	    cmocka_unit_test(paused_and_draining_providers_take_nothing),
	    cmocka_unit_test(
	        good_probe_ends_a_failure_cooldown_but_not_a_forced_one),
	    cmocka_unit_test(trace_says_why_in_plain_words),
	    cmocka_unit_test(
	        balanced_cuts_the_share_of_a_provider_over_warning),
	    cmocka_unit_test(deliverability_demotes_a_provider_over_warning),
	    cmocka_unit_test(
	        deliverability_with_every_provider_over_warning_shares_by_reputation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
