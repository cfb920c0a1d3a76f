/*
 * feedback_sig.c - timestamps, HMAC-SHA256 and constant-time signature
 * comparison for the signed provider webhooks (see feedback_sig.h).
 */
#include "ingress/feedback_sig.h"

#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "core/base64.h"

int
feedback_sig_time(const char *ts, int64_t *sec)
{
	int64_t v = 0;
	size_t i;

	if (ts == NULL || ts[0] == '\0')
		return -1;
	for (i = 0; ts[i] != '\0'; i++) {
		if (i >= 12 || ts[i] < '0' || ts[i] > '9')
			return -1;
		v = v * 10 + (ts[i] - '0');
	}
	*sec = v;
	return 0;
}

bool
feedback_sig_fresh(int64_t sec, int64_t now_ms, int64_t max_age_ms)
{
	/* 12 digits at most: sec * 1000 cannot overflow. */
	int64_t d = sec * 1000 - now_ms;

	return d <= max_age_ms && d >= -max_age_ms;
}

int
feedback_sig_hmac(const void *key, size_t keylen, const struct str *parts,
                  size_t n, unsigned char out[FEEDBACK_SIG_HMAC_LEN])
{
	static const unsigned char none;
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	size_t outlen = 0;
	int rc = -1;
	size_t i;

	if (mac == NULL)
		return -1;
	ctx = EVP_MAC_CTX_new(mac);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	                                             (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	/* An empty key is still a key: HMAC pads it with zeros. */
	if (ctx == NULL ||
	    EVP_MAC_init(ctx, keylen ? key : &none, keylen, params) != 1)
		goto done;
	for (i = 0; i < n; i++)
		if (parts[i].len > 0 &&
		    EVP_MAC_update(ctx, (const unsigned char *)parts[i].p,
		                   parts[i].len) != 1)
			goto done;
	if (EVP_MAC_final(ctx, out, &outlen, FEEDBACK_SIG_HMAC_LEN) == 1 &&
	    outlen == FEEDBACK_SIG_HMAC_LEN)
		rc = 0;
done:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return rc;
}

bool
feedback_sig_hex_equal(const char *hex, size_t len, const unsigned char *want,
                       size_t n)
{
	unsigned char got[64];
	size_t i;

	if (n > sizeof(got) || len != 2 * n)
		return false;
	for (i = 0; i < n; i++) {
		int hi = OPENSSL_hexchar2int((unsigned char)hex[2 * i]);
		int lo = OPENSSL_hexchar2int((unsigned char)hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		got[i] = (unsigned char)(hi << 4 | lo);
	}
	return CRYPTO_memcmp(got, want, n) == 0;
}

bool
feedback_sig_b64_equal(const char *b64, size_t len, const unsigned char *want,
                       size_t n)
{
	unsigned char got[64];
	ssize_t m;

	if (n > sizeof(got) || len > 2 * sizeof(got))
		return false;
	m = base64_decode((struct str){b64, len}, 0, got, sizeof(got));
	return m >= 0 && (size_t)m == n && CRYPTO_memcmp(got, want, n) == 0;
}

enum feedback_check
feedback_sig_check(bool matched, int64_t sec, int64_t now_ms,
                   int64_t max_age_ms, char *err, size_t errlen)
{
	if (!matched)
		return FEEDBACK_CHECK_AUTH;
	if (!feedback_sig_fresh(sec, now_ms, max_age_ms)) {
		snprintf(err, errlen,
		         "timestamp %lld is more than %llds from now",
		         (long long)sec, (long long)(max_age_ms / 1000));
		return FEEDBACK_CHECK_STALE;
	}
	return FEEDBACK_CHECK_OK;
}
