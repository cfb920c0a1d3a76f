/*
 * test_api_json_fast.c - the one-pass parser returns exactly jansson's
 * value (types, key order, escapes decoded) or NULL, never a value
 * jansson would refuse or read differently.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "ingress/api_json_fast.h"

#define FLAGS (JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL)

/*
 * agree - parse s[0..n) both ways. The fast result, when there is one,
 * equals jansson's and dumps to the same bytes in the same key order.
 * Returns 1 when the fast parser took it, 0 when it left it to jansson.
 */
static int
agree(const char *s, size_t n)
{
	json_t *f = api_json_fast_load(s, n);
	json_t *j = json_loadb(s, n, FLAGS, NULL);
	char *df, *dj;
	int took = f != NULL;

	if (f != NULL) {
		assert_non_null(j);
		assert_true(json_equal(f, j));
		df = json_dumps(f, JSON_COMPACT | JSON_PRESERVE_ORDER |
		                       JSON_ENCODE_ANY);
		dj = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER |
		                       JSON_ENCODE_ANY);
		assert_string_equal(df, dj);
		free(df);
		free(dj);
	}
	json_decref(f);
	json_decref(j);
	return took;
}

static int
agree_s(const char *s)
{
	return agree(s, strlen(s));
}

static void
common_requests_are_taken_and_equal_jansson(void **state)
{
	(void)state;
	assert_true(
	    agree_s("{\"from\":\"a@example.com\",\"to\":[\"b@example.net\"],"
	            "\"subject\":\"hi \\\"there\\\" \\u00e9\\ud83d\\ude00\","
	            "\"text\":\"line\\nline\\t\\/ caf\xc3\xa9\",\"tags\":[],"
	            "\"metadata\":{},\"n\":-12,\"z\":0,\"t\":true,\"f\":false,"
	            "\"x\":null}"));
	assert_true(agree_s(" \r\n\t[ 1 , [ ] , { } , \"\" ] \n"));
	assert_true(agree_s("{\"k\":\"nul \\u0000 inside\"}"));
	assert_true(agree_s("{\"\":1,\"a\":{\"b\":{\"c\":[[[\"d\"]]]}}}"));
	assert_true(agree_s("[-0,123456789012345678]"));
	/* Key order is the document's. */
	assert_true(agree_s("{\"z\":1,\"a\":2,\"m\":3}"));
}

static void
what_it_is_not_sure_of_is_left_to_jansson(void **state)
{
	static const char *const left[] = {
	    "",
	    "1",
	    "\"top-level string\"",
	    "{\"a\":1.5}",
	    "{\"a\":1e3}",
	    "[1234567890123456789]",
	    "[99999999999999999999]",
	    "[01]",
	    "{\"a\":1,\"a\":2}",
	    "{\"a\\u0000b\":1}",
	    "[\"\\ud800\"]",
	    "[\"\\udc00\"]",
	    "[\"\\ud800\\u0041\"]",
	    "[\"\\x\"]",
	    "[\"\\u12G4\"]",
	    "[\"tab\there\"]",
	    "[\"bad \xff\"]",
	    "[\"overlong \xc0\xaf\"]",
	    "[\"surrogate \xed\xa0\x80\"]",
	    "[1,]",
	    "{\"a\":1,}",
	    "[1 2]",
	    "{\"a\" 1}",
	    "{a:1}",
	    "[tru]",
	    "[truex]",
	    "[nul]",
	    "[1]x",
	    "[1] [2]",
	    "[\"unterminated",
	    "{\"a\":",
	    "[-]",
	    "[- 1]",
	    "[+1]",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(left) / sizeof(left[0]); i++)
		assert_int_equal(agree_s(left[i]), 0);
	/* An embedded NUL outside a string. */
	assert_int_equal(agree("[1]\0", 4), 0);
	assert_int_equal(agree("[\"a\0b\"]", 7), 0);
}

static void
deep_nesting_is_left_to_jansson(void **state)
{
	char s[200];
	int i;

	(void)state;
	for (i = 0; i < 40; i++)
		s[i] = '[';
	for (i = 0; i < 40; i++)
		s[40 + i] = ']';
	assert_int_equal(agree(s, 80), 0);
	assert_int_equal(agree(s + 30, 20), 1); /* ten levels */
}

static void
mutated_requests_never_disagree(void **state)
{
	static const char base[] =
	    "{\"from\":\"Ann <a@example.com>\",\"to\":[\"b@example.net\","
	    "\"c@example.org\"],\"subject\":\"caf\xc3\xa9 \\u00e9\\n\","
	    "\"text\":\"x\\\"y\\\\z\",\"send_at\":1700000000,\"tags\":"
	    "[\"a\",\"b\"],\"metadata\":{\"k\":\"v\",\"n\":null},"
	    "\"sandbox\":false}";
	static const char bytes[] = "{}[]\",:\\ -0123456789.eEtrufalsn\x80"
	                            "\xc3\xa9\xff\t\n\x01u";
	char s[sizeof(base) + 8];
	uint32_t x = 88172645u;
	size_t k, n, pos, took = 0;

	(void)state;
	for (k = 0; k < 100000; k++) {
		memcpy(s, base, sizeof(base));
		n = sizeof(base) - 1;
		/* One to three bytes changed, dropped or inserted. */
		for (int m = 0; m < 1 + (int)(k % 3); m++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			pos = (x >> 8) % n;
			switch (x % 3) {
			case 0:
				s[pos] = bytes[(x >> 20) % (sizeof(bytes) - 1)];
				break;
			case 1:
				memmove(s + pos, s + pos + 1, n - pos - 1);
				n--;
				break;
			default:
				if (n + 1 < sizeof(s)) {
					memmove(s + pos + 1, s + pos, n - pos);
					s[pos] = bytes[(x >> 20) %
					               (sizeof(bytes) - 1)];
					n++;
				}
				break;
			}
		}
		took += (size_t)agree(s, n);
	}
	/* Both outcomes were exercised. */
	assert_true(took > 1000 && took < 100000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(common_requests_are_taken_and_equal_jansson),
	    cmocka_unit_test(what_it_is_not_sure_of_is_left_to_jansson),
	    cmocka_unit_test(deep_nesting_is_left_to_jansson),
	    cmocka_unit_test(mutated_requests_never_disagree),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
