/*
 * spool_wal.h - read-only inspection of an SQLite write-ahead log
 * (internal to src/spool).
 *
 * SQLite's own recovery keeps the longest prefix of the WAL whose frame
 * checksums chain, and silently drops everything after the first bad
 * frame, or the whole log when its header checksum is wrong. That is
 * right after a torn write at the tail, and wrong when bytes in the
 * middle were damaged: committed transactions after the damage vanish
 * without a word. This module reads the log itself, before SQLite opens
 * it, and tells the two apart. It never writes.
 */
#ifndef SWERVE_SPOOL_SPOOL_WAL_H
#define SWERVE_SPOOL_SPOOL_WAL_H

#include <stdint.h>

struct spool_wal_scan {
	int present;    /* the -wal file exists */
	int header_ok;  /* 32-byte header present, magic and checksum ok */
	uint64_t size;  /* bytes in the file */
	uint32_t salt1; /* header salts (valid when header_ok) */
	uint32_t salt2;
	uint32_t page_size;
	uint64_t frames;  /* frames SQLite will replay (last valid commit) */
	uint64_t commits; /* commit frames among them */
	uint64_t bad_at;  /* first frame (1-based) breaking the chain, or 0 */
	/* Frames of this log generation after the break whose own checksum
	 * is intact, and how many of them end a transaction: committed
	 * work SQLite would drop. Non-zero lost_commits means damage. */
	uint64_t lost_frames;
	uint64_t lost_commits;
};

/*
 * spool_wal_scan - inspect the WAL at path into out (zeroed first).
 * Returns 0, or -1 with errno when the file exists but cannot be read.
 * A missing file is not an error (out->present = 0).
 */
int spool_wal_scan(const char *path, struct spool_wal_scan *out);

/*
 * spool_wal_salt - read only the header salts of the WAL at path.
 * Returns 0 when the header is present and its checksum holds, else -1.
 */
int spool_wal_salt(const char *path, uint32_t *salt1, uint32_t *salt2);

/*
 * spool_wal_repair - write to dst a copy of the WAL at src whose
 * checksums are recomputed, so that SQLite replays every frame of its
 * generation (the salts of the header, or of the first frame when the
 * header is damaged), damaged or not. Only for counting what damage
 * cost (the copy may hold damaged pages); never for the spool itself.
 * Returns the frames kept, or -1 with errno.
 */
long spool_wal_repair(const char *src, const char *dst);

#endif
