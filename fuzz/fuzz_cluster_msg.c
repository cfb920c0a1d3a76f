/*
 * fuzz_cluster_msg.c - the cluster channel's message decoder against
 * arbitrary bytes (a hostile or broken peer on the shared Redis).
 *
 * Checks: a refusal says why and leaves nothing allocated; an accepted
 * message has a non-empty node, strings within CLUSTER_MSG_TEXT_MAX, and
 * encodes to JSON that decodes to the same fields.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster_msg.h"

static int
same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	       (a != NULL && b != NULL && strcmp(a, b) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cluster_msg m, m2;
	char err[160], *json;

	err[0] = '\0';
	if (cluster_msg_decode((const char *)data, size, &m, err, sizeof(err)) <
	    0) {
		if (err[0] == '\0' || m.node != NULL)
			abort();
		return 0;
	}
	if (m.node == NULL || m.node[0] == '\0' ||
	    strlen(m.node) > CLUSTER_MSG_TEXT_MAX)
		abort();
	if (m.kind == CLUSTER_MSG_OTHER) {
		cluster_msg_fini(&m);
		return 0;
	}
	json = cluster_msg_encode(&m);
	if (cluster_msg_decode(json, strlen(json), &m2, err, sizeof(err)) < 0)
		abort();
	if (m2.kind != m.kind || !same(m.node, m2.node) ||
	    m.at_ms != m2.at_ms || !same(m.provider, m2.provider) ||
	    m.for_ms != m2.for_ms)
		abort();
	free(json);
	cluster_msg_fini(&m);
	cluster_msg_fini(&m2);
	return 0;
}
