/*
 * mock_form.h - HTML form bodies for swerve-mock's fake Mailgun (contract).
 *
 * Parses multipart/form-data (RFC 7578) and application/x-www-form-urlencoded
 * request bodies into a list of fields, because evhttp parses neither. The
 * fake provider, not swerve, is the consumer: the parser is deliberately
 * small, strict about structure (CRLF delimiters, a closing delimiter, at
 * most MOCK_FORM_FIELDS_MAX parts of at most MOCK_FORM_HEADER_MAX header
 * bytes each) and never guesses. Not done: nested multipart/mixed parts
 * (RFC 2388's old form), RFC 5987 filename*= parameters, charsets.
 *
 * Ownership: multipart fields are views into the body passed in, valid as
 * long as that body; urlencoded fields are views into the (mutable) body,
 * which is decoded in place. The field array is owned by struct mock_form.
 */
#ifndef SWERVE_MOCK_MOCK_FORM_H
#define SWERVE_MOCK_MOCK_FORM_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

#define MOCK_FORM_FIELDS_MAX 1024
#define MOCK_FORM_HEADER_MAX 8192 /* header bytes of one multipart part */
#define MOCK_FORM_BOUNDARY_MAX 70 /* RFC 2046 */

struct mock_form_field {
	struct str name;     /* form field name ("to", "message", "h:X-Foo") */
	struct str filename; /* empty unless the part carried filename= */
	struct str ctype;    /* part Content-Type, empty if none */
	struct str value;    /* the bytes */
	bool is_file;        /* the part had a filename parameter */
};

struct mock_form {
	struct mock_form_field *f; /* owned array */
	size_t n;
	size_t cap;
};

/* mock_form_init - an empty field list (no allocation). */
void mock_form_init(struct mock_form *form);

/* mock_form_fini - release the field array (not the body). */
void mock_form_fini(struct mock_form *form);

/*
 * mock_form_boundary - the boundary parameter of a multipart Content-Type
 * value (quoted or not) as a view into ctype. Returns 0, or -1 with *why
 * set if ctype is not multipart/form-data or the boundary is missing,
 * empty, longer than MOCK_FORM_BOUNDARY_MAX or holds bytes RFC 2046
 * forbids.
 */
int mock_form_boundary(const char *ctype, struct str *boundary,
                       const char **why);

/*
 * mock_form_multipart_parse - split body (len bytes) at boundary into
 * fields appended to form. Every part needs a Content-Disposition:
 * form-data header with a name. Returns 0, or -1 with *why set to a static
 * reason (form may hold some fields then; mock_form_fini still applies).
 */
int mock_form_multipart_parse(const char *body, size_t len, struct str boundary,
                              struct mock_form *form, const char **why);

/*
 * mock_form_urlencoded_parse - decode "a=1&b=x%20y+z" in place ('+' is a
 * space, %XX a byte) and append the fields to form. body is modified.
 * Returns 0, or -1 with *why set for a bad escape or too many fields.
 */
int mock_form_urlencoded_parse(char *body, size_t len, struct mock_form *form,
                               const char **why);

/* mock_form_get - the first field called name, or NULL. */
const struct mock_form_field *mock_form_get(const struct mock_form *form,
                                            const char *name);

#endif
