/*
 * deliver_send.c - route a job, send it on a provider channel, read the
 * classified result, and fail over, defer or finish.
 *
 * A provider's waiting jobs sit in one queue per stream; its pump hands
 * them to idle channels in weighted-fair order (route/fairq.h), so a
 * critical message never waits behind a queue of bulk mail and bulk still
 * moves. A job that no provider can take only because of rate limits or
 * busy trial slots is parked in memory until a slot frees, not deferred.
 * A stream's failover_after moves a job on when its provider has not
 * answered in time.
 *
 * What an answer means is decided by the failure policy (send/policy.h),
 * even for the refusals made here; what a provider's health is,
 * route/route.c's. This file only sequences.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anomaly/anomaly.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "deliver/deliver_int.h"
#include "readiness/readiness.h"
#include "route/reputation.h"
#include "send/policy.h"

static void conn_on_sent(const struct adapter_result *res, void *arg);

/* ---- routing ---------------------------------------------------------- */

static const char *job_sender_domain(const struct djob *job, char *out,
                                     size_t cap);

/* job_represents - route_ctx callback: can provider i carry the job? */
static bool
job_represents(size_t i, char *why, size_t whylen, void *arg)
{
	struct djob *job = arg;
	const struct dprov *p = &job->d->provs[i];
	struct adapter *ad = p->ad;
	char dom[256];

	/* Its quota nearly used: spill before it starts throttling. */
	if (account_spill(&p->account, p->cfg->quota_reserve, why, whylen))
		return false;
	/* Its account is known not to have the sender domain verified. */
	if (readiness_blocks(job->d->o.readiness, p->cfg->name,
	                     job_sender_domain(job, dom, sizeof(dom)), why,
	                     whylen))
		return false;
	if (ad == NULL || ad->ops->represents == NULL)
		return true;
	return ad->ops->represents(ad, &job->msg, why, whylen);
}

/* addr_domain - the lower-cased domain of addr (may be NULL) into out
 * (cap bytes), "" when it has none. */
static const char *
addr_domain(const char *addr, char *out, size_t cap)
{
	const char *at = addr ? strrchr(addr, '@') : NULL;
	size_t i;

	out[0] = '\0';
	if (at == NULL)
		return out;
	for (i = 0; at[i + 1] != '\0' && i + 1 < cap; i++)
		out[i] = (char)tolower((unsigned char)at[i + 1]);
	out[i] = '\0';
	return out;
}

/* job_sender_domain - the domain of job's envelope sender, "" for the
 * null sender. */
static const char *
job_sender_domain(const struct djob *job, char *out, size_t cap)
{
	return addr_domain(job->m->sender, out, cap);
}

/* job_rcpt_domain - the domain of the first pending recipient. */
static const char *
job_rcpt_domain(const struct djob *job, char *out, size_t cap)
{
	return addr_domain(job->n_pending > 0 ? job->pending[0] : NULL, out,
	                   cap);
}

/* job_reputation - route_ctx callback: the share provider i keeps for
 * the job's sender domain (route/reputation.h). */
static double
job_reputation(size_t i, char *why, size_t whylen, void *arg)
{
	struct djob *job = arg;
	struct deliver *d = job->d;
	const struct config *c = d->cfg;
	struct reputation_policy pol = {
	    .bounce_warning = c->rates_bounce_warning,
	    .bounce_critical = c->rates_bounce_critical,
	    .complaint_warning = c->rates_complaint_warning,
	    .complaint_critical = c->rates_complaint_critical,
	    .min_volume = c->rates_min_volume,
	    .penalty_share = c->rates_penalty_share,
	};
	char dom[REPUTATION_NAME_MAX], rdom[REPUTATION_NAME_MAX];
	double f = 1, a;
	char pwhy[160];

	if (d->o.reputation != NULL)
		f = reputation_factor(d->o.reputation, clock_wall_ms(), &pol,
		                      d->provs[i].cfg->name,
		                      job_sender_domain(job, dom, sizeof(dom)),
		                      why, whylen, NULL);
	/* An account on probation keeps a lower share. */
	a = account_share(&d->provs[i].account,
	                  d->provs[i].cfg->probation_share, pwhy, sizeof(pwhy));
	if (a < 1 && f > 0) {
		if (whylen > 0 && why[0] == '\0')
			snprintf(why, whylen, "%s", pwhy);
		f *= a;
	}
	/* An anomaly on the provider (or on its way to this recipient
	 * domain) with on_anomaly: shift lowers the share too. */
	if (d->o.anomaly != NULL && f > 0) {
		char awhy[512];

		a = anomaly_share(d->o.anomaly, d->provs[i].cfg->name,
		                  job_rcpt_domain(job, rdom, sizeof(rdom)),
		                  awhy, sizeof(awhy));
		if (a < 1 && (whylen == 0 || why[0] == '\0'))
			snprintf(why, whylen, "%s", awhy);
		f *= a;
	}
	return f;
}

