/*
 * test_compat.c - the providers' request mappings: SES v2 (Simple with
 * attachments and inline parts, Raw with its envelope), SES v1 Query
 * (SendEmail members, SendRawEmail, unknown actions), Postmark (comma
 * lists, ContentID), Resend (string or array recipients, payload hash),
 * Mailgun forms (files, inline parts, h: fields); the shared helpers
 * (base64, address lists, attachments, header checks); and the
 * ses_compat configuration.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"
#include "core/xmalloc.h"
#include "ingress/compat.h"
#include "ingress/submit.h"
#include "mime/form.h"

#define PNG_B64 "iVBORw0KGgo="
#define RS_NOW ((time_t)1700000000) /* the wall clock for Resend */

/* decode_ok - a JSON decoder run that must succeed. */
#define S(x) x, strlen(x)

static void
b64_decodes_with_whitespace_and_without_padding(void **state)
{
	unsigned char *out;
	size_t n;

	(void)state;
	assert_int_equal(compat_b64_decode(S("aGVs\r\nbG8="), &out, &n), 0);
	assert_int_equal(n, 5);
	assert_memory_equal(out, "hello", 5);
	free(out);
	assert_int_equal(compat_b64_decode(S("aGVsbG8"), &out, &n), 0);
	assert_int_equal(n, 5);
	free(out);
	assert_int_equal(compat_b64_decode(S(""), &out, &n), 0);
	assert_int_equal(n, 0);
	free(out);
	assert_int_equal(compat_b64_decode(S("aGVsb"), &out, &n), -1);
	assert_int_equal(compat_b64_decode(S("aG=Vs"), &out, &n), -1);
	assert_int_equal(compat_b64_decode(S("a*==="), &out, &n), -1);
	/* Padding after a full quantum, or padding that does not complete
	 * the last one, is refused (the first used to give 2 zero bytes). */
	assert_int_equal(compat_b64_decode(S("aGVs=="), &out, &n), -1);
	assert_int_equal(compat_b64_decode(S("aGVsbA="), &out, &n), -1);
}

static void
address_lists_split_outside_quotes(void **state)
{
	struct mime_build_addr *l = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(compat_addr_list_parse(S("a@x.org, \"Doe, J\" "
	                                          "<j@y.org>,,  B <b@z.org> "),
	                                        &l, &n, 10),
	                 0);
	assert_int_equal(n, 3);
	assert_string_equal(l[0].addr, "a@x.org");
	assert_string_equal(l[1].addr, "j@y.org");
	assert_string_equal(l[1].name, "Doe, J");
	assert_string_equal(l[2].name, "B");
	assert_int_equal(compat_addr_list_parse(S("c@x.org"), &l, &n, 3), -1);
	compat_addrs_free(l, n);
	l = NULL;
	n = 0;
	assert_int_equal(
	    compat_addr_list_parse(S("not an address"), &l, &n, 10), -1);
	assert_int_equal(
	    compat_addr_list_parse(S("\"open <a@b.c>"), &l, &n, 10), -1);
	compat_addrs_free(l, n);
}

static void
attachments_normalise_type_and_content_id(void **state)
{
	struct mime_build_msg m;
	struct api_error e;

	(void)state;
	memset(&m, 0, sizeof(m));
	assert_int_equal(compat_att_add(&m, "a.png", "Image/PNG; name=a.png",
	                                "cid:<logo@x>", "ab", 2, "f", &e),
	                 0);
	assert_string_equal(m.atts[0].content_type, "image/png");
	assert_string_equal(m.atts[0].content_id, "logo@x");
	assert_int_equal(m.atts[0].len, 2);
	assert_int_equal(compat_att_add(&m, NULL, NULL, "", "", 0, "f", &e), 0);
	assert_null(m.atts[1].content_id);
	assert_null(m.atts[1].content_type);
	assert_int_equal(
	    compat_att_add(&m, "x\r\nBcc: y", NULL, NULL, "", 0, "f", &e), -1);
	assert_string_equal(e.code, "invalid_field");
	assert_int_equal(
	    compat_att_add(&m, "x", "nonsense", NULL, "", 0, "f", &e), -1);
	/* What the builder would refuse is refused here, naming the field
	 * (fuzz_postmark found "image/;png" let through). */
	assert_int_equal(
	    compat_att_add(&m, "x", "image/;png", NULL, "", 0, "f", &e), -1);
	assert_string_equal(e.field, "f");
	assert_int_equal(compat_att_add(&m, "x", "/png", NULL, "", 0, "f", &e),
	                 -1);
	assert_int_equal(
	    compat_att_add(&m, "x", "image/png/x", NULL, "", 0, "f", &e), -1);
	assert_int_equal(compat_att_add(&m, "x", NULL, "a b", "", 0, "f", &e),
	                 -1);
	assert_int_equal(compat_field_add(&m, "X-Ok", "v", "h", &e), 0);
	assert_int_equal(compat_field_add(&m, "From", "v", "h", &e), -1);
	assert_int_equal(compat_field_add(&m, "X-Bad", "a\nb", "h", &e), -1);
	mime_build_msg_fini(&m);
}

