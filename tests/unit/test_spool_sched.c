/*
 * test_spool_sched.c - what the spool keeps besides the bytes: the
 * message's meta (msg_meta_encode's JSON) is stored and handed back with
 * the message; a send_at in the future keeps it scheduled (not claimed,
 * across a restart) until then, and the due watcher hears that time; a
 * sandbox message is stored sandboxed and never claimed; cancel and
 * reschedule, tenant-scoped, with their conflicts; purge takes the new
 * final states; a version 4 spool gains the column and keeps its mail.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <sqlite3.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/xmalloc.h"
#include "spool/msg_meta.h"
#include "spool/spool.h"
#include "spool_test.h"

struct fx {
	char dir[64];
	struct event_base *base;
	struct spool *sp;
};

/* fx_open - open (or reopen) the spool in f->dir. */
static void
fx_open(struct fx *f)
{
	struct spool_opts o = {0};
	char err[256];

	o.dir = f->dir;
	f->sp = spool_open(&o, err, sizeof(err));
	if (f->sp == NULL)
		fail_msg("%s", err);
	assert_int_equal(spool_attach(f->sp, f->base), 0);
}

/* fx_close - close the spool (a restart is fx_close + fx_open). */
static void
fx_close(struct fx *f)
{
	spool_close(f->sp);
	f->sp = NULL;
}

static int
fx_setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_spool_sched.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->base = event_base_new();
	fx_open(f);
	*state = f;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx *f = *state;

	if (f->sp != NULL)
		fx_close(f);
	event_base_free(f->base);
	spool_test_rmtree(f->dir);
	free(f);
	return 0;
}

/* What a submit (or next-due, or purge) answered. */
struct sub {
	int done, status;
	char id[ID_SIZE];
	int64_t at_ms; /* next due; purge: how many */
};

static void
on_commit(int status, const char *id, void *arg)
{
	struct sub *r = arg;

	r->done = 1;
	r->status = status;
	snprintf(r->id, sizeof(r->id), "%s", id ? id : "");
}

static void
on_time(int status, int64_t at_ms, void *arg)
{
	struct sub *r = arg;

	r->done = 1;
	r->status = status;
	r->at_ms = at_ms;
}

static void
on_count(int status, uint64_t n, void *arg)
{
	on_time(status, (int64_t)n, arg);
}

/* msg - a message with meta (NULL: none). */
static struct spool_msg_new
msg(const char *meta)
{
	struct spool_msg_new m = spool_test_msg();

	m.meta = meta ? xstrdup(meta) : NULL;
	return m;
}

/* submit - store one message; its id into id. */
static void
submit(struct fx *f, const char *meta, char id[ID_SIZE])
{
	struct spool_msg_new m = msg(meta);
	struct sub r = {0};

	assert_int_equal(spool_msg_submit(f->sp, &m, on_commit, &r), 0);
	spool_test_pump(f->base, &r.done, 1, 10);
	assert_int_equal(r.status, SPOOL_OK);
	snprintf(id, ID_SIZE, "%s", r.id);
}

/* get - read one message into g (SPOOL_OK expected). */
static void
get(struct fx *f, const char *id, struct spool_test_got *g)
{
	memset(g, 0, sizeof(*g));
	assert_int_equal(spool_msg_get(f->sp, id, 0, spool_test_on_msg, g), 0);
	spool_test_pump(f->base, &g->done, 1, 10);
	assert_int_equal(g->status, SPOOL_OK);
}

/* claim - claim what is due at now_ms into g. */
static void
claim(struct fx *f, int64_t now_ms, struct spool_test_got *g)
{
	memset(g, 0, sizeof(*g));
	assert_int_equal(
	    spool_msg_claim(f->sp, 10, now_ms, spool_test_on_msgs, g), 0);
	spool_test_pump(f->base, &g->done, 1, 10);
	assert_int_equal(g->status, SPOOL_OK);
}

/* cancel - spool_msg_cancel into g (any status). */
static void
cancel(struct fx *f, const char *id, const char *tenant,
       struct spool_test_got *g)
{
	memset(g, 0, sizeof(*g));
	assert_int_equal(
	    spool_msg_cancel(f->sp, id, tenant, spool_test_on_msg, g), 0);
	spool_test_pump(f->base, &g->done, 1, 10);
}

