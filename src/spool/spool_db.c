/*
 * spool_db.c - the spool's SQL: schema, prepared statements, row I/O.
 *
 * Everything that knows table and column names lives here; spool.c only
 * knows transactions and jobs. Statements are prepared once per
 * connection and reset after each use. States are stored by name
 * ("ready", ...) so that `sqlite3 spool.db` reads plainly. Times are
 * milliseconds since the epoch. This file does not decide anything about
 * delivery: deliver passes the next state in a struct spool_outcome.
 */
#include "spool/spool_db.h"
#include "spool/spool_cache.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core/log.h"
#include "core/xmalloc.h"
#include "spool/msg_meta.h"

#define SPOOL_SCHEMA_VERSION 9
#define SPOOL_LIST_MAX 1000

static const char spool_db_schema[] =
    "CREATE TABLE IF NOT EXISTS messages ("
    " id TEXT PRIMARY KEY,"
    " state TEXT NOT NULL,"
    " sender TEXT NOT NULL,"
    " tenant TEXT,"
    " client TEXT,"
    " stream TEXT NOT NULL,"
    " size INTEGER NOT NULL,"
    " created_at INTEGER NOT NULL,"
    " next_attempt_at INTEGER NOT NULL,"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " last_error TEXT,"
    " idempotency_key TEXT,"
    " idempotency_hash TEXT,"
    " meta TEXT);"
    /*
     * Bodies live apart from the row that changes at every attempt:
     * SQLite rewrites a whole row on UPDATE, overflow pages included, so
     * a body in `messages` would be written again at each state change.
     */
    "CREATE TABLE IF NOT EXISTS bodies ("
    " id TEXT PRIMARY KEY,"
    " body BLOB NOT NULL);"
    "CREATE INDEX IF NOT EXISTS messages_claim"
    " ON messages(state, next_attempt_at);"
    "CREATE INDEX IF NOT EXISTS messages_idempotency"
    " ON messages(tenant, idempotency_key)"
    " WHERE idempotency_key IS NOT NULL;"
    "CREATE TABLE IF NOT EXISTS recipients ("
    " msg_id TEXT NOT NULL,"
    " idx INTEGER NOT NULL,"
    " address TEXT NOT NULL,"
    " state TEXT NOT NULL DEFAULT 'pending',"
    " last_reply TEXT,"
    " provider TEXT,"
    " provider_msg_id TEXT,"
    " outcome TEXT,"
    " bounce TEXT,"
    " outcome_text TEXT,"
    " outcome_at INTEGER,"
    " PRIMARY KEY (msg_id, idx)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS attempts ("
    " id INTEGER PRIMARY KEY,"
    " msg_id TEXT NOT NULL,"
    " at INTEGER NOT NULL,"
    " provider TEXT NOT NULL,"
    " result TEXT NOT NULL,"
    " reply TEXT,"
    " duration_ms INTEGER NOT NULL,"
    " trace TEXT);"
    "CREATE INDEX IF NOT EXISTS attempts_msg ON attempts(msg_id, id);"
    "CREATE INDEX IF NOT EXISTS messages_claim_stream"
    " ON messages(state, stream, next_attempt_at);"
    /* What providers reported later (spool_db_fb.c); UNIQUE is the
     * de-duplication of their retries. */
    "CREATE TABLE IF NOT EXISTS events ("
    " id INTEGER PRIMARY KEY,"
    " provider TEXT NOT NULL,"
    " event_id TEXT NOT NULL,"
    " type TEXT NOT NULL,"
    " msg_id TEXT,"
    " rcpt_idx INTEGER,"
    " recipient TEXT,"
    " provider_msg_id TEXT,"
    " swerve_id TEXT,"
    " occurred_at INTEGER NOT NULL,"
    " received_at INTEGER NOT NULL,"
    " smtp_code INTEGER,"
    " enhanced TEXT,"
    " provider_type TEXT,"
    " provider_subtype TEXT,"
    " diagnostic TEXT,"
    " UNIQUE (provider, event_id));"
    "CREATE INDEX IF NOT EXISTS events_msg ON events(msg_id, occurred_at)"
    " WHERE msg_id IS NOT NULL;"
    "CREATE INDEX IF NOT EXISTS recipients_provider_msg_id"
    " ON recipients(provider_msg_id) WHERE provider_msg_id IS NOT NULL;"
    /* A tenant's templates, every version (tmpl/tmpl_store_local.c). */
    "CREATE TABLE IF NOT EXISTS templates ("
    " tenant TEXT NOT NULL,"
    " name TEXT NOT NULL,"
    " version INTEGER NOT NULL,"
    " active INTEGER NOT NULL DEFAULT 0,"
    " dialect TEXT NOT NULL,"
    " subject TEXT,"
    " html TEXT,"
    " text TEXT,"
    " created_ms INTEGER NOT NULL,"
    " meta TEXT,"
    " UNIQUE (tenant, name, version));"
    "CREATE INDEX IF NOT EXISTS templates_active"
    " ON templates(tenant, active, name);"
    /* Version 8: outage drills (drill/drill_store.c). A drill that was
     * running when the process stopped is found at the next start. */
    "CREATE TABLE IF NOT EXISTS drills ("
    " id TEXT PRIMARY KEY,"
    " name TEXT,"
    " provider TEXT NOT NULL,"
    " fault TEXT NOT NULL,"
    " stream TEXT,"
    " share REAL NOT NULL,"
    " started_at INTEGER NOT NULL,"
    " ends_at INTEGER NOT NULL,"
    " ended_at INTEGER,"
    " state TEXT NOT NULL,"
    " end_reason TEXT,"
    " report TEXT);";

/* Version 7 keeps tenants' templates, version 8 outage drills: tables of
 * the schema above (an older spool gets them from its IF NOT EXISTS).
 * Version 9 keeps what an ESP's template API says beside a template's
 * parts (templates.meta; spool_db_migrate_8). */
/* Version 6 keeps what providers report after acceptance: recipients'
 * outcomes here (spool_db_migrate_5), the events table and its indexes
 * in the schema. */
static const char *const spool_db_migrate_5_cols[] = {
    "outcome TEXT", "bounce TEXT", "outcome_text TEXT", "outcome_at INTEGER"};

