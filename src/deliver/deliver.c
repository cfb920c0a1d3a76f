/*
 * deliver.c - the delivery scheduler: life cycle, fair claiming per
 * stream, status, the operator's pause/resume/drain, and reload.
 *
 * Claiming: each stream gets a share of the free in-memory slots in
 * proportion to its weight (route/fairq.h), and also a small reserve of
 * its own beyond max_inflight, so a burst of critical mail is claimed at
 * once even while bulk mail fills memory waiting for rate tokens. A
 * stream whose last claim came back short asks for little until it has
 * mail again, and its share goes to the others.
 *
 * Memory is bounded by max_inflight plus the streams' reserves: bodies
 * stay in the spool until a message is claimed, and a claimed message is
 * freed as soon as its outcome is queued to the spool.
 *
 * Wake-ups, not polling: a claim round runs when the spool says a commit
 * made mail due (spool_due_watch; new mail is gathered for up to 50 ms
 * first, so a burst is claimed, and weighed, together), when the timer
 * for the earliest stored next attempt fires, when a claim came back
 * full, and when a job ends while claiming was held back for lack of
 * room. Only mail that is due but cannot be claimed now (no usable
 * provider) is looked at again every poll_ms. An idle queue costs
 * nothing.
 */
#include "deliver/deliver.h"

#include <arpa/inet.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "deliver/deliver_int.h"
#include "route/statuspage.h"

#define DELIVER_RESERVE_MIN 4
/* The due timer is re-checked at least this often, so a forward step of
 * the wall clock delays deferred mail by at most this much. */
#define DELIVER_DUE_MAX_MS 60000
/* The longest new mail waits to be claimed with what lands after it. */
#define DELIVER_GATHER_MAX_MS 50

size_t
deliver_stream_index(const struct deliver *d, const char *name)
{
	size_t i, fallback = 0;

	for (i = 0; i < d->cfg->n_streams && i < DELIVER_MAX_STREAMS; i++) {
		if (name != NULL && strcmp(d->cfg->streams[i].name, name) == 0)
			return i;
		if (strcmp(d->cfg->streams[i].name, "transactional") == 0)
			fallback = i;
	}
	return fallback;
}

/* ---- claiming --------------------------------------------------------- */

struct dclaim {
	struct deliver *d;
	size_t stream, asked;
};

static void deliver_tick(evutil_socket_t fd, short what, void *arg);
static void deliver_release(struct deliver *d);

void
deliver_kick(struct deliver *d)
{
	if (!d->closing)
		event_active(d->tick, EV_TIMEOUT, 1);
}

/* deliver_due_arm - wake at wall time at_ms, unless woken earlier. The
 * stored wall time becomes a monotonic timer here. */
static void
deliver_due_arm(struct deliver *d, int64_t at_ms)
{
	uint64_t ms;
	struct timeval tv;

	if (d->closing || at_ms >= d->due_at)
		return;
	d->due_at = at_ms;
	ms = clock_wall_until_ms(at_ms);
	if (ms > DELIVER_DUE_MAX_MS)
		ms = DELIVER_DUE_MAX_MS;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(d->due, &tv);
}

/* deliver_due_later - arm for mail due now that was not claimed. */
static void
deliver_due_later(struct deliver *d)
{
	deliver_due_arm(d, clock_wall_ms() + (int64_t)d->o.poll_ms);
}

/* deliver_on_next_due - the spool's earliest next attempt time. */
static void
deliver_on_next_due(int status, int64_t at_ms, void *arg)
{
	struct deliver *d = arg;

	d->reads_pending--;
	if (d->closing) {
		if (d->claims_pending == 0 && d->reads_pending == 0)
			deliver_release(d);
		return;
	}
	if (status != SPOOL_OK) {
		if (status != SPOOL_ERR_CLOSED)
			log_warn("deliver: next attempt time not read (%s)",
			         spool_status_name(status));
		deliver_due_later(d);
		return;
	}
	if (at_ms == INT64_MAX)
		return; /* nothing waits; the spool wakes us */
	/*
	 * Due already but still there: it could not be claimed yet - but
	 * only if it was due for the claim round before this read. The
	 * due timer can fire a little before the stored time (libevent
	 * counts from the time its loop iteration began), so that round
	 * may have looked just before at_ms while this answer comes just
	 * after it: then the message is simply due now, and waiting
	 * poll_ms for it would lose the wake-up.
	 */
	if (at_ms <= d->looked_at && at_ms <= clock_wall_ms())
		deliver_due_later(d);
	else
		deliver_due_arm(d, at_ms);
}

