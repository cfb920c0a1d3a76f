/*
 * test_smtp_data.c - the DATA reader.
 *
 * Each table row is one input and its expected outcome; each row runs as
 * its own cmocka test, and every row is fed whole, byte by byte, split in
 * two at every point, and in seeded random pieces. All must give the same
 * status, output, fault and bytes used: the reader's result may not depend
 * on how TCP delivered the bytes.
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
#include "ingress/smtp_data.h"
#include "ingress/smtp_parse.h"

#define IN(s) s, sizeof(s) - 1
#define BIG UINT64_MAX

/* What the smuggler hopes is a second message. */
#define SMUGGLED "MAIL FROM:<x@y>\r\nRCPT TO:<z@w>\r\nDATA\r\nsmuggled\r\n.\r\n"

struct data_case {
	const char *name;
	const char *in;
	size_t in_len;
	uint64_t max_size;
	enum smtp_data_status status;
	enum smtp_data_fault fault;
	const char *out; /* expected output; NULL: not checked */
	size_t out_len;
	size_t rest; /* input octets left unconsumed */
};

#define NONE SMTP_DATA_FAULT_NONE
#define DONE SMTP_DATA_DONE
#define MORE SMTP_DATA_MORE

static const struct data_case cases[] = {
    {"empty message ends at first dot", IN(".\r\n"), BIG, DONE, NONE, IN(""),
     0},
    {"message keeps crlf line ends", IN("a\r\nb\r\n.\r\n"), BIG, DONE, NONE,
     IN("a\r\nb\r\n"), 0},
    {"empty lines are kept", IN("\r\n\r\n.\r\n"), BIG, DONE, NONE,
     IN("\r\n\r\n"), 0},
    {"leading dot is unstuffed", IN("..a\r\n..\r\n...\r\n.\r\n"), BIG, DONE,
     NONE, IN(".a\r\n.\r\n..\r\n"), 0},
    {"dot inside a line is kept", IN("a.b\r\na.\r\n.\r\n"), BIG, DONE, NONE,
     IN("a.b\r\na.\r\n"), 0},
    {"bytes after the end are not consumed", IN("x\r\n.\r\nQUIT\r\n"), BIG,
     DONE, NONE, IN("x\r\n"), 6},
    {"pipelined second message is not consumed", IN("x\r\n.\r\n" SMUGGLED), BIG,
     DONE, NONE, IN("x\r\n"), sizeof(SMUGGLED) - 1},
    {"no end yet means more", IN("x\r\ny"), BIG, MORE, NONE, IN("x\r\ny"), 0},
    {"dot cr without lf waits", IN("x\r\n.\r"), BIG, MORE, NONE, IN("x\r\n"),
     0},
    {"eight bit bytes pass through", IN("caf\xc3\xa9\r\n.\r\n"), BIG, DONE,
     NONE, IN("caf\xc3\xa9\r\n"), 0},

    {"bare lf is a fault", IN("a\nb\r\n.\r\n"), BIG, DONE,
     SMTP_DATA_FAULT_BARE_LF, IN("a"), 0},
    {"bare cr is a fault", IN("a\rb\r\n.\r\n"), BIG, DONE,
     SMTP_DATA_FAULT_BARE_CR, IN("a"), 0},
    {"cr cr lf is a bare cr", IN("a\r\r\n.\r\n"), BIG, DONE,
     SMTP_DATA_FAULT_BARE_CR, IN("a"), 0},
    {"bare lf at line start is a fault", IN("a\r\n\n.\r\n.\r\n"), BIG, DONE,
     SMTP_DATA_FAULT_BARE_LF, IN("a\r\n"), 0},
    {"nul is a fault", IN("a\0b\r\n.\r\n"), BIG, DONE, SMTP_DATA_FAULT_NUL,
     IN("a"), 0},
    {"nul after a dot is a fault", IN(".\0\r\n.\r\n"), BIG, DONE,
     SMTP_DATA_FAULT_NUL, IN(""), 0},
    {"first fault is the one kept", IN("a\0b\nc\rd\r\n.\r\n"), BIG, DONE,
     SMTP_DATA_FAULT_NUL, IN("a"), 0},
    {"fault still waits for the real end", IN("a\nb\r\n"), BIG, MORE,
     SMTP_DATA_FAULT_BARE_LF, IN("a"), 0},
    {"dot lf is not an end", IN(".\n.\r\n"), BIG, MORE, SMTP_DATA_FAULT_BARE_LF,
     IN(""), 0},
    {"dot lf then real end", IN(".\n.\r\n.\r\n"), BIG, DONE,
     SMTP_DATA_FAULT_BARE_LF, IN(""), 0},
    {"dot cr then text is a bare cr", IN("x\r\n.\rx\r\n.\r\n"), BIG, DONE,
     SMTP_DATA_FAULT_BARE_CR, IN("x\r\n"), 0},
    {"dot cr cr lf is a bare cr", IN(".\r\r\n.\r\n"), BIG, DONE,
     SMTP_DATA_FAULT_BARE_CR, IN(""), 0},

    /* SMTP smuggling: each fake ending, then a whole second dialogue. */
    {"smuggling lf dot lf is one refused message",
     IN("Subject: a\r\n\r\nhi\n.\n" SMUGGLED "QUIT\r\n"), BIG, DONE,
     SMTP_DATA_FAULT_BARE_LF, IN("Subject: a\r\n\r\nhi"), 6},
    {"smuggling lf dot crlf is one refused message",
     IN("Subject: a\r\n\r\nhi\n.\r\n" SMUGGLED "QUIT\r\n"), BIG, DONE,
     SMTP_DATA_FAULT_BARE_LF, IN("Subject: a\r\n\r\nhi"), 6},
    {"smuggling crlf dot lf is one refused message",
     IN("Subject: a\r\n\r\nhi\r\n.\n" SMUGGLED "QUIT\r\n"), BIG, DONE,
     SMTP_DATA_FAULT_BARE_LF, IN("Subject: a\r\n\r\nhi\r\n"), 6},
    {"smuggling cr dot crlf is one refused message",
     IN("Subject: a\r\n\r\nhi\r.\r\n" SMUGGLED "QUIT\r\n"), BIG, DONE,
     SMTP_DATA_FAULT_BARE_CR, IN("Subject: a\r\n\r\nhi"), 6},
    {"smuggling crlf dot cr is one refused message",
     IN("Subject: a\r\n\r\nhi\r\n.\r" SMUGGLED "QUIT\r\n"), BIG, DONE,
     SMTP_DATA_FAULT_BARE_CR, IN("Subject: a\r\n\r\nhi\r\n"), 6},
    {"smuggling lf dot lf at the very start is refused", IN("\n.\n" SMUGGLED),
     BIG, DONE, SMTP_DATA_FAULT_BARE_LF, IN(""), 0},

    /* max_size counts unstuffed message octets. */
    {"message of exactly max size passes", IN("123456\r\n.\r\n"), 8, DONE, NONE,
     IN("123456\r\n"), 0},
    {"message over max size is too big", IN("123456\r\n.\r\n"), 5, DONE,
     SMTP_DATA_FAULT_TOO_BIG, IN("12345"), 0},
    {"too big splits a crlf the same way", IN("123456\r\n.\r\n"), 7, DONE,
     SMTP_DATA_FAULT_TOO_BIG, IN("123456\r"), 0},
    {"too big is drained to the end", IN("1234\r\n5678\r\n.\r\nX"), 3, DONE,
     SMTP_DATA_FAULT_TOO_BIG, IN("123"), 1},
    {"stuffing dots do not count toward size", IN("..a\r\n.\r\n"), 4, DONE,
     NONE, IN(".a\r\n"), 0},
    {"max size zero takes only the empty message", IN("a\r\n.\r\n"), 0, DONE,
     SMTP_DATA_FAULT_TOO_BIG, IN(""), 0},
    {"empty message fits max size zero", IN(".\r\n"), 0, DONE, NONE, IN(""), 0},
};

