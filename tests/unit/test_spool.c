/*
 * test_spool.c - the durable spool: group commit, durability, faults.
 *
 * Real SQLite in a temporary directory, a real event_base driving the
 * callbacks, fault hooks for fsync/write/statvfs, and a kill -9 test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/xmalloc.h"
#include "spool/spool.h"
#include "spool_test.h"

/* ---- fixtures ------------------------------------------------------------ */

struct fx {
	char dir[64];
	struct event_base *base;
	struct spool *sp;
	struct spool_hooks hooks;
	struct spool_opts opts;
};

/* Fault knobs, read on the writer thread. */
static int sync_errno, write_errno, syncs_seen;
static uint64_t free_bytes = (uint64_t)1 << 40;

static int
hook_sync(void *arg)
{
	__atomic_add_fetch(&syncs_seen, 1, __ATOMIC_SEQ_CST);
	return __atomic_load_n(&sync_errno, __ATOMIC_SEQ_CST);
}

static int
hook_write(void *arg)
{
	return __atomic_load_n(&write_errno, __ATOMIC_SEQ_CST);
}

static long file_size(const char *dir, const char *name);

/* A file system of free_bytes that the spool's own files use up. */
static int
hook_statvfs(const char *path, struct statvfs *out, void *arg)
{
	uint64_t avail = __atomic_load_n(&free_bytes, __ATOMIC_SEQ_CST);
	long db = file_size(path, "spool.db");
	long wal = file_size(path, "spool.db-wal");
	uint64_t used =
	    (uint64_t)(db > 0 ? db : 0) + (uint64_t)(wal > 0 ? wal : 0);

	memset(out, 0, sizeof(*out));
	out->f_frsize = 4096;
	out->f_bsize = 4096;
	out->f_bavail = (avail > used ? avail - used : 0) / 4096;
	return 0;
}

static void
knobs_reset(void)
{
	__atomic_store_n(&sync_errno, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&write_errno, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&syncs_seen, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&free_bytes, (uint64_t)1 << 40, __ATOMIC_SEQ_CST);
}

static void
fx_open(struct fx *f)
{
	char err[256] = "";

	f->sp = spool_open(&f->opts, err, sizeof(err));
	if (f->sp == NULL)
		fail_msg("spool_open: %s", err);
	assert_int_equal(spool_attach(f->sp, f->base), 0);
}

static int
fx_setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));

	knobs_reset();
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_spool.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	/* A subdirectory, so that spool_open must create it. */
	memcpy(f->dir + strlen(f->dir), "/q", 3);
	f->base = event_base_new();
	f->hooks.sync_fault = hook_sync;
	f->hooks.write_fault = hook_write;
	f->hooks.statvfs = hook_statvfs;
	f->opts.dir = f->dir;
	f->opts.min_free = 1 << 20;
	f->opts.hooks = &f->hooks;
	*state = f;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx *f = *state;

	spool_close(f->sp);
	event_base_free(f->base);
	f->dir[strlen(f->dir) - 2] = '\0';
	spool_test_rmtree(f->dir);
	free(f);
	return 0;
}

/* pump - run the loop until *done reaches want or 5 s pass. */
static void
pump(struct fx *f, const int *done, int want)
{
	spool_test_pump(f->base, done, want, 5);
}

/* ---- submissions -----------------------------------------------------------
 */

struct sub {
	int status;
	char id[ID_SIZE];
	int called;
	int *done;
	const char *dbpath; /* when set, check the row from another conn. */
	int visible;
	int syncs_at_cb;
};

static void
msg_make(struct spool_msg_new *m, const char *body, size_t len, int n_rcpts)
{
	int i;
	char a[64];

	memset(m, 0, sizeof(*m));
	m->sender = xstrdup("app@example.com");
	m->n_rcpts = (size_t)n_rcpts;
	m->rcpts =
	    xcalloc((size_t)n_rcpts ? (size_t)n_rcpts : 1, sizeof(char *));
	for (i = 0; i < n_rcpts; i++) {
		snprintf(a, sizeof(a), "user%d@example.net", i);
		m->rcpts[i] = xstrdup(a);
	}
	buf_init(&m->body);
	buf_add(&m->body, body, len);
	m->tenant = xstrdup("acme");
	m->client = xstrdup("127.0.0.1:4242");
}

/* row_visible - does another connection see message id? */
static int
row_visible(const char *path, const char *id)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int found = 0;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM messages WHERE id = ?", -1,
	                       &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		found = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return found;
}

static void
on_commit(int status, const char *id, void *arg)
{
	struct sub *s = arg;

	s->status = status;
	s->called++;
	if (id != NULL)
		snprintf(s->id, sizeof(s->id), "%s", id);
	else
		assert_int_not_equal(status, SPOOL_OK);
	if (s->dbpath != NULL && id != NULL)
		s->visible = row_visible(s->dbpath, id);
	s->syncs_at_cb = __atomic_load_n(&syncs_seen, __ATOMIC_SEQ_CST);
	(*s->done)++;
}

/* submit_one - submit a small message, wait, return its status. */
static int
submit_one(struct fx *f, struct sub *s)
{
	struct spool_msg_new m;
	int done = 0;

	memset(s, 0, sizeof(*s));
	s->done = &done;
	msg_make(&m, "Subject: x\r\n\r\nhi\r\n", 18, 1);
	assert_int_equal(spool_msg_submit(f->sp, &m, on_commit, s), 0);
	pump(f, &done, 1);
	assert_int_equal(s->called, 1);
	s->done = NULL;
	return s->status;
}

/* ---- reads ----------------------------------------------------------------
 */

static int
get_one(struct fx *f, const char *id, struct spool_test_got *g)
{
	memset(g, 0, sizeof(*g));
	assert_int_equal(
	    spool_msg_get(f->sp, id, SPOOL_GET_BODY, spool_test_on_msg, g), 0);
	pump(f, &g->done, 1);
	return g->status;
}

static size_t
list_all(struct fx *f, int state, struct spool_test_got *g)
{
	memset(g, 0, sizeof(*g));
	assert_int_equal(
	    spool_msg_list(f->sp, state, NULL, 1000, spool_test_on_msgs, g), 0);
	pump(f, &g->done, 1);
	assert_int_equal(g->status, SPOOL_OK);
	return g->n;
}

static void
on_done(int status, void *arg)
{
	struct spool_test_got *g = arg;

	g->status = status;
	g->done++;
}

/* ---- cases ----------------------------------------------------------------
 */

