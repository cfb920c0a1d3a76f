/*
 * deliver.c - the delivery scheduler.
 *
 * Sequencing only: claim due messages, pick a provider (route/route.c), hand
 * the message to one of the provider's SMTP connections, read the
 * classified result, record the attempt, and either finish the message,
 * fail over to the next provider at once, or defer it with back-off.
 *
 * Memory is bounded by max_inflight: bodies stay in the spool until a
 * message is claimed, and a claimed message is freed as soon as its
 * outcome is queued to the spool.
 *
 * Invariants: a job is in exactly one place: waiting in one provider's
 * queue, on one connection, or (briefly) being routed. A provider's bit in
 * job->tried is set as soon as the job is assigned to it, so routing never
 * offers the same provider twice for one round of attempts.
 */
#include "deliver/deliver.h"

#include <event2/dns.h>
#include <event2/event.h>
#include <arpa/inet.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/random.h>
#include <time.h>

#include "config/config.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "deliver/dsn.h"
#include "deliver/result.h"
#include "providers/adapter.h"
#include "route/route.h"
#include "spool/spool.h"

#define DELIVER_CLAIM_MAX 64
#define DELIVER_IDLE_CLOSE_MS 15000

struct dprov;
struct djob;

struct dconn {
	struct dprov *p;
	void *ch; /* the adapter's channel; NULL until needed */
	struct djob *job;
	int64_t last_used;
};

struct dprov {
	struct deliver *d;
	size_t index;
	const struct config_provider *cfg;
	struct route_prov rp; /* health and routing state */
	struct adapter *ad;
	struct dconn *conns;
	size_t max_conns;
	struct event *pump;
	TAILQ_HEAD(, djob) waiting;
	size_t n_waiting, busy;
	uint64_t sent, failed;
};

struct djob {
	TAILQ_ENTRY(djob) all;	 /* d->jobs */
	TAILQ_ENTRY(djob) wait;	 /* prov->waiting */
	struct deliver *d;
	struct spool_msg *m;
	uint64_t tried;		 /* providers assigned this round */
	struct dprov *prov;	 /* current provider, if any */
	int64_t started_ms;	 /* current attempt */
	enum spool_rcpt_state *rstate;
	char (*rstatus)[SEND_ENHANCED_SIZE];
	char **rreply;		 /* last reply per recipient; owned */
	const char **pending;	 /* addresses sent in this attempt */
	size_t *pmap;		 /* pending[k] is recipient pmap[k] */
	size_t n_pending;
	bool any_sent;
	struct adapter_msg msg;
};

struct deliver {
	struct deliver_opts o;
	struct dprov *provs;
	struct route_prov **rps; /* &provs[i].rp, for route_pick */
	size_t n_provs;
	struct event *tick, *sweep;
	bool claim_pending, closing;
	size_t inflight;
	TAILQ_HEAD(, djob) jobs;
	SSL_CTX *ssl;
	struct evdns_base *dns;
	struct adapter_env env;
	struct deliver_stats stats;
};

static void job_next(struct djob *job);

