/*
 * cluster_probe.h - one node of the fleet probes a dark provider per
 * probe period (contract; docs/cluster.md).
 *
 * A probe due while a provider's circuit is open is claimed first
 * (cluster_claim.h) under <prefix>:probe:<provider> for a little less
 * than the period: the node that wins probes; the others wait for the
 * next period. The winner keeps winning while it holds the claim, so
 * the same node usually probes until the provider is healed; its
 * probe's success closes its circuit, and the close is shared
 * (cluster.h), so every node closes. Redis lost: every node probes.
 *
 * Loop thread only.
 */
#ifndef SWERVE_CLUSTER_CLUSTER_PROBE_H
#define SWERVE_CLUSTER_CLUSTER_PROBE_H

struct cluster;

/* cluster_probe_attach - gate c's deliver's probes of dark providers
 * through the fleet (cluster_new calls it). */
void cluster_probe_attach(struct cluster *c);

/* cluster_probe_detach - probes are this node's own again. */
void cluster_probe_detach(struct cluster *c);

#endif
