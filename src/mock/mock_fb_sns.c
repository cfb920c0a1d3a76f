/*
 * mock_fb_sns.c - Amazon SNS messages as SNS posts them to an HTTP(S)
 * subscriber: the envelope and its signature (see mock_fb.h).
 *
 * Pure apart from the random MessageId. SNS signs a fixed list
 * of the envelope's members ("name\nvalue\n" each, in its order) with the
 * key of the certificate named by SigningCertURL; swerved's verifier
 * (ingress/feedback_sns.c) rebuilds the same string, so this file is the
 * other side of that contract, written from AWS's description.
 */
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/base64.h"
#include "core/buf.h"
#include "core/xmalloc.h"
#include "mock/mock_api.h"
#include "mock/mock_fb.h"

/* The signed members per type, in SNS's order. */
static const char *const sns_keys_notification[] = {
    "Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type", NULL,
};
static const char *const sns_keys_confirmation[] = {
    "Message", "MessageId", "SubscribeURL", "Timestamp",
    "Token",   "TopicArn",  "Type",         NULL,
};

json_t *
mock_fb_sns_envelope(const char *type, const char *topic, const char *message,
                     const char *token, const char *host, const char *cert_hex,
                     int version, int64_t now_ms)
{
	char id[37], when[32], ver[4], url[600], sub[1200];
	time_t s = (time_t)(now_ms / 1000);
	bool confirm = strcmp(type, "SubscriptionConfirmation") == 0;
	struct buf text;
	struct tm tm;
	json_t *env;

	mock_api_uuid(id);
	gmtime_r(&s, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(when + 19, sizeof(when) - 19, ".%03dZ", (int)(now_ms % 1000));
	snprintf(ver, sizeof(ver), "%d", version);
	snprintf(url, sizeof(url),
	         "https://%s/SimpleNotificationService-%s.pem", host, cert_hex);
	buf_init(&text);
	if (confirm) {
		buf_printf(&text,
		           "You have chosen to subscribe to the topic %s.\n"
		           "To confirm the subscription, visit the "
		           "SubscribeURL included in this message.",
		           topic);
		snprintf(sub, sizeof(sub),
		         "https://%s/?Action=ConfirmSubscription&TopicArn=%s"
		         "&Token=%s",
		         host, topic, token);
	} else
		snprintf(sub, sizeof(sub),
		         "https://%s/?Action=Unsubscribe&SubscriptionArn=%s:"
		         "mock-subscription",
		         host, topic);
	env = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "Type", type,
	                "MessageId", id, "TopicArn", topic, "Message",
	                confirm ? text.p : message, "Timestamp", when,
	                "SignatureVersion", ver, "SigningCertURL", url);
	buf_fini(&text);
	if (env == NULL)
		return NULL;
	if (confirm) {
		json_object_set_new(env, "Token", json_string(token));
		json_object_set_new(env, "SubscribeURL", json_string(sub));
	} else
		json_object_set_new(env, "UnsubscribeURL", json_string(sub));
	return env;
}

int
mock_fb_sns_sign(json_t *env, EVP_PKEY *key, int version)
{
	const char *type = json_string_value(json_object_get(env, "Type"));
	const char *const *k;
	EVP_MD_CTX *ctx;
	unsigned char sig[1024];
	size_t siglen = sizeof(sig);
	struct buf text;
	char *b64;
	int ok;

	if (type == NULL || key == NULL || (version != 1 && version != 2))
		return -1;
	buf_init(&text);
	for (k = strcmp(type, "Notification") == 0 ? sns_keys_notification
	                                           : sns_keys_confirmation;
	     *k != NULL; k++) {
		const json_t *v = json_object_get(env, *k);
		if (!json_is_string(v))
			continue;
		buf_printf(&text, "%s\n", *k);
		buf_add(&text, json_string_value(v), json_string_length(v));
		buf_addch(&text, '\n');
	}
	ctx = EVP_MD_CTX_new();
	ok = ctx != NULL &&
	     EVP_DigestSignInit(ctx, NULL,
	                        version == 1 ? EVP_sha1() : EVP_sha256(), NULL,
	                        key) == 1 &&
	     EVP_DigestSignUpdate(ctx, text.p, text.len) == 1 &&
	     EVP_DigestSignFinal(ctx, sig, &siglen) == 1;
	EVP_MD_CTX_free(ctx);
	buf_fini(&text);
	if (!ok)
		return -1;
	b64 = xmalloc(base64_encoded_len(siglen) + 1);
	base64_encode_mem(b64, sig, siglen);
	json_object_set_new(env, "Signature", json_string(b64));
	free(b64);
	return 0;
}