static int64_t
deliver_now(const struct deliver *d)
{
	struct timespec ts;

	if (d->o.now_ms)
		return d->o.now_ms();
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- jobs ------------------------------------------------------------- */

/* job_new - a job for claimed message m (takes ownership of m). */
static struct djob *
job_new(struct deliver *d, struct spool_msg *m)
{
	struct djob *job = xcalloc(1, sizeof(*job));
	size_t i, n = m->n_rcpts;

	job->d = d;
	job->m = m;
	job->rstate = xcalloc(n, sizeof(*job->rstate));
	job->rstatus = xcalloc(n, sizeof(*job->rstatus));
	job->rreply = xcalloc(n, sizeof(*job->rreply));
	job->pending = xcalloc(n, sizeof(*job->pending));
	job->pmap = xcalloc(n, sizeof(*job->pmap));
	for (i = 0; i < n; i++) {
		job->rstate[i] = m->rcpts[i].state;
		if (m->rcpts[i].state == SPOOL_RCPT_SENT)
			job->any_sent = true;
		if (m->rcpts[i].last_reply)
			job->rreply[i] = xstrdup(m->rcpts[i].last_reply);
		snprintf(job->rstatus[i], SEND_ENHANCED_SIZE, "%s",
		    m->rcpts[i].state == SPOOL_RCPT_FAILED ? "5.0.0" : "");
	}
	TAILQ_INSERT_TAIL(&d->jobs, job, all);
	d->inflight++;
	return job;
}

/* job_free - forget job; the message's state was already queued. */
static void
job_free(struct djob *job)
{
	struct deliver *d = job->d;
	size_t i;

	TAILQ_REMOVE(&d->jobs, job, all);
	d->inflight--;
	for (i = 0; i < job->m->n_rcpts; i++)
		free(job->rreply[i]);
	free(job->rreply);
	free(job->rstate);
	free(job->rstatus);
	free(job->pending);
	free(job->pmap);
	spool_msg_free(job->m);
	free(job);
}

static size_t
job_pending_count(const struct djob *job)
{
	size_t i, n = 0;

	for (i = 0; i < job->m->n_rcpts; i++)
		n += job->rstate[i] == SPOOL_RCPT_PENDING;
	return n;
}

static void
deliver_on_dsn_stored(int status, const char *id, void *arg)
{
	char *orig = arg;

	if (status == SPOOL_OK)
		log_info("deliver: id=%s dsn queued as %s", orig, id);
	else
		log_warn("deliver: id=%s dsn not stored (status %d)", orig,
		    status);
	free(orig);
}

/* job_dsn - queue a DSN for the failed recipients of a finished job. */
static void
job_dsn(struct djob *job, const char *reason)
{
	struct deliver *d = job->d;
	struct spool_msg *m = job->m;
	struct dsn_rcpt *rs;
	struct spool_msg_new nm;
	struct dsn_info info;
	size_t i, n = 0;

	if (!dsn_wanted(m->sender))
		return;
	rs = xcalloc(m->n_rcpts, sizeof(*rs));
	for (i = 0; i < m->n_rcpts; i++) {
		if (job->rstate[i] != SPOOL_RCPT_FAILED)
			continue;
		rs[n].addr = m->rcpts[i].address;
		rs[n].status = job->rstatus[i][0] ? job->rstatus[i] : "5.0.0";
		rs[n].diagnostic = job->rreply[i];
		rs[n].failed = true;
		n++;
	}
	if (n == 0) {
		free(rs);
		return;
	}
	info = (struct dsn_info){
	    .reporting_mta = d->o.cfg->hostname ? d->o.cfg->hostname
						: "localhost",
	    .msg_id = m->id,
	    .sender = m->sender,
	    .arrival = (time_t)(m->created_at / 1000),
	    .now = (time_t)(deliver_now(d) / 1000),
	    .reason = reason,
	    .rcpts = rs,
	    .n_rcpts = n,
	    .original = {m->body.p ? m->body.p : "", m->body.len},
	};
	memset(&nm, 0, sizeof(nm));
	buf_init(&nm.body);
	if (dsn_build(&info, &nm.body) != 0) {
		buf_fini(&nm.body);
		free(rs);
		return;
	}
	free(rs);
	nm.sender = xstrdup("");
	nm.rcpts = xcalloc(1, sizeof(char *));
	nm.rcpts[0] = xstrdup(m->sender);
	nm.n_rcpts = 1;
	nm.client = xstrdup("dsn");
	nm.stream = xstrdup("transactional");
	d->stats.dsns++;
	if (spool_msg_submit(d->o.spool, &nm, deliver_on_dsn_stored,
		xstrdup(m->id)) != 0)
		log_warn("deliver: id=%s dsn refused: spool closing", m->id);
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
 * job_record - queue one outcome for job: the attempt just made (when
 * res is not NULL), the recipient changes in upd, and the next state.
 */
static void
job_record(struct djob *job, const struct send_result *res,
    const struct spool_rcpt_result *upd, size_t n_upd,
    enum spool_state next, int64_t next_at, const char *last_error)
{
	struct deliver *d = job->d;
	struct spool_outcome o;
	int64_t now = deliver_now(d);

	memset(&o, 0, sizeof(o));
	o.id = job->m->id;
	if (res != NULL && job->prov != NULL) {
		o.provider = job->prov->cfg->name;
		o.result = send_class_name(res->class);
		o.reply = res->text;
		o.at_ms = job->started_ms;
		o.duration_ms = now - job->started_ms;
	}
	o.rcpts = upd;
	o.n_rcpts = n_upd;
	o.next_state = next;
	o.next_attempt_at = next_at;
	o.last_error = last_error;
	if (spool_msg_outcome(d->o.spool, &o, deliver_on_outcome,
		xstrdup(job->m->id)) != 0)
		log_warn("deliver: id=%s outcome not recorded: spool closing",
		    job->m->id);
}

/* job_final_state - SENT if any recipient was sent, else FAILED. */
static enum spool_state
job_final_state(const struct djob *job)
{
	return job->any_sent ? SPOOL_STATE_SENT : SPOOL_STATE_FAILED;
}

/*
 * job_defer_or_expire - no provider can take job now: back off, or give
 * up when its lifetime is over. upd/n_upd carry the attempt's recipient
 * results (may be empty); res the attempt (may be NULL).
 */
static void
job_defer_or_expire(struct djob *job, const struct send_result *res,
    struct spool_rcpt_result *upd, size_t n_upd, const char *why)
{
	struct deliver *d = job->d;
	const struct config *cfg = d->o.cfg;
	struct spool_msg *m = job->m;
	int64_t now = deliver_now(d), age = now - m->created_at, delay;
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
			if (job->rstate[i] != SPOOL_RCPT_PENDING)
				continue;
			job->rstate[i] = SPOOL_RCPT_FAILED;
			snprintf(job->rstatus[i], SEND_ENHANCED_SIZE, "4.4.7");
			free(job->rreply[i]);
			job->rreply[i] = xstrdup(reason);
			upd[n_upd++] = (struct spool_rcpt_result){
			    .index = i,
			    .state = SPOOL_RCPT_FAILED,
			    .reply = job->rreply[i],
			};
		}
		job_record(job, res, upd, n_upd, job_final_state(job), 0,
		    reason);
		d->stats.failed++;
		log_info("deliver: id=%s expired: %s", m->id, reason);
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
	log_info("deliver: id=%s deferred for %lld s: %s", m->id,
	    (long long)(delay / 1000), why ? why : "no provider available");
	job_free(job);
}

/* ---- routing ---------------------------------------------------------- */

/* deliver_route - the provider for job's next attempt, or NULL. */
static struct dprov *
deliver_route(struct deliver *d, struct djob *job)
{
	int i = route_pick(d->rps, d->n_provs, &job->tried,
	    (uint64_t)deliver_now(d));

	return i < 0 ? NULL : &d->provs[i];
}

/* job_assign - queue job on provider p; its pump starts the send. */
static void
job_assign(struct djob *job, struct dprov *p)
{
	job->prov = p;
	job->tried |= 1ULL << p->index;
	TAILQ_INSERT_TAIL(&p->waiting, job, wait);
	p->n_waiting++;
	event_active(p->pump, EV_TIMEOUT, 1);
}

/* job_next - route job to its next provider, or defer it. */
static void
job_next(struct djob *job)
{
	struct dprov *p = deliver_route(job->d, job);

	if (p == NULL) {
		job->prov = NULL;
		job_defer_or_expire(job, NULL, NULL, 0,
		    "no usable provider");
		return;
	}
	job_assign(job, p);
}

/* ---- sending ---------------------------------------------------------- */

static void conn_on_sent(const struct adapter_result *res, void *arg);

/* conn_run - start sending job on conn. */
static void
conn_run(struct dconn *conn, struct djob *job)
{
	struct dprov *p = conn->p;
	struct deliver *d = p->d;
	size_t i, k = 0;
	int rc;

	for (i = 0; i < job->m->n_rcpts; i++) {
		if (job->rstate[i] != SPOOL_RCPT_PENDING)
			continue;
		job->pending[k] = job->m->rcpts[i].address;
		job->pmap[k++] = i;
	}
	job->n_pending = k;
	job->msg = (struct adapter_msg){
	    .id = job->m->id,
	    .stream = job->m->stream,
	    .tenant = job->m->tenant,
	    .sender = job->m->sender,
	    .rcpts = job->pending,
	    .n_rcpts = k,
	    .body = {job->m->body.p ? job->m->body.p : "", job->m->body.len},
	};
	job->started_ms = deliver_now(d);
	conn->job = job;
	p->busy++;
	rc = p->ad->ops->send(conn->ch, &job->msg, conn_on_sent, conn);
	if (rc == 0)
		return;
	/* Refused before anything was sent: an address no relay could take. */
	conn->job = NULL;
	p->busy--;
	{
		struct adapter_result res;
		struct send_result *rr = xcalloc(k ? k : 1, sizeof(*rr));
		for (i = 0; i < k; i++) {
			send_result_init(&rr[i], SEND_REJECTED, SEND_STAGE_RCPT);
			snprintf(rr[i].enhanced, sizeof(rr[i].enhanced),
			    "5.1.3");
			send_result_text_set(&rr[i], "invalid address", 15);
		}
		res.msg = rr[0];
		res.rcpts = rr;
		res.n_rcpts = k;
		res.n_accepted = 0;
		conn->job = job;
		p->busy++;
		conn_on_sent(&res, conn);
		free(rr);
	}
}

/* prov_pump - give waiting jobs to idle connections; reroute if cooling. */
static void
prov_pump(evutil_socket_t fd, short what, void *arg)
{
	struct dprov *p = arg;
	struct deliver *d = p->d;
	struct djob *job;
	size_t i;

	(void)fd;
	(void)what;
	if (p->rp.ps.mode == PSTATE_COOLING) {
		/* The provider tripped: send its queue elsewhere now. */
		while ((job = TAILQ_FIRST(&p->waiting)) != NULL) {
			TAILQ_REMOVE(&p->waiting, job, wait);
			p->n_waiting--;
			job_next(job);
		}
		return;
	}
	for (i = 0; i < p->max_conns && !TAILQ_EMPTY(&p->waiting); i++) {
		struct dconn *conn = &p->conns[i];
		if (conn->job != NULL)
			continue;
		if (conn->ch == NULL) {
			conn->ch = p->ad->ops->chan_new(p->ad);
			if (conn->ch == NULL) {
				/* No connection can be made (TLS context,
				 * resolver): treat it as an account fault
				 * and send the queue elsewhere. */
				log_error("deliver: provider %s: cannot make "
					  "a client connection",
				    p->cfg->name);
				pstate_failure(&p->rp.ps,
				    (uint64_t)deliver_now(d), true);
				while ((job = TAILQ_FIRST(&p->waiting)) !=
				    NULL) {
					TAILQ_REMOVE(&p->waiting, job, wait);
					p->n_waiting--;
					job_next(job);
				}
				return;
			}
		}
		if (!p->ad->ops->idle(conn->ch))
			continue;
		job = TAILQ_FIRST(&p->waiting);
		TAILQ_REMOVE(&p->waiting, job, wait);
		p->n_waiting--;
		conn_run(conn, job);
	}
}

/* conn_on_sent - an attempt finished: record it and decide what next. */
static void
conn_on_sent(const struct adapter_result *res, void *arg)
{
	struct dconn *conn = arg;
	struct dprov *p = conn->p;
	struct deliver *d = p->d;
	struct djob *job = conn->job;
	struct spool_rcpt_result *upd;
	const struct send_result *mr = &res->msg;
	struct dprov *next;
	size_t k, n_upd = 0, left;
	int64_t now = deliver_now(d);
	bool ok;

	conn->job = NULL;
	conn->last_used = now;
	p->busy--;
	d->stats.attempts++;

	upd = xcalloc(job->m->n_rcpts + 1, sizeof(*upd));
	for (k = 0; k < res->n_rcpts && k < job->n_pending; k++) {
		const struct send_result *r = &res->rcpts[k];
		size_t i = job->pmap[k];
		if (r->class != SEND_ACCEPTED && r->class != SEND_REJECTED)
			continue;
		job->rstate[i] = r->class == SEND_ACCEPTED ? SPOOL_RCPT_SENT
							   : SPOOL_RCPT_FAILED;
		if (r->class == SEND_ACCEPTED)
			job->any_sent = true;
		snprintf(job->rstatus[i], SEND_ENHANCED_SIZE, "%s",
		    r->enhanced[0] ? r->enhanced
				   : (r->class == SEND_ACCEPTED ? "2.0.0"
								: "5.0.0"));
		free(job->rreply[i]);
		job->rreply[i] = xstrdup(r->text);
		upd[n_upd++] = (struct spool_rcpt_result){
		    .index = i,
		    .state = job->rstate[i],
		    .reply = job->rreply[i],
		    .provider_msg_id = r->provider_msg_id[0]
					   ? r->provider_msg_id
					   : NULL,
		};
	}

	ok = mr->class == SEND_ACCEPTED || mr->class == SEND_REJECTED;
	if (ok) {
		pstate_success(&p->rp.ps);
		p->sent++;
	} else {
		pstate_failure(&p->rp.ps, (uint64_t)now, mr->class == SEND_CONFIG);
		p->failed++;
		if (p->rp.ps.mode == PSTATE_COOLING && p->rp.ps.consecutive_failures)
			log_debug("deliver: provider %s cooling for %llu ms",
			    p->cfg->name,
			    (unsigned long long)p->rp.ps.cooldown_ms);
	}
	if (mr->class == SEND_UNKNOWN) {
		d->stats.possible_duplicates++;
		log_warn("deliver: id=%s possible duplicate: outcome unknown "
			 "at %s (%s); resending elsewhere",
		    job->m->id, p->cfg->name, mr->text);
	}
	log_info("deliver: id=%s provider=%s result=%s stage=%s "
		 "rcpts=%zu/%zu ms=%lld reply=\"%s\"",
	    job->m->id, p->cfg->name, send_class_name(mr->class),
	    send_stage_name(mr->stage), res->n_accepted, job->n_pending,
	    (long long)(now - job->started_ms), mr->text);

	left = job_pending_count(job);
	if (left == 0) {
		enum spool_state fin = job_final_state(job);
		job_record(job, mr, upd, n_upd, fin, 0,
		    fin == SPOOL_STATE_SENT ? NULL : mr->text);
		if (fin == SPOOL_STATE_SENT)
			d->stats.delivered++;
		else
			d->stats.failed++;
		job_dsn(job, "the recipient's provider refused it");
		job_free(job);
	} else if ((next = deliver_route(d, job)) != NULL) {
		job_record(job, mr, upd, n_upd, SPOOL_STATE_INFLIGHT, 0,
		    mr->text);
		d->stats.failovers++;
		log_info("deliver: id=%s failover %s -> %s (%s)", job->m->id,
		    p->cfg->name, next->cfg->name, send_class_name(mr->class));
		job_assign(job, next);
	} else {
		job_defer_or_expire(job, mr, upd, n_upd, mr->text);
	}
	free(upd);
	event_active(p->pump, EV_TIMEOUT, 1);
}

/* ---- claiming --------------------------------------------------------- */

static void deliver_tick(evutil_socket_t fd, short what, void *arg);

/* deliver_any_usable - is any provider worth claiming mail for? */
static bool
deliver_any_usable(const struct deliver *d)
{
	return route_any_usable(d->rps, d->n_provs, (uint64_t)deliver_now(d));
}

static void deliver_release(struct deliver *d);

static void
deliver_on_claim(int status, struct spool_msg **msgs, size_t n, void *arg)
{
	struct deliver *d = arg;
	size_t i;

	d->claim_pending = false;
	if (d->closing) {
		/* Stopped while the claim ran: they stay inflight in the
		 * spool and are recovered on the next start. */
		for (i = 0; i < n; i++)
			spool_msg_free(msgs[i]);
		deliver_release(d);
		return;
	}
	if (status != SPOOL_OK) {
		if (status != SPOOL_ERR_CLOSED)
			log_warn("deliver: claim failed (status %d)", status);
		return;
	}
	for (i = 0; i < n; i++)
		job_next(job_new(d, msgs[i]));
	if (n == DELIVER_CLAIM_MAX)
		deliver_tick(-1, 0, d);
}

/* deliver_tick - claim due mail when there is room and a provider. */
static void
deliver_tick(evutil_socket_t fd, short what, void *arg)
{
	struct deliver *d = arg;
	size_t room;

	(void)fd;
	(void)what;
	if (d->closing || d->claim_pending || d->n_provs == 0 ||
	    d->inflight >= d->o.max_inflight || !deliver_any_usable(d))
		return;
	room = d->o.max_inflight - d->inflight;
	if (room > DELIVER_CLAIM_MAX)
		room = DELIVER_CLAIM_MAX;
	if (spool_msg_claim(d->o.spool, room, deliver_now(d),
		deliver_on_claim, d) == 0)
		d->claim_pending = true;
}

/* deliver_sweep - close connections that have been idle for a while. */
static void
deliver_sweep(evutil_socket_t fd, short what, void *arg)
{
	struct deliver *d = arg;
	int64_t now = deliver_now(d);
	size_t i, j;

	(void)fd;
	(void)what;
	for (i = 0; i < d->n_provs; i++) {
		struct dprov *p = &d->provs[i];
		for (j = 0; j < p->max_conns; j++) {
			struct dconn *conn = &p->conns[j];
			if (conn->ch == NULL || conn->job != NULL ||
			    !p->ad->ops->idle(conn->ch) ||
			    now - conn->last_used < DELIVER_IDLE_CLOSE_MS)
				continue;
			p->ad->ops->quit(conn->ch);
			conn->ch = NULL;
		}
	}
}

/* ---- life cycle ------------------------------------------------------- */

static bool
deliver_host_is_name(const char *host)
{
	unsigned char tmp[16];

	return inet_pton(AF_INET, host, tmp) != 1 &&
	       inet_pton(AF_INET6, host, tmp) != 1;
}

struct deliver *
deliver_new(const struct deliver_opts *opts)
{
	struct deliver *d = xcalloc(1, sizeof(*d));
	const struct config *cfg = opts->cfg;
	struct timeval tv;
	size_t i;
	bool names = false;

	d->o = *opts;
	if (d->o.max_inflight == 0)
		d->o.max_inflight = 256;
	if (d->o.poll_ms == 0)
		d->o.poll_ms = 50;
	TAILQ_INIT(&d->jobs);
	if (cfg->n_providers > ROUTE_MAX_PROVIDERS)
		log_fatal("deliver: at most %d providers", ROUTE_MAX_PROVIDERS);
	d->ssl = SSL_CTX_new(TLS_client_method());
	if (d->ssl == NULL) {
		free(d);
		log_error("deliver: cannot make a TLS client context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(d->ssl, TLS1_2_VERSION);
	SSL_CTX_set_default_verify_paths(d->ssl);
	d->n_provs = cfg->n_providers;
	d->provs = xcalloc(d->n_provs ? d->n_provs : 1, sizeof(*d->provs));
	d->rps = xcalloc(d->n_provs ? d->n_provs : 1, sizeof(*d->rps));
	for (i = 0; i < d->n_provs; i++) {
		struct dprov *p = &d->provs[i];
		size_t j;
		p->d = d;
		p->index = i;
		p->cfg = &cfg->providers[i];
		p->rp.cfg = p->cfg;
		pstate_init(&p->rp.ps, NULL);
		d->rps[i] = &p->rp;
		p->max_conns = p->cfg->max_connections ? p->cfg->max_connections
						       : 4;
		p->conns = xcalloc(p->max_conns, sizeof(*p->conns));
		for (j = 0; j < p->max_conns; j++)
			p->conns[j].p = p;
		p->pump = event_new(opts->base, -1, 0, prov_pump, p);
		TAILQ_INIT(&p->waiting);
		if (p->cfg->host != NULL && deliver_host_is_name(p->cfg->host))
			names = true;
	}
	if (names)
		d->dns = evdns_base_new(opts->base,
		    EVDNS_BASE_INITIALIZE_NAMESERVERS);
	d->tick = event_new(opts->base, -1, EV_PERSIST, deliver_tick, d);
	tv.tv_sec = (time_t)(d->o.poll_ms / 1000);
	tv.tv_usec = (suseconds_t)(d->o.poll_ms % 1000) * 1000;
	event_add(d->tick, &tv);
	d->sweep = event_new(opts->base, -1, EV_PERSIST, deliver_sweep, d);
	tv.tv_sec = 5;
	tv.tv_usec = 0;
	event_add(d->sweep, &tv);
	d->env = (struct adapter_env){
	    .base = opts->base,
	    .ssl_ctx = d->ssl,
	    .dns = d->dns,
	    .helo_name = cfg->hostname,
	};
	for (i = 0; i < d->n_provs; i++) {
		d->provs[i].ad = adapter_new(d->provs[i].cfg, &d->env);
		if (d->provs[i].ad == NULL) {
			deliver_free(d);
			return NULL;
		}
	}
	log_info("deliver: %zu provider%s, up to %zu messages in flight",
	    d->n_provs, d->n_provs == 1 ? "" : "s", d->o.max_inflight);
	return d;
}

/* deliver_release - free d's memory (no I/O left). */
static void
deliver_release(struct deliver *d)
{
	free(d->provs);
	free(d->rps);
	free(d);
}

void
deliver_free(struct deliver *d)
{
	struct djob *job;
	size_t i, j;

	if (d == NULL)
		return;
	d->closing = true;
	event_free(d->tick);
	event_free(d->sweep);
	for (i = 0; i < d->n_provs; i++) {
		struct dprov *p = &d->provs[i];
		for (j = 0; j < p->max_conns && p->ad != NULL; j++)
			p->ad->ops->chan_free(p->conns[j].ch);
		free(p->conns);
		adapter_free(p->ad);
		event_free(p->pump);
	}
	while ((job = TAILQ_FIRST(&d->jobs)) != NULL)
		job_free(job);
	if (d->dns)
		evdns_base_free(d->dns, 0);
	SSL_CTX_free(d->ssl);
	if (!d->claim_pending)
		deliver_release(d);
}

bool
deliver_can_send(const struct deliver *d)
{
	return deliver_any_usable(d);
}

size_t
deliver_provider_count(const struct deliver *d)
{
	return d->n_provs;
}

void
deliver_provider_info(const struct deliver *d, size_t i,
    struct deliver_provider_info *out)
{
	const struct dprov *p = &d->provs[i];
	int64_t now = deliver_now(d);
	size_t j;

	memset(out, 0, sizeof(*out));
	out->name = p->cfg->name;
	out->mode = p->cfg->enabled ? pstate_mode_name(p->rp.ps.mode)
				    : "disabled";
	out->consecutive_failures = p->rp.ps.consecutive_failures;
	if (p->rp.ps.mode == PSTATE_COOLING && (int64_t)p->rp.ps.until_ms > now)
		out->cooldown_left_ms = p->rp.ps.until_ms - (uint64_t)now;
	out->sent = p->sent;
	out->failed = p->failed;
	for (j = 0; j < p->max_conns; j++)
		out->connections += p->conns[j].ch != NULL;
	out->busy = p->busy;
	out->waiting = p->n_waiting;
}

void
deliver_stats_get(const struct deliver *d, struct deliver_stats *out)
{
	*out = d->stats;
	out->inflight = d->inflight;
}
