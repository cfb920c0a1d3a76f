/*
 * test_feedback_sendgrid.c - SendGrid's Event Webhook: the ECDSA check
 * over timestamp || raw body (SendGrid's own test vector, forged,
 * re-serialised, stale, replayed, malformed), the key forms, and the
 * parser (every documented event, malformed batches).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/base64.h"
#include "core/buf.h"
#include "feedback_test.h"
#include "ingress/feedback_sendgrid.h"

/* SendGrid's SDK test vector (docs/providers.md). */
#define SG_KEY                                                                 \
	"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+"            \
	"u4CwrqDqBaWjcMM"                                                      \
	"sTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA=="
#define SG_TS "1588788367"
#define SG_BODY                                                                \
	"{\"category\":\"example_payload\",\"event\":\"test_event\","          \
	"\"message_"                                                           \
	"id\":\"message_id\"}"
#define SG_SIG                                                                 \
	"MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/"                                  \
	"U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSz"                                \
	"oQsbVRamr2nlxFDWYNH2j/0="
#define SG_NOW 1588788367000LL
#define SG_AGE 300000LL

static enum feedback_check
sg_verify(EVP_PKEY *k, const char *sig, const char *ts, const char *body,
          int64_t now)
{
	char err[256] = "";
	enum feedback_check c = feedback_sendgrid_verify(
	    k, sig, ts, body, strlen(body), now, SG_AGE, err, sizeof(err));

	if (c != FEEDBACK_CHECK_OK)
		assert_true(err[0] != '\0');
	return c;
}

static EVP_PKEY *
sg_key(const char *text)
{
	char err[256];
	EVP_PKEY *k = feedback_sendgrid_key(text, err, sizeof(err));

	assert_non_null(k);
	return k;
}

/* sg_sign - base64 ECDSA signature of ts || body with priv. */
static char *
sg_sign(EVP_PKEY *priv, const char *ts, const char *body)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char sig[128];
	size_t n = sizeof(sig);

	assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, priv),
	                 1);
	assert_int_equal(EVP_DigestSignUpdate(md, ts, strlen(ts)), 1);
	assert_int_equal(EVP_DigestSignUpdate(md, body, strlen(body)), 1);
	assert_int_equal(EVP_DigestSignFinal(md, sig, &n), 1);
	EVP_MD_CTX_free(md);
	return base64_encode_str(sig, n);
}

/* sg_pub_b64 - the public half of priv as SendGrid shows it. */
static char *
sg_pub_b64(EVP_PKEY *priv)
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(priv, &der);
	char *s;

	assert_true(n > 0);
	s = base64_encode_str(der, (size_t)n);
	OPENSSL_free(der);
	return s;
}

static void
test_sdk_vector_verifies(void **state)
{
	EVP_PKEY *k = sg_key(SG_KEY);

	(void)state;
	assert_int_equal(sg_verify(k, SG_SIG, SG_TS, SG_BODY, SG_NOW),
	                 FEEDBACK_CHECK_OK);
	/* A replay inside the window verifies again (the spool stores its
	 * sg_event_ids once); the same request later is stale. */
	assert_int_equal(sg_verify(k, SG_SIG, SG_TS, SG_BODY, SG_NOW + 299000),
	                 FEEDBACK_CHECK_OK);
	assert_int_equal(sg_verify(k, SG_SIG, SG_TS, SG_BODY, SG_NOW + 301000),
	                 FEEDBACK_CHECK_STALE);
	assert_int_equal(sg_verify(k, SG_SIG, SG_TS, SG_BODY, SG_NOW - 301000),
	                 FEEDBACK_CHECK_STALE);
	EVP_PKEY_free(k);
}

