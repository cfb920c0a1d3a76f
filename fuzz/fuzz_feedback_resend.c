/*
 * fuzz_feedback_resend.c - Resend's (Standard Webhooks) verifier and
 * parser against arbitrary bytes.
 *
 * The input is verified as a body under the specification's vector
 * (only the vector's own body may pass), then split at its first three
 * newlines into the svix-id, svix-timestamp and svix-signature headers
 * and a body and verified again (nothing forged can pass), then parsed
 * whole, and the result must keep the parser contract (fuzz_feedback.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "fuzz_feedback.h"
#include "ingress/feedback_resend.h"

#define SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define ID "msg_p5jXN8AQM9LWM0D4loKWxJek"
#define TS "1614265330"
#define BODY "{\"test\": 2432232314}"
#define SIG "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
#define NOW 1614265330000LL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char key[FEEDBACK_RESEND_KEY_MAX];
	char *copy = xmalloc(size + 1), *f[4];
	enum feedback_check c;
	char err[256] = "";
	size_t keylen, i;

	if (feedback_resend_secret(SECRET, key, &keylen, err, sizeof(err)) < 0)
		abort();
	memcpy(copy, data, size);
	copy[size] = '\0';
	c = feedback_resend_verify(key, keylen, ID, TS, SIG, copy, size, NOW,
	                           300000, err, sizeof(err));
	if ((c == FEEDBACK_CHECK_OK) !=
	    (size == strlen(BODY) && memcmp(copy, BODY, size) == 0))
		abort();
	f[0] = copy;
	for (i = 1; i < 4 && f[i - 1] != NULL; i++) {
		f[i] = strchr(f[i - 1], '\n');
		if (f[i] != NULL)
			*f[i]++ = '\0';
	}
	if (i == 4 && f[3] != NULL) {
		c = feedback_resend_verify(key, keylen, f[0], f[1], f[2], f[3],
		                           size - (size_t)(f[3] - copy), NOW,
		                           300000, err, sizeof(err));
		if (c != FEEDBACK_CHECK_AUTH && c != FEEDBACK_CHECK_STALE &&
		    !(c == FEEDBACK_CHECK_OK && strcmp(f[0], ID) == 0))
			abort();
	}
	fuzz_feedback_run(feedback_resend_parse, data, size);
	free(copy);
	return 0;
}
