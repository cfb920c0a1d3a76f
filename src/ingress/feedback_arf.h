/*
 * feedback_arf.h - abuse reports in the Abuse Reporting Format (RFC
 * 5965) that reach the bounce listener: the parser (contract).
 *
 * No verifier, as for DSNs: the report is believed because it came to a
 * VERP address whose mac verified (ingress/bounce.c). Pure: no I/O, no
 * logging.
 */
#ifndef SWERVE_INGRESS_FEEDBACK_ARF_H
#define SWERVE_INGRESS_FEEDBACK_ARF_H

#include <stddef.h>

#include "spool/feedback.h"

/*
 * feedback_arf_parse - the report body[0..len) (a whole message) into
 * *out[0..*n): one event per Original-Rcpt-To of its
 * message/feedback-report part, or, without one, for the single address
 * in the original message's To (as reports that redact the recipient
 * leave it), or one event with no recipient. Feedback-Type abuse, fraud
 * and virus -> complaint; not-spam, auth-failure, other and unknown
 * types -> other. provider_type "arf", provider_subtype the
 * Feedback-Type; provider_msg_id the original's Message-ID; diagnostic
 * names the type and the reporter (User-Agent, Reporting-MTA). event_id:
 * the report's Message-ID and the recipient. 0, or -1 with err (no
 * message/feedback-report part, or no Feedback-Type in it); the caller
 * frees *out.
 */
int feedback_arf_parse(const char *body, size_t len, const char *provider,
                       struct feedback_event **out, size_t *n, char *err,
                       size_t errlen);

#endif
