/*
 * test_feedback_mailgun.c - Mailgun's webhooks: finding the signature
 * object with the bounded scan, the HMAC check (known vector, forged,
 * stale), the token replay cache (replayed, expired, full, eviction),
 * and the parser (every documented event, malformed bodies).
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
#include "ingress/feedback_mailgun.h"

/* Self-computed vector (docs/providers.md, "Mailgun webhooks"). */
#define MG_KEY "key-example"
#define MG_TS "1661590666"
#define MG_TOKEN "fff0ebc59c0516f4ce0823212a2f45e5c67814420b99fe558b"
#define MG_SIG                                                                 \
	"e852dafc7f8bd9766db31ba87a9499ec869018f7d5524ec6a6c9c525c3e50d05"
#define MG_NOW 1661590666000LL
#define MG_AGE 300000LL

#define MG_SIGOBJ                                                              \
	"\"signature\":{\"timestamp\":\"" MG_TS "\",\"token\":\"" MG_TOKEN     \
	"\",\"signature\":\"" MG_SIG "\"}"
#define MG_EVENT                                                               \
	"\"event-data\":{\"event\":\"delivered\",\"id\":\"ev1\","              \
	"\"recipient\":"                                                       \
	"\"bob@Example.com\"}"

static enum feedback_check
mg_verify_at(const char *body, int64_t now,
             const struct feedback_mailgun_cache *c)
{
	char err[256] = "";
	enum feedback_check r =
	    feedback_mailgun_verify(MG_KEY, strlen(MG_KEY), body, strlen(body),
	                            now, MG_AGE, c, err, sizeof(err));

	if (r != FEEDBACK_CHECK_OK)
		assert_true(err[0] != '\0');
	return r;
}

static void
test_vector_verifies(void **state)
{
	(void)state;
	assert_int_equal(
	    mg_verify_at("{" MG_SIGOBJ "," MG_EVENT "}", MG_NOW, NULL),
	    FEEDBACK_CHECK_OK);
	/* Order, blanks and other members do not matter: the body is not
	 * signed. */
	assert_int_equal(mg_verify_at(" {\n " MG_EVENT
	                              ", \"x\": [1, {\"a\": null}, "
	                              "\"s\\\"}\"],\n " MG_SIGOBJ " }\n",
	                              MG_NOW, NULL),
	                 FEEDBACK_CHECK_OK);
	/* Upper-case hex is the same signature. */
	assert_int_equal(
	    mg_verify_at("{\"signature\":{\"timestamp\":\"" MG_TS
	                 "\",\"token\":\"" MG_TOKEN
	                 "\",\"signature\":\"E852DAFC7F"
	                 "8BD9766DB31BA87A9499EC869018F7D5524EC6A6C9C525C3E50D0"
	                 "5\"}}",
	                 MG_NOW, NULL),
	    FEEDBACK_CHECK_OK);
}

static void
test_forged_and_stale_refused(void **state)
{
	char err[256];

	(void)state;
	/* Another token, timestamp or signature. */
	assert_int_equal(
	    mg_verify_at(
	        "{\"signature\":{\"timestamp\":\"" MG_TS
	        "\",\"token\":\"fff0ebc59c0516f4ce0823212a2f45e5c6781442"
	        "0b99fe558c\",\"signature\":\"" MG_SIG "\"}}",
	        MG_NOW, NULL),
	    FEEDBACK_CHECK_AUTH);
	assert_int_equal(mg_verify_at("{\"signature\":{\"timestamp\":"
	                              "\"1661590667\",\"token\":\"" MG_TOKEN
	                              "\",\"signature\":\"" MG_SIG "\"}}",
	                              MG_NOW, NULL),
	                 FEEDBACK_CHECK_AUTH);
	assert_int_equal(
	    mg_verify_at(
	        "{\"signature\":{\"timestamp\":\"" MG_TS
	        "\",\"token\":\"" MG_TOKEN "\",\"signature\":\"e852dafc7"
	        "f8bd9766db31ba87a9499ec869018f7d5524ec6a6c9c525c3e50d06"
	        "\"}}",
	        MG_NOW, NULL),
	    FEEDBACK_CHECK_AUTH);
	/* A signature cut short, or with a non-hex character. */
	assert_int_equal(mg_verify_at("{\"signature\":{\"timestamp\":\"" MG_TS
	                              "\",\"token\":\"" MG_TOKEN
	                              "\",\"signature\":\"e852dafc\"}}",
	                              MG_NOW, NULL),
	                 FEEDBACK_CHECK_AUTH);
	/* Another key. */
	assert_int_equal(
	    feedback_mailgun_verify("key-other", 9, "{" MG_SIGOBJ "}",
	                            strlen("{" MG_SIGOBJ "}"), MG_NOW, MG_AGE,
	                            NULL, err, sizeof(err)),
	    FEEDBACK_CHECK_AUTH);
	/* Stale either way; forged and stale says forged. */
	assert_int_equal(mg_verify_at("{" MG_SIGOBJ "}", MG_NOW + 301000, NULL),
	                 FEEDBACK_CHECK_STALE);
	assert_int_equal(mg_verify_at("{" MG_SIGOBJ "}", MG_NOW - 301000, NULL),
	                 FEEDBACK_CHECK_STALE);
	assert_int_equal(mg_verify_at("{" MG_SIGOBJ "}", MG_NOW + 300000, NULL),
	                 FEEDBACK_CHECK_OK);
}