/* deliver_due_ask - ask the spool when the next attempt is due; queued
 * after any claim already asked for, so it sees what the claims left. */
static void
deliver_due_ask(struct deliver *d)
{
	if (d->reads_pending == 0 &&
	    spool_msg_next_due(d->o.spool, deliver_on_next_due, d) == 0)
		d->reads_pending++;
}

/* deliver_on_due_timer - claim what is due, then ask when the next is. */
static void
deliver_on_due_timer(evutil_socket_t fd, short what, void *arg)
{
	struct deliver *d = arg;

	(void)fd;
	(void)what;
	d->due_at = INT64_MAX;
	deliver_tick(-1, 0, d);
	deliver_due_ask(d);
}

/*
 * deliver_on_due - a commit made mail due at due_ms (spool watcher). New
 * mail is claimed after a short gathering window rather than at once: a
 * burst that lands within it is claimed together, and the streams'
 * weights order it (claimed one by one, it would go out in arrival
 * order). The window is poll_ms, at most DELIVER_GATHER_MAX_MS.
 */
static void
deliver_on_due(int64_t due_ms, void *arg)
{
	struct deliver *d = arg;
	int64_t now = clock_wall_ms();
	uint64_t gather = d->o.poll_ms < DELIVER_GATHER_MAX_MS
	                      ? d->o.poll_ms
	                      : DELIVER_GATHER_MAX_MS;

	deliver_due_arm(d, due_ms > now ? due_ms : now + (int64_t)gather);
}

static void
deliver_on_claim(int status, struct spool_msg **msgs, size_t n, void *arg)
{
	struct dclaim *c = arg;
	struct deliver *d = c->d;
	size_t i;

	d->claims_pending--;
	if (d->closing) {
		/* Stopped while the claim ran: they stay inflight in the
		 * spool and are recovered on the next start. */
		for (i = 0; i < n; i++)
			spool_msg_free(msgs[i]);
		free(c);
		if (d->claims_pending == 0 && d->reads_pending == 0)
			deliver_release(d);
		return;
	}
	if (status != SPOOL_OK) {
		if (status != SPOOL_ERR_CLOSED) {
			log_warn("deliver: claim failed (status %d)", status);
			deliver_due_later(d);
		}
		free(c);
		return;
	}
	d->stream_short[c->stream] = n < c->asked;
	d->claim_full |= n == c->asked;
	for (i = 0; i < n; i++)
		job_next(job_new(d, msgs[i]));
	/* A full claim: there is more; look again without waiting. So
	 * also when a wake-up came while the claims ran. */
	if ((d->claim_full || d->again) && d->claims_pending == 0) {
		d->claim_full = false;
		d->again = false;
		deliver_tick(-1, 0, d);
	}
	free(c);
}

/* deliver_stream_reserve - slots stream s may use beyond max_inflight. */
static size_t
deliver_stream_reserve(const struct deliver *d, size_t s)
{
	size_t total = 0, i, r;

	for (i = 0; i < d->cfg->n_streams && i < DELIVER_MAX_STREAMS; i++)
		total += d->cfg->streams[i].weight;
	r = total ? d->o.max_inflight * d->cfg->streams[s].weight / total / 4
	          : 0;
	return r < DELIVER_RESERVE_MIN ? DELIVER_RESERVE_MIN : r;
}

