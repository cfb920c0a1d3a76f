/*
 * test_spool_cache.c - the in-memory hand-off of fresh bodies to their
 * claim (spool_cache.h, spool.handoff_cache): the cache alone (take moves,
 * cap evicts oldest first, too big is refused, drop forgets), and the
 * spool with it: a claim gets byte for byte the body that was stored,
 * from memory right after the commit, from the database when the cache
 * is too small, off, or after a restart.
 */
#include <stdint.h>

#include "spool/spool_cache.h"
#include "spool_test.h"

/* body_of - a buffer with n bytes of pattern c. */
static struct buf
body_of(size_t n, char c)
{
	struct buf b;

	buf_init(&b);
	buf_reserve(&b, n);
	memset(b.p, c, n);
	b.len = n;
	return b;
}

static void
cache_off_is_null_and_noop(void **state)
{
	struct buf b = body_of(10, 'x'), out;
	struct spool_cache_stats st;

	(void)state;
	assert_null(spool_cache_new(0));
	assert_int_equal(spool_cache_put(NULL, "a", &b), 0);
	assert_int_equal(b.len, 10); /* left as it was */
	buf_init(&out);
	assert_int_equal(spool_cache_take(NULL, "a", &out), 0);
	spool_cache_drop(NULL, "a");
	spool_cache_stats(NULL, &st);
	assert_int_equal(st.entries, 0);
	spool_cache_free(NULL);
	buf_fini(&b);
}

static void
cache_take_moves_once(void **state)
{
	struct spool_cache *c = spool_cache_new(1 << 20);
	struct buf b = body_of(1000, 'a'), out;
	struct spool_cache_stats st;
	char *p = b.p;

	(void)state;
	assert_int_equal(spool_cache_put(c, "m1", &b), 1);
	assert_null(b.p); /* the cache owns the bytes now */
	assert_int_equal(b.len, 0);
	buf_init(&out);
	assert_int_equal(spool_cache_take(c, "m2", &out), 0);
	assert_int_equal(spool_cache_take(c, "m1", &out), 1);
	assert_ptr_equal(out.p, p); /* moved, not copied */
	assert_int_equal(out.len, 1000);
	assert_int_equal(out.p[999], 'a');
	buf_fini(&out);
	/* Taken: gone. */
	assert_int_equal(spool_cache_take(c, "m1", &out), 0);
	spool_cache_stats(c, &st);
	assert_int_equal(st.hits, 1);
	assert_int_equal(st.misses, 2);
	assert_int_equal(st.entries, 0);
	assert_int_equal(st.bytes, 0);
	spool_cache_free(c);
}

static void
cache_cap_evicts_oldest_and_refuses_too_big(void **state)
{
	struct spool_cache *c;
	struct buf b, out;
	struct spool_cache_stats st;
	char id[16];
	size_t cap, i;

	(void)state;
	b = body_of(4000, 'z');
	cap = 3 * b.cap + b.cap / 2; /* room for three */
	buf_fini(&b);
	c = spool_cache_new(cap);
	for (i = 0; i < 5; i++) {
		snprintf(id, sizeof(id), "m%zu", i);
		b = body_of(4000, (char)('0' + i));
		assert_int_equal(spool_cache_put(c, id, &b), 1);
	}
	spool_cache_stats(c, &st);
	assert_int_equal(st.entries, 3);
	assert_true(st.bytes <= cap);
	assert_int_equal(st.evicted, 2);
	buf_init(&out);
	assert_int_equal(spool_cache_take(c, "m0", &out), 0);
	assert_int_equal(spool_cache_take(c, "m1", &out), 0);
	assert_int_equal(spool_cache_take(c, "m4", &out), 1);
	assert_int_equal(out.p[0], '4');
	buf_fini(&out);
	/* Bigger than the whole cap: refused, the caller keeps it. */
	b = body_of(cap + 1, 'q');
	assert_int_equal(spool_cache_put(c, "big", &b), 0);
	assert_non_null(b.p);
	buf_fini(&b);
	/* The same id again replaces; drop forgets. */
	b = body_of(10, 'r');
	assert_int_equal(spool_cache_put(c, "m2", &b), 1);
	spool_cache_drop(c, "m3");
	assert_int_equal(spool_cache_take(c, "m3", &out), 0);
	assert_int_equal(spool_cache_take(c, "m2", &out), 1);
	assert_int_equal(out.len, 10);
	buf_fini(&out);
	spool_cache_stats(c, &st);
	assert_int_equal(st.entries, 0);
	assert_int_equal(st.bytes, 0);
	assert_int_equal(st.refused, 1);
	spool_cache_free(c);
}

/* Many ids: the table grows and every one is still found. */
static void
cache_many_ids(void **state)
{
	struct spool_cache *c = spool_cache_new(UINT64_MAX / 2);
	struct buf b, out;
	char id[32];
	int i;

	(void)state;
	for (i = 0; i < 3000; i++) {
		snprintf(id, sizeof(id), "id-%d", i);
		b = body_of(8, (char)i);
		assert_int_equal(spool_cache_put(c, id, &b), 1);
	}
	for (i = 2999; i >= 0; i--) {
		snprintf(id, sizeof(id), "id-%d", i);
		buf_init(&out);
		assert_int_equal(spool_cache_take(c, id, &out), 1);
		assert_int_equal(out.p[0], (char)i);
		buf_fini(&out);
	}
	spool_cache_free(c);
}

