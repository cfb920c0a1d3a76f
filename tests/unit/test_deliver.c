/*
 * test_deliver.c - the delivery scheduler's timing, through the clock
 * seam (core/clock.h): back-off, lifetime expiry, wake-ups by commits
 * and by the next attempt time (never by polling), and timers that a
 * step of the wall clock does not move.
 *
 * A real spool and a real loop; the provider is the scripted fake adapter
 * of deliver_test.h (providers/adapter.h seam). The test clock is the real one
 * plus two offsets, so libevent's timers still run while a case steps the wall
 * clock or the monotonic clock on its own.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <event2/event.h>

#include "config/config.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "deliver/deliver.h"
#include "deliver_test.h"
#include "providers/adapter.h"
#include "send/result.h"
#include "spool/spool.h"

/* ---- the test clock ------------------------------------------------- */

static int64_t tc_wall_off_us;
static uint64_t tc_mono_off_us;
/* While tc_lag_us is non-zero, the loop's thread reads the wall clock
 * that far behind; the first read from another thread (the spool's
 * writer) ends it and puts the clock as far ahead, for everyone. */
static _Atomic int64_t tc_lag_us;
static _Atomic int64_t tc_lead_us;
static pthread_t tc_loop_thread;

static uint64_t
tc_mono(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000 +
	       tc_mono_off_us;
}

static int64_t
tc_wall(void *arg)
{
	struct timespec ts;
	int64_t lag = atomic_load(&tc_lag_us);

	(void)arg;
	if (lag != 0 && !pthread_equal(pthread_self(), tc_loop_thread)) {
		atomic_store(&tc_lead_us, lag);
		atomic_store(&tc_lag_us, 0);
		lag = 0;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 +
	       tc_wall_off_us - lag + atomic_load(&tc_lead_us);
}

static const struct clock_source tc_source = {tc_mono, tc_wall, NULL};

/* ---- fixture ---------------------------------------------------------- */

struct backoff_case;

struct fx {
	const struct backoff_case *c; /* the case, if a table drives it */
	struct dt_env env;
	char id[ID_SIZE];
	int committed;
	struct spool_msg *got;
	int got_done;
};

static int
fx_setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));

	f->c = *state;
	tc_wall_off_us = 0;
	tc_mono_off_us = 0;
	atomic_store(&tc_lag_us, 0);
	atomic_store(&tc_lead_us, 0);
	tc_loop_thread = pthread_self();
	clock_source_set(&tc_source);
	dt_env_open(&f->env, "test_deliver");
	*state = f;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx *f = *state;

	dt_env_close(&f->env);
	spool_msg_free(f->got);
	clock_source_set(NULL);
	free(f);
	return 0;
}

/* fx_config - one provider, "only" (with more keys prov), and top. */
static void
fx_config(struct fx *f, const char *prov, const char *top)
{
	char yaml[1024];

	snprintf(yaml, sizeof(yaml),
	         "providers:\n"
	         "  - {name: only, type: smtp, host: 127.0.0.1, port: 2525,"
	         " max_connections: 1%s}\n%s",
	         prov, top);
	f->env.cfg = dt_config(yaml);
}

/* fx_start - deliver with poll_ms of 10 minutes: only wake-ups count. */
static void
fx_start(struct fx *f)
{
	struct deliver_opts o = {
	    .base = f->env.base,
	    .spool = f->env.sp,
	    .cfg = f->env.cfg,
	    .poll_ms = 600000,
	};

	f->env.d = deliver_new(&o);
	assert_non_null(f->env.d);
}

static void
fx_on_commit(int status, const char *id, void *arg)
{
	struct fx *f = arg;

	assert_int_equal(status, SPOOL_OK);
	snprintf(f->id, sizeof(f->id), "%s", id);
	f->committed++;
}

/* fx_run - run the loop until done(f) or ms of real time passed. */
static bool
fx_run(struct fx *f, bool (*done)(struct fx *), int ms)
{
	struct timeval tick = {0, 10000};
	int i;

	for (i = 0; i < ms / 10; i++) {
		if (done(f))
			return true;
		event_base_loopexit(f->env.base, &tick);
		event_base_dispatch(f->env.base);
	}
	return done(f);
}

static bool fx_got(struct fx *f);

