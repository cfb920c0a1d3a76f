/*
 * readiness_seen.h - the sender domains seen lately (issue 18 item 4):
 * the set failover readiness is judged for. Fed by EVENT_ATTEMPT (its
 * sender_domain) through readiness_seen_listen, or directly; each
 * domain keeps the time it was last seen. Bounded: at most
 * READINESS_SEEN_MAX domains, the least recently seen one replaced
 * when full. In memory (a restart forgets it; the next attempts fill it
 * again). Loop thread only.
 */
#ifndef SWERVE_READINESS_READINESS_SEEN_H
#define SWERVE_READINESS_READINESS_SEEN_H

#include <stddef.h>
#include <stdint.h>

#define READINESS_SEEN_MAX 1024

struct readiness_seen;

/* readiness_seen_new - an empty set (readiness_seen_free); NULL on
 * memory exhaustion. */
struct readiness_seen *readiness_seen_new(void);

/* readiness_seen_free - stop listening and release s; NULL is a no-op. */
void readiness_seen_free(struct readiness_seen *s);

/*
 * readiness_seen_add - domain (lower-cased copy) seen at at_ms. NULL, ""
 * and names over 253 bytes are ignored. When the set is full, the
 * domain seen longest ago is replaced.
 */
void readiness_seen_add(struct readiness_seen *s, const char *domain,
                        int64_t at_ms);

/*
 * readiness_seen_since - the domains last seen at or after since_ms, in
 * the order first seen, into out (at most cap; borrowed until the next
 * readiness_seen_add or free). Returns how many were stored.
 */
size_t readiness_seen_since(const struct readiness_seen *s, int64_t since_ms,
                            const char **out, size_t cap);

/* readiness_seen_listen - feed s from EVENT_ATTEMPT's sender_domain on
 * the event bus (until readiness_seen_free). 0, or -1 when the bus has
 * no room for another listener. */
int readiness_seen_listen(struct readiness_seen *s);

#endif
