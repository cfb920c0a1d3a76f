/*
 * test_feedback_resend.c - Resend's webhooks (Standard Webhooks): the
 * secret, the HMAC check (the specification's vector, several
 * signatures, forged, tampered body, stale, replayed, malformed
 * headers), and the parser (every documented type, bounce types, tags in
 * both shapes, one event per recipient, malformed bodies).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "feedback_test.h"
#include "ingress/feedback_resend.h"

/* The Standard Webhooks specification's vector (docs/providers.md). */
#define RS_SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define RS_ID "msg_p5jXN8AQM9LWM0D4loKWxJek"
#define RS_TS "1614265330"
#define RS_BODY "{\"test\": 2432232314}"
#define RS_SIG "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
#define RS_NOW 1614265330000LL
#define RS_AGE 300000LL

static enum feedback_check
rs_verify(const char *id, const char *ts, const char *sigs, const char *body,
          int64_t now)
{
	unsigned char key[FEEDBACK_RESEND_KEY_MAX];
	char err[256] = "";
	size_t keylen;
	enum feedback_check c;

	assert_int_equal(
	    feedback_resend_secret(RS_SECRET, key, &keylen, err, sizeof(err)),
	    0);
	c = feedback_resend_verify(key, keylen, id, ts, sigs, body,
	                           strlen(body), now, RS_AGE, err, sizeof(err));
	if (c != FEEDBACK_CHECK_OK)
		assert_true(err[0] != '\0');
	return c;
}

static void
test_spec_vector_verifies(void **state)
{
	(void)state;
	assert_int_equal(rs_verify(RS_ID, RS_TS, RS_SIG, RS_BODY, RS_NOW),
	                 FEEDBACK_CHECK_OK);
	/* Several signatures (a rotated secret): any one may match. */
	assert_int_equal(
	    rs_verify(RS_ID, RS_TS,
	              "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= " RS_SIG,
	              RS_BODY, RS_NOW),
	    FEEDBACK_CHECK_OK);
	assert_int_equal(
	    rs_verify(RS_ID, RS_TS, "v1a,xyz  " RS_SIG " ", RS_BODY, RS_NOW),
	    FEEDBACK_CHECK_OK);
	/* Replayed inside the window: verifies (the events' ids repeat, the
	 * spool stores them once); later: stale. */
	assert_int_equal(
	    rs_verify(RS_ID, RS_TS, RS_SIG, RS_BODY, RS_NOW + 300000),
	    FEEDBACK_CHECK_OK);
	assert_int_equal(
	    rs_verify(RS_ID, RS_TS, RS_SIG, RS_BODY, RS_NOW + 300001),
	    FEEDBACK_CHECK_STALE);
	assert_int_equal(
	    rs_verify(RS_ID, RS_TS, RS_SIG, RS_BODY, RS_NOW - 300001),
	    FEEDBACK_CHECK_STALE);
}

static void
test_forged_refused(void **state)
{
	(void)state;
	/* The body, id or timestamp changed. */
	assert_int_equal(
	    rs_verify(RS_ID, RS_TS, RS_SIG, "{\"test\":2432232314}", RS_NOW),
	    FEEDBACK_CHECK_AUTH);
	assert_int_equal(rs_verify("msg_p5jXN8AQM9LWM0D4loKWxJeK", RS_TS,
	                           RS_SIG, RS_BODY, RS_NOW),
	                 FEEDBACK_CHECK_AUTH);
	assert_int_equal(
	    rs_verify(RS_ID, "1614265331", RS_SIG, RS_BODY, RS_NOW),
	    FEEDBACK_CHECK_AUTH);
	/* The right bytes under another version, or no version. */
	assert_int_equal(
	    rs_verify(RS_ID, RS_TS,
	              "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
	              RS_BODY, RS_NOW),
	    FEEDBACK_CHECK_AUTH);
	assert_int_equal(
	    rs_verify(RS_ID, RS_TS,
	              "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", RS_BODY,
	              RS_NOW),
	    FEEDBACK_CHECK_AUTH);
	/* Cut short, or the hex of it. */
	assert_int_equal(
	    rs_verify(RS_ID, RS_TS, "v1,g0hM9SsE+OTPJTGt", RS_BODY, RS_NOW),
	    FEEDBACK_CHECK_AUTH);
	assert_int_equal(rs_verify(RS_ID, RS_TS, "v1,", RS_BODY, RS_NOW),
	                 FEEDBACK_CHECK_AUTH);
	assert_int_equal(rs_verify(RS_ID, RS_TS, "", RS_BODY, RS_NOW),
	                 FEEDBACK_CHECK_AUTH);
	/* Forged and stale says forged. */
	assert_int_equal(
	    rs_verify(RS_ID, RS_TS, "v1,AAAA", RS_BODY, RS_NOW + 999000),
	    FEEDBACK_CHECK_AUTH);
}

