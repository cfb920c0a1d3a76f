/*
 * test_resend.c - the Resend adapter's pure parts: every row of the Resend
 * error-name table in docs/providers.md, the /emails JSON rebuilt from a
 * rich MIME message with Idempotency-Key and tags, and the domains probe
 * (a sending-only key is healthy).
 */
#include "providers_test.h"

#define ERR(st, name, msg)                                                     \
	"{\"statusCode\":" #st ",\"name\":\"" name "\",\"message\":\"" msg "\"}"

static struct pt_row rows[] = {
    {"200 is accepted with id", 200, NULL, NULL,
     "{\"id\":\"49a3999c-0ce1-4ea6-ab68-afcd6dc2e794\"}", SEND_ACCEPTED, false,
     0, false, NULL, NULL},
    {"validation_error 400 is rejected", 400, NULL, NULL,
     ERR(400, "validation_error", "Invalid `to` field."), SEND_REJECTED, false,
     0, false, "validation_error", NULL},
    {"validation_error 403 testing emails only is config", 403, NULL, NULL,
     ERR(403, "validation_error",
         "You can only send testing emails to your own email address. To "
         "send emails to other recipients, please verify a domain"),
     SEND_CONFIG, false, 0, false, NULL, NULL},
    {"invalid_idempotency_key is rejected", 400, NULL, NULL,
     ERR(400, "invalid_idempotency_key", "key too long"), SEND_REJECTED, false,
     0, false, NULL, NULL},
    {"missing_api_key is config", 401, NULL, NULL,
     ERR(401, "missing_api_key", "Missing API key"), SEND_CONFIG, false, 0,
     false, NULL, NULL},
    {"restricted_api_key is config", 401, NULL, NULL,
     ERR(401, "restricted_api_key", "This API key is restricted"), SEND_CONFIG,
     false, 0, false, NULL, NULL},
    {"invalid_api_key is config", 403, NULL, NULL,
     ERR(403, "invalid_api_key", "API key is invalid"), SEND_CONFIG, false, 0,
     false, NULL, NULL},
    {"invalid_api_Key older spelling is config", 403, NULL, NULL,
     ERR(403, "invalid_api_Key", "API key is invalid"), SEND_CONFIG, false, 0,
     false, NULL, NULL},
    {"invalid_from_address unverified domain is config", 403, NULL, NULL,
     ERR(403, "invalid_from_address", "The example.com domain is not verified"),
     SEND_CONFIG, false, 0, false, NULL, NULL},
    {"invalid_from_address malformed is rejected", 422, NULL, NULL,
     ERR(422, "invalid_from_address", "Invalid `from` field"), SEND_REJECTED,
     false, 0, false, NULL, NULL},
    {"not_found is rejected", 404, NULL, NULL,
     ERR(404, "not_found", "The requested endpoint does not exist."),
     SEND_REJECTED, false, 0, false, NULL, NULL},
    {"method_not_allowed is rejected", 405, NULL, NULL,
     ERR(405, "method_not_allowed", "Method is not allowed"), SEND_REJECTED,
     false, 0, false, NULL, NULL},
    {"invalid_idempotent_request is rejected", 409, NULL, NULL,
     ERR(409, "invalid_idempotent_request", "same key, different body"),
     SEND_REJECTED, false, 0, false, NULL, NULL},
    {"concurrent_idempotent_requests is unknown", 409, NULL, NULL,
     ERR(409, "concurrent_idempotent_requests", "in progress"), SEND_UNKNOWN,
     false, 0, false, NULL, NULL},
    {"missing_required_field is rejected", 422, NULL, NULL,
     ERR(422, "missing_required_field", "Missing `to` field"), SEND_REJECTED,
     false, 0, false, NULL, NULL},
    {"invalid_parameter is rejected", 422, NULL, NULL,
     ERR(422, "invalid_parameter", "x"), SEND_REJECTED, false, 0, false, NULL,
     NULL},
    {"invalid_access is rejected", 422, NULL, NULL,
     ERR(422, "invalid_access", "x"), SEND_REJECTED, false, 0, false, NULL,
     NULL},
    {"invalid_region is rejected", 422, NULL, NULL,
     ERR(422, "invalid_region", "x"), SEND_REJECTED, false, 0, false, NULL,
     NULL},
    {"invalid_attachment is rejected", 422, NULL, NULL,
     ERR(422, "invalid_attachment", "x"), SEND_REJECTED, false, 0, false, NULL,
     NULL},
    {"rate_limit_exceeded is throttled", 429, "Retry-After", "1",
     ERR(429, "rate_limit_exceeded", "Too many requests"), SEND_THROTTLED,
     false, 0, false, NULL, NULL},
    {"daily_quota_exceeded is throttled with quota", 429, NULL, NULL,
     ERR(429, "daily_quota_exceeded", "daily quota"), SEND_THROTTLED, true, 0,
     false, NULL, NULL},
    {"monthly_quota_exceeded is throttled with quota", 429, NULL, NULL,
     ERR(429, "monthly_quota_exceeded", "monthly quota"), SEND_THROTTLED, true,
     0, false, NULL, NULL},
    {"security_error is config", 451, NULL, NULL,
     ERR(451, "security_error", "x"), SEND_CONFIG, false, 0, false, NULL, NULL},
    {"application_error is deferred", 500, NULL, NULL,
     ERR(500, "application_error", "x"), SEND_DEFERRED, false, 0, false, NULL,
     NULL},
    {"internal_server_error is deferred", 500, NULL, NULL,
     ERR(500, "internal_server_error", "x"), SEND_DEFERRED, false, 0, false,
     NULL, NULL},
    {"name decides over status", 500, NULL, NULL,
     ERR(500, "validation_error", "bad"), SEND_REJECTED, false, 0, false, NULL,
     NULL},
    {"503 without a body is deferred", 503, NULL, NULL, "", SEND_DEFERRED,
     false, 0, false, NULL, NULL},
    PT_TRANSPORT_ROWS,
};

