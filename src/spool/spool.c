/*
 * spool.c - the durable message store and its group-commit writer.
 *
 * The only code that writes message state. Loop-thread callers queue jobs
 * (submits, reads, claims, outcomes) under a mutex and signal a condition
 * variable; one writer thread takes everything waiting (up to batch_max),
 * runs it as one transaction with one fsync, and hands the finished jobs
 * back through an eventfd watched by the loop, where their callbacks run.
 * A submitter is told SPOOL_OK only after that commit returned. A batch
 * whose write or fsync fails is rolled back as a whole (the VFS shim
 * also scrubs its frames from the WAL), every job in it gets SPOOL_ERR_IO,
 * and the writer reopens its connection before the next batch.
 *
 * Counts per state live in memory (loaded at open, updated after each
 * commit) so that spool_counts_get() never touches the disk.
 *
 * Free space: min_free is never overrun by accepted mail. Each submit
 * reserves spool_space_cost() bytes (its body twice, once in the WAL and
 * once in the database after the checkpoint, plus overhead) while it
 * waits in the queue; the writer samples free space with one statvfs per
 * batch that holds a submit and refuses (SPOOL_ERR_FULL) every submit
 * whose cost no longer fits above min_free. WAL frames not yet copied
 * into the database count as used. While idle it samples every second,
 * so service resumes by itself soon after space comes back.
 *
 * Checkpoints run on their own thread (spool_ckpt.c), not inside a
 * commit. Nothing here touches the network or blocks the loop thread:
 * the mutex is held only for list operations.
 *
 * Files: spool_db.c (SQL), spool_vfs.c (fault seam, WAL scrub),
 * spool_job.c (the queued operations), spool_ckpt.c, spool_msg.c.
 */
#include "spool/spool.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "spool/feedback.h"
#include "spool/msg_meta.h"
#include "spool/spool_cache.h"
#include "spool/spool_check.h"
#include "spool/spool_ckpt.h"
#include "spool/spool_db.h"
#include "spool/spool_job.h"
#include "spool/spool_mark.h"
#include "spool/spool_salvage.h"
#include "spool/spool_vfs.h"

#define SPOOL_BATCH_DEFAULT 256
#define SPOOL_SPACE_EVERY_MS 100
/* While idle the writer wakes this seldom to sample free space (and not
 * at all when no min_free is set): an idle spool costs ~no CPU. */
#define SPOOL_SPACE_IDLE_MS 1000
#define SPOOL_GATHER_MAX_US 500
/* WAL frames (4 KiB pages): poke the checkpointer at the soft mark; at
 * the hard mark it cannot keep up, and the writer checkpoints inline. */
#define SPOOL_WAL_SOFT 1000
#define SPOOL_WAL_HARD 16000
#define SPOOL_CKPT_EVERY_US 200000
#define SPOOL_CHECK_BUDGET_MS 10000
/* What one message may cost on disk beyond twice its body: row, index
 * and recipient pages, and the WAL frames' headers. */
#define SPOOL_MSG_OVERHEAD 16384
/* Bytes one WAL frame may add to the database when it is checkpointed
 * (a 4 KiB page; the frame's header is not copied). */
#define SPOOL_PAGE_BYTES 4096

struct spool {
	char *dir;
	char *db_path;
	char *mark_path; /* the integrity record, spool.db.mark */
	uint64_t min_free;
	uint64_t max_messages;
	size_t batch_max;
	unsigned gather_us; /* opts.commit_gather_us */
	atomic_int in_data; /* spool_data_hint(): sessions receiving */
	const struct spool_hooks *hooks;
	struct spool_vfs *vfs;
	struct spool_ckpt *ckpt;
	struct spool_cache *cache; /* fresh bodies for their claim; or NULL */

	struct spool_db *db; /* the writer's; NULL after a failed reopen */
	pthread_t writer;
	int writer_started;
	uint64_t space_at_ms;    /* writer: last statvfs (monotonic) */
	uint64_t ckpt_inline_us; /* writer: last inline checkpoint */
	uint64_t ckpt_poke_us;   /* writer: last poke of the checkpointer */
	int wal_last;            /* writer: WAL frames at the last sample */
	/* writer: checkpoint runs before the last WAL restart seen (their
	 * figures are of the old log) */
	unsigned long ckpt_fresh;
	/* writer: frames were committed since the last poke, which was too
	 * recent to poke again; paid when the writer goes idle. */
	int ckpt_owed;

	pthread_mutex_t lock; /* guards everything below */
	pthread_cond_t cond;
	struct spool_job_list queue;
	size_t queued_submits;
	size_t queued_outcomes;
	uint64_t outcome_delay_us;
	struct spool_job_list done;
	int closing;
	int disk_low;
	uint64_t avail;       /* bytes free at the last sample (written by the
	                         writer under lock; it reads without) */
	uint64_t reserved;    /* spool_space_cost() of the queued submits */
	uint64_t wal_debt;    /* bytes the checkpoint may still add */
	int damaged;          /* see spool_health(); never cleared */
	char damage_why[256]; /* the first damage seen */
	uint64_t handed_gen;  /* batches handed back to the loop */
	uint64_t drained_gen; /* of those, callbacks already run */
	size_t last_batch;    /* jobs in the last batch */
	struct spool_counts counts;
	/* The earliest time committed batches made mail due at, not yet
	 * told to the watcher (INT64_MAX: nothing). */
	int64_t due_pending;

	spool_due_fn *due_fn; /* loop thread only */
	void *due_arg;

	/* The outbox: set on the loop under outbox_lock, which the writer
	 * holds for a whole batch; outbox_stored (under lock): a commit
	 * stored rows the waker was not told of yet. */
	pthread_mutex_t outbox_lock;
	spool_outbox_fn *outbox_fn;
	spool_outbox_wake_fn *outbox_wake;
	void *outbox_arg;
	int outbox_stored;

	int efd;
	struct event *ev;
};

