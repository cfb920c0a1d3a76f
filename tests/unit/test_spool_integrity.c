/*
 * test_spool_integrity.c - the spool notices damage: file modes, the
 * integrity record against the WAL, quick_check at open, the recovery
 * flag, and damage met at run time.
 *
 * "Crash" here is a child process that commits and then _exit()s without
 * closing, leaving the WAL as kill -9 would. The damage is then done to
 * the files with plain pread/pwrite, as an operator's accident or a bad
 * disk would.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/xmalloc.h"
#include "spool/feedback.h"
#include "spool/spool.h"
#include "spool/spool_check.h"
#include "spool_test.h"

struct fx {
	char root[64];
	char dir[80];
	char db[120];
	char wal[128];
	struct event_base *base;
	struct spool *sp;
	struct spool_opts opts;
};

static int
fx_setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));

	snprintf(f->root, sizeof(f->root), "/tmp/test_spool_int.XXXXXX");
	assert_non_null(mkdtemp(f->root));
	snprintf(f->dir, sizeof(f->dir), "%s/q", f->root);
	snprintf(f->db, sizeof(f->db), "%s/spool.db", f->dir);
	snprintf(f->wal, sizeof(f->wal), "%s-wal", f->db);
	f->base = event_base_new();
	f->opts.dir = f->dir;
	*state = f;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx *f = *state;

	spool_close(f->sp);
	event_base_free(f->base);
	spool_test_rmtree(f->root);
	free(f);
	return 0;
}

/* try_open - spool_open into f->sp; the error text into err. */
static struct spool *
try_open(struct fx *f, char *err, size_t n)
{
	err[0] = '\0';
	f->sp = spool_open(&f->opts, err, n);
	if (f->sp != NULL)
		assert_int_equal(spool_attach(f->sp, f->base), 0);
	return f->sp;
}

static void
must_open(struct fx *f)
{
	char err[1024];

	if (try_open(f, err, sizeof(err)) == NULL)
		fail_msg("spool_open: %s", err);
}

/* pump - run the loop until *done reaches want or 10 s pass. */
static void
pump(struct fx *f, const int *done, int want)
{
	spool_test_pump(f->base, done, want, 10);
}

struct res {
	int done;
	int status;
};

static void
on_commit(int status, const char *id, void *arg)
{
	struct res *r = arg;

	r->status = status;
	r->done++;
}

/* submit_one - store one message and wait for its commit. */
static int
submit_one(struct fx *f, int i)
{
	struct spool_msg_new m;
	struct res r = {0};
	char body[600];

	memset(&m, 0, sizeof(m));
	m.sender = xstrdup("app@example.com");
	m.rcpts = xcalloc(1, sizeof(char *));
	m.rcpts[0] = xstrdup("user@example.net");
	m.n_rcpts = 1;
	buf_init(&m.body);
	memset(body, 'a' + i % 26, sizeof(body));
	buf_add(&m.body, body, sizeof(body));
	assert_int_equal(spool_msg_submit(f->sp, &m, on_commit, &r), 0);
	pump(f, &r.done, 1);
	return r.status;
}

/* stored - messages in the spool, per its counts. */
static uint64_t
stored(struct fx *f)
{
	struct spool_counts c;
	uint64_t n = 0;
	int s;

	spool_counts_get(f->sp, &c);
	for (s = 0; s < SPOOL_STATE_COUNT; s++)
		n += c.state[s];
	return n;
}

/*
 * crash_with - a child commits n messages, one commit each, then exits
 * without closing. With wait_mark, it first waits until the integrity
 * record counts WAL frames (the checkpointer ran).
 */
static void
crash_with(struct fx *f, int n, int wait_mark)
{
	struct spool_check c;
	pid_t pid;
	int st, i, tries;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char err[512];
		struct spool *sp;

		f->base = event_base_new();
		sp = try_open(f, err, sizeof(err));
		if (sp == NULL)
			_exit(2);
		for (i = 0; i < n; i++)
			if (submit_one(f, i) != SPOOL_OK)
				_exit(3);
		/* The record must describe the WAL's current generation:
		 * a checkpoint may have restarted the log after the record
		 * was written (then the record is about the older one).
		 * Commit one more message now and then so that another
		 * checkpoint comes. */
		for (tries = 0; wait_mark && tries < 500; tries++) {
			(void)spool_check_files(f->db, &c);
			if (c.have_mark && c.mark.frames > 0 &&
			    c.mark.salt1 == c.wal.salt1 &&
			    c.mark.salt2 == c.wal.salt2)
				break;
			if (tries % 10 == 9 &&
			    submit_one(f, n + tries) != SPOOL_OK)
				_exit(3);
			usleep(10000);
		}
		_exit(wait_mark && tries == 500 ? 4 : 0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	f->sp = NULL;
}

/* file_size - bytes in path. */
static off_t
file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

/* scribble - overwrite n bytes of path at off with a pattern. */
static void
scribble(const char *path, off_t off, size_t n)
{
	unsigned char junk[4096];
	size_t i;
	int fd;

	assert_true(n <= sizeof(junk));
	for (i = 0; i < n; i++)
		junk[i] = (unsigned char)(i * 37 + 11);
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, junk, n, off), (ssize_t)n);
	close(fd);
}

