/*
 * test_mailgun.c - the Mailgun adapter's pure parts: every row of the
 * Mailgun classification table in docs/providers.md, the messages.mime
 * multipart/form-data request (the raw message byte for byte, one "to"
 * per envelope recipient, v:swerve_id, Basic auth, US/EU base URL) and the
 * domain probe.
 */
#include "providers_test.h"

static struct pt_row rows[] = {
    {"200 is accepted, id without brackets", 200, NULL, NULL,
     "{\"id\":\"<20240101120000.1.ABC@mg.example.com>\","
     "\"message\":\"Queued. Thank you.\"}",
     SEND_ACCEPTED, false, 0, false, "", NULL},
    {"400 invalid parameter is rejected", 400, NULL, NULL,
     "{\"message\":\"'to' parameter is not a valid address\"}", SEND_REJECTED,
     false, 0, false, "400", NULL},
    {"400 sandbox authorized recipients is config", 400, NULL, NULL,
     "{\"message\":\"Sandbox subdomains are for test purposes only. Please "
     "add your own domain or add the address to authorized recipients\"}",
     SEND_CONFIG, false, 0, false, NULL, NULL},
    {"400 domain not verified is config", 400, NULL, NULL,
     "{\"message\":\"Domain mg.example.com is not verified\"}", SEND_CONFIG,
     false, 0, false, NULL, NULL},
    {"401 plain-text Forbidden is config", 401, NULL, NULL, "Forbidden",
     SEND_CONFIG, false, 0, false, NULL, NULL},
    {"403 access denied is config", 403, NULL, NULL,
     "{\"message\":\"Domain mg.example.com is not allowed to send\"}",
     SEND_CONFIG, false, 0, false, NULL, NULL},
    {"404 domain not found is config", 404, NULL, NULL,
     "{\"message\":\"Domain not found: mg.example.com\"}", SEND_CONFIG, false,
     0, false, NULL, NULL},
    {"413 is rejected", 413, NULL, NULL, "{\"message\":\"too large\"}",
     SEND_REJECTED, false, 0, false, NULL, NULL},
    {"429 is throttled", 429, "Retry-After", "2", "{\"message\":\"slow\"}",
     SEND_THROTTLED, false, 0, false, NULL, NULL},
    {"500 is deferred", 500, NULL, NULL, "{\"message\":\"oops\"}",
     SEND_DEFERRED, false, 0, false, NULL, NULL},
    {"503 is deferred", 503, NULL, NULL, "", SEND_DEFERRED, false, 0, false,
     NULL, NULL},
    PT_TRANSPORT_ROWS,
};

/* part - the body of form part name (nth occurrence), as a view. */
static struct str
part(const struct http_out *out, const char *bnd, const char *name, int nth)
{
	char key[128];
	const char *p = out->body.p, *end = p + out->body.len, *s, *e;
	char delim[96];

	snprintf(key, sizeof(key), "form-data; name=\"%s\"", name);
	snprintf(delim, sizeof(delim), "\r\n--%s", bnd);
	for (;;) {
		s = memmem(p, (size_t)(end - p), key, strlen(key));
		if (s == NULL)
			return (struct str){NULL, 0};
		s = memmem(s, (size_t)(end - s), "\r\n\r\n", 4);
		assert_non_null(s);
		s += 4;
		e = memmem(s, (size_t)(end - s), delim, strlen(delim));
		assert_non_null(e);
		if (nth-- == 0)
			return (struct str){s, (size_t)(e - s)};
		p = e;
	}
}

