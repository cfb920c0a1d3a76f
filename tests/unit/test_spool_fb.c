/*
 * test_spool_fb.c - delivery feedback in the spool: events are stored
 * once per (provider, event_id) (a replay changes nothing, in the same
 * batch too); matched by swerve id and recipient, else by the provider
 * message id kept at acceptance (as given, with or without brackets, up
 * to its first dot), only among the recipients that provider settled;
 * unknown ids are stored unmatched; the recipient's outcome follows the
 * gravest or latest event; the history comes back with the message,
 * survives a restart; a version 5 spool gains the outcome columns.
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
#include "core/xmalloc.h"
#include "spool/feedback.h"
#include "spool/spool.h"
#include "spool_test.h"

#define fx spool_test_fx
#define fx_open spool_test_fx_open
#define fx_close spool_test_fx_close

static int
fx_setup(void **state)
{
	*state = spool_test_fx_new("test_spool_fb");
	return 0;
}

static int
fx_teardown(void **state)
{
	spool_test_fx_free(*state);
	return 0;
}

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

static void
on_done(int status, void *arg)
{
	struct sub *r = arg;

	r->done = 1;
	r->status = status;
}

/* sent - store a message from a@Example.COM to two recipients, sent by
 * provider with provider message id pmid; its id into id. */
static void
sent(struct fx *f, const char *provider, const char *pmid, char id[ID_SIZE])
{
	struct spool_msg_new m = spool_test_msg();
	struct spool_rcpt_result rr[2];
	struct spool_outcome o;
	struct sub r = {0};

	free(m.sender);
	m.sender = xstrdup("a@Example.COM");
	m.tenant = xstrdup("web");
	m.stream = xstrdup("bulk");
	m.rcpts = xreallocarray(m.rcpts, 2, sizeof(char *));
	m.rcpts[1] = xstrdup("C@Example.org");
	m.n_rcpts = 2;
	assert_int_equal(spool_msg_submit(f->sp, &m, on_commit, &r), 0);
	spool_test_pump(f->base, &r.done, 1, 10);
	assert_int_equal(r.status, SPOOL_OK);
	snprintf(id, ID_SIZE, "%s", r.id);
	memset(rr, 0, sizeof(rr));
	rr[0] = (struct spool_rcpt_result){0, SPOOL_RCPT_SENT, "250 ok", pmid};
	rr[1] = (struct spool_rcpt_result){1, SPOOL_RCPT_SENT, "250 ok", pmid};
	memset(&o, 0, sizeof(o));
	o.id = id;
	o.provider = provider;
	o.result = "accepted";
	o.at_ms = 1000;
	o.rcpts = rr;
	o.n_rcpts = 2;
	o.next_state = SPOOL_STATE_SENT;
	r.done = 0;
	assert_int_equal(spool_msg_outcome(f->sp, &o, on_done, &r), 0);
	spool_test_pump(f->base, &r.done, 1, 10);
	assert_int_equal(r.status, SPOOL_OK);
}

/* ev - one event. */
static struct feedback_event
ev(const char *provider, const char *event_id, enum feedback_type t,
   const char *pmid, const char *swerve_id, const char *rcpt, int64_t at)
{
	struct feedback_event e;

	memset(&e, 0, sizeof(e));
	e.type = t;
	feedback_set(e.provider, sizeof(e.provider), provider);
	feedback_set(e.event_id, sizeof(e.event_id), event_id);
	feedback_set(e.provider_msg_id, sizeof(e.provider_msg_id), pmid);
	feedback_set(e.swerve_id, sizeof(e.swerve_id), swerve_id);
	feedback_set(e.recipient, sizeof(e.recipient), rcpt);
	feedback_set(e.diagnostic, sizeof(e.diagnostic), event_id);
	e.occurred_ms = at;
	return e;
}

/* What a record answered: copies of the matches. */
struct rec {
	int done, status;
	size_t n;
	struct spool_fb_match m[8];
	char tenant[8][32], stream[8][32], domain[8][64];
};

static void
on_fb(int status, const struct feedback_event *e,
      const struct spool_fb_match *m, size_t n, void *arg)
{
	struct rec *r = arg;
	size_t i;

	(void)e;
	r->done = 1;
	r->status = status;
	r->n = n;
	for (i = 0; m != NULL && i < n && i < 8; i++) {
		r->m[i] = m[i];
		snprintf(r->tenant[i], 32, "%s",
		         m[i].tenant ? m[i].tenant : "");
		snprintf(r->stream[i], 32, "%s",
		         m[i].stream ? m[i].stream : "");
		snprintf(r->domain[i], 64, "%s",
		         m[i].sender_domain ? m[i].sender_domain : "");
		r->m[i].tenant = r->m[i].stream = r->m[i].sender_domain = NULL;
	}
}

