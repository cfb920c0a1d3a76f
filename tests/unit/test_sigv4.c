/*
 * test_sigv4.c - AWS SigV4 against every vector in docs/providers.md, and
 * the inverse (parse + verify) the SES-compatible ingress relies on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "providers/sigv4.h"

#define AKID "AKIDEXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define AMZDATE "20150830T123600Z"
#define T0 1440938160 /* 2015-08-30T12:36:00Z */

static const char v2_body[] =
    "{\"Content\":{\"Raw\":{\"Data\":\"RnJvbTogYUBleGFtcGxlLmNvbQ0KVG86IGJA"
    "ZXhhbXBsZS5uZXQNClN1YmplY3Q6IGhpDQoNCmhlbGxvDQo=\"}}}";
static const char v1_body[] =
    "Action=SendRawEmail&Version=2010-12-01&RawMessage.Data="
    "RnJvbTogYUBleGFtcGxlLmNvbQ0KVG86IGJAZXhhbXBsZS5uZXQNClN1YmplY3Q6IGhp"
    "DQoNCmhlbGxvDQo%3D";

static const struct sigv4_header v2_headers[] = {
    {"Content-Type", "application/json"},
    {"Host", "email.us-east-1.amazonaws.com"},
    {"X-Amz-Date", AMZDATE},
};

