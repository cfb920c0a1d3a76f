/*
 * feedback_dsn.h - delivery status notifications (RFC 3464, RFC 6533)
 * that reach the bounce listener: the parser (contract).
 *
 * No verifier: a DSN is believed because it came to a VERP address
 * whose mac verified (deliver/verp.h, ingress/bounce.c), which also
 * names the message; the parser reads only the report. Pure: no I/O, no
 * logging.
 */
#ifndef SWERVE_INGRESS_FEEDBACK_DSN_H
#define SWERVE_INGRESS_FEEDBACK_DSN_H

#include <stddef.h>

#include "spool/feedback.h"

/*
 * feedback_dsn_parse - the report body[0..len) (a whole message: header
 * and body) into *out[0..*n), one event per per-recipient block of its
 * message/delivery-status or message/global-delivery-status part. The
 * recipient is Original-Recipient when given, else Final-Recipient;
 * Action failed -> hard bounce for a 5.x.x Status (or none), soft bounce
 * for 4.x.x; delayed -> delayed; delivered, relayed, expanded ->
 * delivered; others -> other. Status goes to enhanced, Diagnostic-Code
 * to diagnostic and its reply code to smtp_code, Action to
 * provider_type, Status to provider_subtype; provider_msg_id is the
 * original message's Message-ID when the report carries its headers.
 * event_id: the report's Message-ID and the recipient (see
 * feedback_report_event_id). 0, or -1 with err (no such part, or no
 * per-recipient block in it); the caller frees *out.
 */
int feedback_dsn_parse(const char *body, size_t len, const char *provider,
                       struct feedback_event **out, size_t *n, char *err,
                       size_t errlen);

#endif
