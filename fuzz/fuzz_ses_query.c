/*
 * fuzz_ses_query.c - the SES v1 Query decoder (SendEmail, SendRawEmail)
 * and the SES v2 JSON decoder against arbitrary client bytes.
 *
 * The input is decoded as a form-encoded Query body (in a copy: the
 * decoder works in place) and as a v2 SendEmail JSON body. Whatever the
 * outcome, the results must be releasable and a failure must carry an
 * HTTP status and a code; a success must have a message or raw data.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "ingress/compat.h"

/* check_err - a failure names a status and a code. */
static void
check_err(const struct api_error *e)
{
	if (e->http_status < 400 || e->code[0] == '\0')
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = xmalloc(size + 1), name[64];
	enum compat_ses_action act;
	struct compat_raw_req raw;
	struct api_error e;
	struct api_msg m;

	memcpy(copy, data, size);
	copy[size] = '\0';
	memset(&e, 0, sizeof(e));
	if (compat_ses_v1_decode(copy, size, &act, name, &m, &raw, &e) == 0) {
		if (act == COMPAT_SES_SEND_RAW_EMAIL && raw.data == NULL)
			abort();
		if (act == COMPAT_SES_SEND_EMAIL && m.mail.from.addr == NULL)
			abort();
		api_msg_fini(&m);
		compat_raw_req_fini(&raw);
	} else
		check_err(&e);
	if (strlen(name) > 63)
		abort();
	free(copy);

	memset(&e, 0, sizeof(e));
	if (compat_ses_v2_decode((const char *)data, size, &m, &raw, &e) == 0) {
		api_msg_fini(&m);
		compat_raw_req_fini(&raw);
	} else
		check_err(&e);
	return 0;
}
