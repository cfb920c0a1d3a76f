/*
 * test_mock_fb.c - swerve-mock's feedback: rates, the per-recipient rules
 * (prefixes, hash bands, repeatable), the providers' records and the
 * request signatures (Resend's checked against the Standard Webhooks
 * construction, Mailgun's against HMAC of timestamp || token); SES's
 * SNS envelope checked with swerved's own SNS verifier and SES parser,
 * and the DSN and ARF reports with swerved's report parsers (so the mock
 * and swerved agree on the wire, and a tampered message fails).
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
#include <openssl/hmac.h>

#include "core/base64.h"
#include "core/buf.h"
#include "ingress/feedback_arf.h"
#include "ingress/feedback_dsn.h"
#include "ingress/feedback_ses.h"
#include "ingress/feedback_sns.h"
#include "mock/mock_fb.h"
#include "spool/feedback.h"

static void
rates_parse_percent_and_fractions(void **state)
{
	unsigned ppm = 0;

	(void)state;
	assert_int_equal(mock_fb_rate_parse("5%", &ppm), 0);
	assert_int_equal(ppm, 50000);
	assert_int_equal(mock_fb_rate_parse("0.5%", &ppm), 0);
	assert_int_equal(ppm, 5000);
	assert_int_equal(mock_fb_rate_parse("0.02", &ppm), 0);
	assert_int_equal(ppm, 20000);
	assert_int_equal(mock_fb_rate_parse("100%", &ppm), 0);
	assert_int_equal(ppm, 1000000);
	assert_int_equal(mock_fb_rate_parse("101%", &ppm), -1);
	assert_int_equal(mock_fb_rate_parse("-1%", &ppm), -1);
	assert_int_equal(mock_fb_rate_parse("5%x", &ppm), -1);
	assert_int_equal(mock_fb_rate_parse("", &ppm), -1);
	assert_int_equal(mock_fb_rate_parse("lots", &ppm), -1);
}

static void
prefixes_win_over_rates(void **state)
{
	struct mock_fb_rules none = {0}, all = {.hard_ppm = 1000000};

	(void)state;
	assert_int_equal(mock_fb_outcome_of(&none, "bounce-1@x.test"),
	                 MOCK_FB_HARD);
	assert_int_equal(mock_fb_outcome_of(&none, "Soft-1@x.test"),
	                 MOCK_FB_SOFT);
	assert_int_equal(mock_fb_outcome_of(&all, "complaint-1@x.test"),
	                 MOCK_FB_COMPLAINT);
	assert_int_equal(mock_fb_outcome_of(&all, "delay-1@x.test"),
	                 MOCK_FB_DELAY);
	assert_int_equal(mock_fb_outcome_of(&none, "a@x.test"),
	                 MOCK_FB_DELIVERED);
	assert_int_equal(mock_fb_outcome_of(&all, "a@x.test"), MOCK_FB_HARD);
}

static void
rates_hold_over_many_addresses_and_repeat(void **state)
{
	struct mock_fb_rules r = {
	    .hard_ppm = 50000, .complaint_ppm = 5000, .delay_ppm = 20000};
	size_t n[MOCK_FB_COUNT] = {0}, i;
	char a[64], b[64];

	(void)state;
	for (i = 0; i < 100000; i++) {
		snprintf(a, sizeof(a), "user%zu@example.net", i);
		snprintf(b, sizeof(b), "USER%zu@Example.NET", i);
		n[mock_fb_outcome_of(&r, a)]++;
		/* Repeatable, and case does not matter. */
		assert_int_equal(mock_fb_outcome_of(&r, a),
		                 mock_fb_outcome_of(&r, b));
	}
	assert_in_range(n[MOCK_FB_HARD], 4500, 5500);
	assert_in_range(n[MOCK_FB_COMPLAINT], 350, 650);
	assert_in_range(n[MOCK_FB_DELAY], 1700, 2300);
	assert_int_equal(n[MOCK_FB_SOFT], 0);
}

static void
outcome_names(void **state)
{
	enum mock_fb_outcome o;

	(void)state;
	assert_int_equal(mock_fb_outcome_lookup("bounce", &o), 0);
	assert_int_equal(o, MOCK_FB_HARD);
	assert_int_equal(mock_fb_outcome_lookup("soft_bounce", &o), 0);
	assert_int_equal(o, MOCK_FB_SOFT);
	assert_int_equal(mock_fb_outcome_lookup("Bounce", &o), -1);
	assert_int_equal(mock_fb_outcome_lookup("", &o), -1);
}

