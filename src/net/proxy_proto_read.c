/*
 * proxy_proto_read.c - a PROXY header read off a socket on the loop
 * (see proxy_proto_read.h).
 *
 * Each readable event peeks at what has arrived and asks the parser:
 * complete - exactly the header's octets are taken off the socket;
 * incomplete - every octet peeked is part of the header (the parser would
 * have found the end otherwise), so they are all taken, into the reader's
 * buffer, and the socket drains (a level-triggered event does not spin);
 * invalid - the caller hears why. Nothing past the header is ever taken.
 */
#include "net/proxy_proto_read.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <event2/event.h>

#include "core/log.h"
#include "core/xmalloc.h"

struct proxy_read {
	TAILQ_ENTRY(proxy_read) link;
	struct proxy_read_set *set;
	evutil_socket_t fd;
	struct event *ev;       /* readable */
	struct event *deadline; /* the whole header's time */
	proxy_read_done_fn *done;
	void *arg;
	int tag;
	struct sockaddr_storage peer;
	socklen_t peer_len;
	size_t have;
	uint8_t buf[PROXY_PROTO_MAX];
};

struct proxy_read_set {
	struct event_base *base;
	TAILQ_HEAD(proxy_read_list, proxy_read) readers;
	size_t n;
};

struct proxy_read_set *
proxy_read_set_new(struct event_base *base)
{
	struct proxy_read_set *set = xcalloc(1, sizeof(*set));

	set->base = base;
	TAILQ_INIT(&set->readers);
	return set;
}

/* proxy_read_finish - unlink and free r, then tell its owner. */
static void
proxy_read_finish(struct proxy_read *r, const struct proxy_proto_hdr *hdr,
                  const char *err)
{
	proxy_read_done_fn *done = r->done;
	void *arg = r->arg;
	evutil_socket_t fd = r->fd;
	struct sockaddr_storage client;
	socklen_t len = 0;
	int tag = r->tag;

	if (hdr != NULL && !hdr->local) {
		client = hdr->src;
		len = hdr->src_len;
	} else if (hdr != NULL) {
		client = r->peer;
		len = r->peer_len;
	}
	TAILQ_REMOVE(&r->set->readers, r, link);
	r->set->n--;
	event_free(r->ev);
	event_free(r->deadline);
	free(r);
	if (hdr != NULL)
		done(fd, (const struct sockaddr *)&client, len, NULL, arg, tag);
	else
		done(fd, NULL, 0, err, arg, tag);
}

/* proxy_read_on_event - readable, or the deadline passed. */
static void
proxy_read_on_event(evutil_socket_t fd, short what, void *arg)
{
	struct proxy_read *r = arg;
	struct proxy_proto_hdr hdr;
	char err[128];
	ssize_t n;
	int rc;

	if (what & EV_TIMEOUT) {
		proxy_read_finish(r, NULL, "PROXY header: timed out");
		return;
	}
	n = recv(fd, r->buf + r->have, sizeof(r->buf) - r->have, MSG_PEEK);
	if (n < 0 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		proxy_read_finish(r, NULL,
		                  n == 0 ? "PROXY header: connection closed"
		                         : "PROXY header: read failed");
		return;
	}
	rc = proxy_proto_parse(r->buf, r->have + (size_t)n, &hdr, err,
	                       sizeof(err));
	if (rc < 0) {
		proxy_read_finish(r, NULL, err);
		return;
	}
	/* Take the header's octets (all peeked ones while incomplete). */
	if (rc > 0)
		n = (ssize_t)((size_t)rc - r->have);
	if (recv(fd, r->buf + r->have, (size_t)n, 0) != n) {
		proxy_read_finish(r, NULL, "PROXY header: read failed");
		return;
	}
	r->have += (size_t)n;
	if (rc > 0)
		proxy_read_finish(r, &hdr, NULL);
	else if (r->have == sizeof(r->buf))
		proxy_read_finish(r, NULL, "PROXY header: too long");
}

void
proxy_read_start(struct proxy_read_set *set, evutil_socket_t fd,
                 const struct sockaddr *peer, socklen_t peer_len,
                 uint64_t timeout_ms, proxy_read_done_fn *done, void *arg,
                 int tag)
{
	struct proxy_read *r = xcalloc(1, sizeof(*r));
	struct timeval tv = {(time_t)(timeout_ms / 1000),
	                     (suseconds_t)(timeout_ms % 1000) * 1000};

	r->set = set;
	r->fd = fd;
	r->done = done;
	r->arg = arg;
	r->tag = tag;
	if (peer_len > sizeof(r->peer))
		peer_len = sizeof(r->peer);
	memcpy(&r->peer, peer, peer_len);
	r->peer_len = peer_len;
	r->ev = event_new(set->base, fd, EV_READ | EV_PERSIST,
	                  proxy_read_on_event, r);
	r->deadline = evtimer_new(set->base, proxy_read_on_event, r);
	if (r->ev == NULL || r->deadline == NULL)
		log_panic("proxy: cannot make an event");
	TAILQ_INSERT_TAIL(&set->readers, r, link);
	set->n++;
	evutil_make_socket_nonblocking(fd);
	event_add(r->ev, NULL);
	event_add(r->deadline, &tv);
}

size_t
proxy_read_waiting(const struct proxy_read_set *set)
{
	return set->n;
}

void
proxy_read_set_free(struct proxy_read_set *set, int close_fds)
{
	struct proxy_read *r;

	if (set == NULL)
		return;
	while ((r = TAILQ_FIRST(&set->readers)) != NULL) {
		TAILQ_REMOVE(&set->readers, r, link);
		event_free(r->ev);
		event_free(r->deadline);
		if (close_fds)
			evutil_closesocket(r->fd);
		free(r);
	}
	free(set);
}
