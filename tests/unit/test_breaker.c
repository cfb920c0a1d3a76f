/*
 * test_breaker.c - circuit breaker: every transition, the growing
 * cool-down, the ratio rule with its minimum volume, late results and
 * operator overrides, all on a fake clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "route/breaker.h"

static const struct breaker_opts opts = {
    .consecutive_failures = 3,
    .window_ms = 10000, /* ten slices of 1 s */
    .min_volume = 10,
    .failure_pct = 50,
    .cooldown_min_ms = 1000,
    .cooldown_max_ms = 8000,
    .config_cooldown_ms = 60000,
    .half_open_trials = 2,
    .close_after = 2,
};

/* One step of a scripted scenario and what it must answer. */
enum op { ALLOW, DENY, OK, FAIL, CONFIG, TICK };

struct step {
	enum op op;
	uint64_t now;
	enum breaker_event ev;    /* for OK/FAIL/CONFIG/TICK */
	enum breaker_state state; /* after the step */
};

/* run - play steps on b, naming the failing step. */
static void
run(struct breaker *b, const struct step *s, size_t n)
{
	static const enum breaker_outcome outcome[] = {
	    [OK] = BREAKER_SUCCESS,
	    [FAIL] = BREAKER_FAILURE,
	    [CONFIG] = BREAKER_CONFIG,
	};
	size_t i;

	for (i = 0; i < n; i++) {
		enum breaker_event ev = BREAKER_EV_NONE;

		switch (s[i].op) {
		case ALLOW:
		case DENY:
			if (breaker_usable(b, s[i].now) != (s[i].op == ALLOW))
				fail_msg("step %zu: usable disagrees", i);
			if (breaker_allow(b, s[i].now) != (s[i].op == ALLOW))
				fail_msg(
				    "step %zu: allow gave the wrong answer", i);
			break;
		case TICK:
			ev = breaker_tick(b, s[i].now);
			break;
		default:
			ev = breaker_record(b, s[i].now, outcome[s[i].op]);
			break;
		}
		if (s[i].op != ALLOW && s[i].op != DENY && ev != s[i].ev)
			fail_msg("step %zu: event %s, expected %s", i,
			         breaker_event_name(ev),
			         breaker_event_name(s[i].ev));
		if (b->state != s[i].state)
			fail_msg("step %zu: state %s, expected %s", i,
			         breaker_state_name(b->state),
			         breaker_state_name(s[i].state));
	}
}

#define C BREAKER_CLOSED
#define O BREAKER_OPEN
#define H BREAKER_HALF_OPEN
#define NONE BREAKER_EV_NONE
#define OPENED BREAKER_EV_OPENED
#define REOPENED BREAKER_EV_REOPENED
#define HALF BREAKER_EV_HALF_OPENED
#define CLOSED BREAKER_EV_CLOSED
#define RUN(b, steps) run(b, steps, sizeof(steps) / sizeof(steps[0]))

static void
null_opts_and_zero_fields_take_defaults(void **state)
{
	struct breaker b;
	struct breaker_opts some = {.min_volume = 7, .failure_pct = 150};

	breaker_init(&b, NULL);
	assert_int_equal(b.state, BREAKER_CLOSED);
	assert_int_equal(b.opts.consecutive_failures, 3);
	assert_int_equal(b.opts.window_ms, 30000);
	assert_int_equal(b.opts.min_volume, 20);
	assert_int_equal(b.opts.failure_pct, 50);
	assert_int_equal(b.opts.cooldown_min_ms, 5000);
	assert_int_equal(b.opts.cooldown_max_ms, 300000);
	assert_int_equal(b.opts.config_cooldown_ms, 600000);
	assert_int_equal(b.opts.half_open_trials, 3);
	assert_int_equal(b.opts.close_after, 3);
	breaker_init(&b, &some);
	assert_int_equal(b.opts.min_volume, 7);
	assert_int_equal(b.opts.failure_pct, 100);
	assert_int_equal(b.opts.consecutive_failures, 3);
}

