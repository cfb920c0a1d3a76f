/*
 * mime_decode.c - transfer encodings and charsets for the MIME reader.
 *
 * Undoes quoted-printable (RFC 2045 6.7: soft line breaks, =XX, trailing
 * blanks removed; a bad escape is kept literally and reported); base64 is
 * core/base64's lenient mode. Converts text to UTF-8: utf-8
 * and us-ascii are validated, iso-8859-1 and windows-1252 use tables here,
 * any other charset goes through iconv(3). Nothing here allocates outside
 * the caller's struct buf.
 */
#include "mime/mime_int.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <string.h>
#include <strings.h>

int
mime_hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* mime_qp_line - decode one QP line (without its line end) into out. */
static int
mime_qp_line(const char *p, size_t n, bool *soft, struct buf *out)
{
	size_t i, end = n;
	int rc = 0;

	/* Trailing blanks were possibly added in transport (6.7 rule 3). */
	while (end > 0 && (p[end - 1] == ' ' || p[end - 1] == '\t'))
		end--;
	*soft = false;
	for (i = 0; i < end; i++) {
		int hi, lo;

		if (p[i] != '=') {
			buf_addch(out, p[i]);
			continue;
		}
		if (i + 1 == end) {
			*soft = true;
			break;
		}
		hi = i + 2 < end ? mime_hex_value((unsigned char)p[i + 1]) : -1;
		lo = i + 2 < end ? mime_hex_value((unsigned char)p[i + 2]) : -1;
		if (hi < 0 || lo < 0) {
			buf_addch(out, '=');
			rc = -1;
			continue;
		}
		buf_addch(out, (char)(hi * 16 + lo));
		i += 2;
	}
	return rc;
}

/* mime_qp_decode - quoted-printable in[0..n) to out; -1 on bad escapes. */
int
mime_qp_decode(const char *in, size_t n, struct buf *out)
{
	size_t pos = 0;
	int rc = 0;

	while (pos < n) {
		const char *lf = memchr(in + pos, '\n', n - pos);
		size_t linelen = lf ? (size_t)(lf - (in + pos)) : n - pos;
		size_t eollen = lf ? 1 : 0;
		bool soft;

		if (lf && linelen > 0 && in[pos + linelen - 1] == '\r') {
			linelen--;
			eollen = 2;
		}
		if (mime_qp_line(in + pos, linelen, &soft, out) < 0)
			rc = -1;
		if (!soft && eollen > 0)
			buf_add(out, in + pos + linelen, eollen);
		pos += linelen + eollen;
	}
	return rc;
}

size_t
mime_utf8_char(const char *p, size_t n, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)p;
	unsigned c = n > 0 ? s[0] : 0;
	size_t k, more;
	uint32_t v;

	if (n == 0)
		return 0;
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		more = 1;
		v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		more = 2;
		v = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		more = 3;
		v = c & 0x07;
	} else {
		return 0;
	}
	if (n <= more)
		return 0;
	for (k = 1; k <= more; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[k] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF. */
	if ((more == 2 && v < 0x800) || (more == 3 && v < 0x10000) ||
	    (v >= 0xd800 && v <= 0xdfff) || v > 0x10ffff)
		return 0;
	*cp = v;
	return more + 1;
}

/* mime_utf8_valid - true when p[0..n) is well-formed UTF-8. */
bool
mime_utf8_valid(const char *p, size_t n)
{
	size_t i = 0, k;
	uint32_t cp;

	while (i < n) {
		k = mime_utf8_char(p + i, n - i, &cp);
		if (k == 0)
			return false;
		i += k;
	}
	return true;
}

/* windows-1252 0x80..0x9f; 0 marks the five undefined positions. */
static const unsigned short mime_cp1252[32] = {
    0x20ac, 0,      0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
    0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017d, 0,
    0,      0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
    0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0,      0x017e, 0x0178,
};

/* mime_utf8_put - append code point cp (< 0x10000) as UTF-8. */
static void
mime_utf8_put(struct buf *out, unsigned cp)
{
	if (cp < 0x80) {
		buf_addch(out, (char)cp);
	} else if (cp < 0x800) {
		buf_addch(out, (char)(0xc0 | (cp >> 6)));
		buf_addch(out, (char)(0x80 | (cp & 0x3f)));
	} else {
		buf_addch(out, (char)(0xe0 | (cp >> 12)));
		buf_addch(out, (char)(0x80 | ((cp >> 6) & 0x3f)));
		buf_addch(out, (char)(0x80 | (cp & 0x3f)));
	}
}

