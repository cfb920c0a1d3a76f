/*
 * fuzz_sigv4_auth.c - the SigV4 Authorization header parser and verifier
 * against arbitrary client bytes.
 *
 * Parses the input as an Authorization header value. On success every view
 * must lie inside the input, the signature must be 64 lowercase hex digits,
 * the credential date 8 digits and the signed names sorted, unique and
 * lowercase; the request is then verified (it must not verify: the
 * signature is random) with every signed header present, so the canonical
 * request builder runs over the parsed names. The input is also used as a
 * wire path and a query string for the canonicalizers.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/xmalloc.h"
#include "providers/sigv4.h"

/* fuzz_inside - whether view v lies within [base, base + len). */
static int
fuzz_inside(struct str v, const char *base, size_t len)
{
	return v.p >= base && v.len <= len && v.p + v.len <= base + len;
}

/* fuzz_check - invariants of a successful parse. */
static void
fuzz_check(const struct sigv4_auth *a, const char *in, size_t len)
{
	size_t i, j;

	if (!fuzz_inside(a->akid, in, len) || !fuzz_inside(a->date, in, len) ||
	    !fuzz_inside(a->region, in, len) ||
	    !fuzz_inside(a->service, in, len) ||
	    !fuzz_inside(a->signed_headers, in, len) ||
	    !fuzz_inside(a->signature, in, len))
		abort();
	if (a->signature.len != SIGV4_HEX_LEN || a->date.len != 8 ||
	    a->akid.len == 0 || a->n_signed == 0 ||
	    a->n_signed > SIGV4_SIGNED_MAX)
		abort();
	for (i = 0; i < SIGV4_HEX_LEN; i++)
		if (!strchr("0123456789abcdef", a->signature.p[i]) ||
		    a->signature.p[i] == '\0')
			abort();
	for (i = 0; i < a->n_signed; i++) {
		if (a->names[i].len == 0 || !fuzz_inside(a->names[i], in, len))
			abort();
		for (j = 0; j < a->names[i].len; j++)
			if (a->names[i].p[j] >= 'A' && a->names[i].p[j] <= 'Z')
				abort();
	}
}

/* fuzz_verify - verify against a request carrying every signed header. */
static void
fuzz_verify(const struct sigv4_auth *a)
{
	struct sigv4_header *h;
	struct sigv4_request req;
	char **names;
	char *region, *service;
	size_t i;

	h = xcalloc(a->n_signed + 1, sizeof(*h));
	names = xcalloc(a->n_signed, sizeof(*names));
	for (i = 0; i < a->n_signed; i++) {
		names[i] = str_dup(a->names[i]);
		h[i].name = names[i];
		h[i].value = " some  value ";
	}
	h[a->n_signed].name = "X-Amz-Date";
	h[a->n_signed].value = "20150830T123600Z";
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.path = "/v2/email/outbound-emails";
	req.headers = h;
	req.n_headers = a->n_signed + 1;
	region = str_dup(a->region);
	service = str_dup(a->service);
	if (sigv4_request_verify(&req, a, "secret", region, service, 1440938160,
	                         300, NULL) == SIGV4_OK)
		abort();
	free(region);
	free(service);
	for (i = 0; i < a->n_signed; i++)
		free(names[i]);
	free(names);
	free(h);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sigv4_auth a;
	const char *why = NULL;
	struct buf b;
	char *s;

	if (sigv4_auth_parse(&a, (const char *)data, size, &why) == 0) {
		fuzz_check(&a, (const char *)data, size);
		fuzz_verify(&a);
	} else if (why == NULL) {
		abort();
	}
	s = xmemdup(data, size);
	buf_init(&b);
	sigv4_uri_path_append(&b, s);
	if (b.len == 0 || b.p[0] != '/')
		abort();
	buf_fini(&b);
	sigv4_query_append(&b, s);
	buf_fini(&b);
	free(s);
	return 0;
}
