/*
 * dash_cookie.c - one cookie's value out of a Cookie header.
 */
#include "dash/dash_cookie.h"

#include <stdbool.h>
#include <string.h>

/* dash_cookie_octet - RFC 6265's cookie-octet. */
static bool
dash_cookie_octet(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c <= 0x2b) ||
	       (c >= 0x2d && c <= 0x3a) || (c >= 0x3c && c <= 0x5b) ||
	       (c >= 0x5d && c <= 0x7e);
}

/* dash_cookie_value - check and copy v[0..n) (quotes stripped) to out. */
static int
dash_cookie_value(const char *v, size_t n, char *out, size_t outlen)
{
	size_t i;

	if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
		v++;
		n -= 2;
	}
	if (n >= outlen)
		return -1;
	for (i = 0; i < n; i++)
		if (!dash_cookie_octet((unsigned char)v[i]))
			return -1;
	memcpy(out, v, n);
	out[n] = '\0';
	return 0;
}

int
dash_cookie_get(const char *header, const char *name, char *out, size_t outlen)
{
	size_t nlen = strlen(name);
	const char *p = header;

	if (outlen == 0)
		return -1;
	out[0] = '\0';
	if (p == NULL || nlen == 0)
		return -1;
	while (*p != '\0') {
		const char *end = strchr(p, ';'), *eq;
		size_t len;

		while (*p == ' ' || *p == '\t')
			p++;
		if (end == NULL)
			end = p + strlen(p);
		len = (size_t)(end - p);
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		eq = memchr(p, '=', len);
		if (eq != NULL && (size_t)(eq - p) == nlen &&
		    memcmp(p, name, nlen) == 0) {
			if (dash_cookie_value(eq + 1, len - nlen - 1, out,
			                      outlen) != 0) {
				out[0] = '\0';
				return -1;
			}
			return 0;
		}
		p = *end == ';' ? end + 1 : end;
	}
	return -1;
}
