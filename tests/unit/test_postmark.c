/*
 * test_postmark.c - the Postmark adapter's pure parts: every row of the
 * Postmark ErrorCode table in docs/providers.md, the /email JSON rebuilt
 * from a rich MIME message (MessageStream, Metadata, inline ContentID) and
 * the server probe.
 */
#include "providers_test.h"

#define EC(n, msg) "{\"ErrorCode\":" #n ",\"Message\":\"" msg "\"}"

static struct pt_row rows[] = {
    {"200 ErrorCode 0 is accepted", 200, NULL, NULL,
     "{\"To\":\"b@example.net\",\"SubmittedAt\":\"2024-01-01T00:00:00Z\","
     "\"MessageID\":\"b7bc2f4a-e38e-4336-af7d-e6c392c2f817\","
     "\"ErrorCode\":0,\"Message\":\"OK\"}",
     SEND_ACCEPTED, false, 0, false, "", NULL},
    {"ErrorCode 10 bad token is config", 401, NULL, NULL,
     EC(10, "Bad or missing API token"), SEND_CONFIG, false, 0, false, "10",
     NULL},
    {"ErrorCode 100 maintenance is deferred", 422, NULL, NULL,
     EC(100, "Maintenance"), SEND_DEFERRED, false, 0, false, "100", NULL},
    {"ErrorCode 300 invalid request is rejected", 422, NULL, NULL,
     EC(300, "Invalid email request"), SEND_REJECTED, false, 0, false, "300",
     NULL},
    {"ErrorCode 300 sender not verified is config", 422, NULL, NULL,
     EC(300, "The 'From' address is not a verified Sender Signature"),
     SEND_CONFIG, false, 0, false, NULL, NULL},
    {"ErrorCode 400 sender signature not found is config", 422, NULL, NULL,
     EC(400, "Sender signature not found"), SEND_CONFIG, false, 0, false, NULL,
     NULL},
    {"ErrorCode 401 sender signature not confirmed is config", 422, NULL, NULL,
     EC(401, "Sender signature not confirmed"), SEND_CONFIG, false, 0, false,
     NULL, NULL},
    {"ErrorCode 402 invalid JSON is rejected", 422, NULL, NULL,
     EC(402, "Invalid JSON"), SEND_REJECTED, false, 0, false, NULL, NULL},
    {"ErrorCode 403 incompatible JSON is rejected", 422, NULL, NULL,
     EC(403, "Incompatible JSON"), SEND_REJECTED, false, 0, false, NULL, NULL},
    {"ErrorCode 405 not allowed to send is config", 422, NULL, NULL,
     EC(405, "Not allowed to send"), SEND_CONFIG, false, 0, false, NULL, NULL},
    {"ErrorCode 406 inactive recipient is rejected", 422, NULL, NULL,
     EC(406, "You tried to send to a recipient that has been marked as "
             "inactive."),
     SEND_REJECTED, false, 0, false, "406", NULL},
    {"ErrorCode 409 JSON required is rejected", 422, NULL, NULL,
     EC(409, "JSON required"), SEND_REJECTED, false, 0, false, NULL, NULL},
    {"ErrorCode 410 too many batch messages is rejected", 422, NULL, NULL,
     EC(410, "Too many batch messages"), SEND_REJECTED, false, 0, false, NULL,
     NULL},
    {"ErrorCode 411 forbidden attachment is rejected", 422, NULL, NULL,
     EC(411, "Forbidden attachment type"), SEND_REJECTED, false, 0, false, NULL,
     NULL},
    {"ErrorCode 412 account pending is config", 422, NULL, NULL,
     EC(412, "Account pending"), SEND_CONFIG, false, 0, false, NULL, NULL},
    {"ErrorCode 413 account may not send is config", 422, NULL, NULL,
     EC(413, "Account may not send"), SEND_CONFIG, false, 0, false, NULL, NULL},
    {"HTTP 429 is throttled", 429, NULL, NULL, "", SEND_THROTTLED, false, 0,
     false, NULL, NULL},
    {"HTTP 500 is deferred", 500, NULL, NULL, EC(0, "Internal"), SEND_DEFERRED,
     false, 0, false, NULL, NULL},
    {"HTTP 503 is deferred", 503, NULL, NULL, "", SEND_DEFERRED, false, 0,
     false, NULL, NULL},
    {"HTTP 401 without a body is config", 401, NULL, NULL, "", SEND_CONFIG,
     false, 0, false, NULL, NULL},
    {"unknown ErrorCode is rejected", 422, NULL, NULL, EC(999, "Something new"),
     SEND_REJECTED, false, 0, false, NULL, NULL},
    PT_TRANSPORT_ROWS,
};

