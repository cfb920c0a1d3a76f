/*
 * sigv4.c - AWS Signature Version 4: signing, parsing and verifying.
 *
 * Builds the canonical request, string to sign and signing key exactly as
 * AWS's Signature Version 4 reference spells them, and runs the same code
 * backwards for the SES-compatible ingress: parse the Authorization header,
 * rebuild the canonical request from the SignedHeaders names, compare in
 * constant time. Also the SES SMTP password (the algorithm AWS publishes for
 * SES SMTP credentials).
 *
 * Does not: look up secrets, read the clock, touch the network, handle
 * presigned URLs or chunked payload signing. Everything is borrowed; the
 * only allocations are scratch buffers freed before returning.
 */
#include "providers/sigv4.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "core/base64.h"
#include "core/xmalloc.h"

static const char sigv4_hexdigits[] = "0123456789abcdef";

/* sigv4_verdict_name - "ok", "malformed", "scope", "skewed", "mismatch". */
const char *
sigv4_verdict_name(enum sigv4_verdict v)
{
	switch (v) {
	case SIGV4_OK:
		return "ok";
	case SIGV4_MALFORMED:
		return "malformed";
	case SIGV4_SCOPE:
		return "scope";
	case SIGV4_SKEWED:
		return "skewed";
	case SIGV4_MISMATCH:
		return "mismatch";
	}
	return "?";
}

/* sigv4_hex - lowercase hex of n bytes into out (2n chars plus NUL). */
static void
sigv4_hex(char *out, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = sigv4_hexdigits[p[i] >> 4];
		out[2 * i + 1] = sigv4_hexdigits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* sigv4_hmac - HMAC-SHA256 of msg under key into out (32 bytes). */
static void
sigv4_hmac(uint8_t out[SIGV4_KEY_LEN], const void *key, size_t key_len,
           const void *msg, size_t msg_len)
{
	unsigned int len = SIGV4_KEY_LEN;

	if (HMAC(EVP_sha256(), key, (int)key_len, msg, msg_len, out, &len) ==
	    NULL)
		abort();
}

/* sigv4_sha256_hex - lowercase hex SHA-256 of n bytes of p, plus NUL. */
void
sigv4_sha256_hex(char out[SIGV4_HEX_LEN + 1], const void *p, size_t n)
{
	uint8_t md[SHA256_DIGEST_LENGTH];

	SHA256(n > 0 ? p : (const void *)"", n, md);
	sigv4_hex(out, md, sizeof(md));
}

/* sigv4_amzdate_format - write t (UTC) as "YYYYMMDDTHHMMSSZ" plus NUL. */
void
sigv4_amzdate_format(char out[SIGV4_AMZDATE_LEN + 1], time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, SIGV4_AMZDATE_LEN + 1, "%Y%m%dT%H%M%SZ", &tm);
}

/* sigv4_digits - value of n ASCII digits at s, or -1 if any is not one. */
static int
sigv4_digits(const char *s, size_t n)
{
	int v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* sigv4_amzdate_parse - strict "YYYYMMDDTHHMMSSZ" to a UTC time_t. */
int
sigv4_amzdate_parse(const char *s, size_t len, time_t *t)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30,
	                            31, 31, 30, 31, 30, 31};
	struct tm tm;
	int y, mo, d, h, mi, se;

	if (len != SIGV4_AMZDATE_LEN || s[8] != 'T' || s[15] != 'Z')
		return -1;
	y = sigv4_digits(s, 4);
	mo = sigv4_digits(s + 4, 2);
	d = sigv4_digits(s + 6, 2);
	h = sigv4_digits(s + 9, 2);
	mi = sigv4_digits(s + 11, 2);
	se = sigv4_digits(s + 13, 2);
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 60)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	*t = timegm(&tm);
	return 0;
}

/* sigv4_unreserved - byte kept as is by the AWS URI encoding. */
static bool
sigv4_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
	       c == '~';
}

/* sigv4_encode_append - percent-encode n bytes (uppercase hex) onto out. */
static void
sigv4_encode_append(struct buf *out, const char *p, size_t n, bool keep_slash)
{
	static const char up[] = "0123456789ABCDEF";
	unsigned char c;
	size_t i;

	for (i = 0; i < n; i++) {
		c = (unsigned char)p[i];
		if (sigv4_unreserved(c) || (keep_slash && c == '/')) {
			buf_addch(out, (char)c);
		} else {
			buf_addch(out, '%');
			buf_addch(out, up[c >> 4]);
			buf_addch(out, up[c & 15]);
		}
	}
}

