/*
 * test_deliver_readiness.c - routing never hands a message to a provider
 * known not to have its sender domain verified (issue 18 item 4,
 * readiness_blocks in deliver_send.c job_represents): the message goes
 * to a ready provider, or waits and is sent once the provider is known
 * verified. Through the scripted provider of deliver_test.h over a real
 * spool and a real loop.
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
#include "readiness/readiness.h"
#include "spool/spool.h"

static const char two_yaml[] =
    "providers:\n"
    "  - {name: primary, type: smtp, host: 127.0.0.1, port: 2525,"
    " priority: 1}\n"
    "  - {name: backup, type: smtp, host: 127.0.0.1, port: 2526,"
    " priority: 2}\n";

static const char one_yaml[] =
    "retry: {min_backoff: 200ms, max_backoff: 200ms}\n"
    "providers:\n"
    "  - {name: only, type: smtp, host: 127.0.0.1, port: 2525}\n";

static int committed;

static void
on_commit(int status, const char *id, void *arg)
{
	(void)id;
	(void)arg;
	assert_int_equal(status, SPOOL_OK);
	committed++;
}

/* submit_from - spool one message from sender to one recipient. */
static void
submit_from(struct spool *sp, const char *sender)
{
	static const char body[] = "Subject: x\r\n\r\nhi\r\n";
	struct spool_msg_new m;

	memset(&m, 0, sizeof(m));
	m.sender = xstrdup(sender);
	m.rcpts = xcalloc(1, sizeof(*m.rcpts));
	m.rcpts[0] = xstrdup("b@example.net");
	m.n_rcpts = 1;
	buf_init(&m.body);
	buf_add(&m.body, body, sizeof(body) - 1);
	assert_int_equal(spool_msg_submit(sp, &m, on_commit, NULL), 0);
}

/* run_until - run the loop in 10 ms ticks until delivered reaches want
 * or ms pass; the stats at the end. */
static void
run_until(struct dt_env *e, uint64_t want, int ms, struct deliver_stats *st)
{
	struct timeval tick = {0, 10000};
	int i;

	for (i = 0; i < ms / 10; i++) {
		event_base_loopexit(e->base, &tick);
		event_base_dispatch(e->base);
		deliver_stats_get(e->d, st);
		if (st->delivered >= want)
			return;
	}
}

/* set_verified - record provider's verification of example.com. */
static void
set_verified(struct readiness *r, const char *provider, enum readiness_tri t)
{
	struct readiness_facts f;

	readiness_facts_init(&f);
	f.verified = t;
	snprintf(f.verified_words, sizeof(f.verified_words), "%s",
	         t == READINESS_NO ? "VerificationStatus PENDING" : "SUCCESS");
	assert_int_equal(readiness_set(r, provider, "example.com", &f), 0);
}

/* open_env - a spool and loop for one case, its configuration from
 * yaml, and deliver options routing with r. */
static void
open_env(struct dt_env *e, const char *yaml, struct readiness *r,
         struct deliver_opts *o)
{
	committed = 0;
	dt_env_open(e, "test_deliver_readiness");
	e->cfg = dt_config(yaml);
	*o = (struct deliver_opts){.base = e->base,
	                           .spool = e->sp,
	                           .cfg = e->cfg,
	                           .poll_ms = 10,
	                           .readiness = r};
}

static void
unverified_primary_is_skipped(void **state)
{
	struct readiness *r = readiness_new();
	struct dt_env e = {0};
	struct deliver_stats st;
	struct deliver_provider_info pi;
	struct deliver_opts o = {0};

	(void)state;
	open_env(&e, two_yaml, r, &o);
	set_verified(r, "primary", READINESS_NO);
	submit_from(e.sp, "app@Example.com");
	e.d = deliver_new(&o);
	assert_non_null(e.d);
	run_until(&e, 1, 3000, &st);
	assert_int_equal(st.delivered, 1);
	deliver_provider_info(e.d, 0, &pi);
	assert_string_equal(pi.name, "primary");
	assert_int_equal(pi.sent + pi.failed, 0);
	deliver_provider_info(e.d, 1, &pi);
	assert_int_equal(pi.sent, 1);

	/* Another sender domain is not held back: it goes to primary. */
	submit_from(e.sp, "app@other.example");
	run_until(&e, 2, 3000, &st);
	assert_int_equal(st.delivered, 2);
	deliver_provider_info(e.d, 0, &pi);
	assert_int_equal(pi.sent, 1);
	dt_env_close(&e);
	readiness_free(r);
}

static void
message_waits_until_verified(void **state)
{
	struct readiness *r = readiness_new();
	struct dt_env e = {0};
	struct deliver_stats st;
	struct deliver_opts o = {0};

	(void)state;
	open_env(&e, one_yaml, r, &o);
	set_verified(r, "only", READINESS_NO);
	submit_from(e.sp, "app@example.com");
	e.d = deliver_new(&o);
	assert_non_null(e.d);
	run_until(&e, 1, 600, &st);
	/* Not sent, not failed: deferred (the log says why), it waits. */
	assert_int_equal(committed, 1);
	assert_int_equal(dt_script.sends, 0);
	assert_int_equal(st.delivered + st.failed, 0);
	assert_true(st.deferred >= 1);

	/* Unknown never blocks: once nothing is known it goes. */
	set_verified(r, "only", READINESS_UNKNOWN);
	run_until(&e, 1, 3000, &st);
	assert_int_equal(st.delivered, 1);
	assert_int_equal(dt_script.sends, 1);
	dt_env_close(&e);
	readiness_free(r);
}

static void
null_sender_is_never_held(void **state)
{
	static const char *const rcpts[] = {"b@example.net"};
	struct readiness *r = readiness_new();
	struct dt_env e = {0};
	struct deliver_stats st;
	struct deliver_opts o = {0};

	(void)state;
	open_env(&e, one_yaml, r, &o);
	set_verified(r, "only", READINESS_NO);
	dt_submit(e.sp, rcpts, 1, on_commit, NULL);
	e.d = deliver_new(&o);
	assert_non_null(e.d);
	run_until(&e, 1, 3000, &st);
	assert_int_equal(st.delivered, 1);
	dt_env_close(&e);
	readiness_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(unverified_primary_is_skipped),
	    cmocka_unit_test(message_waits_until_verified),
	    cmocka_unit_test(null_sender_is_never_held),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
