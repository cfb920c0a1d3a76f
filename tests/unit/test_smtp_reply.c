/*
 * test_smtp_reply.c - the SMTP reply parser, including hostile servers.
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
#include "net/smtp_reply.h"

struct reply_case {
	const char *name;
	const char *in;
	size_t in_len; /* 0: strlen(in) */
	enum smtp_reply_status st;
	int code;
	const char *enhanced;
	const char *text;
	unsigned n_lines;
	size_t used; /* ALL: the whole input */
};

#define L(s) s, sizeof(s) - 1
#define ALL SIZE_MAX

static const struct reply_case reply_cases[] = {
    {"single line", L("250 OK\r\n"), SMTP_REPLY_DONE, 250, "", "OK", 1, ALL},
    {"code only last line", L("250\r\n"), SMTP_REPLY_DONE, 250, "", "", 1, ALL},
    {"code only with bare LF", L("221\n"), SMTP_REPLY_DONE, 221, "", "", 1,
     ALL},
    {"multi line joined by space",
     L("250-mx.example.com\r\n250-PIPELINING\r\n250 SIZE 100\r\n"),
     SMTP_REPLY_DONE, 250, "", "mx.example.com PIPELINING SIZE 100", 3, ALL},
    {"multi line ending in code only", L("250-a\r\n250\r\n"), SMTP_REPLY_DONE,
     250, "", "a", 2, ALL},
    {"enhanced code parsed and stripped",
     L("550 5.1.1 <x@y>: Recipient address rejected\r\n"), SMTP_REPLY_DONE, 550,
     "5.1.1", "<x@y>: Recipient address rejected", 1, ALL},
    {"enhanced code stripped from every line",
     L("451-4.7.1 first\r\n451 4.7.1 second\r\n"), SMTP_REPLY_DONE, 451,
     "4.7.1", "first second", 2, ALL},
    {"enhanced code alone", L("250 2.0.0\r\n"), SMTP_REPLY_DONE, 250, "2.0.0",
     "", 1, ALL},
    {"enhanced class must match code", L("550 4.1.1 odd\r\n"), SMTP_REPLY_DONE,
     550, "", "4.1.1 odd", 1, ALL},
    {"enhanced needs a space after", L("250 2.0.0x\r\n"), SMTP_REPLY_DONE, 250,
     "", "2.0.0x", 1, ALL},
    {"enhanced with long parts", L("554 5.123.456 no\r\n"), SMTP_REPLY_DONE,
     554, "5.123.456", "no", 1, ALL},
    {"version-like text is not enhanced", L("220 2.0 ready\r\n"),
     SMTP_REPLY_DONE, 220, "", "2.0 ready", 1, ALL},
    {"postfix queue id", L("250 2.0.0 Ok: queued as 4Tq3xY1z2Kz9\r\n"),
     SMTP_REPLY_DONE, 250, "2.0.0", "Ok: queued as 4Tq3xY1z2Kz9", 1, ALL},
    {"bytes after reply are left", L("250 OK\r\n354 go\r\n"), SMTP_REPLY_DONE,
     250, "", "OK", 1, 8},
    {"control bytes sanitised", L("550 bad\x01\x7f\xff\tx\r\n"),
     SMTP_REPLY_DONE, 550, "", "bad????x", 1, ALL},
    {"NUL in text sanitised", "550 a\0b\r\n", 9, SMTP_REPLY_DONE, 550, "",
     "a?b", 1, ALL},
    {"lone CR in text kept as ?", L("250 a\rb\r\n"), SMTP_REPLY_DONE, 250, "",
     "a?b", 1, ALL},
    {"incomplete line needs more", L("250-first\r\n250 sec"),
     SMTP_REPLY_NEED_MORE, 0, "", "", 0, ALL},
    {"empty input needs more", L(""), SMTP_REPLY_NEED_MORE, 0, "", "", 0, ALL},
    {"code changes between lines", L("250-a\r\n251 b\r\n"), SMTP_REPLY_ERROR, 0,
     NULL, NULL, 0, 9},
    {"non-numeric code", L("2x0 OK\r\n"), SMTP_REPLY_ERROR, 0, NULL, NULL, 0,
     1},
    {"1xx code", L("150 go\r\n"), SMTP_REPLY_ERROR, 0, NULL, NULL, 0, 0},
    {"6xx code", L("650 no\r\n"), SMTP_REPLY_ERROR, 0, NULL, NULL, 0, 0},
    {"second digit above 5", L("260 no\r\n"), SMTP_REPLY_ERROR, 0, NULL, NULL,
     0, 1},
    {"NUL in code", "25\0 OK\r\n", 8, SMTP_REPLY_ERROR, 0, NULL, NULL, 0, 2},
    {"missing separator", L("250OK\r\n"), SMTP_REPLY_ERROR, 0, NULL, NULL, 0,
     3},
    {"two-digit code", L("25 OK\r\n"), SMTP_REPLY_ERROR, 0, NULL, NULL, 0, 2},
    {"four-digit code", L("2500 OK\r\n"), SMTP_REPLY_ERROR, 0, NULL, NULL, 0,
     3},
    {"CR without LF after code", L("250\rX"), SMTP_REPLY_ERROR, 0, NULL, NULL,
     0, 4},
    {"empty line", L("\r\n"), SMTP_REPLY_ERROR, 0, NULL, NULL, 0, 0},
    {"leading space", L(" 250 OK\r\n"), SMTP_REPLY_ERROR, 0, NULL, NULL, 0, 0},
    {"HTTP answer", L("HTTP/1.1 400 Bad Request\r\n"), SMTP_REPLY_ERROR, 0,
     NULL, NULL, 0, 0},
};