/* Version 5 keeps what the caller asked besides the bytes (msg_meta). */
static const char spool_db_migrate_4[] =
    "ALTER TABLE messages ADD COLUMN meta TEXT;";

/* Version 4 keeps a payload digest beside the idempotency key. */
static const char spool_db_migrate_3[] =
    "ALTER TABLE messages ADD COLUMN idempotency_hash TEXT;";

/* Version 3 records why each provider was chosen (the router's trace). */
static const char spool_db_migrate_2[] =
    "ALTER TABLE attempts ADD COLUMN trace TEXT;";

/* Version 1 kept the body in messages; move it out (SQLite >= 3.35). */
static const char spool_db_migrate_1[] =
    "CREATE TABLE bodies (id TEXT PRIMARY KEY, body BLOB NOT NULL);"
    "INSERT INTO bodies (id, body) SELECT id, body FROM messages;"
    "ALTER TABLE messages DROP COLUMN body;";

#define MSG_COLS                                                               \
	"id, state, sender, tenant, client, stream, size, created_at,"         \
	" next_attempt_at, attempts, idempotency_key, last_error, meta"

enum {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_MSG_INSERT,
	ST_BODY_INSERT,
	ST_RCPT_INSERT,
	ST_MSG_GET,
	ST_RCPT_GET,
	ST_ATT_GET,
	ST_LIST,
	ST_CLAIM_SELECT,
	ST_CLAIM_STREAM,
	ST_STATE_GET,
	ST_STATE_SET,
	ST_OUTCOME_MSG,
	ST_ATT_INSERT,
	ST_RCPT_SET,
	ST_IDEM_FIND,
	ST_PURGE_SELECT,
	ST_PURGE_MSG,
	ST_PURGE_RCPTS,
	ST_PURGE_ATTS,
	ST_PURGE_EVENTS,
	ST_PURGE_BODY,
	ST_NEXT_DUE,
	ST_META_SET,
	ST_BRIEF,
	ST_COUNT,
};

static const char *const spool_db_sql[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_MSG_INSERT] = "INSERT INTO messages (id, state, sender, tenant,"
                      " client, stream, size, created_at, next_attempt_at,"
                      " idempotency_key, idempotency_hash, meta)"
                      " VALUES (?1, ?11, ?2, ?3, ?4, ?5, ?6, ?7, ?12,"
                      " ?8, ?9, ?10)",
    [ST_BODY_INSERT] = "INSERT INTO bodies (id, body) VALUES (?1, ?2)",
    [ST_RCPT_INSERT] = "INSERT INTO recipients (msg_id, idx, address)"
                       " VALUES (?1, ?2, ?3)",
    [ST_MSG_GET] = "SELECT " MSG_COLS ", CASE WHEN ?2 THEN"
                   " (SELECT body FROM bodies b WHERE b.id = ?1) END"
                   " FROM messages WHERE id = ?1",
    [ST_RCPT_GET] = "SELECT address, state, last_reply, provider,"
                    " provider_msg_id, outcome, bounce, outcome_text,"
                    " outcome_at FROM recipients WHERE msg_id = ?1"
                    " ORDER BY idx",
    [ST_ATT_GET] = "SELECT at, provider, result, reply, duration_ms, trace"
                   " FROM attempts WHERE msg_id = ?1 ORDER BY id",
    [ST_LIST] = "SELECT " MSG_COLS ", (SELECT count(*) FROM recipients r"
                " WHERE r.msg_id = m.id) FROM messages m"
                " WHERE id > ?1 AND (?2 IS NULL OR state = ?2)"
                " AND (?4 IS NULL OR tenant = ?4)"
                " ORDER BY id LIMIT ?3",
    /*
     * Each arm walks messages_claim and stops after ?2 rows, so a claim
     * costs O(max) however long the queue is; a plain IN (...) would
     * sort every due message.
     */
    [ST_CLAIM_SELECT] = "SELECT id, state FROM ("
                        " SELECT * FROM (SELECT id, state, next_attempt_at"
                        "  FROM messages WHERE state = 'ready'"
                        "  AND next_attempt_at <= ?1"
                        "  ORDER BY next_attempt_at LIMIT ?2)"
                        " UNION ALL"
                        " SELECT * FROM (SELECT id, state, next_attempt_at"
                        "  FROM messages WHERE state = 'deferred'"
                        "  AND next_attempt_at <= ?1"
                        "  ORDER BY next_attempt_at LIMIT ?2)"
                        " UNION ALL"
                        " SELECT * FROM (SELECT id, state, next_attempt_at"
                        "  FROM messages WHERE state = 'scheduled'"
                        "  AND next_attempt_at <= ?1"
                        "  ORDER BY next_attempt_at LIMIT ?2))"
                        " ORDER BY next_attempt_at, id LIMIT ?2",
    /* The same for one stream (?3), on messages_claim_stream. */
    [ST_CLAIM_STREAM] = "SELECT id, state FROM ("
                        " SELECT * FROM (SELECT id, state, next_attempt_at"
                        "  FROM messages WHERE state = 'ready'"
                        "  AND stream = ?3 AND next_attempt_at <= ?1"
                        "  ORDER BY next_attempt_at LIMIT ?2)"
                        " UNION ALL"
                        " SELECT * FROM (SELECT id, state, next_attempt_at"
                        "  FROM messages WHERE state = 'deferred'"
                        "  AND stream = ?3 AND next_attempt_at <= ?1"
                        "  ORDER BY next_attempt_at LIMIT ?2)"
                        " UNION ALL"
                        " SELECT * FROM (SELECT id, state, next_attempt_at"
                        "  FROM messages WHERE state = 'scheduled'"
                        "  AND stream = ?3 AND next_attempt_at <= ?1"
                        "  ORDER BY next_attempt_at LIMIT ?2))"
                        " ORDER BY next_attempt_at, id LIMIT ?2",
    [ST_STATE_GET] = "SELECT state FROM messages WHERE id = ?1",
    [ST_BRIEF] = "SELECT tenant, stream, (SELECT count(*) FROM recipients r"
                 " WHERE r.msg_id = ?1) FROM messages WHERE id = ?1",
    [ST_STATE_SET] = "UPDATE messages SET state = ?2 WHERE id = ?1",
    [ST_OUTCOME_MSG] = "UPDATE messages SET state = ?2,"
                       " next_attempt_at = coalesce(?3, next_attempt_at),"
                       " last_error = ?4, attempts = attempts + ?5"
                       " WHERE id = ?1",
    [ST_ATT_INSERT] = "INSERT INTO attempts (msg_id, at, provider, result,"
                      " reply, duration_ms, trace)"
                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [ST_RCPT_SET] = "UPDATE recipients SET state = ?3, last_reply = ?4,"
                    " provider = coalesce(?5, provider),"
                    " provider_msg_id = ?6 WHERE msg_id = ?1 AND idx = ?2",
    [ST_IDEM_FIND] = "SELECT id, idempotency_hash FROM messages"
                     " WHERE tenant IS ?1"
                     " AND idempotency_key = ?2 ORDER BY id LIMIT 1",
    /* By id, which starts with the creation time: stops after ?2. */
    [ST_PURGE_SELECT] = "SELECT id, state FROM messages WHERE id < ?1"
                        " AND state IN ('sent', 'failed', 'sandboxed',"
                        " 'cancelled')"
                        " ORDER BY id LIMIT ?2",
    [ST_PURGE_MSG] = "DELETE FROM messages WHERE id = ?1",
    [ST_PURGE_RCPTS] = "DELETE FROM recipients WHERE msg_id = ?1",
    [ST_PURGE_ATTS] = "DELETE FROM attempts WHERE msg_id = ?1",
    [ST_PURGE_EVENTS] = "DELETE FROM events WHERE msg_id = ?1",
    [ST_PURGE_BODY] = "DELETE FROM bodies WHERE id = ?1",
    /* Each arm reads one row of messages_claim. */
    [ST_NEXT_DUE] = "SELECT min(t) FROM ("
                    " SELECT * FROM (SELECT next_attempt_at AS t"
                    "  FROM messages WHERE state = 'ready'"
                    "  ORDER BY next_attempt_at LIMIT 1)"
                    " UNION ALL"
                    " SELECT * FROM (SELECT next_attempt_at AS t"
                    "  FROM messages WHERE state = 'deferred'"
                    "  ORDER BY next_attempt_at LIMIT 1)"
                    " UNION ALL"
                    " SELECT * FROM (SELECT next_attempt_at AS t"
                    "  FROM messages WHERE state = 'scheduled'"
                    "  ORDER BY next_attempt_at LIMIT 1))",
    [ST_META_SET] = "UPDATE messages SET meta = ?2 WHERE id = ?1",
};

