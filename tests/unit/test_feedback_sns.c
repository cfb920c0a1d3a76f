/*
 * test_feedback_sns.c - SNS message verification: the string SNS signs,
 * the pin on SigningCertURL and SubscribeURL (plain http, look-alike
 * hosts, S3 URLs, wrong paths, userinfo and ports refused), the signing
 * certificate's chain (a test CA made here with OpenSSL), signatures of
 * versions 1 and 2 (good, forged, wrong version), and the SES source's
 * verify_start over a cached certificate: topic allow-list, refusals
 * before any fetch, confirmations.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "config/config.h"
#include "core/base64.h"
#include "ingress/feedback_ses.h"
#include "ingress/feedback_sns.h"
#include "ingress/feedback_sns_fetch.h"

#define NOW_MS 1796000000000LL /* 2026-12-1x, inside the certificates */
#define CERT_URL                                                               \
	"https://sns.us-east-1.amazonaws.com/"                                 \
	"SimpleNotificationService-01d088a6f77103d0fe307c0069e40ed6.pem"
#define TOPIC "arn:aws:sns:us-east-1:123456789012:ses-events"
#define SUB_URL                                                                \
	"https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&"     \
	"TopicArn=" TOPIC "&Token=2336412f37fb687f5d51e6e2425"

/* The test PKI, made once. */
static EVP_PKEY *ca_key, *leaf_key, *rogue_key;
static X509 *ca_cert, *leaf_cert, *rogue_cert, *old_cert;
static char anchor_path[64];

/* key_new - an RSA key of bits. */
static EVP_PKEY *
key_new(int bits)
{
	EVP_PKEY *k = EVP_RSA_gen((unsigned)bits);

	assert_non_null(k);
	return k;
}

/* cert_new - a certificate for key named cn, signed by issuer/ikey (NULL:
 * self-signed), valid from nb to na seconds around NOW_MS. */
static X509 *
cert_new(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *ikey, long nb,
         long na, bool ca)
{
	X509 *c = X509_new();
	X509_NAME *name = X509_NAME_new();
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	static long serial = 1;

	assert_non_null(c);
	X509_set_version(c, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(c), serial++);
	X509_time_adj_ex(X509_getm_notBefore(c), 0, nb, NULL);
	X509_time_adj_ex(X509_getm_notAfter(c), 0, na, NULL);
	/* Absolute validity relative to NOW_MS, not the machine's clock. */
	ASN1_TIME_set(X509_getm_notBefore(c), (time_t)(NOW_MS / 1000 + nb));
	ASN1_TIME_set(X509_getm_notAfter(c), (time_t)(NOW_MS / 1000 + na));
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	                           (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(c, name);
	X509_set_issuer_name(c, issuer ? X509_get_subject_name(issuer) : name);
	X509_set_pubkey(c, key);
	X509V3_set_ctx(&v3, issuer ? issuer : c, c, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints,
	                          ca ? "critical,CA:TRUE" : "CA:FALSE");
	X509_add_ext(c, ext, -1);
	X509_EXTENSION_free(ext);
	if (ca) {
		ext = X509V3_EXT_conf_nid(NULL, &v3, NID_key_usage,
		                          "critical,keyCertSign,cRLSign");
		X509_add_ext(c, ext, -1);
		X509_EXTENSION_free(ext);
	}
	assert_true(X509_sign(c, ikey ? ikey : key, EVP_sha256()) > 0);
	X509_NAME_free(name);
	return c;
}

/* pem_of - c (and then c2, if any) as PEM text. Caller frees. */
static char *
pem_of(X509 *c, X509 *c2, size_t *len)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p, *out;
	long n;

	PEM_write_bio_X509(b, c);
	if (c2 != NULL)
		PEM_write_bio_X509(b, c2);
	n = BIO_get_mem_data(b, &p);
	out = malloc((size_t)n + 1);
	memcpy(out, p, (size_t)n);
	out[n] = '\0';
	*len = (size_t)n;
	BIO_free(b);
	return out;
}