/* job_pending_fill - the recipients still pending, for the next attempt. */
static void
job_pending_fill(struct djob *job)
{
	size_t i, k = 0;

	for (i = 0; i < job->m->n_rcpts; i++) {
		if (job->rcpts[i].state != SPOOL_RCPT_PENDING)
			continue;
		job->pending[k] = job->m->rcpts[i].address;
		job->pmap[k++] = i;
	}
	job->n_pending = k;
}

/* deliver_route - the provider for job's next attempt, or NULL (*wait
 * then says how long until one may be free, 0 if none will be). */
static struct dprov *
deliver_route(struct deliver *d, struct djob *job, uint64_t *wait)
{
	struct route_ctx ctx;
	int i;

	job_pending_fill(job);
	job->msg = (struct adapter_msg){
	    .id = job->m->id,
	    .sender = job->m->sender,
	    .rcpts = job->pending,
	    .n_rcpts = job->n_pending,
	    .body = {job->m->body.p ? job->m->body.p : "", job->m->body.len},
	    .stream = job->m->stream,
	    .tenant = job->m->tenant,
	    .meta = job->has_meta ? &job->meta : NULL,
	    .json = &job->json,
	    .octets = &job->octets,
	};
	job->trace.len = 0; /* reuse the bytes */
	memset(&ctx, 0, sizeof(ctx));
	ctx.stream = &d->cfg->streams[job->stream];
	ctx.tried = job->tried;
	ctx.now_ms = clock_mono_ms();
	ctx.wall_ms = clock_wall_ms();
	ctx.represents = job_represents;
	ctx.reputation = job_reputation;
	ctx.arg = job;
	ctx.trace = &job->trace;
	i = route_pick(d->rps, d->n_provs, &ctx);
	*wait = ctx.wait_ms;
	job->trial = i >= 0 && ctx.trial;
	return i < 0 ? NULL : &d->provs[i];
}

static void job_deadline(evutil_socket_t fd, short what, void *arg);

/* job_assign - queue job on provider p; its pump starts the send. */
static void
job_assign(struct djob *job, struct dprov *p)
{
	struct deliver *d = job->d;
	uint64_t after = d->cfg->streams[job->stream].failover_after_ms;

	job->prov = p;
	job->on_conn = false;
	job->tried |= 1ULL << p->index;
	TAILQ_INSERT_TAIL(&p->waiting[job->stream], job, wait);
	p->n_waiting++;
	if (after > 0) {
		struct timeval tv = {
		    .tv_sec = (time_t)(after / 1000),
		    .tv_usec = (suseconds_t)(after % 1000) * 1000,
		};
		if (job->deadline == NULL)
			job->deadline =
			    evtimer_new(d->o.base, job_deadline, job);
		evtimer_add(job->deadline, &tv);
	}
	event_active(p->pump, EV_TIMEOUT, 1);
}

/* job_unqueue - take job out of its provider's waiting queue. */
static void
job_unqueue(struct djob *job)
{
	struct dprov *p = job->prov;

	TAILQ_REMOVE(&p->waiting[job->stream], job, wait);
	p->n_waiting--;
}