static void
test_forged_and_reserialised_refused(void **state)
{
	EVP_PKEY *k = sg_key(SG_KEY);
	char sig[] = SG_SIG;

	(void)state;
	/* The same JSON with other bytes: SendGrid signed the raw body. */
	assert_int_equal(
	    sg_verify(k, SG_SIG, SG_TS,
	              "{\"category\": \"example_payload\", \"event\": "
	              "\"test_event\", \"message_id\": \"message_id\"}",
	              SG_NOW),
	    FEEDBACK_CHECK_AUTH);
	assert_int_equal(sg_verify(k, SG_SIG, SG_TS,
	                           "{\"event\":\"test_event\",\"category\":"
	                           "\"example_payload\",\"message_id\":"
	                           "\"message_id\"}",
	                           SG_NOW),
	                 FEEDBACK_CHECK_AUTH);
	/* Another timestamp: it is signed too. */
	assert_int_equal(sg_verify(k, SG_SIG, "1588788368", SG_BODY, SG_NOW),
	                 FEEDBACK_CHECK_AUTH);
	/* A flipped byte of the signature. */
	sig[20] = sig[20] == 'A' ? 'B' : 'A';
	assert_int_equal(sg_verify(k, sig, SG_TS, SG_BODY, SG_NOW),
	                 FEEDBACK_CHECK_AUTH);
	/* A forged signature is refused as forged even when also stale. */
	assert_int_equal(sg_verify(k, sig, SG_TS, SG_BODY, SG_NOW + 999000),
	                 FEEDBACK_CHECK_AUTH);
	EVP_PKEY_free(k);
}

static void
test_missing_or_malformed_headers_refused(void **state)
{
	EVP_PKEY *k = sg_key(SG_KEY);
	char big[400];

	(void)state;
	assert_int_equal(sg_verify(k, NULL, SG_TS, SG_BODY, SG_NOW),
	                 FEEDBACK_CHECK_AUTH);
	assert_int_equal(sg_verify(k, SG_SIG, NULL, SG_BODY, SG_NOW),
	                 FEEDBACK_CHECK_AUTH);
	assert_int_equal(sg_verify(k, "", SG_TS, SG_BODY, SG_NOW),
	                 FEEDBACK_CHECK_AUTH);
	assert_int_equal(sg_verify(k, "not base64!", SG_TS, SG_BODY, SG_NOW),
	                 FEEDBACK_CHECK_AUTH);
	assert_int_equal(sg_verify(k, SG_SIG, "", SG_BODY, SG_NOW),
	                 FEEDBACK_CHECK_AUTH);
	assert_int_equal(sg_verify(k, SG_SIG, " 1588788367", SG_BODY, SG_NOW),
	                 FEEDBACK_CHECK_AUTH);
	assert_int_equal(sg_verify(k, SG_SIG, "1588788367.0", SG_BODY, SG_NOW),
	                 FEEDBACK_CHECK_AUTH);
	assert_int_equal(
	    sg_verify(k, SG_SIG, "9999999999999999999999", SG_BODY, SG_NOW),
	    FEEDBACK_CHECK_AUTH);
	/* An oversized signature header is not decoded at all. */
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(sg_verify(k, big, SG_TS, SG_BODY, SG_NOW),
	                 FEEDBACK_CHECK_AUTH);
	EVP_PKEY_free(k);
}

static void
test_own_key_signs_and_other_key_refused(void **state)
{
	EVP_PKEY *priv = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	char *pub = sg_pub_b64(priv);
	EVP_PKEY *k = sg_key(pub);
	const char *body =
	    "[{\"email\":\"a@b.example\",\"event\":\"delivered\","
	    "\"sg_event_id\":\"e1\"}]";
	char *good = sg_sign(priv, "1700000000", body);
	char *bad = sg_sign(other, "1700000000", body);

	(void)state;
	assert_int_equal(sg_verify(k, good, "1700000000", body, 1700000000000),
	                 FEEDBACK_CHECK_OK);
	assert_int_equal(sg_verify(k, bad, "1700000000", body, 1700000000000),
	                 FEEDBACK_CHECK_AUTH);
	free(good);
	free(bad);
	free(pub);
	EVP_PKEY_free(k);
	EVP_PKEY_free(priv);
	EVP_PKEY_free(other);
}

