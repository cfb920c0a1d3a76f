/*
 * drill_fault.h - what a drill simulates at a provider (contract).
 *
 * A fault is one of seven kinds, written as a word with an optional
 * duration:
 *
 *   outage       connection refused
 *   hang         no answer until the provider's connect timeout, before
 *                anything is sent: deferred, never unknown
 *   tempfail     SMTP 451 / HTTP 503: deferred
 *   throttle[:D] SMTP 454 / HTTP 429 with Retry-After D (default 30s)
 *   account      credentials refused / sending paused (SMTP 535 at AUTH,
 *                HTTP 401): config
 *   slow:D       every attempt is delayed by D, then really sent
 *   flap:D       D of outage, then D healthy, and so on
 *
 * drill_fault_answer() builds the simulated answer through the failure
 * policy (send/policy.h) from the facts a real provider of that type
 * would have given, so its class is the one a real failure of that
 * shape gets. It is never accepted, rejected or unknown. Pure functions:
 * no I/O, no clock (elapsed time is passed in).
 */
#ifndef SWERVE_DRILL_DRILL_FAULT_H
#define SWERVE_DRILL_DRILL_FAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "send/result.h"

enum drill_fault_kind {
	DRILL_FAULT_OUTAGE,
	DRILL_FAULT_HANG,
	DRILL_FAULT_TEMPFAIL,
	DRILL_FAULT_THROTTLE,
	DRILL_FAULT_ACCOUNT,
	DRILL_FAULT_SLOW,
	DRILL_FAULT_FLAP,
	DRILL_FAULT_KIND_COUNT,
};

struct drill_fault {
	enum drill_fault_kind kind;
	uint64_t param_ms; /* throttle: Retry-After; slow: delay; flap:
	                      half-period; else 0 */
};

#define DRILL_FAULT_TEXT_SIZE 40

/* drill_fault_kind_name - "outage", "hang", ... */
const char *drill_fault_kind_name(enum drill_fault_kind k);

/*
 * drill_fault_parse - s ("outage", "slow:2s", "flap:30s", ...) into out.
 * 0, or -1 with the reason in err. slow and flap need a duration
 * (100ms..1h); throttle takes one (1s..1h, default 30s); the others take
 * none.
 */
int drill_fault_parse(const char *s, struct drill_fault *out, char *err,
                      size_t errlen);

/* drill_fault_text - f as drill_fault_parse reads it, into out. */
void drill_fault_text(const struct drill_fault *f, char *out, size_t n);

/*
 * drill_fault_failing - does f make attempts fail elapsed_ms after the
 * drill began? (flap: during its outage halves; slow: never; the others:
 * always.)
 */
bool drill_fault_failing(const struct drill_fault *f, uint64_t elapsed_ms);

/*
 * drill_fault_answer - the simulated answer of a provider of type
 * ("smtp", "ses", "sendgrid", ...) to an attempt under f, and how long
 * it takes to come (*after_ms: hang waits timeout_ms, the provider's
 * connect timeout; the others answer at once). id names the drill in the
 * text. Only for a failing fault (not slow).
 */
void drill_fault_answer(const struct drill_fault *f, const char *type,
                        const char *id, uint64_t timeout_ms,
                        struct send_result *r, uint64_t *after_ms);

#endif
