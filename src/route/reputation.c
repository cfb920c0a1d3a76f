/*
 * reputation.c - windowed delivery ratios per key (see reputation.h).
 *
 * Keys live in one array of max_keys records found through a chained
 * hash table (heads[] of indexes, next in each record), so counting is a
 * hash, a short chain walk and two slot increments. A slot remembers
 * which hour (or five minutes) it holds; a slot of an older period is
 * cleared when it is reused, and skipped when a window is summed, so no
 * timer ever ages the counts. When every record is used, the one
 * counted least recently is evicted (a linear scan: it happens only for
 * a new key once the store is full).
 */
#include "route/reputation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"

#define REP_HOURS 24
#define REP_FIVES 12
#define REP_HOUR_MS 3600000LL
#define REP_FIVE_MS 300000LL
#define REP_NONE UINT32_MAX

struct rep_slot {
	int64_t period; /* now / width when written; 0: never */
	uint32_t n[REPUTATION_KIND_COUNT];
};

struct rep_key {
	bool used;
	enum reputation_scope scope;
	uint32_t next; /* chain, or REP_NONE */
	int64_t last_ms;
	char name[REPUTATION_NAME_MAX];
	char name2[REPUTATION_NAME_MAX];
	struct rep_slot hours[REP_HOURS];
	struct rep_slot fives[REP_FIVES];
};

struct reputation {
	struct rep_key *keys;
	uint32_t *order; /* used keys' indexes, for iteration */
	uint32_t *pos;   /* pos[key] = its place in order */
	size_t cap, n;
	uint32_t *heads;
	size_t n_heads; /* a power of two */
	uint64_t evicted;
};

struct reputation *
reputation_new(size_t max_keys)
{
	struct reputation *r = xcalloc(1, sizeof(*r));
	size_t i;

	if (max_keys == 0)
		max_keys = REPUTATION_DEFAULT_KEYS;
	if (max_keys > REP_NONE / 4)
		max_keys = REP_NONE / 4;
	r->cap = max_keys;
	r->keys = xcalloc(max_keys, sizeof(*r->keys));
	r->order = xcalloc(max_keys, sizeof(*r->order));
	r->pos = xcalloc(max_keys, sizeof(*r->pos));
	for (r->n_heads = 16; r->n_heads < 2 * max_keys; r->n_heads *= 2)
		;
	r->heads = xcalloc(r->n_heads, sizeof(*r->heads));
	for (i = 0; i < r->n_heads; i++)
		r->heads[i] = REP_NONE;
	return r;
}

void
reputation_free(struct reputation *r)
{
	if (r == NULL)
		return;
	free(r->keys);
	free(r->order);
	free(r->pos);
	free(r->heads);
	free(r);
}

