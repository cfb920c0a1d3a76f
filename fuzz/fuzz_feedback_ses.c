/*
 * fuzz_feedback_ses.c - the SES event parser (SNS Notification bodies)
 * against arbitrary bytes.
 *
 * Invariants checked: a refusal returns nothing (NULL, 0 events); a
 * success returns 1 to FEEDBACK_SES_MAX_EVENTS events, each with the
 * provider asked for, a recipient, an event id and the provider's
 * message id, every text field NUL-terminated within its size, and a
 * known type; and parsing never reads past the input (ASan).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingress/feedback_ses.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fuzz_check - abort unless ok (libFuzzer reports the crash). */
static void
fuzz_check(int ok)
{
	if (!ok)
		abort();
}

/* fuzz_field_ok - f[0..cap) holds a NUL. */
static int
fuzz_field_ok(const char *f, size_t cap)
{
	return memchr(f, '\0', cap) != NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct feedback_event *ev = NULL;
	size_t n = 7, i;
	char err[128];
	int rc = feedback_ses_parse((const char *)data, size, "ses1", &ev, &n,
	                            err, sizeof(err));

	if (rc != 0) {
		fuzz_check(rc == -1 && ev == NULL && n == 0 &&
		           fuzz_field_ok(err, sizeof(err)));
		return 0;
	}
	fuzz_check(ev != NULL && n >= 1 && n <= FEEDBACK_SES_MAX_EVENTS);
	for (i = 0; i < n; i++) {
		const struct feedback_event *e = &ev[i];
		fuzz_check(e->type >= FEEDBACK_SENT &&
		           e->type < FEEDBACK_TYPE_COUNT);
		fuzz_check(strcmp(e->provider, "ses1") == 0);
		fuzz_check(fuzz_field_ok(e->recipient, sizeof(e->recipient)) &&
		           e->recipient[0] != '\0');
		fuzz_check(fuzz_field_ok(e->event_id, sizeof(e->event_id)) &&
		           e->event_id[0] != '\0');
		fuzz_check(fuzz_field_ok(e->provider_msg_id,
		                         sizeof(e->provider_msg_id)));
		fuzz_check(fuzz_field_ok(e->swerve_id, sizeof(e->swerve_id)));
		fuzz_check(fuzz_field_ok(e->enhanced, sizeof(e->enhanced)));
		fuzz_check(fuzz_field_ok(e->diagnostic, sizeof(e->diagnostic)));
		fuzz_check(e->smtp_code == 0 ||
		           (e->smtp_code >= 200 && e->smtp_code <= 599));
	}
	free(ev);
	return 0;
}
