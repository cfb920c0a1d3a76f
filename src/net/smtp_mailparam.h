/*
 * smtp_mailparam.h - what a server's EHLO answer and a message's needs
 * make of the MAIL command's parameters (contract).
 *
 * A pure function: the SMTP client asks it once per transaction, and the
 * unit tests table every case. SIZE= (RFC 1870) when the server offers
 * SIZE; BODY=8BITMIME (RFC 6152) for a message with 8-bit octets when it
 * offers 8BITMIME; SMTPUTF8 (RFC 6531) for a message that needs it. A
 * message that needs SMTPUTF8 from a server without it cannot be sent
 * there at all; one with 8-bit octets for a server without 8BITMIME must
 * be sent in a 7-bit form (then ask again for that form).
 */
#ifndef SWERVE_NET_SMTP_MAILPARAM_H
#define SWERVE_NET_SMTP_MAILPARAM_H

#include <stdbool.h>
#include <stddef.h>

#include "net/smtp_reply.h"

/* Room for " SIZE=<20 digits> BODY=8BITMIME SMTPUTF8" and its NUL. */
#define SMTP_MAILPARAM_SIZE 64

enum smtp_mailparam_verdict {
	SMTP_MAILPARAM_OK,          /* send it; out holds the parameters */
	SMTP_MAILPARAM_DOWNGRADE,   /* 8-bit octets, no 8BITMIME */
	SMTP_MAILPARAM_NO_SMTPUTF8, /* it needs SMTPUTF8, not offered */
};

/*
 * smtp_mailparam_build - the verdict for a message of size octets that
 * needs SMTPUTF8 (smtputf8) and/or holds 8-bit octets (eightbit), given
 * the server's extensions e. On SMTP_MAILPARAM_OK writes the parameters
 * to append after "MAIL FROM:<...>" into out ("" or " SIZE=123
 * BODY=8BITMIME SMTPUTF8"); otherwise out is "".
 */
enum smtp_mailparam_verdict smtp_mailparam_build(const struct smtp_ehlo *e,
                                                 bool smtputf8, bool eightbit,
                                                 size_t size,
                                                 char out[SMTP_MAILPARAM_SIZE]);

#endif