/* key_hex - hex of a signing key. */
static void
key_hex(char out[65], const uint8_t key[SIGV4_KEY_LEN])
{
	size_t i;

	for (i = 0; i < SIGV4_KEY_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", key[i]);
}

/* canon_hash - hex SHA-256 of req's canonical request. */
static void
canon_hash(char out[65], const struct sigv4_request *req, struct buf *signed_h)
{
	struct buf canon;

	buf_init(&canon);
	assert_int_equal(sigv4_canonical_request(&canon, signed_h, req), 0);
	sigv4_sha256_hex(out, canon.p, canon.len);
	buf_fini(&canon);
}

static void
vector1_get_vanilla_reproduces_every_step(void **state)
{
	static const struct sigv4_header h[] = {
	    {"Host", "example.amazonaws.com"},
	    {"X-Amz-Date", AMZDATE},
	};
	struct sigv4_request req = {"GET", "/", NULL, h, 2, NULL, 0};
	struct sigv4_cred cred = {AKID, SECRET, NULL, "us-east-1", "service"};
	struct buf canon, auth;
	uint8_t key[SIGV4_KEY_LEN];
	char hex[65], sig[65];

	buf_init(&canon);
	buf_init(&auth);
	assert_int_equal(sigv4_canonical_request(&canon, NULL, &req), 0);
	assert_string_equal(buf_cstr(&canon),
	                    "GET\n/\n\nhost:example.amazonaws.com\n"
	                    "x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
	                    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca4"
	                    "95991b7852b855");
	sigv4_sha256_hex(hex, canon.p, canon.len);
	assert_string_equal(hex, "bb579772317eb040ac9ed261061d46c1f17a8133879d"
	                         "6129b6e1c25292927e63");
	sigv4_signing_key(key, SECRET, "20150830", "us-east-1", "service");
	key_hex(hex, key);
	assert_string_equal(hex, "938127b5336810ddb6a5d6af445fcac9e371f9ed418e"
	                         "d386b022aed82901be75");
	assert_int_equal(sigv4_sign(&auth, sig, &req, &cred, AMZDATE), 0);
	assert_string_equal(sig, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260"
	                         "956d9b8aae1d763fbf31");
	assert_string_equal(
	    buf_cstr(&auth),
	    "AWS4-HMAC-SHA256 "
	    "Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
	    "aws4_request, SignedHeaders=host;x-amz-date, Signature="
	    "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
	buf_fini(&canon);
	buf_fini(&auth);
}

static void
vector2_ses_v2_raw_send_reproduces_every_step(void **state)
{
	struct sigv4_request req = {
	    "POST",  "/v2/email/outbound-emails", "", v2_headers, 3,
	    v2_body, sizeof(v2_body) - 1};
	struct sigv4_cred cred = {AKID, SECRET, NULL, "us-east-1", "ses"};
	struct buf signed_h, auth;
	uint8_t key[SIGV4_KEY_LEN];
	char hex[65], sig[65];

	buf_init(&signed_h);
	buf_init(&auth);
	sigv4_sha256_hex(hex, v2_body, sizeof(v2_body) - 1);
	assert_string_equal(hex, "f7010919b7532f024b6f2d893f2e41e3330f85e08111"
	                         "ee0a21990280914f026e");
	canon_hash(hex, &req, &signed_h);
	assert_string_equal(buf_cstr(&signed_h),
	                    "content-type;host;x-amz-date");
	assert_string_equal(hex, "7be1be63d899c3be296b98f474d9b8835ad16c544494"
	                         "b0d0af96b56a99ca8975");
	sigv4_signing_key(key, SECRET, "20150830", "us-east-1", "ses");
	key_hex(hex, key);
	assert_string_equal(hex, "014f8b93dc29e3ee7ef062512b3883d17b978ea40bcb"
	                         "697e6e861e81a8a5a60b");
	assert_int_equal(sigv4_sign(&auth, sig, &req, &cred, AMZDATE), 0);
	assert_string_equal(sig, "738856341cedd0edad8a95871ab3f012345c49733869"
	                         "b3b1f3adf93ee69d22c7");
	buf_fini(&signed_h);
	buf_fini(&auth);
}

static void
vector3_ses_v1_send_raw_email(void **state)
{
	static const struct sigv4_header h[] = {
	    {"Content-Type", "application/x-www-form-urlencoded"},
	    {"Host", "email.us-east-1.amazonaws.com"},
	    {"X-Amz-Date", AMZDATE},
	};
	struct sigv4_request req = {
	    "POST", "/", NULL, h, 3, v1_body, sizeof(v1_body) - 1};
	struct sigv4_cred cred = {AKID, SECRET, NULL, "us-east-1", "ses"};
	struct buf auth;
	char hex[65], sig[65];

	buf_init(&auth);
	sigv4_sha256_hex(hex, v1_body, sizeof(v1_body) - 1);
	assert_string_equal(hex, "98c71cc82536f8ed863193f04469bf00850c931edb28"
	                         "3053853069ea9ce6dadf");
	assert_int_equal(sigv4_sign(&auth, sig, &req, &cred, AMZDATE), 0);
	assert_string_equal(sig, "5ad6e464c71a05bfff06f77ea685f83665ded25c24a1"
	                         "9537b225971b0ee8a829");
	buf_fini(&auth);
}

static void
ses_smtp_password_matches_worked_example(void **state)
{
	char pw[SIGV4_SMTP_PASSWORD_SIZE];

	sigv4_smtp_password(pw, SECRET, "us-east-1");
	assert_string_equal(pw, "BOntiZFm/r+5s3psZ/RpsjB+aSGsj2J0rXdiLuO0cQL7");
}

static void
header_order_and_case_do_not_change_the_signature(void **state)
{
	static const struct sigv4_header h[] = {
	    {"x-amz-date", AMZDATE},
	    {"HOST", "  email.us-east-1.amazonaws.com "},
	    {"content-TYPE", "application/json"},
	};
	struct sigv4_request req = {
	    "POST",  "/v2/email/outbound-emails", NULL, h, 3,
	    v2_body, sizeof(v2_body) - 1};
	struct sigv4_cred cred = {AKID, SECRET, NULL, "us-east-1", "ses"};
	struct buf auth;
	char sig[65];

	buf_init(&auth);
	assert_int_equal(sigv4_sign(&auth, sig, &req, &cred, AMZDATE), 0);
	assert_string_equal(sig, "738856341cedd0edad8a95871ab3f012345c49733869"
	                         "b3b1f3adf93ee69d22c7");
	buf_fini(&auth);
}

static void
header_values_are_trimmed_collapsed_and_repeats_joined(void **state)
{
	static const struct sigv4_header h[] = {
	    {"My-Header1", "  a   b   c  "},
	    {"Host", "h"},
	    {"my-header1", "\"a   b\""},
	};
	struct sigv4_request req = {"GET", "/", NULL, h, 3, NULL, 0};
	struct buf canon, signed_h;

	buf_init(&canon);
	buf_init(&signed_h);
	assert_int_equal(sigv4_canonical_request(&canon, &signed_h, &req), 0);
	assert_non_null(
	    strstr(buf_cstr(&canon), "\nhost:h\nmy-header1:a b c,\"a b\"\n\n"));
	assert_string_equal(buf_cstr(&signed_h), "host;my-header1");
	buf_fini(&canon);
	buf_fini(&signed_h);
}

static void
bad_header_name_is_refused(void **state)
{
	static const struct sigv4_header h[] = {{"Bad Name", "x"}};
	struct sigv4_request req = {"GET", "/", NULL, h, 1, NULL, 0};
	struct buf canon;

	buf_init(&canon);
	assert_int_equal(sigv4_canonical_request(&canon, NULL, &req), -1);
	buf_fini(&canon);
}

struct enc_case {
	const char *in;
	const char *out;
};

static void
uri_path_is_normalized_and_encoded_for_non_s3(void **state)
{
	static const struct enc_case cases[] = {
	    {"", "/"},
	    {"/", "/"},
	    {"//example//", "/example/"},
	    {"/example/..", "/"},
	    {"/example/../..", "/"},
	    {"/./a/./b", "/a/b"},
	    {"/a/b/../c/", "/a/c/"},
	    {"/example space/", "/example%20space/"},
	    {"/a%20b", "/a%2520b"}, /* wire escapes are encoded again */
	    {"/-._~ABCxyz019", "/-._~ABCxyz019"},
	    {"/\xe1\x88\xb4", "/%E1%88%B4"},
	    {"/v2/email/outbound-emails", "/v2/email/outbound-emails"},
	};
	struct buf b;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_init(&b);
		sigv4_uri_path_append(&b, cases[i].in);
		assert_string_equal(buf_cstr(&b), cases[i].out);
		buf_fini(&b);
	}
}

static void
query_is_decoded_reencoded_and_sorted(void **state)
{
	static const struct enc_case cases[] = {
	    {"", ""},
	    {"Param2=value2&Param1=value1", "Param1=value1&Param2=value2"},
	    {"Param1=value2&Param1=Value1", "Param1=Value1&Param1=value2"},
	    {"a=b c", "a=b%20c"},
	    {"a=b%2fc", "a=b%2Fc"},
	    {"a=%7E%41", "a=~A"},
	    {"a=1+2", "a=1%2B2"},
	    {"flag", "flag="},
	    {"&&b=2&&a=", "a=&b=2"},
	    {"x=%zz%", "x=%25zz%25"},
	    {"-._~=\xc3\xa9", "-._~=%C3%A9"},
	};
	struct buf b;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_init(&b);
		sigv4_query_append(&b, cases[i].in);
		assert_string_equal(buf_cstr(&b), cases[i].out);
		buf_fini(&b);
	}
}

