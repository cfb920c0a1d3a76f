/*
 * test_fairq.c - weighted-fair choice between streams: shares follow the
 * weights, bulk is never starved, a stream coming back from empty is
 * served at once but without a burst, and batch shares carry fairness.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "route/fairq.h"

#define ALL3 0x7ULL
enum { CRIT, TRANS, BULK };

static const unsigned w100_10_1[] = {100, 10, 1};

static void
shares_follow_weights_100_10_1(void **state)
{
	struct fairq fq;
	unsigned got[3] = {0};
	int i;

	assert_int_equal(fairq_init(&fq, w100_10_1, 3), 0);
	for (i = 0; i < 11100; i++)
		got[fairq_pick(&fq, ALL3)]++;
	/* Within 1 % of 10000 : 1000 : 100. */
	assert_in_range(got[CRIT], 9900, 10100);
	assert_in_range(got[TRANS], 990, 1010);
	assert_in_range(got[BULK], 99, 101);
}

/* Table: shares within 1 % for other weight sets, over many picks. */
static void
shares_follow_weights_for_other_sets(void **state)
{
	static const struct {
		unsigned w[4];
		size_t n;
	} t[] = {
	    {{3, 1}, 2},       {{1, 1, 1}, 3}, {{50, 30, 15, 5}, 4},
	    {{7, 3, 2, 1}, 4}, {{1000, 1}, 2},
	};
	struct fairq fq;
	unsigned got[4];
	size_t i, k, total, picks;
	uint64_t mask;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		total = 0;
		for (k = 0; k < t[i].n; k++)
			total += t[i].w[k];
		picks = total * 100;
		mask = (1ULL << t[i].n) - 1;
		memset(got, 0, sizeof(got));
		fairq_init(&fq, t[i].w, t[i].n);
		for (k = 0; k < picks; k++)
			got[fairq_pick(&fq, mask)]++;
		for (k = 0; k < t[i].n; k++) {
			double want = 100.0 * t[i].w[k];

			if (got[k] < want * 0.99 - 1 ||
			    got[k] > want * 1.01 + 1)
				fail_msg(
				    "set %zu stream %zu: %u picks, want %.0f",
				    i, k, got[k], want);
		}
	}
}

static void
fresh_scheduler_serves_heaviest_first(void **state)
{
	struct fairq fq;
	int i;

	fairq_init(&fq, w100_10_1, 3);
	/* Bulk's first turn comes after a full round, not at the start. */
	for (i = 0; i < 10; i++)
		assert_int_equal(fairq_pick(&fq, ALL3), CRIT);
}

static void
bulk_is_never_starved(void **state)
{
	struct fairq fq;
	int i, last = -1, gap = 0, worst = 0;

	fairq_init(&fq, w100_10_1, 3);
	for (i = 0; i < 11100; i++) {
		if (fairq_pick(&fq, ALL3) != BULK)
			continue;
		gap = i - last;
		if (gap > worst)
			worst = gap;
		last = i;
	}
	assert_true(11100 - 1 - last <= 111);
	assert_in_range(worst, 100, 111);
}

static void
critical_waits_at_most_one_pick_of_each_other_stream(void **state)
{
	struct fairq fq;
	int i, s, run[3] = {0}, worst = 0;

	fairq_init(&fq, w100_10_1, 3);
	for (i = 0; i < 11100; i++) {
		s = fairq_pick(&fq, ALL3);
		if (s == CRIT) {
			run[TRANS] = run[BULK] = 0;
			continue;
		}
		if (++run[s] > worst)
			worst = run[s];
	}
	assert_int_equal(worst, 1);
}

static void
critical_becoming_nonempty_is_picked_next(void **state)
{
	struct fairq fq;
	int i, k, crit;

	fairq_init(&fq, w100_10_1, 3);
	/* Several rounds: critical idle for a while, then mail arrives. */
	for (k = 0; k < 20; k++) {
		for (i = 0; i < 37 + k * 13; i++)
			assert_int_not_equal(fairq_pick(&fq, 0x6), CRIT);
		assert_int_equal(fairq_pick(&fq, ALL3), CRIT);
	}
	/* Without a burst: the next 111 picks are shared as usual. */
	for (i = 0, crit = 0; i < 111; i++)
		crit += fairq_pick(&fq, ALL3) == CRIT;
	assert_in_range(crit, 99, 101);
}

static void
idle_stream_saves_no_credit(void **state)
{
	struct fairq fq;
	int i, bulk = 0, trans = 0;

	fairq_init(&fq, w100_10_1, 3);
	/* Bulk has no mail for 100000 picks... */
	for (i = 0; i < 100000; i++)
		fairq_pick(&fq, 0x3);
	/* ...then it is served once at once, and only its share after. */
	assert_int_equal(fairq_pick(&fq, ALL3), BULK);
	for (i = 0; i < 1110; i++) {
		int s = fairq_pick(&fq, ALL3);

		bulk += s == BULK;
		trans += s == TRANS;
	}
	assert_in_range(bulk, 9, 11);
	assert_in_range(trans, 99, 101);
}

static void
only_streams_with_mail_are_picked(void **state)
{
	struct fairq fq;
	int i;

	fairq_init(&fq, w100_10_1, 3);
	for (i = 0; i < 500; i++)
		assert_int_equal(fairq_pick(&fq, 1ULL << BULK), BULK);
	assert_int_equal(fairq_pick(&fq, 0), -1);
	/* Bits past n mean nothing. */
	assert_int_equal(fairq_pick(&fq, 0xfff8), -1);
	assert_int_equal(fairq_pick(&fq, 0xfff8 | (1ULL << TRANS)), TRANS);
}

