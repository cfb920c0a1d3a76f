/*
 * test_compat_ses.c - the SES decoders' fields beyond the message
 * (compat_ses_v1.c, compat_ses_v2.c): EmailTags / Tags and ConfigurationSetName
 * into msg_meta by SES's rules, tracking overrides, the feedback address as
 * envelope sender, the X-SES-* fields of a raw message read and taken
 * out, and every refusal (unknown fields, sending authorization, list
 * management, endpoints, tenants, charsets, attachment options) naming
 * its field.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/base64.h"
#include "core/xmalloc.h"
#include "ingress/compat.h"

#define S(x) x, strlen(x)

/* A v2 body around a Simple message with extra top-level members. */
#define V2(extra)                                                              \
	"{\"FromEmailAddress\":\"a@example.com\",\"Destination\":"             \
	"{\"ToAddresses\":[\"b@example.net\"]},\"Content\":{\"Simple\":"       \
	"{\"Subject\":{\"Data\":\"s\"},\"Body\":{\"Text\":{\"Data\":"          \
	"\"t\"}}}}" extra "}"

/* A v2 body with a Simple message of the given members. */
#define V2S(simple)                                                            \
	"{\"FromEmailAddress\":\"a@example.com\",\"Content\":{\"Simple\":"     \
	"{\"Subject\":{\"Data\":\"s\"},\"Body\":{\"Text\":{\"Data\":"          \
	"\"t\"}}" simple "}}}"

static void
v2_tags_configuration_set_and_tracking_go_to_meta(void **state)
{
	static const char body[] = V2(
	    ",\"EmailTags\":[{\"Name\":\"campaign\",\"Value\":\"spring-24\"},"
	    "{\"Name\":\"kind\",\"Value\":\"\"}],\"ConfigurationSetName\":"
	    "\"main_set\",\"ConfigurationOverrides\":{\"Tracking\":"
	    "{\"OpenTrackingEnabled\":\"ENABLED\",\"ClickTrackingEnabled\":"
	    "\"false\"}},\"FeedbackForwardingEmailAddress\":"
	    "\"bounces@example.com\"");
	struct compat_raw_req raw;
	struct api_error e;
	struct api_msg m;

	(void)state;
	assert_int_equal(compat_ses_v2_decode(S(body), &m, &raw, &e), 0);
	assert_null(raw.data);
	assert_int_equal(m.meta.n_tags, 2);
	assert_string_equal(m.meta.tags[0].name, "campaign");
	assert_string_equal(m.meta.tags[0].value, "spring-24");
	assert_string_equal(m.meta.tags[1].value, "");
	assert_string_equal(m.meta.config_set, "main_set");
	assert_int_equal(m.meta.track_opens, MSG_TRACK_ON);
	assert_int_equal(m.meta.track_clicks, MSG_TRACK_OFF);
	/* Bounces go to the feedback address: the envelope sender. */
	assert_string_equal(raw.env_from, "bounces@example.com");
	assert_string_equal(m.mail.from.addr, "a@example.com");
	api_msg_fini(&m);
	compat_raw_req_fini(&raw);
	/* Nothing asked: meta stays empty, tracking unset. */
	assert_int_equal(compat_ses_v2_decode(S(V2("")), &m, &raw, &e), 0);
	assert_true(msg_meta_empty(&m.meta));
	assert_null(raw.env_from);
	api_msg_fini(&m);
}

