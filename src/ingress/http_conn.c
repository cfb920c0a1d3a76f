/*
 * http_conn.c - caps on the HTTP listener's connections.
 *
 * evhttp asks http_conn_bev() for each accepted connection's bufferevent
 * before it gives that bufferevent the socket. The gate keeps a reference
 * to it and activates one sweep event, which runs on this loop pass after
 * the accept callback returned: by then the bufferevent has its socket and
 * its callbacks point at evhttp's connection (the callback argument), so
 * the gate can read the peer, count it, and either hook the connection's
 * close callback or answer 503 and free the connection. The extra
 * reference keeps the bufferevent's memory valid even if evhttp freed it
 * in between (its callbacks are then all NULL). Nothing here parses HTTP.
 *
 * Each admitted connection must get an answer within
 * limits.http_request_timeout of being accepted or of its last answer:
 * evhttp's own timeout restarts at every byte read, so without this a
 * request sent a byte at a time would hold its connection for ever. The
 * gate sees an answer as bytes evhttp adds to the connection's output.
 */
#include "ingress/http_conn.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "config/config.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "ingress/accept_pause.h"
#include "ingress/peer_cap.h"
#include "net/proxy_proto_read.h"

#define HTTP_CONN_BUCKETS 4096 /* admitted connections by address */

/*
 * One admitted connection: what its close must give back, and the one
 * other party that wants to hear of the close (http_conn_watch_close).
 */
struct http_conn_peer {
	struct http_conn_peer *next; /* in http_conn_peers */
	struct http_conn *hc;
	struct evhttp_connection *evcon;
	http_conn_close_fn *watch;
	void *watch_arg;
	struct event *deadline;             /* limits.http_request_timeout */
	struct evbuffer_cb_entry *answered; /* on the output: re-arms it */
	char ip[INET6_ADDRSTRLEN];
	uint16_t port;
	bool proxied; /* client: from a load balancer's PROXY header */
	struct sockaddr_storage client;
};

/*
 * Every admitted connection of every gate, by evhttp connection: evhttp
 * has one close callback per connection, which the gate holds, so
 * others ask the gate to pass the close on.
 */
static struct http_conn_peer *http_conn_peers[HTTP_CONN_BUCKETS];

/* http_conn_peer_link - the link that points at evcon's record or NULL. */
static struct http_conn_peer **
http_conn_peer_link(const struct evhttp_connection *evcon)
{
	uintptr_t h = (uintptr_t)evcon;
	struct http_conn_peer **pp;

	h ^= h >> 12;
	pp = &http_conn_peers[(h >> 4) & (HTTP_CONN_BUCKETS - 1)];
	while (*pp != NULL && (*pp)->evcon != evcon)
		pp = &(*pp)->next;
	return pp;
}

struct http_conn {
	struct http_conn *next; /* in http_conn_gates */
	struct event_base *base;
	struct evhttp *http;
	const struct config *cfg;
	http_conn_bev_fn *make_bev;
	void *make_arg;
	struct peer_cap *per_ip;
	struct event *sweep;          /* judges the pending connections */
	struct bufferevent **pending; /* made, not judged yet (one ref) */
	size_t n_pending, cap_pending;
	struct proxy_read_set *proxies; /* load balancers' headers awaited */
	struct bufferevent **waiting;   /* their connections (one ref) */
	size_t n_waiting, cap_waiting;
	struct accept_pause pause; /* of the listeners, on accept errors */
	struct http_conn_stats stats;
};

/*
 * Every gate, so that a listener's error callback, which gets evhttp's
 * argument (the struct evhttp), can find the gate of that server.
 */
static struct http_conn *http_conn_gates;

