/*
 * feedback_mailgun.h - Mailgun's webhooks: the signature check with its
 * replay cache, and the parser of one event (contract).
 *
 * Mailgun posts {"signature": {"timestamp", "token", "signature"},
 * "event-data": {...}}, where signature is the hex HMAC-SHA256 of
 * timestamp || token (no separator) under the account's HTTP webhook
 * signing key. The body itself is not signed, so a captured request
 * could be replayed with another body while its timestamp is fresh:
 * each token is remembered until its timestamp leaves the window, and a
 * token seen again is refused. docs/providers.md ("Mailgun webhooks").
 *
 * Pure functions (time passed in, no I/O, no logging); the cache is the
 * caller's. And the source's row for the route (ingress/feedback.h).
 */
#ifndef SWERVE_INGRESS_FEEDBACK_MAILGUN_H
#define SWERVE_INGRESS_FEEDBACK_MAILGUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ingress/feedback.h"
#include "spool/feedback.h"

#define FEEDBACK_MAILGUN_TOKEN_MAX 256   /* Mailgun's tokens are 50 chars */
#define FEEDBACK_MAILGUN_CACHE_CAP 65536 /* tokens the route remembers */

/* The signature object of one request, as found in its body. */
struct feedback_mailgun_sig {
	char timestamp[16]; /* decimal seconds */
	char token[FEEDBACK_MAILGUN_TOKEN_MAX + 1];
	char signature[68]; /* 64 hex digits */
};

/*
 * feedback_mailgun_sig_find - find the top-level member "signature" of
 * the JSON object body[0..len) and copy its three strings into *sig,
 * with a bounded scan that allocates nothing and interprets nothing
 * else (the body is parsed only once the signature holds). 0; -1 when
 * the body is not a JSON object (MALFORMED); -2 when the signature
 * object is missing, repeated, or a member is missing, escaped, too
 * long or not a string (AUTH). err says which.
 */
int feedback_mailgun_sig_find(const char *body, size_t len,
                              struct feedback_mailgun_sig *sig, char *err,
                              size_t errlen);

/* One remembered token: its SHA-256 and until when it matters. */
struct feedback_mailgun_seen {
	unsigned char digest[32];
	int64_t expires_ms;
	uint32_t next; /* the next in its bucket, or UINT32_MAX */
};

/*
 * The tokens of requests stored within the window: a ring of at most cap
 * entries in the order they came, and a hash index over it. Bounded
 * memory (about 50 bytes per entry); owned by the caller
 * (feedback_mailgun_cache_init/fini).
 */
struct feedback_mailgun_cache {
	struct feedback_mailgun_seen *ring;
	size_t cap, used, oldest; /* ring[oldest] is the first of used */
	uint32_t *buckets;        /* heads of chains, UINT32_MAX: empty */
	size_t n_buckets;         /* a power of two, >= 2 * cap */
};

/* feedback_mailgun_cache_init - an empty cache for cap tokens (>= 1). */
void feedback_mailgun_cache_init(struct feedback_mailgun_cache *c, size_t cap);

/* feedback_mailgun_cache_fini - release c's memory. */
void feedback_mailgun_cache_fini(struct feedback_mailgun_cache *c);

/* feedback_mailgun_cache_seen - was token remembered and has it not
 * expired at now_ms? */
bool feedback_mailgun_cache_seen(const struct feedback_mailgun_cache *c,
                                 const char *token, int64_t now_ms);

/*
 * feedback_mailgun_cache_full - would remembering one more token at
 * now_ms forget one that has not expired? Expired entries are not
 * counted.
 */
bool feedback_mailgun_cache_full(const struct feedback_mailgun_cache *c,
                                 int64_t now_ms);

/*
 * feedback_mailgun_cache_add - remember token until expires_ms. When the
 * ring is full the oldest entry is forgotten (the verifier refuses with
 * UNAVAILABLE before that can matter, see feedback_mailgun_verify).
 */
void feedback_mailgun_cache_add(struct feedback_mailgun_cache *c,
                                const char *token, int64_t expires_ms);

/*
 * feedback_mailgun_verify - check one request (raw body[0..len)) with
 * the signing key key[0..keylen): MALFORMED when the body is not a JSON
 * object; AUTH when the signature object is missing or malformed or
 * does not match (constant-time compare); STALE when its timestamp is
 * more than max_age_ms from now_ms; REPLAY when cache (NULL: none)
 * remembers the token; UNAVAILABLE when the cache is full of live
 * tokens (Mailgun retries later); else OK. err says why.
 */
enum feedback_check
feedback_mailgun_verify(const char *key, size_t keylen, const char *body,
                        size_t len, int64_t now_ms, int64_t max_age_ms,
                        const struct feedback_mailgun_cache *cache, char *err,
                        size_t errlen);

/*
 * feedback_mailgun_remember - after the events of a verified request
 * were stored, remember its token in c until its timestamp leaves the
 * window. A body without a signature is ignored.
 */
void feedback_mailgun_remember(struct feedback_mailgun_cache *c,
                               const char *body, size_t len,
                               int64_t max_age_ms);

/*
 * feedback_mailgun_parse - a verified body into one event (feedback.h's
 * parser contract), from its "event-data" object:
 *
 *   accepted -> sent, delivered, failed with severity permanent ->
 *   hard_bounce (reason "suppress-*" or delivery-status code 605, 606,
 *   607, 625: rejected, Mailgun did not try; reason "old": soft_bounce,
 *   retries ran out), failed with severity temporary -> delayed (Mailgun
 *   retries), rejected -> rejected, complained -> complaint,
 *   unsubscribed -> unsubscribe, anything else -> other;
 *
 * event_id is event-data.id (required); provider_msg_id is
 * message.headers.message-id (without angle brackets, as the send
 * answer's id was kept); swerve_id is user-variables.swerve_id;
 * recipient, timestamp, delivery-status (code, enhanced-code, message or
 * description), severity and reason fill the rest. 0, or -1 with err.
 */
int feedback_mailgun_parse(const char *body, size_t len, const char *provider,
                           struct feedback_event **out, size_t *n, char *err,
                           size_t errlen);

/* The route's row for type mailgun (a replay cache per provider). */
extern const struct feedback_source_ops feedback_mailgun_ops;

#endif