static void
rich_message_maps_every_field_with_idempotency_key(void **state)
{
	struct config_provider cfg = pt_cfg("resend");
	struct adapter_msg msg = pt_msg(pt_rich, pt_rcpts, 4);
	struct http_out out;
	char why[128];
	json_t *j, *a, *t, *x;
	size_t i;
	bool inl = false, pdf = false;

	(void)state;
	http_out_init(&out);
	assert_int_equal(
	    resend_request_build(&cfg, &msg, PT_NOW, &out, why, sizeof(why)),
	    0);
	assert_string_equal(out.url, "https://api.resend.com/emails");
	assert_string_equal(http_out_header_get(&out, "Authorization"),
	                    "Bearer key-secret-123");
	assert_string_equal(http_out_header_get(&out, "Idempotency-Key"),
	                    "01HXTESTID0000000000");
	j = pt_json(&out);
	assert_string_equal(pt_str(j, "from", NULL),
	                    "J\xc3\xbcrgen <jurgen@example.com>");
	a = json_object_get(j, "to");
	assert_int_equal(json_array_size(a), 2);
	assert_string_equal(json_string_value(json_array_get(a, 0)),
	                    "Bob <bob@example.net>");
	assert_string_equal(json_string_value(json_array_get(a, 1)),
	                    "carol@example.net");
	assert_string_equal(
	    json_string_value(json_array_get(json_object_get(j, "cc"), 0)),
	    "Dave <dave@example.org>");
	assert_string_equal(
	    json_string_value(json_array_get(json_object_get(j, "bcc"), 0)),
	    "eve@example.com");
	assert_string_equal(json_string_value(json_array_get(
	                        json_object_get(j, "reply_to"), 0)),
	                    "replies@example.com");
	assert_string_equal(pt_str(j, "subject", NULL), "Gr\xc3\xbc\xc3\x9f"
	                                                "e \xf0\x9f\x91\x8b");
	assert_non_null(strstr(pt_str(j, "text", NULL), "Hall\xc3\xb6"));
	assert_non_null(strstr(pt_str(j, "html", NULL), "cid:logo@x"));
	t = json_array_get(json_object_get(j, "tags"), 0);
	assert_string_equal(pt_str(t, "name", NULL), "swerve_id");
	assert_string_equal(pt_str(t, "value", NULL), "01HXTESTID0000000000");
	assert_string_equal(pt_str(j, "headers", "X-Campaign"), "spring");
	a = json_object_get(j, "attachments");
	assert_int_equal(json_array_size(a), 2);
	json_array_foreach(a, i, x)
	{
		const char *fn = pt_str(x, "filename", NULL);

		if (strcmp(fn, "logo.png") == 0) {
			assert_string_equal(pt_str(x, "content_id", NULL),
			                    "logo@x");
			assert_string_equal(pt_str(x, "content_type", NULL),
			                    "image/png");
			assert_string_equal(pt_str(x, "content", NULL),
			                    "iVBORw0KGgo=");
			inl = true;
		} else if (strcmp(fn, "r.pdf") == 0) {
			assert_null(json_object_get(x, "content_id"));
			pdf = true;
		}
	}
	assert_true(inl && pdf);
	json_decref(j);
	http_out_fini(&out);
}