struct spool_db {
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT];
	struct spool_db_fb *fb; /* spool_db_fb.c's statements, or NULL */
	struct spool_db_wh *wh; /* spool_db_wh.c's statements, or NULL */
	int wal_frames;         /* from the WAL hook, after each commit */
	int last_err;           /* extended code of the last failure logged */
};

static const char *const spool_db_rcpt_states[] = {
    [SPOOL_RCPT_PENDING] = "pending",
    [SPOOL_RCPT_SENT] = "sent",
    [SPOOL_RCPT_FAILED] = "failed",
};

/* spool_state_parse - the state named s, or -1. */
int
spool_state_parse(const char *s)
{
	int i;

	for (i = 0; s != NULL && i < SPOOL_STATE_COUNT; i++)
		if (strcmp(s, spool_state_name(i)) == 0)
			return i;
	return -1;
}

/* rcpt_state_parse - the recipient state named s (unknown = pending). */
static enum spool_rcpt_state
rcpt_state_parse(const char *s)
{
	int i;

	for (i = 0; s != NULL && i <= SPOOL_RCPT_FAILED; i++)
		if (strcmp(s, spool_db_rcpt_states[i]) == 0)
			return i;
	return SPOOL_RCPT_PENDING;
}

/* db_fail - log SQLite's complaint about what and return SPOOL_ERR_IO. */
static int
db_fail(struct spool_db *db, const char *what)
{
	return spool_db_fail(db, what);
}

int
spool_db_fail(struct spool_db *db, const char *what)
{
	db->last_err = sqlite3_extended_errcode(db->db);
	log_warn("spool: %s: %s (sqlite %d)", what, sqlite3_errmsg(db->db),
	         db->last_err);
	return SPOOL_ERR_IO;
}

/* db_done - step a statement that returns no rows, then reset it. */
static int
db_done(struct spool_db *db, int st, const char *what)
{
	int rc;

	rc = sqlite3_step(db->st[st]);
	sqlite3_reset(db->st[st]);
	if (rc != SQLITE_DONE)
		return db_fail(db, what);
	return SPOOL_OK;
}

/* bind_text - bind s (NULL binds NULL); the text must outlive the step. */
static void
bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

/* col_dup - copy a text column, NULL stays NULL. */
static char *
col_dup(sqlite3_stmt *st, int i)
{
	return spool_db_col_dup(st, i);
}

char *
spool_db_col_dup(struct sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s == NULL ? NULL : xstrdup((const char *)s);
}

/* db_wal_hook - remember how long the WAL is after each commit. */
static int
db_wal_hook(void *arg, sqlite3 *conn, const char *name, int frames)
{
	struct spool_db *db = arg;

	db->wal_frames = frames;
	return SQLITE_OK;
}

int
spool_db_msg_next_due(struct spool_db *db, int64_t *at_ms)
{
	sqlite3_stmt *st = db->st[ST_NEXT_DUE];
	int rc;

	*at_ms = INT64_MAX;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		*at_ms = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return db_fail(db, "next due");
	return SPOOL_OK;
}

struct sqlite3 *
spool_db_sqlite(struct spool_db *db)
{
	return db->db;
}

struct spool_db_fb **
spool_db_fb_slot(struct spool_db *db)
{
	return &db->fb;
}

struct spool_db_wh **
spool_db_wh_slot(struct spool_db *db)
{
	return &db->wh;
}

int64_t
spool_db_changes(struct spool_db *db)
{
	return sqlite3_total_changes64(db->db);
}

