/*
 * test_base64.c - the one base64 codec: encoding, strict, canonical and
 * lenient (MIME) decoding, malformed input of every kind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/base64.h"

#define STRICT 0u
#define CANON BASE64_CANONICAL
#define MIME BASE64_MIME
#define BLANKS BASE64_BLANKS
#define BAD NULL

/* One decoding case: in (with its length, NULs allowed) under flags
 * gives want[0..want_len), or fails when want is BAD. */
struct dec_case {
	const char *name;
	const char *in;
	size_t in_len;
	unsigned flags;
	const char *want;
	size_t want_len;
};

#define OK(name, in, flags, want)                                              \
	{                                                                      \
		name, in, sizeof(in) - 1, flags, want, sizeof(want) - 1        \
	}
#define NO(name, in, flags)                                                    \
	{                                                                      \
		name, in, sizeof(in) - 1, flags, BAD, 0                        \
	}

static const struct dec_case dec_cases[] = {
    OK("empty is empty", "", STRICT, ""),
    OK("empty is empty under MIME", "", MIME, ""),
    OK("only blanks are empty under MIME", " \r\n\t", MIME, ""),
    OK("three bytes", "YWJj", STRICT, "abc"),
    OK("one pad", "YWI=", STRICT, "ab"),
    OK("two pads", "YQ==", STRICT, "a"),
    OK("NULs decode", "AGFwcDEAczNjcmV0", CANON, "\0app1\0s3cret"),
    OK("all 64 letters", "+/+/", STRICT, "\xfb\xff\xbf"),
    OK("non-canonical bits pass strict", "YR==", STRICT, "a"),
    NO("non-canonical bits fail canonical (two pads)", "YR==", CANON),
    NO("non-canonical bits fail canonical (one pad)", "YWK=", CANON),
    NO("non-canonical bits fail canonical (unpadded)", "YR", CANON | MIME),
    NO("truncated quantum", "YWJ", STRICT),
    NO("truncated to one letter", "Y", MIME),
    NO("one letter and padding", "Y===", STRICT),
    NO("padding only", "====", STRICT),
    NO("padding only under MIME", "==", MIME),
    NO("padding inside", "YW=j", STRICT),
    NO("padding then data", "YQ==YQ==", STRICT),
    NO("padding then data under MIME", "YQ==YQ==", MIME),
    NO("padding after a full quantum", "YWJj=", STRICT),
    NO("padding after a full quantum under MIME", "YWJj==", MIME),
    NO("short padding fails strict", "YQ=", STRICT),
    NO("short padding fails MIME", "YQ=", MIME),
    NO("too much padding under MIME", "YQ======", MIME),
    NO("unpadded fails strict", "YWJjZA", STRICT),
    OK("unpadded passes MIME", "YWJjZA", MIME, "abcd"),
    NO("trailing newline fails strict", "YWJj\n", STRICT),
    NO("leading space fails strict", " YWJj", STRICT),
    NO("trailing space fails strict", "YWJj ", STRICT),
    NO("inner space fails strict", "dX M", STRICT),
    OK("MIME lines", "YWJj\r\nZGVm\r\nZw==\r\n", MIME, "abcdefg"),
    OK("blanks anywhere under MIME", " Y W\tJ\rj Z\nA = = ", MIME, "abcd"),
    OK("blanks skipped but padding kept", "YWJj\r\nZA==", BLANKS | CANON,
       "abcd"),
    NO("blanks do not excuse missing padding", "YWJj\r\nZA", BLANKS),
    NO("missing padding does not excuse blanks", "YWJj ZA", BASE64_UNPADDED),
    OK("unpadded alone", "YWJjZA", BASE64_UNPADDED, "abcd"),
    NO("NUL is not a letter", "YW\0j", STRICT),
    NO("NUL is not a blank", "YW\0j", MIME),
    NO("URL alphabet is not base64", "Y-_j", STRICT),
    NO("bad letter", "a*==", MIME),
    NO("8-bit byte", "YW\xc3\xa9", MIME),
    NO("form feed is not a MIME blank", "YWJj\f", MIME),
};

