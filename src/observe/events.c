/*
 * events.c - a fixed table of listeners and a loop over it.
 *
 * Process-wide on purpose: events come from ingress, delivery and the
 * watchers alike, and threading a bus pointer through each of them would
 * buy nothing (there is one loop thread).
 */
#include "observe/events.h"

#include <stddef.h>
#include <time.h>

#include "core/clock.h"

static struct {
	events_fn *fn;
	void *arg;
} events_listeners[EVENTS_MAX_LISTENERS];
static size_t events_n;

static const char *const events_names[EVENT_KIND_COUNT] = {
    [EVENT_ACCEPTED] = "accepted",
    [EVENT_ATTEMPT] = "attempt",
    [EVENT_SENT] = "sent",
    [EVENT_DEFERRED] = "deferred",
    [EVENT_FAILED] = "failed",
    [EVENT_FAILOVER] = "failover",
    [EVENT_DSN] = "dsn",
    [EVENT_HELD] = "held",
    [EVENT_CIRCUIT] = "circuit",
    [EVENT_PROBE] = "probe",
    [EVENT_STATUS_PAGE] = "status_page",
    [EVENT_THROTTLED] = "throttled",
    [EVENT_FEEDBACK] = "feedback",
    [EVENT_FEEDBACK_REFUSED] = "feedback_refused",
    [EVENT_SUPPRESSED] = "suppressed",
    [EVENT_ALERT] = "alert",
    [EVENT_NOTIFIED] = "notified",
    [EVENT_OPERATOR] = "operator",
    [EVENT_INCIDENT] = "incident",
    [EVENT_DRILL] = "drill",
    [EVENT_ANOMALY] = "anomaly",
};

const char *
events_kind_name(enum event_kind k)
{
	return (unsigned)k < EVENT_KIND_COUNT ? events_names[k] : "unknown";
}

int
events_subscribe(events_fn *fn, void *arg)
{
	if (events_n == EVENTS_MAX_LISTENERS)
		return -1;
	events_listeners[events_n].fn = fn;
	events_listeners[events_n].arg = arg;
	events_n++;
	return 0;
}

void
events_unsubscribe(events_fn *fn, void *arg)
{
	size_t i, j;

	for (i = 0; i < events_n; i++) {
		if (events_listeners[i].fn != fn ||
		    events_listeners[i].arg != arg)
			continue;
		for (j = i + 1; j < events_n; j++)
			events_listeners[j - 1] = events_listeners[j];
		events_n--;
		return;
	}
}

void
events_emit(struct events_item *e)
{
	size_t i;

	if (events_n == 0)
		return;
	if (e->at_ms == 0)
		e->at_ms = clock_wall_ms();
	for (i = 0; i < events_n; i++)
		events_listeners[i].fn(e, events_listeners[i].arg);
}