static void
test_headers_malformed_refused(void **state)
{
	char big[FEEDBACK_RESEND_SIGS_MAX + 10];
	char id[FEEDBACK_RESEND_ID_MAX + 2];

	(void)state;
	assert_int_equal(rs_verify(NULL, RS_TS, RS_SIG, RS_BODY, RS_NOW),
	                 FEEDBACK_CHECK_AUTH);
	assert_int_equal(rs_verify(RS_ID, NULL, RS_SIG, RS_BODY, RS_NOW),
	                 FEEDBACK_CHECK_AUTH);
	assert_int_equal(rs_verify(RS_ID, RS_TS, NULL, RS_BODY, RS_NOW),
	                 FEEDBACK_CHECK_AUTH);
	assert_int_equal(rs_verify("", RS_TS, RS_SIG, RS_BODY, RS_NOW),
	                 FEEDBACK_CHECK_AUTH);
	/* An id with a '.' would make "id.ts.body" ambiguous. */
	assert_int_equal(rs_verify("msg.1", RS_TS, RS_SIG, RS_BODY, RS_NOW),
	                 FEEDBACK_CHECK_AUTH);
	assert_int_equal(rs_verify("msg 1", RS_TS, RS_SIG, RS_BODY, RS_NOW),
	                 FEEDBACK_CHECK_AUTH);
	memset(id, 'a', sizeof(id) - 1);
	id[sizeof(id) - 1] = '\0';
	assert_int_equal(rs_verify(id, RS_TS, RS_SIG, RS_BODY, RS_NOW),
	                 FEEDBACK_CHECK_AUTH);
	assert_int_equal(
	    rs_verify(RS_ID, "1614265330.5", RS_SIG, RS_BODY, RS_NOW),
	    FEEDBACK_CHECK_AUTH);
	assert_int_equal(rs_verify(RS_ID, "", RS_SIG, RS_BODY, RS_NOW),
	                 FEEDBACK_CHECK_AUTH);
	/* An oversized signature list is not looked at. */
	memset(big, ' ', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, RS_SIG, strlen(RS_SIG));
	assert_int_equal(rs_verify(RS_ID, RS_TS, big, RS_BODY, RS_NOW),
	                 FEEDBACK_CHECK_AUTH);
}

static void
test_secret_forms(void **state)
{
	unsigned char key[FEEDBACK_RESEND_KEY_MAX];
	char err[256];
	size_t n;

	(void)state;
	assert_int_equal(feedback_resend_secret("MfKQ9r8GKYqrTwjUPD8ILPZIo2La"
	                                        "LaSw",
	                                        key, &n, err, sizeof(err)),
	                 0);
	assert_int_equal(n, 24);
	assert_int_equal(
	    feedback_resend_secret("whsec_", key, &n, err, sizeof(err)), -1);
	assert_int_equal(
	    feedback_resend_secret(NULL, key, &n, err, sizeof(err)), -1);
	assert_int_equal(feedback_resend_secret("whsec_not base64!", key, &n,
	                                        err, sizeof(err)),
	                 -1);
}

static struct feedback_event *
rs_parse(const char *body, size_t want_n)
{
	struct feedback_event *ev = NULL;
	char err[256] = "";
	size_t n = 0;

	assert_int_equal(feedback_resend_parse(body, strlen(body), "rs", &ev,
	                                       &n, err, sizeof(err)),
	                 0);
	assert_int_equal(n, want_n);
	return ev;
}

/* rs_type - the type of an event {"type": type, data: {bounce...}}. */
static enum feedback_type
rs_type(const char *type, const char *extra)
{
	char body[1024];
	struct feedback_event *ev;
	enum feedback_type t;

	snprintf(body, sizeof(body),
	         "{\"type\":\"%s\",\"created_at\":\"2024-11-22T23:41:12.126Z\","
	         "\"data\":{\"email_id\":\"e\",\"to\":[\"a@b.c\"]%s}}",
	         type, extra);
	ev = rs_parse(body, 1);
	t = ev->type;
	free(ev);
	return t;
}