/* page_with - offset (+100) of the first page of path holding 600 c's. */
static off_t
page_with(const char *path, int c)
{
	unsigned char page[4096];
	off_t off;
	size_t i, run;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	for (off = 4096; pread(fd, page, sizeof(page), off) == 4096;
	     off += 4096) {
		for (i = 0, run = 0; i < sizeof(page); i++) {
			run = page[i] == c ? run + 1 : 0;
			if (run == 600) {
				close(fd);
				return off + 100;
			}
		}
	}
	close(fd);
	fail_msg("no page holds the body");
	return 0;
}

static mode_t
mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

/* ---- modes -------------------------------------------------------------- */

static void
files_are_private_whatever_the_umask(void **state)
{
	struct fx *f = *state;
	char p[160];
	mode_t old = umask(0);

	must_open(f);
	assert_int_equal(submit_one(f, 0), SPOOL_OK);
	umask(old);
	assert_int_equal(mode_of(f->dir), 0700);
	assert_int_equal(mode_of(f->db), 0600);
	assert_int_equal(mode_of(f->wal), 0600);
	snprintf(p, sizeof(p), "%s-shm", f->db);
	assert_int_equal(mode_of(p), 0600);
	snprintf(p, sizeof(p), "%s.mark", f->db);
	assert_int_equal(mode_of(p), 0600);
}

static void
readable_directory_and_files_are_fixed(void **state)
{
	struct fx *f = *state;

	must_open(f);
	spool_close(f->sp);
	f->sp = NULL;
	assert_int_equal(chmod(f->dir, 0755), 0);
	assert_int_equal(chmod(f->db, 0644), 0);
	must_open(f);
	assert_int_equal(mode_of(f->dir), 0700);
	assert_int_equal(mode_of(f->db), 0600);
}

/* ---- damage found at open ----------------------------------------------- */

static void
clean_close_and_crash_reopen_without_complaint(void **state)
{
	struct fx *f = *state;
	struct spool_check c;

	must_open(f);
	assert_int_equal(submit_one(f, 0), SPOOL_OK);
	spool_close(f->sp);
	f->sp = NULL;
	assert_int_equal(spool_check_files(f->db, &c), 0);
	assert_true(c.have_mark);
	assert_true(c.mark.clean);
	crash_with(f, 5, 0);
	must_open(f);
	assert_int_equal(stored(f), 6);
}

static void
deleted_wal_is_refused_and_accepted_with_the_flag(void **state)
{
	struct fx *f = *state;
	char err[1024];

	crash_with(f, 10, 0);
	assert_int_equal(unlink(f->wal), 0);
	assert_null(try_open(f, err, sizeof(err)));
	assert_non_null(strstr(err, f->wal));
	assert_non_null(strstr(err, "WAL is missing"));
	assert_non_null(strstr(err, "--accept-spool-damage"));
	/* Refusing changed nothing: a second try says the same. */
	assert_null(try_open(f, err, sizeof(err)));
	assert_non_null(strstr(err, "WAL is missing"));
	f->opts.accept_damage = 1;
	must_open(f);
	assert_int_equal(stored(f), 0);
	spool_close(f->sp);
	f->sp = NULL;
	/* Accepted once: the next start is clean. */
	f->opts.accept_damage = 0;
	must_open(f);
}

static void
corrupted_wal_salt_is_refused(void **state)
{
	struct fx *f = *state;
	char err[1024];
	struct spool_check c;

	crash_with(f, 10, 0);
	scribble(f->wal, 16, 8);
	assert_null(try_open(f, err, sizeof(err)));
	assert_non_null(strstr(err, f->wal));
	assert_non_null(strstr(err, "header is damaged"));
	assert_int_equal(spool_check_files(f->db, &c), -1);
	/* SQLite ignores the whole log: all 10 messages are lost, and the
	 * count says exactly that. */
	assert_int_equal(spool_check_lost(f->db, &c), 0);
	assert_true(c.counted);
	assert_int_equal(c.lost_msgs, 10);
	f->opts.accept_damage = 1;
	must_open(f);
	assert_int_equal(stored(f), 0);
}

