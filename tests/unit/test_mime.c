/*
 * test_mime.c - the MIME reader: header fields, addresses, encoded-words,
 * RFC 2231 parameters, transfer encodings, charsets, the body tree, the
 * extraction for JSON providers and the faithfulness verdict.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "mime/mime.h"

/* parse - mime_parse over a C string. */
static struct mime_msg *
parse(const char *s)
{
	return mime_parse(s, strlen(s));
}

/* faithful - the verdict, ignoring the reason. */
static bool
faithful(const struct mime_msg *m)
{
	const char *why = NULL;
	bool ok = mime_faithful_for_json(m, &why);

	assert_true(ok == (why == NULL));
	return ok;
}

/* reason - the verdict's reason ("" when faithful). */
static const char *
reason(const struct mime_msg *m)
{
	const char *why = NULL;

	mime_faithful_for_json(m, &why);
	return why ? why : "";
}

#define HDR                                                                    \
	"From: Alice <a@example.com>\r\nTo: b@example.net\r\n"                 \
	"Subject: hi\r\nMessage-ID: <1@example.com>\r\n"                       \
	"Date: Tue, 04 Mar 2025 12:00:00 +0000\r\nMIME-Version: 1.0\r\n"

static void
simple_text_message_is_faithful(void **state)
{
	struct mime_msg *m = parse(HDR "X-Entity-Ref-ID: 42\r\n"
	                               "Content-Type: text/plain; "
	                               "charset=utf-8\r\n\r\nhello\r\n");

	assert_int_equal(m->flags, 0);
	assert_true(faithful(m));
	assert_string_equal(m->subject, "hi");
	assert_int_equal(m->nfrom, 1);
	assert_string_equal(m->from[0].name, "Alice");
	assert_string_equal(m->from[0].addr, "a@example.com");
	assert_int_equal(m->nto, 1);
	assert_null(m->to[0].name);
	assert_string_equal(m->to[0].addr, "b@example.net");
	assert_non_null(m->text);
	assert_int_equal(m->text_len, 7);
	assert_memory_equal(m->text, "hello\r\n", 7);
	assert_null(m->html);
	assert_int_equal(m->nattachments, 0);
	/* Message-ID, Date and X-Entity-Ref-ID travel as custom headers. */
	assert_int_equal(m->ncustom, 3);
	assert_string_equal(m->custom[2]->name, "X-Entity-Ref-ID");
	assert_string_equal(m->custom[2]->value, "42");
	mime_free(m);
}

static void
folded_fields_are_unfolded(void **state)
{
	struct mime_msg *m = parse("From: a@example.com\r\nSubject: one\r\n"
	                           "\ttwo\r\n  three\r\n\r\nbody\r\n");

	assert_string_equal(m->subject, "one\ttwo  three");
	assert_string_equal(mime_field_get(m, "subject"), "one\ttwo  three");
	assert_true(faithful(m));
	mime_free(m);
}

static void
no_content_type_defaults_to_ascii_text(void **state)
{
	struct mime_msg *m = parse("From: a@example.com\r\n\r\nhi\r\n");

	assert_true(faithful(m));
	assert_string_equal(m->root->type, "text/plain");
	assert_string_equal(m->text, "hi\r\n");
	mime_free(m);
}

#define ALT                                                                    \
	"Content-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n"        \
	"preamble is ignored\r\n"                                              \
	"--alt\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"          \
	"plain\r\n"                                                            \
	"--alt  \r\nContent-Type: text/html; charset=utf-8\r\n"                \
	"Content-Transfer-Encoding: quoted-printable\r\n\r\n"                  \
	"<p>caf=C3=A9</p>\r\n"                                                 \
	"--alt--\r\nepilogue is ignored\r\n"

static void
alternative_gives_text_and_html(void **state)
{
	struct mime_msg *m = parse(HDR ALT);

	assert_int_equal(m->flags, 0);
	assert_true(faithful(m));
	assert_int_equal(m->root->nchildren, 2);
	assert_string_equal(m->text, "plain");
	assert_string_equal(m->html, "<p>caf\xc3\xa9</p>");
	assert_int_equal(m->nattachments, 0);
	mime_free(m);
}

#define PDF_B64 "JVBERi0xLjQK\r\nJSVFT0YK\r\n"

