/*
 * fuzz_feedback_replay.c - the identity of an inbound webhook request
 * (feedback_replay_key) against arbitrary bytes, as a body and as a
 * Svix id header, for each provider type.
 *
 * The key must be NUL-terminated within its buffer, start with one of
 * the three documented prefixes, hold only printable ASCII without
 * space, and be the same for the same input (a replay must be
 * recognised).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingress/feedback_replay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* check_key - the key's documented shape. */
static void
check_key(const char *k, size_t len)
{
	size_t i;

	if (len >= FEEDBACK_REPLAY_KEY_MAX || strlen(k) != len)
		abort();
	if (strncmp(k, "mg:", 3) != 0 && strncmp(k, "svix:", 5) != 0 &&
	    strncmp(k, "body:", 5) != 0)
		abort();
	for (i = 0; i < len; i++)
		if (k[i] <= ' ' || k[i] > '~')
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const types[] = {"mailgun", "resend", "sendgrid",
	                                    NULL};
	char *copy = malloc(size + 1);
	struct feedback_header h;
	struct feedback_request r;
	char k1[FEEDBACK_REPLAY_KEY_MAX], k2[FEEDBACK_REPLAY_KEY_MAX];
	size_t i, n1, n2;

	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	memset(&r, 0, sizeof(r));
	r.body = copy;
	r.body_len = size;
	h.name = "svix-id";
	h.value = copy; /* up to its first NUL */
	r.headers = &h;
	r.n_headers = 1;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		n1 = feedback_replay_key(types[i], &r, k1, sizeof(k1));
		check_key(k1, n1);
		n2 = feedback_replay_key(types[i], &r, k2, sizeof(k2));
		if (n1 != n2 || strcmp(k1, k2) != 0)
			abort();
	}
	free(copy);
	return 0;
}
