/*
 * test_suppress.c - the suppression list: address forms (domain folded,
 * local part folded only for comparison), the in-memory index (put,
 * replace, delete, growth, expiry), the soft-bounce window, the local
 * backend (adds and removes on disk before the set changes, a restart
 * loads them back, lists filter by reason and page), and the feedback
 * listener (hard bounce, complaint, unsubscribe at once; a soft bounce
 * at the third in the window; expiry per reason; no tenant: nothing).
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

#include "config/config.h"
#include "core/xmalloc.h"
#include "observe/events.h"
#include "observe/suppress_feed.h"
#include "spool/feedback.h"
#include "spool/spool.h"
#include "spool/suppress.h"
#include "spool/suppress_csv.h"
#include "spool/suppress_index.h"
#include "spool/suppress_local.h"
#include "spool/suppress_soft.h"
#include "spool_test.h"

#define DAY_MS (86400LL * 1000)

static void
address_forms_fold_domain_keep_local(void **state)
{
	char out[SUPPRESS_ADDR_MAX], k[400];
	(void)state;

	assert_int_equal(
	    suppress_addr_store("Bob@Example.COM", out, sizeof(out)), 0);
	assert_string_equal(out, "Bob@example.com");
	assert_int_equal(suppress_addr_store("<a@b.c>", out, sizeof(out)), 0);
	assert_string_equal(out, "a@b.c");
	assert_int_equal(suppress_addr_store("nobody", out, sizeof(out)), -1);
	assert_int_equal(suppress_addr_store("@x.org", out, sizeof(out)), -1);
	assert_int_equal(suppress_addr_store("a@", out, sizeof(out)), -1);
	assert_int_equal(suppress_addr_store("a b@x.org", out, sizeof(out)),
	                 -1);
	assert_int_equal(
	    suppress_addr_key("web", "Bob@Example.com", false, k, sizeof(k)),
	    (int)strlen("web\nbob@example.com"));
	assert_string_equal(k, "web\nbob@example.com");
	suppress_addr_key("web", "Bob@Example.com", true, k, sizeof(k));
	assert_string_equal(k, "web\nBob@example.com");
	assert_int_equal(suppress_reason_parse("complaint"),
	                 SUPPRESS_COMPLAINT);
	assert_int_equal(suppress_reason_parse("bogus"), -1);
	assert_string_equal(suppress_reason_name(SUPPRESS_IMPORT), "import");
}

static void
index_put_get_delete_and_expiry(void **state)
{
	struct suppress_index *ix = suppress_index_new();
	char k[64];
	int r = -1, i;
	(void)state;

	suppress_index_put(ix, "t\na@b.c", 7, 0, SUPPRESS_COMPLAINT);
	assert_true(suppress_index_get(ix, "t\na@b.c", 7, 1, &r));
	assert_int_equal(r, SUPPRESS_COMPLAINT);
	assert_false(suppress_index_get(ix, "u\na@b.c", 7, 1, NULL));
	/* Replace: the expiry now applies. */
	suppress_index_put(ix, "t\na@b.c", 7, 1000, SUPPRESS_SOFT_BOUNCE);
	assert_int_equal(suppress_index_count(ix), 1);
	assert_true(suppress_index_get(ix, "t\na@b.c", 7, 999, &r));
	assert_int_equal(r, SUPPRESS_SOFT_BOUNCE);
	assert_false(suppress_index_get(ix, "t\na@b.c", 7, 1000, NULL));
	assert_true(suppress_index_del(ix, "t\na@b.c", 7));
	assert_false(suppress_index_del(ix, "t\na@b.c", 7));
	/* Growth and tombstones keep every key findable. */
	for (i = 0; i < 20000; i++) {
		int n = snprintf(k, sizeof(k), "t\nu%d@x.org", i);
		suppress_index_put(ix, k, (size_t)n, 0, SUPPRESS_MANUAL);
		if (i % 3 == 0)
			assert_true(suppress_index_del(ix, k, (size_t)n));
	}
	for (i = 0; i < 20000; i++) {
		int n = snprintf(k, sizeof(k), "t\nu%d@x.org", i);
		assert_int_equal(suppress_index_get(ix, k, (size_t)n, 1, NULL),
		                 i % 3 != 0);
	}
	assert_int_equal(suppress_index_count(ix), 20000 - 6667);
	suppress_index_free(ix);
}