static void
mixed_lists_attachment_with_decoded_bytes(void **state)
{
	struct mime_msg *m = parse(
	    HDR "Content-Type: multipart/mixed; boundary=mix\r\n\r\n"
	        "--mix\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
	        "--mix\r\nContent-Type: application/pdf; name=\"n.pdf\"\r\n"
	        "Content-Disposition: attachment; filename=\"x.pdf\"\r\n"
	        "Content-Transfer-Encoding: base64\r\n\r\n" PDF_B64
	        "--mix--\r\n");

	assert_true(faithful(m));
	assert_string_equal(m->text, "see attached");
	assert_int_equal(m->nattachments, 1);
	assert_string_equal(m->attachments[0].filename, "x.pdf");
	assert_string_equal(m->attachments[0].type, "application/pdf");
	assert_int_equal(m->attachments[0].len, 15);
	assert_memory_equal(m->attachments[0].data, "%PDF-1.4\n%%EOF\n", 15);
	assert_false(m->attachments[0].is_inline);
	mime_free(m);
}

#define RELATED                                                                \
	"Content-Type: multipart/related; boundary=rel\r\n\r\n"                \
	"--rel\r\nContent-Type: text/html\r\n\r\n<img src=\"cid:img1\">\r\n"   \
	"--rel\r\nContent-Type: image/png; name=dot.png\r\n"                   \
	"Content-ID: <img1>\r\nContent-Transfer-Encoding: base64\r\n\r\n"      \
	"iVBORw==\r\n--rel--\r\n"

static void
related_gives_inline_image_with_content_id(void **state)
{
	struct mime_msg *m = parse(HDR RELATED);

	assert_true(faithful(m));
	assert_null(m->text);
	assert_string_equal(m->html, "<img src=\"cid:img1\">");
	assert_int_equal(m->nattachments, 1);
	assert_true(m->attachments[0].is_inline);
	assert_string_equal(m->attachments[0].content_id, "img1");
	assert_string_equal(m->attachments[0].filename, "dot.png");
	assert_int_equal(m->attachments[0].len, 4);
	assert_memory_equal(m->attachments[0].data, "\x89PNG", 4);
	mime_free(m);
}

static void
mixed_related_alternative_nest_is_faithful(void **state)
{
	struct mime_msg *m = parse(
	    HDR "Content-Type: multipart/mixed; boundary=m\r\n\r\n"
	        "--m\r\nContent-Type: multipart/related; boundary=r\r\n\r\n"
	        "--r\r\nContent-Type: multipart/alternative; boundary=a\r\n\r\n"
	        "--a\r\n\r\ntext\r\n--a\r\nContent-Type: text/html\r\n\r\n"
	        "<b>html</b>\r\n--a--\r\n"
	        "--r\r\nContent-Type: image/gif\r\nContent-ID: <g>\r\n\r\n"
	        "GIF89a\r\n--r--\r\n"
	        "--m\r\nContent-Type: text/csv\r\n"
	        "Content-Disposition: attachment; filename=t.csv\r\n\r\n"
	        "a,b\r\n--m--\r\n");

	assert_int_equal(m->flags, 0);
	assert_true(faithful(m));
	assert_int_equal(m->nparts, 7);
	assert_string_equal(m->text, "text");
	assert_string_equal(m->html, "<b>html</b>");
	assert_int_equal(m->nattachments, 2);
	assert_true(m->attachments[0].is_inline);
	assert_string_equal(m->attachments[0].content_id, "g");
	assert_false(m->attachments[1].is_inline);
	assert_string_equal(m->attachments[1].filename, "t.csv");
	assert_memory_equal(m->attachments[1].data, "a,b", 3);
	mime_free(m);
}

static void
alternative_in_mixed_in_related_parses_but_is_not_faithful(void **state)
{
	struct mime_msg *m = parse(
	    HDR "Content-Type: multipart/related; boundary=r\r\n\r\n"
	        "--r\r\nContent-Type: multipart/mixed; boundary=m\r\n\r\n"
	        "--m\r\nContent-Type: multipart/alternative; boundary=a\r\n\r\n"
	        "--a\r\n\r\ntext\r\n--a\r\nContent-Type: text/html\r\n\r\n"
	        "<b>html</b>\r\n--a--\r\n--m--\r\n"
	        "--r\r\nContent-Type: image/gif\r\nContent-ID: <g>\r\n\r\n"
	        "GIF89a\r\n--r--\r\n");
	const struct mime_part *alt;

	/* The tree is right ... */
	assert_int_equal(m->flags, 0);
	assert_int_equal(m->nparts, 6);
	alt = m->root->children[0]->children[0];
	assert_string_equal(alt->type, "multipart/alternative");
	assert_int_equal(alt->depth, 2);
	assert_string_equal(alt->children[1]->utf8, "<b>html</b>");
	/* ... but a related root that is not HTML has no JSON shape. */
	assert_false(faithful(m));
	mime_free(m);
}

/* Transfer-encoding cases: body, CTE, expected bytes (NULL: flagged). */
struct cte_case {
	const char *cte;
	const char *body;
	const char *want;
	size_t want_len;
};

