/*
 * spool_check.c - is the spool on disk whole?
 *
 * spool_check_files() decides from the integrity record and the WAL
 * alone; spool_check_db() asks SQLite. The wording of every problem names
 * the file and says what was found, because the operator reads it in a
 * refusal to start. What to do about it is for the caller to say.
 */
#include "spool/spool_check.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/buf.h"
#include "core/clock.h"

/* check_set - record the first problem found; returns -1. */
static int __attribute__((format(printf, 2, 3)))
check_set(struct spool_check *c, const char *fmt, ...)
{
	va_list ap;

	if (c->problem[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(c->problem, sizeof(c->problem), fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* spool_check_files - the WAL against the record. */
int
spool_check_files(const char *db_path, struct spool_check *c)
{
	struct buf wal, mark;
	struct stat st;
	int rc = 0, mr;

	memset(c, 0, sizeof(*c));
	c->quick = -1;
	buf_init(&wal);
	buf_init(&mark);
	buf_printf(&wal, "%s-wal", db_path);
	buf_printf(&mark, "%s.mark", db_path);
	mr = spool_mark_read(buf_cstr(&mark), &c->mark);
	c->have_mark = mr == 0;
	if (spool_wal_scan(buf_cstr(&wal), &c->wal) != 0) {
		check_set(c, "%s: cannot read the WAL: %s", buf_cstr(&wal),
		          strerror(errno));
		rc = -1;
		goto out;
	}
	if (stat(db_path, &st) != 0 && errno == ENOENT) {
		if (c->have_mark && !c->mark.clean) {
			check_set(c,
			          "%s: the database is missing but %s says it "
			          "was in use",
			          db_path, buf_cstr(&mark));
			rc = -1;
		}
		goto out;
	}
	if (mr == -2) {
		check_set(c, "%s: the integrity record is unreadable",
		          buf_cstr(&mark));
		rc = -1;
	}
	if (c->wal.lost_commits > 0)
		rc =
		    check_set(c,
		              "%s: damaged at frame %llu: %llu committed "
		              "transactions after it would be silently dropped",
		              buf_cstr(&wal), (unsigned long long)c->wal.bad_at,
		              (unsigned long long)c->wal.lost_commits);
	if (!c->have_mark || c->mark.clean)
		goto out;
	/*
	 * The spool was not closed cleanly: its WAL must still be there,
	 * unless another SQLite connection (the sqlite3 shell, a script)
	 * opened the spool since, checkpointed every frame into the
	 * database and removed the log. That left the database written
	 * after the record; a log deleted by hand leaves it older.
	 */
	if (!c->wal.present && stat(db_path, &st) == 0 &&
	    (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000 >
	        c->mark.at_ms)
		goto out;
	if (!c->wal.present) {
		check_set(
		    c,
		    "%s: the WAL is missing, but the spool was not closed "
		    "cleanly (see %s)",
		    buf_cstr(&wal), buf_cstr(&mark));
		rc = -1;
		goto out;
	}
	if (!c->wal.header_ok) {
		if (c->wal.size > 0 || c->mark.frames > 0 ||
		    c->mark.salt1 != 0 || c->mark.salt2 != 0)
			rc = check_set(c,
			               "%s: the WAL header is damaged (%llu "
			               "bytes of log would be ignored, %llu "
			               "frames at the last record)",
			               buf_cstr(&wal),
			               (unsigned long long)c->wal.size,
			               (unsigned long long)c->mark.frames);
		goto out;
	}
	if (c->mark.salt1 == 0 && c->mark.salt2 == 0)
		goto out;
	if (c->wal.salt1 == c->mark.salt1 && c->wal.salt2 == c->mark.salt2) {
		if (c->wal.frames < c->mark.frames)
			rc = check_set(c,
			               "%s: truncated: the integrity record "
			               "says at least %llu frames, %llu remain",
			               buf_cstr(&wal),
			               (unsigned long long)c->mark.frames,
			               (unsigned long long)c->wal.frames);
	} else if ((int32_t)(c->wal.salt1 - c->mark.salt1) <= 0) {
		/* A restarted log adds one to salt-1; anything else is a log
		 * that is not the one we wrote. */
		rc = check_set(c,
		               "%s: the WAL is not the one the spool wrote "
		               "(salt %llu, the record says %llu)",
		               buf_cstr(&wal), (unsigned long long)c->wal.salt1,
		               (unsigned long long)c->mark.salt1);
	}
out:
	buf_fini(&wal);
	buf_fini(&mark);
	return rc;
}

/* check_progress - stop quick_check once its budget is spent. */
static int
check_progress(void *arg)
{
	const uint64_t *deadline = arg;

	return clock_mono_ms() >= *deadline;
}

/* check_count - count messages and those whose body or rcpts fail. */
static void
check_count(sqlite3 *db, struct spool_check *c)
{
	sqlite3_stmt *ids = NULL, *one = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT id FROM messages", -1, &ids, NULL) !=
	        SQLITE_OK ||
	    sqlite3_prepare_v2(db,
	                       "SELECT (SELECT length(body) FROM bodies"
	                       " WHERE id = ?1), (SELECT count(address) FROM"
	                       " recipients WHERE msg_id = ?1)",
	                       -1, &one, NULL) != SQLITE_OK)
		goto out;
	while ((rc = sqlite3_step(ids)) == SQLITE_ROW) {
		c->messages++;
		sqlite3_bind_value(one, 1, sqlite3_column_value(ids, 0));
		if (sqlite3_step(one) != SQLITE_ROW ||
		    sqlite3_column_type(one, 0) == SQLITE_NULL ||
		    sqlite3_column_int64(one, 1) == 0)
			c->unreadable++;
		sqlite3_reset(one);
	}
	/* A listing cut short by damage: what it could not list is
	 * unreadable too, but how much is unknown; say so via quick. */
	if (rc != SQLITE_DONE)
		c->quick = 0;
out:
	sqlite3_finalize(one);
	sqlite3_finalize(ids);
}

/* spool_check_db - quick_check within budget, then count. */
int
spool_check_db(const char *db_path, const char *vfs, unsigned budget_ms,
               int readonly, struct spool_check *c)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	uint64_t t0 = clock_mono_ms(), deadline = t0 + budget_ms;
	const char *r;
	int rc, ret = 0;

	rc = sqlite3_open_v2(
	    db_path, &db,
	    readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE, vfs);
	if (rc != SQLITE_OK) {
		snprintf(c->problem, sizeof(c->problem), "%s: cannot open: %s",
		         db_path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		ret = -1;
		goto out;
	}
	sqlite3_busy_timeout(db, 2000);
	if (budget_ms > 0)
		sqlite3_progress_handler(db, 1000, check_progress, &deadline);
	rc = sqlite3_prepare_v2(db, "PRAGMA quick_check(1)", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		r = (const char *)sqlite3_column_text(st, 0);
		c->quick = r != NULL && strcmp(r, "ok") == 0;
		if (!c->quick)
			check_set(c, "%s: damaged: quick_check says: %s",
			          db_path, r ? r : "?");
	} else if (rc == SQLITE_INTERRUPT) {
		c->quick = -1;
	} else {
		c->quick = 0;
		snprintf(c->problem, sizeof(c->problem), "%s: damaged: %s",
		         db_path, sqlite3_errmsg(db));
	}
	sqlite3_finalize(st);
	st = NULL;
	sqlite3_progress_handler(db, 0, NULL, NULL);
	check_count(db, c);
	if (c->quick == 0 && c->problem[0] == '\0')
		check_set(c,
		          "%s: damaged: the message list cannot be read whole",
		          db_path);
	if (c->quick == 0)
		ret = -1;
out:
	sqlite3_close(db);
	c->elapsed_ms = clock_mono_ms() - t0;
	return ret;
}

/* check_copy - copy the file from to to (mode 0600). 0 or -1. */
static int
check_copy(const char *from, const char *to)
{
	char b[65536];
	ssize_t n;
	int in, out, rc = -1;

	in = open(from, O_RDONLY | O_CLOEXEC);
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (in < 0 || out < 0)
		goto out;
	while ((n = read(in, b, sizeof(b))) > 0)
		if (write(out, b, (size_t)n) != n)
			goto out;
	rc = n == 0 ? 0 : -1;
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return rc;
}

/* check_uri - "file:<path>?mode=ro" with the URI's special bytes escaped. */
static void
check_uri(struct buf *b, const char *path)
{
	const char *p;

	buf_addstr(b, "file:");
	for (p = path; *p != '\0'; p++)
		if (*p == '%' || *p == '?' || *p == '#')
			buf_printf(b, "%%%02X", (unsigned char)*p);
		else
			buf_addch(b, *p);
	buf_addstr(b, "?mode=ro");
}

/* spool_check_count - one integer from sql on db, or 0. */
uint64_t
spool_check_count(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	uint64_t n = 0;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* spool_check_lost - replay everything in a copy, diff with the real. */
int
spool_check_lost(const char *db_path, struct spool_check *c)
{
	static const char *const suffix[] = {"", "-wal", "-shm"};
	struct buf copy, wal, cwal, uri, p;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	size_t i;
	int rc = -1;

	buf_init(&copy);
	buf_init(&wal);
	buf_init(&cwal);
	buf_init(&uri);
	buf_init(&p);
	buf_printf(&copy, "%s.count", db_path);
	buf_printf(&wal, "%s-wal", db_path);
	buf_printf(&cwal, "%s.count-wal", db_path);
	check_uri(&uri, db_path);
	if (check_copy(db_path, buf_cstr(&copy)) != 0 ||
	    spool_wal_repair(buf_cstr(&wal), buf_cstr(&cwal)) < 0)
		goto out;
	if (sqlite3_open_v2(buf_cstr(&copy), &db,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI,
	                    NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "ATTACH ?1 AS cur", -1, &st, NULL) !=
	        SQLITE_OK)
		goto out;
	sqlite3_bind_text(st, 1, buf_cstr(&uri), -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto out;
	sqlite3_finalize(st);
	st = NULL;
	/* A damaged page of the copy may hide some rows; count what can
	 * be read (a statement that fails leaves counted 0). When SQLite
	 * ignores the whole WAL, the real spool may not even have the
	 * schema yet: then everything in the copy is lost. */
	if (sqlite3_prepare_v2(db,
	                       "SELECT 1 FROM cur.sqlite_schema"
	                       " WHERE name = 'messages'",
	                       -1, &st, NULL) != SQLITE_OK)
		goto out;
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	st = NULL;
	if (rc == SQLITE_DONE) {
		c->lost_msgs =
		    spool_check_count(db, "SELECT count(*) FROM main.messages");
		c->counted = 1;
		rc = 0;
		goto out;
	}
	rc = -1;
	if (sqlite3_prepare_v2(
	        db,
	        "SELECT (SELECT count(*) FROM main.messages m WHERE NOT EXISTS"
	        " (SELECT 1 FROM cur.messages c WHERE c.id = m.id)),"
	        " (SELECT count(*) FROM main.messages m JOIN cur.messages c"
	        " ON c.id = m.id WHERE c.state <> m.state"
	        " OR c.attempts <> m.attempts)",
	        -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW)
		goto out;
	c->lost_msgs = (uint64_t)sqlite3_column_int64(st, 0);
	c->changed_msgs = (uint64_t)sqlite3_column_int64(st, 1);
	c->counted = 1;
	rc = 0;
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		p.len = 0;
		buf_printf(&p, "%s%s", buf_cstr(&copy), suffix[i]);
		(void)unlink(buf_cstr(&p));
	}
	buf_fini(&copy);
	buf_fini(&wal);
	buf_fini(&cwal);
	buf_fini(&uri);
	buf_fini(&p);
	return rc;
}
