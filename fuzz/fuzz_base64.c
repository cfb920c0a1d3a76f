/*
 * fuzz_base64.c - libFuzzer target for the one base64 codec.
 *
 * The input is decoded under every combination of flags. Invariants
 * checked: measuring (out NULL) agrees with decoding; whatever a stricter
 * combination accepts, a looser one accepts with the same bytes (dropping
 * BASE64_CANONICAL or adding BASE64_BLANKS or BASE64_UNPADDED is looser);
 * what canonical strict decoding accepts encodes back to the input
 * exactly; a failed buffer decode leaves the buffer's length alone; and
 * any input, taken as bytes, survives an encode and a canonical decode.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/base64.h"

#define FUZZ_FLAGS 8 /* every combination of the three flags */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fuzz_check - abort unless ok (libFuzzer reports the crash). */
static void
fuzz_check(int ok)
{
	if (!ok)
		abort();
}

/* fuzz_looser - does flags g accept at least what flags f accepts? */
static int
fuzz_looser(unsigned g, unsigned f)
{
	unsigned loosen = BASE64_BLANKS | BASE64_UNPADDED;

	return (g & loosen & f) == (f & loosen) &&
	       (g & BASE64_CANONICAL & ~f) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct str in = {(const char *)data, size};
	unsigned char *out[FUZZ_FLAGS];
	ssize_t n[FUZZ_FLAGS];
	unsigned f, g;
	struct buf b;
	char *again;

	if (size > 4096)
		return 0;
	for (f = 0; f < FUZZ_FLAGS; f++) {
		out[f] = malloc(size + 1);
		n[f] = base64_decode(in, f, out[f], size);
		fuzz_check(base64_decode(in, f, NULL, 0) == n[f]);
		fuzz_check(n[f] < 0 || (size_t)n[f] <= size / 4 * 3 + 2);
	}
	for (f = 0; f < FUZZ_FLAGS; f++)
		for (g = 0; g < FUZZ_FLAGS; g++)
			if (n[f] >= 0 && fuzz_looser(g, f))
				fuzz_check(
				    n[g] == n[f] &&
				    memcmp(out[g], out[f], (size_t)n[f]) == 0);
	if (n[BASE64_CANONICAL] >= 0) {
		again = base64_encode_str(out[BASE64_CANONICAL],
		                          (size_t)n[BASE64_CANONICAL]);
		fuzz_check(strlen(again) == size &&
		           memcmp(again, data, size) == 0);
		free(again);
	}
	buf_init(&b);
	buf_addstr(&b, "x");
	if (base64_decode_buf(in, BASE64_MIME, &b) < 0)
		fuzz_check(b.len == 1);
	else
		fuzz_check(b.len == 1 + (size_t)n[BASE64_MIME]);
	b.len = 0;
	base64_encode(&b, data, size);
	fuzz_check(base64_decode((struct str){b.p, b.len}, BASE64_CANONICAL,
	                         out[0], size) == (ssize_t)size &&
	           memcmp(out[0], data, size) == 0);
	buf_fini(&b);
	for (f = 0; f < FUZZ_FLAGS; f++)
		free(out[f]);
	return 0;
}