static bool
fx_committed(struct fx *f)
{
	return f->committed > 0;
}

/* fx_submit - spool one message from <> (no DSN) and wait for it. */
static void
fx_submit(struct fx *f)
{
	static const char *const rcpt[] = {"b@example.net"};

	f->committed = 0;
	dt_submit(f->env.sp, rcpt, 1, fx_on_commit, f);
	assert_true(fx_run(f, fx_committed, 5000));
}

static void
fx_on_get(int status, struct spool_msg *m, void *arg)
{
	struct fx *f = arg;

	assert_int_equal(status, SPOOL_OK);
	spool_msg_free(f->got);
	f->got = m;
	f->got_done = 1;
}

static bool
fx_got(struct fx *f)
{
	return f->got_done;
}

/* fx_get - read the message back into f->got. */
static void
fx_get(struct fx *f)
{
	f->got_done = 0;
	assert_int_equal(spool_msg_get(f->env.sp, f->id, 0, fx_on_get, f), 0);
	assert_true(fx_run(f, fx_got, 5000));
}

static struct deliver_stats
fx_stats(struct fx *f)
{
	struct deliver_stats st;

	deliver_stats_get(f->env.d, &st);
	return st;
}

static bool
fx_settled(struct fx *f)
{
	struct deliver_stats st = fx_stats(f);

	return st.deferred + st.delivered + st.failed > 0;
}

static bool
fx_delivered(struct fx *f)
{
	return fx_stats(f).delivered > 0;
}

/* fx_get_stored - read the message once its outcome is stored (it
 * left inflight), 5 s at most. */
static void
fx_get_stored(struct fx *f)
{
	int i;

	for (i = 0; i < 250; i++) {
		fx_get(f);
		if (f->got->state != SPOOL_STATE_INFLIGHT)
			return;
		(void)fx_run(f, fx_got, 20);
	}
	fail_msg("the outcome was not stored");
}

/* ---- cases ------------------------------------------------------------ */

/* One back-off case: the wall clock moves on by age_ms between the
 * commit and the first attempt, which the provider defers. */
struct backoff_case {
	const char *name;
	int64_t age_ms;
	/* next attempt - attempt time, had the case taken no time */
	int64_t min_ms, max_ms;
};

static const struct backoff_case backoff_cases[] = {
    {"young message waits the minimum back-off", 0, 60000, 72000},
    {"back-off grows with the message's age", 600000, 480000, 720000},
    {"back-off stops at the maximum", 86400000, 3600000 * 8 / 10, 3600000},
};

static void
deferred_message_backs_off_by_its_age(void **state)
{
	struct fx *f = *state;
	const struct backoff_case *c = f->c;
	int64_t t0, attempt, spent, in;

	fx_config(f, "",
	          "retry: {min_backoff: 1m, max_backoff: 1h, "
	          "max_lifetime: 5d}\n");
	dt_script.cls[0] = SEND_DEFERRED;
	dt_script.n_cls = 1;
	t0 = clock_wall_ms();
	fx_submit(f);
	tc_wall_off_us += c->age_ms * 1000;
	attempt = clock_wall_ms();
	fx_start(f);
	assert_true(fx_run(f, fx_settled, 5000));
	/*
	 * The time the case really took, from before the commit to after
	 * the deferral: it is in the message's age (back-off up to 1.2
	 * times that) and between attempt and the deferral. On a loaded
	 * machine that can be over a second, so it is measured, not
	 * assumed; 2 ms for the clock's flooring.
	 */
	spent = clock_wall_ms() - c->age_ms - t0;
	fx_get_stored(f);
	assert_int_equal(f->got->state, SPOOL_STATE_DEFERRED);
	in = f->got->next_attempt_at - attempt;
	if (in < c->min_ms || in > c->max_ms + 3 * spent + 2)
		fail_msg("%s: next attempt in %lld ms (case took %lld ms)",
		         c->name, (long long)in, (long long)spent);
}

