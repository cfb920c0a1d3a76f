/*
 * fuzz_postmark.c - libFuzzer target for the Postmark drop-in's message
 * decoder (compat_postmark_msg_decode).
 *
 * The input is parsed as JSON; an object is decoded as one /email
 * message, an array as a batch (each item on its own). Whatever is
 * accepted must build into a message (mime_build never refuses what the
 * decoder let through), and its msg_meta must encode to JSON that
 * decodes again. Errors must carry a 4xx status and a code.
 * LeakSanitizer checks the fini paths.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/buf.h"
#include "ingress/compat.h"
#include "mime/mime_build.h"
#include "spool/msg_meta.h"

/* fuzz_check - abort unless cond holds. */
#define fuzz_check(cond)                                                       \
	do {                                                                   \
		if (!(cond))                                                   \
			abort();                                               \
	} while (0)

/* fuzz_one - decode o; check what was accepted or refused. */
static void
fuzz_one(json_t *o)
{
	struct mime_build_opts bo = {"01FUZZFUZZFUZZFUZZ00", NULL, 0};
	struct msg_meta back;
	struct api_error e;
	struct api_msg m;
	const char *why;
	struct buf out;
	char *meta;

	memset(&e, 0, sizeof(e));
	if (compat_postmark_msg_decode(o, &m, &e) < 0) {
		fuzz_check(e.http_status >= 400 && e.http_status < 500);
		fuzz_check(e.code[0] != '\0');
		return;
	}
	buf_init(&out);
	fuzz_check(mime_build(&m.mail, &bo, &out, &why) == 0);
	buf_fini(&out);
	meta = msg_meta_encode(&m.meta);
	if (meta != NULL) {
		fuzz_check(msg_meta_decode(meta, strlen(meta), &back) == 0);
		msg_meta_fini(&back);
		free(meta);
	}
	api_msg_fini(&m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j = json_loadb((const char *)data, size,
	                       JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
	json_t *it;
	size_t i;

	if (j == NULL)
		return 0;
	if (json_is_array(j))
		json_array_foreach(j, i, it)
		{
			if (i >= 16)
				break;
			fuzz_one(it);
		}
	else
		fuzz_one(j);
	json_decref(j);
	return 0;
}
