/*
 * test_policy.c - what an HTTP provider's answer, a transport failure, a
 * local refusal and a probe finding mean (send/policy.h).
 *
 * Each HTTP case runs as one named test; the last test checks that every
 * row of the table in send/policy_http.c decided at least one case, so a
 * row added without a case fails here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "send/fact.h"
#include "send/policy.h"
#include "send/policy_int.h"
#include "send/result.h"

#define NOW 1440938160 /* 2015-08-30T12:36:00Z */

/* One answer and what it must mean. */
struct http_case {
	const char *name; /* the behaviour, as the test's name */
	enum send_provider provider;
	int status;
	const char *code;    /* provider error code or name, or NULL */
	const char *message; /* provider message, or NULL */
	enum send_class want;
	bool quota;
	int64_t retry_ms;        /* throttled: the back-off; 0: not checked */
	const char *retry_after; /* Retry-After, or NULL */
	const char *rate_reset;  /* rate-limit reset header, or NULL */
};

#define P(x) SEND_PROVIDER_##x
#define C(x) SEND_##x

static const struct http_case http_cases[] = {
    /* Amazon SES, docs/providers.md sections 2 and 3. */
    {"SES 200 is accepted", P(SES), 200, NULL, NULL, C(ACCEPTED), false, 0,
     NULL, NULL},
    {"SES MessageRejected not verified is config", P(SES), 400,
     "MessageRejected", "Email address is not verified. The following",
     C(CONFIG), false, 0, NULL, NULL},
    {"SES MessageRejected for content is rejected", P(SES), 400,
     "MessageRejected", "Message contains a virus", C(REJECTED), false, 0, NULL,
     NULL},
    {"SES Throttling daily quota is a quota", P(SES), 400, "Throttling",
     "Daily message quota exceeded.", C(THROTTLED), true, 600000, NULL, NULL},
    {"SES ThrottlingException quota is a quota", P(SES), 400,
     "ThrottlingException", "Sending quota exceeded", C(THROTTLED), true,
     600000, NULL, NULL},
    {"SES Throttling rate backs off 1 s", P(SES), 400, "Throttling",
     "Maximum sending rate exceeded.", C(THROTTLED), false, 1000, "60", NULL},
    {"SES MailFromDomainNotVerifiedException is config", P(SES), 400,
     "MailFromDomainNotVerifiedException", NULL, C(CONFIG), false, 0, NULL,
     NULL},
    {"SES AccountSuspendedException is config", P(SES), 400,
     "AccountSuspendedException", NULL, C(CONFIG), false, 0, NULL, NULL},
    {"SES SendingPausedException is config", P(SES), 400,
     "SendingPausedException", NULL, C(CONFIG), false, 0, NULL, NULL},
    {"SES AccountSendingPausedException is config", P(SES), 400,
     "AccountSendingPausedException", NULL, C(CONFIG), false, 0, NULL, NULL},
    {"SES ConfigurationSetSendingPaused is config", P(SES), 400,
     "ConfigurationSetSendingPaused", NULL, C(CONFIG), false, 0, NULL, NULL},
    {"SES ConfigurationSetDoesNotExist is config", P(SES), 400,
     "ConfigurationSetDoesNotExist", NULL, C(CONFIG), false, 0, NULL, NULL},
    {"SES NotFoundException is config", P(SES), 404, "NotFoundException", NULL,
     C(CONFIG), false, 0, NULL, NULL},
    {"SES BadRequestException is rejected", P(SES), 400, "BadRequestException",
     NULL, C(REJECTED), false, 0, NULL, NULL},
    {"SES LimitExceededException is rejected", P(SES), 400,
     "LimitExceededException", NULL, C(REJECTED), false, 0, NULL, NULL},
    {"SES InvalidParameterValue is rejected", P(SES), 400,
     "InvalidParameterValue", NULL, C(REJECTED), false, 0, NULL, NULL},
    {"SES MissingParameter is rejected", P(SES), 400, "MissingParameter", NULL,
     C(REJECTED), false, 0, NULL, NULL},
    {"SES ValidationError is rejected", P(SES), 400, "ValidationError", NULL,
     C(REJECTED), false, 0, NULL, NULL},
    {"SES TooManyRequestsException reads Retry-After", P(SES), 429,
     "TooManyRequestsException", NULL, C(THROTTLED), false, 7000, "7", NULL},
    {"SES AccessDeniedException is config", P(SES), 403,
     "AccessDeniedException", NULL, C(CONFIG), false, 0, NULL, NULL},
    {"SES InvalidClientTokenId is config", P(SES), 403, "InvalidClientTokenId",
     NULL, C(CONFIG), false, 0, NULL, NULL},
    {"SES SignatureDoesNotMatch is config", P(SES), 403,
     "SignatureDoesNotMatch", "Signature expired", C(CONFIG), false, 0, NULL,
     NULL},
    {"SES IncompleteSignature is config", P(SES), 400, "IncompleteSignature",
     NULL, C(CONFIG), false, 0, NULL, NULL},
    {"SES UnrecognizedClientException is config", P(SES), 403,
     "UnrecognizedClientException", NULL, C(CONFIG), false, 0, NULL, NULL},
    {"SES ExpiredToken is config", P(SES), 400, "ExpiredToken", NULL, C(CONFIG),
     false, 0, NULL, NULL},
    {"SES MissingAuthenticationToken is config", P(SES), 403,
     "MissingAuthenticationToken", NULL, C(CONFIG), false, 0, NULL, NULL},
    {"SES OptInRequired is config", P(SES), 403, "OptInRequired", NULL,
     C(CONFIG), false, 0, NULL, NULL},
    {"SES InvalidSignatureException is config", P(SES), 400,
     "InvalidSignatureException", NULL, C(CONFIG), false, 0, NULL, NULL},
    {"SES RequestExpired is config", P(SES), 400, "RequestExpired", NULL,
     C(CONFIG), false, 0, NULL, NULL},
    {"SES InternalServiceErrorException is deferred", P(SES), 500,
     "InternalServiceErrorException", NULL, C(DEFERRED), false, 0, NULL, NULL},
    {"SES InternalFailure is deferred", P(SES), 500, "InternalFailure", NULL,
     C(DEFERRED), false, 0, NULL, NULL},
    {"SES ServiceUnavailable is deferred", P(SES), 503, "ServiceUnavailable",
     NULL, C(DEFERRED), false, 0, NULL, NULL},
    {"SES code with another suffix is not that code", P(SES), 400,
     "ThrottlingFoo", NULL, C(REJECTED), false, 0, NULL, NULL},
    {"SES unknown code keeps the status's meaning", P(SES), 503,
     "NewFangledException", NULL, C(DEFERRED), false, 0, NULL, NULL},

    /* SendGrid, section 5. */
    {"SendGrid 202 is accepted", P(SENDGRID), 202, NULL, NULL, C(ACCEPTED),
     false, 0, NULL, NULL},
    {"SendGrid 400 is rejected", P(SENDGRID), 400, "personalizations",
     "bad address", C(REJECTED), false, 0, NULL, NULL},
    {"SendGrid 413 is rejected", P(SENDGRID), 413, "413", NULL, C(REJECTED),
     false, 0, NULL, NULL},
    {"SendGrid 401 is config", P(SENDGRID), 401, "401", NULL, C(CONFIG), false,
     0, NULL, NULL},
    {"SendGrid 403 is config", P(SENDGRID), 403, "from",
     "The from address does not match a verified Sender Identity", C(CONFIG),
     false, 0, NULL, NULL},
    {"SendGrid 451 wrong region is config", P(SENDGRID), 451, "451", NULL,
     C(CONFIG), false, 0, NULL, NULL},
    {"SendGrid 429 waits until X-RateLimit-Reset", P(SENDGRID), 429, "429",
     NULL, C(THROTTLED), false, 30000, NULL, "1440938190"},
    {"SendGrid 429 prefers Retry-After", P(SENDGRID), 429, "429", NULL,
     C(THROTTLED), false, 5000, "5", "1440938190"},
    {"SendGrid 429 with a past reset waits 1 s", P(SENDGRID), 429, "429", NULL,
     C(THROTTLED), false, 1000, NULL, "1440938000"},
    {"SendGrid 429 without headers waits 1 s", P(SENDGRID), 429, "429", NULL,
     C(THROTTLED), false, 1000, NULL, NULL},

    /* Mailgun, section 6. */
    {"Mailgun 200 is accepted", P(MAILGUN), 200, NULL, NULL, C(ACCEPTED), false,
     0, NULL, NULL},
    {"Mailgun 403 is config", P(MAILGUN), 403, "403", "Forbidden", C(CONFIG),
     false, 0, NULL, NULL},
    {"Mailgun 400 sandbox is config", P(MAILGUN), 400, "400",
     "Sandbox subdomains are for test purposes only", C(CONFIG), false, 0, NULL,
     NULL},
    {"Mailgun 400 authorized recipients is config", P(MAILGUN), 400, "400",
     "x is not an Authorized Recipient", C(CONFIG), false, 0, NULL, NULL},
    {"Mailgun 400 not allowed is config", P(MAILGUN), 400, "400",
     "Domain not allowed", C(CONFIG), false, 0, NULL, NULL},
    {"Mailgun 400 not verified is config", P(MAILGUN), 400, "400",
     "Domain is not verified", C(CONFIG), false, 0, NULL, NULL},
    {"Mailgun 400 free accounts is config", P(MAILGUN), 400, "400",
     "Free accounts are for test purposes only", C(CONFIG), false, 0, NULL,
     NULL},
    {"Mailgun 400 bad address is rejected", P(MAILGUN), 400, "400",
     "'to' parameter is not a valid address", C(REJECTED), false, 0, NULL,
     NULL},
    {"Mailgun 401 is config", P(MAILGUN), 401, "401", "Forbidden", C(CONFIG),
     false, 0, NULL, NULL},
    {"Mailgun 404 unknown domain is config", P(MAILGUN), 404, "404",
     "Domain not found", C(CONFIG), false, 0, NULL, NULL},
    {"Mailgun 413 is rejected", P(MAILGUN), 413, "413", NULL, C(REJECTED),
     false, 0, NULL, NULL},
    {"Mailgun 429 reads Retry-After", P(MAILGUN), 429, "429", NULL,
     C(THROTTLED), false, 3000, "3", NULL},

    /* Postmark, section 7. */
    {"Postmark 429 is throttled", P(POSTMARK), 429, NULL, NULL, C(THROTTLED),
     false, 1000, NULL, NULL},
    {"Postmark 500 is deferred whatever the code", P(POSTMARK), 500, "406",
     NULL, C(DEFERRED), false, 0, NULL, NULL},
    {"Postmark ErrorCode 10 is config", P(POSTMARK), 401, "10",
     "No Account or Server API tokens were supplied", C(CONFIG), false, 0, NULL,
     NULL},
    {"Postmark ErrorCode 100 maintenance is deferred", P(POSTMARK), 422, "100",
     "Maintenance", C(DEFERRED), false, 0, NULL, NULL},
    {"Postmark 300 sender signature is config", P(POSTMARK), 422, "300",
     "The 'From' address is not a Sender Signature", C(CONFIG), false, 0, NULL,
     NULL},
    {"Postmark 300 not verified is config", P(POSTMARK), 422, "300",
     "From address not verified", C(CONFIG), false, 0, NULL, NULL},
    {"Postmark 300 not confirmed is config", P(POSTMARK), 422, "300",
     "Sender is not confirmed", C(CONFIG), false, 0, NULL, NULL},
    {"Postmark 300 bad request is rejected", P(POSTMARK), 422, "300",
     "Invalid 'To' address", C(REJECTED), false, 0, NULL, NULL},
    {"Postmark ErrorCode 400 is config", P(POSTMARK), 422, "400", NULL,
     C(CONFIG), false, 0, NULL, NULL},
    {"Postmark ErrorCode 401 is config", P(POSTMARK), 422, "401", NULL,
     C(CONFIG), false, 0, NULL, NULL},
    {"Postmark ErrorCode 402 is rejected", P(POSTMARK), 422, "402", NULL,
     C(REJECTED), false, 0, NULL, NULL},
    {"Postmark ErrorCode 403 is rejected", P(POSTMARK), 422, "403", NULL,
     C(REJECTED), false, 0, NULL, NULL},
    {"Postmark ErrorCode 405 is config", P(POSTMARK), 422, "405", NULL,
     C(CONFIG), false, 0, NULL, NULL},
    {"Postmark ErrorCode 406 inactive recipient is rejected", P(POSTMARK), 422,
     "406", NULL, C(REJECTED), false, 0, NULL, NULL},
    {"Postmark ErrorCode 409 is rejected", P(POSTMARK), 422, "409", NULL,
     C(REJECTED), false, 0, NULL, NULL},
    {"Postmark ErrorCode 410 is rejected", P(POSTMARK), 422, "410", NULL,
     C(REJECTED), false, 0, NULL, NULL},
    {"Postmark ErrorCode 411 is rejected", P(POSTMARK), 422, "411", NULL,
     C(REJECTED), false, 0, NULL, NULL},
    {"Postmark ErrorCode 412 is config", P(POSTMARK), 422, "412", NULL,
     C(CONFIG), false, 0, NULL, NULL},
    {"Postmark ErrorCode 413 is config", P(POSTMARK), 422, "413", NULL,
     C(CONFIG), false, 0, NULL, NULL},
    {"Postmark unknown ErrorCode is rejected", P(POSTMARK), 422, "999", NULL,
     C(REJECTED), false, 0, NULL, NULL},
    {"Postmark 200 with ErrorCode 0 is accepted", P(POSTMARK), 200, "0", NULL,
     C(ACCEPTED), false, 0, NULL, NULL},
    {"Postmark 200 with ErrorCode 406 is rejected", P(POSTMARK), 200, "406",
     NULL, C(REJECTED), false, 0, NULL, NULL},
    {"Postmark 404 without ErrorCode is rejected", P(POSTMARK), 404, NULL, NULL,
     C(REJECTED), false, 0, NULL, NULL},

    /* Resend, section 8. */
    {"Resend 200 is accepted", P(RESEND), 200, NULL, NULL, C(ACCEPTED), false,
     0, NULL, NULL},
    {"Resend validation_error 403 is config", P(RESEND), 403,
     "validation_error", "You can only send to yourself", C(CONFIG), false, 0,
     NULL, NULL},
    {"Resend validation_error domain not verified is config", P(RESEND), 422,
     "validation_error", "The example.com domain is not verified", C(CONFIG),
     false, 0, NULL, NULL},
    {"Resend validation_error testing emails is config", P(RESEND), 422,
     "validation_error", "You can only send testing emails", C(CONFIG), false,
     0, NULL, NULL},
    {"Resend validation_error own email address is config", P(RESEND), 422,
     "validation_error", "Send only to your own email address", C(CONFIG),
     false, 0, NULL, NULL},
    {"Resend validation_error is rejected", P(RESEND), 422, "validation_error",
     "Invalid `to` field", C(REJECTED), false, 0, NULL, NULL},
    {"Resend invalid_from_address unverified is config", P(RESEND), 422,
     "invalid_from_address", "Domain not verified", C(CONFIG), false, 0, NULL,
     NULL},
    {"Resend invalid_from_address testing emails is config", P(RESEND), 422,
     "invalid_from_address", "only testing emails", C(CONFIG), false, 0, NULL,
     NULL},
    {"Resend invalid_from_address own email address is config", P(RESEND), 422,
     "invalid_from_address", "to your own email address", C(CONFIG), false, 0,
     NULL, NULL},
    {"Resend invalid_from_address is rejected", P(RESEND), 422,
     "invalid_from_address", "Invalid `from` field", C(REJECTED), false, 0,
     NULL, NULL},
    {"Resend invalid_idempotency_key is rejected", P(RESEND), 400,
     "invalid_idempotency_key", NULL, C(REJECTED), false, 0, NULL, NULL},
    {"Resend missing_api_key is config", P(RESEND), 401, "missing_api_key",
     NULL, C(CONFIG), false, 0, NULL, NULL},
    {"Resend restricted_api_key is config", P(RESEND), 401,
     "restricted_api_key", NULL, C(CONFIG), false, 0, NULL, NULL},
    {"Resend invalid_api_key is config", P(RESEND), 403, "invalid_api_key",
     NULL, C(CONFIG), false, 0, NULL, NULL},
    {"Resend invalid_api_Key (old spelling) is config", P(RESEND), 403,
     "invalid_api_Key", NULL, C(CONFIG), false, 0, NULL, NULL},
    {"Resend not_found is rejected", P(RESEND), 404, "not_found", NULL,
     C(REJECTED), false, 0, NULL, NULL},
    {"Resend method_not_allowed is rejected", P(RESEND), 405,
     "method_not_allowed", NULL, C(REJECTED), false, 0, NULL, NULL},
    {"Resend invalid_idempotent_request is rejected", P(RESEND), 409,
     "invalid_idempotent_request", NULL, C(REJECTED), false, 0, NULL, NULL},
    {"Resend concurrent_idempotent_requests is unknown", P(RESEND), 409,
     "concurrent_idempotent_requests", NULL, C(UNKNOWN), false, 0, NULL, NULL},
    {"Resend missing_required_field is rejected", P(RESEND), 422,
     "missing_required_field", NULL, C(REJECTED), false, 0, NULL, NULL},
    {"Resend invalid_parameter is rejected", P(RESEND), 422,
     "invalid_parameter", NULL, C(REJECTED), false, 0, NULL, NULL},
    {"Resend invalid_access is rejected", P(RESEND), 422, "invalid_access",
     NULL, C(REJECTED), false, 0, NULL, NULL},
    {"Resend invalid_region is rejected", P(RESEND), 422, "invalid_region",
     NULL, C(REJECTED), false, 0, NULL, NULL},
    {"Resend invalid_attachment is rejected", P(RESEND), 422,
     "invalid_attachment", NULL, C(REJECTED), false, 0, NULL, NULL},
    {"Resend rate_limit_exceeded reads ratelimit-reset", P(RESEND), 429,
     "rate_limit_exceeded", NULL, C(THROTTLED), false, 2000, NULL, "2"},
    {"Resend rate_limit_exceeded prefers Retry-After", P(RESEND), 429,
     "rate_limit_exceeded", NULL, C(THROTTLED), false, 4000, "4", "9"},
    {"Resend daily_quota_exceeded is a quota", P(RESEND), 429,
     "daily_quota_exceeded", NULL, C(THROTTLED), true, 3600000, NULL, NULL},
    {"Resend monthly_quota_exceeded is a quota", P(RESEND), 429,
     "monthly_quota_exceeded", NULL, C(THROTTLED), true, 3600000, NULL, NULL},
    {"Resend an unknown quota name is a quota", P(RESEND), 429,
     "weekly_quota_exceeded", NULL, C(THROTTLED), true, 3600000, NULL, NULL},
    {"Resend security_error is config", P(RESEND), 451, "security_error", NULL,
     C(CONFIG), false, 0, NULL, NULL},
    {"Resend application_error is deferred", P(RESEND), 500,
     "application_error", NULL, C(DEFERRED), false, 0, NULL, NULL},
    {"Resend internal_server_error is deferred", P(RESEND), 500,
     "internal_server_error", NULL, C(DEFERRED), false, 0, NULL, NULL},

    /* Any provider: the default meaning of a status. */
    {"default 2xx is accepted", P(POSTMARK), 201, NULL, NULL, C(ACCEPTED),
     false, 0, NULL, NULL},
    {"default 429 reads Retry-After", P(SES), 429, NULL, NULL, C(THROTTLED),
     false, 7000, "7", NULL},
    {"default 401 is config", P(SES), 401, NULL, NULL, C(CONFIG), false, 0,
     NULL, NULL},
    {"default 403 is config", P(POSTMARK), 403, NULL, NULL, C(CONFIG), false, 0,
     NULL, NULL},
    {"default redirect is config", P(SENDGRID), 302, "302", NULL, C(CONFIG),
     false, 0, NULL, NULL},
    {"default 408 is deferred", P(MAILGUN), 408, "408", NULL, C(DEFERRED),
     false, 0, NULL, NULL},
    {"default 5xx is deferred", P(SENDGRID), 502, "502", NULL, C(DEFERRED),
     false, 0, NULL, NULL},
    {"default below 200 is deferred", P(RESEND), 199, NULL, NULL, C(DEFERRED),
     false, 0, NULL, NULL},
    {"default other 4xx is rejected", P(SES), 422, NULL, NULL, C(REJECTED),
     false, 0, NULL, NULL},
};

