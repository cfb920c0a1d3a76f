/*
 * dash_session.h - the dashboard's sign-in sessions (contract).
 *
 * A person signs in once with an admin key; the key is checked and
 * forgotten, and the browser gets a session id instead: 32 random octets
 * (OpenSSL's RAND_bytes) as 64 hex digits, in an HttpOnly cookie. This
 * table is the server's side of it: for each session its id, the CSRF
 * token every state-changing request must carry (32 more random octets,
 * bound to this session only), the admin key's name (for the record,
 * never the key) and when it expires. A session ends at its expiry
 * (a fixed lifetime from sign-in: activity does not extend it), at sign
 * out, or when the table is full and a newer one pushes out the oldest.
 * Ids and tokens are compared in constant time.
 *
 * In memory only: a restart signs everyone out. Times are wall-clock ms,
 * passed in (pure logic, unit-tested). Loop thread only.
 */
#ifndef SWERVE_DASH_DASH_SESSION_H
#define SWERVE_DASH_DASH_SESSION_H

#include <stddef.h>
#include <stdint.h>

/* Hex digits of an id or a token (32 random octets), and with a NUL. */
#define DASH_TOKEN_HEX 64
#define DASH_TOKEN_SIZE (DASH_TOKEN_HEX + 1)

struct dash_session {
	char id[DASH_TOKEN_SIZE];
	char csrf[DASH_TOKEN_SIZE];
	char who[65];       /* the admin key's name */
	int64_t created_ms; /* wall */
	int64_t expires_ms; /* wall */
};

struct dash_sessions;

/* dash_sessions_new - an empty table of at most max sessions, each living
 * lifetime_ms. Never NULL. */
struct dash_sessions *dash_sessions_new(size_t max, int64_t lifetime_ms);

/* dash_sessions_free - release t. NULL is a no-op. */
void dash_sessions_free(struct dash_sessions *t);

/*
 * dash_session_create - a new session for the admin key called who, at
 * now_ms; the oldest session makes room when the table is full. Returns
 * it (owned by t, valid until the next call that changes t), or NULL when
 * no random octets could be had (nothing changes then).
 */
const struct dash_session *dash_session_create(struct dash_sessions *t,
                                               const char *who, int64_t now_ms);

/*
 * dash_session_find - the live session whose id is id, or NULL (unknown,
 * malformed, or expired: an expired one is removed). The result is owned
 * by t, valid until the next call that changes t.
 */
const struct dash_session *dash_session_find(struct dash_sessions *t,
                                             const char *id, int64_t now_ms);

/* dash_session_csrf_ok - does token (may be NULL) equal s's CSRF token?
 * Constant time over the token's length. */
int dash_session_csrf_ok(const struct dash_session *s, const char *token);

/* dash_session_end - remove the session whose id is id (sign out); 0, or
 * -1 when there was none. */
int dash_session_end(struct dash_sessions *t, const char *id);

/* dash_sessions_count - live and expired-but-not-yet-removed sessions. */
size_t dash_sessions_count(const struct dash_sessions *t);

#endif
