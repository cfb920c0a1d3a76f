/*
 * cluster_health.h - providers' health samples shared by the fleet
 * (contract; docs/cluster.md).
 *
 * Each heartbeat (once a heartbeat: cheap, never per message) carries
 * this node's view of each provider as one text field "health":
 *   "<provider> <success per mille> <latency ms> <sent> <failed>;..."
 * (success ratio of the last 5 minutes, latency EWMA, attempts since
 * start), as many providers as fit in CLUSTER_MSG_TEXT_MAX. Every node
 * keeps each member's last samples and GET /v1/fleet shows them per
 * node and aggregated per provider (mean ratio and latency over the
 * live nodes that reported it, attempts summed). Routing still uses
 * each node's own health; only circuits are shared for it.
 *
 * Pure, but for cluster_health_text (reads deliver).
 */
#ifndef SWERVE_CLUSTER_CLUSTER_HEALTH_H
#define SWERVE_CLUSTER_CLUSTER_HEALTH_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define CLUSTER_HEALTH_MAX 16  /* providers kept per node */
#define CLUSTER_HEALTH_NAME 65 /* a provider name and its NUL */

struct cluster;
struct deliver;

struct cluster_health_sample {
	char provider[CLUSTER_HEALTH_NAME];
	unsigned permille;   /* success ratio x 1000, 0..1000 */
	uint64_t latency_ms; /* EWMA */
	uint64_t sent, failed;
};

/* cluster_health_text - d's providers as the field's text into
 * out[0..n) (n at least CLUSTER_MSG_TEXT_MAX + 1; whole entries only). */
void cluster_health_text(const struct deliver *d, char *out, size_t n);

/*
 * cluster_health_parse - the field's text into out[0..max): how many
 * samples, or -1 when the text is malformed (a name that is empty, too
 * long or not [A-Za-z0-9_.-], a number missing or out of range, over
 * max entries). Nothing is kept on -1.
 */
int cluster_health_parse(const char *text, struct cluster_health_sample *out,
                         size_t max);

/* cluster_health_json - the fleet's view per provider from c's live
 * members: [{"provider","nodes","success_ratio","latency_ms","sent",
 * "failed"}]. New reference. */
json_t *cluster_health_json(const struct cluster *c);

#endif
