/*
 * suppress_index.c - an open-addressing hash set of suppression keys.
 *
 * Slots hold the key's 64-bit hash, the key (its own allocation), the
 * expiry and the reason. The table doubles when live keys and
 * tombstones pass 3/4 of it, so a probe sequence stays short; a lookup
 * compares the full key only when the hashes agree.
 */
#include "spool/suppress_index.h"

#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"

struct suppress_slot {
	uint64_t hash;
	char *key; /* NULL: empty; SLOT_DEAD: tombstone */
	uint32_t len;
	int32_t reason;
	int64_t expires_ms;
};

struct suppress_index {
	struct suppress_slot *slots;
	size_t cap;  /* a power of two */
	size_t live; /* keys held */
	size_t used; /* keys + tombstones */
};

static char slot_dead_mark;
#define SLOT_DEAD (&slot_dead_mark)

/* index_hash - FNV-1a over the key, then a final mix (the low bits pick
 * the slot). */
static uint64_t
index_hash(const char *k, size_t len)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)k[i];
		h *= 1099511628211ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

struct suppress_index *
suppress_index_new(void)
{
	struct suppress_index *ix = xcalloc(1, sizeof(*ix));

	ix->cap = 64;
	ix->slots = xcalloc(ix->cap, sizeof(*ix->slots));
	return ix;
}

void
suppress_index_free(struct suppress_index *ix)
{
	size_t i;

	if (ix == NULL)
		return;
	for (i = 0; i < ix->cap; i++)
		if (ix->slots[i].key != NULL && ix->slots[i].key != SLOT_DEAD)
			free(ix->slots[i].key);
	free(ix->slots);
	free(ix);
}

/* index_find - the slot holding key, or NULL. */
static struct suppress_slot *
index_find(const struct suppress_index *ix, const char *key, size_t len,
           uint64_t h)
{
	size_t mask = ix->cap - 1, i = (size_t)h & mask;
	struct suppress_slot *s;

	for (;;) {
		s = &ix->slots[i];
		if (s->key == NULL)
			return NULL;
		if (s->key != SLOT_DEAD && s->hash == h && s->len == len &&
		    memcmp(s->key, key, len) == 0)
			return s;
		i = (i + 1) & mask;
	}
}

/* index_grow - rehash into a table of twice the size (or the same size,
 * to drop tombstones). */
static void
index_grow(struct suppress_index *ix)
{
	struct suppress_slot *old = ix->slots;
	size_t oldcap = ix->cap, i, j, mask;

	if (ix->live * 2 >= ix->cap)
		ix->cap *= 2;
	ix->slots = xcalloc(ix->cap, sizeof(*ix->slots));
	mask = ix->cap - 1;
	for (i = 0; i < oldcap; i++) {
		if (old[i].key == NULL || old[i].key == SLOT_DEAD)
			continue;
		for (j = (size_t)old[i].hash & mask; ix->slots[j].key != NULL;
		     j = (j + 1) & mask)
			;
		ix->slots[j] = old[i];
	}
	ix->used = ix->live;
	free(old);
}

void
suppress_index_put(struct suppress_index *ix, const char *key, size_t len,
                   int64_t expires_ms, int reason)
{
	uint64_t h = index_hash(key, len);
	struct suppress_slot *s = index_find(ix, key, len, h);
	size_t i, mask;

	if (s != NULL) {
		s->expires_ms = expires_ms;
		s->reason = reason;
		return;
	}
	if ((ix->used + 1) * 4 > ix->cap * 3)
		index_grow(ix);
	mask = ix->cap - 1;
	for (i = (size_t)h & mask;
	     ix->slots[i].key != NULL && ix->slots[i].key != SLOT_DEAD;
	     i = (i + 1) & mask)
		;
	s = &ix->slots[i];
	if (s->key == NULL)
		ix->used++;
	s->hash = h;
	s->key = xmalloc(len + 1);
	memcpy(s->key, key, len);
	s->key[len] = '\0';
	s->len = (uint32_t)len;
	s->reason = reason;
	s->expires_ms = expires_ms;
	ix->live++;
}

bool
suppress_index_del(struct suppress_index *ix, const char *key, size_t len)
{
	struct suppress_slot *s =
	    index_find(ix, key, len, index_hash(key, len));

	if (s == NULL)
		return false;
	free(s->key);
	s->key = SLOT_DEAD;
	ix->live--;
	return true;
}

bool
suppress_index_get(const struct suppress_index *ix, const char *key, size_t len,
                   int64_t now_ms, int *reason)
{
	const struct suppress_slot *s =
	    index_find(ix, key, len, index_hash(key, len));

	if (s == NULL || (s->expires_ms != 0 && now_ms >= s->expires_ms))
		return false;
	if (reason != NULL)
		*reason = s->reason;
	return true;
}

size_t
suppress_index_count(const struct suppress_index *ix)
{
	return ix->live;
}
