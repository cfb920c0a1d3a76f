/*
 * test_mock_parse.c - swerve-mock's pure parts: modes, SMTP commands, the
 * DATA reader, base64/AUTH, the message store and the mode API body.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/base64.h"
#include "core/buf.h"
#include "mock/mock.h"
#include "mock/mock_ctl.h"
#include "mock/mock_mode.h"
#include "mock/mock_parse.h"
#include "mock/mock_store.h"

/* parse - mock_cmd_parse over a C string. */
static int
parse(const char *line, struct mock_cmd *cmd)
{
	const char *why = NULL;
	int rc = mock_cmd_parse(line, strlen(line), cmd, &why);

	if (rc != MOCK_PARSE_OK)
		assert_non_null(why);
	return rc;
}

/* mode_text - mock_mode_parse over a C string. */
static int
mode_text(const char *text, struct mock_mode_set *set)
{
	const char *why = NULL;
	int rc = mock_mode_parse(text, strlen(text), set, &why);

	if (rc < 0)
		assert_non_null(why);
	return rc;
}

static void
mode_text_forms_parse(void **state)
{
	struct mock_mode_set set;

	assert_int_equal(mode_text("accept", &set), 0);
	assert_int_equal(set.mode, MOCK_MODE_ACCEPT);
	assert_int_equal(mode_text("  TempFail\n", &set), 0);
	assert_int_equal(set.mode, MOCK_MODE_TEMPFAIL);
	assert_int_equal(mode_text("slow 200", &set), 0);
	assert_int_equal(set.mode, MOCK_MODE_SLOW);
	assert_int_equal(set.slow_ms, 200);
	assert_int_equal(mode_text("slow=15", &set), 0);
	assert_int_equal(set.slow_ms, 15);
	assert_int_equal(mode_text("slow:600000", &set), 0);
	assert_int_equal(mode_text("rcptfail @bad.example", &set), 0);
	assert_int_equal(set.mode, MOCK_MODE_RCPTFAIL);
	assert_string_equal(set.match, "@bad.example");
	assert_string_equal(mock_mode_name(MOCK_MODE_THROTTLE), "throttle");
}

