/*
 * spool_db_fb.c - the SQL of delivery feedback: the events table, the
 * match of an event to a message and recipient, and recipients'
 * outcomes (see spool_feedback_record() in spool.h).
 *
 * Runs on the writer thread inside the batch's transaction, on the
 * connection of spool_db.c (its statements are prepared on first use
 * and finalized with it). The schema and its migration are in
 * spool_db.c with the rest. An event is looked up first by its
 * de-duplication key, so a provider's retry of a request swerve already
 * stored changes nothing; a new event is matched, inserted, and moves
 * the recipient's outcome when it is graver or later than the one kept.
 */
#include "spool/spool_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core/xmalloc.h"
#include "spool/feedback.h"

enum {
	FB_EXISTS,
	FB_MSG,
	FB_RCPT_ADDR,
	FB_RCPT_PMID,
	FB_INSERT,
	FB_OUTCOME_GET,
	FB_OUTCOME_SET,
	FB_HISTORY,
	FB_COUNT,
};

static const char *const spool_db_fb_sql[FB_COUNT] = {
    [FB_EXISTS] = "SELECT 1 FROM events WHERE provider = ?1"
                  " AND event_id = ?2",
    [FB_MSG] = "SELECT tenant, stream, sender FROM messages WHERE id = ?1",
    /* The recipient of message ?1 with address ?2, settled by provider
     * ?3 or by none yet. */
    [FB_RCPT_ADDR] = "SELECT idx FROM recipients WHERE msg_id = ?1"
                     " AND lower(address) = lower(?2)"
                     " AND (provider IS NULL OR provider = ?3)"
                     " ORDER BY idx LIMIT 1",
    /* A recipient provider ?4 settled with message id ?1, ?2 or ?3,
     * the one with address ?5 first. */
    [FB_RCPT_PMID] = "SELECT msg_id, idx, lower(address) = lower(?5)"
                     " FROM recipients"
                     " WHERE provider_msg_id IN (?1, ?2, ?3)"
                     " AND provider = ?4"
                     " ORDER BY 3 DESC, msg_id, idx LIMIT 1",
    [FB_INSERT] = "INSERT INTO events (provider, event_id, type, msg_id,"
                  " rcpt_idx, recipient, provider_msg_id, swerve_id,"
                  " occurred_at, received_at, smtp_code, enhanced,"
                  " provider_type, provider_subtype, diagnostic)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
                  " ?12, ?13, ?14, ?15)",
    [FB_OUTCOME_GET] = "SELECT outcome, outcome_at FROM recipients"
                       " WHERE msg_id = ?1 AND idx = ?2",
    [FB_OUTCOME_SET] = "UPDATE recipients SET outcome = ?3, bounce = ?4,"
                       " outcome_text = ?5, outcome_at = ?6"
                       " WHERE msg_id = ?1 AND idx = ?2",
    [FB_HISTORY] = "SELECT occurred_at, rcpt_idx, provider, event_id, type,"
                   " recipient, smtp_code, enhanced, provider_type,"
                   " provider_subtype, diagnostic FROM events"
                   " WHERE msg_id = ?1 ORDER BY occurred_at, id",
};

struct spool_db_fb {
	sqlite3_stmt *st[FB_COUNT];
};

void
spool_db_fb_free(struct spool_db_fb *fb)
{
	int i;

	if (fb == NULL)
		return;
	for (i = 0; i < FB_COUNT; i++)
		sqlite3_finalize(fb->st[i]);
	free(fb);
}

/* fb_stmts - db's feedback statements, prepared on first use; NULL after
 * logging when they cannot be. */
static struct spool_db_fb *
fb_stmts(struct spool_db *db)
{
	struct spool_db_fb **slot = spool_db_fb_slot(db);
	struct spool_db_fb *fb;
	int i;

	if (*slot != NULL)
		return *slot;
	fb = xcalloc(1, sizeof(*fb));
	for (i = 0; i < FB_COUNT; i++) {
		if (sqlite3_prepare_v3(spool_db_sqlite(db), spool_db_fb_sql[i],
		                       -1, SQLITE_PREPARE_PERSISTENT,
		                       &fb->st[i], NULL) != SQLITE_OK) {
			spool_db_fail(db, "prepare feedback statement");
			spool_db_fb_free(fb);
			return NULL;
		}
	}
	*slot = fb;
	return fb;
}

