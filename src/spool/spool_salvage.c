/*
 * spool_salvage.c - keep what is readable of a damaged spool database.
 *
 * A new database gets the schema (spool_db_open), the damaged one is
 * ATTACHed, and each table is copied in one statement; when that fails
 * on a damaged page, row by row through the rowid (messages, bodies,
 * attempts, events) or by message id (recipients), skipping what cannot
 * be read.
 * Then every message that is not whole is removed from the copy and
 * counted. The damaged file is renamed, never deleted: an operator or a
 * better tool may get more out of it later.
 */
#include "spool/spool_salvage.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "spool/spool_check.h"
#include "spool/spool_db.h"

/* Give up a rowid walk after this many absent rowids in a row. */
#define SALVAGE_GAP_MAX 20000

/* salvage_walk - copy table row by row: INSERT ... WHERE rowid = ?. */
static void
salvage_walk(sqlite3 *db, const char *table, uint64_t *unreadable)
{
	char sql[256];
	sqlite3_stmt *st = NULL;
	sqlite3_int64 rowid, gap = 0;
	int rc;

	snprintf(sql, sizeof(sql),
	         "INSERT OR IGNORE INTO main.%s SELECT * FROM old.%s"
	         " WHERE rowid = ?1",
	         table, table);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return;
	/* One autocommit statement per row: a damaged page poisons the
	 * read transaction it was met in, so none may span rows. */
	for (rowid = 1; gap < SALVAGE_GAP_MAX; rowid++) {
		sqlite3_bind_int64(st, 1, rowid);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		/* An unreadable row counts toward the gap too: a damaged
		 * interior page fails every lookup below it. */
		if (rc != SQLITE_DONE) {
			(*unreadable)++;
			gap++;
		} else if (sqlite3_changes(db) == 0) {
			gap++;
		} else {
			gap = 0;
		}
	}
	sqlite3_finalize(st);
}

/* salvage_table - copy a rowid table whole, or row by row. */
static void
salvage_table(sqlite3 *db, const char *table, uint64_t *unreadable)
{
	char sql[256];

	/* Autocommit: a failed statement undoes itself, nothing else. */
	snprintf(sql, sizeof(sql),
	         "INSERT OR IGNORE INTO main.%s SELECT * FROM old.%s", table,
	         table);
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK)
		return;
	salvage_walk(db, table, unreadable);
}