static void
soft_bounce_third_within_window(void **state)
{
	struct suppress_soft *s = suppress_soft_new(3, 7 * DAY_MS);
	(void)state;

	assert_false(suppress_soft_note(s, "k", 0));
	assert_false(suppress_soft_note(s, "k", 1 * DAY_MS));
	/* The first left the window: two within it, not three. */
	assert_false(suppress_soft_note(s, "k", 7 * DAY_MS));
	assert_false(suppress_soft_note(s, "other", 7 * DAY_MS));
	assert_true(suppress_soft_note(s, "k", 7 * DAY_MS + 1));
	/* The history is forgotten once reached. */
	assert_false(suppress_soft_note(s, "k", 7 * DAY_MS + 2));
	suppress_soft_free(s);
}

static void
csv_parses_quotes_defaults_and_header(void **state)
{
	static const char in[] =
	    "address,reason,created,expires,provider\r\n"
	    "Gone@Example.COM,hard_bounce,2026-01-02T03:04:05Z,,ses\r\n"
	    "\n"
	    "\"\"\"b,c\"\"@x.org\",complaint,,2030-01-01T00:00:00Z,"
	    "\"send\"\"grid\"\n"
	    "d@x.org\n";
	struct suppress_entry *e;
	size_t n;
	char err[512];
	struct buf b;
	(void)state;

	assert_int_equal(
	    suppress_csv_parse(in, strlen(in), 7000, &e, &n, err, sizeof(err)),
	    0);
	assert_int_equal(n, 3);
	assert_string_equal(e[0].address, "Gone@example.com");
	assert_int_equal(e[0].reason, SUPPRESS_HARD_BOUNCE);
	assert_int_equal(e[0].created_ms, 1767323045000LL);
	assert_int_equal(e[0].expires_ms, 0);
	assert_string_equal(e[0].provider, "ses");
	assert_string_equal(e[1].address, "\"b,c\"@x.org");
	assert_int_equal(e[1].created_ms, 7000);
	assert_int_equal(e[1].expires_ms, 1893456000000LL);
	assert_string_equal(e[1].provider, "send\"grid");
	assert_int_equal(e[2].reason, SUPPRESS_IMPORT);
	/* Written out and read back: the same entries. */
	buf_init(&b);
	suppress_csv_header(&b);
	for (size_t i = 0; i < n; i++)
		suppress_csv_row(&b, &e[i]);
	buf_addch(&b, '\0');
	assert_string_equal(
	    b.p, "address,reason,created,expires,provider\n"
	         "Gone@example.com,hard_bounce,2026-01-02T03:04:05Z,,ses\n"
	         "\"\"\"b,c\"\"@x.org\",complaint,1970-01-01T00:00:07Z,"
	         "2030-01-01T00:00:00Z,\"send\"\"grid\"\n"
	         "d@x.org,import,1970-01-01T00:00:07Z,,\n");
	buf_fini(&b);
	free(e);
}

static void
csv_refuses_malformed_rows_with_line_numbers(void **state)
{
	static const char in[] = "a@b.c,manual\n"
	                         "nobody,manual\n"
	                         "c@d.e,bounce\n"
	                         "e@f.g,manual,yesterday\n"
	                         "h@i.j,manual,2026-01-02T00:00:00Z,"
	                         "2026-01-01T00:00:00Z\n"
	                         "k@l.m,manual,,,p,extra\n"
	                         "\"open@x.org,manual\n";
	struct suppress_entry *e = (struct suppress_entry *)1;
	size_t n = 9;
	char err[1024];
	(void)state;

	assert_int_equal(
	    suppress_csv_parse(in, strlen(in), 1, &e, &n, err, sizeof(err)),
	    -1);
	assert_null(e);
	assert_int_equal(n, 0);
	assert_string_equal(
	    err, "line 2: address: expected local@domain; "
	         "line 3: reason: unknown 'bounce'; "
	         "line 4: created: expected an RFC 3339 date-time; "
	         "line 5: expires: not after created; "
	         "line 6: more than 5 fields; line 7: an unterminated quote");
	/* A NUL in the input is malformed, not an early end. */
	assert_int_equal(
	    suppress_csv_parse("a@b.c\0,x\n", 9, 1, &e, &n, err, sizeof(err)),
	    -1);
	assert_string_equal(err, "line 1: a NUL or a bare CR");
}

struct fx {
	char dir[64];
	char db[96];
	struct event_base *base;
	struct spool *sp;
	struct suppress *s;
	int done, status;
	size_t n;
	struct suppress_entry got[8];
};

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
	f->s = suppress_local_new(f->sp, false);
	if (suppress_local_load(f->s, f->db, err, sizeof(err)) != 0)
		fail_msg("%s", err);
}

