/*
 * feedback.h - what a provider (or a bounce mailbox) later tells about
 * a message it took: one event per recipient (contract).
 *
 * The verifiers and parsers of each provider's events (ingress/feedback_*:
 * SES through SNS, SendGrid, Mailgun, Postmark, Resend webhooks, and RFC
 * 3464 DSNs / RFC 5965 ARF reports on the bounce listener) turn a request
 * that passed its signature check into an array of struct
 * feedback_event. The spool stores each one durably, de-duplicated on
 * (provider, event_id), against the message and recipient it names (the
 * only owner of message state); then it is published on the event bus
 * (observe/events.h), where suppression, rates and outbound webhooks
 * listen.
 *
 * Plain data with fixed-size fields: a parser fills them (truncating,
 * always NUL-terminated) and owns nothing; safe to copy by value.
 */
#ifndef SWERVE_SPOOL_FEEDBACK_H
#define SWERVE_SPOOL_FEEDBACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What happened. Unknown provider event names map to FEEDBACK_OTHER
 * (stored, counted, acted on by nobody). */
enum feedback_type {
	FEEDBACK_SENT,        /* provider-side "processed/send" (information) */
	FEEDBACK_DELIVERED,   /* the receiving server took it */
	FEEDBACK_DELAYED,     /* provider still retrying (DeliveryDelay,
	                         deferred, delivery_delayed, temporary) */
	FEEDBACK_SOFT_BOUNCE, /* transient failure reported as final */
	FEEDBACK_HARD_BOUNCE, /* permanent: the address is bad */
	FEEDBACK_COMPLAINT,   /* the recipient reported it as spam */
	FEEDBACK_REJECTED,    /* the provider refused or dropped it without
	                         trying (Reject, dropped, suppressed) */
	FEEDBACK_UNSUBSCRIBE, /* the recipient unsubscribed */
	FEEDBACK_OTHER,       /* anything else (opens, clicks, unknown) */
	FEEDBACK_TYPE_COUNT
};

#define FEEDBACK_ID_MAX 128    /* event_id, provider */
#define FEEDBACK_MSGID_MAX 256 /* provider_msg_id */
#define FEEDBACK_ADDR_MAX 320  /* recipient */
#define FEEDBACK_TEXT_MAX 512  /* diagnostic */

struct feedback_event {
	enum feedback_type type;
	char provider[FEEDBACK_ID_MAX]; /* configured provider name */
	char event_id[FEEDBACK_ID_MAX]; /* the provider's de-duplication key
	                                   (SNS MessageId + recipient,
	                                   sg_event_id, Mailgun event id,
	                                   Postmark ID/composite, svix-id +
	                                   recipient, DSN Message-ID +
	                                   recipient) */
	char provider_msg_id[FEEDBACK_MSGID_MAX]; /* joins the attempt's
	                                             provider message id */
	char swerve_id[64];                /* swerve's id as echoed back (tag,
	                                      custom arg, VERP), or "" */
	char recipient[FEEDBACK_ADDR_MAX]; /* lower-case domain, or "" */
	int64_t occurred_ms;               /* when the provider says; 0: now */
	int smtp_code;                     /* 0 when unknown */
	char enhanced[16];                 /* "5.1.1", or "" */
	char provider_type[64];    /* raw, e.g. "Permanent" / "bounce" */
	char provider_subtype[64]; /* raw, e.g. "General" / "blocked" */
	char diagnostic[FEEDBACK_TEXT_MAX]; /* sanitised, for people */
};

/* feedback_type_name - "sent", "delivered", "delayed", "soft_bounce",
 * "hard_bounce", "complaint", "rejected", "unsubscribe", "other". */
const char *feedback_type_name(enum feedback_type t);

/* feedback_type_parse - the inverse; -1 for an unknown name. */
int feedback_type_parse(const char *name);

/*
 * feedback_set - copy the C string src into the fixed field dst[0..cap),
 * truncated at a UTF-8 character boundary, control characters replaced
 * by spaces; always NUL-terminated. src NULL leaves "".
 */
void feedback_set(char *dst, size_t cap, const char *src);

/* feedback_set_n - the same for src[0..len) (NULs end it early). */
void feedback_set_n(char *dst, size_t cap, const char *src, size_t len);

/*
 * feedback_set_recipient - e->recipient from the address addr (NULL:
 * ""), as feedback_set copies it, with the domain (after the last '@')
 * in ASCII lower case: providers echo the address in any case, the
 * spool matches recipients by it.
 */
void feedback_set_recipient(struct feedback_event *e, const char *addr);

#endif
