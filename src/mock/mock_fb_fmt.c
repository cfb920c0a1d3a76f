/*
 * mock_fb_fmt.c - the providers' feedback records and request signatures.
 *
 * Pure apart from RAND_bytes for Mailgun's token: each function builds
 * what one provider would send (providers.md's webhook sections), so
 * swerved's verifiers and parsers see the real shapes.
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/base64.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "mock/mock_fb.h"

/* fmt_iso - RFC 3339 UTC with milliseconds. */
static void
fmt_iso(int64_t ms, char out[32])
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&s, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + 19, 13, ".%03dZ", (int)(ms % 1000));
}

/* fmt_num_id - a stable positive number for ev (Postmark's record ID). */
static json_int_t
fmt_num_id(const struct mock_fb_event *ev)
{
	uint64_t h = 1469598103934665603ULL;
	const char *p;

	for (p = ev->msg_id; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	for (p = ev->rcpt; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	h = (h ^ (unsigned)ev->kind) * 1099511628211ULL;
	return (json_int_t)(h >> 2);
}

static json_t *
fmt_sendgrid(const struct mock_fb_event *ev)
{
	static const char *const names[] = {"delivered", "bounce", "bounce",
	                                    "spamreport", "deferred"};
	char id[160], mid[200];
	json_t *o;

	snprintf(id, sizeof(id), "mock-%s-%u-%d", ev->msg_id, ev->seq,
	         ev->kind);
	snprintf(mid, sizeof(mid), "%s.filterdrecv-mock-1.0", ev->provider_id);
	o = json_pack("{s:s,s:I,s:s,s:s,s:s,s:s}", "email", ev->rcpt,
	              "timestamp", (json_int_t)(ev->at_ms / 1000), "event",
	              names[ev->kind], "sg_event_id", id, "sg_message_id", mid,
	              "smtp-id", ev->provider_id);
	if (ev->kind == 1 || ev->kind == 2) {
		json_object_set_new(
		    o, "type",
		    json_string(ev->kind == 1 ? "bounce" : "blocked"));
		json_object_set_new(
		    o, "reason",
		    json_string(
		        ev->kind == 1
		            ? "550 5.1.1 The email account does not exist."
		            : "550 5.7.1 Message blocked by policy."));
		json_object_set_new(
		    o, "status",
		    json_string(ev->kind == 1 ? "5.1.1" : "5.7.1"));
	} else if (ev->kind == 4) {
		json_object_set_new(o, "response",
		                    json_string("451 4.2.0 Try again later"));
		json_object_set_new(o, "attempt", json_string("1"));
	} else if (ev->kind == 0) {
		json_object_set_new(o, "response",
		                    json_string("250 2.0.0 OK queued"));
	}
	return o;
}

static json_t *
fmt_mailgun(const struct mock_fb_event *ev)
{
	static const char *const names[] = {"delivered", "failed", "failed",
	                                    "complained", "failed"};
	char id[160];
	json_t *o;

	snprintf(id, sizeof(id), "mock-%s-%u-%d", ev->msg_id, ev->seq,
	         ev->kind);
	o = json_pack("{s:s,s:s,s:f,s:s,s:{s:{s:s,s:s}},s:{}}", "id", id,
	              "event", names[ev->kind], "timestamp",
	              (double)ev->at_ms / 1000.0, "recipient", ev->rcpt,
	              "message", "headers", "message-id", ev->provider_id,
	              "from", ev->from, "user-variables");
	if (ev->kind == 1 || ev->kind == 2 || ev->kind == 4) {
		int temp = ev->kind == 4;
		json_object_set_new(
		    o, "severity",
		    json_string(temp ? "temporary" : "permanent"));
		json_object_set_new(o, "reason",
		                    json_string(ev->kind == 2 ? "old"
		                                : temp        ? "generic"
		                                              : "bounce"));
		json_object_set_new(
		    o, "delivery-status",
		    json_pack(
		        "{s:i,s:s,s:s}", "code", temp ? 451 : 550,
		        "enhanced-code", temp ? "4.2.0" : "5.1.1", "message",
		        ev->kind == 1   ? "5.1.1 The email account does not "
		                          "exist."
		        : ev->kind == 2 ? "4.2.2 Mailbox full (retries "
		                          "exhausted)"
		                        : "4.2.0 Try again later"));
	} else if (ev->kind == 0) {
		json_object_set_new(
		    o, "delivery-status",
		    json_pack("{s:i,s:s}", "code", 250, "message", "OK"));
	}
	return o;
}

static json_t *
fmt_postmark(const struct mock_fb_event *ev)
{
	char when[32];

	fmt_iso(ev->at_ms, when);
	switch (ev->kind) {
	case 0:
		return json_pack("{s:s,s:i,s:s,s:s,s:s,s:s,s:s,s:s,s:{}}",
		                 "RecordType", "Delivery", "ServerID", 1,
		                 "MessageStream", "outbound", "MessageID",
		                 ev->provider_id, "Recipient", ev->rcpt,
		                 "DeliveredAt", when, "Details",
		                 "250 2.0.0 OK queued", "Tag", "", "Metadata");
	case 1:
	case 2:
		return json_pack(
		    "{s:s,s:I,s:s,s:i,s:s,s:s,s:s,s:s,s:s,s:b,s:s,s:s,s:s}",
		    "RecordType", "Bounce", "ID", fmt_num_id(ev), "Type",
		    ev->kind == 1 ? "HardBounce" : "SoftBounce", "TypeCode",
		    ev->kind == 1 ? 1 : 4096, "Name",
		    ev->kind == 1 ? "Hard bounce" : "Soft bounce", "MessageID",
		    ev->provider_id, "Email", ev->rcpt, "From", ev->from,
		    "BouncedAt", when, "Inactive", ev->kind == 1, "Description",
		    ev->kind == 1
		        ? "The server was unable to deliver your "
		          "message (ex: unknown user, mailbox not "
		          "found)."
		        : "The server could not temporarily deliver "
		          "your message (ex: Message is delayed due to "
		          "network troubles).",
		    "Details",
		    ev->kind == 1 ? "smtp;550 5.1.1 The email account does not "
		                    "exist."
		                  : "smtp;452 4.2.2 Mailbox full",
		    "MessageStream", "outbound");
	case 3:
		return json_pack(
		    "{s:s,s:I,s:s,s:i,s:s,s:s,s:s,s:s,s:s,s:b,s:s}",
		    "RecordType", "SpamComplaint", "ID", fmt_num_id(ev), "Type",
		    "SpamComplaint", "TypeCode", 512, "Name", "Spam complaint",
		    "MessageID", ev->provider_id, "Email", ev->rcpt, "From",
		    ev->from, "BouncedAt", when, "Inactive", 1, "MessageStream",
		    "outbound");
	default:
		return NULL; /* Postmark reports no delays */
	}
}

static json_t *
fmt_resend(const struct mock_fb_event *ev)
{
	static const char *const names[] = {"email.delivered", "email.bounced",
	                                    "email.bounced", "email.complained",
	                                    "email.delivery_delayed"};
	char when[32];
	json_t *o;

	fmt_iso(ev->at_ms, when);
	o = json_pack("{s:s,s:s,s:{s:s,s:s,s:[s],s:s,s:s}}", "type",
	              names[ev->kind], "created_at", when, "data", "email_id",
	              ev->provider_id, "from", ev->from, "to", ev->rcpt,
	              "subject", "", "created_at", when);
	if (o != NULL && (ev->kind == 1 || ev->kind == 2))
		json_object_set_new(
		    json_object_get(o, "data"), "bounce",
		    json_pack(
		        "{s:s,s:s,s:s}", "type",
		        ev->kind == 1 ? "Permanent" : "Transient", "subType",
		        ev->kind == 1 ? "General" : "MailboxFull", "message",
		        ev->kind == 1 ? "550 5.1.1 The email account does "
		                        "not exist."
		                      : "452 4.2.2 Mailbox full"));
	return o;
}

/* fmt_ses_mail - SES's "mail" object: the message and its tags, each
 * tag's value as a list as SES echoes it. */
static json_t *
fmt_ses_mail(const struct mock_fb_event *ev, const char *when)
{
	json_t *tags = json_object(), *mail;
	const char *name;
	json_t *v;

	json_object_foreach((json_t *)ev->tags, name, v)
	{
		if (json_is_string(v))
			json_object_set_new(tags, name, json_pack("[O]", v));
	}
	if (ev->config_set != NULL)
		json_object_set_new(tags, "ses:configuration-set",
		                    json_pack("[s]", ev->config_set));
	json_object_set_new(tags, "ses:caller-identity",
	                    json_pack("[s]", "swerve-mock"));
	mail = json_pack("{s:s,s:s,s:s,s:s,s:s,s:[s],s:b,s:o}", "timestamp",
	                 when, "source", ev->from, "sourceArn",
	                 "arn:aws:ses:us-east-1:123456789012:identity/mock",
	                 "sendingAccountId", "123456789012", "messageId",
	                 ev->provider_id, "destination", ev->rcpt,
	                 "headersTruncated", 0, "tags", tags);
	return mail;
}

/* fmt_ses - one SES event-publishing record (eventType). */
static json_t *
fmt_ses(const struct mock_fb_event *ev)
{
	char when[32], fid[200];
	json_t *o, *mail;

	fmt_iso(ev->at_ms, when);
	snprintf(fid, sizeof(fid), "mock-%s-%u-%d", ev->msg_id, ev->seq,
	         ev->kind);
	mail = fmt_ses_mail(ev, when);
	switch (ev->kind) {
	case 0:
		o = json_pack("{s:s,s:{s:s,s:i,s:[s],s:s,s:s}}", "eventType",
		              "Delivery", "delivery", "timestamp", when,
		              "processingTimeMillis", 420, "recipients",
		              ev->rcpt, "smtpResponse",
		              "250 2.6.0 Message received", "reportingMTA",
		              "a8-70.smtp-out.amazonses.com");
		break;
	case 1:
	case 2:
		o = json_pack(
		    "{s:s,s:{s:s,s:s,s:[{s:s,s:s,s:s,s:s}],s:s,s:s,s:s}}",
		    "eventType", "Bounce", "bounce", "bounceType",
		    ev->kind == 1 ? "Permanent" : "Transient", "bounceSubType",
		    ev->kind == 1 ? "General" : "MailboxFull",
		    "bouncedRecipients", "emailAddress", ev->rcpt, "action",
		    "failed", "status", ev->kind == 1 ? "5.1.1" : "4.2.2",
		    "diagnosticCode",
		    ev->kind == 1 ? "smtp; 550 5.1.1 user unknown"
		                  : "smtp; 452 4.2.2 Mailbox full",
		    "timestamp", when, "feedbackId", fid, "reportingMTA",
		    "dns; a8-70.smtp-out.amazonses.com");
		break;
	case 3:
		o = json_pack("{s:s,s:{s:[{s:s}],s:s,s:s,s:s,s:s,s:s}}",
		              "eventType", "Complaint", "complaint",
		              "complainedRecipients", "emailAddress", ev->rcpt,
		              "timestamp", when, "feedbackId", fid,
		              "complaintFeedbackType", "abuse", "userAgent",
		              "swerve-mock", "arrivalDate", when);
		break;
	default:
		o = json_pack("{s:s,s:{s:s,s:s,s:s,s:[{s:s,s:s,s:s}]}}",
		              "eventType", "DeliveryDelay", "deliveryDelay",
		              "timestamp", when, "delayType",
		              "TransientCommunicationFailure", "expirationTime",
		              when, "delayedRecipients", "emailAddress",
		              ev->rcpt, "status", "4.4.1", "diagnosticCode",
		              "smtp; 421 4.4.1 Unable to connect");
		break;
	}
	if (o == NULL) {
		json_decref(mail);
		return NULL;
	}
	json_object_set_new(o, "mail", mail);
	return o;
}

json_t *
mock_fb_fmt_payload(const struct mock_fb_event *ev)
{
	if (strcmp(ev->api, "ses") == 0)
		return fmt_ses(ev);
	if (strcmp(ev->api, "sendgrid") == 0)
		return fmt_sendgrid(ev);
	if (strcmp(ev->api, "mailgun") == 0)
		return fmt_mailgun(ev);
	if (strcmp(ev->api, "postmark") == 0)
		return fmt_postmark(ev);
	if (strcmp(ev->api, "resend") == 0)
		return fmt_resend(ev);
	return NULL;
}

/* fmt_header - add one header. */
static void
fmt_header(struct mock_fb_headers *h, const char *name, const char *value)
{
	if (h->n == sizeof(h->h) / sizeof(h->h[0]))
		log_panic("mock: feedback: too many headers");
	snprintf(h->h[h->n][0], sizeof(h->h[0][0]), "%s", name);
	snprintf(h->h[h->n][1], sizeof(h->h[0][1]), "%s", value);
	h->n++;
}

/* fmt_hex - lower-case hex of p[0..n) into out (2n + 1 bytes). */
static void
fmt_hex(const unsigned char *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

/* fmt_sign_sendgrid - base64 DER ECDSA-SHA256 of ts || body. */
static int
fmt_sign_sendgrid(EVP_PKEY *key, const char *ts, const char *body,
                  char out[256])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char sig[160];
	size_t siglen = sizeof(sig);
	int ok;

	ok = ctx != NULL && key != NULL &&
	     EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
	     EVP_DigestSignUpdate(ctx, ts, strlen(ts)) == 1 &&
	     EVP_DigestSignUpdate(ctx, body, strlen(body)) == 1 &&
	     EVP_DigestSignFinal(ctx, sig, &siglen) == 1 &&
	     base64_encoded_len(siglen) < 256;
	if (ok)
		base64_encode_mem(out, sig, siglen);
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -1;
}

/* fmt_sign_resend - "v1,<base64 HMAC-SHA256(secret, id.ts.body)>". */
static int
fmt_sign_resend(const char *secret, const char *id, const char *ts,
                const char *body, char out[256])
{
	const char *b64 =
	    strncmp(secret, "whsec_", 6) == 0 ? secret + 6 : secret;
	struct buf key, msg;
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned maclen = 0;
	int rc = -1;

	buf_init(&key);
	buf_init(&msg);
	if (base64_decode_buf((struct str){b64, strlen(b64)}, 0, &key) == 0) {
		buf_printf(&msg, "%s.%s.%s", id, ts, body);
		if (HMAC(EVP_sha256(), (const unsigned char *)key.p,
		         (int)key.len, (const unsigned char *)msg.p, msg.len,
		         mac, &maclen) != NULL) {
			memcpy(out, "v1,", 3);
			base64_encode_mem(out + 3, mac, maclen);
			rc = 0;
		}
	}
	buf_fini(&key);
	buf_fini(&msg);
	return rc;
}

/* fmt_request_sns - sign a copy of the SNS envelope env; SNS's headers. */
static int
fmt_request_sns(const struct mock_fb_target *t, const json_t *env, char **body,
                struct mock_fb_headers *hdr)
{
	json_t *copy = json_deep_copy(env);
	const char *v;

	if (copy == NULL || mock_fb_sns_sign(copy, t->key, t->version) < 0) {
		json_decref(copy);
		return -1;
	}
	*body = json_dumps(copy, JSON_COMPACT);
	fmt_header(hdr, "Content-Type", "text/plain; charset=UTF-8");
	fmt_header(hdr, "x-amz-sns-message-type",
	           (v = json_string_value(json_object_get(copy, "Type"))) !=
	                   NULL
	               ? v
	               : "");
	fmt_header(
	    hdr, "x-amz-sns-message-id",
	    (v = json_string_value(json_object_get(copy, "MessageId"))) != NULL
	        ? v
	        : "");
	fmt_header(hdr, "x-amz-sns-topic-arn",
	           (v = json_string_value(json_object_get(copy, "TopicArn"))) !=
	                   NULL
	               ? v
	               : "");
	fmt_header(hdr, "User-Agent",
	           "Amazon Simple Notification Service Agent");
	json_decref(copy);
	return *body != NULL ? 0 : -1;
}

int
mock_fb_fmt_request(const char *api, const struct mock_fb_target *t,
                    const json_t *payload, int64_t now_s, char **body,
                    struct mock_fb_headers *hdr)
{
	char ts[32], sig[256], tok[51], id[40];
	unsigned char rnd[25], mac[EVP_MAX_MD_SIZE];
	unsigned maclen = 0;
	struct buf m;
	json_t *root;

	*body = NULL;
	hdr->n = 0;
	snprintf(ts, sizeof(ts), "%lld", (long long)now_s);
	if (strcmp(api, "ses") == 0)
		return fmt_request_sns(t, payload, body, hdr);
	fmt_header(hdr, "Content-Type", "application/json");
	if (strcmp(api, "mailgun") == 0) {
		if (RAND_bytes(rnd, sizeof(rnd)) != 1)
			return -1;
		fmt_hex(rnd, sizeof(rnd), tok);
		buf_init(&m);
		buf_printf(&m, "%s%s", ts, tok);
		HMAC(EVP_sha256(), t->a, (int)strlen(t->a),
		     (const unsigned char *)m.p, m.len, mac, &maclen);
		buf_fini(&m);
		fmt_hex(mac, maclen, sig);
		root = json_pack("{s:{s:s,s:s,s:s},s:O}", "signature",
		                 "timestamp", ts, "token", tok, "signature",
		                 sig, "event-data", payload);
		*body = json_dumps(root, JSON_COMPACT);
		json_decref(root);
		return *body != NULL ? 0 : -1;
	}
	*body = json_dumps(payload, JSON_COMPACT);
	if (*body == NULL)
		return -1;
	if (strcmp(api, "sendgrid") == 0) {
		if (fmt_sign_sendgrid(t->key, ts, *body, sig) < 0)
			goto fail;
		fmt_header(hdr, "X-Twilio-Email-Event-Webhook-Signature", sig);
		fmt_header(hdr, "X-Twilio-Email-Event-Webhook-Timestamp", ts);
	} else if (strcmp(api, "resend") == 0) {
		if (RAND_bytes(rnd, 12) != 1)
			goto fail;
		memcpy(id, "msg_", 4);
		fmt_hex(rnd, 12, id + 4);
		if (fmt_sign_resend(t->a, id, ts, *body, sig) < 0)
			goto fail;
		fmt_header(hdr, "svix-id", id);
		fmt_header(hdr, "svix-timestamp", ts);
		fmt_header(hdr, "svix-signature", sig);
	}
	/* Postmark: the credentials go in the URL (curl's userpwd). */
	return 0;
fail:
	free(*body);
	*body = NULL;
	return -1;
}
