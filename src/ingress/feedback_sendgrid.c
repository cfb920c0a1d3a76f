/*
 * feedback_sendgrid.c - SendGrid's Event Webhook: ECDSA signature over
 * timestamp || raw body, and its batches of events (see
 * feedback_sendgrid.h).
 */
#include "ingress/feedback_sendgrid.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "config/config.h"
#include "core/base64.h"
#include "ingress/feedback_json.h"
#include "ingress/feedback_sig.h"

#define SENDGRID_SIG_MAX 144 /* a DER P-256 signature is at most 72 bytes */
#define SENDGRID_KEY_MAX 4096

/* sendgrid_key_check - is key an EC key on P-256? */
static int
sendgrid_key_check(EVP_PKEY *key, char *err, size_t errlen)
{
	char group[64];

	if (!EVP_PKEY_is_a(key, "EC") ||
	    EVP_PKEY_get_group_name(key, group, sizeof(group), NULL) != 1 ||
	    (strcmp(group, "prime256v1") != 0 && strcmp(group, "P-256") != 0)) {
		snprintf(err, errlen, "the key is not an ECDSA P-256 key");
		return -1;
	}
	return 0;
}

EVP_PKEY *
feedback_sendgrid_key(const char *text, char *err, size_t errlen)
{
	unsigned char der[SENDGRID_KEY_MAX];
	const unsigned char *p = der;
	EVP_PKEY *key = NULL;
	size_t len;
	ssize_t n;

	if (text == NULL)
		text = "";
	text += strspn(text, " \t\r\n");
	len = strlen(text);
	if (strncmp(text, "-----BEGIN", 10) == 0) {
		BIO *bio = BIO_new_mem_buf(text, (int)len);

		if (bio != NULL)
			key = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
		BIO_free(bio);
	} else {
		n = base64_decode((struct str){text, len}, BASE64_BLANKS, der,
		                  sizeof(der));
		if (n > 0)
			key = d2i_PUBKEY(NULL, &p, (long)n);
		/* Trailing bytes after the key are not the key SendGrid
		 * shows. */
		if (key != NULL && p != der + n) {
			EVP_PKEY_free(key);
			key = NULL;
		}
	}
	if (key == NULL) {
		snprintf(err, errlen,
		         "the key is not a base64 DER or PEM public key");
		return NULL;
	}
	if (sendgrid_key_check(key, err, errlen) < 0) {
		EVP_PKEY_free(key);
		return NULL;
	}
	return key;
}

/* sendgrid_sig_ok - does sig[0..n) sign ts || body with key? */
static bool
sendgrid_sig_ok(EVP_PKEY *key, const unsigned char *sig, size_t n,
                const char *ts, const char *body, size_t len)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	bool ok;

	ok = md != NULL &&
	     EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
	     EVP_DigestVerifyUpdate(md, ts, strlen(ts)) == 1 &&
	     EVP_DigestVerifyUpdate(md, body, len) == 1 &&
	     EVP_DigestVerifyFinal(md, sig, n) == 1;
	EVP_MD_CTX_free(md);
	return ok;
}

enum feedback_check
feedback_sendgrid_verify(EVP_PKEY *key, const char *signature,
                         const char *timestamp, const char *body, size_t len,
                         int64_t now_ms, int64_t max_age_ms, char *err,
                         size_t errlen)
{
	unsigned char sig[SENDGRID_SIG_MAX];
	int64_t sec;
	ssize_t n = -1;
	bool ok;

	if (signature == NULL || timestamp == NULL) {
		snprintf(err, errlen, "missing %s",
		         signature == NULL ? FEEDBACK_SENDGRID_SIG_HEADER
		                           : FEEDBACK_SENDGRID_TS_HEADER);
		return FEEDBACK_CHECK_AUTH;
	}
	if (feedback_sig_time(timestamp, &sec) < 0) {
		snprintf(err, errlen, "%s is not a time in seconds",
		         FEEDBACK_SENDGRID_TS_HEADER);
		return FEEDBACK_CHECK_AUTH;
	}
	if (strlen(signature) <= SENDGRID_SIG_MAX)
		n = base64_decode((struct str){signature, strlen(signature)}, 0,
		                  sig, sizeof(sig));
	if (n <= 0) {
		snprintf(err, errlen, "%s is not base64",
		         FEEDBACK_SENDGRID_SIG_HEADER);
		return FEEDBACK_CHECK_AUTH;
	}
	ok = sendgrid_sig_ok(key, sig, (size_t)n, timestamp, body, len);
	if (!ok)
		snprintf(err, errlen, "the signature does not match");
	return feedback_sig_check(ok, sec, now_ms, max_age_ms, err, errlen);
}

/* What SendGrid's event names mean. */
static const struct {
	const char *name;
	enum feedback_type type;
} sendgrid_types[] = {
    {"processed", FEEDBACK_SENT},
    {"delivered", FEEDBACK_DELIVERED},
    {"deferred", FEEDBACK_DELAYED},
    {"dropped", FEEDBACK_REJECTED},
    {"bounce", FEEDBACK_HARD_BOUNCE},
    {"spamreport", FEEDBACK_COMPLAINT},
    {"unsubscribe", FEEDBACK_UNSUBSCRIBE},
    {"group_unsubscribe", FEEDBACK_UNSUBSCRIBE},
};

