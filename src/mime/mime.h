/*
 * mime.h - a pure MIME reader for whole RFC 5322 messages (contract).
 *
 * mime_parse() reads one complete message (as the spool stores it: CRLF
 * line ends; bare LF is tolerated) and returns a structured view that a
 * JSON provider adapter (SendGrid, Postmark, Resend) can be built from:
 * unfolded header fields, Subject and address fields decoded to UTF-8, the
 * body tree with transfer encodings undone, the text and HTML bodies in
 * UTF-8, the attachments, the custom header fields, and a verdict on
 * whether a JSON provider can carry the message without losing anything.
 *
 * No I/O, no logging, no global state. Malformed input never crashes the
 * parser and never yields a silently wrong result: what cannot be read
 * sets a flag in mime_msg.flags (and mime_msg.error names the first one),
 * and any flag makes mime_faithful_for_json() false, so the caller routes
 * the message to a raw-MIME provider instead.
 *
 * Ownership: everything reachable from a struct mime_msg (strings, decoded
 * bytes, arrays, parts) is owned by it and freed by mime_free(). Nothing
 * points into the caller's input buffer, which may be freed after
 * mime_parse() returns. Memory is bounded by a small multiple of the input
 * size; part, field, parameter and depth counts are capped (below).
 */
#ifndef SWERVE_MIME_MIME_H
#define SWERVE_MIME_MIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits; going past one sets MIME_F_LIMIT and the rest is not parsed. */
#define MIME_MAX_DEPTH 16    /* nesting of multipart entities */
#define MIME_MAX_PARTS 1000  /* entities in the whole message */
#define MIME_MAX_FIELDS 1000 /* header fields in one header section */
#define MIME_MAX_PARAMS 64   /* parameters of one Content-Type/-Disposition */
#define MIME_MAX_ADDRS 1000  /* addresses in one address field */

/* Problems found while parsing; each one makes the message unfaithful. */
enum mime_flag {
	MIME_F_HEADER = 1u << 0,     /* malformed header line or field */
	MIME_F_BOUNDARY = 1u << 1,   /* missing boundary / close delimiter */
	MIME_F_ENCODING = 1u << 2,   /* bad base64/QP or unknown CTE */
	MIME_F_CHARSET = 1u << 3,    /* bytes invalid in their charset */
	MIME_F_UNKNOWN_CS = 1u << 4, /* charset we cannot convert */
	MIME_F_DEPTH = 1u << 5,      /* nesting deeper than MIME_MAX_DEPTH */
	MIME_F_LIMIT = 1u << 6,      /* too many parts, fields or params */
	MIME_F_ADDRESS = 1u << 7,    /* unparsable address field */
	MIME_F_PARAM = 1u << 8,      /* malformed Content-Type parameters */
};

/* One header field, unfolded: CRLFs removed, outer blanks trimmed. */
struct mime_field {
	char *name;  /* as written (case kept) */
	char *value; /* raw, unfolded, not RFC 2047-decoded */
};

/* One address from an address-list; group members carry the group name. */
struct mime_addr {
	char *name;  /* display name, UTF-8, or NULL when there is none */
	char *addr;  /* addr-spec "local@domain" (CFWS removed) */
	char *group; /* group display name, UTF-8, or NULL */
};

/* One Content-Type or Content-Disposition parameter, RFC 2231-joined. */
struct mime_param {
	char *name;  /* lowercased, without "*" or "*N" */
	char *value; /* decoded to UTF-8 when it was RFC 2231/2047 encoded */
};

/* Content-Transfer-Encoding. */
enum mime_cte {
	MIME_CTE_7BIT,
	MIME_CTE_8BIT,
	MIME_CTE_BINARY,
	MIME_CTE_BASE64,
	MIME_CTE_QP,
	MIME_CTE_UNKNOWN,
};

/* One entity of the body tree. */
struct mime_part {
	struct mime_field *fields; /* this entity's header section */
	size_t nfields;
	char *type;    /* lowercased "type/subtype" (default "text/plain") */
	char *charset; /* lowercased charset parameter, or NULL */
	struct mime_param *params; /* Content-Type parameters */
	size_t nparams;
	char *disposition; /* lowercased "inline"/"attachment"/..., or NULL */
	struct mime_param *dparams; /* Content-Disposition parameters */
	size_t ndparams;
	char *filename;   /* disposition filename, else type name; or NULL */
	char *content_id; /* Content-ID without the angle brackets, or NULL */
	enum mime_cte cte;
	/* Leaves: the body with the transfer encoding undone (not charset
	 * converted), NUL-terminated (not counted). NULL for multiparts. */
	unsigned char *data;
	size_t len;
	/* text/plain and text/html leaves: data converted to UTF-8, or NULL
	 * when the charset is unknown or the bytes are invalid in it. */
	char *utf8;
	size_t utf8_len;
	unsigned cs_flags; /* why utf8 is NULL: MIME_F_CHARSET/_UNKNOWN_CS */
	struct mime_part **children; /* multipart only */
	size_t nchildren;
	int depth; /* 0 for the message itself */
};

