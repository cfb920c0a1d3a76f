/*
 * policy_http.c - what an HTTP provider's answer means.
 *
 * One ordered table of rows; the first row that matches an answer
 * (provider, status range, error code or name, words of the message)
 * gives its class, and whether a throttling answer is about a quota
 * rather than a rate. Each provider's rows come from its error table in
 * docs/providers.md; the rows marked "any provider" at the end are the
 * default meaning of a status. Adding a provider's quirk is adding a row
 * above the rows it refines. Transport failures, Retry-After and the
 * rate-limit reset headers are decided here too.
 *
 * Nothing here does I/O or keeps state; "now" comes with the facts.
 */
#include "send/policy.h"
#include "send/policy_int.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CODE_NONE POLICY_CODE_NONE
#define CODE_ANY POLICY_CODE_ANY
#define QUOTA_RETRY_SES_MS (10 * 60 * 1000) /* AWS: wait up to 10 min */
#define QUOTA_RETRY_RESEND_MS (60 * 60 * 1000)
#define RETRY_DEFAULT_MS 1000

/* How a provider's rate-limit reset header reads. */
enum policy_reset {
	POLICY_RESET_NONE,  /* Retry-After only */
	POLICY_RESET_DELTA, /* seconds, read when Retry-After is absent */
	POLICY_RESET_EPOCH, /* a Unix time, read when Retry-After gives 0 */
};

/* What differs between providers apart from their rows. */
struct policy_http_provider {
	const char *code_suffix; /* may follow a code (SES "Exception") */
	bool numeric_codes;      /* codes are numbers; <= 0 means none */
	enum policy_reset reset;
	const char *msgid_name; /* "accepted (no <name>)"; NULL: never said */
};

static const struct policy_http_provider policy_http_providers[] = {
    [SEND_PROVIDER_SMTP] = {NULL, false, POLICY_RESET_NONE, NULL},
    [SEND_PROVIDER_SES] = {"Exception", false, POLICY_RESET_NONE, "MessageId"},
    [SEND_PROVIDER_SENDGRID] = {NULL, false, POLICY_RESET_EPOCH, NULL},
    [SEND_PROVIDER_MAILGUN] = {NULL, false, POLICY_RESET_NONE, "id"},
    [SEND_PROVIDER_POSTMARK] = {NULL, true, POLICY_RESET_NONE, "MessageID"},
    [SEND_PROVIDER_RESEND] = {NULL, false, POLICY_RESET_DELTA, "id"},
};

#define SES SEND_PROVIDER_SES
#define SENDGRID SEND_PROVIDER_SENDGRID
#define MAILGUN SEND_PROVIDER_MAILGUN
#define POSTMARK SEND_PROVIDER_POSTMARK
#define RESEND SEND_PROVIDER_RESEND
#define ACCEPTED SEND_ACCEPTED
#define REJECTED SEND_REJECTED
#define DEFERRED SEND_DEFERRED
#define THROTTLED SEND_THROTTLED
#define CONFIG SEND_CONFIG
#define UNKNOWN SEND_UNKNOWN