static const struct cte_case cte_cases[] = {
    {"base64", "aGVsbG8=\r\n", "hello", 5},
    {"base64", "aGVs\r\nbG8gd29y\r\nbGQ=\r\n", "hello world", 11},
    {"base64", "aGVsbG8\r\n", "hello", 5},   /* padding optional */
    {"base64", "aGV sbG8=\r\n", "hello", 5}, /* blanks skipped */
    {"base64", "", "", 0},
    {"base64", "aGVs*bG8=\r\n", NULL, 0},    /* garbage */
    {"base64", "aGVsbG8=aGk=\r\n", NULL, 0}, /* data after padding */
    {"base64", "aGVsb\r\n", NULL, 0},        /* lone sextet */
    {"base64", "aGVsbA===\r\n", NULL, 0},    /* too much padding */
    {"quoted-printable", "a=3Db=\r\nc\r\n", "a=bc\r\n", 6},
    {"quoted-printable", "caf=c3=a9\r\n", "caf\xc3\xa9\r\n", 7},
    {"quoted-printable", "trailing   \r\nx", "trailing\r\nx", 11},
    {"quoted-printable", "soft =  \r\nbreak", "soft break", 10},
    {"quoted-printable", "nul=00byte", "nul\0byte", 8},
    {"quoted-printable", "bad=G1\r\n", NULL, 0},
    {"quoted-printable", "short=4", NULL, 0},
    {"7bit", "as is  \r\n", "as is  \r\n", 9},
    {"8bit", "\xc3\xa9\r\n", "\xc3\xa9\r\n", 4},
    {"binary", "\xc3\xa9", "\xc3\xa9", 2},
    {"x-uuencode", "begin\r\n", NULL, 0},
};

static void
transfer_encodings_decode_or_flag(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(cte_cases) / sizeof(cte_cases[0]); i++) {
		const struct cte_case *c = &cte_cases[i];
		char msg[512];
		struct mime_msg *m;

		snprintf(msg, sizeof(msg),
		         "From: a@b.c\r\nContent-Type: application/octet-stream"
		         "\r\nContent-Transfer-Encoding: %s\r\n\r\n%s",
		         c->cte, c->body);
		m = parse(msg);
		if (c->want == NULL) {
			assert_true(m->flags & MIME_F_ENCODING);
			assert_false(faithful(m));
		} else {
			assert_int_equal(m->flags, 0);
			assert_int_equal(m->root->len, c->want_len);
			assert_memory_equal(m->root->data, c->want,
			                    c->want_len);
		}
		mime_free(m);
	}
}

/* RFC 2047 cases: raw Subject, decoded Subject. */
static const char *const word_cases[][2] = {
    {"=?utf-8?B?Y2Fmw6k=?=", "caf\xc3\xa9"},
    {"=?UTF-8?Q?caf=C3=A9_au_lait?=", "caf\xc3\xa9 au lait"},
    {"=?iso-8859-1?q?caf=E9?=", "caf\xc3\xa9"},
    /* Blanks between adjacent encoded-words vanish (RFC 2047 6.2). */
    {"=?utf-8?Q?a?= =?utf-8?Q?b?=", "ab"},
    {"=?utf-8?Q?a?=\t  =?utf-8?Q?b?=", "ab"},
    /* ... but not between a word and plain text. */
    {"=?utf-8?Q?a?= b =?utf-8?Q?c?=", "a b c"},
    {"x =?utf-8?Q?a?=", "x a"},
    /* Language suffix (RFC 2231 section 5). */
    {"=?utf-8*en?Q?hi?=", "hi"},
    /* Invalid words stay as written. */
    {"=?utf-8?X?abc?=", "=?utf-8?X?abc?="},
    {"=?utf-8?B?!!!!?=", "=?utf-8?B?!!!!?="},
    {"=?utf-8?Q?a b?=", "=?utf-8?Q?a b?="},
    {"=?utf-8?Q?=0D=0Ainjected?=", "=?utf-8?Q?=0D=0Ainjected?="},
    {"=??Q?a?=", "=??Q?a?="},
    {"plain =? text ?=", "plain =? text ?="},
    {"raw utf-8 \xc3\xa9", "raw utf-8 \xc3\xa9"},
};

static void
encoded_words_decode_to_utf8(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(word_cases) / sizeof(word_cases[0]); i++) {
		char msg[256];
		struct mime_msg *m;

		snprintf(msg, sizeof(msg),
		         "From: a@b.c\r\nSubject: %s\r\n\r\nx",
		         word_cases[i][0]);
		m = parse(msg);
		assert_string_equal(m->subject, word_cases[i][1]);
		assert_true(faithful(m));
		mime_free(m);
	}
}

