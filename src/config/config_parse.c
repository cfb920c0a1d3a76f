/*
 * config_parse.c - the scalar parsers behind the config: sizes, durations,
 * listen addresses and CIDR networks, and the network membership test.
 *
 * Pure functions over C strings: no allocation except the host copy in
 * config_parse_addr, no I/O, no locale. Every parser takes the whole string
 * or nothing: empty input, signs, overflow and trailing junk fail with -1
 * and leave *out untouched.
 */
#include "config/config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "core/xmalloc.h"

struct parse_unit {
	const char *name;
	uint64_t mult;
};

/* parse_digits - read a decimal number at *sp; -1 if none or too big. */
static int
parse_digits(const char **sp, uint64_t *out)
{
	const char *s = *sp;
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*sp = s;
	*out = v;
	return 0;
}

/* parse_mul - *v *= m unless that overflows. */
static int
parse_mul(uint64_t *v, uint64_t m)
{
	if (m != 0 && *v > UINT64_MAX / m)
		return -1;
	*v *= m;
	return 0;
}

int
config_parse_size(const char *s, uint64_t *out)
{
	static const struct parse_unit units[] = {
	    {"", 1},
	    {"b", 1},
	    {"k", 1ULL << 10},
	    {"kb", 1ULL << 10},
	    {"kib", 1ULL << 10},
	    {"m", 1ULL << 20},
	    {"mb", 1ULL << 20},
	    {"mib", 1ULL << 20},
	    {"g", 1ULL << 30},
	    {"gb", 1ULL << 30},
	    {"gib", 1ULL << 30},
	    {"t", 1ULL << 40},
	    {"tb", 1ULL << 40},
	    {"tib", 1ULL << 40},
	};
	const char *p = s;
	uint64_t v;
	bool spaced = false;
	size_t i;

	if (s == NULL || parse_digits(&p, &v) < 0)
		return -1;
	/* "25 MB" reads naturally; "25 " is junk. */
	while (*p == ' ') {
		p++;
		spaced = true;
	}
	if (spaced && *p == '\0')
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcasecmp(p, units[i].name) != 0)
			continue;
		if (parse_mul(&v, units[i].mult) < 0)
			return -1;
		*out = v;
		return 0;
	}
	return -1;
}

int
config_parse_duration(const char *s, uint64_t *out)
{
	/* Case matters: "m" is minutes, and "M" would only confuse. */
	static const struct parse_unit units[] = {
	    {"ms", 1},          {"s", 1000},         {"m", 60 * 1000},
	    {"h", 3600 * 1000}, {"d", 86400 * 1000}, {"w", 7 * 86400 * 1000},
	};
	const char *p = s;
	uint64_t total = 0, v;
	size_t i, n;

	if (s == NULL || *s == '\0')
		return -1;
	/* A bare number is seconds; otherwise "1h30m"-style components. */
	while (*p != '\0') {
		const char *start = p;
		if (parse_digits(&p, &v) < 0)
			return -1;
		for (n = 0; p[n] >= 'a' && p[n] <= 'z'; n++)
			;
		if (n == 0) {
			if (start != s || *p != '\0')
				return -1;
			if (parse_mul(&v, 1000) < 0)
				return -1;
		} else {
			for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
				if (strlen(units[i].name) == n &&
				    strncmp(p, units[i].name, n) == 0)
					break;
			if (i == sizeof(units) / sizeof(units[0]))
				return -1;
			if (parse_mul(&v, units[i].mult) < 0)
				return -1;
			p += n;
		}
		if (total > UINT64_MAX - v)
			return -1;
		total += v;
	}
	*out = total;
	return 0;
}

