/*
 * concur.c - the AIMD connection window per provider (see concur.h).
 */
#include "route/concur.h"

void
concur_init(struct concur *c, unsigned initial, unsigned max, bool adaptive)
{
	c->adaptive = adaptive;
	c->max = max ? max : 1;
	if (initial == 0 || initial > c->max || !adaptive)
		initial = c->max;
	c->window = (double)initial;
	c->cut_at_ms = 0;
	c->ups = 0;
	c->cuts = 0;
}

void
concur_answered(struct concur *c)
{
	unsigned before = concur_limit(c);

	if (!c->adaptive || c->window >= (double)c->max)
		return;
	c->window += 1.0 / c->window;
	if (c->window > (double)c->max)
		c->window = (double)c->max;
	if (concur_limit(c) > before)
		c->ups++;
}

bool
concur_slowed(struct concur *c, uint64_t now_ms)
{
	if (!c->adaptive)
		return false;
	if (c->cut_at_ms != 0 && now_ms - c->cut_at_ms < CONCUR_HOLD_MS)
		return false;
	c->cut_at_ms = now_ms ? now_ms : 1;
	c->window /= 2;
	if (c->window < 1.0)
		c->window = 1.0;
	c->cuts++;
	return true;
}

unsigned
concur_limit(const struct concur *c)
{
	unsigned n = (unsigned)c->window;

	return n < 1 ? 1 : n;
}