static int
pki_setup(void **state)
{
	FILE *f;
	int fd;

	(void)state;
	ca_key = key_new(2048);
	leaf_key = key_new(2048);
	rogue_key = key_new(2048);
	ca_cert = cert_new(ca_key, "swerve test SNS CA", NULL, NULL, -86400,
	                   86400 * 365, true);
	leaf_cert = cert_new(leaf_key, "sns.amazonaws.com", ca_cert, ca_key,
	                     -86400, 86400 * 30, false);
	rogue_cert = cert_new(rogue_key, "sns.amazonaws.com", NULL, NULL,
	                      -86400, 86400 * 30, false);
	old_cert = cert_new(leaf_key, "sns.amazonaws.com", ca_cert, ca_key,
	                    -86400 * 60, -86400 * 30, false);
	snprintf(anchor_path, sizeof(anchor_path), "/tmp/test-sns-ca.XXXXXX");
	fd = mkstemp(anchor_path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	PEM_write_X509(f, ca_cert);
	fclose(f);
	return 0;
}

static int
pki_teardown(void **state)
{
	(void)state;
	unlink(anchor_path);
	X509_free(ca_cert);
	X509_free(leaf_cert);
	X509_free(rogue_cert);
	X509_free(old_cert);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(leaf_key);
	EVP_PKEY_free(rogue_key);
	return 0;
}

/* sign_b64 - key's RSA PKCS #1 v1.5 signature over text with SHA-1
 * (version 1) or SHA-256 (2), base64. Caller frees. */
static char *
sign_b64(EVP_PKEY *key, int version, const char *text)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char sig[512];
	size_t n = sizeof(sig);

	assert_int_equal(
	    EVP_DigestSignInit(
	        md, NULL, version == 1 ? EVP_sha1() : EVP_sha256(), NULL, key),
	    1);
	assert_int_equal(EVP_DigestSign(md, sig, &n,
	                                (const unsigned char *)text,
	                                strlen(text)),
	                 1);
	EVP_MD_CTX_free(md);
	return base64_encode_str(sig, n);
}

/* A message to sign: the members, NULL when absent. */
struct msg {
	const char *type, *message, *message_id, *subject, *timestamp, *topic,
	    *token, *subscribe_url, *cert_url, *version;
};

/* canonical - the string SNS signs for m, spelled out here from the SNS
 * developer guide independently of the code under test. */
static void
canonical(const struct msg *m, char *out, size_t cap)
{
	if (strcmp(m->type, "Notification") == 0) {
		if (m->subject != NULL)
			snprintf(out, cap,
			         "Message\n%s\nMessageId\n%s\nSubject\n%s\n"
			         "Timestamp\n%s\nTopicArn\n%s\nType\n%s\n",
			         m->message, m->message_id, m->subject,
			         m->timestamp, m->topic, m->type);
		else
			snprintf(out, cap,
			         "Message\n%s\nMessageId\n%s\nTimestamp\n%s\n"
			         "TopicArn\n%s\nType\n%s\n",
			         m->message, m->message_id, m->timestamp,
			         m->topic, m->type);
	} else
		snprintf(out, cap,
		         "Message\n%s\nMessageId\n%s\nSubscribeURL\n%s\n"
		         "Timestamp\n%s\nToken\n%s\nTopicArn\n%s\nType\n%s\n",
		         m->message, m->message_id, m->subscribe_url,
		         m->timestamp, m->token, m->topic, m->type);
}

/* envelope - m as the JSON SNS posts, signed by key (NULL: the given
 * signature sig). Caller frees. */
static char *
envelope(const struct msg *m, EVP_PKEY *key, const char *sig)
{
	json_t *o = json_object();
	char text[8192], *s, *signature = NULL;

	canonical(m, text, sizeof(text));
	if (key != NULL)
		sig = signature =
		    sign_b64(key, m->version[0] == '2' ? 2 : 1, text);
#define SET(k, v)                                                              \
	if ((v) != NULL)                                                       \
	json_object_set_new(o, k, json_string(v))
	SET("Type", m->type);
	SET("MessageId", m->message_id);
	SET("Token", m->token);
	SET("TopicArn", m->topic);
	SET("Subject", m->subject);
	SET("Message", m->message);
	SET("SubscribeURL", m->subscribe_url);
	SET("Timestamp", m->timestamp);
	SET("SignatureVersion", m->version);
	SET("Signature", sig);
	SET("SigningCertURL", m->cert_url);
	json_object_set_new(
	    o, "UnsubscribeURL",
	    json_string("https://sns.us-east-1.amazonaws.com/"
	                "?Action=Unsubscribe&SubscriptionArn=x"));
#undef SET
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	free(signature);
	return s;
}