static void
test_signature_object_malformed(void **state)
{
	static const struct {
		const char *body;
		enum feedback_check want;
	} cases[] = {
	    {"", FEEDBACK_CHECK_MALFORMED},
	    {"[]", FEEDBACK_CHECK_MALFORMED},
	    {"not json", FEEDBACK_CHECK_MALFORMED},
	    {"{" MG_SIGOBJ, FEEDBACK_CHECK_MALFORMED},
	    {"{" MG_SIGOBJ "} x", FEEDBACK_CHECK_MALFORMED},
	    {"{" MG_SIGOBJ ",}", FEEDBACK_CHECK_MALFORMED},
	    {"{" MG_SIGOBJ ",\"a\":}", FEEDBACK_CHECK_MALFORMED},
	    {"{" MG_SIGOBJ ",\"a\":\"\x01\"}", FEEDBACK_CHECK_MALFORMED},
	    {"{" MG_SIGOBJ ",\"a\":\"unterminated}", FEEDBACK_CHECK_MALFORMED},
	    {"{" MG_SIGOBJ ",\"a\" 1}", FEEDBACK_CHECK_MALFORMED},
	    {"{}", FEEDBACK_CHECK_AUTH},
	    {"{" MG_EVENT "}", FEEDBACK_CHECK_AUTH},
	    /* Only the top-level member counts. */
	    {"{\"event-data\":{" MG_SIGOBJ "}}", FEEDBACK_CHECK_AUTH},
	    {"{\"signature\":\"" MG_SIG "\"}", FEEDBACK_CHECK_AUTH},
	    {"{\"signature\":{}}", FEEDBACK_CHECK_AUTH},
	    {"{\"signature\":null}", FEEDBACK_CHECK_AUTH},
	    {"{\"signature\":{\"timestamp\":\"" MG_TS "\",\"token\":\"" MG_TOKEN
	     "\"}}",
	     FEEDBACK_CHECK_AUTH},
	    {"{\"signature\":{\"timestamp\":" MG_TS ",\"token\":\"" MG_TOKEN
	     "\",\"signature\":\"" MG_SIG "\"}}",
	     FEEDBACK_CHECK_AUTH},
	    {"{\"signature\":{\"timestamp\":\"" MG_TS
	     "\",\"token\":\"fff0\\u0065"
	     "\",\"signature\":\"" MG_SIG "\"}}",
	     FEEDBACK_CHECK_AUTH},
	    {"{\"signature\":{\"timestamp\":\"" MG_TS
	     "\",\"timestamp\":\"" MG_TS "\",\"token\":\"" MG_TOKEN
	     "\",\"signature\":\"" MG_SIG "\"}}",
	     FEEDBACK_CHECK_AUTH},
	    {"{" MG_SIGOBJ "," MG_SIGOBJ "}", FEEDBACK_CHECK_AUTH},
	    {"{\"signature\":{\"timestamp\":\"x" MG_TS
	     "\",\"token\":\"" MG_TOKEN "\",\"signature\":\"" MG_SIG "\"}}",
	     FEEDBACK_CHECK_AUTH},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("case %zu\n", i);
		assert_int_equal(mg_verify_at(cases[i].body, MG_NOW, NULL),
		                 cases[i].want);
	}
}

