/*
 * test_feedback_ses.c - SES payloads inside SNS notifications
 * (providers.md 4.3): each documented shape, identity notifications and
 * event publishing, into one event per recipient; malformed bodies
 * refused with nothing returned.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "ingress/feedback_ses.h"

/* sns_wrap - an SNS Notification envelope whose Message is payload (the
 * JSON text, escaped into a string as SNS does). Caller frees. */
static char *
sns_wrap(const char *payload)
{
	json_t *o = json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Type", "Notification",
	    "MessageId", "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324", "TopicArn",
	    "arn:aws:sns:us-east-1:123456789012:ses", "Message", payload,
	    "Timestamp", "2026-12-07T10:00:00.000Z", "SignatureVersion", "1",
	    "Signature", "AAAA", "SigningCertURL",
	    "https://sns.us-east-1.amazonaws.com/"
	    "SimpleNotificationService-0123abcd.pem");
	char *s;

	assert_non_null(o);
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

/* parse_payload - feedback_ses_parse of sns_wrap(payload). */
static int
parse_payload(const char *payload, struct feedback_event **ev, size_t *n,
              char *err, size_t errlen)
{
	char *body = sns_wrap(payload);
	int rc =
	    feedback_ses_parse(body, strlen(body), "ses1", ev, n, err, errlen);

	free(body);
	return rc;
}

#define MAIL                                                                   \
	"\"mail\":{\"timestamp\":\"2026-12-07T09:59:00.000Z\","                \
	"\"messageId\":\"0100018c-aaaa-bbbb-000000\","                         \
	"\"source\":\"john@example.com\","                                     \
	"\"destination\":[\"Jane@Example.COM\",\"bob@example.org\"],"          \
	"\"tags\":{\"swerve_id\":[\"01JEXAMPLESWERVEID\"]}}"

static void
test_permanent_bounce_is_hard_per_recipient(void **state)
{
	struct feedback_event *ev = NULL;
	size_t n = 0;
	char err[128];

	(void)state;
	assert_int_equal(
	    parse_payload(
	        "{\"notificationType\":\"Bounce\",\"bounce\":{\"bounceType\":"
	        "\"Permanent\",\"bounceSubType\":\"General\","
	        "\"bouncedRecipients\":[{\"emailAddress\":\"Jane@Example.COM\","
	        "\"status\":\"5.1.1\",\"action\":\"failed\","
	        "\"diagnosticCode\":\"smtp; 550 5.1.1 user unknown\"},"
	        "{\"emailAddress\":\"bob@example.org\"}],"
	        "\"timestamp\":\"2016-01-27T14:59:38.237Z\",\"feedbackId\":"
	        "\"x\",\"reportingMTA\":\"dns; a.example\"}," MAIL "}",
	        &ev, &n, err, sizeof(err)),
	    0);
	assert_int_equal(n, 2);
	assert_int_equal(ev[0].type, FEEDBACK_HARD_BOUNCE);
	assert_string_equal(ev[0].provider, "ses1");
	assert_string_equal(ev[0].recipient, "Jane@example.com");
	assert_string_equal(ev[0].event_id,
	                    "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324:"
	                    "Jane@example.com");
	assert_string_equal(ev[0].provider_msg_id, "0100018c-aaaa-bbbb-000000");
	assert_string_equal(ev[0].swerve_id, "01JEXAMPLESWERVEID");
	assert_string_equal(ev[0].provider_type, "Permanent");
	assert_string_equal(ev[0].provider_subtype, "General");
	assert_string_equal(ev[0].enhanced, "5.1.1");
	assert_int_equal(ev[0].smtp_code, 550);
	assert_string_equal(ev[0].diagnostic,
	                    "smtp; 550 5.1.1 user unknown (failed)");
	assert_true(ev[0].occurred_ms == 1453906778000LL);
	assert_string_equal(ev[1].recipient, "bob@example.org");
	assert_string_equal(ev[1].event_id,
	                    "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324:"
	                    "bob@example.org");
	assert_int_equal(ev[1].smtp_code, 0);
	free(ev);
}

