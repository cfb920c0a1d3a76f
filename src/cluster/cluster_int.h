/*
 * cluster_int.h - the node's state, shared by the files of src/cluster
 * (not a contract: cluster.h is).
 */
#ifndef SWERVE_CLUSTER_CLUSTER_INT_H
#define SWERVE_CLUSTER_CLUSTER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cluster/cluster_health.h"
#include "cluster/cluster_msg.h"

struct cluster_link;
struct alerting;
struct cluster_rate;
struct cluster_status;
struct cluster_fwd;
struct cluster_supp;
struct cluster_tmpl;
struct feedback;
struct incidents;
struct config;
struct deliver;
struct event;
struct event_base;
struct spool;

#define CLUSTER_MAX_NODES 64

/* One member as its heartbeats describe it. */
struct cluster_node {
	char id[CLUSTER_MSG_TEXT_MAX + 1];
	char version[32];
	uint64_t queue, inflight;
	uint64_t seen_ms; /* monotonic: last heartbeat received */
	unsigned number;  /* cluster.node_number in its ids (0: none) */
	unsigned adopt;   /* cluster.adopt_number: a dead node's (0: none) */
	char http[64];    /* "IP:PORT" it takes forwarded requests on, or "" */
	struct cluster_health_sample health[CLUSTER_HEALTH_MAX];
	size_t n_health; /* its providers' last samples */
};

struct cluster {
	struct event_base *base;
	const struct config *cfg;
	struct deliver *d;
	struct spool *sp;
	char *version;
	char *channel; /* <prefix>:fleet */
	struct cluster_link *link;
	struct cluster_rate *rate; /* fleet-wide max_rate and quota */
	struct event *beat;
	struct cluster_node nodes[CLUSTER_MAX_NODES];
	size_t n_nodes;
	bool applying;    /* a remote change is being applied: not re-sent */
	bool ever_up;     /* the link was up once */
	uint64_t lost_ms; /* monotonic: when the link went down; 0: up */
	uint64_t up_ms;   /* monotonic: when the link last came up */
	struct cluster_supp *supp; /* the shared suppression list, or NULL */
	/* What shares through this node's claims (detached at free). */
	struct incidents *inc;
	struct alerting *al;
	struct feedback *fb;
	struct cluster_tmpl *tmpl;     /* the shared template store, or NULL */
	struct cluster_status *status; /* incidents' faces, or NULL */
	struct cluster_fwd *fwd;       /* forwarding (cluster_fwd.c) */
	char http[64]; /* this node's advertised address, or "" */
};

/* cluster_publish - m on the fleet channel, from this node (nothing
 * while Redis is lost). m->node and m->at_ms are set here. */
void cluster_publish(struct cluster *c, struct cluster_msg *m);

/* cluster_fmt - printf into a new string (the caller frees; never NULL:
 * out of memory is fatal). cluster_claim.c */
char *cluster_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