/* deliver_tick - claim due mail, each stream its fair share. */
static void
deliver_tick(evutil_socket_t fd, short what, void *arg)
{
	struct deliver *d = arg;
	size_t n = d->cfg->n_streams, s, room, reserve, issued = 0;
	size_t demand[DELIVER_MAX_STREAMS], out[DELIVER_MAX_STREAMS];
	int64_t now = clock_wall_ms();

	(void)fd;
	(void)what;
	if (d->closing || d->stopping || d->n_provs == 0) {
		d->looked_at = now; /* nothing can be claimed now */
		return;
	}
	if (d->claims_pending > 0) {
		d->again = true;
		return;
	}
	/* Whatever follows, mail due by now is claimed or cannot be. */
	d->looked_at = now;
	if (!route_any_usable(d->rps, d->n_provs, clock_mono_ms())) {
		/* If mail is due, the answer arms a look in poll_ms. */
		deliver_due_ask(d);
		return;
	}
	if (n > DELIVER_MAX_STREAMS)
		n = DELIVER_MAX_STREAMS;
	room = d->inflight < d->o.max_inflight ? d->o.max_inflight - d->inflight
	                                       : 0;
	if (room > DELIVER_CLAIM_MAX)
		room = DELIVER_CLAIM_MAX;
	for (s = 0; s < n; s++)
		demand[s] = d->stream_short[s] ? 1 : room;
	fairq_share(&d->claim_fq, demand, room, out);
	d->claim_full = false;
	for (s = 0; s < n; s++) {
		struct dclaim *c;
		reserve = deliver_stream_reserve(d, s);
		if (d->stream_inflight[s] < reserve &&
		    out[s] < reserve - d->stream_inflight[s])
			out[s] = reserve - d->stream_inflight[s];
		if (out[s] > DELIVER_CLAIM_MAX)
			out[s] = DELIVER_CLAIM_MAX;
		if (out[s] == 0)
			continue;
		c = xcalloc(1, sizeof(*c));
		c->d = d;
		c->stream = s;
		c->asked = out[s];
		if (spool_msg_claim_stream(d->o.spool, d->cfg->streams[s].name,
		                           out[s], now, deliver_on_claim,
		                           c) != 0) {
			free(c);
			continue;
		}
		d->claims_pending++;
		issued++;
	}
	/* Every stream is at its limit: a job's end looks again. */
	if (issued == 0)
		d->starved = true;
}

/* deliver_sweep - close channels that have been idle for a while. */
static void
deliver_sweep(evutil_socket_t fd, short what, void *arg)
{
	struct deliver *d = arg;
	uint64_t now = clock_mono_ms();
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

	return host != NULL && inet_pton(AF_INET, host, tmp) != 1 &&
	       inet_pton(AF_INET6, host, tmp) != 1;
}

/* deliver_weights - the streams' weights into a fair queue. */
static void
deliver_weights(const struct config *cfg, struct fairq *fq)
{
	unsigned w[DELIVER_MAX_STREAMS];
	size_t i, n = cfg->n_streams;

	if (n > DELIVER_MAX_STREAMS)
		n = DELIVER_MAX_STREAMS;
	for (i = 0; i < n; i++)
		w[i] = cfg->streams[i].weight ? cfg->streams[i].weight : 1;
	fairq_init(fq, w, n);
}

