/*
 * spool_db_wh.c - the SQL of the outbound webhooks' queue (see
 * spool_wh_enqueue() and friends in spool.h).
 *
 * Runs on the writer thread inside the batch's transaction, on the
 * connection of spool_db.c. One row per (event id, URL): the payload as
 * queued, the message's msg_meta copied from messages at insert, when it
 * was queued, when it is next due, how many attempts failed, the last
 * error, and whether it is dead-lettered. The table and its index are
 * made on first use (CREATE ... IF NOT EXISTS), so a spool of any
 * schema version takes it without a migration.
 */
#include "spool/spool_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core/xmalloc.h"

static const char spool_db_wh_schema[] =
    "CREATE TABLE IF NOT EXISTS webhooks ("
    " id TEXT NOT NULL,"
    " url TEXT NOT NULL,"
    " msg_id TEXT,"
    " payload TEXT NOT NULL,"
    " meta TEXT,"
    " created_at INTEGER NOT NULL,"
    " next_at INTEGER NOT NULL,"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " last_error TEXT,"
    " dead INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY (id, url)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS webhooks_due ON webhooks(dead, next_at);";

enum {
	WH_INSERT,
	WH_DUE,
	WH_LEASE,
	WH_NEXT,
	WH_COUNT_Q,
	WH_DELETE,
	WH_RETRY,
	WH_DEAD,
	WH_DEAD_LIST,
	WH_COUNT,
};

#define WH_COLS                                                                \
	"id, url, msg_id, payload, meta, created_at, next_at, attempts,"       \
	" last_error"

static const char *const spool_db_wh_sql[WH_COUNT] = {
    /* A row queued twice (the same event id and URL) is kept once. */
    [WH_INSERT] = "INSERT OR IGNORE INTO webhooks (id, url, msg_id, payload,"
                  " meta, created_at, next_at)"
                  " VALUES (?1, ?2, ?3, ?4,"
                  " (SELECT meta FROM messages WHERE id = ?3), ?5, ?5)",
    [WH_DUE] = "SELECT " WH_COLS " FROM webhooks WHERE dead = 0"
               " AND next_at <= ?1 ORDER BY next_at LIMIT ?2",
    [WH_LEASE] = "UPDATE webhooks SET next_at = ?3 WHERE id = ?1"
                 " AND url = ?2",
    [WH_NEXT] = "SELECT min(next_at) FROM webhooks WHERE dead = 0",
    [WH_COUNT_Q] = "SELECT dead, count(*) FROM webhooks GROUP BY dead",
    [WH_DELETE] = "DELETE FROM webhooks WHERE id = ?1 AND url = ?2",
    [WH_RETRY] = "UPDATE webhooks SET next_at = ?3, attempts = ?4,"
                 " last_error = ?5 WHERE id = ?1 AND url = ?2",
    [WH_DEAD] = "UPDATE webhooks SET dead = 1, attempts = ?4,"
                " last_error = ?5, next_at = ?3 WHERE id = ?1 AND url = ?2",
    [WH_DEAD_LIST] = "SELECT " WH_COLS " FROM webhooks WHERE dead = 1"
                     " ORDER BY next_at DESC LIMIT ?1",
};

struct spool_db_wh {
	sqlite3_stmt *st[WH_COUNT];
};

void
spool_db_wh_free(struct spool_db_wh *wh)
{
	int i;

	if (wh == NULL)
		return;
	for (i = 0; i < WH_COUNT; i++)
		sqlite3_finalize(wh->st[i]);
	free(wh);
}

/* wh_stmts - db's webhook statements (and table), made on first use;
 * NULL after logging when they cannot be. */
static struct spool_db_wh *
wh_stmts(struct spool_db *db)
{
	struct spool_db_wh **slot = spool_db_wh_slot(db);
	struct spool_db_wh *wh;
	int i;

	if (*slot != NULL)
		return *slot;
	if (sqlite3_exec(spool_db_sqlite(db), spool_db_wh_schema, NULL, NULL,
	                 NULL) != SQLITE_OK) {
		spool_db_fail(db, "webhooks table");
		return NULL;
	}
	wh = xcalloc(1, sizeof(*wh));
	for (i = 0; i < WH_COUNT; i++) {
		if (sqlite3_prepare_v3(spool_db_sqlite(db), spool_db_wh_sql[i],
		                       -1, SQLITE_PREPARE_PERSISTENT,
		                       &wh->st[i], NULL) != SQLITE_OK) {
			spool_db_fail(db, "prepare webhook statement");
			spool_db_wh_free(wh);
			return NULL;
		}
	}
	*slot = wh;
	return wh;
}

/* wh_text - bind s, or NULL when s is NULL or "". */
static void
wh_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL || s[0] == '\0')
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

/* wh_done - step a statement that returns no row, then reset it. */
static int
wh_done(struct spool_db *db, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? SPOOL_OK : spool_db_fail(db, what);
}

