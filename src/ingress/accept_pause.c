/*
 * accept_pause.c - a short pause of a set of listeners after accept(2)
 * failed, so running out of descriptors costs 10 wake-ups a second, not
 * a spinning loop and a flooded log.
 */
#include "ingress/accept_pause.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "core/log.h"
#include "core/xmalloc.h"

/* accept_pause_on_timer - the pause is over: accept again. */
static void
accept_pause_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct accept_pause *ap = arg;
	size_t i;

	for (i = 0; i < ap->n_listeners; i++)
		evconnlistener_enable(ap->listeners[i]);
}

void
accept_pause_init(struct accept_pause *ap, struct event_base *base,
                  const char *who)
{
	ap->who = who;
	ap->timer = evtimer_new(base, accept_pause_on_timer, ap);
	ap->listeners = NULL;
	ap->n_listeners = 0;
}

void
accept_pause_add(struct accept_pause *ap, struct evconnlistener *l)
{
	ap->listeners = xreallocarray(ap->listeners, ap->n_listeners + 1,
	                              sizeof(*ap->listeners));
	ap->listeners[ap->n_listeners++] = l;
}

int
accept_pause_has(const struct accept_pause *ap, const struct evconnlistener *l)
{
	size_t i;

	for (i = 0; i < ap->n_listeners; i++)
		if (ap->listeners[i] == l)
			return 1;
	return 0;
}

void
accept_pause_trip(struct accept_pause *ap)
{
	struct timeval tv = {0, ACCEPT_PAUSE_MS * 1000};
	int err = EVUTIL_SOCKET_ERROR();
	size_t i;

	log_limited(LOG_LEVEL_WARN, "%s: accept: %s; pausing for 100 ms",
	            ap->who, evutil_socket_error_to_string(err));
	for (i = 0; i < ap->n_listeners; i++)
		evconnlistener_disable(ap->listeners[i]);
	evtimer_add(ap->timer, &tv);
}

void
accept_pause_fini(struct accept_pause *ap)
{
	if (ap->timer != NULL)
		event_free(ap->timer);
	free(ap->listeners);
	ap->timer = NULL;
	ap->listeners = NULL;
	ap->n_listeners = 0;
}
