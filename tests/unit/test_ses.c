/*
 * test_ses.c - the SES v2 adapter's pure parts: every row of the SES
 * classification table in docs/providers.md, the SendEmail request (raw
 * bytes, recipients, tags, configuration set, SigV4 checked by the
 * verifier the SES-compatible ingress uses) and the GetAccount probe.
 */
#include "providers_test.h"

#include "providers/sigv4.h"

#define ET "x-amzn-ErrorType"

static struct pt_row rows[] = {
    {"200 with MessageId is accepted", 200, NULL, NULL,
     "{\"MessageId\":\"0100018-abc\"}", SEND_ACCEPTED, false, 0, false, "",
     NULL},
    {"MessageRejected not verified is config", 400, ET, "MessageRejected",
     "{\"message\":\"Email address is not verified. The following "
     "identities failed the check: a@example.com\"}",
     SEND_CONFIG, false, 0, false, "MessageRejected", NULL},
    {"MessageRejected for content is rejected", 400, ET, "MessageRejected",
     "{\"message\":\"Illegal header\"}", SEND_REJECTED, false, 0, false,
     "MessageRejected", NULL},
    {"MailFromDomainNotVerifiedException is config", 400, ET,
     "MailFromDomainNotVerifiedException", "{\"message\":\"x\"}", SEND_CONFIG,
     false, 0, false, NULL, NULL},
    {"AccountSuspendedException is config", 400, ET,
     "AccountSuspendedException", "{}", SEND_CONFIG, false, 0, false, NULL,
     NULL},
    {"SendingPausedException is config", 400, ET, "SendingPausedException",
     "{}", SEND_CONFIG, false, 0, false, NULL, NULL},
    {"NotFoundException is config", 404, ET, "NotFoundException",
     "{\"message\":\"Configuration set gw does not exist\"}", SEND_CONFIG,
     false, 0, false, NULL, NULL},
    {"BadRequestException is rejected", 400, ET, "BadRequestException", "{}",
     SEND_REJECTED, false, 0, false, NULL, NULL},
    {"LimitExceededException is rejected", 400, ET, "LimitExceededException",
     "{}", SEND_REJECTED, false, 0, false, NULL, NULL},
    {"TooManyRequestsException is throttled", 429, ET,
     "TooManyRequestsException", "{}", SEND_THROTTLED, false, 0, false, NULL,
     NULL},
    {"ThrottlingException rate is throttled", 400, ET, "ThrottlingException",
     "{\"message\":\"Maximum sending rate exceeded.\"}", SEND_THROTTLED, false,
     0, false, NULL, NULL},
    {"Throttling daily quota is throttled with quota", 400, ET, "Throttling",
     "{\"message\":\"Daily message quota exceeded.\"}", SEND_THROTTLED, true, 0,
     false, NULL, NULL},
    {"AccessDenied is config", 403, ET, "AccessDenied", "{}", SEND_CONFIG,
     false, 0, false, NULL, NULL},
    {"AccessDeniedException is config", 403, ET, "AccessDeniedException", "{}",
     SEND_CONFIG, false, 0, false, NULL, NULL},
    {"InvalidClientTokenId is config", 403, ET, "InvalidClientTokenId", "{}",
     SEND_CONFIG, false, 0, false, NULL, NULL},
    {"SignatureDoesNotMatch is config", 403, ET, "SignatureDoesNotMatch",
     "{\"message\":\"Signature expired\"}", SEND_CONFIG, false, 0, false, NULL,
     NULL},
    {"IncompleteSignature is config", 400, ET, "IncompleteSignature", "{}",
     SEND_CONFIG, false, 0, false, NULL, NULL},
    {"UnrecognizedClientException is config", 400, ET,
     "UnrecognizedClientException", "{}", SEND_CONFIG, false, 0, false, NULL,
     NULL},
    {"ExpiredToken is config", 400, ET, "ExpiredToken", "{}", SEND_CONFIG,
     false, 0, false, NULL, NULL},
    {"MissingAuthenticationToken is config", 403, ET,
     "MissingAuthenticationToken", "{}", SEND_CONFIG, false, 0, false, NULL,
     NULL},
    {"OptInRequired is config", 403, ET, "OptInRequired", "{}", SEND_CONFIG,
     false, 0, false, NULL, NULL},
    {"InternalServiceErrorException is deferred", 500, ET,
     "InternalServiceErrorException", "{}", SEND_DEFERRED, false, 0, false,
     NULL, NULL},
    {"InternalFailure is deferred", 500, ET, "InternalFailure", "{}",
     SEND_DEFERRED, false, 0, false, NULL, NULL},
    {"ServiceUnavailable is deferred", 503, ET, "ServiceUnavailable", "{}",
     SEND_DEFERRED, false, 0, false, NULL, NULL},
    {"any 5xx without a code is deferred", 502, NULL, NULL, "<html>",
     SEND_DEFERRED, false, 0, false, "", NULL},
    /* v1 spellings the table also lists. */
    {"AccountSendingPausedException is config", 400, ET,
     "AccountSendingPausedException", "{}", SEND_CONFIG, false, 0, false, NULL,
     NULL},
    {"ConfigurationSetDoesNotExist is config", 400, ET,
     "ConfigurationSetDoesNotExist", "{}", SEND_CONFIG, false, 0, false, NULL,
     NULL},
    {"ConfigurationSetSendingPausedException is config", 400, ET,
     "ConfigurationSetSendingPausedException", "{}", SEND_CONFIG, false, 0,
     false, NULL, NULL},
    {"InvalidParameterValue is rejected", 400, ET, "InvalidParameterValue",
     "{}", SEND_REJECTED, false, 0, false, NULL, NULL},
    /* Where the code comes from. */
    {"code after ':' in the header is cut", 400, ET,
     "MessageRejected:http://internal.amazon.com/coral/", "{}", SEND_REJECTED,
     false, 0, false, "MessageRejected", NULL},
    {"code from body __type with namespace", 400, NULL, NULL,
     "{\"__type\":\"com.amazonaws.sesv2#AccountSuspendedException\"}",
     SEND_CONFIG, false, 0, false, "AccountSuspendedException", NULL},
    {"code from body code", 400, NULL, NULL,
     "{\"code\":\"TooManyRequestsException\"}", SEND_THROTTLED, false, 0, false,
     NULL, NULL},
    {"unknown 4xx code is rejected", 400, ET, "SomethingNewException", "{}",
     SEND_REJECTED, false, 0, false, NULL, NULL},
    {"unknown 429 without code is throttled", 429, NULL, NULL, "",
     SEND_THROTTLED, false, 0, false, NULL, NULL},
    PT_TRANSPORT_ROWS,
};

