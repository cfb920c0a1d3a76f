/*
 * spool_purge.c - periodic deletion of expired suppressions and old
 * unmatched provider events (see spool_purge.h).
 *
 * A pass queues two jobs on the spool's writer: the list's purge
 * (suppress_purge) and a DELETE over the events table by received_at,
 * each bounded by SPOOL_PURGE_BATCH. The pass is over when both have
 * answered; only then is the timer armed again, so passes never overlap.
 */
#include "spool/spool_purge.h"

#include <event2/event.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdlib.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "spool/spool.h"
#include "spool/suppress.h"

struct spool_purge {
	struct spool *sp;
	struct suppress *s;
	uint64_t interval_ms, retention_ms;
	struct event *timer;
	int waiting;  /* jobs of the current pass not answered yet */
	bool full;    /* the current pass filled a batch */
	size_t n_sup; /* the current pass's deletions */
	int64_t n_ev;
	struct spool_purge_stats st;
};

/* One events job: the cut-off in, the count out (writer thread). */
struct purge_events {
	struct spool_purge *p;
	int64_t before_ms;
	int64_t deleted;
};

/* purge_arm - the next pass after ms. */
static void
purge_arm(struct spool_purge *p, uint64_t ms)
{
	struct timeval tv = {(time_t)(ms / 1000),
	                     (suseconds_t)(ms % 1000) * 1000};

	evtimer_add(p->timer, &tv);
}

/* purge_end - one job of the pass answered; the last ends it. */
static void
purge_end(struct spool_purge *p)
{
	if (--p->waiting > 0)
		return;
	p->st.passes++;
	if (p->n_sup > 0 || p->n_ev > 0)
		log_info("spool: purged %zu expired suppression(s) and %lld "
		         "unmatched event(s)",
		         p->n_sup, (long long)p->n_ev);
	purge_arm(p, p->full && p->interval_ms > 1000 ? 1000 : p->interval_ms);
}

/* purge_events_exec - delete old unmatched events (writer thread). */
static int
purge_events_exec(struct sqlite3 *db, void *arg)
{
	struct purge_events *j = arg;
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db,
	                       "DELETE FROM events WHERE id IN (SELECT id FROM"
	                       " events WHERE msg_id IS NULL AND received_at"
	                       " < ?1 LIMIT ?2)",
	                       -1, &st, NULL) != SQLITE_OK)
		return SPOOL_ERR_IO;
	sqlite3_bind_int64(st, 1, j->before_ms);
	sqlite3_bind_int64(st, 2, SPOOL_PURGE_BATCH);
	rc = sqlite3_step(st) == SQLITE_DONE ? SPOOL_OK : SPOOL_ERR_IO;
	sqlite3_finalize(st);
	if (rc == SPOOL_OK)
		j->deleted = sqlite3_changes(db);
	return rc;
}

/* purge_events_done - the events job's commit (loop thread). */
static void
purge_events_done(int status, void *arg)
{
	struct purge_events *j = arg;
	struct spool_purge *p = j->p;

	if (status == SPOOL_OK) {
		p->n_ev = j->deleted;
		p->st.events += (uint64_t)j->deleted;
		if (j->deleted >= SPOOL_PURGE_BATCH)
			p->full = true;
	} else if (status != SPOOL_ERR_CLOSED)
		log_warn("spool: purging unmatched events failed (%d)", status);
	free(j);
	purge_end(p);
}

/* purge_sup_done - the list's purge committed (loop thread). */
static void
purge_sup_done(int status, size_t n, void *arg)
{
	struct spool_purge *p = arg;

	if (status == SPOOL_OK) {
		p->n_sup = n;
		p->st.suppressions += n;
		if (n >= SPOOL_PURGE_BATCH)
			p->full = true;
	} else if (status != SPOOL_ERR_CLOSED)
		log_warn("spool: purging expired suppressions failed (%d)",
		         status);
	purge_end(p);
}

/* purge_pass - the timer: queue both jobs. */
static void
purge_pass(evutil_socket_t fd, short what, void *arg)
{
	struct spool_purge *p = arg;
	struct purge_events *j = xcalloc(1, sizeof(*j));
	int64_t now = clock_wall_ms();

	(void)fd;
	(void)what;
	p->waiting = 1; /* held until both are queued */
	p->full = false;
	p->n_sup = 0;
	p->n_ev = 0;
	if (p->s != NULL && suppress_purge(p->s, now, SPOOL_PURGE_BATCH,
	                                   purge_sup_done, p) == 0)
		p->waiting++;
	j->p = p;
	j->before_ms = now - (int64_t)p->retention_ms;
	if (spool_exec(p->sp, purge_events_exec, purge_events_done, j) == 0)
		p->waiting++;
	else
		free(j);
	purge_end(p);
}

struct spool_purge *
spool_purge_new(struct event_base *base, struct spool *sp, struct suppress *s,
                uint64_t interval_ms, uint64_t retention_ms)
{
	struct spool_purge *p = xcalloc(1, sizeof(*p));

	p->sp = sp;
	p->s = s;
	p->interval_ms = interval_ms;
	p->retention_ms = retention_ms;
	p->timer = evtimer_new(base, purge_pass, p);
	if (p->timer == NULL) {
		free(p);
		return NULL;
	}
	purge_arm(p, interval_ms);
	return p;
}

struct spool_purge_stats
spool_purge_stats(const struct spool_purge *p)
{
	return p->st;
}

void
spool_purge_free(struct spool_purge *p)
{
	if (p == NULL)
		return;
	event_free(p->timer);
	free(p);
}
