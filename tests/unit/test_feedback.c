/*
 * test_feedback.c - feedback event type names and the fixed-field copy
 * (truncation at a character boundary, control characters, NULs).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "spool/feedback.h"

static void
test_names_round_trip(void **state)
{
	(void)state;
	for (int t = 0; t < FEEDBACK_TYPE_COUNT; t++)
		assert_int_equal(feedback_type_parse(feedback_type_name(t)), t);
	assert_int_equal(feedback_type_parse("bounce"), -1);
	assert_int_equal(feedback_type_parse(""), -1);
	assert_string_equal(feedback_type_name(FEEDBACK_TYPE_COUNT), "other");
	assert_string_equal(feedback_type_name(FEEDBACK_HARD_BOUNCE),
	                    "hard_bounce");
}

static void
test_set_truncates_at_character_boundary(void **state)
{
	char d[6];

	(void)state;
	feedback_set(d, sizeof(d), "abcd\xc3\xa9xyz"); /* "abcdé..." */
	assert_string_equal(d, "abcd");
	feedback_set(d, sizeof(d), "ab\xe2\x82\xac"); /* "ab€" fits */
	assert_string_equal(d, "ab\xe2\x82\xac");
	feedback_set(d, sizeof(d), "a\tb\r\nc");
	assert_string_equal(d, "a b  ");
	feedback_set(d, sizeof(d), NULL);
	assert_string_equal(d, "");
	feedback_set_n(d, sizeof(d), "ab\0cd", 5);
	assert_string_equal(d, "ab");
	feedback_set(d, 1, "abc");
	assert_string_equal(d, "");
}

static void
test_recipient_domain_lower_cased(void **state)
{
	struct feedback_event e;

	(void)state;
	feedback_set_recipient(&e, "Jane.Doe@Example.COM");
	assert_string_equal(e.recipient, "Jane.Doe@example.com");
	feedback_set_recipient(&e, "\"a@B\"@X.Org");
	assert_string_equal(e.recipient, "\"a@B\"@x.org");
	feedback_set_recipient(&e, "NoDomain");
	assert_string_equal(e.recipient, "NoDomain");
	feedback_set_recipient(&e, NULL);
	assert_string_equal(e.recipient, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names_round_trip),
	    cmocka_unit_test(test_set_truncates_at_character_boundary),
	    cmocka_unit_test(test_recipient_domain_lower_cased),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
