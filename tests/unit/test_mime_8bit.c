/*
 * test_mime_8bit.c - what 8-bit octets need of a server (SMTPUTF8,
 * 8BITMIME), and the RFC 6152 downgrade to quoted-printable, well-formed
 * and malformed MIME alike.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "mime/mime_8bit.h"
#include "mime/mime_int.h"

#define L(s) (s), sizeof(s) - 1

/* dg - downgrade s; returns rc, out holds the result or the reason. */
static int
dg(const char *s, size_t n, struct buf *out, char *why, size_t whylen)
{
	buf_init(out);
	return mime_8bit_downgrade(s, n, out, why, whylen);
}

/* assert_downgrade - in converts, and to exactly want. */
#define assert_downgrade(in, want)                                             \
	do {                                                                   \
		struct buf out_;                                               \
		char why_[128];                                                \
		assert_int_equal(dg(L(in), &out_, why_, sizeof(why_)), 0);     \
		assert_string_equal(buf_cstr(&out_), want);                    \
		buf_fini(&out_);                                               \
	} while (0)

/* is_7bit_short - no 8-bit octet, no line over 76 in the encoded parts
 * (checked by the caller's choice of input: every line is short). */
static void
assert_7bit(const struct buf *b)
{
	size_t i;

	for (i = 0; i < b->len; i++)
		assert_true((unsigned char)b->p[i] < 0x80);
}

static void
scan_finds_header_and_body(void **state)
{
	assert_int_equal(mime_8bit_scan(L("Subject: a\r\n\r\nb\r\n")), 0);
	assert_int_equal(mime_8bit_scan(L("Subject: \xc3\xa4\r\n\r\nb\r\n")),
	                 MIME_8BIT_HEADER);
	assert_int_equal(mime_8bit_scan(L("Subject: a\r\n\r\n\xc3\xa4\r\n")),
	                 MIME_8BIT_BODY);
	assert_int_equal(
	    mime_8bit_scan(L("Subject: \xc3\xa4\r\n\r\n\xc3\xa4\r\n")),
	    MIME_8BIT_HEADER | MIME_8BIT_BODY);
	assert_int_equal(mime_8bit_scan(L("")), 0);
}

static void
smtputf8_needed_for_utf8_addresses_and_headers_only(void **state)
{
	const char *ascii[] = {"a@example.net", "b@example.net"};
	const char *utf8[] = {"a@example.net", "\xe7\x94\xa8@example.net"};
	static const char plain[] = "Subject: a\r\n\r\nb\r\n";
	static const char body8[] = "Subject: a\r\n\r\nGr\xc3\xbc\xc3\x9f\r\n";
	static const char head8[] = "Subject: Gr\xc3\xbc\xc3\x9f\r\n\r\nb\r\n";

	assert_false(mime_8bit_needs_smtputf8("s@x.test", ascii, 2, L(plain)));
	assert_true(mime_8bit_needs_smtputf8("s@x.test", utf8, 2, L(plain)));
	assert_true(mime_8bit_needs_smtputf8("d\xc3\xb6rte@x.test", ascii, 2,
	                                     L(plain)));
	assert_true(mime_8bit_needs_smtputf8("s@x.test", ascii, 2, L(head8)));
	/* 8-bit in the body alone is 8BITMIME's business. */
	assert_false(mime_8bit_needs_smtputf8("s@x.test", ascii, 2, L(body8)));
	assert_false(mime_8bit_needs_smtputf8("", ascii, 2, L(plain)));
	assert_false(mime_8bit_needs_smtputf8(NULL, ascii, 0, L(plain)));
}

static void
seven_bit_message_is_copied_byte_for_byte(void **state)
{
	static const char m[] = "Subject: a\r\nContent-Type: multipart/mixed; "
	                        "boundary=x\r\n\r\n--x\r\n\r\nno\r\n--x--\r\n";
	struct buf out;
	char why[128];

	assert_int_equal(dg(L(m), &out, why, sizeof(why)), 0);
	assert_int_equal(out.len, sizeof(m) - 1);
	assert_memory_equal(out.p, m, out.len);
	buf_fini(&out);
}

static void
plain_8bit_message_gets_mime_version_and_qp(void **state)
{
	static const char m[] = "From: a@x.test\r\n"
	                        "Subject: hi\r\n"
	                        "\r\n"
	                        "Gr\xc3\xbc\xc3\x9f = ok \r\n"
	                        ".dot\r\n";
	static const char want[] =
	    "From: a@x.test\r\n"
	    "Subject: hi\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n"
	    "\r\n"
	    "Gr=C3=BC=C3=9F =3D ok=20\r\n"
	    ".dot\r\n";

	assert_downgrade(m, want);
}