/* Which rows decided some case. */
static bool http_rows_hit[512];

/* http_case_fact - the facts of one case's answer. */
static struct send_fact
http_case_fact(const struct http_case *c)
{
	return (struct send_fact){
	    .provider = c->provider,
	    .stage = SEND_STAGE_RESPONSE,
	    .kind = SEND_FACT_REPLY,
	    .request_sent = true,
	    .http_status = c->status,
	    .code = c->code,
	    .message = c->message,
	    .text = c->message,
	    .text_len = c->message ? strlen(c->message) : 0,
	    .retry_after = c->retry_after,
	    .rate_reset = c->rate_reset,
	    .now = NOW,
	};
}

/* http_case_run - one case: the class, quota and back-off it gets. */
static void
http_case_run(void **state)
{
	const struct http_case *c = *state;
	struct send_fact f = http_case_fact(c);
	struct send_result r;

	policy_http_result(&f, &r);
	if (r.class != c->want)
		fail_msg("%s: got %s, want %s", c->name,
		         send_class_name(r.class), send_class_name(c->want));
	assert_int_equal(r.quota_exhausted, c->quota);
	assert_int_equal(r.stage, SEND_STAGE_RESPONSE);
	assert_int_equal(r.http_status, c->status);
	if (c->want == SEND_THROTTLED)
		assert_true(r.retry_after_ms > 0);
	else
		assert_int_equal(r.retry_after_ms, 0);
	if (c->retry_ms != 0)
		assert_int_equal(r.retry_after_ms, c->retry_ms);
	if (c->want != SEND_ACCEPTED)
		assert_string_equal(r.provider_code, c->code ? c->code : "");
	http_rows_hit[policy_http_row_find(&f) - policy_http_rows] = true;
}

