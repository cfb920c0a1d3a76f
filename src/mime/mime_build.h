/*
 * mime_build.h - build an RFC 5322 / MIME message from a structured
 * request (contract).
 *
 * mime_build() turns a struct mime_build_msg (what an HTTP send API
 * carries: addresses, subject, text and HTML bodies, custom header fields,
 * attachments and inline parts) into the bytes of one message, with CRLF
 * line ends, ready for the spool. Pure: no I/O, no clock, no randomness
 * (the Date, the Message-ID's local part come in struct mime_build_opts),
 * so the output is a function of the input and can be tested byte for
 * byte.
 *
 * What comes out:
 *  - From, To, Cc, Reply-To, Subject, Date, Message-ID, MIME-Version, then
 *    the custom fields; non-ASCII text in RFC 2047 encoded-words (UTF-8,
 *    B), display names as atoms, quoted strings or encoded-words, long
 *    fields folded so lines stay under 78 octets where words allow and
 *    never over 998 (an ASCII word over 900 octets, a display name over
 *    256, go as encoded-words). Bcc never appears (it is envelope
 *    only). A custom Message-ID field (one msg-id, mime_msgid_valid)
 *    takes the place of the one the builder makes.
 *  - The body tree: text only -> text/plain; HTML only -> text/html; both
 *    -> multipart/alternative; inline parts (with a content_id) and HTML
 *    -> the HTML in multipart/related with them; attachments ->
 *    multipart/mixed around all of that. Inline parts without any HTML
 *    body are plain attachments with a Content-ID.
 *  - Text bodies in UTF-8: 7bit when ASCII with short lines, else
 *    quoted-printable; line ends normalised to CRLF. Attachments in base64
 *    with 76-column lines. Non-ASCII file names as RFC 2231 filename*.
 *  - Boundaries begin with "=_", which neither quoted-printable nor base64
 *    output can contain; 7bit text that contains "=_" is sent as
 *    quoted-printable, so no boundary can collide with content.
 *
 * The builder checks what it needs to stay well-formed (no CR, LF or NUL
 * in header-bound strings, custom field names, protected fields) and
 * refuses with a static reason; callers that validated earlier (api_json)
 * never see a refusal except through a bug.
 */
#ifndef SWERVE_MIME_MIME_BUILD_H
#define SWERVE_MIME_MIME_BUILD_H

#include <stddef.h>
#include <time.h>

#include "core/buf.h"

/*
 * Limits. A value (display name, subject, custom field) is folded and,
 * when it must be, encoded, whatever its length; the header section as
 * built may be at most MIME_BUILD_HEADER_MAX octets, which the submission
 * pipeline enforces (413), so no single value may be longer. The builder
 * enforces the per-value limits (api_json the same).
 */
#define MIME_BUILD_HEADER_MAX 65536                  /* header section */
#define MIME_BUILD_NAME_MAX MIME_BUILD_HEADER_MAX    /* display name */
#define MIME_BUILD_SUBJECT_MAX MIME_BUILD_HEADER_MAX /* subject */
#define MIME_BUILD_FIELD_MAX MIME_BUILD_HEADER_MAX   /* custom value */
#define MIME_BUILD_FILENAME_MAX 255                  /* file name octets */

/* An address: addr is "local@domain"; name (UTF-8) may be NULL. */
struct mime_build_addr {
	char *name;
	char *addr;
};

/* A custom header field; value is UTF-8 text (unstructured). */
struct mime_build_field {
	char *name;
	char *value;
};

/* An attachment, or an inline part when content_id is set. */
struct mime_build_att {
	char *filename;     /* UTF-8; may be NULL */
	char *content_type; /* lower-case "type/subtype"; NULL = octet-stream */
	char *content_id;   /* without angle brackets; may be NULL */
	unsigned char *data;
	size_t len;
};

/*
 * The message to build. Every pointer is owned by the struct and freed by
 * mime_build_msg_fini(). text and html are UTF-8, not NUL-terminated
 * necessarily (lengths given); NULL means absent.
 */
struct mime_build_msg {
	struct mime_build_addr from;
	struct mime_build_addr *to, *cc, *reply_to;
	size_t n_to, n_cc, n_reply_to;
	char *subject; /* may be NULL */
	char *text;
	size_t text_len;
	char *html;
	size_t html_len;
	struct mime_build_field *fields;
	size_t n_fields;
	struct mime_build_att *atts;
	size_t n_atts;
};

/* What the builder cannot invent by itself. Pointers are borrowed. */
struct mime_build_opts {
	const char *msgid_local; /* unique local part (id_new()); required */
	const char *hostname;    /* Message-ID's domain; NULL: From's domain */
	time_t date;             /* the Date field */
};

/*
 * mime_build - append the message m to out. Returns 0, or -1 with *why
 * set to a static reason (then out may hold a partial message: discard
 * it). m and o are only read.
 */
int mime_build(const struct mime_build_msg *m, const struct mime_build_opts *o,
               struct buf *out, const char **why);

/*
 * mime_build_field_check - may a request add the field name: value?
 * 0, or -1 with a static reason: a malformed name (RFC 5322 ftext, 1..76
 * octets), a field the builder writes itself (From, To, Date,
 * Content-*, ...), a value with CR, LF or NUL or too long, or a
 * Message-ID that is not one msg-id (blanks around it allowed).
 */
int mime_build_field_check(const char *name, const char *value,
                           const char **why);

/*
 * mime_build_qp - append p[0..n) to out as quoted-printable (RFC 2045):
 * line breaks (CR, LF, CRLF) become hard CRLFs, lines are cut with soft
 * breaks at 76 columns, "=" and every octet outside printable ASCII are
 * =XX, as are blanks before a line end. The output is 7-bit.
 */
void mime_build_qp(struct buf *out, const char *p, size_t n);

/* mime_build_msg_fini - free what m owns and zero it. NULL is a no-op. */
void mime_build_msg_fini(struct mime_build_msg *m);

#endif
