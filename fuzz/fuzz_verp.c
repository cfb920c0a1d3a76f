/*
 * fuzz_verp.c - libFuzzer target for the VERP decoder.
 *
 * Invariants checked: decoding never crashes; an address that decodes
 * re-encodes (with its domain) to the same address up to the case of
 * its local part; an address whose mac was never written by
 * verp_encode() does not verify (the fuzzer would have to find an HMAC).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "deliver/verp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned char key[] = "fuzz-key-0123456789abcdef";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size + 1), id[ID_SIZE], dom[300],
	     again[VERP_ADDR_MAX];
	const char *d = NULL;
	size_t dlen = 0;
	int idx = 0;

	memcpy(in, data, size);
	in[size] = '\0';
	if (verp_decode(key, sizeof(key) - 1, in, id, &idx, &d, &dlen) ==
	    VERP_OK) {
		if (dlen >= sizeof(dom))
			abort();
		memcpy(dom, d, dlen);
		dom[dlen] = '\0';
		if (verp_encode(key, sizeof(key) - 1, id, idx, dom, again,
		                sizeof(again)) != 0 ||
		    strcasecmp(again, in) != 0)
			abort();
	}
	free(in);
	return 0;
}
