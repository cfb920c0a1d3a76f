/*
 * drill_store.c - the SQL of the drills table, on the spool's writer
 * thread. See drill_store.h.
 */
#include "drill/drill_store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/xmalloc.h"
#include "spool/spool.h"

enum store_op {
	STORE_PUT,
	STORE_INTERRUPT,
	STORE_GET,
	STORE_LIST,
	STORE_LOST,
};

struct store_job {
	enum store_op op;
	struct drill_meta m;
	char *report; /* PUT: serialised */
	int64_t now_ms;
	char *reason;
	size_t limit;
	char (*ids)[ID_SIZE];
	size_t n_ids;
	/* out */
	json_t *json;
	struct drill_lost lost;
	/* callbacks */
	drill_store_done_fn *done;
	drill_store_json_fn *jcb;
	drill_store_lost_fn *lcb;
	void *arg;
};

/* store_text - column i as a C string ("" for NULL). */
static const char *
store_text(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s ? (const char *)s : "";
}

/* store_put - insert or replace the row. */
static int
store_put(sqlite3 *db, struct store_job *j)
{
	static const char sql[] =
	    "INSERT OR REPLACE INTO drills (id, name, provider, fault, stream,"
	    " share, started_at, ends_at, ended_at, state, end_reason, report)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return SPOOL_ERR_IO;
	sqlite3_bind_text(st, 1, j->m.id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, j->m.name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, j->m.provider, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, j->m.fault, -1, SQLITE_STATIC);
	if (j->m.stream[0] != '\0')
		sqlite3_bind_text(st, 5, j->m.stream, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 6, j->m.share);
	sqlite3_bind_int64(st, 7, j->m.started_ms);
	sqlite3_bind_int64(st, 8, j->m.ends_ms);
	if (j->m.ended_ms > 0)
		sqlite3_bind_int64(st, 9, j->m.ended_ms);
	sqlite3_bind_text(st, 10, j->m.state, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 11, j->m.reason, -1, SQLITE_STATIC);
	if (j->report != NULL)
		sqlite3_bind_text(st, 12, j->report, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SPOOL_OK : SPOOL_ERR_IO;
}

/* store_report_of - the row's report as JSON, or a bare one. */
static json_t *
store_report_of(sqlite3_stmt *st, int col_report)
{
	json_t *r = NULL;

	if (sqlite3_column_type(st, col_report) != SQLITE_NULL)
		r = json_loads(store_text(st, col_report), 0, NULL);
	if (r == NULL)
		r = json_object();
	return r;
}

/* store_interrupt - running rows become interrupted. */
static int
store_interrupt(sqlite3 *db, struct store_job *j)
{
	static const char sel[] =
	    "SELECT id, report FROM drills WHERE state = 'running'";
	static const char upd[] =
	    "UPDATE drills SET state = 'interrupted', ended_at = ?2,"
	    " end_reason = ?3, report = ?4 WHERE id = ?1";
	sqlite3_stmt *st = NULL, *up = NULL;
	int rc = SPOOL_OK;

	j->json = json_array();
	if (sqlite3_prepare_v2(db, sel, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, upd, -1, &up, NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		return SPOOL_ERR_IO;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *r = store_report_of(st, 1), *notes;
		char when[40], *text;
		clock_wall_text(j->now_ms, when, sizeof(when));
		json_object_set_new(r, "id", json_string(store_text(st, 0)));
		json_object_set_new(r, "state", json_string("interrupted"));
		json_object_set_new(r, "end_reason", json_string(j->reason));
		json_object_set_new(r, "ended_at", json_string(when));
		json_object_set_new(r, "passed", json_false());
		notes = json_object_get(r, "notes");
		if (!json_is_array(notes)) {
			notes = json_array();
			json_object_set_new(r, "notes", notes);
		}
		json_array_append_new(notes, json_string(j->reason));
		text = json_dumps(r, JSON_COMPACT);
		sqlite3_reset(up);
		sqlite3_bind_text(up, 1, store_text(st, 0), -1,
		                  SQLITE_TRANSIENT);
		sqlite3_bind_int64(up, 2, j->now_ms);
		sqlite3_bind_text(up, 3, j->reason, -1, SQLITE_STATIC);
		sqlite3_bind_text(up, 4, text ? text : "{}", -1,
		                  SQLITE_TRANSIENT);
		if (sqlite3_step(up) != SQLITE_DONE)
			rc = SPOOL_ERR_IO;
		free(text);
		json_array_append_new(j->json, r);
	}
	sqlite3_finalize(st);
	sqlite3_finalize(up);
	return rc;
}

/* store_get - one report. */
static int
store_get(sqlite3 *db, struct store_job *j)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db, "SELECT report FROM drills WHERE id = ?1",
	                       -1, &st, NULL) != SQLITE_OK)
		return SPOOL_ERR_IO;
	sqlite3_bind_text(st, 1, j->m.id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		j->json = store_report_of(st, 0);
	sqlite3_finalize(st);
	return j->json ? SPOOL_OK : SPOOL_ERR_NOTFOUND;
}

/* store_list - the last reports, oldest first. */
static int
store_list(sqlite3 *db, struct store_job *j)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db,
	                       "SELECT report FROM (SELECT report, started_at,"
	                       " id FROM drills ORDER BY started_at DESC, id"
	                       " DESC LIMIT ?1) ORDER BY started_at, id",
	                       -1, &st, NULL) != SQLITE_OK)
		return SPOOL_ERR_IO;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)j->limit);
	j->json = json_array();
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(j->json, store_report_of(st, 0));
	sqlite3_finalize(st);
	return SPOOL_OK;
}