static void
ses_v2_simple_maps_every_part(void **state)
{
	static const char body[] =
	    "{\"FromEmailAddress\":\"Alice <a@example.com>\","
	    "\"Destination\":{\"ToAddresses\":[\"b@example.net\"],"
	    "\"CcAddresses\":[\"c@example.net\"],"
	    "\"BccAddresses\":[\"d@example.net\"]},"
	    "\"ReplyToAddresses\":[\"r@example.com\"],"
	    "\"ConfigurationSetName\":\"ignored\","
	    "\"Content\":{\"Simple\":{\"Subject\":{\"Data\":"
	    "\"Gr\\u00fc\\u00dfe\","
	    "\"Charset\":\"UTF-8\"},\"Body\":{\"Text\":{\"Data\":\"hi\\n\"},"
	    "\"Html\":{\"Data\":\"<img src=cid:l@x>\"}},"
	    "\"Headers\":[{\"Name\":\"X-Tag\",\"Value\":\"t\"}],"
	    "\"Attachments\":[{\"FileName\":\"r.pdf\",\"RawContent\":\"JVBERg=="
	    "\","
	    "\"ContentType\":\"application/pdf\"},{\"FileName\":\"l.png\","
	    "\"RawContent\":\"" PNG_B64 "\",\"ContentType\":\"image/png\","
	    "\"ContentDisposition\":\"INLINE\",\"ContentId\":\"l@x\"}]}}}";
	struct compat_raw_req raw;
	struct api_error e;
	struct api_msg m;

	(void)state;
	assert_int_equal(compat_ses_v2_decode(S(body), &m, &raw, &e), 0);
	assert_null(raw.data);
	assert_string_equal(m.mail.from.addr, "a@example.com");
	assert_string_equal(m.mail.from.name, "Alice");
	assert_int_equal(m.mail.n_to, 1);
	assert_int_equal(m.mail.n_cc, 1);
	assert_int_equal(m.n_bcc, 1);
	assert_string_equal(m.mail.reply_to[0].addr, "r@example.com");
	assert_string_equal(m.mail.subject, "Gr\xc3\xbc\xc3\x9f"
	                                    "e");
	assert_int_equal(m.mail.text_len, 3);
	assert_string_equal(m.mail.html, "<img src=cid:l@x>");
	assert_string_equal(m.mail.fields[0].name, "X-Tag");
	assert_int_equal(m.mail.n_atts, 2);
	assert_memory_equal(m.mail.atts[0].data, "%PDF", 4);
	assert_null(m.mail.atts[0].content_id);
	assert_string_equal(m.mail.atts[1].content_id, "l@x");
	api_msg_fini(&m);
}

static void
ses_v2_raw_takes_the_destination_as_envelope(void **state)
{
	static const char body[] =
	    "{\"FromEmailAddress\":\"a@example.com\",\"Destination\":"
	    "{\"ToAddresses\":[\"b@example.net\"],\"BccAddresses\":"
	    "[\"c@example.net\"]},\"Content\":{\"Raw\":{\"Data\":"
	    "\"RnJvbTogYUBleGFtcGxlLmNvbQ0KDQpoaQ0K\"}}}";
	struct compat_raw_req raw;
	struct api_error e;
	struct api_msg m;

	(void)state;
	assert_int_equal(compat_ses_v2_decode(S(body), &m, &raw, &e), 0);
	assert_non_null(raw.data);
	assert_memory_equal(raw.data, "From: a@example.com\r\n\r\nhi\r\n",
	                    raw.len);
	assert_string_equal(raw.env_from, "a@example.com");
	assert_int_equal(raw.n_env_to, 2);
	assert_string_equal(raw.env_to[1], "c@example.net");
	api_msg_fini(&m);
	compat_raw_req_fini(&raw);
}

static void
ses_v2_refusals_name_the_field(void **state)
{
	static const struct {
		const char *body, *code, *field;
	} cases[] = {
	    {"{", "invalid_json", ""},
	    {"[]", "invalid_json", ""},
	    {"{\"FromEmailAddress\":\"a@example.com\"}", "missing_field",
	     "Content"},
	    {"{\"Content\":{\"Template\":{}}}", "missing_field",
	     "Content.Template.TemplateName"},
	    {"{\"Content\":{\"Raw\":{\"Data\":\"!!\"}}}", "invalid_field",
	     "Content.Raw.Data"},
	    {"{\"Content\":{\"Raw\":{}}}", "missing_field", "Content.Raw.Data"},
	    {"{\"Content\":{\"Simple\":{\"Subject\":{\"Data\":\"a\\r\\nBcc: "
	     "x\"}}}}",
	     "invalid_field", "Content.Simple.Subject.Data"},
	    {"{\"Destination\":{\"ToAddresses\":[\"nope\"]},\"Content\":{}}",
	     "invalid_field", "Destination.ToAddresses[0]"},
	    {"{\"FromEmailAddress\":1,\"Content\":{}}", "invalid_field",
	     "FromEmailAddress"},
	    {"{\"a\":1,\"a\":2}", "invalid_json", ""},
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
		assert_string_equal(e.code, cases[i].code);
		assert_string_equal(e.field, cases[i].field);
		assert_int_equal(e.http_status, 400);
	}
}

