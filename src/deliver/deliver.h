/*
 * deliver.h - the delivery scheduler (contract).
 *
 * Claims due messages from the spool (oldest due first), keeps at most
 * max_inflight of them in memory, and sends each through the providers:
 * the preferred usable provider first (lowest priority number; within a
 * priority, shared in proportion to the weights), and on any failure
 * that another provider could fix (deferred, throttled, config, unknown)
 * the next one at once, without back-off. Only when every usable provider
 * failed for a message is it deferred, with exponential back-off and
 * jitter between retry.min_backoff and retry.max_backoff; past
 * retry.max_lifetime it fails, and a DSN goes to its envelope sender
 * (never to <>). Every attempt is recorded in the spool.
 *
 * What a provider's answer means is decided by the failure policy in
 * src/send (send/policy.h); whether a provider is skipped is route's.
 * This file only sequences. Loop thread only.
 */
#ifndef SWERVE_DELIVER_DELIVER_H
#define SWERVE_DELIVER_DELIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "send/result.h"

struct config;
struct event_base;
struct spool;
struct deliver;

struct reputation;
struct anomaly;
struct readiness;

struct deliver_opts {
	struct event_base *base;
	struct spool *spool;      /* borrowed; must outlive deliver */
	const struct config *cfg; /* borrowed: providers, retry, hostname */
	size_t max_inflight;      /* messages in memory at once (0 = 256) */
	/* How soon to look again for mail that is due but could not be
	 * claimed (no usable provider) (0 = 50); also how long new mail is
	 * gathered before it is claimed (at most 50 ms). An idle queue is
	 * never polled: the spool wakes delivery. */
	uint64_t poll_ms;
	/* The spool's VERP key (deliver/verp_key.h), for providers with
	 * bounce_domain; borrowed. NULL: plain envelope senders. */
	const unsigned char *verp_key;
	size_t verp_key_len;
	/* Delivery ratios per provider and sender domain (borrowed, may be
	 * NULL: no reputation in routing); judged against cfg's rates:. */
	const struct reputation *reputation;
	/* The anomaly detector (borrowed, may be NULL): with on_anomaly:
	 * shift, a provider whose signal fires keeps a lower share
	 * (anomaly/anomaly.h anomaly_share). */
	const struct anomaly *anomaly;
	/* Failover readiness (borrowed, may be NULL): a provider known not
	 * to have a message's sender domain verified is not used for it;
	 * the message waits for one that is (readiness/readiness.h
	 * readiness_blocks). Unknown never blocks. */
	const struct readiness *readiness;
};

/* deliver_new - start delivering. Returns NULL if a provider's TLS
 * context cannot be made (logged). */
struct deliver *deliver_new(const struct deliver_opts *opts);

/*
 * deliver_free - stop: close provider connections at once. Messages in
 * flight stay "inflight" in the spool and become ready on the next start
 * (a possible duplicate, never a loss). If a spool read is pending, the
 * memory is released when its callback runs (inside spool_close at the
 * latest). NULL is a no-op.
 */
void deliver_free(struct deliver *d);

/* deliver_stopped_fn - every attempt that was on the wire has ended. */
typedef void deliver_stopped_fn(void *arg);

/*
 * deliver_stop - begin a graceful stop: claim nothing more and start no
 * new attempt. Attempts already on a channel run to their end, and their
 * outcomes are recorded in the spool as usual (a failover they ask for is
 * not started). Once no attempt is on a channel, done(arg) runs from the
 * loop (never inside this call). Jobs that were waiting stay "inflight"
 * in the spool and become ready on the next start; none of them was on
 * the wire, so that is no duplicate. deliver_free() still ends it all,
 * done or not. Call at most once.
 */
void deliver_stop(struct deliver *d, deliver_stopped_fn *done, void *arg);

/* deliver_reputation - the delivery ratios routing reads (opts'), or
 * NULL. */
const struct reputation *deliver_reputation(const struct deliver *d);

/* deliver_busy - attempts on a provider channel now. */
size_t deliver_busy(const struct deliver *d);

