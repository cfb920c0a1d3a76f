/*
 * mock_fb.h - swerve-mock emits delivery feedback (contract).
 *
 * For every message a fake provider API accepts, the mock decides per
 * recipient what the provider would report later - delivered, a hard or
 * soft bounce, a complaint (after delivery), a delay (before delivery) -
 * and posts those events to a configured URL in that provider's own
 * format and signature scheme: SendGrid (one batch per message, ECDSA
 * P-256 over timestamp || body), Mailgun (HMAC-SHA256 of timestamp ||
 * token in the body), Postmark (basic credentials), Resend (Standard
 * Webhooks, whsec_ secret), Amazon SES (its event JSON in an SNS
 * Notification signed with an RSA key whose certificate the mock serves
 * over HTTPS, mock_sns.h, after the SubscriptionConfirmation handshake),
 * and, for messages taken over SMTP, RFC 3464 DSNs and RFC 5965 abuse
 * reports sent over SMTP to the message's (VERP) envelope sender at a
 * configured bounce listener. What each recipient gets is decided by rules:
 * a recipient whose local part starts with "bounce-", "soft-",
 * "complaint-" or "delay-" always gets that; otherwise rates in parts per
 * million applied to a hash of the lower-cased address (so a run is
 * repeatable); or a control call naming a message.
 *
 * Delivery is asynchronous (after_ms after acceptance, as a provider
 * reports seconds later): the loop thread only queues; one sender
 * thread signs each attempt afresh (new timestamp, as providers do) and
 * posts it with libcurl, retrying a connection failure, 429 or 5xx with
 * doubling back-off up to max_attempts. The accept path never waits.
 *
 * Control routes (mock_fb_register):
 *   GET  /feedback        the configuration (secrets hidden) and counters
 *   PUT  /feedback        replace the configuration, JSON:
 *     {"rules": {"bounce": "5%", "soft_bounce": "1%", "complaint": "0.5%",
 *                "delay": "2%"},
 *      "after_ms": 1000, "retry_ms": 1000, "max_attempts": 8,
 *      "sendgrid": {"url": U, "private_key_file": PEM},
 *      "mailgun":  {"url": U, "signing_key": K},
 *      "postmark": {"url": U, "username": N, "password": P},
 *      "resend":   {"url": U, "secret": "whsec_..."},
 *      "ses":      {"url": U, "topic_arn": ARN, "signing_key_file": PEM,
 *                   "signing_cert_file": PEM, "signature_version": 2,
 *                   "cert_host": "localhost:PORT", "subscribe": true},
 *      "smtp":     {"host": H, "port": P}}
 *   POST /feedback/ID     {"event": "bounce"|"soft_bounce"|"complaint"|
 *                          "delay"|"delivered", "rcpt": optional address}:
 *                          emit that now for the stored message ID.
 */
#ifndef SWERVE_MOCK_MOCK_FB_H
#define SWERVE_MOCK_MOCK_FB_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "mock/mock.h"
#include "mock/mock_http.h"

/* What one recipient is reported as (in this order of precedence). */
enum mock_fb_outcome {
	MOCK_FB_DELIVERED,
	MOCK_FB_HARD,      /* a hard bounce, nothing else */
	MOCK_FB_SOFT,      /* a soft bounce, nothing else */
	MOCK_FB_COMPLAINT, /* delivered, then a complaint */
	MOCK_FB_DELAY,     /* delayed, then delivered */
	MOCK_FB_COUNT,
};

/* Rates in parts per million of recipients. */
struct mock_fb_rules {
	unsigned hard_ppm, soft_ppm, complaint_ppm, delay_ppm;
};

/* mock_fb_rate_parse - "5%", "0.5%" or a fraction "0.05" into ppm.
 * Returns 0, or -1 for anything else or above 100%. */
int mock_fb_rate_parse(const char *s, unsigned *ppm);

/* mock_fb_outcome_of - what rules give rcpt: its local part's prefix
 * first, then the hash bands hard, soft, complaint, delay. Pure. */
enum mock_fb_outcome mock_fb_outcome_of(const struct mock_fb_rules *r,
                                        const char *rcpt);

/* mock_fb_outcome_lookup - "bounce" (or "hard_bounce"), "soft_bounce",
 * "complaint", "delay", "delivered" into *out. Returns 0 or -1. */
int mock_fb_outcome_lookup(const char *name, enum mock_fb_outcome *out);

/* One event to format: which API, about which message and recipient. */
struct mock_fb_event {
	char api[16]; /* "sendgrid", "mailgun", "postmark", "resend", "ses" */
	char msg_id[64]; /* the mock's id */
	char provider_id[160];
	char from[256];
	char rcpt[256];
	int kind; /* 0 delivered, 1 hard, 2 soft, 3 complaint, 4 delay */
	int64_t at_ms;
	unsigned seq;           /* distinguishes events of one message */
	const json_t *tags;     /* SES: the request's tags {name: value};
	                           borrowed, may be NULL */
	const char *config_set; /* SES: the configuration set, may be NULL */
};

/*
 * mock_fb_fmt_payload - the provider's record for ev (new reference):
 * one SendGrid event object (the caller batches them into an array), a
 * Mailgun "event-data", a Postmark record, a Resend event, an SES event
 * (event publishing: eventType and its object, mail with tags; the
 * caller puts it in an SNS envelope). NULL for an event the provider has
 * no record of (Postmark reports no delays).
 */
json_t *mock_fb_fmt_payload(const struct mock_fb_event *ev);

