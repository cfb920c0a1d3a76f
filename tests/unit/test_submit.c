/*
 * test_submit.c - the one submission pipeline: control headers honoured
 * and taken out on every shape of message (SMTP text, raw HTTP, a JSON
 * request's custom headers), explicit values against headers, the sender
 * policy for SMTP users, trusted networks and API keys, Message-ID and
 * Date added once, the idempotency digest of a JSON request, and the
 * spool status mapped to each ingress's reply.
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
#include "core/xmalloc.h"
#include "ingress/submit.h"

static char *doms[] = {"example.com"};
static const struct config_api_key key = {
    .name = "web", .tenant = "webt", .from_domains = doms, .n_from_domains = 1};
static const struct config_user user = {.name = "alice",
                                        .from_domains = doms,
                                        .n_from_domains = 1,
                                        .stream = "bulk"};
static struct config_stream streams[] = {
    {.name = "transactional"}, {.name = "bulk"}, {.name = "critical"}};
static const struct config cfg = {.hostname = "mx.test",
                                  .max_message_size = 100000,
                                  .max_recipients = 10,
                                  .streams = streams,
                                  .n_streams = 3};

static const struct submit_who smtp_user = {SUBMIT_INGRESS_SMTP, &user, NULL,
                                            "10.0.0.1:25"};
static const struct submit_who smtp_trusted = {SUBMIT_INGRESS_SMTP, NULL, NULL,
                                               "10.0.0.2:25"};
static const struct submit_who http_key = {SUBMIT_INGRESS_HTTP, NULL, &key,
                                           "10.0.0.3:80"};

/* msg_new - a spool message from sender to b@x.org with body text. */
static void
msg_new(struct spool_msg_new *m, const char *sender, const char *text)
{
	memset(m, 0, sizeof(*m));
	m->sender = xstrdup(sender);
	m->rcpts = xcalloc(1, sizeof(char *));
	m->rcpts[0] = xstrdup("b@x.org");
	m->n_rcpts = 1;
	buf_init(&m->body);
	buf_addstr(&m->body, text);
}

/* opts - fixed Message-ID local part and Date. */
static struct submit_opts
opts(void)
{
	struct submit_opts o = {0};

	o.msgid_local = "LOCAL";
	o.date = 1700000000;
	return o;
}

/* json_msg - a decoded JSON request with one custom field. */
static void
json_msg(struct api_msg *m, const char *field, const char *value)
{
	memset(m, 0, sizeof(*m));
	m->mail.from.addr = xstrdup("s@example.com");
	m->mail.to = xcalloc(1, sizeof(*m->mail.to));
	m->mail.to[0].addr = xstrdup("r@x.org");
	m->mail.n_to = 1;
	m->mail.subject = xstrdup("hi");
	m->mail.text = xstrdup("text\n");
	m->mail.text_len = 5;
	if (field != NULL) {
		m->mail.fields = xcalloc(1, sizeof(*m->mail.fields));
		m->mail.fields[0].name = xstrdup(field);
		m->mail.fields[0].value = xstrdup(value);
		m->mail.n_fields = 1;
	}
}

static void
control_headers_are_honoured_and_taken_out_of_smtp_text(void **state)
{
	struct submit_opts o = opts();
	struct spool_msg_new m;
	struct api_error e;
	const char *rcvd = "Received: from x\r\n";

	(void)state;
	msg_new(
	    &m, "a@example.com",
	    "Received: from x\r\nFrom: a@example.com\r\n"
	    "X-Swerve-Stream: critical\r\n"
	    "x-swerve-idempotency-key:  k-1 \r\nSubject: s\r\n\r\nbody\r\n");
	o.body_off = strlen(rcvd);
	o.msgid_domain = cfg.hostname;
	assert_int_equal(submit_prepare(&cfg, &smtp_user, &o, &m, &e), 0);
	assert_string_equal(m.stream, "critical");
	assert_string_equal(m.idempotency_key, "k-1");
	assert_null(m.idempotency_hash); /* SMTP keys compare no payload */
	assert_string_equal(m.tenant, "alice");
	assert_string_equal(m.client, "10.0.0.1:25");
	buf_cstr(&m.body);
	assert_null(strstr(m.body.p, "Swerve"));
	assert_null(strstr(m.body.p, "swerve"));
	/* Our Received stays first; what we add follows it. */
	assert_string_equal(m.body.p,
	                    "Received: from x\r\n"
	                    "Message-ID: <LOCAL@mx.test>\r\n"
	                    "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
	                    "From: a@example.com\r\nSubject: s\r\n\r\n"
	                    "body\r\n");
	spool_msg_new_fini(&m);
}

