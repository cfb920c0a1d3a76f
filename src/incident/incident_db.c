/*
 * incident_db.c - incidents in the spool database.
 *
 * Two tables, made when first read (CREATE ... IF NOT EXISTS, so a spool
 * of any schema version takes them, as the suppression list's and the
 * webhooks' tables): incidents, one row per incident, replaced at each
 * change; incident_updates, the timeline, one row per entry, keyed by
 * (incident, arrival number), never changed once written.
 *
 * Loading runs at start on a connection of its own (as
 * suppress_local_load). Saving copies what changed into a job that runs
 * on the spool's writer thread (spool_exec) inside its group commit; the
 * job is the writer's until its callback runs on the loop. A failed
 * commit marks the entries unstored again, and the next change of the
 * incident writes them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core/log.h"
#include "core/xmalloc.h"
#include "incident/incident_int.h"
#include "spool/spool.h"

static const char incident_db_schema[] =
    "CREATE TABLE IF NOT EXISTS incidents ("
    " id TEXT PRIMARY KEY, title TEXT NOT NULL, status TEXT NOT NULL,"
    " impact TEXT NOT NULL, impact_override INTEGER NOT NULL DEFAULT 0,"
    " drill INTEGER NOT NULL DEFAULT 0, started_ms INTEGER NOT NULL,"
    " updated_ms INTEGER NOT NULL, resolved_ms INTEGER NOT NULL DEFAULT 0,"
    " providers TEXT NOT NULL DEFAULT '', streams TEXT NOT NULL DEFAULT '',"
    " report_path TEXT);"
    "CREATE TABLE IF NOT EXISTS incident_updates ("
    " incident_id TEXT NOT NULL, seq INTEGER NOT NULL,"
    " at_ms INTEGER NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL,"
    " status TEXT NOT NULL, public INTEGER NOT NULL DEFAULT 0,"
    " who TEXT NOT NULL DEFAULT 'swerve',"
    " PRIMARY KEY (incident_id, seq)) WITHOUT ROWID;";

/* One timeline entry to write (strings owned). */
struct db_upd {
	uint32_t seq;
	int64_t at_ms;
	char *kind, *text, *status, *who;
	int public_;
};

/* One save: the row and new entries, copied off the loop's memory. */
struct db_job {
	struct incidents *in;
	char id[INCIDENT_ID_SIZE];
	char *title, *status, *impact, *providers, *streams, *report_path;
	int impact_override, drill;
	int64_t started_ms, updated_ms, resolved_ms;
	struct db_upd *u;
	size_t n_u;
};

/* db_join - v[0..n) joined with '\n' (malloc'd). */
static char *
db_join(char *const *v, size_t n)
{
	size_t len = 1, i;
	char *s, *p;

	for (i = 0; i < n; i++)
		len += strlen(v[i]) + 1;
	s = p = xmalloc(len);
	*p = '\0';
	for (i = 0; i < n; i++)
		p += sprintf(p, "%s%s", i ? "\n" : "", v[i]);
	return s;
}

/* db_split - add every '\n'-separated name of s to the set. */
static void
db_split(const char *s, char ***v, size_t *n)
{
	char name[256];

	while (s != NULL && *s != '\0') {
		size_t k = strcspn(s, "\n");

		if (k > 0 && k < sizeof(name)) {
			memcpy(name, s, k);
			name[k] = '\0';
			inc_set_add(v, n, name);
		}
		s += k + (s[k] == '\n');
	}
}

/* db_text - column i, "" for NULL. */
static const char *
db_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t != NULL ? (const char *)t : "";
}