/* fb_text - bind s, or NULL when s is NULL or "". */
static void
fb_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL || s[0] == '\0')
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

/* fb_exists - is (provider, event_id) stored? 1, 0, or SPOOL_ERR_IO. */
static int
fb_exists(struct spool_db *db, struct spool_db_fb *fb,
          const struct feedback_event *e)
{
	sqlite3_stmt *st = fb->st[FB_EXISTS];
	int rc;

	sqlite3_bind_text(st, 1, e->provider, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, e->event_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : spool_db_fail(db, "feedback lookup");
}

/* fb_domain - a copy of the lower-cased domain of address, or NULL. */
static char *
fb_domain(const char *address)
{
	const char *at = address ? strrchr(address, '@') : NULL;
	char *d, *p;

	if (at == NULL || at[1] == '\0')
		return NULL;
	d = xstrdup(at + 1);
	for (p = d; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return d;
}

/* fb_msg_read - m's tenant, stream and sender domain from message id; 0,
 * SPOOL_ERR_NOTFOUND or SPOOL_ERR_IO. */
static int
fb_msg_read(struct spool_db *db, struct spool_db_fb *fb, const char *id,
            struct spool_fb_match *m)
{
	sqlite3_stmt *st = fb->st[FB_MSG];
	int rc;

	fb_text(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		m->tenant = spool_db_col_dup(st, 0);
		m->stream = spool_db_col_dup(st, 1);
		m->sender_domain =
		    fb_domain((const char *)sqlite3_column_text(st, 2));
		snprintf(m->msg_id, sizeof(m->msg_id), "%s", id);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return SPOOL_OK;
	return rc == SQLITE_DONE ? SPOOL_ERR_NOTFOUND
	                         : spool_db_fail(db, "feedback message");
}

/* fb_by_swerve_id - match e by the swerve id it echoes. */
static int
fb_by_swerve_id(struct spool_db *db, struct spool_db_fb *fb,
                const struct feedback_event *e, struct spool_fb_match *m)
{
	sqlite3_stmt *st = fb->st[FB_RCPT_ADDR];
	int rc;

	if (e->recipient[0] == '\0')
		return SPOOL_ERR_NOTFOUND;
	fb_text(st, 1, e->swerve_id);
	fb_text(st, 2, e->recipient);
	fb_text(st, 3, e->provider);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		m->rcpt_idx = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return SPOOL_ERR_NOTFOUND;
	if (rc != SQLITE_ROW)
		return spool_db_fail(db, "feedback recipient");
	return fb_msg_read(db, fb, e->swerve_id, m);
}

/*
 * fb_by_provider_msg_id - match e by the provider's message id: as
 * given, in <brackets> or without them, and up to the first '.' (a
 * SendGrid sg_message_id is the X-Message-Id swerve kept, a dot, more).
 */
static int
fb_by_provider_msg_id(struct spool_db *db, struct spool_db_fb *fb,
                      const struct feedback_event *e, struct spool_fb_match *m)
{
	sqlite3_stmt *st = fb->st[FB_RCPT_PMID];
	const char *id = e->provider_msg_id;
	char alt[FEEDBACK_MSGID_MAX + 2], head[FEEDBACK_MSGID_MAX];
	size_t len = strlen(id);
	char msg_id[ID_SIZE] = "";
	int rc;

	if (len == 0)
		return SPOOL_ERR_NOTFOUND;
	if (len >= 2 && id[0] == '<' && id[len - 1] == '>')
		snprintf(alt, sizeof(alt), "%.*s", (int)(len - 2), id + 1);
	else
		snprintf(alt, sizeof(alt), "<%s>", id);
	snprintf(head, sizeof(head), "%.*s", (int)strcspn(id, "."), id);
	fb_text(st, 1, id);
	fb_text(st, 2, alt);
	fb_text(st, 3, head);
	fb_text(st, 4, e->provider);
	sqlite3_bind_text(st, 5, e->recipient, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(msg_id, sizeof(msg_id), "%s",
		         (const char *)sqlite3_column_text(st, 0));
		/* Another recipient of the same send: the message only. */
		m->rcpt_idx =
		    sqlite3_column_int(st, 2) ? sqlite3_column_int(st, 1) : -1;
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return SPOOL_ERR_NOTFOUND;
	if (rc != SQLITE_ROW)
		return spool_db_fail(db, "feedback provider message id");
	return fb_msg_read(db, fb, msg_id, m);
}

/* The outcome an event type leads to, and how grave it is. */
static const struct {
	const char *outcome; /* NULL: the event changes no outcome */
	const char *bounce;
	int rank;
} fb_outcomes[FEEDBACK_TYPE_COUNT] = {
    [FEEDBACK_SENT] = {NULL, NULL, 0},
    [FEEDBACK_DELIVERED] = {"delivered", NULL, 2},
    [FEEDBACK_DELAYED] = {"delayed", NULL, 1},
    [FEEDBACK_SOFT_BOUNCE] = {"bounced", "soft", 3},
    [FEEDBACK_HARD_BOUNCE] = {"bounced", "hard", 3},
    [FEEDBACK_COMPLAINT] = {"complained", NULL, 5},
    [FEEDBACK_REJECTED] = {"rejected", NULL, 3},
    [FEEDBACK_UNSUBSCRIBE] = {"unsubscribed", NULL, 4},
    [FEEDBACK_OTHER] = {NULL, NULL, 0},
};

/* fb_rank - how grave a stored outcome is (0: none). */
static int
fb_rank(const char *outcome)
{
	size_t i;

	for (i = 0; outcome != NULL && i < FEEDBACK_TYPE_COUNT; i++)
		if (fb_outcomes[i].outcome != NULL &&
		    strcmp(fb_outcomes[i].outcome, outcome) == 0)
			return fb_outcomes[i].rank;
	return 0;
}

/*
 * fb_outcome - move the matched recipient's outcome to e's when e is
 * graver, or as grave and not older; a delivery later than a bounce
 * kept replaces it too (a soft bounce, then the retry went through).
 */
static int
fb_outcome(struct spool_db *db, struct spool_db_fb *fb,
           const struct feedback_event *e, const struct spool_fb_match *m,
           int64_t at)
{
	sqlite3_stmt *st = fb->st[FB_OUTCOME_GET];
	int cur = 0, rank, rc;
	int64_t cur_at = 0;

	if ((unsigned)e->type >= FEEDBACK_TYPE_COUNT ||
	    fb_outcomes[e->type].outcome == NULL || m->rcpt_idx < 0)
		return SPOOL_OK;
	rank = fb_outcomes[e->type].rank;
	fb_text(st, 1, m->msg_id);
	sqlite3_bind_int(st, 2, m->rcpt_idx);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		cur = fb_rank((const char *)sqlite3_column_text(st, 0));
		cur_at = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return spool_db_fail(db, "feedback outcome");
	if (!(rank > cur || (rank == cur && at >= cur_at) ||
	      (cur == 3 && rank == 2 && at > cur_at)))
		return SPOOL_OK;
	st = fb->st[FB_OUTCOME_SET];
	fb_text(st, 1, m->msg_id);
	sqlite3_bind_int(st, 2, m->rcpt_idx);
	fb_text(st, 3, fb_outcomes[e->type].outcome);
	fb_text(st, 4, fb_outcomes[e->type].bounce);
	fb_text(st, 5, e->diagnostic);
	sqlite3_bind_int64(st, 6, at);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SPOOL_OK
	                         : spool_db_fail(db, "feedback outcome");
}

/* fb_insert - the events row of e with its match m. */
static int
fb_insert(struct spool_db *db, struct spool_db_fb *fb,
          const struct feedback_event *e, const struct spool_fb_match *m,
          int64_t at, int64_t now_ms)
{
	sqlite3_stmt *st = fb->st[FB_INSERT];
	int rc;

	sqlite3_bind_text(st, 1, e->provider, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, e->event_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, feedback_type_name(e->type), -1,
	                  SQLITE_STATIC);
	fb_text(st, 4, m->msg_id);
	if (m->rcpt_idx >= 0)
		sqlite3_bind_int(st, 5, m->rcpt_idx);
	else
		sqlite3_bind_null(st, 5);
	fb_text(st, 6, e->recipient);
	fb_text(st, 7, e->provider_msg_id);
	fb_text(st, 8, e->swerve_id);
	sqlite3_bind_int64(st, 9, at);
	sqlite3_bind_int64(st, 10, now_ms);
	if (e->smtp_code > 0)
		sqlite3_bind_int(st, 11, e->smtp_code);
	else
		sqlite3_bind_null(st, 11);
	fb_text(st, 12, e->enhanced);
	fb_text(st, 13, e->provider_type);
	fb_text(st, 14, e->provider_subtype);
	fb_text(st, 15, e->diagnostic);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SPOOL_OK
	                         : spool_db_fail(db, "feedback store");
}

/* fb_one - store one event (unless a replay) and fill its match. */
static int
fb_one(struct spool_db *db, struct spool_db_fb *fb,
       const struct feedback_event *e, int64_t now_ms, struct spool_fb_match *m)
{
	int64_t at = e->occurred_ms > 0 ? e->occurred_ms : now_ms;
	int rc;

	memset(m, 0, sizeof(*m));
	m->rcpt_idx = -1;
	if ((rc = fb_exists(db, fb, e)) != 0)
		return rc < 0 ? rc : SPOOL_OK;
	m->is_new = 1;
	rc = SPOOL_ERR_NOTFOUND;
	if (e->swerve_id[0] != '\0')
		rc = fb_by_swerve_id(db, fb, e, m);
	if (rc == SPOOL_ERR_NOTFOUND)
		rc = fb_by_provider_msg_id(db, fb, e, m);
	if (rc == SPOOL_ERR_NOTFOUND) {
		/* Unknown ids are kept and counted, not errors. */
		m->msg_id[0] = '\0';
		m->rcpt_idx = -1;
		rc = SPOOL_OK;
	}
	if (rc != SPOOL_OK)
		return rc;
	if ((rc = fb_insert(db, fb, e, m, at, now_ms)) != SPOOL_OK)
		return rc;
	return fb_outcome(db, fb, e, m, at);
}

int
spool_db_fb_record(struct spool_db *db, const struct feedback_event *ev,
                   size_t n, int64_t now_ms, struct spool_fb_match *m)
{
	struct spool_db_fb *fb = fb_stmts(db);
	size_t i;
	int rc;

	if (fb == NULL)
		return SPOOL_ERR_IO;
	for (i = 0; i < n; i++)
		if ((rc = fb_one(db, fb, &ev[i], now_ms, &m[i])) != SPOOL_OK)
			return rc;
	return SPOOL_OK;
}

int
spool_db_fb_history(struct spool_db *db, struct spool_msg *m)
{
	struct spool_db_fb *fb = fb_stmts(db);
	struct spool_fb_row *r;
	sqlite3_stmt *st;
	size_t cap = 0;
	int rc;

	if (fb == NULL)
		return SPOOL_ERR_IO;
	st = fb->st[FB_HISTORY];
	fb_text(st, 1, m->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (m->n_events == cap) {
			cap = cap ? cap * 2 : 4;
			m->events = xreallocarray(m->events, cap, sizeof(*r));
		}
		r = &m->events[m->n_events++];
		r->at_ms = sqlite3_column_int64(st, 0);
		r->rcpt_idx = sqlite3_column_type(st, 1) == SQLITE_NULL
		                  ? -1
		                  : sqlite3_column_int(st, 1);
		r->provider = spool_db_col_dup(st, 2);
		r->event_id = spool_db_col_dup(st, 3);
		r->type = spool_db_col_dup(st, 4);
		r->recipient = spool_db_col_dup(st, 5);
		r->smtp_code = sqlite3_column_int(st, 6);
		r->enhanced = spool_db_col_dup(st, 7);
		r->provider_type = spool_db_col_dup(st, 8);
		r->provider_subtype = spool_db_col_dup(st, 9);
		r->diagnostic = spool_db_col_dup(st, 10);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SPOOL_OK
	                         : spool_db_fail(db, "read feedback events");
}
