/*
 * whsig.h - Standard Webhooks signatures for what swerve sends out
 * (contract).
 *
 * The scheme (https://www.standardwebhooks.com, "Signature scheme"): a
 * secret "whsec_<base64 of the key>"; three headers webhook-id,
 * webhook-timestamp (unix seconds) and webhook-signature, the latter
 * "v1,<base64 of HMAC-SHA256(key, id "." timestamp "." body)>". The
 * receiver recomputes it over the raw body and checks the timestamp's
 * age. Used by observe/webhook_out (events out to applications); the
 * alert webhooks keep their own X-Swerve-Signature (notify_webhook.c).
 *
 * Pure functions, no I/O.
 */
#ifndef SWERVE_CORE_WHSIG_H
#define SWERVE_CORE_WHSIG_H

#include <stddef.h>
#include <stdint.h>

#define WHSIG_KEY_MAX 256 /* bytes of a decoded key */
/* "v1," + base64 of 32 bytes (44) + NUL */
#define WHSIG_SIG_SIZE 48

/*
 * whsig_secret_decode - the key of "whsec_<base64>" (the prefix may be
 * left out, as the specification's libraries allow) into
 * key[0..WHSIG_KEY_MAX), its length in *keylen. 0, or -1 when the
 * secret is not base64 or its key is empty or too long. The caller
 * wipes key.
 */
int whsig_secret_decode(const char *secret, unsigned char key[WHSIG_KEY_MAX],
                        size_t *keylen);

/*
 * whsig_sign - out = "v1,<base64 HMAC-SHA256(key, id.ts.body)>" for the
 * message id, the unix time ts in seconds and body[0..len).
 */
void whsig_sign(const unsigned char *key, size_t keylen, const char *id,
                int64_t ts, const char *body, size_t len,
                char out[WHSIG_SIG_SIZE]);

#endif