static void
fx_close(struct fx *f)
{
	spool_close(f->sp);
	suppress_free(f->s);
	f->sp = NULL;
	f->s = NULL;
}

static int
fx_setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_suppress.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db, sizeof(f->db), "%s/spool.db", f->dir);
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

static void
on_done(int status, size_t n, void *arg)
{
	struct fx *f = arg;

	f->done++;
	f->status = status;
	f->n = n;
}

static void
on_entries(int status, const struct suppress_entry *e, size_t n, void *arg)
{
	struct fx *f = arg;

	f->done++;
	f->status = status;
	f->n = n;
	if (n > 0)
		memcpy(f->got, e, (n < 8 ? n : 8) * sizeof(*e));
}

static struct suppress_entry
entry(const char *tenant, const char *addr, enum suppress_reason r,
      int64_t expires)
{
	struct suppress_entry e;

	memset(&e, 0, sizeof(e));
	snprintf(e.tenant, sizeof(e.tenant), "%s", tenant);
	snprintf(e.address, sizeof(e.address), "%s", addr);
	e.reason = r;
	snprintf(e.provider, sizeof(e.provider), "ses");
	e.created_ms = 1000;
	e.expires_ms = expires;
	snprintf(e.diagnostic, sizeof(e.diagnostic), "550 5.1.1 unknown");
	return e;
}

static void
add(struct fx *f, const struct suppress_entry *e, size_t n)
{
	int want = f->done + 1;

	assert_int_equal(f->s->be->add(f->s->impl, e, n, on_done, f), 0);
	spool_test_pump(f->base, &f->done, want, 10);
	assert_int_equal(f->status, SPOOL_OK);
}

static void
list(struct fx *f, const char *tenant, int reason, const char *after,
     const char *address, size_t limit)
{
	struct suppress_query q = {.tenant = tenant,
	                           .reason = reason,
	                           .after = after,
	                           .address = address,
	                           .limit = limit,
	                           .now_ms = 5000};
	int want = f->done + 1;

	assert_int_equal(f->s->be->list(f->s->impl, &q, on_entries, f), 0);
	spool_test_pump(f->base, &f->done, want, 10);
}

static void
local_store_survives_restart(void **state)
{
	struct fx *f = *state;
	struct suppress_entry e[3] = {
	    entry("web", "Bob@Example.com", SUPPRESS_HARD_BOUNCE, 0),
	    entry("web", "carol@example.com", SUPPRESS_COMPLAINT, 0),
	    entry("shop", "bob@example.com", SUPPRESS_SOFT_BOUNCE, 4000),
	};
	enum suppress_reason why;
	int want;

	assert_false(suppress_check(f->s, "web", "bob@example.com", 1, &why));
	add(f, e, 3);
	assert_int_equal(f->n, 3);
	/* Local part compared without case, per tenant. */
	assert_true(suppress_check(f->s, "web", "BOB@example.COM", 1, &why));
	assert_int_equal(why, SUPPRESS_HARD_BOUNCE);
	assert_false(suppress_check(f->s, "other", "bob@example.com", 1, &why));
	assert_true(
	    suppress_check(f->s, "shop", "bob@example.com", 3999, &why));
	assert_false(
	    suppress_check(f->s, "shop", "bob@example.com", 4000, &why));

	fx_close(f);
	fx_open(f);
	assert_int_equal(f->s->be->count(f->s->impl), 3);
	assert_true(suppress_check(f->s, "web", "bob@example.com", 1, &why));
	assert_true(suppress_check(f->s, "web", "carol@example.com", 1, &why));
	assert_int_equal(why, SUPPRESS_COMPLAINT);

	/* Remove: off disk and out of the set; a second remove: not found. */
	want = f->done + 1;
	assert_int_equal(
	    f->s->be->remove(f->s->impl, "web", "BOB@example.com", on_done, f),
	    0);
	spool_test_pump(f->base, &f->done, want, 10);
	assert_int_equal(f->status, SPOOL_OK);
	assert_false(suppress_check(f->s, "web", "bob@example.com", 1, &why));
	want = f->done + 1;
	assert_int_equal(
	    f->s->be->remove(f->s->impl, "web", "bob@example.com", on_done, f),
	    0);
	spool_test_pump(f->base, &f->done, want, 10);
	assert_int_equal(f->status, SPOOL_ERR_NOTFOUND);
	fx_close(f);
	fx_open(f);
	assert_false(suppress_check(f->s, "web", "bob@example.com", 1, &why));
	assert_int_equal(f->s->be->count(f->s->impl), 2);
}

