/*
 * readiness.h - failover readiness of every provider for every sender
 * domain (issue 18 item 4): the table of what is known per
 * provider x sender domain (readiness_model.h facts and verdict), and
 * the routing question readiness_blocks asks of it.
 *
 * Filled by whoever learns a fact (a provider's verification answer,
 * readiness_verify.h; a DNS check); read by routing
 * (deliver_send.c job_represents) and the matrix output. Loop thread
 * only.
 */
#ifndef SWERVE_READINESS_READINESS_H
#define SWERVE_READINESS_READINESS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "readiness/readiness_model.h"
#include "readiness/readiness_seen.h"

struct readiness;

/* One provider x sender domain; strings owned by the table. */
struct readiness_entry {
	char provider[64];
	char domain[256];
	struct readiness_facts facts;
	enum readiness_verdict verdict;
	char reason[4 * READINESS_WORDS + 64];
	int64_t checked_ms; /* wall ms of the last check; 0: never */
};

/* The sender domains a matrix covers: those seen in the last days. */
#define READINESS_SEEN_DAYS 7
/* At most this many providers are listed per domain. */
#define READINESS_MAX_PROVIDERS 64

/* readiness_new - an empty table with an empty set of seen sender
 * domains (caller frees with readiness_free); NULL on memory
 * exhaustion. */
struct readiness *readiness_new(void);

/* readiness_free - release r and its entries; NULL is a no-op. */
void readiness_free(struct readiness *r);

/*
 * readiness_set - record the facts known about provider x domain
 * (domain compared case-insensitively; both copied, truncated at the
 * entry's sizes) and judge them. 0, or -1 on memory exhaustion (the
 * table unchanged).
 */
int readiness_set(struct readiness *r, const char *provider, const char *domain,
                  const struct readiness_facts *facts);

/* readiness_checked - note that provider x domain was checked at
 * at_ms (no-op without an entry). */
void readiness_checked(struct readiness *r, const char *provider,
                       const char *domain, int64_t at_ms);

/*
 * readiness_not_ready - how many sender domains seen at or after
 * since_ms provider is known not ready for (not verified, or DNS
 * incomplete); note (notelen bytes) names the first ones with their
 * reasons. 0 for r NULL.
 */
size_t readiness_not_ready(struct readiness *r, const char *provider,
                           int64_t since_ms, char *note, size_t notelen);

/* readiness_get - the entry for provider x domain (borrowed until the
 * next readiness_set or readiness_free), NULL when nothing is known. */
const struct readiness_entry *readiness_get(const struct readiness *r,
                                            const char *provider,
                                            const char *domain);

/*
 * readiness_blocks - may routing not hand a message of sender_domain to
 * provider? True only when the provider is known to say the domain is
 * not verified (why: "sender domain D not verified at P: <words>").
 * Unknown never blocks: r NULL, an empty domain (the null sender),
 * no entry, verification unknown, or a DNS fact missing are all false.
 */
bool readiness_blocks(const struct readiness *r, const char *provider,
                      const char *sender_domain, char *why, size_t whylen);

/* readiness_seen_of - the sender domains seen lately (owned by r; feed
 * it with readiness_seen_add or readiness_seen_listen). */
struct readiness_seen *readiness_seen_of(struct readiness *r);

/* readiness_providers_set - the providers every seen domain is judged
 * for (names copied, at most READINESS_MAX_PROVIDERS, longer than 63
 * bytes skipped); replaces the previous list. */
void readiness_providers_set(struct readiness *r, const char *const *names,
                             size_t n);

/* readiness_count - entries in r (0 for NULL). */
size_t readiness_count(const struct readiness *r);

/* readiness_at - the i-th entry (i < readiness_count), in the order
 * first recorded; borrowed. */
const struct readiness_entry *readiness_at(const struct readiness *r, size_t i);

/*
 * readiness_json - the matrix. First every sender domain seen at or
 * after since_ms gets an entry per provider (readiness_providers_set)
 * it has none for: verification unknown, "not checked yet". Then
 * {"entries":[{"domain","provider",
 * "verdict","reason","verified","dns":{"spf":"yes"|"no"|"unknown",...}}]}
 * (new reference, caller decrefs); NULL on memory exhaustion.
 */
json_t *readiness_json(struct readiness *r, int64_t since_ms);

struct metrics_writer;

/*
 * readiness_metrics_render - add to w: swerve_readiness{provider,
 * domain,verdict} 1 for each entry of a domain seen at or after
 * since_ms (at most cap series; the rest counted in
 * swerve_readiness_series_dropped), and swerve_readiness_pairs{verdict}
 * for all of them. Nothing for r NULL.
 */
void readiness_metrics_render(struct readiness *r, struct metrics_writer *w,
                              int64_t since_ms, size_t cap);

#endif