/* One case: a payload, the type of its first event, raw type, subtype,
 * and how many events. */
struct shape {
	const char *name, *payload;
	enum feedback_type type;
	const char *ptype, *psub;
	size_t n;
};

static const struct shape shapes[] = {
    {"transient bounce is soft and keeps its sub-type",
     "{\"notificationType\":\"Bounce\",\"bounce\":{\"bounceType\":"
     "\"Transient\",\"bounceSubType\":\"MailboxFull\",\"bouncedRecipients\":"
     "[{\"emailAddress\":\"a@b.example\"}]}," MAIL "}",
     FEEDBACK_SOFT_BOUNCE, "Transient", "MailboxFull", 1},
    {"undetermined bounce is soft",
     "{\"notificationType\":\"Bounce\",\"bounce\":{\"bounceType\":"
     "\"Undetermined\",\"bounceSubType\":\"Undetermined\","
     "\"bouncedRecipients\":[{\"emailAddress\":\"a@b.example\"}]}," MAIL "}",
     FEEDBACK_SOFT_BOUNCE, "Undetermined", "Undetermined", 1},
    {"suppressed bounce is rejected",
     "{\"eventType\":\"Bounce\",\"bounce\":{\"bounceType\":\"Permanent\","
     "\"bounceSubType\":\"OnAccountSuppressionList\",\"bouncedRecipients\":"
     "[{\"emailAddress\":\"a@b.example\"}]}," MAIL "}",
     FEEDBACK_REJECTED, "Permanent", "OnAccountSuppressionList", 1},
    {"complaint",
     "{\"notificationType\":\"Complaint\",\"complaint\":{"
     "\"complainedRecipients\":[{\"emailAddress\":\"a@b.example\"},"
     "{\"emailAddress\":\"c@b.example\"}],\"timestamp\":"
     "\"2026-12-07T10:00:00Z\",\"feedbackId\":\"f\",\"complaintFeedbackType\":"
     "\"abuse\",\"userAgent\":\"x\",\"arrivalDate\":\"2026-12-07T10:00:00Z\"}"
     "," MAIL "}",
     FEEDBACK_COMPLAINT, "Complaint", "abuse", 2},
    {"not-spam is not a complaint",
     "{\"eventType\":\"Complaint\",\"complaint\":{\"complainedRecipients\":"
     "[{\"emailAddress\":\"a@b.example\"}],\"complaintFeedbackType\":"
     "\"not-spam\"}," MAIL "}",
     FEEDBACK_OTHER, "Complaint", "not-spam", 1},
    {"complaint on the account suppression list is rejected",
     "{\"eventType\":\"Complaint\",\"complaint\":{\"complainedRecipients\":"
     "[{\"emailAddress\":\"a@b.example\"}],\"complaintSubType\":"
     "\"OnAccountSuppressionList\"}," MAIL "}",
     FEEDBACK_REJECTED, "Complaint", "OnAccountSuppressionList", 1},
    {"delivery",
     "{\"notificationType\":\"Delivery\",\"delivery\":{\"timestamp\":"
     "\"2026-12-07T10:00:01Z\",\"processingTimeMillis\":546,\"recipients\":"
     "[\"a@b.example\"],\"smtpResponse\":\"250 ok dirdel\",\"reportingMTA\":"
     "\"a8-70.smtp-out.amazonses.com\",\"remoteMtaIp\":\"127.0.2.0\"}," MAIL
     "}",
     FEEDBACK_DELIVERED, "Delivery", "", 1},
    {"delivery delay",
     "{\"eventType\":\"DeliveryDelay\",\"deliveryDelay\":{\"timestamp\":"
     "\"2026-12-07T10:00:01Z\",\"delayType\":\"TransientCommunicationFailure"
     "\",\"expirationTime\":\"2026-12-08T10:00:01Z\",\"delayedRecipients\":"
     "[{\"emailAddress\":\"a@b.example\",\"status\":\"4.4.1\","
     "\"diagnosticCode\":\"smtp; 421 4.4.0 Unable to lookup DNS\"}]}," MAIL "}",
     FEEDBACK_DELAYED, "DeliveryDelay", "TransientCommunicationFailure", 1},
    {"reject names the destination",
     "{\"eventType\":\"Reject\",\"reject\":{\"reason\":\"Bad content\"}," MAIL
     "}",
     FEEDBACK_REJECTED, "Reject", "", 2},
    {"rendering failure names the destination",
     "{\"eventType\":\"Rendering Failure\",\"failure\":{\"errorMessage\":"
     "\"Attribute 'x' is not present\",\"templateName\":\"t\"}," MAIL "}",
     FEEDBACK_REJECTED, "Rendering Failure", "", 2},
    {"send names the destination",
     "{\"eventType\":\"Send\",\"send\":{}," MAIL "}", FEEDBACK_SENT, "Send", "",
     2},
    {"open is other",
     "{\"eventType\":\"Open\",\"open\":{\"ipAddress\":\"192.0.2.1\"}," MAIL "}",
     FEEDBACK_OTHER, "Open", "", 2},
    {"an unknown event type is other", "{\"eventType\":\"Teleport\"," MAIL "}",
     FEEDBACK_OTHER, "Teleport", "", 2},
};

