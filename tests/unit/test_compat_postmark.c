/*
 * test_compat_postmark.c - the Postmark drop-in's fields: Tag, Metadata
 * (Postmark's limits), MessageStream, TrackOpens and TrackLinks into
 * msg_meta; template fields and unknown fields refused naming them;
 * malformed values of each; the error shapes of /email and
 * /email/batch.
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

#define BASE                                                                   \
	"\"From\":\"a@example.com\",\"To\":\"b@example.net\",\"Subject\":"     \
	"\"s\",\"TextBody\":\"t\""

/* pm - decode a Postmark object from JSON text. */
static int
pm(const char *text, struct api_msg *m, struct api_error *e)
{
	json_t *j = json_loads(text, 0, NULL);
	int rc;

	if (j == NULL)
		fail_msg("not JSON: %s", text);
	memset(e, 0, sizeof(*e));
	rc = compat_postmark_msg_decode(j, m, e);
	json_decref(j);
	return rc;
}

static void
tag_metadata_stream_and_tracking_go_into_meta(void **state)
{
	struct api_error e;
	struct api_msg m;

	(void)state;
	assert_int_equal(
	    pm("{" BASE ",\"Tag\":\"welcome\",\"Metadata\":{\"color\":\"blue\","
	       "\"client-id\":\"12345\"},\"MessageStream\":\"broadcast\","
	       "\"TrackOpens\":true,\"TrackLinks\":\"HtmlOnly\","
	       "\"Headers\":[{\"Name\":\"X-Ref\",\"Value\":\"1\"}],"
	       "\"ReplyTo\":\"r@example.com\",\"Cc\":\"c@example.net\","
	       "\"Bcc\":\"d@example.net\"}",
	       &m, &e),
	    0);
	assert_int_equal(m.meta.n_tags, 1);
	assert_string_equal(m.meta.tags[0].name, "welcome");
	assert_null(m.meta.tags[0].value);
	assert_non_null(strstr(m.meta.metadata, "\"color\":\"blue\""));
	assert_non_null(strstr(m.meta.metadata, "\"client-id\":\"12345\""));
	assert_string_equal(m.meta.message_stream, "broadcast");
	assert_int_equal(m.meta.track_opens, MSG_TRACK_ON);
	assert_int_equal(m.meta.track_clicks, MSG_TRACK_ON);
	assert_int_equal(m.mail.n_fields, 1);
	assert_string_equal(m.mail.reply_to[0].addr, "r@example.com");
	assert_int_equal(m.n_bcc, 1);
	api_msg_fini(&m);

	/* Empty lists and nulls (what Symfony's bridge sends), None. */
	assert_int_equal(pm("{" BASE ",\"Tag\":\"\",\"Metadata\":null,"
	                    "\"TrackOpens\":false,\"TrackLinks\":\"None\","
	                    "\"HtmlBody\":null,\"MessageStream\":null}",
	                    &m, &e),
	                 0);
	assert_int_equal(m.meta.n_tags, 0);
	assert_null(m.meta.metadata);
	assert_null(m.meta.message_stream);
	assert_int_equal(m.meta.track_opens, MSG_TRACK_OFF);
	assert_int_equal(m.meta.track_clicks, MSG_TRACK_OFF);
	api_msg_fini(&m);

	/* Keys are read regardless of case, as Postmark reads them (the
	 * postmark gem sends ContentId). */
	assert_int_equal(
	    pm("{\"from\":\"a@example.com\",\"TO\":\"b@example.net\","
	       "\"subject\":\"s\",\"textBody\":\"t\",\"tag\":\"x\","
	       "\"headers\":[{\"name\":\"X-Ref\",\"value\":\"1\"}],"
	       "\"attachments\":[{\"name\":\"l.png\",\"content\":\"YQ==\","
	       "\"contentType\":\"image/png\",\"ContentId\":\"cid:l@x\"}]}",
	       &m, &e),
	    0);
	assert_string_equal(m.mail.from.addr, "a@example.com");
	assert_string_equal(m.mail.subject, "s");
	assert_string_equal(m.meta.tags[0].name, "x");
	assert_string_equal(m.mail.fields[0].name, "X-Ref");
	assert_string_equal(m.mail.atts[0].content_id, "l@x");
	api_msg_fini(&m);

	/* Nothing asked: nothing recorded. */
	assert_int_equal(pm("{" BASE "}", &m, &e), 0);
	assert_true(msg_meta_empty(&m.meta));
	api_msg_fini(&m);
}

