/*
 * fuzz_feedback_mailgun.c - Mailgun's webhook verifier (the bounded scan
 * for the signature object, the replay cache) and parser against
 * arbitrary bytes.
 *
 * The input is verified under the documented vector's key with a small
 * replay cache; whatever passes is remembered and must then be refused
 * as a replay. The scan must agree with a full JSON parser on what is
 * not an object: a body the scan calls malformed never parses as a JSON
 * object, and the parser's result keeps the parser contract
 * (fuzz_feedback.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz_feedback.h"
#include "ingress/feedback_mailgun.h"

#define KEY "key-example"
#define NOW 1661590666000LL
#define AGE 300000LL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data;
	struct feedback_mailgun_cache cache;
	struct feedback_mailgun_sig sig;
	enum feedback_check c;
	char err[256] = "";
	json_t *j;
	int rc;

	feedback_mailgun_cache_init(&cache, 4);
	c = feedback_mailgun_verify(KEY, strlen(KEY), body, size, NOW, AGE,
	                            &cache, err, sizeof(err));
	if (c == FEEDBACK_CHECK_OK) {
		feedback_mailgun_remember(&cache, body, size, AGE);
		if (feedback_mailgun_verify(KEY, strlen(KEY), body, size, NOW,
		                            AGE, &cache, err, sizeof(err)) !=
		    FEEDBACK_CHECK_REPLAY)
			abort();
	}
	feedback_mailgun_cache_fini(&cache);
	rc = feedback_mailgun_sig_find(body, size, &sig, err, sizeof(err));
	j = json_loadb(body, size, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL,
	               NULL);
	/* What a JSON parser takes as an object, the scan does not call
	 * malformed (unless nested deeper than the scan follows, or holding
	 * a NUL byte, which jansson lets pass after a number). */
	fuzz_feedback_check(!(rc == -1 && json_is_object(j) && size < 64 &&
	                      memchr(body, '\0', size) == NULL));
	fuzz_feedback_check(rc != 0 ||
	                    (sig.timestamp[0] != '\0' && sig.token[0] != '\0' &&
	                     sig.signature[0] != '\0'));
	json_decref(j);
	fuzz_feedback_run(feedback_mailgun_parse, data, size);
	return 0;
}
