/*
 * test_policy_smtp.c - what each SMTP outcome means (stage x kind x code x
 * text).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "send/policy.h"
#include "send/result.h"

struct class_case {
	const char *name;
	enum send_stage stage;
	enum send_fact_kind kind;
	int code;
	const char *enhanced;
	const char *text;
	enum send_class want;
	bool quota;
};

#define R SEND_FACT_REPLY
#define S(x) SEND_STAGE_##x

static const struct class_case class_cases[] = {
    {"250 at the dot is accepted", S(DOT), R, 250, "2.0.0", "Ok", SEND_ACCEPTED,
     false},
    {"250 to RCPT is accepted", S(RCPT), R, 250, "2.1.5", "Ok", SEND_ACCEPTED,
     false},
    {"550 at RCPT rejects the recipient", S(RCPT), R, 550, "5.1.1",
     "User unknown", SEND_REJECTED, false},
    {"551 at RCPT rejects the recipient", S(RCPT), R, 551, "", "not local",
     SEND_REJECTED, false},
    {"553 at RCPT rejects the recipient", S(RCPT), R, 553, "5.1.3",
     "bad address syntax", SEND_REJECTED, false},
    {"552 at the dot rejects the message", S(DOT), R, 552, "5.3.4",
     "Message size exceeds fixed limit", SEND_REJECTED, false},
    {"554 content refused at the dot", S(DOT), R, 554, "5.7.1",
     "Message rejected: spam", SEND_REJECTED, false},
    {"550 to DATA rejects the message", S(DATA), R, 550, "", "no",
     SEND_REJECTED, false},
    {"553 sender syntax at MAIL rejects the message", S(MAIL), R, 553, "5.1.7",
     "bad sender", SEND_REJECTED, false},
    {"5.7.x at MAIL is config", S(MAIL), R, 550, "5.7.1", "Sender not allowed",
     SEND_CONFIG, false},
    {"554 not verified at MAIL is config", S(MAIL), R, 554, "",
     "Message rejected: Email address is not verified.", SEND_CONFIG, false},
    {"554 not verified at the dot is config", S(DOT), R, 554, "",
     "Message rejected: Email address is NOT VERIFIED. The following "
     "identities failed the check",
     SEND_CONFIG, false},
    {"535 bad credentials is config", S(AUTH), R, 535, "5.7.8",
     "Authentication credentials invalid", SEND_CONFIG, false},
    {"530 auth required at MAIL is config", S(MAIL), R, 530, "5.7.0",
     "Authentication required", SEND_CONFIG, false},
    {"534 mechanism too weak is config", S(AUTH), R, 534, "", "weak",
     SEND_CONFIG, false},
    {"504 mechanism unknown at AUTH is config", S(AUTH), R, 504, "", "no",
     SEND_CONFIG, false},
    {"relay access denied at RCPT is config", S(RCPT), R, 554, "5.7.1",
     "<a@b>: Relay access denied", SEND_CONFIG, false},
    {"454 Throttling is throttled", S(MAIL), R, 454, "",
     "Throttling failure: Maximum sending rate exceeded.", SEND_THROTTLED,
     false},
    {"454 throttling any case at the dot", S(DOT), R, 454, "4.7.0",
     "THROTTLING failure", SEND_THROTTLED, false},
    {"454 daily quota is throttled with quota", S(MAIL), R, 454, "",
     "Throttling failure: Daily message quota exceeded.", SEND_THROTTLED, true},
    {"other 454 is deferred", S(STARTTLS), R, 454, "4.7.0",
     "TLS not available due to local problem", SEND_DEFERRED, false},
    {"451 at the dot is deferred", S(DOT), R, 451, "4.3.0", "Temporary failure",
     SEND_DEFERRED, false},
    {"452 at RCPT is deferred", S(RCPT), R, 452, "4.5.3", "Too many recipients",
     SEND_DEFERRED, false},
    {"450 at RCPT is deferred", S(RCPT), R, 450, "4.2.0", "greylisted",
     SEND_DEFERRED, false},
    {"421 greeting is deferred", S(GREETING), R, 421, "",
     "Service not available", SEND_DEFERRED, false},
    {"421 at the dot is deferred, not unknown", S(DOT), R, 421, "4.4.2",
     "timeout", SEND_DEFERRED, false},
    {"554 greeting is deferred", S(GREETING), R, 554, "",
     "No SMTP service here", SEND_DEFERRED, false},
    {"5xx to HELO is deferred", S(EHLO), R, 502, "", "unknown", SEND_DEFERRED,
     false},
    {"354 out of turn is deferred", S(MAIL), R, 354, "", "go", SEND_DEFERRED,
     false},
    {"connection refused is deferred", S(CONNECT), SEND_FACT_REFUSED, 0, NULL,
     NULL, SEND_DEFERRED, false},
    {"connect timeout is deferred", S(CONNECT), SEND_FACT_TIMEOUT, 0, NULL,
     NULL, SEND_DEFERRED, false},
    {"greeting timeout is deferred", S(GREETING), SEND_FACT_TIMEOUT, 0, NULL,
     NULL, SEND_DEFERRED, false},
    {"TLS failure is deferred", S(STARTTLS), SEND_FACT_TLS, 0, NULL, NULL,
     SEND_DEFERRED, false},
    {"no STARTTLS offered is deferred", S(EHLO), SEND_FACT_NO_STARTTLS, 0, NULL,
     NULL, SEND_DEFERRED, false},
    {"no usable AUTH is config", S(AUTH), SEND_FACT_NO_AUTH, 0, NULL, NULL,
     SEND_CONFIG, false},
    {"lost during DATA (before the dot) is deferred", S(DATA), SEND_FACT_LOST,
     0, NULL, NULL, SEND_DEFERRED, false},
    {"lost at RCPT is deferred", S(RCPT), SEND_FACT_LOST, 0, NULL, NULL,
     SEND_DEFERRED, false},
    {"timeout after the dot is unknown", S(DOT), SEND_FACT_TIMEOUT, 0, NULL,
     NULL, SEND_UNKNOWN, false},
    {"lost after the dot is unknown", S(DOT), SEND_FACT_LOST, 0, NULL, NULL,
     SEND_UNKNOWN, false},
    {"garbled reply to the dot is unknown", S(DOT), SEND_FACT_PROTOCOL, 0, NULL,
     NULL, SEND_UNKNOWN, false},
    {"garbled greeting is deferred", S(GREETING), SEND_FACT_PROTOCOL, 0, NULL,
     NULL, SEND_DEFERRED, false},
    {"local failure is deferred", S(CONNECT), SEND_FACT_LOCAL, 0, NULL, NULL,
     SEND_DEFERRED, false},
    {"no SMTPUTF8 for a UTF-8 message is deferred, never rejected", S(MAIL),
     SEND_FACT_NO_EXTENSION, 0, NULL, "upstream does not offer SMTPUTF8",
     SEND_DEFERRED, false},
    {"no 8BITMIME and no 7-bit form is deferred", S(MAIL),
     SEND_FACT_NO_EXTENSION, 0, NULL, NULL, SEND_DEFERRED, false},
};

/* The refusal reads as the client says it, with no code of a server's. */
static void
result_of_missing_extension_is_deferred_with_reason(void **state)
{
	struct send_result r;

	policy_smtp_result(&r, SEND_STAGE_MAIL, SEND_FACT_NO_EXTENSION, 0, NULL,
	                   NULL, "upstream does not offer SMTPUTF8");
	assert_int_equal(r.class, SEND_DEFERRED);
	assert_int_equal(r.stage, SEND_STAGE_MAIL);
	assert_int_equal(r.smtp_code, 0);
	assert_string_equal(r.enhanced, "");
	assert_string_equal(r.text, "upstream does not offer SMTPUTF8");
	assert_string_equal(send_fact_kind_name(SEND_FACT_NO_EXTENSION),
	                    "no-extension");
}

