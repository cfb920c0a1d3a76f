/*
 * fuzz_api_json_fast.c - libFuzzer target for the send API's one-pass
 * JSON parser (ingress/api_json_fast.c).
 *
 * Invariant checked: whenever it returns a value, jansson's json_loadb
 * with the same flags returns an equal one that dumps to the same bytes
 * in the same key order; it never reads past the input (ASan).
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingress/api_json_fast.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fuzz_check - abort unless ok (libFuzzer reports the crash). */
static void
fuzz_check(int ok)
{
	if (!ok)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes: ASan sees any read past the end. */
	char *in = malloc(size ? size : 1);
	json_t *f, *j;
	char *df, *dj;

	memcpy(in, data, size);
	f = api_json_fast_load(in, size);
	if (f != NULL) {
		j = json_loadb(in, size,
		               JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
		fuzz_check(j != NULL && json_equal(f, j));
		df = json_dumps(f, JSON_COMPACT | JSON_PRESERVE_ORDER);
		dj = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
		fuzz_check(df != NULL && dj != NULL && strcmp(df, dj) == 0);
		free(df);
		free(dj);
		json_decref(j);
		json_decref(f);
	}
	free(in);
	return 0;
}