static void
amzdate_round_trips_and_rejects_bad_forms(void **state)
{
	char s[SIGV4_AMZDATE_LEN + 1];
	time_t t;

	sigv4_amzdate_format(s, T0);
	assert_string_equal(s, AMZDATE);
	assert_int_equal(sigv4_amzdate_parse(s, strlen(s), &t), 0);
	assert_int_equal((long long)t, (long long)T0);
	assert_int_equal(sigv4_amzdate_parse("20150830T123600", 15, &t), -1);
	assert_int_equal(sigv4_amzdate_parse("20151330T123600Z", 16, &t), -1);
	assert_int_equal(sigv4_amzdate_parse("20150830 123600Z", 16, &t), -1);
	assert_int_equal(sigv4_amzdate_parse("2015083OT123600Z", 16, &t), -1);
	assert_int_equal(sigv4_amzdate_parse("20150830T246000Z", 16, &t), -1);
}

struct parse_case {
	const char *name;
	const char *in;
	int rc;
};

static void
auth_parse_table(void **state)
{
	static const struct parse_case cases[] = {
	    {"sdk form",
	     "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/ses/"
	     "aws4_request, SignedHeaders=host;x-amz-date, Signature="
	     "738856341cedd0edad8a95871ab3f012345c49733869b3b1f3adf93ee69d22c7",
	     0},
	    {"no spaces, other order",
	     "AWS4-HMAC-SHA256 Signature="
	     "738856341cedd0edad8a95871ab3f012345c49733869b3b1f3adf93ee69d22c7,"
	     "SignedHeaders=host,Credential=A/20150830/r/s/aws4_request",
	     0},
	    {"wrong algorithm",
	     "AWS4-HMAC-SHA1 Credential=A/20150830/r/s/"
	     "aws4_request, SignedHeaders=host, Signature=00",
	     -1},
	    {"empty", "", -1},
	    {"missing signature",
	     "AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, "
	     "SignedHeaders=host",
	     -1},
	    {"short signature",
	     "AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, "
	     "SignedHeaders=host, Signature=abcd",
	     -1},
	    {"uppercase hex signature",
	     "AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, "
	     "SignedHeaders=host, Signature="
	     "738856341CEDD0EDAD8A95871AB3F012345C49733869B3B1F3ADF93EE69D22C7",
	     -1},
	    {"credential with four parts",
	     "AWS4-HMAC-SHA256 Credential=A/20150830/r/aws4_request, "
	     "SignedHeaders=host, Signature="
	     "738856341cedd0edad8a95871ab3f012345c49733869b3b1f3adf93ee69d22c7",
	     -1},
	    {"credential bad terminator",
	     "AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws5_request, "
	     "SignedHeaders=host, Signature="
	     "738856341cedd0edad8a95871ab3f012345c49733869b3b1f3adf93ee69d22c7",
	     -1},
	    {"unsorted signed headers",
	     "AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, "
	     "SignedHeaders=x-amz-date;host, Signature="
	     "738856341cedd0edad8a95871ab3f012345c49733869b3b1f3adf93ee69d22c7",
	     -1},
	    {"uppercase signed header",
	     "AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, "
	     "SignedHeaders=Host, Signature="
	     "738856341cedd0edad8a95871ab3f012345c49733869b3b1f3adf93ee69d22c7",
	     -1},
	    {"repeated part",
	     "AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, "
	     "Credential=A/20150830/r/s/aws4_request, SignedHeaders=host, "
	     "Signature="
	     "738856341cedd0edad8a95871ab3f012345c49733869b3b1f3adf93ee69d22c7",
	     -1},
	    {"empty signed name",
	     "AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, "
	     "SignedHeaders=host;;x, Signature="
	     "738856341cedd0edad8a95871ab3f012345c49733869b3b1f3adf93ee69d22c7",
	     -1},
	};
	struct sigv4_auth a;
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why = NULL;
		if (sigv4_auth_parse(&a, cases[i].in, strlen(cases[i].in),
		                     &why) != cases[i].rc)
			fail_msg("case '%s': wrong rc (%s)", cases[i].name,
			         why ? why : "");
		if (cases[i].rc < 0)
			assert_non_null(why);
	}
	assert_int_equal(
	    sigv4_auth_parse(&a, cases[0].in, strlen(cases[0].in), NULL), 0);
	assert_true(str_eq_nocase(a.akid, "AKID") && a.akid.len == 4);
	assert_int_equal(a.n_signed, 2);
	assert_int_equal(a.names[1].len, 10);
	assert_memory_equal(a.region.p, "us-east-1", 9);
	assert_memory_equal(a.service.p, "ses", 3);
}