/* salvage_rcpts - recipients of every copied message, by id. */
static void
salvage_rcpts(sqlite3 *db)
{
	sqlite3_stmt *ids = NULL, *cp = NULL, *rm = NULL;

	if (sqlite3_exec(db,
	                 "INSERT OR IGNORE INTO main.recipients"
	                 " SELECT * FROM old.recipients",
	                 NULL, NULL, NULL) == SQLITE_OK)
		return;
	if (sqlite3_prepare_v2(db, "SELECT id FROM main.messages", -1, &ids,
	                       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(
	        db,
	        "INSERT OR IGNORE INTO main.recipients"
	        " SELECT * FROM old.recipients WHERE msg_id = ?1",
	        -1, &cp, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
	                       "DELETE FROM main.recipients WHERE msg_id = ?1",
	                       -1, &rm, NULL) != SQLITE_OK)
		goto out;
	while (sqlite3_step(ids) == SQLITE_ROW) {
		sqlite3_bind_value(cp, 1, sqlite3_column_value(ids, 0));
		/* A failure leaves this message without (all) recipients:
		 * the wholeness check below removes it. */
		if (sqlite3_step(cp) != SQLITE_DONE) {
			sqlite3_bind_value(rm, 1, sqlite3_column_value(ids, 0));
			(void)sqlite3_step(rm);
			sqlite3_reset(rm);
		}
		sqlite3_reset(cp);
	}
out:
	sqlite3_finalize(rm);
	sqlite3_finalize(cp);
	sqlite3_finalize(ids);
}

/*
 * Messages that are not whole: no body, no recipient, or fewer
 * recipients than the highest index says (one could not be read).
 */
static const char salvage_broken[] =
    "CREATE TEMP TABLE broken AS"
    " SELECT id FROM main.messages m WHERE"
    "  NOT EXISTS (SELECT 1 FROM main.bodies b WHERE b.id = m.id)"
    "  OR (SELECT count(*) FROM main.recipients r WHERE r.msg_id = m.id)"
    "   <> 1 + coalesce((SELECT max(idx) FROM main.recipients r"
    "                    WHERE r.msg_id = m.id), -1)"
    "  OR NOT EXISTS (SELECT 1 FROM main.recipients r"
    "                 WHERE r.msg_id = m.id)"
    " UNION SELECT id FROM main.bodies"
    "  WHERE id NOT IN (SELECT id FROM main.messages)"
    " UNION SELECT DISTINCT msg_id FROM main.recipients"
    "  WHERE msg_id NOT IN (SELECT id FROM main.messages);"
    "DELETE FROM main.messages WHERE id IN (SELECT id FROM broken);"
    "DELETE FROM main.bodies WHERE id IN (SELECT id FROM broken);"
    "DELETE FROM main.recipients WHERE msg_id IN (SELECT id FROM broken);"
    "DELETE FROM main.attempts WHERE msg_id NOT IN"
    " (SELECT id FROM main.messages);";

/* salvage_log_lost - name every message removed, for the operator. */
static void
salvage_log_lost(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db, "SELECT id FROM broken ORDER BY id", -1, &st,
	                       NULL) != SQLITE_OK)
		return;
	while (sqlite3_step(st) == SQLITE_ROW)
		log_warn("spool: salvage: message %s is damaged and was not "
		         "kept",
		         (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

/* salvage_unlink - remove path and its -wal and -shm. */
static void
salvage_unlink(const char *path)
{
	static const char *const suffix[] = {"", "-wal", "-shm"};
	struct buf p;
	size_t i;

	buf_init(&p);
	for (i = 0; i < 3; i++) {
		p.len = 0;
		buf_printf(&p, "%s%s", path, suffix[i]);
		(void)unlink(buf_cstr(&p));
	}
	buf_fini(&p);
}

/* spool_salvage_run - copy the whole messages, swap the files. */
int
spool_salvage_run(const char *db_path, struct spool_salvage *out, char *err,
                  size_t errlen)
{
	struct spool_db *fresh;
	struct buf np;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	uint64_t unreadable = 0, events_unreadable = 0;
	int rc = -1, fd;
	char *slash, dir[512];

	memset(out, 0, sizeof(*out));
	buf_init(&np);
	buf_printf(&np, "%s.salvage", db_path);
	salvage_unlink(buf_cstr(&np));
	fresh = spool_db_open(buf_cstr(&np), NULL, err, errlen);
	if (fresh == NULL)
		goto out;
	spool_db_close(fresh);
	if (sqlite3_open_v2(buf_cstr(&np), &db, SQLITE_OPEN_READWRITE, NULL) !=
	        SQLITE_OK ||
	    sqlite3_prepare_v2(db, "ATTACH ?1 AS old", -1, &st, NULL) !=
	        SQLITE_OK) {
		snprintf(err, errlen, "spool: salvage: %s", sqlite3_errmsg(db));
		goto out;
	}
	sqlite3_bind_text(st, 1, db_path, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		snprintf(err, errlen, "spool: salvage: attach %s: %s", db_path,
		         sqlite3_errmsg(db));
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	/* Each copy commits on its own (a damaged page may abort a whole
	 * transaction); no fsync until the end. */
	(void)sqlite3_exec(db, "PRAGMA main.synchronous=OFF", NULL, NULL, NULL);
	salvage_table(db, "messages", &unreadable);
	salvage_table(db, "bodies", &unreadable);
	salvage_rcpts(db);
	salvage_table(db, "attempts", &out->attempts);
	/* Providers' events keep their de-duplication keys: a retry of one
	 * already stored must not count twice after a salvage. */
	salvage_table(db, "events", &events_unreadable);
	(void)sqlite3_exec(db, "DETACH old", NULL, NULL, NULL);
	if (sqlite3_exec(db, salvage_broken, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(db,
	                 "PRAGMA main.synchronous=FULL;"
	                 "PRAGMA main.wal_checkpoint(TRUNCATE);",
	                 NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "spool: salvage: %s (sqlite %d)",
		         sqlite3_errmsg(db), sqlite3_extended_errcode(db));
		goto out;
	}
	out->lost = spool_check_count(db, "SELECT count(*) FROM broken");
	out->kept = spool_check_count(db, "SELECT count(*) FROM main.messages");
	salvage_log_lost(db);
	sqlite3_close(db);
	db = NULL;
	/* Swap: the damaged file aside, the copy in its place. */
	snprintf(out->moved, sizeof(out->moved), "%s.damaged-%lld", db_path,
	         (long long)clock_wall_ms());
	if (rename(db_path, out->moved) != 0 ||
	    rename(buf_cstr(&np), db_path) != 0) {
		snprintf(err, errlen, "spool: salvage: rename: %s",
		         strerror(errno));
		goto out;
	}
	snprintf(dir, sizeof(dir), "%s", db_path);
	slash = strrchr(dir, '/');
	if (slash != NULL)
		*slash = '\0';
	fd =
	    open(slash != NULL ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	if (rc != 0)
		salvage_unlink(buf_cstr(&np));
	buf_fini(&np);
	return rc;
}
