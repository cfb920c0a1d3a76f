/*
 * fuzz_sasl.c - libFuzzer target for AUTH's strict base64 and PLAIN split.
 *
 * Input: byte 0 picks the output capacity, the rest is a client response.
 * A response that decodes must be canonical: encoding the result again
 * gives back exactly the input (no blanks, no odd padding, no stray bits),
 * and the result fits the capacity. A PLAIN split that succeeds returns
 * non-empty views inside the decoded bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/base64.h"
#include "core/buf.h"
#include "ingress/submit_policy.h"

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
	unsigned char out[600];
	char again[820];
	struct str in, user, pass;
	size_t cap;
	ssize_t n;

	if (size < 1 || size > 800)
		return 0;
	cap = (size_t)data[0] * 2 + 1;
	in.p = (const char *)data + 1;
	in.len = size - 1;
	n = base64_decode(in, BASE64_CANONICAL, out, cap);
	if (n < 0)
		return 0;
	fuzz_check((size_t)n <= cap);
	base64_encode_mem(again, out, (size_t)n);
	fuzz_check(strlen(again) == in.len && memcmp(again, in.p, in.len) == 0);
	if (submit_policy_plain_split(out, (size_t)n, &user, &pass) == 0) {
		fuzz_check(user.len > 0 && pass.len > 0);
		fuzz_check((const unsigned char *)user.p > out &&
		           (const unsigned char *)pass.p + pass.len == out + n);
		fuzz_check(memchr(user.p, '\0', user.len) == NULL);
		fuzz_check(memchr(pass.p, '\0', pass.len) == NULL);
	}
	return 0;
}
