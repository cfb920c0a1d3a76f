/*
 * dsn.c - build RFC 3464 delivery status notifications.
 *
 * The report carries only the original's header section, never its body:
 * enough for the sender to recognise the message without mailing large
 * attachments back. Values that came from the network (diagnostics,
 * addresses) are stripped of CR, LF and other controls so they cannot
 * inject header lines.
 *
 * Character sets: a report whose text is all ASCII is what it always
 * was (us-ascii, 7bit). Non-ASCII text (a UTF-8 recipient, an upstream's
 * reply) is never sent as 8-bit under us-ascii: the human-readable part
 * is declared charset=utf-8 and quoted-printable; message/delivery-status
 * stays ASCII (RFC 6533: the utf-8 address type in xtext form, \x{HHHH}
 * in diagnostics); internationalised original headers go as
 * message/global-headers, quoted-printable. The report is 7-bit whatever
 * it carries, so it needs neither 8BITMIME nor SMTPUTF8 to travel.
 *
 * A report to a sender whose address is not ASCII (it can only travel
 * with SMTPUTF8, hence 8BITMIME) is a global one (RFC 6533): UTF-8 text
 * in 8bit, message/global-delivery-status with utf-8-addr-unitext and
 * UTF-8 diagnostics, message/global-headers.
 *
 * XXX: an ASCII sender who submitted with SMTPUTF8 still gets the 7-bit
 * report: the spool does not record how a message was submitted.
 */
#include "deliver/dsn.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/id.h"
#include "mime/mime.h"
#include "mime/mime_build.h"

bool
dsn_wanted(const char *sender)
{
	return sender != NULL && sender[0] != '\0';
}

/*
 * dsn_add_text - append s, at most max octets of it, as text: control
 * characters become blanks; UTF-8 stays (cut only between characters),
 * other octets above 0x7f become '?', so that what is declared UTF-8 is.
 * With esc8, for the ASCII-only message/delivery-status, every non-ASCII
 * character is written \x{HHHH} (RFC 6533 embedded-unicode-char); with
 * addr, so are '\\', '+', '=' and blanks (utf-8-addr-xtext, or with
 * !esc8 utf-8-addr-unitext).
 */
static void
dsn_add_text(struct buf *out, const char *s, size_t max, bool esc8, bool addr)
{
	size_t i = 0, n = strlen(s), k;
	uint32_t cp;

	while (i < n) {
		k = mime_utf8_char(s + i, n - i, &cp);
		if (k == 0) {
			k = 1;
			cp = '?';
		}
		if (i + k > max)
			break;
		if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
			cp = (unsigned char)s[i] >= 0x80 ? '?' : ' ';
		if ((esc8 && cp > 0x7e) ||
		    (addr && cp < 0x80 && strchr("\\+= ", (int)cp)))
			buf_printf(out, "\\x{%04X}", (unsigned)cp);
		else if (cp < 0x80 || k == 1)
			buf_addch(out, (char)cp);
		else
			buf_add(out, s + i, k);
		i += k;
	}
}

/* dsn_add_clean - dsn_add_text for the human-readable part. */
static void
dsn_add_clean(struct buf *out, const char *s, size_t max)
{
	dsn_add_text(out, s, max, false, false);
}

/* dsn_ascii - true when s[0..n) is all ASCII. */
static bool
dsn_ascii(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return false;
	return true;
}

/*
 * dsn_add_addr - "rfc822; addr", or for an address with non-ASCII
 * characters (SMTPUTF8) "utf-8; " and the address (RFC 6533 section 3):
 * as utf-8-addr-xtext, which message/delivery-status can carry, or in a
 * global report (global) as utf-8-addr-unitext.
 */
static void
dsn_add_addr(struct buf *out, const char *addr, bool global)
{
	if (dsn_ascii(addr, strlen(addr))) {
		buf_addstr(out, "rfc822; ");
		dsn_add_text(out, addr, 256, false, false);
		return;
	}
	buf_addstr(out, "utf-8; ");
	dsn_add_text(out, addr, 256, !global, true);
}

/*
 * dsn_add_part - the part's headers and body: as it is when body is
 * ASCII (7bit), else as utf8_type: in 8bit when eight (a report that
 * travels with SMTPUTF8, hence 8BITMIME), else quoted-printable, so the
 * report stays 7-bit whatever the relay offers.
 */