int
spool_db_wh_insert(struct spool_db *db, const struct spool_wh *w, size_t n,
                   int64_t now_ms)
{
	struct spool_db_wh *wh = wh_stmts(db);
	sqlite3_stmt *st;
	size_t i;
	int rc;

	if (wh == NULL)
		return SPOOL_ERR_IO;
	st = wh->st[WH_INSERT];
	for (i = 0; i < n; i++) {
		sqlite3_bind_text(st, 1, w[i].id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, w[i].url, -1, SQLITE_STATIC);
		wh_text(st, 3, w[i].msg_id);
		sqlite3_bind_text(st, 4, w[i].payload, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 5, now_ms);
		if ((rc = wh_done(db, st, "webhook insert")) != SPOOL_OK)
			return rc;
	}
	return SPOOL_OK;
}

/* wh_col - a copy of text column i, or NULL. */
static char *
wh_col(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s != NULL ? xstrdup((const char *)s) : NULL;
}

/* wh_rows - read the rows st returns into a new array. */
static int
wh_rows(struct spool_db *db, sqlite3_stmt *st, struct spool_wh **out, size_t *n)
{
	struct spool_wh *w = NULL;
	size_t cap = 0, k = 0;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (k == cap) {
			cap = cap ? cap * 2 : 16;
			w = xreallocarray(w, cap, sizeof(*w));
		}
		memset(&w[k], 0, sizeof(w[k]));
		snprintf(w[k].id, sizeof(w[k].id), "%s",
		         (const char *)sqlite3_column_text(st, 0));
		w[k].url = wh_col(st, 1);
		w[k].msg_id = wh_col(st, 2);
		w[k].payload = wh_col(st, 3);
		w[k].meta = wh_col(st, 4);
		w[k].created_at = sqlite3_column_int64(st, 5);
		w[k].next_at = sqlite3_column_int64(st, 6);
		w[k].attempts = (unsigned)sqlite3_column_int(st, 7);
		w[k].last_error = wh_col(st, 8);
		k++;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		spool_wh_free(w, k);
		return spool_db_fail(db, "webhook read");
	}
	*out = w;
	*n = k;
	return SPOOL_OK;
}

/* wh_counts - how many rows are queued and dead, and the next due. */
static int
wh_counts(struct spool_db *db, struct spool_db_wh *wh,
          struct spool_wh_counts *c)
{
	sqlite3_stmt *st = wh->st[WH_COUNT_Q];
	int rc;

	c->queued = c->dead = 0;
	c->next_at = INT64_MAX;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_int(st, 0))
			c->dead = (uint64_t)sqlite3_column_int64(st, 1);
		else
			c->queued = (uint64_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return spool_db_fail(db, "webhook count");
	st = wh->st[WH_NEXT];
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		c->next_at = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? SPOOL_OK : spool_db_fail(db, "webhook next");
}

int
spool_db_wh_claim(struct spool_db *db, int64_t now_ms, int64_t lease_ms,
                  size_t max, struct spool_wh **out, size_t *n,
                  struct spool_wh_counts *c)
{
	struct spool_db_wh *wh = wh_stmts(db);
	sqlite3_stmt *st;
	size_t i;
	int rc;

	*out = NULL;
	*n = 0;
	if (wh == NULL)
		return SPOOL_ERR_IO;
	st = wh->st[WH_DUE];
	sqlite3_bind_int64(st, 1, now_ms);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
	if ((rc = wh_rows(db, st, out, n)) != SPOOL_OK)
		return rc;
	/* Leased: not due again while the attempt runs; after a crash the
	 * lease runs out and the row is sent again, under the same id. */
	st = wh->st[WH_LEASE];
	for (i = 0; i < *n; i++) {
		sqlite3_bind_text(st, 1, (*out)[i].id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, (*out)[i].url, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, now_ms + lease_ms);
		if ((rc = wh_done(db, st, "webhook lease")) != SPOOL_OK)
			goto fail;
	}
	if ((rc = wh_counts(db, wh, c)) != SPOOL_OK)
		goto fail;
	return SPOOL_OK;
fail:
	spool_wh_free(*out, *n);
	*out = NULL;
	*n = 0;
	return rc;
}

int
spool_db_wh_settle(struct spool_db *db, const struct spool_wh *w,
                   enum spool_wh_verdict v)
{
	struct spool_db_wh *wh = wh_stmts(db);
	sqlite3_stmt *st;

	if (wh == NULL)
		return SPOOL_ERR_IO;
	st = wh->st[v == SPOOL_WH_DONE    ? WH_DELETE
	            : v == SPOOL_WH_RETRY ? WH_RETRY
	                                  : WH_DEAD];
	sqlite3_bind_text(st, 1, w->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, w->url, -1, SQLITE_STATIC);
	if (v != SPOOL_WH_DONE) {
		sqlite3_bind_int64(st, 3, w->next_at);
		sqlite3_bind_int(st, 4, (int)w->attempts);
		wh_text(st, 5, w->last_error);
	}
	return wh_done(db, st, "webhook settle");
}

int
spool_db_wh_dead(struct spool_db *db, size_t max, struct spool_wh **out,
                 size_t *n, struct spool_wh_counts *c)
{
	struct spool_db_wh *wh = wh_stmts(db);
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	*n = 0;
	if (wh == NULL)
		return SPOOL_ERR_IO;
	st = wh->st[WH_DEAD_LIST];
	sqlite3_bind_int64(st, 1, (sqlite3_int64)max);
	if ((rc = wh_rows(db, st, out, n)) != SPOOL_OK)
		return rc;
	if ((rc = wh_counts(db, wh, c)) != SPOOL_OK) {
		spool_wh_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return rc;
}
