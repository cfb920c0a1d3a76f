/*
 * dash_ring.c - the last hour in 10 s samples: one flat array of
 * DASH_RING_SLOTS + 1 slots (the last one written is the open sample),
 * each slot 3 counters per provider and 3 per stream.
 */
#include "dash/dash_ring.h"

#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"

#define DASH_RING_CAP (DASH_RING_SLOTS + 1)

struct dash_ring {
	size_t n_prov, n_stream, width; /* width: counters per slot */
	uint64_t *v;                    /* DASH_RING_CAP * width */
	int64_t at[DASH_RING_CAP];
	size_t head; /* the open slot */
	size_t len;  /* closed slots */
};

/* Offsets of a slot's arrays. */
#define R_OK(r) 0
#define R_FAILED(r) ((r)->n_prov)
#define R_DUR(r) (2 * (r)->n_prov)
#define R_SENT(r) (3 * (r)->n_prov)
#define R_LAT(r) (3 * (r)->n_prov + (r)->n_stream)
#define R_QUEUED(r) (3 * (r)->n_prov + 2 * (r)->n_stream)

struct dash_ring *
dash_ring_new(size_t n_prov, size_t n_stream)
{
	struct dash_ring *r = xcalloc(1, sizeof(*r));

	r->n_prov = n_prov;
	r->n_stream = n_stream;
	r->width = 3 * n_prov + 3 * n_stream;
	r->v =
	    xcalloc(DASH_RING_CAP * (r->width ? r->width : 1), sizeof(*r->v));
	return r;
}

void
dash_ring_free(struct dash_ring *r)
{
	if (r == NULL)
		return;
	free(r->v);
	free(r);
}

/* dash_ring_slot - the counters of slot s. */
static uint64_t *
dash_ring_slot(const struct dash_ring *r, size_t s)
{
	return r->v + s * r->width;
}

void
dash_ring_attempt(struct dash_ring *r, size_t prov, int ok,
                  uint64_t duration_ms)
{
	uint64_t *s = dash_ring_slot(r, r->head);

	if (prov >= r->n_prov)
		return;
	s[(ok ? R_OK(r) : R_FAILED(r)) + prov]++;
	s[R_DUR(r) + prov] += duration_ms;
}

void
dash_ring_sent(struct dash_ring *r, size_t stream, uint64_t latency_ms)
{
	uint64_t *s = dash_ring_slot(r, r->head);

	if (stream >= r->n_stream)
		return;
	s[R_SENT(r) + stream]++;
	s[R_LAT(r) + stream] += latency_ms;
}

void
dash_ring_tick(struct dash_ring *r, int64_t at_ms, const uint64_t *queued)
{
	uint64_t *s = dash_ring_slot(r, r->head);
	size_t i;

	for (i = 0; i < r->n_stream; i++)
		s[R_QUEUED(r) + i] = queued ? queued[i] : 0;
	r->at[r->head] = at_ms;
	r->head = (r->head + 1) % DASH_RING_CAP;
	if (r->len < DASH_RING_SLOTS)
		r->len++;
	memset(dash_ring_slot(r, r->head), 0, r->width * sizeof(*r->v));
}

size_t
dash_ring_len(const struct dash_ring *r)
{
	return r->len;
}

int
dash_ring_at(const struct dash_ring *r, size_t i, struct dash_sample *out)
{
	size_t slot;
	const uint64_t *s;

	if (i >= r->len)
		return -1;
	slot = (r->head + DASH_RING_CAP - r->len + i) % DASH_RING_CAP;
	s = dash_ring_slot(r, slot);
	out->at_ms = r->at[slot];
	out->ok = s + R_OK(r);
	out->failed = s + R_FAILED(r);
	out->dur_ms = s + R_DUR(r);
	out->sent = s + R_SENT(r);
	out->lat_ms = s + R_LAT(r);
	out->queued = s + R_QUEUED(r);
	return 0;
}

/* dash_ring_add - *out += v when out is not NULL. */
static void
dash_ring_add(uint64_t *out, uint64_t v)
{
	if (out != NULL)
		*out += v;
}

void
dash_ring_sum(const struct dash_ring *r, size_t last, size_t prov,
              size_t stream, uint64_t *ok, uint64_t *failed, uint64_t *dur_ms,
              uint64_t *sent, uint64_t *lat_ms)
{
	uint64_t *outs[] = {ok, failed, dur_ms, sent, lat_ms};
	struct dash_sample s;
	size_t i, k;

	for (k = 0; k < sizeof(outs) / sizeof(outs[0]); k++)
		if (outs[k] != NULL)
			*outs[k] = 0;
	if (last > r->len)
		last = r->len;
	for (i = r->len - last; i < r->len; i++) {
		if (dash_ring_at(r, i, &s) != 0)
			break;
		if (prov < r->n_prov) {
			dash_ring_add(ok, s.ok[prov]);
			dash_ring_add(failed, s.failed[prov]);
			dash_ring_add(dur_ms, s.dur_ms[prov]);
		}
		if (stream < r->n_stream) {
			dash_ring_add(sent, s.sent[stream]);
			dash_ring_add(lat_ms, s.lat_ms[stream]);
		}
	}
}
