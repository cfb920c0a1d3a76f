/*
 * spool_mark.h - the spool's integrity record (internal to src/spool).
 *
 * A small sidecar file, spool.db.mark, saying what must be on disk: that
 * the spool was closed cleanly (then the WAL is gone and everything is in
 * the database), or that it is open and which WAL generation (salts) held
 * at least how many frames at the last checkpoint. It is written at open,
 * by the checkpointer after each checkpoint, and at close; never inside a
 * commit, so it costs ingestion nothing. At the next start it is how a
 * deleted or truncated WAL is noticed (SQLite cannot notice: a missing or
 * short log looks like one that was never written).
 */
#ifndef SWERVE_SPOOL_SPOOL_MARK_H
#define SWERVE_SPOOL_SPOOL_MARK_H

#include <stdint.h>

struct spool_mark {
	int clean;      /* 1: closed cleanly, WAL checkpointed and removed */
	uint32_t salt1; /* open: the WAL generation (0, 0 = none yet) */
	uint32_t salt2;
	uint64_t frames; /* open: frames that generation held at least */
	int64_t at_ms;   /* wall time of the record */
};

/*
 * spool_mark_read - parse the record at path into m. Returns 0, -1 when
 * there is none (ENOENT), -2 when it is unreadable or malformed.
 */
int spool_mark_read(const char *path, struct spool_mark *m);

/*
 * spool_mark_write - replace the record at path with m, durably (temp
 * file, fsync, rename, fsync of the directory), mode 0600. 0 or -1 with
 * errno. Call from one thread at a time.
 */
int spool_mark_write(const char *path, const struct spool_mark *m);

#endif