/* http_conn_busy - the 503 a connection over a cap gets before close. */
static void
http_conn_busy(evutil_socket_t fd)
{
	static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\n"
	                           "Content-Type: application/json\r\n"
	                           "Retry-After: 1\r\n"
	                           "Connection: close\r\n"
	                           "Content-Length: 59\r\n"
	                           "\r\n"
	                           "{\"error\":{\"code\":\"busy\",\"message\":"
	                           "\"too many connections\"}}"
	                           "\n";

	/* A fresh socket's send buffer is empty: this cannot block. */
	(void)send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* http_conn_on_close - evhttp is closing an admitted connection. */
static void
http_conn_on_close(struct evhttp_connection *evcon, void *arg)
{
	struct http_conn_peer *p = arg, **pp = http_conn_peer_link(evcon);

	if (*pp == p)
		*pp = p->next;
	peer_cap_release(p->hc->per_ip, p->ip);
	p->hc->stats.open--;
	/* evhttp drains the output after this: the callback must go first. */
	evbuffer_remove_cb_entry(
	    bufferevent_get_output(evhttp_connection_get_bufferevent(evcon)),
	    p->answered);
	event_free(p->deadline);
	/* Unhook so that no later path reports this close twice. */
	evhttp_connection_set_closecb(evcon, NULL, NULL);
	if (p->watch != NULL)
		p->watch(evcon, p->watch_arg);
	free(p);
}

/* http_conn_deadline_arm - from now, limits.http_request_timeout. */
static void
http_conn_deadline_arm(struct http_conn_peer *p)
{
	uint64_t ms = p->hc->cfg->http_request_timeout_ms;
	struct timeval tv = {(time_t)(ms / 1000),
	                     (suseconds_t)(ms % 1000) * 1000};

	event_add(p->deadline, &tv);
}

/*
 * http_conn_on_answer - evhttp wrote to the connection (an answer): the
 * client gets a new limits.http_request_timeout for its next request.
 */
static void
http_conn_on_answer(struct evbuffer *out, const struct evbuffer_cb_info *info,
                    void *arg)
{
	if (info->n_added > 0)
		http_conn_deadline_arm(arg);
}

/*
 * http_conn_on_deadline - no answer for limits.http_request_timeout: a
 * request that trickles in (or a connection that sits idle between
 * requests) is closed, as evhttp's own timeout would close a silent one.
 */
static void
http_conn_on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct http_conn_peer *p = arg;

	log_limited(LOG_LEVEL_INFO,
	            "http: close reason=request_timeout client=%s", p->ip);
	p->hc->stats.timed_out++;
	/* Runs http_conn_on_close, which frees p. */
	evhttp_connection_free(p->evcon);
}

/* http_conn_evcon - evhttp's connection on bev, or NULL when evhttp has
 * closed it already (its callbacks are then all NULL). */
static struct evhttp_connection *
http_conn_evcon(struct bufferevent *bev)
{
	bufferevent_data_cb rd, wr;
	bufferevent_event_cb ev;
	void *arg;

	bufferevent_getcb(bev, &rd, &wr, &ev, &arg);
	if (rd == NULL && wr == NULL && ev == NULL)
		return NULL;
	return arg;
}

/* http_conn_admit - admit one new connection or turn it away; client:
 * the address a load balancer's PROXY header named, or NULL (the
 * socket's peer, as evhttp saw it). */
static void
http_conn_admit(struct http_conn *hc, struct bufferevent *bev,
                const struct sockaddr *client, socklen_t client_len)
{
	struct evhttp_connection *evcon = http_conn_evcon(bev);
	struct http_conn_peer *p;
	const char *ip = NULL;
	char ipbuf[INET6_ADDRSTRLEN];
	ev_uint16_t port = 0;
	size_t per_ip = peer_cap_share(hc->cfg->max_http_connections,
	                               hc->cfg->max_http_connections_per_ip);

	if (evcon == NULL)
		return; /* evhttp has already closed it */
	if (client != NULL) {
		struct sockaddr_storage ss;

		memset(&ss, 0, sizeof(ss));
		memcpy(&ss, client, client_len);
		ip = proxy_proto_addr_str(&ss, ipbuf, sizeof(ipbuf));
		port = ntohs(ss.ss_family == AF_INET6
		                 ? ((struct sockaddr_in6 *)&ss)->sin6_port
		                 : ((struct sockaddr_in *)&ss)->sin_port);
	} else {
		evhttp_connection_get_peer(evcon, (char **)&ip, &port);
	}
	if (ip == NULL || ip[0] == '\0')
		ip = "unknown";
	if (strncmp(ip, "::ffff:", 7) == 0 && strchr(ip + 7, '.') != NULL)
		ip += 7;
	if (hc->stats.open >= hc->cfg->max_http_connections) {
		hc->stats.rejected++;
		log_limited(LOG_LEVEL_INFO,
		            "http: reject reason=connections client=%s: "
		            "%llu connections open",
		            ip, (unsigned long long)hc->stats.open);
		goto refuse;
	}
	if (peer_cap_take(hc->per_ip, ip, per_ip) != 0) {
		hc->stats.rejected_ip++;
		log_limited(LOG_LEVEL_INFO,
		            "http: reject reason=connections_per_ip client=%s: "
		            "%zu connections open",
		            ip, per_ip);
		goto refuse;
	}
	p = xcalloc(1, sizeof(*p));
	p->hc = hc;
	p->evcon = evcon;
	snprintf(p->ip, sizeof(p->ip), "%s", ip);
	p->port = port;
	if (client != NULL) {
		p->proxied = true;
		memcpy(&p->client, client, client_len);
	}
	*http_conn_peer_link(evcon) = p; /* at its bucket's end; next NULL */
	hc->stats.open++;
	evhttp_connection_set_closecb(evcon, http_conn_on_close, p);
	p->deadline = evtimer_new(hc->base, http_conn_on_deadline, p);
	p->answered = evbuffer_add_cb(bufferevent_get_output(bev),
	                              http_conn_on_answer, p);
	http_conn_deadline_arm(p);
	return;
refuse:
	http_conn_busy(bufferevent_getfd(bev));
	evhttp_connection_free(evcon);
}

