/*
 * proxy_proto.c - strict reader of PROXY protocol v1 and v2 headers
 * (see proxy_proto.h). Pure: bytes in, a verdict out.
 */
#include "net/proxy_proto.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

static const uint8_t proxy_proto_sig2[12] = {
    0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};
static const char proxy_proto_sig1[] = "PROXY ";

/* proxy_proto_fail - set err and return -1. */
static int
proxy_proto_fail(char *err, size_t errlen, const char *why)
{
	snprintf(err, errlen, "PROXY header: %s", why);
	return -1;
}

/* proxy_proto_port - a v1 port: 1-5 digits, no leading zero, <= 65535.
 * -1 if s[0..n) is not one. */
static long
proxy_proto_port(const char *s, size_t n)
{
	long v = 0;
	size_t i;

	if (n == 0 || n > 5 || (n > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v <= 65535 ? v : -1;
}

/* proxy_proto_v1_addr - s[0..n) as an address of family af (canonical
 * text only: what inet_ntop would print back). 0 or -1. */
static int
proxy_proto_v1_addr(int af, const char *s, size_t n, long port,
                    struct sockaddr_storage *ss, socklen_t *sl)
{
	char txt[INET6_ADDRSTRLEN + 1], back[INET6_ADDRSTRLEN];

	if (n == 0 || n >= sizeof(txt))
		return -1;
	memcpy(txt, s, n);
	txt[n] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (af == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, txt, &in->sin_addr) != 1)
			return -1;
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		*sl = sizeof(*in);
		inet_ntop(AF_INET, &in->sin_addr, back, sizeof(back));
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, txt, &in6->sin6_addr) != 1)
			return -1;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*sl = sizeof(*in6);
		/* IPv6 has several valid spellings: inet_pton decides. */
		return 0;
	}
	return strcmp(txt, back) == 0 ? 0 : -1;
}

/* proxy_proto_v1 - the text form; buf starts with "PROXY ". */
static int
proxy_proto_v1(const uint8_t *buf, size_t len, struct proxy_proto_hdr *out,
               char *err, size_t errlen)
{
	const char *s = (const char *)buf, *f[6], *end;
	size_t fl[6], nf = 0, i, linelen;
	const uint8_t *cr = memchr(buf, '\r', len);
	long sport, dport;
	int af;

	if (cr == NULL) {
		if (len >= PROXY_PROTO_V1_MAX)
			return proxy_proto_fail(
			    err, errlen, "v1 line longer than 107 octets");
		for (i = 0; i < len; i++)
			if (buf[i] < 0x20 || buf[i] > 0x7e)
				return proxy_proto_fail(
				    err, errlen, "v1 line has a control octet");
		return 0;
	}
	linelen = (size_t)(cr - buf) + 2;
	if (linelen > PROXY_PROTO_V1_MAX)
		return proxy_proto_fail(err, errlen,
		                        "v1 line longer than 107 octets");
	if ((size_t)(cr - buf) + 1 >= len)
		return 0; /* the LF is still to come */
	if (cr[1] != '\n')
		return proxy_proto_fail(err, errlen, "v1 line: CR without LF");
	end = (const char *)cr;
	for (i = 0; s + i < end; i++)
		if (buf[i] < 0x20 || buf[i] > 0x7e)
			return proxy_proto_fail(err, errlen,
			                        "v1 line has a control octet");
	/* Fields after "PROXY ", separated by single spaces. */
	s += 6;
	if (end - s >= 7 && memcmp(s, "UNKNOWN", 7) == 0 &&
	    (end - s == 7 || s[7] == ' ')) {
		memset(out, 0, sizeof(*out));
		out->version = 1;
		out->local = true;
		return (int)linelen;
	}
	while (s <= end && nf < 6) {
		const char *sp = memchr(s, ' ', (size_t)(end - s));

		f[nf] = s;
		fl[nf] = (size_t)((sp ? sp : end) - s);
		nf++;
		if (sp == NULL) {
			s = end + 1;
			break;
		}
		s = sp + 1;
	}
	if (nf != 5 || s != end + 1)
		return proxy_proto_fail(err, errlen,
		                        "v1 line: expected PROXY TCP4|TCP6 src "
		                        "dst sport dport");
	if (fl[0] == 4 && memcmp(f[0], "TCP4", 4) == 0)
		af = AF_INET;
	else if (fl[0] == 4 && memcmp(f[0], "TCP6", 4) == 0)
		af = AF_INET6;
	else
		return proxy_proto_fail(err, errlen,
		                        "v1 protocol is not TCP4, TCP6 or "
		                        "UNKNOWN");
	sport = proxy_proto_port(f[3], fl[3]);
	dport = proxy_proto_port(f[4], fl[4]);
	if (sport < 0 || dport < 0)
		return proxy_proto_fail(err, errlen, "v1 port is not 0-65535");
	memset(out, 0, sizeof(*out));
	if (proxy_proto_v1_addr(af, f[1], fl[1], sport, &out->src,
	                        &out->src_len) < 0 ||
	    proxy_proto_v1_addr(af, f[2], fl[2], dport, &out->dst,
	                        &out->dst_len) < 0)
		return proxy_proto_fail(err, errlen,
		                        "v1 address is not a canonical address "
		                        "of the protocol's family");
	out->version = 1;
	return (int)linelen;
}