static void
raw_message_goes_byte_for_byte_as_a_file_part(void **state)
{
	static const char body[] =
	    "From: a@example.com\r\nTo: b@example.net\r\n"
	    "Subject: x\r\n\r\n\xc3\xa4\xff\r\n--x\r\n.\r\n";
	struct config_provider cfg = pt_cfg("mailgun");
	struct adapter_msg msg = pt_msg(body, pt_rcpts, 3);
	struct http_out out;
	char why[128], bnd[80];
	const char *ct, *b;
	struct str v;

	(void)state;
	http_out_init(&out);
	assert_int_equal(
	    mailgun_request_build(&cfg, &msg, PT_NOW, &out, why, sizeof(why)),
	    0);
	assert_string_equal(out.url,
	                    "https://api.mailgun.net/v3/mg.example.com/"
	                    "messages.mime");
	/* base64("api:key-secret-123") */
	assert_string_equal(http_out_header_get(&out, "Authorization"),
	                    "Basic YXBpOmtleS1zZWNyZXQtMTIz");
	ct = http_out_header_get(&out, "Content-Type");
	assert_non_null(ct);
	b = strstr(ct, "boundary=");
	assert_non_null(b);
	assert_int_equal(strncmp(ct, "multipart/form-data; ", 21), 0);
	snprintf(bnd, sizeof(bnd), "%s", b + 9);
	/* The boundary never occurs in the message. */
	assert_null(memmem(body, sizeof(body) - 1, bnd, strlen(bnd)));
	v = part(&out, bnd, "message", 0);
	assert_int_equal(v.len, sizeof(body) - 1);
	assert_memory_equal(v.p, body, v.len);
	assert_non_null(strstr(out.body.p, "filename=\"message.mime\"\r\n"
	                                   "Content-Type: message/rfc822\r\n"));
	v = part(&out, bnd, "to", 0);
	assert_int_equal(v.len, strlen("bob@example.net"));
	assert_memory_equal(v.p, "bob@example.net", v.len);
	v = part(&out, bnd, "to", 2);
	assert_memory_equal(v.p, "dave@example.org", v.len);
	assert_null(part(&out, bnd, "to", 3).p);
	v = part(&out, bnd, "v:swerve_id", 0);
	assert_memory_equal(v.p, "01HXTESTID0000000000", v.len);
	/* The closing delimiter ends the body. */
	assert_true(out.body.len > strlen(bnd) + 6);
	assert_memory_equal(out.body.p + out.body.len - strlen(bnd) - 6, "--",
	                    2);
	assert_memory_equal(out.body.p + out.body.len - 4, "--\r\n", 4);
	http_out_fini(&out);
}

static void
eu_region_and_endpoint_pick_the_base_url(void **state)
{
	struct config_provider cfg = pt_cfg("mailgun");
	struct adapter_msg msg = pt_msg(pt_rich, pt_rcpts, 1);
	struct http_out out;
	char why[128];

	(void)state;
	cfg.region = "eu";
	http_out_init(&out);
	assert_int_equal(
	    mailgun_request_build(&cfg, &msg, PT_NOW, &out, why, sizeof(why)),
	    0);
	assert_string_equal(out.url, "https://api.eu.mailgun.net/v3/"
	                             "mg.example.com/messages.mime");
	http_out_fini(&out);
	cfg.endpoint = "http://127.0.0.1:8025";
	assert_int_equal(
	    mailgun_request_build(&cfg, &msg, PT_NOW, &out, why, sizeof(why)),
	    0);
	assert_string_equal(out.url, "http://127.0.0.1:8025/v3/mg.example.com/"
	                             "messages.mime");
	http_out_fini(&out);
	cfg.domain = NULL;
	assert_int_equal(
	    mailgun_request_build(&cfg, &msg, PT_NOW, &out, why, sizeof(why)),
	    -1);
	http_out_fini(&out);
}

static void
recipient_with_crlf_cannot_break_the_form(void **state)
{
	static const char *const bad[] = {"a@example.com\r\nX: y"};
	struct config_provider cfg = pt_cfg("mailgun");
	struct adapter_msg msg = pt_msg(pt_rich, bad, 1);
	struct http_out out;
	char why[128];

	(void)state;
	http_out_init(&out);
	assert_int_equal(
	    mailgun_request_build(&cfg, &msg, PT_NOW, &out, why, sizeof(why)),
	    -1);
	http_out_fini(&out);
}