static void
refusals_name_the_field(void **state)
{
	static const struct {
		const char *extra, *field;
	} cases[] = {
	    {",\"Tag\":7", "Tag"},
	    {",\"Tag\":\"a\\u0001b\"", "Tag"},
	    {",\"Metadata\":[]", "Metadata"},
	    {",\"Metadata\":{\"a\":1}", "Metadata"},
	    {",\"Metadata\":{\"a\":\"1\",\"A\":\"2\"}", "Metadata"},
	    {",\"Metadata\":{\"123456789012345678901\":\"x\"}", "Metadata"},
	    {",\"Metadata\":{\"\":\"x\"}", "Metadata"},
	    {",\"Metadata\":{\"a\":\"12345678901234567890123456789012345678901"
	     "234567890123456789012345678901234567890x\"}",
	     "Metadata"},
	    {",\"Metadata\":{\"a\":\"1\",\"b\":\"1\",\"c\":\"1\",\"d\":\"1\","
	     "\"e\":\"1\",\"f\":\"1\",\"g\":\"1\",\"h\":\"1\",\"i\":\"1\","
	     "\"j\":\"1\",\"k\":\"1\"}",
	     "Metadata"},
	    {",\"MessageStream\":5", "MessageStream"},
	    {",\"MessageStream\":\"\"", "MessageStream"},
	    {",\"MessageStream\":\"a b\"", "MessageStream"},
	    {",\"TrackOpens\":\"yes\"", "TrackOpens"},
	    {",\"TrackLinks\":\"Always\"", "TrackLinks"},
	    {",\"TrackLinks\":true", "TrackLinks"},
	    {",\"TemplateId\":12", "TemplateId"},
	    {",\"TemplateAlias\":\"welcome\"", "TemplateAlias"},
	    {",\"TemplateModel\":{}", "TemplateModel"},
	    {",\"InlineCss\":true", "InlineCss"},
	    {",\"Priority\":\"high\"", "Priority"},
	    {",\"Attachments\":[{\"Name\":\"a\",\"Content\":\"YQ==\","
	     "\"Disposition\":\"inline\"}]",
	     "Attachments[0]"},
	    {",\"Attachments\":[\"YQ==\"]", "Attachments[0]"},
	    {",\"tag\":\"a\",\"Tag\":\"b\"", "Tag"},
	    {",\"Headers\":[{\"Name\":\"X-A\",\"Value\":\"1\",\"Extra\":1}]",
	     "Headers"},
	};
	struct api_error e;
	struct api_msg m;
	char body[1024];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(body, sizeof(body), "{%s%s}", BASE, cases[i].extra);
		if (pm(body, &m, &e) != -1)
			fail_msg("case %zu (%s) accepted", i, cases[i].extra);
		assert_int_equal(e.http_status, 422);
		if (strcmp(e.field, cases[i].field) != 0)
			fail_msg("case %zu: field %s, not %s", i, e.field,
			         cases[i].field);
		if (strncmp(cases[i].field, "Attachments", 11) != 0 &&
		    strstr(e.message, cases[i].field) == NULL)
			fail_msg("case %zu: message '%s' does not name %s", i,
			         e.message, cases[i].field);
		/* A refused message keeps nothing. */
		assert_int_equal(m.meta.n_tags, 0);
		assert_null(m.meta.metadata);
		assert_null(m.meta.message_stream);
	}
}

static void
errors_are_postmark_codes(void **state)
{
	static const struct {
		const char *code;
		int status, error_code;
	} cases[] = {
	    {"invalid_field", 422, 300}, {"missing_field", 422, 300},
	    {"unauthorized", 401, 10},   {"forbidden", 422, 400},
	    {"invalid_json", 422, 402},  {"batch_too_large", 422, 410},
	    {"unavailable", 503, 100},   {"not_found", 404, 0},
	};
	struct compat_answer a;
	struct api_error e;
	char want[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		api_error_set(&e, 400, cases[i].code, "Tag", "why");
		compat_postmark_error_render(&e, &a);
		assert_int_equal(a.status, cases[i].status);
		snprintf(want, sizeof(want), "{\"ErrorCode\":%d,",
		         cases[i].error_code);
		buf_add(&a.body, "", 1);
		if (strncmp(a.body.p, want, strlen(want)) != 0)
			fail_msg("case %zu: %s", i, a.body.p);
		buf_fini(&a.body);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(tag_metadata_stream_and_tracking_go_into_meta),
	    cmocka_unit_test(refusals_name_the_field),
	    cmocka_unit_test(errors_are_postmark_codes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