static void
ses_v1_send_email_reads_members_in_order(void **state)
{
	char body[] = "Action=SendEmail&Version=2010-12-01&Source=Alice+%3C"
	              "a%40example.com%3E&Destination.ToAddresses.member.1=b%40"
	              "example.net&Destination.ToAddresses.member.2=c%40example"
	              ".net&Destination.BccAddresses.member.1=d%40example.net&"
	              "Message.Subject.Data=Gr%C3%BC%C3%9Fe&Message.Subject."
	              "Charset=UTF-8&Message.Body.Text.Data=hi&Message.Body."
	              "Html.Data=%3Cp%3Ehi%3C%2Fp%3E&ReplyToAddresses.member.1="
	              "r%40example.com&Tags.member.1.Name=x&Tags.member.1."
	              "Value=y";
	enum compat_ses_action act;
	struct compat_raw_req raw;
	struct api_error e;
	struct api_msg m;
	char name[64];

	(void)state;
	assert_int_equal(
	    compat_ses_v1_decode(body, strlen(body), &act, name, &m, &raw, &e),
	    0);
	assert_int_equal(act, COMPAT_SES_SEND_EMAIL);
	assert_string_equal(name, "SendEmail");
	assert_string_equal(m.mail.from.addr, "a@example.com");
	assert_string_equal(m.mail.from.name, "Alice");
	assert_int_equal(m.mail.n_to, 2);
	assert_string_equal(m.mail.to[1].addr, "c@example.net");
	assert_int_equal(m.n_bcc, 1);
	assert_string_equal(m.mail.subject, "Gr\xc3\xbc\xc3\x9f"
	                                    "e");
	assert_string_equal(m.mail.text, "hi");
	assert_string_equal(m.mail.html, "<p>hi</p>");
	assert_int_equal(m.mail.n_reply_to, 1);
	assert_int_equal(m.meta.n_tags, 1);
	assert_string_equal(m.meta.tags[0].value, "y");
	api_msg_fini(&m);
}

static void
ses_v1_send_raw_email_decodes_the_message(void **state)
{
	char body[] =
	    "Action=SendRawEmail&Version=2010-12-01&RawMessage.Data="
	    "RnJvbTogYUBleGFtcGxlLmNvbQ0KVG86IGJAZXhhbXBsZS5uZXQNClN1"
	    "YmplY3Q6IGhpDQoNCmhlbGxvDQo%3D&Destinations.member.1=x%40"
	    "example.net&Source=a%40example.com";
	enum compat_ses_action act;
	struct compat_raw_req raw;
	struct api_error e;
	struct api_msg m;
	char name[64];

	(void)state;
	assert_int_equal(
	    compat_ses_v1_decode(body, strlen(body), &act, name, &m, &raw, &e),
	    0);
	assert_int_equal(act, COMPAT_SES_SEND_RAW_EMAIL);
	assert_int_equal(raw.len, 62);
	assert_memory_equal(raw.data,
	                    "From: a@example.com\r\nTo: b@example.net"
	                    "\r\nSubject: hi\r\n\r\nhello\r\n",
	                    62);
	assert_string_equal(raw.env_from, "a@example.com");
	assert_int_equal(raw.n_env_to, 1);
	assert_string_equal(raw.env_to[0], "x@example.net");
	compat_raw_req_fini(&raw);
	api_msg_fini(&m);
}

static void
ses_v1_refusals(void **state)
{
	static const struct {
		const char *body, *code, *field;
	} cases[] = {
	    {"Version=2010-12-01", "missing_action", "Action"},
	    {"Action=GetSendQuota", "invalid_action", "Action"},
	    {"Action=SendEmail&Message.Subject.Data=x", "missing_field",
	     "Source"},
	    {"Action=SendEmail&Source=a%40example.com", "missing_field",
	     "Message.Subject.Data"},
	    {"Action=SendEmail&Source=a%40example.com&Message.Subject.Data=a"
	     "%0d%0aBcc:x",
	     "invalid_field", "Message.Subject.Data"},
	    {"Action=SendEmail&Source=nope&Message.Subject.Data=x",
	     "invalid_field", "Source"},
	    {"Action=SendEmail&Source=a%40example.com&Message.Subject.Data=x&"
	     "Destination.ToAddresses.member.1=bad",
	     "invalid_field", "Destination.ToAddresses"},
	    {"Action=SendRawEmail", "missing_field", "RawMessage.Data"},
	    {"Action=SendRawEmail&RawMessage.Data=%%", "invalid_field", ""},
	    {"Action=SendRawEmail&RawMessage.Data=***", "invalid_field",
	     "RawMessage.Data"},
	};
	enum compat_ses_action act;
	struct compat_raw_req raw;
	struct api_error e;
	struct api_msg m;
	char name[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *b = xstrdup(cases[i].body);
		memset(&e, 0, sizeof(e));
		if (compat_ses_v1_decode(b, strlen(b), &act, name, &m, &raw,
		                         &e) != -1)
			fail_msg("case %zu accepted", i);
		assert_string_equal(e.code, cases[i].code);
		assert_string_equal(e.field, cases[i].field);
		free(b);
	}
}

/* pm - decode a Postmark object from JSON text. */
static int
pm(const char *text, struct api_msg *m, struct api_error *e)
{
	json_t *j = json_loads(text, 0, NULL);
	int rc;

	assert_non_null(j);
	memset(e, 0, sizeof(*e));
	rc = compat_postmark_msg_decode(j, m, e);
	json_decref(j);
	return rc;
}

