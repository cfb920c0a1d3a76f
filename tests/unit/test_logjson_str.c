/*
 * test_logjson_str.c - JSON string literals written without jansson are
 * byte for byte what jansson writes, and refused where jansson refuses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/buf.h"
#include "observe/logjson_str.h"

/*
 * same_as_jansson - encode s[0..n) both ways: the same text, or both
 * refuse. Returns whether it was accepted.
 */
static int
same_as_jansson(const char *s, size_t n)
{
	json_t *j = json_stringn(s, n);
	struct buf b;
	char *want;
	int rc;

	buf_init(&b);
	buf_addstr(&b, "x"); /* appends after what is there */
	rc = logjson_str_put(&b, s, n);
	if (j == NULL) {
		assert_int_equal(rc, -1);
		assert_int_equal(b.len, 1);
		buf_fini(&b);
		return 0;
	}
	assert_int_equal(rc, 0);
	want = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
	assert_non_null(want);
	assert_int_equal(b.len, 1 + strlen(want));
	assert_memory_equal(b.p + 1, want, strlen(want));
	free(want);
	json_decref(j);
	buf_fini(&b);
	return 1;
}

static void
every_ascii_byte_is_written_as_jansson_does(void **state)
{
	char s[3];
	int c;

	(void)state;
	for (c = 0; c < 0x80; c++) {
		s[0] = 'a';
		s[1] = (char)c;
		s[2] = 'z';
		assert_true(same_as_jansson(s, 3));
	}
	assert_true(same_as_jansson("", 0));
	assert_true(same_as_jansson("\"\\/\b\f\n\r\t\x01\x1f\x7f", 11));
}

static void
utf8_passes_and_malformed_utf8_is_refused(void **state)
{
	static const char *const good[] = {"caf\xc3\xa9", "\xe2\x82\xac 5",
	                                   "\xf0\x9f\x98\x80",
	                                   "\xf4\x8f\xbf\xbf", "\xed\x9f\xbf"};
	static const char *const bad[] = {
	    "\x80",             /* a lone continuation byte */
	    "\xc3",             /* cut short */
	    "\xc0\x80",         /* overlong NUL */
	    "\xe0\x80\xaf",     /* overlong '/' */
	    "\xed\xa0\x80",     /* a surrogate */
	    "\xf4\x90\x80\x80", /* past U+10FFFF */
	    "\xff",
	    "ok \xe2\x82",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(same_as_jansson(good[i], strlen(good[i])));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(same_as_jansson(bad[i], strlen(bad[i])));
}

static void
random_bytes_agree_with_jansson(void **state)
{
	uint32_t x = 2463534242u;
	char s[24];
	size_t i, n, k, ok = 0;

	(void)state;
	for (k = 0; k < 200000; k++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		n = x % sizeof(s);
		for (i = 0; i < n; i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			/* Mostly ASCII, some high bytes: both outcomes. */
			s[i] = (char)(x % 5 == 0 ? 0x80 | (x >> 8)
			                         : x >> 8 & 0x7f);
		}
		ok += (size_t)same_as_jansson(s, n);
	}
	assert_true(ok > 1000 && ok < 200000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(every_ascii_byte_is_written_as_jansson_does),
	    cmocka_unit_test(utf8_passes_and_malformed_utf8_is_refused),
	    cmocka_unit_test(random_bytes_agree_with_jansson),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
