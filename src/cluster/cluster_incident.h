/*
 * cluster_incident.h - one incident and one notification per event
 * across the fleet (contract; docs/cluster.md).
 *
 * Wires the fleet's claims (cluster_claim.h) into the incidents engine
 * (incidents_fleet_set) and the alert notifiers (alerting_fleet_set):
 *   - an incident about to open is claimed under
 *     <prefix>:inc:<key> (key as incident.h says) for the incidents'
 *     window plus their reopen window; the node that wins opens it under
 *     its id, every other node takes that id for its own record;
 *   - an alert's notifications are claimed under
 *     <prefix>:note:<rule> <subject> for a day; the winner sends the
 *     firing, repeats and the resolve, after which the claim lapses in
 *     a minute (so another node's late firing of the same episode stays
 *     quiet).
 * With Redis lost every node acts alone (claims are won): better two
 * notifications than none.
 *
 * Loop thread only.
 */
#ifndef SWERVE_CLUSTER_CLUSTER_INCIDENT_H
#define SWERVE_CLUSTER_CLUSTER_INCIDENT_H

#include <stdint.h>

struct alerting;
struct cluster;
struct incidents;

#define CLUSTER_NOTE_CLAIM_MS (24ULL * 3600 * 1000)
#define CLUSTER_NOTE_GRACE_MS 60000ULL

/*
 * cluster_incident_attach - share the opening of incidents of in (may
 * be NULL) and the notifications of al (may be NULL) through c. in, al
 * and c are borrowed: cluster_free(c) must come first (pending claims
 * are answered then: acting alone).
 */
void cluster_incident_attach(struct cluster *c, struct incidents *in,
                             int64_t claim_ms, struct alerting *al);

/* cluster_incident_detach - in and al ask nobody from now on
 * (cluster_free calls it). */
void cluster_incident_detach(struct cluster *c);

#endif