/* sigv4_uri_path_append - canonical URI: normalized, segment-encoded. */
void
sigv4_uri_path_append(struct buf *out, const char *path)
{
	struct str *segs;
	size_t n = 0, cap, i, plen;
	const char *p, *end, *e;
	bool trailing;

	if (path == NULL || path[0] == '\0') {
		buf_addch(out, '/');
		return;
	}
	plen = strlen(path);
	cap = plen / 2 + 2;
	segs = xcalloc(cap, sizeof(*segs));
	trailing = path[plen - 1] == '/';
	p = path;
	end = path + plen;
	while (p < end) {
		e = memchr(p, '/', (size_t)(end - p));
		if (e == NULL)
			e = end;
		if (e - p == 0 || (e - p == 1 && p[0] == '.')) {
			/* empty or "." segment: dropped */
		} else if (e - p == 2 && p[0] == '.' && p[1] == '.') {
			if (n > 0)
				n--;
		} else {
			segs[n].p = p;
			segs[n].len = (size_t)(e - p);
			n++;
		}
		p = e + 1;
	}
	buf_addch(out, '/');
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_addch(out, '/');
		sigv4_encode_append(out, segs[i].p, segs[i].len, false);
	}
	if (n > 0 && trailing)
		buf_addch(out, '/');
	free(segs);
}

/* sigv4_hexval - value of a hex digit, or -1. */
static int
sigv4_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* sigv4_decode_encode - percent-decode n bytes then strictly re-encode. */
static void
sigv4_decode_encode(struct buf *out, const char *p, size_t n)
{
	struct buf raw;
	size_t i;
	int hi, lo;

	buf_init(&raw);
	for (i = 0; i < n; i++) {
		if (p[i] == '%' && i + 2 < n &&
		    (hi = sigv4_hexval(p[i + 1])) >= 0 &&
		    (lo = sigv4_hexval(p[i + 2])) >= 0) {
			buf_addch(&raw, (char)(hi << 4 | lo));
			i += 2;
		} else {
			buf_addch(&raw, p[i]);
		}
	}
	sigv4_encode_append(out, raw.p, raw.len, false);
	buf_fini(&raw);
}

struct sigv4_qpair {
	char *name; /* canonical (encoded) name; owned */
	char *value;
};

/* sigv4_qpair_cmp - order pairs by name, then value (byte order). */
static int
sigv4_qpair_cmp(const void *a, const void *b)
{
	const struct sigv4_qpair *x = a, *y = b;
	int r = strcmp(x->name, y->name);

	return r != 0 ? r : strcmp(x->value, y->value);
}

/* sigv4_query_append - canonical query: decoded, re-encoded, sorted. */
void
sigv4_query_append(struct buf *out, const char *query)
{
	struct sigv4_qpair *pairs;
	struct buf tmp;
	size_t n = 0, cap = 1, i;
	const char *p, *end, *e, *eq;

	if (query == NULL || query[0] == '\0')
		return;
	for (p = query; *p != '\0'; p++)
		cap += *p == '&';
	pairs = xcalloc(cap, sizeof(*pairs));
	p = query;
	end = query + strlen(query);
	while (p <= end) {
		e = memchr(p, '&', (size_t)(end - p));
		if (e == NULL)
			e = end;
		if (e > p) {
			eq = memchr(p, '=', (size_t)(e - p));
			buf_init(&tmp);
			sigv4_decode_encode(&tmp, p,
			                    (size_t)((eq ? eq : e) - p));
			pairs[n].name = xstrdup(buf_cstr(&tmp));
			buf_fini(&tmp);
			if (eq != NULL)
				sigv4_decode_encode(&tmp, eq + 1,
				                    (size_t)(e - eq - 1));
			pairs[n].value = xstrdup(buf_cstr(&tmp));
			buf_fini(&tmp);
			n++;
		}
		p = e + 1;
	}
	qsort(pairs, n, sizeof(*pairs), sigv4_qpair_cmp);
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_addch(out, '&');
		buf_addstr(out, pairs[i].name);
		buf_addch(out, '=');
		buf_addstr(out, pairs[i].value);
		free(pairs[i].name);
		free(pairs[i].value);
	}
	free(pairs);
}

/* sigv4_tchar - byte allowed in an HTTP header name (RFC 9110 token). */
static bool
sigv4_tchar(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c));
}