/* job_park - no provider now, but one will have a slot in wait ms. */
static void
job_park(struct djob *job, uint64_t wait)
{
	struct deliver *d = job->d;
	uint64_t at = clock_mono_ms() + wait;

	job->prov = NULL;
	job->parked = true;
	TAILQ_INSERT_TAIL(&d->parked, job, wait);
	if (d->unpark_at == 0 || at < d->unpark_at) {
		struct timeval tv = {
		    .tv_sec = (time_t)(wait / 1000),
		    .tv_usec = (suseconds_t)(wait % 1000) * 1000,
		};
		d->unpark_at = at;
		evtimer_add(d->unpark, &tv);
	}
}

/* deliver_unpark - parked jobs try routing again. */
void
deliver_unpark(evutil_socket_t fd, short what, void *arg)
{
	struct deliver *d = arg;
	struct djob_q q;
	struct djob *job;

	(void)fd;
	(void)what;
	d->unpark_at = 0;
	TAILQ_INIT(&q);
	TAILQ_CONCAT(&q, &d->parked, wait);
	while ((job = TAILQ_FIRST(&q)) != NULL) {
		TAILQ_REMOVE(&q, job, wait);
		job->parked = false;
		job_next(job);
	}
}

/* job_next - route job to its next provider, park it, or defer it. */
void
job_next(struct djob *job)
{
	uint64_t wait = 0;
	struct dprov *p = deliver_route(job->d, job, &wait);
	char why[600];

	if (p != NULL) {
		job_assign(job, p);
		return;
	}
	if (wait > 0) {
		job_park(job, wait);
		return;
	}
	job->prov = NULL;
	snprintf(why, sizeof(why), "no usable provider: %s",
	         buf_cstr(&job->trace));
	job_defer_or_expire(job, NULL, NULL, 0, why);
}

/* prov_reroute_waiting - send every job waiting for p elsewhere now. */
void
prov_reroute_waiting(struct dprov *p)
{
	struct deliver *d = p->d;
	struct djob *job;
	size_t s;

	for (s = 0; s < d->cfg->n_streams && s < DELIVER_MAX_STREAMS; s++) {
		while ((job = TAILQ_FIRST(&p->waiting[s])) != NULL) {
			job_unqueue(job);
			route_unpick(&p->rp, job->trial, clock_wall_ms());
			job->trial = false;
			/* Never attempted there: the trace should say why it
			 * is skipped now (open, draining), not "tried". */
			job->tried &= ~(1ULL << p->index);
			job_next(job);
		}
	}
}

/* prov_breaker_event - log a circuit change; move queued mail away when
 * it opened. detail: the provider's own words (may be NULL). */
void
prov_breaker_event(struct dprov *p, enum breaker_event ev, const char *detail)
{
	if (ev != BREAKER_EV_NONE) {
		struct events_item e = {
		    .kind = EVENT_CIRCUIT,
		    .at_ms = clock_wall_ms(),
		    .provider = p->cfg->name,
		    .state = route_state_name(&p->rp, clock_mono_ms()),
		    .reason = p->rp.br.reason,
		    .text = detail,
		    .cls = strncmp(p->rp.br.reason, "config", 6) == 0
		               ? SEND_CONFIG
		               : SEND_DEFERRED,
		    .drill = prov_drilled(p),
		};
		events_emit(&e);
	}
	switch (ev) {
	case BREAKER_EV_NONE:
		return;
	case BREAKER_EV_OPENED:
	case BREAKER_EV_REOPENED:
		p->d->stats.circuit_opens++;
		log_warn("deliver: provider %s circuit %s for %llu s: %s%s%s",
		         p->cfg->name,
		         ev == BREAKER_EV_OPENED ? "opened" : "re-opened",
		         (unsigned long long)(breaker_cooldown_left(
		                                  &p->rp.br, clock_mono_ms()) /
		                              1000),
		         p->rp.br.reason, detail ? "; last answer: " : "",
		         detail ? detail : "");
		event_active(p->pump, EV_TIMEOUT, 1);
		return;
	case BREAKER_EV_HALF_OPENED:
		log_info("deliver: provider %s circuit half-open: %s",
		         p->cfg->name, p->rp.br.reason);
		return;
	case BREAKER_EV_CLOSED:
		log_info("deliver: provider %s circuit closed: %s; traffic "
		         "ramps back over %llu s",
		         p->cfg->name, p->rp.br.reason,
		         (unsigned long long)(p->cfg->failback_ramp_ms / 1000));
		return;
	}
}

