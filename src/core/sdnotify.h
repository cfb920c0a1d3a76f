/*
 * sdnotify.h - tell a service manager (systemd) how the daemon is doing
 * (contract).
 *
 * A thin layer over libsystemd's sd_notify(3): READY=1 once listening,
 * STOPPING=1 when a stop begins, a STATUS= line, and WATCHDOG=1 from a
 * loop timer when the manager asked for a watchdog (WATCHDOG_USEC, for
 * this process). Without NOTIFY_SOCKET every call does nothing, so the
 * daemon runs the same under a terminal or another supervisor. Loop
 * thread only; a failed notification is logged once, never fatal.
 */
#ifndef SWERVE_CORE_SDNOTIFY_H
#define SWERVE_CORE_SDNOTIFY_H

struct event_base;
struct sdnotify;

/*
 * sdnotify_new - start notifying. If the manager wants a watchdog, a
 * timer on base sends WATCHDOG=1 every half of WATCHDOG_USEC for as long
 * as the loop runs. Never returns NULL; free with sdnotify_free().
 */
struct sdnotify *sdnotify_new(struct event_base *base);

/* sdnotify_ready - READY=1: start-up is done, the listeners accept. */
void sdnotify_ready(struct sdnotify *n);

/* sdnotify_stopping - STOPPING=1 and status (borrowed; may be NULL). */
void sdnotify_stopping(struct sdnotify *n, const char *status);

/* sdnotify_free - stop the watchdog timer and free n. NULL is a no-op. */
void sdnotify_free(struct sdnotify *n);

#endif
