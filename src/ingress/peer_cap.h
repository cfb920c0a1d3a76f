/*
 * peer_cap.h - how many connections each client address holds (contract).
 *
 * A count per client IP with a ceiling, so that one noisy address can take
 * only its share of a listener's sessions. The SMTP server and the HTTP
 * connection gate each keep one. Addresses are the numeric text of the
 * peer ("192.0.2.1", "2001:db8::1"); the table copies what it keeps.
 * Not thread-safe: one loop thread owns a table.
 */
#ifndef SWERVE_INGRESS_PEER_CAP_H
#define SWERVE_INGRESS_PEER_CAP_H

#include <stddef.h>

struct peer_cap;

/* peer_cap_new - an empty table. Never returns NULL. */
struct peer_cap *peer_cap_new(void);

/*
 * peer_cap_take - count one more connection from ip unless it already has
 * limit. Returns 0 when counted, -1 when ip is at its limit (nothing
 * changes then).
 */
int peer_cap_take(struct peer_cap *pc, const char *ip, size_t limit);

/* peer_cap_release - one connection from ip ended (counted by _take). */
void peer_cap_release(struct peer_cap *pc, const char *ip);

/* peer_cap_count - connections ip holds now. */
size_t peer_cap_count(const struct peer_cap *pc, const char *ip);

/* peer_cap_share - the per-address limit for a total: per_ip when set,
 * else a quarter of total (at least 1). */
size_t peer_cap_share(size_t total, size_t per_ip);

/* peer_cap_free - release the table. NULL is a no-op. */
void peer_cap_free(struct peer_cap *pc);

#endif