static void
postmark_comma_lists_and_content_ids(void **state)
{
	struct api_error e;
	struct api_msg m;

	(void)state;
	assert_int_equal(
	    pm("{\"From\":\"A <a@example.com>\",\"To\":\"b@example"
	       ".net, \\\"C, D\\\" <c@example.net>\",\"Cc\":\"e@example.net\","
	       "\"Bcc\":\"f@example.net\",\"ReplyTo\":\"r@example.com\","
	       "\"Subject\":\"s\",\"TextBody\":\"t\",\"HtmlBody\":\"h\","
	       "\"Headers\":[{\"Name\":\"X-A\",\"Value\":\"1\"}],"
	       "\"Attachments\":"
	       "[{\"Name\":\"l.png\",\"Content\":\"" PNG_B64
	       "\",\"ContentType\":"
	       "\"image/png\",\"ContentID\":\"cid:l@x\"}],\"MessageStream\":"
	       "\"outbound\",\"Metadata\":{\"k\":\"v\"},\"Tag\":\"t\"}",
	       &m, &e),
	    0);
	assert_string_equal(m.mail.from.name, "A");
	assert_int_equal(m.mail.n_to, 2);
	assert_string_equal(m.mail.to[1].name, "C, D");
	assert_int_equal(m.mail.n_cc, 1);
	assert_int_equal(m.n_bcc, 1);
	assert_int_equal(m.mail.n_reply_to, 1);
	assert_string_equal(m.mail.atts[0].content_id, "l@x");
	assert_string_equal(m.mail.fields[0].value, "1");
	api_msg_fini(&m);

	assert_int_equal(pm("{\"From\":\"a@example.com\",\"To\":\"b@example.net"
	                    "\",\"Subject\":\"s\"}",
	                    &m, &e),
	                 -1);
	assert_string_equal(e.field, "TextBody");
	assert_int_equal(e.http_status, 422);
	assert_int_equal(pm("{\"From\":\"a@example.com, b@example.com\",\"To\":"
	                    "\"b@example.net\",\"TextBody\":\"t\"}",
	                    &m, &e),
	                 -1);
	assert_string_equal(e.field, "From");
	assert_int_equal(pm("{\"From\":\"a@example.com\",\"To\":\"not an "
	                    "address\",\"TextBody\":\"t\"}",
	                    &m, &e),
	                 -1);
	assert_string_equal(e.field, "To");
	assert_int_equal(
	    pm("{\"From\":\"a@example.com\",\"TextBody\":\"t\"}", &m, &e), -1);
	assert_string_equal(e.code, "missing_field");
	assert_int_equal(pm("[1]", &m, &e), -1);
	assert_string_equal(e.code, "invalid_json");
}

static void
resend_recipients_attachments_and_payload_hash(void **state)
{
	static const char a[] =
	    "{\"from\":\"A <a@example.com>\",\"to\":\"b@example.net\",\"cc\":"
	    "[\"c@example.net\"],\"reply_to\":\"r@example.com\",\"subject\":"
	    "\"s\",\"html\":\"<p>h</p>\",\"headers\":{\"X-E\":\"1\"},"
	    "\"attachments\":[{\"filename\":\"l.png\",\"content\":\"" PNG_B64
	    "\",\"content_type\":\"image/png\",\"content_id\":\"l@x\"}],"
	    "\"tags\":[{\"name\":\"n\",\"value\":\"v\"}]}";
	static const char b[] = "{\"from\":\"a@example.com\",\"to\":[\"b@examp"
	                        "le.net\"],\"subject\":\"s\",\"text\":\"t\"}";
	struct api_error e;
	struct api_msg m, m2;

	(void)state;
	assert_int_equal(compat_resend_decode(S(a), RS_NOW, &m, &e), 0);
	assert_int_equal(m.mail.n_to, 1);
	assert_int_equal(m.mail.n_cc, 1);
	assert_string_equal(m.mail.atts[0].content_id, "l@x");
	assert_string_equal(m.mail.fields[0].name, "X-E");
	assert_int_equal(strlen(m.payload_sha256), 64);
	assert_int_equal(compat_resend_decode(S(b), RS_NOW, &m2, &e), 0);
	assert_string_not_equal(m.payload_sha256, m2.payload_sha256);
	api_msg_fini(&m);
	api_msg_fini(&m2);
	assert_int_equal(compat_resend_decode(S(b), RS_NOW, &m, &e), 0);
	assert_int_equal(compat_resend_decode(S(b), RS_NOW, &m2, &e), 0);
	assert_string_equal(m.payload_sha256, m2.payload_sha256);
	api_msg_fini(&m);
	api_msg_fini(&m2);

	assert_int_equal(compat_resend_decode(S("{\"to\":\"b@example.net\"}"),
	                                      RS_NOW, &m, &e),
	                 -1);
	assert_string_equal(e.field, "from");
	assert_int_equal(e.http_status, 422);
	assert_int_equal(
	    compat_resend_decode(S("{\"from\":\"a@example.com\","
	                           "\"to\":\"b@example.net\",\"text\":\"t\"}"),
	                         RS_NOW, &m, &e),
	    -1);
	assert_string_equal(e.field, "subject");
	assert_int_equal(
	    compat_resend_decode(
	        S("{\"from\":\"a@example.com\","
	          "\"to\":\"b@example.net\",\"subject\":\"s\",\"text\":\"t\","
	          "\"scheduled_at\":\"when pigs fly\"}"),
	        RS_NOW, &m, &e),
	    -1);
	assert_string_equal(e.field, "scheduled_at");
	assert_int_equal(
	    compat_resend_decode(
	        S("{\"from\":\"a@example.com\","
	          "\"to\":\"b@example.net\",\"subject\":\"s\",\"text\":\"t\","
	          "\"attachments\":[{\"path\":\"https://x/y\"}]}"),
	        RS_NOW, &m, &e),
	    -1);
	assert_int_equal(compat_resend_decode(S("nope"), RS_NOW, &m, &e), -1);
	assert_int_equal(e.http_status, 422);
}