static struct mock_fb_event
event(const char *api, int kind)
{
	struct mock_fb_event ev;

	memset(&ev, 0, sizeof(ev));
	snprintf(ev.api, sizeof(ev.api), "%s", api);
	snprintf(ev.msg_id, sizeof(ev.msg_id), "01M99");
	snprintf(ev.provider_id, sizeof(ev.provider_id), "pid-1");
	snprintf(ev.from, sizeof(ev.from), "s@example.com");
	snprintf(ev.rcpt, sizeof(ev.rcpt), "r@example.net");
	ev.kind = kind;
	ev.at_ms = 1796637601000;
	return ev;
}

static void
records_have_each_providers_shape(void **state)
{
	struct mock_fb_event ev;
	json_t *o;
	int kind;

	(void)state;
	ev = event("sendgrid", 1);
	o = mock_fb_fmt_payload(&ev);
	assert_string_equal(json_string_value(json_object_get(o, "event")),
	                    "bounce");
	assert_string_equal(
	    json_string_value(json_object_get(o, "sg_message_id")),
	    "pid-1.filterdrecv-mock-1.0");
	json_decref(o);
	ev = event("mailgun", 4);
	o = mock_fb_fmt_payload(&ev);
	assert_string_equal(json_string_value(json_object_get(o, "severity")),
	                    "temporary");
	json_decref(o);
	ev = event("postmark", 3);
	o = mock_fb_fmt_payload(&ev);
	assert_string_equal(json_string_value(json_object_get(o, "RecordType")),
	                    "SpamComplaint");
	json_decref(o);
	ev = event("postmark", 4);
	assert_null(mock_fb_fmt_payload(&ev)); /* no delays at Postmark */
	ev = event("resend", 2);
	o = mock_fb_fmt_payload(&ev);
	assert_string_equal(
	    json_string_value(json_object_get(
	        json_object_get(json_object_get(o, "data"), "bounce"), "type")),
	    "Transient");
	json_decref(o);
	for (kind = 0; kind < 5; kind++) {
		static const char *const ses_types[] = {"Delivery", "Bounce",
		                                        "Bounce", "Complaint",
		                                        "DeliveryDelay"};
		ev = event("ses", kind);
		o = mock_fb_fmt_payload(&ev);
		assert_string_equal(
		    json_string_value(json_object_get(o, "eventType")),
		    ses_types[kind]);
		assert_string_equal(
		    json_string_value(json_object_get(
		        json_object_get(o, "mail"), "messageId")),
		    ev.provider_id);
		json_decref(o);
	}
	ev = event("smtp", 1); /* reports, not records (mock_fb_mail.c) */
	assert_null(mock_fb_fmt_payload(&ev));
}

/* header - the value of name in h, or NULL. */
static const char *
header(const struct mock_fb_headers *h, const char *name)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		if (strcmp(h->h[i][0], name) == 0)
			return h->h[i][1];
	return NULL;
}

