/*
 * fuzz_resend.c - the Resend decoders (POST /emails, a batch item,
 * PATCH /emails/{id}, scheduled_at) against arbitrary client bytes.
 *
 * The input is decoded as an email body, as a batch's array (each item
 * through compat_resend_msg_decode), as an update body and, NUL-ended,
 * as a scheduled_at string. Whatever the outcome, the results must be
 * releasable; a failure must carry a status and a code, a success a
 * From, a recipient and a body, and a send time within 30 days.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "ingress/compat.h"

#define NOW ((time_t)1700000000)

/* check_err - a failure names a status and a code. */
static void
check_err(const struct api_error *e)
{
	if (e->http_status < 400 || e->code[0] == '\0')
		abort();
}

/* check_msg - what a decoded email must have. */
static void
check_msg(struct api_msg *m)
{
	if (m->mail.from.addr == NULL || m->mail.n_to == 0 ||
	    (m->mail.text == NULL && m->mail.html == NULL) ||
	    m->meta.send_at < 0 ||
	    m->meta.send_at > NOW + COMPAT_RESEND_SCHEDULE_MAX)
		abort();
	api_msg_fini(m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = xmemdup(data, size);
	struct api_error e;
	struct api_msg m;
	int64_t at = 0;
	json_t *j, *it;
	size_t i;

	memset(&e, 0, sizeof(e));
	if (compat_resend_decode((const char *)data, size, NOW, &m, &e) == 0)
		check_msg(&m);
	else
		check_err(&e);
	j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	json_array_foreach(j, i, it)
	{
		memset(&e, 0, sizeof(e));
		if (compat_resend_msg_decode(it, NOW, &m, &e) == 0)
			check_msg(&m);
		else
			check_err(&e);
	}
	json_decref(j);
	memset(&e, 0, sizeof(e));
	if (compat_resend_update_decode((const char *)data, size, NOW, &at,
	                                &e) < 0)
		check_err(&e);
	if (compat_resend_when(copy, NOW, &at, &e) == 0 &&
	    (at < 0 || at > NOW + COMPAT_RESEND_SCHEDULE_MAX))
		abort();
	free(copy);
	return 0;
}
