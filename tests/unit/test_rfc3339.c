/*
 * test_rfc3339.c - RFC 3339 date-times: Z and offsets, fractions, the
 * separators RFC 3339 allows, leap days, and malformed text refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/rfc3339.h"

static int64_t
parse(const char *s)
{
	int64_t t = -12345;

	assert_int_equal(rfc3339_parse(s, strlen(s), &t), 0);
	return t;
}

static void
dates_and_offsets_parse(void **state)
{
	(void)state;
	assert_int_equal(parse("1970-01-01T00:00:00Z"), 0);
	assert_int_equal(parse("2030-01-02T03:04:05Z"), 1893553445);
	assert_int_equal(parse("2030-01-02t03:04:05z"), 1893553445);
	assert_int_equal(parse("2030-01-02 03:04:05Z"), 1893553445);
	assert_int_equal(parse("2030-01-02T03:04:05.999Z"), 1893553445);
	assert_int_equal(parse("2030-01-02T05:04:05+02:00"), 1893553445);
	assert_int_equal(parse("2030-01-01T22:34:05-04:30"), 1893553445);
	assert_int_equal(parse("2024-02-29T00:00:00Z"), 1709164800);
	assert_int_equal(parse("2100-12-31T23:59:59Z"), 4133980799);
}

static void
malformed_is_refused(void **state)
{
	static const char *const bad[] = {
	    "",
	    "2030-01-02",
	    "2030-01-02T03:04:05",
	    "2030-01-02T03:04Z",
	    "2030-13-02T03:04:05Z",
	    "2030-02-29T03:04:05Z",
	    "2100-02-29T00:00:00Z",
	    "2030-01-02T24:00:00Z",
	    "2030-01-02T03:04:05.Z",
	    "2030-01-02T03:04:05+0200",
	    "2030-01-02T03:04:05Z ",
	    "1969-12-31T23:59:59Z",
	    "1970-01-01T00:00:00+01:00",
	    "20300102T030405Z",
	    "2030-1-02T03:04:05Z",
	    "tomorrow",
	};
	int64_t t;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (rfc3339_parse(bad[i], strlen(bad[i]), &t) != -1)
			fail_msg("accepted %s", bad[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(dates_and_offsets_parse),
	    cmocka_unit_test(malformed_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