struct deliver *
deliver_new(const struct deliver_opts *opts)
{
	struct deliver *d = xcalloc(1, sizeof(*d));
	const struct config *cfg = opts->cfg;
	struct timeval tv;
	size_t i, s;
	bool names = false;

	d->o = *opts;
	d->cfg = cfg;
	if (d->o.max_inflight == 0)
		d->o.max_inflight = 256;
	if (d->o.poll_ms == 0)
		d->o.poll_ms = 50;
	TAILQ_INIT(&d->jobs);
	TAILQ_INIT(&d->parked);
	if (cfg->n_providers > ROUTE_MAX_PROVIDERS)
		log_fatal("deliver: at most %d providers", ROUTE_MAX_PROVIDERS);
	if (cfg->n_streams > DELIVER_MAX_STREAMS)
		log_fatal("deliver: at most %d streams", DELIVER_MAX_STREAMS);
	deliver_weights(cfg, &d->claim_fq);
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
		route_prov_init(&p->rp, p->cfg, clock_mono_ms(),
		                clock_wall_ms());
		d->rps[i] = &p->rp;
		account_init(&p->account);
		deliver_weights(cfg, &p->fq);
		p->max_conns =
		    p->cfg->max_connections ? p->cfg->max_connections : 4;
		p->conns = xcalloc(p->max_conns, sizeof(*p->conns));
		concur_init(&p->cc, p->cfg->initial_connections,
		            (unsigned)p->max_conns,
		            p->cfg->adaptive_connections);
		for (j = 0; j < p->max_conns; j++)
			p->conns[j].p = p;
		p->pump = event_new(opts->base, -1, 0, prov_pump, p);
		p->admin_timer = evtimer_new(opts->base, prov_pump, p);
		for (s = 0; s < DELIVER_MAX_STREAMS; s++)
			TAILQ_INIT(&p->waiting[s]);
		p->status_level = STATUS_UNKNOWN;
		if (deliver_host_is_name(p->cfg->host))
			names = true;
	}
	if (names)
		d->dns = evdns_base_new(opts->base,
		                        EVDNS_BASE_INITIALIZE_NAMESERVERS);
	d->tick = event_new(opts->base, -1, 0, deliver_tick, d);
	d->due = evtimer_new(opts->base, deliver_on_due_timer, d);
	d->due_at = INT64_MAX;
	d->looked_at = INT64_MIN;
	d->sweep = event_new(opts->base, -1, EV_PERSIST, deliver_sweep, d);
	tv.tv_sec = 5;
	tv.tv_usec = 0;
	event_add(d->sweep, &tv);
	d->unpark = evtimer_new(opts->base, deliver_unpark, d);
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
	for (i = 0; i < d->n_provs; i++)
		watch_start(&d->provs[i]);
	/* Commits wake us from now on; what is stored already is claimed
	 * now, and the next attempt time read. */
	spool_due_watch(opts->spool, deliver_on_due, d);
	deliver_on_due_timer(-1, 0, d);
	log_info("deliver: %zu provider%s, %zu stream%s, up to %zu messages "
	         "in flight",
	         d->n_provs, d->n_provs == 1 ? "" : "s", cfg->n_streams,
	         cfg->n_streams == 1 ? "" : "s", d->o.max_inflight);
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
	spool_due_watch(d->o.spool, NULL, NULL);
	if (d->stopped != NULL)
		event_free(d->stopped);
	d->stopped = NULL;
	event_free(d->tick);
	event_free(d->due);
	event_free(d->sweep);
	event_free(d->unpark);
	for (i = 0; i < d->n_provs; i++) {
		struct dprov *p = &d->provs[i];
		watch_stop(p);
		for (j = 0; j < p->max_conns && p->ad != NULL; j++)
			p->ad->ops->chan_free(p->conns[j].ch);
		for (j = 0; j < p->max_conns; j++)
			if (p->conns[j].fault_ev != NULL)
				event_free(p->conns[j].fault_ev);
		free(p->conns);
		adapter_free(p->ad);
		event_free(p->pump);
		event_free(p->admin_timer);
	}
	while ((job = TAILQ_FIRST(&d->jobs)) != NULL)
		job_free(job);
	if (d->dns)
		evdns_base_free(d->dns, 0);
	SSL_CTX_free(d->ssl);
	if (d->claims_pending == 0 && d->reads_pending == 0)
		deliver_release(d);
}

/* ---- graceful stop ---------------------------------------------------- */

/* deliver_on_stopped - the last attempt ended: tell the owner. */
static void
deliver_on_stopped(evutil_socket_t fd, short what, void *arg)
{
	struct deliver *d = arg;

	(void)fd;
	(void)what;
	d->stopped_fn(d->stopped_arg);
}

void
deliver_stop_check(struct deliver *d)
{
	if (d->stopping && d->stopped != NULL && deliver_busy(d) == 0)
		event_active(d->stopped, EV_TIMEOUT, 1);
}

void
deliver_stop(struct deliver *d, deliver_stopped_fn *done, void *arg)
{
	if (d->stopping)
		return;
	d->stopping = true;
	d->stopped_fn = done;
	d->stopped_arg = arg;
	d->stopped = event_new(d->o.base, -1, 0, deliver_on_stopped, d);
	evtimer_del(d->due);
	log_info("deliver: stopping: %zu attempt%s on the wire, %zu "
	         "message%s in memory",
	         deliver_busy(d), deliver_busy(d) == 1 ? "" : "s", d->inflight,
	         d->inflight == 1 ? "" : "s");
	deliver_stop_check(d);
}

const struct reputation *
deliver_reputation(const struct deliver *d)
{
	return d->o.reputation;
}

size_t
deliver_busy(const struct deliver *d)
{
	size_t i, n = 0;

	for (i = 0; i < d->n_provs; i++)
		n += d->provs[i].busy;
	return n;
}

