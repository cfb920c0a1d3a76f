/*
 * deliver_job.c - a claimed message's bookkeeping: its record in memory,
 * what gets written to the spool after each attempt, back-off, expiry,
 * hold, and the DSN to the sender when recipients failed.
 *
 * Decides no routing (deliver_send.c) and sends nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "deliver/deliver_int.h"
#include "deliver/dsn.h"
#include "deliver/dsn_queue.h"

/* ---- jobs ------------------------------------------------------------- */

/* job_new - a job for claimed message m (takes ownership of m). */
struct djob *
job_new(struct deliver *d, struct spool_msg *m)
{
	struct djob *job = xcalloc(1, sizeof(*job));
	size_t i, n = m->n_rcpts;

	job->d = d;
	job->m = m;
	job->rcpts = xcalloc(n, sizeof(*job->rcpts));
	job->pending = xcalloc(n, sizeof(*job->pending));
	job->pmap = xcalloc(n, sizeof(*job->pmap));
	for (i = 0; i < n; i++) {
		job->rcpts[i].state = m->rcpts[i].state;
		if (m->rcpts[i].state == SPOOL_RCPT_SENT)
			job->any_sent = true;
		if (m->rcpts[i].last_reply)
			job->rcpts[i].reply = xstrdup(m->rcpts[i].last_reply);
		snprintf(job->rcpts[i].status, SEND_ENHANCED_SIZE, "%s",
		         m->rcpts[i].state == SPOOL_RCPT_FAILED ? "5.0.0" : "");
	}
	job->stream = deliver_stream_index(d, m->stream);
	/* A stored meta that does not decode is logged and left out: the
	 * message still goes, as it would have before meta existed. */
	if (m->meta != NULL) {
		job->has_meta =
		    msg_meta_decode(m->meta, strlen(m->meta), &job->meta) == 0;
		if (!job->has_meta)
			log_warn("deliver: id=%s stored meta does not decode; "
			         "sent without it",
			         m->id);
	}
	buf_init(&job->trace);
	TAILQ_INSERT_TAIL(&d->jobs, job, all);
	d->inflight++;
	d->stream_inflight[job->stream]++;
	return job;
}

void
job_event(struct djob *job, enum event_kind kind, struct events_item *e)
{
	e->kind = kind;
	e->at_ms = clock_wall_ms();
	e->msg_id = job->m->id;
	e->tenant = job->m->tenant;
	e->stream = job->d->cfg->streams[job->stream].name;
	if (e->provider == NULL && job->prov != NULL)
		e->provider = job->prov->cfg->name;
	if (e->rcpts == 0)
		e->rcpts = (unsigned)job->m->n_rcpts;
	if (job->sim)
		e->drill = 1;
	events_emit(e);
}

/* job_free - forget job; the message's state was already queued. */
void
job_free(struct djob *job)
{
	struct deliver *d = job->d;
	size_t i;

	TAILQ_REMOVE(&d->jobs, job, all);
	d->inflight--;
	d->stream_inflight[job->stream]--;
	if (job->parked)
		TAILQ_REMOVE(&d->parked, job, wait);
	if (job->deadline != NULL)
		event_free(job->deadline);
	/* A slot is free: claim what could not be claimed for lack of it. */
	if (d->starved) {
		d->starved = false;
		deliver_kick(d);
	}
	buf_fini(&job->trace);
	free(job->att_trace);
	for (i = 0; i < job->m->n_rcpts; i++)
		free(job->rcpts[i].reply);
	free(job->rcpts);
	free(job->pending);
	free(job->pmap);
	msg_meta_fini(&job->meta);
	spool_msg_free(job->m);
	free(job);
}

size_t
job_pending_count(const struct djob *job)
{
	size_t i, n = 0;

	for (i = 0; i < job->m->n_rcpts; i++)
		n += job->rcpts[i].state == SPOOL_RCPT_PENDING;
	return n;
}

