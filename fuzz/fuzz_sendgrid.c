/*
 * fuzz_sendgrid.c - the SendGrid v3 mail/send decoder (personalizations,
 * substitutions, footer, options into msg_meta) against arbitrary client
 * bytes.
 *
 * Whatever the outcome, the results must be releasable and a failure
 * must carry an HTTP status and a code; a success must give at least one
 * message, each with a From, a recipient, a subject and a body, and a
 * msg_meta that encodes and decodes again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingress/compat.h"

#define FUZZ_NOW 1700000000

/* check_msg - what every decoded message must have. */
static void
check_msg(const struct api_msg *m)
{
	struct msg_meta back;
	char *s;

	if (m->mail.from.addr == NULL || m->mail.n_to == 0 ||
	    m->mail.subject == NULL ||
	    (m->mail.text == NULL && m->mail.html == NULL))
		abort();
	if (m->meta.send_at != 0 && (m->meta.send_at <= FUZZ_NOW ||
	                             m->meta.send_at > FUZZ_NOW + 72 * 3600))
		abort();
	s = msg_meta_encode(&m->meta);
	if (s != NULL) {
		if (msg_meta_decode(s, strlen(s), &back) != 0)
			abort();
		msg_meta_fini(&back);
		free(s);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct api_msg *ms;
	struct api_error e;
	size_t n, i;

	memset(&e, 0, sizeof(e));
	if (compat_sendgrid_decode((const char *)data, size, FUZZ_NOW, &ms, &n,
	                           &e) == 0) {
		if (n == 0)
			abort();
		for (i = 0; i < n; i++)
			check_msg(&ms[i]);
		compat_msgs_free(ms, n);
	} else if (e.http_status < 400 || e.code[0] == '\0' || ms != NULL) {
		abort();
	}
	return 0;
}
