/*
 * test_compat_ses_tmpl.c - SES's templated sends, decoded
 * (compat_ses_v2.c): Content.Template (name, data, headers; ARN, inline
 * content and attachments refused naming the field), SendBulkEmail (the
 * request's fields in every entry, the entry's data over the defaults,
 * 1..50 entries, malformed input refused whole), TemplateData (a JSON
 * object as a string), and the message TestRender answers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/xmalloc.h"
#include "ingress/compat.h"
#include "ingress/compat_ses_tmpl.h"

#define S(x) x, strlen(x)

#define V2T(tmpl)                                                              \
	"{\"FromEmailAddress\":\"a@example.com\",\"Destination\":"             \
	"{\"ToAddresses\":[\"b@example.net\"]},\"Content\":{\"Template\":"     \
	"{" tmpl "}}}"

static void
content_template_decoded(void **state)
{
	static const char body[] =
	    V2T("\"TemplateName\":\"receipt\",\"TemplateData\":"
	        "\"{\\\"name\\\":\\\"Ann\\\",\\\"n\\\":2}\",\"Headers\":"
	        "[{\"Name\":\"X-Campaign\",\"Value\":\"spring\"}]");
	struct compat_raw_req raw;
	struct api_error e;
	struct api_msg m;

	(void)state;
	assert_int_equal(compat_ses_v2_decode(S(body), &m, &raw, &e), 0);
	assert_string_equal(m.template_name, "receipt");
	assert_true(json_is_object(m.template_data));
	assert_string_equal(
	    json_string_value(json_object_get(m.template_data, "name")), "Ann");
	assert_int_equal(m.mail.n_fields, 1);
	assert_string_equal(m.mail.fields[0].name, "X-Campaign");
	assert_null(m.mail.subject);
	assert_null(raw.data);
	api_msg_fini(&m);
	compat_raw_req_fini(&raw);
}

static void
content_template_refusals_name_the_field(void **state)
{
	static const struct {
		const char *body, *code, *field;
	} cases[] = {
	    {V2T(""), "missing_field", "Content.Template.TemplateName"},
	    {V2T("\"TemplateName\":\"a/b\""), "invalid_field",
	     "Content.Template.TemplateName"},
	    {V2T("\"TemplateName\":7"), "invalid_field",
	     "Content.Template.TemplateName"},
	    {V2T("\"TemplateName\":\"t\",\"TemplateData\":\"[1]\""),
	     "invalid_field", "Content.Template.TemplateData"},
	    {V2T("\"TemplateName\":\"t\",\"TemplateData\":\"{\""),
	     "invalid_field", "Content.Template.TemplateData"},
	    {V2T("\"TemplateName\":\"t\",\"TemplateData\":{}"), "invalid_field",
	     "Content.Template.TemplateData"},
	    {V2T("\"TemplateName\":\"t\",\"TemplateArn\":\"arn:x\""),
	     "invalid_field", "Content.Template.TemplateArn"},
	    {V2T("\"TemplateName\":\"t\",\"TemplateContent\":{}"),
	     "invalid_field", "Content.Template.TemplateContent"},
	    {V2T("\"TemplateName\":\"t\",\"Attachments\":[]"), "invalid_field",
	     "Content.Template.Attachments"},
	    {V2T("\"TemplateName\":\"t\",\"Other\":1"), "invalid_field",
	     "Content.Template"},
	    {V2T("\"TemplateName\":\"t\",\"Headers\":[{\"Name\":\"X-A\"}]"),
	     "missing_field", "Content.Template.Headers[0]"},
	    {"{\"Content\":{\"Template\":{\"TemplateName\":\"t\"},\"Simple\":"
	     "{}}}",
	     "invalid_field", "Content"},
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
		if (strcmp(e.field, cases[i].field) != 0 ||
		    strcmp(e.code, cases[i].code) != 0)
			fail_msg("case %zu: %s at %s (%s)", i, e.code, e.field,
			         e.message);
		assert_int_equal(e.http_status, 400);
	}
}

#define BULK(entries)                                                          \
	"{\"FromEmailAddress\":\"Shop <a@example.com>\",\"ReplyToAddresses\":" \
	"[\"r@example.com\"],\"FeedbackForwardingEmailAddress\":"              \
	"\"fb@example.com\",\"DefaultEmailTags\":[{\"Name\":\"k\","            \
	"\"Value\":\"v\"}],\"ConfigurationSetName\":\"cs\","                   \
	"\"DefaultContent\":"                                                  \
	"{\"Template\":{\"TemplateName\":\"receipt\",\"TemplateData\":"        \
	"\"{\\\"a\\\":1,\\\"b\\\":2}\"}},\"BulkEmailEntries\":[" entries "]}"

static void
bulk_entries_take_the_defaults_and_their_own_data(void **state)
{
	static const char body[] =
	    BULK("{\"Destination\":{\"ToAddresses\":[\"x@example.net\"]},"
	         "\"ReplacementEmailContent\":{\"ReplacementTemplate\":"
	         "{\"ReplacementTemplateData\":\"{\\\"b\\\":3,\\\"c\\\":4}\"}},"
	         "\"ReplacementTags\":[{\"Name\":\"e\",\"Value\":\"1\"}],"
	         "\"ReplacementHeaders\":[{\"Name\":\"X-E\",\"Value\":\"1\"}]},"
	         "{\"Destination\":{\"ToAddresses\":[\"y@example.net\"],"
	         "\"BccAddresses\":[\"z@example.net\"]}}");
	struct api_batch b;
	struct api_error e;
	char *fb = NULL;
	json_t *d;

	(void)state;
	assert_int_equal(compat_ses_v2_bulk_decode(S(body), &b, &fb, &e), 0);
	assert_int_equal(b.n, 2);
	assert_string_equal(fb, "fb@example.com");
	assert_string_equal(b.msgs[0].mail.from.addr, "a@example.com");
	assert_string_equal(b.msgs[0].mail.from.name, "Shop");
	assert_string_equal(b.msgs[1].mail.reply_to[0].addr, "r@example.com");
	assert_string_equal(b.msgs[0].mail.to[0].addr, "x@example.net");
	assert_string_equal(b.msgs[1].bcc[0].addr, "z@example.net");
	assert_string_equal(b.msgs[1].template_name, "receipt");
	d = b.msgs[0].template_data;
	assert_int_equal(json_integer_value(json_object_get(d, "a")), 1);
	assert_int_equal(json_integer_value(json_object_get(d, "b")), 3);
	assert_int_equal(json_integer_value(json_object_get(d, "c")), 4);
	d = b.msgs[1].template_data;
	assert_int_equal(json_integer_value(json_object_get(d, "b")), 2);
	assert_null(json_object_get(d, "c"));
	assert_int_equal(b.msgs[0].meta.n_tags, 2);
	assert_int_equal(b.msgs[1].meta.n_tags, 1);
	assert_string_equal(b.msgs[1].meta.config_set, "cs");
	assert_int_equal(b.msgs[0].mail.n_fields, 1);
	assert_int_equal(b.msgs[1].mail.n_fields, 0);
	free(fb);
	api_batch_fini(&b);
}

static void
bulk_malformed_is_refused_whole(void **state)
{
	static const struct {
		const char *body, *field;
	} cases[] = {
	    {BULK(""), "BulkEmailEntries"},
	    {"{\"DefaultContent\":{\"Template\":{\"TemplateName\":\"t\"}},"
	     "\"BulkEmailEntries\":{}}",
	     "BulkEmailEntries"},
	    {"{\"BulkEmailEntries\":[{}]}", "DefaultContent"},
	    {"{\"DefaultContent\":{\"Simple\":{}},\"BulkEmailEntries\":[{}]}",
	     "DefaultContent"},
	    {BULK("{\"Destination\":{\"ToAddresses\":[\"nope\"]}}"),
	     "BulkEmailEntries[0].Destination.ToAddresses[0]"},
	    {BULK("{},{\"ReplacementEmailContent\":{\"ReplacementTemplate\":"
	          "{\"ReplacementTemplateData\":\"[]\"}}}"),
	     "BulkEmailEntries[1].ReplacementEmailContent.ReplacementTemplate."
	     "Repl"},
	    {BULK("{\"Other\":1}"), "BulkEmailEntries[0]"},
	    {BULK("7"), "BulkEmailEntries[0]"},
	    {"{\"EndpointId\":\"x\"}", "EndpointId"},
	    {"{\"Nope\":1}", ""},
	    {"[", ""},
	};
	struct api_batch b;
	struct api_error e;
	char *fb = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&e, 0, sizeof(e));
		if (compat_ses_v2_bulk_decode(S(cases[i].body), &b, &fb, &e) !=
		    -1)
			fail_msg("case %zu accepted", i);
		if (strncmp(e.field, cases[i].field, strlen(cases[i].field)) !=
		    0)
			fail_msg("case %zu: %s at %s (%s)", i, e.code, e.field,
			         e.message);
		assert_int_equal(e.http_status, 400);
		assert_null(fb);
		assert_int_equal(b.n, 0);
	}
}

static void
bulk_takes_at_most_fifty(void **state)
{
	struct buf body;
	struct api_batch b;
	struct api_error e;
	char *fb = NULL;
	int i, n;

	(void)state;
	for (n = 50; n <= 51; n++) {
		buf_init(&body);
		buf_addstr(&body, "{\"FromEmailAddress\":\"a@example.com\","
		                  "\"DefaultContent\":{\"Template\":"
		                  "{\"TemplateName\":\"t\"}},"
		                  "\"BulkEmailEntries\":[");
		for (i = 0; i < n; i++)
			buf_printf(&body,
			           "%s{\"Destination\":{\"ToAddresses\":"
			           "[\"x%d@example.net\"]}}",
			           i ? "," : "", i);
		buf_addstr(&body, "]}");
		assert_int_equal(
		    compat_ses_v2_bulk_decode(body.p, body.len, &b, &fb, &e),
		    n == 50 ? 0 : -1);
		if (n == 50) {
			assert_int_equal(b.n, 50);
			assert_string_equal(b.msgs[49].mail.to[0].addr,
			                    "x49@example.net");
		}
		api_batch_fini(&b);
		buf_fini(&body);
	}
}

static void
template_data_and_rendered_message(void **state)
{
	struct api_error e;
	json_t *d = NULL;
	struct tmpl_rendered r;
	struct buf out;

	(void)state;
	assert_int_equal(compat_ses_tmpl_data(NULL, "f", &d, &e), 0);
	assert_int_equal(json_object_size(d), 0);
	json_decref(d);
	assert_int_equal(compat_ses_tmpl_data("{\"a\":[1]}", "f", &d, &e), 0);
	assert_true(json_is_array(json_object_get(d, "a")));
	json_decref(d);
	assert_int_equal(compat_ses_tmpl_data("\"s\"", "f", &d, &e), -1);
	assert_null(d);
	assert_int_equal(compat_ses_tmpl_data("{\"a\":1,\"a\":2}", "f", &d, &e),
	                 -1);
	assert_string_equal(e.field, "f");

	memset(&r, 0, sizeof(r));
	r.part[TMPL_PART_SUBJECT] = xstrdup("Hi Ann");
	r.part[TMPL_PART_TEXT] = xstrdup("caf\xc3\xa9 = 1");
	r.len[TMPL_PART_TEXT] = strlen(r.part[TMPL_PART_TEXT]);
	buf_init(&out);
	compat_ses_tmpl_render_mime(&r, &out);
	buf_cstr(&out);
	assert_non_null(strstr(out.p, "Subject: Hi Ann\r\n"));
	assert_non_null(strstr(out.p, "text/plain; charset=UTF-8"));
	assert_null(strstr(out.p, "text/html"));
	assert_non_null(strstr(out.p, "caf=C3=A9 =3D 1"));
	buf_fini(&out);
	tmpl_rendered_fini(&r);
}

static void
v1_send_templated_and_actions(void **state)
{
	char ok[] = "Action=SendTemplatedEmail&Source=a%40example.com&"
	            "Destination.ToAddresses.member.1=b%40example.net&"
	            "Template=welcome&TemplateData=%7B%22n%22%3A1%7D&"
	            "Tags.member.1.Name=k&Tags.member.1.Value=v";
	char nodata[] = "Action=SendTemplatedEmail&Source=a%40example.com&"
	                "Template=welcome";
	char arn[] = "Action=SendTemplatedEmail&Source=a%40example.com&"
	             "Template=t&TemplateData=%7B%7D&TemplateArn=x";
	char list[] = "Action=ListTemplates";
	enum compat_ses_action act;
	struct compat_raw_req raw;
	struct api_error e;
	struct api_msg m;
	char name[64];

	(void)state;
	assert_int_equal(
	    compat_ses_v1_decode(ok, strlen(ok), &act, name, &m, &raw, &e), 0);
	assert_int_equal(act, COMPAT_SES_SEND_TEMPLATED_EMAIL);
	assert_string_equal(m.template_name, "welcome");
	assert_int_equal(
	    json_integer_value(json_object_get(m.template_data, "n")), 1);
	assert_int_equal(m.meta.n_tags, 1);
	api_msg_fini(&m);
	compat_raw_req_fini(&raw);
	assert_int_equal(compat_ses_v1_decode(nodata, strlen(nodata), &act,
	                                      name, &m, &raw, &e),
	                 -1);
	assert_string_equal(e.field, "TemplateData");
	assert_int_equal(
	    compat_ses_v1_decode(arn, strlen(arn), &act, name, &m, &raw, &e),
	    -1);
	assert_string_equal(e.field, "TemplateArn");
	assert_int_equal(
	    compat_ses_v1_decode(list, strlen(list), &act, name, &m, &raw, &e),
	    0);
	assert_int_equal(act, COMPAT_SES_LIST_TEMPLATES);
}

static void
v1_template_operations_decoded_and_refused(void **state)
{
	static const struct {
		const char *body;
		enum compat_ses_action act;
		int rc;
		const char *field;
	} cases[] = {
	    {"Action=CreateTemplate&Template.TemplateName=t&"
	     "Template.SubjectPart=s&Template.TextPart=x",
	     COMPAT_SES_CREATE_TEMPLATE, 0, ""},
	    {"Action=CreateTemplate&Template.TemplateName=t&"
	     "Template.SubjectPart=s",
	     COMPAT_SES_CREATE_TEMPLATE, -1, "Template.HtmlPart"},
	    {"Action=CreateTemplate&Template.TemplateName=a%2Fb&"
	     "Template.TextPart=x",
	     COMPAT_SES_CREATE_TEMPLATE, -1, "Template.TemplateName"},
	    {"Action=CreateTemplate&Template.TextPart=x&Other=1",
	     COMPAT_SES_CREATE_TEMPLATE, -1, ""},
	    {"Action=CreateTemplate&Template.TemplateName=t&"
	     "Template.SubjectPart=a%0Db&Template.TextPart=x",
	     COMPAT_SES_CREATE_TEMPLATE, -1, "Template.SubjectPart"},
	    {"Action=GetTemplate&TemplateName=t", COMPAT_SES_GET_TEMPLATE, 0,
	     ""},
	    {"Action=GetTemplate", COMPAT_SES_GET_TEMPLATE, -1, "TemplateName"},
	    {"Action=ListTemplates&MaxItems=7&NextToken=abc",
	     COMPAT_SES_LIST_TEMPLATES, 0, ""},
	    {"Action=ListTemplates&MaxItems=0", COMPAT_SES_LIST_TEMPLATES, -1,
	     "MaxItems"},
	    {"Action=TestRenderTemplate&TemplateName=t&TemplateData=%5B%5D",
	     COMPAT_SES_TEST_RENDER_TEMPLATE, -1, "TemplateData"},
	    {"Action=TestRenderTemplate&TemplateName=t",
	     COMPAT_SES_TEST_RENDER_TEMPLATE, -1, "TemplateData"},
	    {"Action=TestRenderTemplate&TemplateName=t&TemplateData=%7B%7D",
	     COMPAT_SES_TEST_RENDER_TEMPLATE, 0, ""},
	    {"%zz", COMPAT_SES_GET_TEMPLATE, -1, ""},
	};
	struct compat_ses_v1_tmpl t;
	struct api_error e;
	char body[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(body, sizeof(body), "%s", cases[i].body);
		memset(&e, 0, sizeof(e));
		if (compat_ses_v1_tmpl_decode(body, strlen(body), cases[i].act,
		                              &t, &e) != cases[i].rc)
			fail_msg("case %zu: %s (%s)", i, e.code, e.message);
		if (cases[i].rc < 0) {
			assert_string_equal(e.field, cases[i].field);
			assert_int_equal(e.http_status, 400);
			assert_null(t.data);
		}
		compat_ses_v1_tmpl_fini(&t);
	}
	snprintf(body, sizeof(body), "%s", cases[0].body);
	assert_int_equal(
	    compat_ses_v1_tmpl_decode(body, strlen(body), cases[0].act, &t, &e),
	    0);
	assert_string_equal(t.name, "t");
	assert_string_equal(t.part[TMPL_PART_SUBJECT], "s");
	assert_null(t.part[TMPL_PART_HTML]);
	compat_ses_v1_tmpl_fini(&t);
	snprintf(body, sizeof(body), "%s", cases[7].body);
	assert_int_equal(
	    compat_ses_v1_tmpl_decode(body, strlen(body), cases[7].act, &t, &e),
	    0);
	assert_int_equal(t.max_items, 7);
	assert_string_equal(t.next, "abc");
	compat_ses_v1_tmpl_fini(&t);
}

static void
v1_bulk_destinations(void **state)
{
	char ok[] =
	    "Action=SendBulkTemplatedEmail&Source=a%40example.com&"
	    "Template=t&DefaultTemplateData=%7B%22a%22%3A1%2C%22b%22%3A2"
	    "%7D&ReturnPath=rp%40example.com&DefaultTags.member.1.Name=k"
	    "&DefaultTags.member.1.Value=v&"
	    "Destinations.member.2.Destination.ToAddresses.member.1=y%40"
	    "example.net&Destinations.member.1.Destination.ToAddresses."
	    "member.1=x%40example.net&Destinations.member.1."
	    "ReplacementTemplateData=%7B%22b%22%3A3%7D&"
	    "Destinations.member.1.ReplacementTags.member.1.Name=e&"
	    "Destinations.member.1.ReplacementTags.member.1.Value=1";
	char bad[] = "Action=SendBulkTemplatedEmail&Source=a%40example.com&"
	             "Template=t&Destinations.member.1.Destination.ToAddresses."
	             "member.1=x%40example.net&Destinations.member.1."
	             "ReplacementTemplateData=nope";
	char none[] = "Action=SendBulkTemplatedEmail&Source=a%40example.com&"
	              "Template=t";
	struct api_batch b;
	struct api_error e;
	char *rp = NULL;

	(void)state;
	assert_int_equal(compat_ses_v1_bulk_decode(ok, strlen(ok), &b, &rp, &e),
	                 0);
	assert_int_equal(b.n, 2);
	assert_string_equal(rp, "rp@example.com");
	/* In the order first seen: member 2, then member 1. */
	assert_string_equal(b.msgs[0].mail.to[0].addr, "y@example.net");
	assert_string_equal(b.msgs[1].mail.to[0].addr, "x@example.net");
	assert_int_equal(
	    json_integer_value(json_object_get(b.msgs[1].template_data, "b")),
	    3);
	assert_int_equal(
	    json_integer_value(json_object_get(b.msgs[0].template_data, "b")),
	    2);
	assert_int_equal(b.msgs[1].meta.n_tags, 2);
	assert_int_equal(b.msgs[0].meta.n_tags, 1);
	free(rp);
	api_batch_fini(&b);
	assert_int_equal(
	    compat_ses_v1_bulk_decode(bad, strlen(bad), &b, &rp, &e), -1);
	assert_string_equal(e.field,
	                    "Destinations.member.1.ReplacementTemplateData");
	assert_null(rp);
	assert_int_equal(
	    compat_ses_v1_bulk_decode(none, strlen(none), &b, &rp, &e), -1);
	assert_string_equal(e.field, "Destinations");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(content_template_decoded),
	    cmocka_unit_test(content_template_refusals_name_the_field),
	    cmocka_unit_test(bulk_entries_take_the_defaults_and_their_own_data),
	    cmocka_unit_test(bulk_malformed_is_refused_whole),
	    cmocka_unit_test(bulk_takes_at_most_fifty),
	    cmocka_unit_test(template_data_and_rendered_message),
	    cmocka_unit_test(v1_send_templated_and_actions),
	    cmocka_unit_test(v1_template_operations_decoded_and_refused),
	    cmocka_unit_test(v1_bulk_destinations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