/* The rows, in order. */
const struct policy_http_row policy_http_rows[] = {
    /* Amazon SES v2 and v1 (their API references): by
     * error code (x-amzn-ErrorType, body code or __type), then words. */
    {SES, 200, 299, NULL, NULL, ACCEPTED, false, 0},
    {SES, ANY_STATUS, "MessageRejected", "not verified", CONFIG, false, 0},
    {SES, ANY_STATUS, "MessageRejected", NULL, REJECTED, false, 0},
    {SES, ANY_STATUS, "Throttling", "daily", THROTTLED, true,
     QUOTA_RETRY_SES_MS},
    {SES, ANY_STATUS, "Throttling", "quota", THROTTLED, true,
     QUOTA_RETRY_SES_MS},
    {SES, ANY_STATUS, "Throttling", NULL, THROTTLED, false, 1000},
    {SES, ANY_STATUS, "MailFromDomainNotVerified", NULL, CONFIG, false, 0},
    {SES, ANY_STATUS, "AccountSuspended", NULL, CONFIG, false, 0},
    {SES, ANY_STATUS, "SendingPaused", NULL, CONFIG, false, 0},
    {SES, ANY_STATUS, "AccountSendingPaused", NULL, CONFIG, false, 0},
    {SES, ANY_STATUS, "ConfigurationSetSendingPaused", NULL, CONFIG, false, 0},
    {SES, ANY_STATUS, "ConfigurationSetDoesNotExist", NULL, CONFIG, false, 0},
    {SES, ANY_STATUS, "NotFound", NULL, CONFIG, false, 0},
    /* Usually our adapter's fault. */
    {SES, ANY_STATUS, "BadRequest", NULL, REJECTED, false, 0},
    {SES, ANY_STATUS, "LimitExceeded", NULL, REJECTED, false, 0},
    {SES, ANY_STATUS, "InvalidParameterValue", NULL, REJECTED, false, 0},
    {SES, ANY_STATUS, "MissingParameter", NULL, REJECTED, false, 0},
    {SES, ANY_STATUS, "ValidationError", NULL, REJECTED, false, 0},
    {SES, ANY_STATUS, "TooManyRequests", NULL, THROTTLED, false, 0},
    {SES, ANY_STATUS, "AccessDenied", NULL, CONFIG, false, 0},
    {SES, ANY_STATUS, "InvalidClientTokenId", NULL, CONFIG, false, 0},
    {SES, ANY_STATUS, "SignatureDoesNotMatch", NULL, CONFIG, false, 0},
    {SES, ANY_STATUS, "IncompleteSignature", NULL, CONFIG, false, 0},
    {SES, ANY_STATUS, "UnrecognizedClient", NULL, CONFIG, false, 0},
    {SES, ANY_STATUS, "ExpiredToken", NULL, CONFIG, false, 0},
    {SES, ANY_STATUS, "MissingAuthenticationToken", NULL, CONFIG, false, 0},
    {SES, ANY_STATUS, "OptInRequired", NULL, CONFIG, false, 0},
    {SES, ANY_STATUS, "InvalidSignature", NULL, CONFIG, false, 0},
    {SES, ANY_STATUS, "RequestExpired", NULL, CONFIG, false, 0},
    {SES, ANY_STATUS, "InternalServiceError", NULL, DEFERRED, false, 0},
    {SES, ANY_STATUS, "InternalFailure", NULL, DEFERRED, false, 0},
    {SES, ANY_STATUS, "ServiceUnavailable", NULL, DEFERRED, false, 0},

    /* SendGrid v3: by status. */
    {SENDGRID, 200, 299, NULL, NULL, ACCEPTED, false, 0},
    {SENDGRID, 400, 400, NULL, NULL, REJECTED, false, 0},
    {SENDGRID, 413, 413, NULL, NULL, REJECTED, false, 0},
    {SENDGRID, 401, 401, NULL, NULL, CONFIG, false, 0},
    {SENDGRID, 403, 403, NULL, NULL, CONFIG, false, 0},
    /* Data residency: the wrong regional host. */
    {SENDGRID, 451, 451, NULL, NULL, CONFIG, false, 0},

    /* Mailgun: by status, then words that blame the
     * account rather than the message. */
    {MAILGUN, 200, 299, NULL, NULL, ACCEPTED, false, 0},
    {MAILGUN, 403, 403, NULL, NULL, CONFIG, false, 0},
    {MAILGUN, 400, 400, NULL, "sandbox", CONFIG, false, 0},
    {MAILGUN, 400, 400, NULL, "authorized recipient", CONFIG, false, 0},
    {MAILGUN, 400, 400, NULL, "not allowed", CONFIG, false, 0},
    {MAILGUN, 400, 400, NULL, "not verified", CONFIG, false, 0},
    {MAILGUN, 400, 400, NULL, "free accounts", CONFIG, false, 0},
    {MAILGUN, 400, 400, NULL, NULL, REJECTED, false, 0},
    {MAILGUN, 401, 401, NULL, NULL, CONFIG, false, 0},
    /* The domain is not in this account. */
    {MAILGUN, 404, 404, NULL, NULL, CONFIG, false, 0},
    {MAILGUN, 413, 413, NULL, NULL, REJECTED, false, 0},

    /* Postmark: 429 and 5xx by status, else by ErrorCode
     * (a 2xx without one falls to the defaults: accepted). */
    {POSTMARK, 429, 429, NULL, NULL, THROTTLED, false, 0},
    {POSTMARK, 500, INT_MAX, NULL, NULL, DEFERRED, false, 0},
    {POSTMARK, ANY_STATUS, "10", NULL, CONFIG, false, 0},    /* bad token */
    {POSTMARK, ANY_STATUS, "100", NULL, DEFERRED, false, 0}, /* upkeep */
    /* Invalid email request, unless it blames the sender signature. */
    {POSTMARK, ANY_STATUS, "300", "signature", CONFIG, false, 0},
    {POSTMARK, ANY_STATUS, "300", "not verified", CONFIG, false, 0},
    {POSTMARK, ANY_STATUS, "300", "not confirmed", CONFIG, false, 0},
    {POSTMARK, ANY_STATUS, "400", NULL, CONFIG, false, 0},   /* no signature */
    {POSTMARK, ANY_STATUS, "401", NULL, CONFIG, false, 0},   /* unconfirmed */
    {POSTMARK, ANY_STATUS, "402", NULL, REJECTED, false, 0}, /* our JSON */
    {POSTMARK, ANY_STATUS, "403", NULL, REJECTED, false, 0}, /* our JSON */
    {POSTMARK, ANY_STATUS, "405", NULL, CONFIG, false, 0},   /* credits */
    {POSTMARK, ANY_STATUS, "406", NULL, REJECTED, false, 0}, /* inactive */
    {POSTMARK, ANY_STATUS, "409", NULL, REJECTED, false, 0}, /* our JSON */
    {POSTMARK, ANY_STATUS, "410", NULL, REJECTED, false, 0}, /* batch */
    {POSTMARK, ANY_STATUS, "411", NULL, REJECTED, false, 0}, /* attachment */
    {POSTMARK, ANY_STATUS, "412", NULL, CONFIG, false, 0},   /* pending */
    {POSTMARK, ANY_STATUS, "413", NULL, CONFIG, false, 0},   /* may not */
    /* An ErrorCode we do not list is more likely our bug. */
    {POSTMARK, ANY_STATUS, CODE_ANY, NULL, REJECTED, false, 0},

    /* Resend: by error name first, then words. */
    {RESEND, 200, 299, NULL, NULL, ACCEPTED, false, 0},
    {RESEND, 403, 403, "validation_error", NULL, CONFIG, false, 0},
    {RESEND, ANY_STATUS, "validation_error", "verif", CONFIG, false, 0},
    {RESEND, ANY_STATUS, "validation_error", "testing emails", CONFIG, false,
     0},
    {RESEND, ANY_STATUS, "validation_error", "own email address", CONFIG, false,
     0},
    {RESEND, ANY_STATUS, "validation_error", NULL, REJECTED, false, 0},
    {RESEND, ANY_STATUS, "invalid_from_address", "verif", CONFIG, false, 0},
    {RESEND, ANY_STATUS, "invalid_from_address", "testing emails", CONFIG,
     false, 0},
    {RESEND, ANY_STATUS, "invalid_from_address", "own email address", CONFIG,
     false, 0},
    {RESEND, ANY_STATUS, "invalid_from_address", NULL, REJECTED, false, 0},
    {RESEND, ANY_STATUS, "invalid_idempotency_key", NULL, REJECTED, false, 0},
    {RESEND, ANY_STATUS, "missing_api_key", NULL, CONFIG, false, 0},
    {RESEND, ANY_STATUS, "restricted_api_key", NULL, CONFIG, false, 0},
    {RESEND, ANY_STATUS, "invalid_api_key", NULL, CONFIG, false, 0},
    {RESEND, ANY_STATUS, "invalid_api_Key", NULL, CONFIG, false, 0},
    {RESEND, ANY_STATUS, "not_found", NULL, REJECTED, false, 0},
    {RESEND, ANY_STATUS, "method_not_allowed", NULL, REJECTED, false, 0},
    {RESEND, ANY_STATUS, "invalid_idempotent_request", NULL, REJECTED, false,
     0},
    /* The first request with this key is still running: it may yet be
     * delivered, so the outcome of this one is unknown. */
    {RESEND, ANY_STATUS, "concurrent_idempotent_requests", NULL, UNKNOWN, false,
     0},
    {RESEND, ANY_STATUS, "missing_required_field", NULL, REJECTED, false, 0},
    {RESEND, ANY_STATUS, "invalid_parameter", NULL, REJECTED, false, 0},
    {RESEND, ANY_STATUS, "invalid_access", NULL, REJECTED, false, 0},
    {RESEND, ANY_STATUS, "invalid_region", NULL, REJECTED, false, 0},
    {RESEND, ANY_STATUS, "invalid_attachment", NULL, REJECTED, false, 0},
    {RESEND, ANY_STATUS, "rate_limit_exceeded", NULL, THROTTLED, false, 0},
    {RESEND, ANY_STATUS, "daily_quota_exceeded", NULL, THROTTLED, true,
     QUOTA_RETRY_RESEND_MS},
    {RESEND, ANY_STATUS, "monthly_quota_exceeded", NULL, THROTTLED, true,
     QUOTA_RETRY_RESEND_MS},
    /* A quota we do not know by name yet. */
    {RESEND, 429, 429, "*quota_exceeded", NULL, THROTTLED, true,
     QUOTA_RETRY_RESEND_MS},
    {RESEND, ANY_STATUS, "security_error", NULL, CONFIG, false, 0},
    {RESEND, ANY_STATUS, "application_error", NULL, DEFERRED, false, 0},
    {RESEND, ANY_STATUS, "internal_server_error", NULL, DEFERRED, false, 0},

    /* Any provider: the default meaning of a status. */
    {ANY_PROVIDER, 200, 299, NULL, NULL, ACCEPTED, false, 0},
    {ANY_PROVIDER, 429, 429, NULL, NULL, THROTTLED, false, 0},
    {ANY_PROVIDER, 401, 401, NULL, NULL, CONFIG, false, 0},
    {ANY_PROVIDER, 403, 403, NULL, NULL, CONFIG, false, 0},
    /* A redirect (not followed): the endpoint is wrong. */
    {ANY_PROVIDER, 300, 399, NULL, NULL, CONFIG, false, 0},
    {ANY_PROVIDER, 408, 408, NULL, NULL, DEFERRED, false, 0},
    {ANY_PROVIDER, 500, INT_MAX, NULL, NULL, DEFERRED, false, 0},
    {ANY_PROVIDER, INT_MIN, 199, NULL, NULL, DEFERRED, false, 0},
    /* Other 4xx: more often our bug than the recipient's. */
    {ANY_PROVIDER, ANY_STATUS, NULL, NULL, REJECTED, false, 0},
};

