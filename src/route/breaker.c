/*
 * breaker.c - circuit breaker per provider: closed, open, half-open.
 *
 * Fed one outcome per delivery attempt. The failure ratio is counted over
 * a ring of BREAKER_BUCKETS slices of window_ms / BREAKER_BUCKETS each, so
 * the window slides in steps of one slice and nothing is allocated. Health
 * is earned back slowly: after a cool-down only a few trial messages go,
 * and a provider that fails them waits twice as long next time.
 *
 * Does not log and does not know the provider: the caller logs every
 * returned event with b->reason.
 */
#include "route/breaker.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

static const struct breaker_opts breaker_defaults = {
    .consecutive_failures = 3,
    .window_ms = 30000,
    .min_volume = 20,
    .failure_pct = 50,
    .cooldown_min_ms = 5000,
    .cooldown_max_ms = 300000,
    .config_cooldown_ms = 600000,
    .half_open_trials = 3,
    .close_after = 3,
};

/* breaker_add - a + b, saturating at UINT64_MAX ("forever"). */
static uint64_t
breaker_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

void
breaker_init(struct breaker *b, const struct breaker_opts *opts)
{
	const struct breaker_opts *d = &breaker_defaults;
	struct breaker_opts *o;

	memset(b, 0, sizeof(*b));
	b->state = BREAKER_CLOSED;
	b->opts = opts ? *opts : *d;
	o = &b->opts;
	if (o->consecutive_failures == 0)
		o->consecutive_failures = d->consecutive_failures;
	if (o->window_ms == 0)
		o->window_ms = d->window_ms;
	if (o->min_volume == 0)
		o->min_volume = d->min_volume;
	if (o->failure_pct == 0)
		o->failure_pct = d->failure_pct;
	if (o->failure_pct > 100)
		o->failure_pct = 100;
	if (o->cooldown_min_ms == 0)
		o->cooldown_min_ms = d->cooldown_min_ms;
	if (o->cooldown_max_ms == 0)
		o->cooldown_max_ms = d->cooldown_max_ms;
	if (o->cooldown_max_ms < o->cooldown_min_ms)
		o->cooldown_max_ms = o->cooldown_min_ms;
	if (o->config_cooldown_ms == 0)
		o->config_cooldown_ms = d->config_cooldown_ms;
	if (o->half_open_trials == 0)
		o->half_open_trials = d->half_open_trials;
	if (o->close_after == 0)
		o->close_after = d->close_after;
}

/* breaker_slice_ms - width of one window slice, never 0. */
static uint64_t
breaker_slice_ms(const struct breaker *b)
{
	uint64_t w = b->opts.window_ms / BREAKER_BUCKETS;

	return w ? w : 1;
}

/* breaker_window_note - count one attempt in the current slice. */
static void
breaker_window_note(struct breaker *b, uint64_t now_ms, bool failed)
{
	uint64_t slot = now_ms / breaker_slice_ms(b);
	struct breaker_bucket *k = &b->win[slot % BREAKER_BUCKETS];

	if (k->slot != slot)
		*k = (struct breaker_bucket){.slot = slot};
	k->attempts++;
	if (failed)
		k->failures++;
}

/* breaker_window_sum - attempts and failures in the last window_ms. */
static void
breaker_window_sum(const struct breaker *b, uint64_t now_ms, unsigned *attempts,
                   unsigned *failures)
{
	uint64_t cur = now_ms / breaker_slice_ms(b);
	size_t i;

	*attempts = *failures = 0;
	for (i = 0; i < BREAKER_BUCKETS; i++) {
		const struct breaker_bucket *k = &b->win[i];

		/* Slices older than the window, or from a clock that ran
		 * backwards, are stale. */
		if (k->slot > cur || k->slot + BREAKER_BUCKETS <= cur)
			continue;
		*attempts += k->attempts;
		*failures += k->failures;
	}
}

/* breaker_reason_set - printf into b->reason, truncating. */
static void __attribute__((format(printf, 2, 3)))
breaker_reason_set(struct breaker *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b->reason, sizeof(b->reason), fmt, ap);
	va_end(ap);
}