static void
test_parse_every_type(void **state)
{
	static const struct {
		const char *type, *extra;
		enum feedback_type want;
	} cases[] = {
	    {"email.sent", "", FEEDBACK_SENT},
	    {"email.delivered", "", FEEDBACK_DELIVERED},
	    {"email.delivery_delayed", "", FEEDBACK_DELAYED},
	    {"email.bounced", "", FEEDBACK_HARD_BOUNCE},
	    {"email.bounced",
	     ",\"bounce\":{\"type\":\"Permanent\",\"subType\":\"General\"}",
	     FEEDBACK_HARD_BOUNCE},
	    {"email.bounced",
	     ",\"bounce\":{\"type\":\"Permanent\",\"subType\":\"Suppressed\"}",
	     FEEDBACK_REJECTED},
	    {"email.bounced", ",\"bounce\":{\"type\":\"Transient\"}",
	     FEEDBACK_SOFT_BOUNCE},
	    {"email.bounced", ",\"bounce\":{\"type\":\"Undetermined\"}",
	     FEEDBACK_SOFT_BOUNCE},
	    {"email.complained", "", FEEDBACK_COMPLAINT},
	    {"email.failed", ",\"failed\":{\"reason\":\"reached_daily_quota\"}",
	     FEEDBACK_REJECTED},
	    {"email.suppressed", "", FEEDBACK_REJECTED},
	    {"email.opened", "", FEEDBACK_OTHER},
	    {"email.clicked", "", FEEDBACK_OTHER},
	    {"email.scheduled", "", FEEDBACK_OTHER},
	    {"contact.created", "", FEEDBACK_OTHER},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("case %zu\n", i);
		assert_int_equal(rs_type(cases[i].type, cases[i].extra),
		                 cases[i].want);
	}
}

/* Resend's documented email.bounced payload, with two recipients. */
static const char rs_bounced[] =
    "{\"type\":\"email.bounced\",\"created_at\":\"2024-11-22T23:41:12.126Z\","
    "\"data\":{\"broadcast_id\":\"8b146471-e88e-4322-86af-016cd36fd216\","
    "\"created_at\":\"2024-11-22T23:41:11.894719+00:00\",\"email_id\":"
    "\"56761188-7520-42d8-8898-ff6fc54ce618\",\"from\":\"Acme "
    "<onboarding@resend.dev>\",\"to\":[\"Delivered@Resend.DEV\","
    "\"Bob <bob@Example.org>\"],\"subject\":\"Sending this example\","
    "\"bounce\":{\"message\":\"The recipient's email address is on the "
    "suppression list because it has a recent history of producing hard "
    "bounces.\",\"subType\":\"General\",\"type\":\"Permanent\"},\"tags\":"
    "{\"category\":\"confirm_email\",\"swerve_id\":\"01HRS\"}}}";

static void
test_parse_fields(void **state)
{
	struct feedback_event *ev = rs_parse(rs_bounced, 2);
	struct feedback_event *again = rs_parse(rs_bounced, 2);

	(void)state;
	assert_int_equal(ev[0].type, FEEDBACK_HARD_BOUNCE);
	assert_string_equal(ev[0].provider, "rs");
	assert_string_equal(ev[0].recipient, "Delivered@resend.dev");
	assert_string_equal(ev[1].recipient, "bob@example.org");
	assert_string_equal(ev[0].provider_msg_id,
	                    "56761188-7520-42d8-8898-ff6fc54ce618");
	assert_string_equal(ev[1].provider_msg_id, ev[0].provider_msg_id);
	assert_string_equal(ev[0].swerve_id, "01HRS");
	assert_int_equal(ev[0].occurred_ms, 1732318872000LL);
	assert_string_equal(ev[0].provider_type, "Permanent");
	assert_string_equal(ev[0].provider_subtype, "General");
	assert_non_null(strstr(ev[0].diagnostic, "suppression list"));
	/* One id per recipient; the same body gives the same ids. */
	assert_int_equal(strlen(ev[0].event_id), 64);
	assert_string_not_equal(ev[0].event_id, ev[1].event_id);
	assert_string_equal(ev[0].event_id, again[0].event_id);
	assert_string_equal(ev[1].event_id, again[1].event_id);
	free(ev);
	free(again);
	/* Tags as an array of {name, value}; one recipient as a string; a
	 * later event of the same email has another id. */
	ev = rs_parse("{\"type\":\"email.delivery_delayed\",\"created_at\":"
	              "\"2024-11-22T23:41:13Z\",\"data\":{\"email_id\":\"x\","
	              "\"to\":\"c@d.e\",\"tags\":[{\"name\":\"a\",\"value\":"
	              "\"b\"},{\"name\":\"swerve_id\",\"value\":\"01HX\"}]}}",
	              1);
	assert_string_equal(ev[0].swerve_id, "01HX");
	assert_string_equal(ev[0].recipient, "c@d.e");
	assert_string_equal(ev[0].provider_type, "email.delivery_delayed");
	again =
	    rs_parse("{\"type\":\"email.delivery_delayed\",\"created_at\":"
	             "\"2024-11-22T23:51:13Z\",\"data\":{\"email_id\":\"x\","
	             "\"to\":\"c@d.e\"}}",
	             1);
	assert_string_not_equal(ev[0].event_id, again[0].event_id);
	assert_string_equal(again[0].swerve_id, "");
	free(ev);
	free(again);
	/* No recipient: one event, no recipient (counted as unknown). */
	ev = rs_parse("{\"type\":\"domain.updated\",\"created_at\":"
	              "\"2024-11-22T23:41:13Z\",\"data\":{\"id\":\"d\"}}",
	              1);
	assert_int_equal(ev[0].type, FEEDBACK_OTHER);
	assert_string_equal(ev[0].recipient, "");
	free(ev);
}

