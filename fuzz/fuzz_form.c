/*
 * fuzz_form.c - the form body parsers against arbitrary client bytes.
 *
 * The first input line (up to 80 octets) is a boundary; the rest is
 * parsed as multipart/form-data with it. Every field of a successful (or
 * failed) parse must be a view inside the body and the count bounded.
 * The same bytes are then parsed as urlencoded (in a copy) and, as a
 * Mailgun form, mapped to a message, which must be releasable. The input
 * is also tried as a Content-Type value for the boundary extractor.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "ingress/compat.h"
#include "mime/form.h"

/* inside - does view v lie in [base, base + len)? */
static int
inside(struct str v, const char *base, size_t len)
{
	return v.len == 0 ||
	       (v.p >= base && v.len <= len && v.p + v.len <= base + len);
}

/* check - every field of fm is a view into body. */
static void
check(const struct form *fm, const char *body, size_t len)
{
	size_t i;

	if (fm->n > FORM_FIELDS_MAX)
		abort();
	for (i = 0; i < fm->n; i++)
		if (!inside(fm->f[i].name, body, len) ||
		    !inside(fm->f[i].value, body, len) ||
		    !inside(fm->f[i].filename, body, len) ||
		    !inside(fm->f[i].ctype, body, len))
			abort();
}

/* map - run the Mailgun mappings (messages, batch, messages.mime) over fm. */
static void
map(const struct form *fm)
{
	struct compat_raw_req raw;
	struct api_msg m, *ms;
	struct msg_meta meta;
	struct api_error e;
	size_t n;

	if (compat_mailgun_decode(fm, 1700000000, &m, &e) == 0)
		api_msg_fini(&m);
	if (compat_mailgun_batch_decode(fm, 1700000000, &ms, &n, &e) == 0)
		compat_msgs_free(ms, n);
	if (compat_mailgun_mime_decode(fm, 1700000000, &raw, &meta, &e) == 0) {
		compat_raw_req_fini(&raw);
		msg_meta_fini(&meta);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data, *nl, *why;
	char *copy, *ct;
	struct form fm;
	struct str b;
	size_t bl;

	nl = memchr(in, '\n', size < 80 ? size : 80);
	bl = nl ? (size_t)(nl - in) : 0;
	form_init(&fm);
	if (bl > 0) {
		b.p = in;
		b.len = bl;
		form_multipart_parse(in + bl + 1, size - bl - 1, b, &fm, &why);
		check(&fm, in + bl + 1, size - bl - 1);
		map(&fm);
	}
	form_fini(&fm);

	copy = xmalloc(size + 1);
	memcpy(copy, in, size);
	copy[size] = '\0';
	form_init(&fm);
	form_urlencoded_parse(copy, size, &fm, &why);
	check(&fm, copy, size);
	map(&fm);
	form_fini(&fm);
	free(copy);

	ct = xmalloc(size + 1);
	memcpy(ct, in, size);
	ct[size] = '\0';
	if (form_boundary_get(ct, &b, &why) == 0 &&
	    (b.len == 0 || b.len > FORM_BOUNDARY_MAX ||
	     !inside(b, ct, strlen(ct))))
		abort();
	free(ct);
	return 0;
}
