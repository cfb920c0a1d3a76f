/*
 * suppress_recall.c - soft bounces of the window read back from the
 * spool (see suppress_recall.h). The read runs on the writer through
 * spool_exec(); nothing is written.
 */
#include "spool/suppress_recall.h"

#include <sqlite3.h>
#include <stdlib.h>

#include "core/log.h"
#include "core/xmalloc.h"
#include "spool/spool.h"

struct suppress_recall {
	int64_t since_ms;
	size_t max;
	suppress_recall_fn *cb;
	void *arg;
	int cancelled;
	struct suppress_recall_row *rows;
	size_t n, cap;
};

static const char recall_sql[] =
    "SELECT COALESCE(m.tenant, ''), e.recipient, e.occurred_at"
    " FROM events e JOIN messages m ON m.id = e.msg_id"
    " WHERE e.type = 'soft_bounce' AND e.occurred_at >= ?1"
    " AND e.recipient IS NOT NULL AND e.recipient <> ''"
    " ORDER BY e.occurred_at, e.id LIMIT ?2";

/* recall_read - the query, on the writer thread. */
static int
recall_read(sqlite3 *db, void *arg)
{
	struct suppress_recall *r = arg;
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, recall_sql, -1, &st, NULL) != SQLITE_OK) {
		log_warn("suppression: reading soft bounces back: %s",
		         sqlite3_errmsg(db));
		sqlite3_finalize(st);
		return SPOOL_ERR_IO;
	}
	sqlite3_bind_int64(st, 1, r->since_ms);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)r->max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct suppress_recall_row *row;

		if (r->n == r->cap) {
			r->cap = r->cap ? r->cap * 2 : 64;
			r->rows =
			    xreallocarray(r->rows, r->cap, sizeof(*r->rows));
		}
		row = &r->rows[r->n++];
		row->tenant = xstrdup((const char *)sqlite3_column_text(st, 0));
		row->recipient =
		    xstrdup((const char *)sqlite3_column_text(st, 1));
		row->at_ms = sqlite3_column_int64(st, 2);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		log_warn("suppression: reading soft bounces back: %s",
		         sqlite3_errmsg(db));
		/* A read failing rolls back nothing worth keeping: answer
		 * NOTFOUND so the batch it shares goes on. */
		return SPOOL_ERR_NOTFOUND;
	}
	return SPOOL_OK;
}

/* recall_done - hand the rows over, then free everything. */
static void
recall_done(int status, void *arg)
{
	struct suppress_recall *r = arg;
	size_t i;

	if (!r->cancelled)
		r->cb(status, status == SPOOL_OK ? r->rows : NULL,
		      status == SPOOL_OK ? r->n : 0, r->arg);
	for (i = 0; i < r->n; i++) {
		free(r->rows[i].tenant);
		free(r->rows[i].recipient);
	}
	free(r->rows);
	free(r);
}

struct suppress_recall *
suppress_recall_soft(struct spool *sp, int64_t since_ms, size_t max,
                     suppress_recall_fn *cb, void *arg)
{
	struct suppress_recall *r = xcalloc(1, sizeof(*r));

	r->since_ms = since_ms;
	r->max = max;
	r->cb = cb;
	r->arg = arg;
	if (spool_exec(sp, recall_read, recall_done, r) != 0) {
		free(r);
		return NULL;
	}
	return r;
}

void
suppress_recall_cancel(struct suppress_recall *r)
{
	if (r != NULL)
		r->cancelled = 1;
}