/* ---- sending ---------------------------------------------------------- */

/* conn_reject_all - the adapter refused the message outright (an address
 * no provider could take): every pending recipient fails. */
static void
conn_reject_all(struct dconn *conn, struct djob *job, size_t k)
{
	struct adapter_result res;
	struct send_result *rr = xcalloc(k ? k : 1, sizeof(*rr));
	size_t i;

	for (i = 0; i < k; i++)
		policy_local_result(&rr[i], POLICY_LOCAL_BAD_ADDRESS, NULL);
	res.msg = rr[0];
	res.rcpts = rr;
	res.n_rcpts = k;
	res.n_accepted = 0;
	res.not_applied = NULL;
	conn_on_sent(&res, conn);
	free(rr);
}

/* job_attempt_start - an attempt begins: when (stored) and its timer. */
static void
job_attempt_start(struct djob *job)
{
	job->started_ms = clock_wall_ms();
	job->started_mono = clock_mono_ms();
}

/* How soon a job whose channel said "busy" is routed again. */
#define CONN_BUSY_RETRY_MS 100

/*
 * job_verp - the envelope sender for job's attempt on p: a VERP address
 * at p's bounce_domain naming the message and, when the attempt carries
 * one recipient, that recipient (deliver/verp.h); the sender as stored
 * otherwise, and always for the null sender (a bounce is never
 * answered).
 */
static void
job_verp(struct djob *job, const struct dprov *p)
{
	const struct deliver *d = job->d;
	const char *domain = p->cfg->bounce_domain;

	job->msg.sender = job->m->sender;
	if (domain == NULL || d->o.verp_key == NULL || job->m->sender == NULL ||
	    job->m->sender[0] == '\0')
		return;
	if (verp_encode(d->o.verp_key, d->o.verp_key_len, job->m->id,
	                job->n_pending == 1 ? (int)job->pmap[0]
	                                    : VERP_IDX_SEVERAL,
	                domain, job->verp, sizeof(job->verp)) == 0)
		job->msg.sender = job->verp;
}

/*
 * conn_send - hand job's message to the adapter on conn (conn->job is
 * job and counted busy). Only -EINVAL means the message cannot go to
 * this provider (every recipient fails); any other refusal (-EBUSY: the
 * channel is busy) started nothing, so the job is handed back,
 * unattempted, and routed again shortly (this provider may offer another
 * slot).
 */
static void
conn_send(struct dconn *conn, struct djob *job)
{
	struct dprov *p = conn->p;
	size_t k = job->n_pending;
	int rc;

	rc = p->ad->ops->send(conn->ch, &job->msg, conn_on_sent, conn);
	if (rc == 0)
		return;
	if (rc == -EINVAL) {
		conn_reject_all(conn, job, k);
		return;
	}
	conn->job = NULL;
	p->busy--;
	account_landed(&p->account, conn->inflight);
	conn->inflight = 0;
	job->on_conn = false;
	route_unpick(&p->rp, job->trial, clock_wall_ms());
	job->trial = false;
	job->tried &= ~(1ULL << p->index);
	log_info("deliver: id=%s provider %s channel busy (%s); routing again",
	         job->m->id, p->cfg->name, strerror(-rc));
	job_park(job, CONN_BUSY_RETRY_MS);
}

/* conn_fault_fire - a drill's timer for conn's job: answer the simulated
 * result (nothing was sent), or send the delayed message now. */
static void
conn_fault_fire(evutil_socket_t fd, short what, void *arg)
{
	struct dconn *conn = arg;
	struct djob *job = conn->job;
	struct adapter_result res;

	(void)fd;
	(void)what;
	conn->fault_on = false;
	if (job == NULL)
		return;
	if (conn->fault.act == DELIVER_FAULT_DELAY) {
		conn_send(conn, job);
		return;
	}
	memset(&res, 0, sizeof(res));
	res.msg = conn->fault.result;
	res.rcpts = &conn->fault.result;
	res.n_rcpts = 0; /* nobody settled: nothing was sent */
	conn_on_sent(&res, conn);
}