/* store_lost - count the touched messages' fates. */
static int
store_lost(sqlite3 *db, struct store_job *j)
{
	sqlite3_stmt *m = NULL, *r = NULL;
	size_t i;

	if (sqlite3_prepare_v2(db, "SELECT state FROM messages WHERE id = ?1",
	                       -1, &m, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
	                       "SELECT count(*) FROM recipients WHERE"
	                       " msg_id = ?1 AND state = 'failed'",
	                       -1, &r, NULL) != SQLITE_OK) {
		sqlite3_finalize(m);
		return SPOOL_ERR_IO;
	}
	for (i = 0; i < j->n_ids; i++) {
		sqlite3_reset(m);
		sqlite3_bind_text(m, 1, j->ids[i], -1, SQLITE_STATIC);
		if (sqlite3_step(m) != SQLITE_ROW)
			j->lost.lost++;
		else if (strcmp(store_text(m, 0), "failed") == 0)
			j->lost.lost++;
		sqlite3_reset(r);
		sqlite3_bind_text(r, 1, j->ids[i], -1, SQLITE_STATIC);
		if (sqlite3_step(r) == SQLITE_ROW)
			j->lost.permanent +=
			    (uint64_t)sqlite3_column_int64(r, 0);
	}
	sqlite3_finalize(m);
	sqlite3_finalize(r);
	j->lost.known = true;
	return SPOOL_OK;
}

/* store_run - spool_exec_fn: the job's SQL. */
static int
store_run(struct sqlite3 *db, void *arg)
{
	struct store_job *j = arg;

	switch (j->op) {
	case STORE_PUT:
		return store_put(db, j);
	case STORE_INTERRUPT:
		return store_interrupt(db, j);
	case STORE_GET:
		return store_get(db, j);
	case STORE_LIST:
		return store_list(db, j);
	case STORE_LOST:
		return store_lost(db, j);
	}
	return SPOOL_ERR_IO;
}

/* store_done - spool_done_fn: answer on the loop, free the job. */
static void
store_done(int status, void *arg)
{
	struct store_job *j = arg;

	if (j->done != NULL)
		j->done(status, j->arg);
	if (j->jcb != NULL) {
		json_t *out = status == SPOOL_OK ? j->json : NULL;
		if (out != NULL)
			j->json = NULL;
		j->jcb(status, out, j->arg);
	}
	if (j->lcb != NULL) {
		struct drill_lost none = {0};
		j->lcb(status, status == SPOOL_OK ? &j->lost : &none, j->arg);
	}
	json_decref(j->json);
	free(j->report);
	free(j->reason);
	free(j->ids);
	free(j);
}

/* store_submit - hand j to the writer. */
static int
store_submit(struct spool *sp, struct store_job *j)
{
	if (spool_exec(sp, store_run, store_done, j) != 0) {
		json_decref(j->json);
		free(j->report);
		free(j->reason);
		free(j->ids);
		free(j);
		return -1;
	}
	return 0;
}

int
drill_store_put(struct spool *sp, const struct drill_meta *m,
                const json_t *report, drill_store_done_fn *cb, void *arg)
{
	struct store_job *j = xcalloc(1, sizeof(*j));

	j->op = STORE_PUT;
	j->m = *m;
	j->report = report ? json_dumps(report, JSON_COMPACT) : NULL;
	j->done = cb;
	j->arg = arg;
	return store_submit(sp, j);
}

int
drill_store_interrupt(struct spool *sp, int64_t now_ms, const char *reason,
                      drill_store_json_fn *cb, void *arg)
{
	struct store_job *j = xcalloc(1, sizeof(*j));

	j->op = STORE_INTERRUPT;
	j->now_ms = now_ms;
	j->reason = xstrdup(reason);
	j->jcb = cb;
	j->arg = arg;
	return store_submit(sp, j);
}

int
drill_store_get(struct spool *sp, const char *id, drill_store_json_fn *cb,
                void *arg)
{
	struct store_job *j = xcalloc(1, sizeof(*j));

	j->op = STORE_GET;
	snprintf(j->m.id, sizeof(j->m.id), "%s", id);
	j->jcb = cb;
	j->arg = arg;
	return store_submit(sp, j);
}

int
drill_store_list(struct spool *sp, size_t limit, drill_store_json_fn *cb,
                 void *arg)
{
	struct store_job *j = xcalloc(1, sizeof(*j));

	j->op = STORE_LIST;
	j->limit = limit;
	j->jcb = cb;
	j->arg = arg;
	return store_submit(sp, j);
}

int
drill_store_lost(struct spool *sp, const char (*ids)[ID_SIZE], size_t n,
                 drill_store_lost_fn *cb, void *arg)
{
	struct store_job *j = xcalloc(1, sizeof(*j));

	j->op = STORE_LOST;
	j->ids = xcalloc(n ? n : 1, sizeof(*j->ids));
	if (n > 0)
		memcpy(j->ids, ids, n * sizeof(*ids));
	j->n_ids = n;
	j->lcb = cb;
	j->arg = arg;
	return store_submit(sp, j);
}