int
spool_db_damage(struct spool_db *db)
{
	int code = db->last_err;

	db->last_err = 0;
	switch (code & 0xff) {
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return code;
	case SQLITE_IOERR:
		/* A read that fails is the medium; a failed write or fsync
		 * is handled as a transient I/O error (451, retry). */
		return code == SQLITE_IOERR_READ ||
		               code == SQLITE_IOERR_SHORT_READ
		           ? code
		           : 0;
	default:
		return 0;
	}
}

int
spool_db_wal_frames(struct spool_db *db)
{
	return db->wal_frames;
}

int
spool_db_checkpoint_reset(struct spool_db *db)
{
	if (sqlite3_wal_checkpoint_v2(db->db, NULL, SQLITE_CHECKPOINT_TRUNCATE,
	                              NULL, NULL) != SQLITE_OK)
		return db_fail(db, "checkpoint (truncate)");
	return SPOOL_OK;
}

int
spool_db_checkpoint(struct spool_db *db)
{
	int rc;

	rc = sqlite3_wal_checkpoint_v2(db->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
	                               NULL, NULL);
	if (rc != SQLITE_OK && rc != SQLITE_BUSY)
		return db_fail(db, "checkpoint");
	return SPOOL_OK;
}

/* db_prepares - does sql compile on db (a table or column exists)? */
static bool
db_prepares(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	sqlite3_finalize(st);
	return rc == SQLITE_OK;
}

/*
 * spool_db_migrate_5 - the recipients' outcome columns, each added when
 * the table is there without it (a table the schema makes later has
 * them already).
 */