/* policy_http_has_code - does the answer carry an error code? */
static bool
policy_http_has_code(const struct policy_http_provider *pv, const char *code)
{
	if (code == NULL || *code == '\0')
		return false;
	return !pv->numeric_codes || strtol(code, NULL, 10) > 0;
}

/* policy_http_code_is - code equals name, or name + the suffix. */
static bool
policy_http_code_is(const struct policy_http_provider *pv, const char *code,
                    const char *name)
{
	size_t n = strlen(name);

	if (strncmp(code, name, n) != 0)
		return false;
	return code[n] == '\0' || (pv->code_suffix != NULL &&
	                           strcmp(code + n, pv->code_suffix) == 0);
}

/* policy_http_code_match - does a row's code pattern cover code? */
static bool
policy_http_code_match(const struct policy_http_provider *pv,
                       const char *pattern, const char *code)
{
	bool has = policy_http_has_code(pv, code);

	if (pattern == NULL)
		return true;
	if (strcmp(pattern, CODE_NONE) == 0)
		return !has;
	if (!has)
		return false;
	if (strcmp(pattern, CODE_ANY) == 0)
		return true;
	if (pattern[0] == '*')
		return strstr(code, pattern + 1) != NULL;
	return policy_http_code_is(pv, code, pattern);
}

