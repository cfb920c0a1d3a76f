/*
 * test_mime_header.c - finding fields in the header section, and the
 * Received, Message-ID and Date lines ingress adds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/id.h"
#include "mime/header.h"

/* has - mime_header_has over a C string. */
static bool
has(const char *msg, const char *name)
{
	return mime_header_has(msg, strlen(msg), name);
}

static void
field_found_case_insensitively(void **state)
{
	const char *m = "From: a@example.com\r\nmessage-id: <x@y>\r\n"
	                "DATE: Tue, 04 Mar 2025 12:00:00 +0000\r\n\r\nbody\r\n";

	assert_true(has(m, "Message-ID"));
	assert_true(has(m, "Date"));
	assert_true(has(m, "from"));
	assert_false(has(m, "Subject"));
	/* A prefix or an extension of a name is another name. */
	assert_false(has(m, "Message"));
	assert_false(has(m, "Message-IDs"));
	assert_false(has(m, "Dat"));
}

static void
folded_lines_never_match(void **state)
{
	const char *m = "Subject: hello\r\n Message-ID: <not@a.field>\r\n"
	                "\tDate: not a field either\r\n"
	                "To: b@example.com\r\n\r\n";

	assert_false(has(m, "Message-ID"));
	assert_false(has(m, "Date"));
	assert_true(has(m, "To"));
	assert_true(has(m, "Subject"));
}

static void
body_after_empty_line_ignored(void **state)
{
	const char *m = "Subject: x\r\n\r\nMessage-ID: <in@body>\r\n"
	                "Date: in body\r\n";

	assert_false(has(m, "Message-ID"));
	assert_false(has(m, "Date"));
	assert_int_equal(mime_header_len(m, strlen(m)), 14);
	/* Bare LF line ends are understood too. */
	assert_false(has("Subject: x\n\nDate: y\n", "Date"));
	assert_true(has("Subject: x\nDate: y\n\nbody\n", "Date"));
}

static void
no_header_section_at_all(void **state)
{
	const char *body = "just some text\r\nDate: later\r\n";

	/* The first line is not a field, so everything is body. */
	assert_int_equal(mime_header_len(body, strlen(body)), 0);
	assert_false(has(body, "Date"));
	/* A message starting with the empty line has an empty header. */
	assert_int_equal(mime_header_len("\r\nDate: x\r\n", 11), 2);
	assert_false(has("\r\nDate: x\r\n", "Date"));
	/* A leading continuation line is not a header either. */
	assert_int_equal(mime_header_len(" Date: x\r\n", 10), 0);
	assert_false(has("", "Date"));
	assert_int_equal(mime_header_len("", 0), 0);
}

static void
header_without_body_or_final_newline(void **state)
{
	const char *m = "Subject: x\r\nDate: y";

	assert_true(has(m, "Date"));
	assert_int_equal(mime_header_len(m, strlen(m)), strlen(m));
}

static void
malformed_line_ends_header_section(void **state)
{
	const char *m = "Subject: x\r\nnot a header line\r\nDate: y\r\n\r\n";

	assert_true(has(m, "Subject"));
	assert_false(has(m, "Date"));
	assert_int_equal(mime_header_len(m, strlen(m)), 12);
	/* Blanks before the colon (RFC 5322 obsolete syntax) are allowed. */
	assert_true(has("Date  : x\r\n\r\n", "Date"));
	/* A name with a control byte is not a field. */
	assert_false(has("Da\x01te: x\r\n\r\n", "Da\x01te"));
	/* Only a NUL-free view is read: bytes past len do not count. */
	assert_false(mime_header_has("Subject: x\r\nDate: y\r\n", 12, "Date"));
}

static void
date_format_rfc5322(void **state)
{
	char d[MIME_DATE_SIZE];

	mime_date_format(d, 0);
	assert_string_equal(d, "Thu, 01 Jan 1970 00:00:00 +0000");
	mime_date_format(d, 1741089600); /* 2025-03-04 12:00:00 UTC */
	assert_string_equal(d, "Tue, 04 Mar 2025 12:00:00 +0000");
	mime_date_format(d, 951782399); /* 2000-02-28 23:59:59 UTC */
	assert_string_equal(d, "Mon, 28 Feb 2000 23:59:59 +0000");
}

static void
fields_walked_with_folded_values(void **state)
{
	static const char m[] = "From : a@x,\r\n\tb@y\r\nX-Empty:\n"
	                        "Subject: s\r\n\r\nFrom: body@z\r\n";
	size_t hlen = mime_header_len(m, strlen(m)), off = 0;
	struct str name, value;

	(void)state;
	assert_true(mime_header_field_next(m, hlen, &off, &name, &value));
	assert_int_equal(name.len, 4);
	assert_memory_equal(name.p, "From", 4);
	/* The value as written: continuation kept, last line end not. */
	assert_int_equal(value.len, strlen(" a@x,\r\n\tb@y"));
	assert_memory_equal(value.p, " a@x,\r\n\tb@y", value.len);
	assert_true(mime_header_field_next(m, hlen, &off, &name, &value));
	assert_true(str_eq_nocase(name, "x-empty"));
	assert_int_equal(value.len, 0);
	assert_true(mime_header_field_next(m, hlen, &off, &name, &value));
	assert_true(str_eq_nocase(name, "Subject"));
	assert_int_equal(value.len, 2);
	/* The body's "From:" is not a field. */
	assert_false(mime_header_field_next(m, hlen, &off, &name, &value));
	assert_int_equal(off, hlen);
}

