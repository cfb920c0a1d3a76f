/*
 * feedback_sns.h - Amazon SNS message verification: the envelope's
 * signed fields, the string SNS signs, the pin on the certificate and
 * subscription URLs, the signing certificate's chain, and the signature
 * (contract).
 *
 * Pure: no I/O, no logging, time passed in. The asynchronous part (the
 * certificate fetched over HTTPS on the loop, its cache, following a
 * SubscribeURL) is feedback_sns_fetch.c's; it calls these in this order:
 * feedback_sns_msg_parse, the topic allow-list, feedback_sns_url_check
 * on SigningCertURL (and SubscribeURL), feedback_sns_cert_check on the
 * fetched PEM, feedback_sns_signature_check. Only a message that passed
 * all of them has its Message read (feedback_ses_parse).
 */
#ifndef SWERVE_INGRESS_FEEDBACK_SNS_H
#define SWERVE_INGRESS_FEEDBACK_SNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "core/buf.h"

/* The three kinds of message SNS posts to an HTTP(S) endpoint. */
enum feedback_sns_type {
	FEEDBACK_SNS_NOTIFICATION,
	FEEDBACK_SNS_SUBSCRIBE,   /* SubscriptionConfirmation */
	FEEDBACK_SNS_UNSUBSCRIBE, /* UnsubscribeConfirmation */
};

/* One SNS member: a JSON-decoded string (may hold NULs), or absent. */
struct feedback_sns_field {
	const char *p; /* NULL when absent; borrowed from the message */
	size_t len;
};

/*
 * The envelope, as far as verification reads it. The strings are views
 * into json, valid until feedback_sns_msg_fini.
 */
struct feedback_sns_msg {
	json_t *json; /* owned */
	enum feedback_sns_type type;
	int version; /* SignatureVersion: 1 (SHA1withRSA), 2 (SHA256withRSA) */
	struct feedback_sns_field type_name, message, message_id, subject,
	    timestamp, topic_arn, token, subscribe_url, signing_cert_url,
	    signature;
};

/* The largest signing certificate file taken (a few certificates). */
#define FEEDBACK_SNS_CERT_MAX (64 * 1024)

/*
 * feedback_sns_msg_parse - the SNS envelope in body[0..len) into *m:
 * a JSON object (no member twice) whose Type is one of the three, with
 * SignatureVersion "1" or "2", and every member its type signs, plus
 * Signature and SigningCertURL, present as strings (Subject may be
 * absent or null). On success the caller owns m
 * (feedback_sns_msg_fini); on -1 err says what is missing and m holds
 * nothing.
 */
int feedback_sns_msg_parse(const char *body, size_t len,
                           struct feedback_sns_msg *m, char *err,
                           size_t errlen);

/* feedback_sns_msg_fini - release m (a zeroed m is fine). */
void feedback_sns_msg_fini(struct feedback_sns_msg *m);

/*
 * feedback_sns_string_to_sign - append to out the bytes SNS signs for m:
 * "key\nvalue\n" for each signed key present, in SNS's fixed order
 * (Notification: Message, MessageId, Subject, Timestamp, TopicArn, Type;
 * the confirmations: Message, MessageId, SubscribeURL, Timestamp, Token,
 * TopicArn, Type).
 */
void feedback_sns_string_to_sign(const struct feedback_sns_msg *m,
                                 struct buf *out);

/* What a URL from a message is for. */
enum feedback_sns_url {
	FEEDBACK_SNS_URL_CERT,      /* SigningCertURL */
	FEEDBACK_SNS_URL_SUBSCRIBE, /* SubscribeURL */
};

/*
 * feedback_sns_url_check - may url[0..len) be fetched? Only
 * "https://HOST" with no userinfo, no port, no percent-encoding or
 * backslash in the authority, and HOST exactly
 * sns.<region>.amazonaws.com or sns.<region>.amazonaws.com.cn (region:
 * lower-case letters, digits and '-'); when pin_host is set (tests) the
 * authority must equal it instead (case-insensitively; it may carry a
 * port). CERT: then exactly the path "/SimpleNotificationService-<hex>.pem"
 * and nothing after it; SUBSCRIBE: the path "/" and a query with
 * Action=ConfirmSubscription. Printable ASCII only, no fragment. false
 * with err (a short reason) otherwise.
 */
bool feedback_sns_url_check(const char *url, size_t len, const char *pin_host,
                            enum feedback_sns_url kind, char *err,
                            size_t errlen);

/*
 * feedback_sns_store_new - the trust store certificates are checked
 * against: the CA certificates in anchor_file (tests), or the system's
 * default trust store when anchor_file is NULL. The caller frees it with
 * X509_STORE_free. NULL with err.
 */
X509_STORE *feedback_sns_store_new(const char *anchor_file, char *err,
                                   size_t errlen);

/*
 * feedback_sns_cert_check - the signing certificate file pem[0..len)
 * (the first PEM certificate; any after it are intermediates) verified
 * against store at now_ms: a chain to a trust anchor, every certificate
 * valid at that time, and an RSA key of at least 2048 bits. On 0, *key
 * is the certificate's public key (the caller EVP_PKEY_free()s it) and
 * *not_after_ms when the certificate expires; -1 with err otherwise.
 */
int feedback_sns_cert_check(const char *pem, size_t len, X509_STORE *store,
                            int64_t now_ms, EVP_PKEY **key,
                            int64_t *not_after_ms, char *err, size_t errlen);

/*
 * feedback_sns_signature_check - does m's Signature (base64) verify over
 * feedback_sns_string_to_sign(m) with key, as RSA PKCS #1 v1.5 with
 * SHA-1 (version 1) or SHA-256 (version 2)? 0, or -1 with err.
 */
int feedback_sns_signature_check(const struct feedback_sns_msg *m,
                                 EVP_PKEY *key, char *err, size_t errlen);

#endif
