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
 * folds it:
 *   Received: from <helo> (<ip>)\r\n\tby <by> (swerve) with <with>
 *   [id <id>];\r\n\t<date>\r\n
 */
void mime_header_received_add(struct buf *out, const struct mime_received *r);

#endif