static void
date_and_message_id_lines(void **state)
{
	struct buf b;
	char id[ID_SIZE];

	buf_init(&b);
	mime_header_date_add(&b, 1741089600);
	assert_string_equal(buf_cstr(&b),
	                    "Date: Tue, 04 Mar 2025 12:00:00 +0000\r\n");
	b.len = 0;
	id_make(id, 1741089600000ull, 7);
	mime_header_msgid_add(&b, id, "mx.example.com");
	assert_int_equal(b.len,
	                 strlen("Message-ID: <@mx.example.com>\r\n") + ID_LEN);
	assert_memory_equal(b.p, "Message-ID: <", 13);
	assert_memory_equal(b.p + 13, id, ID_LEN);
	assert_string_equal(b.p + 13 + ID_LEN, "@mx.example.com>\r\n");
	/* What we add is found by the check that decides whether to add. */
	assert_true(mime_header_has(b.p, b.len, "Message-ID"));
	buf_fini(&b);
}

static void
received_line_folded_like_postfix(void **state)
{
	struct mime_received r = {
	    .helo = "client.test",
	    .ip = "127.0.0.1",
	    .by = "mx.example.com",
	    .with = "ESMTPSA",
	    .id = NULL,
	    .t = 1741089600,
	};
	struct buf b;

	buf_init(&b);
	mime_header_received_add(&b, &r);
	assert_string_equal(buf_cstr(&b),
	                    "Received: from client.test ([127.0.0.1])\r\n"
	                    "\tby mx.example.com (swerve) with ESMTPSA;\r\n"
	                    "\tTue, 04 Mar 2025 12:00:00 +0000\r\n");
	b.len = 0;
	r.id = "01ABC";
	r.with = "ESMTP";
	mime_header_received_add(&b, &r);
	assert_non_null(strstr(buf_cstr(&b), "with ESMTP id 01ABC;\r\n"));
	/* An IPv6 client as an RFC 5321 IPv6 address literal. */
	b.len = 0;
	r.ip = "::1";
	mime_header_received_add(&b, &r);
	assert_non_null(strstr(buf_cstr(&b),
	                       "Received: from client.test ([IPv6:::1])\r\n"));
	/* It is one field: a header check sees it and nothing else. */
	assert_true(mime_header_has(b.p, b.len, "Received"));
	assert_false(mime_header_has(b.p, b.len, "by"));
	buf_fini(&b);
}

static void
msgid_valid_and_invalid(void **state)
{
	static const char *const good[] = {
	    "<a@b>",
	    "<CAF1.x+y=z@mail.example.com>",
	    "<1.2.3@[192.0.2.1]>",
	    "<{x}~!#$%&'*/?^_`|@h-1.example>",
	    "<\xc3\xa9t\xc3\xa9@exemple.fr>",
	};
	static const char *const bad[] = {
	    "",         "a@b",       "<a@b",     "a@b>",    "<ab>",
	    "<@b>",     "<a@>",      "<a b@c>",  "<a@b c>", "<.a@b>",
	    "<a.@b>",   "<a..b@c>",  "<a@b..c>", "<a@@b>",  "<\"q\"@b>",
	    "<a@[x]y>", "<a@[x[y]>", "<a@b>(c)", "<<a@b>>", "<a@b>, <c@d>",
	    "<a(c)@b>",
	};
	char longid[MIME_MSGID_MAX + 2];
	struct str v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(mime_msgid_valid(good[i], strlen(good[i])));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(mime_msgid_valid(bad[i], strlen(bad[i])));
	assert_false(mime_msgid_valid("<a\0@b>", 6));
	/* MIME_MSGID_MAX octets pass, one more does not. */
	memset(longid, 'x', sizeof(longid));
	longid[0] = '<';
	memcpy(longid + MIME_MSGID_MAX - 3, "@b>", 3);
	assert_true(mime_msgid_valid(longid, MIME_MSGID_MAX));
	memcpy(longid + MIME_MSGID_MAX - 2, "@b>", 3);
	assert_false(mime_msgid_valid(longid, MIME_MSGID_MAX + 1));
	/* A field value: folding and blanks around are not the msg-id. */
	assert_true(mime_msgid_trim(" \r\n\t<a@b>  ", 11, &v));
	assert_int_equal(v.len, 5);
	assert_memory_equal(v.p, "<a@b>", 5);
	assert_false(mime_msgid_trim(" <a@b> x", 8, &v));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(field_found_case_insensitively),
	    cmocka_unit_test(folded_lines_never_match),
	    cmocka_unit_test(body_after_empty_line_ignored),
	    cmocka_unit_test(no_header_section_at_all),
	    cmocka_unit_test(header_without_body_or_final_newline),
	    cmocka_unit_test(malformed_line_ends_header_section),
	    cmocka_unit_test(fields_walked_with_folded_values),
	    cmocka_unit_test(date_format_rfc5322),
	    cmocka_unit_test(date_and_message_id_lines),
	    cmocka_unit_test(received_line_folded_like_postfix),
	    cmocka_unit_test(msgid_valid_and_invalid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