static void
meta_is_stored_and_handed_back(void **state)
{
	struct fx *f = *state;
	const char *meta = "{\"tags\":[{\"name\":\"k\",\"value\":\"v\"}],"
	                   "\"metadata\":{\"user\":42}}";
	char id[ID_SIZE], plain[ID_SIZE];
	struct spool_test_got r;

	submit(f, meta, id);
	submit(f, NULL, plain);
	get(f, id, &r);
	assert_string_equal(r.m->meta, meta);
	spool_test_got_fini(&r);
	get(f, plain, &r);
	assert_null(r.m->meta);
	spool_test_got_fini(&r);
	/* A claim hands it to deliver, after a restart too. */
	fx_close(f);
	fx_open(f);
	claim(f, clock_wall_ms(), &r);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.v[0]->id, id);
	assert_string_equal(r.v[0]->meta, meta);
	assert_null(r.v[1]->meta);
	spool_test_got_fini(&r);
}

/* A meta asking for send_at (unix seconds). */
static const char *
meta_at(char *buf, size_t n, int64_t send_at)
{
	snprintf(buf, n, "{\"send_at\":%lld}", (long long)send_at);
	return buf;
}

/* next_due - the spool's earliest next attempt (wall ms). */
static int64_t
next_due(struct fx *f)
{
	struct sub r = {0};

	assert_int_equal(spool_msg_next_due(f->sp, on_time, &r), 0);
	spool_test_pump(f->base, &r.done, 1, 10);
	assert_int_equal(r.status, SPOOL_OK);
	return r.at_ms;
}

/* count - messages in state s, from the spool's counts. */
static uint64_t
count(struct fx *f, enum spool_state s)
{
	struct spool_counts c;

	spool_counts_get(f->sp, &c);
	return c.state[s];
}

static void
on_due(int64_t due_ms, void *arg)
{
	int64_t *at = arg;

	*at = due_ms;
}

static void
future_send_at_waits_scheduled_across_a_restart(void **state)
{
	struct fx *f = *state;
	int64_t now = clock_wall_ms(), send_at = now / 1000 + 3600, heard = 0;
	char meta[64], id[ID_SIZE], now_id[ID_SIZE];
	struct spool_test_got r;

	spool_due_watch(f->sp, on_due, &heard);
	submit(f, meta_at(meta, sizeof(meta), send_at), id);
	/* Deliver is told when it becomes due, not now. */
	spool_test_pump(f->base, (const int *)&(int){1}, 1, 1);
	assert_int_equal(heard, send_at * 1000);
	get(f, id, &r);
	assert_int_equal(r.m->state, SPOOL_STATE_SCHEDULED);
	assert_int_equal(r.m->next_attempt_at, send_at * 1000);
	spool_test_got_fini(&r);
	assert_int_equal(count(f, SPOOL_STATE_SCHEDULED), 1);
	assert_int_equal(count(f, SPOOL_STATE_READY), 0);
	claim(f, now + 60 * 1000, &r);
	assert_int_equal(r.n, 0);
	spool_test_got_fini(&r);
	assert_int_equal(next_due(f), send_at * 1000);
	/* A send_at already past goes at once. */
	submit(f, meta_at(meta, sizeof(meta), now / 1000 - 10), now_id);
	get(f, now_id, &r);
	assert_int_equal(r.m->state, SPOOL_STATE_READY);
	spool_test_got_fini(&r);

	fx_close(f);
	fx_open(f);
	assert_int_equal(count(f, SPOOL_STATE_SCHEDULED), 1);
	claim(f, now + 60 * 1000, &r);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.v[0]->id, now_id);
	spool_test_got_fini(&r);
	assert_int_equal(next_due(f), send_at * 1000);
	claim(f, send_at * 1000, &r);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.v[0]->id, id);
	assert_int_equal(r.v[0]->state, SPOOL_STATE_INFLIGHT);
	spool_test_got_fini(&r);
	assert_int_equal(count(f, SPOOL_STATE_SCHEDULED), 0);
	assert_int_equal(count(f, SPOOL_STATE_INFLIGHT), 2);
	assert_int_equal(next_due(f), INT64_MAX);
}

