/*
 * cluster_fwd.h - requests and provider events about a message that
 * lives on another node go to that node (contract; docs/cluster.md,
 * "Forwarding").
 *
 * Which node holds a message is read from its id: with
 * cluster.node_number set, every id a node makes carries that number
 * (core/id.h, id_node()), and each node's heartbeat says its number and
 * the HTTP address other nodes forward to (cluster.advertise_http, else
 * listen.http's first address when it is not a wildcard). No Redis
 * operation is made per message.
 *
 * HTTP: a request about message ID (GET /v1/messages/ID, DELETE
 * /v1/messages/ID, POST /v1/queue/ID/release) that this node's spool
 * does not know, whose id names another node, is sent to that node as
 * it came: same method, path and query, the caller's own Authorization
 * (the owner checks the key and the tenant itself: forwarding never
 * widens access), and the header X-Swerve-Forwarded: <this node>. Its
 * answer (status, body, Content-Type) is the caller's, with
 * X-Swerve-Node: <owner>. A request that already carries
 * X-Swerve-Forwarded is never forwarded again (one hop: two nodes never
 * bounce a request). When the owner is not alive in the fleet, has no
 * address, or does not answer within 10 s: 503 "owner_unavailable",
 * saying which node holds the message.
 *
 * Events: a provider event stored here (ingress/feedback.c, the bounce
 * listener) that matched no message of this spool and echoes the id of
 * another node's message is pushed, after it is on this node's disk, to
 * the Redis list <key_prefix>:fwd:<number> of that node (RPUSH; one
 * operation per forwarded event). Each node empties its own list every
 * heartbeat: it stores the events in its spool (de-duplicated on
 * (provider, event_id), matched to its messages) and trims the list only
 * after the commit, so an event is kept until its node is back. While
 * Redis is lost, events to forward wait in memory (up to
 * CLUSTER_FWD_PENDING_MAX) and are pushed when it returns; they are on
 * this node's disk all along (stored unmatched).
 *
 * Loop thread only.
 */
#ifndef SWERVE_CLUSTER_CLUSTER_FWD_H
#define SWERVE_CLUSTER_CLUSTER_FWD_H

#include <stdbool.h>
#include <stddef.h>

struct cluster;
struct evhttp_request;
struct feedback_event;
struct spool_fb_match;

#define CLUSTER_FWD_HOP_HEADER "X-Swerve-Forwarded"
#define CLUSTER_FWD_PENDING_MAX 100000

/* cluster_fwd_install - c forwards from now on (cluster_new calls it;
 * ids made from now on carry cluster.node_number). */
void cluster_fwd_install(struct cluster *c);

/* cluster_fwd_tick - every heartbeat: empty this node's list of
 * forwarded events, push what waited for Redis. */
void cluster_fwd_tick(struct cluster *c);

/* cluster_fwd_uninstall - stop (cluster_free calls it). */
void cluster_fwd_uninstall(struct cluster *c);

/*
 * cluster_fwd_http - req is about message id, which this node's spool
 * does not hold: true when it was taken (forwarded, or answered 503
 * because its node is away); false when the caller answers as usual
 * (no cluster, an id of this node or of none, a request already
 * forwarded once).
 */
bool cluster_fwd_http(struct evhttp_request *req, const char *id);

/*
 * cluster_fwd_events - ev[0..n) were just stored here with m[0..n)
 * (spool_feedback_record's answer): push each new, unmatched event
 * whose swerve_id names another node to that node's list. No-op
 * without a cluster.
 */
void cluster_fwd_events(const struct feedback_event *ev,
                        const struct spool_fb_match *m, size_t n);

#endif
