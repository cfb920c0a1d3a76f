/*
 * sdnotify.c - readiness, stopping and watchdog notifications for
 * systemd (Type=notify, WatchdogSec=).
 *
 * libsystemd does the protocol (NOTIFY_SOCKET, abstract or path unix
 * datagram socket, credentials); this file only decides when. The
 * watchdog ping runs on the loop, so a loop that hangs stops pinging and
 * the manager restarts the daemon, which is the point.
 */
#include "core/sdnotify.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "core/log.h"
#include "core/xmalloc.h"

struct sdnotify {
	struct event *watchdog; /* NULL without WATCHDOG_USEC */
	bool warned;            /* a failure was logged already */
};

/* sdnotify_send - one notification; a failure is logged once. */
static void
sdnotify_send(struct sdnotify *n, const char *state)
{
	int rc = sd_notify(0, state);

	if (rc < 0 && !n->warned) {
		n->warned = true;
		log_warn("sdnotify: cannot notify the service manager: %s",
		         strerror(-rc));
	}
}

/* sdnotify_on_watchdog - the loop is alive: tell the manager. */
static void
sdnotify_on_watchdog(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	sdnotify_send(arg, "WATCHDOG=1");
}

struct sdnotify *
sdnotify_new(struct event_base *base)
{
	struct sdnotify *n = xcalloc(1, sizeof(*n));
	uint64_t usec = 0;
	struct timeval tv;

	/* > 0 only when WATCHDOG_USEC is set (and WATCHDOG_PID is ours). */
	if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
		/* Half the interval, as sd_watchdog_enabled(3) advises. */
		usec /= 2;
		tv.tv_sec = (time_t)(usec / 1000000);
		tv.tv_usec = (suseconds_t)(usec % 1000000);
		n->watchdog =
		    event_new(base, -1, EV_PERSIST, sdnotify_on_watchdog, n);
		event_add(n->watchdog, &tv);
		log_info("sdnotify: watchdog ping every %llu ms",
		         (unsigned long long)(usec / 1000));
	}
	return n;
}

void
sdnotify_ready(struct sdnotify *n)
{
	sdnotify_send(n, "READY=1\nSTATUS=accepting mail");
	/* A first ping now: the manager's watchdog runs from start-up. */
	if (n->watchdog != NULL)
		sdnotify_send(n, "WATCHDOG=1");
}

void
sdnotify_stopping(struct sdnotify *n, const char *status)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "STOPPING=1%s%s", status ? "\nSTATUS=" : "",
	         status ? status : "");
	sdnotify_send(n, msg);
}

void
sdnotify_free(struct sdnotify *n)
{
	if (n == NULL)
		return;
	if (n->watchdog != NULL)
		event_free(n->watchdog);
	free(n);
}