static void
test_key_forms(void **state)
{
	EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	BIO *bio = BIO_new(BIO_s_mem());
	char err[256], *pem, *b64;
	EVP_PKEY *k;
	long n;

	(void)state;
	/* PEM, as openssl prints it. */
	assert_int_equal(PEM_write_bio_PUBKEY(bio, ec), 1);
	n = BIO_get_mem_data(bio, &pem);
	pem = strndup(pem, (size_t)n);
	k = feedback_sendgrid_key(pem, err, sizeof(err));
	assert_non_null(k);
	assert_int_equal(EVP_PKEY_eq(k, ec), 1);
	EVP_PKEY_free(k);
	free(pem);
	/* Base64 with blanks (copied from a web page) and around it. */
	k = feedback_sendgrid_key(
	    "  MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4Cwr\n"
	    "qDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==\n",
	    err, sizeof(err));
	assert_non_null(k);
	EVP_PKEY_free(k);
	/* Not P-256. */
	b64 = sg_pub_b64(p384);
	assert_null(feedback_sendgrid_key(b64, err, sizeof(err)));
	assert_non_null(strstr(err, "P-256"));
	free(b64);
	b64 = sg_pub_b64(rsa);
	assert_null(feedback_sendgrid_key(b64, err, sizeof(err)));
	free(b64);
	/* Not a key. */
	assert_null(feedback_sendgrid_key("", err, sizeof(err)));
	assert_null(feedback_sendgrid_key(NULL, err, sizeof(err)));
	assert_null(feedback_sendgrid_key("aGVsbG8=", err, sizeof(err)));
	assert_null(
	    feedback_sendgrid_key("-----BEGIN PUBLIC KEY-----\nxx\n-----END "
	                          "PUBLIC KEY-----\n",
	                          err, sizeof(err)));
	/* The key and bytes after it. */
	assert_null(feedback_sendgrid_key(SG_KEY "AAAA", err, sizeof(err)));
	BIO_free(bio);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(p384);
	EVP_PKEY_free(rsa);
}

static struct feedback_event *
sg_parse(const char *body, size_t *n)
{
	struct feedback_event *ev = NULL;
	char err[256] = "";

	assert_int_equal(feedback_sendgrid_parse(body, strlen(body), "sg", &ev,
	                                         n, err, sizeof(err)),
	                 0);
	return ev;
}

/* Every documented event name, as SendGrid's sample batch sends them. */
static const char sg_batch[] =
    "[{\"email\":\"A@Example.COM\",\"timestamp\":1700000001,\"smtp-id\":"
    "\"<14c5d75ce93.dfd.64b469@ismtpd-555>\",\"event\":\"processed\","
    "\"category\":[\"cat facts\"],\"sg_event_id\":\"rbtnWrG1DVDGGGFHFyun0A=="
    "\",\"sg_message_id\":\"14c5d75ce93.dfd.64b469.filter0001.16648."
    "5515E0B88.0\",\"swerve_id\":\"01HSWERVE\"},"
    "{\"email\":\"a@example.com\",\"timestamp\":1700000002,\"event\":"
    "\"deferred\",\"response\":\"400 try again later\",\"attempt\":\"5\","
    "\"sg_event_id\":\"e2\",\"sg_message_id\":\"m2.filter\"},"
    "{\"email\":\"a@example.com\",\"event\":\"delivered\",\"response\":"
    "\"250 OK\",\"sg_event_id\":\"e3\",\"sg_message_id\":\"m3\"},"
    "{\"email\":\"a@example.com\",\"event\":\"bounce\",\"type\":\"bounce\","
    "\"status\":\"5.1.1\",\"reason\":\"550 5.1.1 The email account that you "
    "tried to reach does not exist\",\"bounce_classification\":\"Invalid "
    "Address\",\"sg_event_id\":\"e4\",\"sg_message_id\":\"m4.x\"},"
    "{\"email\":\"a@example.com\",\"event\":\"bounce\",\"type\":\"blocked\","
    "\"status\":\"5.7.1\",\"reason\":\"550 5.7.1 blocked by policy\","
    "\"sg_event_id\":\"e5\"},"
    "{\"email\":\"a@example.com\",\"event\":\"bounce\",\"sg_event_id\":"
    "\"e6\"},"
    "{\"email\":\"a@example.com\",\"event\":\"dropped\",\"reason\":"
    "\"Bounced Address\",\"sg_event_id\":\"e7\"},"
    "{\"email\":\"a@example.com\",\"event\":\"spamreport\",\"sg_event_id\":"
    "\"e8\"},"
    "{\"email\":\"a@example.com\",\"event\":\"unsubscribe\",\"sg_event_id\":"
    "\"e9\"},"
    "{\"email\":\"a@example.com\",\"event\":\"group_unsubscribe\","
    "\"asm_group_id\":10,\"sg_event_id\":\"e10\"},"
    "{\"email\":\"a@example.com\",\"event\":\"group_resubscribe\","
    "\"sg_event_id\":\"e11\"},"
    "{\"email\":\"a@example.com\",\"event\":\"open\",\"useragent\":\"x\","
    "\"sg_event_id\":\"e12\"},"
    "{\"email\":\"a@example.com\",\"event\":\"click\",\"url\":\"https://x\","
    "\"sg_event_id\":\"e13\"},"
    "{\"email\":\"a@example.com\",\"event\":\"something_new\","
    "\"sg_event_id\":\"e14\"}]";

