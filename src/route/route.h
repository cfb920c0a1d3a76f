/*
 * route.h - which provider takes a message's next attempt, and the live
 * health model behind the choice (contract).
 *
 * Each provider has a struct route_prov: its circuit breaker
 * (route/breaker.h), passive health (route/health.h), rate limit with AIMD
 * and daily quota (route/ratelimit.h), and the operator's pause/drain.
 * Deliver feeds every result in with route_result() and asks route_pick()
 * for each attempt.
 *
 * route_pick, for one message:
 *   1. filter: enabled; not paused or draining; not tried yet for this
 *      message; allowed by the message's stream; the circuit lets it
 *      (half-open: a free trial slot); the provider can carry the message
 *      (a JSON provider cannot carry some MIME faithfully); a rate token
 *      and quota left.
 *   2. keep warm: a usable provider outside the chosen group with
 *      keep_warm > 0 gets that share of picks (deterministic credit), so a
 *      standby is proven before it is needed.
 *   3. choose by the stream's objective:
 *      balanced - the lowest priority number with a candidate; within it,
 *                 smooth weighted round-robin on weight x health score x
 *                 fail-back ramp (weight 0 = standby, used only when no
 *                 weighted provider of that priority is left);
 *      latency  - the lowest latency EWMA (divided by the success ratio)
 *                 among all candidates;
 *      cost     - the lowest cost_per_1k among all candidates, priority
 *                 and then balanced share breaking ties;
 *      deliverability - balanced among the candidates whose reputation
 *                 for the message's sender domain is clean; one whose
 *                 bounce or complaint ratio there is over its warning
 *                 level (route/reputation.h) is demoted, used only when
 *                 no clean candidate is left.
 *   Reputation is also an input of balanced (and cost's ties): a
 *   provider over warning for the sender domain has its effective weight
 *   multiplied by rates.penalty_share.
 * Every pick can write a trace: the candidates, their scores, what was
 * filtered out and why, and every reputation adjustment (which ratio,
 * for which domain), in plain words.
 *
 * Pure logic: no I/O, time passed in, nothing allocated except trace text
 * in the caller's buffer. Loop thread only.
 */
#ifndef SWERVE_ROUTE_ROUTE_H
#define SWERVE_ROUTE_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "route/breaker.h"
#include "route/health.h"
#include "route/ratelimit.h"
#include "send/result.h"

struct config_provider;
struct config_stream;

#define ROUTE_MAX_PROVIDERS 64 /* one bit each in a uint64_t mask */

enum route_admin {
	ROUTE_ADMIN_ACTIVE,
	ROUTE_ADMIN_PAUSED,   /* no new sends; queued mail waits or moves */
	ROUTE_ADMIN_DRAINING, /* no new sends; queued mail moves elsewhere */
};

/* One provider as the router sees it; embedded in the caller's record. */
struct route_prov {
	const struct config_provider *cfg; /* borrowed */
	struct breaker br;
	struct health h;
	bool limited; /* max_rate set: tb and aimd are live */
	struct tbucket tb;
	struct aimd aimd;
	struct quota quota; /* limit 0: none */
	enum route_admin admin;
	uint64_t admin_until_ms;    /* 0: until resumed */
	bool status_major;          /* its status page reports a major outage */
	double credit;              /* smooth weighted round-robin */
	double warm_credit;         /* keep_warm */
	double spill_credit;        /* fail-back ramp share owed to the next
	                               priority (kept on the group's first) */
	bool was_open;              /* the breaker left closed; ramp on close */
	bool forced;                /* opened by route/watch on purpose (status
	                               page, Retry-After): probes do not end it */
	enum send_stage fail_stage; /* where the last failure happened */
	uint64_t picks, warm_picks; /* for status */
};

/*
 * route_prov_init - fresh state for cfg (borrowed; must outlive rp):
 * breaker from cfg->circuit, rate from cfg->max_rate (ignored if it does
 * not parse; config checked it), quota from cfg->quota_daily.
 */
void route_prov_init(struct route_prov *rp, const struct config_provider *cfg,
                     uint64_t now_ms, int64_t wall_ms);