/* headers_of - out's headers as SigV4 sees them. */
static size_t
headers_of(const struct http_out *out, struct sigv4_header *h)
{
	size_t i;

	for (i = 0; i < out->n_hdrs; i++)
		h[i] = (struct sigv4_header){out->hdrs[i].name,
		                             out->hdrs[i].value};
	return out->n_hdrs;
}

/* verify - check out's signature as SES (and swerve-mock) would. */
static void
verify(const struct http_out *out, const char *path, const char *region)
{
	struct sigv4_header h[HTTP_OUT_HEADERS_MAX];
	struct sigv4_auth auth;
	const char *authz = http_out_header_get(out, "Authorization");
	const char *why = NULL;
	struct sigv4_request req = {
	    .method = out->method,
	    .path = path,
	    .headers = h,
	    .n_headers = headers_of(out, h),
	    .body = out->body.p,
	    .body_len = out->body.len,
	};

	assert_non_null(authz);
	assert_int_equal(sigv4_auth_parse(&auth, authz, strlen(authz), &why),
	                 0);
	assert_int_equal(
	    sigv4_request_verify(&req, &auth,
	                         "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
	                         region, "ses", PT_NOW, 300, &why),
	    SIGV4_OK);
}

static void
raw_send_carries_exact_bytes_recipients_and_tag(void **state)
{
	/* 8-bit bytes and a lone CR must survive exactly. */
	static const char body[] =
	    "From: a@example.com\r\nTo: b@example.net\r\n"
	    "Subject: x\r\n\r\n\xc3\xa4\xff\r\n.\r\nend\r";
	struct config_provider cfg = pt_cfg("ses");
	struct adapter_msg msg = pt_msg(body, pt_rcpts, 2);
	struct http_out out;
	char why[128];
	unsigned char *raw;
	size_t len;
	json_t *j, *to, *tag;

	(void)state;
	http_out_init(&out);
	assert_int_equal(
	    ses_request_build(&cfg, &msg, PT_NOW, &out, why, sizeof(why)), 0);
	assert_string_equal(out.method, "POST");
	assert_string_equal(out.url, "https://email.us-east-1.amazonaws.com"
	                             "/v2/email/outbound-emails");
	assert_string_equal(http_out_header_get(&out, "Content-Type"),
	                    "application/json");
	assert_string_equal(http_out_header_get(&out, "Host"),
	                    "email.us-east-1.amazonaws.com");
	assert_string_equal(http_out_header_get(&out, "X-Amz-Date"),
	                    "20150830T123600Z");
	assert_null(http_out_header_get(&out, "X-Amz-Security-Token"));
	j = pt_json(&out);
	raw =
	    pt_b64(pt_str(json_object_get(j, "Content"), "Raw", "Data"), &len);
	assert_int_equal(len, sizeof(body) - 1);
	assert_memory_equal(raw, body, len);
	free(raw);
	to = json_object_get(json_object_get(j, "Destination"), "ToAddresses");
	assert_int_equal(json_array_size(to), 2);
	assert_string_equal(json_string_value(json_array_get(to, 1)),
	                    "carol@example.net");
	assert_string_equal(pt_str(j, "FromEmailAddress", NULL),
	                    "bounce@example.com");
	tag = json_array_get(json_object_get(j, "EmailTags"), 0);
	assert_string_equal(pt_str(tag, "Name", NULL), "swerve_id");
	assert_string_equal(pt_str(tag, "Value", NULL), "01HXTESTID0000000000");
	assert_null(json_object_get(j, "ConfigurationSetName"));
	verify(&out, "/v2/email/outbound-emails", "us-east-1");
	json_decref(j);
	http_out_fini(&out);
}

