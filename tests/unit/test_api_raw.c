/*
 * test_api_raw.c - raw RFC 5322 messages from HTTP clients: line ends,
 * Bcc fields (their addresses join a header envelope, the fields go),
 * refusals (NUL, long lines, no header, an unreadable Bcc, an invalid or
 * second Message-ID, no From, From or envelope outside the key's
 * domains, size, recipients), envelope from the
 * options or the fields, the idempotency key field taken out, the hash
 * stable across retries, Message-ID and Date added when missing, the
 * stream header honoured and taken out, a key given twice must agree, the
 * caller's Message-ID kept and a keyed message's one stable on retry.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"
#include "ingress/api_raw.h"

static char *doms[] = {"example.com"};
static const struct config_api_key key = {
    .name = "web", .tenant = "web", .from_domains = doms, .n_from_domains = 1};
static struct config_stream streams[] = {{.name = "transactional"},
                                         {.name = "bulk"}};
static const struct config cfg = {.streams = streams, .n_streams = 2};
static const struct submit_who who = {SUBMIT_INGRESS_HTTP, NULL, &key,
                                      "127.0.0.1:1"};

/* opts - defaults: no envelope, fixed id and date. */
static struct api_raw_opts
opts(void)
{
	struct api_raw_opts o = {0};

	o.msgid_local = "LOCAL";
	o.date = 1700000000;
	o.max_recipients = 10;
	o.max_size = 10000;
	return o;
}

/* prep - api_raw_prepare over a C string. */
static int
prep(const char *s, const struct api_raw_opts *o, struct spool_msg_new *m,
     struct api_error *e)
{
	memset(e, 0, sizeof(*e));
	return api_raw_prepare(s, strlen(s), o, &cfg, &who, m, e);
}

static void
envelope_from_fields_and_fields_added(void **state)
{
	struct api_raw_opts o = opts();
	struct spool_msg_new m;
	struct api_error e;

	assert_int_equal(prep("From: A <a@example.com>\nTo: b@x.org, c@x.org\n"
	                      "Cc: B@x.org\nSubject: s\n\nbody",
	                      &o, &m, &e),
	                 0);
	assert_string_equal(m.sender, "a@example.com");
	assert_int_equal(m.n_rcpts, 2); /* B@x.org is b@x.org */
	assert_string_equal(m.rcpts[1], "c@x.org");
	buf_cstr(&m.body);
	assert_non_null(
	    strstr(m.body.p, "Message-ID: <LOCAL@example.com>\r\n"));
	assert_non_null(
	    strstr(m.body.p, "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"));
	assert_non_null(strstr(m.body.p, "\r\n\r\nbody\r\n"));
	assert_null(m.idempotency_key);
	spool_msg_new_fini(&m);
}

static void
envelope_from_options_and_key_field_taken_out(void **state)
{
	static char *to[] = {"x@y.org", "z@y.org"};
	struct api_raw_opts o = opts();
	struct spool_msg_new m;
	struct api_error e;
	const char *msg = "From: a@example.com\r\nTo: b@x.org\r\n"
	                  "X-Swerve-Idempotency-Key: k-1\r\n"
	                  "Message-ID: <m@x>\r\nDate: now\r\n\r\nbody\r\n";

	o.env_from = "bounce@example.com";
	o.env_to = to;
	o.n_env_to = 2;
	assert_int_equal(prep(msg, &o, &m, &e), 0);
	assert_string_equal(m.sender, "bounce@example.com");
	assert_int_equal(m.n_rcpts, 2);
	assert_string_equal(m.idempotency_key, "k-1");
	assert_int_equal(strlen(m.idempotency_hash), 64);
	buf_cstr(&m.body);
	assert_null(strstr(m.body.p, "Idempotency"));
	assert_string_equal(m.body.p, "From: a@example.com\r\nTo: b@x.org\r\n"
	                              "Message-ID: <m@x>\r\nDate: now\r\n\r\n"
	                              "body\r\n");
	spool_msg_new_fini(&m);
}

static void
retry_hashes_the_same_other_payload_not(void **state)
{
	struct api_raw_opts o = opts();
	struct spool_msg_new a, b, c;
	struct api_error e;
	const char *msg = "From: a@example.com\nTo: b@x.org\n\nbody\n";

	o.idem_key = "k";
	assert_int_equal(prep(msg, &o, &a, &e), 0);
	o.date += 5; /* a retry seconds later: another Date is added */
	o.msgid_local = "OTHER";
	assert_int_equal(prep(msg, &o, &b, &e), 0);
	assert_string_equal(a.idempotency_hash, b.idempotency_hash);
	assert_int_equal(
	    prep("From: a@example.com\nTo: b@x.org\n\nbody!\n", &o, &c, &e), 0);
	assert_string_not_equal(a.idempotency_hash, c.idempotency_hash);
	spool_msg_new_fini(&a);
	spool_msg_new_fini(&b);
	spool_msg_new_fini(&c);
}

