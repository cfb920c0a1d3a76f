/*
 * result.h - the one vocabulary for delivery outcomes (contract).
 *
 * Every provider adapter (the SMTP client and the HTTP providers) reports
 * what happened to a message, and to each recipient, as a struct
 * send_result. Deliver, route, health, events and the logs read only this
 * struct; none of them look at SMTP codes or HTTP statuses to decide
 * anything. The class in it is decided in one place, the failure policy
 * of src/send (send/policy.h): adapters gather facts (send/fact.h) and
 * the policy fills the result (send/policy_smtp.c for SMTP,
 * send/policy_http.c for HTTP, send/policy.c for refusals made on
 * our side and for probes).
 *
 * The struct is self-contained (fixed-size arrays, no pointers), so it can
 * be copied, queued across threads and stored without ownership questions.
 * All text in it is sanitised: printable ASCII only, NUL-terminated,
 * truncated to the array size.
 */
#ifndef SWERVE_SEND_RESULT_H
#define SWERVE_SEND_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What deliver should do; see "Result classes" in docs/providers.md. */
enum send_class {
	SEND_ACCEPTED,  /* the provider took it; provider_msg_id kept */
	SEND_REJECTED,  /* permanent for this message or recipient */
	SEND_DEFERRED,  /* transient, nothing delivered: fail over now */
	SEND_THROTTLED, /* rate or quota answer: slow down, try elsewhere */
	SEND_CONFIG,    /* credentials, account, identity: alert, fail over */
	SEND_UNKNOWN,   /* may have been delivered (lost after sending) */
	SEND_CLASS_COUNT,
};

/*
 * Where the outcome was decided. SMTP uses CONNECT..DOT; HTTP providers use
 * CONNECT, REQUEST (before the request was fully written: nothing can have
 * been accepted) and RESPONSE (after: a lost answer is SEND_UNKNOWN).
 */
enum send_stage {
	SEND_STAGE_NONE,
	SEND_STAGE_CONNECT,  /* DNS, TCP connect, implicit TLS handshake */
	SEND_STAGE_GREETING, /* the server's 220 */
	SEND_STAGE_EHLO,     /* EHLO, and HELO after a 5xx to EHLO */
	SEND_STAGE_STARTTLS, /* STARTTLS and its handshake */
	SEND_STAGE_AUTH,     /* AUTH PLAIN / LOGIN */
	SEND_STAGE_MAIL,     /* RSET before a transaction, MAIL FROM */
	SEND_STAGE_RCPT,     /* RCPT TO */
	SEND_STAGE_DATA,     /* DATA, 354, streaming the body */
	SEND_STAGE_DOT,      /* final dot queued, waiting for the reply */
	SEND_STAGE_REQUEST,  /* HTTP: writing the request */
	SEND_STAGE_RESPONSE, /* HTTP: request written, waiting for the answer */
	SEND_STAGE_COUNT,
};

#define SEND_ENHANCED_SIZE 16 /* "5.1.1", up to "5.999.999" */
#define SEND_TEXT_SIZE 512    /* sanitised reply text or local error */
#define SEND_PROVIDER_CODE_SIZE                                                \
	64                  /* "MessageRejected", "rate_limit_exceeded" */
#define SEND_MSGID_SIZE 256 /* provider's message id */

struct send_result {
	enum send_class class;
	enum send_stage stage;
	int smtp_code;   /* 0 if no SMTP reply (network error, HTTP) */
	int http_status; /* 0 if not HTTP */
	char enhanced[SEND_ENHANCED_SIZE];           /* "" if none */
	char provider_code[SEND_PROVIDER_CODE_SIZE]; /* "" if none (SMTP) */
	char text[SEND_TEXT_SIZE];                   /* reply text or why */
	char provider_msg_id[SEND_MSGID_SIZE]; /* SEND_ACCEPTED: id or "" */
	int64_t retry_after_ms;                /* SEND_THROTTLED hint, 0 */
	bool quota_exhausted; /* SEND_THROTTLED: daily quota, not a rate */
};

/* send_class_name - "accepted", "rejected", "deferred", ... for logs. */
const char *send_class_name(enum send_class c);

/* send_stage_name - "connect", "greeting", ..., "dot", "request", ... */
const char *send_stage_name(enum send_stage s);

/* send_result_init - clear r and set its class and stage. */
void send_result_init(struct send_result *r, enum send_class c,
                      enum send_stage s);

/*
 * send_result_text_set - store len bytes of text in r->text, sanitised:
 * every byte outside printable ASCII (tab, CR, LF, NUL, 8-bit bytes
 * included) becomes '?', and the copy is truncated to fit.
 */
void send_result_text_set(struct send_result *r, const char *text, size_t len);

#endif
