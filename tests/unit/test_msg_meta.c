/*
 * test_msg_meta.c - a message's tags, metadata and options: building,
 * limits, the JSON round trip, and malformed stored JSON refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "spool/msg_meta.h"

static void
test_empty_encodes_to_null(void **state)
{
	struct msg_meta m;

	(void)state;
	msg_meta_init(&m);
	assert_true(msg_meta_empty(&m));
	assert_null(msg_meta_encode(&m));
	m.track_opens = MSG_TRACK_OFF;
	assert_false(msg_meta_empty(&m));
	msg_meta_fini(&m);
	assert_true(msg_meta_empty(&m));
}

/* A struct that holds a msg_meta and is zeroed (an api_msg) is empty. */
static void
test_zeroed_is_empty(void **state)
{
	struct msg_meta m;

	(void)state;
	memset(&m, 0, sizeof(m));
	assert_true(msg_meta_empty(&m));
	assert_int_equal(m.track_opens, MSG_TRACK_UNSET);
	assert_null(msg_meta_encode(&m));
}

static void
test_round_trip(void **state)
{
	struct msg_meta m, back;
	char *s, *s2;

	(void)state;
	msg_meta_init(&m);
	assert_int_equal(msg_meta_add_tag(&m, "campaign", "welcome"), 0);
	assert_int_equal(msg_meta_add_tag(&m, "receipts", NULL), 0);
	assert_int_equal(msg_meta_set_var(&m, "user", "42"), 0);
	assert_int_equal(msg_meta_set_var(&m, "user", "43"), 0);
	assert_int_equal(msg_meta_set_var(&m, "plan", "pro"), 0);
	m.config_set = strdup("cs1");
	m.message_stream = strdup("outbound");
	m.ip_pool = strdup("pool");
	m.send_at = 4102444800;
	m.sandbox = true;
	m.track_opens = MSG_TRACK_ON;
	m.track_clicks = MSG_TRACK_OFF;
	s = msg_meta_encode(&m);
	assert_non_null(s);
	assert_string_equal(
	    s, "{\"tags\":[{\"name\":\"campaign\",\"value\":\"welcome\"},"
	       "{\"name\":\"receipts\"}],\"metadata\":{\"user\":\"43\","
	       "\"plan\":\"pro\"},\"config_set\":\"cs1\",\"message_stream\":"
	       "\"outbound\",\"ip_pool\":\"pool\",\"send_at\":4102444800,"
	       "\"sandbox\":true,\"track_opens\":true,\"track_clicks\":false}");
	assert_int_equal(msg_meta_decode(s, strlen(s), &back), 0);
	assert_int_equal(back.n_tags, 2);
	assert_null(back.tags[1].value);
	assert_int_equal(back.send_at, 4102444800);
	assert_int_equal(back.track_clicks, MSG_TRACK_OFF);
	s2 = msg_meta_encode(&back);
	assert_string_equal(s, s2);
	free(s);
	free(s2);
	msg_meta_fini(&back);
	msg_meta_fini(&m);
}

static void
test_limits(void **state)
{
	struct msg_meta m;
	char big[MSG_META_TAG_MAX + 2];

	(void)state;
	msg_meta_init(&m);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(msg_meta_add_tag(&m, "", NULL), -1);
	assert_int_equal(msg_meta_add_tag(&m, big, NULL), -1);
	assert_int_equal(msg_meta_add_tag(&m, "a", big), -1);
	assert_int_equal(msg_meta_add_tag(&m, "new\nline", NULL), -1);
	assert_int_equal(msg_meta_add_tag(&m, "a", "tab\there"), -1);
	for (int i = 0; i < MSG_META_TAGS_MAX; i++)
		assert_int_equal(msg_meta_add_tag(&m, "t", "v"), 0);
	assert_int_equal(msg_meta_add_tag(&m, "t", "v"), -1);
	assert_int_equal(m.n_tags, MSG_META_TAGS_MAX);
	assert_int_equal(msg_meta_set_var(&m, "", "x"), -1);
	assert_int_equal(msg_meta_set_metadata(&m, "[1]"), -1);
	assert_int_equal(msg_meta_set_metadata(&m, "{\"a\":1,\"a\":2}"), -1);
	assert_int_equal(msg_meta_set_metadata(&m, "{ \"a\" : [1, 2] }"), 0);
	assert_string_equal(m.metadata, "{\"a\":[1,2]}");
	msg_meta_fini(&m);
}

static void
test_metadata_size_cap(void **state)
{
	struct msg_meta m;
	char *v = malloc(MSG_META_METADATA_MAX);

	(void)state;
	msg_meta_init(&m);
	memset(v, 'x', MSG_META_METADATA_MAX - 1);
	v[MSG_META_METADATA_MAX - 1] = '\0';
	assert_int_equal(msg_meta_set_var(&m, "k", "small"), 0);
	assert_int_equal(msg_meta_set_var(&m, "big", v), -1);
	assert_string_equal(m.metadata, "{\"k\":\"small\"}");
	free(v);
	msg_meta_fini(&m);
}