/* db_load_updates - the timeline of c. */
static int
db_load_updates(sqlite3 *db, struct inc *c)
{
	sqlite3_stmt *st = NULL;
	int rc, s;

	if (sqlite3_prepare_v2(db,
	                       "SELECT seq, at_ms, kind, text, status, public,"
	                       " who FROM incident_updates WHERE incident_id"
	                       " = ? ORDER BY at_ms, seq",
	                       -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, c->id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		enum incident_status keep = c->status;
		uint32_t seq = (uint32_t)sqlite3_column_int64(st, 0);

		s = incident_status_parse(db_text(st, 4));
		c->status = s < 0 ? keep : (enum incident_status)s;
		inc_add_update(c, sqlite3_column_int64(st, 1), db_text(st, 2),
		               db_text(st, 6), db_text(st, 3),
		               sqlite3_column_int(st, 5));
		c->status = keep;
		/* inc_add_update appended it last (sorted input). */
		c->seq[c->n_updates - 1] = seq;
		c->stored[c->n_updates - 1] = 1;
		if (seq >= c->next_seq)
			c->next_seq = seq + 1;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
incident_db_load(struct incidents *in, const char *db_path, int64_t now_ms,
                 char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc, v;
	struct inc *c;

	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK)
		goto fail;
	sqlite3_busy_timeout(db, 10000);
	/* Oldest first: inc_new puts each first, so v[] ends newest first. */
	if (sqlite3_exec(db, incident_db_schema, NULL, NULL, NULL) !=
	        SQLITE_OK ||
	    sqlite3_prepare_v2(
	        db,
	        "SELECT id, title, status, impact, impact_override, drill,"
	        " started_ms, updated_ms, resolved_ms, providers, streams,"
	        " report_path FROM incidents WHERE status != 'resolved'"
	        " OR resolved_ms >= ? ORDER BY started_ms, id",
	        -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(st, 1, now_ms - in->o.retention_ms);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		c = inc_new(in, sqlite3_column_int64(st, 6), db_text(st, 1),
		            sqlite3_column_int(st, 5));
		snprintf(c->id, sizeof(c->id), "%s", db_text(st, 0));
		v = incident_status_parse(db_text(st, 2));
		c->status =
		    v < 0 ? INCIDENT_INVESTIGATING : (enum incident_status)v;
		c->identified = c->status != INCIDENT_INVESTIGATING;
		v = incident_impact_parse(db_text(st, 3));
		c->impact = v < 0 ? IMPACT_NONE : (enum incident_impact)v;
		c->impact_override = sqlite3_column_int(st, 4);
		db_split(db_text(st, 9), &c->providers, &c->n_providers);
		db_split(db_text(st, 10), &c->streams, &c->n_streams);
		if (sqlite3_column_type(st, 11) != SQLITE_NULL)
			c->report_path = xstrdup(db_text(st, 11));
		if (db_load_updates(db, c) != 0)
			goto fail;
		c->updated_ms = sqlite3_column_int64(st, 7);
		c->resolved_ms = sqlite3_column_int64(st, 8);
		c->dirty = 0;
		/* Alerts are not kept across a restart: an open incident
		 * resolves after a quiet period unless one fires again. */
		if (c->status != INCIDENT_RESOLVED)
			c->quiet_since = now_ms;
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	sqlite3_close(db);
	return 0;
fail:
	if (err != NULL)
		snprintf(err, errlen, "incidents: %s: %s", db_path,
		         db != NULL ? sqlite3_errmsg(db) : "cannot open");
	sqlite3_finalize(st);
	sqlite3_close(db);
	return -1;
}

/* db_job_free - free j and its copies. */
static void
db_job_free(struct db_job *j)
{
	for (size_t i = 0; i < j->n_u; i++) {
		free(j->u[i].kind);
		free(j->u[i].text);
		free(j->u[i].status);
		free(j->u[i].who);
	}
	free(j->u);
	free(j->title);
	free(j->status);
	free(j->impact);
	free(j->providers);
	free(j->streams);
	free(j->report_path);
	free(j);
}

/* db_exec - write j (writer thread, inside the batch's transaction). */
static int
db_exec(sqlite3 *db, void *arg)
{
	struct db_job *j = arg;
	sqlite3_stmt *st = NULL;
	int ok;

	if (sqlite3_exec(db, incident_db_schema, NULL, NULL, NULL) !=
	        SQLITE_OK ||
	    sqlite3_prepare_v2(
	        db,
	        "INSERT OR REPLACE INTO incidents (id, title, status, impact,"
	        " impact_override, drill, started_ms, updated_ms, resolved_ms,"
	        " providers, streams, report_path)"
	        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	        -1, &st, NULL) != SQLITE_OK)
		return SPOOL_ERR_IO;
	sqlite3_bind_text(st, 1, j->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, j->title, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, j->status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, j->impact, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, j->impact_override);
	sqlite3_bind_int(st, 6, j->drill);
	sqlite3_bind_int64(st, 7, j->started_ms);
	sqlite3_bind_int64(st, 8, j->updated_ms);
	sqlite3_bind_int64(st, 9, j->resolved_ms);
	sqlite3_bind_text(st, 10, j->providers, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 11, j->streams, -1, SQLITE_STATIC);
	if (j->report_path != NULL)
		sqlite3_bind_text(st, 12, j->report_path, -1, SQLITE_STATIC);
	ok = sqlite3_step(st) == SQLITE_DONE;
	sqlite3_finalize(st);
	st = NULL;
	if (!ok || sqlite3_prepare_v2(db,
	                              "INSERT OR REPLACE INTO incident_updates"
	                              " (incident_id, seq, at_ms, kind, text,"
	                              " status, public, who)"
	                              " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
	                              -1, &st, NULL) != SQLITE_OK)
		return SPOOL_ERR_IO;
	for (size_t i = 0; ok && i < j->n_u; i++) {
		const struct db_upd *u = &j->u[i];

		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, j->id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, u->seq);
		sqlite3_bind_int64(st, 3, u->at_ms);
		sqlite3_bind_text(st, 4, u->kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, u->text, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, u->status, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 7, u->public_);
		sqlite3_bind_text(st, 8, u->who, -1, SQLITE_STATIC);
		ok = sqlite3_step(st) == SQLITE_DONE;
	}
	sqlite3_finalize(st);
	return ok ? SPOOL_OK : SPOOL_ERR_IO;
}

/* db_done - the commit ended: on failure, mark the entries unstored. */
static void
db_done(int status, void *arg)
{
	struct db_job *j = arg;
	struct incidents *in = j->in;

	if (status != SPOOL_OK) {
		log_warn("incidents: %s: not stored (%s); kept in memory, "
		         "written with its next change",
		         j->id, spool_status_name(status));
		for (size_t k = 0; k < in->n; k++) {
			struct inc *c = in->v[k];

			if (strcmp(c->id, j->id) != 0)
				continue;
			c->dirty = 1;
			for (size_t i = 0; i < c->n_updates; i++)
				for (size_t u = 0; u < j->n_u; u++)
					if (c->seq[i] == j->u[u].seq)
						c->stored[i] = 0;
		}
	}
	db_job_free(j);
}

void
incident_db_save(struct incidents *in, struct inc *c)
{
	struct db_job *j;
	size_t i;

	if (in->sp == NULL) {
		c->dirty = 0;
		for (i = 0; i < c->n_updates; i++)
			c->stored[i] = 1;
		return;
	}
	j = xcalloc(1, sizeof(*j));
	j->in = in;
	memcpy(j->id, c->id, sizeof(j->id));
	j->title = xstrdup(c->title);
	j->status = xstrdup(incident_status_name(c->status));
	j->impact = xstrdup(incident_impact_name(c->impact));
	j->providers = db_join(c->providers, c->n_providers);
	j->streams = db_join(c->streams, c->n_streams);
	j->report_path = c->report_path ? xstrdup(c->report_path) : NULL;
	j->impact_override = c->impact_override;
	j->drill = c->drill;
	j->started_ms = c->started_ms;
	j->updated_ms = c->updated_ms;
	j->resolved_ms = c->resolved_ms;
	j->u = xcalloc(c->n_updates + 1, sizeof(*j->u));
	for (i = 0; i < c->n_updates; i++) {
		const struct incident_update *u = &c->updates[i];

		if (c->stored[i])
			continue;
		j->u[j->n_u++] = (struct db_upd){
		    .seq = c->seq[i],
		    .at_ms = u->at_ms,
		    .kind = xstrdup(u->kind),
		    .text = xstrdup(u->text),
		    .status = xstrdup(incident_status_name(u->status)),
		    .who = xstrdup(u->who),
		    .public_ = u->public_,
		};
		c->stored[i] = 1;
	}
	c->dirty = 0;
	if (spool_exec(in->sp, db_exec, db_done, j) != 0) {
		/* Closing: what was not written is lost with the process,
		 * as anything after the stop. */
		db_job_free(j);
	}
}
