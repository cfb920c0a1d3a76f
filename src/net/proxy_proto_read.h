/*
 * proxy_proto_read.h - read a PROXY protocol header off a new connection
 * on the loop, without reading one octet past it (contract).
 *
 * A listener that took a connection from a load balancer hands the socket
 * here; the header is read as it arrives (never blocking, with a
 * deadline), then the callback runs once with the parsed header or an
 * error, and the socket's next octet is the client's first. The socket
 * is never closed here: the callback decides. Readers live in a set, so
 * that a listener going away cancels those still waiting.
 */
#ifndef SWERVE_NET_PROXY_PROTO_READ_H
#define SWERVE_NET_PROXY_PROTO_READ_H

#include <stdint.h>

#include <event2/util.h>

#include "net/proxy_proto.h"

struct event_base;
struct proxy_read_set;

/*
 * proxy_read_done_fn - the header was read: client is the address to
 * use (the header's source, or the socket's own peer for a LOCAL or
 * UNKNOWN header), err NULL; or it was not: client NULL, err says why
 * (malformed, timed out, closed). tag is start's. fd is still open and
 * belongs to the callback.
 */
typedef void proxy_read_done_fn(evutil_socket_t fd,
                                const struct sockaddr *client,
                                socklen_t client_len, const char *err,
                                void *arg, int tag);

/* proxy_read_set_new - an empty set of readers on base; the caller
 * frees it with proxy_read_set_free. */
struct proxy_read_set *proxy_read_set_new(struct event_base *base);

/*
 * proxy_read_start - wait for fd's header for at most timeout_ms, then
 * call done(fd, ..., arg, tag) once (never from inside this call). peer
 * is the socket's peer (copied). The reader's memory belongs to set.
 */
void proxy_read_start(struct proxy_read_set *set, evutil_socket_t fd,
                      const struct sockaddr *peer, socklen_t peer_len,
                      uint64_t timeout_ms, proxy_read_done_fn *done, void *arg,
                      int tag);

/* proxy_read_waiting - readers in set still waiting. */
size_t proxy_read_waiting(const struct proxy_read_set *set);

/* proxy_read_set_free - cancel every waiting reader (their callbacks do
 * not run; close_fds: their sockets are closed) and free set. NULL ok. */
void proxy_read_set_free(struct proxy_read_set *set, int close_fds);

#endif
