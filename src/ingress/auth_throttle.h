/*
 * auth_throttle.h - failed AUTH attempts slow down the next ones, across
 * sessions (contract).
 *
 * Two counts of recent failures: one per client address and one per
 * configured user name. After a few free failures each further one
 * doubles how long the next attempt must wait (1 s, 2 s, 4 s, ... up to
 * 5 minutes); an attempt made sooner is refused unchecked, so a guesser
 * gets one real try per wait. A user's count only slows addresses that
 * have failed themselves: failures from one address never keep a valid
 * user out when logging in from another. Success at an address clears
 * that address and that user. Counts are forgotten 15 minutes after
 * their wait ended. Times are monotonic milliseconds, given by the caller.
 * Not thread-safe: one loop thread owns a table.
 */
#ifndef SWERVE_INGRESS_AUTH_THROTTLE_H
#define SWERVE_INGRESS_AUTH_THROTTLE_H

#include <stdint.h>

#define AUTH_THROTTLE_FREE_IP 3    /* failures of an address before waits */
#define AUTH_THROTTLE_FREE_USER 5  /* failures of a user before waits */
#define AUTH_THROTTLE_BASE_MS 1000 /* the first wait */
#define AUTH_THROTTLE_MAX_MS (5 * 60 * 1000)
#define AUTH_THROTTLE_FORGET_MS (15 * 60 * 1000)

struct auth_throttle;

/* auth_throttle_new - an empty table. Never returns NULL. */
struct auth_throttle *auth_throttle_new(void);

/*
 * auth_throttle_wait - milliseconds an attempt from ip for user (NULL when
 * the name is no configured user) must still wait at now_ms; 0 = it may
 * be checked now.
 */
uint64_t auth_throttle_wait(struct auth_throttle *t, const char *ip,
                            const char *user, uint64_t now_ms);

/* auth_throttle_failed - a checked attempt from ip for user failed. */
void auth_throttle_failed(struct auth_throttle *t, const char *ip,
                          const char *user, uint64_t now_ms);

/* auth_throttle_passed - user logged in from ip: clear both counts
 * (user NULL: the credential names no user, as the dashboard's admin
 * key; only the address's). */
void auth_throttle_passed(struct auth_throttle *t, const char *ip,
                          const char *user);

/* auth_throttle_free - release the table. NULL is a no-op. */
void auth_throttle_free(struct auth_throttle *t);

#endif