/* check_case - one table row, fed whole and then one byte at a time. */
static void
check_case(const struct reply_case *c)
{
	struct smtp_reply_parser p;
	enum smtp_reply_status st;
	size_t len = c->in_len, used, i, total;

	print_message("case: %s\n", c->name);
	smtp_reply_parser_init(&p, NULL, NULL);
	st = smtp_reply_parse(&p, c->in, len, &used);
	assert_int_equal(st, c->st);
	assert_int_equal(used, c->used == ALL ? len : c->used);
	if (st == SMTP_REPLY_DONE) {
		assert_int_equal(p.reply.code, c->code);
		assert_string_equal(p.reply.enhanced, c->enhanced);
		assert_string_equal(p.reply.text, c->text);
		assert_int_equal(p.reply.text_len, strlen(c->text));
		assert_int_equal(p.reply.n_lines, c->n_lines);
	} else if (st == SMTP_REPLY_ERROR) {
		assert_non_null(p.error);
	}

	/* The same bytes in one-byte chunks give the same answer. */
	smtp_reply_parser_init(&p, NULL, NULL);
	st = SMTP_REPLY_NEED_MORE;
	for (i = 0, total = 0; i < len && st == SMTP_REPLY_NEED_MORE; i++) {
		st = smtp_reply_parse(&p, c->in + i, 1, &used);
		total += used;
	}
	assert_int_equal(st, c->st);
	assert_int_equal(total, c->used == ALL ? len : c->used);
	if (st == SMTP_REPLY_DONE)
		assert_string_equal(p.reply.text, c->text);
}

static void
reply_table(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(reply_cases) / sizeof(reply_cases[0]); i++)
		check_case(&reply_cases[i]);
}

static void
ten_thousand_lines_fail_at_the_cap(void **state)
{
	struct smtp_reply_parser p;
	struct buf b;
	size_t used;
	int i;

	buf_init(&b);
	for (i = 0; i < 10000; i++)
		buf_addstr(&b, "250-spam spam spam\r\n");
	buf_addstr(&b, "250 end\r\n");
	smtp_reply_parser_init(&p, NULL, NULL);
	assert_int_equal(smtp_reply_parse(&p, b.p, b.len, &used),
	                 SMTP_REPLY_ERROR);
	assert_int_equal(used, SMTP_REPLY_LINES_MAX * 20 - 1);
	assert_string_equal(p.error, "reply has too many lines");
	assert_true(p.reply.truncated);
	assert_true(p.reply.text_len < SMTP_REPLY_TEXT_SIZE);
	/* After ERROR it stays in error and consumes nothing. */
	assert_int_equal(smtp_reply_parse(&p, "250 OK\r\n", 8, &used),
	                 SMTP_REPLY_ERROR);
	assert_int_equal(used, 0);
	buf_fini(&b);
}

static void
hundred_lines_are_accepted(void **state)
{
	struct smtp_reply_parser p;
	struct buf b;
	size_t used;
	int i;

	buf_init(&b);
	for (i = 0; i < SMTP_REPLY_LINES_MAX - 1; i++)
		buf_addstr(&b, "250-x\r\n");
	buf_addstr(&b, "250 y\r\n");
	smtp_reply_parser_init(&p, NULL, NULL);
	assert_int_equal(smtp_reply_parse(&p, b.p, b.len, &used),
	                 SMTP_REPLY_DONE);
	assert_int_equal(p.reply.n_lines, SMTP_REPLY_LINES_MAX);
	buf_fini(&b);
}

static void
hundred_kb_line_fails_at_the_cap(void **state)
{
	struct smtp_reply_parser p;
	char *big = malloc(100 * 1024);
	size_t used;

	memcpy(big, "554 ", 4);
	memset(big + 4, 'A', 100 * 1024 - 4);
	smtp_reply_parser_init(&p, NULL, NULL);
	assert_int_equal(smtp_reply_parse(&p, big, 100 * 1024, &used),
	                 SMTP_REPLY_ERROR);
	assert_int_equal(used, SMTP_REPLY_LINE_MAX);
	assert_string_equal(p.error, "reply line too long");
	free(big);
}

