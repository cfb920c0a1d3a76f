/*
 * fuzz_feedback_sendgrid.c - SendGrid's Event Webhook verifier and
 * parser against arbitrary bytes.
 *
 * The input is verified as a body under SendGrid's test vector key,
 * signature and timestamp (only the vector's own body may pass), then
 * split at its first two newlines into a signature header, a timestamp
 * header and a body and verified again (nothing forged can pass), then
 * parsed whole as a batch, whose result must keep the parser contract
 * (fuzz_feedback.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "fuzz_feedback.h"
#include "ingress/feedback_sendgrid.h"

#define KEY                                                                    \
	"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+"            \
	"u4CwrqDqBaWjcMM"                                                      \
	"sTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA=="
#define SIG                                                                    \
	"MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/"                                  \
	"U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSz"                                \
	"oQsbVRamr2nlxFDWYNH2j/0="
#define BODY                                                                   \
	"{\"category\":\"example_payload\",\"event\":\"test_event\","          \
	"\"message_"                                                           \
	"id\":\"message_id\"}"
#define TS "1588788367"
#define NOW 1588788367000LL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static EVP_PKEY *fuzz_key;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = xmalloc(size + 1), *sig, *ts, *body;
	enum feedback_check c;
	char err[256] = "";

	if (fuzz_key == NULL)
		fuzz_key = feedback_sendgrid_key(KEY, err, sizeof(err));
	if (fuzz_key == NULL)
		abort();
	memcpy(copy, data, size);
	copy[size] = '\0';
	c = feedback_sendgrid_verify(fuzz_key, SIG, TS, copy, size, NOW, 300000,
	                             err, sizeof(err));
	if ((c == FEEDBACK_CHECK_OK) !=
	    (size == strlen(BODY) && memcmp(copy, BODY, size) == 0))
		abort();
	sig = copy;
	ts = strchr(sig, '\n');
	body = ts != NULL ? strchr(ts + 1, '\n') : NULL;
	if (body != NULL) {
		*ts++ = '\0';
		*body++ = '\0';
		c = feedback_sendgrid_verify(fuzz_key, sig, ts, body,
		                             size - (size_t)(body - copy), NOW,
		                             300000, err, sizeof(err));
		if (c != FEEDBACK_CHECK_AUTH && c != FEEDBACK_CHECK_STALE &&
		    !(c == FEEDBACK_CHECK_OK && strcmp(sig, SIG) == 0))
			abort();
	}
	fuzz_feedback_run(feedback_sendgrid_parse, data, size);
	free(copy);
	return 0;
}