static const char ses_bounce[] =
    "{\"notificationType\":\"Bounce\",\"bounce\":{\"bounceType\":"
    "\"Permanent\",\"bounceSubType\":\"General\",\"bouncedRecipients\":["
    "{\"emailAddress\":\"jane@example.com\"}]},\"mail\":{\"messageId\":"
    "\"0100018c-1\",\"destination\":[\"jane@example.com\"]}}";

/* notification - a Notification carrying an SES bounce, version v. */
static struct msg
notification(const char *v)
{
	return (struct msg){
	    .type = "Notification",
	    .message = ses_bounce,
	    .message_id = "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
	    .timestamp = "2026-12-07T10:00:00.000Z",
	    .topic = TOPIC,
	    .cert_url = CERT_URL,
	    .version = v,
	};
}

/* subscription - a SubscriptionConfirmation. */
static struct msg
subscription(void)
{
	return (struct msg){
	    .type = "SubscriptionConfirmation",
	    .message = "You have chosen to subscribe to the topic " TOPIC
	               ".\nTo confirm the subscription, visit the "
	               "SubscribeURL included in this message.",
	    .message_id = "165545c9-2a5c-472c-8df2-7ff2be2b3b1c",
	    .timestamp = "2026-12-07T10:00:00.000Z",
	    .topic = TOPIC,
	    .token = "2336412f37fb687f5d51e6e2425",
	    .subscribe_url = SUB_URL,
	    .cert_url = CERT_URL,
	    .version = "1",
	};
}

static void
test_string_to_sign_in_sns_order(void **state)
{
	struct msg ms[3] = {notification("1"), notification("2"),
	                    subscription()};
	size_t i;

	(void)state;
	ms[1].subject = "Amazon SES Email Event Notification";
	for (i = 0; i < 3; i++) {
		char *body = envelope(&ms[i], NULL, "AAAA"), want[8192],
		     err[128];
		struct feedback_sns_msg m;
		struct buf b;

		canonical(&ms[i], want, sizeof(want));
		assert_int_equal(feedback_sns_msg_parse(body, strlen(body), &m,
		                                        err, sizeof(err)),
		                 0);
		buf_init(&b);
		feedback_sns_string_to_sign(&m, &b);
		assert_string_equal(buf_cstr(&b), want);
		buf_fini(&b);
		feedback_sns_msg_fini(&m);
		free(body);
	}
}

static void
test_envelope_malformed_refused(void **state)
{
	static const char *const bodies[] = {
	    "",
	    "[]",
	    "{\"Type\":\"Notification\"}",
	    /* each required member missing in turn, version wrong */
	    "{\"Type\":\"Notice\",\"Message\":\"m\",\"MessageId\":\"i\","
	    "\"Timestamp\":\"t\",\"TopicArn\":\"a\",\"SignatureVersion\":\"1\","
	    "\"Signature\":\"s\",\"SigningCertURL\":\"u\"}",
	    "{\"Type\":\"Notification\",\"MessageId\":\"i\","
	    "\"Timestamp\":\"t\",\"TopicArn\":\"a\",\"SignatureVersion\":\"1\","
	    "\"Signature\":\"s\",\"SigningCertURL\":\"u\"}",
	    "{\"Type\":\"Notification\",\"Message\":\"m\",\"MessageId\":\"i\","
	    "\"Timestamp\":\"t\",\"TopicArn\":\"a\",\"SignatureVersion\":\"3\","
	    "\"Signature\":\"s\",\"SigningCertURL\":\"u\"}",
	    "{\"Type\":\"Notification\",\"Message\":\"m\",\"MessageId\":\"i\","
	    "\"Timestamp\":\"t\",\"TopicArn\":\"a\",\"SignatureVersion\":1,"
	    "\"Signature\":\"s\",\"SigningCertURL\":\"u\"}",
	    "{\"Type\":\"Notification\",\"Message\":\"m\",\"MessageId\":\"i\","
	    "\"Timestamp\":\"t\",\"TopicArn\":\"a\",\"SignatureVersion\":\"1\","
	    "\"SigningCertURL\":\"u\"}",
	    "{\"Type\":\"Notification\",\"Message\":\"m\",\"MessageId\":\"i\","
	    "\"Timestamp\":\"t\",\"TopicArn\":\"a\",\"SignatureVersion\":\"1\","
	    "\"Signature\":\"s\"}",
	    "{\"Type\":\"Notification\",\"Message\":\"m\",\"MessageId\":\"i\","
	    "\"Timestamp\":\"t\",\"TopicArn\":\"a\",\"SignatureVersion\":\"1\","
	    "\"Signature\":\"s\",\"SigningCertURL\":\"u\",\"Subject\":7}",
	    "{\"Type\":\"Notification\",\"Message\":\"m\",\"MessageId\":\"i\","
	    "\"Timestamp\":\"t\",\"TopicArn\":\"a\",\"TopicArn\":\"b\","
	    "\"SignatureVersion\":\"1\",\"Signature\":\"s\","
	    "\"SigningCertURL\":\"u\"}",
	    "{\"Type\":\"SubscriptionConfirmation\",\"Message\":\"m\","
	    "\"MessageId\":\"i\",\"Timestamp\":\"t\",\"TopicArn\":\"a\","
	    "\"SubscribeURL\":\"x\",\"SignatureVersion\":\"1\","
	    "\"Signature\":\"s\",\"SigningCertURL\":\"u\"}",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct feedback_sns_msg m;
		char err[128] = "";

		if (feedback_sns_msg_parse(bodies[i], strlen(bodies[i]), &m,
		                           err, sizeof(err)) != -1)
			fail_msg("accepted: %s", bodies[i]);
		assert_null(m.json);
		assert_true(err[0] != '\0');
	}
}