static void
commit_survives_reopen_byte_for_byte(void **state)
{
	struct fx *f = *state;
	struct spool_msg_new m;
	struct spool_counts c;
	struct sub s = {0};
	struct spool_test_got g;
	char body[3000];
	int done = 0;
	size_t i;

	for (i = 0; i < sizeof(body); i++)
		body[i] = (char)(i * 7 + 3); /* includes NUL and high bytes */
	fx_open(f);
	msg_make(&m, body, sizeof(body), 3);
	free(m.rcpts[2]);
	m.rcpts[2] = xstrdup("\"odd name\"@example.org");
	m.stream = xstrdup("bulk");
	m.idempotency_key = xstrdup("key-1");
	s.done = &done;
	assert_int_equal(spool_msg_submit(f->sp, &m, on_commit, &s), 0);
	assert_null(m.sender); /* ownership moved */
	assert_int_equal(m.n_rcpts, 0);
	pump(f, &done, 1);
	assert_int_equal(s.status, SPOOL_OK);
	assert_int_equal(strlen(s.id), ID_LEN);
	spool_close(f->sp);

	fx_open(f);
	spool_counts_get(f->sp, &c);
	assert_int_equal(c.state[SPOOL_STATE_READY], 1);
	assert_int_equal(get_one(f, s.id, &g), SPOOL_OK);
	assert_string_equal(g.m->id, s.id);
	assert_int_equal(g.m->state, SPOOL_STATE_READY);
	assert_string_equal(g.m->sender, "app@example.com");
	assert_string_equal(g.m->tenant, "acme");
	assert_string_equal(g.m->client, "127.0.0.1:4242");
	assert_string_equal(g.m->stream, "bulk");
	assert_string_equal(g.m->idempotency_key, "key-1");
	assert_int_equal(g.m->size, sizeof(body));
	assert_int_equal(g.m->body.len, sizeof(body));
	assert_memory_equal(g.m->body.p, body, sizeof(body));
	assert_int_equal(g.m->n_rcpts, 3);
	assert_string_equal(g.m->rcpts[0].address, "user0@example.net");
	assert_string_equal(g.m->rcpts[1].address, "user1@example.net");
	assert_string_equal(g.m->rcpts[2].address, "\"odd name\"@example.org");
	assert_int_equal(g.m->rcpts[0].state, SPOOL_RCPT_PENDING);
	assert_int_equal(g.m->n_atts, 0);
	assert_true(g.m->created_at > 1600000000000LL);
	spool_test_got_fini(&g);
	assert_int_equal(get_one(f, "00000000000000000000", &g),
	                 SPOOL_ERR_NOTFOUND);
	assert_null(g.m);
	assert_int_equal(get_one(f, "not an id at all, too long", &g),
	                 SPOOL_ERR_NOTFOUND);
}

static void
null_sender_and_empty_body_are_stored(void **state)
{
	struct fx *f = *state;
	struct spool_msg_new m;
	struct sub s = {0};
	struct spool_test_got g;
	int done = 0;

	fx_open(f);
	msg_make(&m, "", 0, 1);
	free(m.sender);
	m.sender = xstrdup("");
	s.done = &done;
	assert_int_equal(spool_msg_submit(f->sp, &m, on_commit, &s), 0);
	pump(f, &done, 1);
	assert_int_equal(s.status, SPOOL_OK);
	assert_int_equal(get_one(f, s.id, &g), SPOOL_OK);
	assert_string_equal(g.m->sender, "");
	assert_int_equal(g.m->body.len, 0);
	assert_string_equal(g.m->stream, "transactional");
	spool_test_got_fini(&g);
}

static void
group_commit_batches_concurrent_submits(void **state)
{
	struct fx *f = *state;
	struct spool_msg_new m;
	struct spool_counts c;
	struct sub s[100];
	int i, done = 0;

	fx_open(f);
	memset(s, 0, sizeof(s));
	for (i = 0; i < 100; i++) {
		s[i].done = &done;
		msg_make(&m, "body\r\n", 6, 2);
		assert_int_equal(spool_msg_submit(f->sp, &m, on_commit, &s[i]),
		                 0);
	}
	pump(f, &done, 100);
	for (i = 0; i < 100; i++) {
		assert_int_equal(s[i].status, SPOOL_OK);
		assert_int_equal(s[i].called, 1);
	}
	spool_counts_get(f->sp, &c);
	assert_int_equal(c.committed_msgs, 100);
	assert_int_equal(c.state[SPOOL_STATE_READY], 100);
	assert_true(c.commits < 100);
	assert_true(c.largest_batch > 1);
}

/* mono_ms - the monotonic clock in ms. */
static long
mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void
commit_waits_for_a_session_receiving_a_body(void **state)
{
	struct fx *f = *state;
	struct spool_msg_new m;
	struct spool_counts c0, c;
	struct sub s[2];
	int done = 0;

	f->opts.commit_gather_us = 5000000; /* ended by the second submit */
	fx_open(f);
	spool_counts_get(f->sp, &c0);
	memset(s, 0, sizeof(s));
	s[0].done = s[1].done = &done;
	/* One session has sent its message, another is in DATA. */
	spool_data_hint(f->sp, 1);
	msg_make(&m, "a", 1, 1);
	assert_int_equal(spool_msg_submit(f->sp, &m, on_commit, &s[0]), 0);
	usleep(100000); /* the writer holds the commit meanwhile */
	msg_make(&m, "b", 1, 1);
	assert_int_equal(spool_msg_submit(f->sp, &m, on_commit, &s[1]), 0);
	spool_data_hint(f->sp, -1);
	pump(f, &done, 2);
	assert_int_equal(s[0].status, SPOOL_OK);
	assert_int_equal(s[1].status, SPOOL_OK);
	spool_counts_get(f->sp, &c);
	/* Both in one fsync. */
	assert_int_equal(c.commits - c0.commits, 1);
	assert_int_equal(c.committed_msgs - c0.committed_msgs, 2);
}

static void
commit_gather_waits_only_while_someone_receives(void **state)
{
	struct fx *f = *state;
	struct spool_msg_new m;
	struct sub s[2];
	int done = 0;
	long t0;

	f->opts.commit_gather_us = 1000000;
	fx_open(f);
	memset(s, 0, sizeof(s));
	s[0].done = s[1].done = &done;
	/* Nobody in DATA: committed at once, not after 1 s. */
	t0 = mono_ms();
	msg_make(&m, "a", 1, 1);
	assert_int_equal(spool_msg_submit(f->sp, &m, on_commit, &s[0]), 0);
	pump(f, &done, 1);
	assert_true(mono_ms() - t0 < 800);
	/* A session that never submits holds a commit for the time set,
	 * not longer. */
	spool_data_hint(f->sp, 1);
	t0 = mono_ms();
	msg_make(&m, "b", 1, 1);
	assert_int_equal(spool_msg_submit(f->sp, &m, on_commit, &s[1]), 0);
	pump(f, &done, 2);
	assert_true(mono_ms() - t0 >= 950);
	assert_int_equal(s[1].status, SPOOL_OK);
	spool_data_hint(f->sp, -1);
}

static void
batch_max_bounds_a_commit(void **state)
{
	struct fx *f = *state;
	struct spool_msg_new m;
	struct spool_counts c;
	struct sub s[40];
	int i, done = 0;

	f->opts.batch_max = 4;
	fx_open(f);
	memset(s, 0, sizeof(s));
	for (i = 0; i < 40; i++) {
		s[i].done = &done;
		msg_make(&m, "b", 1, 1);
		assert_int_equal(spool_msg_submit(f->sp, &m, on_commit, &s[i]),
		                 0);
	}
	pump(f, &done, 40);
	spool_counts_get(f->sp, &c);
	assert_int_equal(c.committed_msgs, 40);
	assert_true(c.largest_batch <= 4);
	assert_true(c.commits >= 10);
}

