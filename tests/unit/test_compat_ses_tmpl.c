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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