/* One URL and whether it may be fetched. */
struct url_case {
	const char *url, *pin;
	enum feedback_sns_url kind;
	bool ok;
};

static const struct url_case url_cases[] = {
    {CERT_URL, NULL, FEEDBACK_SNS_URL_CERT, true},
    {"https://sns.cn-north-1.amazonaws.com.cn/"
     "SimpleNotificationService-3242342098.pem",
     NULL, FEEDBACK_SNS_URL_CERT, true},
    {"http://sns.us-east-1.amazonaws.com/"
     "SimpleNotificationService-01d088a6f77103d0fe307c0069e40ed6.pem",
     NULL, FEEDBACK_SNS_URL_CERT, false},
    {"HTTPS://sns.us-east-1.amazonaws.com/SimpleNotificationService-0a.pem",
     NULL, FEEDBACK_SNS_URL_CERT, false},
    /* look-alike hosts */
    {"https://sns.us-east-1.amazonaws.com.evil.example/"
     "SimpleNotificationService-0a.pem",
     NULL, FEEDBACK_SNS_URL_CERT, false},
    {"https://sns-us-east-1.amazonaws.com/SimpleNotificationService-0a.pem",
     NULL, FEEDBACK_SNS_URL_CERT, false},
    {"https://amazonaws.com.evil/SimpleNotificationService-0a.pem", NULL,
     FEEDBACK_SNS_URL_CERT, false},
    {"https://sns.amazonaws.com/SimpleNotificationService-0a.pem", NULL,
     FEEDBACK_SNS_URL_CERT, false},
    {"https://sns.us-east-1.amazonaws.co/SimpleNotificationService-0a.pem",
     NULL, FEEDBACK_SNS_URL_CERT, false},
    {"https://xsns.us-east-1.amazonaws.com/SimpleNotificationService-0a.pem",
     NULL, FEEDBACK_SNS_URL_CERT, false},
    {"https://sns.us-east-1.evil.amazonaws.com/"
     "SimpleNotificationService-0a.pem",
     NULL, FEEDBACK_SNS_URL_CERT, false},
    {"https://sns.US-EAST-1.amazonaws.com/SimpleNotificationService-0a.pem",
     NULL, FEEDBACK_SNS_URL_CERT, false},
    /* S3 buckets */
    {"https://s3.amazonaws.com/sns.us-east-1.amazonaws.com/"
     "SimpleNotificationService-0a.pem",
     NULL, FEEDBACK_SNS_URL_CERT, false},
    {"https://sns.us-east-1.amazonaws.com.s3.amazonaws.com/"
     "SimpleNotificationService-0a.pem",
     NULL, FEEDBACK_SNS_URL_CERT, false},
    {"https://sns.s3.amazonaws.com/SimpleNotificationService-0a.pem", NULL,
     FEEDBACK_SNS_URL_CERT, false},
    {"https://sns.us-east-1.s3.amazonaws.com/SimpleNotificationService-0a.pem",
     NULL, FEEDBACK_SNS_URL_CERT, false},
    /* userinfo, ports, escapes */
    {"https://sns.us-east-1.amazonaws.com@evil.example/"
     "SimpleNotificationService-0a.pem",
     NULL, FEEDBACK_SNS_URL_CERT, false},
    {"https://evil.example@sns.us-east-1.amazonaws.com/"
     "SimpleNotificationService-0a.pem",
     NULL, FEEDBACK_SNS_URL_CERT, false},
    {"https://sns.us-east-1.amazonaws.com:443/"
     "SimpleNotificationService-0a.pem",
     NULL, FEEDBACK_SNS_URL_CERT, false},
    {"https://sns.us-east-1.amazonaws.com:8443/"
     "SimpleNotificationService-0a.pem",
     NULL, FEEDBACK_SNS_URL_CERT, false},
    {"https://sns.us-east-1%2eamazonaws.com/SimpleNotificationService-0a.pem",
     NULL, FEEDBACK_SNS_URL_CERT, false},
    {"https://sns.us-east-1.amazonaws.com\\@evil.example/"
     "SimpleNotificationService-0a.pem",
     NULL, FEEDBACK_SNS_URL_CERT, false},
    {"https://sns.us-east-1.amazonaws.com./SimpleNotificationService-0a.pem",
     NULL, FEEDBACK_SNS_URL_CERT, false},
    /* wrong paths */
    {"https://sns.us-east-1.amazonaws.com/cert.pem", NULL,
     FEEDBACK_SNS_URL_CERT, false},
    {"https://sns.us-east-1.amazonaws.com/SimpleNotificationService-.pem", NULL,
     FEEDBACK_SNS_URL_CERT, false},
    {"https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0g.pem",
     NULL, FEEDBACK_SNS_URL_CERT, false},
    {"https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0a.pem"
     "?x=1",
     NULL, FEEDBACK_SNS_URL_CERT, false},
    {"https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0a.pem"
     "#f",
     NULL, FEEDBACK_SNS_URL_CERT, false},
    {"https://sns.us-east-1.amazonaws.com/a/../"
     "SimpleNotificationService-0a.pem",
     NULL, FEEDBACK_SNS_URL_CERT, false},
    {"https://sns.us-east-1.amazonaws.com//SimpleNotificationService-0a.pem",
     NULL, FEEDBACK_SNS_URL_CERT, false},
    {"https://sns.us-east-1.amazonaws.com", NULL, FEEDBACK_SNS_URL_CERT, false},
    {"", NULL, FEEDBACK_SNS_URL_CERT, false},
    /* the subscription URL */
    {SUB_URL, NULL, FEEDBACK_SNS_URL_SUBSCRIBE, true},
    {"https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe", NULL,
     FEEDBACK_SNS_URL_SUBSCRIBE, false},
    {"https://sns.us-east-1.amazonaws.com/?XAction=ConfirmSubscription", NULL,
     FEEDBACK_SNS_URL_SUBSCRIBE, false},
    {"https://sns.us-east-1.amazonaws.com/x?Action=ConfirmSubscription", NULL,
     FEEDBACK_SNS_URL_SUBSCRIBE, false},
    {"http://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription", NULL,
     FEEDBACK_SNS_URL_SUBSCRIBE, false},
    {"https://sns.us-east-1.amazonaws.com.evil.example/"
     "?Action=ConfirmSubscription",
     NULL, FEEDBACK_SNS_URL_SUBSCRIBE, false},
    {CERT_URL, NULL, FEEDBACK_SNS_URL_SUBSCRIBE, false},
    /* a test pin: that authority only */
    {"https://localhost:8443/SimpleNotificationService-0a.pem",
     "localhost:8443", FEEDBACK_SNS_URL_CERT, true},
    {"https://localhost:8444/SimpleNotificationService-0a.pem",
     "localhost:8443", FEEDBACK_SNS_URL_CERT, false},
    {"https://localhost:8443@evil/SimpleNotificationService-0a.pem",
     "localhost:8443", FEEDBACK_SNS_URL_CERT, false},
    {CERT_URL, "localhost:8443", FEEDBACK_SNS_URL_CERT, false},
};

