/*
 * incident_write.c - the post-incident report written to files
 * (incidents_report_write in incident.h).
 *
 * The scope is read from the spool, the three formats are rendered on
 * the loop (incident_report.c, pure), and the files are written on the
 * spool's writer thread (spool_exec), so the loop never waits for the
 * disk: each to a temporary name, fsynced, then renamed into place.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "incident/incident_int.h"
#include "incident/incident_report.h"
#include "spool/spool.h"

#define WRITE_FORMATS 3

struct write_job {
	struct incidents *in;
	char id[INCIDENT_ID_SIZE];
	char *dir;
	char *path[WRITE_FORMATS];
	struct buf body[WRITE_FORMATS];
	int err; /* errno of the first failure */
};

/* write_one - body to path through path.tmp; 0 or an errno value. */
static int
write_one(const char *path, const struct buf *body)
{
	char tmp[4096];
	int fd, e = 0;
	size_t off = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno;
	while (off < body->len) {
		ssize_t w = write(fd, body->p + off, body->len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			e = w < 0 ? errno : EIO;
			break;
		}
		off += (size_t)w;
	}
	if (e == 0 && fsync(fd) != 0)
		e = errno;
	if (close(fd) != 0 && e == 0)
		e = errno;
	if (e == 0 && rename(tmp, path) != 0)
		e = errno;
	if (e != 0)
		(void)unlink(tmp);
	return e;
}

/* write_exec - the files (writer thread). Never fails the batch. */
static int
write_exec(struct sqlite3 *db, void *arg)
{
	struct write_job *j = arg;

	(void)db;
	if (mkdir(j->dir, 0700) != 0 && errno != EEXIST) {
		j->err = errno;
		return SPOOL_OK;
	}
	for (int i = 0; i < WRITE_FORMATS && j->err == 0; i++)
		j->err = write_one(j->path[i], &j->body[i]);
	return SPOOL_OK;
}

/* write_free - free j. */
static void
write_free(struct write_job *j)
{
	for (int i = 0; i < WRITE_FORMATS; i++) {
		free(j->path[i]);
		buf_fini(&j->body[i]);
	}
	free(j->dir);
	free(j);
}

/* write_done - remember the Markdown file's path (loop thread). */
static void
write_done(int status, void *arg)
{
	struct write_job *j = arg;

	if (status == SPOOL_OK && j->err == 0) {
		(void)incidents_report_path_set(j->in, j->id, j->path[0]);
		log_info("incidents: %s: report written to %s", j->id,
		         j->path[0]);
	} else {
		log_warn("incidents: %s: report not written to %s: %s", j->id,
		         j->dir,
		         j->err ? strerror(j->err) : spool_status_name(status));
	}
	write_free(j);
}

/* write_on_scope - render the three formats, hand them to the writer. */
static void
write_on_scope(int status, const struct incident_scope *s, void *arg)
{
	struct write_job *j = arg;
	struct incident_info ii;
	int64_t now = clock_wall_ms();
	size_t n;

	if (incidents_find(j->in, j->id, &ii) != 0) {
		write_free(j);
		return;
	}
	n = strlen(j->dir) + strlen(j->id) + 8;
	for (int i = 0; i < WRITE_FORMATS; i++) {
		enum incident_report_format f = (enum incident_report_format)i;

		j->path[i] = xmalloc(n);
		snprintf(j->path[i], n, "%s/%s.%s", j->dir, j->id,
		         incident_report_ext(f));
		buf_init(&j->body[i]);
		incident_report_render(&ii, status == SPOOL_OK ? s : NULL, now,
		                       f, &j->body[i]);
	}
	if (spool_exec(j->in->sp, write_exec, write_done, j) != 0)
		write_free(j);
}

int
incidents_report_write(struct incidents *in, const char *id)
{
	struct incident_info ii;
	struct write_job *j;

	if (in->sp == NULL || in->report_dir == NULL ||
	    incidents_find(in, id, &ii) != 0)
		return -1;
	j = xcalloc(1, sizeof(*j));
	j->in = in;
	snprintf(j->id, sizeof(j->id), "%s", ii.id);
	j->dir = xstrdup(in->report_dir);
	if (incidents_scope(in, id, clock_wall_ms(), write_on_scope, j) != 0) {
		free(j->dir);
		free(j);
		return -1;
	}
	return 0;
}