/* sigv4_str_cmp - order two views bytewise, shorter first on a tie. */
static int
sigv4_str_cmp(const void *a, const void *b)
{
	const struct str *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int r = memcmp(x->p, y->p, n);

	if (r != 0)
		return r;
	return x->len < y->len ? -1 : x->len > y->len;
}

/* sigv4_value_append - value trimmed, whitespace runs collapsed to one. */
static void
sigv4_value_append(struct buf *out, const char *v)
{
	bool space = false, any = false;

	for (; *v != '\0'; v++) {
		if (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n') {
			space = any;
			continue;
		}
		if (space)
			buf_addch(out, ' ');
		space = false;
		any = true;
		buf_addch(out, *v);
	}
}

/*
 * sigv4_canon_build - the canonical request over the headers whose names
 * are in names (lowercase, sorted, unique). Returns 0, or -1 if a name
 * has no header in req.
 */
static int
sigv4_canon_build(struct buf *out, struct buf *signed_out,
                  const struct sigv4_request *req, const struct str *names,
                  size_t n_names)
{
	char hash[SIGV4_HEX_LEN + 1];
	size_t i, j;
	bool found;

	buf_addstr(out, req->method);
	buf_addch(out, '\n');
	sigv4_uri_path_append(out, req->path);
	buf_addch(out, '\n');
	sigv4_query_append(out, req->query);
	buf_addch(out, '\n');
	for (i = 0; i < n_names; i++) {
		buf_add(out, names[i].p, names[i].len);
		buf_addch(out, ':');
		found = false;
		for (j = 0; j < req->n_headers; j++) {
			if (!str_eq_nocase(names[i], req->headers[j].name))
				continue;
			if (found)
				buf_addch(out, ',');
			found = true;
			sigv4_value_append(out, req->headers[j].value);
		}
		if (!found)
			return -1;
		buf_addch(out, '\n');
	}
	buf_addch(out, '\n');
	for (i = 0; i < n_names; i++) {
		if (i > 0) {
			buf_addch(out, ';');
			if (signed_out != NULL)
				buf_addch(signed_out, ';');
		}
		buf_add(out, names[i].p, names[i].len);
		if (signed_out != NULL)
			buf_add(signed_out, names[i].p, names[i].len);
	}
	buf_addch(out, '\n');
	sigv4_sha256_hex(hash, req->body, req->body_len);
	buf_addstr(out, hash);
	return 0;
}

/* sigv4_canonical_request - canonical request signing every header. */
int
sigv4_canonical_request(struct buf *out, struct buf *signed_out,
                        const struct sigv4_request *req)
{
	struct str *names;
	struct buf low;
	size_t i, n = 0, len;
	const char *h;
	char *base;
	int rc = -1;

	names = xcalloc(req->n_headers + 1, sizeof(*names));
	buf_init(&low);
	for (i = 0; i < req->n_headers; i++) {
		h = req->headers[i].name;
		if (h == NULL || h[0] == '\0' || req->headers[i].value == NULL)
			goto fail;
		for (; *h != '\0'; h++) {
			if (!sigv4_tchar((unsigned char)*h))
				goto fail;
			buf_addch(&low, (*h >= 'A' && *h <= 'Z')
			                    ? (char)(*h + 32)
			                    : *h);
		}
		buf_addch(&low, '\0');
	}
	/* names point into low, which no longer grows */
	base = low.p;
	for (i = 0; i < req->n_headers; i++) {
		len = strlen(base);
		names[i].p = base;
		names[i].len = len;
		base += len + 1;
	}
	qsort(names, req->n_headers, sizeof(*names), sigv4_str_cmp);
	for (i = 0; i < req->n_headers; i++)
		if (n == 0 || sigv4_str_cmp(&names[n - 1], &names[i]) != 0)
			names[n++] = names[i];
	rc = sigv4_canon_build(out, signed_out, req, names, n);
fail:
	buf_fini(&low);
	free(names);
	return rc;
}

/* sigv4_string_to_sign - algorithm, amzdate, scope, canonical hash. */
void
sigv4_string_to_sign(struct buf *out, const char *amzdate, const char *scope,
                     const char *canon_hash_hex)
{
	buf_printf(out, "%s\n%s\n%s\n%s", SIGV4_ALGORITHM, amzdate, scope,
	           canon_hash_hex);
}