/* named - the attachment with Name fn. */
static json_t *
named(json_t *arr, const char *fn)
{
	size_t i;
	json_t *a;

	json_array_foreach(arr, i, a)
	{
		if (strcmp(json_string_value(json_object_get(a, "Name")), fn) ==
		    0)
			return a;
	}
	fail_msg("no attachment %s", fn);
	return NULL;
}

static void
rich_message_maps_every_field(void **state)
{
	struct config_provider cfg = pt_cfg("postmark");
	struct adapter_msg msg = pt_msg(pt_rich, pt_rcpts, 4);
	struct http_out out;
	char why[128];
	json_t *j, *a, *h;
	size_t i;
	bool campaign = false;

	(void)state;
	http_out_init(&out);
	assert_int_equal(
	    postmark_request_build(&cfg, &msg, PT_NOW, &out, why, sizeof(why)),
	    0);
	assert_string_equal(out.url, "https://api.postmarkapp.com/email");
	assert_string_equal(
	    http_out_header_get(&out, "X-Postmark-Server-Token"),
	    "key-secret-123");
	assert_string_equal(http_out_header_get(&out, "Accept"),
	                    "application/json");
	j = pt_json(&out);
	assert_string_equal(pt_str(j, "From", NULL),
	                    "J\xc3\xbcrgen <jurgen@example.com>");
	assert_string_equal(pt_str(j, "To", NULL),
	                    "Bob <bob@example.net>, carol@example.net");
	assert_string_equal(pt_str(j, "Cc", NULL), "Dave <dave@example.org>");
	assert_string_equal(pt_str(j, "Bcc", NULL), "eve@example.com");
	assert_string_equal(pt_str(j, "ReplyTo", NULL), "replies@example.com");
	assert_string_equal(pt_str(j, "Subject", NULL), "Gr\xc3\xbc\xc3\x9f"
	                                                "e \xf0\x9f\x91\x8b");
	assert_non_null(strstr(pt_str(j, "TextBody", NULL), "Hall\xc3\xb6"));
	assert_non_null(strstr(pt_str(j, "HtmlBody", NULL), "cid:logo@x"));
	assert_string_equal(pt_str(j, "MessageStream", NULL), "outbound");
	assert_string_equal(pt_str(j, "Metadata", "swerve_id"),
	                    "01HXTESTID0000000000");
	a = json_object_get(j, "Attachments");
	assert_int_equal(json_array_size(a), 2);
	assert_string_equal(pt_str(named(a, "logo.png"), "ContentID", NULL),
	                    "cid:logo@x");
	assert_string_equal(pt_str(named(a, "logo.png"), "ContentType", NULL),
	                    "image/png");
	assert_null(json_object_get(named(a, "r.pdf"), "ContentID"));
	assert_string_equal(pt_str(named(a, "r.pdf"), "Content", NULL),
	                    "JVBERi0xLjQ=");
	h = json_object_get(j, "Headers");
	json_array_foreach(h, i, a)
	{
		const char *n = pt_str(a, "Name", NULL);

		assert_true(strcasecmp(n, "Subject") != 0 &&
		            strcasecmp(n, "MIME-Version") != 0);
		if (strcmp(n, "X-Campaign") == 0) {
			assert_string_equal(pt_str(a, "Value", NULL), "spring");
			campaign = true;
		}
	}
	assert_true(campaign);
	json_decref(j);
	http_out_fini(&out);
}