/* policy_http_row_match - does row w cover the answer f? */
static bool
policy_http_row_match(const struct policy_http_row *w,
                      const struct policy_http_provider *pv,
                      const struct send_fact *f)
{
	if (w->provider != ANY_PROVIDER && w->provider != f->provider)
		return false;
	if (f->http_status < w->status_lo || f->http_status > w->status_hi)
		return false;
	if (!policy_http_code_match(pv, w->code, f->code))
		return false;
	if (w->text != NULL &&
	    (f->message == NULL || strcasestr(f->message, w->text) == NULL))
		return false;
	return true;
}

/* policy_http_provider_get - f's provider description (SMTP: none). */
static const struct policy_http_provider *
policy_http_provider_get(const struct send_fact *f)
{
	if ((unsigned)f->provider >= SEND_PROVIDER_COUNT)
		return &policy_http_providers[SEND_PROVIDER_SMTP];
	return &policy_http_providers[f->provider];
}

const size_t policy_http_rows_n =
    sizeof(policy_http_rows) / sizeof(policy_http_rows[0]);

/* policy_http_row_find - the first row that covers f (the last always
 * does). */
const struct policy_http_row *
policy_http_row_find(const struct send_fact *f)
{
	const struct policy_http_provider *pv = policy_http_provider_get(f);
	size_t i, n = policy_http_rows_n;

	for (i = 0; i < n - 1; i++)
		if (policy_http_row_match(&policy_http_rows[i], pv, f))
			return &policy_http_rows[i];
	return &policy_http_rows[n - 1];
}

