/*
 * header.h - small, pure helpers over a message's header section (contract).
 *
 * No I/O and no parsing of field bodies: these functions only find field
 * names in the header section of an RFC 5322 message and build the few
 * header lines ingress adds (Received, Message-ID, Date). Built lines end
 * with CRLF and are appended to a struct buf the caller owns.
 *
 * The header section is the lines before the first empty line. A line that
 * is neither a field ("name:" with printable name characters, optionally
 * followed by blanks before the colon) nor a continuation of one (starting
 * with a space or tab) also ends it: what follows is body, as Postfix
 * treats it. Lines may end with CRLF or a bare LF.
 */
#ifndef SWERVE_MIME_HEADER_H
#define SWERVE_MIME_HEADER_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "core/buf.h"

/* Room for an RFC 5322 date: "Tue, 04 Mar 2025 12:00:00 +0000" + NUL. */
#define MIME_DATE_SIZE 32

/*
 * mime_header_len - octets of msg's header section, including the empty
 * line that ends it when there is one; 0 when msg has no header section.
 */
size_t mime_header_len(const char *msg, size_t len);

/*
 * mime_header_has - true if the header section of msg has a field named
 * name (ASCII case-insensitive; folded continuation lines never match).
 */
bool mime_header_has(const char *msg, size_t len, const char *name);

/*
 * mime_header_field_next - the next field of the header section
 * msg[0..hlen) (hlen as mime_header_len() says) from *off: views into msg
 * of its name and of its value as written (after the colon, continuation
 * lines included, the last line end left out). *off moves past the field
 * and its continuation lines. Returns false when no field is left.
 */
bool mime_header_field_next(const char *msg, size_t hlen, size_t *off,
                            struct str *name, struct str *value);

/* mime_date_format - t as an RFC 5322 date-time in UTC into out. */
void mime_date_format(char out[MIME_DATE_SIZE], time_t t);

/* mime_header_date_add - append "Date: <t>\r\n" to out. */
void mime_header_date_add(struct buf *out, time_t t);

/*
 * mime_header_msgid_add - append "Message-ID: <local@host>\r\n" to out.
 * local should be unique (an id from id_new()); host is our hostname.
 */
void mime_header_msgid_add(struct buf *out, const char *local,
                           const char *host);

/* The longest msg-id we keep, angle brackets included (RFC 5322 sets no
 * bound; this one keeps a Message-ID field on one short line). */
#define MIME_MSGID_MAX 250

/*
 * mime_msgid_valid - true when p[0..n) is exactly one RFC 5322 msg-id,
 * "<" id-left "@" id-right ">" with nothing around it: id-left
 * dot-atom-text, id-right dot-atom-text or a [literal] (no comments, no
 * obsolete forms, no quoted strings; octets above 0x7f count as atext, as
 * RFC 6532 allows), 5..MIME_MSGID_MAX octets.
 */
bool mime_msgid_valid(const char *p, size_t n);

/*
 * mime_msgid_trim - the msg-id in a Message-ID field value p[0..n) as
 * written (blanks and folding around it allowed): *out is a view into p
 * without them. Returns mime_msgid_valid() of that view.
 */
bool mime_msgid_trim(const char *p, size_t n, struct str *out);

/* What goes into a Received field; pointers are borrowed. */
struct mime_received {
	const char *helo; /* the client's HELO/EHLO argument */
	const char *ip;   /* the client's address, numeric, no port */
	const char *by;   /* our hostname */
	const char *with; /* "ESMTP", "ESMTPS", "ESMTPA", "ESMTPSA", "SMTP" */
	const char *id;   /* message id, or NULL when not known yet */
	time_t t;         /* time of receipt */
};

/*
 * mime_header_received_add - append a Received field, folded as Postfix
 * folds it, the client's address as an RFC 5321 address literal
 * ([192.0.2.1], [IPv6:2001:db8::1]):
 *   Received: from <helo> ([<ip>])\r\n\tby <by> (swerve) with <with>
 *   [id <id>];\r\n\t<date>\r\n
 */
void mime_header_received_add(struct buf *out, const struct mime_received *r);

#endif
