/*
 * test_compat_resend.c - the Resend decoders (compat_resend_msg.c):
 * attachment content in every form the SDKs send (base64, a Node
 * Buffer, a byte array, a Uint8Array's indexes), tags by Resend's rules,
 * scheduled_at (ISO 8601 with a zone, "in N units", 30 days at most),
 * batch items, PATCH bodies, a stored message as Resend's email object, and
 * every refusal naming its field.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ingress/compat.h"

#define S(x) x, strlen(x)
#define NOW ((time_t)1700000000) /* 2023-11-14T22:13:20Z */

/* An email with extra members. */
#define RS(extra)                                                              \
	"{\"from\":\"a@example.com\",\"to\":\"b@example.net\",\"subject\":"    \
	"\"s\",\"text\":\"t\"" extra "}"

static void
attachment_content_in_every_sdk_form(void **state)
{
	static const char body[] =
	    RS(",\"attachments\":["
	       "{\"filename\":\"a.pdf\",\"content\":\"JVBERg==\"},"
	       "{\"filename\":\"b.pdf\",\"content\":{\"type\":\"Buffer\","
	       "\"data\":[37,80,68,70,0,255]}},"
	       "{\"filename\":\"c.bin\",\"content\":[1,2,3]},"
	       "{\"filename\":\"d.bin\",\"content\":{\"0\":9,\"1\":8}},"
	       "{\"filename\":\"e.png\",\"content\":\"iVBORw0KGgo=\","
	       "\"content_type\":\"image/png\",\"content_id\":\"logo\"}]");
	struct api_error e;
	struct api_msg m;

	(void)state;
	if (compat_resend_decode(S(body), NOW, &m, &e) != 0)
		fail_msg("%s: %s", e.field, e.message);
	assert_int_equal(m.mail.n_atts, 5);
	assert_int_equal(m.mail.atts[0].len, 4);
	assert_memory_equal(m.mail.atts[0].data, "%PDF", 4);
	assert_int_equal(m.mail.atts[1].len, 6);
	assert_memory_equal(m.mail.atts[1].data, "%PDF\0\xff", 6);
	assert_memory_equal(m.mail.atts[2].data, "\1\2\3", 3);
	assert_memory_equal(m.mail.atts[3].data, "\t\b", 2);
	assert_string_equal(m.mail.atts[4].content_id, "logo");
	api_msg_fini(&m);
}

static void
tags_and_schedule_go_to_meta(void **state)
{
	static const struct {
		const char *when;
		int64_t at;
	} ok[] = {
	    {"2023-11-15T10:00:00Z", 1700042400},
	    {"2023-11-15T10:00:00.858Z", 1700042400},
	    {"2023-11-15T12:00:00+02:00", 1700042400},
	    {"2023-11-15 05:00:00-0500", 1700042400},
	    {"in 5 minutes", NOW + 300},
	    {"in 1 min", NOW + 60},
	    {"IN an Hour", NOW + 3600},
	    {"in 2 days", NOW + 2 * 86400},
	    {"in 30 days", NOW + 30 * 86400},
	    {"2020-01-01T00:00:00Z", 0}, /* past: at once */
	    {"now", 0},
	};
	struct api_error e;
	struct api_msg m;
	size_t i;

	(void)state;
	if (compat_resend_decode(
	        S(RS(",\"tags\":[{\"name\":\"category\",\"value\":"
	             "\"confirm_email\"},{\"name\":\"k-2\",\"value\":\"\"}]")),
	        NOW, &m, &e) != 0)
		fail_msg("%s: %s", e.field, e.message);
	assert_int_equal(m.meta.n_tags, 2);
	assert_string_equal(m.meta.tags[0].name, "category");
	assert_string_equal(m.meta.tags[0].value, "confirm_email");
	assert_int_equal(m.meta.send_at, 0);
	api_msg_fini(&m);
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int64_t at = -1;
		if (compat_resend_when(ok[i].when, NOW, &at, &e) != 0)
			fail_msg("%s: %s", ok[i].when, e.message);
		if (at != ok[i].at)
			fail_msg("%s: %lld", ok[i].when, (long long)at);
	}
	/* A time that has come sends at once; a future one is the send
	 * time. */
	assert_int_equal(compat_resend_decode(
	                     S(RS(",\"scheduled_at\":\"now\"")), NOW, &m, &e),
	                 0);
	assert_int_equal(m.meta.send_at, 0);
	api_msg_fini(&m);
	assert_int_equal(
	    compat_resend_decode(S(RS(",\"scheduled_at\":\"in 1 min\"")), NOW,
	                         &m, &e),
	    0);
	assert_int_equal(m.meta.send_at, NOW + 60);
	api_msg_fini(&m);
}