/* every_row_decides_a_case - no row of the table is without a case. */
static void
every_row_decides_a_case(void **state)
{
	size_t i, missing = 0;

	(void)state;
	assert_true(policy_http_rows_n <= sizeof(http_rows_hit));
	for (i = 0; i < policy_http_rows_n; i++) {
		if (http_rows_hit[i])
			continue;
		print_message(
		    "row %zu (provider %d, status %d..%d, code %s, "
		    "text %s) decides no case\n",
		    i, (int)policy_http_rows[i].provider,
		    policy_http_rows[i].status_lo,
		    policy_http_rows[i].status_hi,
		    policy_http_rows[i].code ? policy_http_rows[i].code : "-",
		    policy_http_rows[i].text ? policy_http_rows[i].text : "-");
		missing++;
	}
	assert_int_equal(missing, 0);
}

/* ---- results: text, ids, codes ---------------------------------------- */

static void
accepted_keeps_the_message_id(void **state)
{
	struct http_case c = {.provider = P(SES), .status = 200};
	struct send_fact f = http_case_fact(&c);
	struct send_result r;

	f.msgid = "0100018c-abc def";
	f.msgid_len = strlen(f.msgid);
	f.code = "ignored";
	policy_http_result(&f, &r);
	assert_int_equal(r.class, SEND_ACCEPTED);
	assert_string_equal(r.text, "accepted");
	/* Spaces and control bytes never reach an id. */
	assert_string_equal(r.provider_msg_id, "0100018c-abc?def");
	assert_string_equal(r.provider_code, "");
}