/* job_dsn - queue a DSN for the failed recipients of a finished job. */
void
job_dsn(struct djob *job, const char *reason)
{
	struct deliver *d = job->d;
	struct spool_msg *m = job->m;
	struct dsn_rcpt *rs;
	size_t i, n = 0;

	if (!dsn_wanted(m->sender))
		return;
	rs = xcalloc(m->n_rcpts, sizeof(*rs));
	for (i = 0; i < m->n_rcpts; i++) {
		if (job->rcpts[i].state != SPOOL_RCPT_FAILED)
			continue;
		rs[n].addr = m->rcpts[i].address;
		rs[n].status =
		    job->rcpts[i].status[0] ? job->rcpts[i].status : "5.0.0";
		rs[n].diagnostic = job->rcpts[i].reply;
		rs[n].failed = true;
		n++;
	}
	if (n == 0) {
		free(rs);
		return;
	}
	d->stats.dsns++;
	{
		struct events_item e = {.text = reason};
		job_event(job, EVENT_DSN, &e);
	}
	(void)dsn_queue(d->o.spool, d->cfg->hostname, m, rs, n, reason);
	free(rs);
}

/*
 * deliver_on_outcome - an outcome's commit. On an I/O error the message
 * keeps its last stored state (inflight): it is delivered again after the
 * next restart, a possible duplicate but never a loss.
 */
static void
deliver_on_outcome(int status, void *arg)
{
	char *id = arg;

	if (status != SPOOL_OK && status != SPOOL_ERR_CLOSED)
		log_error("deliver: id=%s outcome not stored (%s); it stays "
		          "inflight until the next start",
		          id, spool_status_name(status));
	free(id);
}

/*
 * job_trace_not_applied - add to the trace of the attempt on the wire
 * the line "not applied by <provider>: <list>": what of the message's
 * meta the provider had no equivalent for (struct adapter_result).
 */
void
job_trace_not_applied(struct djob *job, const char *provider, const char *list)
{
	struct buf b;

	buf_init(&b);
	buf_printf(&b, "%s%s%s: %s", job->att_trace ? job->att_trace : "",
	           SPOOL_TRACE_NOT_APPLIED, provider, list);
	free(job->att_trace);
	/* Without a router trace the line stands alone. */
	job->att_trace = xstrdup(buf_cstr(&b) + (job->att_trace ? 0 : 1));
	buf_fini(&b);
}

/*
 * job_record - queue one outcome for job: the attempt just made (when
 * res is not NULL), the recipient changes in upd, and the next state.
 */
void
job_record(struct djob *job, const struct send_result *res,
           const struct spool_rcpt_result *upd, size_t n_upd,
           enum spool_state next, int64_t next_at, const char *last_error)
{
	struct deliver *d = job->d;
	struct spool_outcome o;
	memset(&o, 0, sizeof(o));
	o.id = job->m->id;
	if (res != NULL && job->prov != NULL) {
		o.provider = job->prov->cfg->name;
		o.result = send_class_name(res->class);
		o.reply = res->text;
		o.trace = job->att_trace;
		o.at_ms = job->started_ms;
		o.duration_ms = (int64_t)(clock_mono_ms() - job->started_mono);
	}
	o.rcpts = upd;
	o.n_rcpts = n_upd;
	o.next_state = next;
	o.next_attempt_at = next_at;
	o.last_error = last_error;
	/* What applications hear (stored with it: spool.h's outbox): a
	 * final state, or a back-off with a time (a hold has none). */
	if (next == SPOOL_STATE_SENT)
		o.notice = SPOOL_NOTICE_SENT;
	else if (next == SPOOL_STATE_FAILED)
		o.notice = SPOOL_NOTICE_FAILED;
	else if (next == SPOOL_STATE_DEFERRED && next_at < INT64_MAX / 4)
		o.notice = SPOOL_NOTICE_DEFERRED;
	if (spool_msg_outcome(d->o.spool, &o, deliver_on_outcome,
	                      xstrdup(job->m->id)) != 0)
		log_warn("deliver: id=%s outcome not recorded: spool closing",
		         job->m->id);
}

/* job_final_state - SENT if any recipient was sent, else FAILED. */
enum spool_state
job_final_state(const struct djob *job)
{
	return job->any_sent ? SPOOL_STATE_SENT : SPOOL_STATE_FAILED;
}

/*
 * job_defer_or_expire - no provider can take job now: back off, or give
 * up when its lifetime is over. upd/n_upd carry the attempt's recipient
 * results (may be empty); res the attempt (may be NULL).
 */
