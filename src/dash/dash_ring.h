/*
 * dash_ring.h - the last hour of the dashboard's live figures, in 10 s
 * samples (contract).
 *
 * A ring of DASH_RING_SLOTS closed samples plus one open one. Between
 * two ticks the open sample counts, per provider, the attempts accepted
 * and failed and their summed duration, and per stream the messages sent
 * and their summed delivery latency (accepted -> provider accepted);
 * a tick stamps it with the time, records each stream's queue depth as
 * it is at that moment, and opens the next (the oldest falls out once
 * the ring is full). The dashboard's charts and its "last 5 minutes"
 * figures read the closed samples.
 *
 * In memory only (starts empty at each start). Pure logic: times passed
 * in. Loop thread only.
 */
#ifndef SWERVE_DASH_DASH_RING_H
#define SWERVE_DASH_DASH_RING_H

#include <stddef.h>
#include <stdint.h>

#define DASH_RING_STEP_MS 10000
#define DASH_RING_SLOTS 360 /* one hour of 10 s */

/* One closed sample; the arrays have n_prov and n_stream entries. */
struct dash_sample {
	int64_t at_ms;                          /* wall: when it closed */
	const uint64_t *ok, *failed, *dur_ms;   /* per provider */
	const uint64_t *sent, *lat_ms, *queued; /* per stream */
};

struct dash_ring;

/* dash_ring_new - an empty ring for n_prov providers and n_stream
 * streams. Never NULL. */
struct dash_ring *dash_ring_new(size_t n_prov, size_t n_stream);

/* dash_ring_free - release r. NULL is a no-op. */
void dash_ring_free(struct dash_ring *r);

/* dash_ring_attempt - an attempt on provider prov finished (ok: it was
 * accepted) after duration_ms. An index out of range is ignored. */
void dash_ring_attempt(struct dash_ring *r, size_t prov, int ok,
                       uint64_t duration_ms);

/* dash_ring_sent - a message of stream stream was sent, latency_ms after
 * it was accepted. An index out of range is ignored. */
void dash_ring_sent(struct dash_ring *r, size_t stream, uint64_t latency_ms);

/* dash_ring_tick - close the open sample at at_ms with queued[stream]
 * (n_stream entries; NULL: zeros) and open the next. */
void dash_ring_tick(struct dash_ring *r, int64_t at_ms, const uint64_t *queued);

/* dash_ring_len - closed samples kept (at most DASH_RING_SLOTS). */
size_t dash_ring_len(const struct dash_ring *r);

/* dash_ring_at - the i-th closed sample, 0 the oldest; -1 when i is out
 * of range. out's arrays are borrowed until the next tick. */
int dash_ring_at(const struct dash_ring *r, size_t i, struct dash_sample *out);

/*
 * dash_ring_sum - over the last `last` closed samples (fewer if the ring
 * holds fewer): the totals of provider prov (ok, failed, dur_ms; any may
 * be NULL) when prov < n_prov, and of stream stream (sent, lat_ms) when
 * stream < n_stream. Out-of-range indexes leave their outputs at 0.
 */
void dash_ring_sum(const struct dash_ring *r, size_t last, size_t prov,
                   size_t stream, uint64_t *ok, uint64_t *failed,
                   uint64_t *dur_ms, uint64_t *sent, uint64_t *lat_ms);

#endif
