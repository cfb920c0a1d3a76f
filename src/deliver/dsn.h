/*
 * dsn.h - delivery status notifications (RFC 3464) (contract).
 *
 * A pure builder: given the original message's envelope, the recipients
 * that failed and why, it writes a complete multipart/report message
 * (RFC 6522) with a human-readable part, a message/delivery-status part
 * and the original headers (text/rfc822-headers). The caller spools it
 * with the null sender <> to the original envelope sender; a message
 * whose own sender is <> never gets a DSN (dsn_wanted says so).
 */
#ifndef SWERVE_DELIVER_DSN_H
#define SWERVE_DELIVER_DSN_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "core/buf.h"

struct dsn_rcpt {
	const char *addr;   /* the original recipient */
	const char *status; /* enhanced status, e.g. "5.1.1" or "4.4.7" */
	const char
	    *diagnostic; /* upstream reply text, sanitised; may be NULL */
	const char *remote_mta; /* provider host; may be NULL */
	bool failed;            /* final: Action failed even for a 4.x.x */
};

struct dsn_info {
	const char *reporting_mta; /* our hostname */
	const char *msg_id;        /* swerve's queue id */
	const char *sender;        /* original envelope sender (not "") */
	time_t arrival;            /* when we accepted the original */
	time_t now;                /* Date of the report */
	const char
	    *reason; /* one line for humans, e.g. "gave up after 5 days" */
	const struct dsn_rcpt *rcpts;
	size_t n_rcpts;
	struct str
	    original; /* the original message; only its headers are used */
};

/* dsn_wanted - false for the null sender (never answer a bounce). */
bool dsn_wanted(const char *sender);

/*
 * dsn_build - append the report to out (CRLF line ends, lines < 998
 * octets). Returns 0, or -1 if info is unusable (no recipients, no sender).
 */
int dsn_build(const struct dsn_info *info, struct buf *out);

#endif