static void
closed_allows_every_message(void **state)
{
	struct breaker b;
	int i;

	breaker_init(&b, &opts);
	for (i = 0; i < 100; i++)
		assert_true(breaker_allow(&b, (uint64_t)i));
	assert_int_equal(b.state, BREAKER_CLOSED);
	assert_int_equal(breaker_cooldown_left(&b, 0), 0);
}

static void
consecutive_failures_open_it(void **state)
{
	static const struct step s[] = {
	    {FAIL, 100, NONE, C},   {FAIL, 100, NONE, C}, {ALLOW, 100, NONE, C},
	    {FAIL, 100, OPENED, O}, {DENY, 100, NONE, O}, {DENY, 1099, NONE, O},
	};
	struct breaker b;

	breaker_init(&b, &opts);
	RUN(&b, s);
	assert_string_equal(b.reason, "3 consecutive failures");
	assert_int_equal(b.cooldown_ms, 1000);
	assert_int_equal(breaker_cooldown_left(&b, 100), 1000);
	assert_int_equal(breaker_cooldown_left(&b, 600), 500);
	assert_int_equal(b.opens, 1);
}

static void
success_breaks_the_failure_streak(void **state)
{
	static const struct step s[] = {
	    {FAIL, 0, NONE, C}, {FAIL, 0, NONE, C}, {OK, 0, NONE, C},
	    {FAIL, 0, NONE, C}, {FAIL, 0, NONE, C}, {OK, 0, NONE, C},
	};
	struct breaker b;

	breaker_init(&b, &opts);
	RUN(&b, s);
	assert_int_equal(b.failures, 4);
	assert_int_equal(b.successes, 2);
}

/* feed - ok successes and bad failures, interleaved, success first. */
static enum breaker_event
feed(struct breaker *b, uint64_t now, unsigned ok, unsigned bad)
{
	enum breaker_event ev = BREAKER_EV_NONE;

	/* Interleaved so the streak of failures never reaches 3. */
	while ((ok > 0 || bad > 0) && ev == BREAKER_EV_NONE) {
		if (ok > 0) {
			ev = breaker_record(b, now, BREAKER_SUCCESS);
			ok--;
		}
		if (bad > 0 && ev == BREAKER_EV_NONE) {
			ev = breaker_record(b, now, BREAKER_FAILURE);
			bad--;
		}
	}
	return ev;
}

static void
failure_ratio_opens_only_with_min_volume(void **state)
{
	struct breaker b;

	breaker_init(&b, &opts);
	/* 4 failures of 8: 50 %, but below the volume of 10. */
	assert_int_equal(feed(&b, 0, 4, 4), BREAKER_EV_NONE);
	assert_int_equal(b.state, BREAKER_CLOSED);
	/* One more success (9 attempts), then a failure makes 5 of 10. */
	assert_int_equal(breaker_record(&b, 0, BREAKER_SUCCESS),
	                 BREAKER_EV_NONE);
	assert_int_equal(breaker_record(&b, 0, BREAKER_FAILURE),
	                 BREAKER_EV_OPENED);
	assert_string_equal(b.reason, "50% of 10 attempts failed in 10 s");
}

static void
failure_ratio_below_threshold_stays_closed(void **state)
{
	struct breaker b;

	breaker_init(&b, &opts);
	/* Two successes ahead keep every prefix under 50 %: 49 of 100. */
	breaker_record(&b, 0, BREAKER_SUCCESS);
	breaker_record(&b, 0, BREAKER_SUCCESS);
	assert_int_equal(feed(&b, 0, 49, 49), BREAKER_EV_NONE);
	assert_int_equal(b.state, BREAKER_CLOSED);
}

