/*
 * test_log.c - the log's quoting of untrusted values (log_quote): every
 * byte that could end a field, forge a line or reach a terminal is
 * escaped, and a whole log line carrying a hostile AUTH name keeps its
 * fields. Lines a peer can repeat (log_limited) pass once a second per
 * call site and carry the count held back; other lines are not affected.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/clock.h"
#include "core/log.h"

static void
values_are_quoted_and_escaped(void **state)
{
	static const struct {
		const char *name, *in;
		size_t len;
		const char *out;
	} cases[] = {
	    {"plain", "alice", 5, "\"alice\""},
	    {"empty", "", 0, "\"\""},
	    {"space cannot start a field", "x reason=ok", 11,
	     "\"x reason=ok\""},
	    {"quote and backslash", "a\"b\\c", 5, "\"a\\\"b\\\\c\""},
	    {"CR LF cannot start a line", "a\r\nb", 4, "\"a\\x0d\\x0ab\""},
	    {"escape and DEL", "\x1b[2J\x7f", 5, "\"\\x1b[2J\\x7f\""},
	    {"NUL inside", "a\0b", 3, "\"a\\x00b\""},
	    {"non-ASCII as its bytes", "\xc3\xa9\xe2\x80\xae", 5,
	     "\"\\xc3\\xa9\\xe2\\x80\\xae\""},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct log_quoted q = log_quote_n(cases[i].in, cases[i].len);
		if (strcmp(q.s, cases[i].out) != 0)
			fail_msg("%s: got %s", cases[i].name, q.s);
	}
	assert_string_equal(log_quote(NULL).s, "-");
	assert_string_equal(log_quote("bob").s, "\"bob\"");
}

static void
long_value_is_cut_with_a_mark(void **state)
{
	char in[LOG_QUOTE_MAX * 2];
	struct log_quoted q;

	(void)state;
	memset(in, 0xff, sizeof(in));
	q = log_quote_n(in, sizeof(in));
	/* Every shown byte as \xff, the quotes, the mark. */
	assert_int_equal(strlen(q.s), LOG_QUOTE_MAX * 4 + 2 + 3);
	assert_memory_equal(q.s + strlen(q.s) - 4, "\"...", 4);
	memset(in, 'a', sizeof(in));
	q = log_quote_n(in, LOG_QUOTE_MAX);
	assert_int_equal(strlen(q.s), LOG_QUOTE_MAX + 2);
}

/* A log line as written to stderr while fn runs. */
static void
capture(void (*fn)(void), char *out, size_t cap)
{
	FILE *f = tmpfile();
	int saved = dup(STDERR_FILENO);
	size_t n;

	assert_non_null(f);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(f), STDERR_FILENO) >= 0);
	fn();
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	rewind(f);
	n = fread(out, 1, cap - 1, f);
	out[n] = '\0';
	fclose(f);
}

static void
log_hostile_name(void)
{
	static const char name[] =
	    "x client=10.0.0.1 failures=0\r\n2026-01-01T00:00:00Z info "
	    "smtpd: auth ok user=\"root\"";

	log_setup(LOG_LEVEL_INFO, LOG_FORMAT_TEXT);
	log_info("smtpd: reject client=192.0.2.1 reason=auth_failed "
	         "user=%s failures=1",
	         log_quote_n(name, sizeof(name) - 1).s);
}

static void
hostile_auth_name_stays_one_field_on_one_line(void **state)
{
	char line[2048];
	const char *u;

	(void)state;
	capture(log_hostile_name, line, sizeof(line));
	/* One line, and the value is one quoted field ending before the
	 * real failures=1. */
	assert_non_null(strchr(line, '\n'));
	assert_string_equal(strchr(line, '\n'), "\n");
	u = strstr(line, "user=\"x client=10.0.0.1 failures=0\\x0d\\x0a");
	assert_non_null(u);
	assert_non_null(strstr(u, "user=\\\"root\\\"\" failures=1\n"));
}

static uint64_t fake_us = 1000000;

static uint64_t
fake_mono(void *arg)
{
	return fake_us;
}

static int64_t
fake_wall(void *arg)
{
	return 1700000000000000;
}

/* count - occurrences of needle in hay. */
static int
count(const char *hay, const char *needle)
{
	int n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay++;
	}
	return n;
}

static void
flood(void)
{
	int i;

	log_setup(LOG_LEVEL_INFO, LOG_FORMAT_TEXT);
	for (i = 0; i < 1000; i++) {
		log_limited(LOG_LEVEL_WARN, "test: accept: %s", "EMFILE");
		log_limited(LOG_LEVEL_INFO, "test: reject client=%d", i);
	}
	fake_us += 1000000; /* one second later */
	log_limited(LOG_LEVEL_WARN, "test: accept: %s", "EMFILE");
	log_info("test: plain line");
	log_info("test: plain line");
}

static void
repeats_pass_once_a_second_with_a_count(void **state)
{
	static char out[65536];
	struct clock_source src = {fake_mono, fake_wall, NULL};

	(void)state;
	clock_source_set(&src);
	capture(flood, out, sizeof(out));
	clock_source_set(NULL);
	/* Two lines of the first site (one per second), one of the second. */
	assert_int_equal(count(out, "test: accept: EMFILE"), 2);
	assert_int_equal(count(out, "(999 similar lines suppressed)"), 1);
	assert_int_equal(count(out, "test: reject client=0\n"), 1);
	assert_int_equal(count(out, "test: reject"), 1);
	/* Ordinary lines are never held back. */
	assert_int_equal(count(out, "test: plain line"), 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(values_are_quoted_and_escaped),
	    cmocka_unit_test(long_value_is_cut_with_a_mark),
	    cmocka_unit_test(hostile_auth_name_stays_one_field_on_one_line),
	    cmocka_unit_test(repeats_pass_once_a_second_with_a_count),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