/* sendgrid_type - the type of event name, with bounce type btype. */
static enum feedback_type
sendgrid_type(const char *name, const char *btype)
{
	size_t i;

	/* A "blocked" bounce is the receiver refusing this message (spam
	 * filter, reputation), not the address being bad. */
	if (strcmp(name, "bounce") == 0 && btype != NULL &&
	    strcmp(btype, "blocked") == 0)
		return FEEDBACK_SOFT_BOUNCE;
	for (i = 0; i < sizeof(sendgrid_types) / sizeof(sendgrid_types[0]); i++)
		if (strcmp(sendgrid_types[i].name, name) == 0)
			return sendgrid_types[i].type;
	return FEEDBACK_OTHER;
}

/* sendgrid_smtp_code - the SMTP reply code text starts with, or 0. */
static int
sendgrid_smtp_code(const char *text)
{
	if (text[0] >= '2' && text[0] <= '5' && text[1] >= '0' &&
	    text[1] <= '9' && text[2] >= '0' && text[2] <= '9' &&
	    (text[3] == '\0' || text[3] == ' ' || text[3] == '-'))
		return (text[0] - '0') * 100 + (text[1] - '0') * 10 +
		       (text[2] - '0');
	return 0;
}

/* sendgrid_event - one element of the batch into e. 0, or -1 with err. */
static int
sendgrid_event(const json_t *o, size_t i, struct feedback_event *e, char *err,
               size_t errlen)
{
	const char *name = feedback_json_str(o, "event");
	const char *id = feedback_json_str(o, "sg_event_id");
	const char *msgid = feedback_json_str(o, "sg_message_id");
	const char *btype = feedback_json_str(o, "type");
	const char *text = feedback_json_str(o, "reason");
	json_t *ts = json_object_get(o, "timestamp");

	if (name == NULL || id == NULL || id[0] == '\0') {
		snprintf(err, errlen, "event %zu: no %s string", i,
		         name == NULL ? "event" : "sg_event_id");
		return -1;
	}
	e->type = sendgrid_type(name, btype);
	feedback_set(e->event_id, sizeof(e->event_id), id);
	if (msgid != NULL)
		feedback_set_n(e->provider_msg_id, sizeof(e->provider_msg_id),
		               msgid, strcspn(msgid, "."));
	feedback_set(e->swerve_id, sizeof(e->swerve_id),
	             feedback_json_str(o, "swerve_id"));
	feedback_set_recipient(e, feedback_json_str(o, "email"));
	if (json_is_integer(ts) && json_integer_value(ts) > 0 &&
	    json_integer_value(ts) < 100000000000)
		e->occurred_ms = (int64_t)json_integer_value(ts) * 1000;
	feedback_set(e->enhanced, sizeof(e->enhanced),
	             feedback_json_str(o, "status"));
	feedback_set(e->provider_type, sizeof(e->provider_type), name);
	feedback_set(e->provider_subtype, sizeof(e->provider_subtype), btype);
	/* deferred and delivered carry the server's answer in response. */
	if (text == NULL)
		text = feedback_json_str(o, "response");
	if (text != NULL) {
		feedback_set(e->diagnostic, sizeof(e->diagnostic), text);
		e->smtp_code = sendgrid_smtp_code(e->diagnostic);
	}
	return 0;
}

int
feedback_sendgrid_parse(const char *body, size_t len, const char *provider,
                        struct feedback_event **out, size_t *n, char *err,
                        size_t errlen)
{
	struct feedback_json_out o = {.max = FEEDBACK_SENDGRID_MAX_EVENTS};
	json_t *root = feedback_json_load(body, len, JSON_ARRAY, err, errlen);
	struct feedback_event *e;
	size_t i;
	int rc = -1;

	if (root == NULL)
		return feedback_json_done(&o, -1, out, n);
	for (i = 0; i < json_array_size(root); i++) {
		const json_t *v = json_array_get(root, i);

		if (!json_is_object(v)) {
			snprintf(err, errlen, "event %zu is not an object", i);
			goto done;
		}
		e = feedback_json_event_add(&o, provider, err, errlen);
		if (e == NULL || sendgrid_event(v, i, e, err, errlen) < 0)
			goto done;
	}
	rc = 0;
done:
	json_decref(root);
	return feedback_json_done(&o, rc, out, n);
}

/* sendgrid_init - decode the configured verification key. */
static int
sendgrid_init(struct feedback_source *src, char *err, size_t errlen)
{
	src->state = feedback_sendgrid_key(src->provider->events.public_key,
	                                   err, errlen);
	return src->state != NULL ? 0 : -1;
}

static void
sendgrid_fini(struct feedback_source *src)
{
	EVP_PKEY_free(src->state);
	src->state = NULL;
}

static enum feedback_check
sendgrid_verify(struct feedback_source *src, const struct feedback_request *req,
                char *err, size_t errlen)
{
	return feedback_sendgrid_verify(
	    src->state,
	    feedback_request_header(req, FEEDBACK_SENDGRID_SIG_HEADER),
	    feedback_request_header(req, FEEDBACK_SENDGRID_TS_HEADER),
	    req->body, req->body_len, req->now_ms,
	    (int64_t)src->provider->events.max_age_ms, err, errlen);
}

const struct feedback_source_ops feedback_sendgrid_ops = {
    .type = "sendgrid",
    .init = sendgrid_init,
    .fini = sendgrid_fini,
    .verify = sendgrid_verify,
    .parse = feedback_sendgrid_parse,
};
