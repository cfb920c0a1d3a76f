/*
 * fuzz_dash_cookie.c - the dashboard's Cookie header reader and its HTML
 * escaper against arbitrary client bytes.
 *
 * The input (NUL-terminated copy) is read as a Cookie header for the
 * session cookie and for a one-letter name: a found value must fit the
 * buffer, hold only cookie-octets and appear in the input; a refusal
 * leaves "". The same bytes are then escaped as HTML: the result must
 * hold no '<', '>', '"' or '\'' and no control octet but tab and newline.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/xmalloc.h"
#include "dash/dash_cookie.h"
#include "dash/dash_html.h"
#include "dash/dash_session.h"

static void
check_cookie(const char *h, const char *name)
{
	char v[DASH_TOKEN_SIZE];
	size_t i, n;

	if (dash_cookie_get(h, name, v, sizeof(v)) != 0) {
		if (v[0] != '\0')
			abort();
		return;
	}
	n = strlen(v);
	if (n >= sizeof(v))
		abort();
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c <= 0x20 || c >= 0x7f || c == '"' || c == ',' ||
		    c == ';' || c == '\\')
			abort();
	}
	if (strstr(h, v) == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *h = xmalloc(size + 1);
	struct buf b;
	size_t i;

	memcpy(h, data, size);
	h[size] = '\0';
	check_cookie(h, "swerve_session");
	check_cookie(h, "s");
	buf_init(&b);
	dash_html_esc(&b, h);
	for (i = 0; i < b.len; i++) {
		unsigned char c = (unsigned char)b.p[i];
		if (c == '<' || c == '>' || c == '"' || c == '\'' ||
		    (c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
			abort();
	}
	buf_fini(&b);
	free(h);
	return 0;
}
