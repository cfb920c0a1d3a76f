/*
 * readiness_seen.c - the sender domains seen lately (see
 * readiness_seen.h).
 */
#include "readiness/readiness_seen.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "observe/events.h"

struct seen_domain {
	char name[254];
	int64_t last_ms;
	uint64_t order; /* when first seen, for a stable listing */
};

struct readiness_seen {
	struct seen_domain v[READINESS_SEEN_MAX];
	size_t n;
	uint64_t next_order;
	bool listening;
};

struct readiness_seen *
readiness_seen_new(void)
{
	return calloc(1, sizeof(struct readiness_seen));
}

/* seen_on_event - events_fn: an attempt's sender domain. */
static void
seen_on_event(const struct events_item *e, void *arg)
{
	if (e->kind == EVENT_ATTEMPT)
		readiness_seen_add(arg, e->sender_domain, e->at_ms);
}

void
readiness_seen_free(struct readiness_seen *s)
{
	if (s == NULL)
		return;
	if (s->listening)
		events_unsubscribe(seen_on_event, s);
	free(s);
}

void
readiness_seen_add(struct readiness_seen *s, const char *domain, int64_t at_ms)
{
	char low[254];
	size_t i, n, at = 0;

	if (domain == NULL || (n = strlen(domain)) == 0 || n >= sizeof(low))
		return;
	for (i = 0; i <= n; i++)
		low[i] = (char)tolower((unsigned char)domain[i]);
	for (i = 0; i < s->n; i++) {
		if (strcmp(s->v[i].name, low) == 0) {
			if (at_ms > s->v[i].last_ms)
				s->v[i].last_ms = at_ms;
			return;
		}
	}
	if (s->n < READINESS_SEEN_MAX) {
		at = s->n++;
	} else {
		for (i = 1; i < s->n; i++)
			if (s->v[i].last_ms < s->v[at].last_ms)
				at = i;
	}
	memcpy(s->v[at].name, low, n + 1);
	s->v[at].last_ms = at_ms;
	s->v[at].order = s->next_order++;
}

/* by_order - qsort: first seen first. */
static int
by_order(const void *a, const void *b)
{
	const struct seen_domain *x = *(const struct seen_domain *const *)a;
	const struct seen_domain *y = *(const struct seen_domain *const *)b;

	return x->order < y->order ? -1 : x->order > y->order;
}

size_t
readiness_seen_since(const struct readiness_seen *s, int64_t since_ms,
                     const char **out, size_t cap)
{
	const struct seen_domain *pick[READINESS_SEEN_MAX];
	size_t i, n = 0;

	for (i = 0; s != NULL && i < s->n; i++)
		if (s->v[i].last_ms >= since_ms)
			pick[n++] = &s->v[i];
	if (n == 0)
		return 0;
	qsort(pick, n, sizeof(pick[0]), by_order);
	for (i = 0; i < n && i < cap; i++)
		out[i] = pick[i]->name;
	return i;
}

int
readiness_seen_listen(struct readiness_seen *s)
{
	if (s->listening)
		return 0;
	if (events_subscribe(seen_on_event, s) != 0)
		return -1;
	s->listening = true;
	return 0;
}