static void
refusals_name_the_field(void **state)
{
	static const struct {
		const char *body, *field;
	} cases[] = {
	    {RS(",\"attachments\":[{\"filename\":\"a\",\"path\":"
	        "\"https://example.com/a.pdf\"}]"),
	     "attachments[0]"},
	    {RS(",\"attachments\":[{\"filename\":\"a\"}]"), "attachments[0]"},
	    {RS(",\"attachments\":[{\"content\":[1,256]}]"), "attachments[0]"},
	    {RS(",\"attachments\":[{\"content\":{\"type\":\"Buffer\","
	        "\"data\":\"x\"}}]"),
	     "attachments[0]"},
	    {RS(",\"attachments\":[{\"content\":true}]"), "attachments[0]"},
	    {RS(",\"attachments\":[{\"content\":\"!!\"}]"), "attachments[0]"},
	    {RS(",\"attachments\":[{\"content\":\"aGk=\",\"size\":2}]"),
	     "attachments[0]"},
	    {RS(",\"attachments\":{}"), "attachments"},
	    {RS(",\"tags\":[{\"name\":\"a b\",\"value\":\"x\"}]"), "tags[0]"},
	    {RS(",\"tags\":[{\"name\":\"a\",\"value\":\"x.y\"}]"), "tags[0]"},
	    {RS(",\"tags\":[{\"value\":\"x\"}]"), "tags[0]"},
	    {RS(",\"tags\":[{\"name\":\"a\",\"value\":\"1\"},{\"name\":\"a\","
	        "\"value\":\"2\"}]"),
	     "tags[1]"},
	    {RS(",\"tags\":{\"a\":\"b\"}"), "tags"},
	    {RS(",\"scheduled_at\":\"tomorrow at 9am\""), "scheduled_at"},
	    {RS(",\"scheduled_at\":\"2023-11-15T10:00:00\""), "scheduled_at"},
	    {RS(",\"scheduled_at\":\"2023-02-30T10:00:00Z\""), "scheduled_at"},
	    {RS(",\"scheduled_at\":\"in 31 days\""), "scheduled_at"},
	    {RS(",\"scheduled_at\":\"in -5 minutes\""), "scheduled_at"},
	    {RS(",\"scheduled_at\":\"in 5 fortnights\""), "scheduled_at"},
	    {RS(",\"scheduled_at\":5"), "scheduled_at"},
	    {RS(",\"template\":{\"id\":\"t\"}"), "template"},
	    {RS(",\"react\":{}"), "react"},
	    {RS(",\"topic_id\":\"t\""), "topic_id"},
	    {RS(",\"headers\":{\"X-A\":1}"), "headers.X-A"},
	    {RS(",\"headers\":[]"), "headers"},
	    {RS(",\"surprise\":1"), ""},
	    {"{\"from\":\"a@example.com\",\"to\":\"b@example.net\","
	     "\"subject\":\"s\"}",
	     "html"},
	};
	struct api_error e;
	struct api_msg m;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&e, 0, sizeof(e));
		if (compat_resend_decode(S(cases[i].body), NOW, &m, &e) != -1)
			fail_msg("case %zu accepted", i);
		if (strcmp(e.field, cases[i].field) != 0)
			fail_msg("case %zu: field %s (%s)", i, e.field,
			         e.message);
		assert_int_equal(e.http_status, 422);
	}
	/* Absent and null are the same. */
	assert_int_equal(
	    compat_resend_decode(S(RS(",\"topic_id\":null,\"template\":null")),
	                         NOW, &m, &e),
	    0);
	api_msg_fini(&m);
}