static void
callback_runs_only_after_commit(void **state)
{
	struct fx *f = *state;
	struct spool_msg_new m;
	struct sub s[20];
	char path[128];
	int i, done = 0, syncs0;

	fx_open(f);
	snprintf(path, sizeof(path), "%s/spool.db", f->dir);
	syncs0 = __atomic_load_n(&syncs_seen, __ATOMIC_SEQ_CST);
	memset(s, 0, sizeof(s));
	for (i = 0; i < 20; i++) {
		s[i].done = &done;
		s[i].dbpath = path;
		msg_make(&m, "x", 1, 1);
		assert_int_equal(spool_msg_submit(f->sp, &m, on_commit, &s[i]),
		                 0);
		/* Never from inside submit. */
		assert_int_equal(s[i].called, 0);
	}
	pump(f, &done, 20);
	for (i = 0; i < 20; i++) {
		assert_int_equal(s[i].status, SPOOL_OK);
		/* Another connection already sees it: it is committed. */
		assert_int_equal(s[i].visible, 1);
		/* And an fsync happened between submit and callback. */
		assert_true(s[i].syncs_at_cb > syncs0);
	}
}

/* fault_case - a fault fails the whole batch, nothing survives a reopen,
 * the spool recovers when the fault clears. */
static void
fault_case(struct fx *f, int *knob, int err)
{
	struct spool_msg_new m;
	struct spool_counts c;
	struct sub s[5], ok;
	struct spool_test_got g;
	int i, done = 0;

	fx_open(f);
	assert_int_equal(submit_one(f, &ok), SPOOL_OK);
	__atomic_store_n(knob, err, __ATOMIC_SEQ_CST);
	memset(s, 0, sizeof(s));
	for (i = 0; i < 5; i++) {
		s[i].done = &done;
		msg_make(&m, "doomed", 6, 1);
		assert_int_equal(spool_msg_submit(f->sp, &m, on_commit, &s[i]),
		                 0);
	}
	pump(f, &done, 5);
	for (i = 0; i < 5; i++)
		assert_int_equal(s[i].status, SPOOL_ERR_IO);
	spool_counts_get(f->sp, &c);
	assert_true(c.failed_commits >= 1);
	assert_int_equal(c.state[SPOOL_STATE_READY], 1);

	/* The fault clears: the next submit works. */
	__atomic_store_n(knob, 0, __ATOMIC_SEQ_CST);
	assert_int_equal(submit_one(f, &s[0]), SPOOL_OK);
	/* Fail once more and close while the fault is still there. */
	__atomic_store_n(knob, err, __ATOMIC_SEQ_CST);
	assert_int_equal(submit_one(f, &s[1]), SPOOL_ERR_IO);
	spool_close(f->sp);
	f->sp = NULL;

	__atomic_store_n(knob, 0, __ATOMIC_SEQ_CST);
	fx_open(f);
	spool_counts_get(f->sp, &c);
	assert_int_equal(c.state[SPOOL_STATE_READY], 2);
	assert_int_equal(list_all(f, -1, &g), 2);
	assert_string_equal(g.v[0]->id, ok.id);
	assert_string_equal(g.v[1]->id, s[0].id);
	spool_test_got_fini(&g);
}

static void
fsync_fault_fails_batch_and_stores_nothing(void **state)
{
	fault_case(*state, &sync_errno, EIO);
}

static void
write_fault_enospc_fails_batch_and_stores_nothing(void **state)
{
	fault_case(*state, &write_errno, ENOSPC);
}

static void
write_fault_eio_fails_batch_and_stores_nothing(void **state)
{
	fault_case(*state, &write_errno, EIO);
}

/* wait_space - wait (<= 2 s) until spool_space_check answers want. */
static void
wait_space(struct fx *f, int want)
{
	int i;

	for (i = 0; i < 400 && spool_space_check(f->sp) != want; i++)
		usleep(5000);
	assert_int_equal(spool_space_check(f->sp), want);
}

static void
low_disk_refuses_then_accepts_again(void **state)
{
	struct fx *f = *state;
	struct spool_counts c;
	struct sub s;

	__atomic_store_n(&free_bytes, 4096, __ATOMIC_SEQ_CST);
	fx_open(f);
	/* Known at open, before any traffic. */
	assert_int_equal(spool_space_check(f->sp), SPOOL_ERR_FULL);
	assert_int_equal(submit_one(f, &s), SPOOL_ERR_FULL);
	spool_counts_get(f->sp, &c);
	assert_int_equal(c.state[SPOOL_STATE_READY], 0);
	assert_int_equal(c.disk_low, 1);

	__atomic_store_n(&free_bytes, (uint64_t)1 << 30, __ATOMIC_SEQ_CST);
	wait_space(f, SPOOL_OK);
	assert_int_equal(submit_one(f, &s), SPOOL_OK);

	/* Space goes while idle: noticed without any submit. */
	__atomic_store_n(&free_bytes, 1000, __ATOMIC_SEQ_CST);
	wait_space(f, SPOOL_ERR_FULL);
	assert_int_equal(submit_one(f, &s), SPOOL_ERR_FULL);
	spool_counts_get(f->sp, &c);
	assert_int_equal(c.state[SPOOL_STATE_READY], 1);
}

/* burst - submit n messages of len bytes at once; count the SPOOL_OKs. */
static int
burst(struct fx *f, struct sub *s, int n, size_t len)
{
	struct spool_msg_new m;
	char *body = xcalloc(1, len);
	int i, done = 0, ok = 0;

	memset(body, 'x', len);
	for (i = 0; i < n; i++) {
		memset(&s[i], 0, sizeof(s[i]));
		s[i].done = &done;
		msg_make(&m, body, len, 1);
		assert_int_equal(spool_msg_submit(f->sp, &m, on_commit, &s[i]),
		                 0);
	}
	pump(f, &done, n);
	for (i = 0; i < n; i++) {
		if (s[i].status == SPOOL_OK)
			ok++;
		else
			assert_int_equal(s[i].status, SPOOL_ERR_FULL);
		s[i].done = NULL;
	}
	free(body);
	return ok;
}

