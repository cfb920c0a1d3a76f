/*
 * feedback_sig.h - what the signed provider webhooks share: a timestamp
 * in seconds inside a freshness window, HMAC-SHA256 over several parts,
 * and comparing a signature given as hex or base64 in constant time
 * (contract).
 *
 * Used by the SendGrid, Mailgun and Resend verifiers
 * (ingress/feedback_<type>.c). Pure: time is passed in, nothing logs,
 * nothing allocates.
 */
#ifndef SWERVE_INGRESS_FEEDBACK_SIG_H
#define SWERVE_INGRESS_FEEDBACK_SIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "ingress/feedback.h"

#define FEEDBACK_SIG_HMAC_LEN 32 /* SHA-256 */

/*
 * feedback_sig_time - the timestamp ts (1 to 12 decimal digits, seconds
 * since the epoch, nothing else) into *sec. 0, or -1 when ts is NULL or
 * not such a number.
 */
int feedback_sig_time(const char *ts, int64_t *sec);

/*
 * feedback_sig_fresh - is sec (seconds since the epoch) within max_age_ms
 * of now_ms, either way? A clock ahead of ours by more than the window is
 * as suspect as an old request.
 */
bool feedback_sig_fresh(int64_t sec, int64_t now_ms, int64_t max_age_ms);

/*
 * feedback_sig_hmac - HMAC-SHA256 with key[0..keylen) over the
 * concatenation of parts[0..n) into out. 0, or -1 when OpenSSL fails.
 */
int feedback_sig_hmac(const void *key, size_t keylen, const struct str *parts,
                      size_t n, unsigned char out[FEEDBACK_SIG_HMAC_LEN]);

/*
 * feedback_sig_hex_equal - does the hex text hex[0..len) (either case)
 * spell exactly the bytes want[0..n)? Compared in constant time once the
 * length is right; any other length or a non-hex character is false.
 */
bool feedback_sig_hex_equal(const char *hex, size_t len,
                            const unsigned char *want, size_t n);

/*
 * feedback_sig_b64_equal - does the base64 text b64[0..len) (padded,
 * standard alphabet) decode to exactly want[0..n)? Constant time in the
 * compared bytes.
 */
bool feedback_sig_b64_equal(const char *b64, size_t len,
                            const unsigned char *want, size_t n);

/*
 * feedback_sig_check - the verdict of a scheme from its parts: a
 * signature that did not match is AUTH (the caller says why in err), a
 * matching one whose timestamp sec is outside the window is STALE, else
 * OK. Writes err for the refusals.
 */
enum feedback_check feedback_sig_check(bool matched, int64_t sec,
                                       int64_t now_ms, int64_t max_age_ms,
                                       char *err, size_t errlen);

#endif
