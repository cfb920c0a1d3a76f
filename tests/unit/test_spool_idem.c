/*
 * test_spool_idem.c - spool_msg_submit_idem(): a key with the same
 * payload hash is a replay (same id, dup), a key with another hash is a
 * conflict (nothing stored), concurrent submits in one batch store one
 * message, and plain spool_msg_submit() keeps its old meaning (same id,
 * hash ignored). Also: a version 3 spool gains the hash column.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <sqlite3.h>

#include "core/buf.h"
#include "core/xmalloc.h"
#include "spool/spool.h"
#include "spool_test.h"

struct fx {
	char dir[64];
	struct event_base *base;
	struct spool *sp;
};

/* One callback's result. */
struct res {
	int done, status, dup;
	char id[ID_SIZE];
};

static int
fx_setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	struct spool_opts o = {0};
	char err[256];

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_spool_idem.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->base = event_base_new();
	o.dir = f->dir;
	f->sp = spool_open(&o, err, sizeof(err));
	if (f->sp == NULL)
		fail_msg("%s", err);
	assert_int_equal(spool_attach(f->sp, f->base), 0);
	*state = f;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx *f = *state;

	spool_close(f->sp);
	event_base_free(f->base);
	spool_test_rmtree(f->dir);
	free(f);
	return 0;
}

static void
on_submit(int status, const char *id, int dup, void *arg)
{
	struct res *r = arg;

	r->done = 1;
	r->status = status;
	r->dup = dup;
	snprintf(r->id, sizeof(r->id), "%s", id ? id : "");
}

static void
on_commit(int status, const char *id, void *arg)
{
	on_submit(status, id, -1, arg);
}

/* msg - a message with tenant, key and hash (any may be NULL). */
static struct spool_msg_new
msg(const char *tenant, const char *key, const char *hash)
{
	struct spool_msg_new m = spool_test_msg();

	m.tenant = tenant ? xstrdup(tenant) : NULL;
	m.idempotency_key = key ? xstrdup(key) : NULL;
	m.idempotency_hash = hash ? xstrdup(hash) : NULL;
	return m;
}

/* wait - run the loop until every result is in. */
static void
wait_all(struct fx *f, struct res *r, size_t n)
{
	size_t i, left;

	do {
		event_base_loop(f->base, EVLOOP_ONCE);
		for (left = 0, i = 0; i < n; i++)
			left += !r[i].done;
	} while (left > 0);
}

static void
replay_with_same_hash_is_a_duplicate(void **state)
{
	struct fx *f = *state;
	struct spool_msg_new m;
	struct res r[2] = {0};

	m = msg("web", "k1", "aaaa");
	assert_int_equal(spool_msg_submit_idem(f->sp, &m, on_submit, &r[0]), 0);
	wait_all(f, &r[0], 1);
	assert_int_equal(r[0].status, SPOOL_OK);
	assert_int_equal(r[0].dup, 0);
	m = msg("web", "k1", "aaaa");
	assert_int_equal(spool_msg_submit_idem(f->sp, &m, on_submit, &r[1]), 0);
	wait_all(f, &r[1], 1);
	assert_int_equal(r[1].status, SPOOL_OK);
	assert_int_equal(r[1].dup, 1);
	assert_string_equal(r[0].id, r[1].id);
}

static void
other_hash_is_a_conflict_and_stores_nothing(void **state)
{
	struct fx *f = *state;
	struct spool_msg_new m;
	struct spool_counts c;
	struct res r[3] = {0};

	m = msg("web", "k1", "aaaa");
	spool_msg_submit_idem(f->sp, &m, on_submit, &r[0]);
	wait_all(f, &r[0], 1);
	m = msg("web", "k1", "bbbb");
	spool_msg_submit_idem(f->sp, &m, on_submit, &r[1]);
	wait_all(f, &r[1], 1);
	assert_int_equal(r[1].status, SPOOL_ERR_CONFLICT);
	assert_string_equal(r[1].id, r[0].id);
	assert_string_equal(spool_status_name(SPOOL_ERR_CONFLICT), "conflict");
	/* Another tenant may use the same key. */
	m = msg("jobs", "k1", "bbbb");
	spool_msg_submit_idem(f->sp, &m, on_submit, &r[2]);
	wait_all(f, &r[2], 1);
	assert_int_equal(r[2].status, SPOOL_OK);
	assert_int_equal(r[2].dup, 0);
	spool_counts_get(f->sp, &c);
	assert_int_equal(c.state[SPOOL_STATE_READY], 2);
}

