/*
 * cluster_idem.h - idempotency keys shared by the fleet (contract).
 *
 * The spool de-duplicates a key on one node; this makes the same key on
 * two nodes store one message. Before an HTTP submission with a key is
 * handed to its node's spool, the node claims the key in Redis, in one
 * atomic command (SET <prefix>:idem:<sha256(tenant, key)> NX GET):
 *   - nobody had it: PROCEED (the claim is "pending" for 60 s, then,
 *     once the message is on disk, cluster_idem_stored() makes it name
 *     the message for 24 hours);
 *   - another node stored a message for it: DUP with that message's id
 *     (the same payload digest), or CONFLICT (another payload: 409);
 *   - another node is storing it right now: asked again every 50 ms for
 *     up to 2 s, then CONFLICT (retry later).
 * Redis lost (or not answering within cluster.connect_timeout): PROCEED,
 * each node de-duplicates on its own until Redis returns.
 *
 * Loop thread only.
 */
#ifndef SWERVE_CLUSTER_CLUSTER_IDEM_H
#define SWERVE_CLUSTER_CLUSTER_IDEM_H

struct cluster;

enum cluster_idem_verdict {
	CLUSTER_IDEM_PROCEED,  /* store it here (the spool still dedups) */
	CLUSTER_IDEM_DUP,      /* stored on another node: id */
	CLUSTER_IDEM_CONFLICT, /* the key is another payload's (or busy) */
};

/* cluster_idem_fn - the verdict; id (borrowed, during the call) is the
 * stored message's for DUP and CONFLICT when known, else "". */
typedef void cluster_idem_fn(enum cluster_idem_verdict v, const char *id,
                             void *arg);

/* cluster_idem_active - the daemon's cluster when keys are shared, or
 * NULL (no cluster: configured). */
struct cluster *cluster_idem_active(void);

/*
 * cluster_idem_claim - claim (tenant may be NULL, key, hash may be NULL)
 * for this node, then fn(verdict, id, arg) exactly once: later, from
 * the loop, or inside this call when Redis is lost. Strings are copied.
 */
void cluster_idem_claim(struct cluster *c, const char *tenant, const char *key,
                        const char *hash, cluster_idem_fn *fn, void *arg);

/* cluster_idem_stored - the message claimed for (tenant, key, hash) is
 * on this node's disk as id: the key names it fleet-wide for 24 h. */
void cluster_idem_stored(struct cluster *c, const char *tenant, const char *key,
                         const char *hash, const char *id);

/* cluster_idem_install - share keys through c from now (NULL: stop). */
void cluster_idem_install(struct cluster *c);

/* cluster_idem_cancel_all - every claim still waiting gets PROCEED now
 * (the cluster is going away). */
void cluster_idem_cancel_all(struct cluster *c);

#endif