static void
repeated_custom_header_is_refused_not_merged(void **state)
{
	static const char m[] = "From: a@example.com\r\nTo: b@example.net\r\n"
	                        "Subject: s\r\nX-Tag: one\r\nX-Tag: two\r\n\r\n"
	                        "hi\r\n";
	static const char *const r[] = {"b@example.net"};
	struct config_provider cfg = pt_cfg("resend");
	struct adapter_msg msg = pt_msg(m, r, 1);
	struct http_out out;
	char why[128];

	(void)state;
	http_out_init(&out);
	assert_int_equal(
	    resend_request_build(&cfg, &msg, PT_NOW, &out, why, sizeof(why)),
	    -1);
	http_out_fini(&out);
}

static void
probe_accepts_a_sending_only_key(void **state)
{
	struct config_provider cfg = pt_cfg("resend");
	struct http_out out;
	struct adapter_probe_result pr;
	const char *restricted =
	    ERR(401, "restricted_api_key", "This API key is restricted");
	const char *invalid = ERR(403, "invalid_api_key", "API key is invalid");
	struct http_response resp = {
	    .status = 200, .body = "{\"data\":[]}", .body_len = 11};

	(void)state;
	http_out_init(&out);
	resend_probe_build(&cfg, PT_NOW, &out);
	assert_string_equal(out.method, "GET");
	assert_string_equal(out.url, "https://api.resend.com/domains");
	http_out_fini(&out);
	memset(&pr, 0, sizeof(pr));
	resend_probe_read(&resp, PT_NOW, &pr);
	assert_true(pr.ok);
	resp.status = 401;
	resp.body = restricted;
	resp.body_len = strlen(restricted);
	resend_probe_read(&resp, PT_NOW, &pr);
	assert_true(pr.ok);
	resp.status = 403;
	resp.body = invalid;
	resp.body_len = strlen(invalid);
	resend_probe_read(&resp, PT_NOW, &pr);
	assert_false(pr.ok);
	assert_int_equal(pr.class, SEND_CONFIG);
}

static void
accepted_answer_keeps_the_id(void **state)
{
	struct pt_row row = rows[0];
	struct send_result r;

	(void)state;
	row.classify = resend_classify;
	pt_classify(&row, &r);
	assert_string_equal(r.provider_msg_id,
	                    "49a3999c-0ce1-4ea6-ab68-afcd6dc2e794");
}

static void
meta_goes_as_tags_within_resends_rule(void **state)
{
	struct config_provider cfg = pt_cfg("resend");
	struct adapter_msg msg = pt_msg(pt_rich, pt_rcpts, 4);
	struct msg_meta mm;
	struct http_out out;
	char why[128], tags[512];
	size_t i, off = 0;
	json_t *j, *t;

	(void)state;
	pt_meta(&mm);
	msg.meta = &mm;
	http_out_init(&out);
	assert_int_equal(
	    resend_request_build(&cfg, &msg, PT_NOW, &out, why, sizeof(why)),
	    0);
	j = pt_json(&out);
	json_array_foreach(json_object_get(j, "tags"), i, t)
	{
		off += (size_t)snprintf(tags + off, sizeof(tags) - off,
		                        "%s=%s;", pt_str(t, "name", NULL),
		                        pt_str(t, "value", NULL));
	}
	assert_string_equal(tags, "swerve_id=01HXTESTID0000000000;"
	                          "welcome=true;campaign=spring;order=42;n=7;");
	assert_string_equal(pt_na(&out),
	                    "tag \"Spring Sale\" (characters), metadata "
	                    "\"url\" (characters), config_set, "
	                    "message_stream, ip_pool, track_opens, "
	                    "track_clicks");
	json_decref(j);
	http_out_fini(&out);
	msg_meta_fini(&mm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        rich_message_maps_every_field_with_idempotency_key),
	    cmocka_unit_test(repeated_custom_header_is_refused_not_merged),
	    cmocka_unit_test(probe_accepts_a_sending_only_key),
	    cmocka_unit_test(accepted_answer_keeps_the_id),
	    cmocka_unit_test(meta_goes_as_tags_within_resends_rule),
	};

	return pt_run("resend", tests, sizeof(tests) / sizeof(tests[0]), rows,
	              sizeof(rows) / sizeof(rows[0]), resend_classify);
}
