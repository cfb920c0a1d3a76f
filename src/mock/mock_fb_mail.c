/*
 * mock_fb_mail.c - the reports a receiving MTA mails back to the envelope
 * sender: RFC 3464 delivery status notifications and RFC 5965 abuse
 * reports (see mock_fb.h).
 *
 * Pure: the report is built from the event and the original message's
 * header section, the way Postfix builds a DSN (a human-readable part,
 * the message/delivery-status part, the original's headers) and a
 * mailbox provider's feedback loop builds an ARF report. The report's
 * Message-ID names the mock's message, its event sequence and the
 * recipient's kind, so a resent report (after a 4xx) is the same report
 * and swerved stores it once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "mock/mock_fb.h"

#define MAIL_ORIG_MAX (32 * 1024) /* the original's headers kept */

/* mail_date - an RFC 5322 date of ms. */
static void
mail_date(int64_t ms, char out[64])
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&s, &tm);
	strftime(out, 64, "%a, %d %b %Y %H:%M:%S +0000", &tm);
}

/* mail_headers - append the header section of orig[0..len) with CRLF
 * line ends (at most MAIL_ORIG_MAX octets, cut at a line end). */
static void
mail_headers(struct buf *b, const char *orig, size_t len)
{
	size_t i = 0, start;

	while (i < len && b->len < MAIL_ORIG_MAX) {
		start = i;
		while (i < len && orig[i] != '\n')
			i++;
		if (i > start && orig[i - 1] == '\r')
			buf_add(b, orig + start, i - 1 - start);
		else
			buf_add(b, orig + start, i - start);
		if (i == start || (i == start + 1 && orig[start] == '\r'))
			break; /* the blank line: the end of the header */
		buf_addstr(b, "\r\n");
		i++;
	}
}

/* mail_dsn - a DSN about ev (kinds 1, 2, 4). */
static void
mail_dsn(struct buf *b, const struct mock_fb_event *ev, const char *to,
         const char *date, const char *orig, size_t len)
{
	const char *action = ev->kind == 4 ? "delayed" : "failed";
	const char *status = ev->kind == 1   ? "5.1.1"
	                     : ev->kind == 2 ? "4.2.2"
	                                     : "4.4.1";
	const char *diag = ev->kind == 1
	                       ? "550 5.1.1 Recipient address rejected: User "
	                         "unknown"
	                   : ev->kind == 2 ? "452 4.2.2 Mailbox full"
	                                   : "421 4.4.1 Connection timed out";

	buf_printf(b,
	           "From: MAILER-DAEMON@mock.invalid (Mail Delivery System)\r\n"
	           "To: %s\r\n"
	           "Subject: %s\r\n"
	           "Date: %s\r\n"
	           "Message-ID: <dsn-%s-%u-%d@mock.invalid>\r\n"
	           "Auto-Submitted: auto-replied\r\n"
	           "MIME-Version: 1.0\r\n"
	           "Content-Type: multipart/report; "
	           "report-type=delivery-status;\r\n"
	           "\tboundary=\"mock-dsn-%s\"\r\n\r\n"
	           "This is a MIME-encapsulated message.\r\n\r\n"
	           "--mock-dsn-%s\r\n"
	           "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
	           "%s\r\n\r\n<%s>: %s\r\n\r\n"
	           "--mock-dsn-%s\r\n"
	           "Content-Type: message/delivery-status\r\n\r\n"
	           "Reporting-MTA: dns; mock.invalid\r\n"
	           "Arrival-Date: %s\r\n\r\n"
	           "Final-Recipient: rfc822; %s\r\n"
	           "Original-Recipient: rfc822; %s\r\n"
	           "Action: %s\r\n"
	           "Status: %s\r\n"
	           "Remote-MTA: dns; mx.mock.invalid\r\n"
	           "Diagnostic-Code: smtp; %s\r\n\r\n"
	           "--mock-dsn-%s\r\n"
	           "Content-Type: text/rfc822-headers\r\n\r\n",
	           to,
	           ev->kind == 4 ? "Delayed Mail (still being retried)"
	                         : "Undelivered Mail Returned to Sender",
	           date, ev->msg_id, ev->seq, ev->kind, ev->msg_id, ev->msg_id,
	           ev->kind == 4
	               ? "Your message could not be delivered yet; it will "
	                 "be retried."
	               : "Your message could not be delivered to the "
	                 "recipient below.",
	           ev->rcpt, diag, ev->msg_id, date, ev->rcpt, ev->rcpt, action,
	           status, diag, ev->msg_id);
	mail_headers(b, orig, len);
	buf_printf(b, "\r\n--mock-dsn-%s--\r\n", ev->msg_id);
}

/* mail_arf - an abuse report about ev (kind 3). */
static void
mail_arf(struct buf *b, const struct mock_fb_event *ev, const char *to,
         const char *date, const char *orig, size_t len)
{
	buf_printf(b,
	           "From: fbl@mock.invalid\r\n"
	           "To: %s\r\n"
	           "Subject: Abuse report\r\n"
	           "Date: %s\r\n"
	           "Message-ID: <arf-%s-%u@mock.invalid>\r\n"
	           "MIME-Version: 1.0\r\n"
	           "Content-Type: multipart/report; "
	           "report-type=feedback-report;\r\n"
	           "\tboundary=\"mock-arf-%s\"\r\n\r\n"
	           "--mock-arf-%s\r\n"
	           "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
	           "This is an email abuse report for a message received "
	           "from you.\r\n\r\n"
	           "--mock-arf-%s\r\n"
	           "Content-Type: message/feedback-report\r\n\r\n"
	           "Feedback-Type: abuse\r\n"
	           "User-Agent: swerve-mock/1.0\r\n"
	           "Version: 1\r\n"
	           "Original-Mail-From: <%s>\r\n"
	           "Original-Rcpt-To: <%s>\r\n"
	           "Arrival-Date: %s\r\n"
	           "Reporting-MTA: dns; mock.invalid\r\n\r\n"
	           "--mock-arf-%s\r\n"
	           "Content-Type: text/rfc822-headers\r\n\r\n",
	           to, date, ev->msg_id, ev->seq, ev->msg_id, ev->msg_id,
	           ev->msg_id, to, ev->rcpt, date, ev->msg_id);
	mail_headers(b, orig, len);
	buf_printf(b, "\r\n--mock-arf-%s--\r\n", ev->msg_id);
}

char *
mock_fb_mail_report(const struct mock_fb_event *ev, const char *to,
                    const char *orig, size_t len)
{
	char date[64];
	struct buf b;

	if (ev->kind < 1 || ev->kind > 4)
		return NULL;
	mail_date(ev->at_ms, date);
	buf_init(&b);
	if (ev->kind == 3)
		mail_arf(&b, ev, to, date, orig, len);
	else
		mail_dsn(&b, ev, to, date, orig, len);
	return buf_steal(&b, NULL);
}
