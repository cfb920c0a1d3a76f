/*
 * api_json.h - the native send API's JSON request decoder (contract).
 *
 * A pure function from the bytes of a POST /v1/messages (or
 * /v1/messages/batch) body to a struct api_msg that mime_build() turns
 * into a message, or to a precise error. No I/O, no logging, no global
 * state; safe to fuzz.
 *
 * Memory stays bounded by a small multiple of the input: before jansson
 * sees the bytes a pre-scan refuses nesting deeper than
 * API_JSON_DEPTH_MAX and arrays or objects with more than
 * API_JSON_ITEMS_MAX members; jansson then parses with
 * JSON_REJECT_DUPLICATES (and JSON_ALLOW_NUL, so that a NUL inside a
 * string is reported against its field instead of as bad JSON).
 *
 * The request object (every key optional unless marked):
 *   from*        "a@b.c" | "Name <a@b.c>" | {"email": .., "name": ..}
 *   to, cc, bcc  one address or an array of them (at least one recipient
 *                over the three)
 *   reply_to     one address or an array
 *   subject      string
 *   text, html   strings (at least one of them)
 *   headers      {"Name": "value", ...} custom header fields
 *   attachments  [{"filename", "content_type", "content" (base64),
 *                  "content_id" (inline part)}]
 *   stream       [a-z0-9_-]{1,64}, default "transactional"
 *   tags         {"key": "value"} strings, at most API_JSON_TAGS_MAX
 *                (meta.tags, each with its value)
 *   metadata     any JSON object, at most API_JSON_METADATA_MAX octets
 *                (meta.metadata)
 *   send_at      unix seconds (integer) or an RFC 3339 date-time
 *                string: send no earlier (meta.send_at; how far ahead
 *                is submit's rule, limits.max_schedule_ahead)
 *   sandbox      boolean: validate and record, never deliver
 *                (meta.sandbox)
 *   idempotency_key  1..255 printable ASCII
 *   template     {"name": NAME, "data": {...}}: subject, html and text
 *                are the tenant's template NAME (its active version)
 *                rendered with data, at submission (http_templates.h);
 *                subject, text and html are then refused here
 * Unknown keys are refused. CR, LF or NUL in any field that ends up in a
 * header (addresses, names, subject, header values, file names, content
 * types and ids, tags, stream, key) is refused naming the field; NUL in
 * text or html too.
 *
 * Ownership: a decoded api_msg owns everything it points to; free it with
 * api_msg_fini(). Nothing points into the input buffer.
 */
#ifndef SWERVE_INGRESS_API_JSON_H
#define SWERVE_INGRESS_API_JSON_H

#include <stddef.h>

#include "mime/mime_build.h"
#include "spool/msg_meta.h"

struct json_t;

#define API_JSON_DEPTH_MAX 16               /* nesting of arrays and objects */
#define API_JSON_ITEMS_MAX 1000             /* members of one array or object */
#define API_JSON_BATCH_MAX 500              /* messages in one batch */
#define API_JSON_RCPTS_MAX 1000             /* to + cc + bcc */
#define API_JSON_HEADERS_MAX 100            /* custom header fields */
#define API_JSON_ATTS_MAX 100               /* attachments and inline parts */
#define API_JSON_TAGS_MAX 32                /* tags */
#define API_JSON_METADATA_MAX 4096          /* metadata, as compact JSON */
#define API_JSON_KEY_MAX 255                /* idempotency key octets */
#define API_JSON_SEND_AT_MAX 253402300799LL /* 9999-12-31T23:59:59Z */

/*
 * An error for the client: HTTP status, a stable code ("invalid_json",
 * "invalid_field", "missing_field", "unknown_field", "too_large"), the
 * field as a path ("to[1]", "attachments[0].content") or "" when the
 * whole request is meant, and one sentence. Rendered by api_error_json().
 */
struct api_error {
	int http_status;
	char code[32];
	char field[96];
	char message[200];
};

/* One decoded message request. */
struct api_msg {
	struct mime_build_msg mail;  /* what the message shows */
	struct mime_build_addr *bcc; /* envelope only */
	size_t n_bcc;
	char *stream;            /* NULL: "transactional" */
	char *idempotency_key;   /* NULL when absent */
	struct msg_meta meta;    /* tags, metadata, send_at, sandbox, ... */
	char payload_sha256[65]; /* hex SHA-256 of the canonical JSON,
	                            idempotency_key left out; "" until
	                            api_msg_digest() (or a compat path) */
	struct json_t *payload;  /* the request object (a reference), kept
	                            for api_msg_digest(); NULL after it */
	char *template_name;     /* NULL: no template */
	struct json_t *template_data; /* a JSON object (a reference), or
	                                 NULL: {} */
};

/*
 * api_msg_digest - fill m->payload_sha256 from m->payload (the canonical
 * JSON: compact, keys sorted, idempotency_key left out) and drop the
 * reference. Only a request with an idempotency key needs it, so it is
 * computed then, not for every send. No-op when already filled or when
 * there is no payload; leaves it "" if the JSON cannot be serialised
 * (the caller then digests the envelope and message instead).
 */
void api_msg_digest(struct api_msg *m);

/*
 * api_json_msg_decode - decode one request object from buf[0..len) into
 * *out (zeroed first). Returns 0, or -1 with *err filled (then *out is
 * empty).
 */
int api_json_msg_decode(const char *buf, size_t len, struct api_msg *out,
                        struct api_error *err);

/* A decoded batch: item i is msgs[i] when errs[i].http_status == 0. */
struct api_batch {
	struct api_msg *msgs;
	struct api_error *errs;
	size_t n;
	size_t n_bad; /* items with an error */
};

/*
 * api_json_batch_decode - decode a batch: a JSON array of request objects
 * or {"messages": [...]}, 1..API_JSON_BATCH_MAX items. Returns 0 when the
 * envelope is sound (items may still carry errors: see n_bad), or -1
 * with *err filled when the whole body is unusable (then *out is empty).
 */
int api_json_batch_decode(const char *buf, size_t len, struct api_batch *out,
                          struct api_error *err);

/*
 * api_json_addr_parse - "a@b.c", "Name <a@b.c>" or "\"Name\" <a@b.c>"
 * into out (name may stay NULL). 0, or -1 when the address is not a
 * mailbox RFC 5321 allows (ASCII only) or the name holds CR, LF or NUL.
 * out's strings are the caller's to free.
 */
int api_json_addr_parse(const char *s, struct mime_build_addr *out);

/* api_error_set - fill *e (printf-style message). Returns -1. */
int api_error_set(struct api_error *e, int status, const char *code,
                  const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/*
 * api_error_json - {"error": {"code", "field", "message"}} as a new
 * NUL-terminated string (field omitted when empty). Caller frees it.
 */
char *api_error_json(const struct api_error *e);

/* api_msg_fini - free what m owns and zero it. NULL is a no-op. */
void api_msg_fini(struct api_msg *m);

/* api_batch_fini - free what b owns and zero it. NULL is a no-op. */
void api_batch_fini(struct api_batch *b);

#endif