static void
test_parse_every_event(void **state)
{
	static const enum feedback_type want[] = {
	    FEEDBACK_SENT,        FEEDBACK_DELAYED,     FEEDBACK_DELIVERED,
	    FEEDBACK_HARD_BOUNCE, FEEDBACK_SOFT_BOUNCE, FEEDBACK_HARD_BOUNCE,
	    FEEDBACK_REJECTED,    FEEDBACK_COMPLAINT,   FEEDBACK_UNSUBSCRIBE,
	    FEEDBACK_UNSUBSCRIBE, FEEDBACK_OTHER,       FEEDBACK_OTHER,
	    FEEDBACK_OTHER,       FEEDBACK_OTHER,
	};
	size_t n, i;
	struct feedback_event *ev = sg_parse(sg_batch, &n);

	(void)state;
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < n; i++) {
		assert_int_equal(ev[i].type, want[i]);
		assert_string_equal(ev[i].provider, "sg");
	}
	assert_string_equal(ev[0].event_id, "rbtnWrG1DVDGGGFHFyun0A==");
	assert_string_equal(ev[0].provider_msg_id, "14c5d75ce93");
	assert_string_equal(ev[0].swerve_id, "01HSWERVE");
	assert_string_equal(ev[0].recipient, "A@example.com");
	assert_int_equal(ev[0].occurred_ms, 1700000001000LL);
	assert_string_equal(ev[0].provider_type, "processed");
	assert_string_equal(ev[1].provider_msg_id, "m2");
	assert_string_equal(ev[1].diagnostic, "400 try again later");
	assert_int_equal(ev[1].smtp_code, 400);
	assert_string_equal(ev[1].swerve_id, "");
	assert_string_equal(ev[2].provider_msg_id, "m3");
	assert_int_equal(ev[2].occurred_ms, 0);
	assert_int_equal(ev[3].smtp_code, 550);
	assert_string_equal(ev[3].enhanced, "5.1.1");
	assert_string_equal(ev[3].provider_subtype, "bounce");
	assert_string_equal(ev[4].provider_subtype, "blocked");
	assert_string_equal(ev[4].enhanced, "5.7.1");
	assert_string_equal(ev[5].provider_msg_id, "");
	assert_string_equal(ev[6].diagnostic, "Bounced Address");
	assert_int_equal(ev[6].smtp_code, 0);
	assert_string_equal(ev[13].provider_type, "something_new");
	free(ev);
}

static void
test_parse_same_batch_same_ids(void **state)
{
	size_t n1, n2, i;
	struct feedback_event *a = sg_parse(sg_batch, &n1);
	struct feedback_event *b = sg_parse(sg_batch, &n2);

	(void)state;
	assert_int_equal(n1, n2);
	for (i = 0; i < n1; i++)
		assert_string_equal(a[i].event_id, b[i].event_id);
	free(a);
	free(b);
}

static void
test_parse_empty_batch(void **state)
{
	size_t n = 9;
	struct feedback_event *ev = sg_parse(" [ ] ", &n);

	(void)state;
	assert_int_equal(n, 0);
	assert_null(ev);
}