static void
burst_reserves_space_and_stops_at_min_free(void **state)
{
	struct fx *f = *state;
	struct spool_counts c;
	struct sub s[4];
	int i;

	/* 1 MiB above min_free: room for one 256 KiB message (twice its
	 * body plus overhead), not two; before reservations all four. */
	__atomic_store_n(&free_bytes, (uint64_t)2 << 20, __ATOMIC_SEQ_CST);
	fx_open(f);
	assert_int_equal(spool_space_check_size(f->sp, 256 << 10), SPOOL_OK);
	assert_int_equal(spool_space_check_size(f->sp, 600 << 10),
	                 SPOOL_ERR_FULL);
	assert_int_equal(burst(f, s, 4, 256 << 10), 1);
	spool_counts_get(f->sp, &c);
	assert_int_equal(c.state[SPOOL_STATE_READY], 1);
	/*
	 * Nothing queued any more: the reservations are given back, and
	 * what is left after the stored one (its WAL frames and the
	 * database pages they will become) still takes a small one.
	 * The loop's figures are the writer's last sample, taken before
	 * the commit: wait for an idle one (every second). A sample taken
	 * while the checkpoint runs may count its pages twice for a
	 * moment: the next one corrects it.
	 */
	usleep(1200 * 1000);
	for (i = 0;
	     i < 600 && spool_space_check_size(f->sp, 64 << 10) != SPOOL_OK;
	     i++)
		usleep(5000);
	assert_int_equal(spool_space_check_size(f->sp, 64 << 10), SPOOL_OK);
	assert_int_equal(spool_space_check_size(f->sp, 256 << 10),
	                 SPOOL_ERR_FULL);
}

static void
writer_samples_space_for_each_batch(void **state)
{
	struct fx *f = *state;
	struct spool_counts c;
	struct sub s[4];

	fx_open(f);
	/* The space goes just before a burst: the loop's sample is stale,
	 * the writer's statvfs for the batch is not. */
	__atomic_store_n(&free_bytes, (uint64_t)2 << 20, __ATOMIC_SEQ_CST);
	assert_int_equal(burst(f, s, 4, 256 << 10), 1);
	spool_counts_get(f->sp, &c);
	assert_int_equal(c.state[SPOOL_STATE_READY], 1);
}

static void
queue_cap_refuses_until_a_message_finishes(void **state)
{
	struct fx *f = *state;
	struct spool_outcome o;
	struct sub s[3], x;
	struct spool_test_got g;
	int i;

	f->opts.max_messages = 3;
	fx_open(f);
	for (i = 0; i < 3; i++)
		assert_int_equal(submit_one(f, &s[i]), SPOOL_OK);
	assert_int_equal(spool_space_check(f->sp), SPOOL_ERR_FULL);
	assert_int_equal(submit_one(f, &x), SPOOL_ERR_FULL);

	memset(&o, 0, sizeof(o));
	o.id = s[0].id;
	o.provider = "ses";
	o.result = "accepted";
	o.next_state = SPOOL_STATE_SENT;
	memset(&g, 0, sizeof(g));
	assert_int_equal(spool_msg_outcome(f->sp, &o, on_done, &g), 0);
	pump(f, &g.done, 1);
	assert_int_equal(g.status, SPOOL_OK);
	assert_int_equal(spool_space_check(f->sp), SPOOL_OK);
	assert_int_equal(submit_one(f, &x), SPOOL_OK);
	assert_int_equal(submit_one(f, &x), SPOOL_ERR_FULL);
}

static void
inflight_becomes_ready_on_reopen(void **state)
{
	struct fx *f = *state;
	struct spool_counts c;
	struct sub s[3];
	struct spool_test_got g;
	int i;

	fx_open(f);
	for (i = 0; i < 3; i++)
		assert_int_equal(submit_one(f, &s[i]), SPOOL_OK);
	memset(&g, 0, sizeof(g));
	assert_int_equal(
	    spool_msg_claim(f->sp, 2, INT64_MAX / 2, spool_test_on_msgs, &g),
	    0);
	pump(f, &g.done, 1);
	assert_int_equal(g.status, SPOOL_OK);
	assert_int_equal(g.n, 2);
	/* Oldest first, with body and recipients. */
	assert_string_equal(g.v[0]->id, s[0].id);
	assert_string_equal(g.v[1]->id, s[1].id);
	assert_int_equal(g.v[0]->state, SPOOL_STATE_INFLIGHT);
	assert_int_equal(g.v[0]->body.len, 18);
	assert_memory_equal(g.v[0]->body.p, "Subject: x\r\n", 12);
	assert_int_equal(g.v[0]->n_rcpts, 1);
	spool_test_got_fini(&g);
	spool_counts_get(f->sp, &c);
	assert_int_equal(c.state[SPOOL_STATE_INFLIGHT], 2);
	assert_int_equal(c.state[SPOOL_STATE_READY], 1);

	/* Nothing is due in the past. */
	assert_int_equal(
	    spool_msg_claim(f->sp, 5, 1000, spool_test_on_msgs, &g), 0);
	pump(f, &g.done, 1);
	assert_int_equal(g.n, 0);
	spool_test_got_fini(&g);

	spool_close(f->sp);
	fx_open(f);
	spool_counts_get(f->sp, &c);
	assert_int_equal(c.state[SPOOL_STATE_INFLIGHT], 0);
	assert_int_equal(c.state[SPOOL_STATE_READY], 3);
	assert_int_equal(list_all(f, SPOOL_STATE_INFLIGHT, &g), 0);
	spool_test_got_fini(&g);
}

static void
ids_sort_by_time(void **state)
{
	struct fx *f = *state;
	struct sub s[6];
	struct spool_test_got g;
	int i;

	fx_open(f);
	for (i = 0; i < 6; i++) {
		assert_int_equal(submit_one(f, &s[i]), SPOOL_OK);
		if (i > 0)
			assert_true(strcmp(s[i - 1].id, s[i].id) < 0);
		if (i == 2)
			usleep(3000);
	}
	assert_int_equal(list_all(f, -1, &g), 6);
	for (i = 0; i < 6; i++)
		assert_string_equal(g.v[i]->id, s[i].id);
	for (i = 1; i < 6; i++)
		assert_true(g.v[i - 1]->created_at <= g.v[i]->created_at);
	spool_test_got_fini(&g);
	/* Paging: after the third id. */
	memset(&g, 0, sizeof(g));
	assert_int_equal(
	    spool_msg_list(f->sp, -1, s[2].id, 2, spool_test_on_msgs, &g), 0);
	pump(f, &g.done, 1);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.v[0]->id, s[3].id);
	assert_string_equal(g.v[1]->id, s[4].id);
	spool_test_got_fini(&g);
}

