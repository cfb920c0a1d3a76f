/*
 * events.h - what happened, told to whoever listens (contract).
 *
 * Ingress and delivery call events_emit() at each message and provider
 * event; observers (structured logs, alert rules, histograms) subscribe.
 * The emitter does not know who listens, and a listener never changes
 * what happens: it only records, counts or notifies.
 *
 * A struct events_item is borrowed for the duration of the call: listeners copy
 * what they keep. Strings may be NULL. No event carries a password, a key
 * or a message body; addresses appear only in message events' rcpt field
 * (listeners that export metrics must not use it as a label).
 *
 * Loop thread only: emit and subscribe from the thread running the
 * event_base. Listeners must not block.
 */
#ifndef SWERVE_OBSERVE_EVENTS_H
#define SWERVE_OBSERVE_EVENTS_H

#include <stdint.h>

#include "send/result.h"

struct feedback_event;

enum event_kind {
	/* message events: msg_id, tenant, stream set */
	EVENT_ACCEPTED, /* stored; ingress: "smtp" or "http" */
	EVENT_ATTEMPT,  /* an attempt finished: provider, cls, stage,
	                   text, duration_ms, rcpts (those sent in it),
	                   sender_domain ("" for the null sender) */
	EVENT_SENT,     /* every recipient settled, at least one sent;
	                   latency_ms: accepted -> provider accepted */
	EVENT_DEFERRED, /* no provider now: back off; text */
	EVENT_FAILED,   /* every recipient failed; text */
	EVENT_FAILOVER, /* provider -> to_provider; cls, text */
	EVENT_DSN,      /* a bounce was queued to the sender */
	EVENT_HELD,     /* outcome unknown, held (on_unknown: hold) */
	/* provider events: provider set */
	EVENT_CIRCUIT,     /* state: "open", "half-open", "closed"; reason;
	                      cls: SEND_CONFIG when a config failure did it */
	EVENT_PROBE,       /* ok: cls SEND_ACCEPTED, else the failure; text */
	EVENT_STATUS_PAGE, /* state: level name; text: description */
	EVENT_THROTTLED,   /* the provider slowed us down; text */
	/* delivery feedback (ingress/feedback.h): provider set */
	EVENT_FEEDBACK, /* a provider event was stored (new, not a replay):
	                   feedback (never NULL); msg_id, tenant, stream and
	                   sender_domain of the message it matched, all NULL
	                   when it matched none */
	EVENT_FEEDBACK_REFUSED, /* a request to a feedback path was refused,
	                           nothing stored: reason ("signature",
	                           "stale", "replay", "forbidden",
	                           "malformed", "too_large", "parse",
	                           "unavailable", "not_implemented",
	                           "spool"); text */
	/* suppression (ingress/submit_suppress.h): tenant set */
	EVENT_SUPPRESSED, /* a recipient on the tenant's suppression list was
	                     left out at submission: rcpt; reason (why it is
	                     listed: "hard_bounce", ...); state "refused"
	                     (the submitter was told) or "dropped" (accepted
	                     without it); msg_id NULL: not stored yet */
	/* operations (issues 15, 16, 18): provider and/or stream set when
	 * the subject is one */
	EVENT_ALERT,    /* an alert rule changed: state "firing" or
	                   "resolved"; reason: rule name; text: summary;
	                   provider/stream: the alert's subject when it is
	                   one */
	EVENT_NOTIFIED, /* a notifier delivered (state "ok") or gave up on
	                   (state "failed") a notification: reason: notifier
	                   kind ("slack", "webhook", "email",
	                   "alertmanager"); text: the alert rule or what was
	                   sent */
	EVENT_OPERATOR, /* an operator acted: reason: the action ("pause",
	                   "drain", "resume", "release", "reload",
	                   "incident_note", ...); text: detail; state: who
	                   (the admin key's name, "swervectl", "dashboard");
	                   msg_id when the action was on one message */
	EVENT_INCIDENT, /* an incident changed: msg_id NULL; reason: the
	                   incident id; state: "investigating",
	                   "identified", "monitoring", "resolved"; text:
	                   title */
	EVENT_DRILL,    /* a drill changed: reason: the drill id; state:
	                   "started", "ended", "aborted"; provider; text:
	                   the fault or why it ended */
	EVENT_ANOMALY,  /* the detector flagged (state "firing") or cleared
	                   ("resolved") a signal: reason: the signal name;
	                   provider/stream; text: the explanation */
	EVENT_KIND_COUNT,
};

struct events_item {
	enum event_kind kind;
	int64_t at_ms; /* wall clock, ms since the epoch */
	const char *msg_id, *tenant, *stream;
	const char *ingress; /* EVENT_ACCEPTED */
	const char *provider, *to_provider;
	enum send_class cls;
	enum send_stage stage;
	const char *state, *reason, *text;
	uint64_t duration_ms; /* EVENT_ATTEMPT */
	uint64_t latency_ms;  /* EVENT_SENT */
	uint64_t size;        /* EVENT_ACCEPTED: bytes */
	unsigned rcpts;       /* recipients concerned */
	/* EVENT_FEEDBACK: the event as stored (spool/feedback.h); and the
	 * message's sender domain (lower-case): EVENT_FEEDBACK (the matched
	 * message's) and EVENT_ATTEMPT */
	const struct feedback_event *feedback;
	const char *sender_domain;
	const char *rcpt; /* EVENT_SUPPRESSED: the address */
	/* EVENT_ATTEMPT: the lower-cased domain of the attempt's first
	 * recipient (what per-domain signals key on) */
	const char *rcpt_domain;
	/* 1 when the event was caused by a drill's simulated fault (issue
	 * 16): an attempt that ended with a simulated result, and whatever
	 * followed from it (circuit, failover, alert, incident); listeners
	 * label it as a drill */
	int drill;
};

typedef void events_fn(const struct events_item *e, void *arg);

/* events_kind_name - "accepted", "attempt", "circuit", ... */
const char *events_kind_name(enum event_kind k);

/*
 * events_subscribe - call fn(e, arg) for every event from now on. At most
 * EVENTS_MAX_LISTENERS; returns 0 or -1 when full.
 */
#define EVENTS_MAX_LISTENERS 32
int events_subscribe(events_fn *fn, void *arg);

/* events_unsubscribe - stop calling fn with arg. */
void events_unsubscribe(events_fn *fn, void *arg);

/* events_emit - tell every listener, in subscription order. e->at_ms 0 is
 * filled with the current time. */
void events_emit(struct events_item *e);

#endif