static void
v2_refusals_name_the_field(void **state)
{
	static const struct {
		const char *body, *field;
	} cases[] = {
	    {V2(",\"EmailTags\":[{\"Name\":\"a b\",\"Value\":\"x\"}]"),
	     "EmailTags[0]"},
	    {V2(",\"EmailTags\":[{\"Name\":\"a\",\"Value\":\"x.y\"}]"),
	     "EmailTags[0]"},
	    {V2(",\"EmailTags\":[{\"Name\":\"a\"}]"), "EmailTags[0]"},
	    {V2(",\"EmailTags\":[{\"Name\":\"a\",\"Value\":\"1\"},"
	        "{\"Name\":\"a\",\"Value\":\"2\"}]"),
	     "EmailTags[1]"},
	    {V2(",\"EmailTags\":[{\"Name\":\"a\",\"Value\":\"1\","
	        "\"Extra\":1}]"),
	     "EmailTags[0]"},
	    {V2(",\"EmailTags\":{}"), "EmailTags"},
	    {V2(",\"ConfigurationSetName\":\"a.b\""), "ConfigurationSetName"},
	    {V2(",\"ConfigurationSetName\":\"\""), "ConfigurationSetName"},
	    {V2(",\"ConfigurationSetName\":5"), "ConfigurationSetName"},
	    {V2(",\"ConfigurationOverrides\":{\"Tracking\":"
	        "{\"OpenTrackingEnabled\":\"yes\"}}"),
	     "ConfigurationOverrides.Tracking.OpenTrackingEnabled"},
	    {V2(",\"ConfigurationOverrides\":{\"Other\":{}}"),
	     "ConfigurationOverrides"},
	    {V2(",\"FromEmailAddressIdentityArn\":\"arn:aws:ses:x\""),
	     "FromEmailAddressIdentityArn"},
	    {V2(",\"FeedbackForwardingEmailAddressIdentityArn\":\"arn\""),
	     "FeedbackForwardingEmailAddressIdentityArn"},
	    {V2(",\"FeedbackForwardingEmailAddress\":\"nope\""),
	     "FeedbackForwardingEmailAddress"},
	    {V2(",\"ListManagementOptions\":{\"ContactListName\":\"l\"}"),
	     "ListManagementOptions"},
	    {V2(",\"EndpointId\":\"abc\""), "EndpointId"},
	    {V2(",\"TenantName\":\"t\""), "TenantName"},
	    {V2(",\"Surprise\":1"), ""},
	    {V2S(",\"Attachments\":[{\"RawContent\":\"aGk=\",\"FileName\":"
	         "\"a.txt\",\"ContentDescription\":\"d\"}]"),
	     "Content.Simple.Attachments[0].ContentDescription"},
	    {V2S(",\"Attachments\":[{\"RawContent\":\"aGk=\",\"FileName\":"
	         "\"a.txt\",\"ContentTransferEncoding\":\"SEVEN_BIT\"}]"),
	     "Content.Simple.Attachments[0].ContentTransferEncoding"},
	    {V2S(",\"Attachments\":[{\"RawContent\":\"aGk=\",\"FileName\":"
	         "\"a.txt\",\"ContentDisposition\":\"SIDEWAYS\"}]"),
	     "Content.Simple.Attachments[0].ContentDisposition"},
	    {V2S(",\"Attachments\":[{\"RawContent\":\"aGk=\"}]"),
	     "Content.Simple.Attachments[0]"},
	    {V2S(",\"Attachments\":[{\"RawContent\":\"aGk=\",\"FileName\":"
	         "\"a\",\"ContentId\":\"c\",\"ContentDisposition\":"
	         "\"ATTACHMENT\"}]"),
	     "Content.Simple.Attachments[0].ContentId"},
	    {V2S(",\"Attachments\":[{\"RawContent\":\"aGk=\",\"FileName\":"
	         "\"a\",\"ContentDisposition\":\"INLINE\"}]"),
	     "Content.Simple.Attachments[0].ContentDisposition"},
	    {V2S(",\"Attachments\":[{\"RawContent\":\"aGk=\",\"FileName\":"
	         "\"a\",\"Size\":2}]"),
	     "Content.Simple.Attachments[0]"},
	    {V2S(",\"Headers\":[{\"Name\":\"X-A\"}]"),
	     "Content.Simple.Headers[0]"},
	    {V2S(",\"Extra\":{}"), "Content.Simple"},
	    {"{\"FromEmailAddress\":\"a@example.com\",\"Content\":{\"Simple\":"
	     "{\"Subject\":{\"Data\":\"s\",\"Charset\":\"ISO-8859-1\"},"
	     "\"Body\":{\"Text\":{\"Data\":\"t\"}}}}}",
	     "Content.Simple.Subject.Charset"},
	    {"{\"FromEmailAddress\":\"a@example.com\",\"Content\":{\"Simple\":"
	     "{\"Subject\":{\"Data\":\"s\"},\"Body\":{\"Html\":{\"Data\":"
	     "\"t\",\"Charset\":\"KOI8-R\"}}}}}",
	     "Content.Simple.Body.Html.Charset"},
	    {"{\"Content\":{\"Simple\":{\"Body\":{}}}}",
	     "Content.Simple.Subject"},
	    {"{\"Content\":{\"Raw\":{\"Data\":\"aGk=\"},\"Simple\":{}}}",
	     "Content"},
	};
	struct compat_raw_req raw;
	struct api_error e;
	struct api_msg m;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&e, 0, sizeof(e));
		if (compat_ses_v2_decode(S(cases[i].body), &m, &raw, &e) != -1)
			fail_msg("case %zu accepted", i);
		if (strcmp(e.field, cases[i].field) != 0)
			fail_msg("case %zu: field %s, message %s", i, e.field,
			         e.message);
		assert_int_equal(e.http_status, 400);
	}
}

/* raw_json - a v2 Raw request around msg, with extra members. */
static char *
raw_json(const char *msg, const char *extra)
{
	struct buf b;
	char *b64 = base64_encode_str(msg, strlen(msg));

	buf_init(&b);
	buf_printf(&b,
	           "{\"FromEmailAddress\":\"a@example.com\",\"Content\":"
	           "{\"Raw\":{\"Data\":\"%s\"}}%s}",
	           b64, extra);
	free(b64);
	buf_cstr(&b);
	return b.p;
}

