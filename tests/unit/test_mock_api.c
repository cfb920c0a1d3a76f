/*
 * test_mock_api.c - the pure parts of swerve-mock's fake provider APIs:
 * address lists and header lookup (mock_api.h), the API mode text form,
 * and the store's API record. Form bodies are mime/form's (test_form.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/xmalloc.h"
#include "mock/mock_api.h"
#include "mock/mock_store.h"

static void
address_lists_split_like_headers(void **state)
{
	static const char list[] =
	    "Alice <a@x.test>, \"Bob, Jr.\" <b@y.test>,"
	    "c@z.test (Carl, the third),  team: d@w.test,"
	    " e@v.test; , undisclosed-recipients:;";
	static const char *const want[] = {"a@x.test", "b@y.test", "c@z.test",
	                                   "d@w.test", "e@v.test"};
	struct mock_api_addrs a = {0};
	size_t i;

	mock_api_addrs_add(&a, list, strlen(list));
	assert_int_equal(a.n, 5);
	for (i = 0; i < 5; i++)
		assert_string_equal(a.v[i], want[i]);
	mock_api_addrs_fini(&a);
	assert_null(a.v);
}

static void
mime_header_unfolds_and_joins(void **state)
{
	static const char msg[] =
	    "From: a@x\r\nto: b@y,\r\n\tc@z\r\n"
	    "Subject: s\r\nTo: d@w\r\n\r\nTo: body@no\r\n";
	struct buf b;

	buf_init(&b);
	assert_true(mock_api_mime_header(msg, sizeof(msg) - 1, "To", &b));
	assert_string_equal(buf_cstr(&b), "b@y,\tc@z, d@w");
	b.len = 0;
	assert_false(mock_api_mime_header(msg, sizeof(msg) - 1, "Cc", &b));
	assert_int_equal(b.len, 0);
	assert_true(mock_api_mime_header(
	    "Subject: x\nFrom:  a@x  \n\nb",
	    strlen("Subject: x\nFrom:  a@x  \n\nb"), "From", &b));
	assert_string_equal(buf_cstr(&b), "a@x");
	buf_fini(&b);
}

static void
api_mode_text_forms(void **state)
{
	static const struct {
		const char *text;
		int rc;
		enum mock_api_fault fault;
		unsigned num;
		const char *arg;
	} cases[] = {
	    {"accept", 0, MOCK_API_ACCEPT, 0, ""},
	    {"  FOLLOW \n", 0, MOCK_API_FOLLOW, 0, ""},
	    {"429", 0, MOCK_API_THROTTLE, 1, ""},
	    {"throttle=30", 0, MOCK_API_THROTTLE, 30, ""},
	    {"throttle 0", 0, MOCK_API_THROTTLE, 0, ""},
	    {"500", 0, MOCK_API_INTERNAL, 0, ""},
	    {"unavailable", 0, MOCK_API_UNAVAILABLE, 0, ""},
	    {"401", 0, MOCK_API_UNAUTHORIZED, 0, ""},
	    {"forbidden", 0, MOCK_API_FORBIDDEN, 0, ""},
	    {"slow:250", 0, MOCK_API_SLOW, 250, ""},
	    {"hang", 0, MOCK_API_HANG, 0, ""},
	    {"hang_after_body", 0, MOCK_API_HANG_AFTER_BODY, 0, ""},
	    {"malformed_json", 0, MOCK_API_MALFORMED, 0, ""},
	    {"account", 0, MOCK_API_ACCOUNT, 0, ""},
	    {"reject 406 Inactive recipient", 0, MOCK_API_REJECT, 0,
	     "406 Inactive recipient"},
	    {"sideways", -1, 0, 0, ""},
	    {"", -1, 0, 0, ""},
	    {"slow", -1, 0, 0, ""},
	    {"slow 0", -1, 0, 0, ""},
	    {"slow 600001", -1, 0, 0, ""},
	    {"throttle 86401", -1, 0, 0, ""},
	    {"throttle soon", -1, 0, 0, ""},
	    {"hang 5", -1, 0, 0, ""},
	    {"account a\tb", -1, 0, 0, ""},
	};
	struct mock_api_mode m;
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why = NULL;
		assert_int_equal(mock_api_mode_parse(cases[i].text,
		                                     strlen(cases[i].text), &m,
		                                     &why),
		                 cases[i].rc);
		if (cases[i].rc < 0) {
			assert_non_null(why);
			continue;
		}
		assert_int_equal(m.fault, cases[i].fault);
		if (m.fault == MOCK_API_SLOW)
			assert_int_equal(m.ms, cases[i].num);
		if (m.fault == MOCK_API_THROTTLE)
			assert_int_equal(m.retry_after_s, cases[i].num);
		assert_string_equal(m.arg, cases[i].arg);
	}
	assert_string_equal(mock_api_mode_name(MOCK_API_THROTTLE), "throttle");
	assert_string_equal(mock_api_mode_name(MOCK_API_MALFORMED),
	                    "malformed_json");
}

static void
api_key_options_per_provider_and_for_all(void **state)
{
	struct mock_api_opts o;
	const char *why = NULL;

	memset(&o, 0, sizeof(o));
	assert_int_equal(mock_api_opts_key(&o, "k1", &why), 0);
	assert_int_equal(mock_api_opts_key(&o, "postmark=k2", &why), 0);
	assert_int_equal(o.nkeys[MOCK_API_SENDGRID], 1);
	assert_int_equal(o.nkeys[MOCK_API_POSTMARK], 2);
	assert_string_equal(o.keys[MOCK_API_POSTMARK][1], "k2");
	assert_int_equal(o.nkeys[MOCK_API_SES], 0);
	assert_int_equal(mock_api_opts_key(&o, "ses=x", &why), -1);
	assert_int_equal(mock_api_opts_key(&o, "", &why), -1);
	assert_int_equal(mock_api_opts_key(&o, "resend=", &why), -1);
	assert_int_equal(mock_api_opts_key(&o, "a b", &why), -1);
	/* An unknown prefix is part of the key ("x=y" is a key). */
	assert_int_equal(mock_api_opts_key(&o, "x=y", &why), 0);
	assert_int_equal(mock_api_opts_aws(&o, "AKID:sec/ret", &why), 0);
	assert_int_equal(mock_api_opts_aws(&o, "AKID2:secret", &why), 0);
	assert_int_equal(o.naws, 2);
	assert_int_equal(mock_api_opts_aws(&o, "AK/ID:secret", &why), -1);
	assert_int_equal(mock_api_opts_aws(&o, "AKID:sec ret", &why), -1);
	assert_int_equal(mock_api_opts_aws(&o, "AKID", &why), -1);
	assert_int_equal(mock_api_opts_aws(&o, ":x", &why), -1);
	assert_int_equal(mock_api_opts_aws(&o, "AKID:", &why), -1);
	assert_string_equal(mock_api_default_key(MOCK_API_RESEND),
	                    "re_mock_resend_key");
}

static void
store_keeps_the_api_record(void **state)
{
	struct mock_store *st = mock_store_new(2);
	char *rcpt[] = {"b@y"};
	const struct mock_msg *m;
	struct buf d;

	buf_init(&d);
	buf_addstr(&d, "{}");
	m = mock_store_add_api(st, "a@x", rcpt, 1, &d, "resend",
	                       xstrdup("{\"provider\":\"resend\"}"));
	assert_string_equal(m->api, "{\"provider\":\"resend\"}");
	assert_string_equal(m->via, "resend");
	buf_addstr(&d, "x");
	m = mock_store_add(st, "a@x", rcpt, 1, &d, "smtp");
	assert_null(m->api);
	buf_addstr(&d, "y");
	mock_store_add_api(st, "", rcpt, 0, &d, "ses", xstrdup("{}"));
	assert_int_equal(mock_store_count(st), 2);
	mock_store_free(st); /* ASan: the dropped record was freed */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(address_lists_split_like_headers),
	    cmocka_unit_test(mime_header_unfolds_and_joins),
	    cmocka_unit_test(api_mode_text_forms),
	    cmocka_unit_test(api_key_options_per_provider_and_for_all),
	    cmocka_unit_test(store_keeps_the_api_record),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