static void
local_list_filters_pages_and_hides_expired(void **state)
{
	struct fx *f = *state;
	struct suppress_entry e[4] = {
	    entry("web", "a@x.org", SUPPRESS_HARD_BOUNCE, 0),
	    entry("web", "b@x.org", SUPPRESS_COMPLAINT, 0),
	    entry("web", "c@x.org", SUPPRESS_HARD_BOUNCE, 0),
	    entry("web", "d@x.org", SUPPRESS_SOFT_BOUNCE, 2000),
	};

	add(f, e, 4);
	list(f, "web", -1, NULL, NULL, 10);
	assert_int_equal(f->n, 3); /* d expired at 2000, now is 5000 */
	assert_string_equal(f->got[0].address, "a@x.org");
	assert_string_equal(f->got[0].provider, "ses");
	assert_string_equal(f->got[0].diagnostic, "550 5.1.1 unknown");
	list(f, "web", SUPPRESS_HARD_BOUNCE, NULL, NULL, 10);
	assert_int_equal(f->n, 2);
	assert_string_equal(f->got[1].address, "c@x.org");
	list(f, "web", -1, NULL, NULL, 1);
	assert_int_equal(f->n, 1);
	list(f, "web", -1, "a@x.org", NULL, 1);
	assert_int_equal(f->n, 1);
	assert_string_equal(f->got[0].address, "b@x.org");
	list(f, "web", -1, NULL, "B@X.ORG", 10);
	assert_int_equal(f->n, 1);
	assert_int_equal(f->got[0].reason, SUPPRESS_COMPLAINT);
	list(f, "shop", -1, NULL, NULL, 10);
	assert_int_equal(f->n, 0);
}

static void
emit_fb(struct suppress_feed *feed, const char *tenant, enum feedback_type t,
        const char *rcpt, int64_t at)
{
	struct feedback_event fb;
	struct events_item e;

	memset(&fb, 0, sizeof(fb));
	memset(&e, 0, sizeof(e));
	fb.type = t;
	feedback_set(fb.provider, sizeof(fb.provider), "mg");
	feedback_set(fb.recipient, sizeof(fb.recipient), rcpt);
	feedback_set(fb.diagnostic, sizeof(fb.diagnostic), "mailbox gone");
	e.kind = EVENT_FEEDBACK;
	e.at_ms = at;
	e.tenant = tenant;
	e.provider = "mg";
	e.feedback = &fb;
	suppress_feed_on_event(&e, feed);
}

static void
feedback_adds_per_policy(void **state)
{
	struct fx *f = *state;
	struct config *cfg = config_defaults();
	struct suppress_feed *feed;
	enum suppress_reason why;
	int64_t t0 = 1000LL * DAY_MS;

	cfg->suppress_expire_ms[SUPPRESS_COMPLAINT] = DAY_MS;
	feed = suppress_feed_new(cfg, f->s);
	events_unsubscribe(suppress_feed_on_event, feed);

	emit_fb(feed, "web", FEEDBACK_HARD_BOUNCE, "h@x.org", t0);
	emit_fb(feed, "web", FEEDBACK_COMPLAINT, "c@x.org", t0);
	emit_fb(feed, "web", FEEDBACK_UNSUBSCRIBE, "u@x.org", t0);
	emit_fb(feed, "web", FEEDBACK_DELIVERED, "d@x.org", t0);
	emit_fb(feed, NULL, FEEDBACK_HARD_BOUNCE, "n@x.org", t0);
	for (int i = 0; i < 3; i++)
		emit_fb(feed, "web", FEEDBACK_SOFT_BOUNCE, "s@x.org",
		        t0 + i * DAY_MS);
	emit_fb(feed, "web", FEEDBACK_SOFT_BOUNCE, "s2@x.org", t0);
	emit_fb(feed, "web", FEEDBACK_SOFT_BOUNCE, "s2@x.org", t0 + 8 * DAY_MS);
	assert_int_equal(suppress_feed_added(feed), 4);
	spool_test_pump(f->base, &f->done, 0, 1);
	for (int i = 0; i < 200 && f->s->be->count(f->s->impl) < 4; i++) {
		event_base_loop(f->base, EVLOOP_NONBLOCK);
		usleep(5000);
	}
	assert_int_equal(f->s->be->count(f->s->impl), 4);
	assert_true(
	    suppress_check(f->s, "web", "h@x.org", t0 + 999 * DAY_MS, &why));
	assert_int_equal(why, SUPPRESS_HARD_BOUNCE);
	assert_true(suppress_check(f->s, "web", "c@x.org", t0 + 1, &why));
	assert_false(suppress_check(f->s, "web", "c@x.org", t0 + DAY_MS, &why));
	assert_true(suppress_check(f->s, "web", "u@x.org", t0, &why));
	assert_int_equal(why, SUPPRESS_UNSUBSCRIBE);
	assert_true(
	    suppress_check(f->s, "web", "s@x.org", t0 + 2 * DAY_MS, &why));
	assert_int_equal(why, SUPPRESS_SOFT_BOUNCE);
	/* soft_bounce expires after 30 days by default */
	assert_false(
	    suppress_check(f->s, "web", "s@x.org", t0 + 32 * DAY_MS, &why));
	assert_false(suppress_check(f->s, "web", "s2@x.org", t0, &why));
	assert_false(suppress_check(f->s, "web", "d@x.org", t0, &why));
	/* The same report again writes nothing. */
	emit_fb(feed, "web", FEEDBACK_HARD_BOUNCE, "h@x.org", t0 + 5);
	assert_int_equal(suppress_feed_added(feed), 4);
	suppress_feed_free(feed);
	config_free(cfg);
}