static void
test_deep_nesting_and_long_token_refused(void **state)
{
	struct buf b;
	char tok[FEEDBACK_MAILGUN_TOKEN_MAX + 2];
	char body[1024];
	int i;

	(void)state;
	buf_init(&b);
	buf_addstr(&b, "{" MG_SIGOBJ ",\"x\":");
	for (i = 0; i < 100; i++)
		buf_addstr(&b, "[");
	for (i = 0; i < 100; i++)
		buf_addstr(&b, "]");
	buf_addstr(&b, "}");
	assert_int_equal(mg_verify_at(buf_cstr(&b), MG_NOW, NULL),
	                 FEEDBACK_CHECK_MALFORMED);
	buf_fini(&b);
	memset(tok, 'a', sizeof(tok) - 1);
	tok[sizeof(tok) - 1] = '\0';
	snprintf(body, sizeof(body),
	         "{\"signature\":{\"timestamp\":\"" MG_TS
	         "\",\"token\":\"%s\",\"signature\":\"" MG_SIG "\"}}",
	         tok);
	assert_int_equal(mg_verify_at(body, MG_NOW, NULL), FEEDBACK_CHECK_AUTH);
}

static void
test_nul_byte_malformed(void **state)
{
	static const char body[] = "{" MG_SIGOBJ ",\"e\":1.5\0}";
	char err[256];

	(void)state;
	/* A NUL byte is no JSON; the scan refuses it wherever it is. */
	assert_int_equal(feedback_mailgun_verify(
	                     MG_KEY, strlen(MG_KEY), body, sizeof(body) - 1,
	                     MG_NOW, MG_AGE, NULL, err, sizeof(err)),
	                 FEEDBACK_CHECK_MALFORMED);
}

static void
test_replayed_token_refused(void **state)
{
	struct feedback_mailgun_cache c;
	const char *body = "{" MG_SIGOBJ "," MG_EVENT "}";
	const char *other = "{" MG_SIGOBJ ",\"event-data\":{\"event\":"
	                    "\"complained\",\"id\":\"forged\"}}";

	(void)state;
	feedback_mailgun_cache_init(&c, 16);
	assert_int_equal(mg_verify_at(body, MG_NOW, &c), FEEDBACK_CHECK_OK);
	/* Not stored yet (the spool failed, say): the retry passes. */
	assert_int_equal(mg_verify_at(body, MG_NOW + 1000, &c),
	                 FEEDBACK_CHECK_OK);
	feedback_mailgun_remember(&c, body, strlen(body), MG_AGE);
	assert_int_equal(mg_verify_at(body, MG_NOW + 2000, &c),
	                 FEEDBACK_CHECK_REPLAY);
	/* The signature does not cover the body: another body with the
	 * same signature is the attack the cache stops. */
	assert_int_equal(mg_verify_at(other, MG_NOW + 2000, &c),
	                 FEEDBACK_CHECK_REPLAY);
	/* Once the timestamp is out of the window it is stale anyway. */
	assert_int_equal(mg_verify_at(body, MG_NOW + 301000, &c),
	                 FEEDBACK_CHECK_STALE);
	feedback_mailgun_cache_fini(&c);
}

static void
test_cache_bounded(void **state)
{
	struct feedback_mailgun_cache c;
	char tok[32];
	int i;

	(void)state;
	feedback_mailgun_cache_init(&c, 8);
	assert_false(feedback_mailgun_cache_full(&c, 0));
	for (i = 0; i < 8; i++) {
		snprintf(tok, sizeof(tok), "t%d", i);
		feedback_mailgun_cache_add(&c, tok, 1000 + i);
	}
	assert_true(feedback_mailgun_cache_full(&c, 500));
	/* Once the oldest expired, there is room again. */
	assert_false(feedback_mailgun_cache_full(&c, 1000 + 1));
	for (i = 0; i < 8; i++) {
		snprintf(tok, sizeof(tok), "t%d", i);
		assert_true(feedback_mailgun_cache_seen(&c, tok, 900));
		/* Expired entries are not seen. */
		assert_false(feedback_mailgun_cache_seen(&c, tok, 1009));
	}
	assert_false(feedback_mailgun_cache_seen(&c, "t8", 900));
	/* Adding past cap forgets the oldest, in order. */
	for (i = 8; i < 20; i++) {
		snprintf(tok, sizeof(tok), "t%d", i);
		feedback_mailgun_cache_add(&c, tok, 2000 + i);
	}
	for (i = 0; i < 20; i++) {
		snprintf(tok, sizeof(tok), "t%d", i);
		assert_int_equal(feedback_mailgun_cache_seen(&c, tok, 0),
		                 i >= 12);
	}
	assert_int_equal(c.used, 8);
	feedback_mailgun_cache_fini(&c);
}

