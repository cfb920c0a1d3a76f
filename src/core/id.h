/*
 * id.h - message ids that sort by time.
 *
 * An id is 20 characters of Crockford base32: 48 bits of milliseconds since
 * the epoch, then 52 bits that increase within a millisecond (a per-process
 * counter seeded at random), so ids from one process sort in the order they
 * were made, and ids from different processes almost never collide.
 */
#ifndef SWERVE_CORE_ID_H
#define SWERVE_CORE_ID_H

#include <stdint.h>

#define ID_LEN 20
#define ID_SIZE (ID_LEN + 1)

/* id_new - write a fresh NUL-terminated id into out. Thread-safe. */
void id_new(char out[ID_SIZE]);
/* id_make - the id for time ms and sequence seq (for tests). */
void id_make(char out[ID_SIZE], uint64_t ms, uint64_t seq);
/* id_valid - 1 if s is a syntactically valid id, else 0. */
int id_valid(const char *s);
/* id_hash - a 64-bit hash of the NUL-terminated id (or any string), for
 * in-memory hash tables; stable within and across processes. */
uint64_t id_hash(const char *id);

#endif