void
job_defer_or_expire(struct djob *job, const struct send_result *res,
                    struct spool_rcpt_result *upd, size_t n_upd,
                    const char *why)
{
	struct deliver *d = job->d;
	const struct config *cfg = d->cfg;
	struct spool_msg *m = job->m;
	/* Age and next attempt are stored wall times. */
	int64_t now = clock_wall_ms(), age = now - m->created_at, delay;
	uint32_t r = 0;
	size_t i;
	char reason[600];

	if (age >= (int64_t)cfg->retry_max_lifetime_ms) {
		struct spool_rcpt_result *own = NULL;

		/* Give up: every pending recipient fails with 4.4.7. The
		 * caller may have no update array (no attempt was made). */
		if (upd == NULL)
			upd = own = xcalloc(m->n_rcpts + 1, sizeof(*upd));
		snprintf(reason, sizeof(reason),
		         "gave up after %lld s in the queue; last error: %s",
		         (long long)(age / 1000), why ? why : "none");
		for (i = 0; i < m->n_rcpts; i++) {
			if (job->rcpts[i].state != SPOOL_RCPT_PENDING)
				continue;
			job->rcpts[i].state = SPOOL_RCPT_FAILED;
			snprintf(job->rcpts[i].status, SEND_ENHANCED_SIZE,
			         "4.4.7");
			free(job->rcpts[i].reply);
			job->rcpts[i].reply = xstrdup(reason);
			upd[n_upd++] = (struct spool_rcpt_result){
			    .index = i,
			    .state = SPOOL_RCPT_FAILED,
			    .reply = job->rcpts[i].reply,
			};
		}
		job_record(job, res, upd, n_upd, job_final_state(job), 0,
		           reason);
		d->stats.failed++;
		{
			struct events_item e = {.text = reason};
			job_event(job, EVENT_FAILED, &e);
		}
		log_info("deliver: id=%s expired: %s", m->id,
		         log_quote(reason).s);
		job_dsn(job, "the message expired in the queue");
		job_free(job);
		free(own);
		return;
	}
	/* Exponential in the message's age, within [min, max], +-20%. */
	delay = age;
	if (delay < (int64_t)cfg->retry_min_backoff_ms)
		delay = (int64_t)cfg->retry_min_backoff_ms;
	if (delay > (int64_t)cfg->retry_max_backoff_ms)
		delay = (int64_t)cfg->retry_max_backoff_ms;
	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = (uint32_t)now;
	delay = delay * (80 + (int64_t)(r % 41)) / 100;
	if (delay < (int64_t)cfg->retry_min_backoff_ms)
		delay = (int64_t)cfg->retry_min_backoff_ms;
	if (delay > (int64_t)cfg->retry_max_backoff_ms)
		delay = (int64_t)cfg->retry_max_backoff_ms;
	job_record(job, res, upd, n_upd, SPOOL_STATE_DEFERRED, now + delay,
	           why);
	d->stats.deferred++;
	{
		struct events_item e = {.text = why,
		                        .duration_ms = (uint64_t)delay};
		job_event(job, EVENT_DEFERRED, &e);
	}
	/* JSON logs carry this as an event line (observe/logjson). */
	if (log_format_get() != LOG_FORMAT_JSON)
		log_info("deliver: id=%s deferred for %lld s: %s", m->id,
		         (long long)(delay / 1000),
		         log_quote(why ? why : "no provider available").s);
	job_free(job);
}

/*
 * job_hold - the outcome at a provider is unknown and the stream says
 * on_unknown: hold: do not resend (that could duplicate). The message
 * waits, deferred with no next attempt time, until an operator releases
 * it (swervectl release ID) or its lifetime ends.
 */
void
job_hold(struct djob *job, const struct send_result *res,
         struct spool_rcpt_result *upd, size_t n_upd, const char *why)
{
	struct deliver *d = job->d;
	char reason[700];

	snprintf(reason, sizeof(reason),
	         "held: outcome unknown at %s (%s); the stream's on_unknown is "
	         "hold, so it is not resent automatically",
	         job->prov ? job->prov->cfg->name : "a provider",
	         why ? why : "");
	job_record(job, res, upd, n_upd, SPOOL_STATE_DEFERRED, INT64_MAX / 4,
	           reason);
	d->stats.held++;
	{
		struct events_item e = {.text = reason};
		job_event(job, EVENT_HELD, &e);
	}
	log_warn("deliver: id=%s %s", job->m->id, log_quote(reason).s);
	job_free(job);
}