static void
test_url_pin(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(url_cases) / sizeof(url_cases[0]); i++) {
		const struct url_case *c = &url_cases[i];
		char err[128] = "";
		bool ok = feedback_sns_url_check(c->url, strlen(c->url), c->pin,
		                                 c->kind, err, sizeof(err));
		if (ok != c->ok)
			fail_msg("%s: %s (%s)", c->url,
			         ok ? "accepted" : "refused", err);
		if (!ok)
			assert_true(err[0] != '\0');
	}
}

/* cert_check - feedback_sns_cert_check of c (+ c2) against the anchor. */
static int
cert_check(X509 *c, X509 *c2, const char *anchor, EVP_PKEY **key)
{
	char err[160];
	size_t len;
	char *pem = pem_of(c, c2, &len);
	X509_STORE *st = feedback_sns_store_new(anchor, err, sizeof(err));
	int64_t na = 0;
	int rc;

	assert_non_null(st);
	rc = feedback_sns_cert_check(pem, len, st, NOW_MS, key, &na, err,
	                             sizeof(err));
	if (rc == 0)
		assert_true(na == NOW_MS / 1000 * 1000 + 86400 * 30 * 1000LL);
	X509_STORE_free(st);
	free(pem);
	return rc;
}

static void
test_cert_chain(void **state)
{
	EVP_PKEY *k = NULL;
	char err[128];

	(void)state;
	assert_int_equal(cert_check(leaf_cert, NULL, anchor_path, &k), 0);
	assert_non_null(k);
	EVP_PKEY_free(k);
	/* not from the anchor: refused */
	assert_int_equal(cert_check(rogue_cert, NULL, anchor_path, &k), -1);
	assert_null(k);
	/* the anchor in the file itself does not make it trusted */
	assert_int_equal(cert_check(rogue_cert, rogue_cert, anchor_path, &k),
	                 -1);
	/* expired at NOW */
	assert_int_equal(cert_check(old_cert, NULL, anchor_path, &k), -1);
	/* the system store does not know the test CA */
	assert_int_equal(cert_check(leaf_cert, NULL, NULL, &k), -1);
	/* no trust anchor file */
	assert_null(
	    feedback_sns_store_new("/nonexistent/ca.pem", err, sizeof(err)));
	{
		X509_STORE *st =
		    feedback_sns_store_new(anchor_path, err, sizeof(err));
		int64_t na;
		assert_int_equal(feedback_sns_cert_check("junk", 4, st, NOW_MS,
		                                         &k, &na, err,
		                                         sizeof(err)),
		                 -1);
		X509_STORE_free(st);
	}
}