static void
accepted_without_an_id_says_so(void **state)
{
	static const struct {
		enum send_provider p;
		const char *text;
	} want[] = {
	    {P(SES), "accepted (no MessageId)"},
	    {P(SENDGRID), "accepted"}, /* the id is a header, often absent */
	    {P(MAILGUN), "accepted (no id)"},
	    {P(POSTMARK), "accepted (no MessageID)"},
	    {P(RESEND), "accepted (no id)"},
	};
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct http_case c = {.provider = want[i].p, .status = 200};
		struct send_fact f = http_case_fact(&c);
		struct send_result r;

		policy_http_result(&f, &r);
		assert_string_equal(r.text, want[i].text);
		assert_string_equal(r.provider_msg_id, "");
	}
}

static void
refusal_text_is_sanitised_and_falls_back(void **state)
{
	struct http_case c = {
	    .provider = P(SES), .status = 400, .code = "MessageRejected"};
	struct send_fact f = http_case_fact(&c);
	struct send_result r;

	f.text = "bad\r\nX-Injected: 1";
	f.text_len = strlen(f.text);
	policy_http_result(&f, &r);
	assert_string_equal(r.text, "bad??X-Injected: 1");
	f.text = NULL;
	f.message = "the message";
	policy_http_result(&f, &r);
	assert_string_equal(r.text, "the message");
	f.message = NULL;
	policy_http_result(&f, &r);
	assert_string_equal(r.text, "MessageRejected");
	f.code = "Bad\x01";
	policy_http_result(&f, &r);
	assert_string_equal(r.provider_code, "Bad?");
}

