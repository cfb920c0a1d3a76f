/*
 * fuzz_account.c - the account parsers (route/account_parse.h) on
 * arbitrary bytes: the first byte picks the parser. Each either fails
 * with a reason and leaves the reading all unknown, or answers within
 * the model's ranges (rates 0..1, score 0..100, quota left <= quota,
 * a paused answer says why).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "route/account_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef int parse_fn(const char *, size_t, struct account_reading *, char *,
                     size_t);

static parse_fn *const parsers[] = {
    account_ses_metrics_parse,      account_sendgrid_credits_parse,
    account_sendgrid_account_parse, account_mailgun_domain_parse,
    account_postmark_server_parse,  account_resend_domains_parse,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct account_reading r;
	char err[64];
	parse_fn *fn;

	if (size == 0)
		return 0;
	fn = parsers[data[0] % (sizeof(parsers) / sizeof(parsers[0]))];
	err[0] = '\0';
	if (fn((const char *)data + 1, size - 1, &r, err, sizeof(err)) != 0) {
		if (err[0] == '\0' || r.sending != -1 || r.state[0] != '\0' ||
		    r.quota_max >= 0 || r.bounce_rate >= 0 ||
		    r.complaint_rate >= 0 || r.score >= 0)
			abort();
		return 0;
	}
	if (r.bounce_rate > 1 || r.complaint_rate > 1 || r.score > 100 ||
	    (r.quota_max >= 0 && r.quota_left > r.quota_max) ||
	    (r.sending == 0 && r.why[0] == '\0') ||
	    strlen(r.state) >= sizeof(r.state))
		abort();
	return 0;
}