static void
mailgun_form_maps_files_inline_and_headers(void **state)
{
	static const char body[] =
	    "--b\r\nContent-Disposition: form-data; name=\"from\"\r\n\r\n"
	    "A <a@example.com>\r\n"
	    "--b\r\nContent-Disposition: form-data; name=\"to\"\r\n\r\n"
	    "b@example.net, c@example.net\r\n"
	    "--b\r\nContent-Disposition: form-data; name=\"to\"\r\n\r\n"
	    "d@example.net\r\n"
	    "--b\r\nContent-Disposition: form-data; name=\"subject\"\r\n\r\n"
	    "s\r\n"
	    "--b\r\nContent-Disposition: form-data; name=\"html\"\r\n\r\n"
	    "<img src=cid:l.png>\r\n"
	    "--b\r\nContent-Disposition: form-data; name=\"h:Reply-To\"\r\n\r\n"
	    "r@example.com\r\n"
	    "--b\r\nContent-Disposition: form-data; name=\"h:X-Ref\"\r\n\r\n"
	    "42\r\n"
	    "--b\r\nContent-Disposition: form-data; name=\"o:tag\"\r\n\r\n"
	    "t\r\n"
	    "--b\r\nContent-Disposition: form-data; name=\"attachment\"; "
	    "filename=\"r.pdf\"\r\nContent-Type: application/pdf\r\n\r\n"
	    "%PDF\r\n"
	    "--b\r\nContent-Disposition: form-data; name=\"inline\"; "
	    "filename=\"l.png\"\r\nContent-Type: image/png\r\n\r\n"
	    "\x89PNG\r\n"
	    "--b--\r\n";
	struct str bs = STR_LIT("b");
	struct api_error e;
	struct api_msg m;
	struct form fm;
	const char *why;

	(void)state;
	form_init(&fm);
	assert_int_equal(form_multipart_parse(S(body), bs, &fm, &why), 0);
	assert_int_equal(compat_mailgun_decode(&fm, 1700000000, &m, &e), 0);
	assert_string_equal(m.mail.from.addr, "a@example.com");
	assert_int_equal(m.mail.n_to, 3);
	assert_string_equal(m.mail.subject, "s");
	assert_null(m.mail.text);
	assert_string_equal(m.mail.reply_to[0].addr, "r@example.com");
	assert_int_equal(m.mail.n_fields, 1);
	assert_string_equal(m.mail.fields[0].name, "X-Ref");
	assert_int_equal(m.mail.n_atts, 2);
	assert_null(m.mail.atts[0].content_id);
	assert_string_equal(m.mail.atts[1].content_id, "l.png");
	assert_memory_equal(m.mail.atts[1].data, "\x89PNG", 4);
	api_msg_fini(&m);
	form_fini(&fm);
}

static void
mailgun_refusals(void **state)
{
	static const struct {
		const char *body, *code, *field;
	} cases[] = {
	    {"to=b%40example.net&text=t", "missing_field", "from"},
	    {"from=a%40example.com&text=t", "missing_field", "to"},
	    {"from=a%40example.com&to=b%40example.net", "missing_field",
	     "text"},
	    {"from=a%40example.com&to=nope&text=t", "invalid_field", "to"},
	    /* a template gives the content (issue 19) */
	    {"from=a%40example.com&to=b%40example.net&template=x&text=t",
	     "invalid_field", "template"},
	    {"from=a%40example.com&to=b%40example.net&text=t&h:From=x",
	     "invalid_field", "h:"},
	    {"from=a%40example.com&to=b%40example.net&text=t&subject=a%0d%0ab",
	     "invalid_field", "subject"},
	    {"from=a%40example.com&to=b%40example.net&text=t&o:testmode=maybe",
	     "invalid_field", "o:testmode"},
	};
	struct api_error e;
	struct api_msg m;
	struct form fm;
	const char *why;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *b = xstrdup(cases[i].body);
		form_init(&fm);
		assert_int_equal(form_urlencoded_parse(b, strlen(b), &fm, &why),
		                 0);
		memset(&e, 0, sizeof(e));
		if (compat_mailgun_decode(&fm, 1700000000, &m, &e) != -1)
			fail_msg("case %zu accepted", i);
		assert_string_equal(e.code, cases[i].code);
		assert_string_equal(e.field, cases[i].field);
		form_fini(&fm);
		free(b);
	}
}

/* An empty field whose value view is {NULL, 0} (what a multipart parse
 * that stopped inside a part leaves) is an empty field, not a crash:
 * fuzz_form found memchr called on the NULL pointer. */
static void
mailgun_empty_field_with_null_view_is_missing(void **state)
{
	static const char *const names[] = {"from", "to", "cc", "bcc"};
	struct form_field f[4];
	struct form fm;
	struct api_error e;
	struct api_msg m;
	size_t i, k;

	(void)state;
	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		memset(f, 0, sizeof(f));
		f[0].name = (struct str){"from", 4};
		f[0].value = (struct str){"a@example.com", 13};
		f[1].name = (struct str){"to", 2};
		f[1].value = (struct str){"b@example.net", 13};
		f[2].name = (struct str){"text", 4};
		f[2].value = (struct str){"t", 1};
		for (i = 0; i < 3; i++)
			if (form_str_eq(f[i].name, names[k]))
				f[i].value = (struct str){NULL, 0};
		f[3].name = (struct str){names[k], strlen(names[k])};
		fm.f = f;
		fm.n = 4;
		fm.cap = 4;
		memset(&e, 0, sizeof(e));
		if (compat_mailgun_decode(&fm, 1700000000, &m, &e) == 0) {
			/* An empty cc or bcc names nobody: still valid. */
			assert_true(k >= 2);
			api_msg_fini(&m);
			continue;
		}
		assert_string_equal(e.code, "missing_field");
		assert_string_equal(e.field, names[k]);
	}
}