/* parse_port - "1".."65535", digits only. */
static int
parse_port(const char *s, uint16_t *out)
{
	const char *p = s;
	uint64_t v;

	if (strlen(s) > 5 || parse_digits(&p, &v) < 0 || *p != '\0')
		return -1;
	if (v < 1 || v > 65535)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

/* parse_host_ok - a name or IPv4 literal: letters, digits, '.', '-', '_'. */
static bool
parse_host_ok(const char *h, size_t len)
{
	size_t i;

	if (len == 0 || len > 253)
		return false;
	for (i = 0; i < len; i++) {
		char c = h[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '-' ||
		      c == '_'))
			return false;
	}
	return true;
}

int
config_parse_addr(const char *s, struct config_addr *out)
{
	const char *host, *colon;
	size_t hlen;
	uint16_t port;
	char v6[INET6_ADDRSTRLEN + 1];
	struct in6_addr a6;

	if (s == NULL)
		return -1;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL || close[1] != ':')
			return -1;
		host = s + 1;
		hlen = (size_t)(close - host);
		if (hlen == 0 || hlen >= sizeof(v6))
			return -1;
		memcpy(v6, host, hlen);
		v6[hlen] = '\0';
		if (inet_pton(AF_INET6, v6, &a6) != 1)
			return -1;
		colon = close + 1;
	} else {
		colon = strchr(s, ':');
		/* A second colon means a bare IPv6 address: brackets needed. */
		if (colon == NULL || strchr(colon + 1, ':') != NULL)
			return -1;
		host = s;
		hlen = (size_t)(colon - s);
		if (!parse_host_ok(host, hlen))
			return -1;
	}
	if (parse_port(colon + 1, &port) < 0)
		return -1;
	out->host = xstrndup(host, hlen);
	out->port = port;
	return 0;
}

int
config_parse_net(const char *s, struct config_net *out)
{
	struct config_net net;
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash, *p;
	size_t alen, i;
	unsigned bits;
	uint64_t prefix;

	if (s == NULL)
		return -1;
	memset(&net, 0, sizeof(net));
	slash = strchr(s, '/');
	alen = slash ? (size_t)(slash - s) : strlen(s);
	if (alen == 0 || alen >= sizeof(addr))
		return -1;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET, addr, net.addr) == 1) {
		net.family = AF_INET;
		bits = 32;
	} else if (inet_pton(AF_INET6, addr, net.addr) == 1) {
		net.family = AF_INET6;
		bits = 128;
	} else {
		return -1;
	}
	net.prefix = bits;
	if (slash != NULL) {
		p = slash + 1;
		if (strlen(p) > 3 || parse_digits(&p, &prefix) < 0 ||
		    *p != '\0' || prefix > bits)
			return -1;
		net.prefix = (unsigned)prefix;
	}
	/* Host bits set ("10.0.0.1/8") is almost always a typo: refuse it. */
	for (i = net.prefix; i < bits; i++)
		if (net.addr[i / 8] & (0x80 >> (i % 8)))
			return -1;
	*out = net;
	return 0;
}

/* net_prefix_equal - the first bits bits of a and b agree. */
static bool
net_prefix_equal(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;
	uint8_t mask;

	if (memcmp(a, b, whole) != 0)
		return false;
	if (rest == 0)
		return true;
	mask = (uint8_t)(0xff << (8 - rest));
	return (a[whole] & mask) == (b[whole] & mask);
}

bool
config_net_contains(const struct config_net *net, const struct sockaddr *sa)
{
	const uint8_t *bytes;
	int family;

	if (net == NULL || sa == NULL)
		return false;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
		bytes = (const uint8_t *)&sin->sin_addr;
		family = AF_INET;
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 =
		    (const struct sockaddr_in6 *)sa;
		bytes = (const uint8_t *)&sin6->sin6_addr;
		family = AF_INET6;
		/* A dual-stack socket shows IPv4 peers as ::ffff:a.b.c.d. */
		if (net->family == AF_INET &&
		    IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			bytes += 12;
			family = AF_INET;
		}
	} else {
		return false;
	}
	if (family != net->family)
		return false;
	return net_prefix_equal(bytes, net->addr, net->prefix);
}
