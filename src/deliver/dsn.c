/*
 * dsn.c - build RFC 3464 delivery status notifications.
 *
 * The report carries only the original's header section, never its body:
 * enough for the sender to recognise the message without mailing large
 * attachments back. Values that came from the network (diagnostics,
 * addresses) are stripped of CR, LF and other controls so they cannot
 * inject header lines.
 */
#include "deliver/dsn.h"

#include <stdio.h>
#include <string.h>

#include "core/id.h"

bool
dsn_wanted(const char *sender)
{
	return sender != NULL && sender[0] != '\0';
}

/* dsn_add_clean - append s with control bytes replaced, capped at max. */
static void
dsn_add_clean(struct buf *out, const char *s, size_t max)
{
	size_t i;

	for (i = 0; i < max && s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];
		buf_addch(out, (c < 0x20 || c == 0x7f) ? ' ' : (char)c);
	}
}

/* dsn_date - RFC 5322 date of t in UTC. */
static void
dsn_date(char *dst, size_t len, time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(dst, len, "%a, %d %b %Y %H:%M:%S +0000", &tm);
}

/* dsn_headers_end - length of the header section of msg (up to the blank
 * line, exclusive), or all of msg when there is no body. */
static size_t
dsn_headers_end(struct str msg)
{
	size_t i;

	if (msg.len >= 2 && memcmp(msg.p, "\r\n", 2) == 0)
		return 0;
	for (i = 0; i + 3 < msg.len; i++)
		if (memcmp(msg.p + i, "\r\n\r\n", 4) == 0)
			return i + 2;
	return msg.len;
}

int
dsn_build(const struct dsn_info *info, struct buf *out)
{
	char date[64], arrival[64], boundary[64], id[ID_SIZE];
	size_t i, hlen;
	bool permanent = false;

	if (info->n_rcpts == 0 || !dsn_wanted(info->sender))
		return -1;
	for (i = 0; i < info->n_rcpts; i++)
		if (info->rcpts[i].failed ||
		    (info->rcpts[i].status && info->rcpts[i].status[0] == '5'))
			permanent = true;
	dsn_date(date, sizeof(date), info->now);
	dsn_date(arrival, sizeof(arrival), info->arrival);
	id_new(id);
	snprintf(boundary, sizeof(boundary), "=_swerve_dsn_%s", id);

	buf_printf(out, "From: Mail Delivery System <MAILER-DAEMON@%s>\r\n",
	           info->reporting_mta);
	buf_addstr(out, "To: <");
	dsn_add_clean(out, info->sender, 256);
	buf_addstr(out, ">\r\n");
	buf_printf(out, "Subject: %s\r\n",
	           permanent ? "Undelivered Mail Returned to Sender"
	                     : "Delayed Mail (still being retried)");
	buf_printf(out, "Date: %s\r\n", date);
	buf_printf(out, "Message-ID: <%s.dsn@%s>\r\n", id, info->reporting_mta);
	buf_addstr(out, "Auto-Submitted: auto-replied\r\n");
	buf_addstr(out, "MIME-Version: 1.0\r\n");
	buf_printf(
	    out,
	    "Content-Type: multipart/report; report-type=delivery-status;\r\n"
	    "\tboundary=\"%s\"\r\n\r\n",
	    boundary);
	buf_addstr(out, "This is a MIME-encapsulated message.\r\n\r\n");

	/* Part 1: for humans. */
	buf_printf(out, "--%s\r\n", boundary);
	buf_addstr(out, "Content-Type: text/plain; charset=us-ascii\r\n\r\n");
	buf_printf(out, "This is the mail system at host %s.\r\n\r\n",
	           info->reporting_mta);
	buf_printf(
	    out,
	    "Your message (queue id %s) could not be delivered to one or "
	    "more\r\nrecipients: ",
	    info->msg_id);
	dsn_add_clean(out, info->reason ? info->reason : "delivery failed",
	              200);
	buf_addstr(out, ".\r\n\r\n");
	for (i = 0; i < info->n_rcpts; i++) {
		buf_addstr(out, "<");
		dsn_add_clean(out, info->rcpts[i].addr, 256);
		buf_addstr(out, ">: ");
		dsn_add_clean(out,
		              info->rcpts[i].diagnostic
		                  ? info->rcpts[i].diagnostic
		              : info->rcpts[i].status ? info->rcpts[i].status
		                                      : "delivery failed",
		              700);
		buf_addstr(out, "\r\n");
	}
	buf_addstr(out, "\r\n");

	/* Part 2: machine-readable status (RFC 3464 section 2). */
	buf_printf(out, "--%s\r\n", boundary);
	buf_addstr(out, "Content-Type: message/delivery-status\r\n\r\n");
	buf_printf(out, "Reporting-MTA: dns; %s\r\n", info->reporting_mta);
	buf_printf(out, "X-Swerve-Queue-ID: %s\r\n", info->msg_id);
	buf_printf(out, "Arrival-Date: %s\r\n", arrival);
	for (i = 0; i < info->n_rcpts; i++) {
		const struct dsn_rcpt *r = &info->rcpts[i];
		const char *st = r->status ? r->status : "5.0.0";
		buf_addstr(out, "\r\nFinal-Recipient: rfc822; ");
		dsn_add_clean(out, r->addr, 256);
		buf_addstr(out, "\r\nOriginal-Recipient: rfc822; ");
		dsn_add_clean(out, r->addr, 256);
		buf_printf(out, "\r\nAction: %s\r\n",
		           st[0] == '5' || r->failed ? "failed" : "delayed");
		buf_addstr(out, "Status: ");
		dsn_add_clean(out, st, 16);
		buf_addstr(out, "\r\n");
		if (r->remote_mta) {
			buf_addstr(out, "Remote-MTA: dns; ");
			dsn_add_clean(out, r->remote_mta, 255);
			buf_addstr(out, "\r\n");
		}
		if (r->diagnostic) {
			buf_addstr(out, "Diagnostic-Code: smtp; ");
			dsn_add_clean(out, r->diagnostic, 700);
			buf_addstr(out, "\r\n");
		}
		buf_printf(out, "Last-Attempt-Date: %s\r\n", date);
	}
	buf_addstr(out, "\r\n");

	/* Part 3: the original's headers. */
	buf_printf(out, "--%s\r\n", boundary);
	buf_addstr(out, "Content-Type: text/rfc822-headers\r\n\r\n");
	hlen = dsn_headers_end(info->original);
	buf_add(out, info->original.p, hlen);
	if (hlen < 2 || memcmp(info->original.p + hlen - 2, "\r\n", 2) != 0)
		buf_addstr(out, "\r\n");
	buf_printf(out, "\r\n--%s--\r\n", boundary);
	return 0;
}