static void
resend_and_mailgun_requests_are_signed(void **state)
{
	struct mock_fb_target t;
	struct mock_fb_headers h;
	json_t *payload = json_pack("{s:s}", "type", "email.delivered"), *root;
	unsigned char key[] = "0123456789abcdef", mac[32];
	unsigned maclen = 0;
	char *body = NULL, want[80], msg[512], hex[65];
	size_t i;

	(void)state;
	memset(&t, 0, sizeof(t));
	memcpy(t.a, "whsec_", 6);
	base64_encode_mem(t.a + 6, key, 16);
	assert_int_equal(
	    mock_fb_fmt_request("resend", &t, payload, 1700000000, &body, &h),
	    0);
	assert_string_equal(header(&h, "svix-timestamp"), "1700000000");
	snprintf(msg, sizeof(msg), "%s.1700000000.%s", header(&h, "svix-id"),
	         body);
	HMAC(EVP_sha256(), key, 16, (unsigned char *)msg, strlen(msg), mac,
	     &maclen);
	memcpy(want, "v1,", 3);
	base64_encode_mem(want + 3, mac, maclen);
	assert_string_equal(header(&h, "svix-signature"), want);
	free(body);

	snprintf(t.a, sizeof(t.a), "mg-key");
	assert_int_equal(
	    mock_fb_fmt_request("mailgun", &t, payload, 1700000000, &body, &h),
	    0);
	root = json_loads(body, 0, NULL);
	assert_non_null(json_object_get(root, "event-data"));
	snprintf(msg, sizeof(msg), "%s%s",
	         json_string_value(json_object_get(
	             json_object_get(root, "signature"), "timestamp")),
	         json_string_value(json_object_get(
	             json_object_get(root, "signature"), "token")));
	HMAC(EVP_sha256(), "mg-key", 6, (unsigned char *)msg, strlen(msg), mac,
	     &maclen);
	for (i = 0; i < maclen; i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
	assert_string_equal(
	    json_string_value(json_object_get(
	        json_object_get(root, "signature"), "signature")),
	    hex);
	json_decref(root);
	free(body);
	/* SendGrid without a key cannot sign. */
	assert_int_equal(
	    mock_fb_fmt_request("sendgrid", &t, payload, 1700000000, &body, &h),
	    -1);
	assert_null(body);
	json_decref(payload);
}

/* sns_verify - does body verify with key, as swerved checks it? */
static int
sns_verify(const char *body, EVP_PKEY *key)
{
	struct feedback_sns_msg m;
	char err[200];
	int rc;

	if (feedback_sns_msg_parse(body, strlen(body), &m, err, sizeof(err)) <
	    0)
		return -2;
	rc = feedback_sns_signature_check(&m, key, err, sizeof(err));
	feedback_sns_msg_fini(&m);
	return rc;
}

static void
ses_notifications_verify_with_swerveds_sns_checks(void **state)
{
	struct mock_fb_event ev;
	struct mock_fb_target t;
	struct mock_fb_headers h;
	struct feedback_event *out = NULL;
	json_t *tags = json_pack("{s:s}", "swerve_id", "Q123"), *ses, *env,
	       *root;
	EVP_PKEY *other = EVP_RSA_gen(2048);
	char *body = NULL, *text, err[200];
	size_t n = 0;
	int version;

	(void)state;
	memset(&t, 0, sizeof(t));
	t.key = EVP_RSA_gen(2048);
	assert_non_null(t.key);
	memset(&ev, 0, sizeof(ev));
	snprintf(ev.api, sizeof(ev.api), "ses");
	snprintf(ev.msg_id, sizeof(ev.msg_id), "M1");
	snprintf(ev.provider_id, sizeof(ev.provider_id), "0100-ses-id");
	snprintf(ev.from, sizeof(ev.from), "s@example.com");
	snprintf(ev.rcpt, sizeof(ev.rcpt), "R@Example.NET");
	ev.kind = 1;
	ev.at_ms = 1700000000000LL;
	ev.tags = tags;
	for (version = 1; version <= 2; version++) {
		t.version = version;
		ses = mock_fb_fmt_payload(&ev);
		assert_non_null(ses);
		text = json_dumps(ses, JSON_COMPACT);
		env = mock_fb_sns_envelope(
		    "Notification", "arn:aws:sns:us-east-1:1:t", text, NULL,
		    "localhost:1", "ab", version, ev.at_ms);
		free(text);
		json_decref(ses);
		assert_int_equal(
		    mock_fb_fmt_request("ses", &t, env, 0, &body, &h), 0);
		assert_string_equal(header(&h, "x-amz-sns-message-type"),
		                    "Notification");
		assert_int_equal(sns_verify(body, t.key), 0);
		assert_int_equal(sns_verify(body, other), -1);
		assert_int_equal(feedback_ses_parse(body, strlen(body), "ses",
		                                    &out, &n, err, sizeof(err)),
		                 0);
		assert_int_equal(n, 1);
		assert_int_equal(out[0].type, FEEDBACK_HARD_BOUNCE);
		assert_string_equal(out[0].provider_msg_id, "0100-ses-id");
		assert_string_equal(out[0].swerve_id, "Q123");
		assert_string_equal(out[0].recipient, "R@example.net");
		free(out);
		/* The Message changed after signing: refused. */
		root = json_loads(body, 0, NULL);
		json_object_set_new(root, "Message", json_string("{}"));
		free(body);
		body = json_dumps(root, JSON_COMPACT);
		assert_int_equal(sns_verify(body, t.key), -1);
		json_decref(root);
		free(body);
		json_decref(env);
	}
	/* The SubscriptionConfirmation signs Token and SubscribeURL too. */
	env = mock_fb_sns_envelope("SubscriptionConfirmation",
	                           "arn:aws:sns:us-east-1:1:t", NULL, "tok",
	                           "localhost:1", "ab", 2, ev.at_ms);
	assert_int_equal(mock_fb_fmt_request("ses", &t, env, 0, &body, &h), 0);
	assert_int_equal(sns_verify(body, t.key), 0);
	root = json_loads(body, 0, NULL);
	json_object_set_new(root, "SubscribeURL",
	                    json_string("https://evil.example/"));
	free(body);
	body = json_dumps(root, JSON_COMPACT);
	assert_int_equal(sns_verify(body, t.key), -1);
	json_decref(root);
	free(body);
	json_decref(env);
	/* Without a key nothing is signed. */
	EVP_PKEY_free(t.key);
	t.key = NULL;
	env = mock_fb_sns_envelope("Notification", "arn:aws:sns:us-east-1:1:t",
	                           "{}", NULL, "localhost:1", "ab", 2, 0);
	assert_int_equal(mock_fb_fmt_request("ses", &t, env, 0, &body, &h), -1);
	json_decref(env);
	EVP_PKEY_free(other);
	json_decref(tags);
}

static void
smtp_reports_parse_as_dsn_and_arf(void **state)
{
	static const char orig[] = "From: s@example.com\r\n"
	                           "To: r@example.net\r\n"
	                           "Message-ID: <orig-1@example.com>\r\n"
	                           "Subject: hi\r\n\r\nbody line\r\n";
	static const struct {
		int kind;
		enum feedback_type want;
	} cases[] = {
	    {1, FEEDBACK_HARD_BOUNCE},
	    {2, FEEDBACK_SOFT_BOUNCE},
	    {3, FEEDBACK_COMPLAINT},
	    {4, FEEDBACK_DELAYED},
	};
	struct mock_fb_event ev;
	struct feedback_event *out = NULL;
	char *text, err[200];
	size_t i, n = 0;
	int rc;

	(void)state;
	memset(&ev, 0, sizeof(ev));
	snprintf(ev.msg_id, sizeof(ev.msg_id), "M2");
	snprintf(ev.rcpt, sizeof(ev.rcpt), "r@example.net");
	ev.at_ms = 1700000000000LL;
	ev.kind = 0;
	assert_null(mock_fb_mail_report(&ev, "b-x@bounce.test", orig,
	                                sizeof(orig) - 1));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ev.kind = cases[i].kind;
		ev.seq = (unsigned)i;
		text = mock_fb_mail_report(&ev, "b-x@bounce.test", orig,
		                           sizeof(orig) - 1);
		assert_non_null(text);
		assert_non_null(strstr(text, "To: b-x@bounce.test\r\n"));
		assert_null(strstr(text, "body line")); /* headers only */
		rc = ev.kind == 3
		         ? feedback_arf_parse(text, strlen(text), "relay", &out,
		                              &n, err, sizeof(err))
		         : feedback_dsn_parse(text, strlen(text), "relay", &out,
		                              &n, err, sizeof(err));
		assert_int_equal(rc, 0);
		assert_int_equal(n, 1);
		assert_int_equal(out[0].type, cases[i].want);
		assert_string_equal(out[0].recipient, "r@example.net");
		assert_string_equal(out[0].provider_msg_id,
		                    "<orig-1@example.com>");
		free(out);
		out = NULL;
		free(text);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(rates_parse_percent_and_fractions),
	    cmocka_unit_test(prefixes_win_over_rates),
	    cmocka_unit_test(rates_hold_over_many_addresses_and_repeat),
	    cmocka_unit_test(outcome_names),
	    cmocka_unit_test(records_have_each_providers_shape),
	    cmocka_unit_test(resend_and_mailgun_requests_are_signed),
	    cmocka_unit_test(ses_notifications_verify_with_swerveds_sns_checks),
	    cmocka_unit_test(smtp_reports_parse_as_dsn_and_arf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
