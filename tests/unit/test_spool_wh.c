/*
 * test_spool_wh.c - the outbound webhooks' queue in the spool: rows are
 * durable across a restart, a claim leases them (not claimed twice
 * while in flight, claimed again when the lease runs out: a crash
 * re-sends under the same id), a retry and a dead-letter are recorded,
 * a 2xx removes the row, and the message's msg_meta is kept beside it;
 * the outbox stores its notices in the commit of the change.
 */
#include "spool_test.h"

#include <stdint.h>

#include "core/clock.h"

#define fx spool_test_fx

static int
fx_setup(void **state)
{
	*state = spool_test_fx_new("test_spool_wh");
	return 0;
}

static int
fx_teardown(void **state)
{
	spool_test_fx_free(*state);
	return 0;
}

struct got {
	int done, status;
	char id[ID_SIZE];
	struct spool_wh *w;
	size_t n;
	struct spool_wh_counts c;
};

static void
on_done(int status, void *arg)
{
	struct got *g = arg;

	g->done = 1;
	g->status = status;
}

static void
on_commit(int status, const char *id, void *arg)
{
	struct got *g = arg;

	g->done = 1;
	g->status = status;
	snprintf(g->id, sizeof(g->id), "%s", id ? id : "");
}

static void
on_rows(int status, struct spool_wh *w, size_t n,
        const struct spool_wh_counts *c, void *arg)
{
	struct got *g = arg;

	g->done = 1;
	g->status = status;
	spool_wh_free(g->w, g->n);
	g->w = w;
	g->n = n;
	g->c = *c;
}

/* row - a heap row for enqueue. */
static void
row(struct spool_wh *r, const char *id, const char *url, const char *msg_id)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->id, sizeof(r->id), "%s", id);
	r->url = xstrdup(url);
	r->msg_id = msg_id ? xstrdup(msg_id) : NULL;
	r->payload = xstrdup("{\"data\":{},\"id\":\"x\"}");
}

static void
claim(struct fx *f, struct got *g, int64_t now, int64_t lease)
{
	g->done = 0;
	assert_int_equal(spool_wh_claim(f->sp, now, lease, 10, on_rows, g), 0);
	spool_test_pump(f->base, &g->done, 1, 10);
	assert_int_equal(g->status, SPOOL_OK);
}

static void
settle(struct fx *f, struct spool_wh *w, enum spool_wh_verdict v)
{
	struct got g = {0};

	assert_int_equal(spool_wh_settle(f->sp, w, v, on_done, &g), 0);
	spool_test_pump(f->base, &g.done, 1, 10);
	assert_int_equal(g.status, SPOOL_OK);
}

