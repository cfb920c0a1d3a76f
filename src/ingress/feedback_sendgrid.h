/*
 * feedback_sendgrid.h - SendGrid's Event Webhook: the signature check
 * and the parser of its batches (contract).
 *
 * SendGrid signs each POST with ECDSA P-256 / SHA-256 over the bytes of
 * the header X-Twilio-Email-Event-Webhook-Timestamp followed by the raw
 * body (no separator), and sends the DER signature in base64 in
 * X-Twilio-Email-Event-Webhook-Signature; the account's verification key
 * is shown as base64 DER SubjectPublicKeyInfo. Because the raw bytes are
 * signed, the same JSON serialised differently does not verify.
 * docs/providers.md ("SendGrid Event Webhook").
 *
 * Pure functions (time passed in, no I/O, no logging), and the source's
 * row for the route (ingress/feedback.h).
 */
#ifndef SWERVE_INGRESS_FEEDBACK_SENDGRID_H
#define SWERVE_INGRESS_FEEDBACK_SENDGRID_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "ingress/feedback.h"
#include "spool/feedback.h"

#define FEEDBACK_SENDGRID_SIG_HEADER "X-Twilio-Email-Event-Webhook-Signature"
#define FEEDBACK_SENDGRID_TS_HEADER "X-Twilio-Email-Event-Webhook-Timestamp"
#define FEEDBACK_SENDGRID_MAX_EVENTS 10000 /* events in one request */

/*
 * feedback_sendgrid_key - the verification key as SendGrid shows it
 * (base64 DER SubjectPublicKeyInfo, blanks allowed) or in PEM ("-----BEGIN
 * PUBLIC KEY-----"), which must be an ECDSA P-256 key. The caller
 * EVP_PKEY_free()s it. NULL with err.
 */
EVP_PKEY *feedback_sendgrid_key(const char *text, char *err, size_t errlen);

/*
 * feedback_sendgrid_verify - check one request: signature and timestamp
 * are the two headers' values (NULL when absent), body[0..len) the raw
 * body. OK; AUTH when a header is missing or malformed or the signature
 * does not match; STALE when it matches but the timestamp is more than
 * max_age_ms from now_ms. err says why (no secret). Reads nothing of the
 * body but its bytes.
 */
enum feedback_check feedback_sendgrid_verify(EVP_PKEY *key,
                                             const char *signature,
                                             const char *timestamp,
                                             const char *body, size_t len,
                                             int64_t now_ms, int64_t max_age_ms,
                                             char *err, size_t errlen);

/*
 * feedback_sendgrid_parse - a verified body (a JSON array of event
 * objects) into one event per element (feedback.h's parser contract):
 *
 *   processed -> sent, delivered, deferred -> delayed, dropped ->
 *   rejected, bounce -> hard_bounce (type "bounce" or none) or
 *   soft_bounce (type "blocked"), spamreport -> complaint, unsubscribe
 *   and group_unsubscribe -> unsubscribe, anything else -> other;
 *
 * event_id is sg_event_id (required); provider_msg_id is sg_message_id up
 * to its first '.' (the rest names SendGrid's filter server; the part
 * before it is the X-Message-Id the send answered, which the attempt
 * kept); swerve_id is the custom argument swerve_id, echoed at the top
 * level of each event; email, timestamp, status, reason / response and
 * type fill recipient, occurred_ms, enhanced, diagnostic (its leading
 * SMTP code, if any) and provider_subtype. 0, or -1 with err.
 */
int feedback_sendgrid_parse(const char *body, size_t len, const char *provider,
                            struct feedback_event **out, size_t *n, char *err,
                            size_t errlen);

/* The route's row for type sendgrid (key decoded at init). */
extern const struct feedback_source_ops feedback_sendgrid_ops;

#endif
