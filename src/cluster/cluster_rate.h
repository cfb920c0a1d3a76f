/*
 * cluster_rate.h - provider account limits shared by the fleet: each
 * provider's max_rate and daily quota (quota.daily) hold for all nodes
 * together, not per node (contract; docs/cluster.md#fleet-wide-limits).
 *
 * With Redis up, two counts live in Redis per provider (by name):
 *   <prefix>:rate:<provider>          the GCRA's theoretical arrival
 *                                     time (microseconds, Redis TIME);
 *   <prefix>:quota:<provider>:<day>   messages taken on that UTC day.
 * Each is changed only by a Lua script (EVALSHA; both scripts are loaded
 * with SCRIPT LOAD when the link comes up, and sent whole with EVAL once
 * if Redis answers NOSCRIPT), which grants a lease of tokens atomically.
 * The node spends its lease locally (cluster_rate_lease.h): a message
 * never waits for a Redis round trip while the flow goes on, and Redis
 * sees about one command per lease, not per message.
 *
 * With Redis lost, each node enforces rate / n and its share of what was
 * left of the day's quota (n: the nodes known alive at the moment of
 * loss), logs which split is in force, and the route trace says it on
 * every pick. A script Redis refuses (an ACL, out of memory) puts that
 * provider on the same split (n: the nodes alive now) until a script
 * answers again (asked once a second): mail is never held because Redis
 * will not count it. When Redis
 * returns the shared counts are used again (what was sent alone is
 * added to the day's count).
 *
 * It is a route_gate (route/route.h): deliver's routing asks it after the
 * provider's own limits. Loop thread only.
 */
#ifndef SWERVE_CLUSTER_CLUSTER_RATE_H
#define SWERVE_CLUSTER_CLUSTER_RATE_H

#include <stdint.h>

#include <jansson.h>

struct cluster;
struct cluster_rate;

/* cluster_rate_new - the limits of c's providers, asked by routing from
 * now on (route_gate_set). Free with cluster_rate_free before c. */
struct cluster_rate *cluster_rate_new(struct cluster *c);

/* cluster_rate_up - the link came up: load the scripts, go back to the
 * shared counts (what was sent alone is added to them). */
void cluster_rate_up(struct cluster_rate *cr);

/* cluster_rate_lost - the link went down: split the limits over the
 * nodes known alive now, and log the split. */
void cluster_rate_lost(struct cluster_rate *cr);

/*
 * cluster_rate_json - the limits as this node applies them (in GET
 * /v1/fleet): {"mode":"shared"|"split","split":n,"script_reloads",
 * "lease_asks","messages","providers":[{"provider","max_rate",
 * "rate_here","split","lease_tokens","lease_size","quota","quota_used",
 * "quota_left_here","asks","granted","taken"}]}. New reference.
 */
json_t *cluster_rate_json(const struct cluster_rate *cr);

/* cluster_rate_free - stop being asked (route_gate_set(NULL)) and free.
 * NULL ok. */
void cluster_rate_free(struct cluster_rate *cr);

#endif