static void
encoded_word_in_unknown_charset_is_not_faithful(void **state)
{
	struct mime_msg *m = parse("From: a@b.c\r\n"
	                           "Subject: =?x-klingon?Q?a?=\r\n\r\nx");

	assert_string_equal(m->subject, "=?x-klingon?Q?a?=");
	assert_true(m->flags & MIME_F_UNKNOWN_CS);
	assert_false(faithful(m));
	mime_free(m);
}

/* Address cases: field value, then name|addr|group triples (- = NULL). */
struct addr_case {
	const char *value;
	size_t n;
	const char *want[4][3];
	bool bad;
};

static const struct addr_case addr_cases[] = {
    {"b@example.net", 1, {{NULL, "b@example.net", NULL}}, false},
    {"Bob <b@example.net>, c@example.org",
     2,
     {{"Bob", "b@example.net", NULL}, {NULL, "c@example.org", NULL}},
     false},
    {"\"Doe, John\" <j@x.org>", 1, {{"Doe, John", "j@x.org", NULL}}, false},
    {"\"quoted \\\"q\\\"\" <q@x.org>",
     1,
     {{"quoted \"q\"", "q@x.org", NULL}},
     false},
    {"b@x.org (Bob Old)", 1, {{"Bob Old", "b@x.org", NULL}}, false},
    {"\"trail \"<t@x.org>", 1, {{"trail ", "t@x.org", NULL}}, false},
    {"\"Joe\" Q. Public <j@x.org>",
     1,
     {{"Joe Q. Public", "j@x.org", NULL}},
     false},
    {"Bob (comment) Smith <b @ x . org>",
     1,
     {{"Bob Smith", "b@x.org", NULL}},
     false},
    {"=?utf-8?Q?Ren=C3=A9?= <r@x.org>",
     1,
     {{"Ren\xc3\xa9", "r@x.org", NULL}},
     false},
    {"\"first.last\"@x.org", 1, {{NULL, "\"first.last\"@x.org", NULL}}, false},
    {"<@route.example:a@x.org>", 1, {{NULL, "a@x.org", NULL}}, false},
    {"a@[192.0.2.1]", 1, {{NULL, "a@[192.0.2.1]", NULL}}, false},
    {"team: a@x.org, Bee <b@x.org>;, c@x.org",
     3,
     {{NULL, "a@x.org", "team"},
      {"Bee", "b@x.org", "team"},
      {NULL, "c@x.org", NULL}},
     false},
    {"undisclosed-recipients:;", 0, {{NULL}}, false},
    {",, a@x.org ,", 1, {{NULL, "a@x.org", NULL}}, false},
    {"just a name, b@x.org", 1, {{NULL, "b@x.org", NULL}}, true},
    {"john doe@x.org", 0, {{NULL}}, true},
    {"a@x .org", 1, {{NULL, "a@x.org", NULL}}, false},
    {"a@x org", 0, {{NULL}}, true},
    {"<a@x.org", 0, {{NULL}}, true},
    {"\"open quote <a@x.org>", 0, {{NULL}}, true},
    /* Domains are IDNA2008: a U-label or an A-label is fine, a bidi
     * control, a zero-width character or a broken A-label is not. */
    {"u@b\xc3\xbc"
     "cher.example",
     1,
     {{NULL,
       "u@b\xc3\xbc"
       "cher.example",
       NULL}},
     false},
    {"u@xn--bcher-kva.example",
     1,
     {{NULL, "u@xn--bcher-kva.example", NULL}},
     false},
    {"Pay <u@pay\xe2\x80\xaelap.example>, c@x.org",
     1,
     {{NULL, "c@x.org", NULL}},
     true},
    {"u@pay\xe2\x80\x8bpal.example", 0, {{NULL}}, true},
    {"u@a\xe2\x80\x8d.example", 0, {{NULL}}, true},
    {"u@xn--zz.example", 0, {{NULL}}, true},
};

static void
address_lists_parse_names_groups_comments(void **state)
{
	size_t i, k;

	for (i = 0; i < sizeof(addr_cases) / sizeof(addr_cases[0]); i++) {
		const struct addr_case *c = &addr_cases[i];
		char msg[512];
		struct mime_msg *m;

		snprintf(msg, sizeof(msg), "From: a@b.c\r\nTo: %s\r\n\r\nx",
		         c->value);
		m = parse(msg);
		assert_int_equal(m->nto, c->n);
		for (k = 0; k < c->n; k++) {
			const struct mime_addr *a = &m->to[k];

			if (c->want[k][0])
				assert_string_equal(a->name, c->want[k][0]);
			else
				assert_null(a->name);
			assert_string_equal(a->addr, c->want[k][1]);
			if (c->want[k][2])
				assert_string_equal(a->group, c->want[k][2]);
			else
				assert_null(a->group);
		}
		assert_true(!!(m->flags & MIME_F_ADDRESS) == c->bad);
		mime_free(m);
	}
}