/* spool_wake_loop - make the loop's eventfd readable. */
static void
spool_wake_loop(struct spool *sp)
{
	uint64_t one = 1;

	/* EAGAIN means the counter is already non-zero: the loop will run. */
	if (write(sp->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("spool: eventfd write: %s", strerror(errno));
}

/* spool_done_run - run the callbacks of every finished job. */
static void
spool_done_run(struct spool *sp)
{
	struct spool_job_list done;
	struct spool_job *j, *next;
	uint64_t gen;
	int64_t due;
	int outbox;

	pthread_mutex_lock(&sp->lock);
	done = sp->done;
	if (done.head == NULL)
		done.tail = &done.head;
	spool_job_list_init(&sp->done);
	gen = sp->handed_gen;
	due = sp->due_pending;
	sp->due_pending = INT64_MAX;
	outbox = sp->outbox_stored;
	sp->outbox_stored = 0;
	pthread_mutex_unlock(&sp->lock);
	for (j = done.head; j != NULL; j = next) {
		next = j->next;
		spool_job_deliver(j);
		spool_job_free(j);
	}
	if (due != INT64_MAX && sp->due_fn != NULL)
		sp->due_fn(due, sp->due_arg);
	/* Read on the loop, which is the only thread that sets it. */
	if (outbox && sp->outbox_wake != NULL)
		sp->outbox_wake(sp->outbox_arg);
	/* Whatever those callbacks submitted is queued now: tell the
	 * writer, which may be gathering them (see spool_writer_gather). */
	pthread_mutex_lock(&sp->lock);
	if (gen > sp->drained_gen) {
		sp->drained_gen = gen;
		pthread_cond_signal(&sp->cond);
	}
	pthread_mutex_unlock(&sp->lock);
}

/* spool_on_wake - the loop's eventfd callback. */
static void
spool_on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct spool *sp = arg;
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_warn("spool: eventfd read: %s", strerror(errno));
	spool_done_run(sp);
}

/*
 * spool_wal_debt - bytes the database may still grow by when the WAL's
 * frames not yet checkpointed are copied into it (writer thread). Free
 * space does not show them yet, but the checkpoint will take them.
 */
static uint64_t
spool_wal_debt(struct spool *sp)
{
	int frames, log, done;
	unsigned long runs;

	frames = sp->db != NULL ? spool_db_wal_frames(sp->db) : 0;
	runs = spool_ckpt_frames(sp->ckpt, &log, &done);
	/* Fewer frames than last time: the log restarted, and what the
	 * checkpointer said until now is about the old one. */
	if (frames < sp->wal_last)
		sp->ckpt_fresh = runs;
	sp->wal_last = frames;
	/*
	 * XXX: a checkpoint that started before the restart and ended
	 * after it is taken as one of the new log; the debt is then too
	 * small by at most the frames of one commit batch.
	 */
	if (runs > sp->ckpt_fresh && log <= frames && done <= log)
		frames -= done;
	return (uint64_t)frames * SPOOL_PAGE_BYTES;
}

/* spool_space_refresh - sample free space if due (writer thread). */
static void
spool_space_refresh(struct spool *sp, int force)
{
	struct statvfs vfs;
	uint64_t now = clock_mono_ms(), avail, debt;
	int rc, low;

	if (!force && now - sp->space_at_ms < SPOOL_SPACE_EVERY_MS)
		return;
	sp->space_at_ms = now;
	if (sp->min_free == 0)
		return;
	if (sp->hooks != NULL && sp->hooks->statvfs != NULL)
		rc = sp->hooks->statvfs(sp->dir, &vfs, sp->hooks->arg);
	else
		rc = statvfs(sp->dir, &vfs);
	if (rc != 0) {
		log_warn("spool: statvfs %s: %s", sp->dir, strerror(errno));
		return;
	}
	avail = (uint64_t)vfs.f_bavail * (uint64_t)vfs.f_frsize;
	low = avail < sp->min_free;
	debt = spool_wal_debt(sp);
	/* Space is short and a checkpoint would settle the debt: ask for
	 * one when the writer goes idle (no cost while space is ample). */
	if (debt > 0 && avail < sp->min_free + 2 * debt)
		sp->ckpt_owed = 1;
	pthread_mutex_lock(&sp->lock);
	if (low != sp->disk_low) {
		if (low)
			log_warn("spool: %s has %llu bytes free, below "
			         "min_free %llu: refusing new messages",
			         sp->dir, (unsigned long long)avail,
			         (unsigned long long)sp->min_free);
		else
			log_info("spool: %s has %llu bytes free again: "
			         "accepting",
			         sp->dir, (unsigned long long)avail);
	}
	sp->disk_low = low;
	sp->avail = avail;
	sp->wal_debt = debt;
	pthread_mutex_unlock(&sp->lock);
}

/* spool_space_cost - bytes reserved for a message of len body bytes. */
static uint64_t
spool_space_cost(size_t len)
{
	return 2 * (uint64_t)len + SPOOL_MSG_OVERHEAD;
}

/* spool_space_room - bytes above min_free at the last sample (locked). */
static uint64_t
spool_space_room(const struct spool *sp)
{
	if (sp->min_free == 0)
		return UINT64_MAX;
	return sp->avail > sp->min_free + sp->wal_debt
	           ? sp->avail - sp->min_free - sp->wal_debt
	           : 0;
}

/* spool_db_reopen - (re)open the writer's connection after a failure. */
static int
spool_db_reopen(struct spool *sp)
{
	char err[256];

	spool_db_close(sp->db);
	sp->db =
	    spool_db_open(sp->db_path, sp->vfs ? spool_vfs_name(sp->vfs) : NULL,
	                  err, sizeof(err));
	if (sp->db == NULL) {
		log_warn("%s", err);
		return SPOOL_ERR_IO;
	}
	return SPOOL_OK;
}

/*
 * spool_damage_note - the writer met SQLite code `code` (0: nothing to
 * note): a damaged database makes the spool unhealthy for good. Logged
 * once, at the decision.
 */
static void
spool_damage_note(struct spool *sp, int code)
{
	if (code == 0)
		return;
	pthread_mutex_lock(&sp->lock);
	if (!sp->damaged) {
		sp->damaged = 1;
		snprintf(sp->damage_why, sizeof(sp->damage_why),
		         "%s: %s (sqlite %d)", sp->db_path,
		         sqlite3_errstr(code), code);
		log_error("spool: %s: the store is damaged; refusing new "
		          "messages until it is checked (swervectl spool "
		          "check) and swerved restarted",
		          sp->damage_why);
	}
	pthread_mutex_unlock(&sp->lock);
}

/*
 * spool_msg_new_plan - how m is stored at now (wall ms): sandboxed when
 * its meta asks for a sandbox, scheduled until its send_at when that is
 * later than now, else ready now. A meta that does not decode asks
 * nothing (ingress made it with msg_meta_encode()).
 */
static void
spool_msg_new_plan(const struct spool_msg_new *m, int64_t now, int *state,
                   int64_t *due)
{
	struct msg_meta meta;

	*state = SPOOL_STATE_READY;
	*due = now;
	if (m->meta == NULL ||
	    msg_meta_decode(m->meta, strlen(m->meta), &meta) != 0)
		return;
	if (meta.sandbox)
		*state = SPOOL_STATE_SANDBOXED;
	else if (meta.send_at > 0 && meta.send_at < INT64_MAX / 1000 &&
	         meta.send_at * 1000 > now) {
		*state = SPOOL_STATE_SCHEDULED;
		*due = meta.send_at * 1000;
	}
	msg_meta_fini(&meta);
}

/* spool_unfinished - messages that still hold a place in the queue. */
static uint64_t
spool_unfinished(const struct spool *sp)
{
	return sp->counts.state[SPOOL_STATE_READY] +
	       sp->counts.state[SPOOL_STATE_INFLIGHT] +
	       sp->counts.state[SPOOL_STATE_DEFERRED] +
	       sp->counts.state[SPOOL_STATE_SCHEDULED] + sp->queued_submits;
}

/* spool_job_run - do one job inside the open transaction. */
static int
spool_job_run(struct spool *sp, struct spool_job *j, uint64_t *room,
              int64_t now, int64_t delta[SPOOL_STATE_COUNT], uint64_t *stored,
              uint64_t *dedup)
{
	int rc;

	switch (j->kind) {
	case SPOOL_JOB_SUBMIT:
		/* Reserve the space before storing: a burst stops at
		 * min_free, it does not run the disk to zero. */
		if (spool_space_cost(j->m.body.len) > *room) {
			j->status = SPOOL_ERR_FULL;
			return SPOOL_OK;
		}
		if (*room != UINT64_MAX)
			*room -= spool_space_cost(j->m.body.len);
		if (j->m.idempotency_key != NULL) {
			/* Sees earlier submits of this very batch too. */
			char hash[72];
			rc = spool_db_msg_find_idem(sp->db, j->m.tenant,
			                            j->m.idempotency_key, j->id,
			                            hash, sizeof(hash));
			if (rc != SPOOL_ERR_NOTFOUND) {
				if (rc == SPOOL_OK) {
					(*dedup)++;
					j->dup = 1;
				}
				j->status = rc;
				/* A key reused for another payload: refused,
				 * and the rest of the batch goes on. */
				if (rc == SPOOL_OK && j->idem &&
				    j->m.idempotency_hash != NULL &&
				    hash[0] != '\0' &&
				    strcmp(hash, j->m.idempotency_hash) != 0)
					j->status = SPOOL_ERR_CONFLICT;
				return rc;
			}
		}
		if (j->m.id[0] != '\0' && id_valid(j->m.id))
			memcpy(j->id, j->m.id, ID_SIZE);
		else
			id_new(j->id);
		spool_msg_new_plan(&j->m, now, &j->new_state, &j->due_ms);
		rc = spool_db_msg_insert(sp->db, j->id, now, &j->m,
		                         (enum spool_state)j->new_state,
		                         j->due_ms);
		if (rc == SPOOL_OK) {
			delta[j->new_state]++;
			(*stored)++;
		}
		j->status = rc;
		return rc;
	case SPOOL_JOB_GET:
		rc = spool_db_msg_get(sp->db, j->id, j->flags, &j->one);
		break;
	case SPOOL_JOB_LIST:
		rc = spool_db_msg_list(sp->db, j->state, j->id, j->tenant,
		                       j->limit, &j->many, &j->n_many);
		break;
	case SPOOL_JOB_CLAIM:
		rc = spool_db_msg_claim(sp->db, j->stream, j->limit, j->now_ms,
		                        sp->cache, &j->many, &j->n_many, delta);
		break;
	case SPOOL_JOB_OUTCOME:
		rc = spool_db_msg_outcome(sp->db, &j->o, delta);
		break;
	case SPOOL_JOB_PURGE:
		rc = spool_db_msg_purge(sp->db, j->id, j->limit, &j->n_done,
		                        delta);
		break;
	case SPOOL_JOB_NEXT_DUE:
		rc = spool_db_msg_next_due(sp->db, &j->now_ms);
		break;
	case SPOOL_JOB_CANCEL:
		spool_cache_drop(sp->cache, j->id);
		rc = spool_db_msg_cancel(sp->db, j->id, j->tenant, &j->one,
		                         delta);
		break;
	case SPOOL_JOB_RESCHEDULE:
		rc = spool_db_msg_reschedule(sp->db, j->id, j->tenant,
		                             j->due_ms, now, &j->one, delta);
		break;
	case SPOOL_JOB_FEEDBACK:
		rc = spool_db_fb_record(sp->db, j->fb_ev, j->fb_n, j->now_ms,
		                        j->fb_m);
		break;
	case SPOOL_JOB_EXEC:
		rc = j->exec(spool_db_sqlite(sp->db), j->arg);
		break;
	case SPOOL_JOB_WH_ENQUEUE:
		rc = spool_db_wh_insert(sp->db, j->wh, j->wh_n, now);
		break;
	case SPOOL_JOB_WH_CLAIM:
		rc = spool_db_wh_claim(sp->db, j->now_ms, j->due_ms, j->limit,
		                       &j->wh, &j->wh_n, &j->wh_c);
		break;
	case SPOOL_JOB_WH_SETTLE:
		rc = spool_db_wh_settle(sp->db, j->wh,
		                        (enum spool_wh_verdict)j->wh_verdict);
		break;
	case SPOOL_JOB_WH_DEAD:
		rc = spool_db_wh_dead(sp->db, j->limit, &j->wh, &j->wh_n,
		                      &j->wh_c);
		break;
	default:
		rc = SPOOL_ERR_IO;
	}
	j->status = rc;
	/* Answers, not failures: the batch goes on. */
	return rc == SPOOL_ERR_NOTFOUND || rc == SPOOL_ERR_CONFLICT ? SPOOL_OK
	                                                            : rc;
}

/* spool_outbox_store - ask the outbox for c's rows and store them in
 * the open transaction; *rows counts them. */
static int
spool_outbox_store(struct spool *sp, const struct spool_change *c, int64_t now,
                   size_t *rows)
{
	struct spool_wh *w = NULL;
	size_t n = sp->outbox_fn(c, &w, sp->outbox_arg);
	int rc = SPOOL_OK;

	if (n > 0) {
		rc = spool_db_wh_insert(sp->db, w, n, now);
		*rows += n;
	}
	spool_wh_free(w, n);
	return rc;
}

/* spool_outbox_job - the notices of job j, which succeeded, stored in
 * the open transaction (writer thread, outbox_lock held, fn set). */
static int
spool_outbox_job(struct spool *sp, const struct spool_job *j, int64_t now,
                 size_t *rows)
{
	struct spool_change c;
	char *tenant = NULL, *stream = NULL;
	size_t i;
	int rc = SPOOL_OK;

	memset(&c, 0, sizeof(c));
	c.at_ms = now;
	switch (j->kind) {
	case SPOOL_JOB_SUBMIT:
		if (j->dup || !j->m.announce)
			return SPOOL_OK;
		c.kind = SPOOL_CHANGE_STORED;
		c.msg_id = j->id;
		c.tenant = j->m.tenant;
		c.stream = j->m.stream ? j->m.stream : "transactional";
		c.n_rcpts = j->m.n_rcpts;
		return spool_outbox_store(sp, &c, now, rows);
	case SPOOL_JOB_OUTCOME:
		if (j->o.notice == SPOOL_NOTICE_NONE)
			return SPOOL_OK;
		rc = spool_db_msg_brief(sp->db, j->o.id, &tenant, &stream,
		                        &c.n_rcpts);
		if (rc == SPOOL_OK) {
			c.kind = SPOOL_CHANGE_OUTCOME;
			c.msg_id = j->o.id;
			c.tenant = tenant;
			c.stream = stream;
			c.outcome = &j->o;
			rc = spool_outbox_store(sp, &c, now, rows);
		}
		free(tenant);
		free(stream);
		return rc == SPOOL_ERR_NOTFOUND ? SPOOL_OK : rc;
	case SPOOL_JOB_FEEDBACK:
		c.kind = SPOOL_CHANGE_FEEDBACK;
		for (i = 0; rc == SPOOL_OK && i < j->fb_n; i++) {
			const struct spool_fb_match *m = &j->fb_m[i];

			if (!m->is_new)
				continue;
			c.msg_id = m->msg_id[0] != '\0' ? m->msg_id : NULL;
			c.tenant = m->tenant;
			c.stream = m->stream;
			c.fb = &j->fb_ev[i];
			rc = spool_outbox_store(sp, &c, now, rows);
		}
		return rc;
	default:
		return SPOOL_OK;
	}
}

const uint64_t spool_commit_bounds_us[SPOOL_COMMIT_BUCKETS] = {
    100,   250,   500,   1000,   2500,   5000,
    10000, 25000, 50000, 100000, 250000, 1000000};

/* spool_hist_count - one writing commit of jobs jobs in usec (locked). */
static void
spool_hist_count(struct spool_counts *c, size_t jobs, uint64_t usec)
{
	size_t i = 0;

	while (i < SPOOL_BATCH_BUCKETS && jobs > ((size_t)1 << i))
		i++;
	c->batch_hist[i]++;
	c->batch_jobs += jobs;
	for (i = 0; i < SPOOL_COMMIT_BUCKETS; i++)
		if (usec <= spool_commit_bounds_us[i])
			break;
	c->commit_hist[i]++;
}

/* spool_batch_due - the earliest time the committed batch b made mail
 * due at: stored messages (now) and outcomes to ready or deferred. */
static int64_t
spool_batch_due(const struct spool_job_list *b, int64_t now)
{
	const struct spool_job *j;
	int64_t due = INT64_MAX, at;

	for (j = b->head; j != NULL; j = j->next) {
		if (j->status != SPOOL_OK)
			continue;
		if (j->kind == SPOOL_JOB_SUBMIT && !j->dup &&
		    j->new_state != SPOOL_STATE_SANDBOXED)
			at = j->due_ms;
		else if (j->kind == SPOOL_JOB_RESCHEDULE && j->one != NULL)
			at = j->one->next_attempt_at;
		else if (j->kind == SPOOL_JOB_OUTCOME &&
		         (j->o.next_state == SPOOL_STATE_READY ||
		          j->o.next_state == SPOOL_STATE_DEFERRED))
			at = j->o.next_attempt_at;
		else
			continue;
		if (at < due)
			due = at;
	}
	return due;
}

/*
 * spool_batch_handoff - after b committed: keep the bodies of the ready
 * messages it stored for their claim (spool_cache.h), instead of freeing
 * them with the jobs and reading them back.
 */
static void
spool_batch_handoff(struct spool *sp, struct spool_job_list *b)
{
	struct spool_job *j;

	if (sp->cache == NULL)
		return;
	for (j = b->head; j != NULL; j = j->next)
		if (j->kind == SPOOL_JOB_SUBMIT && j->status == SPOOL_OK &&
		    !j->dup && j->new_state == SPOOL_STATE_READY)
			(void)spool_cache_put(sp->cache, j->id, &j->m.body);
}

/* spool_batch_run - one transaction, one fsync, for every job in b. */
static void
spool_batch_run(struct spool *sp, struct spool_job_list *b)
{
	int64_t delta[SPOOL_STATE_COUNT] = {0};
	uint64_t stored = 0, dedup = 0, t0, spent;
	int64_t changes0 = 0, changed = 0, due;
	struct spool_job *j;
	int64_t now = clock_wall_ms(); /* stored as created_at */
	uint64_t room;
	size_t outbox_rows = 0;
	int rc = SPOOL_OK, s, submits = 0;

	/* One statvfs per batch that stores mail, none per message. */
	for (j = b->head; j != NULL && !submits; j = j->next)
		submits = j->kind == SPOOL_JOB_SUBMIT;
	spool_space_refresh(sp, submits);
	/* avail and wal_debt are written by this thread only: no lock. */
	room = spool_space_room(sp);

	t0 = clock_mono_us();
	if (sp->db == NULL)
		rc = spool_db_reopen(sp);
	if (rc == SPOOL_OK) {
		changes0 = spool_db_changes(sp->db);
		rc = spool_db_begin(sp->db);
	}
	/* Held for the batch: spool_outbox_set() waits for it. */
	pthread_mutex_lock(&sp->outbox_lock);
	for (j = b->head; rc == SPOOL_OK && j != NULL; j = j->next) {
		rc = spool_job_run(sp, j, &room, now, delta, &stored, &dedup);
		if (rc == SPOOL_OK && j->status == SPOOL_OK &&
		    sp->outbox_fn != NULL)
			rc = spool_outbox_job(sp, j, now, &outbox_rows);
	}
	pthread_mutex_unlock(&sp->outbox_lock);
	if (rc == SPOOL_OK) {
		changed = spool_db_changes(sp->db) - changes0;
		rc = spool_db_commit(sp->db);
	}
	spent = clock_mono_us() - t0;

	if (rc != SPOOL_OK) {
		/*
		 * Nothing of this batch is stored. After a failed write or
		 * fsync the connection's view of the WAL is suspect: start
		 * the next batch on a fresh connection.
		 */
		if (sp->db != NULL) {
			spool_db_rollback(sp->db);
			spool_damage_note(sp, spool_db_damage(sp->db));
		}
		pthread_mutex_lock(&sp->lock);
		s = sp->damaged ? SPOOL_ERR_DAMAGED : SPOOL_ERR_IO;
		pthread_mutex_unlock(&sp->lock);
		for (j = b->head; j != NULL; j = j->next) {
			spool_job_results_free(j);
			if (!(j->kind == SPOOL_JOB_SUBMIT &&
			      j->status == SPOOL_ERR_FULL))
				j->status = s;
		}
		log_warn("spool: batch of %zu rolled back", b->len);
		spool_db_close(sp->db);
		sp->db = NULL;
		(void)spool_db_reopen(sp);
	}

	if (rc == SPOOL_OK)
		spool_batch_handoff(sp, b);
	pthread_mutex_lock(&sp->lock);
	if (rc == SPOOL_OK) {
		for (s = 0; s < SPOOL_STATE_COUNT; s++)
			sp->counts.state[s] =
			    (uint64_t)((int64_t)sp->counts.state[s] + delta[s]);
		/* Read-only batches (an empty claim, a get) write nothing
		 * and fsync nothing: they are not counted as commits. */
		if (changed > 0) {
			sp->counts.commits++;
			sp->counts.commit_usec += spent;
			spool_hist_count(&sp->counts, b->len, spent);
		}
		sp->counts.committed_msgs += stored;
		sp->counts.deduplicated += dedup;
		if (b->len > sp->counts.largest_batch)
			sp->counts.largest_batch = b->len;
		due = spool_batch_due(b, now);
		if (due < sp->due_pending)
			sp->due_pending = due;
		if (outbox_rows > 0)
			sp->outbox_stored = 1;
	} else {
		sp->counts.failed_commits++;
	}
	pthread_mutex_unlock(&sp->lock);

	/*
	 * Poke the checkpointer at most every SPOOL_CKPT_EVERY_US: each of
	 * its runs ends in an fsync of the database file, and poking it
	 * after every commit doubled the fsyncs and put them in the way of
	 * the commits' own.
	 */
	if (rc == SPOOL_OK && spool_db_wal_frames(sp->db) >= SPOOL_WAL_SOFT)
		sp->ckpt_owed = 1;
	if (sp->ckpt_owed &&
	    clock_mono_us() - sp->ckpt_poke_us >= SPOOL_CKPT_EVERY_US) {
		spool_ckpt_poke(sp->ckpt);
		sp->ckpt_owed = 0;
		sp->ckpt_poke_us = clock_mono_us();
	}
	if (rc == SPOOL_OK && spool_db_wal_frames(sp->db) >= SPOOL_WAL_HARD &&
	    clock_mono_us() - sp->ckpt_inline_us >= 1000000) {
		/*
		 * The WAL restarts only once every frame is copied and no
		 * commit came in meanwhile; under steady load only the
		 * writer can arrange that. The background checkpointer has
		 * copied most frames already, so this is short. At most
		 * once a second, in case it cannot finish.
		 */
		log_debug("spool: WAL at %d frames, checkpointing inline",
		          spool_db_wal_frames(sp->db));
		(void)spool_db_checkpoint(sp->db);
		sp->ckpt_inline_us = clock_mono_us();
		/* The checkpointer brings the integrity record up to date
		 * with what this checkpoint wrote. */
		spool_ckpt_poke(sp->ckpt);
	}
}

/*
 * spool_writer_gather - wait briefly for the loop to run the last batch's
 * callbacks before starting the next batch, when fewer jobs wait than the
 * last batch had. Submitters that answer a callback with a new message
 * (a client pipelining its next mail) then join one batch instead of
 * splitting into two half-full batches that alternate: with C such
 * submitters each commit carries C messages, not C/2. The wait ends as
 * soon as the loop has drained, and never lasts longer than
 * SPOOL_GATHER_MAX_US. Called and returns with sp->lock held.
 */
static void
spool_writer_gather(struct spool *sp)
{
	struct timespec until;

	if (sp->closing || sp->queue.len >= sp->last_batch ||
	    sp->queue.len >= sp->batch_max || sp->drained_gen >= sp->handed_gen)
		return;
	clock_deadline_after(&until, SPOOL_GATHER_MAX_US);
	while (!sp->closing && sp->drained_gen < sp->handed_gen &&
	       sp->queue.len < sp->batch_max)
		if (pthread_cond_timedwait(&sp->cond, &sp->lock, &until) ==
		    ETIMEDOUT)
			break;
}

/*
 * spool_writer_outcomes - while nothing but outcomes waits, gather them
 * for up to outcome_delay_us after the oldest was queued, so that a
 * draining queue commits its outcomes in a few fsyncs instead of one
 * each. Anything else queued (a submit, a claim, a read), a full batch
 * or closing ends the wait at once. An outcome not yet committed at a
 * crash leaves its message in flight, which the next start makes ready
 * again: a duplicate at most, as for any outcome before its fsync.
 * Called and returns with sp->lock held.
 */
static void
spool_writer_outcomes(struct spool *sp)
{
	struct timespec until;
	uint64_t waited;

	while (!sp->closing && sp->outcome_delay_us > 0 &&
	       sp->queue.head != NULL && sp->queued_outcomes == sp->queue.len &&
	       sp->queue.len < sp->batch_max) {
		waited = clock_mono_us() - sp->queue.head->queued_us;
		if (waited >= sp->outcome_delay_us)
			return;
		clock_deadline_after(&until, sp->outcome_delay_us - waited);
		(void)pthread_cond_timedwait(&sp->cond, &sp->lock, &until);
	}
}

/*
 * spool_writer_gather_data - with spool.commit_gather_us set, hold a
 * commit that holds a submit while sessions are receiving a body: until
 * as many more jobs as there were such sessions have come, none is
 * receiving any more, or the time is up. Called and returns with
 * sp->lock held; every submit signals sp->cond.
 */
static void
spool_writer_gather_data(struct spool *sp)
{
	struct timespec until;
	size_t want;
	int n = atomic_load(&sp->in_data);

	if (sp->gather_us == 0 || n <= 0 || sp->closing ||
	    sp->queued_submits == 0 || sp->queue.len >= sp->batch_max)
		return;
	want = sp->queue.len + (size_t)n;
	clock_deadline_after(&until, sp->gather_us);
	while (!sp->closing && sp->queue.len < want &&
	       sp->queue.len < sp->batch_max && atomic_load(&sp->in_data) > 0)
		if (pthread_cond_timedwait(&sp->cond, &sp->lock, &until) ==
		    ETIMEDOUT)
			break;
}

void
spool_data_hint(struct spool *sp, int delta)
{
	if (sp != NULL)
		atomic_fetch_add(&sp->in_data, delta);
}

/* spool_writer_main - the writer thread: batch, commit, hand back. */
static void *
spool_writer_main(void *arg)
{
	struct spool *sp = arg;
	struct spool_job_list batch;
	struct timespec until;
	struct spool_job *j;
	int rc;

	pthread_mutex_lock(&sp->lock);
	for (;;) {
		while (sp->queue.head == NULL && !sp->closing) {
			if (sp->ckpt_owed) {
				/*
				 * A burst shorter than SPOOL_CKPT_EVERY_US
				 * got one poke, at its start: what came
				 * after would stay in the WAL while the
				 * spool is idle. Poke once no commit came
				 * for that long.
				 */
				clock_deadline_after(&until,
				                     SPOOL_CKPT_EVERY_US);
				rc = pthread_cond_timedwait(&sp->cond,
				                            &sp->lock, &until);
				if (rc == ETIMEDOUT && sp->queue.head == NULL) {
					spool_ckpt_poke(sp->ckpt);
					sp->ckpt_owed = 0;
					sp->ckpt_poke_us = clock_mono_us();
				}
				continue;
			}
			if (sp->min_free == 0) {
				pthread_cond_wait(&sp->cond, &sp->lock);
				continue;
			}
			clock_deadline_after(&until,
			                     SPOOL_SPACE_IDLE_MS * 1000);
			rc = pthread_cond_timedwait(&sp->cond, &sp->lock,
			                            &until);
			if (rc == ETIMEDOUT) {
				/* Idle: keep spool_space_check() current. */
				pthread_mutex_unlock(&sp->lock);
				spool_space_refresh(sp, 0);
				pthread_mutex_lock(&sp->lock);
			}
		}
		if (sp->queue.head == NULL)
			break;
		spool_writer_outcomes(sp);
		spool_writer_gather(sp);
		spool_writer_gather_data(sp);
		/* Take up to batch_max jobs, in order. */
		spool_job_list_init(&batch);
		while (batch.len < sp->batch_max && sp->queue.head != NULL) {
			j = sp->queue.head;
			sp->queue.head = j->next;
			sp->queue.len--;
			if (j->kind == SPOOL_JOB_SUBMIT) {
				sp->queued_submits--;
				sp->reserved -= spool_space_cost(j->m.body.len);
			}
			if (j->kind == SPOOL_JOB_OUTCOME)
				sp->queued_outcomes--;
			spool_job_list_push(&batch, j);
		}
		if (sp->queue.head == NULL)
			sp->queue.tail = &sp->queue.head;
		pthread_mutex_unlock(&sp->lock);

		spool_batch_run(sp, &batch);

		pthread_mutex_lock(&sp->lock);
		sp->last_batch = batch.len;
		sp->handed_gen++;
		spool_job_list_splice(&sp->done, &batch);
		spool_wake_loop(sp);
	}
	pthread_mutex_unlock(&sp->lock);
	return NULL;
}

/* dir_sync - fsync the directory holding path (best effort). */
static void
dir_sync(const char *path)
{
	char *s = xstrdup(path), *slash;
	const char *parent = s;
	int fd;

	slash = strrchr(s, '/');
	if (slash == s)
		slash[1] = '\0';
	else if (slash != NULL)
		*slash = '\0';
	else
		parent = ".";
	fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		if (fsync(fd) != 0)
			log_warn("spool: fsync %s: %s", parent,
			         strerror(errno));
		close(fd);
	}
	free(s);
}

