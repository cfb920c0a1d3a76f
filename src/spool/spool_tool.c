/*
 * spool_tool.c - check and back up a spool from outside the daemon.
 *
 * Read-only on the spool; the only file written is a backup's
 * destination. See spool_tool.h for why this opens the files instead
 * of asking swerved.
 */
#include "spool/spool_tool.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/buf.h"
#include "spool/spool_check.h"

/* tool_db_path - dir/spool.db into b. */
static void
tool_db_path(struct buf *b, const char *dir)
{
	buf_init(b);
	buf_printf(b, "%s/spool.db", dir);
}

/* spool_tool_check - print what spool_check finds. */
int
spool_tool_check(const char *dir, FILE *out)
{
	struct spool_check files, db;
	struct buf path;
	int rc = 0;

	tool_db_path(&path, dir);
	if (access(buf_cstr(&path), R_OK) != 0) {
		fprintf(out, "%s: %s\n", buf_cstr(&path), strerror(errno));
		buf_fini(&path);
		return 2;
	}
	if (spool_check_files(buf_cstr(&path), &files) != 0) {
		fprintf(out, "damaged: %s\n", files.problem);
		rc = 1;
	} else {
		fprintf(out, "wal: %s", files.wal.present ? "" : "none\n");
		if (files.wal.present)
			fprintf(out, "%llu frames, %llu commits\n",
			        (unsigned long long)files.wal.frames,
			        (unsigned long long)files.wal.commits);
		fprintf(out, "integrity record: %s\n",
		        !files.have_mark   ? "none"
		        : files.mark.clean ? "closed cleanly"
		                           : "in use or not closed cleanly");
	}
	db = files;
	db.problem[0] = '\0';
	if (spool_check_db(buf_cstr(&path), NULL, 0, 1, &db) != 0) {
		fprintf(out, "damaged: %s\n", db.problem);
		rc = 1;
	} else {
		fprintf(out, "quick_check: ok (%llu ms)\n",
		        (unsigned long long)db.elapsed_ms);
	}
	fprintf(out, "messages: %llu readable, %llu damaged\n",
	        (unsigned long long)(db.messages - db.unreadable),
	        (unsigned long long)db.unreadable);
	fprintf(out, "%s\n", rc == 0 ? "ok" : "DAMAGED");
	buf_fini(&path);
	return rc;
}

/* spool_tool_backup - one backup step over the whole file: a snapshot. */
int
spool_tool_backup(const char *dir, const char *dest, FILE *out)
{
	struct spool_check c;
	sqlite3 *src = NULL, *dst = NULL;
	sqlite3_backup *bk;
	struct buf path;
	int rc = 1, fd;

	tool_db_path(&path, dir);
	/* Created here, 0600 and exclusive, before SQLite writes a byte. */
	fd = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(out, "%s: %s\n", dest, strerror(errno));
		goto out;
	}
	close(fd);
	if (sqlite3_open_v2(buf_cstr(&path), &src, SQLITE_OPEN_READONLY,
	                    NULL) != SQLITE_OK) {
		fprintf(out, "%s: %s\n", buf_cstr(&path),
		        src ? sqlite3_errmsg(src) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(src, 5000);
	if (sqlite3_open_v2(dest, &dst, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK) {
		fprintf(out, "%s: %s\n", dest,
		        dst ? sqlite3_errmsg(dst) : "out of memory");
		goto fail;
	}
	bk = sqlite3_backup_init(dst, "main", src, "main");
	if (bk == NULL) {
		fprintf(out, "backup: %s\n", sqlite3_errmsg(dst));
		goto fail;
	}
	/* -1: every page in one step, under one read transaction. */
	rc = sqlite3_backup_step(bk, -1);
	sqlite3_backup_finish(bk);
	if (rc != SQLITE_DONE) {
		fprintf(out, "backup: %s\n", sqlite3_errstr(rc));
		rc = 1;
		goto fail;
	}
	sqlite3_close(dst);
	dst = NULL;
	memset(&c, 0, sizeof(c));
	if (spool_check_db(dest, NULL, 0, 1, &c) != 0) {
		fprintf(out, "backup %s: %s\n", dest, c.problem);
		rc = 1;
		goto fail;
	}
	fprintf(out, "%s: %llu messages backed up from %s\n", dest,
	        (unsigned long long)c.messages, buf_cstr(&path));
	rc = 0;
	goto out;
fail:
	sqlite3_close(dst);
	dst = NULL;
	(void)unlink(dest);
out:
	sqlite3_close(dst);
	sqlite3_close(src);
	buf_fini(&path);
	return rc;
}