static void
bcc_field_adds_recipients_and_is_taken_out(void **state)
{
	static char *to[] = {"x@y.org"};
	struct api_raw_opts o = opts();
	struct spool_msg_new m;
	struct api_error e;
	const char *msg = "From: a@example.com\r\nTo: b@x.org\r\n"
	                  "Bcc: h1@x.org,\r\n h2@x.org\r\nBcc: h3@x.org\r\n"
	                  "Subject: s\r\n\r\nbody Bcc: no\r\n";

	(void)state;
	/* No envelope: To, Cc and every Bcc field's addresses. */
	assert_int_equal(prep(msg, &o, &m, &e), 0);
	assert_int_equal(m.n_rcpts, 4);
	assert_string_equal(m.rcpts[1], "h1@x.org");
	assert_string_equal(m.rcpts[3], "h3@x.org");
	buf_cstr(&m.body);
	assert_null(strstr(m.body.p, "\nBcc:"));
	assert_null(strstr(m.body.p, "h2@"));
	assert_non_null(strstr(m.body.p, "body Bcc: no"));
	spool_msg_new_fini(&m);
	/* An envelope given: it alone, and the field still goes. */
	o.env_to = to;
	o.n_env_to = 1;
	assert_int_equal(prep(msg, &o, &m, &e), 0);
	assert_int_equal(m.n_rcpts, 1);
	buf_cstr(&m.body);
	assert_null(strstr(m.body.p, "h1@"));
	spool_msg_new_fini(&m);
}

static void
bad_messages_are_refused(void **state)
{
	static const struct {
		const char *msg;
		int status;
		const char *field;
	} bad[] = {
	    {"no header at all", 400, ""},
	    {"From: a@example.com\nBcc: <<v@x.org\nTo: b@x.org\n\nx", 400,
	     "Bcc"},
	    {"From: a@example.com\nTo: b@x.org\nMessage-ID: nope\n\nx", 400,
	     "Message-ID"},
	    {"From: a@example.com\nTo: b@x.org\nMessage-ID: <a b@x>\n\nx", 400,
	     "Message-ID"},
	    {"From: a@example.com\nTo: b@x.org\nMessage-ID: <a@x>\n"
	     "Message-ID: <b@x>\n\nx",
	     400, "Message-ID"},
	    {"To: b@x.org\n\nx", 400, "From"},
	    {"From: a@example.com, c@example.com\nTo: b@x.org\n\nx", 400,
	     "From"},
	    {"From: a@example.com\n\nno recipients", 400, "to"},
	    {"From: a@evil.org\nTo: b@x.org\n\nx", 403, ""},
	    {"From: a@example.com\nTo: b@x.org\nX-Swerve-Idempotency-Key: a b"
	     "\n\nx",
	     400, "Idempotency-Key"},
	};
	struct api_raw_opts o = opts();
	struct spool_msg_new m;
	struct api_error e;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(prep(bad[i].msg, &o, &m, &e), -1);
		assert_int_equal(e.http_status, bad[i].status);
		assert_string_equal(e.field, bad[i].field);
		assert_null(m.sender);
	}
	o.env_from = "x@evil.org";
	assert_int_equal(
	    prep("From: a@example.com\nTo: b@x.org\n\nx", &o, &m, &e), -1);
	assert_int_equal(e.http_status, 403);
	o = opts();
	assert_int_equal(api_raw_prepare("From: a@example.com\nTo: b@x.org\n\n"
	                                 "a\0b",
	                                 36, &o, &cfg, &who, &m, &e),
	                 -1);
	assert_non_null(strstr(e.message, "NUL"));
	o.max_size = 10;
	assert_int_equal(
	    prep("From: a@example.com\nTo: b@x.org\n\nx", &o, &m, &e), -1);
	assert_int_equal(e.http_status, 413);
}

static void
long_lines_and_many_recipients_are_refused(void **state)
{
	struct api_raw_opts o = opts();
	struct spool_msg_new m;
	struct api_error e;
	char msg[2000];

	snprintf(msg, sizeof(msg), "From: a@example.com\nTo: b@x.org\n\n%0999d",
	         0);
	assert_int_equal(prep(msg, &o, &m, &e), -1);
	assert_non_null(strstr(e.message, "998"));
	o.max_recipients = 1;
	assert_int_equal(
	    prep("From: a@example.com\nTo: b@x.org, c@x.org\n\nx", &o, &m, &e),
	    -1);
	assert_string_equal(e.field, "to");
}