/* ---- status ----------------------------------------------------------- */

bool
deliver_can_send(const struct deliver *d)
{
	return route_any_usable(d->rps, d->n_provs, clock_mono_ms());
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
	const struct route_prov *rp = &p->rp;
	uint64_t now = clock_mono_ms();
	size_t j;

	memset(out, 0, sizeof(*out));
	out->name = p->cfg->name;
	out->type = p->cfg->type;
	out->mode = route_state_name(rp, now);
	out->reason = rp->br.reason;
	out->consecutive_failures = rp->br.consecutive;
	out->cooldown_left_ms = breaker_cooldown_left(&rp->br, now);
	out->sent = p->sent;
	out->failed = p->failed;
	out->picks = rp->picks;
	out->warm_picks = rp->warm_picks;
	out->opens = rp->br.opens;
	for (j = 0; j < p->max_conns; j++)
		out->connections += p->conns[j].ch != NULL;
	out->busy = p->busy;
	out->waiting = p->n_waiting;
	out->conc_window = concur_limit(&p->cc);
	out->conc_cuts = p->cc.cuts;
	out->success_ratio = health_success_ratio(&rp->h, now);
	out->latency_ewma_ms = health_latency_ewma(&rp->h);
	out->health = health_score(&rp->h, now);
	out->ramp = health_ramp_factor(&rp->h, now);
	out->limited = rp->limited;
	if (rp->limited) {
		out->rate = rp->tb.rate;
		out->tokens = tbucket_tokens(&rp->tb, now);
	}
	out->quota_limit = rp->quota.limit;
	if (rp->quota.limit > 0)
		out->quota_left =
		    quota_left(&rp->quota, (uint64_t)clock_wall_ms());
	out->status_page =
	    p->status != NULL
	        ? statuspage_level_name((enum status_level)p->status_level)
	        : NULL;
	out->probes_ok = p->probes_ok;
	out->probes_failed = p->probes_failed;
	out->account_known = p->account.known;
	out->account = p->account.enforcement;
	out->account_quota_max = p->account.known ? p->account.quota_max : -1;
	out->account_quota_left = account_quota_left(&p->account);
	out->account_spill =
	    account_spill(&p->account, p->cfg->quota_reserve, out->account_why,
	                  sizeof(out->account_why));
	if (!out->account_spill &&
	    !account_paused(&p->account, out->account_why,
	                    sizeof(out->account_why)) &&
	    account_share(&p->account, p->cfg->probation_share,
	                  out->account_why, sizeof(out->account_why)) >= 1)
		account_reputation(&p->account, out->account_why,
		                   sizeof(out->account_why));
	out->account_state = p->account.state;
	out->account_period = p->account.period;
	out->account_bounce_rate = p->account.bounce_rate;
	out->account_complaint_rate = p->account.complaint_rate;
	out->account_score = p->account.score;
	out->account_paused = p->account.known && p->account.paused;
	out->account_inflight = p->account.inflight;
	out->account_polls = p->account.polls;
	out->account_polled_ms = p->account.polled_ms;
	out->account_error = p->account.error;
	for (j = 0; j < SEND_CLASS_COUNT && j < 6; j++)
		out->class_counts[j] = rp->h.total[j];
	out->failovers_from = d->failover_from_to[i];
}

void
deliver_stats_get(const struct deliver *d, struct deliver_stats *out)
{
	const struct djob *job;

	*out = d->stats;
	out->inflight = d->inflight;
	out->parked = 0;
	TAILQ_FOREACH(job, &d->parked, wait)
	out->parked++;
}

size_t
deliver_stream_inflight(const struct deliver *d, size_t i)
{
	return i < DELIVER_MAX_STREAMS ? d->stream_inflight[i] : 0;
}

/* ---- operator control ------------------------------------------------- */

int
deliver_provider_fleet_open(struct deliver *d, const char *name,
                            uint64_t for_ms, const char *reason)
{
	size_t i;

	for (i = 0; i < d->n_provs; i++) {
		struct dprov *p = &d->provs[i];

		if (strcmp(p->cfg->name, name) != 0)
			continue;
		prov_breaker_event(p,
		                   breaker_force_open(&p->rp.br,
		                                      clock_mono_ms(), for_ms,
		                                      reason),
		                   NULL);
		p->rp.was_open = true;
		return 0;
	}
	return -1;
}