static void
message_stream_and_quoted_names_follow_config_and_rfc5322(void **state)
{
	static const char m[] =
	    "From: \"Doe, Jane\" <jane@example.com>\r\n"
	    "To: \"Smith, Bob\" <bob@example.net>\r\nSubject: s\r\n\r\nhi\r\n";
	static const char *const r[] = {"bob@example.net"};
	struct config_provider cfg = pt_cfg("postmark");
	struct adapter_msg msg = pt_msg(m, r, 1);
	struct http_out out;
	char why[128];
	json_t *j;

	(void)state;
	cfg.message_stream = "broadcast";
	http_out_init(&out);
	assert_int_equal(
	    postmark_request_build(&cfg, &msg, PT_NOW, &out, why, sizeof(why)),
	    0);
	j = pt_json(&out);
	assert_string_equal(pt_str(j, "MessageStream", NULL), "broadcast");
	assert_string_equal(pt_str(j, "From", NULL),
	                    "\"Doe, Jane\" <jane@example.com>");
	assert_string_equal(pt_str(j, "To", NULL),
	                    "\"Smith, Bob\" <bob@example.net>");
	assert_null(json_object_get(j, "Attachments"));
	assert_null(json_object_get(j, "HtmlBody"));
	json_decref(j);
	http_out_fini(&out);
}

static void
unfaithful_message_is_refused(void **state)
{
	static const char m[] =
	    "From: a@example.com\r\nTo: b@example.net\r\nSubject: s\r\n"
	    "MIME-Version: 1.0\r\nContent-Type: message/rfc822\r\n\r\n"
	    "From: x@example.com\r\n\r\ninner\r\n";
	static const char *const r[] = {"b@example.net"};
	struct config_provider cfg = pt_cfg("postmark");
	struct adapter_msg msg = pt_msg(m, r, 1);
	struct http_out out;
	char why[128] = "";

	(void)state;
	http_out_init(&out);
	assert_int_equal(
	    postmark_request_build(&cfg, &msg, PT_NOW, &out, why, sizeof(why)),
	    -1);
	assert_true(why[0] != '\0');
	assert_false(postmark_http.represents(&msg, why, sizeof(why)));
	http_out_fini(&out);
}

static void
probe_is_get_server_with_the_token(void **state)
{
	struct config_provider cfg = pt_cfg("postmark");
	struct http_out out;
	struct adapter_probe_result pr;
	const char *bad = EC(10, "Bad or missing API token");
	struct http_response resp = {
	    .status = 200, .body = "{}", .body_len = 2};

	(void)state;
	http_out_init(&out);
	postmark_probe_build(&cfg, PT_NOW, &out);
	assert_string_equal(out.method, "GET");
	assert_string_equal(out.url, "https://api.postmarkapp.com/server");
	assert_string_equal(
	    http_out_header_get(&out, "X-Postmark-Server-Token"),
	    "key-secret-123");
	http_out_fini(&out);
	memset(&pr, 0, sizeof(pr));
	postmark_probe_read(&resp, PT_NOW, &pr);
	assert_true(pr.ok);
	resp.status = 401;
	resp.body = bad;
	resp.body_len = strlen(bad);
	postmark_probe_read(&resp, PT_NOW, &pr);
	assert_false(pr.ok);
	assert_int_equal(pr.class, SEND_CONFIG);
}

static void
accepted_answer_keeps_message_id(void **state)
{
	struct pt_row row = rows[0];
	struct send_result r;

	(void)state;
	row.classify = postmark_classify;
	pt_classify(&row, &r);
	assert_string_equal(r.provider_msg_id,
	                    "b7bc2f4a-e38e-4336-af7d-e6c392c2f817");
}

/* pm_build - build msg (meta mm) with cfg into out; the body as JSON. */
static json_t *
pm_build(struct config_provider *cfg, struct msg_meta *mm, struct http_out *out)
{
	struct adapter_msg msg = pt_msg(pt_rich, pt_rcpts, 4);
	char why[128];

	msg.meta = mm;
	http_out_init(out);
	assert_int_equal(
	    postmark_request_build(cfg, &msg, PT_NOW, out, why, sizeof(why)),
	    0);
	return pt_json(out);
}

