/*
 * test_dsn.c - delivery status notifications: the three parts and their
 * fields, no header injection from upstream text, and the character sets:
 * an all-ASCII report stays us-ascii 7bit, non-ASCII text (a UTF-8
 * recipient, an upstream's reply, internationalised original headers) is
 * declared UTF-8 and quoted-printable, never 8-bit under us-ascii, and
 * the delivery-status part stays ASCII (RFC 6533 utf-8 address type);
 * a report to a UTF-8 sender is RFC 6533's global one, 8bit.
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

/* part_of - the body part of out that starts with header ctype. */
static const char *
part_of(const char *s, const char *ctype)
{
	const char *p = strstr(s, ctype);

	assert_non_null(p);
	return p;
}

static void
non_ascii_text_is_declared_utf8_and_stays_7bit(void **state)
{
	static const char intl[] =
	    "From: app@example.com\r\nTo: \xe7\x94\xa8\xe6\x88\xb7@"
	    "example.net\r\nSubject: caf\xc3\xa9\r\n\r\nbody\r\n";
	struct dsn_rcpt r[2] = {
	    {"\xe7\x94\xa8\xe6\x88\xb7@example.net", "5.1.3",
	     "550 5.1.3 adresse refus\xc3\xa9"
	     "e \xff",
	     "relay.test", false},
	    {"a+b=c@example.net", "5.1.1", "550 no", NULL, false},
	};
	struct dsn_info info = info_base(r, 2);
	struct buf out;
	const char *s, *p;
	size_t i;

	info.original = (struct str){intl, sizeof(intl) - 1};
	buf_init(&out);
	assert_int_equal(dsn_build(&info, &out), 0);
	s = buf_cstr(&out);
	/* 7-bit throughout: no octet above 0x7f, lines within 998. */
	for (i = 0; i < out.len; i++)
		assert_true((unsigned char)s[i] < 0x80);
	assert_null(strstr(s, "charset=us-ascii"));
	p = part_of(s, "Content-Type: text/plain; charset=utf-8\r\n"
	               "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
	/* The recipient and the reply, UTF-8 in quoted-printable; the
	 * octet that was no UTF-8 became '?'. */
	assert_non_null(strstr(p, "<=E7=94=A8=E6=88=B7@example.net>"));
	assert_non_null(strstr(p, "refus=C3=A9e ?"));
	/* Machine-readable: the utf-8 address type in xtext form; an ASCII
	 * address keeps rfc822, even with + and =. */
	p = part_of(s, "Content-Type: message/delivery-status\r\n");
	assert_non_null(strstr(
	    p, "Final-Recipient: utf-8; \\x{7528}\\x{6237}@example.net\r\n"));
	assert_non_null(strstr(p, "Diagnostic-Code: smtp; 550 5.1.3 adresse "
	                          "refus\\x{00E9}e ?\r\n"));
	assert_non_null(
	    strstr(p, "Final-Recipient: rfc822; a+b=c@example.net\r\n"));
	/* The original's headers, internationalised: global-headers. */
	p = part_of(s, "Content-Type: message/global-headers\r\n"
	               "Content-Transfer-Encoding: quoted-printable\r\n");
	assert_non_null(strstr(p, "Subject: caf=C3=A9\r\n"));
	assert_null(strstr(s, "text/rfc822-headers"));
	buf_fini(&out);

	/* All ASCII: exactly as before, us-ascii and no transfer encoding. */
	info = info_base(&r[1], 1);
	buf_init(&out);
	assert_int_equal(dsn_build(&info, &out), 0);
	s = buf_cstr(&out);
	assert_non_null(strstr(s, "Content-Type: text/plain; charset=us-ascii"
	                          "\r\n\r\nThis is the mail system"));
	assert_non_null(
	    strstr(s, "Content-Type: text/rfc822-headers\r\n\r\nFrom: "));
	assert_null(strstr(s, "Content-Transfer-Encoding"));
	buf_fini(&out);
}

static void
utf8_sender_gets_a_global_report(void **state)
{
	static const char intl[] = "From: \xc3\xa9@example.com\r\n"
	                           "Subject: caf\xc3\xa9\r\n\r\nbody\r\n";
	struct dsn_rcpt r = {"\xe7\x94\xa8+x@example.net", "5.1.1",
	                     "550 5.1.1 inconnu \xc3\xa9", NULL, false};
	struct dsn_info info = info_base(&r, 1);
	struct buf out;
	const char *s, *p;

	(void)state;
	info.sender = "\xc3\xa9@example.com";
	info.original = (struct str){intl, sizeof(intl) - 1};
	buf_init(&out);
	assert_int_equal(dsn_build(&info, &out), 0);
	s = buf_cstr(&out);
	assert_non_null(strstr(s, "To: <\xc3\xa9@example.com>\r\n"));
	part_of(s, "Content-Type: text/plain; charset=utf-8\r\n"
	           "Content-Transfer-Encoding: 8bit\r\n\r\n");
	p = part_of(s, "Content-Type: message/global-delivery-status\r\n"
	               "Content-Transfer-Encoding: 8bit\r\n\r\n");
	/* utf-8-addr-unitext: UTF-8 as it is, '+' escaped. */
	assert_non_null(strstr(
	    p,
	    "Final-Recipient: utf-8; \xe7\x94\xa8\\x{002B}x@example.net\r\n"));
	assert_non_null(
	    strstr(p, "Diagnostic-Code: smtp; 550 5.1.1 inconnu \xc3\xa9\r\n"));
	p = part_of(s, "Content-Type: message/global-headers\r\n"
	               "Content-Transfer-Encoding: 8bit\r\n\r\n");
	assert_non_null(strstr(p, "Subject: caf\xc3\xa9\r\n"));
	assert_null(strstr(s, "quoted-printable"));
	assert_null(strstr(s, "message/delivery-status"));
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
	    cmocka_unit_test(non_ascii_text_is_declared_utf8_and_stays_7bit),
	    cmocka_unit_test(utf8_sender_gets_a_global_report),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
