/*
 * webhook_event.c - the outbound webhooks' event types, payloads and
 * retry schedule (see webhook_event.h). Pure; no I/O.
 */
#include "observe/webhook_event.h"

#include <jansson.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "observe/events.h"
#include "spool/feedback.h"

static const char *const webhook_type_names[WEBHOOK_TYPE_COUNT] = {
    [WEBHOOK_ACCEPTED] = "accepted",     [WEBHOOK_SENT] = "sent",
    [WEBHOOK_DELIVERED] = "delivered",   [WEBHOOK_DELAYED] = "delayed",
    [WEBHOOK_DEFERRED] = "deferred",     [WEBHOOK_BOUNCED] = "bounced",
    [WEBHOOK_COMPLAINED] = "complained", [WEBHOOK_FAILED] = "failed",
    [WEBHOOK_SUPPRESSED] = "suppressed",
};

const char *
webhook_type_name(enum webhook_type t)
{
	return (unsigned)t < WEBHOOK_TYPE_COUNT ? webhook_type_names[t] : "?";
}

int
webhook_type_parse(const char *name)
{
	int i;

	for (i = 0; name != NULL && i < WEBHOOK_TYPE_COUNT; i++)
		if (strcmp(name, webhook_type_names[i]) == 0)
			return i;
	return -1;
}

/* webhook_feedback_type - what a provider's report is for applications;
 * -1 for information only. */
static int
webhook_feedback_type(enum feedback_type t)
{
	switch (t) {
	case FEEDBACK_DELIVERED:
		return WEBHOOK_DELIVERED;
	case FEEDBACK_DELAYED:
		return WEBHOOK_DELAYED;
	case FEEDBACK_SOFT_BOUNCE:
	case FEEDBACK_HARD_BOUNCE:
		return WEBHOOK_BOUNCED;
	case FEEDBACK_COMPLAINT:
		return WEBHOOK_COMPLAINED;
	case FEEDBACK_REJECTED:
		return WEBHOOK_FAILED;
	default:
		return -1;
	}
}

int
webhook_event_type(const struct events_item *e)
{
	switch (e->kind) {
	case EVENT_ACCEPTED:
		return WEBHOOK_ACCEPTED;
	case EVENT_SENT:
		return WEBHOOK_SENT;
	case EVENT_DEFERRED:
		return WEBHOOK_DEFERRED;
	case EVENT_FAILED:
		return WEBHOOK_FAILED;
	case EVENT_SUPPRESSED:
		return WEBHOOK_SUPPRESSED;
	case EVENT_FEEDBACK:
		return e->feedback != NULL
		           ? webhook_feedback_type(e->feedback->type)
		           : -1;
	default:
		return -1;
	}
}

/* webhook_set_str - o[key] = s unless s is NULL or empty. */
static void
webhook_set_str(json_t *o, const char *key, const char *s)
{
	if (s != NULL && s[0] != '\0')
		json_object_set_new(o, key, json_string(s));
}

/* webhook_feedback_data - what a provider's report adds to data. */
static void
webhook_feedback_data(json_t *d, const struct feedback_event *f)
{
	webhook_set_str(d, "recipient", f->recipient);
	webhook_set_str(d, "provider", f->provider);
	webhook_set_str(d, "diagnostic", f->diagnostic);
	webhook_set_str(d, "provider_message_id", f->provider_msg_id);
	webhook_set_str(d, "provider_event_id", f->event_id);
	webhook_set_str(d, "enhanced", f->enhanced);
	if (f->smtp_code > 0)
		json_object_set_new(d, "smtp_code", json_integer(f->smtp_code));
	if (f->type == FEEDBACK_HARD_BOUNCE || f->type == FEEDBACK_SOFT_BOUNCE)
		json_object_set_new(d, "bounce",
		                    json_string(f->type == FEEDBACK_HARD_BOUNCE
		                                    ? "hard"
		                                    : "soft"));
}

char *
webhook_event_payload(const struct events_item *e, enum webhook_type t,
                      const char *id)
{
	json_t *o = json_object(), *d = json_object();
	int64_t at = e->at_ms;
	char ts[40];
	char *s;

	webhook_set_str(d, "message_id", e->msg_id);
	webhook_set_str(d, "tenant", e->tenant);
	webhook_set_str(d, "stream", e->stream);
	if (e->kind == EVENT_FEEDBACK && e->feedback != NULL) {
		webhook_feedback_data(d, e->feedback);
		if (e->feedback->occurred_ms > 0)
			at = e->feedback->occurred_ms;
	} else if (e->kind == EVENT_SUPPRESSED) {
		webhook_set_str(d, "recipient", e->rcpt);
		webhook_set_str(d, "reason", e->reason);
		webhook_set_str(d, "action", e->state);
	} else {
		webhook_set_str(d, "provider", e->provider);
		webhook_set_str(d, "diagnostic", e->text);
		if (e->rcpts > 0)
			json_object_set_new(d, "recipients",
			                    json_integer(e->rcpts));
	}
	clock_wall_text(at, ts, sizeof(ts));
	json_object_set_new(o, "id", json_string(id));
	json_object_set_new(o, "type", json_string(webhook_type_name(t)));
	json_object_set_new(o, "timestamp", json_string(ts));
	json_object_set_new(o, "data", d);
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (s == NULL)
		log_panic("webhook: json_dumps failed");
	return s;
}

char *
webhook_event_body(const char *payload, const char *meta)
{
	json_t *o, *d, *m = NULL, *v;
	char *s;

	o = json_loads(payload, 0, NULL);
	d = json_object_get(o, "data");
	if (!json_is_object(o) || !json_is_object(d)) {
		json_decref(o);
		return NULL;
	}
	if (meta != NULL)
		m = json_loads(meta, 0, NULL);
	if ((v = json_object_get(m, "tags")) != NULL && json_is_array(v))
		json_object_set(d, "tags", v);
	if ((v = json_object_get(m, "metadata")) != NULL && json_is_object(v))
		json_object_set(d, "metadata", v);
	json_decref(m);
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (s == NULL)
		log_panic("webhook: json_dumps failed");
	return s;
}

int64_t
webhook_event_backoff(unsigned attempts, int64_t min_ms, int64_t max_ms,
                      double rnd)
{
	int64_t d = min_ms > 0 ? min_ms : 1;
	unsigned i;

	for (i = 1; i < attempts && d < max_ms; i++)
		d *= 2;
	if (d > max_ms)
		d = max_ms;
	if (rnd < 0 || rnd >= 1)
		rnd = 0;
	return (int64_t)((double)d * (0.5 + rnd / 2));
}

int
webhook_event_dead(int64_t created_ms, int64_t next_ms, int64_t retry_for_ms)
{
	return next_ms - created_ms > retry_for_ms;
}