/* spool_dir_mkdir - mkdir one level; make a new entry durable. */
static int
spool_dir_mkdir(const char *s, char *err, size_t errlen)
{
	if (mkdir(s, 0700) == 0) {
		/* A spool that vanishes with its directory entry after a
		 * power cut would lose everything it acknowledged. */
		dir_sync(s);
		return 0;
	}
	if (errno == EEXIST)
		return 0;
	snprintf(err, errlen, "spool: mkdir %s: %s", s, strerror(errno));
	return -1;
}

/* spool_dir_make - create dir (0700) and its missing parents. */
static int
spool_dir_make(const char *dir, char *err, size_t errlen)
{
	char *p, *s;
	struct stat st;

	s = xstrdup(dir);
	for (p = s + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (spool_dir_mkdir(s, err, errlen) != 0)
			goto fail;
		*p = '/';
	}
	if (spool_dir_mkdir(s, err, errlen) != 0)
		goto fail;
	if (stat(s, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "spool: %s is not a directory", s);
		goto fail;
	}
	/* Message bodies live here: nobody but the owner may look in. */
	if ((st.st_mode & 077) != 0) {
		if (chmod(s, 0700) != 0) {
			snprintf(err, errlen,
			         "spool: %s has mode %04o (group or others can "
			         "read it) and chmod 0700 failed: %s; fix its "
			         "mode or owner",
			         s, (unsigned)(st.st_mode & 07777),
			         strerror(errno));
			goto fail;
		}
		log_warn("spool: %s had mode %04o; changed to 0700", s,
		         (unsigned)(st.st_mode & 07777));
	}
	free(s);
	return 0;
fail:
	free(s);
	return -1;
}