/* sigv4_signing_key - kDate, kRegion, kService, kSigning. */
void
sigv4_signing_key(uint8_t key[SIGV4_KEY_LEN], const char *secret,
                  const char *datestamp, const char *region,
                  const char *service)
{
	struct buf k0;
	uint8_t a[SIGV4_KEY_LEN], b[SIGV4_KEY_LEN];

	buf_init(&k0);
	buf_printf(&k0, "AWS4%s", secret);
	sigv4_hmac(a, k0.p, k0.len, datestamp, strlen(datestamp));
	OPENSSL_cleanse(k0.p, k0.len);
	buf_fini(&k0);
	sigv4_hmac(b, a, sizeof(a), region, strlen(region));
	sigv4_hmac(a, b, sizeof(b), service, strlen(service));
	sigv4_hmac(key, a, sizeof(a), "aws4_request", 12);
	OPENSSL_cleanse(a, sizeof(a));
	OPENSSL_cleanse(b, sizeof(b));
}

static const char *sigv4_header_find(const struct sigv4_request *req,
                                     const char *name);

/* sigv4_signature - hex signature of a canonical request (hex hash). */
static void
sigv4_signature(char out[SIGV4_HEX_LEN + 1], const struct buf *canon,
                const char *secret, const char *amzdate, const char *date,
                const char *region, const char *service)
{
	uint8_t key[SIGV4_KEY_LEN], sig[SIGV4_KEY_LEN];
	char chash[SIGV4_HEX_LEN + 1];
	struct buf scope, sts;

	buf_init(&scope);
	buf_init(&sts);
	buf_printf(&scope, "%s/%s/%s/aws4_request", date, region, service);
	sigv4_sha256_hex(chash, canon->p, canon->len);
	sigv4_string_to_sign(&sts, amzdate, buf_cstr(&scope), chash);
	sigv4_signing_key(key, secret, date, region, service);
	sigv4_hmac(sig, key, sizeof(key), sts.p, sts.len);
	sigv4_hex(out, sig, sizeof(sig));
	OPENSSL_cleanse(key, sizeof(key));
	buf_fini(&scope);
	buf_fini(&sts);
}

/* sigv4_sign - Authorization header value for req. */
int
sigv4_sign(struct buf *auth_out, char *sig_out, const struct sigv4_request *req,
           const struct sigv4_cred *cred, const char *amzdate)
{
	struct buf canon, signed_h;
	char date[9], sig[SIGV4_HEX_LEN + 1];
	const char *tok;
	time_t t;
	int rc = -1;

	buf_init(&canon);
	buf_init(&signed_h);
	if (amzdate == NULL ||
	    sigv4_amzdate_parse(amzdate, strlen(amzdate), &t) < 0)
		goto fail;
	tok = sigv4_header_find(req, "x-amz-security-token");
	if (cred->session_token != NULL &&
	    (tok == NULL || strcmp(tok, cred->session_token) != 0))
		goto fail;
	if (sigv4_canonical_request(&canon, &signed_h, req) < 0)
		goto fail;
	memcpy(date, amzdate, 8);
	date[8] = '\0';
	sigv4_signature(sig, &canon, cred->secret, amzdate, date, cred->region,
	                cred->service);
	buf_printf(auth_out,
	           "%s Credential=%s/%s/%s/%s/aws4_request, SignedHeaders=%s, "
	           "Signature=%s",
	           SIGV4_ALGORITHM, cred->akid, date, cred->region,
	           cred->service, buf_cstr(&signed_h), sig);
	if (sig_out != NULL)
		memcpy(sig_out, sig, sizeof(sig));
	rc = 0;
fail:
	buf_fini(&canon);
	buf_fini(&signed_h);
	return rc;
}

/* sigv4_auth_credential - split "AKID/date/region/service/aws4_request". */
static int
sigv4_auth_credential(struct sigv4_auth *out, const char *p, size_t n,
                      const char **why)
{
	struct str part[5];
	size_t k = 0, start = 0, i;

	for (i = 0; i <= n; i++) {
		if (i < n && p[i] != '/')
			continue;
		if (k == 5) {
			*why = "too many parts in Credential";
			return -1;
		}
		part[k].p = p + start;
		part[k].len = i - start;
		if (part[k].len == 0) {
			*why = "empty part in Credential";
			return -1;
		}
		k++;
		start = i + 1;
	}
	if (k != 5) {
		*why =
		    "Credential must be AKID/date/region/service/aws4_request";
		return -1;
	}
	if (part[1].len != 8 || sigv4_digits(part[1].p, 8) < 0) {
		*why = "Credential date must be 8 digits";
		return -1;
	}
	if (part[4].len != 12 || memcmp(part[4].p, "aws4_request", 12) != 0) {
		*why = "Credential must end in aws4_request";
		return -1;
	}
	out->akid = part[0];
	out->date = part[1];
	out->region = part[2];
	out->service = part[3];
	return 0;
}

