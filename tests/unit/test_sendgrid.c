/*
 * test_sendgrid.c - the SendGrid adapter's pure parts: every row of the
 * SendGrid classification table in docs/providers.md, the /v3/mail/send
 * JSON rebuilt from a rich MIME message, the refusals (unfaithful MIME,
 * Bcc-only, no subject) and the scopes probe.
 */
#include "providers_test.h"

static struct pt_row rows[] = {
    {"202 is accepted with X-Message-Id", 202, "X-Message-Id", "sg-abc123", "",
     SEND_ACCEPTED, false, 0, false, NULL, NULL},
    {"400 validation is rejected", 400, NULL, NULL,
     "{\"errors\":[{\"message\":\"Does not contain a valid address.\","
     "\"field\":\"personalizations.0.to.0.email\"}]}",
     SEND_REJECTED, false, 0, false, "personalizations.0.to.0.email", NULL},
    {"401 bad key is config", 401, NULL, NULL,
     "{\"errors\":[{\"message\":\"The provided authorization grant is "
     "invalid, expired, or revoked\"}]}",
     SEND_CONFIG, false, 0, false, NULL, NULL},
    {"403 unverified sender identity is config", 403, NULL, NULL,
     "{\"errors\":[{\"message\":\"The from address does not match a "
     "verified Sender Identity.\",\"field\":\"from\"}]}",
     SEND_CONFIG, false, 0, false, NULL, NULL},
    {"403 missing mail.send scope is config", 403, NULL, NULL,
     "{\"errors\":[{\"message\":\"access forbidden\"}]}", SEND_CONFIG, false, 0,
     false, NULL, NULL},
    {"413 payload too large is rejected", 413, NULL, NULL,
     "{\"errors\":[{\"message\":\"too large\"}]}", SEND_REJECTED, false, 0,
     false, NULL, NULL},
    {"429 with Retry-After is throttled", 429, "Retry-After", "3",
     "{\"errors\":[{\"message\":\"too many requests\"}]}", SEND_THROTTLED,
     false, 0, false, NULL, NULL},
    {"429 with X-RateLimit-Reset is throttled", 429, "X-RateLimit-Reset",
     "1440938170", "{}", SEND_THROTTLED, false, 0, false, NULL, NULL},
    {"429 without hints is throttled", 429, NULL, NULL, "", SEND_THROTTLED,
     false, 0, false, NULL, NULL},
    {"451 wrong regional host is config", 451, NULL, NULL,
     "{\"errors\":[{\"message\":\"data residency\"}]}", SEND_CONFIG, false, 0,
     false, NULL, NULL},
    {"500 is deferred", 500, NULL, NULL, "", SEND_DEFERRED, false, 0, false,
     NULL, NULL},
    {"503 is deferred", 503, NULL, NULL, "", SEND_DEFERRED, false, 0, false,
     NULL, NULL},
    {"3xx redirect means a wrong endpoint: config", 301, "Location",
     "https://elsewhere.example/", "", SEND_CONFIG, false, 0, false, NULL,
     NULL},
    {"unknown 4xx is rejected", 406, NULL, NULL, "", SEND_REJECTED, false, 0,
     false, NULL, NULL},
    PT_TRANSPORT_ROWS,
};

/* att_named - the attachment called fn in a SendGrid/Resend array. */
static json_t *
att_named(json_t *arr, const char *key, const char *fn)
{
	size_t i;
	json_t *a;

	json_array_foreach(arr, i, a)
	{
		if (strcmp(json_string_value(json_object_get(a, key)), fn) == 0)
			return a;
	}
	fail_msg("no attachment %s", fn);
	return NULL;
}