static void
test_documented_shapes(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		struct feedback_event *ev = NULL;
		size_t n = 0, j;
		char err[128] = "";
		int rc =
		    parse_payload(shapes[i].payload, &ev, &n, err, sizeof(err));

		if (rc != 0)
			fail_msg("%s: %s", shapes[i].name, err);
		assert_int_equal(n, shapes[i].n);
		for (j = 0; j < n; j++) {
			if (ev[j].type != shapes[i].type)
				fail_msg("%s: type %d", shapes[i].name,
				         ev[j].type);
			assert_string_equal(ev[j].provider_type,
			                    shapes[i].ptype);
			assert_string_equal(ev[j].provider_subtype,
			                    shapes[i].psub);
			assert_string_equal(ev[j].provider_msg_id,
			                    "0100018c-aaaa-bbbb-000000");
		}
		free(ev);
	}
}

static void
test_diagnostics_from_reason_and_smtp_response(void **state)
{
	struct feedback_event *ev = NULL;
	size_t n = 0;
	char err[128];

	(void)state;
	assert_int_equal(
	    parse_payload(shapes[8].payload, &ev, &n, err, sizeof(err)), 0);
	assert_string_equal(ev[0].diagnostic, "Bad content");
	assert_string_equal(ev[0].recipient, "Jane@example.com");
	free(ev);
	assert_int_equal(
	    parse_payload(shapes[6].payload, &ev, &n, err, sizeof(err)), 0);
	assert_string_equal(ev[0].diagnostic, "250 ok dirdel");
	assert_int_equal(ev[0].smtp_code, 250);
	free(ev);
	assert_int_equal(
	    parse_payload(shapes[7].payload, &ev, &n, err, sizeof(err)), 0);
	assert_string_equal(ev[0].enhanced, "4.4.1");
	assert_int_equal(ev[0].smtp_code, 421);
	free(ev);
}

