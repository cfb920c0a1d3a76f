/*
 * webhook_event.h - what an application is told about its mail: the
 * event types of the outbound webhooks, their JSON, and when a failed
 * delivery is tried again (contract).
 *
 * An event on the bus (observe/events.h) becomes at most one webhook
 * event: accepted, sent, deferred and failed from the message events,
 * delivered, delayed, bounced, complained and failed (a provider's
 * rejection) from delivery feedback (EVENT_FEEDBACK), suppressed from
 * the submission's suppression step (EVENT_SUPPRESSED: data.recipient,
 * data.reason, data.action "refused" or "dropped"). Its payload
 *
 *   {"id": "evt_...", "type": "bounced", "timestamp": RFC 3339,
 *    "data": {"message_id", "recipient", "provider", "diagnostic",
 *             "tenant", "stream", "recipients", "bounce": "hard"|"soft",
 *             "smtp_code", "enhanced", "provider_message_id",
 *             "provider_event_id", "tags", "metadata"}}
 *
 * is fixed when the event is queued (members unknown are left out), and
 * the message's tags and metadata (msg_meta) are added when it is sent,
 * from what the spool stored with the message: the same row always
 * gives the same bytes, so a retry re-sends exactly what was signed
 * before, under the same id.
 *
 * Pure functions: time and randomness are arguments; no I/O.
 */
#ifndef SWERVE_OBSERVE_WEBHOOK_EVENT_H
#define SWERVE_OBSERVE_WEBHOOK_EVENT_H

#include <stddef.h>
#include <stdint.h>

struct events_item;

enum webhook_type {
	WEBHOOK_ACCEPTED,
	WEBHOOK_SENT,
	WEBHOOK_DELIVERED,
	WEBHOOK_DELAYED,
	WEBHOOK_DEFERRED,
	WEBHOOK_BOUNCED,
	WEBHOOK_COMPLAINED,
	WEBHOOK_FAILED,
	WEBHOOK_SUPPRESSED,
	WEBHOOK_TYPE_COUNT
};

/* webhook_type_name - "accepted", "sent", ..., "suppressed". */
const char *webhook_type_name(enum webhook_type t);

/* webhook_type_parse - the inverse; -1 for an unknown name. */
int webhook_type_parse(const char *name);

/*
 * webhook_event_type - the webhook type of bus event e, or -1 when
 * applications are not told about it (attempts, provider events,
 * feedback that is information only: sent, unsubscribe, other).
 */
int webhook_event_type(const struct events_item *e);

/*
 * webhook_event_payload - the JSON of e as type t with id and e's time
 * (compact, keys sorted), without tags and metadata. Caller frees.
 */
char *webhook_event_payload(const struct events_item *e, enum webhook_type t,
                            const char *id);

/*
 * webhook_event_body - the bytes to send: payload with data.tags and
 * data.metadata from meta (a msg_meta JSON object, spool/msg_meta.h;
 * NULL or unusable: none). Deterministic. Caller frees. NULL when
 * payload is not a JSON object.
 */
char *webhook_event_body(const char *payload, const char *meta);

/*
 * webhook_event_backoff - how long to wait before attempt number
 * attempts + 1 after attempts (>= 1) failed: min_ms doubled per failure,
 * at most max_ms, scaled by a jitter factor 0.5 + rnd / 2 (rnd in
 * [0, 1)), so that receivers coming back are not hit by every sender at
 * once.
 */
int64_t webhook_event_backoff(unsigned attempts, int64_t min_ms, int64_t max_ms,
                              double rnd);

/*
 * webhook_event_dead - true when a delivery that keeps failing should
 * stop: the next attempt (at next_ms) would come more than retry_for_ms
 * after the event was queued (created_ms).
 */
int webhook_event_dead(int64_t created_ms, int64_t next_ms,
                       int64_t retry_for_ms);

#endif
