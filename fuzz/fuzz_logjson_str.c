/*
 * fuzz_logjson_str.c - libFuzzer target for the JSON log lines' string
 * encoder (observe/logjson_str.c).
 *
 * Invariants checked: the encoder accepts exactly what jansson accepts
 * (well-formed UTF-8), writes byte for byte what jansson's compact dump
 * writes, appends nothing when it refuses, and what it writes is one
 * JSON string that jansson reads back as the input (no line can be
 * forged by a hostile provider answer).
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "observe/logjson_str.h"

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
	const char *s = (const char *)data;
	json_t *j = json_stringn(s, size), *back;
	struct buf b;
	char *want;
	int rc;

	buf_init(&b);
	rc = logjson_str_put(&b, s, size);
	fuzz_check((rc == 0) == (j != NULL));
	if (j == NULL) {
		fuzz_check(b.len == 0);
		buf_fini(&b);
		return 0;
	}
	want = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
	fuzz_check(want != NULL && strlen(want) == b.len &&
	           memcmp(want, b.p, b.len) == 0);
	fuzz_check(memchr(b.p, '\n', b.len) == NULL);
	back = json_loadb(b.p, b.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	fuzz_check(back != NULL && json_string_length(back) == size &&
	           memcmp(json_string_value(back), s, size) == 0);
	json_decref(back);
	free(want);
	json_decref(j);
	buf_fini(&b);
	return 0;
}
