/*
 * spool_test.h - helpers shared by the spool's unit tests.
 *
 * Header-only (static inline functions), included by the test_spool*.c
 * files; not part of libswerve.
 */
#ifndef SWERVE_TESTS_SPOOL_TEST_H
#define SWERVE_TESTS_SPOOL_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include "core/buf.h"
#include "core/xmalloc.h"
#include "spool/spool.h"

/*
 * spool_test_pump - run base until *done reaches want; fail the test after
 * secs seconds of real time.
 */
static inline void
spool_test_pump(struct event_base *base, const int *done, int want, int secs)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (*done < want) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		if (*done >= want)
			break;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > secs)
			fail_msg("timed out: %d of %d callbacks", *done, want);
		usleep(200);
	}
}

/* spool_test_rmtree - remove a test's temporary directory (rm -rf). */
static inline void
spool_test_rmtree(const char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

/*
 * spool_test_db_make - make dir and a spool.db in it from sql (an old
 * schema and its rows, for migration tests); path gets the file's path.
 */
static inline void
spool_test_db_make(const char *dir, const char *sql, char *path, size_t n)
{
	sqlite3 *db = NULL;

	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(path, n, "%s/spool.db", dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/* A spool in a temporary directory, attached to its own loop. */
struct spool_test_fx {
	char dir[64];
	struct event_base *base;
	struct spool *sp;
};

/* spool_test_fx_open - open (or reopen) the spool in f->dir. */
static inline void
spool_test_fx_open(struct spool_test_fx *f)
{
	struct spool_opts o;
	char err[256];

	memset(&o, 0, sizeof(o));
	o.dir = f->dir;
	f->sp = spool_open(&o, err, sizeof(err));
	if (f->sp == NULL)
		fail_msg("%s", err);
	assert_int_equal(spool_attach(f->sp, f->base), 0);
}

/* spool_test_fx_close - close the spool (a restart: close, open). */
static inline void
spool_test_fx_close(struct spool_test_fx *f)
{
	spool_close(f->sp);
	f->sp = NULL;
}

/* spool_test_fx_new - a new directory named after prefix, opened. */
static inline struct spool_test_fx *
spool_test_fx_new(const char *prefix)
{
	struct spool_test_fx *f = xcalloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/%s.XXXXXX", prefix);
	assert_non_null(mkdtemp(f->dir));
	f->base = event_base_new();
	spool_test_fx_open(f);
	return f;
}

/* spool_test_fx_free - close, remove the directory, free f. */
static inline void
spool_test_fx_free(struct spool_test_fx *f)
{
	if (f->sp != NULL)
		spool_test_fx_close(f);
	event_base_free(f->base);
	spool_test_rmtree(f->dir);
	free(f);
}

/* spool_test_user_version - the schema version of the database at path
 * (the spool closed). */
static inline int
spool_test_user_version(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int v;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* What a read (get, list, claim, cancel) handed back. */
struct spool_test_got {
	int status;
	struct spool_msg *m;  /* one message */
	struct spool_msg **v; /* several (a copy of the array) */
	size_t n;
	int done;
};

/* spool_test_on_msg - a spool_msg_fn filling a struct spool_test_got. */
static inline void
spool_test_on_msg(int status, struct spool_msg *m, void *arg)
{
	struct spool_test_got *g = arg;

	g->status = status;
	g->m = m;
	g->done++;
}

/* spool_test_on_msgs - a spool_msgs_fn filling a struct spool_test_got. */
static inline void
spool_test_on_msgs(int status, struct spool_msg **v, size_t n, void *arg)
{
	struct spool_test_got *g = arg;

	g->status = status;
	g->n = n;
	g->v = n ? xcalloc(n, sizeof(*v)) : NULL;
	if (n)
		memcpy(g->v, v, n * sizeof(*v));
	g->done++;
}

/* spool_test_got_fini - free what g holds and zero it. */
static inline void
spool_test_got_fini(struct spool_test_got *g)
{
	size_t i;

	spool_msg_free(g->m);
	for (i = 0; i < g->n; i++)
		spool_msg_free(g->v[i]);
	free(g->v);
	memset(g, 0, sizeof(*g));
}

/*
 * spool_test_msg - a small message from a@example.com to b@example.org;
 * the caller sets the rest.
 */
static inline struct spool_msg_new
spool_test_msg(void)
{
	struct spool_msg_new m;

	memset(&m, 0, sizeof(m));
	m.sender = xstrdup("a@example.com");
	m.rcpts = xcalloc(1, sizeof(char *));
	m.rcpts[0] = xstrdup("b@example.org");
	m.n_rcpts = 1;
	buf_init(&m.body);
	buf_addstr(&m.body, "Subject: x\r\n\r\nbody\r\n");
	return m;
}

#endif