static void
v2_raw_ses_fields_are_read_and_taken_out(void **state)
{
	static const char msg[] =
	    "From: a@example.com\r\nTo: b@example.net\r\n"
	    "X-SES-CONFIGURATION-SET: main_set\r\n"
	    "X-SES-MESSAGE-TAGS: campaign=spring, kind=\r\n"
	    " welcome\r\nX-SES-SOURCE-ARN: arn:aws:ses:us-east-1:"
	    "123456789012:identity/example.com\r\n"
	    "X-SES-FROM-ARN: arn:x\r\nX-SES-RETURN-PATH-ARN: arn:y\r\n"
	    "X-SES-MESSAGE-TAGS: third=3\r\n"
	    "Subject: hi\r\n\r\nX-SES-FROM-ARN: in the body stays\r\n";
	char *body = raw_json(msg, ",\"EmailTags\":[{\"Name\":\"p\","
	                           "\"Value\":\"q\"}]");
	struct compat_raw_req raw;
	struct api_error e;
	struct api_msg m;

	(void)state;
	if (compat_ses_v2_decode(S(body), &m, &raw, &e) != 0)
		fail_msg("%s: %s", e.field, e.message);
	free(body);
	assert_string_equal(m.meta.config_set, "main_set");
	assert_int_equal(m.meta.n_tags, 4);
	assert_string_equal(m.meta.tags[0].name, "p");
	assert_string_equal(m.meta.tags[1].name, "campaign");
	assert_string_equal(m.meta.tags[2].name, "kind");
	assert_string_equal(m.meta.tags[2].value, "welcome");
	assert_string_equal(m.meta.tags[3].value, "3");
	assert_int_equal(raw.len, strlen("From: a@example.com\r\nTo: "
	                                 "b@example.net\r\nSubject: hi\r\n"
	                                 "\r\nX-SES-FROM-ARN: in the body "
	                                 "stays\r\n"));
	assert_memory_equal(raw.data,
	                    "From: a@example.com\r\nTo: "
	                    "b@example.net\r\nSubject: hi\r\n\r\n",
	                    50);
	assert_null(memmem(raw.data, raw.len, "123456789012", 12));
	api_msg_fini(&m);
	compat_raw_req_fini(&raw);
}

static void
v2_raw_ses_field_refusals(void **state)
{
	static const struct {
		const char *msg, *extra, *field;
	} cases[] = {
	    /* The parameter and the field say two things. */
	    {"From: a@example.com\r\nX-SES-CONFIGURATION-SET: one\r\n\r\nx",
	     ",\"ConfigurationSetName\":\"two\"", "X-SES-CONFIGURATION-SET"},
	    {"From: a@example.com\r\nX-SES-CONFIGURATION-SET: a/b\r\n\r\nx", "",
	     "X-SES-CONFIGURATION-SET"},
	    {"From: a@example.com\r\nX-SES-MESSAGE-TAGS: novalue\r\n\r\nx", "",
	     "X-SES-MESSAGE-TAGS"},
	    {"From: a@example.com\r\nX-SES-MESSAGE-TAGS: a=b c\r\n\r\nx", "",
	     "X-SES-MESSAGE-TAGS"},
	    {"From: a@example.com\r\nX-SES-MESSAGE-TAGS: a=1, a=2\r\n\r\nx", "",
	     "X-SES-MESSAGE-TAGS"},
	};
	struct compat_raw_req raw;
	struct api_error e;
	struct api_msg m;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *body = raw_json(cases[i].msg, cases[i].extra);
		memset(&e, 0, sizeof(e));
		if (compat_ses_v2_decode(S(body), &m, &raw, &e) != -1)
			fail_msg("case %zu accepted", i);
		free(body);
		if (strcmp(e.field, cases[i].field) != 0)
			fail_msg("case %zu: field %s", i, e.field);
		assert_int_equal(e.http_status, 400);
	}
}

/* v1 - compat_ses_v1_decode over a copy of a C string. */
static int
v1(const char *s, struct api_msg *m, struct compat_raw_req *raw,
   struct api_error *e)
{
	char *copy = xstrdup(s), name[64];
	enum compat_ses_action act;
	int rc;

	memset(e, 0, sizeof(*e));
	rc = compat_ses_v1_decode(copy, strlen(copy), &act, name, m, raw, e);
	free(copy);
	return rc;
}

#define V1_SEND                                                                \
	"Action=SendEmail&Version=2010-12-01&Source=a%40example.com&"          \
	"Destination.ToAddresses.member.1=b%40example.net&Message.Subject."    \
	"Data=s&Message.Body.Text.Data=t"