/* spool_files_private - make the spool's existing files 0600. */
static int
spool_files_private(const struct spool *sp, char *err, size_t errlen)
{
	static const char *const suffix[] = {"", "-wal", "-shm", ".mark"};
	struct stat st;
	struct buf p;
	size_t i;
	int rc = 0;

	buf_init(&p);
	for (i = 0; rc == 0 && i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		p.len = 0;
		buf_printf(&p, "%s%s", sp->db_path, suffix[i]);
		if (stat(buf_cstr(&p), &st) != 0 || (st.st_mode & 077) == 0)
			continue;
		if (chmod(buf_cstr(&p), 0600) != 0) {
			snprintf(err, errlen,
			         "spool: %s has mode %04o and chmod 0600 "
			         "failed: %s",
			         buf_cstr(&p), (unsigned)(st.st_mode & 07777),
			         strerror(errno));
			rc = -1;
			break;
		}
		log_warn("spool: %s had mode %04o; changed to 0600",
		         buf_cstr(&p), (unsigned)(st.st_mode & 07777));
	}
	buf_fini(&p);
	return rc;
}

/*
 * spool_refuse - the message for damage found at open: the file, what,
 * and what the operator can do.
 */
static void
spool_refuse(const struct spool_check *c, char *err, size_t errlen)
{
	snprintf(err, errlen,
	         "spool: %s. swerved will not run on a damaged spool: keep "
	         "a copy of the spool directory, then restore it from a "
	         "backup (swervectl spool backup), or start once with "
	         "--accept-spool-damage to keep what is readable and log "
	         "what is lost",
	         c->problem);
}