static void
test_long_recipient_gets_hashed_event_id(void **state)
{
	char payload[1024], addr[300];
	struct feedback_event *ev = NULL;
	size_t n = 0;
	char err[128];

	(void)state;
	memset(addr, 'x', 200);
	snprintf(addr + 200, sizeof(addr) - 200, "@example.com");
	snprintf(payload, sizeof(payload),
	         "{\"eventType\":\"Delivery\",\"delivery\":{\"recipients\":"
	         "[\"%s\"]}," MAIL "}",
	         addr);
	assert_int_equal(parse_payload(payload, &ev, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 1);
	assert_string_equal(ev[0].recipient, addr);
	assert_non_null(strstr(ev[0].event_id, ":sha256:"));
	assert_true(strlen(ev[0].event_id) < FEEDBACK_ID_MAX);
	free(ev);
}

static void
test_malformed_refused(void **state)
{
	static const char *const payloads[] = {
	    "not json",
	    "[]",
	    "{\"mail\":{\"messageId\":\"m\",\"destination\":[\"a@b\"]}}",
	    "{\"eventType\":\"Bounce\"," MAIL "}",
	    "{\"eventType\":\"Bounce\",\"bounce\":[]," MAIL "}",
	    "{\"eventType\":\"Send\"}",
	    "{\"eventType\":\"Send\",\"mail\":{\"destination\":[\"a@b\"]}}",
	    "{\"eventType\":\"Send\",\"mail\":{\"messageId\":\"m\"}}",
	    "{\"eventType\":\"Send\",\"mail\":{\"messageId\":\"m\","
	    "\"destination\":[]}}",
	    "{\"eventType\":\"Send\",\"mail\":{\"messageId\":\"m\","
	    "\"destination\":[7]}}",
	    "{\"eventType\":\"Delivery\",\"delivery\":{\"recipients\":\"a@b\"}"
	    "," MAIL "}",
	    "{\"eventType\":\"Bounce\",\"bounce\":{\"bouncedRecipients\":[{}]}"
	    "," MAIL "}",
	    "{\"eventType\":\"Send\",\"eventType\":\"Bounce\"," MAIL "}",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
		struct feedback_event *ev = (void *)1;
		size_t n = 99;
		char err[128] = "";

		if (parse_payload(payloads[i], &ev, &n, err, sizeof(err)) != -1)
			fail_msg("accepted: %s", payloads[i]);
		assert_null(ev);
		assert_int_equal(n, 0);
		assert_true(err[0] != '\0');
	}
}

static void
test_envelope_refused(void **state)
{
	static const char *const bodies[] = {
	    "",
	    "{",
	    "{\"Type\":\"SubscriptionConfirmation\",\"MessageId\":\"x\","
	    "\"Message\":\"{}\"}",
	    "{\"Type\":\"Notification\",\"Message\":\"{}\"}",
	    "{\"Type\":\"Notification\",\"MessageId\":\"x\",\"Message\":{}}",
	    "{\"Type\":\"Notification\",\"MessageId\":\"\",\"Message\":\"{}\"}",
	    "{\"Type\":\"Notification\",\"MessageId\":\"x\",\"Message\":"
	    "\"{}\",\"Message\":\"{}\"}",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct feedback_event *ev = NULL;
		size_t n = 0;
		char err[128] = "";

		if (feedback_ses_parse(bodies[i], strlen(bodies[i]), "p", &ev,
		                       &n, err, sizeof(err)) != -1)
			fail_msg("accepted: %s", bodies[i]);
		assert_null(ev);
	}
}

static void
test_source_row(void **state)
{
	(void)state;
	assert_ptr_equal(feedback_source_ops_find("ses"), &feedback_ses_ops);
	assert_non_null(feedback_ses_ops.verify_start);
	assert_null(feedback_ses_ops.verify);
	assert_ptr_equal(feedback_ses_ops.parse, feedback_ses_parse);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_permanent_bounce_is_hard_per_recipient),
	    cmocka_unit_test(test_documented_shapes),
	    cmocka_unit_test(test_diagnostics_from_reason_and_smtp_response),
	    cmocka_unit_test(test_long_recipient_gets_hashed_event_id),
	    cmocka_unit_test(test_malformed_refused),
	    cmocka_unit_test(test_envelope_refused),
	    cmocka_unit_test(test_source_row),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
