/*
 * cluster_rate_lease.h - the arithmetic of the fleet's leases of tokens
 * (contract; the Redis side is cluster_rate.h).
 *
 * A node does not ask Redis for each message: it takes a lease of K
 * tokens at a time from the fleet's count (the GCRA of max_rate, or the
 * day's quota) and spends them locally. This file says how big a lease
 * is, when the next one is asked for, when unspent tokens are dropped,
 * and how the limits are split when Redis is lost.
 *
 *   size     K = ceil(use x CLUSTER_RATE_LEASE_USE_MS), at least 1, at
 *            most cap (for max_rate: floor(rate x CLUSTER_RATE_LEASE_CAP_MS),
 *            at least 1), where use is the node's recent spending (an
 *            EWMA in tokens per second, updated at each ask);
 *   ahead    a lease is a reservation: Redis grants the K tokens at once
 *            and says from when they may be spent (the GCRA's schedule),
 *            so a saturated fleet still pays one round trip per lease,
 *            not one per token; a node holds at most one reservation;
 *   refill   the next lease is asked for when a spend leaves at most
 *            K / 2 tokens (so the flow does not wait for Redis), or when
 *            none is left; one ask or reservation at a time, never
 *            before the time Redis named;
 *   expiry   with a ttl, tokens not spent within ttl of their grant are
 *            dropped down to 1 (a node that went quiet holds at most one
 *            token, so it cannot burst old tokens into a busy fleet);
 *   split    with Redis lost, each node may send rate / n and, of the
 *            day's quota, what it still held plus (limit - used) / n,
 *            n = the nodes known alive at the moment of loss.
 *
 * Pure: time passed in (monotonic ms), no I/O, no allocation.
 */
#ifndef SWERVE_CLUSTER_CLUSTER_RATE_LEASE_H
#define SWERVE_CLUSTER_CLUSTER_RATE_LEASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CLUSTER_RATE_LEASE_USE_MS 500  /* a lease: 0.5 s of own spending */
#define CLUSTER_RATE_LEASE_CAP_MS 250  /* at most 0.25 s of the fleet rate */
#define CLUSTER_RATE_LEASE_TTL_MS 1000 /* unspent tokens dropped (to 1) */

/* One node's lease of one count. Zeroed is valid (no tokens, no use). */
struct cluster_rate_lease {
	uint64_t tokens;     /* left to spend */
	uint64_t future;     /* granted, spendable from future_ms */
	uint64_t future_ms;  /* monotonic */
	uint64_t granted_ms; /* when the last tokens became spendable */
	uint64_t ttl_ms;     /* 0: tokens never expire */
	uint64_t cap;        /* largest lease, >= 1 */
	bool pending;        /* an ask is out */
	uint64_t retry_ms;   /* no ask before this (Redis said no room) */
	double use;          /* EWMA of spending, tokens per second */
	uint64_t spent;      /* since use was last updated */
	uint64_t use_ms;     /* when use was last updated (0: never) */
	uint64_t asks, granted, taken; /* counters for status */
};

/* cluster_rate_lease_init - empty, with cap (>= 1 enforced) and ttl. */
void cluster_rate_lease_init(struct cluster_rate_lease *l, uint64_t cap,
                             uint64_t ttl_ms);

/* cluster_rate_lease_cap_for_rate - the cap for a fleet rate (per s). */
uint64_t cluster_rate_lease_cap_for_rate(double per_sec);

/* cluster_rate_lease_cap_for_quota - the cap for a daily quota: 1% of
 * it, at least 1. */
uint64_t cluster_rate_lease_cap_for_quota(uint64_t limit);

/* cluster_rate_lease_size - K for the next ask (see above). */
uint64_t cluster_rate_lease_size(const struct cluster_rate_lease *l);

/* cluster_rate_lease_left - tokens spendable now (a reservation that is
 * due and the expiry applied to l). */
uint64_t cluster_rate_lease_left(struct cluster_rate_lease *l, uint64_t now);

/* cluster_rate_lease_take - spend one token if there is one. */
bool cluster_rate_lease_take(struct cluster_rate_lease *l, uint64_t now);

/* cluster_rate_lease_give_back - a spent token is returned (a message
 * taken that never reached the provider). */
void cluster_rate_lease_give_back(struct cluster_rate_lease *l);

/*
 * cluster_rate_lease_should_ask - is an ask due now? none_only: only
 * when no token is left (the filter's question), else also the refill at
 * K / 2 (after a spend).
 */
bool cluster_rate_lease_should_ask(struct cluster_rate_lease *l, uint64_t now,
                                   bool none_only);

/* cluster_rate_lease_asking - an ask of the returned K goes out now:
 * marks it pending and updates the use estimate. */
uint64_t cluster_rate_lease_asking(struct cluster_rate_lease *l, uint64_t now);

/*
 * cluster_rate_lease_granted - the answer: g tokens spendable in in_ms
 * (0: now); or g 0, and Redis will have room in in_ms (no ask before).
 */
void cluster_rate_lease_granted(struct cluster_rate_lease *l, uint64_t g,
                                uint64_t in_ms, uint64_t now);

/* cluster_rate_lease_wait_ms - with no token now: ms until the
 * reservation is due (0: there is none). */
uint64_t cluster_rate_lease_wait_ms(const struct cluster_rate_lease *l,
                                    uint64_t now);

/* cluster_rate_lease_failed - the ask got no answer (Redis lost). */
void cluster_rate_lease_failed(struct cluster_rate_lease *l);

/* cluster_rate_lease_drop - forget every token (the count is gone). */
void cluster_rate_lease_drop(struct cluster_rate_lease *l);

/* cluster_rate_lease_split_rate - rate / nodes (nodes 0 counts as 1). */
double cluster_rate_lease_split_rate(double per_sec, size_t nodes);

/* cluster_rate_lease_split_quota - what one node may still send today
 * with Redis lost: held + (limit - used) / nodes, rounded down (used
 * above limit: held only). */
uint64_t cluster_rate_lease_split_quota(uint64_t limit, uint64_t used,
                                        uint64_t held, size_t nodes);

#endif
