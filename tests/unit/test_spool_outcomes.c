/*
 * test_spool_outcomes - spool_opts.outcome_delay_ms (spool.outcome_delay):
 * while nothing but outcomes waits, the writer gathers them into one
 * commit for at most the delay after the oldest; a submit queued behind
 * them ends the wait at once; with no delay each outcome that arrives
 * alone is a commit of its own (the contrast that shows the gathering).
 */
#include <stdint.h>

#include "core/clock.h"
#include "spool_test.h"

#define N 5

struct fx {
	struct spool_test_fx f;
	char ids[N][ID_SIZE];
};

static void
on_commit(int status, const char *id, void *arg)
{
	char *out = arg;

	assert_int_equal(status, SPOOL_OK);
	snprintf(out, ID_SIZE, "%s", id);
}

struct done_at {
	int done;
	uint64_t at_us[N + 1];
};

static void
on_done(int status, void *arg)
{
	struct done_at *d = arg;

	assert_int_equal(status, SPOOL_OK);
	d->at_us[d->done++] = clock_mono_us();
}

/* fx_open - a spool with delay ms, N messages stored and claimed. */
static struct fx *
fx_open(unsigned delay)
{
	struct fx *x = xcalloc(1, sizeof(*x));
	struct spool_opts o;
	struct spool_test_got g;
	char err[256];
	int i;

	snprintf(x->f.dir, sizeof(x->f.dir), "/tmp/sw-outcomes.XXXXXX");
	assert_non_null(mkdtemp(x->f.dir));
	x->f.base = event_base_new();
	memset(&o, 0, sizeof(o));
	o.dir = x->f.dir;
	o.outcome_delay_ms = delay;
	x->f.sp = spool_open(&o, err, sizeof(err));
	if (x->f.sp == NULL)
		fail_msg("%s", err);
	assert_int_equal(spool_attach(x->f.sp, x->f.base), 0);
	for (i = 0; i < N; i++) {
		struct spool_msg_new m = spool_test_msg();
		assert_int_equal(
		    spool_msg_submit(x->f.sp, &m, on_commit, x->ids[i]), 0);
	}
	memset(&g, 0, sizeof(g));
	assert_int_equal(
	    spool_msg_claim(x->f.sp, N, INT64_MAX / 2, spool_test_on_msgs, &g),
	    0);
	spool_test_pump(x->f.base, &g.done, 1, 10);
	assert_int_equal(g.n, N);
	spool_test_got_fini(&g);
	return x;
}

/* outcome - queue message i's outcome: sent. */
static void
outcome(struct fx *x, int i, struct done_at *d)
{
	struct spool_outcome o;

	memset(&o, 0, sizeof(o));
	o.id = x->ids[i];
	o.next_state = SPOOL_STATE_SENT;
	assert_int_equal(spool_msg_outcome(x->f.sp, &o, on_done, d), 0);
}

/* spin - run the loop for ms milliseconds. */
static void
spin(struct fx *x, unsigned ms)
{
	uint64_t until = clock_mono_us() + (uint64_t)ms * 1000;

	while (clock_mono_us() < until) {
		event_base_loop(x->f.base, EVLOOP_NONBLOCK);
		usleep(500);
	}
}

static uint64_t
commits(struct fx *x)
{
	struct spool_counts c;

	spool_counts_get(x->f.sp, &c);
	return c.commits;
}

/* Five outcomes 20 ms apart, a 300 ms delay: one commit, ~300 ms after
 * the first was queued. */
static void
outcomes_gathered_within_the_delay(void **state)
{
	struct fx *x = fx_open(300);
	struct done_at d;
	uint64_t c0 = commits(x), t0;
	struct spool_counts c;
	int i;

	(void)state;
	memset(&d, 0, sizeof(d));
	t0 = clock_mono_us();
	for (i = 0; i < N; i++) {
		outcome(x, i, &d);
		spin(x, 20);
	}
	spool_test_pump(x->f.base, &d.done, N, 10);
	assert_int_equal(commits(x) - c0, 1);
	for (i = 0; i < N; i++)
		assert_true(d.at_us[i] - t0 >= 250 * 1000);
	assert_true(d.at_us[N - 1] - t0 < 2000 * 1000);
	spool_counts_get(x->f.sp, &c);
	assert_int_equal(c.state[SPOOL_STATE_SENT], N);
	spool_test_fx_free(&x->f);
}

/* A submit behind a waiting outcome is not held back, and takes the
 * outcome with it. */
static void
submit_ends_the_wait(void **state)
{
	struct fx *x = fx_open(1000);
	struct done_at d;
	struct spool_msg_new m = spool_test_msg();
	char id[ID_SIZE] = "";
	uint64_t c0 = commits(x), t0;

	(void)state;
	memset(&d, 0, sizeof(d));
	t0 = clock_mono_us();
	outcome(x, 0, &d);
	spin(x, 20);
	assert_int_equal(d.done, 0); /* still gathering */
	assert_int_equal(spool_msg_submit(x->f.sp, &m, on_commit, id), 0);
	spool_test_pump(x->f.base, &d.done, 1, 10);
	assert_true(d.at_us[0] - t0 < 500 * 1000);
	spin(x, 20);
	assert_true(id[0] != '\0');
	assert_int_equal(commits(x) - c0, 1);
	spool_test_fx_free(&x->f);
}

/* No delay: the same five outcomes, each alone, are five commits. */
static void
no_delay_commits_each(void **state)
{
	struct fx *x = fx_open(0);
	struct done_at d;
	uint64_t c0 = commits(x);
	int i;

	(void)state;
	memset(&d, 0, sizeof(d));
	for (i = 0; i < N; i++) {
		outcome(x, i, &d);
		spin(x, 20);
	}
	spool_test_pump(x->f.base, &d.done, N, 10);
	assert_int_equal(commits(x) - c0, N);
	spool_test_fx_free(&x->f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(outcomes_gathered_within_the_delay),
	    cmocka_unit_test(submit_ends_the_wait),
	    cmocka_unit_test(no_delay_commits_each),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