static void
endpoint_region_config_set_and_session_token_are_used(void **state)
{
	struct config_provider cfg = pt_cfg("ses");
	struct adapter_msg msg = pt_msg(pt_rich, pt_rcpts, 4);
	struct http_out out;
	struct sigv4_auth auth;
	const char *authz, *why;
	char why2[128];
	json_t *j;

	(void)state;
	cfg.endpoint = "http://127.0.0.1:4566/";
	cfg.region = "eu-west-1";
	cfg.configuration_set = "gw-events";
	cfg.session_token = "FQoGZXIvYXdzEXAMPLETOKEN";
	http_out_init(&out);
	assert_int_equal(
	    ses_request_build(&cfg, &msg, PT_NOW, &out, why2, sizeof(why2)), 0);
	assert_string_equal(out.url,
	                    "http://127.0.0.1:4566/v2/email/outbound-emails");
	assert_string_equal(http_out_header_get(&out, "Host"),
	                    "127.0.0.1:4566");
	assert_string_equal(http_out_header_get(&out, "X-Amz-Security-Token"),
	                    "FQoGZXIvYXdzEXAMPLETOKEN");
	authz = http_out_header_get(&out, "Authorization");
	assert_int_equal(sigv4_auth_parse(&auth, authz, strlen(authz), &why),
	                 0);
	assert_memory_equal(auth.region.p, "eu-west-1", 9);
	assert_memory_equal(auth.service.p, "ses", 3);
	assert_memory_equal(auth.signed_headers.p,
	                    "content-type;host;x-amz-date;x-amz-security-token",
	                    auth.signed_headers.len);
	/* The secret itself never appears in what is sent. */
	assert_null(strstr(authz, cfg.secret_access_key));
	verify(&out, "/v2/email/outbound-emails", "eu-west-1");
	j = pt_json(&out);
	assert_string_equal(pt_str(j, "ConfigurationSetName", NULL),
	                    "gw-events");
	json_decref(j);
	http_out_fini(&out);
}