/* sig_check - parse body and check its signature with key. */
static int
sig_check(const char *body, EVP_PKEY *key)
{
	struct feedback_sns_msg m;
	char err[128];
	int rc;

	assert_int_equal(
	    feedback_sns_msg_parse(body, strlen(body), &m, err, sizeof(err)),
	    0);
	rc = feedback_sns_signature_check(&m, key, err, sizeof(err));
	feedback_sns_msg_fini(&m);
	return rc;
}

static void
test_signatures(void **state)
{
	struct msg m1 = notification("1"), m2 = notification("2"),
	           sub = subscription(), forged;
	char *body, text[8192], *sig;

	(void)state;
	body = envelope(&m1, leaf_key, NULL);
	assert_int_equal(sig_check(body, leaf_key), 0);
	free(body);
	body = envelope(&m2, leaf_key, NULL);
	assert_int_equal(sig_check(body, leaf_key), 0);
	free(body);
	m2.subject = "with a subject";
	body = envelope(&m2, leaf_key, NULL);
	assert_int_equal(sig_check(body, leaf_key), 0);
	free(body);
	body = envelope(&sub, leaf_key, NULL);
	assert_int_equal(sig_check(body, leaf_key), 0);
	free(body);
	/* another key */
	body = envelope(&m1, rogue_key, NULL);
	assert_int_equal(sig_check(body, leaf_key), -1);
	free(body);
	/* a changed message under the first one's signature */
	canonical(&m1, text, sizeof(text));
	sig = sign_b64(leaf_key, 1, text);
	forged = m1;
	forged.message = "{\"notificationType\":\"Delivery\"}";
	body = envelope(&forged, NULL, sig);
	assert_int_equal(sig_check(body, leaf_key), -1);
	free(body);
	/* a version 1 signature called version 2 */
	forged = m1;
	forged.version = "2";
	body = envelope(&forged, NULL, sig);
	assert_int_equal(sig_check(body, leaf_key), -1);
	free(body);
	/* a Subject added after signing */
	forged = m1;
	forged.subject = "added";
	body = envelope(&forged, NULL, sig);
	assert_int_equal(sig_check(body, leaf_key), -1);
	free(body);
	free(sig);
	/* not base64 */
	body = envelope(&m1, NULL, "!!!!");
	assert_int_equal(sig_check(body, leaf_key), -1);
	free(body);
}