static void
test_decode_refuses_malformed(void **state)
{
	static const char *bad[] = {
	    "",
	    "[]",
	    "{\"tags\":{}}",
	    "{\"tags\":[{\"value\":\"x\"}]}",
	    "{\"tags\":[{\"name\":\"\"}]}",
	    "{\"tags\":[{\"name\":\"a\",\"value\":1}]}",
	    "{\"metadata\":[1]}",
	    "{\"config_set\":7}",
	    "{\"config_set\":\"\"}",
	    "{\"send_at\":-1}",
	    "{\"send_at\":\"soon\"}",
	    "{\"sandbox\":1}",
	    "{\"track_opens\":\"yes\"}",
	    "{\"tags\":[{\"name\":\"a\\u0000b\"}]}",
	    "{\"sandbox\":true,\"sandbox\":false}",
	    "{\"tags\":[",
	    "{\"options\":[]}",
	    "{\"options\":\"x\"}",
	};
	struct msg_meta m;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(msg_meta_decode(bad[i], strlen(bad[i]), &m),
		                 -1);
		assert_true(msg_meta_empty(&m));
	}
	assert_int_equal(msg_meta_decode("{}", 2, &m), 0);
	assert_true(msg_meta_empty(&m));
}

static void
test_tag_word_is_the_ses_and_resend_rule(void **state)
{
	(void)state;
	assert_true(msg_meta_tag_word("Ab_9-z", 6, 256, false));
	assert_false(msg_meta_tag_word("", 0, 256, false));
	assert_true(msg_meta_tag_word("", 0, 256, true));
	assert_false(msg_meta_tag_word("a.b", 3, 256, false));
	assert_false(msg_meta_tag_word("a b", 3, 256, false));
	assert_false(msg_meta_tag_word("\xc3\xa9", 2, 256, false));
	assert_false(msg_meta_tag_word("abc", 3, 2, false));
}

/* options: a JSON object recorded as given, round-tripped, size-capped */
static void
test_options_round_trip(void **state)
{
	struct msg_meta m, back;
	char *s, *big;

	(void)state;
	msg_meta_init(&m);
	assert_int_equal(msg_meta_set_options(&m, "[1]"), -1);
	assert_true(msg_meta_empty(&m));
	assert_int_equal(msg_meta_set_options(&m,
	                                      "{ \"mail_settings.bypass_list_"
	                                      "management\" : true }"),
	                 0);
	assert_false(msg_meta_empty(&m));
	s = msg_meta_encode(&m);
	assert_string_equal(
	    s, "{\"options\":{\"mail_settings.bypass_list_management\":true}}");
	assert_int_equal(msg_meta_decode(s, strlen(s), &back), 0);
	assert_string_equal(back.options, m.options);
	free(s);
	big = malloc(MSG_META_METADATA_MAX + 16);
	memset(big, 'a', MSG_META_METADATA_MAX + 15);
	memcpy(big, "{\"k\":\"", 6);
	memcpy(big + MSG_META_METADATA_MAX + 10, "\"}", 3);
	big[MSG_META_METADATA_MAX + 13] = '\0';
	assert_int_equal(msg_meta_set_options(&back, big), -1);
	assert_non_null(back.options);
	free(big);
	msg_meta_fini(&back);
	msg_meta_fini(&m);
}

/* suppressed: the pipeline's list of recipients taken out, as a JSON
 * array, round-tripped; anything else refused by decode */
static void
test_suppressed_round_trip(void **state)
{
	struct msg_meta m, back;
	const char *bad = "{\"suppressed\":{}}";
	char *s;

	(void)state;
	msg_meta_init(&m);
	m.suppressed =
	    strdup("[{\"address\":\"a@b.c\",\"reason\":\"complaint\"}]");
	assert_false(msg_meta_empty(&m));
	s = msg_meta_encode(&m);
	assert_string_equal(s, "{\"suppressed\":[{\"address\":\"a@b.c\","
	                       "\"reason\":\"complaint\"}]}");
	assert_int_equal(msg_meta_decode(s, strlen(s), &back), 0);
	assert_string_equal(back.suppressed, m.suppressed);
	free(s);
	msg_meta_fini(&back);
	msg_meta_fini(&m);
	assert_int_equal(msg_meta_decode(bad, strlen(bad), &back), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty_encodes_to_null),
	    cmocka_unit_test(test_zeroed_is_empty),
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_metadata_size_cap),
	    cmocka_unit_test(test_decode_refuses_malformed),
	    cmocka_unit_test(test_tag_word_is_the_ses_and_resend_rule),
	    cmocka_unit_test(test_options_round_trip),
	    cmocka_unit_test(test_suppressed_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