static void
counts_follow_every_state_change(void **state)
{
	struct fx *f = *state;
	struct spool_rcpt_result rr[2];
	struct spool_outcome o;
	struct spool_counts c;
	struct spool_msg_new m;
	struct sub s[4];
	struct spool_test_got g, d;
	int i, done = 0;

	fx_open(f);
	for (i = 0; i < 4; i++)
		assert_int_equal(submit_one(f, &s[i]), SPOOL_OK);
	memset(&g, 0, sizeof(g));
	assert_int_equal(
	    spool_msg_claim(f->sp, 2, INT64_MAX / 2, spool_test_on_msgs, &g),
	    0);
	pump(f, &g.done, 1);
	assert_int_equal(g.n, 2);
	spool_test_got_fini(&g);

	/* s[0]: sent. */
	memset(&o, 0, sizeof(o));
	memset(rr, 0, sizeof(rr));
	rr[0].index = 0;
	rr[0].state = SPOOL_RCPT_SENT;
	rr[0].reply = "250 ok";
	rr[0].provider_msg_id = "pm-1";
	o.id = s[0].id;
	o.provider = "postmark";
	o.result = "accepted";
	o.reply = "200 OK";
	o.at_ms = 1700000000000LL;
	o.duration_ms = 42;
	o.rcpts = rr;
	o.n_rcpts = 1;
	o.next_state = SPOOL_STATE_SENT;
	memset(&d, 0, sizeof(d));
	assert_int_equal(spool_msg_outcome(f->sp, &o, on_done, &d), 0);
	/* s[1]: deferred to far in the future. */
	memset(&o, 0, sizeof(o));
	o.id = s[1].id;
	o.provider = "ses";
	o.result = "deferred";
	o.reply = "454 throttled";
	o.next_state = SPOOL_STATE_DEFERRED;
	o.next_attempt_at = INT64_MAX / 2 + 1000;
	o.last_error = "every provider failed";
	assert_int_equal(spool_msg_outcome(f->sp, &o, on_done, &d), 0);
	/* An unknown id: NOTFOUND, without failing the batch. */
	o.id = "00000000000000000000";
	assert_int_equal(spool_msg_outcome(f->sp, &o, on_done, &d), 0);
	o.id = "bogus";
	assert_int_equal(spool_msg_outcome(f->sp, &o, on_done, &d),
	                 SPOOL_ERR_NOTFOUND);
	/* And a submit in the same stream of jobs. */
	s[0].done = &done;
	msg_make(&m, "y", 1, 1);
	assert_int_equal(spool_msg_submit(f->sp, &m, on_commit, &s[3]), 0);
	s[3].done = &done;
	pump(f, &d.done, 3);
	pump(f, &done, 1);
	assert_int_equal(d.status, SPOOL_ERR_NOTFOUND);
	assert_int_equal(s[3].status, SPOOL_OK);

	spool_counts_get(f->sp, &c);
	assert_int_equal(c.state[SPOOL_STATE_READY], 3);
	assert_int_equal(c.state[SPOOL_STATE_INFLIGHT], 0);
	assert_int_equal(c.state[SPOOL_STATE_DEFERRED], 1);
	assert_int_equal(c.state[SPOOL_STATE_SENT], 1);
	assert_int_equal(c.state[SPOOL_STATE_FAILED], 0);

	/* The same numbers come back from disk. */
	spool_close(f->sp);
	fx_open(f);
	spool_counts_get(f->sp, &c);
	assert_int_equal(c.state[SPOOL_STATE_READY], 3);
	assert_int_equal(c.state[SPOOL_STATE_DEFERRED], 1);
	assert_int_equal(c.state[SPOOL_STATE_SENT], 1);

	assert_int_equal(get_one(f, s[0].id, &g), SPOOL_OK);
	assert_int_equal(g.m->state, SPOOL_STATE_SENT);
	assert_int_equal(g.m->attempts, 1);
	assert_int_equal(g.m->n_atts, 1);
	assert_string_equal(g.m->atts[0].provider, "postmark");
	assert_string_equal(g.m->atts[0].result, "accepted");
	assert_string_equal(g.m->atts[0].reply, "200 OK");
	assert_int_equal(g.m->atts[0].duration_ms, 42);
	assert_int_equal(g.m->rcpts[0].state, SPOOL_RCPT_SENT);
	assert_string_equal(g.m->rcpts[0].provider, "postmark");
	assert_string_equal(g.m->rcpts[0].provider_msg_id, "pm-1");
	assert_string_equal(g.m->rcpts[0].last_reply, "250 ok");
	spool_test_got_fini(&g);
	assert_int_equal(get_one(f, s[1].id, &g), SPOOL_OK);
	assert_int_equal(g.m->state, SPOOL_STATE_DEFERRED);
	assert_string_equal(g.m->last_error, "every provider failed");
	assert_true(g.m->next_attempt_at == INT64_MAX / 2 + 1000);
	spool_test_got_fini(&g);
	assert_int_equal(list_all(f, SPOOL_STATE_DEFERRED, &g), 1);
	assert_string_equal(g.v[0]->id, s[1].id);
	spool_test_got_fini(&g);
}

static void
deferred_message_is_claimed_again_when_due(void **state)
{
	struct fx *f = *state;
	struct spool_outcome o;
	struct spool_counts c;
	struct sub s;
	struct spool_test_got g, d;

	fx_open(f);
	assert_int_equal(submit_one(f, &s), SPOOL_OK);
	memset(&g, 0, sizeof(g));
	assert_int_equal(
	    spool_msg_claim(f->sp, 10, INT64_MAX / 2, spool_test_on_msgs, &g),
	    0);
	pump(f, &g.done, 1);
	assert_int_equal(g.n, 1);
	spool_test_got_fini(&g);

	memset(&o, 0, sizeof(o));
	o.id = s.id;
	o.provider = "mailgun";
	o.result = "throttled";
	o.next_state = SPOOL_STATE_DEFERRED;
	o.next_attempt_at = 5000;
	memset(&d, 0, sizeof(d));
	assert_int_equal(spool_msg_outcome(f->sp, &o, on_done, &d), 0);
	/* Queued behind the outcome, in the same or the next batch. */
	assert_int_equal(
	    spool_msg_claim(f->sp, 10, 4999, spool_test_on_msgs, &g), 0);
	pump(f, &g.done, 1);
	assert_int_equal(d.status, SPOOL_OK);
	assert_int_equal(g.n, 0); /* not due yet */
	spool_test_got_fini(&g);
	spool_counts_get(f->sp, &c);
	assert_int_equal(c.state[SPOOL_STATE_DEFERRED], 1);

	assert_int_equal(
	    spool_msg_claim(f->sp, 10, 5000, spool_test_on_msgs, &g), 0);
	pump(f, &g.done, 1);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.v[0]->id, s.id);
	assert_int_equal(g.v[0]->attempts, 1);
	assert_int_equal(g.v[0]->state, SPOOL_STATE_INFLIGHT);
	spool_test_got_fini(&g);
	spool_counts_get(f->sp, &c);
	assert_int_equal(c.state[SPOOL_STATE_DEFERRED], 0);
	assert_int_equal(c.state[SPOOL_STATE_INFLIGHT], 1);
}

static void
open_fails_cleanly_on_a_bad_directory(void **state)
{
	struct fx *f = *state;
	struct spool_opts o = f->opts;
	char err[256] = "";
	FILE *fp;

	/* f->dir does not exist yet; make its name a plain file. */
	fp = fopen(f->dir, "w");
	assert_non_null(fp);
	fclose(fp);
	assert_null(spool_open(&o, err, sizeof(err)));
	assert_non_null(strstr(err, f->dir));
	unlink(f->dir);
	o.dir = "";
	assert_null(spool_open(&o, err, sizeof(err)));
	assert_true(err[0] != '\0');
}

static void
on_count(int status, uint64_t n, void *arg)
{
	struct spool_test_got *g = arg;

	g->status = status;
	g->n = (size_t)n;
	g->done++;
}

