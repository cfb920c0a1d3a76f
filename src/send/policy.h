/*
 * policy.h - what a failure means, for every provider type (contract).
 *
 * src/send is swerve's one failure policy: the only code that turns what
 * happened on an attempt into a result class (send/result.h). The SMTP
 * client (net/smtpc*.c) and the provider adapters (providers/) report
 * facts (send/fact.h); deliver, route and health act on the class and
 * never look at codes. The rules:
 *
 *   send/policy_smtp.c   SMTP replies, SMTP transport failures and SMTP
 *                        probe outcomes (docs/providers.md
 *                        "Classification - SMTP")
 *   send/policy_http.c   HTTP transport failures, the default meaning of
 *                        an HTTP status, Retry-After and rate-limit
 *                        headers, and each HTTP provider's error table
 *                        (SES, SendGrid, Mailgun, Postmark, Resend) as
 *                        rows of data
 *   send/policy.c        refusals decided before anything reached a
 *                        provider, and what an HTTP probe's finding means
 *
 * Pure functions: no I/O, no clock of their own (the facts carry "now"),
 * no state. Nothing here includes a header above src/core.
 */
#ifndef SWERVE_SEND_POLICY_H
#define SWERVE_SEND_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "send/fact.h"
#include "send/result.h"

/* ---- SMTP (send/policy_smtp.c) ---------------------------------------
 *
 * The SMTP client reports each outcome as its stage, its kind, and for a
 * reply the code, enhanced code and text. Summary of the rules: 2xx
 * accepted; 454 "Throttling" throttled; 530/534/535/538, "not verified",
 * 5.7.x at MAIL, "relay" 5.7.x at RCPT, any 5xx at AUTH: config; other 5xx
 * at RCPT rejects that recipient; other 5xx at MAIL, DATA or the dot
 * rejects the message; 5xx before the session is up (greeting, EHLO,
 * STARTTLS), 421, other 4xx, refused, timeouts, TLS failures, a server
 * without an extension the message needs (SMTPUTF8, 8BITMIME): deferred; a
 * timeout, lost connection or garbled reply after the final dot: unknown.
 * docs/providers.md "Classification - SMTP".
 */

/*
 * policy_smtp_class - the class of one outcome. code, enhanced ("" or
 * NULL if none) and text (sanitised; NULL taken as "") matter only for
 * SEND_FACT_REPLY. Sets *quota (may be NULL) when a throttling answer is
 * about a daily quota rather than a rate.
 */
enum send_class policy_smtp_class(enum send_stage stage,
                                  enum send_fact_kind kind, int code,
                                  const char *enhanced, const char *text,
                                  bool *quota);

/*
 * policy_smtp_result - fill r for one outcome: class (as above), stage,
 * code, enhanced code, text (for a reply: its text; otherwise detail,
 * e.g. "connect: Connection refused"), and for a 2xx at the dot the
 * provider message id taken from the text. text and detail may be NULL.
 */
void policy_smtp_result(struct send_result *r, enum send_stage stage,
                        enum send_fact_kind kind, int code,
                        const char *enhanced, const char *text,
                        const char *detail);

/*
 * policy_smtp_probe_class - what the outcome of a probe (a session set up and
 * closed without mail) says about the provider: a 2xx reply (the session
 * came up) is SEND_ACCEPTED; a 5xx to AUTH is SEND_CONFIG (the account or
 * its credentials are refused); anything else is SEND_DEFERRED. A probe
 * carries no message, so none of the message rules apply.
 */
enum send_class policy_smtp_probe_class(enum send_stage stage,
                                        enum send_fact_kind kind, int code);

/*
 * policy_smtp_probe_result - fill r for one probe outcome, as
 * policy_smtp_result does for a delivery, with the class of
 * policy_smtp_probe_class. Pass SEND_STAGE_NONE with the last reply when the
 * session came up.
 */
void policy_smtp_probe_result(struct send_result *r, enum send_stage stage,
                              enum send_fact_kind kind, int code,
                              const char *enhanced, const char *text,
                              const char *detail);

/*
 * policy_smtp_msgid - find the queue id in the text of a 2xx reply to the
 * dot: "queued as X" (Postfix, SendGrid), "Ok X" (Amazon SES), "id=X"
 * (Exim). Writes it NUL-terminated into out (truncated to fit) and returns
 * true, or returns false and writes "".
 */
bool policy_smtp_msgid(const char *text, char *out, size_t outsize);

/*
 * policy_smtp_rcpts_pick - when no recipient was accepted, the index of the
 * recipient result that stands for the message: the first that is not
 * SEND_REJECTED (a transient or config reason: worth another provider),
 * else the first. n must be > 0.
 */
size_t policy_smtp_rcpts_pick(const struct send_result *rcpts, size_t n);

/* ---- HTTP (send/policy_http.c) --------------------------------------- */

/*
 * policy_http_result - fill r (all of it) from one HTTP attempt's facts f.
 * A transport failure (f->kind not SEND_FACT_REPLY): nothing or not all of
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

/* ---- our side, and HTTP probes (send/policy.c) ----------------------- */

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
