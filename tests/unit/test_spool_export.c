/*
 * test_spool_export.c - the spool export file (spool/spool_export.h):
 * messages round-trip through a file; a damaged, cut, reordered,
 * re-counted or ill-typed file is refused whole with the line and the
 * fault, and leaves nothing to free.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/sha.h>

#include "core/buf.h"
#include "spool/spool_export.h"

/* file - a whole export of lines[0..n) (each a JSON line without "\n"),
 * with a right trailer unless count_delta / flip say otherwise. */
static char *
file(const char *const *lines, size_t n, long count_delta, int flip,
     size_t *len)
{
	struct buf b;
	unsigned char dg[32];
	char tr[128];
	size_t i;

	buf_init(&b);
	buf_addstr(&b, SPOOL_EXPORT_MAGIC);
	for (i = 0; i < n; i++) {
		buf_addstr(&b, lines[i]);
		buf_addch(&b, '\n');
	}
	SHA256((const unsigned char *)b.p, b.len, dg);
	if (flip)
		dg[0] ^= 1;
	spool_export_trailer(tr, sizeof(tr), (size_t)((long)n + count_delta),
	                     dg);
	buf_addstr(&b, tr);
	return buf_steal(&b, len);
}

static struct spool_export_msg
sample(const char *id)
{
	static struct spool_export_rcpt r[2] = {
	    {.idx = 0, .address = "a@example.net", .state = "pending"},
	    {.idx = 1,
	     .address = "b@example.net",
	     .state = "sent",
	     .last_reply = "250 ok",
	     .provider = "m",
	     .provider_msg_id = "pm-1",
	     .outcome = "delivered",
	     .outcome_at = 1700000001000},
	};
	static struct spool_export_att a = {.at = 1700000000500,
	                                    .duration_ms = 12,
	                                    .provider = "m",
	                                    .result = "tempfail",
	                                    .reply = "451 later",
	                                    .trace = NULL};
	static unsigned char body[] = "From: s@example.com\r\n\r\nhi\0x\r\n";
	struct spool_export_msg m = {
	    .state = "deferred",
	    .sender = "s@example.com",
	    .stream = "transactional",
	    .tenant = "webt",
	    .client = NULL,
	    .last_error = "451 later",
	    .idempotency_key = "k1",
	    .idempotency_hash = NULL,
	    .meta = "{\"tags\":[\"x\"]}",
	    .size = sizeof(body) - 1,
	    .created_at = 1700000000000,
	    .next_attempt_at = 1700000060000,
	    .attempts = 1,
	    .body = body,
	    .body_len = sizeof(body) - 1,
	    .rcpts = r,
	    .n_rcpts = 2,
	    .atts = &a,
	    .n_atts = 1,
	};
	snprintf(m.id, sizeof(m.id), "%s", id);
	return m;
}

static void
messages_round_trip(void **state)
{
	struct spool_export_msg a = sample("01M99VMS30199G591DWK"),
	                        b = sample("01M99VMS30299G591DWK"), *got;
	char *la = spool_export_line(&a), *lb = spool_export_line(&b), *f;
	const char *lines[2];
	char err[256];
	size_t n, len;

	assert_non_null(la);
	assert_non_null(lb);
	la[strlen(la) - 1] = '\0';
	lb[strlen(lb) - 1] = '\0';
	lines[0] = la;
	lines[1] = lb;
	f = file(lines, 2, 0, 0, &len);
	assert_int_equal(spool_export_parse(f, len, &got, &n, err, sizeof(err)),
	                 0);
	assert_int_equal(n, 2);
	assert_string_equal(got[0].id, "01M99VMS30199G591DWK");
	assert_string_equal(got[1].id, "01M99VMS30299G591DWK");
	assert_string_equal(got[0].state, "deferred");
	assert_string_equal(got[0].tenant, "webt");
	assert_null(got[0].client);
	assert_null(got[0].idempotency_hash);
	assert_string_equal(got[0].meta, "{\"tags\":[\"x\"]}");
	assert_int_equal(got[0].body_len, a.body_len);
	assert_memory_equal(got[0].body, a.body, a.body_len);
	assert_int_equal(got[0].n_rcpts, 2);
	assert_string_equal(got[0].rcpts[1].state, "sent");
	assert_string_equal(got[0].rcpts[1].provider_msg_id, "pm-1");
	assert_true(got[0].rcpts[1].outcome_at == 1700000001000);
	assert_null(got[0].rcpts[0].outcome);
	assert_int_equal(got[0].n_atts, 1);
	assert_string_equal(got[0].atts[0].reply, "451 later");
	assert_null(got[0].atts[0].trace);
	assert_true(got[0].attempts == 1);
	spool_export_free(got, n);
	free(f);
	/* An empty export is a file too. */
	f = file(lines, 0, 0, 0, &len);
	assert_int_equal(spool_export_parse(f, len, &got, &n, err, sizeof(err)),
	                 0);
	assert_int_equal(n, 0);
	spool_export_free(got, n);
	free(f);
	free(la);
	free(lb);
}

