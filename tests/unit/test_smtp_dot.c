/*
 * test_smtp_dot.c - the DATA body encoder: dot-stuffing and line ends.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "net/smtp_dot.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

struct dot_case {
	const char *name;
	const char *in;
	const char *out;
};

static const struct dot_case dot_cases[] = {
    {"empty body is a lone dot", "", ".\r\n"},
    {"CRLF body", "a\r\nb\r\n", "a\r\nb\r\n.\r\n"},
    {"missing final CRLF is added", "a", "a\r\n.\r\n"},
    {"leading dot is doubled", ".a\r\n", "..a\r\n.\r\n"},
    {"dot after bare LF is doubled", "a\n.b", "a\r\n..b\r\n.\r\n"},
    {"dot after bare CR is doubled", "a\r.b", "a\r\n..b\r\n.\r\n"},
    {"dot mid-line untouched", "a.b\r\n", "a.b\r\n.\r\n"},
    {"CR CR LF is two line ends", "a\r\r\nb", "a\r\n\r\nb\r\n.\r\n"},
    {"LF CR is two line ends", "a\n\rb", "a\r\n\r\nb\r\n.\r\n"},
    {"trailing bare CR ends the line", "a\r", "a\r\n.\r\n"},
    {"lone dot line", ".\r\n", "..\r\n.\r\n"},
};

/* dot_run - encode in chunks of size chunk (0: whole). */
static void
dot_run(const char *in, size_t len, size_t chunk, struct buf *out)
{
	struct smtp_dot d;
	char tmp[SMTP_DOT_OUT_MAX(64)];
	size_t off = 0, n;

	smtp_dot_init(&d);
	while (off < len) {
		n = chunk == 0 || len - off < chunk ? len - off : chunk;
		if (n > 64)
			n = 64;
		buf_add(out, tmp, smtp_dot_encode(&d, in + off, n, tmp));
		off += n;
	}
	buf_add(out, tmp, smtp_dot_finish(&d, tmp));
}

static void
dot_table(void **state)
{
	size_t i, chunk;
	struct buf out;

	for (i = 0; i < N(dot_cases); i++) {
		const struct dot_case *c = &dot_cases[i];
		print_message("case: %s\n", c->name);
		for (chunk = 0; chunk < 4; chunk++) {
			buf_init(&out);
			dot_run(c->in, strlen(c->in), chunk, &out);
			assert_string_equal(buf_cstr(&out), c->out);
			buf_fini(&out);
		}
	}
	/* A NUL is data like any other byte. */
	buf_init(&out);
	dot_run("a\0b", 3, 1, &out);
	assert_int_equal(out.len, 3 + 5);
	assert_memory_equal(out.p, "a\0b\r\n.\r\n", 8);
	buf_fini(&out);
}

static void
dot_output_never_has_bare_cr_or_lf(void **state)
{
	char in[4096];
	struct buf out;
	size_t i;
	unsigned seed = 1;

	for (i = 0; i < sizeof(in); i++) {
		seed = seed * 1103515245 + 12345;
		in[i] = "\r\n.a"[(seed >> 16) % 4];
	}
	buf_init(&out);
	dot_run(in, sizeof(in), 7, &out);
	assert_true(out.len <=
	            SMTP_DOT_OUT_MAX(sizeof(in)) + SMTP_DOT_FINISH_MAX);
	for (i = 0; i < out.len; i++) {
		if (out.p[i] == '\r')
			assert_true(i + 1 < out.len && out.p[i + 1] == '\n');
		if (out.p[i] == '\n')
			assert_true(i > 0 && out.p[i - 1] == '\r');
		/* A line starting with '.' is "..x" or the final ".\r\n". */
		if (out.p[i] == '.' && (i == 0 || out.p[i - 1] == '\n') &&
		    i + 3 != out.len)
			assert_int_equal(out.p[i + 1], '.');
	}
	buf_fini(&out);
}

/*
 * dot_reference - the plain byte-at-a-time encoding, kept here as the
 * oracle for the fast path in smtp_dot_encode.
 */
static void
dot_reference(const char *in, size_t len, struct buf *out)
{
	bool bol = true, cr = false;
	size_t i;

	for (i = 0; i < len; i++) {
		char ch = in[i];
		if (ch == '\n') {
			buf_add(out, "\r\n", 2);
			cr = false;
			bol = true;
			continue;
		}
		if (cr) {
			buf_add(out, "\r\n", 2);
			cr = false;
			bol = true;
		}
		if (ch == '\r') {
			cr = true;
			continue;
		}
		if (bol && ch == '.')
			buf_addch(out, '.');
		buf_addch(out, ch);
		bol = false;
	}
	if (cr || !bol)
		buf_add(out, "\r\n", 2);
	buf_add(out, ".\r\n", 3);
}

static void
dot_fast_path_matches_reference(void **state)
{
	static const char alphabet[] = "ab.\r\n.x";
	unsigned seed = 12345;
	char in[600];
	int round;

	for (round = 0; round < 2000; round++) {
		struct buf want, got;
		size_t len, i, chunk;

		seed = seed * 1103515245u + 12345u;
		len = (seed >> 8) % sizeof(in);
		for (i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			/* Mostly plain bytes, so long runs hit the fast path.
			 */
			in[i] = (seed >> 16) % 4
			            ? 'a' + (char)((seed >> 20) % 26)
			            : alphabet[(seed >> 20) % 8];
		}
		seed = seed * 1103515245u + 12345u;
		chunk = 1 + (seed >> 8) % 64;
		buf_init(&want);
		buf_init(&got);
		dot_reference(in, len, &want);
		dot_run(in, len, chunk, &got);
		assert_int_equal(got.len, want.len);
		assert_memory_equal(got.p, want.p, want.len);
		buf_fini(&want);
		buf_fini(&got);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(dot_table),
	    cmocka_unit_test(dot_output_never_has_bare_cr_or_lf),
	    cmocka_unit_test(dot_fast_path_matches_reference),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