static void
failure_ratio_reason_gives_percent_and_volume(void **state)
{
	struct breaker_opts o = {.consecutive_failures = 100};
	struct breaker b;
	int i;

	breaker_init(&b, &o); /* 30 s window, volume 20 */
	for (i = 0; i < 7; i++)
		breaker_record(&b, 0, BREAKER_SUCCESS);
	for (i = 0; i < 12; i++)
		assert_int_equal(breaker_record(&b, 0, BREAKER_FAILURE),
		                 BREAKER_EV_NONE);
	/* The 20th attempt reaches the volume at 13 of 20 failed. */
	assert_int_equal(breaker_record(&b, 0, BREAKER_FAILURE),
	                 BREAKER_EV_OPENED);
	assert_string_equal(b.reason, "65% of 20 attempts failed in 30 s");
	assert_int_equal(b.cooldown_ms, 5000);
}

static void
failure_ratio_forgets_attempts_older_than_window(void **state)
{
	struct breaker b;

	breaker_init(&b, &opts);
	/* 4 failures, 5 successes at t=0; 10 s later they are gone. */
	assert_int_equal(feed(&b, 0, 5, 4), BREAKER_EV_NONE);
	assert_int_equal(breaker_record(&b, 10000, BREAKER_SUCCESS),
	                 BREAKER_EV_NONE);
	assert_int_equal(breaker_record(&b, 10000, BREAKER_FAILURE),
	                 BREAKER_EV_NONE);
	assert_int_equal(b.state, BREAKER_CLOSED);
	/* Within the window they still count: 9 + 1 = 10, 5 failed. */
	breaker_init(&b, &opts);
	assert_int_equal(feed(&b, 0, 5, 4), BREAKER_EV_NONE);
	assert_int_equal(breaker_record(&b, 9999, BREAKER_FAILURE),
	                 BREAKER_EV_OPENED);
}

static void
cooldown_over_half_opens_on_tick_or_allow(void **state)
{
	static const struct step s[] = {
	    {CONFIG, 0, OPENED, O}, {TICK, 59999, NONE, O},
	    {DENY, 59999, NONE, O}, {TICK, 60000, HALF, H},
	    {TICK, 60001, NONE, H},
	};
	static const struct step viaallow[] = {
	    {CONFIG, 0, OPENED, O},
	    {ALLOW, 60000, NONE, H},
	};
	struct breaker b;

	breaker_init(&b, &opts);
	RUN(&b, s);
	assert_string_equal(b.reason, "cool-down of 60000 ms over");
	breaker_init(&b, &opts);
	RUN(&b, viaallow);
	assert_int_equal(b.trials_out, 1);
}

static void
half_open_limits_trials_in_flight(void **state)
{
	static const struct step s[] = {
	    {FAIL, 0, NONE, C},
	    {FAIL, 0, NONE, C},
	    {FAIL, 0, OPENED, O},
	    {ALLOW, 1000, NONE, H},
	    {ALLOW, 1000, NONE, H},
	    {DENY, 1000, NONE, H}, /* both trial slots taken */
	    {OK, 1100, NONE, H},   /* one trial back: a slot frees */
	    {ALLOW, 1100, NONE, H},
	    {DENY, 1100, NONE, H},
	};
	struct breaker b;

	breaker_init(&b, &opts);
	RUN(&b, s);
	assert_int_equal(b.trials_out, 2);
	assert_int_equal(b.trial_successes, 1);
}

static void
cancelled_trial_frees_its_slot(void **state)
{
	static const struct step s[] = {
	    {CONFIG, 0, OPENED, O},
	    {ALLOW, 60000, NONE, H},
	    {ALLOW, 60000, NONE, H},
	    {DENY, 60000, NONE, H},
	};
	struct breaker b;

	breaker_init(&b, &opts);
	RUN(&b, s);
	breaker_trial_cancel(&b);
	assert_int_equal(b.trials_out, 1);
	assert_true(breaker_allow(&b, 60001));
	breaker_trial_cancel(&b);
	breaker_trial_cancel(&b);
	breaker_trial_cancel(&b); /* more than were out: no underflow */
	assert_int_equal(b.trials_out, 0);
	/* Cancelling changes no state and counts nothing. */
	assert_int_equal(b.state, BREAKER_HALF_OPEN);
	assert_int_equal(b.trial_successes, 0);
	breaker_init(&b, &opts);
	breaker_trial_cancel(&b);
	assert_int_equal(b.state, BREAKER_CLOSED);
}