/* mime_cs_is - true when cs names one of the NULL-terminated aliases. */
static bool
mime_cs_is(const char *cs, const char *const *aliases)
{
	for (; *aliases; aliases++)
		if (strcasecmp(cs, *aliases) == 0)
			return true;
	return false;
}

static const char *const mime_cs_utf8[] = {"utf-8", "utf8", NULL};
static const char *const mime_cs_ascii[] = {
    "us-ascii", "ascii", "ansi_x3.4-1968", "iso646-us", "us", NULL};
static const char *const mime_cs_latin1[] = {
    "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "l1", NULL};
static const char *const mime_cs_cp1252[] = {"windows-1252", "cp1252", NULL};

/* mime_iconv_to_utf8 - convert through iconv(3); see mime_charset_to_utf8. */
static unsigned
mime_iconv_to_utf8(const char *cs, const char *in, size_t n, struct buf *out)
{
	iconv_t cd;
	char *ip = (char *)in;
	size_t il = n;
	size_t i, start = out->len;
	unsigned rc = 0;

	/* Only plain charset names reach iconv: no "//TRANSLIT" tricks. */
	if (strlen(cs) > 40 || cs[0] == '\0')
		return MIME_F_UNKNOWN_CS;
	for (i = 0; cs[i]; i++)
		if (!isalnum((unsigned char)cs[i]) && !strchr("-_.:", cs[i]))
			return MIME_F_UNKNOWN_CS;
	cd = iconv_open("UTF-8", cs);
	if (cd == (iconv_t)-1)
		return MIME_F_UNKNOWN_CS;
	while (il > 0) {
		char *op;
		size_t ol, r;

		buf_reserve(out, il * 4 + 16);
		op = out->p + out->len;
		ol = out->cap - out->len - 1;
		r = iconv(cd, &ip, &il, &op, &ol);
		out->len = (size_t)(op - out->p);
		if (r == (size_t)-1 && errno == E2BIG)
			continue;
		if (r == (size_t)-1) {
			/* EILSEQ or EINVAL: the input is not in cs. */
			rc = MIME_F_CHARSET;
			break;
		}
	}
	if (rc == 0) {
		/* Flush a stateful encoding's shift state. */
		char *op;
		size_t ol;

		buf_reserve(out, 16);
		op = out->p + out->len;
		ol = out->cap - out->len - 1;
		if (iconv(cd, NULL, NULL, &op, &ol) == (size_t)-1)
			rc = MIME_F_CHARSET;
		else
			out->len = (size_t)(op - out->p);
	}
	iconv_close(cd);
	if (rc != 0)
		out->len = start;
	return rc;
}

/*
 * mime_charset_to_utf8 - append in[0..n), in charset cs, to out as UTF-8.
 * Returns 0, MIME_F_CHARSET or MIME_F_UNKNOWN_CS.
 */
unsigned
mime_charset_to_utf8(const char *cs, const char *in, size_t n, struct buf *out)
{
	size_t i;

	if (mime_cs_is(cs, mime_cs_utf8)) {
		if (!mime_utf8_valid(in, n))
			return MIME_F_CHARSET;
		buf_add(out, in, n);
		return 0;
	}
	if (mime_cs_is(cs, mime_cs_ascii)) {
		for (i = 0; i < n; i++)
			if ((unsigned char)in[i] >= 0x80)
				return MIME_F_CHARSET;
		buf_add(out, in, n);
		return 0;
	}
	if (mime_cs_is(cs, mime_cs_latin1)) {
		for (i = 0; i < n; i++)
			mime_utf8_put(out, (unsigned char)in[i]);
		return 0;
	}
	if (mime_cs_is(cs, mime_cs_cp1252)) {
		size_t start = out->len;

		for (i = 0; i < n; i++) {
			unsigned c = (unsigned char)in[i];

			if (c >= 0x80 && c < 0xa0) {
				c = mime_cp1252[c - 0x80];
				if (c == 0) {
					out->len = start;
					return MIME_F_CHARSET;
				}
			}
			mime_utf8_put(out, c);
		}
		return 0;
	}
	return mime_iconv_to_utf8(cs, in, n, out);
}
