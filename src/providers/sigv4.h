/*
 * sigv4.h - AWS Signature Version 4: signing, parsing and verifying (contract).
 *
 * Pure functions over borrowed inputs (OpenSSL for SHA-256 and HMAC); no
 * I/O, no clock of their own (the caller passes "now"), no global state.
 * Covers what the SES adapters send (signing) and what the SES-compatible
 * ingress receives (parsing the Authorization header, verifying a request),
 * plus the SES SMTP password derived from a secret key.
 *
 * Canonical URI: the rules for every service except S3. The path given is
 * the path as it appears on the wire; dot segments and empty segments are
 * removed, then every byte outside A-Z a-z 0-9 - _ . ~ / is percent-encoded
 * (so an escape already on the wire is encoded a second time, as AWS
 * requires for non-S3 services).
 *
 * Canonical query: the raw query (without '?') is split on '&' and '=',
 * each name and value percent-decoded then re-encoded with the strict set
 * above, and the pairs sorted by name then value. '+' is a literal plus.
 *
 * Not done here: presigned URLs (query-string auth), chunked (streaming)
 * payload signing, S3 path rules, secret lookup (the caller maps the
 * access key id to a secret).
 */
#ifndef SWERVE_PROVIDERS_SIGV4_H
#define SWERVE_PROVIDERS_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/buf.h"

#define SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
#define SIGV4_KEY_LEN 32            /* raw signing key bytes */
#define SIGV4_HEX_LEN 64            /* hex SHA-256 / signature, without NUL */
#define SIGV4_AMZDATE_LEN 16        /* "YYYYMMDDTHHMMSSZ", without NUL */
#define SIGV4_SIGNED_MAX 64         /* most names accepted in SignedHeaders */
#define SIGV4_SMTP_PASSWORD_SIZE 48 /* base64 of 33 bytes is 44, plus NUL */
#define SIGV4_DEFAULT_SKEW_S 300    /* AWS accepts about +-5 minutes */

/* One header as given by the caller; both strings borrowed. */
struct sigv4_header {
	const char *name;  /* any case; compared case-insensitively */
	const char *value; /* raw value; trimmed and space runs collapsed */
};

/*
 * A request to sign or verify. All pointers borrowed for the call.
 * For signing, headers are exactly the headers to sign (at least Host and
 * X-Amz-Date; the caller adds them). For verifying, headers are all the
 * headers received; only those named in SignedHeaders are used.
 */
struct sigv4_request {
	const char *method; /* "POST" */
	const char *path;   /* wire path, e.g. "/v2/email/outbound-emails" */
	const char *query;  /* raw query without '?', or NULL / "" */
	const struct sigv4_header *headers;
	size_t n_headers;
	const void *body; /* may be NULL when body_len is 0 */
	size_t body_len;
};

/* Signing credentials and scope; all borrowed. */
struct sigv4_cred {
	const char *akid;          /* access key id */
	const char *secret;        /* secret access key */
	const char *session_token; /* NULL, or sent as X-Amz-Security-Token */
	const char *region;        /* "us-east-1" */
	const char *service;       /* "ses" */
};

/* A parsed Authorization header: views into the header value. */
struct sigv4_auth {
	struct str akid;
	struct str date; /* credential scope date, 8 digits */
	struct str region;
	struct str service;
	struct str signed_headers;          /* "content-type;host;x-amz-date" */
	struct str names[SIGV4_SIGNED_MAX]; /* each name of signed_headers */
	size_t n_signed;
	struct str signature; /* 64 lowercase hex digits */
};

/* Outcome of sigv4_request_verify; the names follow AWS error codes. */
enum sigv4_verdict {
	SIGV4_OK,
	SIGV4_MALFORMED, /* IncompleteSignature: missing date/header */
	SIGV4_SCOPE,     /* wrong region/service, or date != scope date */
	SIGV4_SKEWED,    /* RequestTimeTooSkewed: X-Amz-Date too far */
	SIGV4_MISMATCH,  /* SignatureDoesNotMatch */
};

/* sigv4_verdict_name - "ok", "malformed", "scope", "skewed", "mismatch". */
const char *sigv4_verdict_name(enum sigv4_verdict v);

