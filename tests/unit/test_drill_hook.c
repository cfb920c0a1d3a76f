/*
 * test_drill_hook.c - deliver's fault hook (deliver.h), the adapter
 * boundary outage drills sit at, through the scripted provider of
 * deliver_test.h over a real spool and a real loop: two providers of
 * which "primary" is preferred.
 *
 *   answer    the primary's attempt ends with the hook's result and the
 *             adapter is never called for it; the message fails over and
 *             is delivered by the backup; the attempt, the failover and
 *             the circuit carry drill = 1
 *   overrule  a hook answering "rejected" or "unknown" is taken as
 *             deferred: a drill never fails a recipient
 *   hang      an answer that takes longer than the stream's
 *             failover_after is abandoned as deferred, never unknown
 *   delay     the attempt reaches the adapter after the delay
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/event.h>

#include "config/config.h"
#include "core/clock.h"
#include "core/xmalloc.h"
#include "deliver/deliver.h"
#include "deliver_test.h"
#include "observe/events.h"
#include "providers/adapter.h"
#include "send/result.h"
#include "spool/spool.h"

struct hk {
	struct dt_env env;
	struct deliver_fault fault; /* what the hook answers the primary */
	int asked, committed;
	/* events seen */
	int attempts_drill, attempts_real, failover_drill, circuit_drill;
	int sent;
	uint64_t first_mono;
};

static struct hk *hk_cur;

static void
hk_attempt(const char *provider, const char *type, const char *stream,
           const char *msg_id, struct deliver_fault *out, void *arg)
{
	struct hk *h = arg;

	(void)type;
	(void)stream;
	(void)msg_id;
	if (strcmp(provider, "primary") != 0)
		return;
	h->asked++;
	*out = h->fault;
}

static bool
hk_drilled(const char *provider, void *arg)
{
	(void)arg;
	return strcmp(provider, "primary") == 0;
}

static void
hk_event(const struct events_item *e, void *arg)
{
	struct hk *h = arg;

	switch (e->kind) {
	case EVENT_ATTEMPT:
		if (e->drill)
			h->attempts_drill++;
		else
			h->attempts_real++;
		break;
	case EVENT_FAILOVER:
		h->failover_drill += e->drill;
		break;
	case EVENT_CIRCUIT:
		h->circuit_drill += e->drill;
		break;
	case EVENT_SENT:
		h->sent++;
		break;
	default:
		break;
	}
}

static const char hk_yaml[] =
    "providers:\n"
    "  - {name: primary, type: smtp, host: 127.0.0.1, port: 2525,"
    " priority: 1, max_connections: 1,"
    " circuit: {failures: 1}}\n"
    "  - {name: backup, type: smtp, host: 127.0.0.1, port: 2526,"
    " priority: 2, max_connections: 1}\n"
    "streams:\n"
    "  transactional: {failover_after: 300ms}\n";

static int
hk_setup(void **state)
{
	struct hk *h = xcalloc(1, sizeof(*h));

	dt_env_open(&h->env, "test_drill_hook");
	h->env.cfg = dt_config(hk_yaml);
	assert_int_equal(events_subscribe(hk_event, h), 0);
	hk_cur = h;
	*state = h;
	return 0;
}

static int
hk_teardown(void **state)
{
	struct hk *h = *state;

	events_unsubscribe(hk_event, h);
	dt_env_close(&h->env);
	free(h);
	return 0;
}

static void
hk_on_commit(int status, const char *id, void *arg)
{
	struct hk *h = arg;

	(void)id;
	assert_int_equal(status, SPOOL_OK);
	h->committed++;
}

/* hk_run - submit one message, start delivery with the hook, run until
 * it is finished (5 s at most); the stats. */
