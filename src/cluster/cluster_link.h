/*
 * cluster_link.h - the node's link to the cluster's Redis: two hiredis
 * connections on the loop (one for commands, one subscribed), found
 * directly (cluster.redis) or by asking Sentinel (contract).
 *
 * Nothing blocks: connects, Sentinel's answer and every reply arrive as
 * loop callbacks. Sentinel is asked with plain commands (hiredis 0.14 has
 * no Sentinel client): SENTINEL get-master-addr-by-name to each
 * configured Sentinel in turn, then ROLE on the address it named must
 * answer "master" (else Sentinel is asked again). The link is up when
 * both connections are connected and verified; it goes down on any
 * connection's loss, a READONLY answer (a master demoted under us),
 * cluster_link_fail(), or when a step takes over
 * cluster.connect_timeout; it then tries again after a back-off (100 ms
 * doubling up to 5 s), asking Sentinel afresh each time, so a failover
 * is followed. Callbacks tell the owner of every up and down.
 *
 * Loop thread only. Counters say how many commands were sent, for the
 * benchmark of Redis operations per message.
 */
#ifndef SWERVE_CLUSTER_CLUSTER_LINK_H
#define SWERVE_CLUSTER_CLUSTER_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct event_base;
struct cluster_link;
struct redisAsyncContext;

struct cluster_link_cbs {
	/* the link came up; master: "ip:port" it is connected to */
	void (*up)(void *arg, const char *master);
	/* it went down (was up); why in words */
	void (*down)(void *arg, const char *why);
	/* a message on the subscribed channel (payload borrowed) */
	void (*message)(void *arg, const char *payload, size_t len);
	void *arg;
};

/*
 * cluster_link_new - a link for cfg's cluster (borrowed; must outlive
 * it), subscribed to channel (copied) once up. Starts connecting at once.
 * Free with cluster_link_free.
 */
struct cluster_link *cluster_link_new(struct event_base *base,
                                      const struct config *cfg,
                                      const char *channel,
                                      const struct cluster_link_cbs *cbs);

/* cluster_link_up - both connections verified now? */
bool cluster_link_up(const struct cluster_link *l);

/* cluster_link_master - "ip:port" of the Redis it uses ("" when down). */
const char *cluster_link_master(const struct cluster_link *l);

/*
 * cluster_link_command - send a command on the command connection
 * (hiredis format, as redisAsyncCommand); the reply is looked at only for
 * errors (READONLY takes the link down). -1 when the link is not up.
 */
int cluster_link_command(struct cluster_link *l, const char *fmt, ...);

struct redisReply;
/* cluster_link_reply_fn - a command's reply (NULL: the link went down
 * before it came; the callback must not send on it then). */
typedef void cluster_link_reply_fn(const struct redisReply *r, void *arg);

/*
 * cluster_link_command_cb - cluster_link_command with fn(reply, arg)
 * called once with the reply (READONLY still takes the link down).
 */
int cluster_link_command_cb(struct cluster_link *l, cluster_link_reply_fn *fn,
                            void *arg, const char *fmt, ...);

/* cluster_link_commands_sent - commands sent since start (both links). */
uint64_t cluster_link_commands_sent(const struct cluster_link *l);

/* cluster_link_fail - take the link down now (why: for the log) and try
 * again after the back-off. */
void cluster_link_fail(struct cluster_link *l, const char *why);

/* cluster_link_free - close both connections and free l. NULL ok. */
void cluster_link_free(struct cluster_link *l);

#endif