/* record - store es[0..n) and wait; the answer into r. */
static void
record(struct fx *f, const struct feedback_event *es, size_t n, struct rec *r)
{
	struct feedback_event *copy = xcalloc(n, sizeof(*copy));

	memcpy(copy, es, n * sizeof(*copy));
	memset(r, 0, sizeof(*r));
	assert_int_equal(spool_feedback_record(f->sp, copy, n, 5000, on_fb, r),
	                 0);
	spool_test_pump(f->base, &r->done, 1, 10);
	assert_int_equal(r->status, SPOOL_OK);
	assert_int_equal(r->n, n);
}

static void
get(struct fx *f, const char *id, struct spool_test_got *g)
{
	memset(g, 0, sizeof(*g));
	assert_int_equal(spool_msg_get(f->sp, id, 0, spool_test_on_msg, g), 0);
	spool_test_pump(f->base, &g->done, 1, 10);
	assert_int_equal(g->status, SPOOL_OK);
}

static void
an_event_is_stored_once_and_a_replay_changes_nothing(void **state)
{
	struct fx *f = *state;
	struct feedback_event e[2];
	struct spool_test_got g;
	char id[ID_SIZE];
	struct rec r;

	sent(f, "pm", "PM-1", id);
	e[0] = ev("pm", "ev-1", FEEDBACK_DELIVERED, "PM-1", "", "c@example.org",
	          2000);
	record(f, e, 1, &r);
	assert_int_equal(r.m[0].is_new, 1);
	assert_string_equal(r.m[0].msg_id, id);
	assert_int_equal(r.m[0].rcpt_idx, 1);
	assert_string_equal(r.tenant[0], "web");
	assert_string_equal(r.stream[0], "bulk");
	assert_string_equal(r.domain[0], "example.com");
	/* The provider retries: stored before, nothing new. */
	e[0].type = FEEDBACK_HARD_BOUNCE;
	record(f, e, 1, &r);
	assert_int_equal(r.m[0].is_new, 0);
	assert_string_equal(r.m[0].msg_id, "");
	/* The same key twice in one request: once. */
	e[0] = ev("pm", "ev-2", FEEDBACK_DELAYED, "PM-1", "", "b@example.org",
	          2500);
	e[1] = e[0];
	record(f, e, 2, &r);
	assert_int_equal(r.m[0].is_new, 1);
	assert_int_equal(r.m[1].is_new, 0);
	get(f, id, &g);
	assert_int_equal(g.m->n_events, 2);
	assert_string_equal(g.m->events[0].type, "delivered");
	assert_int_equal(g.m->events[0].rcpt_idx, 1);
	assert_int_equal(g.m->events[0].at_ms, 2000);
	assert_string_equal(g.m->events[1].type, "delayed");
	assert_string_equal(g.m->rcpts[1].outcome, "delivered");
	assert_string_equal(g.m->rcpts[0].outcome, "delayed");
	spool_test_got_fini(&g);
	/* Durable: after a restart too. */
	fx_close(f);
	fx_open(f);
	get(f, id, &g);
	assert_int_equal(g.m->n_events, 2);
	assert_string_equal(g.m->rcpts[1].outcome, "delivered");
	spool_test_got_fini(&g);
}

static void
events_match_by_swerve_id_or_the_provider_message_id(void **state)
{
	struct fx *f = *state;
	char a[ID_SIZE], b[ID_SIZE], c[ID_SIZE];
	struct feedback_event e[6];
	struct rec r;

	sent(f, "pm", "PM-1", a);
	sent(f, "mg", "<20240101.1@mg.example.com>", b);
	sent(f, "sg", "SGID14c5", c);
	/* swerve's id and the address (any case). */
	e[0] = ev("pm", "1", FEEDBACK_DELIVERED, "", a, "B@EXAMPLE.org", 0);
	/* Mailgun reports the id without brackets. */
	e[1] = ev("mg", "2", FEEDBACK_DELIVERED, "20240101.1@mg.example.com",
	          "", "b@example.org", 0);
	/* SendGrid's sg_message_id: X-Message-Id, a dot, more. */
	e[2] = ev("sg", "3", FEEDBACK_DELIVERED, "SGID14c5.filter0001.1-2", "",
	          "c@example.org", 0);
	/* Another provider's id is not this provider's to report. */
	e[3] =
	    ev("mg", "4", FEEDBACK_DELIVERED, "PM-1", "", "b@example.org", 0);
	e[4] = ev("mg", "5", FEEDBACK_DELIVERED, "", a, "b@example.org", 0);
	/* Unknown: stored, unmatched. */
	e[5] =
	    ev("pm", "6", FEEDBACK_DELIVERED, "nope", "", "x@example.org", 0);
	record(f, e, 6, &r);
	assert_string_equal(r.m[0].msg_id, a);
	assert_int_equal(r.m[0].rcpt_idx, 0);
	assert_string_equal(r.m[1].msg_id, b);
	assert_int_equal(r.m[1].rcpt_idx, 0);
	assert_string_equal(r.m[2].msg_id, c);
	assert_int_equal(r.m[2].rcpt_idx, 1);
	assert_string_equal(r.m[3].msg_id, "");
	assert_string_equal(r.m[4].msg_id, "");
	assert_string_equal(r.m[5].msg_id, "");
	assert_int_equal(r.m[5].is_new, 1);
	assert_null(r.m[5].tenant);
	/* A provider id of the send, another address: the message only. */
	e[0] =
	    ev("pm", "7", FEEDBACK_DELIVERED, "PM-1", "", "z@example.org", 0);
	record(f, e, 1, &r);
	assert_string_equal(r.m[0].msg_id, a);
	assert_int_equal(r.m[0].rcpt_idx, -1);
}

