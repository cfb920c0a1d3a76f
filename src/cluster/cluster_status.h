/*
 * cluster_status.h - the public status page the same on every node
 * (contract; docs/cluster.md).
 *
 * The page is built by each node from its providers' circuits (shared:
 * cluster.h) and its incidents (one id fleet-wide: cluster_incident.h).
 * What differs is each node's record of an incident: its own timeline.
 * So the node that opened an incident publishes the record's public
 * face (title, status, impact, times, providers, streams, its updates
 * with the public ones' text) at most once a heartbeat after it
 * changed: SET <prefix>:incident:<id> (kept 7 days) and a message of
 * kind "incident" on the fleet channel. Every other node keeps the
 * faces it heard of (the last CLUSTER_STATUS_FACES) and its status page
 * shows the face in place of its own record of that incident, and the
 * faces of incidents it has no record of. Redis lost: each node's page
 * shows its own records.
 *
 * Loop thread only.
 */
#ifndef SWERVE_CLUSTER_CLUSTER_STATUS_H
#define SWERVE_CLUSTER_CLUSTER_STATUS_H

#include <stddef.h>

#include "incident/incident.h"

#define CLUSTER_STATUS_FACES 64
#define CLUSTER_STATUS_UPDATES 200 /* updates kept of one incident */

struct cluster;
struct cluster_msg;
struct status_http;

/* An incident's public face: info's pointers into the face's own. */
struct cluster_face {
	struct incident_info info;
	char *id, *title, *opened_by;
	char **providers, **streams;
	struct incident_update *updates; /* kind, text, who owned */
};

/* cluster_status_attach - publish c->inc's incidents opened here, and
 * give the status page s (may be NULL) the fleet's faces. */
void cluster_status_attach(struct cluster *c, struct status_http *s);

/* cluster_status_detach - stop (cluster_free calls it). */
void cluster_status_detach(struct cluster *c);

/* cluster_status_flush - publish the faces changed since the last
 * call (the heartbeat calls it). */
void cluster_status_flush(struct cluster *c);

/* cluster_status_apply - another node's message of kind incident. */
void cluster_status_apply(struct cluster *c, const struct cluster_msg *m);

/* ---- the face's JSON (pure) ---------------------------------------- */

/* cluster_status_encode - ii's face as JSON (malloc'd; the caller
 * frees): {"id","title","status","impact","drill","started","updated",
 * "resolved","providers":[],"streams":[],"updates":[{"at","kind",
 * "status","public","text"}]} (text only for public updates; the last
 * CLUSTER_STATUS_UPDATES updates). */
char *cluster_status_encode(const struct incident_info *ii);

/*
 * cluster_status_decode - buf[0..len) into out (zeroed first; free with
 * cluster_face_fini). 0, or -1 with err (not JSON, an id that is not an
 * incident id, a field of the wrong type, an unknown status or impact,
 * too many updates); out then holds nothing to free.
 */
int cluster_status_decode(const char *buf, size_t len, struct cluster_face *out,
                          char *err, size_t errlen);

/* cluster_face_fini - free what f owns and zero it. */
void cluster_face_fini(struct cluster_face *f);

#endif