/*
 * conn_fault - ask the drill hook (deliver.h) about job's attempt on
 * conn: true when it took the attempt over (a simulated answer or a
 * delay is armed), false to send as usual.
 */
static bool
conn_fault(struct dconn *conn, struct djob *job)
{
	struct dprov *p = conn->p;
	struct deliver *d = p->d;
	struct timeval tv;

	if (d->fault.attempt == NULL)
		return false;
	memset(&conn->fault, 0, sizeof(conn->fault));
	d->fault.attempt(p->cfg->name, p->cfg->type,
	                 d->cfg->streams[job->stream].name, job->m->id,
	                 &conn->fault, d->fault.arg);
	if (conn->fault.act == DELIVER_FAULT_PASS)
		return false;
	/* Never a verdict on the message: a hook that answers anything but
	 * a transient or account failure is overruled to deferred. */
	if (conn->fault.act == DELIVER_FAULT_ANSWER &&
	    conn->fault.result.class != SEND_DEFERRED &&
	    conn->fault.result.class != SEND_THROTTLED &&
	    conn->fault.result.class != SEND_CONFIG)
		conn->fault.result.class = SEND_DEFERRED;
	if (conn->fault_ev == NULL)
		conn->fault_ev = evtimer_new(d->o.base, conn_fault_fire, conn);
	tv.tv_sec = (time_t)(conn->fault.after_ms / 1000);
	tv.tv_usec = (suseconds_t)(conn->fault.after_ms % 1000) * 1000;
	conn->fault_on = true;
	/* A delayed attempt's answer is the provider's own. */
	job->sim = conn->fault.act == DELIVER_FAULT_ANSWER;
	evtimer_add(conn->fault_ev, &tv);
	return true;
}

/* conn_run - start job's attempt on conn: through the drill hook, then
 * the adapter. */
static void
conn_run(struct dconn *conn, struct djob *job)
{
	struct dprov *p = conn->p;

	job_pending_fill(job);
	job->msg.rcpts = job->pending;
	job->msg.n_rcpts = job->n_pending;
	job_verp(job, p);
	free(job->att_trace);
	job->att_trace = job->trace.len ? xstrdup(buf_cstr(&job->trace)) : NULL;
	job_attempt_start(job);
	job->on_conn = true;
	job->sim = false;
	conn->job = job;
	p->busy++;
	/* On its way: counted into the quota estimate until it lands. */
	conn->inflight = job->n_pending;
	account_inflight(&p->account, conn->inflight);
	if (!conn_fault(conn, job))
		conn_send(conn, job);
}

/* prov_next_job - the next waiting job in fair stream order, unqueued. */
static struct djob *
prov_next_job(struct dprov *p)
{
	uint64_t mask = 0;
	struct djob *job;
	size_t s, n = p->d->cfg->n_streams;
	int pick;

	for (s = 0; s < n && s < DELIVER_MAX_STREAMS; s++)
		if (!TAILQ_EMPTY(&p->waiting[s]))
			mask |= 1ULL << s;
	if (mask == 0)
		return NULL;
	pick = fairq_pick(&p->fq, mask);
	if (pick < 0)
		return NULL;
	job = TAILQ_FIRST(&p->waiting[pick]);
	job_unqueue(job);
	return job;
}

/* prov_pump - give waiting jobs to idle channels; move them if the
 * provider can no longer take them. */