/* ---- transport failures ------------------------------------------------ */

struct transport_case {
	const char *name;
	enum send_stage stage;
	bool sent;
	enum send_class want;
	enum send_stage want_stage;
	const char *want_text;
};

static const struct transport_case transport_cases[] = {
    {"refused connect is deferred", SEND_STAGE_CONNECT, false, SEND_DEFERRED,
     SEND_STAGE_CONNECT, "connect: boom"},
    {"failure while writing is deferred", SEND_STAGE_REQUEST, false,
     SEND_DEFERRED, SEND_STAGE_REQUEST, "connect: boom"},
    {"failure once the request is written is unknown", SEND_STAGE_REQUEST, true,
     SEND_UNKNOWN, SEND_STAGE_RESPONSE,
     "connect after the request was sent: boom"},
    {"failure waiting for the answer is unknown", SEND_STAGE_RESPONSE, false,
     SEND_UNKNOWN, SEND_STAGE_RESPONSE,
     "connect after the request was sent: boom"},
};

static void
transport_table(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(transport_cases) / sizeof(transport_cases[0]);
	     i++) {
		const struct transport_case *c = &transport_cases[i];
		struct send_fact f = {
		    .provider = P(SES),
		    .stage = c->stage,
		    .kind = SEND_FACT_TIMEOUT,
		    .request_sent = c->sent,
		    .code = "connect",
		    .text = "boom",
		    .text_len = 4,
		};
		struct send_result r;

		print_message("case: %s\n", c->name);
		policy_http_result(&f, &r);
		assert_int_equal(r.class, c->want);
		assert_int_equal(r.stage, c->want_stage);
		assert_string_equal(r.text, c->want_text);
		assert_string_equal(r.provider_code, "connect");
	}
}

