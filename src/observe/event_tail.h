/*
 * event_tail.h - the last events, for `swervectl events tail` (contract).
 *
 * A listener on the event bus that keeps the most recent events an
 * application could subscribe to (observe/webhook_event.h: the same
 * types and the same JSON as the outbound webhooks, without tags and
 * metadata) in a ring, each with a sequence number that only grows.
 * GET /v1/events (ingress/http_events.c) reads it: a client polls with
 * the last number it saw and gets what came after. Memory only: a
 * restart starts an empty ring, and a client that falls more than the
 * ring's size behind misses the oldest (it sees the gap in the numbers).
 * The ring fills only while somebody follows: from the first read until
 * EVENT_TAIL_IDLE_MS pass without one (a payload per event costs a
 * sixth of a relayed message's CPU, for nobody otherwise), so a
 * client's first poll sees nothing older than itself.
 *
 * Loop thread only.
 */
#ifndef SWERVE_OBSERVE_EVENT_TAIL_H
#define SWERVE_OBSERVE_EVENT_TAIL_H

#include <stddef.h>
#include <stdint.h>

struct event_tail;
struct json_t;

#define EVENT_TAIL_SIZE 4096
#define EVENT_TAIL_IDLE_MS 60000

/* event_tail_new - a ring of EVENT_TAIL_SIZE events, subscribed to the
 * bus. NULL when the bus has no room. */
struct event_tail *event_tail_new(void);

/*
 * event_tail_read - append to arr (a JSON array, borrowed) the events
 * with a number above after, oldest first, at most max, of the types in
 * the bit set types (1 << enum webhook_type; 0: all); each is the
 * webhook payload with "seq" added. Returns the number to poll after
 * next (the newest event's, whether or not it passed the filter). A
 * read (re)starts the recording (see above).
 */
uint64_t event_tail_read(struct event_tail *t, uint64_t after, unsigned types,
                         size_t max, struct json_t *arr);

/* event_tail_last - the newest event's number (0: none yet). */
uint64_t event_tail_last(const struct event_tail *t);

/* event_tail_free - unsubscribe and free. NULL is a no-op. */
void event_tail_free(struct event_tail *t);

#endif