void
prov_pump(evutil_socket_t fd, short what, void *arg)
{
	struct dprov *p = arg;
	enum route_admin admin;
	struct djob *job;
	size_t i;

	(void)fd;
	(void)what;
	/* A graceful stop starts no attempt; waiting jobs stay inflight in
	 * the spool for the next start. */
	if (p->n_waiting == 0 || p->d->stopping)
		return;
	admin = route_admin_now(&p->rp, clock_mono_ms());
	if (admin == ROUTE_ADMIN_DRAINING || p->rp.br.state == BREAKER_OPEN) {
		prov_reroute_waiting(p);
		return;
	}
	if (admin == ROUTE_ADMIN_PAUSED)
		return; /* they wait; a stream deadline or the end of a timed
		           pause (a pump is scheduled) moves them */
	for (i = 0; i < p->max_conns && p->n_waiting > 0; i++) {
		struct dconn *conn = &p->conns[i];
		char why[160];
		/* The adaptive window: no more busy than it allows. */
		if (p->busy >= concur_limit(&p->cc))
			return;
		if (conn->job != NULL)
			continue;
		/* What waits here goes elsewhere once the quota estimate,
		 * counting what is in flight, reaches the reserve. */
		if (account_spill(&p->account, p->cfg->quota_reserve, why,
		                  sizeof(why))) {
			prov_reroute_waiting(p);
			return;
		}
		if (conn->ch == NULL) {
			conn->ch = p->ad->ops->chan_new(p->ad);
			if (conn->ch == NULL) {
				/* No channel can be made (TLS context,
				 * resolver): an account-class fault. */
				struct send_result r;
				policy_local_result(&r, POLICY_LOCAL_NO_CHANNEL,
				                    NULL);
				log_error("deliver: provider %s: cannot make "
				          "a client connection",
				          p->cfg->name);
				prov_breaker_event(
				    p,
				    route_result(&p->rp, &r, 0, false,
				                 clock_mono_ms(),
				                 clock_wall_ms()),
				    r.text);
				prov_reroute_waiting(p);
				return;
			}
		}
		if (!p->ad->ops->idle(conn->ch))
			continue;
		job = prov_next_job(p);
		if (job != NULL)
			conn_run(conn, job);
	}
}

/* ---- results ---------------------------------------------------------- */

/* job_take_result - apply per-recipient results; fills upd. */
static size_t
job_take_result(struct djob *job, const struct adapter_result *res,
                struct spool_rcpt_result *upd)
{
	size_t k, n_upd = 0;

	for (k = 0; k < res->n_rcpts && k < job->n_pending; k++) {
		const struct send_result *r = &res->rcpts[k];
		size_t i = job->pmap[k];
		if (r->class != SEND_ACCEPTED && r->class != SEND_REJECTED)
			continue;
		job->rcpts[i].state = r->class == SEND_ACCEPTED
		                          ? SPOOL_RCPT_SENT
		                          : SPOOL_RCPT_FAILED;
		if (r->class == SEND_ACCEPTED)
			job->any_sent = true;
		snprintf(job->rcpts[i].status, SEND_ENHANCED_SIZE, "%s",
		         r->enhanced[0]
		             ? r->enhanced
		             : (r->class == SEND_ACCEPTED ? "2.0.0" : "5.0.0"));
		free(job->rcpts[i].reply);
		job->rcpts[i].reply = xstrdup(r->text);
		upd[n_upd++] = (struct spool_rcpt_result){
		    .index = i,
		    .state = job->rcpts[i].state,
		    .reply = job->rcpts[i].reply,
		    .provider_msg_id =
		        r->provider_msg_id[0] ? r->provider_msg_id : NULL,
		};
	}
	return n_upd;
}