static void
bounce_sender_leaves_from_address_out(void **state)
{
	struct config_provider cfg = pt_cfg("ses");
	struct adapter_msg msg = pt_msg(pt_rich, pt_rcpts, 1);
	struct http_out out;
	char why[128];
	json_t *j;

	(void)state;
	msg.sender = "";
	http_out_init(&out);
	assert_int_equal(
	    ses_request_build(&cfg, &msg, PT_NOW, &out, why, sizeof(why)), 0);
	j = pt_json(&out);
	assert_null(json_object_get(j, "FromEmailAddress"));
	json_decref(j);
	http_out_fini(&out);
}

static void
missing_credentials_refuse_to_build(void **state)
{
	struct config_provider cfg = pt_cfg("ses");
	struct adapter_msg msg = pt_msg(pt_rich, pt_rcpts, 1);
	struct http_out out;
	char why[128] = "";

	(void)state;
	cfg.secret_access_key = NULL;
	http_out_init(&out);
	assert_int_equal(
	    ses_request_build(&cfg, &msg, PT_NOW, &out, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "credentials"));
	http_out_fini(&out);
}

static void
probe_is_a_signed_get_account(void **state)
{
	struct config_provider cfg = pt_cfg("ses");
	struct http_out out;

	(void)state;
	http_out_init(&out);
	ses_probe_build(&cfg, PT_NOW, &out);
	assert_string_equal(out.method, "GET");
	assert_string_equal(out.url, "https://email.us-east-1.amazonaws.com"
	                             "/v2/email/account");
	assert_int_equal(out.body.len, 0);
	verify(&out, "/v2/email/account", "us-east-1");
	http_out_fini(&out);
}

/* probe - read a GetAccount answer. */
static struct adapter_probe_result
probe(int status, const char *body)
{
	struct adapter_probe_result pr = {
	    .max_send_rate = -1, .quota_left = -1, .sending_enabled = true};
	struct http_response resp = {.status = status,
	                             .body = body,
	                             .body_len = strlen(body),
	                             .request_sent = true};

	ses_probe_read(&resp, PT_NOW, &pr);
	return pr;
}

static void
probe_reads_quota_rate_and_sending_enabled(void **state)
{
	struct adapter_probe_result pr;

	(void)state;
	pr = probe(200, "{\"SendingEnabled\":true,\"SendQuota\":{"
	                "\"Max24HourSend\":50000,\"MaxSendRate\":14,"
	                "\"SentLast24Hours\":1200}}");
	assert_true(pr.ok);
	assert_true(pr.sending_enabled);
	assert_true(pr.max_send_rate == 14.0);
	assert_true(pr.quota_left == 48800.0);
	pr = probe(200, "{\"SendingEnabled\":false,\"SendQuota\":{"
	                "\"Max24HourSend\":200,\"MaxSendRate\":1,"
	                "\"SentLast24Hours\":0}}");
	assert_false(pr.ok);
	assert_false(pr.sending_enabled);
	assert_int_equal(pr.class, SEND_CONFIG);
	pr = probe(200, "{\"SendingEnabled\":true,\"SendQuota\":{"
	                "\"Max24HourSend\":200,\"MaxSendRate\":1,"
	                "\"SentLast24Hours\":200}}");
	assert_false(pr.ok);
	assert_int_equal(pr.class, SEND_THROTTLED);
	pr = probe(403, "{\"__type\":\"InvalidClientTokenId\"}");
	assert_false(pr.ok);
	assert_int_equal(pr.class, SEND_CONFIG);
	pr = probe(200, "not json");
	assert_false(pr.ok);
}