static void
rich_message_maps_every_field(void **state)
{
	struct config_provider cfg = pt_cfg("sendgrid");
	struct adapter_msg msg = pt_msg(pt_rich, pt_rcpts, 4);
	struct http_out out;
	char why[128];
	json_t *j, *p, *a, *c, *h;
	unsigned char *raw;
	size_t len;

	(void)state;
	http_out_init(&out);
	assert_int_equal(
	    sendgrid_request_build(&cfg, &msg, PT_NOW, &out, why, sizeof(why)),
	    0);
	assert_string_equal(out.url, "https://api.sendgrid.com/v3/mail/send");
	assert_string_equal(http_out_header_get(&out, "Authorization"),
	                    "Bearer key-secret-123");
	assert_string_equal(http_out_header_get(&out, "Content-Type"),
	                    "application/json");
	j = pt_json(&out);
	assert_int_equal(
	    json_array_size(json_object_get(j, "personalizations")), 1);
	p = json_array_get(json_object_get(j, "personalizations"), 0);
	a = json_object_get(p, "to");
	assert_int_equal(json_array_size(a), 2);
	assert_string_equal(pt_str(json_array_get(a, 0), "email", NULL),
	                    "bob@example.net");
	assert_string_equal(pt_str(json_array_get(a, 0), "name", NULL), "Bob");
	assert_string_equal(pt_str(json_array_get(a, 1), "email", NULL),
	                    "carol@example.net");
	assert_null(json_object_get(json_array_get(a, 1), "name"));
	a = json_object_get(p, "cc");
	assert_int_equal(json_array_size(a), 1);
	assert_string_equal(pt_str(json_array_get(a, 0), "email", NULL),
	                    "dave@example.org");
	a = json_object_get(p, "bcc");
	assert_int_equal(json_array_size(a), 1);
	assert_string_equal(pt_str(json_array_get(a, 0), "email", NULL),
	                    "eve@example.com");
	assert_string_equal(pt_str(p, "custom_args", "swerve_id"),
	                    "01HXTESTID0000000000");
	assert_string_equal(pt_str(j, "from", "email"), "jurgen@example.com");
	assert_string_equal(pt_str(j, "from", "name"), "J\xc3\xbcrgen");
	assert_string_equal(pt_str(j, "reply_to", "email"),
	                    "replies@example.com");
	assert_string_equal(pt_str(j, "subject", NULL), "Gr\xc3\xbc\xc3\x9f"
	                                                "e \xf0\x9f\x91\x8b");
	c = json_object_get(j, "content");
	assert_int_equal(json_array_size(c), 2);
	assert_string_equal(pt_str(json_array_get(c, 0), "type", NULL),
	                    "text/plain");
	assert_non_null(strstr(pt_str(json_array_get(c, 0), "value", NULL),
	                       "Hall\xc3\xb6"
	                       "chen"));
	assert_string_equal(pt_str(json_array_get(c, 1), "type", NULL),
	                    "text/html");
	assert_non_null(
	    strstr(pt_str(json_array_get(c, 1), "value", NULL), "cid:logo@x"));
	a = json_object_get(j, "attachments");
	assert_int_equal(json_array_size(a), 2);
	c = att_named(a, "filename", "logo.png");
	assert_string_equal(pt_str(c, "disposition", NULL), "inline");
	assert_string_equal(pt_str(c, "content_id", NULL), "logo@x");
	assert_string_equal(pt_str(c, "type", NULL), "image/png");
	raw = pt_b64(pt_str(c, "content", NULL), &len);
	assert_int_equal(len, 8);
	assert_memory_equal(raw, "\x89PNG\r\n\x1a\n", 8);
	free(raw);
	c = att_named(a, "filename", "r.pdf");
	assert_string_equal(pt_str(c, "disposition", NULL), "attachment");
	assert_null(json_object_get(c, "content_id"));
	raw = pt_b64(pt_str(c, "content", NULL), &len);
	assert_memory_equal(raw, "%PDF-1.4", 8);
	free(raw);
	h = json_object_get(j, "headers");
	assert_string_equal(pt_str(h, "X-Campaign", NULL), "spring");
	assert_string_equal(pt_str(h, "Message-ID", NULL), "<m1@example.com>");
	assert_null(json_object_get(h, "MIME-Version"));
	assert_null(json_object_get(h, "Subject"));
	json_decref(j);
	http_out_fini(&out);
}

static void
to_address_not_in_envelope_is_not_sent_to(void **state)
{
	static const char *const r[] = {"carol@example.net"};
	struct config_provider cfg = pt_cfg("sendgrid");
	struct adapter_msg msg = pt_msg(pt_rich, r, 1);
	struct http_out out;
	char why[128];
	json_t *j, *p;

	(void)state;
	http_out_init(&out);
	assert_int_equal(
	    sendgrid_request_build(&cfg, &msg, PT_NOW, &out, why, sizeof(why)),
	    0);
	j = pt_json(&out);
	p = json_array_get(json_object_get(j, "personalizations"), 0);
	assert_int_equal(json_array_size(json_object_get(p, "to")), 1);
	assert_null(json_object_get(p, "cc"));
	assert_null(json_object_get(p, "bcc"));
	json_decref(j);
	http_out_fini(&out);
}