/* verify_v2 - sign vector 2, then verify it with the given changes. */
static enum sigv4_verdict
verify_v2(time_t now, const char *region, const char *body, const char *secret,
          const char *host)
{
	struct sigv4_header recv[4] = {
	    {"Content-Type", "application/json"},
	    {"Host", host},
	    {"X-Amz-Date", AMZDATE},
	    {"User-Agent", "aws-sdk-js/3"},
	};
	struct sigv4_request req = {
	    "POST",  "/v2/email/outbound-emails", NULL, v2_headers, 3,
	    v2_body, sizeof(v2_body) - 1};
	struct sigv4_cred cred = {AKID, SECRET, NULL, "us-east-1", "ses"};
	struct sigv4_auth a;
	struct buf auth;
	enum sigv4_verdict v;

	buf_init(&auth);
	assert_int_equal(sigv4_sign(&auth, NULL, &req, &cred, AMZDATE), 0);
	assert_int_equal(sigv4_auth_parse(&a, auth.p, auth.len, NULL), 0);
	req.headers = recv;
	req.n_headers = 4;
	req.body = body;
	req.body_len = strlen(body);
	v = sigv4_request_verify(&req, &a, secret, region, "ses", now,
	                         SIGV4_DEFAULT_SKEW_S, NULL);
	buf_fini(&auth);
	return v;
}

static void
verify_accepts_what_sign_produced(void **state)
{
	const char *h = "email.us-east-1.amazonaws.com";

	assert_int_equal(verify_v2(T0, "us-east-1", v2_body, SECRET, h),
	                 SIGV4_OK);
	assert_int_equal(verify_v2(T0 + 299, "us-east-1", v2_body, SECRET, h),
	                 SIGV4_OK);
	assert_int_equal(verify_v2(T0 - 299, "us-east-1", v2_body, SECRET, h),
	                 SIGV4_OK);
}

static void
verify_rejects_stale_or_future_date(void **state)
{
	const char *h = "email.us-east-1.amazonaws.com";

	assert_int_equal(verify_v2(T0 + 301, "us-east-1", v2_body, SECRET, h),
	                 SIGV4_SKEWED);
	assert_int_equal(verify_v2(T0 - 301, "us-east-1", v2_body, SECRET, h),
	                 SIGV4_SKEWED);
}