static void
decoded_messages_build_as_mime(void **state)
{
	static const char body[] =
	    "{\"from\":\"a@example.com\",\"to\":\"b@example.net\",\"subject\":"
	    "\"Gr\\u00fc\\u00dfe\",\"text\":\"t\",\"html\":\"<img "
	    "src=cid:l@x>\","
	    "\"attachments\":[{\"filename\":\"l.png\",\"content\":\"" PNG_B64
	    "\",\"content_type\":\"image/png\",\"content_id\":\"l@x\"}]}";
	struct mime_build_opts o = {"LOCAL", NULL, 1700000000};
	struct api_error e;
	struct api_msg m;
	const char *why;
	struct buf out;

	(void)state;
	assert_int_equal(compat_resend_decode(S(body), RS_NOW, &m, &e), 0);
	buf_init(&out);
	assert_int_equal(mime_build(&m.mail, &o, &out, &why), 0);
	assert_non_null(strstr(buf_cstr(&out), "Subject: =?UTF-8?B?"));
	assert_non_null(strstr(buf_cstr(&out), "multipart/related"));
	assert_non_null(strstr(buf_cstr(&out), "Content-ID: <l@x>"));
	buf_fini(&out);
	api_msg_fini(&m);
}

static void
ses_compat_config_loads_and_checks(void **state)
{
	char err[CONFIG_ERR_SIZE], yaml[512];
	struct config *c;
	FILE *f = fopen("/tmp/test_compat.secret", "w");

	(void)state;
	assert_non_null(f);
	fputs("s3cret/KEY\n", f);
	fclose(f);
	snprintf(
	    yaml, sizeof(yaml),
	    "ses_compat:\n  credentials:\n"
	    "    - {access_key_id: AKIDEXAMPLE00001, secret_access_key_file: "
	    "/tmp/test_compat.secret, tenant: web, from_domains: "
	    "[Example.COM]}\n    - {access_key_id: AKIDEXAMPLE00002, "
	    "secret_access_key_file: /tmp/test_compat.secret, from_domains: "
	    "[\"*\"]}\n");
	c = config_load_buf(yaml, strlen(yaml), "t.yaml", err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(c->n_ses_compat_credentials, 2);
	assert_string_equal(c->ses_compat_credentials[0].secret_access_key,
	                    "s3cret/KEY");
	assert_string_equal(c->ses_compat_credentials[0].from_domains[0],
	                    "example.com");
	assert_string_equal(c->ses_compat_credentials[1].tenant,
	                    "akidexample00002");
	config_free(c);

	snprintf(yaml, sizeof(yaml),
	         "ses_compat:\n  credentials:\n"
	         "    - {access_key_id: short, secret_access_key_file: "
	         "/tmp/test_compat.secret, from_domains: [x.org]}\n");
	assert_null(
	    config_load_buf(yaml, strlen(yaml), "t.yaml", err, sizeof(err)));
	assert_non_null(strstr(err, "access_key_id"));
	snprintf(
	    yaml, sizeof(yaml),
	    "ses_compat:\n  credentials:\n"
	    "    - {access_key_id: AKIDEXAMPLE00001, from_domains: [x.org]}\n");
	assert_null(
	    config_load_buf(yaml, strlen(yaml), "t.yaml", err, sizeof(err)));
	snprintf(
	    yaml, sizeof(yaml),
	    "ses_compat:\n  credentials:\n"
	    "    - {access_key_id: AKIDEXAMPLE00001, secret_access_key_file: "
	    "/tmp/test_compat.secret, from_domains: [x.org]}\n"
	    "    - {access_key_id: AKIDEXAMPLE00001, secret_access_key_file: "
	    "/tmp/test_compat.secret, from_domains: [x.org]}\n");
	assert_null(
	    config_load_buf(yaml, strlen(yaml), "t.yaml", err, sizeof(err)));
	assert_non_null(strstr(err, "same access key id"));
	remove("/tmp/test_compat.secret");
}

/* err - a generic error. */
static struct api_error
err(const char *code, int status)
{
	struct api_error e;

	api_error_set(&e, status, code, "from", "msg <&>");
	return e;
}

/* body_json - the answer's body parsed (caller decrefs). */
static json_t *
body_json(struct compat_answer *a)
{
	json_t *j = json_loadb(a->body.p, a->body.len, 0, NULL);

	assert_non_null(j);
	assert_string_equal(a->ctype, "application/json");
	return j;
}

static void
ses_answers_use_ses_codes_and_envelopes(void **state)
{
	static const struct {
		const char *code;
		int status;
		const char *v2, *v1;
	} cases[] = {
	    {"unauthorized", 403, "UnrecognizedClientException",
	     "InvalidClientTokenId"},
	    {"missing_auth", 403, "MissingAuthenticationTokenException",
	     "MissingAuthenticationToken"},
	    {"signature", 403, "InvalidSignatureException",
	     "SignatureDoesNotMatch"},
	    {"skewed", 403, "InvalidSignatureException",
	     "SignatureDoesNotMatch"},
	    {"forbidden", 400, "MessageRejected", "MessageRejected"},
	    {"invalid_field", 400, "BadRequestException",
	     "InvalidParameterValue"},
	    {"missing_field", 400, "BadRequestException", "ValidationError"},
	    {"invalid_action", 400, "UnknownOperationException",
	     "InvalidAction"},
	    {"unavailable", 503, "ServiceUnavailable", "ServiceUnavailable"},
	};
	struct compat_answer a;
	struct api_error e;
	char want[128];
	size_t i;
	json_t *j;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		e = err(cases[i].code, 400);
		e.field[0] = '\0';
		compat_ses_v2_error_render(&e, &a);
		assert_int_equal(a.status, cases[i].status);
		assert_string_equal(a.error_type, cases[i].v2);
		j = body_json(&a);
		assert_string_equal(
		    json_string_value(json_object_get(j, "message")),
		    "msg <&>");
		json_decref(j);
		buf_fini(&a.body);

		compat_ses_v1_error_render(&e, "RID", &a);
		assert_int_equal(a.status, cases[i].status);
		assert_string_equal(a.ctype, "text/xml");
		assert_null(a.error_type);
		snprintf(want, sizeof(want), "<Code>%s</Code>", cases[i].v1);
		assert_non_null(strstr(buf_cstr(&a.body), want));
		assert_non_null(
		    strstr(buf_cstr(&a.body), cases[i].status == 503
		                                  ? "<Type>Receiver</Type>"
		                                  : "<Type>Sender</Type>"));
		assert_non_null(strstr(buf_cstr(&a.body),
		                       "<Message>msg &lt;&amp;&gt;</Message>"));
		assert_non_null(
		    strstr(buf_cstr(&a.body), "<RequestId>RID</RequestId>"));
		buf_fini(&a.body);
	}
	/* SES bodies carry only a message: it names the field. */
	e = err("invalid_field", 400);
	compat_ses_v2_error_render(&e, &a);
	j = body_json(&a);
	assert_string_equal(json_string_value(json_object_get(j, "message")),
	                    "from: msg <&>");
	json_decref(j);
	buf_fini(&a.body);
	compat_ses_v1_error_render(&e, "RID", &a);
	assert_non_null(strstr(buf_cstr(&a.body),
	                       "<Message>from: msg &lt;&amp;&gt;</Message>"));
	buf_fini(&a.body);
	compat_ses_v1_ok_render(1, "ID1", "RID", &a);
	assert_int_equal(a.status, 200);
	assert_non_null(
	    strstr(buf_cstr(&a.body),
	           "<SendRawEmailResponse xmlns="
	           "\"http://ses.amazonaws.com/doc/2010-12-01/\">"));
	assert_non_null(strstr(buf_cstr(&a.body),
	                       "<SendRawEmailResult>\n    "
	                       "<MessageId>ID1</MessageId>"));
	buf_fini(&a.body);
	compat_ses_v1_ok_render(0, "ID2", "RID", &a);
	assert_non_null(strstr(buf_cstr(&a.body), "</SendEmailResponse>"));
	buf_fini(&a.body);
}

