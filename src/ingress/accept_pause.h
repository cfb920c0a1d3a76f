/*
 * accept_pause.h - stop accepting for a moment when accept(2) fails
 * (contract).
 *
 * An accept error (EMFILE, ENFILE, ENOBUFS) leaves the connection in the
 * listen queue, so the listener is readable again at once: without a
 * pause it spins on the same error, and logs it each time. The SMTP
 * server and the HTTP connection gate each embed one of these for their
 * listeners. Everything runs on the loop thread.
 */
#ifndef SWERVE_INGRESS_ACCEPT_PAUSE_H
#define SWERVE_INGRESS_ACCEPT_PAUSE_H

#include <stddef.h>

struct event;
struct event_base;
struct evconnlistener;

#define ACCEPT_PAUSE_MS 100 /* how long accepting stops after an error */

struct accept_pause {
	const char *who; /* log prefix ("smtpd", "http"); a literal */
	struct event *timer;
	struct evconnlistener **listeners; /* borrowed */
	size_t n_listeners;
};

/* accept_pause_init - no listeners yet; who must be a string literal. */
void accept_pause_init(struct accept_pause *ap, struct event_base *base,
                       const char *who);

/* accept_pause_add - l (borrowed, must outlive ap) pauses with the rest. */
void accept_pause_add(struct accept_pause *ap, struct evconnlistener *l);

/* accept_pause_has - whether l was added. */
int accept_pause_has(const struct accept_pause *ap,
                     const struct evconnlistener *l);

/*
 * accept_pause_trip - accept(2) just failed: log it (rate-limited) and
 * disable every listener for ACCEPT_PAUSE_MS.
 */
void accept_pause_trip(struct accept_pause *ap);

/* accept_pause_fini - release the timer (not the listeners). */
void accept_pause_fini(struct accept_pause *ap);

#endif
