/*
 * suppress_index.h - the in-memory set of suppressed keys (internal to
 * the local suppression backend, and its benchmark).
 *
 * An open-addressing hash table (linear probing, tombstones) of keys as
 * suppress_addr_key() makes them, each with its expiry and reason, so a
 * lookup on the submission path is a hash and a few compares: no
 * SQLite, no allocation. Not locked: one thread (the loop) uses it.
 */
#ifndef SWERVE_SPOOL_SUPPRESS_INDEX_H
#define SWERVE_SPOOL_SUPPRESS_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct suppress_index;

/* suppress_index_new - an empty set; free with suppress_index_free. */
struct suppress_index *suppress_index_new(void);

/* suppress_index_free - release ix and its keys. NULL is a no-op. */
void suppress_index_free(struct suppress_index *ix);

/* suppress_index_put - insert key[0..len) (copied) or replace its
 * expiry (0: never) and reason. */
void suppress_index_put(struct suppress_index *ix, const char *key, size_t len,
                        int64_t expires_ms, int reason);

/* suppress_index_del - remove key; true when it was there. */
bool suppress_index_del(struct suppress_index *ix, const char *key, size_t len);

/* suppress_index_get - true when key is held and not expired at now_ms
 * (an entry expires when now_ms >= expires_ms), with *reason set
 * (reason may be NULL). */
bool suppress_index_get(const struct suppress_index *ix, const char *key,
                        size_t len, int64_t now_ms, int *reason);

/* suppress_index_count - keys held, expired ones included. */
size_t suppress_index_count(const struct suppress_index *ix);

#endif
