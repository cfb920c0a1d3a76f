/*
 * test_reputation.c - delivery ratios per provider, domain, stream and
 * (provider, domain) over 24-hour and 1-hour windows; eviction; the
 * routing factor with its minimum volume; on a fake wall clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "route/reputation.h"

#define T0 1765000800000LL /* an hour boundary */
#define MIN 60000LL
#define HOUR 3600000LL

static const struct reputation_policy pol = {
    .bounce_warning = 0.05,
    .bounce_critical = 0.10,
    .complaint_warning = 0.001,
    .complaint_critical = 0.005,
    .min_volume = 100,
    .penalty_share = 0.1,
};

static uint64_t
count_of(struct reputation *r, int64_t now, enum reputation_scope s,
         const char *a, const char *b, enum reputation_window w,
         enum reputation_kind k)
{
	struct reputation_counts c;

	if (reputation_get(r, now, s, a, b, w, &c) != 0)
		return 9999;
	return c.n[k];
}

static void
one_event_counts_under_every_scope(void **state)
{
	struct reputation *r = reputation_new(16);
	struct reputation_counts c;

	(void)state;
	reputation_count(r, T0, "ses", "example.com", "bulk", REPUTATION_SENT,
	                 3);
	assert_int_equal(reputation_keys(r), 4);
	assert_int_equal(count_of(r, T0, REPUTATION_PROVIDER, "ses", NULL,
	                          REPUTATION_24H, REPUTATION_SENT),
	                 3);
	assert_int_equal(count_of(r, T0, REPUTATION_DOMAIN, "example.com", NULL,
	                          REPUTATION_1H, REPUTATION_SENT),
	                 3);
	assert_int_equal(count_of(r, T0, REPUTATION_STREAM, "bulk", NULL,
	                          REPUTATION_24H, REPUTATION_SENT),
	                 3);
	assert_int_equal(count_of(r, T0, REPUTATION_PROVIDER_DOMAIN, "ses",
	                          "example.com", REPUTATION_24H,
	                          REPUTATION_SENT),
	                 3);
	/* No domain (the null sender): no domain scopes. */
	reputation_count(r, T0, "ses", NULL, "bulk", REPUTATION_SENT, 1);
	assert_int_equal(reputation_keys(r), 4);
	assert_int_equal(reputation_get(r, T0, REPUTATION_DOMAIN, "other.org",
	                                NULL, REPUTATION_24H, &c),
	                 -1);
	assert_int_equal(c.n[REPUTATION_SENT], 0);
	reputation_free(r);
}

static void
ratio_is_count_over_sends_soft_apart(void **state)
{
	struct reputation *r = reputation_new(0);
	struct reputation_counts c;

	(void)state;
	reputation_count(r, T0, "ses", "a.com", "s", REPUTATION_SENT, 200);
	reputation_count(r, T0, "ses", "a.com", "s", REPUTATION_HARD_BOUNCE,
	                 10);
	reputation_count(r, T0, "ses", "a.com", "s", REPUTATION_SOFT_BOUNCE,
	                 30);
	reputation_count(r, T0, "ses", "a.com", "s", REPUTATION_COMPLAINT, 1);
	reputation_count(r, T0, "ses", "a.com", "s", REPUTATION_DELIVERED, 150);
	assert_int_equal(reputation_get(r, T0, REPUTATION_PROVIDER, "ses", NULL,
	                                REPUTATION_24H, &c),
	                 0);
	assert_true(reputation_ratio(&c, REPUTATION_HARD_BOUNCE) == 0.05);
	assert_true(reputation_ratio(&c, REPUTATION_SOFT_BOUNCE) == 0.15);
	assert_true(reputation_ratio(&c, REPUTATION_COMPLAINT) == 0.005);
	assert_true(reputation_ratio(&c, REPUTATION_DELIVERED) == 0.75);
	memset(&c, 0, sizeof(c));
	c.n[REPUTATION_HARD_BOUNCE] = 3;
	assert_true(reputation_ratio(&c, REPUTATION_HARD_BOUNCE) == 0);
	reputation_free(r);
}

static void
one_hour_window_slides_by_five_minutes(void **state)
{
	struct reputation *r = reputation_new(8);

	(void)state;
	reputation_count(r, T0, "p", NULL, NULL, REPUTATION_SENT, 5);
	reputation_count(r, T0 + 30 * MIN, "p", NULL, NULL, REPUTATION_SENT, 7);
	assert_int_equal(count_of(r, T0 + 59 * MIN, REPUTATION_PROVIDER, "p",
	                          NULL, REPUTATION_1H, REPUTATION_SENT),
	                 12);
	/* At T0 + 60 min the first five minutes have left the hour. */
	assert_int_equal(count_of(r, T0 + 60 * MIN, REPUTATION_PROVIDER, "p",
	                          NULL, REPUTATION_1H, REPUTATION_SENT),
	                 7);
	assert_int_equal(count_of(r, T0 + 95 * MIN, REPUTATION_PROVIDER, "p",
	                          NULL, REPUTATION_1H, REPUTATION_SENT),
	                 0);
	/* ... and stay in the 24 hours. */
	assert_int_equal(count_of(r, T0 + 95 * MIN, REPUTATION_PROVIDER, "p",
	                          NULL, REPUTATION_24H, REPUTATION_SENT),
	                 12);
	reputation_free(r);
}