void
deliver_probe_gate_set(struct deliver *d, const struct deliver_probe_gate *g)
{
	if (g != NULL)
		d->probe_gate = *g;
	else
		memset(&d->probe_gate, 0, sizeof(d->probe_gate));
}

int
deliver_provider_fleet_close(struct deliver *d, const char *name,
                             const char *reason)
{
	size_t i;

	for (i = 0; i < d->n_provs; i++) {
		struct dprov *p = &d->provs[i];
		enum breaker_event ev;

		if (strcmp(p->cfg->name, name) != 0)
			continue;
		if (p->rp.br.state == BREAKER_CLOSED || p->rp.status_major)
			return 0;
		ev = breaker_force_clear(&p->rp.br, clock_mono_ms());
		snprintf(p->rp.br.reason, sizeof(p->rp.br.reason), "%s",
		         reason);
		prov_breaker_event(p, ev, NULL);
		health_ramp_start(&p->rp.h, clock_mono_ms(),
		                  p->cfg->failback_ramp_ms);
		p->rp.was_open = false;
		p->rp.forced = false;
		deliver_unpark(-1, 0, d);
		return 0;
	}
	return -1;
}

int
deliver_provider_admin(struct deliver *d, const char *name,
                       enum deliver_admin_action action, uint64_t for_ms,
                       char *err, size_t errlen)
{
	static const char *const words[] = {"paused", "resumed", "draining"};
	uint64_t now = clock_mono_ms();
	struct dprov *p = NULL;
	size_t i;

	for (i = 0; i < d->n_provs; i++)
		if (strcmp(d->provs[i].cfg->name, name) == 0)
			p = &d->provs[i];
	if (p == NULL) {
		snprintf(err, errlen, "no provider named \"%s\"", name);
		return -1;
	}
	switch (action) {
	case DELIVER_ADMIN_PAUSE:
		p->rp.admin = ROUTE_ADMIN_PAUSED;
		break;
	case DELIVER_ADMIN_DRAIN:
		p->rp.admin = ROUTE_ADMIN_DRAINING;
		break;
	case DELIVER_ADMIN_RESUME:
		p->rp.admin = ROUTE_ADMIN_ACTIVE;
		prov_breaker_event(p, breaker_force_clear(&p->rp.br, now),
		                   NULL);
		break;
	}
	p->rp.admin_until_ms =
	    action != DELIVER_ADMIN_RESUME && for_ms > 0 ? now + for_ms : 0;
	if (p->rp.admin_until_ms)
		log_warn("deliver: provider %s %s by operator for %llu s",
		         p->cfg->name, words[action],
		         (unsigned long long)(for_ms / 1000));
	else
		log_warn("deliver: provider %s %s by operator", p->cfg->name,
		         words[action]);
	event_active(p->pump, EV_TIMEOUT, 1);
	if (p->rp.admin_until_ms != 0) {
		/* Wake its queue when a timed pause ends. */
		struct timeval tv = {
		    .tv_sec = (time_t)(for_ms / 1000),
		    .tv_usec = (suseconds_t)(for_ms % 1000) * 1000,
		};
		evtimer_add(p->admin_timer, &tv);
	} else {
		evtimer_del(p->admin_timer);
	}
	if (action == DELIVER_ADMIN_RESUME) {
		deliver_unpark(-1, 0, d);
		deliver_kick(d);
	}
	return 0;
}

/* ---- reload ----------------------------------------------------------- */