static void
concurrent_submits_store_one_message(void **state)
{
	struct fx *f = *state;
	struct spool_msg_new m;
	struct spool_counts c;
	struct res r[20] = {0};
	size_t i, fresh = 0;

	for (i = 0; i < 20; i++) {
		m = msg("web", "same", "h");
		assert_int_equal(
		    spool_msg_submit_idem(f->sp, &m, on_submit, &r[i]), 0);
	}
	wait_all(f, r, 20);
	for (i = 0; i < 20; i++) {
		assert_int_equal(r[i].status, SPOOL_OK);
		assert_string_equal(r[i].id, r[0].id);
		fresh += r[i].dup == 0;
	}
	assert_int_equal(fresh, 1);
	spool_counts_get(f->sp, &c);
	assert_int_equal(c.state[SPOOL_STATE_READY], 1);
}

static void
plain_submit_ignores_the_hash(void **state)
{
	struct fx *f = *state;
	struct spool_msg_new m;
	struct res r[2] = {0};

	m = msg(NULL, "k", "aaaa");
	spool_msg_submit(f->sp, &m, on_commit, &r[0]);
	wait_all(f, &r[0], 1);
	m = msg(NULL, "k", "bbbb");
	spool_msg_submit(f->sp, &m, on_commit, &r[1]);
	wait_all(f, &r[1], 1);
	assert_int_equal(r[1].status, SPOOL_OK);
	assert_string_equal(r[0].id, r[1].id);
}

static void
version_3_spool_gains_the_hash_column(void **state)
{
	char dir[] = "/tmp/test_spool_idem3.XXXXXX", path[96], err[256];
	struct spool_opts o = {0};
	struct spool *sp;
	sqlite3 *db;
	sqlite3_stmt *st;
	char cmd[128];

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/spool.db", dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(
	        db,
	        "PRAGMA journal_mode=WAL;"
	        "CREATE TABLE messages (id TEXT PRIMARY KEY, state TEXT NOT "
	        "NULL, sender TEXT NOT NULL, tenant TEXT, client TEXT, stream "
	        "TEXT NOT NULL, size INTEGER NOT NULL, created_at INTEGER NOT "
	        "NULL, next_attempt_at INTEGER NOT NULL, attempts INTEGER NOT "
	        "NULL DEFAULT 0, last_error TEXT, idempotency_key TEXT);"
	        "CREATE TABLE attempts (id INTEGER PRIMARY KEY, msg_id TEXT "
	        "NOT "
	        "NULL, at INTEGER NOT NULL, provider TEXT NOT NULL, result "
	        "TEXT "
	        "NOT NULL, reply TEXT, duration_ms INTEGER NOT NULL, trace "
	        "TEXT);"
	        "PRAGMA user_version=3;",
	        NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	o.dir = dir;
	sp = spool_open(&o, err, sizeof(err));
	if (sp == NULL)
		fail_msg("%s", err);
	spool_close(sp);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_prepare_v2(db, "SELECT idempotency_hash FROM messages", -1,
	                       &st, NULL),
	    SQLITE_OK);
	sqlite3_finalize(st);
	sqlite3_close(db);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        replay_with_same_hash_is_a_duplicate, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(
	        other_hash_is_a_conflict_and_stores_nothing, fx_setup,
	        fx_teardown),
	    cmocka_unit_test_setup_teardown(
	        concurrent_submits_store_one_message, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(plain_submit_ignores_the_hash,
	                                    fx_setup, fx_teardown),
	    cmocka_unit_test(version_3_spool_gains_the_hash_column),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
