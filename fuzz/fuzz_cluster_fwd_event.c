/*
 * fuzz_cluster_fwd_event.c - the decoder of provider events forwarded
 * between nodes through Redis, against arbitrary bytes (a hostile or
 * broken peer on the shared Redis).
 *
 * Checks: a refusal says why and leaves the event all zero; an accepted
 * event has a provider, an event id and a valid swerve id, every text
 * NUL-terminated within its field, and encodes to JSON that decodes to
 * the same event.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster_fwd_event.h"
#include "core/id.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct feedback_event zero;
	struct feedback_event e, e2;
	char err[200], from[64], from2[64], *json;

	err[0] = '\0';
	if (cluster_fwd_event_decode((const char *)data, size, &e, from,
	                             sizeof(from), err, sizeof(err)) < 0) {
		if (err[0] == '\0' || memcmp(&e, &zero, sizeof(e)) != 0)
			abort();
		return 0;
	}
	if (e.provider[0] == '\0' || e.event_id[0] == '\0' ||
	    !id_valid(e.swerve_id) ||
	    memchr(e.diagnostic, '\0', sizeof(e.diagnostic)) == NULL ||
	    memchr(from, '\0', sizeof(from)) == NULL)
		abort();
	json = cluster_fwd_event_encode(&e, from);
	if (json == NULL)
		return 0; /* a text that is not UTF-8 after sanitising */
	if (cluster_fwd_event_decode(json, strlen(json), &e2, from2,
	                             sizeof(from2), err, sizeof(err)) < 0 ||
	    memcmp(&e, &e2, sizeof(e)) != 0 || strcmp(from, from2) != 0)
		abort();
	free(json);
	return 0;
}
