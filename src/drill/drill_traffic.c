/*
 * drill_traffic.c - providers' last hour of traffic. See
 * drill_traffic.h.
 */
#include "drill/drill_traffic.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/xmalloc.h"
#include "observe/events.h"

void
drill_traffic_init(struct drill_traffic *t, const struct config *cfg)
{
	size_t i;

	t->n = cfg->n_providers;
	t->p = xcalloc(t->n + 1, sizeof(*t->p));
	for (i = 0; i < t->n; i++)
		snprintf(t->p[i].name, sizeof(t->p[i].name), "%s",
		         cfg->providers[i].name);
}

void
drill_traffic_fini(struct drill_traffic *t)
{
	free(t->p);
	t->p = NULL;
	t->n = 0;
}

/* traffic_find - the row of provider, or NULL. */
static struct drill_traffic_prov *
traffic_find(const struct drill_traffic *t, const char *provider)
{
	size_t i;

	for (i = 0; provider != NULL && i < t->n; i++)
		if (strcmp(t->p[i].name, provider) == 0)
			return &t->p[i];
	return NULL;
}

void
drill_traffic_event(struct drill_traffic *t, const struct events_item *e)
{
	struct drill_traffic_prov *p;
	int64_t minute;
	size_t slot;

	if ((e->kind != EVENT_ATTEMPT && e->kind != EVENT_PROBE) ||
	    e->cls != SEND_ACCEPTED || e->drill ||
	    (p = traffic_find(t, e->provider)) == NULL)
		return;
	p->proven_ms = e->at_ms;
	if (e->kind != EVENT_ATTEMPT)
		return;
	minute = e->at_ms / 60000;
	slot = (size_t)(minute % DRILL_TRAFFIC_MINUTES);
	if (p->minute[slot] != minute) {
		p->minute[slot] = minute;
		p->count[slot] = 0;
	}
	p->count[slot]++;
}

uint64_t
drill_traffic_peak(const struct drill_traffic *t, const char *provider,
                   int64_t now_ms)
{
	const struct drill_traffic_prov *p = traffic_find(t, provider);
	int64_t now = now_ms / 60000;
	uint64_t peak = 0;
	size_t i;

	if (p == NULL)
		return 0;
	for (i = 0; i < DRILL_TRAFFIC_MINUTES; i++)
		if (p->minute[i] > now - DRILL_TRAFFIC_MINUTES &&
		    p->minute[i] <= now && p->count[i] > peak)
			peak = p->count[i];
	return peak;
}

int64_t
drill_traffic_proven(const struct drill_traffic *t, const char *provider)
{
	const struct drill_traffic_prov *p = traffic_find(t, provider);

	return p ? p->proven_ms : 0;
}
