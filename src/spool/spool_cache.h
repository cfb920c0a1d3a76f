/*
 * spool_cache.h - bodies of freshly committed messages kept in memory for
 * their claim (internal to src/spool).
 *
 * A message's body is in the submitter's buffer when the group commit
 * that stores it returns. Instead of freeing it there and reading it back
 * out of SQLite a few milliseconds later when delivery claims the
 * message, the writer moves the buffer here after the commit, and the
 * claim moves it out again. The spool stays the only owner of state: an
 * entry is put only after the commit that stored its row returned (a
 * crash loses nothing, the row is on disk), and a claim that finds no
 * entry reads the body from the database as before. The bytes are the
 * very ones that were bound into the INSERT.
 *
 * Memory is bounded by a byte cap: putting past it evicts the oldest
 * entries (claims take the oldest mail first, so what is evicted is
 * mostly what a claim took already or what waits behind a deep queue).
 * Entries a claim never takes (a message cancelled while ready) are
 * evicted the same way. Thread-safe (one mutex, held for list and hash
 * operations only, never for I/O).
 */
#ifndef SWERVE_SPOOL_SPOOL_CACHE_H
#define SWERVE_SPOOL_SPOOL_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

struct spool_cache;

/* What the cache did since it was made (spool_cache_stats). */
struct spool_cache_stats {
	uint64_t puts, hits, misses, evicted, refused;
	uint64_t bytes, entries; /* held now */
	uint64_t cap;
};

/* spool_cache_new - a cache holding at most cap body bytes; NULL when cap
 * is 0 (the cache is off; every function below takes NULL as a no-op). */
struct spool_cache *spool_cache_new(uint64_t cap);

/* spool_cache_free - free c and every body it holds. NULL is a no-op. */
void spool_cache_free(struct spool_cache *c);

/*
 * spool_cache_put - keep body under id (a committed message). On success
 * (1) the cache owns body's bytes and *body is left empty (buf_init); a
 * body larger than the whole cap is refused (0) and left as it was. An
 * entry with the same id is replaced.
 */
int spool_cache_put(struct spool_cache *c, const char *id, struct buf *body);

/*
 * spool_cache_take - move the body kept under id into *out (which must
 * be empty: buf_init'ed or freed) and forget the entry: 1. 0 when there
 * is none (*out untouched). Counts a hit or a miss.
 */
int spool_cache_take(struct spool_cache *c, const char *id, struct buf *out);

/* spool_cache_drop - forget id's entry if there is one (a message that
 * will not be claimed: cancelled, purged). */
void spool_cache_drop(struct spool_cache *c, const char *id);

/* spool_cache_stats - the figures; zeros for NULL. */
void spool_cache_stats(struct spool_cache *c, struct spool_cache_stats *out);

#endif