static void
decoding_follows_the_table(void **state)
{
	unsigned char out[64];
	size_t i;

	for (i = 0; i < sizeof(dec_cases) / sizeof(dec_cases[0]); i++) {
		const struct dec_case *c = &dec_cases[i];
		struct str in = {c->in, c->in_len};
		ssize_t n = base64_decode(in, c->flags, out, sizeof(out));
		ssize_t m = base64_decode(in, c->flags, NULL, 0);

		print_message("case: %s\n", c->name);
		if (c->want == BAD) {
			assert_int_equal(n, -1);
			assert_int_equal(m, -1);
			continue;
		}
		assert_int_equal(n, (ssize_t)c->want_len);
		assert_int_equal(m, (ssize_t)c->want_len);
		assert_memory_equal(out, c->want, c->want_len);
	}
}

static void
decoding_never_writes_past_cap(void **state)
{
	unsigned char out[8];

	memset(out, 'x', sizeof(out));
	assert_int_equal(base64_decode(STR_LIT("YWJjZGVm"), 0, out, 5), -1);
	assert_int_equal(out[5], 'x');
	assert_int_equal(base64_decode(STR_LIT("YWJjZA=="), 0, out, 4), 4);
	assert_int_equal(base64_decode(STR_LIT("YWJjZA=="), 0, out, 3), -1);
	assert_int_equal(base64_decode(STR_LIT(""), 0, out, 0), 0);
}

static void
buffer_decoding_appends_or_leaves_alone(void **state)
{
	struct buf b;

	buf_init(&b);
	buf_addstr(&b, "x:");
	assert_int_equal(base64_decode_buf(STR_LIT("YWJj\r\nZA"), MIME, &b), 0);
	assert_int_equal(b.len, 6);
	assert_memory_equal(b.p, "x:abcd", 6);
	assert_int_equal(base64_decode_buf(STR_LIT("YW=j"), MIME, &b), -1);
	assert_int_equal(b.len, 6);
	assert_int_equal(base64_decode_buf(STR_LIT(""), 0, &b), 0);
	assert_int_equal(b.len, 6);
	buf_fini(&b);
}

static void
decoding_has_no_length_limit(void **state)
{
	size_t n = 3 * 1024 * 1024 + 2, i;
	unsigned char *raw = malloc(n);
	struct buf enc, out;

	for (i = 0; i < n; i++)
		raw[i] = (unsigned char)(i * 7);
	buf_init(&enc);
	buf_init(&out);
	base64_encode(&enc, raw, n);
	assert_int_equal(
	    base64_decode_buf((struct str){enc.p, enc.len}, 0, &out), 0);
	assert_int_equal(out.len, n);
	assert_memory_equal(out.p, raw, n);
	/* Padding in the middle of a long input is refused. */
	out.len = 0;
	enc.p[1024 * 1024 - 1] = '=';
	assert_int_equal(
	    base64_decode_buf((struct str){enc.p, enc.len}, 0, &out), -1);
	assert_int_equal(out.len, 0);
	buf_fini(&enc);
	buf_fini(&out);
	free(raw);
}

static void
encoding_pads_and_round_trips(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
	    {"", ""},        {"a", "YQ=="},        {"ab", "YWI="},
	    {"abc", "YWJj"}, {"abcd", "YWJjZA=="}, {"\xfb\xff\xbf", "+/+/"},
	};
	unsigned char bytes[256], back[256];
	struct buf b;
	size_t i, n;
	char *s;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s = base64_encode_str(cases[i].in, strlen(cases[i].in));
		assert_string_equal(s, cases[i].want);
		assert_int_equal(base64_encoded_len(strlen(cases[i].in)),
		                 strlen(s));
		free(s);
	}
	for (i = 0; i < sizeof(bytes); i++)
		bytes[i] = (unsigned char)(i * 7 + 3);
	for (n = 0; n <= sizeof(bytes); n++) {
		buf_init(&b);
		buf_addstr(&b, ">");
		base64_encode(&b, bytes, n);
		assert_int_equal(b.len, 1 + base64_encoded_len(n));
		assert_int_equal(base64_decode((struct str){b.p + 1, b.len - 1},
		                               CANON, back, sizeof(back)),
		                 (ssize_t)n);
		assert_memory_equal(back, bytes, n);
		buf_fini(&b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(decoding_follows_the_table),
	    cmocka_unit_test(decoding_never_writes_past_cap),
	    cmocka_unit_test(buffer_decoding_appends_or_leaves_alone),
	    cmocka_unit_test(decoding_has_no_length_limit),
	    cmocka_unit_test(encoding_pads_and_round_trips),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