/* breaker_enter_open - open until until_ms; returns OPENED or REOPENED. */
static enum breaker_event
breaker_enter_open(struct breaker *b, uint64_t now_ms, uint64_t until_ms)
{
	enum breaker_event ev = b->state == BREAKER_CLOSED
	                            ? BREAKER_EV_OPENED
	                            : BREAKER_EV_REOPENED;

	b->state = BREAKER_OPEN;
	b->until_ms = until_ms;
	b->opened_ms = now_ms;
	b->trials_out = 0;
	b->trial_successes = 0;
	b->consecutive = 0;
	b->opens++;
	return ev;
}

/* breaker_trip - open for the next doubling cool-down. */
static enum breaker_event
breaker_trip(struct breaker *b, uint64_t now_ms)
{
	if (b->cooldown_ms == 0)
		b->cooldown_ms = b->opts.cooldown_min_ms;
	else if (b->cooldown_ms < b->opts.cooldown_max_ms / 2)
		b->cooldown_ms *= 2;
	else
		b->cooldown_ms = b->opts.cooldown_max_ms;
	return breaker_enter_open(b, now_ms,
	                          breaker_add(now_ms, b->cooldown_ms));
}

/*
 * breaker_config_trip - open (or stay open) for at least the config
 * cool-down. Returns NONE if it was open already.
 */
static enum breaker_event
breaker_config_trip(struct breaker *b, uint64_t now_ms)
{
	uint64_t until = breaker_add(now_ms, b->opts.config_cooldown_ms);

	breaker_reason_set(b, "config failure");
	if (b->state == BREAKER_OPEN) {
		if (until > b->until_ms)
			b->until_ms = until;
		return BREAKER_EV_NONE;
	}
	return breaker_enter_open(b, now_ms, until);
}

/* breaker_close - back to normal; forget the past. */
static void
breaker_close(struct breaker *b)
{
	b->state = BREAKER_CLOSED;
	b->consecutive = 0;
	b->trials_out = 0;
	b->trial_successes = 0;
	b->cooldown_ms = 0;
	b->until_ms = 0;
	memset(b->win, 0, sizeof(b->win));
}

enum breaker_event
breaker_tick(struct breaker *b, uint64_t now_ms)
{
	if (b->state != BREAKER_OPEN || now_ms < b->until_ms)
		return BREAKER_EV_NONE;
	b->state = BREAKER_HALF_OPEN;
	b->trials_out = 0;
	b->trial_successes = 0;
	breaker_reason_set(b, "cool-down of %llu ms over",
	                   (unsigned long long)(now_ms - b->opened_ms));
	return BREAKER_EV_HALF_OPENED;
}

bool
breaker_allow(struct breaker *b, uint64_t now_ms)
{
	breaker_tick(b, now_ms);
	switch (b->state) {
	case BREAKER_CLOSED:
		return true;
	case BREAKER_OPEN:
		return false;
	case BREAKER_HALF_OPEN:
		if (b->trials_out >= b->opts.half_open_trials)
			return false;
		b->trials_out++;
		return true;
	}
	return false;
}

bool
breaker_usable(const struct breaker *b, uint64_t now_ms)
{
	switch (b->state) {
	case BREAKER_CLOSED:
		return true;
	case BREAKER_OPEN:
		return now_ms >= b->until_ms;
	case BREAKER_HALF_OPEN:
		return b->trials_out < b->opts.half_open_trials;
	}
	return false;
}

/* breaker_record_closed - a result while closed: may open it. */
static enum breaker_event
breaker_record_closed(struct breaker *b, uint64_t now_ms, bool failed)
{
	unsigned attempts, failures;
	uint64_t w = b->opts.window_ms;

	breaker_window_note(b, now_ms, failed);
	if (!failed) {
		b->consecutive = 0;
		return BREAKER_EV_NONE;
	}
	b->consecutive++;
	if (b->consecutive >= b->opts.consecutive_failures) {
		breaker_reason_set(b, "%u consecutive failures",
		                   b->consecutive);
		return breaker_trip(b, now_ms);
	}
	breaker_window_sum(b, now_ms, &attempts, &failures);
	if (attempts < b->opts.min_volume ||
	    (uint64_t)failures * 100 < (uint64_t)b->opts.failure_pct * attempts)
		return BREAKER_EV_NONE;
	if (w % 1000 == 0)
		breaker_reason_set(
		    b, "%u%% of %u attempts failed in %llu s",
		    (unsigned)((uint64_t)failures * 100 / attempts), attempts,
		    (unsigned long long)(w / 1000));
	else
		breaker_reason_set(
		    b, "%u%% of %u attempts failed in %llu ms",
		    (unsigned)((uint64_t)failures * 100 / attempts), attempts,
		    (unsigned long long)w);
	return breaker_trip(b, now_ms);
}

