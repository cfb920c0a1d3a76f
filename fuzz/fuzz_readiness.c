/*
 * fuzz_readiness.c - the readiness parsers on arbitrary bytes: SPF and
 * DMARC record text (readiness_txt.h) and the SES / SendGrid
 * verification answers (readiness_verify.h). Each either fails with a
 * reason and leaves its output alone (DMARC) or unknown (verification),
 * or answers within its documented range.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "readiness/readiness_txt.h"
#include "readiness/readiness_verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	enum readiness_dmarc_policy p = (enum readiness_dmarc_policy)7;
	struct readiness_verified v;
	char err[128];
	int rc;
	size_t i;

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
	if (readiness_verify_ses(s, size, "example.com", &v, err,
	                         sizeof(err)) != 0 &&
	    v.verified != READINESS_UNKNOWN)
		abort();
	if (v.n_selectors > READINESS_MAX_SELECTORS)
		abort();
	if (readiness_verify_sendgrid(s, size, "example.com", &v, err,
	                              sizeof(err)) == 0) {
		if (v.verified == READINESS_UNKNOWN)
			abort();
		for (i = 0; i < v.n_selectors; i++)
			if (strlen(v.selectors[i]) == 0)
				abort();
	}
	return 0;
}