static void
verify_rejects_tampering_wrong_secret_and_scope(void **state)
{
	const char *h = "email.us-east-1.amazonaws.com";

	assert_int_equal(verify_v2(T0, "us-east-1", "{}", SECRET, h),
	                 SIGV4_MISMATCH);
	assert_int_equal(verify_v2(T0, "us-east-1", v2_body, "other", h),
	                 SIGV4_MISMATCH);
	assert_int_equal(
	    verify_v2(T0, "us-east-1", v2_body, SECRET, "evil.example"),
	    SIGV4_MISMATCH);
	assert_int_equal(verify_v2(T0, "eu-west-1", v2_body, SECRET, h),
	                 SIGV4_SCOPE);
}

static void
verify_needs_signed_host_and_date_present(void **state)
{
	static const struct sigv4_header recv[] = {
	    {"Host", "h"},
	};
	static const char auth[] =
	    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/ses/"
	    "aws4_request, SignedHeaders=host;x-amz-date, Signature="
	    "738856341cedd0edad8a95871ab3f012345c49733869b3b1f3adf93ee69d22c7";
	static const char auth_nohost[] =
	    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/ses/"
	    "aws4_request, SignedHeaders=x-amz-date, Signature="
	    "738856341cedd0edad8a95871ab3f012345c49733869b3b1f3adf93ee69d22c7";
	static const struct sigv4_header recv2[] = {
	    {"Host", "h"},
	    {"X-Amz-Date", "20150831T123600Z"},
	};
	struct sigv4_request req = {"POST", "/", NULL, recv, 1, "", 0};
	struct sigv4_auth a;
	const char *why = NULL;

	assert_int_equal(sigv4_auth_parse(&a, auth, strlen(auth), NULL), 0);
	assert_int_equal(sigv4_request_verify(&req, &a, SECRET, "us-east-1",
	                                      "ses", T0, 300, &why),
	                 SIGV4_MALFORMED);
	assert_non_null(why);
	req.headers = recv2;
	req.n_headers = 2;
	/* date a day after the credential scope date */
	assert_int_equal(sigv4_request_verify(&req, &a, SECRET, "us-east-1",
	                                      "ses", T0 + 86400, 300, NULL),
	                 SIGV4_SCOPE);
	assert_int_equal(
	    sigv4_auth_parse(&a, auth_nohost, strlen(auth_nohost), NULL), 0);
	assert_int_equal(sigv4_request_verify(&req, &a, SECRET, "us-east-1",
	                                      "ses", T0, 300, NULL),
	                 SIGV4_MALFORMED);
}

static void
session_token_must_be_among_the_signed_headers(void **state)
{
	static const struct sigv4_header without[] = {
	    {"Host", "email.us-east-1.amazonaws.com"},
	    {"X-Amz-Date", AMZDATE},
	};
	static const struct sigv4_header with[] = {
	    {"Host", "email.us-east-1.amazonaws.com"},
	    {"X-Amz-Date", AMZDATE},
	    {"X-Amz-Security-Token", "TOKEN"},
	};
	struct sigv4_request req = {"POST", "/", NULL, without, 2, NULL, 0};
	struct sigv4_cred cred = {AKID, SECRET, "TOKEN", "us-east-1", "ses"};
	struct buf auth;

	buf_init(&auth);
	assert_int_equal(sigv4_sign(&auth, NULL, &req, &cred, AMZDATE), -1);
	req.headers = with;
	req.n_headers = 3;
	assert_int_equal(sigv4_sign(&auth, NULL, &req, &cred, AMZDATE), 0);
	assert_non_null(strstr(buf_cstr(&auth), "SignedHeaders=host;x-amz-date;"
	                                        "x-amz-security-token,"));
	buf_fini(&auth);
}

