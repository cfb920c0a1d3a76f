/*
 * readiness_poll.c - the verification requests and DNS lookups that feed
 * the readiness table (see readiness_poll.h).
 *
 * One job per provider x domain: the request (two for Postmark and
 * Resend: the list, then the domain's details), then the lookups of the
 * plan (readiness_check_plan) all at once; when the last one answers the
 * facts are judged and recorded, the job freed and the next due pairs
 * started (from a zero-delay event, never from inside a callback).
 */
#include "readiness/readiness_poll.h"

#include <event2/event.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>

#include "config/config.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "net/http_client.h"
#include "providers/http_adapter.h"
#include "readiness/readiness.h"
#include "readiness/readiness_ares.h"
#include "readiness/readiness_check.h"
#include "readiness/readiness_req.h"

#define POLL_TICK_MAX_MS 10000

struct job {
	struct readiness_poll *p;
	size_t prov; /* index in cfg->providers */
	char domain[256];
	char id[64];
	struct http_out out;
	struct http_call *call;
	struct readiness_facts facts;
	struct readiness_verified v;
	struct readiness_query q[READINESS_QUERIES_MAX];
	struct readiness_qresult res[READINESS_QUERIES_MAX];
	/* One context per lookup, so each answer knows its slot. */
	struct job_q {
		struct job *j;
		size_t i;
	} qc[READINESS_QUERIES_MAX];
	size_t nq, pending;
	TAILQ_ENTRY(job) link;
};

struct readiness_poll {
	struct event_base *base;
	const struct config *cfg;
	struct readiness *r;
	struct readiness_ares *dns;
	struct http_client **http; /* one per provider, made when needed */
	struct event *tick, *kick;
	TAILQ_HEAD(, job) jobs;
	size_t n_jobs;
	int64_t refresh_ms; /* pairs checked before this are due */
};

static void poll_fill(struct readiness_poll *p);

/* poll_seen - the sender domains seen in the last READINESS_SEEN_DAYS
 * days (dom holds READINESS_SEEN_MAX). */
static size_t
poll_seen(const struct readiness_poll *p, int64_t now, const char **dom)
{
	return readiness_seen_since(readiness_seen_of(p->r),
	                            now - (int64_t)READINESS_SEEN_DAYS * 86400 *
	                                      1000,
	                            dom, READINESS_SEEN_MAX);
}

/* poll_kick - run poll_fill from the loop soon. */
static void
poll_kick(struct readiness_poll *p)
{
	struct timeval tv = {0, 0};

	evtimer_add(p->kick, &tv);
}

/* job_drop - release j, already off the list (its request cancelled). */
static void
job_drop(struct job *j)
{
	if (j->call != NULL)
		http_call_cancel(j->call);
	http_out_fini(&j->out);
	free(j);
}

/* job_free - take j off the list and release it. */
static void
job_free(struct job *j)
{
	TAILQ_REMOVE(&j->p->jobs, j, link);
	j->p->n_jobs--;
	job_drop(j);
}

/* job_record - judge and record j's facts, log a changed verdict, free
 * j and let the next ones start. */
static void
job_record(struct job *j)
{
	struct readiness_poll *p = j->p;
	const char *name = p->cfg->providers[j->prov].name;
	const struct readiness_entry *e = readiness_get(p->r, name, j->domain);
	enum readiness_verdict before =
	    e != NULL && e->checked_ms != 0 ? e->verdict : READINESS_V_UNKNOWN;
	bool first = e == NULL || e->checked_ms == 0;

	if (readiness_set(p->r, name, j->domain, &j->facts) == 0) {
		readiness_checked(p->r, name, j->domain, clock_wall_ms());
		e = readiness_get(p->r, name, j->domain);
		if (e != NULL && (first || e->verdict != before))
			log_info("readiness: %s x %s: %s: %s", j->domain, name,
			         readiness_verdict_name(e->verdict), e->reason);
	}
	job_free(j);
	poll_kick(p);
}

/* job_dns_done - one lookup answered. */
static void
job_dns_done(enum readiness_dns_status st, const struct readiness_dns_answer *a,
             const char *why, void *arg)
{
	struct job_q *c = arg;
	struct job *j = c->j;

	readiness_check_answer(j->p->cfg->providers[j->prov].type, &j->q[c->i],
	                       st, a, why, &j->res[c->i]);
	if (--j->pending > 0)
		return;
	readiness_check_finish(&j->facts, j->q, j->res, j->nq);
	job_record(j);
}