/* Where one API's events go and how they are signed: a = Mailgun's signing
 * key, Postmark's user name, Resend's secret, SES's topic ARN or the SMTP
 * host; b = Postmark's password or the SMTP port; key = SendGrid's P-256
 * or SES's (SNS's) RSA private key; version = SNS's SignatureVersion. */
struct mock_fb_target {
	char url[512];
	char a[256];
	char b[256];
	struct evp_pkey_st *key; /* owned, may be NULL */
	int version;
};

struct mock_fb_headers {
	char h[6][2][256]; /* name, value */
	size_t n;
};

/*
 * mock_fb_fmt_request - the body and headers of one attempt to post
 * payload (not taken) for api under target t, signed at now_s. body is
 * heap (caller frees). For "ses" payload is an unsigned SNS envelope
 * (mock_fb_sns_envelope): it is signed with t->key, and the headers are
 * SNS's x-amz-sns-*. Returns 0, or -1 when signing failed.
 */
int mock_fb_fmt_request(const char *api, const struct mock_fb_target *t,
                        const json_t *payload, int64_t now_s, char **body,
                        struct mock_fb_headers *hdr);

struct mock_fb;

/* mock_fb_new - the emitter (no targets yet) with its sender thread. */
struct mock_fb *mock_fb_new(struct mock *m);

/* mock_fb_free - stop the thread (queued events are dropped), free. NULL
 * is a no-op. */
void mock_fb_free(struct mock_fb *fb);

/* mock_fb_configure - replace the configuration with the JSON of PUT
 * /feedback. Returns 0, or -1 with why (static or in whybuf). */
int mock_fb_configure(struct mock_fb *fb, const json_t *cfg, char *why,
                      size_t whylen);

/* mock_fb_accepted - queue the events the rules give msg's recipients
 * (no-op when msg's API has no target). Loop thread; never blocks. */
void mock_fb_accepted(struct mock_fb *fb, const struct mock_msg *msg);

/* mock_fb_register - the /feedback control routes on h. */
void mock_fb_register(struct mock_fb *fb, struct mock_http *h);

/* --- SNS (mock_fb_sns.c: pure) ------------------------------------- */

/*
 * mock_fb_sns_envelope - an unsigned SNS message (new reference): type
 * "Notification" (message: the SES event's JSON text; UnsubscribeURL)
 * or "SubscriptionConfirmation" (token; SubscribeURL, the fixed
 * Message), for topic, with a new MessageId, Timestamp at now_ms,
 * SignatureVersion version and SigningCertURL
 * https://host/SimpleNotificationService-<cert_hex>.pem.
 */
json_t *mock_fb_sns_envelope(const char *type, const char *topic,
                             const char *message, const char *token,
                             const char *host, const char *cert_hex,
                             int version, int64_t now_ms);

/*
 * mock_fb_sns_sign - set env's Signature: RSA PKCS #1 v1.5 with SHA-1
 * (version 1) or SHA-256 (2) by key over SNS's string to sign (each
 * signed member present as "name\nvalue\n", in SNS's order). 0 or -1.
 */
int mock_fb_sns_sign(json_t *env, struct evp_pkey_st *key, int version);

/* --- the SNS stand-in's state (mock_fb.c; loop thread) ---------------- */

/* mock_fb_sns_cert - the signing certificate file served at path (the
 * configured SES target's "/SimpleNotificationService-<hex>.pem"), or
 * NULL. Borrowed until the next configuration. */
const char *mock_fb_sns_cert(const struct mock_fb *fb, const char *path);

/* mock_fb_sns_confirm - a ConfirmSubscription call for topic with token:
 * 0 when they are the pending subscription's (it is confirmed now and
 * held notifications go out), -1 otherwise. */
int mock_fb_sns_confirm(struct mock_fb *fb, const char *topic,
                        const char *token);

/* mock_fb_sns_unsubscribe - an Unsubscribe call for topic: the
 * subscription is no longer confirmed. 0, or -1 for another topic. */
int mock_fb_sns_unsubscribe(struct mock_fb *fb, const char *topic);

/* mock_fb_sns_host - the default host (HOST:PORT) of the certificate and
 * subscription URLs: the SNS stand-in's listener (mock_sns.h). */
void mock_fb_sns_host(struct mock_fb *fb, const char *host);

/* --- reports over SMTP (mock_fb_mail.c: pure; mock_fb_smtp.c) -------- */

/*
 * mock_fb_mail_report - the report a receiving MTA would send back to
 * the envelope sender to (the VERP address) about ev (heap text, CRLF
 * lines, caller frees): an RFC 3464 DSN (multipart/report,
 * message/delivery-status) for a hard bounce (failed, 5.1.1), a soft
 * bounce (failed, 4.2.2) or a delay (delayed, 4.4.1); an RFC 5965 abuse
 * report (message/feedback-report, Feedback-Type abuse) for a
 * complaint; each with the original's header section orig[0..len) as
 * text/rfc822-headers. NULL for a delivery (no report).
 */
char *mock_fb_mail_report(const struct mock_fb_event *ev, const char *to,
                          const char *orig, size_t len);

/*
 * mock_fb_smtp_send - send data (CRLF lines, not dot-stuffed) from the
 * null sender to rcpt at host:port over SMTP, blocking (at most
 * timeout_ms per read or write). Returns the final reply code (250: it
 * was taken), or 0 when the connection failed; why says what happened.
 */
int mock_fb_smtp_send(const char *host, unsigned port, const char *rcpt,
                      const char *data, unsigned timeout_ms, char *why,
                      size_t whylen);

#endif