static void
test_cache_full_answers_unavailable(void **state)
{
	struct feedback_mailgun_cache c;

	(void)state;
	feedback_mailgun_cache_init(&c, 1);
	feedback_mailgun_cache_add(&c, "other", MG_NOW + MG_AGE);
	assert_int_equal(mg_verify_at("{" MG_SIGOBJ "}", MG_NOW, &c),
	                 FEEDBACK_CHECK_UNAVAILABLE);
	assert_int_equal(
	    mg_verify_at("{" MG_SIGOBJ "}", MG_NOW + MG_AGE + 1, &c),
	    FEEDBACK_CHECK_STALE);
	feedback_mailgun_cache_fini(&c);
}

static struct feedback_event *
mg_parse(const char *body)
{
	struct feedback_event *ev = NULL;
	char err[256] = "";
	size_t n = 0;

	assert_int_equal(feedback_mailgun_parse(body, strlen(body), "mg", &ev,
	                                        &n, err, sizeof(err)),
	                 0);
	assert_int_equal(n, 1);
	return ev;
}

/* mg_type - the type of {"event-data": {ed, "id": "x"}}. */
static enum feedback_type
mg_type(const char *ed)
{
	char body[1024];
	struct feedback_event *ev;
	enum feedback_type t;

	snprintf(body, sizeof(body), "{\"event-data\":{%s,\"id\":\"x\"}}", ed);
	ev = mg_parse(body);
	t = ev->type;
	free(ev);
	return t;
}

static void
test_parse_every_event(void **state)
{
	static const struct {
		const char *ed;
		enum feedback_type want;
	} cases[] = {
	    {"\"event\":\"accepted\"", FEEDBACK_SENT},
	    {"\"event\":\"delivered\"", FEEDBACK_DELIVERED},
	    {"\"event\":\"failed\",\"severity\":\"permanent\",\"reason\":"
	     "\"bounce\"",
	     FEEDBACK_HARD_BOUNCE},
	    {"\"event\":\"failed\",\"severity\":\"permanent\",\"reason\":"
	     "\"generic\"",
	     FEEDBACK_HARD_BOUNCE},
	    {"\"event\":\"failed\",\"severity\":\"permanent\",\"reason\":"
	     "\"old\"",
	     FEEDBACK_SOFT_BOUNCE},
	    {"\"event\":\"failed\",\"severity\":\"permanent\",\"reason\":"
	     "\"suppress-bounce\"",
	     FEEDBACK_REJECTED},
	    {"\"event\":\"failed\",\"severity\":\"permanent\","
	     "\"delivery-status\":{\"code\":605}",
	     FEEDBACK_REJECTED},
	    {"\"event\":\"failed\",\"severity\":\"temporary\",\"reason\":"
	     "\"generic\"",
	     FEEDBACK_DELAYED},
	    {"\"event\":\"failed\"", FEEDBACK_HARD_BOUNCE},
	    {"\"event\":\"rejected\"", FEEDBACK_REJECTED},
	    {"\"event\":\"complained\"", FEEDBACK_COMPLAINT},
	    {"\"event\":\"unsubscribed\"", FEEDBACK_UNSUBSCRIBE},
	    {"\"event\":\"opened\"", FEEDBACK_OTHER},
	    {"\"event\":\"clicked\"", FEEDBACK_OTHER},
	    {"\"event\":\"stored\"", FEEDBACK_OTHER},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("case %zu\n", i);
		assert_int_equal(mg_type(cases[i].ed), cases[i].want);
	}
}

