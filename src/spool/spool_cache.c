/*
 * spool_cache.c - bodies of freshly committed messages kept in memory for
 * their claim (see spool_cache.h).
 *
 * A chained hash table on the message id (FNV-1a) plus a FIFO list for
 * eviction, oldest first. Sizes count each buffer's allocation (cap), not
 * only its length, so the cap bounds what the cache really holds.
 */
#include "spool/spool_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "core/id.h"
#include "core/xmalloc.h"

struct centry {
	struct centry *chain; /* next in the hash bucket */
	TAILQ_ENTRY(centry) age;
	char id[ID_SIZE];
	struct buf body;
};

TAILQ_HEAD(centry_q, centry);

struct spool_cache {
	pthread_mutex_t lock;
	struct centry **tab;
	size_t nbuckets; /* a power of two */
	struct centry_q fifo;
	struct spool_cache_stats st;
};

/* cache_hash - FNV-1a of a NUL-terminated id. */
static size_t
cache_hash(const char *id)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *id != '\0'; id++) {
		h ^= (unsigned char)*id;
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

/* cache_slot - the link that points at id's entry (or the bucket's end). */
static struct centry **
cache_slot(struct spool_cache *c, const char *id)
{
	struct centry **pp = &c->tab[cache_hash(id) & (c->nbuckets - 1)];

	while (*pp != NULL && strcmp((*pp)->id, id) != 0)
		pp = &(*pp)->chain;
	return pp;
}

/* cache_unlink - take e (at *pp) out of the table and the list; the
 * caller owns it afterwards. */
static void
cache_unlink(struct spool_cache *c, struct centry **pp)
{
	struct centry *e = *pp;

	*pp = e->chain;
	TAILQ_REMOVE(&c->fifo, e, age);
	c->st.bytes -= e->body.cap;
	c->st.entries--;
}

/* cache_grow - double the buckets when the chains get long. */
static void
cache_grow(struct spool_cache *c)
{
	size_t n = c->nbuckets * 2, i;
	struct centry **tab = xcalloc(n, sizeof(*tab));
	struct centry *e, *next;

	for (i = 0; i < c->nbuckets; i++)
		for (e = c->tab[i]; e != NULL; e = next) {
			next = e->chain;
			e->chain = tab[cache_hash(e->id) & (n - 1)];
			tab[cache_hash(e->id) & (n - 1)] = e;
		}
	free(c->tab);
	c->tab = tab;
	c->nbuckets = n;
}

struct spool_cache *
spool_cache_new(uint64_t cap)
{
	struct spool_cache *c;

	if (cap == 0)
		return NULL;
	c = xcalloc(1, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	c->nbuckets = 256;
	c->tab = xcalloc(c->nbuckets, sizeof(*c->tab));
	TAILQ_INIT(&c->fifo);
	c->st.cap = cap;
	return c;
}

void
spool_cache_free(struct spool_cache *c)
{
	struct centry *e;

	if (c == NULL)
		return;
	while ((e = TAILQ_FIRST(&c->fifo)) != NULL) {
		TAILQ_REMOVE(&c->fifo, e, age);
		buf_fini(&e->body);
		free(e);
	}
	free(c->tab);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

int
spool_cache_put(struct spool_cache *c, const char *id, struct buf *body)
{
	struct centry **pp, *e, *old;

	if (c == NULL || id == NULL || id[0] == '\0' || strlen(id) >= ID_SIZE)
		return 0;
	pthread_mutex_lock(&c->lock);
	if (body->cap > c->st.cap) {
		c->st.refused++;
		pthread_mutex_unlock(&c->lock);
		return 0;
	}
	pp = cache_slot(c, id);
	if (*pp != NULL) {
		old = *pp;
		cache_unlink(c, pp);
		buf_fini(&old->body);
		free(old);
	}
	/* Oldest out until the new one fits. */
	while (c->st.bytes + body->cap > c->st.cap &&
	       (old = TAILQ_FIRST(&c->fifo)) != NULL) {
		cache_unlink(c, cache_slot(c, old->id));
		buf_fini(&old->body);
		free(old);
		c->st.evicted++;
	}
	if (c->st.entries >= c->nbuckets)
		cache_grow(c);
	e = xcalloc(1, sizeof(*e));
	memcpy(e->id, id, strlen(id) + 1);
	e->body = *body;
	buf_init(body);
	pp = &c->tab[cache_hash(e->id) & (c->nbuckets - 1)];
	e->chain = *pp;
	*pp = e;
	TAILQ_INSERT_TAIL(&c->fifo, e, age);
	c->st.bytes += e->body.cap;
	c->st.entries++;
	c->st.puts++;
	pthread_mutex_unlock(&c->lock);
	return 1;
}

int
spool_cache_take(struct spool_cache *c, const char *id, struct buf *out)
{
	struct centry **pp, *e;

	if (c == NULL || id == NULL)
		return 0;
	pthread_mutex_lock(&c->lock);
	pp = cache_slot(c, id);
	e = *pp;
	if (e == NULL) {
		c->st.misses++;
		pthread_mutex_unlock(&c->lock);
		return 0;
	}
	cache_unlink(c, pp);
	c->st.hits++;
	pthread_mutex_unlock(&c->lock);
	*out = e->body;
	free(e);
	return 1;
}

void
spool_cache_drop(struct spool_cache *c, const char *id)
{
	struct centry **pp, *e;

	if (c == NULL || id == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	pp = cache_slot(c, id);
	e = *pp;
	if (e != NULL)
		cache_unlink(c, pp);
	pthread_mutex_unlock(&c->lock);
	if (e != NULL) {
		buf_fini(&e->body);
		free(e);
	}
}

void
spool_cache_stats(struct spool_cache *c, struct spool_cache_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	*out = c->st;
	pthread_mutex_unlock(&c->lock);
}