static void
trial_successes_close_it(void **state)
{
	static const struct step s[] = {
	    {CONFIG, 0, OPENED, O},  {ALLOW, 60000, NONE, H},
	    {ALLOW, 60000, NONE, H}, {OK, 60100, NONE, H},
	    {OK, 60200, CLOSED, C},  {ALLOW, 60200, NONE, C},
	    {ALLOW, 60200, NONE, C}, {ALLOW, 60200, NONE, C},
	};
	struct breaker b;

	breaker_init(&b, &opts);
	RUN(&b, s);
	assert_string_equal(b.reason, "2 trial messages succeeded");
	assert_int_equal(b.cooldown_ms, 0);
	assert_int_equal(b.trials_out, 0);
}

static void
trial_failure_reopens_with_doubled_cooldown_up_to_cap(void **state)
{
	static const uint64_t want[] = {1000, 2000, 4000, 8000, 8000, 8000};
	struct breaker b;
	uint64_t now = 0;
	size_t i;

	breaker_init(&b, &opts);
	run(&b,
	    (const struct step[]){
	        {FAIL, 0, NONE, C}, {FAIL, 0, NONE, C}, {FAIL, 0, OPENED, O}},
	    3);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(b.cooldown_ms, want[i]);
		assert_int_equal(breaker_cooldown_left(&b, now), want[i]);
		assert_false(breaker_allow(&b, now + want[i] - 1));
		now += want[i];
		assert_true(breaker_allow(&b, now));
		assert_int_equal(b.state, BREAKER_HALF_OPEN);
		assert_int_equal(breaker_record(&b, now, BREAKER_FAILURE),
		                 BREAKER_EV_REOPENED);
		assert_string_equal(b.reason, "trial message failed");
	}
	assert_int_equal(b.opens, 7);
}

static void
full_close_resets_cooldown_growth(void **state)
{
	struct breaker b;
	uint64_t now = 0;
	int i;

	breaker_init(&b, &opts);
	for (i = 0; i < 3; i++)
		breaker_record(&b, now, BREAKER_FAILURE);
	now += 1000;
	assert_true(breaker_allow(&b, now));
	breaker_record(&b, now, BREAKER_FAILURE); /* re-open: 2 s */
	assert_int_equal(b.cooldown_ms, 2000);
	now += 2000;
	assert_true(breaker_allow(&b, now));
	assert_true(breaker_allow(&b, now));
	breaker_record(&b, now, BREAKER_SUCCESS);
	assert_int_equal(breaker_record(&b, now, BREAKER_SUCCESS),
	                 BREAKER_EV_CLOSED);
	/* A fresh outage starts again from the minimum. */
	for (i = 0; i < 3; i++)
		breaker_record(&b, now, BREAKER_FAILURE);
	assert_int_equal(b.state, BREAKER_OPEN);
	assert_int_equal(b.cooldown_ms, 1000);
}

static void
closing_forgets_old_failures_in_window(void **state)
{
	struct breaker b;

	breaker_init(&b, &opts);
	/* 4 of 9 failed, then an outage opens and heals within 10 s. */
	feed(&b, 0, 5, 4);
	breaker_force_open(&b, 0, 500, "test");
	assert_true(breaker_allow(&b, 500));
	assert_true(breaker_allow(&b, 500));
	breaker_record(&b, 600, BREAKER_SUCCESS);
	assert_int_equal(breaker_record(&b, 600, BREAKER_SUCCESS),
	                 BREAKER_EV_CLOSED);
	/* One failure must not re-open it on the ratio of before. */
	assert_int_equal(breaker_record(&b, 700, BREAKER_FAILURE),
	                 BREAKER_EV_NONE);
}