static void
stream_header_is_honoured_and_taken_out(void **state)
{
	struct api_raw_opts o = opts();
	struct spool_msg_new m;
	struct api_error e;

	assert_int_equal(prep("From: a@example.com\nTo: b@x.org\n"
	                      "X-Swerve-Stream: bulk\n\nbody\n",
	                      &o, &m, &e),
	                 0);
	assert_string_equal(m.stream, "bulk");
	buf_cstr(&m.body);
	assert_null(strstr(m.body.p, "X-Swerve-Stream"));
	spool_msg_new_fini(&m);
	assert_int_equal(prep("From: a@example.com\nTo: b@x.org\n"
	                      "X-Swerve-Stream: vip\n\nbody\n",
	                      &o, &m, &e),
	                 -1);
	assert_int_equal(e.http_status, 400);
	assert_string_equal(e.field, "X-Swerve-Stream");
}

static void
key_header_and_message_key_must_agree(void **state)
{
	struct api_raw_opts o = opts();
	struct spool_msg_new m;
	struct api_error e;
	const char *msg = "From: a@example.com\nTo: b@x.org\n"
	                  "X-Swerve-Idempotency-Key: in-message\n\nbody\n";

	o.idem_key = "in-message";
	assert_int_equal(prep(msg, &o, &m, &e), 0);
	assert_string_equal(m.idempotency_key, "in-message");
	spool_msg_new_fini(&m);
	o.idem_key = "from-http";
	assert_int_equal(prep(msg, &o, &m, &e), -1);
	assert_int_equal(e.http_status, 400);
	assert_string_equal(e.field, "X-Swerve-Idempotency-Key");
}

static void
message_id_kept_and_keyed_one_stable(void **state)
{
	struct api_raw_opts o = opts();
	struct spool_msg_new a, b;
	struct api_error e;
	char id_a[MIME_MSGID_MAX + 1], id_b[MIME_MSGID_MAX + 1];
	const char *msg = "From: a@example.com\nTo: b@x.org\n\nbody\n";

	/* The caller's, as written (folded, blanks around). */
	assert_int_equal(prep("From: a@example.com\nTo: b@x.org\nMessage-Id:"
	                      "\n  <Caf.1+x@[10.0.0.1]> \n\nbody\n",
	                      &o, &a, &e),
	                 0);
	assert_int_equal(submit_msgid(&a, id_a), 0);
	assert_string_equal(id_a, "<Caf.1+x@[10.0.0.1]>");
	buf_cstr(&a.body);
	assert_null(strstr(a.body.p, "LOCAL"));
	spool_msg_new_fini(&a);
	/* Made by swerve: id_new's without a key ... */
	assert_int_equal(prep(msg, &o, &a, &e), 0);
	assert_int_equal(submit_msgid(&a, id_a), 0);
	assert_string_equal(id_a, "<LOCAL@example.com>");
	spool_msg_new_fini(&a);
	/* ... the key's with one: a retry gets the same Message-ID. */
	o.idem_key = "k";
	assert_int_equal(prep(msg, &o, &a, &e), 0);
	o.msgid_local = "OTHER";
	assert_int_equal(prep(msg, &o, &b, &e), 0);
	assert_int_equal(submit_msgid(&a, id_a), 0);
	assert_int_equal(submit_msgid(&b, id_b), 0);
	assert_string_equal(id_a, id_b);
	assert_int_equal(strlen(id_a), strlen("<@example.com>") + 33);
	assert_memory_equal(id_a, "<k", 2);
	spool_msg_new_fini(&b);
	o.idem_key = "k2";
	assert_int_equal(prep(msg, &o, &b, &e), 0);
	assert_int_equal(submit_msgid(&b, id_b), 0);
	assert_string_not_equal(id_a, id_b);
	spool_msg_new_fini(&b);
	/* The same key with another payload (a reuse once the first message
	 * is gone): another Message-ID, never one a recipient already saw. */
	o.idem_key = "k";
	assert_int_equal(
	    prep("From: a@example.com\nTo: b@x.org\n\nother\n", &o, &b, &e), 0);
	assert_int_equal(submit_msgid(&b, id_b), 0);
	assert_string_not_equal(id_a, id_b);
	spool_msg_new_fini(&a);
	spool_msg_new_fini(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(envelope_from_fields_and_fields_added),
	    cmocka_unit_test(envelope_from_options_and_key_field_taken_out),
	    cmocka_unit_test(retry_hashes_the_same_other_payload_not),
	    cmocka_unit_test(bcc_field_adds_recipients_and_is_taken_out),
	    cmocka_unit_test(bad_messages_are_refused),
	    cmocka_unit_test(long_lines_and_many_recipients_are_refused),
	    cmocka_unit_test(stream_header_is_honoured_and_taken_out),
	    cmocka_unit_test(key_header_and_message_key_must_agree),
	    cmocka_unit_test(message_id_kept_and_keyed_one_stable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