static void
sendgrid_postmark_resend_mailgun_error_shapes(void **state)
{
	struct compat_answer a;
	struct api_error e;
	json_t *j, *x;

	(void)state;
	e = err("forbidden", 403);
	compat_sendgrid_error_render(&e, &a);
	assert_int_equal(a.status, 403);
	j = body_json(&a);
	x = json_array_get(json_object_get(j, "errors"), 0);
	assert_string_equal(json_string_value(json_object_get(x, "field")),
	                    "from");
	assert_true(json_is_null(json_object_get(x, "help")));
	json_decref(j);
	buf_fini(&a.body);
	e = err("unauthorized", 401);
	compat_sendgrid_error_render(&e, &a);
	assert_int_equal(a.status, 401);
	buf_fini(&a.body);
	e = err("invalid_field", 422);
	compat_sendgrid_error_render(&e, &a);
	assert_int_equal(a.status, 400);
	buf_fini(&a.body);

	e = err("unauthorized", 401);
	compat_postmark_error_render(&e, &a);
	assert_int_equal(a.status, 401);
	j = body_json(&a);
	assert_int_equal(json_integer_value(json_object_get(j, "ErrorCode")),
	                 10);
	json_decref(j);
	buf_fini(&a.body);
	e = err("forbidden", 403);
	compat_postmark_error_render(&e, &a);
	assert_int_equal(a.status, 422);
	j = body_json(&a);
	assert_int_equal(json_integer_value(json_object_get(j, "ErrorCode")),
	                 400);
	json_decref(j);
	buf_fini(&a.body);
	e = err("invalid_json", 400);
	compat_postmark_error_render(&e, &a);
	j = body_json(&a);
	assert_int_equal(json_integer_value(json_object_get(j, "ErrorCode")),
	                 402);
	json_decref(j);
	buf_fini(&a.body);

	e = err("conflict", 409);
	compat_resend_error_render(&e, &a);
	assert_int_equal(a.status, 409);
	j = body_json(&a);
	assert_string_equal(json_string_value(json_object_get(j, "name")),
	                    "invalid_idempotent_request");
	assert_int_equal(json_integer_value(json_object_get(j, "statusCode")),
	                 409);
	json_decref(j);
	buf_fini(&a.body);
	e = err("missing_auth", 401);
	compat_resend_error_render(&e, &a);
	assert_int_equal(a.status, 401);
	j = body_json(&a);
	assert_string_equal(json_string_value(json_object_get(j, "name")),
	                    "missing_api_key");
	json_decref(j);
	buf_fini(&a.body);
	e = err("invalid_field", 400);
	compat_resend_error_render(&e, &a);
	assert_int_equal(a.status, 422);
	buf_fini(&a.body);

	e = err("unauthorized", 401);
	compat_mailgun_error_render(&e, &a);
	assert_int_equal(a.status, 401);
	assert_string_equal(a.ctype, "text/plain");
	assert_string_equal(buf_cstr(&a.body), "Forbidden");
	buf_fini(&a.body);
	e = err("unavailable", 503);
	compat_mailgun_error_render(&e, &a);
	assert_int_equal(a.status, 503);
	j = body_json(&a);
	assert_string_equal(json_string_value(json_object_get(j, "message")),
	                    "msg <&>");
	json_decref(j);
	buf_fini(&a.body);
}

