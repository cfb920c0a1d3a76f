/*
 * cluster_replay.h - inbound provider webhooks' replay check shared by
 * the fleet (contract; docs/cluster.md).
 *
 * Each node keeps its own replay cache (Mailgun's tokens) and its own
 * de-duplication of stored events; this adds the fleet's: a verified
 * request is claimed under <prefix>:replay:<provider>:<identity>
 * (feedback_replay.h) with "pending" before its events are stored, and
 * the claim becomes "stored" for the provider's freshness window
 * (events.max_age) once they are on this node's disk; a refusal or a
 * spool error drops it. The same request at another node is refused
 * (403 "replay") once stored, or answered 503 (retry) while the first
 * node is storing it. Redis lost: each node checks on its own.
 *
 * Loop thread only.
 */
#ifndef SWERVE_CLUSTER_CLUSTER_REPLAY_H
#define SWERVE_CLUSTER_CLUSTER_REPLAY_H

struct cluster;
struct feedback;

/* cluster_replay_attach - share f's replay check through c (f borrowed;
 * cluster_free detaches it first). NULL f: nothing. */
void cluster_replay_attach(struct cluster *c, struct feedback *f);

/* cluster_replay_detach - f's replay check is its own again. */
void cluster_replay_detach(struct cluster *c);

#endif
