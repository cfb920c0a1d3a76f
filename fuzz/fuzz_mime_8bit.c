/*
 * fuzz_mime_8bit.c - libFuzzer target for the 8-bit judgement and the
 * RFC 6152 downgrade (mime/mime_8bit.h).
 *
 * Input: a message. Checks that a downgrade that succeeds leaves no 8-bit
 * octet, copies a 7-bit message byte for byte, and that one that fails
 * says why; that the scan and the SMTPUTF8 judgement agree with each
 * other; and that converting the result again changes nothing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "mime/mime_8bit.h"

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
	const char *msg = (const char *)data;
	const char *rcpt[] = {"a@example.net"};
	struct buf out, again;
	char why[160];
	unsigned bits = mime_8bit_scan(msg, size);
	size_t i;
	int rc;

	fuzz_check(
	    mime_8bit_needs_smtputf8("s@example.com", rcpt, 1, msg, size) ==
	    ((bits & MIME_8BIT_HEADER) != 0));
	buf_init(&out);
	rc = mime_8bit_downgrade(msg, size, &out, why, sizeof(why));
	if (rc != 0) {
		fuzz_check(rc == -1 && why[0] != '\0' && bits != 0);
		buf_fini(&out);
		return 0;
	}
	for (i = 0; i < out.len; i++)
		fuzz_check(((unsigned char)out.p[i] & 0x80) == 0);
	if (bits == 0)
		fuzz_check(out.len == size &&
		           (size == 0 || memcmp(out.p, msg, size) == 0));
	buf_init(&again);
	fuzz_check(mime_8bit_downgrade(out.p ? out.p : "", out.len, &again, why,
	                               sizeof(why)) == 0);
	fuzz_check(again.len == out.len &&
	           (out.len == 0 || memcmp(again.p, out.p, out.len) == 0));
	buf_fini(&again);
	buf_fini(&out);
	return 0;
}