/* ---- the spool with the hand-off ------------------------------------- */

static struct spool *
open_with(struct spool_test_fx *f, uint64_t handoff)
{
	struct spool_opts o;
	char err[256];

	memset(&o, 0, sizeof(o));
	o.dir = f->dir;
	o.handoff_max = handoff;
	f->sp = spool_open(&o, err, sizeof(err));
	if (f->sp == NULL)
		fail_msg("%s", err);
	assert_int_equal(spool_attach(f->sp, f->base), 0);
	return f->sp;
}

/* fx_new - a fresh directory and loop, the spool not opened yet. */
static struct spool_test_fx *
fx_new(void)
{
	struct spool_test_fx *f = xcalloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/sw-handoff.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->base = event_base_new();
	return f;
}

struct commit_got {
	int done, status;
	char id[ID_SIZE];
};

static void
on_commit(int status, const char *id, void *arg)
{
	struct commit_got *g = arg;

	g->status = status;
	if (id != NULL)
		snprintf(g->id, sizeof(g->id), "%s", id);
	g->done++;
}

/* submit_body - store a message whose body is n bytes derived from seed. */
static void
submit_body(struct spool_test_fx *f, size_t n, int seed)
{
	struct spool_msg_new m = spool_test_msg();
	struct commit_got g;
	size_t i;

	buf_fini(&m.body);
	m.body = body_of(n, 0);
	for (i = 0; i < n; i++)
		m.body.p[i] = (char)('A' + (i * 7 + (size_t)seed) % 26);
	memset(&g, 0, sizeof(g));
	assert_int_equal(spool_msg_submit(f->sp, &m, on_commit, &g), 0);
	spool_test_pump(f->base, &g.done, 1, 10);
	assert_int_equal(g.status, SPOOL_OK);
}

/* claim_check - claim everything; every body is the one stored. */
static void
claim_check(struct spool_test_fx *f, size_t want, size_t n)
{
	struct spool_test_got g;
	size_t i, k;

	memset(&g, 0, sizeof(g));
	assert_int_equal(
	    spool_msg_claim(f->sp, 100, INT64_MAX / 2, spool_test_on_msgs, &g),
	    0);
	spool_test_pump(f->base, &g.done, 1, 10);
	assert_int_equal(g.status, SPOOL_OK);
	assert_int_equal(g.n, want);
	for (i = 0; i < g.n; i++) {
		int seed = -1, s;
		assert_int_equal(g.v[i]->body.len, n);
		/* Oldest first: message i was made with seed i. */
		for (s = 0; s < 26 && seed < 0; s++)
			if (g.v[i]->body.p[0] == (char)('A' + s))
				seed = s;
		assert_int_equal(seed, (int)(i % 26));
		for (k = 0; k < n; k++)
			if (g.v[i]->body.p[k] != (char)('A' + (k * 7 + i) % 26))
				fail_msg("message %zu byte %zu differs", i, k);
		assert_int_equal(g.v[i]->state, SPOOL_STATE_INFLIGHT);
		assert_int_equal(g.v[i]->n_rcpts, 1);
	}
	spool_test_got_fini(&g);
}

static void
spool_claim_body_from_memory(void **state)
{
	struct spool_test_fx *f = fx_new();
	struct spool_counts c;
	int i;

	(void)state;
	open_with(f, 64 << 20);
	for (i = 0; i < 5; i++)
		submit_body(f, 100 * 1024, i);
	spool_counts_get(f->sp, &c);
	assert_true(c.handoff_bytes >= 5 * 100 * 1024);
	claim_check(f, 5, 100 * 1024);
	spool_counts_get(f->sp, &c);
	assert_int_equal(c.handoff_hits, 5);
	assert_int_equal(c.handoff_misses, 0);
	assert_int_equal(c.handoff_bytes, 0);
	spool_test_fx_free(f);
}

/* A cap too small for the bodies, the cache off, and a restart: every
 * claim reads the body from the database, the same bytes. */
static void
spool_claim_body_from_disk(void **state)
{
	struct spool_test_fx *f = fx_new();
	struct spool_counts c;
	int i;

	(void)state;
	open_with(f, 1024);
	for (i = 0; i < 3; i++)
		submit_body(f, 5000, i);
	claim_check(f, 3, 5000);
	spool_counts_get(f->sp, &c);
	assert_int_equal(c.handoff_hits, 0);
	assert_int_equal(c.handoff_misses, 3);
	spool_test_fx_close(f);

	/* The three come back ready; stored with the cache on, read back
	 * after the restart. */
	open_with(f, 64 << 20);
	claim_check(f, 3, 5000);
	spool_counts_get(f->sp, &c);
	assert_int_equal(c.handoff_hits, 0);
	assert_int_equal(c.handoff_misses, 3);
	spool_test_fx_close(f);

	open_with(f, 0);
	claim_check(f, 3, 5000);
	spool_counts_get(f->sp, &c);
	assert_int_equal(c.handoff_hits, 0);
	assert_int_equal(c.handoff_misses, 0);
	spool_test_fx_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(cache_off_is_null_and_noop),
	    cmocka_unit_test(cache_take_moves_once),
	    cmocka_unit_test(cache_cap_evicts_oldest_and_refuses_too_big),
	    cmocka_unit_test(cache_many_ids),
	    cmocka_unit_test(spool_claim_body_from_memory),
	    cmocka_unit_test(spool_claim_body_from_disk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
