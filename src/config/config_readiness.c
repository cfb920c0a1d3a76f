/*
 * config_readiness.c - the readiness: section (readiness/readiness_poll.h:
 * failover readiness of every provider for every sender domain).
 *
 *   readiness:
 *     interval: 0          check each provider x sender domain this
 *                          often (0: only on demand, swervectl
 *                          readiness --refresh)
 *     resolver: ""         DNS servers, "ip[:port]" comma-separated
 *                          ("[v6]:port"); empty: the system's
 *     timeout: 10s         one verification request
 *     dns_timeout: 2s      one DNS try (two tries)
 *     max_metrics: 200     swerve_readiness series at most
 */
#include "config/config_keys.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define C struct config
const struct config_key config_keys_readiness[] = {
    {ROW("interval", KEY_DURATION, 0), FIELD(C, readiness_interval_ms)},
    {ROW("resolver", KEY_STR, 0), FIELD(C, readiness_resolver)},
    {ROW("timeout", KEY_DURATION, 0), FIELD(C, readiness_timeout_ms),
     .min = 100},
    {ROW("dns_timeout", KEY_DURATION, 0), FIELD(C, readiness_dns_timeout_ms),
     .min = 100},
    {ROW("max_metrics", KEY_INT, 0), FIELD(C, readiness_max_metrics), .min = 0,
     .max = 100000},
    {.name = NULL},
};
#undef C

/* server_ok - "a.b.c.d[:port]" or "[v6]:port" or a bare v6 address. */
static int
server_ok(const char *s, size_t n)
{
	char host[64], *end;
	unsigned char buf[16];
	const char *port = NULL;
	size_t hl;

	if (n == 0 || n >= sizeof(host))
		return 0;
	if (s[0] == '[') {
		const char *rb = memchr(s, ']', n);

		if (rb == NULL)
			return 0;
		hl = (size_t)(rb - s - 1);
		memcpy(host, s + 1, hl);
		host[hl] = '\0';
		if ((size_t)(rb - s) + 1 < n) {
			if (rb[1] != ':')
				return 0;
			port = rb + 2;
		}
		if (inet_pton(AF_INET6, host, buf) != 1)
			return 0;
	} else {
		const char *colon = memchr(s, ':', n);

		hl = colon != NULL ? (size_t)(colon - s) : n;
		memcpy(host, s, hl);
		host[hl] = '\0';
		if (colon != NULL)
			port = colon + 1;
		if (inet_pton(AF_INET, host, buf) != 1)
			return 0;
	}
	if (port != NULL) {
		long v = strtol(port, &end, 10);

		if (end == port || end != s + n || v < 1 || v > 65535)
			return 0;
	}
	return 1;
}

int
config_readiness_check(struct config_ctx *x, const struct config_node *root,
                       const struct config *c)
{
	const char *s = c->readiness_resolver, *comma;

	(void)root;
	while (s != NULL && *s != '\0') {
		comma = strchr(s, ',');
		if (!server_ok(s, comma ? (size_t)(comma - s) : strlen(s)))
			return config_error(
			    x, 1, "readiness.resolver",
			    "expected \"ip[:port]\" (IPv6 as \"[ip]:port\"), "
			    "comma-separated");
		s = comma ? comma + 1 : NULL;
	}
	return 0;
}
