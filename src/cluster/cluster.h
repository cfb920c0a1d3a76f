/*
 * cluster.h - this node's part in a fleet of swerved nodes sharing state
 * through Redis (contract; docs/cluster.md).
 *
 * With cluster: configured, the node keeps a link to Redis
 * (cluster_link.h) and, on one pub/sub channel (cluster_msg.h):
 *   - says it is alive every cluster.heartbeat (node id, version, queue,
 *     in flight), and also SETs <prefix>:node:<id> with an expiry of
 *     cluster.node_timeout (a write, so that a demoted master is noticed);
 *     it keeps the fleet's members from their heartbeats: a node not
 *     heard of for cluster.node_timeout is gone;
 *   - publishes each circuit this node opened (provider, reason, the
 *     cool-down) and opens the same circuit on hearing another node's,
 *     with the reason "fleet: <node>: <reason>" (each node then closes
 *     its own circuit by its own half-open trials);
 *   - publishes the operator's pause, drain and resume of a provider and
 *     applies other nodes' ones, so they act fleet-wide;
 *   - shares the suppression list (cluster_suppress.h);
 *   - makes providers' max_rate and quota.daily hold fleet-wide
 *     (cluster_rate.h), split over the nodes while Redis is lost.
 * Redis never holds mail: each node keeps its own spool. When Redis is
 * lost the node goes on alone on its local state (circuits, its share
 * of the limits, idempotency), cluster_lost() says so (the cluster_lost
 * alert fires), and on the link's return it re-joins by itself: it
 * announces itself and its open circuits again.
 *
 * Loop thread only. A listener on the event bus; never changes what
 * happens for a local event, only publishes it.
 */
#ifndef SWERVE_CLUSTER_CLUSTER_H
#define SWERVE_CLUSTER_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct config;
struct deliver;
struct event_base;
struct spool;
struct cluster;

struct cluster_opts {
	struct event_base *base;
	const struct config *cfg; /* borrowed; outlives the cluster */
	struct deliver *d;        /* circuits and operator actions applied */
	struct spool *sp;         /* the queue size in heartbeats */
	const char *version;      /* swerved's version */
};

/* cluster_new - join the fleet (cfg->cluster must be true); connects in
 * the background. Free with cluster_free before d and sp. */
struct cluster *cluster_new(const struct cluster_opts *o);

/* cluster_lost - Redis is not reachable now (the node works alone). */
bool cluster_lost(const struct cluster *c);

/* cluster_nodes_alive - members heard of within node_timeout, this node
 * included (at least 1). */
size_t cluster_nodes_alive(const struct cluster *c);

/* cluster_redis_commands - Redis commands sent since start. */
uint64_t cluster_redis_commands(const struct cluster *c);

/*
 * cluster_fleet_json - the fleet as this node sees it (GET /v1/fleet):
 * {"node","redis":"up"|"lost","master","nodes":[{"node","version",
 * "queue","inflight","last_heartbeat_ms","alive","self"}],"limits":
 * cluster_rate_json(),"providers":cluster_health_json()}. New
 * reference, the caller's.
 */
json_t *cluster_fleet_json(const struct cluster *c);

/* cluster_free - leave (a last heartbeat is not sent) and free. NULL ok. */
void cluster_free(struct cluster *c);

#endif
