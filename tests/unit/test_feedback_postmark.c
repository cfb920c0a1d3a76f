/*
 * test_feedback_postmark.c - Postmark's webhooks: basic credentials in
 * constant time and the source-network allow-list; each documented
 * record type and bounce code mapped; keys in any case; malformed bodies
 * refused with a reason; event ids stable across a retry.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <netinet/in.h>

#include "config/config.h"
#include "ingress/feedback_postmark.h"

/* "Basic " + base64("hook:s3cret") */
#define GOOD "Basic aG9vazpzM2NyZXQ="

static enum feedback_check
verify(const char *auth, const struct sockaddr *peer,
       const struct config_net *nets, size_t n)
{
	char err[128];

	return feedback_postmark_verify(auth, peer, "hook", "s3cret", nets, n,
	                                err, sizeof(err));
}

static void
basic_credentials_are_checked(void **state)
{
	(void)state;
	assert_int_equal(verify(GOOD, NULL, NULL, 0), FEEDBACK_CHECK_OK);
	assert_int_equal(verify("basic  aG9vazpzM2NyZXQ=", NULL, NULL, 0),
	                 FEEDBACK_CHECK_OK);
	assert_int_equal(verify(NULL, NULL, NULL, 0), FEEDBACK_CHECK_AUTH);
	assert_int_equal(verify("Bearer aG9vazpzM2NyZXQ=", NULL, NULL, 0),
	                 FEEDBACK_CHECK_AUTH);
	/* hook:s3cre, hook:s3cret2, Hook:s3cret */
	assert_int_equal(verify("Basic aG9vazpzM2NyZQ==", NULL, NULL, 0),
	                 FEEDBACK_CHECK_AUTH);
	assert_int_equal(verify("Basic aG9vazpzM2NyZXQy", NULL, NULL, 0),
	                 FEEDBACK_CHECK_AUTH);
	assert_int_equal(verify("Basic SG9vazpzM2NyZXQ=", NULL, NULL, 0),
	                 FEEDBACK_CHECK_AUTH);
	assert_int_equal(verify("Basic !!!", NULL, NULL, 0),
	                 FEEDBACK_CHECK_AUTH);
	assert_int_equal(verify("Basic ", NULL, NULL, 0), FEEDBACK_CHECK_AUTH);
}

static void
the_network_allow_list_comes_first(void **state)
{
	struct config_net net;
	struct sockaddr_in in, out;

	(void)state;
	assert_int_equal(config_parse_net("10.1.0.0/16", &net), 0);
	memset(&in, 0, sizeof(in));
	in.sin_family = AF_INET;
	inet_pton(AF_INET, "10.1.2.3", &in.sin_addr);
	out = in;
	inet_pton(AF_INET, "10.2.2.3", &out.sin_addr);
	assert_int_equal(verify(GOOD, (struct sockaddr *)&in, &net, 1),
	                 FEEDBACK_CHECK_OK);
	assert_int_equal(verify(GOOD, (struct sockaddr *)&out, &net, 1),
	                 FEEDBACK_CHECK_FORBIDDEN);
	assert_int_equal(verify(NULL, (struct sockaddr *)&out, &net, 1),
	                 FEEDBACK_CHECK_FORBIDDEN);
	assert_int_equal(verify(GOOD, NULL, &net, 1), FEEDBACK_CHECK_FORBIDDEN);
}

