/*
 * test_spool_sched.c - what the spool keeps besides the bytes: the
 * message's meta (msg_meta_encode's JSON) is stored and handed back with
 * the message; a version 4 spool gains the column and keeps its mail.
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

/* What a submit answered. */
struct sub {
	int done, status;
	char id[ID_SIZE];
};

static void
on_commit(int status, const char *id, void *arg)
{
	struct sub *r = arg;

	r->done = 1;
	r->status = status;
	snprintf(r->id, sizeof(r->id), "%s", id ? id : "");
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
	assert_int_equal(sqlite3_column_int(st, 0), 5);
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
	    T(version_4_spool_gains_the_meta_column),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