/* A reader's result, to compare feeds. */
struct data_result {
	enum smtp_data_status status;
	enum smtp_data_fault fault;
	size_t used;
	struct buf out;
};

/*
 * data_feed_pieces - feed in[0..len) in pieces whose ends are cuts[]
 * (ascending, last == len), stopping at DONE.
 */
static void
data_feed_pieces(const char *in, size_t len, uint64_t max, const size_t *cuts,
                 size_t ncuts, struct data_result *r)
{
	struct smtp_data d;
	size_t off = 0, i, used;

	buf_init(&r->out);
	smtp_data_init(&d, &r->out, max);
	r->status = SMTP_DATA_MORE;
	for (i = 0; i < ncuts; i++) {
		size_t n = cuts[i] - off;
		/* An exact-size copy lets ASan catch reads past the piece. */
		char *piece = malloc(n ? n : 1);
		memcpy(piece, in + off, n);
		r->status = smtp_data_feed(&d, piece, n, &used);
		free(piece);
		assert_true(used <= n);
		if (r->status == SMTP_DATA_MORE)
			assert_int_equal(used, n);
		off += used;
		if (r->status == SMTP_DATA_DONE)
			break;
	}
	r->used = off;
	r->fault = smtp_data_fault(&d);
	if (r->status == SMTP_DATA_DONE) {
		/* Once done, the reader takes nothing more. */
		assert_int_equal(smtp_data_feed(&d, "x", 1, &used),
		                 SMTP_DATA_DONE);
		assert_int_equal(used, 0);
	}
}

