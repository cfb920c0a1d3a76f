/*
 * spool_vfs.h - the spool's SQLite VFS shim (internal to src/spool).
 *
 * A thin wrapper over the default "unix" VFS, registered under a name of
 * its own for one spool and used only by that spool's connections. It
 * does three things:
 *
 *   - test seam: before each real write or fsync it asks hooks->write_fault
 *     / hooks->sync_fault; a non-zero errno fails the call (ENOSPC becomes
 *     SQLITE_FULL, anything else SQLITE_IOERR_WRITE / SQLITE_IOERR_FSYNC);
 *   - file modes: a file opened to be created is made 0600 whatever
 *     the umask (message bodies are in it);
 *   - WAL scrub (always on): when a write or fsync of the write-ahead log
 *     fails, the log is truncated back to the first byte written since its
 *     last successful fsync. A transaction whose fsync failed may otherwise
 *     sit complete in the page cache and be "recovered" by the next open,
 *     resurrecting messages whose submitters were told it failed.
 */
#ifndef SWERVE_SPOOL_SPOOL_VFS_H
#define SWERVE_SPOOL_SPOOL_VFS_H

struct spool_hooks;
struct spool_vfs;

/*
 * spool_vfs_new - register a shim VFS over "unix" that consults hooks
 * (borrowed, may be NULL). Returns NULL if SQLite has no default VFS.
 */
struct spool_vfs *spool_vfs_new(const struct spool_hooks *hooks);
/* spool_vfs_name - the name to pass to sqlite3_open_v2(). */
const char *spool_vfs_name(const struct spool_vfs *sv);
/* spool_vfs_free - unregister and free; every connection must be closed. */
void spool_vfs_free(struct spool_vfs *sv);

#endif