static void
class_table(void **state)
{
	size_t i;
	bool quota;

	for (i = 0; i < sizeof(class_cases) / sizeof(class_cases[0]); i++) {
		const struct class_case *c = &class_cases[i];
		print_message("case: %s\n", c->name);
		assert_string_equal(send_class_name(policy_smtp_class(
		                        c->stage, c->kind, c->code, c->enhanced,
		                        c->text, &quota)),
		                    send_class_name(c->want));
		assert_int_equal(quota, c->quota);
	}
}

struct msgid_case {
	const char *text;
	const char *want; /* NULL: none found */
};

static const struct msgid_case msgid_cases[] = {
    {"Ok: queued as 4Tq3xY1z2Kz9", "4Tq3xY1z2Kz9"},
    {"Ok 0100018c1f2e3d4c-1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d-000000",
     "0100018c1f2e3d4c-1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d-000000"},
    {"OK id=1rABCD-000123-AB", "1rABCD-000123-AB"},
    {"Ok: queued as <abc.def@mx>", "abc.def@mx"},
    {"Great success", NULL},
    {"", NULL},
    {"Ok", NULL},
    {"message queued as", NULL},
};

static void
msgid_table(void **state)
{
	char out[SEND_MSGID_SIZE];
	size_t i;

	for (i = 0; i < sizeof(msgid_cases) / sizeof(msgid_cases[0]); i++) {
		const struct msgid_case *c = &msgid_cases[i];
		print_message("msgid: %s\n", c->text);
		assert_int_equal(policy_smtp_msgid(c->text, out, sizeof(out)),
		                 c->want != NULL);
		assert_string_equal(out, c->want ? c->want : "");
	}
}

