/*
 * deliver_int.h - the scheduler's records, shared by its files (internal
 * to src/deliver).
 *
 *   deliver.c        life cycle, fair claiming per stream, status, the
 *                    operator's pause/drain, reload
 *   deliver_send.c   routing a job, sending it on a provider channel,
 *                    reading the result, failover, failover_after deadlines
 *   deliver_job.c    a job's bookkeeping: outcome records, back-off,
 *                    expiry, hold, DSNs
 *   deliver_watch.c  active probes and status pages per provider
 *
 * Invariants: a job is in exactly one place: parked (waiting for a rate
 * token or a trial slot), waiting in one provider's queue, on one channel,
 * or (briefly) being routed. A provider's bit in job->tried is set as soon
 * as the job is assigned to it, so routing never offers the same provider
 * twice in one round of attempts.
 */
#ifndef SWERVE_DELIVER_DELIVER_INT_H
#define SWERVE_DELIVER_DELIVER_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "config/config.h"
#include "core/buf.h"
#include "deliver/deliver.h"
#include "deliver/verp.h"
#include "observe/events.h"
#include "providers/adapter.h"
#include "route/account.h"
#include "route/account_poll.h"
#include "route/concur.h"
#include "route/fairq.h"
#include "route/route.h"
#include "send/result.h"
#include "spool/msg_meta.h"
#include "spool/spool.h"

#define DELIVER_CLAIM_MAX 64
#define DELIVER_IDLE_CLOSE_MS 15000
#define DELIVER_MAX_STREAMS FAIRQ_MAX

struct dprov;
struct djob;
struct statuspoll;

struct dconn {
	struct dprov *p;
	void *ch; /* the adapter's channel; NULL until needed */
	struct djob *job;
	uint64_t last_used; /* monotonic ms */
	/* A drill's simulated answer or delay for job (deliver.h's fault
	 * hook): the timer (made on first use) and what it does. */
	struct event *fault_ev;
	struct deliver_fault fault;
	bool fault_on;   /* fault_ev is armed for job */
	size_t inflight; /* recipients of job counted in p->account */
};

TAILQ_HEAD(djob_q, djob);

struct dprov {
	struct deliver *d;
	size_t index;
	const struct config_provider *cfg;
	struct route_prov rp; /* health and routing state */
	struct adapter *ad;
	struct dconn *conns;
	size_t max_conns;
	struct concur cc; /* connections that may be busy (AIMD) */
	struct event *pump;
	struct event *admin_timer; /* fires the pump when a timed pause ends */
	struct djob_q waiting[DELIVER_MAX_STREAMS]; /* per stream */
	struct fairq fq;                            /* across those */
	size_t n_waiting, busy;
	uint64_t sent, failed;
	/* deliver_watch.c */
	struct event *probe_timer;
	uint64_t last_probe_ms; /* when the last probe started */
	void *probe;            /* running probe handle */
	bool probe_gated;       /* a probe waits for the fleet's gate */
	bool probe_is_smtp;
	struct statuspoll *status;
	int status_level; /* enum status_level */
	uint64_t probes_ok, probes_failed;
	/* account health (route/account.h), from the account poll */
	struct account_state account;
	uint64_t last_account_ms;       /* monotonic: the last account poll */
	struct account_poll *acct_poll; /* the account calls; NULL: none */
};

/* One recipient of a claimed message: where it stands, in memory. */
struct drcpt {
	enum spool_rcpt_state state;
	char status[SEND_ENHANCED_SIZE]; /* enhanced status of a failure */
	char *reply;                     /* its last reply; owned */
};

struct djob {
	TAILQ_ENTRY(djob) all;  /* d->jobs */
	TAILQ_ENTRY(djob) wait; /* prov->waiting[stream] or d->parked */
	struct deliver *d;
	struct spool_msg *m;
	size_t stream;          /* index in cfg->streams */
	uint64_t tried;         /* providers assigned this round */
	struct dprov *prov;     /* current provider, if any */
	bool on_conn;           /* sending (else waiting in prov's queue) */
	bool trial;             /* holds a half-open trial slot at prov */
	bool parked;            /* in d->parked */
	int64_t started_ms;     /* current attempt: wall ms, as stored */
	uint64_t started_mono;  /* the same: monotonic ms, for its duration */
	int64_t first_ms;       /* first assignment this round (deadline) */
	struct event *deadline; /* stream failover_after; NULL if none */
	struct buf trace;       /* why the current provider was chosen */
	char *att_trace;        /* the trace of the attempt on the wire */
	struct drcpt *rcpts;    /* [m->n_rcpts], as the message's */
	const char **pending;   /* addresses sent in this attempt */
	size_t *pmap;           /* pending[k] is recipient pmap[k] */
	size_t n_pending;
	bool any_sent;
	struct adapter_msg msg;
	char verp[VERP_ADDR_MAX];         /* msg.sender with bounce_domain */
	struct adapter_json_verdict json; /* judged once per message */
	struct adapter_octets octets;     /* judged once per message */
	struct msg_meta meta;             /* m->meta decoded */
	bool has_meta;                    /* m->meta was there and sound */
	bool sim; /* the last attempt was a drill's simulated answer, or was
	             delayed by one: its events carry drill = 1 */
};

