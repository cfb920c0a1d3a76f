/*
 * fuzz_readiness.c - the readiness parsers on arbitrary bytes: SPF and
 * DMARC record text (readiness_txt.h) and the SES, SendGrid, Mailgun,
 * Postmark and Resend verification answers (readiness_verify.h). Each either
 * fails with a reason and leaves its output alone (DMARC) or unknown
 * (verification), or answers within its documented range.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "readiness/readiness_txt.h"
#include "readiness/readiness_verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef int verify_fn(const char *, size_t, const char *,
                      struct readiness_verified *, char *, size_t);

/* check_verify - fn on s: an error leaves verification unknown; an
 * answer is yes or no with non-empty selectors within bounds. */
static void
check_verify(verify_fn *fn, const char *s, size_t size)
{
	struct readiness_verified v;
	char err[128];
	size_t i;

	if (fn(s, size, "example.com", &v, err, sizeof(err)) != 0) {
		if (v.verified != READINESS_UNKNOWN)
			abort();
		return;
	}
	if (v.verified == READINESS_UNKNOWN ||
	    v.n_selectors > READINESS_MAX_SELECTORS)
		abort();
	for (i = 0; i < v.n_selectors; i++)
		if (strlen(v.selectors[i]) == 0)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	enum readiness_dmarc_policy p = (enum readiness_dmarc_policy)7;
	char err[128];
	int rc;

	err[0] = '\0';
	rc = readiness_spf_includes(s, size, "sendgrid.net", err, sizeof(err));
	if (rc < -1 || rc > 1 || (rc == -1 && err[0] == '\0'))
		abort();
	err[0] = '\0';
	rc = readiness_dmarc_parse(s, size, &p, err, sizeof(err));
	if (rc == -1 && (err[0] == '\0' || (int)p != 7))
		abort();
	if (rc == 0 && p > READINESS_DMARC_REJECT)
		abort();
	check_verify(readiness_verify_ses, s, size);
	check_verify(readiness_verify_sendgrid, s, size);
	check_verify(readiness_verify_mailgun, s, size);
	check_verify(readiness_verify_postmark, s, size);
	check_verify(readiness_verify_resend, s, size);
	return 0;
}