static void
test_parse_malformed_refused(void **state)
{
	static const char *const bad[] = {
	    "",
	    "[",
	    "not json",
	    "{\"event\":\"delivered\",\"sg_event_id\":\"e\"}",
	    "[1]",
	    "[\"delivered\"]",
	    "[{\"sg_event_id\":\"e\"}]",
	    "[{\"event\":\"delivered\"}]",
	    "[{\"event\":\"delivered\",\"sg_event_id\":\"\"}]",
	    "[{\"event\":\"delivered\",\"sg_event_id\":7}]",
	    "[{\"event\":7,\"sg_event_id\":\"e\"}]",
	    "[{\"event\":\"delivered\",\"event\":\"bounce\",\"sg_event_id\":"
	    "\"e\"}]",
	    "[{\"event\":\"delivered\",\"sg_event_id\":\"e\"},2]",
	    "[{\"event\":\"delivered\",\"sg_event_id\":\"e\"}] x",
	};

	(void)state;
	feedback_test_refused(feedback_sendgrid_parse, bad,
	                      sizeof(bad) / sizeof(bad[0]));
}

static void
test_parse_too_many_events_refused(void **state)
{
	const char *one = "{\"event\":\"open\",\"sg_event_id\":\"e\"},";
	struct feedback_event *ev;
	struct buf b;
	char err[256];
	size_t i, n;

	(void)state;
	buf_init(&b);
	buf_addstr(&b, "[");
	for (i = 0; i < FEEDBACK_SENDGRID_MAX_EVENTS + 1; i++)
		buf_addstr(&b, one);
	b.p[b.len - 1] = ']';
	assert_int_equal(feedback_sendgrid_parse(b.p, b.len, "sg", &ev, &n, err,
	                                         sizeof(err)),
	                 -1);
	assert_non_null(strstr(err, "more than"));
	/* One fewer is fine. */
	b.len -= strlen(one);
	b.p[b.len - 1] = ']';
	assert_int_equal(feedback_sendgrid_parse(b.p, b.len, "sg", &ev, &n, err,
	                                         sizeof(err)),
	                 0);
	assert_int_equal(n, FEEDBACK_SENDGRID_MAX_EVENTS);
	free(ev);
	buf_fini(&b);
}

static void
test_parse_long_fields_truncated(void **state)
{
	char body[8192];
	char longs[1500];
	size_t n;
	struct feedback_event *ev;

	(void)state;
	memset(longs, 'x', sizeof(longs) - 1);
	longs[sizeof(longs) - 1] = '\0';
	snprintf(body, sizeof(body),
	         "[{\"event\":\"bounce\",\"sg_event_id\":\"%s\",\"reason\":\"%s"
	         "\",\"email\":\"%s\"}]",
	         longs, longs, longs);
	ev = sg_parse(body, &n);
	assert_int_equal(n, 1);
	assert_int_equal(strlen(ev[0].event_id), FEEDBACK_ID_MAX - 1);
	assert_int_equal(strlen(ev[0].diagnostic), FEEDBACK_TEXT_MAX - 1);
	assert_int_equal(strlen(ev[0].recipient), FEEDBACK_ADDR_MAX - 1);
	free(ev);
}

static void
test_ops_row(void **state)
{
	(void)state;
	assert_ptr_equal(feedback_source_ops_find("sendgrid"),
	                 &feedback_sendgrid_ops);
	assert_ptr_equal(feedback_sendgrid_ops.parse, feedback_sendgrid_parse);
	assert_non_null(feedback_sendgrid_ops.verify);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sdk_vector_verifies),
	    cmocka_unit_test(test_forged_and_reserialised_refused),
	    cmocka_unit_test(test_missing_or_malformed_headers_refused),
	    cmocka_unit_test(test_own_key_signs_and_other_key_refused),
	    cmocka_unit_test(test_key_forms),
	    cmocka_unit_test(test_parse_every_event),
	    cmocka_unit_test(test_parse_same_batch_same_ids),
	    cmocka_unit_test(test_parse_empty_batch),
	    cmocka_unit_test(test_parse_malformed_refused),
	    cmocka_unit_test(test_parse_too_many_events_refused),
	    cmocka_unit_test(test_parse_long_fields_truncated),
	    cmocka_unit_test(test_ops_row),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
