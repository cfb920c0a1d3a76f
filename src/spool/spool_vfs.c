/*
 * spool_vfs.c - the spool's SQLite VFS shim: fault hooks and WAL scrub.
 *
 * Every method forwards to the real "unix" VFS. Only xWrite, xSync and
 * xTruncate of files add behaviour (see spool_vfs.h). One shim is
 * registered per spool, under a unique name, so two spools in one process
 * (the tests open several) keep their own hooks. Nothing here allocates
 * per I/O or takes locks: SQLite serialises calls on one file.
 */
#include "spool/spool_vfs.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "core/log.h"
#include "core/xmalloc.h"
#include "spool/spool.h"

struct spool_vfs {
	sqlite3_vfs vfs; /* what SQLite sees; pAppData points back here */
	sqlite3_vfs *real;
	const struct spool_hooks *hooks;
	char name[64];
};

struct vfs_file {
	sqlite3_file base; /* pMethods = &vfs_io_methods */
	struct spool_vfs *sv;
	sqlite3_file *real; /* the unix file, allocated right after us */
	int is_wal;
	sqlite3_int64 dirty_lo; /* first byte written since last fsync, or -1 */
};

#define VFS_FILE_HDR ((sizeof(struct vfs_file) + 15) & ~(size_t)15)

static struct spool_vfs *
vfs_of(sqlite3_vfs *v)
{
	return v->pAppData;
}

/* vfs_file_scrub - drop the unsynced tail of a WAL after a failed I/O. */
static void
vfs_file_scrub(struct vfs_file *f, const char *what)
{
	int rc;

	if (!f->is_wal || f->dirty_lo < 0)
		return;
	rc = f->real->pMethods->xTruncate(f->real, f->dirty_lo);
	if (rc != SQLITE_OK)
		log_error("spool: %s failed and truncating the WAL to %lld "
		          "failed too (sqlite %d)",
		          what, (long long)f->dirty_lo, rc);
	else
		log_warn("spool: %s failed; WAL truncated to %lld bytes", what,
		         (long long)f->dirty_lo);
	f->dirty_lo = -1;
}

/* vfs_fault - the errno a hook injects for this call, or 0. */
static int
vfs_fault(struct vfs_file *f, int sync)
{
	const struct spool_hooks *h = f->sv->hooks;

	if (h == NULL)
		return 0;
	if (sync)
		return h->sync_fault ? h->sync_fault(h->arg) : 0;
	return h->write_fault ? h->write_fault(h->arg) : 0;
}

static int
vfs_io_close(sqlite3_file *file)
{
	struct vfs_file *f = (struct vfs_file *)file;

	return f->real->pMethods->xClose(f->real);
}

static int
vfs_io_read(sqlite3_file *file, void *p, int n, sqlite3_int64 off)
{
	struct vfs_file *f = (struct vfs_file *)file;

	return f->real->pMethods->xRead(f->real, p, n, off);
}

static int
vfs_io_write(sqlite3_file *file, const void *p, int n, sqlite3_int64 off)
{
	struct vfs_file *f = (struct vfs_file *)file;
	int err, rc;

	if (f->is_wal && (f->dirty_lo < 0 || off < f->dirty_lo))
		f->dirty_lo = off;
	err = vfs_fault(f, 0);
	if (err != 0)
		rc = err == ENOSPC ? SQLITE_FULL : SQLITE_IOERR_WRITE;
	else
		rc = f->real->pMethods->xWrite(f->real, p, n, off);
	if (rc != SQLITE_OK)
		vfs_file_scrub(f, "write");
	return rc;
}

static int
vfs_io_truncate(sqlite3_file *file, sqlite3_int64 size)
{
	struct vfs_file *f = (struct vfs_file *)file;
	int rc;

	rc = f->real->pMethods->xTruncate(f->real, size);
	if (rc == SQLITE_OK && f->dirty_lo >= size)
		f->dirty_lo = -1;
	return rc;
}

static int
vfs_io_sync(sqlite3_file *file, int flags)
{
	struct vfs_file *f = (struct vfs_file *)file;
	int err, rc;

	err = vfs_fault(f, 1);
	if (err != 0)
		rc = err == ENOSPC ? SQLITE_FULL : SQLITE_IOERR_FSYNC;
	else
		rc = f->real->pMethods->xSync(f->real, flags);
	if (rc != SQLITE_OK)
		vfs_file_scrub(f, "fsync");
	else
		f->dirty_lo = -1;
	return rc;
}

static int
vfs_io_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
	struct vfs_file *f = (struct vfs_file *)file;

	return f->real->pMethods->xFileSize(f->real, size);
}

static int
vfs_io_lock(sqlite3_file *file, int lock)
{
	struct vfs_file *f = (struct vfs_file *)file;

	return f->real->pMethods->xLock(f->real, lock);
}