/* "From: a@example.com\r\nX-SES-CONFIGURATION-SET: hdr\r\n
 *  X-SES-SOURCE-ARN: arn:1\r\n\r\nx\r\n" in base64. */
#define V1_RAW                                                                 \
	"Action=SendRawEmail&Version=2010-12-01&RawMessage.Data="              \
	"RnJvbTogYUBleGFtcGxlLmNvbQ0KWC1TRVMtQ09ORklHVVJBVElPTi1TRVQ6IGhk"     \
	"cg0KWC1TRVMtU09VUkNFLUFSTjogYXJuOjENCg0KeA0K"

static void
v1_tags_set_and_return_path(void **state)
{
	struct compat_raw_req raw;
	struct api_error e;
	struct api_msg m;

	(void)state;
	assert_int_equal(v1(V1_SEND "&Tags.member.2.Value=v2&Tags.member.1."
	                            "Name=n1&Tags.member.1.Value=v1&Tags."
	                            "member.2.Name=n2&ConfigurationSetName=cs&"
	                            "ReturnPath=bounce%40example.com&Message."
	                            "Subject.Charset=utf-8",
	                    &m, &raw, &e),
	                 0);
	assert_int_equal(m.meta.n_tags, 2);
	assert_string_equal(m.meta.tags[0].name, "n1");
	assert_string_equal(m.meta.tags[1].value, "v2");
	assert_string_equal(m.meta.config_set, "cs");
	assert_string_equal(raw.env_from, "bounce@example.com");
	api_msg_fini(&m);
	compat_raw_req_fini(&raw);

	assert_int_equal(v1(V1_RAW "&Tags.member.1.Name=n&Tags.member.1."
	                           "Value=v",
	                    &m, &raw, &e),
	                 0);
	assert_string_equal(m.meta.config_set, "hdr");
	assert_int_equal(m.meta.n_tags, 1);
	assert_int_equal(raw.len, 26);
	assert_memory_equal(raw.data, "From: a@example.com\r\n\r\nx\r\n", 26);
	api_msg_fini(&m);
	compat_raw_req_fini(&raw);
}

static void
v1_refusals_name_the_field(void **state)
{
	static const struct {
		const char *body, *field;
	} cases[] = {
	    {V1_SEND "&Tags.member.1.Name=n", "Tags.member.1.Value"},
	    {V1_SEND "&Tags.member.1.Value=v", "Tags.member.1.Name"},
	    {V1_SEND "&Tags.member.1.Name=a%20b&Tags.member.1.Value=v",
	     "Tags.member.1"},
	    {V1_SEND "&Tags.member.1.Name=a&Tags.member.1.Value=v%2Fw",
	     "Tags.member.1"},
	    {V1_SEND "&Tags.member.1.Name=a&Tags.member.1.Value=1&Tags."
	             "member.2.Name=a&Tags.member.2.Value=2",
	     "Tags.member.2"},
	    {V1_SEND "&ConfigurationSetName=a%20b", "ConfigurationSetName"},
	    {V1_SEND "&SourceArn=arn", "SourceArn"},
	    {V1_SEND "&ReturnPathArn=arn", "ReturnPathArn"},
	    {V1_SEND "&ReturnPath=nope", "ReturnPath"},
	    {V1_SEND "&Message.Body.Text.Charset=ISO-8859-1",
	     "Message.Body.Text.Charset"},
	    {V1_SEND "&Message.Body.Attachment=x", ""},
	    {V1_SEND "&Tags.member.x.Name=a", ""},
	    {V1_RAW "&FromArn=arn", "FromArn"},
	    {V1_RAW "&SourceArn=arn", "SourceArn"},
	    {V1_RAW "&ConfigurationSetName=other", "X-SES-CONFIGURATION-SET"},
	    {V1_RAW "&ReturnPath=a%40example.com", ""},
	    /* Templates (issue 19): a SendTemplatedEmail needs Template. */
	    {"Action=SendTemplatedEmail&Source=a%40example.com", "Template"},
	    {"Action=SendEmailTemplate", "Action"},
	};
	struct compat_raw_req raw;
	struct api_error e;
	struct api_msg m;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (v1(cases[i].body, &m, &raw, &e) != -1)
			fail_msg("case %zu accepted", i);
		if (strcmp(e.field, cases[i].field) != 0)
			fail_msg("case %zu: field %s (%s)", i, e.field,
			         e.message);
		assert_int_equal(e.http_status, 400);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(v2_tags_configuration_set_and_tracking_go_to_meta),
	    cmocka_unit_test(v2_refusals_name_the_field),
	    cmocka_unit_test(v2_raw_ses_fields_are_read_and_taken_out),
	    cmocka_unit_test(v2_raw_ses_field_refusals),
	    cmocka_unit_test(v1_tags_set_and_return_path),
	    cmocka_unit_test(v1_refusals_name_the_field),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
