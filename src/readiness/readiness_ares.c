/*
 * readiness_ares.c - c-ares driven by libevent (see readiness_ares.h).
 *
 * c-ares says which sockets it wants watched (sock_state): each gets a
 * persistent libevent event for what it asks (read, write); an event
 * hands the socket back to ares_process_fd, and after every step the
 * timer is set to c-ares's next timeout.
 */
#include "readiness/readiness_ares.h"

#include <ares.h>
#include <event2/event.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"

#define ARES_WATCH_MAX 16

struct ares_watch {
	ares_socket_t fd;
	struct event *ev;
};

struct readiness_ares {
	struct event_base *base;
	ares_channel ch;
	struct event *timer;
	struct ares_watch w[ARES_WATCH_MAX];
	bool closing;
};

/* One lookup in flight. */
struct ares_ctx {
	struct readiness_ares *d;
	readiness_ares_fn *cb;
	void *arg;
};

/* timer_arm - wake when c-ares's next timeout is due. */
static void
timer_arm(struct readiness_ares *d)
{
	struct timeval tv, *t;

	if (d->closing)
		return;
	t = ares_timeout(d->ch, NULL, &tv);
	if (t == NULL)
		event_del(d->timer);
	else
		evtimer_add(d->timer, t);
}

/* on_timer - let c-ares expire what timed out. */
static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct readiness_ares *d = arg;

	(void)fd;
	(void)what;
	ares_process_fd(d->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	timer_arm(d);
}

/* on_io - a watched socket is ready. */
static void
on_io(evutil_socket_t fd, short what, void *arg)
{
	struct readiness_ares *d = arg;

	ares_process_fd(d->ch, (what & EV_READ) ? fd : ARES_SOCKET_BAD,
	                (what & EV_WRITE) ? fd : ARES_SOCKET_BAD);
	timer_arm(d);
}

/* sock_state - c-ares wants fd watched for reading / writing, or not. */
static void
sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct readiness_ares *d = data;
	struct ares_watch *w = NULL, *free_slot = NULL;
	size_t i;

	for (i = 0; i < ARES_WATCH_MAX; i++) {
		if (d->w[i].ev != NULL && d->w[i].fd == fd)
			w = &d->w[i];
		else if (d->w[i].ev == NULL && free_slot == NULL)
			free_slot = &d->w[i];
	}
	if (w != NULL) {
		event_free(w->ev);
		w->ev = NULL;
	}
	if ((!readable && !writable) || d->closing)
		return;
	if (w == NULL)
		w = free_slot;
	if (w == NULL)
		return; /* every slot taken: the timer still expires it */
	w->fd = fd;
	w->ev = event_new(d->base, fd,
	                  EV_PERSIST | (readable ? EV_READ : 0) |
	                      (writable ? EV_WRITE : 0),
	                  on_io, d);
	if (w->ev != NULL)
		event_add(w->ev, NULL);
}

struct readiness_ares *
readiness_ares_new(struct event_base *base, const char *servers,
                   long timeout_ms, char *err, size_t errlen)
{
	struct readiness_ares *d = xcalloc(1, sizeof(*d));
	struct ares_options o;
	int rc;

	rc = ares_library_init(ARES_LIB_INIT_ALL);
	if (rc != ARES_SUCCESS) {
		snprintf(err, errlen, "c-ares: %s", ares_strerror(rc));
		free(d);
		return NULL;
	}
	memset(&o, 0, sizeof(o));
	o.sock_state_cb = sock_state;
	o.sock_state_cb_data = d;
	o.timeout = timeout_ms > 0 ? (int)timeout_ms : 2000;
	o.tries = 2;
	o.flags = ARES_FLAG_NOSEARCH;
	rc = ares_init_options(&d->ch, &o,
	                       ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS |
	                           ARES_OPT_TRIES | ARES_OPT_FLAGS);
	if (rc != ARES_SUCCESS) {
		snprintf(err, errlen, "c-ares: %s", ares_strerror(rc));
		ares_library_cleanup();
		free(d);
		return NULL;
	}
	if (servers != NULL && servers[0] != '\0' &&
	    (rc = ares_set_servers_ports_csv(d->ch, servers)) != ARES_SUCCESS) {
		snprintf(err, errlen, "readiness.resolver %.100s: %s", servers,
		         ares_strerror(rc));
		ares_destroy(d->ch);
		ares_library_cleanup();
		free(d);
		return NULL;
	}
	d->base = base;
	d->timer = evtimer_new(base, on_timer, d);
	return d;
}

/* on_answer - c-ares's callback for one lookup. */
static void
on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct ares_ctx *c = arg;
	struct readiness_dns_answer *a;
	char why[160], perr[128];

	(void)timeouts;
	if (status == ARES_EDESTRUCTION || status == ARES_ECANCELLED ||
	    c->d->closing) {
		free(c);
		return;
	}
	if (status == ARES_ENODATA || status == ARES_ENOTFOUND) {
		c->cb(READINESS_DNS_NONE, NULL, NULL, c->arg);
		free(c);
		return;
	}
	if (status != ARES_SUCCESS) {
		snprintf(why, sizeof(why), "%s", ares_strerror(status));
		c->cb(READINESS_DNS_FAIL, NULL, why, c->arg);
		free(c);
		return;
	}
	a = xmalloc(sizeof(*a));
	if (readiness_dns_answer_parse(abuf, alen > 0 ? (size_t)alen : 0, a,
	                               perr, sizeof(perr)) != 0) {
		snprintf(why, sizeof(why), "malformed answer: %s", perr);
		c->cb(READINESS_DNS_FAIL, NULL, why, c->arg);
	} else {
		c->cb(READINESS_DNS_OK, a, NULL, c->arg);
	}
	free(a);
	free(c);
}

void
readiness_ares_query(struct readiness_ares *d, const char *name, int type,
                     readiness_ares_fn *cb, void *arg)
{
	struct ares_ctx *c = xmalloc(sizeof(*c));

	c->d = d;
	c->cb = cb;
	c->arg = arg;
	ares_query(d->ch, name, 1 /* IN */, type, on_answer, c);
	timer_arm(d);
}

void
readiness_ares_free(struct readiness_ares *d)
{
	size_t i;

	if (d == NULL)
		return;
	d->closing = true;
	ares_destroy(d->ch);
	for (i = 0; i < ARES_WATCH_MAX; i++)
		if (d->w[i].ev != NULL)
			event_free(d->w[i].ev);
	event_free(d->timer);
	ares_library_cleanup();
	free(d);
}