/* rep_hash - FNV-1a over the scope and both names. */
static size_t
rep_hash(const struct reputation *r, enum reputation_scope s, const char *a,
         const char *b)
{
	uint64_t h = 1469598103934665603ULL;
	const unsigned char *p;

	h = (h ^ (unsigned)s) * 1099511628211ULL;
	for (p = (const unsigned char *)a; *p != '\0'; p++)
		h = (h ^ *p) * 1099511628211ULL;
	h = (h ^ 0xff) * 1099511628211ULL;
	for (p = (const unsigned char *)b; *p != '\0'; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return (size_t)(h & (r->n_heads - 1));
}

/* rep_find - the index of key (s, a, b), or REP_NONE. a and b are
 * already cut to REPUTATION_NAME_MAX - 1 bytes. */
static uint32_t
rep_find(const struct reputation *r, enum reputation_scope s, const char *a,
         const char *b)
{
	uint32_t i = r->heads[rep_hash(r, s, a, b)];

	for (; i != REP_NONE; i = r->keys[i].next)
		if (r->keys[i].scope == s && strcmp(r->keys[i].name, a) == 0 &&
		    strcmp(r->keys[i].name2, b) == 0)
			return i;
	return REP_NONE;
}

/* rep_unlink - take key i out of its chain and of the order. */
static void
rep_unlink(struct reputation *r, uint32_t i)
{
	struct rep_key *k = &r->keys[i];
	uint32_t *at = &r->heads[rep_hash(r, k->scope, k->name, k->name2)];
	uint32_t last;

	while (*at != i)
		at = &r->keys[*at].next;
	*at = k->next;
	last = r->order[--r->n];
	r->order[r->pos[i]] = last;
	r->pos[last] = r->pos[i];
	k->used = false;
}

/* rep_victim - the key counted least recently (the store is full). */
static uint32_t
rep_victim(const struct reputation *r)
{
	uint32_t best = 0, i;

	for (i = 1; i < r->cap; i++)
		if (r->keys[i].last_ms < r->keys[best].last_ms)
			best = i;
	return best;
}

/* rep_get - the key (s, a, b), made (evicting if full) when new. */
static struct rep_key *
rep_get(struct reputation *r, enum reputation_scope s, const char *a,
        const char *b)
{
	uint32_t i = rep_find(r, s, a, b);
	size_t h;
	struct rep_key *k;

	if (i != REP_NONE)
		return &r->keys[i];
	if (r->n == r->cap) {
		i = rep_victim(r);
		rep_unlink(r, i);
		r->evicted++;
	} else {
		/* Keys are only freed to be reused at once: the first n
		 * records are the used ones. */
		i = (uint32_t)r->n;
	}
	k = &r->keys[i];
	memset(k, 0, sizeof(*k));
	k->used = true;
	k->scope = s;
	memcpy(k->name, a, strlen(a) + 1);
	memcpy(k->name2, b, strlen(b) + 1);
	h = rep_hash(r, s, k->name, k->name2);
	k->next = r->heads[h];
	r->heads[h] = i;
	r->pos[i] = (uint32_t)r->n;
	r->order[r->n++] = i;
	return k;
}

/* rep_slot_add - n of kind into the slot for period p. */
static void
rep_slot_add(struct rep_slot *sl, int64_t p, enum reputation_kind kind,
             unsigned n)
{
	if (sl->period != p) {
		memset(sl, 0, sizeof(*sl));
		sl->period = p;
	}
	sl->n[kind] =
	    sl->n[kind] > UINT32_MAX - n ? UINT32_MAX : sl->n[kind] + n;
}

/* rep_cut - name cut to REPUTATION_NAME_MAX - 1 bytes into buf. A copy
 * rather than snprintf: this runs for four keys of every attempt. */
static const char *
rep_cut(char *buf, const char *name)
{
	size_t n = name != NULL ? strnlen(name, REPUTATION_NAME_MAX - 1) : 0;

	if (n > 0)
		memcpy(buf, name, n);
	buf[n] = '\0';
	return buf;
}

/* rep_add - count into key (s, a, b). */
static void
rep_add(struct reputation *r, int64_t now, enum reputation_scope s,
        const char *a, const char *b, enum reputation_kind kind, unsigned n)
{
	char ca[REPUTATION_NAME_MAX], cb[REPUTATION_NAME_MAX];
	struct rep_key *k = rep_get(r, s, rep_cut(ca, a), rep_cut(cb, b));
	int64_t h = now / REP_HOUR_MS, f = now / REP_FIVE_MS;

	k->last_ms = now;
	rep_slot_add(&k->hours[h % REP_HOURS], h, kind, n);
	rep_slot_add(&k->fives[f % REP_FIVES], f, kind, n);
}

void
reputation_count(struct reputation *r, int64_t now_ms, const char *provider,
                 const char *domain, const char *stream, enum reputation_kind k,
                 unsigned n)
{
	bool p = provider != NULL && provider[0] != '\0';
	bool d = domain != NULL && domain[0] != '\0';

	if ((unsigned)k >= REPUTATION_KIND_COUNT || n == 0 || now_ms <= 0)
		return;
	if (p)
		rep_add(r, now_ms, REPUTATION_PROVIDER, provider, "", k, n);
	if (d)
		rep_add(r, now_ms, REPUTATION_DOMAIN, domain, "", k, n);
	if (stream != NULL && stream[0] != '\0')
		rep_add(r, now_ms, REPUTATION_STREAM, stream, "", k, n);
	if (p && d)
		rep_add(r, now_ms, REPUTATION_PROVIDER_DOMAIN, provider, domain,
		        k, n);
}

/* rep_sum - slots[0..n) of periods (cur - n, cur] into out. */
static void
rep_sum(const struct rep_slot *slots, size_t n, int64_t cur,
        struct reputation_counts *out)
{
	size_t i, k;

	for (i = 0; i < n; i++) {
		if (slots[i].period > cur ||
		    slots[i].period <= cur - (int64_t)n)
			continue;
		for (k = 0; k < REPUTATION_KIND_COUNT; k++)
			out->n[k] += slots[i].n[k];
	}
}

int
reputation_get(const struct reputation *r, int64_t now_ms,
               enum reputation_scope s, const char *name, const char *name2,
               enum reputation_window w, struct reputation_counts *out)
{
	char ca[REPUTATION_NAME_MAX], cb[REPUTATION_NAME_MAX];
	uint32_t i;

	memset(out, 0, sizeof(*out));
	i = rep_find(r, s, rep_cut(ca, name),
	             rep_cut(cb, s == REPUTATION_PROVIDER_DOMAIN ? name2 : ""));
	if (i == REP_NONE)
		return -1;
	if (w == REPUTATION_1H)
		rep_sum(r->keys[i].fives, REP_FIVES, now_ms / REP_FIVE_MS, out);
	else
		rep_sum(r->keys[i].hours, REP_HOURS, now_ms / REP_HOUR_MS, out);
	return 0;
}

double
reputation_ratio(const struct reputation_counts *c, enum reputation_kind k)
{
	if (c->n[REPUTATION_SENT] == 0 || (unsigned)k >= REPUTATION_KIND_COUNT)
		return 0;
	return (double)c->n[k] / (double)c->n[REPUTATION_SENT];
}

size_t
reputation_keys(const struct reputation *r)
{
	return r->n;
}

uint64_t
reputation_evicted(const struct reputation *r)
{
	return r->evicted;
}

int
reputation_key_at(const struct reputation *r, size_t i,
                  enum reputation_scope *s, const char **name,
                  const char **name2)
{
	const struct rep_key *k;

	if (i >= r->n)
		return -1;
	k = &r->keys[r->order[i]];
	*s = k->scope;
	*name = k->name;
	*name2 = k->name2;
	return 0;
}

double
reputation_factor(const struct reputation *r, int64_t now_ms,
                  const struct reputation_policy *p, const char *provider,
                  const char *domain, char *why, size_t whylen,
                  bool *over_critical)
{
	struct reputation_counts c;
	double b, cp;
	uint64_t sends;

	if (over_critical != NULL)
		*over_critical = false;
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (provider == NULL || domain == NULL || domain[0] == '\0' ||
	    reputation_get(r, now_ms, REPUTATION_PROVIDER_DOMAIN, provider,
	                   domain, REPUTATION_24H, &c) != 0)
		return 1.0;
	sends = c.n[REPUTATION_SENT];
	if (sends == 0 || sends < p->min_volume)
		return 1.0;
	b = reputation_ratio(&c, REPUTATION_HARD_BOUNCE);
	cp = reputation_ratio(&c, REPUTATION_COMPLAINT);
	if (b < p->bounce_warning && cp < p->complaint_warning)
		return 1.0;
	if (over_critical != NULL)
		*over_critical =
		    b >= p->bounce_critical || cp >= p->complaint_critical;
	if (why != NULL && whylen > 0) {
		bool bounced = b >= p->bounce_warning;
		snprintf(
		    why, whylen,
		    "%s %.2f%% >= %.2g%% (%llu/%llu sends, 24h) for %s",
		    bounced ? "bounce" : "complaints", 100 * (bounced ? b : cp),
		    100 * (bounced ? p->bounce_warning : p->complaint_warning),
		    (unsigned long long)c.n[bounced ? REPUTATION_HARD_BOUNCE
		                                    : REPUTATION_COMPLAINT],
		    (unsigned long long)sends, domain);
	}
	if (p->penalty_share <= 0)
		return 0.01; /* never 0: the share must stay a weight */
	return p->penalty_share < 1 ? p->penalty_share : 1.0;
}

const char *
reputation_kind_name(enum reputation_kind k)
{
	static const char *const names[REPUTATION_KIND_COUNT] = {
	    "sent", "delivered", "hard_bounce", "soft_bounce", "complaint"};

	return (unsigned)k < REPUTATION_KIND_COUNT ? names[k] : "unknown";
}

const char *
reputation_window_name(enum reputation_window w)
{
	return w == REPUTATION_1H ? "1h" : "24h";
}