/* purge - suppress_purge at now_ms with at most max; waits for it. */
static void
purge(struct fx *f, int64_t now_ms, size_t max)
{
	int want = f->done + 1;

	assert_int_equal(suppress_purge(f->s, now_ms, max, on_done, f), 0);
	spool_test_pump(f->base, &f->done, want, 10);
	assert_int_equal(f->status, SPOOL_OK);
}

static void
local_purge_deletes_only_the_expired_in_batches(void **state)
{
	struct fx *f = *state;
	struct suppress_entry e[4] = {
	    entry("t", "a@example.net", SUPPRESS_HARD_BOUNCE, 2000),
	    entry("t", "B@example.net", SUPPRESS_COMPLAINT, 3000),
	    entry("u", "a@example.net", SUPPRESS_MANUAL, 9000),
	    entry("t", "c@example.net", SUPPRESS_MANUAL, 0),
	};
	enum suppress_reason why;

	add(f, e, 4);
	assert_int_equal(f->s->be->count(f->s->impl), 4);
	/* Nothing has expired at 1999. */
	purge(f, 1999, 100);
	assert_int_equal(f->n, 0);
	/* At 5000 two have; a batch of one takes one, the next the other. */
	purge(f, 5000, 1);
	assert_int_equal(f->n, 1);
	assert_int_equal(f->s->be->count(f->s->impl), 3);
	purge(f, 5000, 100);
	assert_int_equal(f->n, 1);
	assert_int_equal(f->s->be->count(f->s->impl), 2);
	purge(f, 5000, 100);
	assert_int_equal(f->n, 0);
	/* What is left still suppresses; a purged address no longer has a
	 * row, and is not back after a restart. */
	assert_true(suppress_check(f->s, "u", "a@example.net", 5000, &why));
	assert_true(suppress_check(f->s, "t", "c@example.net", 5000, &why));
	assert_false(suppress_check(f->s, "t", "a@example.net", 1000, &why));
	fx_close(f);
	fx_open(f);
	assert_int_equal(f->s->be->count(f->s->impl), 2);
	assert_false(suppress_check(f->s, "t", "b@example.net", 1000, &why));
	assert_true(suppress_check(f->s, "u", "a@example.net", 5000, &why));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(address_forms_fold_domain_keep_local),
	    cmocka_unit_test(index_put_get_delete_and_expiry),
	    cmocka_unit_test(soft_bounce_third_within_window),
	    cmocka_unit_test(csv_parses_quotes_defaults_and_header),
	    cmocka_unit_test(csv_refuses_malformed_rows_with_line_numbers),
	    cmocka_unit_test_setup_teardown(local_store_survives_restart,
	                                    fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(
	        local_list_filters_pages_and_hides_expired, fx_setup,
	        fx_teardown),
	    cmocka_unit_test_setup_teardown(feedback_adds_per_policy, fx_setup,
	                                    fx_teardown),
	    cmocka_unit_test_setup_teardown(
	        local_purge_deletes_only_the_expired_in_batches, fx_setup,
	        fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
