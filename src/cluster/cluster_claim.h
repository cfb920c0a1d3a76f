/*
 * cluster_claim.h - "one node acts" claims in the cluster's Redis
 * (contract): the node that is about to open an incident, send a
 * notification, probe a dark provider or take an inbound webhook's
 * event claims its identity first and only the winner acts.
 *
 * A claim is one atomic command, SET <key> "<node> <value>" NX GET PX
 * ttl; the answer decides:
 *   - nobody held it: won (value is the caller's);
 *   - this node held it (a restart, a repeat): won, value the stored one;
 *   - a node that is gone held it (not heard of for cluster.node_timeout,
 *     once this node has been in the fleet that long): won, the key is
 *     taken over (value the caller's);
 *   - another live node holds it: lost, with that node and its value.
 * Redis lost, or not answering: won (every node acts alone: better two
 * notifications than none).
 *
 * Loop thread only.
 */
#ifndef SWERVE_CLUSTER_CLUSTER_CLAIM_H
#define SWERVE_CLUSTER_CLUSTER_CLAIM_H

#include <stdbool.h>
#include <stdint.h>

struct cluster;

/* cluster_claim_fn - the verdict: won or not, the holder's node id and
 * value (borrowed for the call; this node's and the caller's value when
 * won by a fresh claim or with Redis lost). */
typedef void cluster_claim_fn(bool won, const char *node, const char *value,
                              void *arg);

/*
 * cluster_claim - claim key (the part after "<key_prefix>:", copied)
 * with value (copied; no spaces needed, any text) for ttl_ms; fn(...)
 * exactly once: later from the loop, or inside this call when Redis is
 * lost. When the cluster is freed first, fn gets won (acting alone).
 */
void cluster_claim(struct cluster *c, const char *key, const char *value,
                   uint64_t ttl_ms, cluster_claim_fn *fn, void *arg);

/*
 * cluster_claim_expire - this node's claim of key expires in ttl_ms
 * from now (a resolved episode keeps its claim a grace period); nothing
 * when another node holds it or Redis is lost.
 */
void cluster_claim_expire(struct cluster *c, const char *key, uint64_t ttl_ms);

/* cluster_claim_set - key holds "<this node> value" for ttl_ms from now,
 * whoever held it (a claim won and done). Nothing while Redis is lost. */
void cluster_claim_set(struct cluster *c, const char *key, const char *value,
                       uint64_t ttl_ms);

/* cluster_claim_release - drop this node's claim of key (the act failed:
 * another node may try); nothing when another node holds it. */
void cluster_claim_release(struct cluster *c, const char *key);

/* cluster_claim_holder_gone - is node (not this one) a member not heard
 * of for node_timeout, this node having been joined at least that long?
 * (Only then may its claim be taken over.) */
bool cluster_claim_holder_gone(const struct cluster *c, const char *node);

#endif