static const char signed_msg[] =
    "From: a@example.com\r\nTo: b@example.net\r\nSubject: s\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/signed; boundary=\"S\"; "
    "protocol=\"application/pgp-signature\"\r\n\r\n"
    "--S\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
    "--S\r\nContent-Type: application/pgp-signature\r\n\r\nsig\r\n--S--\r\n";

static void
unfaithful_mime_is_refused_with_a_reason(void **state)
{
	static const char *const r[] = {"b@example.net"};
	struct config_provider cfg = pt_cfg("sendgrid");
	struct adapter_msg msg = pt_msg(signed_msg, r, 1);
	struct http_out out;
	char why[128] = "";

	(void)state;
	http_out_init(&out);
	assert_int_equal(
	    sendgrid_request_build(&cfg, &msg, PT_NOW, &out, why, sizeof(why)),
	    -1);
	assert_non_null(strstr(why, "signed"));
	why[0] = '\0';
	assert_false(sendgrid_http.represents(&msg, why, sizeof(why)));
	assert_non_null(strstr(why, "signed"));
	msg = pt_msg(pt_rich, pt_rcpts, 1);
	assert_true(sendgrid_http.represents(&msg, why, sizeof(why)));
	http_out_fini(&out);
}

/* The verdict is judged once per message (and recipient set), then read
 * by every JSON candidate and by the request builder. */
static void
json_verdict_is_judged_once_and_reused(void **state)
{
	static const char *const r[] = {"b@example.net"};
	struct config_provider cfg = pt_cfg("sendgrid");
	struct adapter_json_verdict v;
	struct adapter_msg msg = pt_msg(signed_msg, r, 1);
	struct http_out out;
	char why[128] = "";

	(void)state;
	memset(&v, 0, sizeof(v));
	msg.json = &v;
	assert_false(sendgrid_http.represents(&msg, why, sizeof(why)));
	assert_true(v.known);
	assert_false(v.ok);
	assert_int_equal(v.n_rcpts, 1);
	assert_non_null(strstr(v.why, "signed"));
	/* A faithful body with a stored "no": the stored verdict wins, so
	 * nothing was parsed again, neither to route nor to build. */
	msg = pt_msg(pt_rich, pt_rcpts, 1);
	msg.json = &v;
	snprintf(v.why, sizeof(v.why), "judged before");
	assert_false(sendgrid_http.represents(&msg, why, sizeof(why)));
	assert_string_equal(why, "judged before");
	http_out_init(&out);
	assert_int_equal(
	    sendgrid_request_build(&cfg, &msg, PT_NOW, &out, why, sizeof(why)),
	    -1);
	assert_string_equal(why, "judged before");
	http_out_fini(&out);
	/* Another recipient count is another set: judged again. */
	v.n_rcpts = 2;
	assert_true(sendgrid_http.represents(&msg, why, sizeof(why)));
	assert_true(v.ok);
	assert_int_equal(v.n_rcpts, 1);
}

static void
bcc_only_and_subjectless_messages_are_refused(void **state)
{
	static const char *const eve[] = {"eve@example.com"};
	static const char nosubj[] = "From: a@example.com\r\nTo: b@example.net"
	                             "\r\n\r\nhello\r\n";
	static const char *const b[] = {"b@example.net"};
	struct config_provider cfg = pt_cfg("sendgrid");
	struct adapter_msg msg = pt_msg(pt_rich, eve, 1);
	struct http_out out;
	char why[128] = "";

	(void)state;
	http_out_init(&out);
	assert_int_equal(
	    sendgrid_request_build(&cfg, &msg, PT_NOW, &out, why, sizeof(why)),
	    -1);
	assert_non_null(strstr(why, "Bcc"));
	msg = pt_msg(nosubj, b, 1);
	assert_int_equal(
	    sendgrid_request_build(&cfg, &msg, PT_NOW, &out, why, sizeof(why)),
	    -1);
	assert_non_null(strstr(why, "Subject"));
	http_out_fini(&out);
}

