/*
 * test_meta_out.c - what the egress adapters share when they carry a
 * message's msg_meta: the not-applied list, the tag character rule,
 * name/value pairs from tags and metadata, and the header that carries
 * meta to an SMTP relay.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/base64.h"
#include "providers/meta_out.h"

static void
unsupported_lists_set_fields_not_carried_in_order(void **state)
{
	struct msg_meta m;
	struct buf na;

	(void)state;
	msg_meta_init(&m);
	buf_init(&na);
	meta_out_unsupported(&m, 0, &na);
	meta_out_unsupported(NULL, 0, &na);
	assert_int_equal(na.len, 0);
	m.ip_pool = strdup("p");
	m.track_clicks = MSG_TRACK_OFF;
	m.config_set = strdup("c");
	assert_int_equal(msg_meta_add_tag(&m, "t", NULL), 0);
	/* send_at and sandbox are never an adapter's business. */
	m.send_at = 4102444800;
	m.sandbox = true;
	meta_out_unsupported(&m, META_OUT_CONFIG_SET, &na);
	assert_string_equal(buf_cstr(&na), "tags, ip_pool, track_clicks");
	meta_out_skip(&na, "tag \"%s\" (%s)", "x", "why");
	assert_string_equal(buf_cstr(&na),
	                    "tags, ip_pool, track_clicks, tag \"x\" (why)");
	buf_fini(&na);
	msg_meta_fini(&m);
}

static void
token_rule_is_letters_digits_underscore_dash(void **state)
{
	(void)state;
	assert_true(meta_out_token_ok("Ab_9-z", 256));
	assert_false(meta_out_token_ok("", 256));
	assert_false(meta_out_token_ok("a b", 256));
	assert_false(meta_out_token_ok("a.b", 256));
	assert_false(meta_out_token_ok("caf\xc3\xa9", 256));
	assert_false(meta_out_token_ok("abc", 2));
	assert_true(meta_out_token_ok("ab", 2));
}

static void
pairs_are_tags_then_metadata_as_strings(void **state)
{
	struct msg_meta m;
	struct meta_out_pair *p;
	size_t n;

	(void)state;
	msg_meta_init(&m);
	assert_null(meta_out_pairs(&m, true, &n));
	assert_int_equal(n, 0);
	assert_int_equal(msg_meta_add_tag(&m, "label", NULL), 0);
	assert_int_equal(msg_meta_add_tag(&m, "k", "v"), 0);
	assert_int_equal(msg_meta_set_metadata(
	                     &m, "{\"s\":\"x\",\"n\":7,\"o\":{\"a\":[1,true]},"
	                         "\"z\":null}"),
	                 0);
	p = meta_out_pairs(&m, true, &n);
	assert_int_equal(n, 6);
	assert_string_equal(p[0].what, "tag");
	assert_string_equal(p[0].name, "label");
	assert_string_equal(p[0].value, "true");
	assert_string_equal(p[1].value, "v");
	assert_string_equal(p[2].what, "metadata");
	assert_string_equal(p[2].value, "x");
	assert_string_equal(p[3].value, "7");
	assert_string_equal(p[4].value, "{\"a\":[1,true]}");
	assert_string_equal(p[5].value, "null");
	meta_out_pairs_free(p, n);
	/* Without labels: the plain label is the provider's own field. */
	p = meta_out_pairs(&m, false, &n);
	assert_int_equal(n, 5);
	assert_string_equal(p[0].name, "k");
	meta_out_pairs_free(p, n);
	msg_meta_fini(&m);
}

static void
header_is_folded_base64_of_the_meta_json(void **state)
{
	struct msg_meta m, back;
	struct buf h, raw;
	char *json;
	const char *s, *line;
	size_t i;

	(void)state;
	msg_meta_init(&m);
	buf_init(&h);
	meta_out_header("X-Swerve-Meta", &m, &h);
	assert_int_equal(h.len, 0); /* empty meta: no header */
	assert_int_equal(msg_meta_add_tag(&m, "welcome", NULL), 0);
	assert_int_equal(msg_meta_add_tag(&m, "caf\xc3\xa9", "x y"), 0);
	assert_int_equal(
	    msg_meta_set_metadata(&m, "{\"order\":\"42\",\"long\":\"0123456789"
	                              "0123456789012345678901234567890123456"
	                              "78901234567890123456789\"}"),
	    0);
	m.track_opens = MSG_TRACK_ON;
	meta_out_header("X-Swerve-Meta", &m, &h);
	s = buf_cstr(&h);
	assert_int_equal(strncmp(s, "X-Swerve-Meta: ", 15), 0);
	/* Every line ends in CRLF, holds at most 78 characters, and the
	 * continuation lines start with a space (folded). */
	assert_int_equal(memcmp(s + h.len - 2, "\r\n", 2), 0);
	for (line = s, i = 0; *line; i++) {
		const char *e = strstr(line, "\r\n");

		assert_non_null(e);
		assert_true(e - line <= 78);
		if (i > 0)
			assert_int_equal(line[0], ' ');
		line = e + 2;
	}
	assert_true(i >= 3);
	/* Unfolded and decoded, it is msg_meta_encode's JSON. */
	buf_init(&raw);
	for (line = s + 14; *line; line++)
		if (*line != ' ' && *line != '\r' && *line != '\n')
			buf_addch(&raw, *line);
	{
		size_t cap = raw.len;
		char *dec = malloc(cap + 1);
		ssize_t got = base64_decode(str_from(buf_cstr(&raw)), 0,
		                            (unsigned char *)dec, cap);

		assert_true(got > 0);
		dec[got] = '\0';
		json = msg_meta_encode(&m);
		assert_string_equal(dec, json);
		assert_int_equal(msg_meta_decode(dec, (size_t)got, &back), 0);
		assert_int_equal(back.n_tags, 2);
		msg_meta_fini(&back);
		free(json);
		free(dec);
	}
	buf_fini(&raw);
	buf_fini(&h);
	msg_meta_fini(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(unsupported_lists_set_fields_not_carried_in_order),
	    cmocka_unit_test(token_rule_is_letters_digits_underscore_dash),
	    cmocka_unit_test(pairs_are_tags_then_metadata_as_strings),
	    cmocka_unit_test(header_is_folded_base64_of_the_meta_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