/* A provider's state for status output. Strings are borrowed from d. */
struct deliver_provider_info {
	const char *name;
	const char *type;
	/* "closed", "open", "half-open", "paused", "draining", "disabled" */
	const char *mode;
	const char *reason; /* the circuit's last change, plain words */
	unsigned consecutive_failures;
	uint64_t cooldown_left_ms;
	uint64_t sent, failed; /* attempts that succeeded / failed */
	uint64_t picks, warm_picks;
	uint64_t opens; /* times the circuit opened */
	size_t connections, busy, waiting;
	/* The connections that may be busy now (route/concur.h) and how
	 * often deferrals, throttles or timeouts halved that window. */
	unsigned conc_window;
	uint64_t conc_cuts;
	double success_ratio; /* last 5 minutes; 1 with no data */
	uint64_t latency_ewma_ms;
	double health; /* score in (0, 1] */
	double ramp;   /* fail-back ramp factor in (0, 1] */
	bool limited;
	double rate, tokens; /* when limited: current rate/s, tokens now */
	uint64_t quota_limit, quota_left; /* limit 0: no quota */
	const char *status_page;          /* level name, or NULL when none */
	uint64_t probes_ok, probes_failed;
	uint64_t class_counts[6]; /* results per send_class since start */
	uint64_t failovers_from;  /* failovers away from this provider */
	/* account health (route/account.h): polled where the provider's
	 * API tells (ses) */
	bool account_known;
	const char *account; /* enforcement status, "" when not told */
	double account_quota_max, account_quota_left; /* < 0: not told */
	bool account_spill;        /* new mail kept off it: quota nearly used */
	char account_why[160];     /* why it spills, is paused, keeps less or
	                              is warned about; "" if not */
	const char *account_state; /* the provider's word, "" */
	const char *account_period; /* the quota's period ("24 h") */
	double account_bounce_rate, account_complaint_rate; /* < 0: not told */
	double account_score;      /* the provider's reputation 0..100; < 0 */
	bool account_paused;       /* the provider says it will not send */
	uint64_t account_inflight; /* recipients on their way there now */
	uint64_t account_polls;    /* account answers applied */
	int64_t account_polled_ms; /* wall ms of the last one */
	const char *account_error; /* the last failed account call, "" */
};

/*
 * deliver_can_send - true if at least one enabled provider could take a
 * message now (circuit not open, not paused). For /readyz.
 */
bool deliver_can_send(const struct deliver *d);

/*
 * deliver_account_refresh - poll the account of provider name (NULL:
 * every provider) now, as its account_interval would. Returns how many
 * answers to expect (each adds one to account.polls: SES's GetAccount
 * and its CloudWatch call are two; 0: nothing to poll, or a poll is
 * under way), or -1 when no provider has that name.
 */
int deliver_account_refresh(struct deliver *d, const char *name);

/* deliver_provider_count - number of configured providers. */
size_t deliver_provider_count(const struct deliver *d);
/* deliver_provider_info - fill out for provider i. */
void deliver_provider_info(const struct deliver *d, size_t i,
                           struct deliver_provider_info *out);

struct deliver_stats {
	size_t inflight, parked;
	uint64_t attempts, delivered, failovers, deferred, failed, dsns;
	uint64_t possible_duplicates, held, circuit_opens;
};
/* deliver_stats_get - counters since start. */
void deliver_stats_get(const struct deliver *d, struct deliver_stats *out);

/* deliver_stream_inflight - messages of stream i in memory now. */
size_t deliver_stream_inflight(const struct deliver *d, size_t i);

enum deliver_admin_action {
	DELIVER_ADMIN_PAUSE,  /* no new sends; queued mail waits */
	DELIVER_ADMIN_RESUME, /* back to normal (and clear an open circuit) */
	DELIVER_ADMIN_DRAIN,  /* no new sends; queued mail moves elsewhere */
};

/*
 * deliver_provider_admin - the operator's pause, resume or drain of the
 * provider named name, for for_ms (0: until resumed). Returns 0, or -1
 * with a message in err (no such provider).
 */
int deliver_provider_admin(struct deliver *d, const char *name,
                           enum deliver_admin_action action, uint64_t for_ms,
                           char *err, size_t errlen);

/*
 * deliver_provider_fleet_open - another node of the cluster saw the
 * circuit of the provider named name open (src/cluster/): open it here
 * too for for_ms, with reason (copied) as the circuit's reason; queued
 * mail moves elsewhere as on a local open, and the breaker half-opens and
 * tries the provider itself when for_ms ends. An open circuit stays as
 * it is. 0, or -1 (no such provider).
 */
