/*
 * fuzz_mime_header.c - libFuzzer target for the header-section scanner.
 *
 * Input: byte 0 picks a field name, the rest is a message. Checks that the
 * header section never extends past the input, that only the header
 * section decides mime_header_has(), that a field we prepend is always
 * found (what smtpd adds is what it later looks for), that the header
 * section of a message is also the header section of itself, and that a
 * msg-id the validator accepts (mime_msgid_trim) is a view inside the
 * input, bracketed, with no blank, control or NUL octet in it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "mime/header.h"

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
	static const char *const names[] = {"Message-ID", "Date", "From",
	                                    "Received",   "X",    "Subject"};
	const char *name, *msg;
	size_t len, hlen;
	struct buf b;
	struct str id;
	bool has;

	if (size < 1)
		return 0;
	name = names[data[0] % (sizeof(names) / sizeof(names[0]))];
	msg = (const char *)data + 1;
	len = size - 1;

	hlen = mime_header_len(msg, len);
	fuzz_check(hlen <= len);
	fuzz_check(mime_header_len(msg, hlen) == hlen);
	has = mime_header_has(msg, len, name);
	fuzz_check(has == mime_header_has(msg, hlen, name));

	if (mime_msgid_trim(msg, len, &id)) {
		size_t i;

		fuzz_check(id.p >= msg && id.p + id.len <= msg + len);
		fuzz_check(id.len >= 5 && id.len <= MIME_MSGID_MAX);
		fuzz_check(id.p[0] == '<' && id.p[id.len - 1] == '>');
		fuzz_check(memchr(id.p, '@', id.len) != NULL);
		for (i = 0; i < id.len; i++)
			fuzz_check((unsigned char)id.p[i] > 0x20 &&
			           id.p[i] != 0x7f);
		fuzz_check(mime_msgid_valid(id.p, id.len));
	}

	buf_init(&b);
	buf_printf(&b, "%s: fuzz\r\n", name);
	buf_add(&b, msg, len);
	fuzz_check(mime_header_has(b.p, b.len, name));
	buf_fini(&b);
	return 0;
}