static void
message_past_its_lifetime_fails_with_4_4_7(void **state)
{
	struct fx *f = *state;

	fx_config(f, "",
	          "retry: {min_backoff: 1m, max_backoff: 1h, "
	          "max_lifetime: 1h}\n");
	dt_script.cls[0] = SEND_DEFERRED;
	dt_script.n_cls = 1;
	fx_submit(f);
	tc_wall_off_us += 2 * 3600 * 1000000LL;
	fx_start(f);
	assert_true(fx_run(f, fx_settled, 5000));
	assert_int_equal(fx_stats(f).failed, 1);
	assert_int_equal(fx_stats(f).deferred, 0);
	fx_get_stored(f);
	assert_int_equal(f->got->state, SPOOL_STATE_FAILED);
	assert_int_equal(f->got->n_rcpts, 1);
	assert_int_equal(f->got->rcpts[0].state, SPOOL_RCPT_FAILED);
	assert_non_null(f->got->rcpts[0].last_reply);
	assert_non_null(strstr(f->got->rcpts[0].last_reply, "gave up"));
}

static void
committed_mail_wakes_delivery(void **state)
{
	struct fx *f = *state;
	struct timespec t0, t1;

	fx_config(f, "", "");
	dt_script.cls[0] = SEND_ACCEPTED;
	dt_script.n_cls = 1;
	fx_start(f);
	/* An idle queue: nothing is sent, and nothing polls. */
	assert_false(fx_run(f, fx_delivered, 200));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	fx_submit(f);
	/* Generous bounds for a loaded machine; polling would take 10 min. */
	assert_true(fx_run(f, fx_delivered, 10000));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 10);
	assert_int_equal(dt_script.started, 1);
}

/* fx_start_deferred_once - a message the provider defers once, then
 * takes, with a back-off of exactly 1 s; deliver started. */
static void
fx_start_deferred_once(struct fx *f)
{
	fx_config(f, "",
	          "retry: {min_backoff: 1s, max_backoff: 1s, "
	          "max_lifetime: 1h}\n");
	dt_script.cls[0] = SEND_DEFERRED;
	dt_script.cls[1] = SEND_ACCEPTED;
	dt_script.n_cls = 2;
	fx_submit(f);
	fx_start(f);
}

static void
deferred_message_wakes_at_its_next_attempt(void **state)
{
	struct fx *f = *state;
	uint64_t gap;

	fx_start_deferred_once(f);
	assert_true(fx_run(f, fx_delivered, 20000));
	assert_int_equal(dt_script.started, 2);
	gap = dt_script.at_ms[1] - dt_script.at_ms[0];
	/* Not before the back-off; well before the 10-minute poll, with
	 * room for a loaded machine. */
	if (gap < 900 || gap > 15000)
		fail_msg("second attempt %llu ms after the first",
		         (unsigned long long)gap);
}

/*
 * The due timer fires a little before the stored next attempt (libevent
 * measures from when its loop iteration began): the claim round looks
 * just before the message is due, and the spool's answer to "when is
 * the next attempt?" comes just after. Driven here by a wall clock that
 * lags on the loop's thread until the spool's writer reads it, i.e.
 * between the claim being asked for and the answer, and is then as far
 * ahead. The message is due by then, not undeliverable: it must go now,
 * not after poll_ms.
 */
static void
timer_firing_before_the_next_attempt_still_wakes_it(void **state)
{
	struct fx *f = *state;

	fx_start_deferred_once(f);
	/* Deferred and stored: the due timer is armed for ~1 s from now. */
	fx_get_stored(f);
	assert_int_equal(f->got->state, SPOOL_STATE_DEFERRED);
	assert_int_equal(dt_script.started, 1);
	atomic_store(&tc_lag_us, 300 * 1000);
	assert_true(fx_run(f, fx_delivered, 5000));
	assert_int_equal(dt_script.started, 2);
	/* The lag was used up by that claim round, not left over. */
	assert_int_equal(atomic_load(&tc_lag_us), 0);
	assert_int_equal(atomic_load(&tc_lead_us), 300 * 1000);
}

static bool
fx_open_circuit(struct fx *f)
{
	struct deliver_provider_info pi;

	deliver_provider_info(f->env.d, 0, &pi);
	return strcmp(pi.mode, "open") == 0;
}