/* ---- Retry-After ------------------------------------------------------ */

struct retry_case {
	const char *value;
	int64_t want;
};

static const struct retry_case retry_cases[] = {
    {"120", 120000},
    {" 3", 3000},
    {"0", 0},
    {"Sun, 30 Aug 2015 12:36:30 GMT", 30000},
    {"Sun, 30 Aug 2015 12:35:00 GMT", 0}, /* in the past */
    {"soon", -1},
    {"999999999", -1}, /* more than a week: not believed */
    {"", -1},
    {NULL, -1},
};

static void
retry_after_table(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(retry_cases) / sizeof(retry_cases[0]); i++) {
		print_message("Retry-After: %s\n", retry_cases[i].value
		                                       ? retry_cases[i].value
		                                       : "(none)");
		assert_int_equal(
		    policy_retry_after_ms(retry_cases[i].value, NOW, -1),
		    retry_cases[i].want);
	}
}

static void
status_defaults(void **state)
{
	assert_int_equal(policy_http_status_class(204), SEND_ACCEPTED);
	assert_int_equal(policy_http_status_class(429), SEND_THROTTLED);
	assert_int_equal(policy_http_status_class(401), SEND_CONFIG);
	assert_int_equal(policy_http_status_class(301), SEND_CONFIG);
	assert_int_equal(policy_http_status_class(408), SEND_DEFERRED);
	assert_int_equal(policy_http_status_class(599), SEND_DEFERRED);
	assert_int_equal(policy_http_status_class(0), SEND_DEFERRED);
	assert_int_equal(policy_http_status_class(404), SEND_REJECTED);
}