/* breaker_record_trial - a result while half-open. */
static enum breaker_event
breaker_record_trial(struct breaker *b, uint64_t now_ms, bool failed)
{
	/* No trial out: the message left before the breaker opened. */
	if (b->trials_out == 0) {
		b->late++;
		return BREAKER_EV_NONE;
	}
	b->trials_out--;
	if (failed) {
		breaker_reason_set(b, "trial message failed");
		return breaker_trip(b, now_ms);
	}
	b->trial_successes++;
	if (b->trial_successes < b->opts.close_after)
		return BREAKER_EV_NONE;
	breaker_reason_set(b, "%u trial messages succeeded",
	                   b->trial_successes);
	breaker_close(b);
	return BREAKER_EV_CLOSED;
}

enum breaker_event
breaker_record(struct breaker *b, uint64_t now_ms, enum breaker_outcome outcome)
{
	bool failed = outcome != BREAKER_SUCCESS;

	if (outcome == BREAKER_CONFIG)
		b->config_failures++;
	else if (failed)
		b->failures++;
	else
		b->successes++;

	if (outcome == BREAKER_CONFIG)
		return breaker_config_trip(b, now_ms);
	switch (b->state) {
	case BREAKER_CLOSED:
		return breaker_record_closed(b, now_ms, failed);
	case BREAKER_OPEN:
		/* Sent before it opened: old news, counted only. */
		b->late++;
		return BREAKER_EV_NONE;
	case BREAKER_HALF_OPEN:
		return breaker_record_trial(b, now_ms, failed);
	}
	return BREAKER_EV_NONE;
}

enum breaker_event
breaker_force_open(struct breaker *b, uint64_t now_ms, uint64_t duration_ms,
                   const char *reason)
{
	uint64_t until = breaker_add(now_ms, duration_ms);

	breaker_reason_set(b, "%s", reason ? reason : "forced open");
	if (b->state == BREAKER_OPEN) {
		if (until > b->until_ms)
			b->until_ms = until;
		return BREAKER_EV_NONE;
	}
	return breaker_enter_open(b, now_ms, until);
}

enum breaker_event
breaker_force_clear(struct breaker *b, uint64_t now_ms)
{
	bool was_closed = b->state == BREAKER_CLOSED;

	breaker_close(b);
	if (was_closed)
		return BREAKER_EV_NONE;
	breaker_reason_set(b, "cleared by operator");
	return BREAKER_EV_CLOSED;
}

void
breaker_trial_cancel(struct breaker *b)
{
	if (b->state == BREAKER_HALF_OPEN && b->trials_out > 0)
		b->trials_out--;
}

const char *
breaker_state_name(enum breaker_state s)
{
	switch (s) {
	case BREAKER_CLOSED:
		return "closed";
	case BREAKER_OPEN:
		return "open";
	case BREAKER_HALF_OPEN:
		return "half-open";
	}
	return "?";
}

const char *
breaker_event_name(enum breaker_event e)
{
	switch (e) {
	case BREAKER_EV_NONE:
		return "none";
	case BREAKER_EV_OPENED:
		return "opened";
	case BREAKER_EV_REOPENED:
		return "reopened";
	case BREAKER_EV_HALF_OPENED:
		return "half-opened";
	case BREAKER_EV_CLOSED:
		return "closed";
	}
	return "?";
}

uint64_t
breaker_cooldown_left(const struct breaker *b, uint64_t now_ms)
{
	if (b->state != BREAKER_OPEN || now_ms >= b->until_ms)
		return 0;
	return b->until_ms - now_ms;
}
