/*
 * policy.h - what a failure means, for every provider type (contract).
 *
 * src/send is swerve's one failure policy: the only code that turns what
 * happened on an attempt into a result class (send/result.h). The SMTP
 * client (net/smtpc*.c) and the provider adapters (providers/) report
 * facts (send/fact.h); deliver, route and health act on the class and
 * never look at codes. The rules:
 *
 *   send/trouble.c       SMTP replies and SMTP transport failures
 *                        (docs/providers.md "Classification - SMTP")
 *   send/policy_http.c   HTTP transport failures, the default meaning of
 *                        an HTTP status, Retry-After and rate-limit
 *                        headers, and each HTTP provider's error table
 *                        (SES, SendGrid, Mailgun, Postmark, Resend) as
 *                        rows of data
 *   send/policy_local.c  refusals decided before anything reached a
 *                        provider, and what a probe's finding means
 *
 * Pure functions: no I/O, no clock of their own (the facts carry "now"),
 * no state. Nothing here includes a header above src/core.
 */
#ifndef SWERVE_SEND_POLICY_H
#define SWERVE_SEND_POLICY_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "send/fact.h"
#include "send/result.h"

/*
 * policy_http_result - fill r (all of it) from one HTTP attempt's facts f.
 * A transport failure (f->kind not TROUBLE_REPLY): nothing or not all of
 * the request written -> SEND_DEFERRED at stage connect or request; the
 * request fully written, then timeout, lost connection or an oversized
 * answer -> SEND_UNKNOWN at stage response. A response: the first row of
 * f->provider's error table that matches (status range, error code or
 * name, words of the message), else the default meaning of the status
 * (policy_http_status_class); a throttling answer gets its back-off from
 * the row, else from Retry-After / the provider's rate-limit reset
 * header, else 1 s. Text, provider code and message id are copied from f,
 * sanitised; an accepted answer reads "accepted" (or "accepted (no id)"
 * when the provider sent no message id).
 */
void policy_http_result(const struct send_fact *f, struct send_result *r);

/*
 * policy_http_status_class - the default meaning of an HTTP status, for
 * answers no provider row names: 2xx accepted, 429 throttled, 401/403 and
 * 3xx (redirects are not followed: the endpoint is misconfigured) config,
 * 408, 5xx and anything below 200 deferred, other 4xx rejected (more
 * often our bug than the recipient's).
 */
enum send_class policy_http_status_class(int status);

/*
 * policy_retry_after_ms - milliseconds from a Retry-After value (delta
 * seconds up to a week, or an HTTP date relative to now); fallback_ms
 * when absent or unreadable.
 */
int64_t policy_retry_after_ms(const char *value, time_t now,
                              int64_t fallback_ms);

/* Refusals decided on our side, before a provider saw the message. */
enum policy_local {
	/* The provider cannot carry this message faithfully (a JSON API
	 * and a message it would mangle): deferred, so another provider
	 * (raw MIME) takes it. Stage none, code "not_representable". */
	POLICY_LOCAL_UNREPRESENTABLE,
	/* The request could not be handed to the HTTP client: deferred
	 * at stage request. */
	POLICY_LOCAL_UNUSABLE_REQUEST,
	/* The adapter refused the message outright (-EINVAL: an address no
	 * provider could take): rejected, 5.1.3, at stage rcpt. */
	POLICY_LOCAL_BAD_ADDRESS,
	/* No client connection can be made (TLS context, resolver): an
	 * account-class fault, config, at stage connect. */
	POLICY_LOCAL_NO_CHANNEL,
	/* The stream's failover_after passed and the attempt was abandoned
	 * before the message was out: deferred. */
	POLICY_LOCAL_ABANDONED,
	/* ... after it was out: the provider may have it, unknown. */
	POLICY_LOCAL_ABANDONED_SENT,
	POLICY_LOCAL_COUNT,
};

/*
 * policy_local_result - fill r for a local refusal: class, stage,
 * enhanced code and provider code as listed above, and text (sanitised;
 * NULL: a short default).
 */
void policy_local_result(struct send_result *r, enum policy_local what,
                         const char *text);

/* What an active probe (a cheap authenticated call) found. */
enum policy_probe {
	POLICY_PROBE_UP,               /* the provider answered as hoped */
	POLICY_PROBE_NO_ANSWER,        /* transport failure: deferred */
	POLICY_PROBE_UNREADABLE,       /* an answer we cannot read: deferred */
	POLICY_PROBE_SENDING_DISABLED, /* the account may not send: config */
	POLICY_PROBE_QUOTA_USED_UP, /* the 24-hour quota is used: throttled */
	POLICY_PROBE_NOT_PERMITTED, /* the key lacks the send permission,
	                               or the sending domain is not active:
	                               config */
	POLICY_PROBE_COUNT,
};

/* policy_probe_class - the class a probe's finding stands for. */
enum send_class policy_probe_class(enum policy_probe what);

/*
 * policy_probe_key_valid - does a refused probe call still prove the key
 * valid? (Resend answers restricted_api_key to a sending-only key that
 * may not list domains.) f: the probe answer's facts.
 */
bool policy_probe_key_valid(const struct send_fact *f);

#endif