static void
msgid_is_truncated_to_fit(void **state)
{
	char out[6];

	assert_true(
	    policy_smtp_msgid("queued as ABCDEFGHIJ", out, sizeof(out)));
	assert_string_equal(out, "ABCDE");
}

static void
result_of_accepted_dot_keeps_queue_id(void **state)
{
	struct send_result r;

	policy_smtp_result(&r, SEND_STAGE_DOT, SEND_FACT_REPLY, 250, "2.0.0",
	                   "Ok: queued as 4Tq3x", NULL);
	assert_int_equal(r.class, SEND_ACCEPTED);
	assert_int_equal(r.stage, SEND_STAGE_DOT);
	assert_int_equal(r.smtp_code, 250);
	assert_string_equal(r.enhanced, "2.0.0");
	assert_string_equal(r.text, "Ok: queued as 4Tq3x");
	assert_string_equal(r.provider_msg_id, "4Tq3x");
}

static void
result_of_accepted_rcpt_has_no_queue_id(void **state)
{
	struct send_result r;

	policy_smtp_result(&r, SEND_STAGE_RCPT, SEND_FACT_REPLY, 250, NULL,
	                   "Ok id=x1", NULL);
	assert_int_equal(r.class, SEND_ACCEPTED);
	assert_string_equal(r.provider_msg_id, "");
	assert_string_equal(r.enhanced, "");
}

static void
result_of_network_failure_uses_detail(void **state)
{
	struct send_result r;

	policy_smtp_result(&r, SEND_STAGE_CONNECT, SEND_FACT_REFUSED, 999,
	                   "1.2.3", "ignored",
	                   "connect 127.0.0.1:1: Connection\nrefused");
	assert_int_equal(r.class, SEND_DEFERRED);
	assert_int_equal(r.smtp_code, 0);
	assert_string_equal(r.enhanced, "");
	/* Sanitised: the newline cannot forge a log line. */
	assert_string_equal(r.text, "connect 127.0.0.1:1: Connection?refused");
	policy_smtp_result(&r, SEND_STAGE_DOT, SEND_FACT_TIMEOUT, 0, NULL, NULL,
	                   NULL);
	assert_int_equal(r.class, SEND_UNKNOWN);
	assert_string_equal(r.text, "timeout");
}

static void
result_keeps_only_digits_and_dots_of_enhanced(void **state)
{
	struct send_result r;

	policy_smtp_result(&r, SEND_STAGE_RCPT, SEND_FACT_REPLY, 550,
	                   "5.1.1\x1b[31m", "x", NULL);
	assert_string_equal(r.enhanced, "5.1.1");
}

static void
rcpts_pick_prefers_a_transient_reason(void **state)
{
	struct send_result r[3];

	send_result_init(&r[0], SEND_REJECTED, SEND_STAGE_RCPT);
	send_result_init(&r[1], SEND_DEFERRED, SEND_STAGE_RCPT);
	send_result_init(&r[2], SEND_CONFIG, SEND_STAGE_RCPT);
	assert_int_equal(policy_smtp_rcpts_pick(r, 3), 1);
	r[1].class = SEND_REJECTED;
	assert_int_equal(policy_smtp_rcpts_pick(r, 3), 2);
	r[2].class = SEND_REJECTED;
	assert_int_equal(policy_smtp_rcpts_pick(r, 3), 0);
}

struct probe_case {
	const char *name;
	enum send_stage stage;
	enum send_fact_kind kind;
	int code;
	enum send_class want;
};