static void
accepted_answer_keeps_the_message_id(void **state)
{
	struct pt_row row = rows[0];
	struct send_result r;

	(void)state;
	row.classify = ses_classify;
	pt_classify(&row, &r);
	assert_string_equal(r.provider_msg_id, "0100018-abc");
	assert_int_equal(r.http_status, 200);
}

static void
codes_and_ids_from_the_wire_are_sanitised(void **state)
{
	struct pt_row row = {
	    "x", 400,   ET,   "Throt\r\nX-Evil\xae", "{}", SEND_REJECTED, false,
	    0,   false, NULL, ses_classify};
	struct send_result r;

	(void)state;
	pt_classify(&row, &r);
	assert_string_equal(r.provider_code, "Throt??X-Evil?");
	row = (struct pt_row){"y",
	                      200,
	                      NULL,
	                      NULL,
	                      "{\"MessageId\":\"id\\r\\nSet: x\"}",
	                      SEND_ACCEPTED,
	                      false,
	                      0,
	                      false,
	                      NULL,
	                      ses_classify};
	pt_classify(&row, &r);
	assert_string_equal(r.provider_msg_id, "id??Set:?x");
}

/* tags_of - EmailTags as "Name=Value;..." */
static void
tags_of(json_t *j, const char *key, const char *kn, const char *kv, char *out,
        size_t size)
{
	json_t *t;
	size_t i, off = 0;

	out[0] = '\0';
	json_array_foreach(json_object_get(j, key), i, t)
	{
		off +=
		    (size_t)snprintf(out + off, size - off, "%s=%s;",
		                     pt_str(t, kn, NULL), pt_str(t, kv, NULL));
	}
}

/* ses_meta_build - build the rich message with meta mm and cfg into out
 * (initialised here); the body as JSON. */
static json_t *
ses_meta_build(const struct config_provider *cfg, struct msg_meta *mm,
               struct http_out *out)
{
	struct adapter_msg msg = pt_msg(pt_rich, pt_rcpts, 2);
	char why[128];

	msg.meta = mm;
	http_out_init(out);
	assert_int_equal(
	    ses_request_build(cfg, &msg, PT_NOW, out, why, sizeof(why)), 0);
	return pt_json(out);
}

static void
meta_goes_as_email_tags_and_config_set(void **state)
{
	struct config_provider cfg = pt_cfg("ses");
	struct msg_meta mm;
	struct http_out out;
	char tags[512];
	json_t *j;

	(void)state;
	pt_meta(&mm);
	j = ses_meta_build(&cfg, &mm, &out);
	tags_of(j, "EmailTags", "Name", "Value", tags, sizeof(tags));
	/* A label is Value "true"; metadata members are tags too; what
	 * breaks SES's character rule stays out, and is said so. */
	assert_string_equal(tags, "swerve_id=01HXTESTID0000000000;"
	                          "welcome=true;campaign=spring;order=42;n=7;");
	assert_string_equal(pt_str(j, "ConfigurationSetName", NULL), "cs-msg");
	assert_string_equal(pt_na(&out),
	                    "tag \"Spring Sale\" (characters), metadata "
	                    "\"url\" (characters), message_stream, ip_pool, "
	                    "track_opens, track_clicks");
	verify(&out, "/v2/email/outbound-emails", "us-east-1");
	json_decref(j);
	http_out_fini(&out);
	msg_meta_fini(&mm);
}

/* config_set_case - with cfg's set and the message's, ConfigurationSetName
 * is want (NULL: none) and the not-applied list na. */