/* rows - count(*) of a table, through another connection. */
static int
rows(struct fx *f, const char *table)
{
	char path[128], sql[128];
	sqlite3_stmt *st;
	sqlite3 *db;
	int n = -1;

	snprintf(path, sizeof(path), "%s/spool.db", f->dir);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) ==
	        SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			n = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return n;
}

static void
purge_deletes_only_old_finished_messages(void **state)
{
	static const enum spool_state next[4] = {
	    SPOOL_STATE_SENT, SPOOL_STATE_FAILED, SPOOL_STATE_SENT,
	    SPOOL_STATE_DEFERRED};
	struct fx *f = *state;
	struct spool_outcome o;
	struct spool_counts c;
	struct sub s[5];
	struct spool_test_got g, d;
	int i;

	fx_open(f);
	for (i = 0; i < 5; i++)
		assert_int_equal(submit_one(f, &s[i]), SPOOL_OK);
	memset(&g, 0, sizeof(g));
	assert_int_equal(
	    spool_msg_claim(f->sp, 4, INT64_MAX / 2, spool_test_on_msgs, &g),
	    0);
	pump(f, &g.done, 1);
	assert_int_equal(g.n, 4);
	spool_test_got_fini(&g);
	memset(&d, 0, sizeof(d));
	for (i = 0; i < 4; i++) {
		memset(&o, 0, sizeof(o));
		o.id = s[i].id;
		o.provider = "relay";
		o.result = "accepted";
		o.next_state = next[i];
		o.next_attempt_at = INT64_MAX / 2;
		assert_int_equal(spool_msg_outcome(f->sp, &o, on_done, &d), 0);
	}
	pump(f, &d.done, 4);
	assert_int_equal(rows(f, "attempts"), 4);

	/* Nothing finished before 1970 + 1 s. */
	memset(&g, 0, sizeof(g));
	assert_int_equal(spool_msg_purge(f->sp, 1000, 10, on_count, &g), 0);
	pump(f, &g.done, 1);
	assert_int_equal(g.status, SPOOL_OK);
	assert_int_equal(g.n, 0);

	/* Two at a time, oldest first. */
	memset(&g, 0, sizeof(g));
	assert_int_equal(
	    spool_msg_purge(f->sp, INT64_MAX / 4 + 12345, 2, on_count, &g), 0);
	pump(f, &g.done, 1);
	assert_int_equal(g.n, 2);
	assert_int_equal(get_one(f, s[0].id, &d), SPOOL_ERR_NOTFOUND);
	assert_int_equal(get_one(f, s[2].id, &d), SPOOL_OK);
	spool_test_got_fini(&d);
	memset(&g, 0, sizeof(g));
	assert_int_equal(
	    spool_msg_purge(f->sp, INT64_MAX / 4, 10, on_count, &g), 0);
	pump(f, &g.done, 1);
	assert_int_equal(g.n, 1);

	spool_counts_get(f->sp, &c);
	assert_int_equal(c.state[SPOOL_STATE_SENT], 0);
	assert_int_equal(c.state[SPOOL_STATE_FAILED], 0);
	assert_int_equal(c.state[SPOOL_STATE_DEFERRED], 1);
	assert_int_equal(c.state[SPOOL_STATE_READY], 1);
	assert_int_equal(rows(f, "messages"), 2);
	assert_int_equal(rows(f, "recipients"), 2);
	assert_int_equal(rows(f, "attempts"), 1);
}

/* submit_keyed - queue a message with tenant and idempotency key. */
static void
submit_keyed(struct fx *f, struct sub *s, int *done, const char *tenant,
             const char *key)
{
	struct spool_msg_new m;

	memset(s, 0, sizeof(*s));
	s->done = done;
	msg_make(&m, "k", 1, 1);
	free(m.tenant);
	m.tenant = tenant ? xstrdup(tenant) : NULL;
	m.idempotency_key = xstrdup(key);
	assert_int_equal(spool_msg_submit(f->sp, &m, on_commit, s), 0);
}

static void
idempotency_key_stores_one_message(void **state)
{
	struct fx *f = *state;
	struct spool_counts c;
	struct sub s[6];
	int done = 0;

	fx_open(f);
	/* Two retries racing in one batch, and one in a later batch. */
	submit_keyed(f, &s[0], &done, "acme", "order-1");
	submit_keyed(f, &s[1], &done, "acme", "order-1");
	pump(f, &done, 2);
	submit_keyed(f, &s[2], &done, "acme", "order-1");
	/* Another tenant's key, and no tenant at all (twice). */
	submit_keyed(f, &s[3], &done, "globex", "order-1");
	submit_keyed(f, &s[4], &done, NULL, "order-1");
	submit_keyed(f, &s[5], &done, NULL, "order-1");
	pump(f, &done, 6);
	assert_int_equal(s[0].status, SPOOL_OK);
	assert_string_equal(s[1].id, s[0].id);
	assert_string_equal(s[2].id, s[0].id);
	assert_string_not_equal(s[3].id, s[0].id);
	assert_string_not_equal(s[4].id, s[0].id);
	assert_string_not_equal(s[4].id, s[3].id);
	assert_string_equal(s[5].id, s[4].id);
	spool_counts_get(f->sp, &c);
	assert_int_equal(c.state[SPOOL_STATE_READY], 3);
	assert_int_equal(c.committed_msgs, 3);
	assert_int_equal(c.deduplicated, 3);
}

static long
file_size(const char *dir, const char *name)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static void
wal_is_checkpointed_in_the_background(void **state)
{
	struct fx *f = *state;
	struct spool_msg_new m;
	struct sub *s;
	char body[4096];
	int i, done = 0, n = 1500;
	long db0;

	fx_open(f);
	db0 = file_size(f->dir, "spool.db");
	memset(body, 'q', sizeof(body));
	s = xcalloc((size_t)n, sizeof(*s));
	for (i = 0; i < n; i++) {
		s[i].done = &done;
		msg_make(&m, body, sizeof(body), 1);
		assert_int_equal(spool_msg_submit(f->sp, &m, on_commit, &s[i]),
		                 0);
	}
	pump(f, &done, n);
	for (i = 0; i < n; i++)
		assert_int_equal(s[i].status, SPOOL_OK);
	free(s);
	/*
	 * ~6 MiB went through the WAL; the checkpointer copies all of it
	 * into the database file while the spool is still open: every body
	 * (6,144,000 bytes). A burst this short gets one poke, early; the
	 * frames committed after it are copied only because the writer
	 * pokes again once it is idle (before, they stayed in the WAL and
	 * the file kept 60-80% of them, sometimes under 4 MB).
	 */
	for (i = 0; i < 300 && file_size(f->dir, "spool.db") < (long)n * 4096;
	     i++)
		usleep(10000);
	assert_true(file_size(f->dir, "spool.db") >= (long)n * 4096);
	assert_true(file_size(f->dir, "spool.db") > db0);
}

/* Submitted from a callback while spool_close() is draining. */
static int close_resubmit_status = 1;
static struct spool *close_sp;

static void
on_commit_resubmit(int status, const char *id, void *arg)
{
	struct spool_msg_new m;

	on_commit(status, id, arg);
	msg_make(&m, "z", 1, 1);
	close_resubmit_status = spool_msg_submit(close_sp, &m, on_commit, arg);
}