static void
wall_clock_step_moves_no_breaker_or_pause(void **state)
{
	struct fx *f = *state;
	struct deliver_provider_info pi;
	uint64_t left;
	char err[128];

	fx_config(f, ", circuit: {failures: 1, cooldown: 30s}", "");
	dt_script.cls[0] = SEND_DEFERRED;
	dt_script.n_cls = 1;
	fx_submit(f);
	fx_start(f);
	assert_true(fx_run(f, fx_open_circuit, 5000));
	deliver_provider_info(f->env.d, 0, &pi);
	left = pi.cooldown_left_ms;
	assert_true(left > 20000 && left <= 30000);
	/* NTP steps the wall clock an hour, either way: the circuit's
	 * cool-down runs on. */
	tc_wall_off_us += 3600 * 1000000LL;
	deliver_provider_info(f->env.d, 0, &pi);
	assert_string_equal(pi.mode, "open");
	assert_true(pi.cooldown_left_ms <= left &&
	            pi.cooldown_left_ms + 1000 > left);
	tc_wall_off_us -= 2 * 3600 * 1000000LL;
	deliver_provider_info(f->env.d, 0, &pi);
	assert_string_equal(pi.mode, "open");
	assert_true(pi.cooldown_left_ms + 1000 > left);
	/* Monotonic time passing ends it. */
	tc_mono_off_us += (left + 1000) * 1000;
	deliver_provider_info(f->env.d, 0, &pi);
	assert_string_not_equal(pi.mode, "open");
	/* The same for an operator's timed pause. */
	assert_int_equal(deliver_provider_admin(f->env.d, "only",
	                                        DELIVER_ADMIN_PAUSE, 10000, err,
	                                        sizeof(err)),
	                 0);
	tc_wall_off_us += 3600 * 1000000LL;
	deliver_provider_info(f->env.d, 0, &pi);
	assert_string_equal(pi.mode, "paused");
	tc_mono_off_us += 11000 * 1000;
	deliver_provider_info(f->env.d, 0, &pi);
	assert_string_not_equal(pi.mode, "paused");
}

/* What the provider had no equivalent for (adapter_result's
 * not_applied) is the last line of the attempt's stored trace. */
static void
what_a_provider_did_not_apply_is_on_the_attempt(void **state)
{
	struct fx *f = *state;
	const char *tr;

	fx_config(f, "", "");
	dt_script.not_applied = "track_opens, ip_pool";
	fx_submit(f);
	fx_start(f);
	assert_true(fx_run(f, fx_delivered, 5000));
	fx_get_stored(f);
	assert_int_equal(f->got->n_atts, 1);
	tr = f->got->atts[0].trace;
	assert_non_null(tr);
	assert_non_null(strstr(tr, "\nnot applied by only: track_opens, "
	                           "ip_pool"));
	assert_string_equal(strstr(tr, "\nnot applied by "),
	                    SPOOL_TRACE_NOT_APPLIED
	                    "only: track_opens, ip_pool");
}

int
main(void)
{
	enum { NB = sizeof(backoff_cases) / sizeof(backoff_cases[0]) };
	static const struct {
		const char *name;
		CMUnitTestFunction fn;
	} plain[] = {
	    {"message past its lifetime fails with 4.4.7",
	     message_past_its_lifetime_fails_with_4_4_7},
	    {"committed mail wakes delivery", committed_mail_wakes_delivery},
	    {"deferred message wakes at its next attempt",
	     deferred_message_wakes_at_its_next_attempt},
	    {"timer firing before the next attempt still wakes it",
	     timer_firing_before_the_next_attempt_still_wakes_it},
	    {"wall clock step moves no breaker or pause",
	     wall_clock_step_moves_no_breaker_or_pause},
	    {"what a provider did not apply is on the attempt",
	     what_a_provider_did_not_apply_is_on_the_attempt},
	};
	enum { NP = sizeof(plain) / sizeof(plain[0]) };
	struct CMUnitTest tests[NB + NP];
	size_t i;

	for (i = 0; i < NB; i++)
		tests[i] = (struct CMUnitTest){
		    backoff_cases[i].name,
		    deferred_message_backs_off_by_its_age, fx_setup,
		    fx_teardown, (void *)&backoff_cases[i]};
	for (i = 0; i < NP; i++)
		tests[NB + i] = (struct CMUnitTest){
		    plain[i].name, plain[i].fn, fx_setup, fx_teardown, NULL};
	log_setup(LOG_LEVEL_ERROR, LOG_FORMAT_TEXT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