static void
groups_and_many_senders_are_not_faithful(void **state)
{
	struct mime_msg *m =
	    parse("From: a@b.c\r\nTo: undisclosed-recipients:;\r\n\r\nx");

	assert_int_equal(m->flags, 0);
	assert_false(faithful(m));
	assert_string_equal(reason(m), "group syntax in an address field");
	mime_free(m);
	m = parse("From: a@b.c, d@e.f\r\n\r\nx");
	assert_false(faithful(m));
	mime_free(m);
	m = parse("To: a@b.c\r\n\r\nx");
	assert_false(faithful(m));
	mime_free(m);
}

/* RFC 2231 cases: Content-Disposition parameters, expected filename. */
static const char *const rfc2231_cases[][2] = {
    {"attachment; filename*=utf-8''caf%C3%A9.txt", "caf\xc3\xa9.txt"},
    {"attachment; filename*=iso-8859-1'fr'caf%E9.txt", "caf\xc3\xa9.txt"},
    {"attachment;\r\n filename*0=\"long \";\r\n filename*1=\"name.txt\"",
     "long name.txt"},
    {"attachment; filename*1*=%A9.txt; filename*0*=utf-8''caf%C3",
     "caf\xc3\xa9.txt"},
    {"attachment; filename*0*=utf-8''a%20; filename*1=\"b c\"", "a b c"},
    /* The extended form wins over the plain one. */
    {"attachment; filename=old.txt; filename*=utf-8''new.txt", "new.txt"},
    /* RFC 2047 inside a quoted filename, as mail readers accept. */
    {"attachment; filename=\"=?utf-8?B?Y2Fmw6kudHh0?=\"", "caf\xc3\xa9.txt"},
    {"attachment ; filename = \"spaced.txt\" (comment)", "spaced.txt"},
};

static void
rfc2231_filenames_join_and_decode(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(rfc2231_cases) / sizeof(rfc2231_cases[0]); i++) {
		char msg[512];
		struct mime_msg *m;

		snprintf(msg, sizeof(msg),
		         "From: a@b.c\r\nContent-Type: multipart/mixed; "
		         "boundary=b\r\n\r\n--b\r\n\r\nbody\r\n--b\r\n"
		         "Content-Type: text/plain; name=fallback.txt\r\n"
		         "Content-Disposition: %s\r\n\r\ndata\r\n--b--\r\n",
		         rfc2231_cases[i][0]);
		m = parse(msg);
		assert_int_equal(m->flags, 0);
		assert_int_equal(m->nattachments, 1);
		assert_string_equal(m->attachments[0].filename,
		                    rfc2231_cases[i][1]);
		assert_true(faithful(m));
		mime_free(m);
	}
}

static void
filename_falls_back_to_type_name_and_gaps_are_flagged(void **state)
{
	struct mime_msg *m = parse(
	    "From: a@b.c\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
	    "--b\r\n\r\nbody\r\n--b\r\nContent-Type: application/zip; "
	    "name=\"n.zip\"\r\n\r\nPK\r\n--b\r\nContent-Type: "
	    "application/zip\r\n"
	    "Content-Disposition: attachment; filename*0=a; filename*2=c\r\n"
	    "\r\nPK\r\n--b--\r\n");

	assert_int_equal(m->nattachments, 2);
	assert_string_equal(m->attachments[0].filename, "n.zip");
	/* A missing section would silently shorten the name. */
	assert_null(m->attachments[1].filename);
	assert_true(m->flags & MIME_F_PARAM);
	assert_false(faithful(m));
	mime_free(m);
}

/* Charset cases: charset, body bytes, expected UTF-8 (NULL: flagged). */
static const char *const cs_cases[][3] = {
    {"iso-8859-1", "caf\xe9", "caf\xc3\xa9"},
    {"ISO-8859-1", "\xff", "\xc3\xbf"},
    {"windows-1252", "\x80 \x93q\x94",
     "\xe2\x82\xac \xe2\x80\x9cq\xe2\x80\x9d"},
    {"windows-1252", "\x81", NULL},
    {"us-ascii", "caf\xe9", NULL},
    {"utf-8", "caf\xc3\xa9", "caf\xc3\xa9"},
    {"utf-8", "caf\xe9", NULL},
    {"utf-8", "\xed\xa0\x80", NULL}, /* a surrogate */
    {"utf-8", "\xc0\xaf", NULL},     /* overlong */
    {"koi8-r", "\xf0\xd2\xc9", "\xd0\x9f\xd1\x80\xd0\xb8"},
    {"iso-8859-15", "\xa4", "\xe2\x82\xac"},
    {"x-unknown-cs", "abc", NULL},
    {"utf-8//TRANSLIT", "abc", NULL},
};

