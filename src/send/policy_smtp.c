/*
 * policy_smtp.c - what an SMTP delivery or probe outcome means.
 *
 * One ordered table of rules; the first rule that matches an outcome
 * (stage, kind, reply code, enhanced code, text) gives its class. Adding a
 * provider's quirk is adding a row, above the generic rows it refines.
 * Nothing here does I/O or keeps state.
 */
#include "send/policy.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#define STAGE(s) (1u << (s))
#define KIND(k) (1u << (k))
#define ANY 0u

/* Stages where the session is being set up: no message is involved. */
#define STAGES_SESSION                                                         \
	(STAGE(SEND_STAGE_CONNECT) | STAGE(SEND_STAGE_GREETING) |              \
	 STAGE(SEND_STAGE_EHLO) | STAGE(SEND_STAGE_STARTTLS))
/* Stages of the transaction whose 5xx fails the whole message. */
#define STAGES_MESSAGE                                                         \
	(STAGE(SEND_STAGE_MAIL) | STAGE(SEND_STAGE_DATA) |                     \
	 STAGE(SEND_STAGE_DOT))

struct policy_smtp_rule {
	unsigned stages;      /* STAGE() bits; ANY matches every stage */
	unsigned kinds;       /* KIND() bits; ANY matches every kind */
	int code_lo, code_hi; /* inclusive; 0, 0 matches any code */
	const char *enhanced; /* prefix of the enhanced code, or NULL */
	const char *text;     /* case-insensitive substring, or NULL */
	enum send_class class;
	bool quota;
};

/* The rules, in order. docs/providers.md "Classification - SMTP". */
static const struct policy_smtp_rule policy_smtp_rules[] = {
    /* After the final dot the server may have taken the message. */
    {STAGE(SEND_STAGE_DOT),
     KIND(SEND_FACT_TIMEOUT) | KIND(SEND_FACT_LOST) | KIND(SEND_FACT_PROTOCOL),
     0, 0, NULL, NULL, SEND_UNKNOWN, false},
    {ANY, KIND(SEND_FACT_NO_AUTH), 0, 0, NULL, NULL, SEND_CONFIG, false},
    /*
     * The server cannot take this message as it is (no SMTPUTF8 for a
     * UTF-8 address or header; no 8BITMIME and no 7-bit form): nothing
     * was sent, and a server that offers the extension can take it.
     * Never a bounce: the message is fine, this upstream is not for it.
     */
    {ANY, KIND(SEND_FACT_NO_EXTENSION), 0, 0, NULL, NULL, SEND_DEFERRED, false},
    /* Any other failure without a reply: nothing was delivered. */
    {ANY,
     KIND(SEND_FACT_REFUSED) | KIND(SEND_FACT_TIMEOUT) | KIND(SEND_FACT_LOST) |
         KIND(SEND_FACT_TLS) | KIND(SEND_FACT_NO_STARTTLS) |
         KIND(SEND_FACT_PROTOCOL) | KIND(SEND_FACT_LOCAL),
     0, 0, NULL, NULL, SEND_DEFERRED, false},

    /* Replies from here on. */
    {ANY, ANY, 200, 299, NULL, NULL, SEND_ACCEPTED, false},
    /* Amazon SES: "454 Throttling failure: Daily message quota ...". */
    {ANY, ANY, 454, 454, NULL, "daily message quota", SEND_THROTTLED, true},
    {ANY, ANY, 454, 454, NULL, "throttling", SEND_THROTTLED, false},
    /* Authentication required or failed: our credentials. */
    {ANY, ANY, 530, 530, NULL, NULL, SEND_CONFIG, false},
    {ANY, ANY, 534, 535, NULL, NULL, SEND_CONFIG, false},
    {ANY, ANY, 538, 538, NULL, NULL, SEND_CONFIG, false},
    /* Amazon SES: "554 Message rejected: Email address is not verified". */
    {ANY, ANY, 554, 554, NULL, "not verified", SEND_CONFIG, false},
    {STAGE(SEND_STAGE_AUTH), ANY, 500, 599, NULL, NULL, SEND_CONFIG, false},
    /* Sender not allowed for this account. */
    {STAGE(SEND_STAGE_MAIL), ANY, 500, 599, "5.7.", NULL, SEND_CONFIG, false},
    /*
     * "554 5.7.1 Relay access denied" at RCPT means the relay does not
     * know us (AUTH missing or wrong), not that the address is bad:
     * failing the recipient would lose mail over a configuration slip.
     */
    {STAGE(SEND_STAGE_RCPT), ANY, 500, 599, "5.7.", "relay", SEND_CONFIG,
     false},
    {STAGE(SEND_STAGE_RCPT), ANY, 500, 599, NULL, "relay access denied",
     SEND_CONFIG, false},
    /* The server refuses the session, not this message: go elsewhere. */
    {STAGES_SESSION, ANY, 500, 599, NULL, NULL, SEND_DEFERRED, false},
    {STAGE(SEND_STAGE_RCPT), ANY, 500, 599, NULL, NULL, SEND_REJECTED, false},
    {STAGES_MESSAGE, ANY, 500, 599, NULL, NULL, SEND_REJECTED, false},
    /* 421, 451, 452, other 454 and every other 4xx. */
    {ANY, ANY, 400, 499, NULL, NULL, SEND_DEFERRED, false},
    /* Anything else (a 3xx out of turn, a 5xx in an odd stage). */
    {ANY, ANY, 0, 0, NULL, NULL, SEND_DEFERRED, false},
};

/* policy_smtp_contains - case-insensitive substring test. */
static bool
policy_smtp_contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay != '\0'; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return true;
	return false;
}

