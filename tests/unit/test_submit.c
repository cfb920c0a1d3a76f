/*
 * test_submit.c - the one submission pipeline: control headers honoured
 * and taken out on every shape of message (SMTP text, raw HTTP, a JSON
 * request's custom headers), explicit values against headers, the sender
 * policy for SMTP users, trusted networks and API keys (the envelope, the
 * null sender, every address of every sender field, one From and one
 * Sender at most, on every path), Message-ID and
 * Date added once, the idempotency digest of a JSON request, and the
 * spool status mapped to each ingress's reply; the caller's Message-ID
 * kept (JSON and SMTP), an invalid or second one refused, a keyed
 * request's Message-ID stable across retries, Bcc fields out of an SMTP
 * message with the envelope kept, and the header section limit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
static char *any[] = {"*"};
static const struct config_user user_any = {
    .name = "bob", .from_domains = any, .n_from_domains = 1};
static const struct config_user user_dsn = {.name = "dsn",
                                            .from_domains = doms,
                                            .n_from_domains = 1,
                                            .allow_null_sender = true};
static const struct config_api_key key_dsn = {.name = "bounces",
                                              .tenant = "webt",
                                              .from_domains = doms,
                                              .n_from_domains = 1,
                                              .allow_null_sender = true};
static struct config_stream streams[] = {
    {.name = "transactional"}, {.name = "bulk"}, {.name = "critical"}};
static const struct config cfg = {.hostname = "mx.test",
                                  .max_message_size = 100000,
                                  .max_recipients = 10,
                                  .max_schedule_ahead_ms = 86400 * 1000,
                                  .streams = streams,
                                  .n_streams = 3};

static const struct submit_who smtp_user = {SUBMIT_INGRESS_SMTP, &user, NULL,
                                            "10.0.0.1:25"};
static const struct submit_who smtp_trusted = {SUBMIT_INGRESS_SMTP, NULL, NULL,
                                               "10.0.0.2:25"};
static const struct submit_who http_key = {SUBMIT_INGRESS_HTTP, NULL, &key,
                                           "10.0.0.3:80"};
static const struct submit_who smtp_any = {SUBMIT_INGRESS_SMTP, &user_any, NULL,
                                           "10.0.0.4:25"};
static const struct submit_who smtp_dsn = {SUBMIT_INGRESS_SMTP, &user_dsn, NULL,
                                           "10.0.0.5:25"};
static const struct submit_who http_dsn = {SUBMIT_INGRESS_HTTP, NULL, &key_dsn,
                                           "10.0.0.6:80"};

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
	char id[MIME_MSGID_MAX + 1], id2[MIME_MSGID_MAX + 1];

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
	/* The retry's Message-ID is the first one's (the key's digest). */
	assert_int_equal(submit_msgid(&out, id), 0);
	assert_int_equal(submit_msgid(&retry, id2), 0);
	assert_string_equal(id, id2);
	assert_non_null(strstr(id, "@example.com>"));
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
	/* 550 at the dot: 553 is not a reply to DATA (RFC 5321 4.3.2). */
	assert_string_equal(text, "550 5.7.1 Sender address not allowed");
}

static void
sender_policy_per_submitter(void **state)
{
	(void)state;
	/* A trusted network: anything, the null sender too. */
	assert_true(submit_sender_allowed(&smtp_trusted, "x@evil.org"));
	assert_true(submit_sender_allowed(&smtp_trusted, ""));
	/* An SMTP user: its domains; the null sender only when allowed,
	 * "*" or not. */
	assert_true(submit_sender_allowed(&smtp_user, "a@EXAMPLE.com"));
	assert_false(submit_sender_allowed(&smtp_user, ""));
	assert_false(submit_sender_allowed(&smtp_user, "a@sub.example.com"));
	assert_true(submit_sender_allowed(&smtp_any, "x@evil.org"));
	assert_false(submit_sender_allowed(&smtp_any, ""));
	assert_true(submit_sender_allowed(&smtp_dsn, ""));
	assert_false(submit_sender_allowed(&smtp_dsn, "x@evil.org"));
	/* An API key: its domains; the null sender only when allowed. */
	assert_true(submit_sender_allowed(&http_key, "a@example.com"));
	assert_false(submit_sender_allowed(&http_key, ""));
	assert_false(submit_sender_allowed(&http_key, "a@evil.org"));
	assert_true(submit_sender_allowed(&http_dsn, ""));
}

