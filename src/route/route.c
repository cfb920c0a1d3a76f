/*
 * route.c - which provider takes a message's next attempt.
 *
 * Two passes over the providers: the first finds the best priority that
 * has a usable provider (and whether any of them is weighted), the second
 * runs one step of smooth weighted round-robin among them: every candidate
 * gains its weight in credit, the richest wins and pays the total. Over
 * any run of picks each candidate's share converges to weight / total,
 * without bursts to one provider.
 */
#include "route/route.h"

#include "config/config.h"

/* route_offerable - enabled, not yet tried, and usable now. */
static bool
route_offerable(const struct route_prov *p, size_t i, uint64_t tried,
    uint64_t now_ms)
{
	return p->cfg->enabled && !(tried & (1ULL << i)) &&
	       pstate_usable(&p->ps, now_ms);
}

int
route_pick(struct route_prov *const *provs, size_t n, uint64_t *tried,
    uint64_t now_ms)
{
	size_t i;

	if (n > ROUTE_MAX_PROVIDERS)
		n = ROUTE_MAX_PROVIDERS;
	for (;;) {
		struct route_prov *best = NULL;
		size_t best_i = 0;
		bool any = false, weighted = false;
		int prio = 0;
		int64_t total = 0;

		for (i = 0; i < n; i++) {
			const struct route_prov *p = provs[i];
			if (!route_offerable(p, i, *tried, now_ms))
				continue;
			if (!any || p->cfg->priority < prio) {
				prio = p->cfg->priority;
				weighted = false;
			}
			any = true;
			if (p->cfg->priority == prio && p->cfg->weight > 0)
				weighted = true;
		}
		if (!any)
			return -1;
		for (i = 0; i < n; i++) {
			struct route_prov *p = provs[i];
			int64_t w;
			if (!route_offerable(p, i, *tried, now_ms) ||
			    p->cfg->priority != prio)
				continue;
			w = weighted ? p->cfg->weight : 1;
			if (w <= 0)
				continue;
			p->credit += w;
			total += w;
			if (best == NULL || p->credit > best->credit) {
				best = p;
				best_i = i;
			}
		}
		if (best == NULL)
			return -1; /* not reached: the first pass found one */
		best->credit -= total;
		if (pstate_try(&best->ps, now_ms))
			return (int)best_i;
		/* Its probe slot is taken: offer the others. */
		*tried |= 1ULL << best_i;
	}
}

bool
route_any_usable(struct route_prov *const *provs, size_t n, uint64_t now_ms)
{
	size_t i;

	for (i = 0; i < n && i < ROUTE_MAX_PROVIDERS; i++)
		if (route_offerable(provs[i], i, 0, now_ms))
			return true;
	return false;
}
