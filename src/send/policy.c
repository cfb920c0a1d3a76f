/*
 * policy.c - what a refusal on our own side means, and what an
 * active probe's finding says about a provider.
 *
 * Two small tables. A local refusal happens before a provider saw the
 * message (a JSON API that would mangle it, a request that could not be
 * submitted, an address nobody could take, no client connection, an
 * attempt abandoned at the stream's failover_after); a probe finding is
 * what a cheap authenticated call learnt about the account. Nothing here
 * does I/O or keeps state.
 */
#include "send/policy.h"

#include <stdio.h>
#include <string.h>

struct policy_local_row {
	enum send_class class;
	enum send_stage stage;
	const char *enhanced; /* "" if none */
	const char *code;     /* provider_code, "" if none */
	const char *text;     /* when the caller gives none */
};

static const struct policy_local_row policy_local_rows[POLICY_LOCAL_COUNT] = {
    /* Another provider (raw MIME) can take it: nothing was sent. */
    [POLICY_LOCAL_UNREPRESENTABLE] = {SEND_DEFERRED, SEND_STAGE_NONE, "",
                                      "not_representable",
                                      "cannot carry this message"},
    [POLICY_LOCAL_UNUSABLE_REQUEST] = {SEND_DEFERRED, SEND_STAGE_REQUEST, "",
                                       "", "unusable request"},
    [POLICY_LOCAL_BAD_ADDRESS] = {SEND_REJECTED, SEND_STAGE_RCPT, "5.1.3", "",
                                  "invalid address"},
    /* The TLS context or the resolver: as good as refused credentials. */
    [POLICY_LOCAL_NO_CHANNEL] = {SEND_CONFIG, SEND_STAGE_CONNECT, "", "",
                                 "cannot make a client connection"},
    [POLICY_LOCAL_ABANDONED] = {SEND_DEFERRED, SEND_STAGE_NONE, "", "",
                                "no answer in time"},
    /* Out of our hands: a resend may duplicate it. */
    [POLICY_LOCAL_ABANDONED_SENT] = {SEND_UNKNOWN, SEND_STAGE_NONE, "", "",
                                     "no answer in time after the message "
                                     "was sent"},
};

void
policy_local_result(struct send_result *r, enum policy_local what,
                    const char *text)
{
	const struct policy_local_row *w;

	if ((unsigned)what >= POLICY_LOCAL_COUNT)
		what = POLICY_LOCAL_ABANDONED;
	w = &policy_local_rows[what];
	send_result_init(r, w->class, w->stage);
	snprintf(r->enhanced, sizeof(r->enhanced), "%s", w->enhanced);
	snprintf(r->provider_code, sizeof(r->provider_code), "%s", w->code);
	if (text == NULL)
		text = w->text;
	send_result_text_set(r, text, strlen(text));
}

static const enum send_class policy_probe_classes[POLICY_PROBE_COUNT] = {
    [POLICY_PROBE_UP] = SEND_ACCEPTED,
    /* A probe changes nothing: a lost answer is just a failure. */
    [POLICY_PROBE_NO_ANSWER] = SEND_DEFERRED,
    [POLICY_PROBE_UNREADABLE] = SEND_DEFERRED,
    /* It answers, but will not send: as good as a refused login. */
    [POLICY_PROBE_SENDING_DISABLED] = SEND_CONFIG,
    [POLICY_PROBE_QUOTA_USED_UP] = SEND_THROTTLED,
    [POLICY_PROBE_NOT_PERMITTED] = SEND_CONFIG,
};

enum send_class
policy_probe_class(enum policy_probe what)
{
	if ((unsigned)what >= POLICY_PROBE_COUNT)
		return SEND_DEFERRED;
	return policy_probe_classes[what];
}

bool
policy_probe_key_valid(const struct send_fact *f)
{
	return f->kind == SEND_FACT_REPLY &&
	       f->provider == SEND_PROVIDER_RESEND && f->code != NULL &&
	       strcmp(f->code, "restricted_api_key") == 0;
}