static void
only_the_8bit_part_changes_in_a_multipart(void **state)
{
	static const char m[] =
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/alternative; boundary=\"b1\"\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n"
	    "\r\n"
	    "preamble\r\n"
	    "--b1\r\n"
	    "Content-Type: text/plain; charset=us-ascii\r\n"
	    "\r\n"
	    "seven\r\n"
	    "--b1\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n"
	    "Content-Disposition: inline\r\n"
	    "\r\n"
	    "\xc3\xa4\r\n"
	    "--b1--\r\n"
	    "epilogue\r\n";
	static const char want[] =
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/alternative; boundary=\"b1\"\r\n"
	    "\r\n"
	    "preamble\r\n"
	    "--b1\r\n"
	    "Content-Type: text/plain; charset=us-ascii\r\n"
	    "\r\n"
	    "seven\r\n"
	    "--b1\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Disposition: inline\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n"
	    "\r\n"
	    "=C3=A4\r\n"
	    "--b1--\r\n"
	    "epilogue\r\n";

	assert_downgrade(m, want);
}

/* Long 8-bit lines: soft breaks keep every line at 76 or less, and
 * decoding gives back the original bytes. */
static void
long_lines_are_soft_broken_and_round_trip(void **state)
{
	static const char head[] = "Subject: x\r\n"
	                           "MIME-Version: 1.0\r\n"
	                           "\r\n";
	struct buf in, out, dec;
	const char *body, *p, *e;
	char why[128];
	size_t i;

	buf_init(&in);
	buf_add(&in, head, sizeof(head) - 1);
	for (i = 0; i < 500; i++)
		buf_add(&in, i % 7 ? "\xc3\xa9" : "ab= \t", i % 7 ? 2 : 5);
	buf_addstr(&in, " \r\nsecond line\t\r\n");
	assert_int_equal(dg(in.p, in.len, &out, why, sizeof(why)), 0);
	assert_7bit(&out);
	body = strstr(buf_cstr(&out), "\r\n\r\n") + 4;
	for (p = body; *p != '\0'; p = e + 2) {
		e = strstr(p, "\r\n");
		assert_non_null(e);
		assert_true(e - p <= 76);
	}
	buf_init(&dec);
	assert_int_equal(mime_qp_decode(body, strlen(body), &dec), 0);
	assert_int_equal(dec.len, in.len - (sizeof(head) - 1));
	assert_memory_equal(dec.p, in.p + sizeof(head) - 1, dec.len);
	buf_fini(&dec);
	buf_fini(&out);
	buf_fini(&in);
}

static void
encapsulated_message_is_converted_inside(void **state)
{
	static const char m[] = "MIME-Version: 1.0\r\n"
	                        "Content-Type: message/rfc822\r\n"
	                        "\r\n"
	                        "Subject: inner\r\n"
	                        "\r\n"
	                        "\xff\r\n";
	static const char want[] =
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: message/rfc822\r\n"
	    "\r\n"
	    "Subject: inner\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n"
	    "\r\n"
	    "=FF\r\n";

	assert_downgrade(m, want);
}

/* Malformed but readable: a missing close delimiter ends the last part at
 * the end; a part with no header section gets one. */
static void
missing_close_delimiter_and_headerless_part_are_converted(void **state)
{
	static const char m[] = "MIME-Version: 1.0\r\n"
	                        "Content-Type: multipart/mixed; boundary=q\r\n"
	                        "\r\n"
	                        "--q\r\n"
	                        "\xe9t\xe9\r\n";
	static const char want[] =
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=q\r\n"
	    "\r\n"
	    "--q\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n"
	    "\r\n"
	    "=E9t=E9\r\n";

	assert_downgrade(m, want);
}

struct refusal {
	const char *name;
	const char *msg;
	const char *why;
};

static const struct refusal refusals[] = {
    {"8-bit header field", "Subject: \xc3\xa4\r\n\r\nx\r\n",
     "8-bit octets in the header section (needs SMTPUTF8)"},
    {"8-bit part header",
     "Content-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\n"
     "Content-Disposition: attachment; filename=\xc3\xa4\r\n\r\nx\r\n--q--\r\n",
     "8-bit octets in a MIME part's header"},
    {"multipart without boundary",
     "Content-Type: multipart/mixed\r\n\r\n\xc3\xa4\r\n",
     "malformed multipart: no usable boundary"},
    {"boundary never used",
     "Content-Type: multipart/mixed; boundary=q\r\n\r\n\xc3\xa4\r\n",
     "malformed multipart: no boundary delimiter"},
    {"8-bit preamble",
     "Content-Type: multipart/mixed; boundary=q\r\n\r\n\xc3\xa4\r\n--q\r\n"
     "\r\nx\r\n--q--\r\n",
     "8-bit octets in a multipart preamble"},
    {"8-bit epilogue",
     "Content-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\n\r\nx\r\n"
     "--q--\r\n\xc3\xa4\r\n",
     "8-bit octets in a multipart epilogue"},
    {"8-bit in base64",
     "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n"
     "\xc3\xa4\r\n",
     "8-bit octets in a base64 or quoted-printable part"},
    {"unknown encoding", "Content-Transfer-Encoding: x-uue\r\n\r\n\xc3\xa4\r\n",
     "8-bit octets under an unknown Content-Transfer-Encoding"},
    {"message/global",
     "Content-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\n"
     "Content-Type: message/global\r\n\r\nSubject: x\r\n\r\n\xc3\xa4\r\n"
     "--q--\r\n",
     "a message/global part cannot be converted"},
};