/* job_dns - look up the plan for what the provider said. */
static void
job_dns(struct job *j)
{
	const struct config_provider *cfg = &j->p->cfg->providers[j->prov];
	size_t i, n;

	n = readiness_check_plan(
	    cfg->type, j->domain,
	    j->facts.verified != READINESS_UNKNOWN ? &j->v : NULL, j->q);
	j->nq = n;
	j->pending = n;
	for (i = 0; i < n; i++) {
		j->qc[i].j = j;
		j->qc[i].i = i;
	}
	/* A lookup may answer at once: j may be gone after the last. */
	for (i = 0; i < n; i++)
		readiness_ares_query(j->p->dns, j->q[i].name, j->q[i].type,
		                     job_dns_done, &j->qc[i]);
}

static int job_request(struct job *j);

/* job_http_done - the provider answered (or the request failed). */
static void
job_http_done(const struct http_response *resp, void *arg)
{
	struct job *j = arg;
	const struct config_provider *cfg = &j->p->cfg->providers[j->prov];
	char why[READINESS_WORDS], next[64];
	int rc;

	j->call = NULL;
	if (resp->error != HTTP_CLIENT_OK) {
		snprintf(j->facts.verified_words,
		         sizeof(j->facts.verified_words), "%s: %s: %.120s",
		         cfg->type, http_client_error_name(resp->error),
		         resp->error_text);
		job_dns(j);
		return;
	}
	rc = readiness_req_read(cfg->type, j->domain, j->id[0] ? j->id : NULL,
	                        resp->status, resp->body, resp->body_len, &j->v,
	                        next, sizeof(next), why, sizeof(why));
	if (rc == 1) {
		snprintf(j->id, sizeof(j->id), "%s", next);
		if (job_request(j) != 0)
			job_dns(j);
		return;
	}
	if (rc < 0) {
		snprintf(j->facts.verified_words,
		         sizeof(j->facts.verified_words), "%s", why);
	} else {
		j->facts.verified = j->v.verified;
		snprintf(j->facts.verified_words,
		         sizeof(j->facts.verified_words), "%s", j->v.words);
	}
	job_dns(j);
}

/* poll_client - the HTTP client of provider i. */
static struct http_client *
poll_client(struct readiness_poll *p, size_t i)
{
	const struct config_provider *cfg = &p->cfg->providers[i];

	if (p->http[i] == NULL) {
		struct http_client_opts o = {
		    .name = cfg->name,
		    .max_in_flight = 2,
		    .connect_timeout_ms = (long)cfg->connect_timeout_ms,
		    .total_timeout_ms = (long)p->cfg->readiness_timeout_ms,
		    .tls_insecure = !cfg->tls_verify,
		    .ca_file = cfg->ca_file,
		};
		p->http[i] = http_client_new(p->base, &o);
	}
	return p->http[i];
}

/* job_request - send j's next request. 0, or -1 with the reason in
 * j's verification words. */
static int
job_request(struct job *j)
{
	const struct config_provider *cfg = &j->p->cfg->providers[j->prov];
	struct http_client *c = poll_client(j->p, j->prov);
	struct http_request req;
	char why[160];

	http_out_fini(&j->out);
	http_out_init(&j->out);
	if (readiness_req_build(cfg, j->domain, j->id[0] ? j->id : NULL,
	                        time(NULL), &j->out, why, sizeof(why)) != 0 ||
	    c == NULL) {
		snprintf(j->facts.verified_words,
		         sizeof(j->facts.verified_words), "%s",
		         c == NULL ? "cannot set up an HTTP client" : why);
		return -1;
	}
	memset(&req, 0, sizeof(req));
	req.method = j->out.method;
	req.url = j->out.url;
	req.headers = j->out.hdrs;
	req.n_headers = j->out.n_hdrs;
	j->call = http_client_submit(c, &req, job_http_done, j);
	if (j->call == NULL) {
		snprintf(j->facts.verified_words,
		         sizeof(j->facts.verified_words), "request refused");
		return -1;
	}
	return 0;
}

/* poll_running - is provider i x domain being checked? */
static bool
poll_running(const struct readiness_poll *p, size_t i, const char *domain)
{
	const struct job *j;

	TAILQ_FOREACH(j, &p->jobs, link)
	if (j->prov == i && strcmp(j->domain, domain) == 0)
		return true;
	return false;
}

/* poll_due - should provider i x domain be checked now? */
static bool
poll_due(const struct readiness_poll *p, size_t i, const char *domain,
         int64_t now)
{
	const struct readiness_entry *e =
	    readiness_get(p->r, p->cfg->providers[i].name, domain);
	int64_t at = e != NULL ? e->checked_ms : 0;
	uint64_t iv = p->cfg->readiness_interval_ms;

	if (poll_running(p, i, domain))
		return false;
	return at < p->refresh_ms || (iv > 0 && now - at >= (int64_t)iv);
}