static void
probe_reads_the_domain_state(void **state)
{
	struct config_provider cfg = pt_cfg("mailgun");
	struct http_out out;
	struct adapter_probe_result pr;
	const char *ok = "{\"domain\":{\"name\":\"mg.example.com\","
	                 "\"state\":\"active\"}}";
	const char *unv = "{\"domain\":{\"state\":\"unverified\"}}";
	struct http_response resp = {
	    .status = 200, .body = ok, .body_len = strlen(ok)};

	(void)state;
	http_out_init(&out);
	mailgun_probe_build(&cfg, PT_NOW, &out);
	assert_string_equal(out.method, "GET");
	assert_string_equal(
	    out.url, "https://api.mailgun.net/v3/domains/mg.example.com");
	http_out_fini(&out);
	memset(&pr, 0, sizeof(pr));
	mailgun_probe_read(&resp, PT_NOW, &pr);
	assert_true(pr.ok);
	resp.body = unv;
	resp.body_len = strlen(unv);
	mailgun_probe_read(&resp, PT_NOW, &pr);
	assert_false(pr.ok);
	assert_int_equal(pr.class, SEND_CONFIG);
	resp.status = 401;
	resp.body = "Forbidden";
	resp.body_len = 9;
	mailgun_probe_read(&resp, PT_NOW, &pr);
	assert_false(pr.ok);
	assert_int_equal(pr.class, SEND_CONFIG);
}

static void
accepted_answer_keeps_the_id_without_brackets(void **state)
{
	struct pt_row row = rows[0];
	struct send_result r;

	(void)state;
	row.classify = mailgun_classify;
	pt_classify(&row, &r);
	assert_string_equal(r.provider_msg_id,
	                    "20240101120000.1.ABC@mg.example.com");
}

/* mg_build - build msg (with meta mm) into out; its boundary into bnd. */
static void
mg_build(struct adapter_msg *msg, struct http_out *out, char *bnd, size_t n)
{
	struct config_provider cfg = pt_cfg("mailgun");
	char why[128];
	const char *b;

	http_out_init(out);
	assert_int_equal(
	    mailgun_request_build(&cfg, msg, PT_NOW, out, why, sizeof(why)), 0);
	b = strstr(http_out_header_get(out, "Content-Type"), "boundary=");
	assert_non_null(b);
	snprintf(bnd, n, "%s", b + 9);
}

/* part_is - form part name (nth) holds exactly want. */
static void
part_is(const struct http_out *out, const char *bnd, const char *name, int nth,
        const char *want)
{
	struct str v = part(out, bnd, name, nth);

	if (v.p == NULL)
		fail_msg("no part %s #%d", name, nth);
	if (v.len != strlen(want) || memcmp(v.p, want, v.len) != 0)
		fail_msg("part %s #%d is '%.*s', want '%s'", name, nth,
		         (int)v.len, v.p, want);
}

static void
meta_goes_as_tags_variables_and_tracking(void **state)
{
	struct adapter_msg msg = pt_msg(pt_rich, pt_rcpts, 2);
	struct msg_meta mm;
	struct http_out out;
	char bnd[80];

	(void)state;
	pt_meta(&mm);
	msg.meta = &mm;
	mg_build(&msg, &out, bnd, sizeof(bnd));
	part_is(&out, bnd, "o:tag", 0, "welcome");
	part_is(&out, bnd, "o:tag", 1, "Spring Sale");
	assert_null(part(&out, bnd, "o:tag", 2).p);
	part_is(&out, bnd, "v:swerve_id", 0, "01HXTESTID0000000000");
	part_is(&out, bnd, "v:campaign", 0, "spring");
	part_is(&out, bnd, "v:order", 0, "42");
	part_is(&out, bnd, "v:url", 0, "https://x.test/a");
	part_is(&out, bnd, "v:n", 0, "7");
	part_is(&out, bnd, "o:tracking-opens", 0, "yes");
	part_is(&out, bnd, "o:tracking-clicks", 0, "no");
	/* The message still goes byte for byte. */
	assert_int_equal(part(&out, bnd, "message", 0).len, strlen(pt_rich));
	assert_string_equal(pt_na(&out), "config_set, message_stream, ip_pool");
	http_out_fini(&out);
	msg_meta_fini(&mm);
}