static void
invalid_utf8_header_is_refused_not_dropped(void **state)
{
	static const char bad[] =
	    "From: a@example.com\r\nTo: b@example.net\r\n"
	    "Subject: s\r\nX-Raw: caf\xe9\r\n\r\nhello\r\n";
	static const char *const b[] = {"b@example.net"};
	struct config_provider cfg = pt_cfg("sendgrid");
	struct adapter_msg msg = pt_msg(bad, b, 1);
	struct http_out out;
	char why[128] = "";

	(void)state;
	http_out_init(&out);
	assert_int_equal(
	    sendgrid_request_build(&cfg, &msg, PT_NOW, &out, why, sizeof(why)),
	    -1);
	http_out_fini(&out);
}

static void
probe_checks_the_mail_send_scope(void **state)
{
	struct config_provider cfg = pt_cfg("sendgrid");
	struct http_out out;
	struct adapter_probe_result pr;
	const char *ok = "{\"scopes\":[\"mail.send\",\"user.profile.read\"]}";
	const char *no = "{\"scopes\":[\"stats.read\"]}";
	struct http_response resp = {
	    .status = 200, .body = ok, .body_len = strlen(ok)};

	(void)state;
	cfg.endpoint = "http://127.0.0.1:9/";
	http_out_init(&out);
	sendgrid_probe_build(&cfg, PT_NOW, &out);
	assert_string_equal(out.method, "GET");
	assert_string_equal(out.url, "http://127.0.0.1:9/v3/scopes");
	assert_string_equal(http_out_header_get(&out, "Authorization"),
	                    "Bearer key-secret-123");
	http_out_fini(&out);
	memset(&pr, 0, sizeof(pr));
	sendgrid_probe_read(&resp, PT_NOW, &pr);
	assert_true(pr.ok);
	resp.body = no;
	resp.body_len = strlen(no);
	sendgrid_probe_read(&resp, PT_NOW, &pr);
	assert_false(pr.ok);
	assert_int_equal(pr.class, SEND_CONFIG);
	resp.status = 401;
	sendgrid_probe_read(&resp, PT_NOW, &pr);
	assert_false(pr.ok);
	assert_int_equal(pr.class, SEND_CONFIG);
}

static void
accepted_answer_keeps_x_message_id(void **state)
{
	struct pt_row row = rows[0];
	struct send_result r;

	(void)state;
	row.classify = sendgrid_classify;
	pt_classify(&row, &r);
	assert_string_equal(r.provider_msg_id, "sg-abc123");
	row = rows[7]; /* reset 10 s after PT_NOW */
	row.classify = sendgrid_classify;
	pt_classify(&row, &r);
	assert_int_equal(r.retry_after_ms, 10000);
}

/* sg_build - build msg with meta mm into out (initialised here); the
 * body as JSON. */
static json_t *
sg_build(struct msg_meta *mm, struct http_out *out)
{
	struct config_provider cfg = pt_cfg("sendgrid");
	struct adapter_msg msg = pt_msg(pt_rich, pt_rcpts, 4);
	char why[128];

	msg.meta = mm;
	http_out_init(out);
	assert_int_equal(
	    sendgrid_request_build(&cfg, &msg, PT_NOW, out, why, sizeof(why)),
	    0);
	return pt_json(out);
}

static void
meta_goes_as_categories_custom_args_pool_and_tracking(void **state)
{
	struct msg_meta mm;
	struct http_out out;
	json_t *j, *ca, *ts;
	char *cats;

	(void)state;
	pt_meta(&mm);
	j = sg_build(&mm, &out);
	/* Labels are categories (a space is fine there). */
	cats = json_dumps(json_object_get(j, "categories"), JSON_COMPACT);
	assert_string_equal(cats, "[\"welcome\",\"Spring Sale\"]");
	free(cats);
	/* Tags with a value and metadata are custom_args, strings all. */
	ca = json_object_get(
	    json_array_get(json_object_get(j, "personalizations"), 0),
	    "custom_args");
	assert_string_equal(pt_str(ca, "swerve_id", NULL),
	                    "01HXTESTID0000000000");
	assert_string_equal(pt_str(ca, "campaign", NULL), "spring");
	assert_string_equal(pt_str(ca, "order", NULL), "42");
	assert_string_equal(pt_str(ca, "url", NULL), "https://x.test/a");
	assert_string_equal(pt_str(ca, "n", NULL), "7");
	assert_string_equal(pt_str(j, "ip_pool_name", NULL), "pool-a");
	ts = json_object_get(j, "tracking_settings");
	assert_true(json_is_true(
	    json_object_get(json_object_get(ts, "open_tracking"), "enable")));
	assert_true(json_is_false(
	    json_object_get(json_object_get(ts, "click_tracking"), "enable")));
	/* Never passed: send_at is the spool's. */
	assert_null(json_object_get(j, "send_at"));
	assert_string_equal(pt_na(&out), "config_set, message_stream");
	json_decref(j);
	http_out_fini(&out);
	msg_meta_fini(&mm);
}