/* The SES source over a cached certificate. */
struct verdict {
	int calls;
	enum feedback_check c;
};

static void
verdict_done(enum feedback_check c, const char *err, void *arg)
{
	struct verdict *v = arg;

	v->calls++;
	v->c = c;
}

static struct config_provider provider;
static char *topics[] = {TOPIC};

/* source_new - an SES source without an HTTPS client, the leaf's key
 * cached for CERT_URL. */
static void
source_new(struct feedback_source *src, bool auto_confirm)
{
	char err[128];

	memset(&provider, 0, sizeof(provider));
	provider.name = "ses1";
	provider.type = "ses";
	provider.events.configured = true;
	provider.events.topic_arns = topics;
	provider.events.n_topic_arns = 1;
	provider.events.auto_confirm = auto_confirm;
	provider.events.sns_trust_anchor = anchor_path;
	memset(src, 0, sizeof(*src));
	src->ops = &feedback_ses_ops;
	src->provider = &provider;
	assert_int_equal(feedback_ses_ops.init(src, err, sizeof(err)), 0);
	assert_int_equal(
	    feedback_sns_cert_put(src, CERT_URL, leaf_key, NOW_MS + 3600000),
	    0);
}

/* verify - run body through src; the verdict (done must have run). */
static enum feedback_check
verify(struct feedback_source *src, const char *body, const char *type_hdr)
{
	struct feedback_header h = {"x-amz-sns-message-type", type_hdr};
	struct feedback_request req = {
	    .method = "POST",
	    .path = "/feedback/ses1",
	    .headers = &h,
	    .n_headers = type_hdr != NULL,
	    .body = body,
	    .body_len = strlen(body),
	    .now_ms = NOW_MS,
	};
	struct verdict v = {0, FEEDBACK_CHECK_COUNT};

	assert_null(feedback_ses_ops.verify_start(src, &req, verdict_done, &v));
	assert_int_equal(v.calls, 1);
	return v.c;
}

static void
test_source_verdicts(void **state)
{
	struct feedback_source src;
	struct msg m = notification("2");
	char *body;

	(void)state;
	source_new(&src, false);
	assert_int_equal(feedback_sns_cert_count(&src), 1);
	body = envelope(&m, leaf_key, NULL);
	assert_int_equal(verify(&src, body, "Notification"), FEEDBACK_CHECK_OK);
	assert_int_equal(verify(&src, body, NULL), FEEDBACK_CHECK_OK);
	assert_int_equal(verify(&src, body, "SubscriptionConfirmation"),
	                 FEEDBACK_CHECK_MALFORMED);
	{
		struct feedback_event *ev = NULL;
		size_t n = 0;
		char err[128];
		assert_int_equal(feedback_ses_parse(body, strlen(body), "ses1",
		                                    &ev, &n, err, sizeof(err)),
		                 0);
		assert_int_equal(n, 1);
		assert_int_equal(ev[0].type, FEEDBACK_HARD_BOUNCE);
		free(ev);
	}
	free(body);
	/* signed by a key the certificate does not hold */
	body = envelope(&m, rogue_key, NULL);
	assert_int_equal(verify(&src, body, NULL), FEEDBACK_CHECK_AUTH);
	free(body);
	/* an unexpected topic, signed well */
	m.topic = "arn:aws:sns:us-east-1:999999999999:other";
	body = envelope(&m, leaf_key, NULL);
	assert_int_equal(verify(&src, body, NULL), FEEDBACK_CHECK_FORBIDDEN);
	free(body);
	/* certificate hosts not pinned: refused before any fetch */
	m = notification("1");
	m.cert_url = "http://sns.us-east-1.amazonaws.com/"
	             "SimpleNotificationService-0a.pem";
	body = envelope(&m, leaf_key, NULL);
	assert_int_equal(verify(&src, body, NULL), FEEDBACK_CHECK_FORBIDDEN);
	free(body);
	m.cert_url = "https://sns.us-east-1.amazonaws.com.evil.example/"
	             "SimpleNotificationService-0a.pem";
	body = envelope(&m, leaf_key, NULL);
	assert_int_equal(verify(&src, body, NULL), FEEDBACK_CHECK_FORBIDDEN);
	free(body);
	m.cert_url = "https://my-bucket.s3.amazonaws.com/"
	             "SimpleNotificationService-0a.pem";
	body = envelope(&m, leaf_key, NULL);
	assert_int_equal(verify(&src, body, NULL), FEEDBACK_CHECK_FORBIDDEN);
	free(body);
	/* a pinned URL not cached, and no client to fetch it: 503 */
	m.cert_url = "https://sns.eu-west-1.amazonaws.com/"
	             "SimpleNotificationService-0b.pem";
	body = envelope(&m, leaf_key, NULL);
	assert_int_equal(verify(&src, body, NULL), FEEDBACK_CHECK_UNAVAILABLE);
	free(body);
	assert_int_equal(verify(&src, "{}", NULL), FEEDBACK_CHECK_MALFORMED);
	feedback_ses_ops.fini(&src);
	assert_null(src.state);
}