static void
test_parse_malformed_refused(void **state)
{
	static const char *const bad[] = {
	    "",
	    "[]",
	    "{",
	    "{}",
	    "{\"type\":\"email.sent\",\"created_at\":\"2024-11-22T23:41:12Z\"}",
	    "{\"type\":\"email.sent\",\"data\":{}}",
	    "{\"created_at\":\"2024-11-22T23:41:12Z\",\"data\":{}}",
	    "{\"type\":1,\"created_at\":\"2024-11-22T23:41:12Z\",\"data\":{}}",
	    "{\"type\":\"email.sent\",\"created_at\":\"yesterday\",\"data\":{}"
	    "}",
	    "{\"type\":\"email.sent\",\"created_at\":\"2024-11-22T23:41:12Z\","
	    "\"data\":[]}",
	    "{\"type\":\"email.sent\",\"created_at\":\"2024-11-22T23:41:12Z\","
	    "\"data\":{\"to\":7}}",
	    "{\"type\":\"email.sent\",\"created_at\":\"2024-11-22T23:41:12Z\","
	    "\"data\":{\"to\":[\"a@b\",7]}}",
	    "{\"type\":\"email.sent\",\"type\":\"email.bounced\",\"created_"
	    "at\":"
	    "\"2024-11-22T23:41:12Z\",\"data\":{}}",
	};

	(void)state;
	feedback_test_refused(feedback_resend_parse, bad,
	                      sizeof(bad) / sizeof(bad[0]));
}

static void
test_parse_too_many_recipients_refused(void **state)
{
	struct feedback_event *ev;
	struct buf b;
	char err[256];
	size_t i, n;

	(void)state;
	buf_init(&b);
	buf_addstr(&b, "{\"type\":\"email.sent\",\"created_at\":"
	               "\"2024-11-22T23:41:12Z\",\"data\":{\"to\":[");
	for (i = 0; i <= FEEDBACK_RESEND_MAX_RCPTS; i++)
		buf_addstr(&b, i ? ",\"a@b.c\"" : "\"a@b.c\"");
	buf_addstr(&b, "]}}");
	assert_int_equal(
	    feedback_resend_parse(b.p, b.len, "rs", &ev, &n, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "more than"));
	buf_fini(&b);
}

static void
test_ops_row(void **state)
{
	(void)state;
	assert_ptr_equal(feedback_source_ops_find("resend"),
	                 &feedback_resend_ops);
	assert_non_null(feedback_resend_ops.verify);
	assert_ptr_equal(feedback_resend_ops.parse, feedback_resend_parse);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_spec_vector_verifies),
	    cmocka_unit_test(test_forged_refused),
	    cmocka_unit_test(test_headers_malformed_refused),
	    cmocka_unit_test(test_secret_forms),
	    cmocka_unit_test(test_parse_every_type),
	    cmocka_unit_test(test_parse_fields),
	    cmocka_unit_test(test_parse_malformed_refused),
	    cmocka_unit_test(test_parse_too_many_recipients_refused),
	    cmocka_unit_test(test_ops_row),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