/* expect_refused - f is refused with a message containing want. */
static void
expect_refused(const char *f, size_t len, const char *want)
{
	struct spool_export_msg *got = (void *)1;
	char err[256] = "";
	size_t n = 7;

	if (spool_export_parse(f, len, &got, &n, err, sizeof(err)) != -1)
		fail_msg("accepted (want \"%s\")", want);
	assert_null(got);
	assert_int_equal(n, 0);
	if (strstr(err, want) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", err, want);
}

static void
damaged_files_are_refused(void **state)
{
	struct spool_export_msg a = sample("01M99VMS30199G591DWK");
	char *la = spool_export_line(&a), *f, *g;
	const char *lines[3];
	size_t len;
	static const char *const bad_lines[][2] = {
	    {"[]", "not a JSON object"},
	    {"{", "not a JSON object"},
	    {"{\"id\":\"short\"}", "no valid id"},
	    {"{\"id\":\"01M99VMS30199G591DWK\",\"state\":\"sent\"}",
	     "state is not"},
	    {"{\"id\":\"01M99VMS30199G591DWK\",\"state\":\"ready\"}",
	     "a text member is missing"},
	};
	size_t i;

	la[strlen(la) - 1] = '\0';
	lines[0] = la;
	/* A flipped checksum bit, a count one off either way. */
	f = file(lines, 1, 0, 1, &len);
	expect_refused(f, len, "checksum does not match");
	free(f);
	f = file(lines, 1, 1, 0, &len);
	expect_refused(f, len, "count is not the number");
	free(f);
	f = file(lines, 1, -1, 0, &len);
	expect_refused(f, len, "count is not the number");
	free(f);
	/* A byte changed in the body of a message. */
	f = file(lines, 1, 0, 0, &len);
	g = strstr(f, "\"body\":\"");
	g[9] = g[9] == 'A' ? 'B' : 'A';
	expect_refused(f, len, "checksum does not match");
	free(f);
	/* Cut short: before the end line, inside it, without its "\n". */
	f = file(lines, 1, 0, 0, &len);
	expect_refused(f, strlen(SPOOL_EXPORT_MAGIC) + strlen(la) + 1,
	               "no end line");
	expect_refused(f, len - 10, "cut short");
	expect_refused(f, len - 1, "cut short");
	/* Something after the end. */
	g = malloc(len + 3);
	memcpy(g, f, len);
	memcpy(g + len, "x\n", 2);
	expect_refused(g, len + 2, "follows the end line");
	free(g);
	free(f);
	/* Wrong magic; another version. */
	expect_refused("", 0, "not a swerve spool export");
	expect_refused("swerve-spool-export 2\nend 0 x\n", 29,
	               "not a swerve spool export");
	/* The same id twice. */
	lines[1] = la;
	f = file(lines, 2, 0, 0, &len);
	expect_refused(f, len, "the same id twice");
	free(f);
	/* Ill-formed messages (with a right checksum). */
	for (i = 0; i < sizeof(bad_lines) / sizeof(bad_lines[0]); i++) {
		lines[0] = bad_lines[i][0];
		f = file(lines, 1, 0, 0, &len);
		expect_refused(f, len, bad_lines[i][1]);
		free(f);
	}
	/* A malformed end line. */
	expect_refused(SPOOL_EXPORT_MAGIC "end 0 zz\n",
	               strlen(SPOOL_EXPORT_MAGIC) + 9, "malformed end line");
	free(la);
}

/* Each member of a message, made wrong in turn, refuses the file. */
static void
ill_typed_members_are_refused(void **state)
{
	struct spool_export_msg a = sample("01M99VMS30199G591DWK");
	char *la = spool_export_line(&a), *f, *line;
	const char *lines[1];
	size_t len, i;
	static const char *const edits[][2] = {
	    {"\"size\":", "\"size\":-"},
	    {"\"attempts\":1", "\"attempts\":\"1\""},
	    {"\"sender\":\"s@example.com\"", "\"sender\":null"},
	    {"\"body\":\"", "\"body\":\"!"},
	    {"\"idx\":1", "\"idx\":0"},
	    {"\"address\":\"a@example.net\"", "\"address\":\"\""},
	    {"\"result\":\"tempfail\"", "\"result\":7"},
	    {"\"tenant\":\"webt\"", "\"tenant\":\"a\\u0000b\""},
	    {"\"rcpts\":[", "\"rcpts\":[],\"x\":["},
	    {"\"duration_ms\":12", "\"duration_ms\":1.5"},
	};

	la[strlen(la) - 1] = '\0';
	for (i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		char *at = strstr(la, edits[i][0]);
		struct buf b;

		assert_non_null(at);
		buf_init(&b);
		buf_add(&b, la, (size_t)(at - la));
		buf_addstr(&b, edits[i][1]);
		buf_addstr(&b, at + strlen(edits[i][0]));
		line = buf_steal(&b, NULL);
		lines[0] = line;
		f = file(lines, 1, 0, 0, &len);
		{
			struct spool_export_msg *got = (void *)1;
			char err[256];
			size_t n;

			if (spool_export_parse(f, len, &got, &n, err,
			                       sizeof(err)) != -1)
				fail_msg("accepted edit %zu: %s", i, line);
			assert_null(got);
			assert_true(strncmp(err, "line 2: ", 8) == 0);
		}
		free(f);
		free(line);
	}
	free(la);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(messages_round_trip),
	    cmocka_unit_test(damaged_files_are_refused),
	    cmocka_unit_test(ill_typed_members_are_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