static void
random_bytes_mid_wal_are_refused(void **state)
{
	struct fx *f = *state;
	struct spool_check c;
	char err[1024];
	off_t size;

	crash_with(f, 40, 0);
	size = file_size(f->wal);
	/* 64 bytes inside a page in the middle of the log. */
	scribble(f->wal, size / 2, 64);
	assert_null(try_open(f, err, sizeof(err)));
	assert_non_null(strstr(err, f->wal));
	assert_non_null(strstr(err, "committed transactions after it"));
	assert_int_equal(spool_check_files(f->db, &c), -1);
	assert_int_equal(spool_check_lost(f->db, &c), 0);
	f->opts.accept_damage = 1;
	must_open(f);
	assert_true(stored(f) < 40);
	assert_true(stored(f) > 0);
	/* Exactly the messages the dropped transactions held. */
	assert_int_equal(c.lost_msgs + stored(f), 40);
}

static void
truncated_wal_is_refused(void **state)
{
	struct fx *f = *state;
	char err[1024];
	struct spool_check c;

	/* Enough commits for the background checkpointer to run and the
	 * record to count frames. */
	crash_with(f, 400, 1);
	assert_int_equal(spool_check_files(f->db, &c), 0);
	assert_true(c.mark.frames > 0);
	/* Cut at a frame boundary well before the recorded count: what
	 * is left is a perfectly valid, shorter log. */
	assert_int_equal(
	    truncate(f->wal, (off_t)(32 + (c.mark.frames / 2) *
	                                      (24 + c.wal.page_size))),
	    0);
	assert_null(try_open(f, err, sizeof(err)));
	assert_non_null(strstr(err, "truncated"));
}

static void
garbage_in_database_pages_is_refused(void **state)
{
	struct fx *f = *state;
	char err[1024];
	int i;

	must_open(f);
	for (i = 0; i < 30; i++)
		assert_int_equal(submit_one(f, i), SPOOL_OK);
	spool_close(f->sp);
	f->sp = NULL;
	/* Garbage over the page holding message 10's body (600 'k's). */
	scribble(f->db, page_with(f->db, 'k'), 4000);
	assert_null(try_open(f, err, sizeof(err)));
	assert_non_null(strstr(err, f->db));
	assert_non_null(strstr(err, "damaged"));
	f->opts.accept_damage = 1;
	if (try_open(f, err, sizeof(err)) == NULL)
		fail_msg("accept: %s", err);
	/* Some messages were on the damaged pages, some were not. */
	assert_true(stored(f) > 0);
	assert_true(stored(f) < 30);
	spool_close(f->sp);
	f->sp = NULL;
	f->opts.accept_damage = 0;
	must_open(f);
	assert_true(stored(f) > 0);
}

static void
on_fb(int status, const struct feedback_event *e,
      const struct spool_fb_match *m, size_t n, void *arg)
{
	struct res *r = arg;

	(void)e;
	(void)m;
	(void)n;
	r->status = status;
	r->done++;
}

/* A salvage keeps providers' events (and so their de-duplication). */
static void
feedback_events_survive_a_salvage(void **state)
{
	struct fx *f = *state;
	struct feedback_event *e = xcalloc(1, sizeof(*e));
	struct res r = {0};
	sqlite3 *db = NULL;
	char err[1024];
	int i;

	must_open(f);
	for (i = 0; i < 30; i++)
		assert_int_equal(submit_one(f, i), SPOOL_OK);
	e->type = FEEDBACK_HARD_BOUNCE;
	feedback_set(e->provider, sizeof(e->provider), "pm");
	feedback_set(e->event_id, sizeof(e->event_id), "bounce:1");
	assert_int_equal(spool_feedback_record(f->sp, e, 1, 1000, on_fb, &r),
	                 0);
	pump(f, &r.done, 1);
	assert_int_equal(r.status, SPOOL_OK);
	spool_close(f->sp);
	f->sp = NULL;
	scribble(f->db, page_with(f->db, 'k'), 4000);
	f->opts.accept_damage = 1;
	if (try_open(f, err, sizeof(err)) == NULL)
		fail_msg("accept: %s", err);
	spool_close(f->sp);
	f->sp = NULL;
	f->opts.accept_damage = 0;
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(spool_check_count(db, "SELECT count(*) FROM events"),
	                 1);
	sqlite3_close(db);
	must_open(f);
}

