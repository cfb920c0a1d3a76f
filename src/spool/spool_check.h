/*
 * spool_check.h - is the spool on disk whole? (internal to src/spool;
 * also used by swervectl).
 *
 * Two checks. spool_check_files() runs before SQLite opens anything and
 * compares the WAL with the integrity record (spool_mark.h): a missing,
 * truncated or re-salted log, or committed frames after a damaged one.
 * spool_check_db() runs PRAGMA quick_check within a time budget and
 * counts the messages it can read. Neither writes anything.
 */
#ifndef SWERVE_SPOOL_SPOOL_CHECK_H
#define SWERVE_SPOOL_SPOOL_CHECK_H

#include <stdint.h>

#include <sqlite3.h>

#include "spool/spool_mark.h"
#include "spool/spool_wal.h"

struct spool_check {
	char problem[512]; /* "" when whole; else one line naming the file */
	int have_mark;     /* an integrity record was found */
	struct spool_mark mark;
	struct spool_wal_scan wal;
	int quick;           /* 1 ok, 0 damaged, -1 not run / out of time */
	uint64_t messages;   /* rows in messages that could be listed */
	uint64_t unreadable; /* of those, body or recipients unreadable */
	uint64_t elapsed_ms; /* time spent in spool_check_db() */
	/* spool_check_lost(): set when the lost messages could be counted. */
	int counted;
	uint64_t lost_msgs;    /* messages only the damaged WAL part holds */
	uint64_t changed_msgs; /* messages whose latest change it holds */
};

/*
 * spool_check_files - compare db_path's WAL and record. Returns 0 when
 * they agree, -1 with c->problem set. c is zeroed first.
 */
int spool_check_files(const char *db_path, struct spool_check *c);

/*
 * spool_check_db - quick_check db_path (through VFS vfs, NULL = default;
 * read-only when readonly) for at most budget_ms (0 = no limit), then
 * count messages and unreadable ones. Returns 0 when whole (or when the
 * check ran out of time: c->quick = -1), -1 with c->problem set.
 * Keeps what spool_check_files() put in c.
 */
int spool_check_db(const char *db_path, const char *vfs, unsigned budget_ms,
                   int readonly, struct spool_check *c);

/*
 * spool_check_lost - after spool_check_files() found a damaged WAL whose
 * frames are still in the file (a damaged header, damage in the middle):
 * replay a copy of the spool with every frame of the WAL's generation
 * (spool_wal_repair) and compare its messages with what SQLite keeps of
 * the real one. Sets c->counted, lost_msgs and changed_msgs. Must run
 * before anything writes to the spool. Temporary files beside db_path
 * are removed. Returns 0, or -1 when it could not count.
 */
int spool_check_lost(const char *db_path, struct spool_check *c);

/*
 * spool_check_count - the first column of the first row of sql on db as
 * an integer (a count), or 0 when the statement fails or gives no row.
 */
uint64_t spool_check_count(sqlite3 *db, const char *sql);

#endif