static void
day_window_slides_by_the_hour_and_reuses_slots(void **state)
{
	struct reputation *r = reputation_new(8);

	(void)state;
	reputation_count(r, T0, "p", NULL, NULL, REPUTATION_HARD_BOUNCE, 2);
	reputation_count(r, T0 + 23 * HOUR, "p", NULL, NULL,
	                 REPUTATION_HARD_BOUNCE, 3);
	assert_int_equal(count_of(r, T0 + 23 * HOUR + 59 * MIN,
	                          REPUTATION_PROVIDER, "p", NULL,
	                          REPUTATION_24H, REPUTATION_HARD_BOUNCE),
	                 5);
	assert_int_equal(count_of(r, T0 + 24 * HOUR, REPUTATION_PROVIDER, "p",
	                          NULL, REPUTATION_24H, REPUTATION_HARD_BOUNCE),
	                 3);
	/* T0 + 24h writes T0's slot again: the old count is cleared. */
	reputation_count(r, T0 + 24 * HOUR, "p", NULL, NULL,
	                 REPUTATION_HARD_BOUNCE, 1);
	assert_int_equal(count_of(r, T0 + 24 * HOUR, REPUTATION_PROVIDER, "p",
	                          NULL, REPUTATION_24H, REPUTATION_HARD_BOUNCE),
	                 4);
	/* A week later nothing is left. */
	assert_int_equal(count_of(r, T0 + 7 * 24 * HOUR, REPUTATION_PROVIDER,
	                          "p", NULL, REPUTATION_24H,
	                          REPUTATION_HARD_BOUNCE),
	                 0);
	reputation_free(r);
}

static void
full_store_evicts_the_least_recently_counted_key(void **state)
{
	struct reputation *r = reputation_new(4);
	enum reputation_scope s;
	const char *a, *b;
	char d[32];
	size_t i;

	(void)state;
	/* Two keys per event (domain, stream) with no provider. */
	reputation_count(r, T0, NULL, "old.com", "s", REPUTATION_SENT, 1);
	reputation_count(r, T0 + 1, NULL, "mid.com", NULL, REPUTATION_SENT, 1);
	reputation_count(r, T0 + 2, NULL, "new.com", NULL, REPUTATION_SENT, 1);
	assert_int_equal(reputation_keys(r), 4);
	/* The stream is counted again: old.com is the oldest now. */
	reputation_count(r, T0 + 3, NULL, NULL, "s", REPUTATION_SENT, 1);
	reputation_count(r, T0 + 4, NULL, "fresh.com", NULL, REPUTATION_SENT,
	                 1);
	assert_int_equal(reputation_keys(r), 4);
	assert_int_equal(reputation_evicted(r), 1);
	assert_int_equal(count_of(r, T0 + 4, REPUTATION_DOMAIN, "old.com", NULL,
	                          REPUTATION_24H, REPUTATION_SENT),
	                 9999);
	assert_int_equal(count_of(r, T0 + 4, REPUTATION_STREAM, "s", NULL,
	                          REPUTATION_24H, REPUTATION_SENT),
	                 2);
	/* A thousand domains later, still four keys, each findable. */
	for (i = 0; i < 1000; i++) {
		snprintf(d, sizeof(d), "d%zu.example", i);
		reputation_count(r, T0 + 10 + (int64_t)i, NULL, d, NULL,
		                 REPUTATION_SENT, 1);
	}
	assert_int_equal(reputation_keys(r), 4);
	assert_int_equal(reputation_evicted(r), 1001);
	for (i = 0; i < 4; i++) {
		assert_int_equal(reputation_key_at(r, i, &s, &a, &b), 0);
		assert_int_equal(s, REPUTATION_DOMAIN);
		assert_int_equal(count_of(r, T0 + 2000, s, a, b, REPUTATION_24H,
		                          REPUTATION_SENT),
		                 1);
	}
	assert_int_equal(reputation_key_at(r, 4, &s, &a, &b), -1);
	reputation_free(r);
}

static void
long_names_are_cut_and_still_found(void **state)
{
	struct reputation *r = reputation_new(4);
	char big[600];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	reputation_count(r, T0, NULL, big, NULL, REPUTATION_SENT, 2);
	assert_int_equal(count_of(r, T0, REPUTATION_DOMAIN, big, NULL,
	                          REPUTATION_24H, REPUTATION_SENT),
	                 2);
	reputation_free(r);
}

