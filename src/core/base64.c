/*
 * base64.c - the one base64 codec (RFC 4648 section 4 alphabet).
 *
 * A small table codec rather than OpenSSL's EVP_EncodeBlock and
 * EVP_DecodeBlock: those take int lengths, decode '=' anywhere as a zero
 * sextet, count padding as output bytes and skip blanks only at the ends,
 * so every caller had to re-check the input around them. Here one pass
 * both checks and decodes. Nothing allocates except the _str and _buf
 * helpers, through the caller's buffer or xmalloc.
 */
#include "core/base64.h"

#include <stdbool.h>

#include "core/xmalloc.h"

static const char base64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t
base64_encoded_len(size_t n)
{
	return (n / 3 + (n % 3 != 0)) * 4;
}

/* base64_encode_to - write the base64 of p[0..n) to o, which has room. */
static void
base64_encode_to(char *o, const void *p, size_t n)
{
	const unsigned char *in = p;
	size_t i;

	for (i = 0; i + 3 <= n; i += 3) {
		unsigned long v = (unsigned long)in[i] << 16 |
		                  (unsigned long)in[i + 1] << 8 | in[i + 2];

		*o++ = base64_alphabet[v >> 18 & 63];
		*o++ = base64_alphabet[v >> 12 & 63];
		*o++ = base64_alphabet[v >> 6 & 63];
		*o++ = base64_alphabet[v & 63];
	}
	if (n - i == 1) {
		*o++ = base64_alphabet[in[i] >> 2];
		*o++ = base64_alphabet[(in[i] & 3) << 4];
		*o++ = '=';
		*o++ = '=';
	} else if (n - i == 2) {
		*o++ = base64_alphabet[in[i] >> 2];
		*o++ = base64_alphabet[(in[i] & 3) << 4 | in[i + 1] >> 4];
		*o++ = base64_alphabet[(in[i + 1] & 15) << 2];
		*o++ = '=';
	}
}

void
base64_encode_mem(char *out, const void *p, size_t n)
{
	base64_encode_to(out, p, n);
	out[base64_encoded_len(n)] = '\0';
}

void
base64_encode(struct buf *out, const void *p, size_t n)
{
	size_t need = base64_encoded_len(n);

	buf_reserve(out, need);
	base64_encode_to(out->p + out->len, p, n);
	out->len += need;
}

char *
base64_encode_str(const void *p, size_t n)
{
	size_t need = base64_encoded_len(n);
	char *s = xmalloc(need + 1);

	base64_encode_mem(s, p, n);
	return s;
}

/* base64_value - the 6-bit value of the letter c, or -1. */
static int
base64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* base64_is_blank - a byte BASE64_BLANKS skips. */
static bool
base64_is_blank(unsigned char c)
{
	return c == '\r' || c == '\n' || c == ' ' || c == '\t';
}

ssize_t
base64_decode(struct str in, unsigned flags, unsigned char *out, size_t cap)
{
	size_t i, got = 0, pad = 0, n = 0;
	unsigned acc = 0;
	int bits = 0, v;

	for (i = 0; i < in.len; i++) {
		unsigned char c = (unsigned char)in.p[i];

		if ((flags & BASE64_BLANKS) && base64_is_blank(c))
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		/* Data after padding: two encodings glued, or garbage. */
		if (pad > 0)
			return -1;
		v = base64_value(c);
		if (v < 0)
			return -1;
		acc = acc << 6 | (unsigned)v;
		bits += 6;
		got++;
		if (bits >= 8) {
			bits -= 8;
			if (out != NULL) {
				if (n == cap)
					return -1;
				out[n] = (unsigned char)(acc >> bits);
			}
			n++;
			acc &= (1u << bits) - 1;
		}
	}
	/* A lone sextet in the last quantum cannot encode a byte. */
	if (got % 4 == 1 || pad > 2)
		return -1;
	/* Padding, where present, completes the last quantum exactly;
	 * strict decoding also requires it. */
	if ((pad > 0 || !(flags & BASE64_UNPADDED)) && (got + pad) % 4 != 0)
		return -1;
	/* The bits left over are the unused low bits of the last letter. */
	if ((flags & BASE64_CANONICAL) && acc != 0)
		return -1;
	return (ssize_t)n;
}

int
base64_decode_buf(struct str in, unsigned flags, struct buf *out)
{
	size_t max = in.len / 4 * 3 + in.len % 4;
	ssize_t n;

	buf_reserve(out, max);
	n = base64_decode(in, flags, (unsigned char *)out->p + out->len, max);
	if (n < 0)
		return -1;
	out->len += (size_t)n;
	return 0;
}