/* sigv4_amzdate_format - write t (UTC) as "YYYYMMDDTHHMMSSZ" plus NUL. */
void sigv4_amzdate_format(char out[SIGV4_AMZDATE_LEN + 1], time_t t);

/*
 * sigv4_amzdate_parse - read a strict "YYYYMMDDTHHMMSSZ" of len bytes into
 * *t. Returns 0, or -1 if malformed or out of range.
 */
int sigv4_amzdate_parse(const char *s, size_t len, time_t *t);

/* sigv4_sha256_hex - lowercase hex SHA-256 of n bytes of p, plus NUL. */
void sigv4_sha256_hex(char out[SIGV4_HEX_LEN + 1], const void *p, size_t n);

/* sigv4_uri_path_append - append the canonical URI of a wire path to out. */
void sigv4_uri_path_append(struct buf *out, const char *path);

/* sigv4_query_append - append the canonical query string of query to out. */
void sigv4_query_append(struct buf *out, const char *query);

/*
 * sigv4_canonical_request - append the canonical request of req to out, and
 * the signed-headers list to signed_out (may be NULL). Every header of req
 * is signed. Returns 0, or -1 if a header name is empty or has bytes that
 * cannot appear in a header name.
 */
int sigv4_canonical_request(struct buf *out, struct buf *signed_out,
                            const struct sigv4_request *req);

/*
 * sigv4_string_to_sign - append the string to sign to out, from the
 * amzdate, the scope "date/region/service/aws4_request" and the hex
 * SHA-256 of the canonical request.
 */
void sigv4_string_to_sign(struct buf *out, const char *amzdate,
                          const char *scope, const char *canon_hash_hex);

/*
 * sigv4_signing_key - derive kSigning from the secret, the 8-digit date,
 * the region and the service (HMAC-SHA256 chain from "AWS4" + secret).
 */
void sigv4_signing_key(uint8_t key[SIGV4_KEY_LEN], const char *secret,
                       const char *datestamp, const char *region,
                       const char *service);

/*
 * sigv4_sign - sign req as cred at amzdate: append the Authorization header
 * value ("AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...")
 * to auth_out. The caller must have put the Host and X-Amz-Date headers
 * (and X-Amz-Security-Token when cred has one) in req, and send the same
 * headers and body. sig_out, if not NULL, receives the hex signature.
 * Returns 0, or -1 if req is unusable (see sigv4_canonical_request),
 * amzdate is malformed, or cred has a session token that req does not
 * carry as X-Amz-Security-Token.
 */
int sigv4_sign(struct buf *auth_out, char *sig_out,
               const struct sigv4_request *req, const struct sigv4_cred *cred,
               const char *amzdate);

/*
 * sigv4_auth_parse - parse an Authorization header value of len bytes into
 * out (views into value). Accepts "AWS4-HMAC-SHA256 Credential=AKID/date/
 * region/service/aws4_request, SignedHeaders=a;b, Signature=hex" with the
 * three parts in any order, separated by ',' and optional spaces. Returns 0,
 * or -1 with *why set to a static message.
 */
int sigv4_auth_parse(struct sigv4_auth *out, const char *value, size_t len,
                     const char **why);

/*
 * sigv4_request_verify - check a received request against its parsed
 * Authorization header and the secret of auth->akid: scope region and
 * service must equal region and service, the X-Amz-Date header must be
 * signed, well-formed, on the scope date and within max_skew_s seconds of
 * now, host must be signed, every signed header present, and the signature
 * must match (constant-time compare). An X-Amz-Content-Sha256 header, if
 * received, must equal the body's hash (UNSIGNED-PAYLOAD is refused).
 * req->headers are all the headers
 * received. *why, if not NULL, gets a static message on failure.
 */
enum sigv4_verdict sigv4_request_verify(const struct sigv4_request *req,
                                        const struct sigv4_auth *auth,
                                        const char *secret, const char *region,
                                        const char *service, time_t now,
                                        int max_skew_s, const char **why);

/*
 * sigv4_smtp_password - the Amazon SES SMTP password for a secret key in a
 * region: base64(0x04 || HMAC(kSigning(date "11111111", region, "ses"),
 * "SendRawEmail")), written NUL-terminated to out.
 */
void sigv4_smtp_password(char out[SIGV4_SMTP_PASSWORD_SIZE], const char *secret,
                         const char *region);

#endif