static void
batch_items_and_updates(void **state)
{
	struct api_error e;
	struct api_msg m;
	int64_t at = -1;
	json_t *j;

	(void)state;
	/* A batch item takes what an email takes (Resend itself takes no
	 * attachments in a batch; swerve does not drop them). */
	j = json_loads(RS(",\"attachments\":[{\"content\":\"aGk=\"}]"), 0,
	               NULL);
	assert_int_equal(compat_resend_msg_decode(j, NOW, &m, &e), 0);
	assert_int_equal(m.mail.n_atts, 1);
	api_msg_fini(&m);
	json_decref(j);
	j = json_loads(RS(",\"tags\":[{\"name\":\"a\",\"value\":\"b\"}]"), 0,
	               NULL);
	assert_int_equal(compat_resend_msg_decode(j, NOW, &m, &e), 0);
	assert_int_equal(m.meta.n_tags, 1);
	api_msg_fini(&m);
	json_decref(j);

	assert_int_equal(
	    compat_resend_update_decode(S("{\"scheduled_at\":\"in 1 hour\"}"),
	                                NOW, &at, &e),
	    0);
	assert_int_equal(at, NOW + 3600);
	assert_int_equal(compat_resend_update_decode(
	                     S("{\"scheduled_at\":\"in 1 hour\",\"to\":\"x\"}"),
	                     NOW, &at, &e),
	                 -1);
	assert_int_equal(compat_resend_update_decode(S("{}"), NOW, &at, &e),
	                 -1);
	assert_string_equal(e.field, "scheduled_at");
	assert_int_equal(compat_resend_update_decode(S("{\"scheduled_at\":"
	                                               "\"someday\"}"),
	                                             NOW, &at, &e),
	                 -1);
	assert_int_equal(e.http_status, 422);
}

static void
stored_message_renders_as_resend_email(void **state)
{
	static const char body[] =
	    "From: A <a@example.com>\r\nTo: b@example.net\r\nCc: "
	    "c@example.net\r\nSubject: hi\r\nMessage-ID: <x@y.test>\r\n\r\n"
	    "body\r\n";
	struct spool_rcpt rcpts[] = {{.address = "b@example.net"},
	                             {.address = "c@example.net"},
	                             {.address = "hidden@example.net"}};
	struct spool_msg m;
	json_t *o;
	char *s;

	(void)state;
	memset(&m, 0, sizeof(m));
	strcpy(m.id, "01M9TEST");
	m.state = SPOOL_STATE_SCHEDULED;
	m.sender = "a@example.com";
	m.meta = "{\"tags\":[{\"name\":\"k\",\"value\":\"v\"}],"
	         "\"send_at\":1700042400}";
	m.created_at = 1700000000123;
	m.rcpts = rcpts;
	m.n_rcpts = 3;
	buf_init(&m.body);
	buf_add(&m.body, body, sizeof(body) - 1);
	o = compat_resend_email_render(&m);
	s = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
	assert_string_equal(
	    s, "{\"bcc\":[\"hidden@example.net\"],\"cc\":[\"c@example.net\"],"
	       "\"created_at\":\"2023-11-14 22:13:20.123+00\","
	       "\"from\":\"A <a@example.com>\",\"html\":null,\"id\":"
	       "\"01M9TEST\",\"last_event\":\"scheduled\",\"message_id\":"
	       "\"<x@y.test>\",\"object\":\"email\",\"reply_to\":null,"
	       "\"scheduled_at\":\"2023-11-15 10:00:00.000+00\",\"subject\":"
	       "\"hi\",\"tags\":[{\"name\":\"k\",\"value\":\"v\"}],\"text\":"
	       "\"body\\r\\n\",\"to\":[\"b@example.net\"]}");
	free(s);
	json_decref(o);
	/* No Message-ID, no meta, sent. */
	buf_fini(&m.body);
	buf_init(&m.body);
	buf_addstr(&m.body,
	           "From: a@example.com\r\nTo: b@example.net\r\n\r\nx");
	m.meta = NULL;
	m.state = SPOOL_STATE_SENT;
	o = compat_resend_email_render(&m);
	assert_string_equal(json_string_value(json_object_get(o, "last_event")),
	                    "sent");
	assert_true(json_is_null(json_object_get(o, "message_id")));
	assert_true(json_is_null(json_object_get(o, "scheduled_at")));
	assert_int_equal(json_array_size(json_object_get(o, "tags")), 0);
	json_decref(o);
	buf_fini(&m.body);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(attachment_content_in_every_sdk_form),
	    cmocka_unit_test(tags_and_schedule_go_to_meta),
	    cmocka_unit_test(refusals_name_the_field),
	    cmocka_unit_test(batch_items_and_updates),
	    cmocka_unit_test(stored_message_renders_as_resend_email),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