/* proxy_proto_v2 - the binary form; buf starts with the signature's
 * first min(len, 12) octets. */
static int
proxy_proto_v2(const uint8_t *buf, size_t len, struct proxy_proto_hdr *out,
               char *err, size_t errlen)
{
	size_t total, need;
	uint8_t cmd, fam, proto;

	if (len < 16)
		return 0;
	if ((buf[12] >> 4) != 2)
		return proxy_proto_fail(err, errlen, "v2 version is not 2");
	cmd = buf[12] & 0x0f;
	if (cmd > 1)
		return proxy_proto_fail(err, errlen,
		                        "v2 command is not LOCAL or PROXY");
	fam = buf[13] >> 4;
	proto = buf[13] & 0x0f;
	total = 16 + (((size_t)buf[14] << 8) | buf[15]);
	if (total > PROXY_PROTO_MAX)
		return proxy_proto_fail(err, errlen, "v2 header too long");
	if (fam > 3)
		return proxy_proto_fail(err, errlen, "v2 family is unknown");
	if (proto > 2)
		return proxy_proto_fail(err, errlen, "v2 transport is unknown");
	need = fam == 1 ? 12 : fam == 2 ? 36 : fam == 3 ? 216 : 0;
	if (total - 16 < need)
		return proxy_proto_fail(
		    err, errlen, "v2 length does not cover the addresses");
	if (cmd == 1 && fam != 0 && proto != 1)
		return proxy_proto_fail(err, errlen,
		                        "v2 transport is not a stream");
	if (len < total)
		return 0;
	memset(out, 0, sizeof(*out));
	out->version = 2;
	if (cmd == 0 || fam == 0 || fam == 3) {
		out->local = true;
		return (int)total;
	}
	if (fam == 1) {
		struct sockaddr_in *s = (struct sockaddr_in *)&out->src;
		struct sockaddr_in *d = (struct sockaddr_in *)&out->dst;

		s->sin_family = d->sin_family = AF_INET;
		memcpy(&s->sin_addr, buf + 16, 4);
		memcpy(&d->sin_addr, buf + 20, 4);
		memcpy(&s->sin_port, buf + 24, 2);
		memcpy(&d->sin_port, buf + 26, 2);
		out->src_len = out->dst_len = sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&out->src;
		struct sockaddr_in6 *d = (struct sockaddr_in6 *)&out->dst;

		s->sin6_family = d->sin6_family = AF_INET6;
		memcpy(&s->sin6_addr, buf + 16, 16);
		memcpy(&d->sin6_addr, buf + 32, 16);
		memcpy(&s->sin6_port, buf + 48, 2);
		memcpy(&d->sin6_port, buf + 50, 2);
		out->src_len = out->dst_len = sizeof(*s);
	}
	return (int)total;
}

int
proxy_proto_parse(const uint8_t *buf, size_t len, struct proxy_proto_hdr *out,
                  char *err, size_t errlen)
{
	size_t n;

	if (len == 0)
		return 0;
	n = len < sizeof(proxy_proto_sig2) ? len : sizeof(proxy_proto_sig2);
	if (memcmp(buf, proxy_proto_sig2, n) == 0)
		return proxy_proto_v2(buf, len, out, err, errlen);
	n = len < 6 ? len : 6;
	if (memcmp(buf, proxy_proto_sig1, n) == 0)
		return n < 6 ? 0 : proxy_proto_v1(buf, len, out, err, errlen);
	return proxy_proto_fail(err, errlen,
	                        "expected from a load balancer, not found");
}

char *
proxy_proto_addr_str(const struct sockaddr_storage *ss, char *out, size_t n)
{
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;

	if (n == 0)
		return out;
	out[0] = '\0';
	if (ss->ss_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr,
		          out, (socklen_t)n);
	} else if (ss->ss_family == AF_INET6) {
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
			inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], out,
			          (socklen_t)n);
		else
			inet_ntop(AF_INET6, &in6->sin6_addr, out, (socklen_t)n);
	}
	return out;
}
