/*
 * whsig.c - Standard Webhooks signatures (see whsig.h).
 *
 * The signed content is the bytes id "." timestamp "." body, exactly as
 * sent; the key is the secret's base64 after "whsec_". Pure; no I/O.
 */
#include "core/whsig.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

#include "core/base64.h"
#include "core/buf.h"

int
whsig_secret_decode(const char *secret, unsigned char key[WHSIG_KEY_MAX],
                    size_t *keylen)
{
	struct str in;
	ssize_t n;

	if (secret == NULL)
		return -1;
	if (strncmp(secret, "whsec_", 6) == 0)
		secret += 6;
	in.p = secret;
	in.len = strlen(secret);
	n = base64_decode(in, 0, key, WHSIG_KEY_MAX);
	if (n <= 0)
		return -1;
	*keylen = (size_t)n;
	return 0;
}

void
whsig_sign(const unsigned char *key, size_t keylen, const char *id, int64_t ts,
           const char *body, size_t len, char out[WHSIG_SIG_SIZE])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mlen = 0;
	char prefix[200];
	struct buf msg;
	int plen;

	plen = snprintf(prefix, sizeof(prefix), "%s.%lld.", id, (long long)ts);
	if (plen < 0 || (size_t)plen >= sizeof(prefix))
		plen = 0;
	buf_init(&msg);
	buf_add(&msg, prefix, (size_t)plen);
	buf_add(&msg, body, len);
	HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)msg.p,
	     msg.len, mac, &mlen);
	buf_fini(&msg);
	memcpy(out, "v1,", 3);
	base64_encode_mem(out + 3, mac, mlen);
	out[3 + base64_encoded_len(mlen)] = '\0';
	OPENSSL_cleanse(mac, sizeof(mac));
}
