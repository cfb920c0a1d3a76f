/*
 * readiness_dnsmsg.c - walk a DNS response (see readiness_dnsmsg.h).
 */
#include "readiness/readiness_dnsmsg.h"

#include <stdio.h>
#include <string.h>

#define DNS_HEADER 12

/* u16 - the big-endian 16-bit value at p. */
static unsigned
u16(const unsigned char *p)
{
	return ((unsigned)p[0] << 8) | p[1];
}

/* skip_name - the offset after the name at off, or 0 (with err) when it
 * is malformed. A pointer ends the name (it is not followed). */
static size_t
skip_name(const unsigned char *msg, size_t len, size_t off, char *err,
          size_t errlen)
{
	size_t total = 0;

	for (;;) {
		unsigned l;

		if (off >= len) {
			snprintf(err, errlen, "a name runs past the end");
			return 0;
		}
		l = msg[off];
		if (l == 0)
			return off + 1;
		if ((l & 0xC0) == 0xC0) {
			if (off + 2 > len ||
			    (((l & 0x3F) << 8) | msg[off + 1]) >= len) {
				snprintf(err, errlen,
				         "a name pointer runs past the end");
				return 0;
			}
			return off + 2;
		}
		if ((l & 0xC0) != 0) {
			snprintf(err, errlen, "a label of unknown type 0x%02x",
			         l & 0xC0);
			return 0;
		}
		total += l + 1;
		if (total > 255) {
			snprintf(err, errlen, "a name over 255 bytes");
			return 0;
		}
		off += l + 1;
	}
}

/* txt_read - join the character strings of a TXT record's data (n
 * bytes at p) into out's next slot. 0, or -1 with err. */
static int
txt_read(const unsigned char *p, size_t n, struct readiness_dns_answer *out,
         char *err, size_t errlen)
{
	size_t i = 0, used = 0;
	char *dst =
	    out->n_txt < READINESS_DNS_TXT_MAX ? out->txt[out->n_txt] : NULL;

	if (n == 0) {
		snprintf(err, errlen, "a TXT record without strings");
		return -1;
	}
	while (i < n) {
		size_t l = p[i];

		if (i + 1 + l > n) {
			snprintf(err, errlen,
			         "a TXT string runs past its record");
			return -1;
		}
		if (dst != NULL) {
			size_t take = l;

			if (used + take > READINESS_TXT_MAX + 1)
				take = READINESS_TXT_MAX + 1 - used;
			memcpy(dst + used, p + i + 1, take);
			used += take;
		}
		i += 1 + l;
	}
	if (dst != NULL) {
		dst[used] = '\0';
		out->txt_len[out->n_txt++] = used;
	}
	return 0;
}

int
readiness_dns_answer_parse(const unsigned char *msg, size_t len,
                           struct readiness_dns_answer *out, char *err,
                           size_t errlen)
{
	unsigned qd, an, i;
	size_t off = DNS_HEADER;

	memset(out, 0, sizeof(*out));
	if (msg == NULL || len < DNS_HEADER) {
		snprintf(err, errlen, "shorter than a DNS header (%zu bytes)",
		         msg == NULL ? 0 : len);
		return -1;
	}
	if ((msg[2] & 0x80) == 0) {
		snprintf(err, errlen, "not a response (QR is 0)");
		return -1;
	}
	out->rcode = msg[3] & 0x0F;
	qd = u16(msg + 4);
	an = u16(msg + 6);
	for (i = 0; i < qd; i++) {
		off = skip_name(msg, len, off, err, errlen);
		if (off == 0)
			return -1;
		if (off + 4 > len) {
			snprintf(err, errlen, "a question runs past the end");
			return -1;
		}
		off += 4;
	}
	for (i = 0; i < an; i++) {
		unsigned type;
		size_t rdlen;

		off = skip_name(msg, len, off, err, errlen);
		if (off == 0)
			return -1;
		if (off + 10 > len) {
			snprintf(err, errlen, "an answer runs past the end");
			return -1;
		}
		type = u16(msg + off);
		rdlen = u16(msg + off + 8);
		off += 10;
		if (off + rdlen > len) {
			snprintf(err, errlen,
			         "an answer's data runs past the end");
			return -1;
		}
		if (type == READINESS_DNS_T_CNAME)
			out->n_cname++;
		else if (type == READINESS_DNS_T_MX)
			out->n_mx++;
		else if (type == READINESS_DNS_T_TXT &&
		         txt_read(msg + off, rdlen, out, err, errlen) != 0)
			return -1;
		off += rdlen;
		out->n_answers++;
	}
	return 0;
}
