/*
 * health.c - passive health per provider: counts, success ratio, latency
 * EWMA, score and fail-back ramp.
 *
 * The window is a ring of HEALTH_BUCKETS slices of window_ms /
 * HEALTH_BUCKETS each (10 s with the defaults), so it slides in steps of
 * one slice and nothing is allocated. Does not decide anything: the
 * breaker opens and closes, the router weighs; this only measures.
 */
#include "route/health.h"

#include <stddef.h>
#include <string.h>

static const struct health_opts health_defaults = {
    .ewma_alpha = 0.2,
    .window_ms = 300000,
    .latency_ref_ms = 1000,
};

void
health_init(struct health *h, const struct health_opts *opts)
{
	const struct health_opts *d = &health_defaults;

	memset(h, 0, sizeof(*h));
	h->opts = opts ? *opts : *d;
	/* Written so that NaN takes the default too. */
	if (!(h->opts.ewma_alpha > 0))
		h->opts.ewma_alpha = d->ewma_alpha;
	if (h->opts.ewma_alpha > 1)
		h->opts.ewma_alpha = 1;
	if (h->opts.window_ms == 0)
		h->opts.window_ms = d->window_ms;
	if (h->opts.latency_ref_ms == 0)
		h->opts.latency_ref_ms = d->latency_ref_ms;
}

bool
health_class_is_success(enum send_class cls)
{
	return cls == SEND_ACCEPTED || cls == SEND_REJECTED;
}

/* health_slice_ms - width of one window slice, never 0. */
static uint64_t
health_slice_ms(const struct health *h)
{
	uint64_t w = h->opts.window_ms / HEALTH_BUCKETS;

	return w ? w : 1;
}

/* health_bucket_live - does slice k belong to the window ending at cur? */
static bool
health_bucket_live(const struct health_bucket *k, uint64_t cur)
{
	/* Older than the window, or from a clock that ran backwards. */
	return k->slot <= cur && k->slot + HEALTH_BUCKETS > cur;
}

void
health_record(struct health *h, uint64_t now_ms, enum send_class cls,
              uint64_t latency_ms)
{
	uint64_t slot = now_ms / health_slice_ms(h);
	struct health_bucket *k = &h->win[slot % HEALTH_BUCKETS];
	double a = h->opts.ewma_alpha;

	if ((unsigned)cls >= SEND_CLASS_COUNT)
		return;
	h->total[cls]++;
	if (k->slot != slot)
		*k = (struct health_bucket){.slot = slot};
	if (k->n[cls] < UINT32_MAX)
		k->n[cls]++;
	if (!health_class_is_success(cls))
		return;
	if (!h->have_latency) {
		h->ewma_ms = (double)latency_ms;
		h->have_latency = true;
	} else {
		h->ewma_ms = a * (double)latency_ms + (1 - a) * h->ewma_ms;
	}
}

uint64_t
health_window_count(const struct health *h, uint64_t now_ms,
                    enum send_class cls)
{
	uint64_t cur = now_ms / health_slice_ms(h), n = 0;
	size_t i;

	if ((unsigned)cls >= SEND_CLASS_COUNT)
		return 0;
	for (i = 0; i < HEALTH_BUCKETS; i++)
		if (health_bucket_live(&h->win[i], cur))
			n += h->win[i].n[cls];
	return n;
}

double
health_success_ratio(const struct health *h, uint64_t now_ms)
{
	uint64_t cur = now_ms / health_slice_ms(h), ok = 0, all = 0;
	size_t i;
	int c;

	/* One pass over the ring: routing asks this for every candidate of
	 * every message. */
	for (i = 0; i < HEALTH_BUCKETS; i++) {
		if (!health_bucket_live(&h->win[i], cur))
			continue;
		for (c = 0; c < SEND_CLASS_COUNT; c++) {
			all += h->win[i].n[c];
			if (health_class_is_success((enum send_class)c))
				ok += h->win[i].n[c];
		}
	}
	return all == 0 ? 1.0 : (double)ok / (double)all;
}

uint64_t
health_latency_ewma(const struct health *h)
{
	return h->have_latency ? (uint64_t)(h->ewma_ms + 0.5) : 0;
}

double
health_score(const struct health *h, uint64_t now_ms)
{
	double ref = (double)h->opts.latency_ref_ms;
	double lat = 1.0, s;

	if (h->have_latency && h->ewma_ms > ref)
		lat = 2 * ref / (ref + h->ewma_ms);
	s = health_success_ratio(h, now_ms) * lat;
	return s < HEALTH_SCORE_FLOOR ? HEALTH_SCORE_FLOOR : s;
}

void
health_ramp_start(struct health *h, uint64_t now_ms, uint64_t ramp_ms)
{
	h->ramp_start_ms = now_ms;
	h->ramp_ms = ramp_ms;
	memset(h->win, 0, sizeof(h->win));
}

double
health_ramp_factor(const struct health *h, uint64_t now_ms)
{
	double f;

	if (h->ramp_ms == 0)
		return 1.0;
	/* Before the start (clock ran backwards): the lowest share. */
	if (now_ms <= h->ramp_start_ms)
		return HEALTH_RAMP_FLOOR;
	if (now_ms - h->ramp_start_ms >= h->ramp_ms)
		return 1.0;
	f = (double)(now_ms - h->ramp_start_ms) / (double)h->ramp_ms;
	return HEALTH_RAMP_FLOOR + (1.0 - HEALTH_RAMP_FLOOR) * f;
}
