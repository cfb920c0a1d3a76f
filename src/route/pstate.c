/*
 * pstate.c - provider state, first version: skip a provider that keeps
 * failing, try it again with one message after a growing cool-down.
 *
 * Health is earned back one message at a time, so a provider that comes
 * back does not get the whole queue at once.
 */
#include "route/pstate.h"

#include <stddef.h>

static const struct pstate_opts pstate_defaults = {
	.fail_threshold = 3,
	.cooldown_min_ms = 5000,
	.cooldown_max_ms = 60000,
};

void
pstate_init(struct pstate *p, const struct pstate_opts *opts)
{
	*p = (struct pstate){.mode = PSTATE_UP};
	p->opts = opts ? *opts : pstate_defaults;
	if (p->opts.fail_threshold == 0)
		p->opts.fail_threshold = pstate_defaults.fail_threshold;
	if (p->opts.cooldown_min_ms == 0)
		p->opts.cooldown_min_ms = pstate_defaults.cooldown_min_ms;
	if (p->opts.cooldown_max_ms < p->opts.cooldown_min_ms)
		p->opts.cooldown_max_ms = p->opts.cooldown_min_ms;
}

/* pstate_cool - start (or lengthen) a cool-down. */
static void
pstate_cool(struct pstate *p, uint64_t now_ms)
{
	if (p->trips == 0 || p->cooldown_ms == 0)
		p->cooldown_ms = p->opts.cooldown_min_ms;
	else if (p->cooldown_ms < p->opts.cooldown_max_ms / 2)
		p->cooldown_ms *= 2;
	else
		p->cooldown_ms = p->opts.cooldown_max_ms;
	p->trips++;
	p->mode = PSTATE_COOLING;
	p->until_ms = now_ms + p->cooldown_ms;
	p->probe_out = false;
}

bool
pstate_try(struct pstate *p, uint64_t now_ms)
{
	switch (p->mode) {
	case PSTATE_UP:
		return true;
	case PSTATE_COOLING:
		if (now_ms < p->until_ms)
			return false;
		p->mode = PSTATE_PROBING;
		p->probe_out = false;
		/* FALLTHROUGH */
	case PSTATE_PROBING:
		if (p->probe_out)
			return false;
		p->probe_out = true;
		return true;
	}
	return false;
}

bool
pstate_usable(const struct pstate *p, uint64_t now_ms)
{
	switch (p->mode) {
	case PSTATE_UP:
		return true;
	case PSTATE_COOLING:
		return now_ms >= p->until_ms;
	case PSTATE_PROBING:
		return !p->probe_out;
	}
	return false;
}

void
pstate_success(struct pstate *p)
{
	p->successes++;
	p->consecutive_failures = 0;
	if (p->mode != PSTATE_UP) {
		p->mode = PSTATE_UP;
		p->trips = 0;
		p->cooldown_ms = 0;
		p->probe_out = false;
	}
}

void
pstate_failure(struct pstate *p, uint64_t now_ms, bool config)
{
	p->failures++;
	p->consecutive_failures++;
	if (p->mode == PSTATE_PROBING || config ||
	    p->consecutive_failures >= p->opts.fail_threshold) {
		/* A result from a message sent before the trip is old news. */
		if (p->mode == PSTATE_COOLING && !config)
			return;
		pstate_cool(p, now_ms);
	}
}

const char *
pstate_mode_name(enum pstate_mode m)
{
	switch (m) {
	case PSTATE_UP:
		return "up";
	case PSTATE_COOLING:
		return "cooling";
	case PSTATE_PROBING:
		return "probing";
	}
	return "?";
}
