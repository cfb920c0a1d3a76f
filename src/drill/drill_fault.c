/*
 * drill_fault.c - the faults a drill simulates, and the answers they
 * make. See drill_fault.h.
 */
#include "drill/drill_fault.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "config/config.h"
#include "send/fact.h"
#include "send/policy.h"

static const char *const drill_fault_names[DRILL_FAULT_KIND_COUNT] = {
    [DRILL_FAULT_OUTAGE] = "outage",     [DRILL_FAULT_HANG] = "hang",
    [DRILL_FAULT_TEMPFAIL] = "tempfail", [DRILL_FAULT_THROTTLE] = "throttle",
    [DRILL_FAULT_ACCOUNT] = "account",   [DRILL_FAULT_SLOW] = "slow",
    [DRILL_FAULT_FLAP] = "flap",
};

#define DRILL_FAULT_MIN_MS 100
#define DRILL_FAULT_MAX_MS 3600000ULL
#define DRILL_THROTTLE_DEFAULT_MS 30000

const char *
drill_fault_kind_name(enum drill_fault_kind k)
{
	return (unsigned)k < DRILL_FAULT_KIND_COUNT ? drill_fault_names[k]
	                                            : "?";
}

int
drill_fault_parse(const char *s, struct drill_fault *out, char *err,
                  size_t errlen)
{
	const char *colon = s ? strchr(s, ':') : NULL;
	size_t n = s ? (colon ? (size_t)(colon - s) : strlen(s)) : 0;
	uint64_t ms = 0;
	int k;

	memset(out, 0, sizeof(*out));
	for (k = 0; k < DRILL_FAULT_KIND_COUNT; k++)
		if (strlen(drill_fault_names[k]) == n &&
		    strncmp(s, drill_fault_names[k], n) == 0)
			break;
	if (k == DRILL_FAULT_KIND_COUNT) {
		snprintf(err, errlen,
		         "unknown fault \"%.40s\": expected outage, hang, "
		         "tempfail, throttle[:30s], account, slow:2s or "
		         "flap:30s",
		         s ? s : "");
		return -1;
	}
	out->kind = (enum drill_fault_kind)k;
	if (colon != NULL &&
	    (config_parse_duration(colon + 1, &ms) != 0 ||
	     ms < DRILL_FAULT_MIN_MS || ms > DRILL_FAULT_MAX_MS)) {
		snprintf(err, errlen,
		         "fault \"%.40s\": expected a duration from 100ms to "
		         "1h after the colon",
		         s);
		return -1;
	}
	switch (out->kind) {
	case DRILL_FAULT_SLOW:
	case DRILL_FAULT_FLAP:
		if (colon == NULL) {
			snprintf(err, errlen,
			         "fault %s needs a duration (%s:2s)",
			         drill_fault_names[k], drill_fault_names[k]);
			return -1;
		}
		out->param_ms = ms;
		return 0;
	case DRILL_FAULT_THROTTLE:
		out->param_ms = colon ? ms : DRILL_THROTTLE_DEFAULT_MS;
		return 0;
	default:
		if (colon != NULL) {
			snprintf(err, errlen, "fault %s takes no duration",
			         drill_fault_names[k]);
			return -1;
		}
		return 0;
	}
}

void
drill_fault_text(const struct drill_fault *f, char *out, size_t n)
{
	if (f->param_ms == 0)
		snprintf(out, n, "%s", drill_fault_kind_name(f->kind));
	else if (f->param_ms % 1000 == 0)
		snprintf(out, n, "%s:%llus", drill_fault_kind_name(f->kind),
		         (unsigned long long)(f->param_ms / 1000));
	else
		snprintf(out, n, "%s:%llums", drill_fault_kind_name(f->kind),
		         (unsigned long long)f->param_ms);
}

bool
drill_fault_failing(const struct drill_fault *f, uint64_t elapsed_ms)
{
	switch (f->kind) {
	case DRILL_FAULT_SLOW:
		return false;
	case DRILL_FAULT_FLAP:
		return f->param_ms == 0 || (elapsed_ms / f->param_ms) % 2 == 0;
	default:
		return true;
	}
}