/* data_result_same - two feeds of the same input agree on everything. */
static void
data_result_same(const struct data_result *a, const struct data_result *b,
                 const char *how)
{
	if (a->status != b->status || a->fault != b->fault ||
	    a->used != b->used || a->out.len != b->out.len ||
	    (a->out.len && memcmp(a->out.p, b->out.p, a->out.len) != 0)) {
		print_error(
		    "%s: status %d/%d fault %d/%d used %zu/%zu out %zu/%zu\n",
		    how, a->status, b->status, a->fault, b->fault, a->used,
		    b->used, a->out.len, b->out.len);
		fail();
	}
}

/*
 * data_check - feed in whole, then every other way, and compare with the
 * expected result (out NULL: output not checked).
 */
static void
data_check(const char *in, size_t len, uint64_t max,
           enum smtp_data_status status, enum smtp_data_fault fault,
           const char *out, size_t out_len, size_t rest, bool all_splits)
{
	struct data_result whole, other;
	size_t *cuts = calloc(len + 1, sizeof(*cuts)), i, k, n;
	uint32_t seed = 12345;

	cuts[0] = len;
	data_feed_pieces(in, len, max, cuts, 1, &whole);
	if (whole.status != status || whole.fault != fault)
		print_error("whole: status %d fault %d, want %d %d\n",
		            whole.status, whole.fault, status, fault);
	assert_int_equal(whole.status, status);
	assert_int_equal(whole.fault, fault);
	assert_int_equal(whole.used, len - rest);
	if (out != NULL) {
		if (whole.out.len != out_len ||
		    memcmp(whole.out.p ? whole.out.p : "", out, out_len) != 0)
			print_error(
			    "out \"%.*s\", want \"%.*s\"\n", (int)whole.out.len,
			    whole.out.p ? whole.out.p : "", (int)out_len, out);
		assert_int_equal(whole.out.len, out_len);
		assert_memory_equal(whole.out.p ? whole.out.p : "", out,
		                    out_len);
	}
	assert_true(whole.out.len <= max);

	/* Byte by byte. */
	for (i = 0; i < len; i++)
		cuts[i] = i + 1;
	data_feed_pieces(in, len, max, cuts, len, &other);
	data_result_same(&whole, &other, "byte by byte");
	buf_fini(&other.out);

	/* Two pieces, at every split point (including empty pieces). */
	for (i = 0; all_splits && i <= len; i++) {
		size_t two[2] = {i, len};
		char how[64];
		data_feed_pieces(in, len, max, two, 2, &other);
		snprintf(how, sizeof(how), "split at %zu", i);
		data_result_same(&whole, &other, how);
		buf_fini(&other.out);
	}

	/* Seeded random pieces. */
	for (k = 0; k < 50; k++) {
		n = 0;
		for (i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			if ((seed >> 16) % 4 == 0)
				cuts[n++] = i;
		}
		cuts[n++] = len;
		data_feed_pieces(in, len, max, cuts, n, &other);
		data_result_same(&whole, &other, "random pieces");
		buf_fini(&other.out);
	}
	buf_fini(&whole.out);
	free(cuts);
}

/* data_case_run - one table row. */
static void
data_case_run(void **state)
{
	const struct data_case *c = *state;

	data_check(c->in, c->in_len, c->max_size, c->status, c->fault, c->out,
	           c->out_len, c->rest, true);
}