/* sigv4_auth_signed - split "a;b;c": lowercase tokens, strictly sorted. */
static int
sigv4_auth_signed(struct sigv4_auth *out, const char *p, size_t n,
                  const char **why)
{
	size_t start = 0, i;
	struct str s;

	out->signed_headers.p = p;
	out->signed_headers.len = n;
	out->n_signed = 0;
	for (i = 0; i <= n; i++) {
		if (i < n && p[i] != ';') {
			if (!sigv4_tchar((unsigned char)p[i]) ||
			    (p[i] >= 'A' && p[i] <= 'Z')) {
				*why = "SignedHeaders must be lowercase names";
				return -1;
			}
			continue;
		}
		s.p = p + start;
		s.len = i - start;
		if (s.len == 0) {
			*why = "empty name in SignedHeaders";
			return -1;
		}
		if (out->n_signed == SIGV4_SIGNED_MAX) {
			*why = "too many SignedHeaders";
			return -1;
		}
		if (out->n_signed > 0 &&
		    sigv4_str_cmp(&out->names[out->n_signed - 1], &s) >= 0) {
			*why = "SignedHeaders must be sorted and unique";
			return -1;
		}
		out->names[out->n_signed++] = s;
		start = i + 1;
	}
	return 0;
}

/* sigv4_auth_parse - Authorization header value into views. */
int
sigv4_auth_parse(struct sigv4_auth *out, const char *value, size_t len,
                 const char **why)
{
	static const char alg[] = SIGV4_ALGORITHM " ";
	const char *p = value, *end = value + len, *e, *eq;
	bool have_cred = false, have_signed = false, have_sig = false;
	const char *dummy;
	size_t n, i;

	if (why == NULL)
		why = &dummy;
	memset(out, 0, sizeof(*out));
	if (len < sizeof(alg) - 1 || memcmp(p, alg, sizeof(alg) - 1) != 0) {
		*why = "Authorization must start with " SIGV4_ALGORITHM;
		return -1;
	}
	p += sizeof(alg) - 1;
	while (p < end) {
		while (p < end && *p == ' ')
			p++;
		if (p == end)
			break;
		e = memchr(p, ',', (size_t)(end - p));
		if (e == NULL)
			e = end;
		n = (size_t)(e - p);
		while (n > 0 && p[n - 1] == ' ')
			n--;
		eq = memchr(p, '=', n);
		if (eq == NULL) {
			*why = "Authorization part without '='";
			return -1;
		}
		if (eq - p == 10 && memcmp(p, "Credential", 10) == 0 &&
		    !have_cred) {
			if (sigv4_auth_credential(
			        out, eq + 1, (size_t)(p + n - eq - 1), why) < 0)
				return -1;
			have_cred = true;
		} else if (eq - p == 13 &&
		           memcmp(p, "SignedHeaders", 13) == 0 &&
		           !have_signed) {
			if (sigv4_auth_signed(
			        out, eq + 1, (size_t)(p + n - eq - 1), why) < 0)
				return -1;
			have_signed = true;
		} else if (eq - p == 9 && memcmp(p, "Signature", 9) == 0 &&
		           !have_sig) {
			out->signature.p = eq + 1;
			out->signature.len = (size_t)(p + n - eq - 1);
			if (out->signature.len != SIGV4_HEX_LEN) {
				*why = "Signature must be 64 hex digits";
				return -1;
			}
			for (i = 0; i < SIGV4_HEX_LEN; i++)
				if (!strchr(sigv4_hexdigits,
				            out->signature.p[i]) ||
				    out->signature.p[i] == '\0') {
					*why =
					    "Signature must be lowercase hex";
					return -1;
				}
			have_sig = true;
		} else {
			*why = "unknown or repeated part in Authorization";
			return -1;
		}
		p = e < end ? e + 1 : end;
	}
	if (!have_cred || !have_signed || !have_sig) {
		*why =
		    "Authorization needs Credential, SignedHeaders, Signature";
		return -1;
	}
	return 0;
}