static void
sandbox_is_stored_sandboxed_and_never_claimed(void **state)
{
	struct fx *f = *state;
	int64_t now = clock_wall_ms(), heard = 0;
	char id[ID_SIZE], later[ID_SIZE], meta[96];
	struct spool_test_got r;

	spool_due_watch(f->sp, on_due, &heard);
	submit(f, "{\"sandbox\":true}", id);
	/* Sandbox wins over a schedule: it is never sent at all. */
	snprintf(meta, sizeof(meta), "{\"send_at\":%lld,\"sandbox\":true}",
	         (long long)(now / 1000 + 60));
	submit(f, meta, later);
	get(f, id, &r);
	assert_int_equal(r.m->state, SPOOL_STATE_SANDBOXED);
	assert_int_equal(r.m->n_rcpts, 1);
	assert_int_equal(r.m->rcpts[0].state, SPOOL_RCPT_PENDING);
	spool_test_got_fini(&r);
	get(f, later, &r);
	assert_int_equal(r.m->state, SPOOL_STATE_SANDBOXED);
	spool_test_got_fini(&r);
	assert_int_equal(count(f, SPOOL_STATE_SANDBOXED), 2);
	assert_int_equal(heard, 0);
	claim(f, now + 3600 * 1000, &r);
	assert_int_equal(r.n, 0);
	spool_test_got_fini(&r);
	assert_int_equal(next_due(f), INT64_MAX);
}

static void
cancel_stops_unsent_mail_and_refuses_the_rest(void **state)
{
	struct fx *f = *state;
	int64_t now = clock_wall_ms();
	char meta[64], sched[ID_SIZE], ready[ID_SIZE], theirs[ID_SIZE];
	struct spool_test_got r;
	struct spool_msg_new m;
	struct sub s = {0};

	submit(f, meta_at(meta, sizeof(meta), now / 1000 + 3600), sched);
	submit(f, NULL, ready);
	m = msg(meta);
	m.tenant = xstrdup("other");
	assert_int_equal(spool_msg_submit(f->sp, &m, on_commit, &s), 0);
	spool_test_pump(f->base, &s.done, 1, 10);
	snprintf(theirs, sizeof(theirs), "%s", s.id);

	/* Scheduled: cancelled, and asking again is the same answer. */
	for (int i = 0; i < 2; i++) {
		cancel(f, sched, NULL, &r);
		assert_int_equal(r.status, SPOOL_OK);
		assert_int_equal(r.m->state, SPOOL_STATE_CANCELLED);
		assert_string_equal(r.m->last_error, "cancelled");
		spool_test_got_fini(&r);
	}
	/* Another tenant's is not there for this tenant. */
	cancel(f, theirs, "mine", &r);
	assert_int_equal(r.status, SPOOL_ERR_NOTFOUND);
	assert_null(r.m);
	cancel(f, "01M8FB00000000000009", NULL, &r);
	assert_int_equal(r.status, SPOOL_ERR_NOTFOUND);
	cancel(f, "not an id", NULL, &r);
	assert_int_equal(r.status, SPOOL_ERR_NOTFOUND);
	/* Claimed (being sent): too late, and the answer says its state. */
	claim(f, clock_wall_ms(), &r);
	assert_int_equal(r.n, 1);
	spool_test_got_fini(&r);
	cancel(f, ready, NULL, &r);
	assert_int_equal(r.status, SPOOL_ERR_CONFLICT);
	assert_int_equal(r.m->state, SPOOL_STATE_INFLIGHT);
	spool_test_got_fini(&r);
	/* Its own tenant may cancel it. */
	cancel(f, theirs, "other", &r);
	assert_int_equal(r.status, SPOOL_OK);
	spool_test_got_fini(&r);
	assert_int_equal(count(f, SPOOL_STATE_CANCELLED), 2);
	assert_int_equal(count(f, SPOOL_STATE_SCHEDULED), 0);
	/* Nothing cancelled is ever claimed. */
	fx_close(f);
	fx_open(f);
	claim(f, now + 7200 * 1000, &r);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.v[0]->id, ready);
	spool_test_got_fini(&r);
}