static void
meta_goes_as_tag_metadata_stream_and_tracking(void **state)
{
	struct config_provider cfg = pt_cfg("postmark");
	struct msg_meta mm;
	struct http_out out;
	json_t *j, *md;

	(void)state;
	pt_meta(&mm);
	j = pm_build(&cfg, &mm, &out);
	assert_string_equal(pt_str(j, "Tag", NULL), "welcome");
	md = json_object_get(j, "Metadata");
	assert_string_equal(pt_str(md, "swerve_id", NULL),
	                    "01HXTESTID0000000000");
	assert_string_equal(pt_str(md, "campaign", NULL), "spring");
	assert_string_equal(pt_str(md, "order", NULL), "42");
	assert_string_equal(pt_str(md, "url", NULL), "https://x.test/a");
	assert_string_equal(pt_str(md, "n", NULL), "7");
	/* No stream configured: the message's. */
	assert_string_equal(pt_str(j, "MessageStream", NULL), "broadcasts");
	assert_true(json_is_true(json_object_get(j, "TrackOpens")));
	assert_string_equal(pt_str(j, "TrackLinks", NULL), "None");
	assert_string_equal(pt_na(&out), "tag \"Spring Sale\" (only one Tag), "
	                                 "config_set, ip_pool");
	json_decref(j);
	http_out_fini(&out);
	mm.track_clicks = MSG_TRACK_ON;
	j = pm_build(&cfg, &mm, &out);
	assert_string_equal(pt_str(j, "TrackLinks", NULL), "HtmlAndText");
	json_decref(j);
	http_out_fini(&out);
	msg_meta_fini(&mm);
}

static void
configured_stream_pins_the_provider(void **state)
{
	struct config_provider cfg = pt_cfg("postmark");
	struct msg_meta mm;
	struct http_out out;
	json_t *j;

	(void)state;
	msg_meta_init(&mm);
	mm.message_stream = strdup("broadcasts");
	cfg.message_stream = "outbound";
	j = pm_build(&cfg, &mm, &out);
	assert_string_equal(pt_str(j, "MessageStream", NULL), "outbound");
	assert_string_equal(pt_na(&out), "message_stream \"broadcasts\" (the "
	                                 "provider's is outbound)");
	json_decref(j);
	http_out_fini(&out);
	/* Without meta: the configured one, else "outbound", as before. */
	cfg.message_stream = NULL;
	j = pm_build(&cfg, NULL, &out);
	assert_string_equal(pt_str(j, "MessageStream", NULL), "outbound");
	assert_null(json_object_get(j, "Tag"));
	assert_null(json_object_get(j, "TrackOpens"));
	assert_string_equal(pt_na(&out), "");
	json_decref(j);
	http_out_fini(&out);
	msg_meta_fini(&mm);
}

static void
metadata_keeps_postmarks_limits(void **state)
{
	struct config_provider cfg = pt_cfg("postmark");
	struct msg_meta mm;
	struct http_out out;
	char key[32], v81[82];
	json_t *j, *md;
	int i;

	(void)state;
	msg_meta_init(&mm);
	memset(v81, 'v', 81);
	v81[81] = '\0';
	assert_int_equal(msg_meta_set_var(&mm, "SWERVE_ID", "x"), 0);
	assert_int_equal(msg_meta_set_var(&mm, "a23456789012345678901", "x"),
	                 0);
	assert_int_equal(msg_meta_set_var(&mm, "long", v81), 0);
	for (i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		assert_int_equal(msg_meta_set_var(&mm, key, "x"), 0);
	}
	j = pm_build(&cfg, &mm, &out);
	md = json_object_get(j, "Metadata");
	assert_int_equal(json_object_size(md), 10);
	assert_non_null(json_object_get(md, "k8"));
	assert_null(json_object_get(md, "k9"));
	assert_string_equal(pt_na(&out),
	                    "metadata \"SWERVE_ID\" (repeated), metadata "
	                    "\"a23456789012345678901\" (name longer than 20), "
	                    "metadata \"long\" (value longer than 80), "
	                    "metadata \"k9\" (only 10 fields)");
	json_decref(j);
	http_out_fini(&out);
	msg_meta_fini(&mm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(rich_message_maps_every_field),
	    cmocka_unit_test(
	        message_stream_and_quoted_names_follow_config_and_rfc5322),
	    cmocka_unit_test(unfaithful_message_is_refused),
	    cmocka_unit_test(probe_is_get_server_with_the_token),
	    cmocka_unit_test(accepted_answer_keeps_message_id),
	    cmocka_unit_test(meta_goes_as_tag_metadata_stream_and_tracking),
	    cmocka_unit_test(configured_stream_pins_the_provider),
	    cmocka_unit_test(metadata_keeps_postmarks_limits),
	};

	return pt_run("postmark", tests, sizeof(tests) / sizeof(tests[0]), rows,
	              sizeof(rows) / sizeof(rows[0]), postmark_classify);
}