/* ---- local refusals and probes ------------------------------------------ */

struct local_case {
	enum policy_local what;
	enum send_class want;
	enum send_stage stage;
	const char *enhanced;
	const char *code;
};

static const struct local_case local_cases[] = {
    {POLICY_LOCAL_UNREPRESENTABLE, SEND_DEFERRED, SEND_STAGE_NONE, "",
     "not_representable"},
    {POLICY_LOCAL_UNUSABLE_REQUEST, SEND_DEFERRED, SEND_STAGE_REQUEST, "", ""},
    {POLICY_LOCAL_BAD_ADDRESS, SEND_REJECTED, SEND_STAGE_RCPT, "5.1.3", ""},
    {POLICY_LOCAL_NO_CHANNEL, SEND_CONFIG, SEND_STAGE_CONNECT, "", ""},
    {POLICY_LOCAL_ABANDONED, SEND_DEFERRED, SEND_STAGE_NONE, "", ""},
    {POLICY_LOCAL_ABANDONED_SENT, SEND_UNKNOWN, SEND_STAGE_NONE, "", ""},
};

static void
local_table(void **state)
{
	struct send_result r;
	size_t i;

	assert_int_equal(sizeof(local_cases) / sizeof(local_cases[0]),
	                 POLICY_LOCAL_COUNT);
	for (i = 0; i < POLICY_LOCAL_COUNT; i++) {
		const struct local_case *c = &local_cases[i];
		policy_local_result(&r, c->what, NULL);
		assert_int_equal(r.class, c->want);
		assert_int_equal(r.stage, c->stage);
		assert_string_equal(r.enhanced, c->enhanced);
		assert_string_equal(r.provider_code, c->code);
		assert_true(r.text[0] != '\0');
	}
	policy_local_result(&r, POLICY_LOCAL_BAD_ADDRESS, NULL);
	assert_string_equal(r.text, "invalid address");
	policy_local_result(&r, POLICY_LOCAL_ABANDONED, "late\n");
	assert_string_equal(r.text, "late?");
}