/*
 * spool_accept - the operator accepted damage c: say exactly what is
 * lost, then checkpoint and reset the WAL so the next start does not
 * find the same damage again.
 */
static void
spool_accept(struct spool *sp, const struct spool_check *files,
             const struct spool_check *db)
{
	if (files->counted)
		log_warn("spool: --accept-spool-damage: %s; accepted: %llu "
		         "messages lost, %llu messages lose their latest "
		         "state change",
		         files->problem, (unsigned long long)files->lost_msgs,
		         (unsigned long long)files->changed_msgs);
	else if (files->problem[0] != '\0' && files->wal.lost_commits > 0)
		log_warn("spool: --accept-spool-damage: %s; accepted: %llu "
		         "committed transactions (%llu WAL frames) dropped",
		         files->problem,
		         (unsigned long long)files->wal.lost_commits,
		         (unsigned long long)files->wal.lost_frames);
	else if (files->problem[0] != '\0')
		log_warn("spool: --accept-spool-damage: %s; accepted: what "
		         "was committed after the record of %lld ms since the "
		         "epoch (at least %llu WAL frames) is lost and cannot "
		         "be counted",
		         files->problem, (long long)files->mark.at_ms,
		         (unsigned long long)files->mark.frames);
	if (db->problem[0] != '\0')
		log_warn("spool: --accept-spool-damage: %s; accepted",
		         db->problem);
	log_warn("spool: --accept-spool-damage: %llu messages are readable, "
	         "%llu messages are damaged (body or recipients unreadable)",
	         (unsigned long long)(db->messages - db->unreadable),
	         (unsigned long long)db->unreadable);
	if (spool_db_checkpoint_reset(sp->db) != SPOOL_OK)
		log_warn("spool: could not reset the WAL after accepting "
		         "damage");
}

/*
 * spool_salvage_db - the operator accepted a damaged database: keep its
 * whole messages in a new one (spool_salvage.h) and reopen.
 */
