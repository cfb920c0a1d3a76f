/*
 * http_conn.h - the HTTP listener's connection gate (contract).
 *
 * Caps the connections an evhttp server holds: limits.max_http_connections
 * in all and limits.max_http_connections_per_ip from one client address
 * (a quarter of the total unless configured). A connection over a cap is
 * answered "503 Service Unavailable" with Retry-After and closed before
 * evhttp reads a byte of it. An accept(2) failure (EMFILE, ENFILE) pauses
 * the listeners for 100 ms instead of spinning. A connection that has
 * had no answer for limits.http_request_timeout since it was accepted or
 * since its last answer (a request trickling in, or idling between
 * requests) is closed.
 *
 * evhttp 2.1 has no accept hook, so the gate sits in its bufferevent
 * callback (evhttp_set_bevcb): each new connection's bufferevent is made
 * here, and the connection is judged on the loop right after evhttp has
 * given it its socket. Everything runs on the loop thread.
 */
#ifndef SWERVE_INGRESS_HTTP_CONN_H
#define SWERVE_INGRESS_HTTP_CONN_H

#include <stddef.h>
#include <stdint.h>

struct bufferevent;
struct config;
struct event_base;
struct evhttp;
struct evhttp_connection;
struct http_conn;
struct sockaddr;

/* Told that an HTTP connection is closing (evhttp's close callback). */
typedef void http_conn_close_fn(struct evhttp_connection *, void *arg);

/* Makes the bufferevent of one incoming connection (a TLS one, say). */
typedef struct bufferevent *http_conn_bev_fn(struct event_base *, void *arg);

/* Counters since http_conn_new(). */
struct http_conn_stats {
	uint64_t open;           /* connections admitted and still open */
	uint64_t rejected;       /* turned away: limits.max_http_connections */
	uint64_t rejected_ip;    /* turned away: ..._per_ip */
	uint64_t timed_out;      /* closed: no answer in http_request_timeout */
	uint64_t rejected_proxy; /* a load balancer's without a PROXY header */
};

/*
 * http_conn_new - gate every connection of http (borrowed; the gate must
 * be freed after it, since evhttp_free() reports each connection's close
 * here). cfg is borrowed and must outlive the gate (see _reload). make_bev
 * (may be NULL: a plain socket) makes each connection's bufferevent, with
 * arg. Never returns NULL.
 */
struct http_conn *http_conn_new(struct event_base *base, struct evhttp *http,
                                const struct config *cfg,
                                http_conn_bev_fn *make_bev, void *arg);

/*
 * http_conn_watch_listeners - pause-on-error for every socket http is
 * bound to now; call after binding them.
 */
void http_conn_watch_listeners(struct http_conn *hc);

/*
 * http_conn_watch_close - call fn(evcon, arg) when evcon closes; fn NULL
 * stops watching. One watcher per connection (a later call replaces the
 * earlier one). The gate owns evhttp's close callback of the connections
 * it admitted, so use this instead of evhttp_connection_set_closecb();
 * for a connection no gate admitted, this sets that callback.
 */
void http_conn_watch_close(struct evhttp_connection *evcon,
                           http_conn_close_fn *fn, void *arg);

/*
 * http_conn_client - evcon's client address as text into ip (n octets)
 * and its port: the one a load balancer's PROXY header named
 * (listen.load_balancers), else the socket's peer. "?" when unknown.
 */
void http_conn_client(struct evhttp_connection *evcon, char *ip, size_t n,
                      uint16_t *port);

/*
 * http_conn_client_addr - evcon's client address (see http_conn_client);
 * memory owned by the connection. NULL when unknown.
 */
const struct sockaddr *http_conn_client_addr(struct evhttp_connection *evcon);

/* http_conn_reload - use cfg (borrowed) for the caps from now on. */
void http_conn_reload(struct http_conn *hc, const struct config *cfg);

/* http_conn_stats_get - copy the counters into out. */
void http_conn_stats_get(const struct http_conn *hc,
                         struct http_conn_stats *out);

/* http_conn_free - release the gate (after evhttp_free). NULL: no-op. */
void http_conn_free(struct http_conn *hc);

#endif