/* A probe carries no message: only AUTH's 5xx blames the account. */
static const struct probe_case probe_cases[] = {
    {"session up after EHLO is accepted", S(NONE), R, 250, SEND_ACCEPTED},
    {"session up after AUTH is accepted", S(NONE), R, 235, SEND_ACCEPTED},
    {"535 to AUTH is config", S(AUTH), R, 535, SEND_CONFIG},
    {"454 to AUTH is deferred", S(AUTH), R, 454, SEND_DEFERRED},
    {"554 greeting is deferred", S(GREETING), R, 554, SEND_DEFERRED},
    {"530 to EHLO is deferred", S(EHLO), R, 530, SEND_DEFERRED},
    {"421 to EHLO is deferred", S(EHLO), R, 421, SEND_DEFERRED},
    {"STARTTLS not offered is deferred", S(STARTTLS), SEND_FACT_NO_STARTTLS, 0,
     SEND_DEFERRED},
    {"no AUTH offered is deferred", S(AUTH), SEND_FACT_NO_AUTH, 0,
     SEND_DEFERRED},
    {"certificate refused is deferred", S(STARTTLS), SEND_FACT_TLS, 0,
     SEND_DEFERRED},
    {"refused connection is deferred", S(CONNECT), SEND_FACT_REFUSED, 0,
     SEND_DEFERRED},
    {"timeout at greeting is deferred", S(GREETING), SEND_FACT_TIMEOUT, 0,
     SEND_DEFERRED},
};

static void
probe_class_table(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(probe_cases) / sizeof(probe_cases[0]); i++) {
		const struct probe_case *c = &probe_cases[i];
		enum send_class got =
		    policy_smtp_probe_class(c->stage, c->kind, c->code);
		if (got != c->want)
			fail_msg("%s: got %s", c->name, send_class_name(got));
	}
}

static void
probe_result_keeps_the_facts(void **state)
{
	struct send_result r;

	policy_smtp_probe_result(&r, SEND_STAGE_AUTH, SEND_FACT_REPLY, 535,
	                         "5.7.8", "Authentication failed", NULL);
	assert_int_equal(r.class, SEND_CONFIG);
	assert_int_equal(r.stage, SEND_STAGE_AUTH);
	assert_int_equal(r.smtp_code, 535);
	assert_string_equal(r.enhanced, "5.7.8");
	assert_string_equal(r.text, "Authentication failed");
	/* "Ok <id>" is not a queue id when no message was sent. */
	policy_smtp_probe_result(&r, SEND_STAGE_NONE, SEND_FACT_REPLY, 250,
	                         NULL, "Ok 12345", NULL);
	assert_int_equal(r.class, SEND_ACCEPTED);
	assert_string_equal(r.provider_msg_id, "");
	policy_smtp_probe_result(&r, SEND_STAGE_STARTTLS, SEND_FACT_NO_STARTTLS,
	                         0, NULL, NULL,
	                         "STARTTLS required but not offered");
	assert_int_equal(r.class, SEND_DEFERRED);
	assert_string_equal(r.text, "STARTTLS required but not offered");
}

static void
names_cover_every_value(void **state)
{
	int i;

	for (i = 0; i < SEND_CLASS_COUNT; i++)
		assert_string_not_equal(send_class_name(i), "invalid");
	for (i = 0; i < SEND_STAGE_COUNT; i++)
		assert_string_not_equal(send_stage_name(i), "invalid");
	for (i = 0; i < SEND_FACT_KIND_COUNT; i++)
		assert_string_not_equal(send_fact_kind_name(i), "invalid");
	assert_string_equal(send_class_name(SEND_CLASS_COUNT), "invalid");
	assert_string_equal(send_stage_name(SEND_STAGE_DOT), "dot");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(class_table),
	    cmocka_unit_test(
	        result_of_missing_extension_is_deferred_with_reason),
	    cmocka_unit_test(msgid_table),
	    cmocka_unit_test(msgid_is_truncated_to_fit),
	    cmocka_unit_test(result_of_accepted_dot_keeps_queue_id),
	    cmocka_unit_test(result_of_accepted_rcpt_has_no_queue_id),
	    cmocka_unit_test(result_of_network_failure_uses_detail),
	    cmocka_unit_test(result_keeps_only_digits_and_dots_of_enhanced),
	    cmocka_unit_test(rcpts_pick_prefers_a_transient_reason),
	    cmocka_unit_test(probe_class_table),
	    cmocka_unit_test(probe_result_keeps_the_facts),
	    cmocka_unit_test(names_cover_every_value),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
