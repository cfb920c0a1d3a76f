/*
 * feedback_resend.h - Resend's webhooks (Svix / Standard Webhooks): the
 * signature check and the parser of one event (contract).
 *
 * Resend signs with the Standard Webhooks scheme: headers svix-id,
 * svix-timestamp and svix-signature (or webhook-id, webhook-timestamp,
 * webhook-signature); the secret is "whsec_" and the base64 of the key;
 * the signature is base64(HMAC-SHA256(key, id "." timestamp "." raw
 * body)), and the header lists one or more "v1,<base64>" separated by
 * spaces, any of which may match. docs/providers.md ("Resend webhooks").
 *
 * Pure functions (time passed in, no I/O, no logging), and the source's
 * row for the route (ingress/feedback.h).
 */
#ifndef SWERVE_INGRESS_FEEDBACK_RESEND_H
#define SWERVE_INGRESS_FEEDBACK_RESEND_H

#include <stddef.h>
#include <stdint.h>

#include "ingress/feedback.h"
#include "spool/feedback.h"

#define FEEDBACK_RESEND_KEY_MAX                                                \
	256 /* bytes of a decoded secret (WHSIG_KEY_MAX) */
#define FEEDBACK_RESEND_ID_MAX 128     /* characters of a message id */
#define FEEDBACK_RESEND_SIGS_MAX 4096  /* characters of the signature list */
#define FEEDBACK_RESEND_MAX_RCPTS 1000 /* recipients of one event */

/*
 * feedback_resend_secret - the key of a "whsec_<base64>" secret (the
 * prefix may be left out, as the Standard Webhooks libraries allow) into
 * key[0..FEEDBACK_RESEND_KEY_MAX), its length in *keylen. 0, or -1 with
 * err. The caller wipes key.
 */
int feedback_resend_secret(const char *secret,
                           unsigned char key[FEEDBACK_RESEND_KEY_MAX],
                           size_t *keylen, char *err, size_t errlen);

/*
 * feedback_resend_verify - check one request: id, timestamp and
 * signatures are the three headers' values (NULL when absent),
 * body[0..len) the raw body. OK; AUTH when a header is missing or
 * malformed (an id with a '.' or a control character, or longer than
 * FEEDBACK_RESEND_ID_MAX, is refused: the signed text would be
 * ambiguous) or no v1 signature matches (each compared in constant
 * time); STALE when one matches but the timestamp is more than
 * max_age_ms from now_ms. err says why (no secret). A request replayed
 * inside the window verifies again: its events carry the same ids, which
 * the spool stores once.
 */
enum feedback_check
feedback_resend_verify(const unsigned char *key, size_t keylen, const char *id,
                       const char *timestamp, const char *signatures,
                       const char *body, size_t len, int64_t now_ms,
                       int64_t max_age_ms, char *err, size_t errlen);

/*
 * feedback_resend_parse - a verified body ({"type", "created_at",
 * "data": {...}}) into one event per address in data.to (one event with
 * no recipient when there is none) (feedback.h's parser contract):
 *
 *   email.sent -> sent, email.delivered, email.delivery_delayed ->
 *   delayed, email.bounced -> hard_bounce (bounce.type "Permanent" or
 *   none; subType "Suppressed" -> rejected, Resend did not try), or
 *   soft_bounce ("Transient", "Undetermined"), email.complained ->
 *   complaint, email.failed and email.suppressed -> rejected, anything
 *   else -> other;
 *
 * provider_msg_id is data.email_id (the id the send answered); swerve_id
 * the tag swerve_id (data.tags as an object of names to values, or an
 * array of {name, value}); occurred_ms from created_at. event_id is the
 * hex SHA-256 of type, created_at, email_id and the recipient: the
 * parser does not see the svix-id header, and Svix retries one event
 * with the same body, so the same event always gets the same id while
 * two events (two recipients, two delays) never share one. 0, or -1
 * with err.
 */
int feedback_resend_parse(const char *body, size_t len, const char *provider,
                          struct feedback_event **out, size_t *n, char *err,
                          size_t errlen);

/* The route's row for type resend (secret decoded at init). */
extern const struct feedback_source_ops feedback_resend_ops;

#endif
