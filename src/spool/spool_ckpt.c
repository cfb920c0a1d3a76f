/*
 * spool_ckpt.c - the spool's background WAL checkpointer.
 *
 * One thread, one read connection, PASSIVE checkpoints on request. A
 * passive checkpoint never waits for the writer and never blocks it; it
 * copies what it can and fsyncs the database file. Failures (a full or
 * failing disk) are logged and retried at the next poke: the frames stay
 * safe in the WAL meanwhile. Nothing here changes what is stored.
 */
#include "spool/spool_ckpt.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <sqlite3.h>

#include "core/log.h"
#include "core/xmalloc.h"

struct spool_ckpt {
	sqlite3 *db;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int wanted;
	int stop;
	unsigned long runs;
};

/* spool_ckpt_main - wait for pokes, checkpoint, repeat. */
static void *
spool_ckpt_main(void *arg)
{
	struct spool_ckpt *c = arg;
	int rc, log_frames, done_frames;

	pthread_mutex_lock(&c->lock);
	for (;;) {
		while (!c->wanted && !c->stop)
			pthread_cond_wait(&c->cond, &c->lock);
		if (c->stop)
			break;
		c->wanted = 0;
		pthread_mutex_unlock(&c->lock);
		rc = sqlite3_wal_checkpoint_v2(c->db, NULL,
		                               SQLITE_CHECKPOINT_PASSIVE,
		                               &log_frames, &done_frames);
		if (rc != SQLITE_OK && rc != SQLITE_BUSY)
			log_warn("spool: checkpoint: %s (sqlite %d)",
			         sqlite3_errmsg(c->db), rc);
		pthread_mutex_lock(&c->lock);
		c->runs++;
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

struct spool_ckpt *
spool_ckpt_start(const char *path, const char *vfs, char *err, size_t errlen)
{
	struct spool_ckpt *c;

	c = xcalloc(1, sizeof(*c));
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
	unsigned long n;

	if (c == NULL)
		return 0;
	pthread_mutex_lock(&c->lock);
	n = c->runs;
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
	free(c);
}
