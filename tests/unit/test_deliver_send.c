/*
 * test_deliver_send.c - what deliver does with an adapter's refusal to
 * start a send, through the scripted provider of deliver_test.h (the
 * providers/adapter.h test seam) over a real spool and a real loop.
 *
 * adapter.h: send() returns 0, -EBUSY (the channel is busy: nothing
 * started) or -EINVAL (the message cannot go to this provider at all).
 * Only -EINVAL may fail the recipients.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>
#include <event2/event.h>

#include "config/config.h"
#include "core/xmalloc.h"
#include "deliver/deliver.h"
#include "deliver_test.h"
#include "providers/adapter.h"
#include "send/result.h"
#include "spool/spool.h"

/* ---- fixture --------------------------------------------------------- */

/* One case: the adapter refuses the first sends, then accepts. */
struct refusal_case {
	const char *name;
	int rc;    /* what send() returns ... */
	int times; /* ... this many times */
	uint64_t delivered, failed;
	int sends; /* send() calls in all */
};

static const struct refusal_case refusal_cases[] = {
    {"busy channel does not reject the message", -EBUSY, 1, 1, 0, 2},
    {"channel busy three times still sends", -EBUSY, 3, 1, 0, 4},
    {"invalid message fails every recipient", -EINVAL, 1, 0, 1, 1},
};

struct fx {
	const struct refusal_case *c;
	struct dt_env env;
	int committed;
};

static const char fx_yaml[] =
    "providers:\n"
    "  - {name: only, type: smtp, host: 127.0.0.1, port: 2525,"
    " max_connections: 1}\n";

static int
fx_setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));

	f->c = *state;
	dt_env_open(&f->env, "test_deliver_send");
	f->env.cfg = dt_config(fx_yaml);
	dt_script.refuse_left = f->c->times;
	dt_script.refuse_rc = f->c->rc;
	*state = f;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx *f = *state;

	dt_env_close(&f->env);
	free(f);
	return 0;
}

static void
fx_on_commit(int status, const char *id, void *arg)
{
	struct fx *f = arg;

	(void)id;
	assert_int_equal(status, SPOOL_OK);
	f->committed++;
}

/* fx_submit - spool one message to two recipients, from <> (no DSN). */
static void
fx_submit(struct fx *f)
{
	static const char *const rcpts[] = {"b@example.net", "c@example.net"};

	dt_submit(f->env.sp, rcpts, 2, fx_on_commit, f);
}

/* ---- the one test, run per case ---------------------------------------- */

/* refusal_case_run - submit, deliver until finished (5 s at most), check. */
static void
refusal_case_run(void **state)
{
	struct fx *f = *state;
	struct deliver_opts o = {
	    .base = f->env.base,
	    .spool = f->env.sp,
	    .cfg = f->env.cfg,
	    .poll_ms = 10,
	};
	struct deliver_stats st;
	struct timeval tick = {0, 10000};
	int i;

	fx_submit(f);
	f->env.d = deliver_new(&o);
	assert_non_null(f->env.d);
	for (i = 0; i < 500; i++) {
		event_base_loopexit(f->env.base, &tick);
		event_base_dispatch(f->env.base);
		deliver_stats_get(f->env.d, &st);
		if (f->committed == 1 && st.delivered + st.failed > 0)
			break;
	}
	if (i == 500)
		fail_msg("%s: the message was not finished within 5 s",
		         f->c->name);
	assert_int_equal(st.delivered, f->c->delivered);
	assert_int_equal(st.failed, f->c->failed);
	assert_int_equal(dt_script.sends, f->c->sends);
}

int
main(void)
{
	enum { N = sizeof(refusal_cases) / sizeof(refusal_cases[0]) };
	struct CMUnitTest tests[N];
	size_t i;

	for (i = 0; i < N; i++)
		tests[i] = (struct CMUnitTest){
		    refusal_cases[i].name, refusal_case_run, fx_setup,
		    fx_teardown, (void *)&refusal_cases[i]};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