static void
config_failure_opens_at_once_for_long(void **state)
{
	static const struct step s[] = {
	    {OK, 0, NONE, C},
	    {CONFIG, 10, OPENED, O},
	    {DENY, 60009, NONE, O},
	    {ALLOW, 60010, NONE, H},
	    {CONFIG, 60020, REOPENED, O},
	    {DENY, 120019, NONE, O},
	    {ALLOW, 120020, NONE, H},
	};
	struct breaker b;

	breaker_init(&b, &opts);
	RUN(&b, s);
	assert_int_equal(b.config_failures, 2);
	/* The doubling cool-down is not touched by config failures. */
	assert_int_equal(b.cooldown_ms, 0);
}

static void
config_failure_while_open_extends_it(void **state)
{
	static const struct step s[] = {
	    {FAIL, 0, NONE, C},      {FAIL, 0, NONE, C},
	    {FAIL, 0, OPENED, O},    {CONFIG, 500, NONE, O},
	    {DENY, 1000, NONE, O},   {DENY, 60499, NONE, O},
	    {ALLOW, 60500, NONE, H},
	};
	struct breaker b;

	breaker_init(&b, &opts);
	RUN(&b, s);
	assert_string_equal(b.reason, "cool-down of 60500 ms over");
}

static void
late_results_while_open_change_nothing(void **state)
{
	static const struct step s[] = {
	    {FAIL, 0, NONE, C},     {FAIL, 0, NONE, C},   {FAIL, 0, OPENED, O},
	    {OK, 100, NONE, O},     {OK, 200, NONE, O},   {OK, 300, NONE, O},
	    {FAIL, 400, NONE, O},   {FAIL, 500, NONE, O}, {DENY, 999, NONE, O},
	    {ALLOW, 1000, NONE, H},
	};
	struct breaker b;

	breaker_init(&b, &opts);
	RUN(&b, s);
	assert_int_equal(b.late, 5);
	assert_int_equal(b.until_ms, 1000);
	assert_int_equal(b.cooldown_ms, 1000);
	assert_int_equal(b.successes, 3);
	assert_int_equal(b.failures, 5);
}

static void
result_in_half_open_without_a_trial_out_is_late(void **state)
{
	static const struct step s[] = {
	    {FAIL, 0, NONE, C},     {FAIL, 0, NONE, C},
	    {FAIL, 0, OPENED, O},   {TICK, 1000, HALF, H},
	    {FAIL, 1001, NONE, H}, /* nobody took a trial: old news */
	    {OK, 1002, NONE, H},    {OK, 1003, NONE, H},
	    {ALLOW, 1004, NONE, H}, {FAIL, 1005, REOPENED, O},
	};
	struct breaker b;

	breaker_init(&b, &opts);
	RUN(&b, s);
	assert_int_equal(b.late, 3);
	assert_int_equal(b.cooldown_ms, 2000);
}

static void
late_trial_result_after_reopen_is_ignored(void **state)
{
	static const struct step s[] = {
	    {CONFIG, 0, OPENED, O},  {ALLOW, 60000, NONE, H},
	    {ALLOW, 60000, NONE, H}, {FAIL, 60001, REOPENED, O},
	    {OK, 60002, NONE, O}, /* the other trial, late */
	    {DENY, 60500, NONE, O},
	};
	struct breaker b;

	breaker_init(&b, &opts);
	RUN(&b, s);
	assert_int_equal(b.trials_out, 0);
	assert_int_equal(b.late, 1);
}

static void
force_open_blocks_and_clear_restores(void **state)
{
	struct breaker b;

	breaker_init(&b, &opts);
	assert_int_equal(breaker_force_open(&b, 0, 30000, "status page: major"),
	                 BREAKER_EV_OPENED);
	assert_string_equal(b.reason, "status page: major");
	assert_false(breaker_allow(&b, 29999));
	assert_int_equal(breaker_cooldown_left(&b, 10000), 20000);
	assert_int_equal(breaker_force_clear(&b, 10000), BREAKER_EV_CLOSED);
	assert_string_equal(b.reason, "cleared by operator");
	assert_true(breaker_allow(&b, 10000));
	assert_int_equal(breaker_force_clear(&b, 10000), BREAKER_EV_NONE);
	/* From half-open, forcing open is a re-open. */
	breaker_force_open(&b, 0, 10, NULL);
	assert_string_equal(b.reason, "forced open");
	assert_true(breaker_allow(&b, 10));
	assert_int_equal(breaker_force_open(&b, 10, 10, "again"),
	                 BREAKER_EV_REOPENED);
}

