/*
 * test_webhook_event.c - events out to applications: the Standard
 * Webhooks signature against the specification's published vector, the
 * payload of each kind of bus event, tags and metadata added at send
 * time, the retry schedule and when a delivery is dead-lettered.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/whsig.h"
#include "observe/events.h"
#include "observe/webhook_event.h"
#include "spool/feedback.h"

/* The vector of the standard-webhooks libraries' own tests. */
static void
test_signature_matches_the_spec_vector(void **state)
{
	unsigned char key[WHSIG_KEY_MAX];
	const char *body = "{\"test\": 2432232314}";
	char sig[WHSIG_SIG_SIZE];
	size_t keylen = 0;

	(void)state;
	assert_int_equal(whsig_secret_decode("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2"
	                                     "LaLaSw",
	                                     key, &keylen),
	                 0);
	assert_int_equal(keylen, 24);
	whsig_sign(key, keylen, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
	           body, strlen(body), sig);
	assert_string_equal(sig,
	                    "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
	/* Without the prefix too, as the libraries allow. */
	assert_int_equal(whsig_secret_decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
	                                     key, &keylen),
	                 0);
	/* One changed byte, another signature. */
	whsig_sign(key, keylen, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265331,
	           body, strlen(body), sig);
	assert_string_not_equal(
	    sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

static void
test_secret_refused_when_not_base64(void **state)
{
	unsigned char key[WHSIG_KEY_MAX];
	size_t keylen;

	(void)state;
	assert_int_equal(whsig_secret_decode("whsec_!!!", key, &keylen), -1);
	assert_int_equal(whsig_secret_decode("whsec_", key, &keylen), -1);
	assert_int_equal(whsig_secret_decode(NULL, key, &keylen), -1);
}

static void
test_types_round_trip(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < WEBHOOK_TYPE_COUNT; i++)
		assert_int_equal(
		    webhook_type_parse(webhook_type_name((enum webhook_type)i)),
		    i);
	assert_int_equal(webhook_type_parse("opened"), -1);
	assert_int_equal(webhook_type_parse(NULL), -1);
}

/* Which bus events an application hears of, and as what. */
static void
test_bus_events_map_to_types(void **state)
{
	struct feedback_event f;
	struct events_item e;

	(void)state;
	memset(&e, 0, sizeof(e));
	memset(&f, 0, sizeof(f));
	e.kind = EVENT_ACCEPTED;
	assert_int_equal(webhook_event_type(&e), WEBHOOK_ACCEPTED);
	e.kind = EVENT_SENT;
	assert_int_equal(webhook_event_type(&e), WEBHOOK_SENT);
	e.kind = EVENT_DEFERRED;
	assert_int_equal(webhook_event_type(&e), WEBHOOK_DEFERRED);
	e.kind = EVENT_FAILED;
	assert_int_equal(webhook_event_type(&e), WEBHOOK_FAILED);
	e.kind = EVENT_ATTEMPT;
	assert_int_equal(webhook_event_type(&e), -1);
	e.kind = EVENT_CIRCUIT;
	assert_int_equal(webhook_event_type(&e), -1);
	e.kind = EVENT_SUPPRESSED;
	assert_int_equal(webhook_event_type(&e), WEBHOOK_SUPPRESSED);
	e.kind = EVENT_FEEDBACK;
	e.feedback = &f;
	f.type = FEEDBACK_DELIVERED;
	assert_int_equal(webhook_event_type(&e), WEBHOOK_DELIVERED);
	f.type = FEEDBACK_DELAYED;
	assert_int_equal(webhook_event_type(&e), WEBHOOK_DELAYED);
	f.type = FEEDBACK_HARD_BOUNCE;
	assert_int_equal(webhook_event_type(&e), WEBHOOK_BOUNCED);
	f.type = FEEDBACK_SOFT_BOUNCE;
	assert_int_equal(webhook_event_type(&e), WEBHOOK_BOUNCED);
	f.type = FEEDBACK_COMPLAINT;
	assert_int_equal(webhook_event_type(&e), WEBHOOK_COMPLAINED);
	f.type = FEEDBACK_REJECTED;
	assert_int_equal(webhook_event_type(&e), WEBHOOK_FAILED);
	f.type = FEEDBACK_OTHER;
	assert_int_equal(webhook_event_type(&e), -1);
	f.type = FEEDBACK_SENT;
	assert_int_equal(webhook_event_type(&e), -1);
	e.feedback = NULL;
	assert_int_equal(webhook_event_type(&e), -1);
}

static void
test_bounce_payload_carries_the_provider_diagnostic(void **state)
{
	struct feedback_event f;
	struct events_item e;
	json_t *o, *d;
	char *s;

	(void)state;
	memset(&e, 0, sizeof(e));
	memset(&f, 0, sizeof(f));
	e.kind = EVENT_FEEDBACK;
	e.at_ms = 1700000000000;
	e.msg_id = "01HXYZ";
	e.tenant = "acme";
	e.stream = "bulk";
	e.provider = "ses";
	e.feedback = &f;
	f.type = FEEDBACK_HARD_BOUNCE;
	feedback_set(f.provider, sizeof(f.provider), "ses");
	feedback_set(f.recipient, sizeof(f.recipient), "bob@example.org");
	feedback_set(f.diagnostic, sizeof(f.diagnostic), "550 5.1.1 no such");
	feedback_set(f.enhanced, sizeof(f.enhanced), "5.1.1");
	feedback_set(f.event_id, sizeof(f.event_id), "sns-1");
	f.smtp_code = 550;
	f.occurred_ms = 1700000001000;
	s = webhook_event_payload(&e, WEBHOOK_BOUNCED, "evt_1");
	o = json_loads(s, 0, NULL);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "id")),
	                    "evt_1");
	assert_string_equal(json_string_value(json_object_get(o, "type")),
	                    "bounced");
	/* The provider's time, not the bus's. */
	assert_string_equal(json_string_value(json_object_get(o, "timestamp")),
	                    "2023-11-14T22:13:21.000Z");
	d = json_object_get(o, "data");
	assert_string_equal(json_string_value(json_object_get(d, "message_id")),
	                    "01HXYZ");
	assert_string_equal(json_string_value(json_object_get(d, "recipient")),
	                    "bob@example.org");
	assert_string_equal(json_string_value(json_object_get(d, "provider")),
	                    "ses");
	assert_string_equal(json_string_value(json_object_get(d, "diagnostic")),
	                    "550 5.1.1 no such");
	assert_string_equal(json_string_value(json_object_get(d, "tenant")),
	                    "acme");
	assert_string_equal(json_string_value(json_object_get(d, "bounce")),
	                    "hard");
	assert_int_equal(json_integer_value(json_object_get(d, "smtp_code")),
	                 550);
	assert_null(json_object_get(d, "tags"));
	json_decref(o);
	free(s);
}