static void
test_queue_lease_retry_dead_done(void **state)
{
	struct fx *f = *state;
	struct spool_msg_new m = spool_test_msg();
	struct got g = {0};
	struct spool_wh *rows;
	int64_t now = clock_wall_ms();

	/* A message with tags, whose meta the queue keeps. */
	m.meta = xstrdup("{\"tags\":[{\"name\":\"t\",\"value\":\"v\"}]}");
	assert_int_equal(spool_msg_submit(f->sp, &m, on_commit, &g), 0);
	spool_test_pump(f->base, &g.done, 1, 10);
	assert_int_equal(g.status, SPOOL_OK);

	rows = xcalloc(3, sizeof(*rows));
	row(&rows[0], "evt_1", "http://a/", g.id);
	row(&rows[1], "evt_1", "http://b/", NULL);
	row(&rows[2], "evt_1", "http://a/", g.id); /* queued twice: once */
	g.done = 0;
	assert_int_equal(spool_wh_enqueue(f->sp, rows, 3, on_done, &g), 0);
	spool_test_pump(f->base, &g.done, 1, 10);
	assert_int_equal(g.status, SPOOL_OK);

	/* Durable: a restart keeps both. */
	spool_test_fx_close(f);
	spool_test_fx_open(f);

	claim(f, &g, now + 1000, 60000);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.c.queued, 2);
	assert_int_equal(g.c.dead, 0);
	assert_string_equal(g.w[0].id, "evt_1");
	assert_true(strstr(g.w[0].url, "http://") == g.w[0].url);
	if (strcmp(g.w[0].url, "http://a/") == 0)
		assert_non_null(strstr(g.w[0].meta, "\"tags\""));
	else
		assert_null(g.w[0].meta);
	/* Leased: not claimed again while in flight ... */
	claim(f, &g, now + 2000, 60000);
	assert_int_equal(g.n, 0);
	assert_true(g.c.next_at >= now + 61000);
	/* ... but again once the lease ran out (the sender died). */
	claim(f, &g, now + 62000, 60000);
	assert_int_equal(g.n, 2);

	/* a fails: retried later with its attempt count and error; b is
	 * dead-lettered. */
	g.w[0].attempts = 1;
	g.w[0].next_at = now + 70000;
	g.w[0].last_error = xstrdup("HTTP 500");
	settle(f, &g.w[0], SPOOL_WH_RETRY);
	g.w[1].attempts = 9;
	g.w[1].next_at = now;
	g.w[1].last_error = xstrdup("connect: refused");
	settle(f, &g.w[1], SPOOL_WH_DEAD);
	claim(f, &g, now + 69000, 60000);
	assert_int_equal(g.n, 0);
	assert_int_equal(g.c.queued, 1);
	assert_int_equal(g.c.dead, 1);
	assert_int_equal(g.c.next_at, now + 70000);
	claim(f, &g, now + 70000, 60000);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.w[0].attempts, 1);
	assert_string_equal(g.w[0].last_error, "HTTP 500");

	/* 2xx: gone. */
	settle(f, &g.w[0], SPOOL_WH_DONE);
	g.done = 0;
	assert_int_equal(spool_wh_dead_list(f->sp, 10, on_rows, &g), 0);
	spool_test_pump(f->base, &g.done, 1, 10);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.w[0].attempts, 9);
	assert_string_equal(g.w[0].last_error, "connect: refused");
	assert_int_equal(g.c.queued, 0);
	assert_int_equal(g.c.dead, 1);
	assert_int_equal(g.c.next_at, INT64_MAX);
	spool_wh_free(g.w, g.n);
}

/*
 * The outbox: notices made by the writer and stored in the transaction
 * of the change they tell of. The proof: when the change's own callback
 * runs (right after its commit, before the loop could queue anything
 * else), a separate connection already sees the notice; and a change
 * that is not stored (an outcome for no message, an idempotent replay, a
 * message of swerve's own) makes none.
 */
struct ob {
	const char *dir;
	int calls;
	int seen_at_commit; /* rows for the id, seen from the callback */
	struct got g;
};

/* ob_outbox - one row per change, its payload naming the change. */
static size_t
ob_outbox(const struct spool_change *c, struct spool_wh **out, void *arg)
{
	struct ob *o = arg;
	struct spool_wh *r = xcalloc(1, sizeof(*r));
	char p[256];

	o->calls++;
	snprintf(r->id, sizeof(r->id), "ob_%d_%d", (int)c->kind,
	         c->outcome ? (int)c->outcome->notice : 0);
	r->url = xstrdup("http://outbox/");
	r->msg_id = c->msg_id ? xstrdup(c->msg_id) : NULL;
	snprintf(p, sizeof(p),
	         "{\"kind\":%d,\"tenant\":\"%s\",\"stream\":\"%s\","
	         "\"rcpts\":%zu}",
	         (int)c->kind, c->tenant ? c->tenant : "",
	         c->stream ? c->stream : "", c->n_rcpts);
	r->payload = xstrdup(p);
	*out = r;
	return 1;
}

/* ob_rows - committed webhook rows for msg_id, read by a connection of
 * its own (what survives a crash now). */