struct deliver {
	struct deliver_opts o;
	const struct config *cfg; /* current; o.cfg at start */
	struct dprov *provs;
	struct route_prov **rps; /* &provs[i].rp, for route_pick */
	size_t n_provs;
	struct event *tick; /* claim due mail; made active, never polled */
	struct event *due;  /* the earliest known next attempt */
	struct event *sweep, *unpark;
	int64_t due_at; /* wall ms due is armed for; INT64_MAX: not */
	/* Wall ms of the last claim round: mail due by then was claimed or
	 * found unclaimable. A next-due answer is judged against it. */
	int64_t looked_at;
	size_t claims_pending;
	size_t reads_pending; /* spool_msg_next_due in flight (0 or 1) */
	bool claim_full;      /* a claim of this round came back full */
	bool again;           /* a tick was wanted while claims ran */
	bool starved;         /* no room to claim: look again when a job ends */
	bool closing;
	bool stopping;         /* deliver_stop: no new claims or attempts */
	struct event *stopped; /* made active when the last attempt ends */
	deliver_stopped_fn *stopped_fn;
	void *stopped_arg;
	size_t inflight;
	size_t stream_inflight[DELIVER_MAX_STREAMS];
	bool stream_short[DELIVER_MAX_STREAMS]; /* last claim came back short */
	struct fairq claim_fq;
	struct djob_q jobs;
	struct djob_q parked; /* waiting for a rate token or trial slot */
	uint64_t unpark_at;   /* monotonic ms; 0: no unpark timer */
	SSL_CTX *ssl;
	struct evdns_base *dns;
	struct adapter_env env;
	struct deliver_stats stats;
	uint64_t failover_from_to[ROUTE_MAX_PROVIDERS]; /* per source */
	struct deliver_fault_hook fault;                /* all NULL: none */
	struct deliver_probe_gate probe_gate;           /* go NULL: none */
};

/* deliver_kick - claim due mail soon (coalesced; loop thread). */
void deliver_kick(struct deliver *d);
/* deliver_stop_check - after an attempt ended: was it the last one a
 * graceful stop waited for? */
void deliver_stop_check(struct deliver *d);
/* deliver_stream_index - the stream named name, else transactional. */
size_t deliver_stream_index(const struct deliver *d, const char *name);

/* job_event - emit a message event of kind for job (see
 * observe/events.h); the caller fills the rest of e first. */
void job_event(struct djob *job, enum event_kind kind, struct events_item *e);

/* deliver_job.c */
struct djob *job_new(struct deliver *d, struct spool_msg *m);
void job_free(struct djob *job);
size_t job_pending_count(const struct djob *job);
enum spool_state job_final_state(const struct djob *job);
void job_trace_not_applied(struct djob *job, const char *provider,
                           const char *list);
void job_record(struct djob *job, const struct send_result *res,
                const struct spool_rcpt_result *upd, size_t n_upd,
                enum spool_state next, int64_t next_at, const char *last_error);
void job_defer_or_expire(struct djob *job, const struct send_result *res,
                         struct spool_rcpt_result *upd, size_t n_upd,
                         const char *why);
void job_hold(struct djob *job, const struct send_result *res,
              struct spool_rcpt_result *upd, size_t n_upd, const char *why);
void job_dsn(struct djob *job, const char *reason);

/* deliver_send.c */
void job_next(struct djob *job);
void prov_pump(evutil_socket_t fd, short what, void *arg);
void prov_reroute_waiting(struct dprov *p);
void deliver_unpark(evutil_socket_t fd, short what, void *arg);
void prov_breaker_event(struct dprov *p, enum breaker_event ev,
                        const char *detail);

/* prov_drilled - is a drill simulating a fault at p now? */
bool prov_drilled(const struct dprov *p);

/* deliver_watch.c */
void watch_start(struct dprov *p);
void watch_stop(struct dprov *p);
/* watch_account_refresh - poll p's account now (on demand); how many
 * answers to expect (deliver_account_refresh), 0 when nothing started. */
int watch_account_refresh(struct dprov *p);

#endif