static int
vfs_io_unlock(sqlite3_file *file, int lock)
{
	struct vfs_file *f = (struct vfs_file *)file;

	return f->real->pMethods->xUnlock(f->real, lock);
}

static int
vfs_io_check_reserved_lock(sqlite3_file *file, int *out)
{
	struct vfs_file *f = (struct vfs_file *)file;

	return f->real->pMethods->xCheckReservedLock(f->real, out);
}

static int
vfs_io_file_control(sqlite3_file *file, int op, void *arg)
{
	struct vfs_file *f = (struct vfs_file *)file;

	return f->real->pMethods->xFileControl(f->real, op, arg);
}

static int
vfs_io_sector_size(sqlite3_file *file)
{
	struct vfs_file *f = (struct vfs_file *)file;

	return f->real->pMethods->xSectorSize(f->real);
}

static int
vfs_io_device_characteristics(sqlite3_file *file)
{
	struct vfs_file *f = (struct vfs_file *)file;

	return f->real->pMethods->xDeviceCharacteristics(f->real);
}

static int
vfs_io_shm_map(sqlite3_file *file, int pg, int pgsz, int extend,
               void volatile **pp)
{
	struct vfs_file *f = (struct vfs_file *)file;

	return f->real->pMethods->xShmMap(f->real, pg, pgsz, extend, pp);
}

static int
vfs_io_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
	struct vfs_file *f = (struct vfs_file *)file;

	return f->real->pMethods->xShmLock(f->real, offset, n, flags);
}

static void
vfs_io_shm_barrier(sqlite3_file *file)
{
	struct vfs_file *f = (struct vfs_file *)file;

	f->real->pMethods->xShmBarrier(f->real);
}

static int
vfs_io_shm_unmap(sqlite3_file *file, int del)
{
	struct vfs_file *f = (struct vfs_file *)file;

	return f->real->pMethods->xShmUnmap(f->real, del);
}

static int
vfs_io_fetch(sqlite3_file *file, sqlite3_int64 off, int n, void **pp)
{
	struct vfs_file *f = (struct vfs_file *)file;

	return f->real->pMethods->xFetch(f->real, off, n, pp);
}

static int
vfs_io_unfetch(sqlite3_file *file, sqlite3_int64 off, void *p)
{
	struct vfs_file *f = (struct vfs_file *)file;

	return f->real->pMethods->xUnfetch(f->real, off, p);
}

static const sqlite3_io_methods vfs_io_methods = {
    .iVersion = 3,
    .xClose = vfs_io_close,
    .xRead = vfs_io_read,
    .xWrite = vfs_io_write,
    .xTruncate = vfs_io_truncate,
    .xSync = vfs_io_sync,
    .xFileSize = vfs_io_file_size,
    .xLock = vfs_io_lock,
    .xUnlock = vfs_io_unlock,
    .xCheckReservedLock = vfs_io_check_reserved_lock,
    .xFileControl = vfs_io_file_control,
    .xSectorSize = vfs_io_sector_size,
    .xDeviceCharacteristics = vfs_io_device_characteristics,
    .xShmMap = vfs_io_shm_map,
    .xShmLock = vfs_io_shm_lock,
    .xShmBarrier = vfs_io_shm_barrier,
    .xShmUnmap = vfs_io_shm_unmap,
    .xFetch = vfs_io_fetch,
    .xUnfetch = vfs_io_unfetch,
};

static int
vfs_open(sqlite3_vfs *v, sqlite3_filename name, sqlite3_file *file, int flags,
         int *out_flags)
{
	struct spool_vfs *sv = vfs_of(v);
	struct vfs_file *f = (struct vfs_file *)file;
	int rc;

	memset(f, 0, VFS_FILE_HDR);
	f->sv = sv;
	f->real = (sqlite3_file *)((char *)f + VFS_FILE_HDR);
	f->is_wal = (flags & SQLITE_OPEN_WAL) != 0;
	f->dirty_lo = -1;
	rc = sv->real->xOpen(sv->real, name, f->real, flags, out_flags);
	if (rc != SQLITE_OK) {
		/* The real file may need its close even after a failed open. */
		if (f->real->pMethods != NULL)
			f->real->pMethods->xClose(f->real);
		f->base.pMethods = NULL;
		return rc;
	}
	/*
	 * Message bodies are in these files: owner only, whatever the
	 * umask. SQLite creates the database with 0644 & ~umask and the WAL
	 * and shared-memory files with the database's mode, so fixing the
	 * database right after it is created fixes them all.
	 */
	if ((flags & SQLITE_OPEN_CREATE) != 0 && name != NULL &&
	    chmod(name, 0600) != 0)
		log_warn("spool: chmod 0600 %s: %s", name, strerror(errno));
	f->base.pMethods = &vfs_io_methods;
	return SQLITE_OK;
}