static int
ob_rows(const char *dir, const char *msg_id, const char *id_like)
{
	char path[256];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int n = -1;

	snprintf(path, sizeof(path), "%s/spool.db", dir);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
	                 SQLITE_OK);
	assert_int_equal(
	    sqlite3_prepare_v2(db,
	                       "SELECT count(*) FROM webhooks WHERE msg_id = ?1"
	                       " AND id LIKE ?2",
	                       -1, &st, NULL),
	    SQLITE_OK);
	sqlite3_bind_text(st, 1, msg_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, id_like, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

static void
ob_on_commit(int status, const char *id, void *arg)
{
	struct ob *o = arg;

	on_commit(status, id, &o->g);
	if (status == SPOOL_OK)
		o->seen_at_commit = ob_rows(o->dir, id, "ob_0_%");
}

static void
ob_on_outcome(int status, void *arg)
{
	struct ob *o = arg;

	on_done(status, &o->g);
	if (status == SPOOL_OK)
		o->seen_at_commit = ob_rows(o->dir, o->g.id, "ob_1_1");
}

static void
test_outbox_same_commit(void **state)
{
	struct fx *f = *state;
	struct ob o = {.dir = f->dir};
	struct spool_msg_new m = spool_test_msg();
	struct spool_outcome out;
	struct spool_rcpt_result r = {.index = 0, .state = SPOOL_RCPT_SENT};
	char id[ID_SIZE];

	spool_outbox_set(f->sp, ob_outbox, NULL, &o);

	/* Stored: the notice is committed with the message. */
	m.announce = 1;
	m.tenant = xstrdup("acme");
	assert_int_equal(spool_msg_submit(f->sp, &m, ob_on_commit, &o), 0);
	spool_test_pump(f->base, &o.g.done, 1, 10);
	assert_int_equal(o.g.status, SPOOL_OK);
	assert_int_equal(o.seen_at_commit, 1);
	snprintf(id, sizeof(id), "%s", o.g.id);

	/* swerve's own mail (announce 0): no notice. */
	o.calls = 0;
	o.g.done = 0;
	m = spool_test_msg();
	assert_int_equal(spool_msg_submit(f->sp, &m, ob_on_commit, &o), 0);
	spool_test_pump(f->base, &o.g.done, 1, 10);
	assert_int_equal(o.calls, 0);
	assert_int_equal(o.seen_at_commit, 0);

	/* An outcome that tells: committed with it, with the message's
	 * tenant and recipients; one that does not (a failover step): none. */
	memset(&out, 0, sizeof(out));
	out.id = id;
	out.provider = "ses";
	out.result = "accepted";
	out.rcpts = &r;
	out.n_rcpts = 1;
	out.next_state = SPOOL_STATE_INFLIGHT;
	o.calls = 0;
	o.g.done = 0;
	assert_int_equal(spool_msg_outcome(f->sp, &out, on_done, &o.g), 0);
	spool_test_pump(f->base, &o.g.done, 1, 10);
	assert_int_equal(o.calls, 0);
	out.next_state = SPOOL_STATE_SENT;
	out.notice = SPOOL_NOTICE_SENT;
	o.g.done = 0;
	snprintf(o.g.id, sizeof(o.g.id), "%s", id);
	assert_int_equal(spool_msg_outcome(f->sp, &out, ob_on_outcome, &o), 0);
	spool_test_pump(f->base, &o.g.done, 1, 10);
	assert_int_equal(o.g.status, SPOOL_OK);
	assert_int_equal(o.calls, 1);
	assert_int_equal(o.seen_at_commit, 1);

	/* An outcome for no message: nothing stored, no notice. */
	o.calls = 0;
	o.g.done = 0;
	out.id = "00000000000000000000";
	assert_int_equal(spool_msg_outcome(f->sp, &out, on_done, &o.g), 0);
	spool_test_pump(f->base, &o.g.done, 1, 10);
	assert_int_equal(o.g.status, SPOOL_ERR_NOTFOUND);
	assert_int_equal(o.calls, 0);

	/* What the outbox saw, as stored: durable across a restart. */
	spool_outbox_set(f->sp, NULL, NULL, NULL);
	spool_test_fx_close(f);
	spool_test_fx_open(f);
	claim(f, &o.g, clock_wall_ms() + 1000, 60000);
	assert_int_equal(o.g.n, 2);
	assert_non_null(strstr(o.g.w[0].payload, "\"tenant\":\"acme\""));
	assert_non_null(strstr(o.g.w[0].payload, "\"rcpts\":1"));
	assert_non_null(strstr(o.g.w[1].payload, "\"tenant\":\"acme\""));
	assert_non_null(
	    strstr(o.g.w[1].payload, "\"stream\":\"transactional\""));
	spool_wh_free(o.g.w, o.g.n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_queue_lease_retry_dead_done,
	                                    fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_outbox_same_commit, fx_setup,
	                                    fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