static void
charsets_convert_to_utf8_or_flag(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(cs_cases) / sizeof(cs_cases[0]); i++) {
		char msg[512];
		struct mime_msg *m;

		snprintf(msg, sizeof(msg),
		         "From: a@b.c\r\nContent-Type: text/plain; "
		         "charset=\"%s\"\r\nContent-Transfer-Encoding: 8bit"
		         "\r\n\r\n%s",
		         cs_cases[i][0], cs_cases[i][1]);
		m = parse(msg);
		if (cs_cases[i][2] == NULL) {
			assert_null(m->text);
			assert_null(m->root->utf8);
			assert_false(faithful(m));
		} else {
			assert_true(faithful(m));
			assert_string_equal(m->text, cs_cases[i][2]);
		}
		mime_free(m);
	}
}

static void
text_attachment_keeps_its_bytes_unconverted(void **state)
{
	static const char fmt[] =
	    "From: a@b.c\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
	    "--b\r\n\r\nbody\r\n--b\r\nContent-Type: text/plain; "
	    "charset=%s\r\nContent-Disposition: attachment; "
	    "filename=w.txt\r\n\r\n\xfe\xff\r\n--b--\r\n";
	char msg[512];
	struct mime_msg *m;

	/* Attachment bytes are never charset-converted or validated. */
	snprintf(msg, sizeof(msg), fmt, "utf-8");
	m = parse(msg);
	assert_int_equal(m->flags, 0);
	assert_true(faithful(m));
	assert_int_equal(m->attachments[0].len, 2);
	assert_memory_equal(m->attachments[0].data, "\xfe\xff", 2);
	assert_null(m->attachments[0].part->utf8);
	mime_free(m);
	/* But a charset that a JSON "type" cannot carry is lost. */
	snprintf(msg, sizeof(msg), fmt, "x-weird");
	m = parse(msg);
	assert_int_equal(m->flags, 0);
	assert_false(faithful(m));
	assert_string_equal(reason(m),
	                    "attachment Content-Type parameters would be lost");
	mime_free(m);
}

/* Boundary cases: body after the multipart header, expected flag. */
struct bnd_case {
	const char *body;
	unsigned flag;
	size_t nchildren;
};

static const struct bnd_case bnd_cases[] = {
    {"--b\r\n\r\none\r\n--b--\r\n", 0, 1},
    {"--b\r\n\r\none\r\n--b--", 0, 1},
    {"--b \t\r\n\r\none\r\n--b-- \r\n", 0, 1},
    {"--b\n\none\n--b\n\ntwo\n--b--\n", 0, 2},
    {"pre\r\n--b\r\n\r\none\r\n--b\r\n\r\ntwo\r\n", MIME_F_BOUNDARY, 2},
    {"no delimiter at all\r\n", MIME_F_BOUNDARY, 0},
    {"--bx\r\n\r\none\r\n--b-x\r\n", MIME_F_BOUNDARY, 0},
    {"--b--\r\n", MIME_F_BOUNDARY, 0},
    {"--b\r\n\r\n--b\r\n\r\n--b--\r\n", 0, 2},
};

static void
boundaries_split_per_rfc2046_or_flag(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(bnd_cases) / sizeof(bnd_cases[0]); i++) {
		char msg[512];
		struct mime_msg *m;

		snprintf(msg, sizeof(msg),
		         "From: a@b.c\r\nContent-Type: multipart/mixed; "
		         "boundary=b\r\n\r\n%s",
		         bnd_cases[i].body);
		m = parse(msg);
		assert_int_equal(m->flags, bnd_cases[i].flag);
		assert_int_equal(m->root->nchildren, bnd_cases[i].nchildren);
		if (bnd_cases[i].flag)
			assert_false(faithful(m));
		mime_free(m);
	}
}

static void
part_content_excludes_delimiter_line_end(void **state)
{
	struct mime_msg *m = parse("From: a@b.c\r\nContent-Type: multipart/"
	                           "mixed; boundary=b\r\n\r\n--b\r\n\r\n"
	                           "one\r\n\r\n--b--\r\n");

	assert_string_equal(m->text, "one\r\n");
	mime_free(m);
	m = parse("From: a@b.c\r\nContent-Type: multipart/mixed\r\n\r\nx");
	assert_true(m->flags & MIME_F_BOUNDARY);
	mime_free(m);
}

