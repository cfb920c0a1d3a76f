/*
 * reputation.h - delivered, bounce and complaint ratios per provider,
 * sender domain and stream over a 24-hour and a 1-hour window, and what
 * they mean for routing (contract).
 *
 * Counts, per key, recipients sent (the denominator: a provider accepted
 * them), delivered, hard bounces, soft bounces and complaints. A ratio is
 * count / sends in the same window, as Amazon SES computes its
 * reputation (bounce rate = hard bounces / sends; soft bounces are kept
 * apart and in no ratio that drives anything).
 *
 * Keys are of four scopes: a provider, a sender domain, a stream, and a
 * (provider, sender domain) pair (what routing reads). Each key has
 * fixed memory: 24 hourly slots (the 24-hour window is the current hour
 * and the 23 before it) and 12 five-minute slots (the 1-hour window is
 * the current five minutes and the 11 before). At most max_keys keys are
 * kept; a new key beyond that evicts the key counted least recently
 * (its counts are lost; a key that is counted again starts empty).
 *
 * In memory only: the windows start empty when the daemon starts.
 *
 * Pure logic: wall time (ms since the epoch) passed in, no I/O. Loop
 * thread only.
 */
#ifndef SWERVE_ROUTE_REPUTATION_H
#define SWERVE_ROUTE_REPUTATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum reputation_kind {
	REPUTATION_SENT, /* recipients a provider accepted */
	REPUTATION_DELIVERED,
	REPUTATION_HARD_BOUNCE,
	REPUTATION_SOFT_BOUNCE,
	REPUTATION_COMPLAINT,
	REPUTATION_KIND_COUNT
};

enum reputation_scope {
	REPUTATION_PROVIDER,
	REPUTATION_DOMAIN,
	REPUTATION_STREAM,
	REPUTATION_PROVIDER_DOMAIN, /* name: provider, name2: domain */
	REPUTATION_SCOPE_COUNT
};

enum reputation_window {
	REPUTATION_24H,
	REPUTATION_1H,
	REPUTATION_WINDOW_COUNT
};

/* A domain, provider or stream name; longer ones are cut. */
#define REPUTATION_NAME_MAX 256
#define REPUTATION_DEFAULT_KEYS 4096

struct reputation;

/* Counts in one window. */
struct reputation_counts {
	uint64_t n[REPUTATION_KIND_COUNT];
};

/* What routing and alerts compare the ratios with (config rates:). */
struct reputation_policy {
	double bounce_warning, bounce_critical;       /* 0..1 */
	double complaint_warning, complaint_critical; /* 0..1 */
	uint64_t min_volume;  /* sends in the window before a ratio counts */
	double penalty_share; /* balanced: share kept over warning, (0, 1] */
};

/* reputation_new - an empty store of at most max_keys keys (0: the
 * default). Free with reputation_free. */
struct reputation *reputation_new(size_t max_keys);

/* reputation_free - release r. NULL is a no-op. */
void reputation_free(struct reputation *r);

/*
 * reputation_count - n events of kind k at now_ms, counted under the
 * provider, the domain, the stream and the (provider, domain) pair;
 * a NULL or empty name leaves out the scopes that need it. Names are
 * copied (domains compared as given: the caller lower-cases them).
 */
void reputation_count(struct reputation *r, int64_t now_ms,
                      const char *provider, const char *domain,
                      const char *stream, enum reputation_kind k, unsigned n);

/*
 * reputation_get - the counts of one key in window w at now_ms; name2 is
 * the domain of a REPUTATION_PROVIDER_DOMAIN key (else ignored). Returns
 * 0, or -1 (out zeroed) when the key is not kept.
 */
int reputation_get(const struct reputation *r, int64_t now_ms,
                   enum reputation_scope s, const char *name, const char *name2,
                   enum reputation_window w, struct reputation_counts *out);

/* reputation_ratio - c's kind k over its sends; 0 without sends. */
double reputation_ratio(const struct reputation_counts *c,
                        enum reputation_kind k);

/* reputation_keys - keys kept now (all scopes). */
size_t reputation_keys(const struct reputation *r);

/* reputation_evicted - keys evicted since start. */
uint64_t reputation_evicted(const struct reputation *r);

/*
 * reputation_key_at - the i-th kept key (i < reputation_keys; order
 * unspecified, stable until the next reputation_count): its scope and
 * names (borrowed until the next reputation_count; name2 "" unless a
 * pair). Returns 0, or -1 when i is out of range.
 */
int reputation_key_at(const struct reputation *r, size_t i,
                      enum reputation_scope *s, const char **name,
                      const char **name2);

/*
 * reputation_factor - the share a provider keeps for mail from domain:
 * 1 when its 24-hour hard bounce and complaint ratios for that domain
 * are below p's warning levels (or it has fewer than p->min_volume sends
 * there), else p->penalty_share, with why (may be NULL) saying which
 * ratio crossed ("bounce 7.1% >= 5% (12/169 sends, 24h) for example.com").
 * *over_critical (may be NULL) tells whether a critical level was crossed.
 */
double reputation_factor(const struct reputation *r, int64_t now_ms,
                         const struct reputation_policy *p,
                         const char *provider, const char *domain, char *why,
                         size_t whylen, bool *over_critical);

/* reputation_kind_name - "sent", "delivered", "hard_bounce",
 * "soft_bounce", "complaint". */
const char *reputation_kind_name(enum reputation_kind k);

/* reputation_window_name - "24h", "1h". */
const char *reputation_window_name(enum reputation_window w);

#endif