static void
equal_weights_alternate_lower_index_first(void **state)
{
	static const unsigned w[] = {5, 5, 5};
	struct fairq fq;
	int i;

	fairq_init(&fq, w, 3);
	for (i = 0; i < 30; i++)
		assert_int_equal(fairq_pick(&fq, ALL3), i % 3);
}

static void
init_refuses_bad_sizes_and_treats_zero_weight_as_one(void **state)
{
	static const unsigned w[FAIRQ_MAX + 1] = {0, 1};
	struct fairq fq;
	int i, got[2] = {0};

	assert_int_equal(fairq_init(&fq, w, 0), -1);
	assert_int_equal(fairq_pick(&fq, ~0ULL), -1);
	assert_int_equal(fairq_init(&fq, w, FAIRQ_MAX + 1), -1);
	assert_int_equal(fairq_pick(&fq, ~0ULL), -1);
	assert_int_equal(fairq_init(&fq, w, FAIRQ_MAX), 0);
	assert_int_equal(fairq_init(&fq, w, 2), 0);
	assert_true(fq.stride[0] == fq.stride[1]);
	for (i = 0; i < 100; i++)
		got[fairq_pick(&fq, 0x3)]++;
	assert_int_equal(got[0], 50);
}

static void
share_splits_room_by_weight(void **state)
{
	static const size_t full[3] = {1000, 1000, 1000};
	struct fairq fq;
	size_t out[3];

	fairq_init(&fq, w100_10_1, 3);
	fairq_share(&fq, full, 111, out);
	assert_int_equal(out[CRIT], 100);
	assert_int_equal(out[TRANS], 10);
	assert_int_equal(out[BULK], 1);
}

static void
share_gives_unmet_room_to_others_and_never_exceeds_demand(void **state)
{
	static const size_t few_crit[3] = {5, 1000, 1000};
	static const size_t little[3] = {2, 1, 0};
	struct fairq fq;
	size_t out[3];

	fairq_init(&fq, w100_10_1, 3);
	fairq_share(&fq, few_crit, 64, out);
	assert_int_equal(out[CRIT], 5);
	assert_int_equal(out[CRIT] + out[TRANS] + out[BULK], 64);
	assert_in_range(out[TRANS], 52, 55); /* 59 split about 10:1 */
	assert_true(out[BULK] >= 4);
	fairq_share(&fq, little, 64, out);
	assert_int_equal(out[CRIT], 2);
	assert_int_equal(out[TRANS], 1);
	assert_int_equal(out[BULK], 0);
}

static void
share_fairness_carries_over_batches(void **state)
{
	static const size_t full[3] = {1000, 1000, 1000};
	struct fairq fq;
	size_t out[3], sum[3] = {0};
	int b;

	fairq_init(&fq, w100_10_1, 3);
	/* Batches of 10 never fit a whole round of 111... */
	for (b = 0; b < 111; b++) {
		fairq_share(&fq, full, 10, out);
		sum[CRIT] += out[CRIT];
		sum[TRANS] += out[TRANS];
		sum[BULK] += out[BULK];
	}
	/* ...yet over 1110 slots bulk still got its 10. */
	assert_int_equal(sum[CRIT], 1000);
	assert_int_equal(sum[TRANS], 100);
	assert_int_equal(sum[BULK], 10);
}

static void
huge_pass_values_renormalise_without_changing_order(void **state)
{
	struct fairq a, b;
	uint64_t shift = (1ULL << 62) - 1000ULL * FAIRQ_STRIDE1;
	size_t i;
	int k;

	fairq_init(&a, w100_10_1, 3);
	for (k = 0; k < 50; k++)
		fairq_pick(&a, ALL3);
	b = a;
	b.vtime += shift;
	for (i = 0; i < 3; i++)
		b.pass[i] += shift;
	for (k = 0; k < 1000000; k++) {
		uint64_t mask = (k / 1000) % 2 ? ALL3 : 0x6;

		if (fairq_pick(&a, mask) != fairq_pick(&b, mask))
			fail_msg("pick %d differs", k);
	}
	assert_true(b.vtime < (1ULL << 62));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(shares_follow_weights_100_10_1),
	    cmocka_unit_test(shares_follow_weights_for_other_sets),
	    cmocka_unit_test(fresh_scheduler_serves_heaviest_first),
	    cmocka_unit_test(bulk_is_never_starved),
	    cmocka_unit_test(
	        critical_waits_at_most_one_pick_of_each_other_stream),
	    cmocka_unit_test(critical_becoming_nonempty_is_picked_next),
	    cmocka_unit_test(idle_stream_saves_no_credit),
	    cmocka_unit_test(only_streams_with_mail_are_picked),
	    cmocka_unit_test(equal_weights_alternate_lower_index_first),
	    cmocka_unit_test(
	        init_refuses_bad_sizes_and_treats_zero_weight_as_one),
	    cmocka_unit_test(share_splits_room_by_weight),
	    cmocka_unit_test(
	        share_gives_unmet_room_to_others_and_never_exceeds_demand),
	    cmocka_unit_test(share_fairness_carries_over_batches),
	    cmocka_unit_test(
	        huge_pass_values_renormalise_without_changing_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