static void
unconvertible_messages_are_refused_with_a_reason(void **state)
{
	struct buf out;
	char why[128];
	size_t i;

	for (i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		print_message("case: %s\n", refusals[i].name);
		assert_int_equal(dg(refusals[i].msg, strlen(refusals[i].msg),
		                    &out, why, sizeof(why)),
		                 -1);
		assert_string_equal(why, refusals[i].why);
		buf_fini(&out);
	}
}

static void
deep_nesting_is_refused(void **state)
{
	struct buf in, out;
	char why[128];
	int i;

	buf_init(&in);
	for (i = 0; i < 40; i++)
		buf_printf(&in,
		           "Content-Type: multipart/mixed; boundary=b%d\r\n\r\n"
		           "--b%d\r\n",
		           i, i);
	buf_addstr(&in, "\r\n\xc3\xa4\r\n");
	assert_int_equal(dg(in.p, in.len, &out, why, sizeof(why)), -1);
	assert_string_equal(why, "MIME nesting too deep to convert");
	buf_fini(&out);
	buf_fini(&in);
}

/* A digest's parts are messages by default: their own headers are kept
 * and their bodies converted. */
static void
digest_parts_default_to_messages(void **state)
{
	static const char m[] = "Content-Type: multipart/digest; boundary=d\r\n"
	                        "\r\n"
	                        "--d\r\n"
	                        "\r\n"
	                        "Subject: one\r\n"
	                        "\r\n"
	                        "\xc3\xa4\r\n"
	                        "--d--\r\n";
	struct buf out;
	char why[128];

	assert_int_equal(dg(L(m), &out, why, sizeof(why)), 0);
	assert_non_null(strstr(buf_cstr(&out),
	                       "--d\r\n\r\nSubject: one\r\n"
	                       "Content-Transfer-Encoding: quoted-printable\r\n"
	                       "\r\n=C3=A4\r\n--d--\r\n"));
	assert_7bit(&out);
	buf_fini(&out);
}

/* The scan reads eight octets at a time: an 8-bit octet at every
 * offset of bodies of every length up to 40 is found, and none else. */
static void
scan_finds_an_8bit_octet_at_every_offset(void **state)
{
	static const char head[] = "A: b\r\n\r\n";
	char msg[64];

	(void)state;
	for (size_t n = 0; n <= 40; n++) {
		memcpy(msg, head, sizeof(head) - 1);
		memset(msg + sizeof(head) - 1, 'x', n);
		assert_int_equal(mime_8bit_scan(msg, sizeof(head) - 1 + n), 0);
		for (size_t j = 0; j < n; j++) {
			msg[sizeof(head) - 1 + j] = (char)0xc3;
			assert_int_equal(
			    mime_8bit_scan(msg, sizeof(head) - 1 + n),
			    MIME_8BIT_BODY);
			msg[sizeof(head) - 1 + j] = 'x';
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(scan_finds_header_and_body),
	    cmocka_unit_test(scan_finds_an_8bit_octet_at_every_offset),
	    cmocka_unit_test(
	        smtputf8_needed_for_utf8_addresses_and_headers_only),
	    cmocka_unit_test(seven_bit_message_is_copied_byte_for_byte),
	    cmocka_unit_test(plain_8bit_message_gets_mime_version_and_qp),
	    cmocka_unit_test(only_the_8bit_part_changes_in_a_multipart),
	    cmocka_unit_test(long_lines_are_soft_broken_and_round_trip),
	    cmocka_unit_test(encapsulated_message_is_converted_inside),
	    cmocka_unit_test(
	        missing_close_delimiter_and_headerless_part_are_converted),
	    cmocka_unit_test(unconvertible_messages_are_refused_with_a_reason),
	    cmocka_unit_test(deep_nesting_is_refused),
	    cmocka_unit_test(digest_parts_default_to_messages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