static void
reschedule_moves_the_send_time(void **state)
{
	struct fx *f = *state;
	int64_t now = clock_wall_ms(), heard = 0;
	char meta[64], id[ID_SIZE];
	struct spool_test_got r;

	submit(f, meta_at(meta, sizeof(meta), now / 1000 + 3600), id);
	spool_due_watch(f->sp, on_due, &heard);
	memset(&r, 0, sizeof(r));
	assert_int_equal(spool_msg_reschedule(f->sp, id, NULL,
	                                      now + 7200 * 1000,
	                                      spool_test_on_msg, &r),
	                 0);
	spool_test_pump(f->base, &r.done, 1, 10);
	assert_int_equal(r.status, SPOOL_OK);
	assert_int_equal(r.m->state, SPOOL_STATE_SCHEDULED);
	assert_int_equal(r.m->next_attempt_at, now + 7200 * 1000);
	spool_test_got_fini(&r);
	spool_test_pump(f->base, (const int *)&(int){1}, 1, 1);
	assert_int_equal(heard, now + 7200 * 1000);
	get(f, id, &r);
	snprintf(meta, sizeof(meta), "{\"send_at\":%lld}",
	         (long long)((now + 7200 * 1000 + 999) / 1000));
	assert_string_equal(r.m->meta, meta);
	spool_test_got_fini(&r);
	/* Now: ready, claimed at once. */
	memset(&r, 0, sizeof(r));
	assert_int_equal(
	    spool_msg_reschedule(f->sp, id, NULL, now, spool_test_on_msg, &r),
	    0);
	spool_test_pump(f->base, &r.done, 1, 10);
	assert_int_equal(r.status, SPOOL_OK);
	assert_int_equal(r.m->state, SPOOL_STATE_READY);
	spool_test_got_fini(&r);
	claim(f, clock_wall_ms(), &r);
	assert_int_equal(r.n, 1);
	spool_test_got_fini(&r);
	/* Claimed: too late to move. */
	memset(&r, 0, sizeof(r));
	assert_int_equal(spool_msg_reschedule(f->sp, id, NULL, now + 1000,
	                                      spool_test_on_msg, &r),
	                 0);
	spool_test_pump(f->base, &r.done, 1, 10);
	assert_int_equal(r.status, SPOOL_ERR_CONFLICT);
	spool_test_got_fini(&r);
}

static void
purge_takes_sandboxed_and_cancelled(void **state)
{
	struct fx *f = *state;
	char meta[64], a[ID_SIZE], b[ID_SIZE], c[ID_SIZE];
	struct spool_test_got r;
	struct sub s = {0};

	submit(f, "{\"sandbox\":true}", a);
	submit(f, meta_at(meta, sizeof(meta), clock_wall_ms() / 1000 + 60), b);
	submit(f, meta_at(meta, sizeof(meta), clock_wall_ms() / 1000 + 60), c);
	cancel(f, b, NULL, &r);
	spool_test_got_fini(&r);
	assert_int_equal(
	    spool_msg_purge(f->sp, clock_wall_ms() + 1000, 10, on_count, &s),
	    0);
	spool_test_pump(f->base, &s.done, 1, 10);
	assert_int_equal(s.status, SPOOL_OK);
	assert_int_equal(s.at_ms, 2);
	assert_int_equal(count(f, SPOOL_STATE_SANDBOXED), 0);
	assert_int_equal(count(f, SPOOL_STATE_CANCELLED), 0);
	assert_int_equal(count(f, SPOOL_STATE_SCHEDULED), 1);
}

/*
 * A version 4 spool: this build's schema without the meta column (what
 * version 5 added), with one message in it.
 */
static void
version_4_spool_gains_the_meta_column(void **state)
{
	struct fx *f = *state;
	char path[128], old[ID_SIZE], id[ID_SIZE];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	struct spool_test_got r;

	submit(f, NULL, old);
	fx_close(f);
	snprintf(path, sizeof(path), "%s/spool.db", f->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
	                              "ALTER TABLE messages DROP COLUMN meta;"
	                              "PRAGMA user_version=4;",
	                              NULL, NULL, NULL),
	                 SQLITE_OK);
	sqlite3_close(db);

	fx_open(f);
	get(f, old, &r);
	assert_string_equal(r.m->sender, "a@example.com");
	assert_null(r.m->meta);
	spool_test_got_fini(&r);
	submit(f, "{\"sandbox\":false,\"config_set\":\"cs\"}", id);
	get(f, id, &r);
	assert_string_equal(r.m->meta,
	                    "{\"sandbox\":false,\"config_set\":\"cs\"}");
	spool_test_got_fini(&r);
	fx_close(f);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 9);
	sqlite3_finalize(st);
	sqlite3_close(db);
	fx_open(f);
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
	    T(meta_is_stored_and_handed_back),
	    T(future_send_at_waits_scheduled_across_a_restart),
	    T(sandbox_is_stored_sandboxed_and_never_claimed),
	    T(cancel_stops_unsent_mail_and_refuses_the_rest),
	    T(reschedule_moves_the_send_time),
	    T(purge_takes_sandboxed_and_cancelled),
	    T(version_4_spool_gains_the_meta_column),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