static void
depth_limit_is_flagged(void **state)
{
	struct buf b;
	struct mime_msg *m;
	int i;

	buf_init(&b);
	buf_addstr(&b, "From: a@b.c\r\n");
	for (i = 0; i < MIME_MAX_DEPTH + 4; i++)
		buf_printf(&b,
		           "Content-Type: multipart/mixed; boundary=b%d"
		           "\r\n\r\n--b%d\r\n",
		           i, i);
	buf_addstr(&b, "\r\ndeep\r\n");
	m = mime_parse(b.p, b.len);
	assert_true(m->flags & MIME_F_DEPTH);
	assert_false(faithful(m));
	assert_true(m->nparts <= MIME_MAX_DEPTH + 1);
	mime_free(m);
	buf_fini(&b);
}

static void
part_and_field_limits_are_flagged(void **state)
{
	struct buf b;
	struct mime_msg *m;
	int i;

	buf_init(&b);
	buf_addstr(&b, "From: a@b.c\r\nContent-Type: multipart/mixed; "
	               "boundary=b\r\n\r\n");
	for (i = 0; i < MIME_MAX_PARTS + 5; i++)
		buf_addstr(&b, "--b\r\n\r\nx\r\n");
	buf_addstr(&b, "--b--\r\n");
	m = mime_parse(b.p, b.len);
	assert_true(m->flags & MIME_F_LIMIT);
	assert_int_equal(m->nparts, MIME_MAX_PARTS);
	mime_free(m);

	b.len = 0;
	for (i = 0; i < MIME_MAX_FIELDS + 5; i++)
		buf_addstr(&b, "X-A: 1\r\n");
	buf_addstr(&b, "\r\nbody\r\n");
	m = mime_parse(b.p, b.len);
	assert_true(m->flags & MIME_F_LIMIT);
	assert_int_equal(m->nfields, MIME_MAX_FIELDS);
	assert_string_equal(m->root->data, "body\r\n");
	mime_free(m);
	buf_fini(&b);
}

/* Shapes a JSON request cannot rebuild: body after HDR, reason prefix. */
static const char *const unfaithful_cases[][2] = {
    {"Content-Type: multipart/signed; boundary=s; protocol=\"application/"
     "pgp-signature\"\r\n\r\n--s\r\n\r\nsigned\r\n--s\r\nContent-Type: "
     "application/pgp-signature\r\n\r\nsig\r\n--s--\r\n",
     "multipart/signed"},
    {"Content-Type: multipart/encrypted; boundary=s\r\n\r\n--s\r\n\r\nx\r\n"
     "--s--\r\n",
     "multipart/encrypted"},
    {"Content-Type: multipart/mixed; boundary=s\r\n\r\n--s\r\n\r\nx\r\n"
     "--s\r\nContent-Type: message/rfc822\r\n\r\nFrom: c@d.e\r\n\r\ny\r\n"
     "--s--\r\n",
     "message/"},
    {"Content-Type: multipart/mixed; boundary=s\r\n\r\n--s\r\n\r\nx\r\n"
     "--s\r\n\r\nfooter\r\n--s--\r\n",
     "inline text part"},
    {"Content-Type: multipart/alternative; boundary=s\r\n\r\n--s\r\n\r\nx\r\n"
     "--s\r\nContent-Type: text/calendar\r\n\r\nBEGIN\r\n--s--\r\n",
     "alternative other"},
    {"Content-Type: multipart/alternative; boundary=s\r\n\r\n--s\r\n\r\nx\r\n"
     "--s\r\n\r\ny\r\n--s--\r\n",
     "more than one text/plain"},
    {"Content-Type: multipart/related; boundary=s\r\n\r\n--s\r\nContent-Type:"
     " text/html\r\n\r\nx\r\n--s\r\nContent-Type: image/png\r\n\r\ny\r\n"
     "--s--\r\n",
     "related part without"},
    {"Content-Type: application/pdf\r\n\r\n%PDF\r\n", "body is neither"},
    {"Content-Type: multipart/mixed; boundary=s\r\n\r\n--s\r\n\r\nx\r\n"
     "--s\r\nContent-Type: text/calendar; method=REQUEST; name=i.ics\r\n"
     "Content-Disposition: attachment\r\n\r\nBEGIN\r\n--s--\r\n",
     "attachment Content-Type parameters"},
    {"Content-Type: multipart/report; boundary=s\r\n\r\n--s\r\n\r\nx\r\n"
     "--s--\r\n",
     "multipart subtype"},
    {"DKIM-Signature: v=1; d=example.com\r\n\r\nx\r\n", "DKIM"},
    {"Content-Type: text/plain; charset=x-nope\r\n\r\nx\r\n",
     "body in an unknown charset"},
    {"Content-Type: text/plain\r\nContent-Type: text/html\r\n\r\nx\r\n",
     "duplicate"},
    {"Content-Type: multipart/mixed; boundary=s\r\n"
     "Content-Transfer-Encoding: base64\r\n\r\n--s\r\n\r\nx\r\n--s--\r\n",
     "encoded multipart"},
    {"Content-Type: /plain\r\n\r\nx\r\n", "malformed MIME parameter"},
    {"not a header line\r\n\r\nx\r\n", "malformed header line"},
};