static int
spool_salvage_db(struct spool *sp, char *err, size_t errlen)
{
	struct spool_salvage s;

	spool_db_close(sp->db);
	sp->db = NULL;
	if (spool_salvage_run(sp->db_path, &s, err, errlen) != 0)
		return -1;
	log_warn("spool: --accept-spool-damage: salvaged %s: %llu messages "
	         "kept whole, %llu damaged messages dropped (their ids are "
	         "logged above), %llu unreadable attempt records; the "
	         "damaged file is kept as %s",
	         sp->db_path, (unsigned long long)s.kept,
	         (unsigned long long)s.lost, (unsigned long long)s.attempts,
	         s.moved);
	sp->db =
	    spool_db_open(sp->db_path, spool_vfs_name(sp->vfs), err, errlen);
	return sp->db != NULL ? 0 : -1;
}

/* spool_mark_open - record that the spool is in use with this WAL. */
static void
spool_mark_open(struct spool *sp, const struct spool_wal_scan *w)
{
	struct spool_mark m = {0};

	if (w != NULL && w->header_ok) {
		m.salt1 = w->salt1;
		m.salt2 = w->salt2;
		m.frames = w->frames;
	}
	m.at_ms = clock_wall_ms();
	if (spool_mark_write(sp->mark_path, &m) != 0)
		log_warn("spool: write %s: %s", sp->mark_path, strerror(errno));
}

/* spool_mark_close - after the last close: clean, or what is left. */
static void
spool_mark_close(struct spool *sp)
{
	struct spool_wal_scan w;
	struct spool_mark m = {0};
	struct buf wal;

	buf_init(&wal);
	buf_printf(&wal, "%s-wal", sp->db_path);
	if (spool_wal_scan(buf_cstr(&wal), &w) == 0 && !w.present) {
		m.clean = 1;
		m.at_ms = clock_wall_ms();
		if (spool_mark_write(sp->mark_path, &m) != 0)
			log_warn("spool: write %s: %s", sp->mark_path,
			         strerror(errno));
	} else {
		spool_mark_open(sp, &w);
	}
	buf_fini(&wal);
}

/* spool_open - open the store, recover in-flight messages, start writer. */
struct spool *
spool_open(const struct spool_opts *opts, char *err, size_t errlen)
{
	struct spool *sp;
	struct buf path;
	struct spool_check files, db;
	uint64_t recovered = 0;
	int damaged = 0;

	if (opts == NULL || opts->dir == NULL || opts->dir[0] == '\0') {
		snprintf(err, errlen, "spool: no directory given");
		return NULL;
	}
	if (spool_dir_make(opts->dir, err, errlen) != 0)
		return NULL;
	sp = xcalloc(1, sizeof(*sp));
	sp->efd = -1;
	sp->dir = xstrdup(opts->dir);
	buf_init(&path);
	buf_printf(&path, "%s/spool.db", opts->dir);
	sp->db_path = buf_steal(&path, NULL);
	buf_printf(&path, "%s/spool.db.mark", opts->dir);
	sp->mark_path = buf_steal(&path, NULL);
	sp->min_free = opts->min_free;
	sp->max_messages = opts->max_messages;
	sp->batch_max = opts->batch_max ? opts->batch_max : SPOOL_BATCH_DEFAULT;
	sp->cache = spool_cache_new(opts->handoff_max);
	sp->outcome_delay_us = (uint64_t)opts->outcome_delay_ms * 1000;
	sp->gather_us = opts->commit_gather_us;
	atomic_init(&sp->in_data, 0);
	sp->hooks = opts->hooks;
	pthread_mutex_init(&sp->lock, NULL);
	pthread_mutex_init(&sp->outbox_lock, NULL);
	/* Timed waits on the monotonic clock: a step of the wall clock
	 * must not stretch the writer's gather or idle waits. */
	if (clock_cond_init(&sp->cond) != 0)
		log_fatal("spool: cannot make a condition variable");
	spool_job_list_init(&sp->queue);
	spool_job_list_init(&sp->done);
	sp->due_pending = INT64_MAX;

	sp->vfs = spool_vfs_new(sp->hooks);
	if (sp->vfs == NULL) {
		snprintf(err, errlen, "spool: cannot register the SQLite VFS");
		goto fail;
	}
	if (spool_files_private(sp, err, errlen) != 0)
		goto fail;
	/* Before SQLite opens the WAL: its recovery would drop damaged
	 * frames without a word. */
	if (spool_check_files(sp->db_path, &files) != 0) {
		if (!opts->accept_damage) {
			spool_refuse(&files, err, errlen);
			goto fail;
		}
		damaged = 1;
		/* Count what the damage costs while the frames are still
		 * there: SQLite's recovery and the reset below drop them. */
		if (files.wal.present && files.wal.size > 0 &&
		    (files.wal.lost_commits > 0 || !files.wal.header_ok) &&
		    spool_check_lost(sp->db_path, &files) != 0)
			log_warn("spool: %s: could not count the messages the "
			         "damaged WAL holds",
			         sp->db_path);
	} else if (!files.have_mark && access(sp->db_path, F_OK) == 0) {
		log_info("spool: %s has no integrity record yet (older "
		         "version); starting one",
		         sp->mark_path);
	}
	sp->db =
	    spool_db_open(sp->db_path, spool_vfs_name(sp->vfs), err, errlen);
	if (sp->db == NULL) {
		/* A database whose header is garbage cannot be opened at
		 * all: there is nothing to accept, only to restore. */
		if (strstr(err, "not a database") != NULL ||
		    strstr(err, "malformed") != NULL) {
			snprintf(db.problem, sizeof(db.problem), "%s", err);
			snprintf(err, errlen,
			         "%s. swerved will not run on a damaged spool: "
			         "keep a copy of the spool directory and "
			         "restore the spool from a backup (swervectl "
			         "spool backup)",
			         db.problem);
		}
		goto fail;
	}
	db = files;
	db.problem[0] = '\0';
	if (spool_check_db(sp->db_path, spool_vfs_name(sp->vfs),
	                   opts->check_budget_ms ? opts->check_budget_ms
	                                         : SPOOL_CHECK_BUDGET_MS,
	                   0, &db) != 0) {
		if (!opts->accept_damage) {
			spool_refuse(&db, err, errlen);
			goto fail;
		}
		damaged = 1;
	}
	if (db.quick < 0)
		log_warn("spool: %s: quick_check did not finish within its "
		         "time budget; skipped (run swervectl spool check)",
		         sp->db_path);
	if (damaged && db.quick == 0 && spool_salvage_db(sp, err, errlen) != 0)
		goto fail;
	if (damaged)
		spool_accept(sp, &files, &db);
	spool_mark_open(sp, damaged ? NULL : &files.wal);
	if (spool_db_recover(sp->db, &recovered) != SPOOL_OK ||
	    spool_db_counts_load(sp->db, sp->counts.state) != SPOOL_OK) {
		snprintf(err, errlen, "spool: %s: cannot read the store",
		         sp->db_path);
		goto fail;
	}
	log_info("spool: %s open: %llu ready (%llu were in flight), "
	         "%llu deferred, %llu sent, %llu failed, %llu scheduled",
	         sp->db_path,
	         (unsigned long long)sp->counts.state[SPOOL_STATE_READY],
	         (unsigned long long)recovered,
	         (unsigned long long)sp->counts.state[SPOOL_STATE_DEFERRED],
	         (unsigned long long)sp->counts.state[SPOOL_STATE_SENT],
	         (unsigned long long)sp->counts.state[SPOOL_STATE_FAILED],
	         (unsigned long long)sp->counts.state[SPOOL_STATE_SCHEDULED]);
	spool_space_refresh(sp, 1);
	sp->ckpt = spool_ckpt_start(sp->db_path, spool_vfs_name(sp->vfs),
	                            sp->mark_path, err, errlen);
	if (sp->ckpt == NULL)
		goto fail;
	sp->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (sp->efd < 0) {
		snprintf(err, errlen, "spool: eventfd: %s", strerror(errno));
		goto fail;
	}
	if (pthread_create(&sp->writer, NULL, spool_writer_main, sp) != 0) {
		snprintf(err, errlen, "spool: cannot start the writer thread");
		goto fail;
	}
	sp->writer_started = 1;
	return sp;
fail:
	spool_close(sp);
	return NULL;
}