static void
verify_round_trips_query_and_escaped_path(void **state)
{
	static const struct sigv4_header h[] = {
	    {"Host", "email.us-east-1.amazonaws.com"},
	    {"X-Amz-Date", AMZDATE},
	    {"Amz-Sdk-Invocation-Id", "  abc   def "},
	};
	struct sigv4_request req = {
	    "GET", "/v2/email/identities/a%40b.com", "b=2&a=%41&c", h, 3, NULL,
	    0};
	struct sigv4_cred cred = {AKID, SECRET, NULL, "us-east-1", "ses"};
	struct sigv4_auth a;
	struct buf auth;

	buf_init(&auth);
	assert_int_equal(sigv4_sign(&auth, NULL, &req, &cred, AMZDATE), 0);
	assert_int_equal(sigv4_auth_parse(&a, auth.p, auth.len, NULL), 0);
	assert_int_equal(a.n_signed, 3);
	assert_int_equal(sigv4_request_verify(&req, &a, SECRET, "us-east-1",
	                                      "ses", T0, 300, NULL),
	                 SIGV4_OK);
	req.query = "a=A&b=2&c="; /* same canonical query */
	assert_int_equal(sigv4_request_verify(&req, &a, SECRET, "us-east-1",
	                                      "ses", T0, 300, NULL),
	                 SIGV4_OK);
	req.query = "a=A&b=3&c=";
	assert_int_equal(sigv4_request_verify(&req, &a, SECRET, "us-east-1",
	                                      "ses", T0, 300, NULL),
	                 SIGV4_MISMATCH);
	req.query = "a=A&b=2&c=";
	req.method = "DELETE";
	assert_int_equal(sigv4_request_verify(&req, &a, SECRET, "us-east-1",
	                                      "ses", T0, 300, NULL),
	                 SIGV4_MISMATCH);
	req.method = "GET";
	req.path = "/v2/email/identities/a@b.com";
	assert_int_equal(sigv4_request_verify(&req, &a, SECRET, "us-east-1",
	                                      "ses", T0, 300, NULL),
	                 SIGV4_MISMATCH);
	buf_fini(&auth);
}

static void
verify_checks_content_sha256_header_against_body(void **state)
{
	struct sigv4_header h[] = {
	    {"Content-Type", "application/json"},
	    {"Host", "email.us-east-1.amazonaws.com"},
	    {"X-Amz-Date", AMZDATE},
	    {"X-Amz-Content-Sha256", "f7010919b7532f024b6f2d893f2e41e3330f85e0"
	                             "8111ee0a21990280914f026e"},
	};
	struct sigv4_request req = {
	    "POST",  "/v2/email/outbound-emails", NULL, h, 4,
	    v2_body, sizeof(v2_body) - 1};
	struct sigv4_cred cred = {AKID, SECRET, NULL, "us-east-1", "ses"};
	struct sigv4_auth a;
	struct buf auth;

	buf_init(&auth);
	assert_int_equal(sigv4_sign(&auth, NULL, &req, &cred, AMZDATE), 0);
	assert_int_equal(sigv4_auth_parse(&a, auth.p, auth.len, NULL), 0);
	assert_int_equal(sigv4_request_verify(&req, &a, SECRET, "us-east-1",
	                                      "ses", T0, 300, NULL),
	                 SIGV4_OK);
	h[3].value = "UNSIGNED-PAYLOAD";
	assert_int_equal(sigv4_request_verify(&req, &a, SECRET, "us-east-1",
	                                      "ses", T0, 300, NULL),
	                 SIGV4_MISMATCH);
	buf_fini(&auth);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(vector1_get_vanilla_reproduces_every_step),
	    cmocka_unit_test(vector2_ses_v2_raw_send_reproduces_every_step),
	    cmocka_unit_test(vector3_ses_v1_send_raw_email),
	    cmocka_unit_test(ses_smtp_password_matches_worked_example),
	    cmocka_unit_test(header_order_and_case_do_not_change_the_signature),
	    cmocka_unit_test(
	        header_values_are_trimmed_collapsed_and_repeats_joined),
	    cmocka_unit_test(bad_header_name_is_refused),
	    cmocka_unit_test(uri_path_is_normalized_and_encoded_for_non_s3),
	    cmocka_unit_test(query_is_decoded_reencoded_and_sorted),
	    cmocka_unit_test(amzdate_round_trips_and_rejects_bad_forms),
	    cmocka_unit_test(auth_parse_table),
	    cmocka_unit_test(verify_accepts_what_sign_produced),
	    cmocka_unit_test(verify_rejects_stale_or_future_date),
	    cmocka_unit_test(verify_rejects_tampering_wrong_secret_and_scope),
	    cmocka_unit_test(verify_needs_signed_host_and_date_present),
	    cmocka_unit_test(session_token_must_be_among_the_signed_headers),
	    cmocka_unit_test(verify_round_trips_query_and_escaped_path),
	    cmocka_unit_test(verify_checks_content_sha256_header_against_body),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
