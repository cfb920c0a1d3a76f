/*
 * test_backlog.c - per-stream backlog from events: oldest message,
 * deferred counts, messages learnt from their first delivery event,
 * seeding, forgetting, and heap compaction under a stuck oldest message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"
#include "core/id.h"
#include "observe/backlog.h"
#include "observe/events.h"

#define T0 1700000000000LL

/* ev - feed one message event. */
static void
ev(struct backlog *b, enum event_kind k, const char *id, const char *stream,
   int64_t at)
{
	struct events_item e;

	memset(&e, 0, sizeof(e));
	e.kind = k;
	e.msg_id = id;
	e.stream = stream;
	e.at_ms = at;
	backlog_event(b, &e);
}

/* stream_index - cfg's index of name. */
static size_t
stream_index(const struct config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->n_streams; i++)
		if (strcmp(c->streams[i].name, name) == 0)
			return i;
	fail_msg("no stream %s", name);
	return 0;
}

static void
oldest_follows_accepts_and_finishes(void **state)
{
	struct config *c = config_defaults();
	struct backlog *b = backlog_new(c);
	size_t tx = stream_index(c, "transactional");
	size_t bulk = stream_index(c, "bulk");
	struct backlog_stream s;
	char a[ID_SIZE], bb[ID_SIZE], cc[ID_SIZE];

	id_make(a, T0, 1);
	id_make(bb, T0 + 10, 2);
	id_make(cc, T0 + 20, 3);
	ev(b, EVENT_ACCEPTED, a, "transactional", T0);
	ev(b, EVENT_ACCEPTED, bb, NULL, T0 + 10); /* NULL: transactional */
	ev(b, EVENT_ACCEPTED, cc, "bulk", T0 + 20);
	ev(b, EVENT_ACCEPTED, "X", "nosuch", T0); /* unknown stream: ignored */
	backlog_stream_get(b, tx, &s);
	assert_int_equal(s.oldest_ms, T0);
	assert_string_equal(s.oldest_id, a);
	assert_int_equal(s.waiting, 2);
	ev(b, EVENT_SENT, a, "transactional", T0 + 30);
	backlog_stream_get(b, tx, &s);
	assert_int_equal(s.oldest_ms, T0 + 10);
	assert_int_equal(s.waiting, 1);
	assert_int_equal(s.sent_total, 1);
	ev(b, EVENT_FAILED, bb, "transactional", T0 + 40);
	backlog_stream_get(b, tx, &s);
	assert_int_equal(s.oldest_ms, 0);
	assert_null(s.oldest_id);
	assert_int_equal(s.sent_total, 1);
	backlog_stream_get(b, bulk, &s);
	assert_int_equal(s.oldest_ms, T0 + 20);
	backlog_free(b);
	config_free(c);
}

static void
deferred_counted_until_next_attempt(void **state)
{
	struct config *c = config_defaults();
	struct backlog *b = backlog_new(c);
	size_t tx = stream_index(c, "transactional");
	struct backlog_stream s;
	char a[ID_SIZE];

	id_make(a, T0, 1);
	ev(b, EVENT_ACCEPTED, a, "transactional", T0);
	ev(b, EVENT_DEFERRED, a, "transactional", T0 + 1);
	ev(b, EVENT_DEFERRED, a, "transactional", T0 + 2); /* once only */
	backlog_stream_get(b, tx, &s);
	assert_int_equal(s.deferred, 1);
	ev(b, EVENT_ATTEMPT, a, "transactional", T0 + 3);
	backlog_stream_get(b, tx, &s);
	assert_int_equal(s.deferred, 0);
	ev(b, EVENT_HELD, a, "transactional", T0 + 4);
	backlog_stream_get(b, tx, &s);
	assert_int_equal(s.deferred, 1);
	ev(b, EVENT_SENT, a, "transactional", T0 + 5);
	backlog_stream_get(b, tx, &s);
	assert_int_equal(s.deferred, 0);
	assert_int_equal(s.waiting, 0);
	backlog_free(b);
	config_free(c);
}

static void
unseen_message_learnt_from_its_id_time(void **state)
{
	struct config *c = config_defaults();
	struct backlog *b = backlog_new(c);
	size_t cr = stream_index(c, "critical");
	struct backlog_stream s;
	char a[ID_SIZE];

	/* Accepted over HTTP (no accepted event), first seen deferred. */
	id_make(a, T0 - 3600000, 7);
	ev(b, EVENT_DEFERRED, a, "critical", T0);
	backlog_stream_get(b, cr, &s);
	assert_int_equal(s.oldest_ms, T0 - 3600000);
	assert_int_equal(s.deferred, 1);
	/* Not an id: nothing learnt. */
	ev(b, EVENT_ATTEMPT, "not-an-id", "critical", T0);
	backlog_stream_get(b, cr, &s);
	assert_int_equal(s.waiting, 1);
	backlog_free(b);
	config_free(c);
}

static void
seed_skips_known_and_forget_drops(void **state)
{
	struct config *c = config_defaults();
	struct backlog *b = backlog_new(c);
	size_t tx = stream_index(c, "transactional");
	struct backlog_stream s;
	char a[ID_SIZE], old[ID_SIZE];

	id_make(a, T0, 1);
	id_make(old, T0 - 86400000, 1);
	ev(b, EVENT_ACCEPTED, a, "transactional", T0);
	backlog_seed(b, a, "transactional", T0 - 5, true); /* known: skip */
	backlog_seed(b, old, NULL, T0 - 86400000, true);
	backlog_stream_get(b, tx, &s);
	assert_int_equal(s.waiting, 2);
	assert_int_equal(s.deferred, 1);
	assert_string_equal(s.oldest_id, old);
	backlog_forget(b, old);
	backlog_forget(b, old); /* twice: no harm */
	backlog_stream_get(b, tx, &s);
	assert_int_equal(s.waiting, 1);
	assert_int_equal(s.deferred, 0);
	assert_string_equal(s.oldest_id, a);
	backlog_free(b);
	config_free(c);
}

static void
stuck_oldest_does_not_keep_finished_ones_forever(void **state)
{
	struct config *c = config_defaults();
	struct backlog *b = backlog_new(c);
	size_t tx = stream_index(c, "transactional");
	struct backlog_stream s;
	char id[ID_SIZE], stuck[ID_SIZE];
	int i;

	id_make(stuck, T0, 0);
	ev(b, EVENT_ACCEPTED, stuck, "transactional", T0);
	for (i = 1; i <= 100000; i++) {
		id_make(id, T0 + i, (uint64_t)i);
		ev(b, EVENT_ACCEPTED, id, "transactional", T0 + i);
		ev(b, EVENT_SENT, id, "transactional", T0 + i);
	}
	backlog_stream_get(b, tx, &s);
	assert_int_equal(s.waiting, 1);
	assert_int_equal(s.oldest_ms, T0);
	assert_int_equal(s.sent_total, 100000);
	/* ASan's leak check at exit covers the compacted entries. */
	backlog_free(b);
	config_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(oldest_follows_accepts_and_finishes),
	    cmocka_unit_test(deferred_counted_until_next_attempt),
	    cmocka_unit_test(unseen_message_learnt_from_its_id_time),
	    cmocka_unit_test(seed_skips_known_and_forget_drops),
	    cmocka_unit_test(stuck_oldest_does_not_keep_finished_ones_forever),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