/* One routing question. */
struct route_ctx {
	const struct config_stream *stream; /* NULL: every provider, balanced */
	uint64_t tried;  /* bit i: provs[i] already tried for this message */
	uint64_t now_ms; /* monotonic milliseconds */
	int64_t wall_ms; /* ms since the epoch (quota days) */
	/* May provs[i] carry this message? NULL: all can. why gets a short
	 * reason when not. */
	bool (*represents)(size_t i, char *why, size_t whylen, void *arg);
	/* The share provs[i] keeps for this message's sender domain: 1 when
	 * nothing is against it, else in (0, 1) with why saying which ratio
	 * crossed its level. NULL: every provider 1. Same arg. */
	double (*reputation)(size_t i, char *why, size_t whylen, void *arg);
	void *arg;
	struct buf *trace; /* NULL: no trace; else appended to */
	/* Out: when route_pick returns -1 only because of rate limits or a
	 * trial slot in use, how long until one could be free (else 0). */
	uint64_t wait_ms;
	bool trial; /* out: the pick took a half-open trial slot */
	bool warm;  /* out: the pick was a keep-warm share */
};

/*
 * route_pick - the index in provs[0..n) for one attempt, or -1 if none can
 * take it now. The chosen provider's rate token and quota are taken (and
 * its trial slot when half-open, ctx->trial); its bit in ctx->tried is NOT
 * set here. n <= ROUTE_MAX_PROVIDERS.
 */
int route_pick(struct route_prov *const *provs, size_t n,
               struct route_ctx *ctx);

/*
 * route_result - feed one attempt's result: health, breaker (trial says
 * whether the attempt held a trial slot), AIMD on throttling, quota
 * refund when nothing was accepted, quota exhausted when the provider said
 * so, a Retry-After answer opens the circuit for that long. Returns the
 * breaker's change (reason in rp->br.reason) for the caller to log.
 */
enum breaker_event route_result(struct route_prov *rp,
                                const struct send_result *r,
                                uint64_t latency_ms, bool trial,
                                uint64_t now_ms, int64_t wall_ms);

/*
 * route_unpick - the picked attempt never ran (the job moved elsewhere
 * before it was sent): give back the trial slot and the quota taken.
 */
void route_unpick(struct route_prov *rp, bool trial, int64_t wall_ms);

/* route_probe_result - an active probe's verdict: a failure counts against
 * a closed circuit; a success is health evidence, and ends the cool-down
 * of a circuit that failures a probe can see opened (connect, greeting,
 * EHLO, STARTTLS, AUTH: not refusals of the message itself, not a status
 * page, a Retry-After or an account fault), so trial messages go at once. */
enum breaker_event route_probe_result(struct route_prov *rp, bool ok,
                                      enum send_class cls, uint64_t latency_ms,
                                      uint64_t now_ms);

/*
 * A limit shared beyond this node: the fleet-wide max_rate and daily
 * quota of cluster mode (cluster/cluster_rate.h). route_pick asks it
 * after the provider's own rate and quota let a message go, takes from
 * it with the provider's own token, and gives the quota back to it where
 * route_result and route_unpick give back the node's own. Its functions
 * never block and never wait for I/O.
 *   allow  - may rp send one message now? Changes no count (it may start
 *            asking for more in the background). When not: *wait_ms is
 *            how long until it may (0: not today, or unknown), why says
 *            why; when it may, why may name the limit in force ("" when
 *            nothing is worth saying) for the trace.
 *   take   - rp sends one message now (allow said yes just before).
 *   refund - one message taken today never reached rp: its quota back.
 */
struct route_gate {
	bool (*allow)(void *arg, const struct route_prov *rp, uint64_t now_ms,
	              int64_t wall_ms, uint64_t *wait_ms, char *why,
	              size_t whylen);
	void (*take)(void *arg, const struct route_prov *rp, uint64_t now_ms,
	             int64_t wall_ms);
	void (*refund)(void *arg, const struct route_prov *rp, int64_t wall_ms);
	void *arg;
};

/* route_gate_set - ask g (copied; its arg must outlive it) from now on;
 * NULL: no gate (the default). */
void route_gate_set(const struct route_gate *g);

/* route_admin_now - the operator's state at now (a timed pause or drain
 * has ended once now passes admin_until_ms). */
enum route_admin route_admin_now(const struct route_prov *rp, uint64_t now_ms);

/* route_usable - could rp take some message now (ignoring rate and which
 * message)? Changes nothing. */
bool route_usable(const struct route_prov *rp, uint64_t now_ms);

/* route_any_usable - is any provider usable now? Changes nothing. */
bool route_any_usable(struct route_prov *const *provs, size_t n,
                      uint64_t now_ms);

/* route_state_name - "closed", "open", "half-open", "paused", "draining",
 * "disabled": what status output shows. */
const char *route_state_name(const struct route_prov *rp, uint64_t now_ms);

/* route_share_factor - health score x fail-back ramp, in (0, 1]. */
double route_share_factor(const struct route_prov *rp, uint64_t now_ms);

#endif
