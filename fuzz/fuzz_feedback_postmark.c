/*
 * fuzz_feedback_postmark.c - libFuzzer target for Postmark's webhook
 * parser and verifier.
 *
 * Invariants checked: a parse either fails with a reason and no array,
 * or gives events whose fixed fields are NUL-terminated, whose type is
 * in range, whose event_id is set and whose provider is the one given;
 * the same input parsed twice gives the same events (a retry is
 * de-duplicated on event_id); the verifier, fed the input as an
 * Authorization value, never crashes and accepts only the right
 * credentials.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ingress/feedback_postmark.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fuzz_check - abort unless ok (libFuzzer reports the crash). */
static void
fuzz_check(int ok)
{
	if (!ok)
		abort();
}

/* fuzz_terminated - is the field f[0..cap) NUL-terminated? */
static int
fuzz_terminated(const char *f, size_t cap)
{
	return memchr(f, '\0', cap) != NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct feedback_event *a = NULL, *b = NULL;
	char *in = malloc(size + 1), err[256];
	size_t n = 0, m = 0, i;
	int rc;

	memcpy(in, data, size);
	in[size] = '\0';
	err[0] = '\0';
	rc = feedback_postmark_parse(in, size, "pm", &a, &n, err, sizeof(err));
	if (rc != 0) {
		fuzz_check(a == NULL && err[0] != '\0');
	} else {
		for (i = 0; i < n; i++) {
			fuzz_check((unsigned)a[i].type < FEEDBACK_TYPE_COUNT);
			fuzz_check(fuzz_terminated(a[i].event_id,
			                           sizeof(a[i].event_id)) &&
			           a[i].event_id[0] != '\0');
			fuzz_check(strcmp(a[i].provider, "pm") == 0);
			fuzz_check(fuzz_terminated(a[i].recipient,
			                           sizeof(a[i].recipient)));
			fuzz_check(fuzz_terminated(a[i].diagnostic,
			                           sizeof(a[i].diagnostic)));
			fuzz_check(fuzz_terminated(a[i].enhanced,
			                           sizeof(a[i].enhanced)));
		}
		fuzz_check(feedback_postmark_parse(in, size, "pm", &b, &m, err,
		                                   sizeof(err)) == 0 &&
		           m == n);
		fuzz_check(n == 0 || memcmp(a, b, n * sizeof(*a)) == 0);
	}
	free(a);
	free(b);
	/* hook:s3cret is "aG9vazpzM2NyZXQ=": only that value passes. */
	if (feedback_postmark_verify(in, NULL, "hook", "s3cret", NULL, 0, err,
	                             sizeof(err)) == FEEDBACK_CHECK_OK)
		fuzz_check(strncasecmp(in, "Basic ", 6) == 0 &&
		           strstr(in, "aG9vazpzM2NyZXQ=") != NULL);
	free(in);
	return 0;
}
