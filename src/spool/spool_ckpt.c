/*
 * spool_ckpt.c - the spool's background WAL checkpointer.
 *
 * One thread, one read connection, PASSIVE checkpoints on request. A
 * passive checkpoint never waits for the writer and never blocks it; it
 * copies what it can and fsyncs the database file. Failures (a full or
 * failing disk) are logged and retried at the next poke: the frames stay
 * safe in the WAL meanwhile. Nothing here changes what is stored.
 *
 * After each checkpoint it also rewrites the integrity record (see
 * spool_mark.h) with the WAL's salts and frame count, so that the
 * record follows the log without costing the commits anything.
 */
#include "spool/spool_ckpt.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "spool/spool_mark.h"
#include "spool/spool_wal.h"

struct spool_ckpt {
	sqlite3 *db;
	char *wal;              /* path of the WAL */
	char *mark;             /* path of the integrity record, or NULL */
	struct spool_mark last; /* what was written last */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int wanted;
	int stop;
	unsigned long runs;
	int log_frames;  /* WAL frames at the last checkpoint */
	int done_frames; /* of those, copied into the database */
};

/*
 * spool_ckpt_mark - record the WAL generation (salts read before and
 * after the checkpoint) and its frames. If the writer restarted the log
 * in between, the frame count belongs to the old generation: record the
 * new one with no frames rather than a count it may not reach.
 */
static void
spool_ckpt_mark(struct spool_ckpt *c, uint32_t a1, uint32_t a2, int ok_a,
                int frames)
{
	struct spool_mark m = {0};

	if (c->mark == NULL || spool_wal_salt(c->wal, &m.salt1, &m.salt2) != 0)
		return;
	if (ok_a && a1 == m.salt1 && a2 == m.salt2 && frames > 0)
		m.frames = (uint64_t)frames;
	if (m.salt1 == c->last.salt1 && m.salt2 == c->last.salt2 &&
	    m.frames == c->last.frames)
		return;
	m.at_ms = clock_wall_ms();
	if (spool_mark_write(c->mark, &m) != 0)
		log_warn("spool: write %s: %s", c->mark, strerror(errno));
	else
		c->last = m;
}

/* spool_ckpt_main - wait for pokes, checkpoint, repeat. */
static void *
spool_ckpt_main(void *arg)
{
	struct spool_ckpt *c = arg;
	int rc, log_frames, done_frames, ok_a;
	uint32_t a1 = 0, a2 = 0;

	pthread_mutex_lock(&c->lock);
	for (;;) {
		while (!c->wanted && !c->stop)
			pthread_cond_wait(&c->cond, &c->lock);
		if (c->stop)
			break;
		c->wanted = 0;
		pthread_mutex_unlock(&c->lock);
		ok_a = c->mark != NULL && spool_wal_salt(c->wal, &a1, &a2) == 0;
		rc = sqlite3_wal_checkpoint_v2(c->db, NULL,
		                               SQLITE_CHECKPOINT_PASSIVE,
		                               &log_frames, &done_frames);
		if (rc != SQLITE_OK && rc != SQLITE_BUSY)
			log_warn("spool: checkpoint: %s (sqlite %d)",
			         sqlite3_errmsg(c->db), rc);
		else
			spool_ckpt_mark(c, a1, a2, ok_a, log_frames);
		pthread_mutex_lock(&c->lock);
		if (rc == SQLITE_OK) {
			c->log_frames = log_frames;
			c->done_frames = done_frames;
		}
		c->runs++;
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

struct spool_ckpt *
spool_ckpt_start(const char *path, const char *vfs, const char *mark, char *err,
                 size_t errlen)
{
	struct spool_ckpt *c;
	struct buf wal;

	c = xcalloc(1, sizeof(*c));
	buf_init(&wal);
	buf_printf(&wal, "%s-wal", path);
	c->wal = buf_steal(&wal, NULL);
	c->mark = mark != NULL ? xstrdup(mark) : NULL;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	if (sqlite3_open_v2(path, &c->db,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
	                    vfs) != SQLITE_OK) {
		snprintf(err, errlen, "spool: checkpointer: open %s: %s", path,
		         c->db ? sqlite3_errmsg(c->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(c->db, 1000);
	/* A connection only knows it is in WAL mode once it has read the
	 * database; until then a checkpoint is a silent no-op. */
	if (sqlite3_exec(c->db, "SELECT count(*) FROM sqlite_schema", NULL,
	                 NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "spool: checkpointer: %s: %s", path,
		         sqlite3_errmsg(c->db));
		goto fail;
	}
	/* This connection never writes; the writer's close does the last
	 * checkpoint (it closes after us). */
	sqlite3_wal_autocheckpoint(c->db, 0);
	if (pthread_create(&c->thread, NULL, spool_ckpt_main, c) != 0) {
		snprintf(err, errlen, "spool: cannot start the checkpointer");
		goto fail;
	}
	return c;
fail:
	sqlite3_close(c->db);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	free(c->wal);
	free(c->mark);
	free(c);
	return NULL;
}

void
spool_ckpt_poke(struct spool_ckpt *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	if (!c->wanted) {
		c->wanted = 1;
		pthread_cond_signal(&c->cond);
	}
	pthread_mutex_unlock(&c->lock);
}

unsigned long
spool_ckpt_runs(struct spool_ckpt *c)
{
	int log, done;

	return spool_ckpt_frames(c, &log, &done);
}

unsigned long
spool_ckpt_frames(struct spool_ckpt *c, int *log, int *done)
{
	unsigned long n;

	*log = *done = 0;
	if (c == NULL)
		return 0;
	pthread_mutex_lock(&c->lock);
	n = c->runs;
	*log = c->log_frames;
	*done = c->done_frames;
	pthread_mutex_unlock(&c->lock);
	return n;
}

void
spool_ckpt_stop(struct spool_ckpt *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	c->stop = 1;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	if (sqlite3_close(c->db) != SQLITE_OK)
		log_warn("spool: checkpointer close: %s",
		         sqlite3_errmsg(c->db));
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	free(c->wal);
	free(c->mark);
	free(c);
}