static struct deliver_stats
hk_run(struct hk *h)
{
	static const char *const rcpts[] = {"b@example.net"};
	struct deliver_opts o = {
	    .base = h->env.base,
	    .spool = h->env.sp,
	    .cfg = h->env.cfg,
	    .poll_ms = 10,
	};
	struct deliver_fault_hook hook = {
	    .attempt = hk_attempt,
	    .drilled = hk_drilled,
	    .arg = h,
	};
	struct deliver_stats st;
	struct timeval tick = {0, 10000};
	int i;

	dt_submit(h->env.sp, rcpts, 1, hk_on_commit, h);
	h->env.d = deliver_new(&o);
	assert_non_null(h->env.d);
	deliver_fault_hook_set(h->env.d, &hook);
	for (i = 0; i < 500; i++) {
		event_base_loopexit(h->env.base, &tick);
		event_base_dispatch(h->env.base);
		deliver_stats_get(h->env.d, &st);
		if (h->committed == 1 && st.delivered + st.failed > 0)
			break;
	}
	if (i == 500)
		fail_msg("the message was not finished within 5 s");
	return st;
}

static void
test_answer(void **state)
{
	struct hk *h = *state;
	struct deliver_stats st;

	h->fault.act = DELIVER_FAULT_ANSWER;
	send_result_init(&h->fault.result, SEND_DEFERRED, SEND_STAGE_CONNECT);
	st = hk_run(h);
	assert_int_equal(h->asked, 1);
	assert_int_equal(st.delivered, 1);
	assert_int_equal(st.failed, 0);
	assert_int_equal(st.failovers, 1);
	/* Only the backup's send reached an adapter. */
	assert_int_equal(dt_script.sends, 1);
	assert_int_equal(h->attempts_drill, 1);
	assert_int_equal(h->attempts_real, 1);
	assert_int_equal(h->failover_drill, 1);
	assert_true(h->circuit_drill >= 1);
	assert_int_equal(h->sent, 1);
}

static void
test_overrule(void **state)
{
	struct hk *h = *state;
	struct deliver_stats st;

	h->fault.act = DELIVER_FAULT_ANSWER;
	send_result_init(&h->fault.result, SEND_REJECTED, SEND_STAGE_RCPT);
	st = hk_run(h);
	assert_int_equal(st.delivered, 1);
	assert_int_equal(st.failed, 0);
	assert_int_equal(st.possible_duplicates, 0);
	assert_int_equal(dt_script.sends, 1);
}

static void
test_overrule_unknown(void **state)
{
	struct hk *h = *state;
	struct deliver_stats st;

	h->fault.act = DELIVER_FAULT_ANSWER;
	send_result_init(&h->fault.result, SEND_UNKNOWN, SEND_STAGE_DOT);
	st = hk_run(h);
	assert_int_equal(st.delivered, 1);
	assert_int_equal(st.possible_duplicates, 0);
}

static void
test_hang(void **state)
{
	struct hk *h = *state;
	struct deliver_stats st;

	/* The answer would come after 5 s; failover_after is 300 ms. */
	h->fault.act = DELIVER_FAULT_ANSWER;
	h->fault.after_ms = 5000;
	send_result_init(&h->fault.result, SEND_DEFERRED, SEND_STAGE_GREETING);
	st = hk_run(h);
	assert_int_equal(st.delivered, 1);
	assert_int_equal(st.possible_duplicates, 0);
	assert_int_equal(dt_script.sends, 1);
	assert_int_equal(h->attempts_drill, 1);
}

static void
test_delay(void **state)
{
	struct hk *h = *state;
	struct deliver_stats st;
	uint64_t before = clock_mono_ms();

	h->fault.act = DELIVER_FAULT_DELAY;
	h->fault.after_ms = 150;
	st = hk_run(h);
	assert_int_equal(st.delivered, 1);
	assert_int_equal(st.failovers, 0);
	assert_int_equal(dt_script.sends, 1);
	assert_true(dt_script.at_ms[0] >= before + 150);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_answer, hk_setup, hk_teardown),
	    cmocka_unit_test_setup_teardown(test_overrule, hk_setup,
	                                    hk_teardown),
	    cmocka_unit_test_setup_teardown(test_overrule_unknown, hk_setup,
	                                    hk_teardown),
	    cmocka_unit_test_setup_teardown(test_hang, hk_setup, hk_teardown),
	    cmocka_unit_test_setup_teardown(test_delay, hk_setup, hk_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
