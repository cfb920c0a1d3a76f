/*
 * test_mock_fb.c - swerve-mock's feedback: rates, the per-recipient rules
 * (prefixes, hash bands, repeatable), the providers' records and the
 * request signatures (Resend's checked against the Standard Webhooks
 * construction, Mailgun's against HMAC of timestamp || token).
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
#include "mock/mock_fb.h"

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
	ev = event("ses", 0);
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