static int
vfs_delete(sqlite3_vfs *v, const char *name, int sync_dir)
{
	sqlite3_vfs *r = vfs_of(v)->real;

	return r->xDelete(r, name, sync_dir);
}

static int
vfs_access(sqlite3_vfs *v, const char *name, int flags, int *out)
{
	sqlite3_vfs *r = vfs_of(v)->real;

	return r->xAccess(r, name, flags, out);
}

static int
vfs_full_pathname(sqlite3_vfs *v, const char *name, int n, char *out)
{
	sqlite3_vfs *r = vfs_of(v)->real;

	return r->xFullPathname(r, name, n, out);
}

static void *
vfs_dl_open(sqlite3_vfs *v, const char *name)
{
	sqlite3_vfs *r = vfs_of(v)->real;

	return r->xDlOpen(r, name);
}

static void
vfs_dl_error(sqlite3_vfs *v, int n, char *out)
{
	sqlite3_vfs *r = vfs_of(v)->real;

	r->xDlError(r, n, out);
}

static void (*vfs_dl_sym(sqlite3_vfs *v, void *h, const char *sym))(void)
{
	sqlite3_vfs *r = vfs_of(v)->real;

	return r->xDlSym(r, h, sym);
}

static void
vfs_dl_close(sqlite3_vfs *v, void *h)
{
	sqlite3_vfs *r = vfs_of(v)->real;

	r->xDlClose(r, h);
}

static int
vfs_randomness(sqlite3_vfs *v, int n, char *out)
{
	sqlite3_vfs *r = vfs_of(v)->real;

	return r->xRandomness(r, n, out);
}

static int
vfs_sleep(sqlite3_vfs *v, int us)
{
	sqlite3_vfs *r = vfs_of(v)->real;

	return r->xSleep(r, us);
}

static int
vfs_current_time(sqlite3_vfs *v, double *out)
{
	sqlite3_vfs *r = vfs_of(v)->real;

	return r->xCurrentTime(r, out);
}

static int
vfs_get_last_error(sqlite3_vfs *v, int n, char *out)
{
	sqlite3_vfs *r = vfs_of(v)->real;

	return r->xGetLastError(r, n, out);
}

static int
vfs_current_time_int64(sqlite3_vfs *v, sqlite3_int64 *out)
{
	sqlite3_vfs *r = vfs_of(v)->real;

	return r->xCurrentTimeInt64(r, out);
}

/* spool_vfs_new - register a shim over the default VFS for one spool. */
struct spool_vfs *
spool_vfs_new(const struct spool_hooks *hooks)
{
	static unsigned long serial;
	static const char *const prefix = "swerve-spool";
	struct spool_vfs *sv;
	sqlite3_vfs *real;

	real = sqlite3_vfs_find("unix");
	if (real == NULL)
		real = sqlite3_vfs_find(NULL);
	if (real == NULL || real->iVersion < 2)
		return NULL;
	sv = xcalloc(1, sizeof(*sv));
	sv->real = real;
	sv->hooks = hooks;
	snprintf(sv->name, sizeof(sv->name), "%s-%lu-%p", prefix,
	         __atomic_add_fetch(&serial, 1, __ATOMIC_RELAXED), (void *)sv);
	sv->vfs.iVersion = 2;
	sv->vfs.szOsFile = (int)(VFS_FILE_HDR + (size_t)real->szOsFile);
	sv->vfs.mxPathname = real->mxPathname;
	sv->vfs.zName = sv->name;
	sv->vfs.pAppData = sv;
	sv->vfs.xOpen = vfs_open;
	sv->vfs.xDelete = vfs_delete;
	sv->vfs.xAccess = vfs_access;
	sv->vfs.xFullPathname = vfs_full_pathname;
	sv->vfs.xDlOpen = vfs_dl_open;
	sv->vfs.xDlError = vfs_dl_error;
	sv->vfs.xDlSym = vfs_dl_sym;
	sv->vfs.xDlClose = vfs_dl_close;
	sv->vfs.xRandomness = vfs_randomness;
	sv->vfs.xSleep = vfs_sleep;
	sv->vfs.xCurrentTime = vfs_current_time;
	sv->vfs.xGetLastError = vfs_get_last_error;
	sv->vfs.xCurrentTimeInt64 = vfs_current_time_int64;
	if (sqlite3_vfs_register(&sv->vfs, 0) != SQLITE_OK) {
		free(sv);
		return NULL;
	}
	return sv;
}

/* spool_vfs_name - the registered name. */
const char *
spool_vfs_name(const struct spool_vfs *sv)
{
	return sv->name;
}

/* spool_vfs_free - unregister and free. */
void
spool_vfs_free(struct spool_vfs *sv)
{
	if (sv == NULL)
		return;
	sqlite3_vfs_unregister(&sv->vfs);
	free(sv);
}
