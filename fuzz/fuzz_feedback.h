/*
 * fuzz_feedback.h - the checks every feedback parser's fuzz target makes
 * (included by fuzz/fuzz_feedback_<src>.c).
 *
 * A parse either fails with a reason and no array, or gives events whose
 * fixed fields are NUL-terminated, whose type is in range, whose
 * event_id is set and whose provider is the one given; the same input
 * parsed twice gives the same events (a retry is de-duplicated on
 * event_id).
 */
#ifndef SWERVE_FUZZ_FEEDBACK_H
#define SWERVE_FUZZ_FEEDBACK_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spool/feedback.h"

typedef int fuzz_feedback_parse_fn(const char *body, size_t len,
                                   const char *provider,
                                   struct feedback_event **out, size_t *n,
                                   char *err, size_t errlen);

/* fuzz_feedback_check - abort unless ok (libFuzzer reports the crash). */
static inline void
fuzz_feedback_check(int ok)
{
	if (!ok)
		abort();
}

/* fuzz_feedback_terminated - is the field f[0..cap) NUL-terminated? */
static inline int
fuzz_feedback_terminated(const char *f, size_t cap)
{
	return memchr(f, '\0', cap) != NULL;
}

/* fuzz_feedback_run - parse data twice with parse and check the result. */
static inline void
fuzz_feedback_run(fuzz_feedback_parse_fn *parse, const uint8_t *data,
                  size_t size)
{
	struct feedback_event *a = NULL, *b = NULL;
	char err[256];
	size_t n = 0, m = 0, i;

	err[0] = '\0';
	if (parse((const char *)data, size, "relay", &a, &n, err,
	          sizeof(err)) != 0) {
		fuzz_feedback_check(a == NULL && n == 0 && err[0] != '\0');
		return;
	}
	for (i = 0; i < n; i++) {
		const struct feedback_event *e = &a[i];

		fuzz_feedback_check((unsigned)e->type < FEEDBACK_TYPE_COUNT);
		fuzz_feedback_check(fuzz_feedback_terminated(
		                        e->event_id, sizeof(e->event_id)) &&
		                    e->event_id[0] != '\0');
		fuzz_feedback_check(strcmp(e->provider, "relay") == 0);
		fuzz_feedback_check(
		    fuzz_feedback_terminated(e->recipient,
		                             sizeof(e->recipient)) &&
		    fuzz_feedback_terminated(e->diagnostic,
		                             sizeof(e->diagnostic)) &&
		    fuzz_feedback_terminated(e->enhanced,
		                             sizeof(e->enhanced)) &&
		    fuzz_feedback_terminated(e->provider_msg_id,
		                             sizeof(e->provider_msg_id)));
	}
	fuzz_feedback_check(parse((const char *)data, size, "relay", &b, &m,
	                          err, sizeof(err)) == 0 &&
	                    m == n);
	fuzz_feedback_check(n == 0 || memcmp(a, b, n * sizeof(*a)) == 0);
	free(a);
	free(b);
}

#endif
