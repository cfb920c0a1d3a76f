/*
 * readiness_ares.h - DNS lookups on the libevent loop through c-ares,
 * for failover readiness's checks (issue 18 item 4).
 *
 * One channel per daemon: its sockets are watched by libevent events
 * (c-ares's socket-state callback), its timeouts by one timer, so a
 * lookup never blocks the loop. The servers are the configured
 * readiness.resolver ("127.0.0.1:5353", several comma-separated) or,
 * without one, the system's (/etc/resolv.conf). Questions are asked as
 * given (no search list).
 *
 * Callbacks run on the loop, at most once per lookup, possibly from
 * inside readiness_ares_query when c-ares refuses at once (then with
 * READINESS_DNS_FAIL); never after readiness_ares_free. Loop thread only.
 */
#ifndef SWERVE_READINESS_READINESS_ARES_H
#define SWERVE_READINESS_READINESS_ARES_H

#include <stddef.h>

#include "readiness/readiness_check.h"
#include "readiness/readiness_dnsmsg.h"

struct event_base;
struct readiness_ares;

/* The outcome: a (READINESS_DNS_OK only) the answer read, why (FAIL
 * only) the reason ("timeout", "malformed answer: ..."); both borrowed
 * for the call. */
typedef void readiness_ares_fn(enum readiness_dns_status st,
                               const struct readiness_dns_answer *a,
                               const char *why, void *arg);

/*
 * readiness_ares_new - a channel on base: servers as above (NULL or "":
 * the system's), each try timeout_ms (0: 2000), two tries. NULL with
 * err when c-ares cannot start or the servers do not parse. Free with
 * readiness_ares_free.
 */
struct readiness_ares *readiness_ares_new(struct event_base *base,
                                          const char *servers, long timeout_ms,
                                          char *err, size_t errlen);

/* readiness_ares_query - ask name's records of type (class IN); cb(arg)
 * tells. */
void readiness_ares_query(struct readiness_ares *d, const char *name, int type,
                          readiness_ares_fn *cb, void *arg);

/* readiness_ares_free - cancel every lookup (their callbacks never run)
 * and free d. NULL is a no-op. */
void readiness_ares_free(struct readiness_ares *d);

#endif