static void
unrepresentable_shapes_are_not_faithful(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(unfaithful_cases) / sizeof(unfaithful_cases[0]);
	     i++) {
		char msg[1024];
		struct mime_msg *m;
		const char *want = unfaithful_cases[i][1];

		snprintf(msg, sizeof(msg), "%s%s", HDR, unfaithful_cases[i][0]);
		m = parse(msg);
		assert_false(faithful(m));
		if (strncmp(reason(m), want, strlen(want)) != 0)
			fail_msg("case %zu: reason \"%s\", want \"%s...\"", i,
			         reason(m), want);
		mime_free(m);
	}
}

static void
related_start_parameter_picks_the_root(void **state)
{
	static const char *const starts[] = {"\"<h@x>\"", "h@x"};
	size_t i;

	for (i = 0; i < 2; i++) {
		char msg[1024];
		struct mime_msg *m;

		snprintf(msg, sizeof(msg),
		         HDR
		         "Content-Type: multipart/related; boundary=r; "
		         "start=%s\r\n\r\n--r\r\nContent-Type: image/png\r\n"
		         "Content-ID: <i@x>\r\n\r\nPNG\r\n--r\r\n"
		         "Content-Type: text/html\r\nContent-ID: <h@x>\r\n"
		         "\r\n<img src=cid:i@x>\r\n--r--\r\n",
		         starts[i]);
		m = parse(msg);
		assert_true(faithful(m));
		assert_string_equal(m->html, "<img src=cid:i@x>");
		assert_int_equal(m->nattachments, 1);
		assert_string_equal(m->attachments[0].content_id, "i@x");
		mime_free(m);
	}
}

static void
nul_in_header_is_flagged_not_truncated(void **state)
{
	static const char msg[] = "From: a@b.c\r\nSubject: a\0b\r\n\r\nx";
	struct mime_msg *m = mime_parse(msg, sizeof(msg) - 1);

	assert_true(m->flags & MIME_F_HEADER);
	assert_false(faithful(m));
	mime_free(m);
}

static void
empty_and_headerless_input_never_crash(void **state)
{
	static const char *const inputs[] = {"",  "\r\n",  "\r\n\r\n", "x",
	                                     ":", " \r\n", "A:\r\n B"};
	size_t i;

	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		struct mime_msg *m = parse(inputs[i]);

		assert_non_null(m->root);
		assert_false(faithful(m));
		mime_free(m);
	}
	mime_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(simple_text_message_is_faithful),
	    cmocka_unit_test(folded_fields_are_unfolded),
	    cmocka_unit_test(no_content_type_defaults_to_ascii_text),
	    cmocka_unit_test(alternative_gives_text_and_html),
	    cmocka_unit_test(mixed_lists_attachment_with_decoded_bytes),
	    cmocka_unit_test(related_gives_inline_image_with_content_id),
	    cmocka_unit_test(mixed_related_alternative_nest_is_faithful),
	    cmocka_unit_test(
	        alternative_in_mixed_in_related_parses_but_is_not_faithful),
	    cmocka_unit_test(transfer_encodings_decode_or_flag),
	    cmocka_unit_test(encoded_words_decode_to_utf8),
	    cmocka_unit_test(encoded_word_in_unknown_charset_is_not_faithful),
	    cmocka_unit_test(address_lists_parse_names_groups_comments),
	    cmocka_unit_test(groups_and_many_senders_are_not_faithful),
	    cmocka_unit_test(rfc2231_filenames_join_and_decode),
	    cmocka_unit_test(
	        filename_falls_back_to_type_name_and_gaps_are_flagged),
	    cmocka_unit_test(charsets_convert_to_utf8_or_flag),
	    cmocka_unit_test(text_attachment_keeps_its_bytes_unconverted),
	    cmocka_unit_test(boundaries_split_per_rfc2046_or_flag),
	    cmocka_unit_test(part_content_excludes_delimiter_line_end),
	    cmocka_unit_test(depth_limit_is_flagged),
	    cmocka_unit_test(part_and_field_limits_are_flagged),
	    cmocka_unit_test(unrepresentable_shapes_are_not_faithful),
	    cmocka_unit_test(related_start_parameter_picks_the_root),
	    cmocka_unit_test(nul_in_header_is_flagged_not_truncated),
	    cmocka_unit_test(empty_and_headerless_input_never_crash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