/* spool_attach - watch the eventfd on base. */
int
spool_attach(struct spool *sp, struct event_base *base)
{
	if (sp->ev != NULL)
		return -1;
	sp->ev =
	    event_new(base, sp->efd, EV_READ | EV_PERSIST, spool_on_wake, sp);
	if (sp->ev == NULL || event_add(sp->ev, NULL) != 0) {
		log_warn("spool: cannot watch the eventfd");
		return -1;
	}
	/* Anything finished before we were attached is delivered now. */
	event_active(sp->ev, EV_READ, 0);
	return 0;
}

/* spool_job_queue - hand j to the writer, or to the loop at once. */
static int
spool_job_queue(struct spool *sp, struct spool_job *j)
{
	uint64_t unfinished, cost = 0;

	pthread_mutex_lock(&sp->lock);
	if (sp->closing) {
		pthread_mutex_unlock(&sp->lock);
		spool_job_free(j);
		return SPOOL_ERR_CLOSED;
	}
	if (j->kind == SPOOL_JOB_SUBMIT) {
		unfinished = spool_unfinished(sp);
		cost = spool_space_cost(j->m.body.len);
		if (sp->damaged || sp->disk_low ||
		    spool_space_room(sp) < sp->reserved + cost ||
		    (sp->max_messages != 0 && unfinished >= sp->max_messages)) {
			/* Refused: answered from the loop, never re-entrantly.
			 */
			j->status =
			    sp->damaged ? SPOOL_ERR_DAMAGED : SPOOL_ERR_FULL;
			spool_msg_new_fini(&j->m);
			spool_job_list_push(&sp->done, j);
			pthread_mutex_unlock(&sp->lock);
			spool_wake_loop(sp);
			return 0;
		}
		sp->queued_submits++;
		sp->reserved += cost;
	}
	if (j->kind == SPOOL_JOB_OUTCOME) {
		sp->queued_outcomes++;
		j->queued_us = clock_mono_us();
	}
	spool_job_list_push(&sp->queue, j);
	pthread_cond_signal(&sp->cond);
	pthread_mutex_unlock(&sp->lock);
	return 0;
}

/* spool_msg_submit - queue m for the next group commit. */
int
spool_msg_submit(struct spool *sp, struct spool_msg_new *m, spool_commit_fn *cb,
                 void *arg)
{
	struct spool_job *j;

	j = xcalloc(1, sizeof(*j));
	j->kind = SPOOL_JOB_SUBMIT;
	j->m = *m;
	memset(m, 0, sizeof(*m));
	j->cb.commit = cb;
	j->arg = arg;
	return spool_job_queue(sp, j);
}

/* spool_msg_submit_idem - queue m; cb tells new, replay or conflict. */
int
spool_msg_submit_idem(struct spool *sp, struct spool_msg_new *m,
                      spool_submit_fn *cb, void *arg)
{
	struct spool_job *j;

	j = xcalloc(1, sizeof(*j));
	j->kind = SPOOL_JOB_SUBMIT;
	j->m = *m;
	memset(m, 0, sizeof(*m));
	j->cb.submit = cb;
	j->idem = 1;
	j->arg = arg;
	return spool_job_queue(sp, j);
}

/* spool_exec - queue fn for the writer's next transaction. */
int
spool_exec(struct spool *sp, spool_exec_fn *fn, spool_done_fn *cb, void *arg)
{
	struct spool_job *j;

	j = xcalloc(1, sizeof(*j));
	j->kind = SPOOL_JOB_EXEC;
	j->exec = fn;
	j->cb.done = cb;
	j->arg = arg;
	return spool_job_queue(sp, j);
}

/* spool_msg_get - queue a read of one message. */
int
spool_msg_get(struct spool *sp, const char *id, int flags, spool_msg_fn *cb,
              void *arg)
{
	struct spool_job *j;

	j = xcalloc(1, sizeof(*j));
	j->kind = SPOOL_JOB_GET;
	/* An id that is not one can match nothing (and must not truncate). */
	if (id != NULL && id_valid(id))
		snprintf(j->id, sizeof(j->id), "%s", id);
	j->flags = flags & SPOOL_GET_BODY;
	j->cb.msg = cb;
	j->arg = arg;
	return spool_job_queue(sp, j);
}

/* spool_msg_list - queue a listing of every tenant's messages. */
int
spool_msg_list(struct spool *sp, int state, const char *after, size_t limit,
               spool_msgs_fn *cb, void *arg)
{
	return spool_msg_list_tenant(sp, NULL, state, after, limit, cb, arg);
}

/* spool_msg_list_tenant - queue a listing, of one tenant's if not NULL. */
int
spool_msg_list_tenant(struct spool *sp, const char *tenant, int state,
                      const char *after, size_t limit, spool_msgs_fn *cb,
                      void *arg)
{
	struct spool_job *j;

	j = xcalloc(1, sizeof(*j));
	j->kind = SPOOL_JOB_LIST;
	j->tenant = tenant != NULL ? xstrdup(tenant) : NULL;
	j->state = state;
	if (after != NULL && id_valid(after))
		snprintf(j->id, sizeof(j->id), "%s", after);
	j->limit = limit;
	j->cb.msgs = cb;
	j->arg = arg;
	return spool_job_queue(sp, j);
}

/* spool_msg_claim_stream - queue a claim of one stream's due messages. */
int
spool_msg_claim_stream(struct spool *sp, const char *stream, size_t max,
                       int64_t now, spool_msgs_fn *cb, void *arg)
{
	struct spool_job *j;

	j = xcalloc(1, sizeof(*j));
	j->kind = SPOOL_JOB_CLAIM;
	j->stream = xstrdup(stream);
	j->limit = max;
	j->now_ms = now;
	j->cb.msgs = cb;
	j->arg = arg;
	return spool_job_queue(sp, j);
}

/* spool_msg_claim - queue a claim of due messages. */
int
spool_msg_claim(struct spool *sp, size_t max, int64_t now, spool_msgs_fn *cb,
                void *arg)
{
	struct spool_job *j;

	j = xcalloc(1, sizeof(*j));
	j->kind = SPOOL_JOB_CLAIM;
	j->limit = max;
	j->now_ms = now;
	j->cb.msgs = cb;
	j->arg = arg;
	return spool_job_queue(sp, j);
}

/* spool_msg_outcome - queue the result of a delivery attempt. */
int
spool_msg_outcome(struct spool *sp, const struct spool_outcome *o,
                  spool_done_fn *cb, void *arg)
{
	struct spool_job *j;

	if (o == NULL || o->id == NULL || !id_valid(o->id) ||
	    (unsigned)o->next_state >= SPOOL_STATE_COUNT)
		return SPOOL_ERR_NOTFOUND;
	j = xcalloc(1, sizeof(*j));
	j->kind = SPOOL_JOB_OUTCOME;
	spool_job_outcome_copy(&j->o, o);
	j->cb.done = cb;
	j->arg = arg;
	return spool_job_queue(sp, j);
}

int
spool_feedback_record(struct spool *sp, struct feedback_event *ev, size_t n,
                      int64_t now_ms, spool_fb_fn *cb, void *arg)
{
	struct spool_job *j;
	size_t i;

	j = xcalloc(1, sizeof(*j));
	j->kind = SPOOL_JOB_FEEDBACK;
	j->fb_ev = ev;
	j->fb_n = n;
	j->fb_m = xcalloc(n ? n : 1, sizeof(*j->fb_m));
	for (i = 0; i < n; i++)
		j->fb_m[i].rcpt_idx = -1;
	j->now_ms = now_ms;
	j->cb.fb = cb;
	j->arg = arg;
	return spool_job_queue(sp, j);
}

int
spool_wh_enqueue(struct spool *sp, struct spool_wh *w, size_t n,
                 spool_done_fn *cb, void *arg)
{
	struct spool_job *j = xcalloc(1, sizeof(*j));

	j->kind = SPOOL_JOB_WH_ENQUEUE;
	j->wh = w;
	j->wh_n = n;
	j->cb.done = cb;
	j->arg = arg;
	return spool_job_queue(sp, j);
}

int
spool_wh_claim(struct spool *sp, int64_t now_ms, int64_t lease_ms, size_t max,
               spool_wh_fn *cb, void *arg)
{
	struct spool_job *j = xcalloc(1, sizeof(*j));

	j->kind = SPOOL_JOB_WH_CLAIM;
	j->now_ms = now_ms;
	j->due_ms = lease_ms;
	j->limit = max;
	j->cb.wh = cb;
	j->arg = arg;
	return spool_job_queue(sp, j);
}