static void
sender_rules_hold_for_envelope_and_every_sender_field(void **state)
{
	static const struct {
		const char *name;
		const struct submit_who *who;
		const char *sender, *header;
		int status;
		const char *err_field;
	} cases[] = {
	    {"own From", &smtp_user, "a@example.com", "From: a@example.com\r\n",
	     0, ""},
	    {"spoofed From over SMTP", &smtp_user, "a@example.com",
	     "From: CEO <ceo@bank.example>\r\n", 403, ""},
	    {"second address in From", &smtp_user, "a@example.com",
	     "From: a@example.com, ceo@bank.example\r\n", 403, ""},
	    {"folded From", &http_key, "a@example.com",
	     "From: a@example.com,\r\n\tceo@bank.example\r\n", 403, ""},
	    {"group member in From", &http_key, "a@example.com",
	     "From: a@example.com\r\nSender: g: x@evil.org;\r\n", 403, ""},
	    {"unreadable Sender", &http_key, "a@example.com",
	     "From: a@example.com\r\nSender: <<x@evil.org>>\r\n", 403, ""},
	    {"blank before the colon", &smtp_user, "a@example.com",
	     "From : x@evil.org\r\n", 403, ""},
	    {"Sender", &http_key, "a@example.com",
	     "From: a@example.com\r\nsender: x@evil.org\r\n", 403, ""},
	    {"Resent-From", &http_key, "a@example.com",
	     "From: a@example.com\r\nResent-From: x@evil.org\r\n", 403, ""},
	    {"Resent-Sender", &smtp_user, "a@example.com",
	     "From: a@example.com\r\nResent-Sender: x@evil.org\r\n", 403, ""},
	    {"own Sender and Resent fields", &http_key, "a@example.com",
	     "From: a@example.com\r\nSender: s@example.com\r\n"
	     "Resent-From: r@example.com\r\nResent-From: q@example.com\r\n",
	     0, ""},
	    {"second From", &http_key, "a@example.com",
	     "From: a@example.com\r\nFrom: x@evil.org\r\n", 400, "From"},
	    {"second From of the key's own domain", &http_key, "a@example.com",
	     "From: a@example.com\r\nFrom: b@example.com\r\n", 400, "From"},
	    {"second From from a trusted network", &smtp_trusted, "a@x.org",
	     "From: a@x.org\r\nFROM: b@x.org\r\n", 400, "From"},
	    {"second Sender", &smtp_any, "a@x.org",
	     "From: a@x.org\r\nSender: a@x.org\r\nSender: b@x.org\r\n", 400,
	     "Sender"},
	    {"a trusted network sends as anyone", &smtp_trusted, "a@x.org",
	     "From: ceo@bank.example\r\nSender: x@evil.org\r\n", 0, ""},
	    {"from_domains * sends as anyone", &smtp_any, "a@x.org",
	     "From: ceo@bank.example\r\nResent-From: <<bad\r\n", 0, ""},
	    {"envelope sender", &smtp_user, "x@evil.org",
	     "From: a@example.com\r\n", 403, ""},
	    {"null sender not allowed", &smtp_user, "",
	     "From: a@example.com\r\n", 403, ""},
	    {"null sender not allowed for *", &smtp_any, "",
	     "From: a@example.com\r\n", 403, ""},
	    {"null sender not allowed for a key", &http_key, "",
	     "From: a@example.com\r\n", 403, ""},
	    {"null sender allowed", &smtp_dsn, "",
	     "From: MAILER-DAEMON@example.com\r\n", 0, ""},
	    {"null sender allowed for a key", &http_dsn, "",
	     "From: MAILER-DAEMON@example.com\r\n", 0, ""},
	    {"null sender is not an empty From", &smtp_dsn, "", "From: <>\r\n",
	     403, ""},
	    {"a From in the body is text", &smtp_user, "a@example.com",
	     "From: a@example.com\r\n\r\nFrom: x@evil.org\r\n", 0, ""},
	};
	struct submit_opts o = opts();
	struct spool_msg_new m;
	struct api_error e;
	struct buf text;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_init(&text);
		buf_addstr(&text, cases[i].header);
		if (strstr(cases[i].header, "\r\n\r\n") == NULL)
			buf_addstr(&text, "Subject: s\r\n\r\nbody\r\n");
		msg_new(&m, cases[i].sender, buf_cstr(&text));
		buf_fini(&text);
		memset(&e, 0, sizeof(e));
		print_message("case: %s\n", cases[i].name);
		if (cases[i].status == 0) {
			assert_int_equal(
			    submit_prepare(&cfg, cases[i].who, &o, &m, &e), 0);
			spool_msg_new_fini(&m);
			continue;
		}
		assert_int_equal(submit_prepare(&cfg, cases[i].who, &o, &m, &e),
		                 -1);
		assert_int_equal(e.http_status, cases[i].status);
		assert_string_equal(e.field, cases[i].err_field);
		assert_null(m.sender);
	}
}

