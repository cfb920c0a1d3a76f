/*
 * suppress_soft.c - soft bounces per key over a sliding window.
 *
 * A chained hash table of keys, each with the times of its recent soft
 * bounces (at most count of them, oldest dropped first). Keys whose
 * newest bounce left the window are swept once the table has grown by
 * half since the last sweep, so memory follows the live keys.
 */
#include "spool/suppress_soft.h"

#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"

#define SOFT_BUCKETS 4096

struct soft_key {
	struct soft_key *next;
	int64_t *at; /* count slots, oldest first */
	unsigned n;
	char key[]; /* NUL-terminated */
};

struct suppress_soft {
	struct soft_key *bucket[SOFT_BUCKETS];
	unsigned count;
	int64_t window_ms;
	size_t size, swept;
};

static size_t
soft_hash(const char *k)
{
	size_t h = 5381;

	while (*k != '\0')
		h = h * 33 + (unsigned char)*k++;
	return h % SOFT_BUCKETS;
}

struct suppress_soft *
suppress_soft_new(unsigned count, uint64_t window_ms)
{
	struct suppress_soft *s = xcalloc(1, sizeof(*s));

	s->count = count != 0 ? count : 1;
	s->window_ms = (int64_t)window_ms;
	return s;
}

static void
soft_key_free(struct soft_key *k)
{
	free(k->at);
	free(k);
}

void
suppress_soft_free(struct suppress_soft *s)
{
	struct soft_key *k, *next;
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < SOFT_BUCKETS; i++)
		for (k = s->bucket[i]; k != NULL; k = next) {
			next = k->next;
			soft_key_free(k);
		}
	free(s);
}

/* soft_sweep - drop every key whose newest bounce left the window. */
static void
soft_sweep(struct suppress_soft *s, int64_t now_ms)
{
	struct soft_key **pp, *k;
	size_t i;

	for (i = 0; i < SOFT_BUCKETS; i++)
		for (pp = &s->bucket[i]; (k = *pp) != NULL;) {
			if (k->n == 0 ||
			    now_ms - k->at[k->n - 1] >= s->window_ms) {
				*pp = k->next;
				soft_key_free(k);
				s->size--;
			} else
				pp = &k->next;
		}
	s->swept = s->size;
}

bool
suppress_soft_note(struct suppress_soft *s, const char *key, int64_t now_ms)
{
	size_t b = soft_hash(key), len = strlen(key);
	struct soft_key **pp, *k;
	unsigned i, keep;

	for (pp = &s->bucket[b]; (k = *pp) != NULL; pp = &k->next)
		if (strcmp(k->key, key) == 0)
			break;
	if (k == NULL) {
		if (s->size >= 1024 && s->size > s->swept + s->swept / 2)
			soft_sweep(s, now_ms);
		k = xcalloc(1, sizeof(*k) + len + 1);
		memcpy(k->key, key, len + 1);
		k->at = xcalloc(s->count, sizeof(*k->at));
		k->next = s->bucket[b];
		s->bucket[b] = k;
		s->size++;
	}
	/* Forget the bounces that left the window. */
	for (i = 0; i < k->n && now_ms - k->at[i] >= s->window_ms; i++)
		;
	keep = k->n - i;
	memmove(k->at, k->at + i, keep * sizeof(*k->at));
	k->n = keep;
	if (k->n == s->count) {
		memmove(k->at, k->at + 1, (k->n - 1) * sizeof(*k->at));
		k->n--;
	}
	k->at[k->n++] = now_ms;
	if (k->n < s->count)
		return false;
	/* Reached: the history is done with. */
	for (pp = &s->bucket[b]; *pp != k; pp = &(*pp)->next)
		;
	*pp = k->next;
	soft_key_free(k);
	s->size--;
	return true;
}

size_t
suppress_soft_size(const struct suppress_soft *s)
{
	return s->size;
}