/* parse1 - body must parse into one event, into e. */
static void
parse1(const char *body, struct feedback_event *e)
{
	struct feedback_event *v = NULL;
	char err[128] = "";
	size_t n = 0;

	if (feedback_postmark_parse(body, strlen(body), "pm", &v, &n, err,
	                            sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(n, 1);
	*e = v[0];
	free(v);
}

static void
a_delivery(void **state)
{
	struct feedback_event e;

	(void)state;
	parse1("{\"RecordType\":\"Delivery\",\"ServerID\":23,"
	       "\"MessageStream\":\"outbound\","
	       "\"MessageID\":\"883953f4-6105-42a2-a16a-77a8eac79483\","
	       "\"Recipient\":\"John@Example.COM\",\"Tag\":\"welcome\","
	       "\"DeliveredAt\":\"2019-11-05T16:33:54.9070259Z\","
	       "\"Details\":\"Test delivery webhook details\","
	       "\"Metadata\":{\"swerve_id\":\"01J0ABCDEF\",\"a\":\"b\"}}",
	       &e);
	assert_int_equal(e.type, FEEDBACK_DELIVERED);
	assert_string_equal(e.provider, "pm");
	assert_string_equal(e.provider_msg_id,
	                    "883953f4-6105-42a2-a16a-77a8eac79483");
	assert_string_equal(e.recipient, "John@example.com");
	assert_string_equal(e.swerve_id, "01J0ABCDEF");
	assert_int_equal(e.occurred_ms, 1572971634000LL);
	assert_string_equal(e.event_id,
	                    "Delivery:883953f4-6105-42a2-a16a-77a8eac79483:"
	                    "John@example.com:2019-11-05T16:33:54.9070259Z");
	assert_string_equal(e.diagnostic, "Test delivery webhook details");
}

/* bounce - a Bounce record with type code code (and Inactive). */
static enum feedback_type
bounce(long code, const char *name, int inactive)
{
	char body[512];
	struct feedback_event e;

	snprintf(body, sizeof(body),
	         "{\"RecordType\":\"Bounce\",\"ID\":4323372036854775807,"
	         "\"Type\":\"%s\",\"TypeCode\":%ld,\"MessageID\":\"m-1\","
	         "\"Email\":\"jane@example.com\",\"Inactive\":%s,"
	         "\"BouncedAt\":\"2019-11-05T16:33:54Z\","
	         "\"Description\":\"The server was unable to deliver.\","
	         "\"Details\":\"smtp;550 5.1.1 The email account does not "
	         "exist\"}",
	         name, code, inactive ? "true" : "false");
	parse1(body, &e);
	assert_string_equal(e.event_id, code == 100001
	                                    ? "complaint:4323372036854775807"
	                                    : "bounce:4323372036854775807");
	assert_string_equal(e.provider_type, "Bounce");
	assert_string_equal(e.provider_subtype, name);
	assert_string_equal(e.recipient, "jane@example.com");
	assert_int_equal(e.smtp_code, 550);
	assert_string_equal(e.enhanced, "5.1.1");
	assert_string_equal(e.diagnostic,
	                    "The server was unable to deliver. smtp;550 5.1.1 "
	                    "The email account does not exist");
	return e.type;
}

static void
bounces_by_type_code(void **state)
{
	(void)state;
	assert_int_equal(bounce(1, "HardBounce", 1), FEEDBACK_HARD_BOUNCE);
	assert_int_equal(bounce(100000, "BadEmailAddress", 0),
	                 FEEDBACK_HARD_BOUNCE);
	assert_int_equal(bounce(2, "Transient", 0), FEEDBACK_SOFT_BOUNCE);
	assert_int_equal(bounce(4096, "SoftBounce", 0), FEEDBACK_SOFT_BOUNCE);
	assert_int_equal(bounce(4096, "SoftBounce", 1), FEEDBACK_HARD_BOUNCE);
	assert_int_equal(bounce(100006, "Blocked", 0), FEEDBACK_SOFT_BOUNCE);
	assert_int_equal(bounce(2048, "Unknown", 0), FEEDBACK_SOFT_BOUNCE);
	assert_int_equal(bounce(77777, "Novel", 0), FEEDBACK_SOFT_BOUNCE);
	assert_int_equal(bounce(64, "AutoResponder", 0), FEEDBACK_OTHER);
	assert_int_equal(bounce(1024, "OpenRelayTest", 0), FEEDBACK_OTHER);
	assert_int_equal(bounce(16, "Unsubscribe", 1), FEEDBACK_REJECTED);
	assert_int_equal(bounce(100009, "DMARCPolicy", 0), FEEDBACK_REJECTED);
	assert_int_equal(bounce(100001, "SpamComplaint", 1),
	                 FEEDBACK_COMPLAINT);
}

static void
complaints_subscriptions_and_others(void **state)
{
	struct feedback_event e;

	(void)state;
	/* Keys in another casing, as Postmark's own SDKs show them. */
	parse1("{\"recordtype\":\"SpamComplaint\",\"id\":42,\"type\":"
	       "\"SpamComplaint\",\"typecode\":100001,\"messageid\":\"m-2\","
	       "\"email\":\"x@Example.org\",\"bouncedat\":"
	       "\"2019-11-05T16:33:54-04:00\"}",
	       &e);
	assert_int_equal(e.type, FEEDBACK_COMPLAINT);
	assert_string_equal(e.event_id, "complaint:42");
	assert_string_equal(e.provider_msg_id, "m-2");
	assert_int_equal(e.occurred_ms, 1572986034000LL);
	parse1("{\"RecordType\":\"SubscriptionChange\",\"MessageID\":\"m-3\","
	       "\"ServerID\":1,\"ChangedAt\":\"2020-02-01T10:53:34.416071Z\","
	       "\"Recipient\":\"bounced-address@wildbit.com\","
	       "\"Origin\":\"Recipient\",\"SuppressSending\":true,"
	       "\"SuppressionReason\":\"ManualSuppression\"}",
	       &e);
	assert_int_equal(e.type, FEEDBACK_UNSUBSCRIBE);
	assert_string_equal(e.provider_subtype, "ManualSuppression");
	parse1("{\"RecordType\":\"SubscriptionChange\",\"MessageID\":\"m-3\","
	       "\"Recipient\":\"a@b.c\",\"SuppressSending\":false}",
	       &e);
	assert_int_equal(e.type, FEEDBACK_OTHER);
	parse1(
	    "{\"RecordType\":\"Open\",\"MessageID\":\"m-4\","
	    "\"Recipient\":\"a@b.c\",\"ReceivedAt\":\"2020-02-01T10:53:34Z\"}",
	    &e);
	assert_int_equal(e.type, FEEDBACK_OTHER);
	assert_string_equal(e.event_id, "Open:m-4:a@b.c:2020-02-01T10:53:34Z");
}

static void
malformed_bodies_are_refused(void **state)
{
	static const char *const bad[] = {
	    "",
	    "{",
	    "[1]",
	    "\"Delivery\"",
	    "42",
	    "{\"RecordType\":\"Delivery\"}",
	    "{\"RecordType\":\"Bounce\",\"ID\":\"7\"}",
	    "{\"RecordType\":\"Delivery\",\"MessageID\":\"a\","
	    "\"MessageID\":\"b\"}",
	};
	struct feedback_event *v;
	char err[128];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = NULL;
		err[0] = '\0';
		if (feedback_postmark_parse(bad[i], strlen(bad[i]), "pm", &v,
		                            &n, err, sizeof(err)) == 0)
			fail_msg("accepted: %s", bad[i]);
		assert_null(v);
		assert_true(err[0] != '\0');
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(basic_credentials_are_checked),
	    cmocka_unit_test(the_network_allow_list_comes_first),
	    cmocka_unit_test(a_delivery),
	    cmocka_unit_test(bounces_by_type_code),
	    cmocka_unit_test(complaints_subscriptions_and_others),
	    cmocka_unit_test(malformed_bodies_are_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