int deliver_provider_fleet_open(struct deliver *d, const char *name,
                                uint64_t for_ms, const char *reason);

/*
 * deliver_provider_fleet_close - another node of the cluster closed the
 * circuit of the provider named name (its trials or a probe succeeded):
 * close it here too, with reason (copied), and ramp traffic back as on
 * a local close. A closed circuit, or one held open by the provider's
 * status page, stays as it is. 0, or -1 (no such provider).
 */
int deliver_provider_fleet_close(struct deliver *d, const char *name,
                                 const char *reason);

/*
 * deliver_reload - switch to cfg (borrowed; must outlive d or the next
 * reload) without dropping a connection or a message: routing keys,
 * streams and limits take effect at once. The set of providers (names,
 * types, order) and their connection settings must not change; if they
 * do, nothing changes and -1 comes back with the reason in err.
 */
int deliver_reload(struct deliver *d, const struct config *cfg, char *err,
                   size_t errlen);

/* ---- fault injection at the adapter boundary (issue 16: drills) ----
 *
 * A hook asked before every attempt and every probe: the attempt goes to
 * the adapter as usual (PASS), is answered with a simulated result
 * without anything being sent (ANSWER: after after_ms, as if the
 * provider had answered so; the result goes through everything an
 * adapter's answer goes through: breakers, health, routing, events), or
 * is sent after a delay (DELAY). A simulated answer is never accepted,
 * rejected or unknown: the hook's owner (drill/drill.h) fills only
 * deferred, throttled and config results, and a stream's failover_after
 * that passes during one gives up on it as "deferred" (nothing was
 * sent), never "unknown". Events of a simulated attempt, and circuit
 * changes of a provider the hook says is drilled, carry drill = 1.
 */
enum deliver_fault_act {
	DELIVER_FAULT_PASS,   /* send as usual */
	DELIVER_FAULT_ANSWER, /* do not send; answer result after after_ms */
	DELIVER_FAULT_DELAY,  /* send after after_ms */
};

struct deliver_fault {
	enum deliver_fault_act act;
	uint64_t after_ms;
	struct send_result result; /* ANSWER: deferred, throttled or config */
};

struct deliver_fault_hook {
	/* attempt - msg_id of stream is about to be sent to provider (of
	 * type): fill out (it comes zeroed: PASS). */
	void (*attempt)(const char *provider, const char *type,
	                const char *stream, const char *msg_id,
	                struct deliver_fault *out, void *arg);
	/* probe - the same for an active probe of provider: ANSWER makes
	 * the probe fail with result (at once); anything else runs it. */
	void (*probe)(const char *provider, const char *type,
	              struct deliver_fault *out, void *arg);
	/* drilled - is a drill simulating a fault at provider now? */
	bool (*drilled)(const char *provider, void *arg);
	void *arg;
};

/*
 * deliver_fault_hook_set - ask h (copied; its functions and arg must
 * outlive d) before every attempt and probe from now on; NULL removes
 * the hook. Attempts already answering a simulated result finish as
 * they were told.
 */
void deliver_fault_hook_set(struct deliver *d,
                            const struct deliver_fault_hook *h);

/*
 * ---- probes of a dark provider shared by a fleet (src/cluster) -----
 *
 * With a gate set, a probe due while a provider's circuit is open is
 * first put to the gate: go(provider, period_ms, done, token) answers
 * done(token, run) exactly once (maybe inside the call): run, the probe
 * goes now; else another node probes it this period and this one waits
 * for the next. Probes of a closed circuit are not gated.
 */
typedef void deliver_probe_done(void *token, bool run);
struct deliver_probe_gate {
	void (*go)(void *arg, const char *provider, uint64_t period_ms,
	           deliver_probe_done *done, void *token);
	void *arg;
};

/* deliver_probe_gate_set - ask g (copied; NULL: none) from now on; its
 * pending answers must come before deliver_free. */
void deliver_probe_gate_set(struct deliver *d,
                            const struct deliver_probe_gate *g);

/* deliver_provider_index - the index of the provider named name, or -1. */
int deliver_provider_index(const struct deliver *d, const char *name);

#endif