int
spool_wh_settle(struct spool *sp, const struct spool_wh *w,
                enum spool_wh_verdict v, spool_done_fn *cb, void *arg)
{
	struct spool_job *j = xcalloc(1, sizeof(*j));

	j->kind = SPOOL_JOB_WH_SETTLE;
	j->wh = xcalloc(1, sizeof(*j->wh));
	j->wh_n = 1;
	memcpy(j->wh->id, w->id, sizeof(j->wh->id));
	j->wh->url = xstrdup(w->url);
	j->wh->next_at = w->next_at;
	j->wh->attempts = w->attempts;
	j->wh->last_error = w->last_error ? xstrdup(w->last_error) : NULL;
	j->wh_verdict = (int)v;
	j->cb.done = cb;
	j->arg = arg;
	return spool_job_queue(sp, j);
}

int
spool_wh_dead_list(struct spool *sp, size_t max, spool_wh_fn *cb, void *arg)
{
	struct spool_job *j = xcalloc(1, sizeof(*j));

	j->kind = SPOOL_JOB_WH_DEAD;
	j->limit = max;
	j->cb.wh = cb;
	j->arg = arg;
	return spool_job_queue(sp, j);
}

/* spool_msg_change - queue a cancel or reschedule of one message. */
static int
spool_msg_change(struct spool *sp, enum spool_job_kind kind, const char *id,
                 const char *tenant, int64_t at_ms, spool_msg_fn *cb, void *arg)
{
	struct spool_job *j;

	j = xcalloc(1, sizeof(*j));
	j->kind = kind;
	/* An id that is not one can match nothing (and must not truncate). */
	if (id != NULL && id_valid(id))
		snprintf(j->id, sizeof(j->id), "%s", id);
	j->tenant = tenant != NULL ? xstrdup(tenant) : NULL;
	j->due_ms = at_ms;
	j->cb.msg = cb;
	j->arg = arg;
	return spool_job_queue(sp, j);
}

/* spool_msg_cancel - queue the cancellation of one unsent message. */
int
spool_msg_cancel(struct spool *sp, const char *id, const char *tenant,
                 spool_msg_fn *cb, void *arg)
{
	return spool_msg_change(sp, SPOOL_JOB_CANCEL, id, tenant, 0, cb, arg);
}

/* spool_msg_reschedule - queue a new send time for one unclaimed message. */
int
spool_msg_reschedule(struct spool *sp, const char *id, const char *tenant,
                     int64_t at_ms, spool_msg_fn *cb, void *arg)
{
	return spool_msg_change(sp, SPOOL_JOB_RESCHEDULE, id, tenant, at_ms, cb,
	                        arg);
}

/* spool_msg_purge - queue the deletion of old finished messages. */
int
spool_msg_purge(struct spool *sp, int64_t before_ms, size_t max,
                spool_count_fn *cb, void *arg)
{
	struct spool_job *j;

	j = xcalloc(1, sizeof(*j));
	j->kind = SPOOL_JOB_PURGE;
	/* The smallest id of that millisecond: everything older sorts
	 * before it. Ids hold 50 bits of time; clamp, don't wrap. */
	if (before_ms < 0)
		before_ms = 0;
	if ((uint64_t)before_ms >= (1ULL << 50))
		before_ms = (int64_t)((1ULL << 50) - 1);
	id_make(j->id, (uint64_t)before_ms, 0);
	j->limit = max;
	j->cb.count = cb;
	j->arg = arg;
	return spool_job_queue(sp, j);
}

/* spool_outbox_set - who makes the notices stored with each change. */
void
spool_outbox_set(struct spool *sp, spool_outbox_fn *fn,
                 spool_outbox_wake_fn *wake, void *arg)
{
	pthread_mutex_lock(&sp->outbox_lock);
	sp->outbox_fn = fn;
	sp->outbox_wake = wake;
	sp->outbox_arg = arg;
	pthread_mutex_unlock(&sp->outbox_lock);
}

void
spool_outbox_unset(struct spool *sp, void *arg)
{
	pthread_mutex_lock(&sp->outbox_lock);
	if (sp->outbox_arg == arg) {
		sp->outbox_fn = NULL;
		sp->outbox_wake = NULL;
		sp->outbox_arg = NULL;
	}
	pthread_mutex_unlock(&sp->outbox_lock);
}

/* spool_due_watch - who hears that a commit made mail due. */
void
spool_due_watch(struct spool *sp, spool_due_fn *fn, void *arg)
{
	sp->due_fn = fn;
	sp->due_arg = arg;
}

/* spool_msg_next_due - queue a read of the earliest next attempt. */
int
spool_msg_next_due(struct spool *sp, spool_time_fn *cb, void *arg)
{
	struct spool_job *j;

	j = xcalloc(1, sizeof(*j));
	j->kind = SPOOL_JOB_NEXT_DUE;
	j->cb.time = cb;
	j->arg = arg;
	return spool_job_queue(sp, j);
}

/* spool_space_check - answer from memory: full or not. */
int
spool_space_check(struct spool *sp)
{
	return spool_space_check_size(sp, 0);
}

/* spool_space_check_size - full or not, for a message of size bytes. */
int
spool_space_check_size(struct spool *sp, uint64_t size)
{
	uint64_t unfinished, cost;
	int full;

	cost = size > UINT64_MAX / 4 ? UINT64_MAX / 2
	                             : spool_space_cost((size_t)size);

	pthread_mutex_lock(&sp->lock);
	unfinished = spool_unfinished(sp);
	full = sp->disk_low || spool_space_room(sp) < sp->reserved + cost ||
	       (sp->max_messages != 0 && unfinished >= sp->max_messages);
	if (sp->damaged)
		full = SPOOL_ERR_DAMAGED;
	else
		full = full ? SPOOL_ERR_FULL : SPOOL_OK;
	pthread_mutex_unlock(&sp->lock);
	return full;
}

/* spool_health - damaged or not, and why. */
int
spool_health(struct spool *sp, char *why, size_t n)
{
	int rc;

	pthread_mutex_lock(&sp->lock);
	rc = sp->damaged ? SPOOL_ERR_DAMAGED : SPOOL_OK;
	if (why != NULL && n > 0)
		snprintf(why, n, "%s", sp->damaged ? sp->damage_why : "");
	pthread_mutex_unlock(&sp->lock);
	return rc;
}

/* spool_counts_get - copy the in-memory counters. */
void
spool_counts_get(struct spool *sp, struct spool_counts *out)
{
	struct spool_cache_stats cs;

	pthread_mutex_lock(&sp->lock);
	*out = sp->counts;
	out->queued = sp->queue.len;
	out->disk_low = sp->disk_low;
	out->damaged = sp->damaged;
	pthread_mutex_unlock(&sp->lock);
	spool_cache_stats(sp->cache, &cs);
	out->handoff_hits = cs.hits;
	out->handoff_misses = cs.misses;
	out->handoff_bytes = cs.bytes;
}

/* spool_close - drain, stop the writer, run the last callbacks, close. */
void
spool_close(struct spool *sp)
{
	if (sp == NULL)
		return;
	pthread_mutex_lock(&sp->lock);
	sp->closing = 1;
	pthread_cond_signal(&sp->cond);
	pthread_mutex_unlock(&sp->lock);
	if (sp->writer_started)
		pthread_join(sp->writer, NULL);
	/* The writer drained the queue; answer its last jobs here. */
	spool_done_run(sp);
	if (sp->ev != NULL)
		event_free(sp->ev);
	if (sp->efd >= 0)
		close(sp->efd);
	/* The writer closes last, so its close does the final checkpoint. */
	spool_ckpt_stop(sp->ckpt);
	spool_db_close(sp->db);
	/* Only a spool that opened whole says how it was left. */
	if (sp->writer_started)
		spool_mark_close(sp);
	spool_vfs_free(sp->vfs);
	spool_cache_free(sp->cache);
	pthread_cond_destroy(&sp->cond);
	pthread_mutex_destroy(&sp->lock);
	pthread_mutex_destroy(&sp->outbox_lock);
	free(sp->db_path);
	free(sp->mark_path);
	free(sp->dir);
	free(sp);
}
