/*
 * smtp_mailparam.c - the MAIL command's parameters from the server's
 * extensions and the message's needs. Pure; see the contract.
 */
#include "net/smtp_mailparam.h"

#include <stdio.h>

enum smtp_mailparam_verdict
smtp_mailparam_build(const struct smtp_ehlo *e, bool smtputf8, bool eightbit,
                     size_t size, char out[SMTP_MAILPARAM_SIZE])
{
	char sz[32] = "";

	out[0] = '\0';
	/* SMTPUTF8 first: no 7-bit form helps an address or a header field
	 * in UTF-8 (RFC 6531 3.2). */
	if (smtputf8 && !e->smtputf8)
		return SMTP_MAILPARAM_NO_SMTPUTF8;
	if (eightbit && !e->eightbitmime)
		return SMTP_MAILPARAM_DOWNGRADE;
	if (e->size)
		snprintf(sz, sizeof(sz), " SIZE=%zu", size);
	snprintf(out, SMTP_MAILPARAM_SIZE, "%s%s%s", sz,
	         eightbit ? " BODY=8BITMIME" : "", smtputf8 ? " SMTPUTF8" : "");
	return SMTP_MAILPARAM_OK;
}