/* job_after_attempt - what now for job after its attempt at p. */
static void
job_after_attempt(struct djob *job, struct dprov *p,
                  const struct adapter_result *res)
{
	struct deliver *d = job->d;
	const struct send_result *mr = &res->msg;
	const struct config_stream *st = &d->cfg->streams[job->stream];
	struct spool_rcpt_result *upd;
	struct dprov *next;
	uint64_t wait = 0;
	size_t n_upd;

	upd = xcalloc(job->m->n_rcpts + 1, sizeof(*upd));
	n_upd = job_take_result(job, res, upd);
	if (job->deadline != NULL)
		evtimer_del(job->deadline);
	if (mr->class == SEND_UNKNOWN) {
		d->stats.possible_duplicates++;
		if (st->on_unknown == CONFIG_ON_UNKNOWN_HOLD &&
		    job_pending_count(job) > 0) {
			job_hold(job, mr, upd, n_upd, mr->text);
			free(upd);
			return;
		}
		log_warn("deliver: id=%s possible duplicate: outcome unknown "
		         "at %s (%s); resending elsewhere",
		         job->m->id, p->cfg->name, mr->text);
	}
	if (job_pending_count(job) == 0) {
		enum spool_state fin = job_final_state(job);
		struct events_item e = {
		    .provider = p->cfg->name,
		    .cls = mr->class,
		    .text = mr->text,
		    .latency_ms =
		        (uint64_t)(clock_wall_ms() - job->m->created_at),
		};
		job_record(job, mr, upd, n_upd, fin, 0,
		           fin == SPOOL_STATE_SENT ? NULL : mr->text);
		if (fin == SPOOL_STATE_SENT)
			d->stats.delivered++;
		else
			d->stats.failed++;
		job_event(job,
		          fin == SPOOL_STATE_SENT ? EVENT_SENT : EVENT_FAILED,
		          &e);
		job_dsn(job, "the recipient's provider refused it");
		job_free(job);
	} else if ((next = deliver_route(d, job, &wait)) != NULL) {
		job_record(job, mr, upd, n_upd, SPOOL_STATE_INFLIGHT, 0,
		           mr->text);
		d->stats.failovers++;
		d->failover_from_to[p->index]++;
		/* JSON logs carry this as an event line (observe/logjson). */
		if (log_format_get() != LOG_FORMAT_JSON)
			log_info("deliver: id=%s failover %s -> %s (%s)",
			         job->m->id, p->cfg->name, next->cfg->name,
			         send_class_name(mr->class));
		{
			struct events_item e = {
			    .provider = p->cfg->name,
			    .to_provider = next->cfg->name,
			    .cls = mr->class,
			    .text = mr->text,
			};
			job_event(job, EVENT_FAILOVER, &e);
		}
		job_assign(job, next);
	} else if (wait > 0) {
		job_record(job, mr, upd, n_upd, SPOOL_STATE_INFLIGHT, 0,
		           mr->text);
		job_park(job, wait);
	} else {
		job_defer_or_expire(job, mr, upd, n_upd, mr->text);
	}
	free(upd);
}

/*
 * prov_concur_feed - the connection window learns from an attempt: an
 * answer grows it; a throttle, a timeout or unknown outcome, or a
 * deferral of the whole session (not of one recipient at RCPT) halves it.
 */
static void
prov_concur_feed(struct dprov *p, const struct send_result *mr, uint64_t mono)
{
	switch (mr->class) {
	case SEND_ACCEPTED:
	case SEND_REJECTED:
		concur_answered(&p->cc);
		break;
	case SEND_DEFERRED:
		if (mr->stage == SEND_STAGE_RCPT)
			break;
		/* FALLTHROUGH */
	case SEND_THROTTLED:
	case SEND_UNKNOWN:
		if (concur_slowed(&p->cc, mono))
			log_info("deliver: provider %s slowed (%s): up to %u "
			         "connection%s",
			         p->cfg->name, send_class_name(mr->class),
			         concur_limit(&p->cc),
			         concur_limit(&p->cc) == 1 ? "" : "s");
		break;
	default:
		break;
	}
}

