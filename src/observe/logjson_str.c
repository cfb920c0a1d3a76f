/*
 * logjson_str.c - JSON string literals written straight into a buffer
 * (see logjson_str.h).
 */
#include "observe/logjson_str.h"

#include <stdint.h>

#include "mime/mime.h"

/* logjson_str_valid - s[0..n) is well-formed UTF-8. */
static int
logjson_str_valid(const char *s, size_t n)
{
	size_t i = 0, k;
	uint32_t cp;

	while (i < n) {
		if ((unsigned char)s[i] < 0x80) {
			i++;
			continue;
		}
		if ((k = mime_utf8_char(s + i, n - i, &cp)) == 0)
			return 0;
		i += k;
	}
	return 1;
}

int
logjson_str_put(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, run = 0;
	unsigned char c;
	char esc[6] = {'\\', 'u', '0', '0', 0, 0};

	if (!logjson_str_valid(s, n))
		return -1;
	buf_reserve(b, n + 2);
	buf_addch(b, '"');
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		buf_add(b, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"':
			buf_add(b, "\\\"", 2);
			break;
		case '\\':
			buf_add(b, "\\\\", 2);
			break;
		case '\b':
			buf_add(b, "\\b", 2);
			break;
		case '\f':
			buf_add(b, "\\f", 2);
			break;
		case '\n':
			buf_add(b, "\\n", 2);
			break;
		case '\r':
			buf_add(b, "\\r", 2);
			break;
		case '\t':
			buf_add(b, "\\t", 2);
			break;
		default:
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			buf_add(b, esc, sizeof(esc));
			break;
		}
	}
	buf_add(b, s + run, n - run);
	buf_addch(b, '"');
	return 0;
}