static void
mode_text_rejects_bad_arguments(void **state)
{
	struct mock_mode_set set;
	static const char *const bad[] = {
	    "",         "   ",         "sideways", "slow",
	    "slow 0",   "slow 600001", "slow 2x",  "slow -5",
	    "accept 1", "hang now",    "rcptfail", "rcptfail a b",
	    "acceptx",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(mode_text(bad[i], &set), -1);
}

static void
ctl_mode_body_accepts_json_and_text(void **state)
{
	struct mock_mode_set set;
	const char *why;
	static const char j1[] = "{\"mode\":\"slow\",\"ms\":250}";
	static const char j2[] = "{\"mode\":\"slow\",\"slow_ms\":\"40\"}";
	static const char j3[] = "{\"mode\":\"accept\",\"slow_ms\":0}";
	static const char j4[] = "{\"mode\":\"rcptfail\",\"match\":\"x@\"}";
	static const char j5[] = "{\"mode\":\"slow 30\"}";
	static const char t1[] = "drop\n";

	assert_int_equal(mock_ctl_mode_parse(j1, strlen(j1), &set, &why), 0);
	assert_int_equal(set.slow_ms, 250);
	assert_int_equal(mock_ctl_mode_parse(j2, strlen(j2), &set, &why), 0);
	assert_int_equal(set.slow_ms, 40);
	assert_int_equal(mock_ctl_mode_parse(j3, strlen(j3), &set, &why), 0);
	assert_int_equal(set.mode, MOCK_MODE_ACCEPT);
	assert_int_equal(mock_ctl_mode_parse(j4, strlen(j4), &set, &why), 0);
	assert_string_equal(set.match, "x@");
	assert_int_equal(mock_ctl_mode_parse(j5, strlen(j5), &set, &why), 0);
	assert_int_equal(set.slow_ms, 30);
	assert_int_equal(mock_ctl_mode_parse(t1, strlen(t1), &set, &why), 0);
	assert_int_equal(set.mode, MOCK_MODE_DROP);
}

static void
ctl_mode_body_rejects_bad_json(void **state)
{
	struct mock_mode_set set;
	const char *why;
	static const char *const bad[] = {
	    "{",
	    "{\"mode\":1}",
	    "{\"ms\":5}",
	    "{\"mode\":\"slow\"}",
	    "{\"mode\":\"slow\",\"ms\":-1}",
	    "[\"accept\"]",
	    "{\"mode\":\"nope\"}",
	    "{\"mode\":\"rcptfail\"}",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(
		    mock_ctl_mode_parse(bad[i], strlen(bad[i]), &set, &why),
		    -1);
	assert_int_equal(mock_ctl_mode_parse("acc\0ept", 7, &set, &why), -1);
}

static void
cmd_mail_and_rcpt_extract_paths(void **state)
{
	struct mock_cmd cmd;

	assert_int_equal(parse("MAIL FROM:<a@b.example>", &cmd), 0);
	assert_int_equal(cmd.verb, MOCK_VERB_MAIL);
	assert_int_equal(cmd.path.len, 11);
	assert_memory_equal(cmd.path.p, "a@b.example", 11);
	assert_int_equal(
	    parse("mail from: <a@b.example> SIZE=123 BODY=8BITMIME "
	          "AUTH=<>",
	          &cmd),
	    0);
	assert_true(cmd.has_size);
	assert_int_equal(cmd.size, 123);
	assert_int_equal(parse("MAIL FROM:<>", &cmd), 0);
	assert_int_equal(cmd.path.len, 0);
	assert_int_equal(parse("RCPT TO:<@relay.example:u@d.example>", &cmd),
	                 0);
	assert_int_equal(cmd.path.len, 11);
	assert_memory_equal(cmd.path.p, "u@d.example", 11);
	assert_int_equal(parse("RCPT TO:<\"odd > local\"@d.example>", &cmd), 0);
	assert_int_equal(parse("RCPT TO:<Postmaster>", &cmd), 0);
	assert_int_equal(parse("RCPT TO:<u@[192.0.2.1]>", &cmd), 0);
}

static void
cmd_mail_and_rcpt_refuse_bad_syntax(void **state)
{
	struct mock_cmd cmd;

	assert_int_equal(parse("MAIL FROM:a@b.example", &cmd),
	                 MOCK_PARSE_SYNTAX);
	assert_int_equal(parse("MAIL FROM:<a@b.example", &cmd),
	                 MOCK_PARSE_SYNTAX);
	assert_int_equal(parse("MAIL TO:<a@b.example>", &cmd),
	                 MOCK_PARSE_SYNTAX);
	assert_int_equal(parse("MAIL", &cmd), MOCK_PARSE_SYNTAX);
	assert_int_equal(parse("MAIL FROM:<a@b.example> FOO=1", &cmd),
	                 MOCK_PARSE_PARAM);
	assert_int_equal(parse("MAIL FROM:<a@b.example> SIZE=x", &cmd),
	                 MOCK_PARSE_SYNTAX);
	assert_int_equal(parse("MAIL FROM:<a@b.example> SIZE=1 SIZE=2", &cmd),
	                 MOCK_PARSE_SYNTAX);
	assert_int_equal(parse("MAIL FROM:<a@b.example> BODY=BINARYMIME", &cmd),
	                 MOCK_PARSE_SYNTAX);
	assert_int_equal(parse("MAIL FROM:<a@b.example>x", &cmd),
	                 MOCK_PARSE_SYNTAX);
	assert_int_equal(parse("RCPT TO:<>", &cmd), MOCK_PARSE_SYNTAX);
	assert_int_equal(parse("RCPT TO:<a..b@c.example>", &cmd),
	                 MOCK_PARSE_SYNTAX);
	assert_int_equal(parse("RCPT TO:<a@-.example.>", &cmd),
	                 MOCK_PARSE_SYNTAX);
	assert_int_equal(parse("RCPT TO:<noat>", &cmd), MOCK_PARSE_SYNTAX);
	assert_int_equal(parse("RCPT TO:<a b@c.example>", &cmd),
	                 MOCK_PARSE_SYNTAX);
	assert_int_equal(parse("RCPT TO:<a@b.example> NOTIFY=NEVER", &cmd),
	                 MOCK_PARSE_PARAM);
	assert_int_equal(parse("RCPT TO:<a@b\xc3\xa9.example>", &cmd),
	                 MOCK_PARSE_BYTE);
}

static void
cmd_verbs_and_arguments(void **state)
{
	struct mock_cmd cmd;

	assert_int_equal(parse("ehlo client.example", &cmd), 0);
	assert_int_equal(cmd.verb, MOCK_VERB_EHLO);
	assert_int_equal(cmd.arg.len, 14);
	assert_int_equal(parse("EHLO", &cmd), MOCK_PARSE_SYNTAX);
	assert_int_equal(parse("HELO a b", &cmd), MOCK_PARSE_SYNTAX);
	assert_int_equal(parse("DATA", &cmd), 0);
	assert_int_equal(parse("DATA now", &cmd), MOCK_PARSE_SYNTAX);
	assert_int_equal(parse("QUIT", &cmd), 0);
	assert_int_equal(parse("NOOP whatever", &cmd), 0);
	assert_int_equal(parse("STARTTLS", &cmd), 0);
	assert_int_equal(parse("AUTH PLAIN AGZvbwBiYXI=", &cmd), 0);
	assert_int_equal(cmd.verb, MOCK_VERB_AUTH);
	assert_int_equal(cmd.arg.len, 5);
	assert_int_equal(cmd.auth_initial.len, 12);
	assert_int_equal(parse("AUTH", &cmd), MOCK_PARSE_SYNTAX);
	assert_int_equal(parse("FROB", &cmd), MOCK_PARSE_UNKNOWN);
	assert_int_equal(parse("", &cmd), MOCK_PARSE_UNKNOWN);
	assert_int_equal(mock_cmd_parse("NOOP\0x", 6, &cmd, &(const char *){0}),
	                 MOCK_PARSE_BYTE);
}

/* feed_all - run the DATA reader over s in chunks of step bytes. */
static bool
feed_all(const char *s, size_t len, size_t step, struct buf *out,
         enum mock_data_fault *fault, size_t *rest)
{
	struct mock_data d;
	size_t off = 0, used;

	mock_data_init(&d, out, 1000000);
	while (off < len) {
		size_t n = len - off < step ? len - off : step;

		if (mock_data_feed(&d, s + off, n, &used)) {
			*fault = d.fault;
			*rest = len - off - used;
			return true;
		}
		assert_int_equal(used, n);
		off += n;
	}
	*fault = d.fault;
	*rest = 0;
	return false;
}

static void
data_unstuffs_dots_at_any_chunking(void **state)
{
	static const char in[] = "a\r\n..b\r\n..\r\n\r\n...\r\n.\r\nNEXT";
	static const char want[] = "a\r\n.b\r\n.\r\n\r\n..\r\n";
	enum mock_data_fault fault;
	size_t step, rest;
	struct buf out;

	for (step = 1; step <= sizeof(in); step++) {
		buf_init(&out);
		assert_true(
		    feed_all(in, strlen(in), step, &out, &fault, &rest));
		assert_int_equal(fault, MOCK_DATA_FAULT_NONE);
		assert_int_equal(rest, 4); /* "NEXT" is left for the session */
		assert_int_equal(out.len, strlen(want));
		assert_memory_equal(out.p, want, out.len);
		buf_fini(&out);
	}
}

static void
data_empty_body_ends_at_once(void **state)
{
	enum mock_data_fault fault;
	size_t rest;
	struct buf out;

	buf_init(&out);
	assert_true(feed_all(".\r\n", 3, 3, &out, &fault, &rest));
	assert_int_equal(out.len, 0);
	assert_int_equal(fault, MOCK_DATA_FAULT_NONE);
	buf_fini(&out);
}

static void
data_fake_endings_do_not_end_and_are_faults(void **state)
{
	static const struct {
		const char *in;
		enum mock_data_fault fault;
	} cases[] = {
	    {"a\n.\nb\r\n.\r\n", MOCK_DATA_FAULT_BARE_LF},
	    {"a\r\n.\nb\r\n.\r\n", MOCK_DATA_FAULT_BARE_LF},
	    {"a\n.\r\nb\r\n.\r\n", MOCK_DATA_FAULT_BARE_LF},
	    {"a\r.\r\nb\r\n.\r\n", MOCK_DATA_FAULT_BARE_CR},
	    {"a\r\n.\rb\r\n.\r\n", MOCK_DATA_FAULT_BARE_CR},
	    {"a\r\r\n.\r\n", MOCK_DATA_FAULT_BARE_CR},
	};
	enum mock_data_fault fault;
	size_t i, rest;
	struct buf out;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_init(&out);
		assert_true(feed_all(cases[i].in, strlen(cases[i].in), 1, &out,
		                     &fault, &rest));
		assert_int_equal(rest, 0);
		assert_int_equal(fault, cases[i].fault);
		buf_fini(&out);
	}
}

static void
data_long_lines_nul_and_size_are_faults(void **state)
{
	struct buf in, out;
	struct mock_data d;
	enum mock_data_fault fault;
	size_t used, rest;

	buf_init(&in);
	memset(&d, 0, sizeof(d));
	for (used = 0; used < 998; used++)
		buf_addch(&in, 'x');
	buf_addstr(&in, "\r\n.\r\n");
	buf_init(&out);
	assert_true(feed_all(in.p, in.len, 7, &out, &fault, &rest));
	assert_int_equal(fault, MOCK_DATA_FAULT_NONE); /* 1000 with CRLF */
	buf_fini(&out);
	in.len = 0;
	for (used = 0; used < 999; used++)
		buf_addch(&in, 'x');
	buf_addstr(&in, "\r\n.\r\n");
	assert_true(feed_all(in.p, in.len, 7, &out, &fault, &rest));
	assert_int_equal(fault, MOCK_DATA_FAULT_LINE_LONG);
	buf_fini(&out);
	assert_true(feed_all("a\0b\r\n.\r\n", 8, 8, &out, &fault, &rest));
	assert_int_equal(fault, MOCK_DATA_FAULT_NUL);
	buf_fini(&out);
	/* A body over the cap is drained to its end; out stays capped. */
	mock_data_init(&d, &out, 10);
	assert_true(mock_data_feed(&d, in.p, in.len, &used));
	assert_int_equal(d.fault, MOCK_DATA_FAULT_TOO_BIG);
	assert_true(out.len <= 10);
	assert_string_equal(mock_data_fault_reply(MOCK_DATA_FAULT_TOO_BIG),
	                    "552 5.3.4 Message size exceeds fixed limit");
	buf_fini(&out);
	buf_fini(&in);
}

static void
b64_and_plain_decode_strictly(void **state)
{
	struct buf out;
	struct str user, pass;

	buf_init(&out);
	assert_int_equal(
	    base64_decode_buf(STR_LIT("AHVzZXIAczNjcmV0"), 0, &out), 0);
	assert_int_equal(out.len, 12);
	assert_int_equal(
	    mock_auth_plain_split((struct str){out.p, out.len}, &user, &pass),
	    0);
	assert_int_equal(user.len, 4);
	assert_memory_equal(user.p, "user", 4);
	assert_int_equal(pass.len, 6);
	assert_memory_equal(pass.p, "s3cret", 6);
	out.len = 0;
	assert_int_equal(base64_decode_buf(STR_LIT("dXM="), 0, &out), 0);
	assert_int_equal(out.len, 2);
	out.len = 0;
	assert_int_equal(base64_decode_buf(STR_LIT("dQ=="), 0, &out), 0);
	assert_int_equal(out.len, 1);
	assert_int_equal(base64_decode_buf(STR_LIT("dQ="), 0, &out), -1);
	assert_int_equal(base64_decode_buf(STR_LIT("d=Q="), 0, &out), -1);
	assert_int_equal(base64_decode_buf(STR_LIT("dQ=a"), 0, &out), -1);
	assert_int_equal(base64_decode_buf(STR_LIT("dX M"), 0, &out), -1);
	assert_int_equal(mock_auth_plain_split(STR_LIT("nonul"), &user, &pass),
	                 -1);
	assert_int_equal(
	    mock_auth_plain_split((struct str){"a\0\0p", 4}, &user, &pass),
	    -1); /* empty user */
	assert_int_equal(
	    mock_auth_plain_split((struct str){"\0u\0p\0", 5}, &user, &pass),
	    -1); /* three NULs */
	buf_fini(&out);
}

/* store_put - add one message with body text to st. */
static const struct mock_msg *
store_put(struct mock_store *st, const char *text)
{
	struct buf b;
	char *rcpt[] = {"r@x.example"};

	buf_init(&b);
	buf_addstr(&b, text);
	return mock_store_add(st, "f@x.example", rcpt, 1, &b, "smtp");
}

static void
store_keeps_newest_and_finds_by_id(void **state)
{
	struct mock_store *st = mock_store_new(3);
	char ids[5][ID_SIZE];
	const struct mock_msg *m;
	int i;

	for (i = 0; i < 5; i++)
		memcpy(ids[i], store_put(st, i % 2 ? "odd" : "even")->id,
		       ID_SIZE);
	assert_int_equal(mock_store_count(st), 3);
	assert_null(mock_store_find(st, ids[0]));
	assert_null(mock_store_find(st, ids[1]));
	for (i = 2; i < 5; i++) {
		m = mock_store_find(st, ids[i]);
		assert_non_null(m);
		assert_string_equal(m->id, ids[i]);
		assert_ptr_equal(mock_store_at(st, (size_t)i - 2), m);
	}
	m = mock_store_find(st, ids[4]);
	assert_int_equal(m->len, 4);
	assert_string_equal(m->data, "even");
	assert_null(mock_store_at(st, 3));
	assert_null(mock_store_find(st, "nope"));
	assert_int_equal(mock_store_clear(st), 3);
	assert_int_equal(mock_store_count(st), 0);
	store_put(st, "again");
	assert_int_equal(mock_store_count(st), 1);
	mock_store_free(st);
}

static void
store_sha256_is_of_the_bytes(void **state)
{
	struct mock_store *st = mock_store_new(10);
	const struct mock_msg *m = store_put(st, "abc");

	assert_string_equal(m->sha256, "ba7816bf8f01cfea414140de5dae2223"
	                               "b00361a396177a9cb410ff61f20015ad");
	assert_string_equal(m->mail_from, "f@x.example");
	assert_int_equal(m->nrcpt, 1);
	assert_string_equal(m->rcpt[0], "r@x.example");
	assert_string_equal(m->via, "smtp");
	mock_store_free(st);
}

static void
stats_count_under_the_current_mode(void **state)
{
	struct mock *m = mock_new(NULL, "t", 10);
	struct mock_mode_set set = {.mode = MOCK_MODE_THROTTLE};

	mock_stat_add(m, MOCK_STAT_CONNECTIONS);
	mock_mode_change(m, &set);
	mock_stat_add(m, MOCK_STAT_CONNECTIONS);
	mock_stat_add(m, MOCK_STAT_MESSAGES_REJECTED);
	assert_int_equal(mock_stat_total(m, MOCK_STAT_CONNECTIONS), 2);
	assert_int_equal(m->stats[MOCK_MODE_ACCEPT][MOCK_STAT_CONNECTIONS], 1);
	assert_int_equal(
	    m->stats[MOCK_MODE_THROTTLE][MOCK_STAT_MESSAGES_REJECTED], 1);
	mock_stats_clear(m);
	assert_int_equal(mock_stat_total(m, MOCK_STAT_CONNECTIONS), 0);
	assert_string_equal(mock_stat_name(MOCK_STAT_RCPTS_REJECTED),
	                    "rcpts_rejected");
	mock_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(mode_text_forms_parse),
	    cmocka_unit_test(mode_text_rejects_bad_arguments),
	    cmocka_unit_test(ctl_mode_body_accepts_json_and_text),
	    cmocka_unit_test(ctl_mode_body_rejects_bad_json),
	    cmocka_unit_test(cmd_mail_and_rcpt_extract_paths),
	    cmocka_unit_test(cmd_mail_and_rcpt_refuse_bad_syntax),
	    cmocka_unit_test(cmd_verbs_and_arguments),
	    cmocka_unit_test(data_unstuffs_dots_at_any_chunking),
	    cmocka_unit_test(data_empty_body_ends_at_once),
	    cmocka_unit_test(data_fake_endings_do_not_end_and_are_faults),
	    cmocka_unit_test(data_long_lines_nul_and_size_are_faults),
	    cmocka_unit_test(b64_and_plain_decode_strictly),
	    cmocka_unit_test(store_keeps_newest_and_finds_by_id),
	    cmocka_unit_test(store_sha256_is_of_the_bytes),
	    cmocka_unit_test(stats_count_under_the_current_mode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