static void
dsn_add_part(struct buf *out, const char *ascii_type, const char *utf8_type,
             const struct buf *body, bool eight)
{
	if (dsn_ascii(body->p, body->len)) {
		buf_printf(out, "Content-Type: %s\r\n\r\n", ascii_type);
		buf_add(out, body->p, body->len);
		return;
	}
	buf_printf(out,
	           "Content-Type: %s\r\nContent-Transfer-Encoding: %s\r\n\r\n",
	           utf8_type, eight ? "8bit" : "quoted-printable");
	if (eight) {
		buf_add(out, body->p, body->len);
		return;
	}
	mime_build_qp(out, body->p, body->len);
	/* The QP writer leaves the last line without its break. */
	if (out->len < 2 || memcmp(out->p + out->len - 2, "\r\n", 2) != 0)
		buf_addstr(out, "\r\n");
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
	struct buf part;
	size_t i, hlen;
	bool permanent = false, global;

	if (info->n_rcpts == 0 || !dsn_wanted(info->sender))
		return -1;
	/* A sender address that is not ASCII can only be reached with
	 * SMTPUTF8, so its system reads RFC 6533's global types. */
	global = !dsn_ascii(info->sender, strlen(info->sender));
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
	buf_init(&part);
	buf_printf(&part, "This is the mail system at host %s.\r\n\r\n",
	           info->reporting_mta);
	buf_printf(
	    &part,
	    "Your message (queue id %s) could not be delivered to one or "
	    "more\r\nrecipients: ",
	    info->msg_id);
	dsn_add_clean(&part, info->reason ? info->reason : "delivery failed",
	              200);
	buf_addstr(&part, ".\r\n\r\n");
	for (i = 0; i < info->n_rcpts; i++) {
		buf_addstr(&part, "<");
		dsn_add_clean(&part, info->rcpts[i].addr, 256);
		buf_addstr(&part, ">: ");
		dsn_add_clean(&part,
		              info->rcpts[i].diagnostic
		                  ? info->rcpts[i].diagnostic
		              : info->rcpts[i].status ? info->rcpts[i].status
		                                      : "delivery failed",
		              700);
		buf_addstr(&part, "\r\n");
	}
	buf_addstr(&part, "\r\n");
	dsn_add_part(out, "text/plain; charset=us-ascii",
	             "text/plain; charset=utf-8", &part, global);

	/*
	 * Part 2: machine-readable status (RFC 3464 section 2). ASCII in
	 * message/delivery-status: a non-ASCII address goes as the utf-8
	 * address type in xtext form, non-ASCII diagnostic text as \x{HHHH}
	 * (RFC 6533). A global report is message/global-delivery-status,
	 * UTF-8 as it is.
	 */
	buf_printf(out, "--%s\r\n", boundary);
	part.len = 0;
	buf_printf(&part, "Reporting-MTA: dns; %s\r\n", info->reporting_mta);
	buf_printf(&part, "X-Swerve-Queue-ID: %s\r\n", info->msg_id);
	buf_printf(&part, "Arrival-Date: %s\r\n", arrival);
	for (i = 0; i < info->n_rcpts; i++) {
		const struct dsn_rcpt *r = &info->rcpts[i];
		const char *st = r->status ? r->status : "5.0.0";
		buf_addstr(&part, "\r\nFinal-Recipient: ");
		dsn_add_addr(&part, r->addr, global);
		buf_addstr(&part, "\r\nOriginal-Recipient: ");
		dsn_add_addr(&part, r->addr, global);
		buf_printf(&part, "\r\nAction: %s\r\n",
		           st[0] == '5' || r->failed ? "failed" : "delayed");
		buf_addstr(&part, "Status: ");
		dsn_add_text(&part, st, 16, true, false);
		buf_addstr(&part, "\r\n");
		if (r->remote_mta) {
			buf_addstr(&part, "Remote-MTA: dns; ");
			dsn_add_text(&part, r->remote_mta, 255, true, false);
			buf_addstr(&part, "\r\n");
		}
		if (r->diagnostic) {
			buf_addstr(&part, "Diagnostic-Code: smtp; ");
			dsn_add_text(&part, r->diagnostic, 700, !global, false);
			buf_addstr(&part, "\r\n");
		}
		buf_printf(&part, "Last-Attempt-Date: %s\r\n", date);
	}
	buf_addstr(&part, "\r\n");
	dsn_add_part(out,
	             global ? "message/global-delivery-status"
	                    : "message/delivery-status",
	             "message/global-delivery-status", &part, global);

	/* Part 3: the original's headers; internationalised ones (RFC
	 * 6532) as message/global-headers (RFC 6533), quoted-printable. */
	buf_printf(out, "--%s\r\n", boundary);
	hlen = dsn_headers_end(info->original);
	part.len = 0;
	buf_add(&part, info->original.p, hlen);
	if (hlen < 2 || memcmp(info->original.p + hlen - 2, "\r\n", 2) != 0)
		buf_addstr(&part, "\r\n");
	dsn_add_part(out, "text/rfc822-headers", "message/global-headers",
	             &part, global);
	buf_fini(&part);
	buf_printf(out, "\r\n--%s--\r\n", boundary);
	return 0;
}
