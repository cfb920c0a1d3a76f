/*
 * cluster_msg.h - what nodes tell each other on the cluster's Redis
 * channel, and its JSON form (contract).
 *
 * One channel, "<key_prefix>:fleet"; one JSON object per message:
 *   {"v":1,"kind":"heartbeat","node":"mx1","at":<ms since the epoch>,
 *    "version":"0.1.0","queue":12,"inflight":3,"number":1,
 *    "http":"10.0.0.11:2580","adopt":3,"health":"ses 998 120 5000 3;..."}
 *    (number: cluster.node_number, 0 or absent: none; adopt:
 *    cluster.adopt_number, likewise; http: where other nodes forward
 *    requests for the messages of this node, absent: nowhere;
 *    cluster_fwd.h; health: cluster_health.h)
 *   {"v":1,"kind":"circuit","node":"mx1","at":...,"provider":"ses",
 *    "state":"open","reason":"3 failures in a row","for_ms":5000}
 *   {"v":1,"kind":"operator","node":"mx1","at":...,"provider":"ses",
 *    "action":"pause"|"drain"|"resume","for_ms":0,"who":"ops"}
 *   {"v":1,"kind":"suppress","node":"mx1","at":...,"action":"add"|
 *    "remove","tenant":"t","address":"a@b.c","reason":"hard_bounce",
 *    "provider":"ses","created":<ms>,"expires":<ms, 0 never>,
 *    "diagnostic":"..."}
 *   {"v":1,"kind":"template","node":"mx1","at":...,"tenant":"t",
 *    "name":"welcome"}  (its active version changed: read <prefix>:tmpl)
 *   {"v":1,"kind":"incident","node":"mx1","at":...,"name":"inc_..."}
 *    (the public record of an incident it opened changed: read
 *    <prefix>:incident:<name>)
 * Unknown kinds and unknown fields are ignored by readers (a newer node
 * may say more); a version other than 1 is refused.
 *
 * Pure: no I/O. Strings in a decoded message point into the message's
 * own copies (cluster_msg_fini frees them).
 */
#ifndef SWERVE_CLUSTER_CLUSTER_MSG_H
#define SWERVE_CLUSTER_CLUSTER_MSG_H

#include <stddef.h>
#include <stdint.h>

#define CLUSTER_MSG_TEXT_MAX 512 /* longest string field kept */

enum cluster_msg_kind {
	CLUSTER_MSG_OTHER, /* a kind this node does not know: ignore */
	CLUSTER_MSG_HEARTBEAT,
	CLUSTER_MSG_CIRCUIT,
	CLUSTER_MSG_OPERATOR,
	CLUSTER_MSG_SUPPRESS,
	CLUSTER_MSG_TEMPLATE,
	CLUSTER_MSG_INCIDENT,
};

struct cluster_msg {
	enum cluster_msg_kind kind;
	char *node;    /* sender's node_id (never NULL once decoded) */
	int64_t at_ms; /* sender's wall clock */
	/* heartbeat */
	char *version;
	uint64_t queue, inflight;
	uint64_t number; /* heartbeat: the node number in its ids (0: none) */
	uint64_t adopt;  /* heartbeat: a dead node's number it answers for */
	char *http;      /* heartbeat: "IP:PORT" to forward to, or NULL */
	char *health;    /* providers' samples (cluster_health.h), or NULL */
	/* circuit, operator */
	char *provider;
	char *state;  /* circuit: "open" or "closed" (healed on its node) */
	char *reason; /* circuit: why */
	char *action; /* operator: "pause", "drain", "resume" */
	char *who;    /* operator: the admin key's name */
	uint64_t for_ms;
	/* suppress (action "add" or "remove"; reason: its name) */
	char *tenant, *address, *diagnostic;
	/* template (tenant and name), incident (name: its id) */
	char *name;
	uint64_t created_ms, expires_ms;
};

/*
 * cluster_msg_encode - m as one JSON object (malloc'd, NUL-terminated;
 * the caller frees). NULL fields are left out.
 */
char *cluster_msg_encode(const struct cluster_msg *m);

/*
 * cluster_msg_decode - parse buf[0..len) into out (zeroed first). 0, or
 * -1 with err set (not JSON, not an object, wrong version, no node, a
 * field of the wrong type or over CLUSTER_MSG_TEXT_MAX); out then holds
 * nothing to free.
 */
int cluster_msg_decode(const char *buf, size_t len, struct cluster_msg *out,
                       char *err, size_t errlen);

/* cluster_msg_fini - free what a decoded message owns. */
void cluster_msg_fini(struct cluster_msg *m);

/* cluster_msg_kind_name - "heartbeat", "circuit", "operator", "suppress",
 * "template", "incident", "other". */
const char *cluster_msg_kind_name(enum cluster_msg_kind k);

#endif