/* ctl_check - msg through compat_msg_prepare: stream bulk, key k-1, and
 * no control field left in the message. */
static void
ctl_check(struct api_msg *msg)
{
	static struct config_stream st[] = {{.name = "transactional"},
	                                    {.name = "bulk"}};
	static char *doms[] = {"example.com"};
	static const struct config_api_key k = {.name = "k",
	                                        .tenant = "t",
	                                        .from_domains = doms,
	                                        .n_from_domains = 1};
	struct config cfg = {.max_message_size = 100000,
	                     .max_recipients = 10,
	                     .streams = st,
	                     .n_streams = 2};
	struct compat c = {.cfg = &cfg};
	struct spool_msg_new m;
	struct api_error e;

	assert_int_equal(compat_msg_prepare(&c, &k, msg, "c:1", &m, &e), 0);
	assert_string_equal(m.stream, "bulk");
	assert_string_equal(m.idempotency_key, "k-1");
	assert_non_null(m.idempotency_hash);
	buf_cstr(&m.body);
	assert_null(strcasestr(m.body.p, "X-Swerve"));
	spool_msg_new_fini(&m);
}

static void
every_dialect_honours_and_removes_control_headers(void **state)
{
	static const char sg[] =
	    "{\"personalizations\":[{\"to\":[{\"email\":\"b@example.net\"}]}],"
	    "\"from\":{\"email\":\"a@example.com\"},\"subject\":\"s\","
	    "\"headers\":{\"X-Swerve-Stream\":\"bulk\","
	    "\"X-Swerve-Idempotency-Key\":\"k-1\"},"
	    "\"content\":[{\"type\":\"text/plain\",\"value\":\"t\"}]}";
	static const char rs[] =
	    "{\"from\":\"a@example.com\",\"to\":\"b@example.net\","
	    "\"subject\":\"s\",\"text\":\"t\",\"headers\":{"
	    "\"x-swerve-stream\":\"bulk\","
	    "\"X-Swerve-Idempotency-Key\":\"k-1\"}}";
	static const char pm[] =
	    "{\"From\":\"a@example.com\",\"To\":\"b@example.net\","
	    "\"TextBody\":\"t\",\"Headers\":[{\"Name\":\"X-Swerve-Stream\","
	    "\"Value\":\"bulk\"},{\"Name\":\"X-Swerve-Idempotency-Key\","
	    "\"Value\":\"k-1\"}]}";
	struct api_msg *ms, msg;
	struct api_error e;
	json_t *j;
	size_t n;

	(void)state;
	assert_int_equal(compat_sendgrid_decode(S(sg), 0, &ms, &n, &e), 0);
	ctl_check(&ms[0]);
	compat_msgs_free(ms, n);
	assert_int_equal(compat_resend_decode(S(rs), RS_NOW, &msg, &e), 0);
	ctl_check(&msg);
	api_msg_fini(&msg);
	j = json_loads(pm, 0, NULL);
	assert_int_equal(compat_postmark_msg_decode(j, &msg, &e), 0);
	json_decref(j);
	ctl_check(&msg);
	api_msg_fini(&msg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(every_dialect_honours_and_removes_control_headers),
	    cmocka_unit_test(b64_decodes_with_whitespace_and_without_padding),
	    cmocka_unit_test(address_lists_split_outside_quotes),
	    cmocka_unit_test(attachments_normalise_type_and_content_id),
	    cmocka_unit_test(ses_v2_simple_maps_every_part),
	    cmocka_unit_test(ses_v2_raw_takes_the_destination_as_envelope),
	    cmocka_unit_test(ses_v2_refusals_name_the_field),
	    cmocka_unit_test(ses_v1_send_email_reads_members_in_order),
	    cmocka_unit_test(ses_v1_send_raw_email_decodes_the_message),
	    cmocka_unit_test(ses_v1_refusals),
	    cmocka_unit_test(postmark_comma_lists_and_content_ids),
	    cmocka_unit_test(resend_recipients_attachments_and_payload_hash),
	    cmocka_unit_test(mailgun_form_maps_files_inline_and_headers),
	    cmocka_unit_test(mailgun_refusals),
	    cmocka_unit_test(mailgun_empty_field_with_null_view_is_missing),
	    cmocka_unit_test(decoded_messages_build_as_mime),
	    cmocka_unit_test(ses_compat_config_loads_and_checks),
	    cmocka_unit_test(ses_answers_use_ses_codes_and_envelopes),
	    cmocka_unit_test(sendgrid_postmark_resend_mailgun_error_shapes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
