/*
 * cluster_suppress.h - the suppression list shared by the fleet
 * (contract; a backend of spool/suppress.h wrapped around the node's
 * local one).
 *
 * Every node keeps the whole list in its own spool and in memory, so a
 * check never waits for Redis and a node without Redis still refuses
 * what it knew. What this adds:
 *   - an add or remove made on this node (API, swervectl, feedback,
 *     imports) is, once on this node's disk, published on the fleet
 *     channel and written to the hash <prefix>:supp (field
 *     "<tenant>\n<address>", value the entry as JSON), so every other
 *     node applies it to its own list within a heartbeat's time of
 *     Redis delivering it (in practice milliseconds);
 *   - another node's add or remove is applied here (and not published
 *     again);
 *   - a remove stays in the hash as a tombstone (the remove message,
 *     with its node and time) for 30 days, until an add of the address
 *     replaces it;
 *   - on joining and every re-join, the hash is read: every entry this
 *     node lacks is added and every tombstoned address it still has is
 *     removed, so what was added or removed while it was away or Redis
 *     was lost reaches it. (An address this node itself added while cut
 *     off, after the remove, is removed too: its add was never shared.)
 *
 * Loop thread only.
 */
#ifndef SWERVE_CLUSTER_CLUSTER_SUPPRESS_H
#define SWERVE_CLUSTER_CLUSTER_SUPPRESS_H

struct cluster;
struct cluster_msg;
struct suppress;

/*
 * cluster_suppress_wrap - make s (the daemon's list; borrowed, must
 * outlive c) shared through c: s's backend is replaced in place by one
 * that forwards to the old one, so every holder of s shares. Undone by
 * cluster_suppress_unwrap (cluster_free calls it).
 */
void cluster_suppress_wrap(struct cluster *c, struct suppress *s);

/* cluster_suppress_unwrap - give s its own backend back. */
void cluster_suppress_unwrap(struct cluster *c);

/* cluster_suppress_apply - another node's add or remove (m's kind
 * CLUSTER_MSG_SUPPRESS), applied to the local list only. */
void cluster_suppress_apply(struct cluster *c, const struct cluster_msg *m);

/* cluster_suppress_resync - read <prefix>:supp, add what is missing
 * here and remove what the fleet removed (after joining). */
void cluster_suppress_resync(struct cluster *c);

#endif