/* conn_on_sent - an attempt finished: feed health, then decide. */
static void
conn_on_sent(const struct adapter_result *res, void *arg)
{
	struct dconn *conn = arg;
	struct dprov *p = conn->p;
	struct deliver *d = p->d;
	struct djob *job = conn->job;
	const struct send_result *mr = &res->msg;
	uint64_t mono = clock_mono_ms(), took = mono - job->started_mono;
	int64_t now = clock_wall_ms();
	bool ok = mr->class == SEND_ACCEPTED || mr->class == SEND_REJECTED;

	conn->job = NULL;
	conn->last_used = mono;
	p->busy--;
	account_landed(&p->account, conn->inflight);
	conn->inflight = 0;
	job->on_conn = false;
	d->stats.attempts++;
	if (ok)
		p->sent++;
	else
		p->failed++;
	if (mr->class == SEND_ACCEPTED)
		account_sent(&p->account, res->n_accepted);
	prov_breaker_event(
	    p, route_result(&p->rp, mr, took, job->trial, mono, now),
	    ok ? NULL : mr->text);
	prov_concur_feed(p, mr, mono);
	job->trial = false;
	{
		char dom[REPUTATION_NAME_MAX], rdom[REPUTATION_NAME_MAX];
		struct events_item e = {
		    .provider = p->cfg->name,
		    .rcpt_domain = job_rcpt_domain(job, rdom, sizeof(rdom)),
		    .cls = mr->class,
		    .stage = mr->stage,
		    .text = mr->text,
		    .duration_ms = took,
		    .rcpts = (unsigned)job->n_pending,
		    .sender_domain = job_sender_domain(job, dom, sizeof(dom)),
		};
		job_event(job, EVENT_ATTEMPT, &e);
		if (mr->class == SEND_THROTTLED) {
			struct events_item t = {
			    .kind = EVENT_THROTTLED,
			    .at_ms = now,
			    .provider = p->cfg->name,
			    .text = mr->text,
			    .drill = job->sim,
			};
			events_emit(&t);
		}
	}
	/* JSON logs carry this as an event line (observe/logjson). */
	if (log_format_get() != LOG_FORMAT_JSON &&
	    log_level_enabled(LOG_LEVEL_INFO))
		log_info("deliver: id=%s provider=%s result=%s stage=%s "
		         "rcpts=%zu/%zu ms=%lld reply=%s",
		         job->m->id, p->cfg->name, send_class_name(mr->class),
		         send_stage_name(mr->stage), res->n_accepted,
		         job->n_pending, (long long)took,
		         log_quote(mr->text).s);
	if (res->not_applied != NULL && *res->not_applied != '\0')
		job_trace_not_applied(job, p->cfg->name, res->not_applied);
	job_after_attempt(job, p, res);
	event_active(p->pump, EV_TIMEOUT, 1);
	deliver_stop_check(d);
}

/*
 * job_deadline - the stream's failover_after passed at the current
 * provider. Waiting in its queue: move on. Being sent: abandon the
 * channel; the provider may have the message, so the attempt is
 * "unknown" (resent or held per the stream's on_unknown).
 */
static void
job_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct djob *job = arg;
	struct deliver *d = job->d;
	struct dprov *p = job->prov;
	struct adapter_result res;
	struct send_result r;
	char text[SEND_TEXT_SIZE];
	size_t i;

	(void)fd;
	(void)what;
	if (p == NULL || job->parked)
		return;
	if (!job->on_conn) {
		job_unqueue(job);
		route_unpick(&p->rp, job->trial, clock_wall_ms());
		job->trial = false;
		log_info("deliver: id=%s not started at %s within the "
		         "stream's failover_after; trying the next provider",
		         job->m->id, p->cfg->name);
		job_next(job);
		return;
	}
	for (i = 0; i < p->max_conns; i++) {
		struct dconn *conn = &p->conns[i];
		bool maybe;
		if (conn->job != job)
			continue;
		if (conn->fault_on) {
			/* A drill's hang or delay: nothing was sent. */
			evtimer_del(conn->fault_ev);
			conn->fault_on = false;
			job->sim = true;
			maybe = false;
		} else {
			maybe = p->ad->ops->may_have_delivered == NULL ||
			        p->ad->ops->may_have_delivered(conn->ch);
			p->ad->ops->chan_free(conn->ch);
			conn->ch = NULL;
		}
		snprintf(
		    text, sizeof(text),
		    "no answer within the stream's failover_after (%llu ms)%s",
		    (unsigned long long)d->cfg->streams[job->stream]
		        .failover_after_ms,
		    maybe ? " after the message was sent" : "");
		policy_local_result(&r,
		                    maybe ? POLICY_LOCAL_ABANDONED_SENT
		                          : POLICY_LOCAL_ABANDONED,
		                    text);
		memset(&res, 0, sizeof(res));
		res.msg = r;
		res.rcpts = &r;
		res.n_rcpts = 0; /* nobody settled */
		conn_on_sent(&res, conn);
		return;
	}
}