static void
test_message_payload_leaves_unknown_members_out(void **state)
{
	struct events_item e;
	json_t *o, *d;
	char *s;

	(void)state;
	memset(&e, 0, sizeof(e));
	e.kind = EVENT_SENT;
	e.at_ms = 1700000000000;
	e.msg_id = "01HXYZ";
	e.provider = "pm";
	e.rcpts = 2;
	s = webhook_event_payload(&e, WEBHOOK_SENT, "evt_2");
	o = json_loads(s, 0, NULL);
	d = json_object_get(o, "data");
	assert_string_equal(json_string_value(json_object_get(d, "provider")),
	                    "pm");
	assert_int_equal(json_integer_value(json_object_get(d, "recipients")),
	                 2);
	assert_null(json_object_get(d, "tenant"));
	assert_null(json_object_get(d, "recipient"));
	assert_null(json_object_get(d, "diagnostic"));
	json_decref(o);
	free(s);
}

static void
test_suppressed_payload_names_address_reason_action(void **state)
{
	struct events_item e;
	json_t *o, *d;
	char *s;

	(void)state;
	memset(&e, 0, sizeof(e));
	e.kind = EVENT_SUPPRESSED;
	e.at_ms = 1700000000000;
	e.tenant = "web";
	e.rcpt = "gone@example.net";
	e.reason = "complaint";
	e.state = "refused";
	s = webhook_event_payload(&e, WEBHOOK_SUPPRESSED, "evt_s");
	o = json_loads(s, 0, NULL);
	d = json_object_get(o, "data");
	assert_string_equal(json_string_value(json_object_get(d, "recipient")),
	                    "gone@example.net");
	assert_string_equal(json_string_value(json_object_get(d, "reason")),
	                    "complaint");
	assert_string_equal(json_string_value(json_object_get(d, "action")),
	                    "refused");
	assert_null(json_object_get(d, "message_id"));
	json_decref(o);
	free(s);
}

