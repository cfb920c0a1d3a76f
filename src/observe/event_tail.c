/*
 * event_tail.c - the ring of recent events (see event_tail.h).
 */
#include "observe/event_tail.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/clock.h"
#include "core/id.h"
#include "core/xmalloc.h"
#include "observe/events.h"
#include "observe/webhook_event.h"

struct event_tail_entry {
	uint64_t seq;
	int type;
	char *payload; /* webhook payload JSON */
};

struct event_tail {
	struct event_tail_entry ring[EVENT_TAIL_SIZE];
	uint64_t last;       /* newest seq; entry seq % SIZE */
	uint64_t read_at_ms; /* monotonic time of the last read */
	bool reading;        /* a client read within EVENT_TAIL_IDLE_MS */
};

/* event_tail_on_event - the bus listener: keep e if applications may
 * hear of it. */
static void
event_tail_on_event(const struct events_item *e, void *arg)
{
	struct event_tail *t = arg;
	struct event_tail_entry *x;
	char id[ID_SIZE], evid[ID_SIZE + 8];
	int type = webhook_event_type(e);

	if (type < 0 || !t->reading)
		return;
	/* Nobody has followed for a while: stop paying for the payloads
	 * (a JSON document per event, a sixth of a relayed message's CPU). */
	if (clock_mono_ms() - t->read_at_ms > EVENT_TAIL_IDLE_MS) {
		t->reading = false;
		return;
	}
	id_new(id);
	snprintf(evid, sizeof(evid), "tail_%s", id);
	t->last++;
	x = &t->ring[t->last % EVENT_TAIL_SIZE];
	free(x->payload);
	x->seq = t->last;
	x->type = type;
	x->payload = webhook_event_payload(e, (enum webhook_type)type, evid);
}

struct event_tail *
event_tail_new(void)
{
	struct event_tail *t = xcalloc(1, sizeof(*t));

	if (events_subscribe(event_tail_on_event, t) < 0) {
		free(t);
		return NULL;
	}
	return t;
}

uint64_t
event_tail_read(struct event_tail *t, uint64_t after, unsigned types,
                size_t max, json_t *arr)
{
	uint64_t s, first;
	size_t n = 0;

	if (t == NULL)
		return after;
	t->reading = true;
	t->read_at_ms = clock_mono_ms();
	if (after > t->last)
		after = 0; /* numbers of an earlier run: from the start */
	first = t->last > EVENT_TAIL_SIZE ? t->last - EVENT_TAIL_SIZE + 1 : 1;
	s = after + 1 > first ? after + 1 : first;
	for (; s <= t->last && n < max; s++) {
		const struct event_tail_entry *x =
		    &t->ring[s % EVENT_TAIL_SIZE];
		json_t *o;

		if (types != 0 && !(types & (1u << x->type)))
			continue;
		o = json_loads(x->payload, 0, NULL);
		if (o == NULL)
			continue;
		json_object_set_new(o, "seq", json_integer((json_int_t)x->seq));
		json_array_append_new(arr, o);
		n++;
	}
	return s - 1 > after ? s - 1 : after;
}

uint64_t
event_tail_last(const struct event_tail *t)
{
	return t != NULL ? t->last : 0;
}

void
event_tail_free(struct event_tail *t)
{
	size_t i;

	if (t == NULL)
		return;
	events_unsubscribe(event_tail_on_event, t);
	for (i = 0; i < EVENT_TAIL_SIZE; i++)
		free(t->ring[i].payload);
	free(t);
}