/* outcome_of - recipient i's outcome and bounce kind as "o/b". */
static void
outcome_of(struct fx *f, const char *id, size_t i, char *out, size_t n)
{
	struct spool_test_got g;

	get(f, id, &g);
	snprintf(out, n, "%s/%s",
	         g.m->rcpts[i].outcome ? g.m->rcpts[i].outcome : "-",
	         g.m->rcpts[i].bounce ? g.m->rcpts[i].bounce : "-");
	spool_test_got_fini(&g);
}

static void
the_outcome_follows_the_gravest_or_latest_event(void **state)
{
	static const struct {
		enum feedback_type t;
		int64_t at;
		const char *want;
	} steps[] = {
	    {FEEDBACK_SENT, 100, "-/-"},
	    {FEEDBACK_DELAYED, 200, "delayed/-"},
	    {FEEDBACK_DELIVERED, 150, "delivered/-"},
	    {FEEDBACK_DELAYED, 300, "delivered/-"},
	    {FEEDBACK_SOFT_BOUNCE, 400, "bounced/soft"},
	    {FEEDBACK_DELIVERED, 350, "bounced/soft"},
	    {FEEDBACK_DELIVERED, 500, "delivered/-"},
	    {FEEDBACK_HARD_BOUNCE, 600, "bounced/hard"},
	    {FEEDBACK_OTHER, 700, "bounced/hard"},
	    {FEEDBACK_COMPLAINT, 50, "complained/-"},
	    {FEEDBACK_UNSUBSCRIBE, 900, "complained/-"},
	};
	struct fx *f = *state;
	struct feedback_event e;
	char id[ID_SIZE], key[16], got[64];
	struct rec r;
	size_t i;

	sent(f, "pm", "PM-9", id);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		snprintf(key, sizeof(key), "k%zu", i);
		e = ev("pm", key, steps[i].t, "PM-9", "", "b@example.org",
		       steps[i].at);
		record(f, &e, 1, &r);
		outcome_of(f, id, 0, got, sizeof(got));
		if (strcmp(got, steps[i].want) != 0)
			fail_msg("step %zu: %s, wanted %s", i, got,
			         steps[i].want);
	}
}

/* A version 5 spool: this build's schema without what version 6 added. */
static void
version_5_spool_gains_outcomes_and_events(void **state)
{
	struct fx *f = *state;
	char path[128], id[ID_SIZE];
	struct feedback_event e;
	struct spool_test_got g;
	sqlite3 *db = NULL;
	struct rec r;

	sent(f, "pm", "PM-5", id);
	fx_close(f);
	snprintf(path, sizeof(path), "%s/spool.db", f->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
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

	fx_open(f);
	get(f, id, &g);
	assert_null(g.m->rcpts[0].outcome);
	assert_string_equal(g.m->rcpts[0].provider_msg_id, "PM-5");
	spool_test_got_fini(&g);
	e = ev("pm", "m1", FEEDBACK_HARD_BOUNCE, "PM-5", "", "b@example.org",
	       10);
	record(f, &e, 1, &r);
	assert_string_equal(r.m[0].msg_id, id);
	get(f, id, &g);
	assert_string_equal(g.m->rcpts[0].outcome, "bounced");
	assert_string_equal(g.m->rcpts[0].bounce, "hard");
	assert_string_equal(g.m->rcpts[0].outcome_text, "m1");
	assert_int_equal(g.m->n_events, 1);
	spool_test_got_fini(&g);
	fx_close(f);
	assert_int_equal(spool_test_user_version(path), 9);
	fx_open(f);
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
	    T(an_event_is_stored_once_and_a_replay_changes_nothing),
	    T(events_match_by_swerve_id_or_the_provider_message_id),
	    T(the_outcome_follows_the_gravest_or_latest_event),
	    T(version_5_spool_gains_outcomes_and_events),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