/* policy_smtp_rule_match - does rule r cover this outcome? */
static bool
policy_smtp_rule_match(const struct policy_smtp_rule *r, enum send_stage stage,
                       enum send_fact_kind kind, int code, const char *enhanced,
                       const char *text)
{
	if (r->stages != ANY && !(r->stages & STAGE(stage)))
		return false;
	if (r->kinds != ANY && !(r->kinds & KIND(kind)))
		return false;
	if (r->kinds == ANY && kind != SEND_FACT_REPLY)
		return false;
	if (r->code_lo != 0 && (code < r->code_lo || code > r->code_hi))
		return false;
	if (r->enhanced != NULL &&
	    strncmp(enhanced, r->enhanced, strlen(r->enhanced)) != 0)
		return false;
	if (r->text != NULL && !policy_smtp_contains(text, r->text))
		return false;
	return true;
}

/* policy_smtp_class - first matching rule's class. */
enum send_class
policy_smtp_class(enum send_stage stage, enum send_fact_kind kind, int code,
                  const char *enhanced, const char *text, bool *quota)
{
	size_t i;

	if (quota != NULL)
		*quota = false;
	if (enhanced == NULL)
		enhanced = "";
	if (text == NULL)
		text = "";
	for (i = 0;
	     i < sizeof(policy_smtp_rules) / sizeof(policy_smtp_rules[0]);
	     i++) {
		const struct policy_smtp_rule *r = &policy_smtp_rules[i];
		if (!policy_smtp_rule_match(r, stage, kind, code, enhanced,
		                            text))
			continue;
		if (quota != NULL)
			*quota = r->quota;
		return r->class;
	}
	return SEND_DEFERRED; /* not reached: the last rule matches replies */
}

/* policy_smtp_token - copy the id-like token at s into out; true if any. */
static bool
policy_smtp_token(const char *s, char *out, size_t outsize)
{
	size_t n = 0;

	while (*s == ' ')
		s++;
	if (*s == '<')
		s++;
	while (s[n] != '\0' && (isalnum((unsigned char)s[n]) ||
	                        strchr("._@+=/-", s[n]) != NULL))
		n++;
	if (n == 0)
		return false;
	if (n > outsize - 1)
		n = outsize - 1;
	memcpy(out, s, n);
	out[n] = '\0';
	return true;
}

/* policy_smtp_msgid - the provider's queue id from a 2xx reply text. */
bool
policy_smtp_msgid(const char *text, char *out, size_t outsize)
{
	const char *p;
	size_t i;

	if (outsize == 0)
		return false;
	out[0] = '\0';
	if (text == NULL)
		return false;
	for (p = text; *p != '\0'; p++)
		if (strncasecmp(p, "queued as ", 10) == 0)
			return policy_smtp_token(p + 10, out, outsize);
	for (i = 0; text[i] != '\0'; i++)
		if ((i == 0 || text[i - 1] == ' ') &&
		    strncasecmp(text + i, "id=", 3) == 0)
			return policy_smtp_token(text + i + 3, out, outsize);
	if (strncasecmp(text, "ok ", 3) == 0)
		return policy_smtp_token(text + 3, out, outsize);
	return false;
}

/* policy_smtp_result - classify and fill a whole result. */
void
policy_smtp_result(struct send_result *r, enum send_stage stage,
                   enum send_fact_kind kind, int code, const char *enhanced,
                   const char *text, const char *detail)
{
	bool quota;
	enum send_class c;
	const char *t;
	size_t i;

	c = policy_smtp_class(stage, kind, code, enhanced, text, &quota);
	send_result_init(r, c, stage);
	r->quota_exhausted = quota;
	if (kind == SEND_FACT_REPLY) {
		r->smtp_code = code;
		/* Enhanced codes are digits and dots; keep nothing else. */
		for (i = 0; enhanced != NULL && enhanced[i] != '\0' &&
		            i < sizeof(r->enhanced) - 1;
		     i++) {
			if (!isdigit((unsigned char)enhanced[i]) &&
			    enhanced[i] != '.')
				break;
			r->enhanced[i] = enhanced[i];
		}
		r->enhanced[i] = '\0';
		t = text;
	} else {
		t = detail;
	}
	if (t == NULL)
		t = send_fact_kind_name(kind);
	send_result_text_set(r, t, strlen(t));
	if (c == SEND_ACCEPTED && stage == SEND_STAGE_DOT)
		policy_smtp_msgid(r->text, r->provider_msg_id,
		                  sizeof(r->provider_msg_id));
}

/* policy_smtp_probe_class - a probe's outcome; see the contract. */
enum send_class
policy_smtp_probe_class(enum send_stage stage, enum send_fact_kind kind,
                        int code)
{
	if (kind != SEND_FACT_REPLY)
		return SEND_DEFERRED;
	if (code >= 200 && code <= 299)
		return SEND_ACCEPTED;
	if (code >= 500 && code <= 599 && stage == SEND_STAGE_AUTH)
		return SEND_CONFIG;
	return SEND_DEFERRED;
}

/* policy_smtp_probe_result - the facts as for a delivery, the probe's class. */
void
policy_smtp_probe_result(struct send_result *r, enum send_stage stage,
                         enum send_fact_kind kind, int code,
                         const char *enhanced, const char *text,
                         const char *detail)
{
	/* A probe sends no message: nothing of a message's id or quota. */
	policy_smtp_result(r, stage, kind, code, enhanced, text, detail);
	r->class = policy_smtp_probe_class(stage, kind, code);
	r->quota_exhausted = false;
	r->provider_msg_id[0] = '\0';
}

/* policy_smtp_rcpts_pick - the recipient result that stands for the message. */
size_t
policy_smtp_rcpts_pick(const struct send_result *rcpts, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (rcpts[i].class != SEND_REJECTED)
			return i;
	return 0;
}