static void
line_of_exactly_the_cap_is_accepted(void **state)
{
	struct smtp_reply_parser p;
	char line[SMTP_REPLY_LINE_MAX + 2];
	size_t used;

	memcpy(line, "250 ", 4);
	memset(line + 4, 'b', SMTP_REPLY_LINE_MAX - 4);
	memcpy(line + SMTP_REPLY_LINE_MAX, "\r\n", 2);
	smtp_reply_parser_init(&p, NULL, NULL);
	assert_int_equal(smtp_reply_parse(&p, line, sizeof(line), &used),
	                 SMTP_REPLY_DONE);
	assert_true(p.reply.truncated);
	assert_int_equal(p.reply.text_len, SMTP_REPLY_TEXT_SIZE - 1);
	/* One more octet is one too many, CRs included. */
	line[SMTP_REPLY_LINE_MAX] = '\r';
	line[SMTP_REPLY_LINE_MAX + 1] = 'x';
	smtp_reply_parser_init(&p, NULL, NULL);
	assert_int_equal(smtp_reply_parse(&p, line, sizeof(line), &used),
	                 SMTP_REPLY_ERROR);
}

static void
pipelined_replies_parse_in_turn(void **state)
{
	static const char in[] = "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n550 5.1.1 "
	                         "no\r\n354 End data\r\n";
	static const int codes[] = {250, 250, 550, 354};
	struct smtp_reply_parser p;
	size_t off = 0, used;
	int i;

	smtp_reply_parser_init(&p, NULL, NULL);
	for (i = 0; i < 4; i++) {
		assert_int_equal(
		    smtp_reply_parse(&p, in + off, sizeof(in) - 1 - off, &used),
		    SMTP_REPLY_DONE);
		assert_int_equal(p.reply.code, codes[i]);
		off += used;
		smtp_reply_parser_reset(&p);
	}
	assert_int_equal(off, sizeof(in) - 1);
}

struct lines_seen {
	unsigned n;
	struct smtp_ehlo ehlo;
};

static void
collect_ehlo(void *arg, unsigned index, const char *text, size_t len)
{
	struct lines_seen *s = arg;

	assert_int_equal(index, s->n);
	s->n++;
	if (index > 0)
		smtp_reply_ehlo_line(&s->ehlo, text, len);
}

static void
ehlo_keywords_are_read_per_line(void **state)
{
	static const char in[] = "250-mx.example.com Hello PIPELINING\r\n"
	                         "250-size 10240000\r\n"
	                         "250-AUTH=PLAIN LOGIN\r\n"
	                         "250-8BITMIME\r\n"
	                         "250 STARTTLS\r\n";
	struct lines_seen s;
	struct smtp_reply_parser p;
	size_t used;

	memset(&s, 0, sizeof(s));
	smtp_reply_parser_init(&p, collect_ehlo, &s);
	assert_int_equal(smtp_reply_parse(&p, in, sizeof(in) - 1, &used),
	                 SMTP_REPLY_DONE);
	assert_int_equal(s.n, 5);
	/* The name line's words are not keywords. */
	assert_false(s.ehlo.pipelining);
	assert_true(s.ehlo.size);
	assert_int_equal(s.ehlo.size_max, 10240000);
	assert_true(s.ehlo.auth_plain);
	assert_true(s.ehlo.auth_login);
	assert_true(s.ehlo.eightbitmime);
	assert_true(s.ehlo.starttls);
	assert_false(s.ehlo.smtputf8);
}

static void
ehlo_auth_mechanisms_are_matched_whole(void **state)
{
	struct smtp_ehlo e;

	memset(&e, 0, sizeof(e));
	smtp_reply_ehlo_line(&e, L("AUTH CRAM-MD5 PLAINX XOAUTH2"));
	assert_false(e.auth_plain);
	assert_false(e.auth_login);
	smtp_reply_ehlo_line(&e, L("AUTH LOGIN"));
	assert_true(e.auth_login);
	smtp_reply_ehlo_line(&e, L("PIPELINING"));
	assert_true(e.pipelining);
	smtp_reply_ehlo_line(&e, L("SIZE"));
	assert_true(e.size);
	assert_int_equal(e.size_max, 0);
	smtp_reply_ehlo_line(&e, L("STARTTLSX"));
	assert_false(e.starttls);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(reply_table),
	    cmocka_unit_test(ten_thousand_lines_fail_at_the_cap),
	    cmocka_unit_test(hundred_lines_are_accepted),
	    cmocka_unit_test(hundred_kb_line_fails_at_the_cap),
	    cmocka_unit_test(line_of_exactly_the_cap_is_accepted),
	    cmocka_unit_test(pipelined_replies_parse_in_turn),
	    cmocka_unit_test(ehlo_keywords_are_read_per_line),
	    cmocka_unit_test(ehlo_auth_mechanisms_are_matched_whole),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