/* drill_fault_provider - the policy's table for a provider type. */
static enum send_provider
drill_fault_provider(const char *type)
{
	static const struct {
		const char *type;
		enum send_provider p;
	} map[] = {
	    {"ses", SEND_PROVIDER_SES},
	    {"sendgrid", SEND_PROVIDER_SENDGRID},
	    {"mailgun", SEND_PROVIDER_MAILGUN},
	    {"postmark", SEND_PROVIDER_POSTMARK},
	    {"resend", SEND_PROVIDER_RESEND},
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (type != NULL && strcmp(type, map[i].type) == 0)
			return map[i].p;
	return SEND_PROVIDER_SMTP;
}

/* drill_fault_smtp - the answer of an SMTP relay. */
static void
drill_fault_smtp(const struct drill_fault *f, const char *note,
                 struct send_result *r)
{
	char text[200];

	switch (f->kind) {
	case DRILL_FAULT_HANG:
		policy_smtp_result(r, SEND_STAGE_GREETING, SEND_FACT_TIMEOUT, 0,
		                   NULL, NULL, note);
		return;
	case DRILL_FAULT_TEMPFAIL:
		snprintf(text, sizeof(text),
		         "Service temporarily unavailable (%s)", note);
		policy_smtp_result(r, SEND_STAGE_MAIL, SEND_FACT_REPLY, 451,
		                   "4.3.0", text, NULL);
		return;
	case DRILL_FAULT_THROTTLE:
		snprintf(text, sizeof(text),
		         "Throttling failure: Maximum sending rate exceeded "
		         "(%s)",
		         note);
		policy_smtp_result(r, SEND_STAGE_MAIL, SEND_FACT_REPLY, 454,
		                   "4.7.0", text, NULL);
		r->retry_after_ms = (int64_t)f->param_ms;
		return;
	case DRILL_FAULT_ACCOUNT:
		snprintf(text, sizeof(text),
		         "Authentication credentials invalid (%s)", note);
		policy_smtp_result(r, SEND_STAGE_AUTH, SEND_FACT_REPLY, 535,
		                   "5.7.8", text, NULL);
		return;
	default: /* outage, flap */
		policy_smtp_result(r, SEND_STAGE_CONNECT, SEND_FACT_REFUSED, 0,
		                   NULL, NULL, note);
		return;
	}
}

/* drill_fault_http - the answer of an HTTP API of provider p: a
 * transport failure before the request (outage, hang) or a response. */
static void
drill_fault_http(const struct drill_fault *f, enum send_provider p,
                 const char *note, struct send_result *r)
{
	static const struct {
		int status;
		const char *words;
	} answers[DRILL_FAULT_KIND_COUNT] = {
	    [DRILL_FAULT_TEMPFAIL] = {503, "Service Unavailable"},
	    [DRILL_FAULT_THROTTLE] = {429, "Too Many Requests"},
	    [DRILL_FAULT_ACCOUNT] = {401, "Unauthorized"},
	};
	struct send_fact fact;
	char text[200], retry[32];

	memset(&fact, 0, sizeof(fact));
	fact.provider = p;
	if (answers[f->kind].status == 0) {
		/* outage, flap: refused; hang: no answer in time. */
		bool hang = f->kind == DRILL_FAULT_HANG;
		fact.stage = SEND_STAGE_CONNECT;
		fact.kind = hang ? SEND_FACT_TIMEOUT : SEND_FACT_REFUSED;
		fact.code = hang ? "timeout" : "connect";
		fact.text = note;
		fact.text_len = strlen(note);
	} else {
		fact.stage = SEND_STAGE_RESPONSE;
		fact.kind = SEND_FACT_REPLY;
		fact.request_sent = true;
		fact.http_status = answers[f->kind].status;
		snprintf(text, sizeof(text), "%s (%s)", answers[f->kind].words,
		         note);
		fact.message = text;
	}
	if (f->kind == DRILL_FAULT_THROTTLE) {
		snprintf(retry, sizeof(retry), "%llu",
		         (unsigned long long)((f->param_ms + 999) / 1000));
		fact.retry_after = retry;
	}
	policy_http_result(&fact, r);
	if (f->kind == DRILL_FAULT_THROTTLE && r->retry_after_ms <= 0)
		r->retry_after_ms = (int64_t)f->param_ms;
}

void
drill_fault_answer(const struct drill_fault *f, const char *type,
                   const char *id, uint64_t timeout_ms, struct send_result *r,
                   uint64_t *after_ms)
{
	enum send_provider p = drill_fault_provider(type);
	char note[120];

	snprintf(note, sizeof(note), "drill %s: simulated %s, not sent",
	         id ? id : "-", drill_fault_kind_name(f->kind));
	if (p == SEND_PROVIDER_SMTP)
		drill_fault_smtp(f, note, r);
	else
		drill_fault_http(f, p, note, r);
	/* Whatever the tables say, a drill never decides a message's fate. */
	if (r->class != SEND_DEFERRED && r->class != SEND_THROTTLED &&
	    r->class != SEND_CONFIG)
		r->class = SEND_DEFERRED;
	*after_ms = f->kind == DRILL_FAULT_HANG ? timeout_ms : 0;
}