static int
spool_db_migrate_5(sqlite3 *db)
{
	char sql[128];
	size_t i, n;
	int rc;

	if (!db_prepares(db, "SELECT 1 FROM recipients LIMIT 0"))
		return SQLITE_OK;
	for (i = 0; i < sizeof(spool_db_migrate_5_cols) /
	                    sizeof(spool_db_migrate_5_cols[0]);
	     i++) {
		n = strcspn(spool_db_migrate_5_cols[i], " ");
		snprintf(sql, sizeof(sql),
		         "SELECT %.*s FROM recipients LIMIT 0", (int)n,
		         spool_db_migrate_5_cols[i]);
		if (db_prepares(db, sql))
			continue;
		snprintf(sql, sizeof(sql),
		         "ALTER TABLE recipients ADD COLUMN %s",
		         spool_db_migrate_5_cols[i]);
		if ((rc = sqlite3_exec(db, sql, NULL, NULL, NULL)) != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}

/*
 * spool_db_migrate_8 - templates.meta, added when the table is there
 * without it (a table the schema makes later has it already).
 */
static int
spool_db_migrate_8(sqlite3 *db)
{
	if (!db_prepares(db, "SELECT 1 FROM templates LIMIT 0") ||
	    db_prepares(db, "SELECT meta FROM templates LIMIT 0"))
		return SQLITE_OK;
	return sqlite3_exec(db, "ALTER TABLE templates ADD COLUMN meta TEXT",
	                    NULL, NULL, NULL);
}

struct spool_db *
spool_db_open(const char *path, const char *vfs, char *err, size_t errlen)
{
	struct spool_db *db;
	sqlite3_stmt *st = NULL;
	const char *mode;
	int i, rc, version;

	db = xcalloc(1, sizeof(*db));
	rc = sqlite3_open_v2(path, &db->db,
	                     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	                         SQLITE_OPEN_NOMUTEX,
	                     vfs);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "spool: open %s: %s", path,
		         db->db ? sqlite3_errmsg(db->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(db->db, 1);
	sqlite3_busy_timeout(db->db, 5000);
	/* journal_mode answers with the mode it ended up in. */
	if (sqlite3_prepare_v2(db->db, "PRAGMA journal_mode=WAL", -1, &st,
	                       NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		snprintf(err, errlen, "spool: %s: %s", path,
		         sqlite3_errmsg(db->db));
		goto fail;
	}
	mode = (const char *)sqlite3_column_text(st, 0);
	if (mode == NULL || strcmp(mode, "wal") != 0) {
		snprintf(err, errlen, "spool: %s: cannot use WAL (mode %s)",
		         path, mode ? mode : "?");
		goto fail;
	}
	sqlite3_finalize(st);
	st = NULL;
	/*
	 * synchronous=FULL: fsync the WAL at every commit. This connection
	 * does not checkpoint by itself (spool_ckpt.c does, off the commit
	 * path); the WAL file is cut back to 64 MiB when it restarts.
	 */
	if (sqlite3_exec(db->db,
	                 "PRAGMA synchronous=FULL;"
	                 "PRAGMA wal_autocheckpoint=0;"
	                 "PRAGMA journal_size_limit=67108864;"
	                 "PRAGMA cache_size=-16384;"
	                 "PRAGMA temp_store=MEMORY;",
	                 NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "spool: %s: %s", path,
		         sqlite3_errmsg(db->db));
		goto fail;
	}
	if (sqlite3_prepare_v2(db->db, "PRAGMA user_version", -1, &st, NULL) !=
	        SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		snprintf(err, errlen, "spool: %s: %s", path,
		         sqlite3_errmsg(db->db));
		goto fail;
	}
	version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	if (version > SPOOL_SCHEMA_VERSION) {
		snprintf(err, errlen,
		         "spool: %s: schema version %d is newer than this "
		         "build (%d)",
		         path, version, SPOOL_SCHEMA_VERSION);
		goto fail;
	}
	/* Only a new (or older) store is written to at open. */
	if (version < SPOOL_SCHEMA_VERSION &&
	    (sqlite3_exec(db->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	         SQLITE_OK ||
	     (version == 1 && sqlite3_exec(db->db, spool_db_migrate_1, NULL,
	                                   NULL, NULL) != SQLITE_OK) ||
	     (version >= 1 && version <= 2 &&
	      sqlite3_exec(db->db, spool_db_migrate_2, NULL, NULL, NULL) !=
	          SQLITE_OK) ||
	     (version >= 1 && version <= 3 &&
	      sqlite3_exec(db->db, spool_db_migrate_3, NULL, NULL, NULL) !=
	          SQLITE_OK) ||
	     (version >= 1 && version <= 4 &&
	      sqlite3_exec(db->db, spool_db_migrate_4, NULL, NULL, NULL) !=
	          SQLITE_OK) ||
	     (version >= 1 && version <= 5 &&
	      spool_db_migrate_5(db->db) != SQLITE_OK) ||
	     (version >= 1 && version <= 8 &&
	      spool_db_migrate_8(db->db) != SQLITE_OK) ||
	     sqlite3_exec(db->db, spool_db_schema, NULL, NULL, NULL) !=
	         SQLITE_OK ||
	     sqlite3_exec(db->db, "PRAGMA user_version=9; COMMIT", NULL, NULL,
	                  NULL) != SQLITE_OK)) {
		snprintf(err, errlen, "spool: %s: schema: %s", path,
		         sqlite3_errmsg(db->db));
		goto fail;
	}
	sqlite3_wal_hook(db->db, db_wal_hook, db);
	for (i = 0; i < ST_COUNT; i++) {
		if (sqlite3_prepare_v3(db->db, spool_db_sql[i], -1,
		                       SQLITE_PREPARE_PERSISTENT, &db->st[i],
		                       NULL) != SQLITE_OK) {
			snprintf(err, errlen, "spool: prepare %d: %s", i,
			         sqlite3_errmsg(db->db));
			goto fail;
		}
	}
	return db;
fail:
	sqlite3_finalize(st);
	spool_db_close(db);
	return NULL;
}

void
spool_db_close(struct spool_db *db)
{
	int i;

	if (db == NULL)
		return;
	spool_db_fb_free(db->fb);
	spool_db_wh_free(db->wh);
	for (i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(db->st[i]);
	if (db->db != NULL && sqlite3_close(db->db) != SQLITE_OK)
		log_warn("spool: close: %s", sqlite3_errmsg(db->db));
	free(db);
}

int
spool_db_begin(struct spool_db *db)
{
	return db_done(db, ST_BEGIN, "begin");
}

int
spool_db_commit(struct spool_db *db)
{
	return db_done(db, ST_COMMIT, "commit");
}

void
spool_db_rollback(struct spool_db *db)
{
	int i;

	for (i = 0; i < ST_COUNT; i++)
		sqlite3_reset(db->st[i]);
	if (!sqlite3_get_autocommit(db->db) &&
	    sqlite3_step(db->st[ST_ROLLBACK]) != SQLITE_DONE)
		log_warn("spool: rollback: %s", sqlite3_errmsg(db->db));
	sqlite3_reset(db->st[ST_ROLLBACK]);
}

int
spool_db_recover(struct spool_db *db, uint64_t *n)
{
	*n = 0;
	if (sqlite3_exec(
	        db->db,
	        "BEGIN IMMEDIATE;"
	        "UPDATE messages SET state = 'ready' WHERE state = 'inflight'",
	        NULL, NULL, NULL) != SQLITE_OK) {
		db_fail(db, "recover");
		spool_db_rollback(db);
		return SPOOL_ERR_IO;
	}
	*n = (uint64_t)sqlite3_changes64(db->db);
	if (spool_db_commit(db) != SPOOL_OK) {
		spool_db_rollback(db);
		return SPOOL_ERR_IO;
	}
	return SPOOL_OK;
}

int
spool_db_counts_load(struct spool_db *db, uint64_t state[SPOOL_STATE_COUNT])
{
	sqlite3_stmt *st = NULL;
	int rc, s;

	memset(state, 0, sizeof(uint64_t) * SPOOL_STATE_COUNT);
	if (sqlite3_prepare_v2(
	        db->db, "SELECT state, count(*) FROM messages GROUP BY state",
	        -1, &st, NULL) != SQLITE_OK)
		return db_fail(db, "counts");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		s = spool_state_parse((const char *)sqlite3_column_text(st, 0));
		if (s < 0) {
			log_warn("spool: %lld messages in unknown state %s",
			         (long long)sqlite3_column_int64(st, 1),
			         (const char *)sqlite3_column_text(st, 0));
			continue;
		}
		state[s] = (uint64_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_fail(db, "counts");
	return SPOOL_OK;
}

int
spool_db_msg_insert(struct spool_db *db, const char *id, int64_t now_ms,
                    const struct spool_msg_new *m, enum spool_state state,
                    int64_t next_ms)
{
	sqlite3_stmt *st = db->st[ST_MSG_INSERT];
	size_t i;
	int rc;

	bind_text(st, 1, id);
	bind_text(st, 2, m->sender ? m->sender : "");
	bind_text(st, 3, m->tenant);
	bind_text(st, 4, m->client);
	bind_text(st, 5, m->stream ? m->stream : "transactional");
	sqlite3_bind_int64(st, 6, (sqlite3_int64)m->body.len);
	sqlite3_bind_int64(st, 7, now_ms);
	bind_text(st, 8, m->idempotency_key);
	bind_text(st, 9, m->idempotency_hash);
	bind_text(st, 10, m->meta);
	bind_text(st, 11, spool_state_name(state));
	sqlite3_bind_int64(st, 12, next_ms);
	rc = db_done(db, ST_MSG_INSERT, "insert message");
	sqlite3_clear_bindings(st);
	if (rc != SPOOL_OK)
		return rc;
	st = db->st[ST_BODY_INSERT];
	bind_text(st, 1, id);
	/* A NULL pointer would bind SQL NULL; an empty body is a zeroblob. */
	if (m->body.len == 0)
		sqlite3_bind_zeroblob(st, 2, 0);
	else
		sqlite3_bind_blob64(st, 2, m->body.p, m->body.len,
		                    SQLITE_STATIC);
	rc = db_done(db, ST_BODY_INSERT, "insert body");
	sqlite3_clear_bindings(st);
	if (rc != SPOOL_OK)
		return rc;
	st = db->st[ST_RCPT_INSERT];
	for (i = 0; i < m->n_rcpts; i++) {
		bind_text(st, 1, id);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
		bind_text(st, 3, m->rcpts[i] ? m->rcpts[i] : "");
		rc = db_done(db, ST_RCPT_INSERT, "insert recipient");
		if (rc != SPOOL_OK)
			return rc;
	}
	return SPOOL_OK;
}

int
spool_db_msg_find_idem(struct spool_db *db, const char *tenant, const char *key,
                       char out[ID_SIZE], char *hash, size_t hashlen)
{
	sqlite3_stmt *st = db->st[ST_IDEM_FIND];
	const unsigned char *h;
	int rc;

	bind_text(st, 1, tenant);
	bind_text(st, 2, key);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(out, ID_SIZE, "%s", sqlite3_column_text(st, 0));
		h = sqlite3_column_text(st, 1);
		if (hash != NULL && hashlen > 0)
			snprintf(hash, hashlen, "%s", h ? (const char *)h : "");
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return SPOOL_OK;
	if (rc == SQLITE_DONE)
		return SPOOL_ERR_NOTFOUND;
	return db_fail(db, "idempotency lookup");
}

int
spool_db_msg_purge(struct spool_db *db, const char *before_id, size_t max,
                   uint64_t *n, int64_t delta[SPOOL_STATE_COUNT])
{
	sqlite3_stmt *st = db->st[ST_PURGE_SELECT];
	char(*ids)[ID_SIZE] = NULL;
	int *from = NULL;
	size_t i, k = 0;
	int rc = SQLITE_DONE, s;

	*n = 0;
	if (max == 0)
		return SPOOL_OK;
	ids = xcalloc(max, sizeof(*ids));
	from = xcalloc(max, sizeof(*from));
	bind_text(st, 1, before_id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
	while (k < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		snprintf(ids[k], ID_SIZE, "%s", sqlite3_column_text(st, 0));
		from[k] =
		    spool_state_parse((const char *)sqlite3_column_text(st, 1));
		k++;
	}
	sqlite3_reset(st);
	if (k < max && rc != SQLITE_DONE) {
		rc = db_fail(db, "purge");
		goto done;
	}
	for (i = 0; i < k; i++) {
		for (s = ST_PURGE_MSG; s <= ST_PURGE_BODY; s++) {
			bind_text(db->st[s], 1, ids[i]);
			if ((rc = db_done(db, s, "purge")) != SPOOL_OK)
				goto done;
		}
		if (from[i] >= 0)
			delta[from[i]]--;
	}
	*n = k;
	rc = SPOOL_OK;
done:
	free(ids);
	free(from);
	return rc;
}

/* msg_row_read - fill m from the MSG_COLS columns of st. */
static void
msg_row_read(sqlite3_stmt *st, struct spool_msg *m)
{
	const unsigned char *id = sqlite3_column_text(st, 0);
	int s;

	snprintf(m->id, sizeof(m->id), "%s", id ? (const char *)id : "");
	s = spool_state_parse((const char *)sqlite3_column_text(st, 1));
	m->state = s < 0 ? SPOOL_STATE_READY : (enum spool_state)s;
	m->sender = col_dup(st, 2);
	if (m->sender == NULL)
		m->sender = xstrdup("");
	m->tenant = col_dup(st, 3);
	m->client = col_dup(st, 4);
	m->stream = col_dup(st, 5);
	if (m->stream == NULL)
		m->stream = xstrdup("transactional");
	m->size = (uint64_t)sqlite3_column_int64(st, 6);
	m->created_at = sqlite3_column_int64(st, 7);
	m->next_attempt_at = sqlite3_column_int64(st, 8);
	m->attempts = (uint32_t)sqlite3_column_int64(st, 9);
	m->idempotency_key = col_dup(st, 10);
	m->last_error = col_dup(st, 11);
	m->meta = col_dup(st, 12);
}

/* msg_rcpts_read - load m's recipients. */
static int
msg_rcpts_read(struct spool_db *db, struct spool_msg *m)
{
	sqlite3_stmt *st = db->st[ST_RCPT_GET];
	struct spool_rcpt *r;
	size_t cap = 0;
	int rc;

	bind_text(st, 1, m->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (m->n_rcpts == cap) {
			cap = cap ? cap * 2 : 4;
			m->rcpts = xreallocarray(m->rcpts, cap, sizeof(*r));
		}
		r = &m->rcpts[m->n_rcpts++];
		r->address = col_dup(st, 0);
		if (r->address == NULL)
			r->address = xstrdup("");
		r->state =
		    rcpt_state_parse((const char *)sqlite3_column_text(st, 1));
		r->last_reply = col_dup(st, 2);
		r->provider = col_dup(st, 3);
		r->provider_msg_id = col_dup(st, 4);
		r->outcome = col_dup(st, 5);
		r->bounce = col_dup(st, 6);
		r->outcome_text = col_dup(st, 7);
		r->outcome_at = sqlite3_column_int64(st, 8);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SPOOL_OK : db_fail(db, "read recipients");
}

/* msg_atts_read - load m's attempts. */
static int
msg_atts_read(struct spool_db *db, struct spool_msg *m)
{
	sqlite3_stmt *st = db->st[ST_ATT_GET];
	struct spool_attempt *a;
	size_t cap = 0;
	int rc;

	bind_text(st, 1, m->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (m->n_atts == cap) {
			cap = cap ? cap * 2 : 4;
			m->atts = xreallocarray(m->atts, cap, sizeof(*a));
		}
		a = &m->atts[m->n_atts++];
		a->at_ms = sqlite3_column_int64(st, 0);
		a->provider = col_dup(st, 1);
		a->result = col_dup(st, 2);
		a->reply = col_dup(st, 3);
		a->duration_ms = sqlite3_column_int64(st, 4);
		a->trace = col_dup(st, 5);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SPOOL_OK : db_fail(db, "read attempts");
}

int
spool_db_msg_get(struct spool_db *db, const char *id, int flags,
                 struct spool_msg **out)
{
	sqlite3_stmt *st = db->st[ST_MSG_GET];
	struct spool_msg *m = NULL;
	const void *body;
	int rc;

	*out = NULL;
	bind_text(st, 1, id);
	sqlite3_bind_int(st, 2, (flags & SPOOL_GET_BODY) != 0);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return SPOOL_ERR_NOTFOUND;
	}
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return db_fail(db, "read message");
	}
	m = xcalloc(1, sizeof(*m));
	buf_init(&m->body);
	msg_row_read(st, m);
	if (flags & SPOOL_GET_BODY) {
		body = sqlite3_column_blob(st, 13);
		buf_add(&m->body, body ? body : "",
		        (size_t)sqlite3_column_bytes(st, 13));
	}
	sqlite3_reset(st);
	if (msg_rcpts_read(db, m) != SPOOL_OK)
		goto fail;
	if (!(flags & SPOOL_GET_NO_ATTS) &&
	    (msg_atts_read(db, m) != SPOOL_OK ||
	     spool_db_fb_history(db, m) != SPOOL_OK))
		goto fail;
	*out = m;
	return SPOOL_OK;
fail:
	spool_msg_free(m);
	return SPOOL_ERR_IO;
}

int
spool_db_msg_list(struct spool_db *db, int state, const char *after,
                  const char *tenant, size_t limit, struct spool_msg ***out,
                  size_t *n)
{
	sqlite3_stmt *st = db->st[ST_LIST];
	struct spool_msg **v = NULL, *m;
	size_t i;
	int rc;

	*out = NULL;
	*n = 0;
	if (limit > SPOOL_LIST_MAX)
		limit = SPOOL_LIST_MAX;
	bind_text(st, 1, after ? after : "");
	bind_text(st, 2,
	          state >= 0 && state < SPOOL_STATE_COUNT
	              ? spool_state_name(state)
	              : NULL);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)limit);
	bind_text(st, 4, tenant);
	v = xcalloc(limit ? limit : 1, sizeof(*v));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < limit) {
		m = xcalloc(1, sizeof(*m));
		buf_init(&m->body);
		msg_row_read(st, m);
		m->n_rcpts = (size_t)sqlite3_column_int64(st, 13);
		v[(*n)++] = m;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		for (i = 0; i < *n; i++)
			spool_msg_free(v[i]);
		free(v);
		*n = 0;
		return db_fail(db, "list");
	}
	*out = v;
	return SPOOL_OK;
}

/*
 * spool_db_msg_claim_read - read claimed message id into *out: its body
 * from cache when the commit that stored it left it there, else from the
 * database. A body taken from the cache is freed with *out on failure
 * (the database still has it).
 */
static int
spool_db_msg_claim_read(struct spool_db *db, const char *id,
                        struct spool_cache *cache, struct spool_msg **out)
{
	struct buf body;
	int rc;

	buf_init(&body);
	if (!spool_cache_take(cache, id, &body))
		return spool_db_msg_get(
		    db, id, SPOOL_GET_BODY | SPOOL_GET_NO_ATTS, out);
	rc = spool_db_msg_get(db, id, SPOOL_GET_NO_ATTS, out);
	if (rc != SPOOL_OK) {
		buf_fini(&body);
		return rc;
	}
	buf_fini(&(*out)->body);
	(*out)->body = body;
	return SPOOL_OK;
}

int
spool_db_msg_claim(struct spool_db *db, const char *stream, size_t max,
                   int64_t now_ms, struct spool_cache *cache,
                   struct spool_msg ***out, size_t *n,
                   int64_t delta[SPOOL_STATE_COUNT])
{
	sqlite3_stmt *st = db->st[stream ? ST_CLAIM_STREAM : ST_CLAIM_SELECT];
	char(*ids)[ID_SIZE] = NULL;
	int *from = NULL;
	struct spool_msg **v = NULL;
	size_t i, k = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (max == 0)
		return SPOOL_OK;
	ids = xcalloc(max, sizeof(*ids));
	from = xcalloc(max, sizeof(*from));
	v = xcalloc(max, sizeof(*v));
	sqlite3_bind_int64(st, 1, now_ms);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
	if (stream != NULL)
		bind_text(st, 3, stream);
	while (k < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		snprintf(ids[k], ID_SIZE, "%s", sqlite3_column_text(st, 0));
		from[k] =
		    spool_state_parse((const char *)sqlite3_column_text(st, 1));
		k++;
	}
	sqlite3_reset(st);
	if (k < max && rc != SQLITE_DONE) {
		rc = db_fail(db, "claim");
		goto fail;
	}
	st = db->st[ST_STATE_SET];
	for (i = 0; i < k; i++) {
		bind_text(st, 1, ids[i]);
		bind_text(st, 2, spool_state_name(SPOOL_STATE_INFLIGHT));
		if ((rc = db_done(db, ST_STATE_SET, "claim")) != SPOOL_OK)
			goto fail;
		rc = spool_db_msg_claim_read(db, ids[i], cache, &v[i]);
		if (rc != SPOOL_OK) {
			rc = SPOOL_ERR_IO;
			goto fail;
		}
	}
	for (i = 0; i < k; i++) {
		if (from[i] >= 0)
			delta[from[i]]--;
		delta[SPOOL_STATE_INFLIGHT]++;
	}
	free(ids);
	free(from);
	*out = v;
	*n = k;
	return SPOOL_OK;
fail:
	for (i = 0; i < k; i++)
		spool_msg_free(v[i]);
	free(v);
	free(ids);
	free(from);
	return rc;
}

int
spool_db_msg_brief(struct spool_db *db, const char *id, char **tenant,
                   char **stream, size_t *n_rcpts)
{
	sqlite3_stmt *st = db->st[ST_BRIEF];
	const unsigned char *t;
	int rc;

	*tenant = *stream = NULL;
	*n_rcpts = 0;
	bind_text(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if ((t = sqlite3_column_text(st, 0)) != NULL)
			*tenant = xstrdup((const char *)t);
		if ((t = sqlite3_column_text(st, 1)) != NULL)
			*stream = xstrdup((const char *)t);
		*n_rcpts = (size_t)sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return SPOOL_ERR_NOTFOUND;
	return rc == SQLITE_ROW ? SPOOL_OK : db_fail(db, "brief");
}

int
spool_db_msg_outcome(struct spool_db *db, const struct spool_outcome *o,
                     int64_t delta[SPOOL_STATE_COUNT])
{
	sqlite3_stmt *st = db->st[ST_STATE_GET];
	const struct spool_rcpt_result *r;
	size_t i;
	int rc, from;

	bind_text(st, 1, o->id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return SPOOL_ERR_NOTFOUND;
	}
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return db_fail(db, "outcome");
	}
	from = spool_state_parse((const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);

	if (o->provider != NULL) {
		st = db->st[ST_ATT_INSERT];
		bind_text(st, 1, o->id);
		sqlite3_bind_int64(st, 2, o->at_ms);
		bind_text(st, 3, o->provider);
		bind_text(st, 4, o->result ? o->result : "unknown");
		bind_text(st, 5, o->reply);
		sqlite3_bind_int64(st, 6, o->duration_ms);
		bind_text(st, 7, o->trace);
		if ((rc = db_done(db, ST_ATT_INSERT, "attempt")) != SPOOL_OK)
			return rc;
	}
	st = db->st[ST_RCPT_SET];
	for (i = 0; i < o->n_rcpts; i++) {
		r = &o->rcpts[i];
		bind_text(st, 1, o->id);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)r->index);
		bind_text(st, 3,
		          spool_db_rcpt_states[r->state <= SPOOL_RCPT_FAILED
		                                   ? r->state
		                                   : SPOOL_RCPT_PENDING]);
		bind_text(st, 4, r->reply);
		bind_text(st, 5, o->provider);
		bind_text(st, 6, r->provider_msg_id);
		if ((rc = db_done(db, ST_RCPT_SET, "recipient")) != SPOOL_OK)
			return rc;
	}
	st = db->st[ST_OUTCOME_MSG];
	bind_text(st, 1, o->id);
	bind_text(st, 2, spool_state_name(o->next_state));
	if (o->next_state == SPOOL_STATE_READY ||
	    o->next_state == SPOOL_STATE_DEFERRED)
		sqlite3_bind_int64(st, 3, o->next_attempt_at);
	else
		sqlite3_bind_null(st, 3);
	bind_text(st, 4, o->last_error);
	sqlite3_bind_int(st, 5, o->provider != NULL);
	if ((rc = db_done(db, ST_OUTCOME_MSG, "outcome")) != SPOOL_OK)
		return rc;
	if (from >= 0)
		delta[from]--;
	delta[o->next_state]++;
	return SPOOL_OK;
}

/*
 * msg_owned_get - message id for tenant (NULL: anyone's) into *out, with
 * its recipients and attempts; NOTFOUND also when another tenant's.
 */
static int
msg_owned_get(struct spool_db *db, const char *id, const char *tenant,
              struct spool_msg **out)
{
	int rc = spool_db_msg_get(db, id, 0, out);

	if (rc != SPOOL_OK)
		return rc;
	if (tenant != NULL &&
	    ((*out)->tenant == NULL || strcmp((*out)->tenant, tenant) != 0)) {
		spool_msg_free(*out);
		*out = NULL;
		return SPOOL_ERR_NOTFOUND;
	}
	return SPOOL_OK;
}

/* msg_move - set m's state, next attempt time and last error, stored and
 * in m; adds the move to delta. */
static int
msg_move(struct spool_db *db, struct spool_msg *m, enum spool_state to,
         int64_t next_ms, const char *last_error,
         int64_t delta[SPOOL_STATE_COUNT])
{
	sqlite3_stmt *st = db->st[ST_OUTCOME_MSG];
	int rc;

	bind_text(st, 1, m->id);
	bind_text(st, 2, spool_state_name(to));
	sqlite3_bind_int64(st, 3, next_ms);
	bind_text(st, 4, last_error);
	sqlite3_bind_int(st, 5, 0);
	if ((rc = db_done(db, ST_OUTCOME_MSG, "state")) != SPOOL_OK)
		return rc;
	delta[m->state]--;
	delta[to]++;
	m->state = to;
	m->next_attempt_at = next_ms;
	if (last_error != m->last_error) {
		free(m->last_error);
		m->last_error = last_error ? xstrdup(last_error) : NULL;
	}
	return SPOOL_OK;
}

int
spool_db_msg_cancel(struct spool_db *db, const char *id, const char *tenant,
                    struct spool_msg **out, int64_t delta[SPOOL_STATE_COUNT])
{
	struct spool_msg *m = NULL;
	int rc;

	*out = NULL;
	if ((rc = msg_owned_get(db, id, tenant, &m)) != SPOOL_OK)
		return rc;
	*out = m;
	switch (m->state) {
	case SPOOL_STATE_CANCELLED:
		return SPOOL_OK; /* asked twice: the same answer */
	case SPOOL_STATE_SCHEDULED:
	case SPOOL_STATE_READY:
	case SPOOL_STATE_DEFERRED:
		return msg_move(db, m, SPOOL_STATE_CANCELLED,
		                m->next_attempt_at, "cancelled", delta);
	default:
		return SPOOL_ERR_CONFLICT;
	}
}

int
spool_db_msg_reschedule(struct spool_db *db, const char *id, const char *tenant,
                        int64_t at_ms, int64_t now_ms, struct spool_msg **out,
                        int64_t delta[SPOOL_STATE_COUNT])
{
	struct spool_msg *m = NULL;
	struct msg_meta meta;
	sqlite3_stmt *st;
	char *json;
	int rc;

	*out = NULL;
	if ((rc = msg_owned_get(db, id, tenant, &m)) != SPOOL_OK)
		return rc;
	*out = m;
	if (m->state != SPOOL_STATE_SCHEDULED && m->state != SPOOL_STATE_READY)
		return SPOOL_ERR_CONFLICT;
	/* The stored meta says when too: keep the two in step. */
	if (m->meta == NULL ||
	    msg_meta_decode(m->meta, strlen(m->meta), &meta) != 0)
		msg_meta_init(&meta);
	meta.send_at = at_ms > 0 ? (at_ms + 999) / 1000 : 0;
	json = msg_meta_encode(&meta);
	msg_meta_fini(&meta);
	st = db->st[ST_META_SET];
	bind_text(st, 1, m->id);
	bind_text(st, 2, json);
	rc = db_done(db, ST_META_SET, "reschedule");
	sqlite3_clear_bindings(st);
	free(m->meta);
	m->meta = json;
	if (rc != SPOOL_OK)
		return rc;
	if (at_ms > now_ms)
		return msg_move(db, m, SPOOL_STATE_SCHEDULED, at_ms,
		                m->last_error, delta);
	return msg_move(db, m, SPOOL_STATE_READY, now_ms, m->last_error, delta);
}