/* Tags and metadata come from the stored msg_meta; the same row always
 * gives the same bytes. */
static void
test_body_adds_tags_and_metadata_deterministically(void **state)
{
	const char *payload =
	    "{\"data\":{\"message_id\":\"m\"},\"id\":\"evt_3\","
	    "\"timestamp\":\"t\",\"type\":\"sent\"}";
	const char *meta =
	    "{\"tags\":[{\"name\":\"campaign\",\"value\":\"x\"}],"
	    "\"metadata\":{\"order\":\"42\"},\"sandbox\":true}";
	char *a, *b, *c;

	(void)state;
	a = webhook_event_body(payload, meta);
	b = webhook_event_body(payload, meta);
	assert_non_null(a);
	assert_string_equal(a, b);
	assert_string_equal(
	    a,
	    "{\"data\":{\"message_id\":\"m\",\"metadata\":{\"order\":\"42\"},"
	    "\"tags\":[{\"name\":\"campaign\",\"value\":\"x\"}]},"
	    "\"id\":\"evt_3\",\"timestamp\":\"t\",\"type\":\"sent\"}");
	c = webhook_event_body(payload, NULL);
	assert_string_equal(c, payload);
	free(c);
	c = webhook_event_body(payload, "not json");
	assert_string_equal(c, payload);
	free(c);
	assert_null(webhook_event_body("[1]", NULL));
	assert_null(webhook_event_body("{\"data\":1}", NULL));
	free(a);
	free(b);
}

static void
test_backoff_doubles_with_jitter_up_to_max(void **state)
{
	(void)state;
	/* rnd 0: half the step; rnd near 1: the whole step. */
	assert_int_equal(webhook_event_backoff(1, 5000, 3600000, 0.0), 2500);
	assert_int_equal(webhook_event_backoff(2, 5000, 3600000, 0.0), 5000);
	assert_int_equal(webhook_event_backoff(3, 5000, 3600000, 0.0), 10000);
	assert_true(webhook_event_backoff(3, 5000, 3600000, 0.999) > 19900);
	assert_true(webhook_event_backoff(3, 5000, 3600000, 0.999) <= 20000);
	/* Capped. */
	assert_int_equal(webhook_event_backoff(40, 5000, 3600000, 0.0),
	                 1800000);
	assert_int_equal(webhook_event_backoff(1000, 5000, 3600000, 0.5),
	                 2700000);
	/* A bad random number is no jitter, not a crash. */
	assert_int_equal(webhook_event_backoff(1, 5000, 3600000, 7.0), 2500);
}

static void
test_dead_after_retry_for(void **state)
{
	(void)state;
	assert_false(webhook_event_dead(1000, 1000 + 86400000, 86400000));
	assert_true(webhook_event_dead(1000, 1001 + 86400000, 86400000));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_signature_matches_the_spec_vector),
	    cmocka_unit_test(test_secret_refused_when_not_base64),
	    cmocka_unit_test(test_types_round_trip),
	    cmocka_unit_test(test_bus_events_map_to_types),
	    cmocka_unit_test(
	        test_bounce_payload_carries_the_provider_diagnostic),
	    cmocka_unit_test(test_message_payload_leaves_unknown_members_out),
	    cmocka_unit_test(
	        test_body_adds_tags_and_metadata_deterministically),
	    cmocka_unit_test(test_backoff_doubles_with_jitter_up_to_max),
	    cmocka_unit_test(test_dead_after_retry_for),
	    cmocka_unit_test(
	        test_suppressed_payload_names_address_reason_action),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
