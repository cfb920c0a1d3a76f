/*
 * fuzz_cluster_status.c - an incident's public face from another node
 * (cluster_status_decode) against arbitrary bytes.
 *
 * A face that decodes must encode again to a face that decodes to the
 * same id, title, status, impact and counts; a refused one leaves
 * nothing to free.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster_status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cluster_face f, g;
	char err[160], *json;

	if (cluster_status_decode((const char *)data, size, &f, err,
	                          sizeof(err)) != 0) {
		if (f.id != NULL || f.updates != NULL || f.providers != NULL)
			abort();
		return 0;
	}
	json = cluster_status_encode(&f.info);
	if (cluster_status_decode(json, strlen(json), &g, err, sizeof(err)) !=
	        0 ||
	    strcmp(f.info.id, g.info.id) != 0 ||
	    strcmp(f.info.title, g.info.title) != 0 ||
	    f.info.status != g.info.status || f.info.impact != g.info.impact ||
	    f.info.n_updates != g.info.n_updates ||
	    f.info.n_providers != g.info.n_providers ||
	    f.info.n_streams != g.info.n_streams)
		abort();
	cluster_face_fini(&g);
	free(json);
	cluster_face_fini(&f);
	return 0;
}