static void
factor_needs_min_volume_then_cuts_share(void **state)
{
	struct reputation *r = reputation_new(0);
	char why[160];
	bool crit;

	(void)state;
	/* 99 sends, 20 bounces: under the minimum volume, no verdict. */
	reputation_count(r, T0, "ses", "a.com", NULL, REPUTATION_SENT, 99);
	reputation_count(r, T0, "ses", "a.com", NULL, REPUTATION_HARD_BOUNCE,
	                 20);
	assert_true(reputation_factor(r, T0, &pol, "ses", "a.com", why,
	                              sizeof(why), &crit) == 1.0);
	assert_string_equal(why, "");
	/* The hundredth send: 20% is over warning and critical. */
	reputation_count(r, T0, "ses", "a.com", NULL, REPUTATION_SENT, 1);
	assert_true(reputation_factor(r, T0, &pol, "ses", "a.com", why,
	                              sizeof(why), &crit) == 0.1);
	assert_true(crit);
	assert_non_null(strstr(why, "bounce 20.00% >= 5%"));
	assert_non_null(strstr(why, "20/100 sends, 24h) for a.com"));
	/* Another provider and another domain are untouched. */
	assert_true(reputation_factor(r, T0, &pol, "sg", "a.com", why,
	                              sizeof(why), NULL) == 1.0);
	assert_true(reputation_factor(r, T0, &pol, "ses", "b.com", why,
	                              sizeof(why), NULL) == 1.0);
	assert_true(
	    reputation_factor(r, T0, &pol, "ses", NULL, NULL, 0, NULL) == 1.0);
	/* A day later it has served its time. */
	assert_true(reputation_factor(r, T0 + 24 * HOUR, &pol, "ses", "a.com",
	                              NULL, 0, NULL) == 1.0);
	reputation_free(r);
}

static void
factor_at_exactly_warning_and_complaints(void **state)
{
	struct reputation *r = reputation_new(0);
	struct reputation_policy p = pol;
	char why[160];
	bool crit;

	(void)state;
	/* 4.9% bounces: clean; 5.0%: over warning, not critical. */
	reputation_count(r, T0, "ses", "a.com", NULL, REPUTATION_SENT, 1000);
	reputation_count(r, T0, "ses", "a.com", NULL, REPUTATION_HARD_BOUNCE,
	                 49);
	reputation_count(r, T0, "ses", "a.com", NULL, REPUTATION_SOFT_BOUNCE,
	                 500);
	assert_true(reputation_factor(r, T0, &p, "ses", "a.com", why,
	                              sizeof(why), &crit) == 1.0);
	reputation_count(r, T0, "ses", "a.com", NULL, REPUTATION_HARD_BOUNCE,
	                 1);
	assert_true(reputation_factor(r, T0, &p, "ses", "a.com", why,
	                              sizeof(why), &crit) == 0.1);
	assert_false(crit);
	/* Complaints alone: 1 in 1000 is the warning level. */
	reputation_count(r, T0, "ses", "b.com", NULL, REPUTATION_SENT, 1000);
	reputation_count(r, T0, "ses", "b.com", NULL, REPUTATION_COMPLAINT, 1);
	p.penalty_share = 0.25;
	assert_true(reputation_factor(r, T0, &p, "ses", "b.com", why,
	                              sizeof(why), &crit) == 0.25);
	assert_non_null(strstr(why, "complaints 0.10% >= 0.1%"));
	p.penalty_share = 0;
	assert_true(
	    reputation_factor(r, T0, &p, "ses", "b.com", NULL, 0, NULL) > 0);
	reputation_free(r);
}

static void
names_of_kinds_and_windows(void **state)
{
	(void)state;
	assert_string_equal(reputation_kind_name(REPUTATION_HARD_BOUNCE),
	                    "hard_bounce");
	assert_string_equal(reputation_kind_name(REPUTATION_KIND_COUNT),
	                    "unknown");
	assert_string_equal(reputation_window_name(REPUTATION_1H), "1h");
	assert_string_equal(reputation_window_name(REPUTATION_24H), "24h");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(one_event_counts_under_every_scope),
	    cmocka_unit_test(ratio_is_count_over_sends_soft_apart),
	    cmocka_unit_test(one_hour_window_slides_by_five_minutes),
	    cmocka_unit_test(day_window_slides_by_the_hour_and_reuses_slots),
	    cmocka_unit_test(full_store_evicts_the_least_recently_counted_key),
	    cmocka_unit_test(long_names_are_cut_and_still_found),
	    cmocka_unit_test(factor_needs_min_volume_then_cuts_share),
	    cmocka_unit_test(factor_at_exactly_warning_and_complaints),
	    cmocka_unit_test(names_of_kinds_and_windows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
