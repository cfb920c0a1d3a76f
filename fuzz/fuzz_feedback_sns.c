/*
 * fuzz_feedback_sns.c - SNS verification's pure parts against arbitrary
 * bytes: the envelope, the string to sign, the URL pin and the
 * signature check.
 *
 * The input is parsed as an SNS envelope; when it parses, its string to
 * sign must hold every signed member, its URLs go through the pin, and
 * its signature must not verify with a key made here (nobody forges
 * RSA by chance). The whole input is also checked as a certificate and
 * as a subscription URL: any URL the pin passes starts with
 * "https://sns.", holds no '\\' or '#', has no '@', '%', ':' or '?' in
 * its authority, and its host ends in ".amazonaws.com" or
 * ".amazonaws.com.cn". Nothing may read past the
 * input (ASan).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ingress/feedback_sns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fuzz_check - abort unless ok (libFuzzer reports the crash). */
static void
fuzz_check(int ok)
{
	if (!ok)
		abort();
}

/* fuzz_url - check s[0..len) against the pin; what passes must look
 * like SNS. */
static void
fuzz_url(const char *s, size_t len, enum feedback_sns_url kind)
{
	char err[128];
	const char *host, *end;

	if (!feedback_sns_url_check(s, len, NULL, kind, err, sizeof(err)))
		return;
	fuzz_check(len > 12 && memcmp(s, "https://sns.", 12) == 0);
	fuzz_check(memchr(s, '\\', len) == NULL && memchr(s, '#', len) == NULL);
	host = s + 8;
	end = memchr(host, '/', len - 8);
	fuzz_check(end != NULL);
	/* The authority, up to the first '/' (a '?' before it is refused). */
	fuzz_check(memchr(host, '?', (size_t)(end - host)) == NULL &&
	           memchr(host, '@', (size_t)(end - host)) == NULL &&
	           memchr(host, '%', (size_t)(end - host)) == NULL &&
	           memchr(host, ':', (size_t)(end - host)) == NULL);
	fuzz_check(
	    (end - host > 14 && memcmp(end - 14, ".amazonaws.com", 14) == 0) ||
	    (end - host > 17 &&
	     memcmp(end - 17, ".amazonaws.com.cn", 17) == 0));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static EVP_PKEY *key;
	struct feedback_sns_msg m;
	char err[128];
	struct buf b;

	if (key == NULL)
		key = EVP_RSA_gen(2048);
	fuzz_url((const char *)data, size, FEEDBACK_SNS_URL_CERT);
	fuzz_url((const char *)data, size, FEEDBACK_SNS_URL_SUBSCRIBE);
	if (feedback_sns_msg_parse((const char *)data, size, &m, err,
	                           sizeof(err)) < 0) {
		fuzz_check(m.json == NULL);
		return 0;
	}
	fuzz_check(m.version == 1 || m.version == 2);
	fuzz_check(m.signature.p != NULL && m.signing_cert_url.p != NULL);
	buf_init(&b);
	feedback_sns_string_to_sign(&m, &b);
	fuzz_check(b.len >= m.message.len + m.message_id.len + m.timestamp.len +
	                        m.topic_arn.len + m.type_name.len);
	buf_fini(&b);
	fuzz_url(m.signing_cert_url.p, m.signing_cert_url.len,
	         FEEDBACK_SNS_URL_CERT);
	if (m.subscribe_url.p != NULL)
		fuzz_url(m.subscribe_url.p, m.subscribe_url.len,
		         FEEDBACK_SNS_URL_SUBSCRIBE);
	fuzz_check(key == NULL || feedback_sns_signature_check(
	                              &m, key, err, sizeof(err)) == -1);
	feedback_sns_msg_fini(&m);
	return 0;
}