static void
close_finishes_queued_commits(void **state)
{
	struct fx *f = *state;
	struct spool_msg_new m;
	struct sub s[10];
	int i, done = 0;

	fx_open(f);
	memset(s, 0, sizeof(s));
	for (i = 0; i < 10; i++) {
		s[i].done = &done;
		msg_make(&m, "late", 4, 1);
		assert_int_equal(
		    spool_msg_submit(f->sp, &m,
		                     i == 9 ? on_commit_resubmit : on_commit,
		                     &s[i]),
		    0);
	}
	close_sp = f->sp;
	/* No loop run: the callbacks come from inside spool_close. */
	spool_close(f->sp);
	assert_int_equal(done, 10);
	for (i = 0; i < 10; i++)
		assert_int_equal(s[i].status, SPOOL_OK);
	assert_int_equal(close_resubmit_status, SPOOL_ERR_CLOSED);
	fx_open(f);
	assert_int_equal(spool_space_check(f->sp), SPOOL_OK);
	{
		struct spool_counts c;

		spool_counts_get(f->sp, &c);
		assert_int_equal(c.state[SPOOL_STATE_READY], 10);
	}
}

/* crash_child - submit forever, write each OK'd id to fd. */
static void
crash_child(struct fx *f, int fd)
{
	struct spool_msg_new m;
	struct sub s[16];
	char err[256], body[1024];
	struct spool *sp;
	int done = 0, i, prev = 0;

	f->opts.hooks = NULL;
	sp = spool_open(&f->opts, err, sizeof(err));
	if (sp == NULL)
		_exit(3);
	spool_attach(sp, f->base);
	memset(body, 'a', sizeof(body));
	memset(s, 0, sizeof(s));
	for (;;) {
		for (i = 0; i < 16; i++) {
			if (s[i].done != NULL && !s[i].called)
				continue;
			if (s[i].called && s[i].status == SPOOL_OK) {
				if (write(fd, s[i].id, ID_LEN) != ID_LEN)
					_exit(4);
			}
			memset(&s[i], 0, sizeof(s[i]));
			s[i].done = &done;
			msg_make(&m, body, sizeof(body), 2);
			if (spool_msg_submit(sp, &m, on_commit, &s[i]) != 0)
				_exit(5);
		}
		if (done == prev)
			event_base_loop(f->base, EVLOOP_ONCE);
		prev = done;
	}
}

static void
crash_keeps_every_acknowledged_message(void **state)
{
	struct fx *f = *state;
	char buf[ID_LEN * 64], id[ID_SIZE];
	char **ids = NULL;
	size_t n = 0, cap = 0, have = 0;
	struct timespec t0, t;
	struct spool_counts c;
	int fds[2], st, ms;
	struct spool_test_got g;
	ssize_t r;
	pid_t pid;
	size_t i;

	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	ms = 150 + rand() % 400;
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		crash_child(f, fds[1]);
		_exit(0);
	}
	close(fds[1]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 +
		        (t.tv_nsec - t0.tv_nsec) / 1000000 >=
		    ms)
			break;
		r = read(fds[0], buf + have, sizeof(buf) - have);
		if (r <= 0)
			break;
		have += (size_t)r;
		for (i = 0; i + ID_LEN <= have; i += ID_LEN) {
			if (n == cap) {
				cap = cap ? cap * 2 : 256;
				ids = xreallocarray(ids, cap, sizeof(*ids));
			}
			ids[n++] = xstrndup(buf + i, ID_LEN);
		}
		memmove(buf, buf + i, have - i);
		have -= i;
	}
	kill(pid, SIGKILL);
	/* Ids the child wrote before it died were OK'd too. */
	while ((r = read(fds[0], buf + have, sizeof(buf) - have)) > 0) {
		have += (size_t)r;
		for (i = 0; i + ID_LEN <= have; i += ID_LEN) {
			if (n == cap) {
				cap = cap ? cap * 2 : 256;
				ids = xreallocarray(ids, cap, sizeof(*ids));
			}
			ids[n++] = xstrndup(buf + i, ID_LEN);
		}
		memmove(buf, buf + i, have - i);
		have -= i;
	}
	close(fds[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st));
	assert_true(n > 0);

	fx_open(f);
	spool_counts_get(f->sp, &c);
	assert_true(c.state[SPOOL_STATE_READY] >= n);
	for (i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "%s", ids[i]);
		if (get_one(f, id, &g) != SPOOL_OK)
			fail_msg("acknowledged %s lost (%zu of %zu)", id, i, n);
		assert_int_equal(g.m->body.len, 1024);
		assert_int_equal(g.m->n_rcpts, 2);
		spool_test_got_fini(&g);
		free(ids[i]);
	}
	free(ids);
	fprintf(stderr, "crash after %d ms: %zu acknowledged, %llu stored\n",
	        ms, n, (unsigned long long)c.state[SPOOL_STATE_READY]);
}

/* submit_stream - submit a small message in stream; returns its status. */
static int
submit_stream(struct fx *f, struct sub *s, const char *stream)
{
	struct spool_msg_new m;
	int done = 0;

	memset(s, 0, sizeof(*s));
	s->done = &done;
	msg_make(&m, "Subject: x\r\n\r\nhi\r\n", 18, 1);
	m.stream = xstrdup(stream);
	assert_int_equal(spool_msg_submit(f->sp, &m, on_commit, s), 0);
	pump(f, &done, 1);
	s->done = NULL;
	return s->status;
}

static void
stream_claim_takes_only_that_stream_oldest_first(void **state)
{
	struct fx *f = *state;
	struct sub s[6];
	struct spool_test_got g;
	size_t i;
	static const char *const streams[] = {
	    "bulk", "critical", "bulk", "critical", "bulk", "transactional"};

	fx_open(f);
	for (i = 0; i < 6; i++)
		assert_int_equal(submit_stream(f, &s[i], streams[i]), SPOOL_OK);
	memset(&g, 0, sizeof(g));
	assert_int_equal(spool_msg_claim_stream(f->sp, "critical", 10,
	                                        INT64_MAX / 2,
	                                        spool_test_on_msgs, &g),
	                 0);
	pump(f, &g.done, 1);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.v[0]->id, s[1].id);
	assert_string_equal(g.v[1]->id, s[3].id);
	assert_string_equal(g.v[0]->stream, "critical");
	spool_test_got_fini(&g);
	/* A limit below what is due: the oldest of the stream. */
	assert_int_equal(spool_msg_claim_stream(f->sp, "bulk", 2, INT64_MAX / 2,
	                                        spool_test_on_msgs, &g),
	                 0);
	pump(f, &g.done, 1);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.v[0]->id, s[0].id);
	assert_string_equal(g.v[1]->id, s[2].id);
	spool_test_got_fini(&g);
	/* Claimed ones are not claimed twice; unknown streams give none. */
	assert_int_equal(spool_msg_claim_stream(f->sp, "critical", 10,
	                                        INT64_MAX / 2,
	                                        spool_test_on_msgs, &g),
	                 0);
	pump(f, &g.done, 1);
	assert_int_equal(g.n, 0);
	spool_test_got_fini(&g);
	assert_int_equal(spool_msg_claim_stream(f->sp, "nosuch", 10,
	                                        INT64_MAX / 2,
	                                        spool_test_on_msgs, &g),
	                 0);
	pump(f, &g.done, 1);
	assert_int_equal(g.status, SPOOL_OK);
	assert_int_equal(g.n, 0);
	spool_test_got_fini(&g);
}