static void
control_headers_are_honoured_and_taken_out_of_a_raw_message(void **state)
{
	struct submit_opts o = opts();
	struct spool_msg_new m, again;
	struct api_error e;
	const char *text = "From: a@example.com\r\nX-Swerve-Stream: bulk\r\n"
	                   "X-Swerve-Idempotency-Key: r-1\r\n"
	                   "Message-ID: <m@x>\r\nDate: d\r\n\r\nbody\r\n";

	(void)state;
	msg_new(&m, "a@example.com", text);
	o.from = "a@example.com";
	assert_int_equal(submit_prepare(&cfg, &http_key, &o, &m, &e), 0);
	assert_string_equal(m.stream, "bulk");
	assert_string_equal(m.idempotency_key, "r-1");
	assert_int_equal(strlen(m.idempotency_hash), 64);
	assert_string_equal(m.tenant, "webt");
	buf_cstr(&m.body);
	assert_string_equal(m.body.p, "From: a@example.com\r\n"
	                              "Message-ID: <m@x>\r\nDate: d\r\n\r\n"
	                              "body\r\n");
	/* A retry with another Date added hashes the same. */
	msg_new(&again, "a@example.com", text);
	o.date += 7;
	assert_int_equal(submit_prepare(&cfg, &http_key, &o, &again, &e), 0);
	assert_string_equal(m.idempotency_hash, again.idempotency_hash);
	spool_msg_new_fini(&m);
	spool_msg_new_fini(&again);
}

static void
control_headers_are_honoured_and_taken_out_of_json_fields(void **state)
{
	struct spool_msg_new out, retry;
	struct api_error e;
	struct api_msg msg;

	(void)state;
	json_msg(&msg, "X-Swerve-Stream", "critical");
	assert_int_equal(submit_msg_prepare(&cfg, &http_key, &msg, &out, &e),
	                 0);
	assert_string_equal(out.stream, "critical");
	assert_int_equal(msg.mail.n_fields, 0);
	buf_cstr(&out.body);
	assert_null(strstr(out.body.p, "X-Swerve"));
	assert_string_equal(out.sender, "s@example.com");
	assert_string_equal(out.tenant, "webt");
	spool_msg_new_fini(&out);
	api_msg_fini(&msg);

	/* A key from the fields, no payload digest from the decoder: the
	 * message built with a fixed id and date is hashed, so a retry of
	 * the same request matches. */
	json_msg(&msg, "X-Swerve-Idempotency-Key", "j-1");
	assert_int_equal(submit_msg_prepare(&cfg, &http_key, &msg, &out, &e),
	                 0);
	api_msg_fini(&msg);
	json_msg(&msg, "X-Swerve-Idempotency-Key", "j-1");
	assert_int_equal(submit_msg_prepare(&cfg, &http_key, &msg, &retry, &e),
	                 0);
	assert_string_equal(out.idempotency_key, "j-1");
	assert_null(out.stream);
	assert_string_equal(out.idempotency_hash, retry.idempotency_hash);
	buf_cstr(&out.body);
	assert_null(strstr(out.body.p, "X-Swerve"));
	spool_msg_new_fini(&out);
	spool_msg_new_fini(&retry);
	api_msg_fini(&msg);
}

static void
explicit_values_and_headers_must_agree(void **state)
{
	static const struct {
		const char *field, *value, *stream, *key;
		int status;
		const char *err_field;
	} cases[] = {
	    {"X-Swerve-Stream", "bulk", "bulk", NULL, 0, ""},
	    {"X-Swerve-Stream", "bulk", "critical", NULL, 400,
	     "X-Swerve-Stream"},
	    {"X-Swerve-Idempotency-Key", "k", NULL, "k", 0, ""},
	    {"X-Swerve-Idempotency-Key", "k", NULL, "other", 400,
	     "X-Swerve-Idempotency-Key"},
	    {"X-Swerve-Idempotency-Key", "a b", NULL, NULL, 400,
	     "Idempotency-Key"},
	    {"X-Swerve-Stream", "nosuch", NULL, NULL, 400, "X-Swerve-Stream"},
	    {NULL, NULL, "nosuch", NULL, 400, "stream"},
	};
	struct spool_msg_new out;
	struct api_error e;
	struct api_msg msg;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_msg(&msg, cases[i].field, cases[i].value);
		msg.stream = cases[i].stream ? xstrdup(cases[i].stream) : NULL;
		msg.idempotency_key =
		    cases[i].key ? xstrdup(cases[i].key) : NULL;
		memset(&e, 0, sizeof(e));
		if (cases[i].status == 0) {
			assert_int_equal(
			    submit_msg_prepare(&cfg, &http_key, &msg, &out, &e),
			    0);
			spool_msg_new_fini(&out);
		} else {
			assert_int_equal(
			    submit_msg_prepare(&cfg, &http_key, &msg, &out, &e),
			    -1);
			assert_int_equal(e.http_status, cases[i].status);
			assert_string_equal(e.field, cases[i].err_field);
			assert_null(out.sender);
		}
		api_msg_fini(&msg);
	}
}