static void
config_set_case(const char *configured, const char *asked, const char *want,
                const char *na)
{
	struct config_provider cfg = pt_cfg("ses");
	struct msg_meta mm;
	struct http_out out;
	json_t *j;

	msg_meta_init(&mm);
	mm.config_set = strdup(asked);
	cfg.configuration_set = (char *)configured;
	j = ses_meta_build(&cfg, &mm, &out);
	if (want == NULL)
		assert_null(json_object_get(j, "ConfigurationSetName"));
	else
		assert_string_equal(pt_str(j, "ConfigurationSetName", NULL),
		                    want);
	assert_string_equal(pt_na(&out), na);
	json_decref(j);
	http_out_fini(&out);
	msg_meta_fini(&mm);
}

static void
configured_config_set_wins_over_the_messages(void **state)
{
	(void)state;
	config_set_case("gw-events", "cs-msg", "gw-events",
	                "config_set \"cs-msg\" (the provider's is gw-events)");
	/* The same name is no news. */
	config_set_case("gw-events", "gw-events", "gw-events", "");
	/* A name SES would refuse (BadRequest fails the message) is left
	 * out when none is configured. */
	config_set_case(NULL, "bad name", NULL,
	                "config_set \"bad name\" (characters)");
}

static void
tag_limits_repeated_reserved_and_long_names(void **state)
{
	struct config_provider cfg = pt_cfg("ses");
	struct msg_meta mm;
	struct http_out out;
	char tags[1024], name[258];
	json_t *j;

	(void)state;
	msg_meta_init(&mm);
	memset(name, 'a', 256);
	name[256] = '\0';
	assert_int_equal(msg_meta_add_tag(&mm, "swerve_id", "forged"), 0);
	assert_int_equal(msg_meta_add_tag(&mm, "k", "1"), 0);
	assert_int_equal(msg_meta_add_tag(&mm, "k", "2"), 0);
	assert_int_equal(msg_meta_add_tag(&mm, name, "v"), 0); /* 256: ok */
	assert_int_equal(msg_meta_add_tag(&mm, "e", ""), 0);
	assert_int_equal(msg_meta_set_var(&mm, "k", "3"), 0);
	j = ses_meta_build(&cfg, &mm, &out);
	tags_of(j, "EmailTags", "Name", "Value", tags, sizeof(tags));
	assert_non_null(strstr(tags, "swerve_id=01HXTESTID0000000000;k=1;"));
	assert_non_null(strstr(tags, name));
	assert_int_equal(json_array_size(json_object_get(j, "EmailTags")), 3);
	assert_string_equal(pt_na(&out),
	                    "tag \"swerve_id\" (repeated), tag \"k\" "
	                    "(repeated), tag \"e\" (characters), metadata "
	                    "\"k\" (repeated)");
	json_decref(j);
	http_out_fini(&out);
	msg_meta_fini(&mm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(raw_send_carries_exact_bytes_recipients_and_tag),
	    cmocka_unit_test(
	        endpoint_region_config_set_and_session_token_are_used),
	    cmocka_unit_test(bounce_sender_leaves_from_address_out),
	    cmocka_unit_test(missing_credentials_refuse_to_build),
	    cmocka_unit_test(probe_is_a_signed_get_account),
	    cmocka_unit_test(probe_reads_quota_rate_and_sending_enabled),
	    cmocka_unit_test(accepted_answer_keeps_the_message_id),
	    cmocka_unit_test(codes_and_ids_from_the_wire_are_sanitised),
	    cmocka_unit_test(meta_goes_as_email_tags_and_config_set),
	    cmocka_unit_test(configured_config_set_wins_over_the_messages),
	    cmocka_unit_test(tag_limits_repeated_reserved_and_long_names),
	};

	return pt_run("ses", tests, sizeof(tests) / sizeof(tests[0]), rows,
	              sizeof(rows) / sizeof(rows[0]), ses_classify);
}