enum send_class
policy_http_status_class(int status)
{
	struct send_fact f = {.provider = SEND_PROVIDER_SMTP,
	                      .http_status = status};

	/* No SMTP row is in the table: only the defaults can match. */
	return policy_http_row_find(&f)->class;
}

int64_t
policy_retry_after_ms(const char *value, time_t now, int64_t fallback_ms)
{
	struct tm tm;
	char *end;
	long long s;
	time_t t;

	if (value == NULL || *value == '\0')
		return fallback_ms;
	while (*value == ' ')
		value++;
	if (*value >= '0' && *value <= '9') {
		s = strtoll(value, &end, 10);
		if (s < 0 || s > 86400 * 7)
			return fallback_ms;
		return (int64_t)s * 1000;
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(value, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (end == NULL)
		return fallback_ms;
	t = timegm(&tm);
	return t > now ? (int64_t)(t - now) * 1000 : 0;
}

/* policy_http_retry_ms - the back-off a throttling answer asks for. */
static int64_t
policy_http_retry_ms(const struct policy_http_provider *pv,
                     const struct send_fact *f)
{
	int64_t ms;
	long long t;

	switch (pv->reset) {
	case POLICY_RESET_DELTA:
		return policy_retry_after_ms(f->retry_after ? f->retry_after
		                                            : f->rate_reset,
		                             f->now, RETRY_DEFAULT_MS);
	case POLICY_RESET_EPOCH:
		ms = policy_retry_after_ms(f->retry_after, f->now, 0);
		if (ms == 0 && f->rate_reset != NULL) {
			t = strtoll(f->rate_reset, NULL, 10);
			ms = t > (long long)f->now
			         ? (int64_t)(t - (long long)f->now) * 1000
			         : RETRY_DEFAULT_MS;
		}
		return ms != 0 ? ms : RETRY_DEFAULT_MS;
	case POLICY_RESET_NONE:
	default:
		return policy_retry_after_ms(f->retry_after, f->now,
		                             RETRY_DEFAULT_MS);
	}
}

/* policy_http_code_set - sanitised, truncated copy into r->provider_code. */
static void
policy_http_code_set(struct send_result *r, const char *s)
{
	size_t i;

	for (i = 0;
	     s != NULL && s[i] != '\0' && i < sizeof(r->provider_code) - 1; i++)
		r->provider_code[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	r->provider_code[i] = '\0';
}

/* policy_http_msgid_set - sanitised copy into r->provider_msg_id. */
static void
policy_http_msgid_set(struct send_result *r, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && s[i] != '\0' && i < sizeof(r->provider_msg_id) - 1;
	     i++)
		r->provider_msg_id[i] = s[i] > 0x20 && s[i] < 0x7f ? s[i] : '?';
	r->provider_msg_id[i] = '\0';
}

/* policy_http_transport - fill r for a failure without a response. */
static void
policy_http_transport(const struct send_fact *f, struct send_result *r)
{
	const char *what = f->code ? f->code : "";
	char text[SEND_TEXT_SIZE];
	int n;

	if (f->request_sent || f->stage == SEND_STAGE_RESPONSE) {
		/* The provider may have acted on the request. */
		send_result_init(r, SEND_UNKNOWN, SEND_STAGE_RESPONSE);
		n = snprintf(text, sizeof(text),
		             "%s after the request was sent: %.*s", what,
		             (int)f->text_len, f->text ? f->text : "");
	} else {
		send_result_init(r, SEND_DEFERRED,
		                 f->stage == SEND_STAGE_CONNECT
		                     ? SEND_STAGE_CONNECT
		                     : SEND_STAGE_REQUEST);
		n = snprintf(text, sizeof(text), "%s: %.*s", what,
		             (int)f->text_len, f->text ? f->text : "");
	}
	r->http_status = f->http_status;
	policy_http_code_set(r, what);
	send_result_text_set(r, text,
	                     n < 0                      ? 0
	                     : (size_t)n < sizeof(text) ? (size_t)n
	                                                : sizeof(text) - 1);
}

/* policy_http_accepted_text - "accepted", or say the id is missing. */
static void
policy_http_accepted_text(const struct policy_http_provider *pv,
                          const struct send_fact *f, struct send_result *r)
{
	char text[64];

	if (f->msgid != NULL && f->msgid_len > 0)
		policy_http_msgid_set(r, f->msgid, f->msgid_len);
	if (pv->msgid_name == NULL || f->msgid != NULL)
		snprintf(text, sizeof(text), "accepted");
	else
		snprintf(text, sizeof(text), "accepted (no %s)",
		         pv->msgid_name);
	send_result_text_set(r, text, strlen(text));
}

void
policy_http_result(const struct send_fact *f, struct send_result *r)
{
	const struct policy_http_provider *pv;
	const struct policy_http_row *w;
	const char *t;
	size_t n;

	if (f->kind != SEND_FACT_REPLY) {
		policy_http_transport(f, r);
		return;
	}
	pv = policy_http_provider_get(f);
	w = policy_http_row_find(f);
	send_result_init(r, w->class, SEND_STAGE_RESPONSE);
	r->http_status = f->http_status;
	r->quota_exhausted = w->quota;
	if (w->class == SEND_ACCEPTED) {
		policy_http_accepted_text(pv, f, r);
		return;
	}
	policy_http_code_set(r, f->code);
	t = f->text ? f->text : f->message ? f->message : f->code;
	n = f->text ? f->text_len : t ? strlen(t) : 0;
	send_result_text_set(r, t ? t : "", n);
	if (w->class == SEND_THROTTLED)
		r->retry_after_ms =
		    w->retry_ms ? w->retry_ms : policy_http_retry_ms(pv, f);
}