/* line_limit_counts_wire_octets - 1000 with CRLF passes, 1001 does not. */
static void
line_limit_counts_wire_octets(void **state)
{
	char in[1100], want[1100];

	/* 998 octets + CRLF = 1000: fine. */
	memset(in, 'x', 998);
	memcpy(in + 998, "\r\n.\r\n", 5);
	data_check(in, 1003, BIG, DONE, NONE, in, 1000, 0, true);

	/* 999 + CRLF: too long; the first 998 were stored before the fault. */
	memset(in, 'x', 999);
	memcpy(in + 999, "\r\n.\r\n", 5);
	data_check(in, 1004, BIG, DONE, SMTP_DATA_FAULT_LINE_LONG, in, 998, 0,
	           true);

	/* A stuffing dot is on the wire, so it counts toward the line. */
	in[0] = '.';
	memset(in + 1, 'x', 997);
	memcpy(in + 998, "\r\n.\r\n", 5);
	data_check(in, 1003, BIG, DONE, NONE, in + 1, 999, 0, true);
	in[0] = '.';
	memset(in + 1, 'x', 998);
	memcpy(in + 999, "\r\n.\r\n", 5);
	data_check(in, 1004, BIG, DONE, SMTP_DATA_FAULT_LINE_LONG, in + 1, 997,
	           0, true);

	/* The limit is per line: a short line resets it. */
	memset(in, 'x', 998);
	memcpy(in + 998, "\r\nab\r\n", 6);
	memset(in + 1004, 'y', 90);
	memcpy(in + 1094, "\r\n.\r\n", 5);
	memcpy(want, in, 1096);
	data_check(in, 1099, BIG, DONE, NONE, want, 1096, 0, false);
}

/* big_message_round_trips - many lines through the fast path, unchanged. */
static void
big_message_round_trips(void **state)
{
	struct buf in, want;
	int i;

	buf_init(&in);
	buf_init(&want);
	for (i = 0; i < 1000; i++) {
		if (i % 7 == 0) {
			buf_addstr(&in, "..dotted line\r\n");
			buf_addstr(&want, ".dotted line\r\n");
		} else {
			buf_printf(&in,
			           "line %d of a long message, padding "
			           "padding padding padding\r\n",
			           i);
			buf_printf(&want,
			           "line %d of a long message, padding "
			           "padding padding padding\r\n",
			           i);
		}
	}
	buf_addstr(&in, ".\r\n");
	data_check(in.p, in.len, BIG, DONE, NONE, want.p, want.len, 0, false);
	/* One octet short of the limit fails; the limit itself passes. */
	data_check(in.p, in.len, want.len, DONE, NONE, want.p, want.len, 0,
	           false);
	data_check(in.p, in.len, want.len - 1, DONE, SMTP_DATA_FAULT_TOO_BIG,
	           want.p, want.len - 1, 0, false);
	buf_fini(&in);
	buf_fini(&want);
}

/* fault_replies_carry_enhanced_codes - reply line per fault. */
static void
fault_replies_carry_enhanced_codes(void **state)
{
	static const struct {
		enum smtp_data_fault f;
		const char *prefix;
	} rows[] = {
	    {SMTP_DATA_FAULT_NONE, "250 2.0.0 "},
	    {SMTP_DATA_FAULT_BARE_LF, "550 5.6.0 Bare LF"},
	    {SMTP_DATA_FAULT_BARE_CR, "550 5.6.0 Bare CR"},
	    {SMTP_DATA_FAULT_NUL, "550 5.6.0 NUL"},
	    {SMTP_DATA_FAULT_LINE_LONG, "500 5.5.2 Line too long"},
	    {SMTP_DATA_FAULT_TOO_BIG, "552 5.3.4 "},
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *r = smtp_data_fault_reply(rows[i].f);
		assert_non_null(r);
		assert_true(
		    strncmp(r, rows[i].prefix, strlen(rows[i].prefix)) == 0);
		/* A reply line: no CR or LF inside, the session adds CRLF. */
		assert_null(strpbrk(r, "\r\n"));
		assert_true(strlen(r) + 2 <= 512);
	}
	assert_non_null(smtp_data_fault_reply((enum smtp_data_fault)99));
}

int
main(void)
{
	size_t n = sizeof(cases) / sizeof(cases[0]), i;
	struct CMUnitTest *tests = calloc(n + 3, sizeof(*tests));
	int rc;

	for (i = 0; i < n; i++) {
		tests[i].name = cases[i].name;
		tests[i].test_func = data_case_run;
		tests[i].initial_state = (void *)&cases[i];
	}
	tests[n] =
	    (struct CMUnitTest)cmocka_unit_test(line_limit_counts_wire_octets);
	tests[n + 1] =
	    (struct CMUnitTest)cmocka_unit_test(big_message_round_trips);
	tests[n + 2] = (struct CMUnitTest)cmocka_unit_test(
	    fault_replies_carry_enhanced_codes);
	rc = _cmocka_run_group_tests("smtp_data", tests, n + 3, NULL, NULL);
	free(tests);
	return rc;
}