static void
categories_stop_at_10_and_255_characters(void **state)
{
	struct msg_meta mm;
	struct http_out out;
	char name[300];
	json_t *j;
	int i;

	(void)state;
	msg_meta_init(&mm);
	memset(name, 'c', 256);
	name[256] = '\0';
	assert_int_equal(msg_meta_add_tag(&mm, name, NULL), 0);
	for (i = 0; i < 11; i++) {
		snprintf(name, sizeof(name), "c%d", i);
		assert_int_equal(msg_meta_add_tag(&mm, name, NULL), 0);
	}
	assert_int_equal(msg_meta_add_tag(&mm, "c0", NULL), 0); /* again */
	mm.ip_pool = strdup("p");                               /* < 2 */
	j = sg_build(&mm, &out);
	assert_int_equal(json_array_size(json_object_get(j, "categories")), 10);
	assert_string_equal(json_string_value(json_array_get(
	                        json_object_get(j, "categories"), 9)),
	                    "c9");
	assert_null(json_object_get(j, "ip_pool_name"));
	assert_null(json_object_get(j, "tracking_settings"));
	assert_non_null(strstr(pt_na(&out), "(longer than 255)"));
	assert_non_null(strstr(pt_na(&out),
	                       "tag \"c10\" (only 10 categories), ip_pool "
	                       "\"p\" (2 to 64 characters)"));
	json_decref(j);
	http_out_fini(&out);
	msg_meta_fini(&mm);
}

static void
custom_args_stop_at_10000_bytes_and_keep_swerve_id(void **state)
{
	struct msg_meta mm;
	struct http_out out;
	char big[5001], key[16];
	json_t *j, *ca;
	int i;

	(void)state;
	msg_meta_init(&mm);
	memset(big, 'v', 5000);
	big[5000] = '\0';
	assert_int_equal(msg_meta_add_tag(&mm, "swerve_id", "forged"), 0);
	for (i = 0; i < 3; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		assert_int_equal(msg_meta_add_tag(&mm, key, i < 2 ? "x" : "y"),
		                 0);
	}
	assert_int_equal(msg_meta_set_var(&mm, "big1", big), 0);
	assert_int_equal(msg_meta_set_var(&mm, "big2", big), 0);
	j = sg_build(&mm, &out);
	ca = json_object_get(
	    json_array_get(json_object_get(j, "personalizations"), 0),
	    "custom_args");
	assert_string_equal(pt_str(ca, "swerve_id", NULL),
	                    "01HXTESTID0000000000");
	assert_non_null(json_object_get(ca, "big1"));
	assert_null(json_object_get(ca, "big2"));
	assert_string_equal(pt_na(&out),
	                    "tag \"swerve_id\" (repeated), metadata \"big2\" "
	                    "(custom_args full)");
	json_decref(j);
	http_out_fini(&out);
	msg_meta_fini(&mm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(rich_message_maps_every_field),
	    cmocka_unit_test(to_address_not_in_envelope_is_not_sent_to),
	    cmocka_unit_test(unfaithful_mime_is_refused_with_a_reason),
	    cmocka_unit_test(json_verdict_is_judged_once_and_reused),
	    cmocka_unit_test(bcc_only_and_subjectless_messages_are_refused),
	    cmocka_unit_test(invalid_utf8_header_is_refused_not_dropped),
	    cmocka_unit_test(probe_checks_the_mail_send_scope),
	    cmocka_unit_test(accepted_answer_keeps_x_message_id),
	    cmocka_unit_test(
	        meta_goes_as_categories_custom_args_pool_and_tracking),
	    cmocka_unit_test(categories_stop_at_10_and_255_characters),
	    cmocka_unit_test(
	        custom_args_stop_at_10000_bytes_and_keep_swerve_id),
	};

	return pt_run("sendgrid", tests, sizeof(tests) / sizeof(tests[0]), rows,
	              sizeof(rows) / sizeof(rows[0]), sendgrid_classify);
}