static void
smtp_refusals_are_smtp_replies(void **state)
{
	struct submit_opts o = opts();
	struct spool_msg_new m;
	struct api_error e;
	char text[256];

	(void)state;
	msg_new(&m, "a@example.com", "X-Swerve-Stream: vip\r\n\r\nx\r\n");
	assert_int_equal(submit_prepare(&cfg, &smtp_trusted, &o, &m, &e), -1);
	submit_reply_smtp(&e, text, sizeof(text));
	assert_string_equal(text, "554 5.6.0 X-Swerve-Stream names no "
	                          "configured stream");
	/* A malformed key is refused, not dropped (as on HTTP). */
	msg_new(&m, "a@example.com",
	        "X-Swerve-Idempotency-Key: a b\r\n\r\nx\r\n");
	assert_int_equal(submit_prepare(&cfg, &smtp_trusted, &o, &m, &e), -1);
	submit_reply_smtp(&e, text, sizeof(text));
	assert_int_equal(strncmp(text, "554 5.6.0 ", 10), 0);
	msg_new(&m, "a@evil.org", "Subject: x\r\n\r\nx\r\n");
	assert_int_equal(submit_prepare(&cfg, &smtp_user, &o, &m, &e), -1);
	submit_reply_smtp(&e, text, sizeof(text));
	assert_string_equal(text, "553 5.7.1 Sender address not allowed");
}

static void
sender_policy_per_submitter(void **state)
{
	(void)state;
	/* A trusted network: anything, the null sender too. */
	assert_true(submit_sender_allowed(&smtp_trusted, "x@evil.org"));
	assert_true(submit_sender_allowed(&smtp_trusted, ""));
	/* An SMTP user: its domains and the null sender (DSNs). */
	assert_true(submit_sender_allowed(&smtp_user, "a@EXAMPLE.com"));
	assert_true(submit_sender_allowed(&smtp_user, ""));
	assert_false(submit_sender_allowed(&smtp_user, "a@sub.example.com"));
	/* An API key: its domains only. */
	assert_true(submit_sender_allowed(&http_key, "a@example.com"));
	assert_false(submit_sender_allowed(&http_key, ""));
	assert_false(submit_sender_allowed(&http_key, "a@evil.org"));
}

static void
smtp_user_default_stream_and_text_without_header(void **state)
{
	struct submit_opts o = opts();
	struct spool_msg_new m;
	struct api_error e;

	(void)state;
	msg_new(&m, "a@example.com", "just text\r\n");
	o.msgid_domain = "mx.test";
	assert_int_equal(submit_prepare(&cfg, &smtp_user, &o, &m, &e), 0);
	assert_string_equal(m.stream, "bulk");
	assert_null(m.idempotency_key);
	buf_cstr(&m.body);
	/* Text with no header section stays the body. */
	assert_string_equal(m.body.p,
	                    "Message-ID: <LOCAL@mx.test>\r\n"
	                    "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
	                    "\r\njust text\r\n");
	spool_msg_new_fini(&m);
}

static void
spool_statuses_map_to_each_reply_shape(void **state)
{
	struct api_error e;
	char text[256];

	(void)state;
	assert_false(
	    submit_status_smtp(SPOOL_ERR_FULL, "mx", text, sizeof(text)));
	assert_string_equal(text, "452 4.3.1 Insufficient system storage");
	assert_false(
	    submit_status_smtp(SPOOL_ERR_IO, "mx", text, sizeof(text)));
	assert_int_equal(strncmp(text, "451 4.3.0 ", 10), 0);
	assert_true(
	    submit_status_smtp(SPOOL_ERR_CLOSED, "mx", text, sizeof(text)));
	assert_string_equal(
	    text, "421 4.3.2 mx Service shutting down, try again later");
	submit_status_http(SPOOL_ERR_CONFLICT, &e);
	assert_int_equal(e.http_status, 409);
	assert_string_equal(e.code, "idempotency_conflict");
	submit_status_http(SPOOL_ERR_FULL, &e);
	assert_string_equal(e.code, "spool_full");
	submit_status_http(SPOOL_ERR_CLOSED, &e);
	assert_string_equal(e.code, "shutting_down");
	submit_status_http(SPOOL_ERR_IO, &e);
	assert_int_equal(e.http_status, 503);
	submit_status_compat(SPOOL_ERR_CONFLICT, &e);
	assert_string_equal(e.code, "conflict");
	submit_status_compat(SPOOL_ERR_IO, &e);
	assert_string_equal(e.code, "unavailable");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        control_headers_are_honoured_and_taken_out_of_smtp_text),
	    cmocka_unit_test(
	        control_headers_are_honoured_and_taken_out_of_a_raw_message),
	    cmocka_unit_test(
	        control_headers_are_honoured_and_taken_out_of_json_fields),
	    cmocka_unit_test(explicit_values_and_headers_must_agree),
	    cmocka_unit_test(smtp_refusals_are_smtp_replies),
	    cmocka_unit_test(sender_policy_per_submitter),
	    cmocka_unit_test(smtp_user_default_stream_and_text_without_header),
	    cmocka_unit_test(spool_statuses_map_to_each_reply_shape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