/* sigv4_header_find - the first header named name, or NULL. */
static const char *
sigv4_header_find(const struct sigv4_request *req, const char *name)
{
	size_t i;

	for (i = 0; i < req->n_headers; i++)
		if (req->headers[i].name != NULL &&
		    strcasecmp(req->headers[i].name, name) == 0)
			return req->headers[i].value;
	return NULL;
}

/* sigv4_auth_signs - whether SignedHeaders lists name (lowercase). */
static bool
sigv4_auth_signs(const struct sigv4_auth *auth, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < auth->n_signed; i++)
		if (auth->names[i].len == n &&
		    memcmp(auth->names[i].p, name, n) == 0)
			return true;
	return false;
}

/* sigv4_request_verify - scope, date, headers, then the signature. */
enum sigv4_verdict
sigv4_request_verify(const struct sigv4_request *req,
                     const struct sigv4_auth *auth, const char *secret,
                     const char *region, const char *service, time_t now,
                     int max_skew_s, const char **why)
{
	char sig[SIGV4_HEX_LEN + 1], *date = NULL, *reg = NULL, *svc = NULL;
	const char *amzdate, *content_sha, *dummy;
	enum sigv4_verdict v;
	struct buf canon;
	time_t t;

	if (why == NULL)
		why = &dummy;
	buf_init(&canon);
	if (auth->region.len != strlen(region) ||
	    auth->service.len != strlen(service) ||
	    memcmp(auth->service.p, service, auth->service.len) != 0 ||
	    memcmp(auth->region.p, region, auth->region.len) != 0) {
		*why = "credential scope names another region or service";
		v = SIGV4_SCOPE;
		goto fail;
	}
	amzdate = sigv4_header_find(req, "x-amz-date");
	if (amzdate == NULL || !sigv4_auth_signs(auth, "x-amz-date") ||
	    !sigv4_auth_signs(auth, "host")) {
		*why = "host and x-amz-date must be present and signed";
		v = SIGV4_MALFORMED;
		goto fail;
	}
	if (sigv4_amzdate_parse(amzdate, strlen(amzdate), &t) < 0) {
		*why = "X-Amz-Date is not YYYYMMDDTHHMMSSZ";
		v = SIGV4_MALFORMED;
		goto fail;
	}
	if (auth->date.len != 8 || memcmp(amzdate, auth->date.p, 8) != 0) {
		*why = "credential scope date differs from X-Amz-Date";
		v = SIGV4_SCOPE;
		goto fail;
	}
	if ((t > now && t - now > max_skew_s) ||
	    (now > t && now - t > max_skew_s)) {
		*why = "X-Amz-Date too far from the server time";
		v = SIGV4_SKEWED;
		goto fail;
	}
	content_sha = sigv4_header_find(req, "x-amz-content-sha256");
	if (content_sha != NULL) {
		sigv4_sha256_hex(sig, req->body, req->body_len);
		if (strcmp(content_sha, sig) != 0) {
			*why = "X-Amz-Content-Sha256 does not match the body";
			v = SIGV4_MISMATCH;
			goto fail;
		}
	}
	if (sigv4_canon_build(&canon, NULL, req, auth->names, auth->n_signed) <
	    0) {
		*why = "a signed header is missing";
		v = SIGV4_MALFORMED;
		goto fail;
	}
	date = str_dup(auth->date);
	reg = str_dup(auth->region);
	svc = str_dup(auth->service);
	sigv4_signature(sig, &canon, secret, amzdate, date, reg, svc);
	if (CRYPTO_memcmp(sig, auth->signature.p, SIGV4_HEX_LEN) != 0) {
		*why = "signature does not match";
		v = SIGV4_MISMATCH;
		goto fail;
	}
	v = SIGV4_OK;
fail:
	free(date);
	free(reg);
	free(svc);
	buf_fini(&canon);
	return v;
}

/* sigv4_smtp_password - base64(0x04 || HMAC(kSigning, "SendRawEmail")). */
void
sigv4_smtp_password(char out[SIGV4_SMTP_PASSWORD_SIZE], const char *secret,
                    const char *region)
{
	uint8_t key[SIGV4_KEY_LEN], raw[1 + SIGV4_KEY_LEN];

	sigv4_signing_key(key, secret, "11111111", region, "ses");
	raw[0] = 0x04;
	sigv4_hmac(raw + 1, key, sizeof(key), "SendRawEmail", 12);
	base64_encode_mem(out, raw, sizeof(raw));
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(raw, sizeof(raw));
}