/* http_conn_unwait - take bev (found by its socket) off the connections
 * waiting for a PROXY header; NULL if it is not there. */
static struct bufferevent *
http_conn_unwait(struct http_conn *hc, evutil_socket_t fd)
{
	struct bufferevent *bev;
	size_t i;

	for (i = 0; i < hc->n_waiting; i++) {
		if (bufferevent_getfd(hc->waiting[i]) == fd) {
			bev = hc->waiting[i];
			hc->waiting[i] = hc->waiting[--hc->n_waiting];
			return bev;
		}
	}
	return NULL;
}

/* http_conn_on_proxy - a load balancer's connection said who the client
 * is (client set): evhttp may read the request now; or it did not: the
 * connection is closed unanswered. */
static void
http_conn_on_proxy(evutil_socket_t fd, const struct sockaddr *client,
                   socklen_t client_len, const char *err, void *arg, int tag)
{
	struct http_conn *hc = arg;
	struct bufferevent *bev = http_conn_unwait(hc, fd);
	struct evhttp_connection *evcon;

	if (bev == NULL)
		log_panic("http: PROXY header for a connection not waiting");
	evcon = http_conn_evcon(bev);
	if (evcon != NULL && client == NULL) {
		hc->stats.rejected_proxy++;
		log_limited(LOG_LEVEL_WARN,
		            "http: reject reason=proxy_header: %s", err);
		evhttp_connection_free(evcon);
	} else if (evcon != NULL) {
		bufferevent_enable(bev, EV_READ);
		http_conn_admit(hc, bev, client, client_len);
	}
	bufferevent_decref(bev);
}

/* http_conn_judge - a new connection: one from listen.load_balancers
 * waits for its PROXY header (evhttp does not read it meanwhile), the
 * others are admitted or turned away now. */
static void
http_conn_judge(struct http_conn *hc, struct bufferevent *bev)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	evutil_socket_t fd = bufferevent_getfd(bev);
	size_t i;

	if (hc->cfg->n_load_balancers == 0 || http_conn_evcon(bev) == NULL ||
	    getpeername(fd, (struct sockaddr *)&ss, &len) != 0) {
		http_conn_admit(hc, bev, NULL, 0);
		return;
	}
	for (i = 0; i < hc->cfg->n_load_balancers; i++)
		if (config_net_contains(&hc->cfg->load_balancers[i],
		                        (struct sockaddr *)&ss))
			break;
	if (i == hc->cfg->n_load_balancers) {
		http_conn_admit(hc, bev, NULL, 0);
		return;
	}
	bufferevent_disable(bev, EV_READ);
	if (hc->n_waiting == hc->cap_waiting) {
		hc->cap_waiting = hc->cap_waiting ? hc->cap_waiting * 2 : 16;
		hc->waiting = xreallocarray(hc->waiting, hc->cap_waiting,
		                            sizeof(*hc->waiting));
	}
	bufferevent_incref(bev);
	hc->waiting[hc->n_waiting++] = bev;
	proxy_read_start(hc->proxies, fd, (struct sockaddr *)&ss, len,
	                 hc->cfg->http_request_timeout_ms, http_conn_on_proxy,
	                 hc, 0);
}

/* http_conn_on_sweep - judge every connection accepted since last time. */
static void
http_conn_on_sweep(evutil_socket_t fd, short what, void *arg)
{
	struct http_conn *hc = arg;
	size_t i;

	for (i = 0; i < hc->n_pending; i++) {
		http_conn_judge(hc, hc->pending[i]);
		bufferevent_decref(hc->pending[i]);
	}
	hc->n_pending = 0;
}

/* http_conn_bev - evhttp's bufferevent callback: one new connection. */
static struct bufferevent *
http_conn_bev(struct event_base *base, void *arg)
{
	struct http_conn *hc = arg;
	struct bufferevent *bev;

	bev = hc->make_bev != NULL
	          ? hc->make_bev(base, hc->make_arg)
	          : bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		return NULL;
	if (hc->n_pending == hc->cap_pending) {
		hc->cap_pending = hc->cap_pending ? hc->cap_pending * 2 : 16;
		hc->pending = xreallocarray(hc->pending, hc->cap_pending,
		                            sizeof(*hc->pending));
	}
	bufferevent_incref(bev);
	hc->pending[hc->n_pending++] = bev;
	event_active(hc->sweep, EV_TIMEOUT, 0);
	return bev;
}