/* deliver_str_same - both NULL or equal. */
static bool
deliver_str_same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	       (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* deliver_reload_check - may cfg replace d->cfg without a restart? */
static int
deliver_reload_check(const struct deliver *d, const struct config *cfg,
                     char *err, size_t errlen)
{
	size_t i;

	if (cfg->n_providers != d->n_provs) {
		snprintf(
		    err, errlen,
		    "the number of providers changed (%zu -> %zu); restart to "
		    "add or remove providers",
		    d->n_provs, cfg->n_providers);
		return -1;
	}
	for (i = 0; i < d->n_provs; i++) {
		const struct config_provider *a = d->provs[i].cfg;
		const struct config_provider *b = &cfg->providers[i];
		if (!deliver_str_same(a->name, b->name) ||
		    !deliver_str_same(a->type, b->type) ||
		    !deliver_str_same(a->host, b->host) || a->port != b->port ||
		    a->tls != b->tls || a->tls_verify != b->tls_verify ||
		    !deliver_str_same(a->endpoint, b->endpoint) ||
		    !deliver_str_same(a->region, b->region) ||
		    !deliver_str_same(a->username, b->username) ||
		    !deliver_str_same(a->password, b->password) ||
		    !deliver_str_same(a->api_key, b->api_key) ||
		    !deliver_str_same(a->access_key_id, b->access_key_id) ||
		    !deliver_str_same(a->secret_access_key,
		                      b->secret_access_key) ||
		    !deliver_str_same(a->domain, b->domain) ||
		    !deliver_str_same(a->ca_file, b->ca_file) ||
		    !deliver_str_same(a->client_cert, b->client_cert) ||
		    !deliver_str_same(a->client_key, b->client_key) ||
		    a->max_connections != b->max_connections) {
			snprintf(
			    err, errlen,
			    "provider %s: its connection settings changed; "
			    "restart to apply them",
			    a->name);
			return -1;
		}
	}
	if (cfg->n_streams != d->cfg->n_streams) {
		snprintf(err, errlen,
		         "the set of streams changed; restart to "
		         "add or remove streams");
		return -1;
	}
	for (i = 0; i < cfg->n_streams; i++)
		if (strcmp(cfg->streams[i].name, d->cfg->streams[i].name) !=
		    0) {
			snprintf(
			    err, errlen,
			    "the set of streams changed; restart to add or "
			    "remove streams");
			return -1;
		}
	return 0;
}

int
deliver_reload(struct deliver *d, const struct config *cfg, char *err,
               size_t errlen)
{
	uint64_t now = clock_mono_ms();
	size_t i;

	if (deliver_reload_check(d, cfg, err, errlen) < 0)
		return -1;
	d->cfg = cfg;
	d->env.helo_name = cfg->hostname;
	deliver_weights(cfg, &d->claim_fq);
	for (i = 0; i < d->n_provs; i++) {
		struct dprov *p = &d->provs[i];
		struct route_prov fresh;
		const char *old_rate = p->cfg->max_rate;
		p->cfg = &cfg->providers[i];
		p->ad->cfg = p->cfg;
		deliver_weights(cfg, &p->fq);
		/* Keep the live health, breaker state and credits; take the
		 * new tuning. */
		route_prov_init(&fresh, p->cfg, now, clock_wall_ms());
		p->rp.cfg = p->cfg;
		p->rp.br.opts = fresh.br.opts;
		if (!deliver_str_same(old_rate, p->cfg->max_rate)) {
			p->rp.limited = fresh.limited;
			p->rp.tb = fresh.tb;
			p->rp.aimd = fresh.aimd;
		}
		p->rp.quota.limit = fresh.quota.limit;
		if (p->cc.adaptive != p->cfg->adaptive_connections)
			concur_init(&p->cc, p->cfg->initial_connections,
			            (unsigned)p->max_conns,
			            p->cfg->adaptive_connections);
		watch_stop(p);
		watch_start(p);
	}
	log_info("deliver: configuration reloaded from %s", cfg->path);
	deliver_kick(d);
	return 0;
}

void
deliver_fault_hook_set(struct deliver *d, const struct deliver_fault_hook *h)
{
	if (h == NULL)
		memset(&d->fault, 0, sizeof(d->fault));
	else
		d->fault = *h;
}

int
deliver_provider_index(const struct deliver *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->n_provs; i++)
		if (strcmp(d->provs[i].cfg->name, name) == 0)
			return (int)i;
	return -1;
}

bool
prov_drilled(const struct dprov *p)
{
	const struct deliver *d = p->d;

	return d->fault.drilled != NULL &&
	       d->fault.drilled(p->cfg->name, d->fault.arg);
}

int
deliver_account_refresh(struct deliver *d, const char *name)
{
	size_t i;
	int n = 0;
	bool found = name == NULL;

	for (i = 0; i < d->n_provs; i++) {
		if (name != NULL && strcmp(d->provs[i].cfg->name, name) != 0)
			continue;
		found = true;
		n += watch_account_refresh(&d->provs[i]);
	}
	return found ? n : -1;
}