static void
attempt_trace_is_stored_and_read_back(void **state)
{
	struct fx *f = *state;
	struct spool_outcome o;
	struct sub s;
	struct spool_test_got g, d;

	fx_open(f);
	assert_int_equal(submit_one(f, &s), SPOOL_OK);
	memset(&o, 0, sizeof(o));
	o.id = s.id;
	o.provider = "ses";
	o.result = "deferred";
	o.trace = "chose ses (priority 1); filtered: pm (circuit open)";
	o.next_state = SPOOL_STATE_READY;
	memset(&d, 0, sizeof(d));
	assert_int_equal(spool_msg_outcome(f->sp, &o, on_done, &d), 0);
	o.provider = "pm";
	o.result = "accepted";
	o.trace = NULL;
	o.next_state = SPOOL_STATE_SENT;
	assert_int_equal(spool_msg_outcome(f->sp, &o, on_done, &d), 0);
	pump(f, &d.done, 2);
	assert_int_equal(get_one(f, s.id, &g), SPOOL_OK);
	assert_int_equal(g.m->n_atts, 2);
	assert_string_equal(
	    g.m->atts[0].trace,
	    "chose ses (priority 1); filtered: pm (circuit open)");
	assert_null(g.m->atts[1].trace);
	spool_test_got_fini(&g);
}

/* The schema of version 1, when bodies were a column of messages. */
static const char v1_schema[] =
    "CREATE TABLE messages (id TEXT PRIMARY KEY, state TEXT NOT NULL,"
    " sender TEXT NOT NULL, tenant TEXT, client TEXT, stream TEXT NOT NULL,"
    " size INTEGER NOT NULL, created_at INTEGER NOT NULL,"
    " next_attempt_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
    " last_error TEXT, idempotency_key TEXT, body BLOB NOT NULL);"
    "CREATE INDEX messages_claim ON messages(state, next_attempt_at);"
    "CREATE TABLE recipients (msg_id TEXT NOT NULL, idx INTEGER NOT NULL,"
    " address TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'pending',"
    " last_reply TEXT, provider TEXT, provider_msg_id TEXT,"
    " PRIMARY KEY (msg_id, idx)) WITHOUT ROWID;"
    "CREATE TABLE attempts (id INTEGER PRIMARY KEY, msg_id TEXT NOT NULL,"
    " at INTEGER NOT NULL, provider TEXT NOT NULL, result TEXT NOT NULL,"
    " reply TEXT, duration_ms INTEGER NOT NULL);"
    "INSERT INTO messages (id, state, sender, stream, size, created_at,"
    " next_attempt_at, body) VALUES ('01M8FB00000000000001', 'ready',"
    " 'old@example.com', 'transactional', 11, 1, 1, 'old body\r\n\r\n');"
    "INSERT INTO recipients (msg_id, idx, address) VALUES"
    " ('01M8FB00000000000001', 0, 'rcpt@example.net');"
    "PRAGMA journal_mode=WAL; PRAGMA user_version=1;";

static void
version_1_spool_is_migrated_keeping_bodies(void **state)
{
	struct fx *f = *state;
	char path[128];
	struct spool_test_got g;

	spool_test_db_make(f->dir, v1_schema, path, sizeof(path));

	fx_open(f);
	assert_int_equal(get_one(f, "01M8FB00000000000001", &g), SPOOL_OK);
	assert_string_equal(g.m->sender, "old@example.com");
	assert_int_equal(g.m->body.len, 12);
	assert_memory_equal(g.m->body.p, "old body\r\n\r\n", 12);
	assert_int_equal(g.m->n_rcpts, 1);
	assert_string_equal(g.m->rcpts[0].address, "rcpt@example.net");
	spool_test_got_fini(&g);
	/* New mail goes into the migrated store as usual. */
	{
		struct sub sb;
		memset(&sb, 0, sizeof(sb));
		assert_int_equal(submit_one(f, &sb), SPOOL_OK);
		assert_int_equal(get_one(f, sb.id, &g), SPOOL_OK);
		assert_true(g.m->body.len > 0);
		spool_test_got_fini(&g);
	}
	/* Attempts gained a trace column on the way to version 3. */
	{
		struct spool_outcome o;
		struct spool_test_got d;
		memset(&o, 0, sizeof(o));
		o.id = "01M8FB00000000000001";
		o.provider = "ses";
		o.result = "accepted";
		o.trace = "chose ses";
		o.next_state = SPOOL_STATE_SENT;
		memset(&d, 0, sizeof(d));
		assert_int_equal(spool_msg_outcome(f->sp, &o, on_done, &d), 0);
		pump(f, &d.done, 1);
		assert_int_equal(d.status, SPOOL_OK);
		assert_int_equal(get_one(f, "01M8FB00000000000001", &g),
		                 SPOOL_OK);
		assert_string_equal(g.m->atts[0].trace, "chose ses");
		spool_test_got_fini(&g);
	}
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
	    T(commit_survives_reopen_byte_for_byte),
	    T(stream_claim_takes_only_that_stream_oldest_first),
	    T(attempt_trace_is_stored_and_read_back),
	    T(null_sender_and_empty_body_are_stored),
	    T(group_commit_batches_concurrent_submits),
	    T(batch_max_bounds_a_commit),
	    T(callback_runs_only_after_commit),
	    T(fsync_fault_fails_batch_and_stores_nothing),
	    T(write_fault_enospc_fails_batch_and_stores_nothing),
	    T(write_fault_eio_fails_batch_and_stores_nothing),
	    T(low_disk_refuses_then_accepts_again),
	    T(burst_reserves_space_and_stops_at_min_free),
	    T(writer_samples_space_for_each_batch),
	    T(queue_cap_refuses_until_a_message_finishes),
	    T(inflight_becomes_ready_on_reopen),
	    T(ids_sort_by_time),
	    T(counts_follow_every_state_change),
	    T(deferred_message_is_claimed_again_when_due),
	    T(open_fails_cleanly_on_a_bad_directory),
	    T(idempotency_key_stores_one_message),
	    T(purge_deletes_only_old_finished_messages),
	    T(wal_is_checkpointed_in_the_background),
	    T(close_finishes_queued_commits),
	    T(commit_waits_for_a_session_receiving_a_body),
	    T(commit_gather_waits_only_while_someone_receives),
	    T(crash_keeps_every_acknowledged_message),
	    T(version_1_spool_is_migrated_keeping_bodies),
	};
#undef T
	log_setup(LOG_LEVEL_WARN, LOG_FORMAT_TEXT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