/* http_conn_on_accept_error - accept(2) failed: pause, do not spin. */
static void
http_conn_on_accept_error(struct evconnlistener *l, void *arg)
{
	struct http_conn *hc = http_conn_gates;

	while (hc != NULL && hc->http != arg)
		hc = hc->next;
	if (hc == NULL)
		log_panic("http: accept error on a listener without a gate");
	accept_pause_trip(&hc->pause);
}

/* http_conn_watch_one - evhttp_foreach_bound_socket's step. */
static void
http_conn_watch_one(struct evhttp_bound_socket *bound, void *arg)
{
	struct http_conn *hc = arg;
	struct evconnlistener *l = evhttp_bound_socket_get_listener(bound);

	if (accept_pause_has(&hc->pause, l))
		return;
	evconnlistener_set_error_cb(l, http_conn_on_accept_error);
	accept_pause_add(&hc->pause, l);
}

struct http_conn *
http_conn_new(struct event_base *base, struct evhttp *http,
              const struct config *cfg, http_conn_bev_fn *make_bev, void *arg)
{
	struct http_conn *hc = xcalloc(1, sizeof(*hc));

	hc->base = base;
	hc->http = http;
	hc->cfg = cfg;
	hc->make_bev = make_bev;
	hc->make_arg = arg;
	hc->per_ip = peer_cap_new();
	hc->sweep = event_new(base, -1, 0, http_conn_on_sweep, hc);
	hc->proxies = proxy_read_set_new(base);
	accept_pause_init(&hc->pause, base, "http");
	evhttp_set_bevcb(http, http_conn_bev, hc);
	hc->next = http_conn_gates;
	http_conn_gates = hc;
	return hc;
}

void
http_conn_watch_close(struct evhttp_connection *evcon, http_conn_close_fn *fn,
                      void *arg)
{
	struct http_conn_peer *p = *http_conn_peer_link(evcon);

	if (p == NULL) {
		/* Not behind a gate (or not judged yet): evhttp's own slot. */
		evhttp_connection_set_closecb(evcon, fn, arg);
		return;
	}
	p->watch = fn;
	p->watch_arg = arg;
}

void
http_conn_watch_listeners(struct http_conn *hc)
{
	evhttp_foreach_bound_socket(hc->http, http_conn_watch_one, hc);
}

void
http_conn_reload(struct http_conn *hc, const struct config *cfg)
{
	hc->cfg = cfg;
}

/* http_conn_peer_of - evcon's record, or NULL (not behind a gate). */
static const struct http_conn_peer *
http_conn_peer_of(struct evhttp_connection *evcon)
{
	return *http_conn_peer_link(evcon);
}

void
http_conn_client(struct evhttp_connection *evcon, char *ip, size_t n,
                 uint16_t *port)
{
	const struct http_conn_peer *p = http_conn_peer_of(evcon);
	const char *host = NULL;
	ev_uint16_t pt = 0;

	if (p != NULL) {
		snprintf(ip, n, "%s", p->ip);
		*port = p->port;
		return;
	}
	evhttp_connection_get_peer(evcon, (char **)&host, &pt);
	snprintf(ip, n, "%s", host != NULL ? host : "?");
	*port = pt;
}

const struct sockaddr *
http_conn_client_addr(struct evhttp_connection *evcon)
{
	const struct http_conn_peer *p = http_conn_peer_of(evcon);

	if (p != NULL && p->proxied)
		return (const struct sockaddr *)&p->client;
	return evhttp_connection_get_addr(evcon);
}

void
http_conn_stats_get(const struct http_conn *hc, struct http_conn_stats *out)
{
	*out = hc->stats;
}

void
http_conn_free(struct http_conn *hc)
{
	struct http_conn **pp = &http_conn_gates;
	size_t i;

	if (hc == NULL)
		return;
	while (*pp != NULL && *pp != hc)
		pp = &(*pp)->next;
	if (*pp != NULL)
		*pp = hc->next;
	for (i = 0; i < hc->n_pending; i++)
		bufferevent_decref(hc->pending[i]);
	free(hc->pending);
	/* evhttp (freed first) closed their sockets: cancel, do not close. */
	proxy_read_set_free(hc->proxies, 0);
	for (i = 0; i < hc->n_waiting; i++)
		bufferevent_decref(hc->waiting[i]);
	free(hc->waiting);
	event_free(hc->sweep);
	accept_pause_fini(&hc->pause);
	peer_cap_free(hc->per_ip);
	free(hc);
}
