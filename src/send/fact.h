/*
 * fact.h - what an adapter saw on one attempt, before anyone judged it
 * (contract).
 *
 * The SMTP client and the provider adapters report facts: where it
 * stopped, what kind of event ended it, the SMTP reply or the HTTP status,
 * the provider's own error code and message parsed from the body, and the
 * Retry-After and rate-limit headers. They never choose a result class:
 * send/policy.h turns a struct send_fact into a struct send_result.
 *
 * Everything in a struct send_fact is borrowed, and only for the duration
 * of the policy call that reads it; the result it fills is
 * self-contained. Text may be anything a peer sent (the policy sanitises
 * what it keeps).
 */
#ifndef SWERVE_SEND_FACT_H
#define SWERVE_SEND_FACT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "send/result.h"

/* What happened, apart from the stage it happened in. */
enum send_fact_kind {
	SEND_FACT_REPLY,       /* the peer answered: an SMTP reply, an HTTP
	                        response (any status) */
	SEND_FACT_REFUSED,     /* connect refused or failed, no address */
	SEND_FACT_TIMEOUT,     /* no complete answer in time */
	SEND_FACT_LOST,        /* the peer closed or reset the connection */
	SEND_FACT_TLS,         /* TLS handshake or certificate check failed */
	SEND_FACT_NO_STARTTLS, /* STARTTLS required but not offered */
	SEND_FACT_NO_AUTH,     /* credentials set, no usable AUTH offered */
	SEND_FACT_PROTOCOL, /* malformed or oversized reply, or out of turn */
	SEND_FACT_LOCAL,    /* our side: sockets, descriptors */
	SEND_FACT_NO_EXTENSION, /* the server lacks an extension this
	                           message needs (SMTPUTF8; 8BITMIME for a
	                           message with no 7-bit form): not sent */
	SEND_FACT_KIND_COUNT,
};

/* Whose answer it is: each provider type has its own error table. */
enum send_provider {
	SEND_PROVIDER_SMTP,
	SEND_PROVIDER_SES,
	SEND_PROVIDER_SENDGRID,
	SEND_PROVIDER_MAILGUN,
	SEND_PROVIDER_POSTMARK,
	SEND_PROVIDER_RESEND,
	SEND_PROVIDER_COUNT,
};

/*
 * One HTTP attempt's facts (the SMTP client passes its facts to
 * policy_smtp_result directly). Unset pointers are NULL, unset numbers 0.
 */
struct send_fact {
	enum send_provider provider;
	enum send_stage stage;    /* HTTP: connect, request or response */
	enum send_fact_kind kind; /* SEND_FACT_REPLY: a response came */
	bool request_sent;        /* the whole request was written */
	int http_status;          /* 0 if no response */
	/*
	 * The provider's error code or name as it spelled it
	 * ("MessageRejected", "406", "rate_limit_exceeded"), or for a
	 * transport failure the client's name for it ("timeout").
	 */
	const char *code;
	/* The provider's error message, which some rules read ("... not
	 * verified"); NULL if it gave none. */
	const char *message;
	/* What to show: text_len bytes (the message, or the start of the
	 * body); NULL: message, else code. Transport: the client's words. */
	const char *text;
	size_t text_len;
	const char *msgid; /* the provider's message id, msgid_len bytes */
	size_t msgid_len;
	const char *retry_after; /* Retry-After header value, NULL if none */
	const char *rate_reset;  /* the provider's rate-limit reset header
	                            (SendGrid X-RateLimit-Reset, Resend
	                            ratelimit-reset), NULL if none */
	time_t now;              /* wall clock, for Retry-After dates */
};

/* send_fact_kind_name - "reply", "refused", "timeout", ... for logs. */
const char *send_fact_kind_name(enum send_fact_kind k);

#endif
