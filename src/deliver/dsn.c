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
 * it carries, so it needs neither 8BITMIME nor SMTPUTF8 to travel
 * (unless the sender's own address is non-ASCII).
 *
 * XXX: message/global-delivery-status (RFC 6533) is not used: the spool
 * does not record whether the original came with SMTPUTF8, so the report
 * cannot know that its recipient takes one.
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
 * With xtext, for the ASCII-only message/delivery-status, every non-ASCII
 * character is written \x{HHHH} (RFC 6533 embedded-unicode-char), and so
 * are '\\', '+', '=' and blanks when addr (utf-8-addr-xtext).
 */
static void
dsn_add_text(struct buf *out, const char *s, size_t max, bool xtext, bool addr)
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
		if (xtext && (cp > 0x7e || (addr && strchr("\\+= ", (int)cp))))
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
 * characters (SMTPUTF8) "utf-8; " and the address as utf-8-addr-xtext
 * (RFC 6533 section 3), which message/delivery-status can carry.
 */
static void
dsn_add_addr(struct buf *out, const char *addr)
{
	if (dsn_ascii(addr, strlen(addr))) {
		buf_addstr(out, "rfc822; ");
		dsn_add_text(out, addr, 256, false, false);
		return;
	}
	buf_addstr(out, "utf-8; ");
	dsn_add_text(out, addr, 256, true, true);
}

/*
 * dsn_add_part - the part's headers and body: as it is when body is
 * ASCII (7bit), else declared UTF-8 (utf8_type) and quoted-printable, so
 * the report stays 7-bit whatever the relay offers.
 */
static void
dsn_add_part(struct buf *out, const char *ascii_type, const char *utf8_type,
             const struct buf *body)
{
	if (dsn_ascii(body->p, body->len)) {
		buf_printf(out, "Content-Type: %s\r\n\r\n", ascii_type);
		buf_add(out, body->p, body->len);
		return;
	}
	buf_printf(out,
	           "Content-Type: %s\r\n"
	           "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
	           utf8_type);
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
	             "text/plain; charset=utf-8", &part);

	/*
	 * Part 2: machine-readable status (RFC 3464 section 2), ASCII
	 * always: a non-ASCII address goes as the utf-8 address type in
	 * xtext form, non-ASCII diagnostic text as \x{HHHH} (RFC 6533).
	 */
	buf_printf(out, "--%s\r\n", boundary);
	buf_addstr(out, "Content-Type: message/delivery-status\r\n\r\n");
	buf_printf(out, "Reporting-MTA: dns; %s\r\n", info->reporting_mta);
	buf_printf(out, "X-Swerve-Queue-ID: %s\r\n", info->msg_id);
	buf_printf(out, "Arrival-Date: %s\r\n", arrival);
	for (i = 0; i < info->n_rcpts; i++) {
		const struct dsn_rcpt *r = &info->rcpts[i];
		const char *st = r->status ? r->status : "5.0.0";
		buf_addstr(out, "\r\nFinal-Recipient: ");
		dsn_add_addr(out, r->addr);
		buf_addstr(out, "\r\nOriginal-Recipient: ");
		dsn_add_addr(out, r->addr);
		buf_printf(out, "\r\nAction: %s\r\n",
		           st[0] == '5' || r->failed ? "failed" : "delayed");
		buf_addstr(out, "Status: ");
		dsn_add_text(out, st, 16, true, false);
		buf_addstr(out, "\r\n");
		if (r->remote_mta) {
			buf_addstr(out, "Remote-MTA: dns; ");
			dsn_add_text(out, r->remote_mta, 255, true, false);
			buf_addstr(out, "\r\n");
		}
		if (r->diagnostic) {
			buf_addstr(out, "Diagnostic-Code: smtp; ");
			dsn_add_text(out, r->diagnostic, 700, true, false);
			buf_addstr(out, "\r\n");
		}
		buf_printf(out, "Last-Attempt-Date: %s\r\n", date);
	}
	buf_addstr(out, "\r\n");

	/* Part 3: the original's headers; internationalised ones (RFC
	 * 6532) as message/global-headers (RFC 6533), quoted-printable. */
	buf_printf(out, "--%s\r\n", boundary);
	hlen = dsn_headers_end(info->original);
	part.len = 0;
	buf_add(&part, info->original.p, hlen);
	if (hlen < 2 || memcmp(info->original.p + hlen - 2, "\r\n", 2) != 0)
		buf_addstr(&part, "\r\n");
	dsn_add_part(out, "text/rfc822-headers", "message/global-headers",
	             &part);
	buf_fini(&part);
	buf_printf(out, "\r\n--%s--\r\n", boundary);
	return 0;
}