static void
force_open_never_shortens_and_max_is_forever(void **state)
{
	struct breaker b;

	breaker_init(&b, &opts);
	breaker_record(&b, 0, BREAKER_CONFIG); /* open until 60000 */
	assert_int_equal(breaker_force_open(&b, 100, 1000, "status page"),
	                 BREAKER_EV_NONE);
	assert_int_equal(b.until_ms, 60000);
	breaker_force_open(&b, 100, 100000, "longer");
	assert_int_equal(b.until_ms, 100100);
	breaker_force_open(&b, 200, UINT64_MAX, "paused by operator");
	assert_int_equal(b.until_ms, UINT64_MAX);
	assert_false(breaker_allow(&b, UINT64_MAX - 1));
	assert_int_equal(breaker_tick(&b, UINT64_MAX - 1), BREAKER_EV_NONE);
	/* The doubling cool-down is untouched by operators. */
	assert_int_equal(b.cooldown_ms, 0);
}

static void
usable_changes_nothing(void **state)
{
	struct breaker b, copy;

	breaker_init(&b, &opts);
	breaker_record(&b, 0, BREAKER_CONFIG);
	memcpy(&copy, &b, sizeof(b));
	assert_false(breaker_usable(&b, 59999));
	assert_true(breaker_usable(&b, 60000));
	assert_true(breaker_usable(&b, 60000));
	assert_memory_equal(&copy, &b, sizeof(b));
}

static void
names_are_plain_words(void **state)
{
	assert_string_equal(breaker_state_name(BREAKER_CLOSED), "closed");
	assert_string_equal(breaker_state_name(BREAKER_OPEN), "open");
	assert_string_equal(breaker_state_name(BREAKER_HALF_OPEN), "half-open");
	assert_string_equal(breaker_event_name(BREAKER_EV_REOPENED),
	                    "reopened");
	assert_string_equal(breaker_event_name(BREAKER_EV_HALF_OPENED),
	                    "half-opened");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(null_opts_and_zero_fields_take_defaults),
	    cmocka_unit_test(closed_allows_every_message),
	    cmocka_unit_test(consecutive_failures_open_it),
	    cmocka_unit_test(success_breaks_the_failure_streak),
	    cmocka_unit_test(failure_ratio_opens_only_with_min_volume),
	    cmocka_unit_test(failure_ratio_below_threshold_stays_closed),
	    cmocka_unit_test(failure_ratio_reason_gives_percent_and_volume),
	    cmocka_unit_test(failure_ratio_forgets_attempts_older_than_window),
	    cmocka_unit_test(cooldown_over_half_opens_on_tick_or_allow),
	    cmocka_unit_test(half_open_limits_trials_in_flight),
	    cmocka_unit_test(cancelled_trial_frees_its_slot),
	    cmocka_unit_test(trial_successes_close_it),
	    cmocka_unit_test(
	        trial_failure_reopens_with_doubled_cooldown_up_to_cap),
	    cmocka_unit_test(full_close_resets_cooldown_growth),
	    cmocka_unit_test(closing_forgets_old_failures_in_window),
	    cmocka_unit_test(config_failure_opens_at_once_for_long),
	    cmocka_unit_test(config_failure_while_open_extends_it),
	    cmocka_unit_test(late_results_while_open_change_nothing),
	    cmocka_unit_test(result_in_half_open_without_a_trial_out_is_late),
	    cmocka_unit_test(late_trial_result_after_reopen_is_ignored),
	    cmocka_unit_test(force_open_blocks_and_clear_restores),
	    cmocka_unit_test(force_open_never_shortens_and_max_is_forever),
	    cmocka_unit_test(usable_changes_nothing),
	    cmocka_unit_test(names_are_plain_words),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