static void
test_source_confirmations(void **state)
{
	struct feedback_source src;
	struct msg sub = subscription();
	char *body;

	(void)state;
	source_new(&src, false);
	/* without auto_confirm: logged for an operator, answered 200 */
	body = envelope(&sub, leaf_key, NULL);
	assert_int_equal(verify(&src, body, "SubscriptionConfirmation"),
	                 FEEDBACK_CHECK_DONE);
	free(body);
	sub.type = "UnsubscribeConfirmation";
	body = envelope(&sub, leaf_key, NULL);
	assert_int_equal(verify(&src, body, NULL), FEEDBACK_CHECK_DONE);
	free(body);
	/* a SubscribeURL off the pin is refused, however well signed */
	sub = subscription();
	sub.subscribe_url = "https://sns.us-east-1.amazonaws.com.evil.example/"
	                    "?Action=ConfirmSubscription&Token=x";
	body = envelope(&sub, leaf_key, NULL);
	assert_int_equal(verify(&src, body, NULL), FEEDBACK_CHECK_FORBIDDEN);
	free(body);
	sub = subscription();
	body = envelope(&sub, rogue_key, NULL);
	assert_int_equal(verify(&src, body, NULL), FEEDBACK_CHECK_AUTH);
	free(body);
	feedback_ses_ops.fini(&src);
}

static void
test_cache_bounded_and_expiring(void **state)
{
	struct feedback_source src;
	struct msg m = notification("1");
	char url[128], *body;
	int i;

	(void)state;
	source_new(&src, false); /* CERT_URL cached */
	for (i = 1; i < FEEDBACK_SNS_CACHE; i++) {
		snprintf(url, sizeof(url),
		         "https://sns.us-east-1.amazonaws.com/"
		         "SimpleNotificationService-%04x.pem",
		         i);
		assert_int_equal(feedback_sns_cert_put(&src, url, leaf_key,
		                                       NOW_MS + 3600000),
		                 0);
	}
	assert_int_equal(feedback_sns_cert_count(&src), FEEDBACK_SNS_CACHE);
	/* A use makes CERT_URL the most recent: the next one evicts the
	 * least recently used other, never it. */
	body = envelope(&m, leaf_key, NULL);
	assert_int_equal(verify(&src, body, NULL), FEEDBACK_CHECK_OK);
	assert_int_equal(
	    feedback_sns_cert_put(&src,
	                          "https://sns.us-east-1.amazonaws.com/"
	                          "SimpleNotificationService-ffff.pem",
	                          leaf_key, NOW_MS + 3600000),
	    0);
	assert_int_equal(feedback_sns_cert_count(&src), FEEDBACK_SNS_CACHE);
	assert_int_equal(verify(&src, body, NULL), FEEDBACK_CHECK_OK);
	feedback_ses_ops.fini(&src);
	/* An expired entry is not used: it would be fetched again (here,
	 * without a client, 503). */
	source_new(&src, false);
	assert_int_equal(
	    feedback_sns_cert_put(&src, CERT_URL, leaf_key, NOW_MS - 1000), 0);
	assert_int_equal(verify(&src, body, NULL), FEEDBACK_CHECK_UNAVAILABLE);
	feedback_ses_ops.fini(&src);
	free(body);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_string_to_sign_in_sns_order),
	    cmocka_unit_test(test_envelope_malformed_refused),
	    cmocka_unit_test(test_url_pin),
	    cmocka_unit_test(test_cert_chain),
	    cmocka_unit_test(test_signatures),
	    cmocka_unit_test(test_source_verdicts),
	    cmocka_unit_test(test_source_confirmations),
	    cmocka_unit_test(test_cache_bounded_and_expiring),
	};

	return cmocka_run_group_tests(tests, pki_setup, pki_teardown);
}