static void
a_fourth_tag_and_unsafe_names_are_listed_not_sent(void **state)
{
	struct adapter_msg msg = pt_msg(pt_rich, pt_rcpts, 2);
	struct msg_meta mm;
	struct http_out out;
	char bnd[80], big[200];

	(void)state;
	msg_meta_init(&mm);
	memset(big, 't', 129);
	big[129] = '\0';
	assert_int_equal(msg_meta_add_tag(&mm, "a", NULL), 0);
	assert_int_equal(msg_meta_add_tag(&mm, "A", NULL), 0); /* same tag */
	assert_int_equal(msg_meta_add_tag(&mm, big, NULL), 0);
	assert_int_equal(msg_meta_add_tag(&mm, "caf\xc3\xa9", NULL), 0);
	assert_int_equal(msg_meta_add_tag(&mm, "b", NULL), 0);
	assert_int_equal(msg_meta_add_tag(&mm, "c", NULL), 0);
	assert_int_equal(msg_meta_add_tag(&mm, "d", NULL), 0);
	assert_int_equal(msg_meta_set_var(&mm, "q\"x", "1"), 0);
	assert_int_equal(msg_meta_set_var(&mm, "swerve_id", "forged"), 0);
	/* A value holding a would-be boundary still cannot end its part. */
	assert_int_equal(msg_meta_set_var(&mm, "v", "\r\n--swerve-\r\n"), 0);
	msg.meta = &mm;
	mg_build(&msg, &out, bnd, sizeof(bnd));
	part_is(&out, bnd, "o:tag", 0, "a");
	part_is(&out, bnd, "o:tag", 1, "b");
	part_is(&out, bnd, "o:tag", 2, "c");
	assert_null(part(&out, bnd, "o:tag", 3).p);
	part_is(&out, bnd, "v:v", 0, "\r\n--swerve-\r\n");
	part_is(&out, bnd, "v:swerve_id", 0, "01HXTESTID0000000000");
	assert_null(part(&out, bnd, "v:swerve_id", 1).p);
	assert_string_equal(
	    pt_na(&out),
	    "tag \"tttttttttttttttttttttttttttttttttttttttttttttttttttttttttttt"
	    "tttt\" (not ASCII or longer than 128), tag \"caf\xc3\xa9\" (not "
	    "ASCII or longer than 128), tag \"d\" (only 3 tags), metadata "
	    "\"q\"x\" (characters), metadata \"swerve_id\" (repeated)");
	http_out_fini(&out);
	msg_meta_fini(&mm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(raw_message_goes_byte_for_byte_as_a_file_part),
	    cmocka_unit_test(eu_region_and_endpoint_pick_the_base_url),
	    cmocka_unit_test(recipient_with_crlf_cannot_break_the_form),
	    cmocka_unit_test(probe_reads_the_domain_state),
	    cmocka_unit_test(accepted_answer_keeps_the_id_without_brackets),
	    cmocka_unit_test(meta_goes_as_tags_variables_and_tracking),
	    cmocka_unit_test(a_fourth_tag_and_unsafe_names_are_listed_not_sent),
	};

	return pt_run("mailgun", tests, sizeof(tests) / sizeof(tests[0]), rows,
	              sizeof(rows) / sizeof(rows[0]), mailgun_classify);
}
