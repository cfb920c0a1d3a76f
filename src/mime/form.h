/*
 * form.h - HTML form request bodies: multipart/form-data and
 * application/x-www-form-urlencoded (contract).
 *
 * evhttp parses neither, and the provider-compatible endpoints need both
 * (Mailgun's API takes either; SES's v1 Query API is urlencoded), as does
 * swerve-mock's fake Mailgun. Pure functions over a buffer: no I/O, no
 * logging; safe to fuzz.
 *
 * Multipart (RFC 7578 over RFC 2046): the body is split at "--boundary"
 * delimiter lines, which must end in CRLF (transport padding of blanks
 * allowed); a preamble before the first delimiter and an epilogue after
 * the closing one are skipped. Each part needs a header section ending
 * in an empty line (at most FORM_PART_HEADER_MAX octets) with a
 * Content-Disposition: form-data field carrying name=; filename= and a
 * Content-Type field are kept; a folded header line (RFC 5322 2.2.3) is
 * read as one. Everything is bounded: at most FORM_FIELDS_MAX fields. Not
 * done: RFC 5987 filename*=, nested multipart/mixed parts, charsets,
 * backslash escapes inside quoted parameter values (kept as sent).
 *
 * Ownership: multipart fields are views into the body passed in, valid as
 * long as it; urlencoded fields are views into the body, which is decoded
 * in place. struct form owns only its array of fields.
 */
#ifndef SWERVE_MIME_FORM_H
#define SWERVE_MIME_FORM_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

#define FORM_FIELDS_MAX 1024      /* fields in one body */
#define FORM_PART_HEADER_MAX 8192 /* header octets of one part */
#define FORM_BOUNDARY_MAX 70      /* RFC 2046 */

/* One form field. */
struct form_field {
	struct str name;     /* "to", "h:X-Foo", "Message.Subject.Data" */
	struct str filename; /* multipart file parts only; else empty */
	struct str ctype;    /* the part's Content-Type; else empty */
	struct str value;    /* the bytes (decoded for urlencoded) */
	bool is_file;        /* the part had a filename parameter */
};

/* A list of fields in body order. */
struct form {
	struct form_field *f;
	size_t n, cap;
};

/* form_init - an empty list (no allocation). */
void form_init(struct form *fm);

/* form_fini - free the field array (never the body). NULL is a no-op. */
void form_fini(struct form *fm);

/*
 * form_boundary_get - the boundary parameter (quoted or not) of a
 * Content-Type value as a view into ctype. 0, or -1 with *why set when
 * ctype is not multipart/form-data or the boundary is missing, empty,
 * over FORM_BOUNDARY_MAX octets or holds bytes RFC 2046 forbids.
 */
int form_boundary_get(const char *ctype, struct str *boundary,
                      const char **why);

/*
 * form_multipart_parse - split body[0..len) at boundary and append its
 * fields to fm. 0, or -1 with *why set to a static reason (fm may then
 * hold some fields; form_fini still applies).
 */
int form_multipart_parse(const char *body, size_t len, struct str boundary,
                         struct form *fm, const char **why);

/*
 * form_urlencoded_parse - decode "a=1&b=x%20y+z" in place ('+' is a
 * space, %XX an octet) and append the fields to fm; empty pieces between
 * '&'s are skipped, a piece without '=' has an empty value. body is
 * modified. 0, or -1 with *why for a bad escape or too many fields.
 */
int form_urlencoded_parse(char *body, size_t len, struct form *fm,
                          const char **why);

/* form_field_get - the first field called name (exact), or NULL. */
const struct form_field *form_field_get(const struct form *fm,
                                        const char *name);

/* form_str_eq - does the view s hold exactly the C string lit? */
bool form_str_eq(struct str s, const char *lit);

#endif