/* poll_start - a job for provider i x domain. */
static void
poll_start(struct readiness_poll *p, size_t i, const char *domain)
{
	struct job *j = xcalloc(1, sizeof(*j));

	j->p = p;
	j->prov = i;
	snprintf(j->domain, sizeof(j->domain), "%s", domain);
	readiness_facts_init(&j->facts);
	http_out_init(&j->out);
	TAILQ_INSERT_TAIL(&p->jobs, j, link);
	p->n_jobs++;
	if (!readiness_req_supported(p->cfg->providers[i].type)) {
		snprintf(j->facts.verified_words,
		         sizeof(j->facts.verified_words),
		         "%s provider: no verification API",
		         p->cfg->providers[i].type);
		job_record(j);
		return;
	}
	if (job_request(j) != 0)
		job_dns(j);
}

/* poll_fill - start due pairs while there is room. */
static void
poll_fill(struct readiness_poll *p)
{
	static const char *dom[READINESS_SEEN_MAX];
	int64_t now = clock_wall_ms();
	size_t n, d, i;

	n = poll_seen(p, now, dom);
	for (d = 0; d < n; d++)
		for (i = 0; i < p->cfg->n_providers; i++) {
			if (p->n_jobs >= READINESS_POLL_JOBS)
				return;
			if (poll_due(p, i, dom[d], now))
				poll_start(p, i, dom[d]);
		}
}

/* on_kick - the zero-delay event. */
static void
on_kick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	poll_fill(arg);
}

/* on_tick - the periodic look for due pairs. */
static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	poll_fill(arg);
}

struct readiness_poll *
readiness_poll_new(struct event_base *base, const struct config *cfg,
                   struct readiness *r, char *err, size_t errlen)
{
	struct readiness_poll *p = xcalloc(1, sizeof(*p));

	p->dns = readiness_ares_new(base, cfg->readiness_resolver,
	                            (long)cfg->readiness_dns_timeout_ms, err,
	                            errlen);
	if (p->dns == NULL) {
		free(p);
		return NULL;
	}
	p->base = base;
	p->cfg = cfg;
	p->r = r;
	p->http = xcalloc(cfg->n_providers + 1, sizeof(*p->http));
	TAILQ_INIT(&p->jobs);
	p->kick = evtimer_new(base, on_kick, p);
	if (cfg->readiness_interval_ms > 0) {
		uint64_t ms = cfg->readiness_interval_ms < POLL_TICK_MAX_MS
		                  ? cfg->readiness_interval_ms
		                  : POLL_TICK_MAX_MS;
		struct timeval tv = {(time_t)(ms / 1000),
		                     (suseconds_t)(ms % 1000) * 1000};

		p->tick = event_new(base, -1, EV_PERSIST, on_tick, p);
		event_add(p->tick, &tv);
	}
	return p;
}

size_t
readiness_poll_refresh(struct readiness_poll *p)
{
	static const char *dom[READINESS_SEEN_MAX];
	int64_t now = clock_wall_ms();
	size_t n;

	if (p == NULL)
		return 0;
	p->refresh_ms = now;
	n = poll_seen(p, now, dom);
	poll_kick(p);
	return n * p->cfg->n_providers;
}

size_t
readiness_poll_busy(const struct readiness_poll *p)
{
	static const char *dom[READINESS_SEEN_MAX];
	int64_t now;
	size_t n, d, i, busy;

	if (p == NULL)
		return 0;
	now = clock_wall_ms();
	busy = p->n_jobs;
	n = poll_seen(p, now, dom);
	for (d = 0; d < n; d++)
		for (i = 0; i < p->cfg->n_providers; i++)
			if (poll_due(p, i, dom[d], now))
				busy++;
	return busy;
}

void
readiness_poll_free(struct readiness_poll *p)
{
	struct job *j;
	size_t i;

	if (p == NULL)
		return;
	/* The lookups first: their callbacks never run after this. */
	readiness_ares_free(p->dns);
	while ((j = TAILQ_FIRST(&p->jobs)) != NULL) {
		TAILQ_REMOVE(&p->jobs, j, link);
		p->n_jobs--;
		job_drop(j);
	}
	for (i = 0; i < p->cfg->n_providers; i++)
		http_client_free(p->http[i]);
	free(p->http);
	if (p->tick != NULL)
		event_free(p->tick);
	event_free(p->kick);
	free(p);
}
