/*
 * fuzz_mock_api.c - the parsers of swerve-mock's fake provider APIs:
 * multipart/form-data and urlencoded bodies (mock_form.h), header-style
 * address lists and header lookup (mock_api.h) and the API mode text form.
 *
 * The first byte picks the parser. For multipart the input after it is
 * "Content-Type value\n" then the body. Invariants checked: every view
 * lies inside the input, no more fields than MOCK_FORM_FIELDS_MAX, every
 * address is a non-empty string without NUL, and a parsed slow mode has a
 * delay in range.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/xmalloc.h"
#include "mock/mock_api.h"
#include "mock/mock_form.h"

/* fuzz_inside - a view lies within [p, p+len). */
static void
fuzz_inside(struct str v, const char *p, size_t len)
{
	if (v.len > 0 && (v.p < p || v.p + v.len > p + len))
		abort();
}

/* fuzz_form_check - every field's views inside [p, p+len). */
static void
fuzz_form_check(const struct mock_form *form, const char *p, size_t len)
{
	size_t i;

	if (form->n > MOCK_FORM_FIELDS_MAX)
		abort();
	for (i = 0; i < form->n; i++) {
		fuzz_inside(form->f[i].name, p, len);
		fuzz_inside(form->f[i].filename, p, len);
		fuzz_inside(form->f[i].ctype, p, len);
		fuzz_inside(form->f[i].value, p, len);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data + 1;
	size_t len = size ? size - 1 : 0;
	struct mock_form form;
	struct mock_api_addrs a = {0};
	struct mock_api_mode mode;
	const char *why = "", *nl;
	struct str boundary;
	struct buf b;
	char *ctype, *copy;
	size_t i;

	if (size == 0)
		return 0;
	mock_form_init(&form);
	switch (data[0] % 5) {
	case 0:
		nl = memchr(p, '\n', len);
		if (nl == NULL)
			break;
		ctype = xstrndup(p, (size_t)(nl - p));
		if (mock_form_boundary(ctype, &boundary, &why) == 0) {
			fuzz_inside(boundary, ctype, strlen(ctype));
			mock_form_multipart_parse(nl + 1,
			                          len - (size_t)(nl + 1 - p),
			                          boundary, &form, &why);
			fuzz_form_check(&form, nl + 1,
			                len - (size_t)(nl + 1 - p));
		}
		free(ctype);
		break;
	case 1:
		copy = xmemdup(p, len);
		mock_form_urlencoded_parse(copy, len, &form, &why);
		fuzz_form_check(&form, copy, len);
		free(copy);
		break;
	case 2:
		mock_api_addrs_add(&a, p, len);
		for (i = 0; i < a.n; i++)
			if (a.v[i][0] == '\0')
				abort();
		break;
	case 3:
		buf_init(&b);
		mock_api_mime_header(p, len, "To", &b);
		if (b.len > len * 2 + 2)
			abort();
		buf_fini(&b);
		break;
	default:
		if (mock_api_mode_parse(p, len, &mode, &why) == 0 &&
		    mode.fault == MOCK_API_SLOW &&
		    (mode.ms == 0 || mode.ms > MOCK_SLOW_MS_MAX))
			abort();
		break;
	}
	mock_form_fini(&form);
	mock_api_addrs_fini(&a);
	return 0;
}