/* A damaged spool of the previous schema (before the recipients'
 * outcome columns and the events table) is salvaged, then migrated. */
static void
an_older_damaged_spool_is_salvaged_into_the_new_schema(void **state)
{
	struct fx *f = *state;
	sqlite3 *db = NULL;
	char err[1024];
	int i;

	must_open(f);
	for (i = 0; i < 30; i++)
		assert_int_equal(submit_one(f, i), SPOOL_OK);
	spool_close(f->sp);
	f->sp = NULL;
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(db,
	                 "DROP INDEX recipients_provider_msg_id;"
	                 "DROP TABLE events;"
	                 "ALTER TABLE recipients DROP COLUMN outcome;"
	                 "ALTER TABLE recipients DROP COLUMN bounce;"
	                 "ALTER TABLE recipients DROP COLUMN outcome_text;"
	                 "ALTER TABLE recipients DROP COLUMN outcome_at;"
	                 "PRAGMA user_version=5;",
	                 NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	scribble(f->db, page_with(f->db, 'k'), 4000);
	f->opts.accept_damage = 1;
	if (try_open(f, err, sizeof(err)) == NULL)
		fail_msg("accept: %s", err);
	assert_true(stored(f) > 0);
	assert_true(stored(f) < 30);
	f->opts.accept_damage = 0;
	spool_close(f->sp);
	f->sp = NULL;
	must_open(f);
	assert_true(stored(f) > 0);
}

/* ---- damage found at run time ------------------------------------------- */

struct got {
	int done;
	int status;
};

static void
on_msg(int status, struct spool_msg *m, void *arg)
{
	struct got *g = arg;

	g->status = status;
	g->done++;
	spool_msg_free(m);
}

static void
runtime_damage_makes_the_spool_unhealthy(void **state)
{
	struct fx *f = *state;
	struct got g = {0};
	struct spool_counts c;
	sqlite3 *db;
	sqlite3_stmt *st;
	int root = 0, i;
	char why[256], id[ID_SIZE] = "";

	must_open(f);
	for (i = 0; i < 5; i++)
		assert_int_equal(submit_one(f, i), SPOOL_OK);
	spool_close(f->sp);
	f->sp = NULL;
	assert_int_equal(
	    sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(
	    sqlite3_prepare_v2(db,
	                       "SELECT (SELECT rootpage FROM sqlite_schema"
	                       " WHERE name = 'bodies'), (SELECT min(id)"
	                       " FROM messages)",
	                       -1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	root = sqlite3_column_int(st, 0);
	snprintf(id, sizeof(id), "%s", sqlite3_column_text(st, 1));
	sqlite3_finalize(st);
	sqlite3_close(db);
	assert_true(root > 1);
	/* Open whole, then the disk goes bad under the running spool. */
	must_open(f);
	assert_int_equal(spool_health(f->sp, NULL, 0), SPOOL_OK);
	scribble(f->db, (off_t)(root - 1) * 4096, 4096);
	assert_int_equal(spool_msg_get(f->sp, id, SPOOL_GET_BODY, on_msg, &g),
	                 0);
	pump(f, &g.done, 1);
	assert_int_equal(g.status, SPOOL_ERR_DAMAGED);
	assert_int_equal(spool_health(f->sp, why, sizeof(why)),
	                 SPOOL_ERR_DAMAGED);
	assert_non_null(strstr(why, f->db));
	assert_int_equal(spool_space_check(f->sp), SPOOL_ERR_DAMAGED);
	assert_int_equal(submit_one(f, 9), SPOOL_ERR_DAMAGED);
	spool_counts_get(f->sp, &c);
	assert_int_equal(c.damaged, 1);
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
	    T(files_are_private_whatever_the_umask),
	    T(readable_directory_and_files_are_fixed),
	    T(clean_close_and_crash_reopen_without_complaint),
	    T(deleted_wal_is_refused_and_accepted_with_the_flag),
	    T(corrupted_wal_salt_is_refused),
	    T(random_bytes_mid_wal_are_refused),
	    T(truncated_wal_is_refused),
	    T(garbage_in_database_pages_is_refused),
	    T(feedback_events_survive_a_salvage),
	    T(an_older_damaged_spool_is_salvaged_into_the_new_schema),
	    T(runtime_damage_makes_the_spool_unhealthy),
	};
#undef T
	log_setup(LOG_LEVEL_ERROR, LOG_FORMAT_TEXT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