static void
probe_findings(void **state)
{
	struct send_fact f = {.provider = P(RESEND),
	                      .kind = SEND_FACT_REPLY,
	                      .http_status = 401,
	                      .code = "restricted_api_key"};

	assert_int_equal(policy_probe_class(POLICY_PROBE_UP), SEND_ACCEPTED);
	assert_int_equal(policy_probe_class(POLICY_PROBE_NO_ANSWER),
	                 SEND_DEFERRED);
	assert_int_equal(policy_probe_class(POLICY_PROBE_UNREADABLE),
	                 SEND_DEFERRED);
	assert_int_equal(policy_probe_class(POLICY_PROBE_SENDING_DISABLED),
	                 SEND_CONFIG);
	assert_int_equal(policy_probe_class(POLICY_PROBE_QUOTA_USED_UP),
	                 SEND_THROTTLED);
	assert_int_equal(policy_probe_class(POLICY_PROBE_NOT_PERMITTED),
	                 SEND_CONFIG);
	/* A sending-only Resend key is valid though it may not list. */
	assert_true(policy_probe_key_valid(&f));
	f.code = "invalid_api_key";
	assert_false(policy_probe_key_valid(&f));
	f.code = "restricted_api_key";
	f.provider = P(SES);
	assert_false(policy_probe_key_valid(&f));
}

int
main(void)
{
	enum { N = sizeof(http_cases) / sizeof(http_cases[0]) };
	static const struct CMUnitTest fixed[] = {
	    cmocka_unit_test(accepted_keeps_the_message_id),
	    cmocka_unit_test(accepted_without_an_id_says_so),
	    cmocka_unit_test(refusal_text_is_sanitised_and_falls_back),
	    cmocka_unit_test(transport_table),
	    cmocka_unit_test(retry_after_table),
	    cmocka_unit_test(status_defaults),
	    cmocka_unit_test(local_table),
	    cmocka_unit_test(probe_findings),
	};
	enum { NF = sizeof(fixed) / sizeof(fixed[0]) };
	struct CMUnitTest tests[NF + N + 1];
	size_t i;

	for (i = 0; i < NF; i++)
		tests[i] = fixed[i];
	for (i = 0; i < N; i++)
		tests[NF + i] =
		    (struct CMUnitTest){http_cases[i].name, http_case_run, NULL,
		                        NULL, (void *)&http_cases[i]};
	/* Last: it reads what the cases above recorded. */
	tests[NF + N] =
	    (struct CMUnitTest){"every row decides a case",
	                        every_row_decides_a_case, NULL, NULL, NULL};
	return _cmocka_run_group_tests("policy", tests, NF + N + 1, NULL, NULL);
}