static void
smtp_sender_field_refusal_is_550_after_our_received(void **state)
{
	struct submit_opts o = opts();
	struct spool_msg_new m;
	struct api_error e;
	char text[256];

	(void)state;
	/* Our Received field comes first and is not the client's. */
	msg_new(&m, "a@example.com",
	        "Received: from x\r\nFrom: a@example.com\r\n"
	        "From: a@example.com\r\n\r\nx\r\n");
	o.body_off = strlen("Received: from x\r\n");
	assert_int_equal(submit_prepare(&cfg, &smtp_user, &o, &m, &e), -1);
	submit_reply_smtp(&e, text, sizeof(text));
	assert_string_equal(text,
	                    "554 5.6.0 the message has more than one From "
	                    "field");
	msg_new(&m, "a@example.com",
	        "Received: from x\r\nFrom: boss@bank.example\r\n\r\nx\r\n");
	assert_int_equal(submit_prepare(&cfg, &smtp_user, &o, &m, &e), -1);
	submit_reply_smtp(&e, text, sizeof(text));
	assert_string_equal(text, "550 5.7.1 Sender address not allowed");
}

static void
json_custom_sender_fields_follow_the_key(void **state)
{
	struct spool_msg_new out;
	struct api_error e;
	struct api_msg msg;

	(void)state;
	json_msg(&msg, "Resent-From", "x@evil.org");
	assert_int_equal(submit_msg_prepare(&cfg, &http_key, &msg, &out, &e),
	                 -1);
	assert_int_equal(e.http_status, 403);
	assert_null(out.sender);
	api_msg_fini(&msg);
	json_msg(&msg, "Resent-Sender", "Ops <ops@example.com>");
	assert_int_equal(submit_msg_prepare(&cfg, &http_key, &msg, &out, &e),
	                 0);
	spool_msg_new_fini(&out);
	api_msg_fini(&msg);
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

/* The caller's meta reaches the spool as its JSON, on both pipelines. */
static void
meta_goes_to_the_spool_encoded(void **state)
{
	struct submit_opts o = opts();
	struct spool_msg_new m, out;
	struct msg_meta meta;
	struct api_error e;
	struct api_msg msg;

	(void)state;
	msg_meta_init(&meta);
	assert_int_equal(msg_meta_add_tag(&meta, "campaign", NULL), 0);
	meta.config_set = xstrdup("cs1");
	msg_new(&m, "a@example.com", "Subject: x\r\n\r\nx\r\n");
	o.meta = &meta;
	assert_int_equal(submit_prepare(&cfg, &http_key, &o, &m, &e), 0);
	assert_string_equal(m.meta, "{\"tags\":[{\"name\":\"campaign\"}],"
	                            "\"config_set\":\"cs1\"}");
	spool_msg_new_fini(&m);
	msg_meta_fini(&meta);
	/* Without meta (SMTP), nothing is stored. */
	o.meta = NULL;
	msg_new(&m, "a@example.com", "Subject: x\r\n\r\nx\r\n");
	assert_int_equal(submit_prepare(&cfg, &smtp_user, &o, &m, &e), 0);
	assert_null(m.meta);
	spool_msg_new_fini(&m);

	json_msg(&msg, NULL, NULL);
	assert_int_equal(msg_meta_set_var(&msg.meta, "user", "42"), 0);
	assert_int_equal(submit_msg_prepare(&cfg, &http_key, &msg, &out, &e),
	                 0);
	assert_string_equal(out.meta, "{\"metadata\":{\"user\":\"42\"}}");
	spool_msg_new_fini(&out);
	api_msg_fini(&msg);
	/* A zeroed request asks nothing. */
	json_msg(&msg, NULL, NULL);
	assert_int_equal(submit_msg_prepare(&cfg, &http_key, &msg, &out, &e),
	                 0);
	assert_null(out.meta);
	spool_msg_new_fini(&out);
	api_msg_fini(&msg);
}

/* A send_at beyond limits.max_schedule_ahead is refused on both
 * pipelines, naming the field; up to it, and in the past, is fine. */
static void
send_at_too_far_ahead_is_refused(void **state)
{
	struct submit_opts o = opts();
	struct spool_msg_new m, out;
	struct msg_meta meta;
	struct api_error e;
	struct api_msg msg;

	(void)state;
	msg_meta_init(&meta);
	meta.send_at = (int64_t)o.date + 86400 + 1;
	o.meta = &meta;
	msg_new(&m, "a@example.com", "Subject: x\r\n\r\nx\r\n");
	assert_int_equal(submit_prepare(&cfg, &http_key, &o, &m, &e), -1);
	assert_int_equal(e.http_status, 400);
	assert_string_equal(e.field, "send_at");
	assert_null(m.sender);
	meta.send_at = (int64_t)o.date + 86400;
	msg_new(&m, "a@example.com", "Subject: x\r\n\r\nx\r\n");
	assert_int_equal(submit_prepare(&cfg, &http_key, &o, &m, &e), 0);
	spool_msg_new_fini(&m);

	json_msg(&msg, NULL, NULL);
	msg.meta.send_at = (int64_t)time(NULL) + 2 * 86400;
	assert_int_equal(submit_msg_prepare(&cfg, &http_key, &msg, &out, &e),
	                 -1);
	assert_int_equal(e.http_status, 400);
	assert_string_equal(e.code, "invalid_field");
	assert_string_equal(e.field, "send_at");
	msg.meta.send_at = 1000; /* long past: at once */
	assert_int_equal(submit_msg_prepare(&cfg, &http_key, &msg, &out, &e),
	                 0);
	assert_string_equal(out.meta, "{\"send_at\":1000}");
	spool_msg_new_fini(&out);
	api_msg_fini(&msg);
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
	/* A damaged store: 421 and the session closes, never 451 again and
	 * again; HTTP says 503 with its own code. */
	assert_true(
	    submit_status_smtp(SPOOL_ERR_DAMAGED, "mx", text, sizeof(text)));
	assert_string_equal(
	    text, "421 4.3.0 mx Message store unavailable, try again later");
	submit_status_http(SPOOL_ERR_DAMAGED, &e);
	assert_int_equal(e.http_status, 503);
	assert_string_equal(e.code, "spool_damaged");
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

static void
smtp_bcc_out_envelope_kept_message_id_checked(void **state)
{
	struct submit_opts o = opts();
	struct spool_msg_new m;
	struct api_error e;
	char text[256], id[MIME_MSGID_MAX + 1];

	(void)state;
	o.body_off = strlen("Received: from x\r\n");
	o.msgid_domain = cfg.hostname;
	msg_new(&m, "a@example.com",
	        "Received: from x\r\nFrom: a@example.com\r\n"
	        "To: c@x.org\r\nBCC: b@x.org,\r\n d@x.org\r\n"
	        "Resent-Bcc: r@x.org\r\n"
	        "Message-ID: <kept@client.example>\r\n\r\nBcc: body\r\n");
	assert_int_equal(submit_prepare(&cfg, &smtp_user, &o, &m, &e), 0);
	assert_int_equal(m.n_rcpts, 1);
	assert_string_equal(m.rcpts[0], "b@x.org");
	assert_string_equal(buf_cstr(&m.body),
	                    "Received: from x\r\n"
	                    "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
	                    "From: a@example.com\r\nTo: c@x.org\r\n"
	                    "Message-ID: <kept@client.example>\r\n\r\n"
	                    "Bcc: body\r\n");
	assert_int_equal(submit_msgid(&m, id), 0);
	assert_string_equal(id, "<kept@client.example>");
	spool_msg_new_fini(&m);
	/* An invalid Message-ID is refused at the dot, never replaced. */
	msg_new(&m, "a@example.com",
	        "Received: from x\r\nFrom: a@example.com\r\n"
	        "Message-ID: no-brackets@client.example\r\n\r\nx\r\n");
	assert_int_equal(submit_prepare(&cfg, &smtp_user, &o, &m, &e), -1);
	assert_string_equal(e.field, "Message-ID");
	submit_reply_smtp(&e, text, sizeof(text));
	assert_int_equal(strncmp(text, "554 5.6.0 Message-ID ", 21), 0);
}

static void
fields_taken_out_then_rules_and_added_fields_see_the_rest(void **state)
{
	struct submit_opts o = opts();
	struct spool_msg_new m;
	struct api_error e;

	(void)state;
	o.msgid_domain = "h.example";
	/* A Bcc that was the whole header section leaves text without one:
	 * the fields added keep it body. */
	msg_new(&m, "a@example.com", "Bcc: b@x.org\r\nplain text\r\n");
	assert_int_equal(submit_prepare(&cfg, &smtp_user, &o, &m, &e), 0);
	assert_string_equal(buf_cstr(&m.body),
	                    "Message-ID: <LOCAL@h.example>\r\n"
	                    "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
	                    "\r\nplain text\r\n");
	spool_msg_new_fini(&m);
	/* A control field taken out does not hide a second From. */
	msg_new(&m, "a@example.com",
	        "X-Swerve-Stream: nope\r\nFrom: a@example.com\r\n"
	        "from: a@example.com\r\n\r\nx\r\n");
	assert_int_equal(submit_prepare(&cfg, &smtp_user, &o, &m, &e), -1);
	assert_int_equal(e.http_status, 400);
	assert_string_equal(e.field, "From");
	/* Nor a second Message-ID, once the sender fields pass. */
	msg_new(&m, "a@example.com",
	        "Message-ID: <a@b>\r\nX-Swerve-Idempotency-Key: k\r\n"
	        "From: a@example.com\r\nMessage-ID: <a@b>\r\n\r\nx\r\n");
	assert_int_equal(submit_prepare(&cfg, &smtp_user, &o, &m, &e), -1);
	assert_string_equal(e.field, "Message-ID");
	/* The sender rules answer before the Message-ID rule. */
	msg_new(&m, "a@example.com",
	        "Message-ID: bad\r\nFrom: a@example.com\r\n"
	        "From: a@example.com\r\n\r\nx\r\n");
	assert_int_equal(submit_prepare(&cfg, &smtp_user, &o, &m, &e), -1);
	assert_string_equal(e.field, "From");
}

static void
json_message_id_kept_or_stable_per_key(void **state)
{
	struct spool_msg_new out, retry;
	struct api_error e;
	struct api_msg msg;
	char id[MIME_MSGID_MAX + 1], id2[MIME_MSGID_MAX + 1];

	(void)state;
	json_msg(&msg, "Message-ID", "<order-42@app.example>");
	assert_int_equal(submit_msg_prepare(&cfg, &http_key, &msg, &out, &e),
	                 0);
	assert_int_equal(submit_msgid(&out, id), 0);
	assert_string_equal(id, "<order-42@app.example>");
	/* The caller's Message-ID: the spool makes the message's id. */
	assert_string_equal(out.id, "");
	spool_msg_new_fini(&out);
	api_msg_fini(&msg);
	/* Without one, with a key: see the control headers' test. Without
	 * a key: a fresh one each time. */
	json_msg(&msg, NULL, NULL);
	assert_int_equal(submit_msg_prepare(&cfg, &http_key, &msg, &out, &e),
	                 0);
	assert_int_equal(submit_msg_prepare(&cfg, &http_key, &msg, &retry, &e),
	                 0);
	assert_int_equal(submit_msgid(&out, id), 0);
	assert_int_equal(submit_msgid(&retry, id2), 0);
	assert_string_not_equal(id, id2);
	/* Swerve's own Message-ID carries the message's id: the id every
	 * endpoint answers is the delivered Message-ID's local part. */
	assert_int_equal(strlen(out.id), ID_LEN);
	assert_true(strncmp(id + 1, out.id, ID_LEN) == 0 && id[0] == '<' &&
	            id[1 + ID_LEN] == '@');
	spool_msg_new_fini(&out);
	spool_msg_new_fini(&retry);
	api_msg_fini(&msg);
}

/* A raw or SMTP message without a Message-ID: the one swerve adds
 * carries the id the spool will store it under; with its own, none. */
static void
raw_message_id_carries_the_id(void **state)
{
	static const char with[] = "From: a@example.com\r\nMessage-ID: "
	                           "<own@example.com>\r\n\r\nhi\r\n";
	static const char without[] = "From: a@example.com\r\n\r\nhi\r\n";
	struct submit_opts o = opts();
	struct spool_msg_new m;
	struct api_error e;
	char local[ID_SIZE], id[MIME_MSGID_MAX + 1];

	(void)state;
	id_new(local);
	o.msgid_local = local;
	msg_new(&m, "a@example.com", without);
	assert_int_equal(submit_prepare(&cfg, &smtp_trusted, &o, &m, &e), 0);
	assert_string_equal(m.id, local);
	assert_int_equal(submit_msgid(&m, id), 0);
	assert_true(strncmp(id + 1, local, ID_LEN) == 0);
	spool_msg_new_fini(&m);
	msg_new(&m, "a@example.com", with);
	assert_int_equal(submit_prepare(&cfg, &smtp_trusted, &o, &m, &e), 0);
	assert_string_equal(m.id, "");
	spool_msg_new_fini(&m);
}

static void
json_header_section_over_limit_is_413(void **state)
{
	struct spool_msg_new out;
	struct api_error e;
	struct api_msg msg;
	char *big = xmalloc(MIME_BUILD_HEADER_MAX + 1);
	struct config c = cfg;

	(void)state;
	c.max_message_size = 10 * MIME_BUILD_HEADER_MAX;
	/* Well within: folded, stored. */
	memset(big, 'a', 40000);
	for (size_t i = 7; i < 40000; i += 8)
		big[i] = ' ';
	big[39999] = 'z';
	big[40000] = '\0';
	json_msg(&msg, "X-Long", big);
	if (submit_msg_prepare(&c, &http_key, &msg, &out, &e) != 0)
		fail_msg("%d %s %s", e.http_status, e.field, e.message);
	spool_msg_new_fini(&out);
	api_msg_fini(&msg);
	/* Folding and encoding make it over the limit: 413. */
	memset(big, 'a', MIME_BUILD_HEADER_MAX - 100);
	big[MIME_BUILD_HEADER_MAX - 100] = '\0';
	json_msg(&msg, "X-Long", big);
	assert_int_equal(submit_msg_prepare(&c, &http_key, &msg, &out, &e), -1);
	assert_int_equal(e.http_status, 413);
	assert_string_equal(e.field, "headers");
	assert_non_null(strstr(e.message, "65536"));
	api_msg_fini(&msg);
	free(big);
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
	    cmocka_unit_test(
	        sender_rules_hold_for_envelope_and_every_sender_field),
	    cmocka_unit_test(
	        smtp_sender_field_refusal_is_550_after_our_received),
	    cmocka_unit_test(json_custom_sender_fields_follow_the_key),
	    cmocka_unit_test(smtp_user_default_stream_and_text_without_header),
	    cmocka_unit_test(meta_goes_to_the_spool_encoded),
	    cmocka_unit_test(send_at_too_far_ahead_is_refused),
	    cmocka_unit_test(spool_statuses_map_to_each_reply_shape),
	    cmocka_unit_test(smtp_bcc_out_envelope_kept_message_id_checked),
	    cmocka_unit_test(
	        fields_taken_out_then_rules_and_added_fields_see_the_rest),
	    cmocka_unit_test(json_message_id_kept_or_stable_per_key),
	    cmocka_unit_test(raw_message_id_carries_the_id),
	    cmocka_unit_test(json_header_section_over_limit_is_413),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
