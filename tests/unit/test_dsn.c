/*
 * test_dsn.c - delivery status notifications.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "deliver/dsn.h"

static const char original[] =
    "From: app@example.com\r\nTo: a@example.net\r\nSubject: hi\r\n\r\n"
    "secret body text\r\n";

static struct dsn_info
info_base(const struct dsn_rcpt *r, size_t n)
{
	return (struct dsn_info){
	    .reporting_mta = "mx.test",
	    .msg_id = "0000000000ABCDEFGHJK",
	    .sender = "app@example.com",
	    .arrival = 1700000000,
	    .now = 1700000600,
	    .reason = "gave up",
	    .rcpts = r,
	    .n_rcpts = n,
	    .original = {original, sizeof(original) - 1},
	};
}

static void
null_sender_gets_no_dsn(void **state)
{
	struct dsn_rcpt r = {"a@example.net", "5.1.1", "550 no", NULL, false};
	struct dsn_info info = info_base(&r, 1);
	struct buf out;

	assert_false(dsn_wanted(""));
	assert_false(dsn_wanted(NULL));
	assert_true(dsn_wanted("x@y"));
	info.sender = "";
	buf_init(&out);
	assert_int_equal(dsn_build(&info, &out), -1);
	assert_int_equal(out.len, 0);
}

static void
report_has_three_parts_and_status_fields(void **state)
{
	struct dsn_rcpt r[2] = {
	    {"a@example.net", "5.1.1", "550 5.1.1 no such user", "relay.test",
	     false},
	    {"b@example.net", "4.4.7", NULL, NULL, false},
	};
	struct dsn_info info = info_base(r, 2);
	struct buf out;
	const char *s;

	buf_init(&out);
	assert_int_equal(dsn_build(&info, &out), 0);
	s = buf_cstr(&out);
	assert_non_null(strstr(s, "Content-Type: multipart/report; "
	                          "report-type=delivery-status;"));
	assert_non_null(strstr(s, "Content-Type: message/delivery-status"));
	assert_non_null(strstr(s, "Content-Type: text/rfc822-headers"));
	assert_non_null(strstr(s, "To: <app@example.com>\r\n"));
	assert_non_null(strstr(s, "Reporting-MTA: dns; mx.test\r\n"));
	assert_non_null(strstr(s,
	                       "Final-Recipient: rfc822; a@example.net\r\n"
	                       "Original-Recipient: rfc822; a@example.net\r\n"
	                       "Action: failed\r\nStatus: 5.1.1\r\n"));
	assert_non_null(strstr(s, "Action: delayed\r\nStatus: 4.4.7\r\n"));
	assert_non_null(strstr(s, "Diagnostic-Code: smtp; 550 5.1.1 no such"));
	assert_non_null(strstr(s, "Remote-MTA: dns; relay.test\r\n"));
	assert_non_null(strstr(s, "Subject: hi\r\n"));
	/* The original body is not mailed back. */
	assert_null(strstr(s, "secret body text"));
	/* Closing boundary present, and no bare LF anywhere. */
	assert_non_null(strstr(s, "--\r\n"));
	for (size_t i = 0; i < out.len; i++)
		if (s[i] == '\n')
			assert_int_equal(s[i - 1], '\r');
	buf_fini(&out);
}

static void
diagnostic_cannot_inject_headers(void **state)
{
	struct dsn_rcpt r = {"a@example.net", "5.0.0",
	                     "550 bad\r\nBcc: victim@example.org", NULL, false};
	struct dsn_info info = info_base(&r, 1);
	struct buf out;

	buf_init(&out);
	assert_int_equal(dsn_build(&info, &out), 0);
	assert_null(strstr(buf_cstr(&out), "\r\nBcc:"));
	buf_fini(&out);
}

static void
expired_recipient_is_reported_failed(void **state)
{
	struct dsn_rcpt r = {"a@example.net", "4.4.7", "gave up", NULL, true};
	struct dsn_info info = info_base(&r, 1);
	struct buf out;
	const char *s;

	buf_init(&out);
	assert_int_equal(dsn_build(&info, &out), 0);
	s = buf_cstr(&out);
	assert_non_null(strstr(s, "Action: failed\r\nStatus: 4.4.7\r\n"));
	assert_non_null(strstr(s, "Subject: Undelivered Mail Returned"));
	buf_fini(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(null_sender_gets_no_dsn),
	    cmocka_unit_test(report_has_three_parts_and_status_fields),
	    cmocka_unit_test(diagnostic_cannot_inject_headers),
	    cmocka_unit_test(expired_recipient_is_reported_failed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