/* Mailgun's documented "failed" (permanent) event, abridged. */
static const char mg_failed[] =
    "{\"signature\":{\"timestamp\":\"1529692199\",\"token\":\"t\","
    "\"signature\":\"s\"},\"event-data\":{\"severity\":\"permanent\","
    "\"tags\":[\"my_tag_1\"],\"timestamp\":1521233195.375624,\"storage\":"
    "{\"url\":\"https://se.api.mailgun.net/v3/domains/x/messages/k\","
    "\"key\":\"k\"},\"log-level\":\"error\",\"id\":\"G9Bn5sl1TC6nu79C8C0bwg"
    "\",\"campaigns\":[],\"reason\":\"generic\",\"user-variables\":{"
    "\"my_var_1\":\"Mailgun Variable #1\",\"swerve_id\":\"01HMG\"},"
    "\"flags\":{\"is-routed\":false,\"is-authenticated\":true},"
    "\"recipient-domain\":\"example.com\",\"envelope\":{\"sender\":"
    "\"bob@sandbox.mailgun.org\",\"transport\":\"smtp\",\"targets\":"
    "\"alice@example.com\"},\"message\":{\"headers\":{\"to\":"
    "\"Alice <alice@example.com>\",\"message-id\":"
    "\"<20130503192659.13651.20287@sandbox.mailgun.org>\",\"from\":"
    "\"Bob <bob@sandbox.mailgun.org>\",\"subject\":\"Test permanent_fail "
    "webhook\"},\"attachments\":[],\"size\":111},\"recipient\":"
    "\"Alice@EXAMPLE.com\",\"event\":\"failed\",\"delivery-status\":{"
    "\"attempt-no\":1,\"message\":\"\",\"code\":550,\"enhanced-code\":"
    "\"5.1.1\",\"description\":\"Not delivering to previously bounced "
    "address\",\"session-seconds\":0}}}";

static void
test_parse_fields(void **state)
{
	struct feedback_event *ev = mg_parse(mg_failed);

	(void)state;
	assert_int_equal(ev->type, FEEDBACK_HARD_BOUNCE);
	assert_string_equal(ev->provider, "mg");
	assert_string_equal(ev->event_id, "G9Bn5sl1TC6nu79C8C0bwg");
	assert_string_equal(ev->provider_msg_id,
	                    "20130503192659.13651.20287@sandbox.mailgun.org");
	assert_string_equal(ev->swerve_id, "01HMG");
	assert_string_equal(ev->recipient, "Alice@example.com");
	assert_int_equal(ev->occurred_ms, 1521233195376LL);
	assert_int_equal(ev->smtp_code, 550);
	assert_string_equal(ev->enhanced, "5.1.1");
	assert_string_equal(ev->provider_type, "failed");
	assert_string_equal(ev->provider_subtype, "permanent");
	assert_string_equal(ev->diagnostic,
	                    "Not delivering to previously bounced address");
	free(ev);
	/* A message id without brackets is kept as it is; Mailgun's own
	 * codes are no SMTP code. */
	ev = mg_parse("{\"event-data\":{\"event\":\"failed\",\"id\":\"i\","
	              "\"message\":{\"headers\":{\"message-id\":\"a@b\"}},"
	              "\"delivery-status\":{\"code\":605,\"message\":\"m\"}}}");
	assert_string_equal(ev->provider_msg_id, "a@b");
	assert_int_equal(ev->smtp_code, 0);
	assert_string_equal(ev->diagnostic, "m");
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
	    "{\"event-data\":[]}",
	    "{\"event-data\":{}}",
	    "{\"event-data\":{\"event\":\"delivered\"}}",
	    "{\"event-data\":{\"id\":\"x\"}}",
	    "{\"event-data\":{\"id\":\"\",\"event\":\"delivered\"}}",
	    "{\"event-data\":{\"id\":1,\"event\":\"delivered\"}}",
	    "{\"event-data\":{\"id\":\"x\",\"event\":\"delivered\"},"
	    "\"event-data\":{\"id\":\"y\",\"event\":\"failed\"}}",
	};

	(void)state;
	feedback_test_refused(feedback_mailgun_parse, bad,
	                      sizeof(bad) / sizeof(bad[0]));
}

static void
test_ops_row(void **state)
{
	(void)state;
	assert_ptr_equal(feedback_source_ops_find("mailgun"),
	                 &feedback_mailgun_ops);
	assert_non_null(feedback_mailgun_ops.stored);
	assert_non_null(feedback_mailgun_ops.verify);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vector_verifies),
	    cmocka_unit_test(test_forged_and_stale_refused),
	    cmocka_unit_test(test_signature_object_malformed),
	    cmocka_unit_test(test_deep_nesting_and_long_token_refused),
	    cmocka_unit_test(test_nul_byte_malformed),
	    cmocka_unit_test(test_replayed_token_refused),
	    cmocka_unit_test(test_cache_bounded),
	    cmocka_unit_test(test_cache_full_answers_unavailable),
	    cmocka_unit_test(test_parse_every_event),
	    cmocka_unit_test(test_parse_fields),
	    cmocka_unit_test(test_parse_malformed_refused),
	    cmocka_unit_test(test_ops_row),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
