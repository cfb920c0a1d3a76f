/*
 * fuzz_api_json.c - libFuzzer target for the send API's JSON decoder.
 *
 * Decodes arbitrary bytes as one message and as a batch. Whatever is
 * accepted must build into a message (mime_build never refuses what the
 * decoder let through), with CRLF line ends and no line over 998 octets,
 * and the MIME reader must find the same From address in it. Errors must
 * carry a 4xx status and a code. LeakSanitizer checks the fini paths.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "ingress/api_json.h"
#include "mime/mime.h"
#include "mime/mime_build.h"

/* fuzz_check - abort unless cond holds. */
#define fuzz_check(cond)                                                       \
	do {                                                                   \
		if (!(cond))                                                   \
			abort();                                               \
	} while (0)

/* fuzz_build - build m and check the message's shape. */
static void
fuzz_build(const struct api_msg *m)
{
	struct mime_build_opts o = {"01FUZZFUZZFUZZFUZZ00", NULL, 0};
	const char *why = NULL;
	struct mime_msg *r;
	struct buf out;
	size_t i, col = 0;

	buf_init(&out);
	fuzz_check(mime_build(&m->mail, &o, &out, &why) == 0);
	for (i = 0; i < out.len; i++) {
		if (out.p[i] == '\n') {
			fuzz_check(i > 0 && out.p[i - 1] == '\r');
			col = 0;
		} else if (++col > 999)
			abort();
	}
	r = mime_parse(out.p, out.len);
	fuzz_check(r->nfrom == 1);
	fuzz_check(strcmp(r->from[0].addr, m->mail.from.addr) == 0);
	mime_free(r);
	buf_fini(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct api_msg m;
	struct api_batch b;
	struct api_error e;
	size_t i;

	if (api_json_msg_decode((const char *)data, size, &m, &e) == 0) {
		/* the digest is made when asked (a request with a key) */
		fuzz_check(m.payload_sha256[0] == '\0' && m.payload != NULL);
		api_msg_digest(&m);
		fuzz_check(strlen(m.payload_sha256) == 64 && m.payload == NULL);
		fuzz_build(&m);
		api_msg_fini(&m);
	} else {
		fuzz_check(e.http_status >= 400 && e.http_status < 500);
		fuzz_check(e.code[0] != '\0');
		free(api_error_json(&e));
	}
	if (api_json_batch_decode((const char *)data, size, &b, &e) == 0) {
		for (i = 0; i < b.n; i++)
			if (b.errs[i].http_status == 0)
				fuzz_build(&b.msgs[i]);
		api_batch_fini(&b);
	}
	return 0;
}