/* An attachment (or inline part) as a JSON provider sends it. */
struct mime_attachment {
	const struct mime_part *part; /* borrowed from the same mime_msg */
	const char *filename;         /* may be NULL */
	const char *type;             /* "type/subtype" */
	const unsigned char *data;    /* decoded bytes */
	size_t len;
	const char *content_id; /* may be NULL */
	bool is_inline;         /* inline (related, or disposition inline) */
};

/* The whole message. */
struct mime_msg {
	struct mime_field *fields; /* top-level header section */
	size_t nfields;
	char *subject; /* UTF-8 decoded, or NULL when absent */
	struct mime_addr *from, *to, *cc, *reply_to;
	size_t nfrom, nto, ncc, nreply_to;
	bool groups; /* group syntax seen in an address field */
	struct mime_part *root;
	size_t nparts; /* entities in the tree, root included */

	/* The extraction for JSON providers (pointers into the tree). */
	const char *text; /* text/plain body in UTF-8, or NULL */
	size_t text_len;
	const char *html; /* text/html body in UTF-8, or NULL */
	size_t html_len;
	struct mime_attachment *attachments;
	size_t nattachments;
	/* Top-level fields a JSON provider must pass as custom headers:
	 * all but From, To, Cc, Bcc, Subject, Reply-To, MIME-Version and
	 * Content-Type/-Transfer-Encoding/-Disposition/-ID/-Description.
	 * Providers forbid some of these (Received, DKIM-Signature, ...);
	 * filtering those is the adapter's job. */
	const struct mime_field **custom;
	size_t ncustom;

	unsigned flags;         /* enum mime_flag bits */
	const char *error;      /* static text for the first flag, or NULL */
	const char *unfaithful; /* static reason, or NULL when faithful */
};

/*
 * mime_parse - parse the message msg[0..len) into a new mime_msg.
 * Never returns NULL and never fails outright: problems are reported in
 * ->flags / ->error and make the message unfaithful. The input is only
 * read and may be freed afterwards. Free the result with mime_free().
 */
struct mime_msg *mime_parse(const char *msg, size_t len);

/* mime_free - release m and everything it owns; NULL is a no-op. */
void mime_free(struct mime_msg *m);

/*
 * mime_faithful_for_json - true when a JSON provider can carry m without
 * losing content or structure. When false and reason is not NULL, *reason
 * is set to a static, human-readable explanation (e.g. "multipart/signed",
 * "body in an unknown charset"). Causes: any parse flag (reason is then
 * m->error); multipart/signed or encrypted; message/ parts of any subtype;
 * multipart subtypes other than mixed, alternative, related; alternatives
 * other than one text/plain and one text/html (the HTML may be related);
 * more than one text or HTML body; inline text parts after the body; a
 * related root that is not HTML; related parts without Content-ID;
 * multiparts nested in mixed after the body; attachments with Content-Type
 * parameters besides name and a utf-8/us-ascii charset; a body whose
 * charset is unknown or whose bytes are invalid in it; no text or HTML
 * body at all; a From field without exactly one address; group syntax in
 * address fields; a DKIM-Signature (rebuilding the message breaks it).
 * Not checked: format=flowed on the text body and per-part header fields
 * other than Content-* (e.g. X-Attachment-Id) are dropped silently.
 */
bool mime_faithful_for_json(const struct mime_msg *m, const char **reason);

/* mime_field_get - value of m's first top-level field name, or NULL. */
const char *mime_field_get(const struct mime_msg *m, const char *name);

/*
 * mime_addrs_parse - parse an RFC 5322 address-list s[0..n) (a field's
 * value, folded or not) into a new array *v of *nv addresses, which the
 * caller frees with mime_addrs_free(). Problems set MIME_F_ADDRESS in
 * *flags (the element is skipped, never guessed at); *groups is set when
 * group syntax was seen. s is only read.
 */
void mime_addrs_parse(const char *s, size_t n, struct mime_addr **v, size_t *nv,
                      bool *groups, unsigned *flags);

/* mime_addrs_free - release n addresses and the array; NULL is a no-op. */
void mime_addrs_free(struct mime_addr *v, size_t n);

/*
 * mime_utf8_char - the length (1..4) of the well-formed UTF-8 character at
 * p[0..n), its code point in *cp; 0 when p does not start with one (an
 * invalid or cut sequence, an overlong form, a surrogate, n == 0).
 */
size_t mime_utf8_char(const char *p, size_t n, uint32_t *cp);

/* mime_param_get - value of parameter name in params, or NULL. */
const char *mime_param_get(const struct mime_param *params, size_t n,
                           const char *name);

#endif
