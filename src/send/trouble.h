/*
 * trouble.h - what an SMTP delivery outcome means (contract).
 *
 * The one place that turns "what happened" (a reply to some command, a
 * timeout, a refused connection, a TLS failure) into a result class from
 * send/result.h: the SMTP half of the failure policy (send/policy.h has
 * the rest). The SMTP client reports facts; it never decides. Pure
 * functions, table-driven; see the table in trouble.c and the rules in
 * docs/providers.md "Classification - SMTP".
 *
 * Summary: 2xx accepted; 454 "Throttling" throttled; 530/534/535/538,
 * "not verified", 5.7.x at MAIL, "relay" 5.7.x at RCPT, any 5xx at AUTH:
 * config; other 5xx at RCPT rejects that recipient; other 5xx at MAIL,
 * DATA or the dot rejects the message; 5xx before the session is up
 * (greeting, EHLO, STARTTLS), 421, other 4xx, refused, timeouts, TLS
 * failures: deferred; a timeout, lost connection or garbled reply after
 * the final dot: unknown.
 */
#ifndef SWERVE_SEND_TROUBLE_H
#define SWERVE_SEND_TROUBLE_H

#include <stdbool.h>
#include <stddef.h>

#include "send/fact.h"
#include "send/result.h"

/*
 * trouble_smtp_class - the class of one outcome. code, enhanced ("" or
 * NULL if none) and text (sanitised; NULL taken as "") matter only for
 * TROUBLE_REPLY. Sets *quota (may be NULL) when a throttling answer is
 * about a daily quota rather than a rate.
 */
enum send_class trouble_smtp_class(enum send_stage stage,
                                   enum trouble_kind kind, int code,
                                   const char *enhanced, const char *text,
                                   bool *quota);

/*
 * trouble_smtp_result - fill r for one outcome: class (as above), stage,
 * code, enhanced code, text (for a reply: its text; otherwise detail,
 * e.g. "connect: Connection refused"), and for a 2xx at the dot the
 * provider message id taken from the text. text and detail may be NULL.
 */
void trouble_smtp_result(struct send_result *r, enum send_stage stage,
                         enum trouble_kind kind, int code, const char *enhanced,
                         const char *text, const char *detail);

/*
 * trouble_probe_class - what the outcome of a probe (a session set up and
 * closed without mail) says about the provider: a 2xx reply (the session
 * came up) is SEND_ACCEPTED; a 5xx to AUTH is SEND_CONFIG (the account or
 * its credentials are refused); anything else is SEND_DEFERRED. A probe
 * carries no message, so none of the message rules apply.
 */
enum send_class trouble_probe_class(enum send_stage stage,
                                    enum trouble_kind kind, int code);

/*
 * trouble_probe_result - fill r for one probe outcome, as
 * trouble_smtp_result does for a delivery, with the class of
 * trouble_probe_class. Pass SEND_STAGE_NONE with the last reply when the
 * session came up.
 */
void trouble_probe_result(struct send_result *r, enum send_stage stage,
                          enum trouble_kind kind, int code,
                          const char *enhanced, const char *text,
                          const char *detail);

/*
 * trouble_smtp_msgid - find the queue id in the text of a 2xx reply to the
 * dot: "queued as X" (Postfix, SendGrid), "Ok X" (Amazon SES), "id=X"
 * (Exim). Writes it NUL-terminated into out (truncated to fit) and returns
 * true, or returns false and writes "".
 */
bool trouble_smtp_msgid(const char *text, char *out, size_t outsize);

/*
 * trouble_rcpts_pick - when no recipient was accepted, the index of the
 * recipient result that stands for the message: the first that is not
 * SEND_REJECTED (a transient or config reason: worth another provider),
 * else the first. n must be > 0.
 */
size_t trouble_rcpts_pick(const struct send_result *rcpts, size_t n);

#endif
