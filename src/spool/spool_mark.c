/*
 * spool_mark.c - the spool's integrity record: read and write.
 *
 * Text, one "key value" per line, so an operator can read it with cat:
 *
 *     swerve-spool-mark 1
 *     state open
 *     wal_salt 3735928559 12345
 *     wal_frames 1042
 *     at_ms 1765000000000
 *
 * Replaced atomically; a record that does not parse is reported as such
 * by the caller, never guessed at.
 */
#include "spool/spool_mark.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/xmalloc.h"

/* mark_dir_sync - fsync the directory holding path. */
static int
mark_dir_sync(const char *path)
{
	char *s = xstrdup(path), *slash = strrchr(s, '/');
	int fd, rc = 0;

	if (slash != NULL && slash != s)
		*slash = '\0';
	fd = open(slash != NULL ? s : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0)
		rc = -1;
	if (fd >= 0)
		close(fd);
	free(s);
	return rc;
}

/* spool_mark_read - parse the record. */
int
spool_mark_read(const char *path, struct spool_mark *m)
{
	char line[128], state[16] = "";
	unsigned long long a, b;
	long long t;
	int version = 0, have_salt = 0;
	FILE *f;

	memset(m, 0, sizeof(*m));
	f = fopen(path, "re");
	if (f == NULL)
		return errno == ENOENT ? -1 : -2;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "swerve-spool-mark %d", &version) == 1)
			continue;
		if (sscanf(line, "state %15s", state) == 1)
			continue;
		if (sscanf(line, "wal_salt %llu %llu", &a, &b) == 2 &&
		    a <= UINT32_MAX && b <= UINT32_MAX) {
			m->salt1 = (uint32_t)a;
			m->salt2 = (uint32_t)b;
			have_salt = 1;
			continue;
		}
		if (sscanf(line, "wal_frames %llu", &a) == 1) {
			m->frames = a;
			continue;
		}
		if (sscanf(line, "at_ms %lld", &t) == 1)
			m->at_ms = t;
	}
	fclose(f);
	if (version != 1)
		return -2;
	if (strcmp(state, "clean") == 0)
		m->clean = 1;
	else if (strcmp(state, "open") != 0 || !have_salt)
		return -2;
	return 0;
}

/* spool_mark_write - temp, fsync, rename, fsync dir. */
int
spool_mark_write(const char *path, const struct spool_mark *m)
{
	struct buf tmp, text;
	int fd = -1, rc = -1, saved;

	buf_init(&tmp);
	buf_init(&text);
	buf_printf(&tmp, "%s.tmp", path);
	buf_printf(&text,
	           "swerve-spool-mark 1\nstate %s\nwal_salt %" PRIu32
	           " %" PRIu32 "\nwal_frames %" PRIu64 "\nat_ms %" PRId64 "\n",
	           m->clean ? "clean" : "open", m->salt1, m->salt2, m->frames,
	           m->at_ms);
	fd = open(buf_cstr(&tmp), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	          0600);
	if (fd < 0)
		goto out;
	if (write(fd, text.p, text.len) != (ssize_t)text.len || fsync(fd) != 0)
		goto out;
	if (close(fd) != 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (rename(buf_cstr(&tmp), path) != 0)
		goto out;
	rc = mark_dir_sync(path);
out:
	saved = errno;
	if (fd >= 0)
		close(fd);
	if (rc != 0)
		(void)unlink(buf_cstr(&tmp));
	buf_fini(&tmp);
	buf_fini(&text);
	errno = saved;
	return rc;
}
