/*
 * suppress.h - one suppression list across providers, per tenant
 * (contract).
 *
 * An address on a tenant's list is never mailed for that tenant: every
 * ingress path asks suppress_check() in the one submission pipeline
 * (ingress/submit.c) and refuses or drops the recipient
 * (suppression.on_submit). Entries come from feedback (hard bounces,
 * complaints, unsubscribes, soft bounces after N in a window:
 * spool/suppress_feed.c listens on the event bus), from the API
 * (/v1/suppressions), swervectl, CSV imports and providers' own lists.
 *
 * Why src/spool: the list is durable state kept in the spool database
 * (one writer, one fsync per group commit: a suppression added by a
 * bounce is on disk before anything reports it), and the spool is the
 * owner of durable state. Route is pure provider choice and never asks.
 *
 * Addresses: the domain is lower-cased; the local part is stored as
 * given. Comparison folds the local part's ASCII case unless
 * suppression.local_part is "sensitive" (RFC 5321 lets a receiver
 * distinguish case, almost none do, and every provider's own list folds
 * it), so Bob@Example.com and bob@example.com are one entry by default.
 *
 * Backends: struct suppress_backend is the seam for the cluster state
 * (design.md: local | cluster). The local one (suppress_local.c) keeps
 * every entry's key in a hash set in memory, loaded at start and kept
 * in step after each commit, so suppress_check() never touches SQLite
 * on the loop; a Redis one (issue 17) must also answer check() from
 * memory.
 *
 * Loop thread only, except where a callback says otherwise.
 */
#ifndef SWERVE_SPOOL_SUPPRESS_H
#define SWERVE_SPOOL_SUPPRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Why an address is on the list; the order of suppression.expire. */
enum suppress_reason {
	SUPPRESS_HARD_BOUNCE,
	SUPPRESS_COMPLAINT,
	SUPPRESS_UNSUBSCRIBE,
	SUPPRESS_SOFT_BOUNCE,
	SUPPRESS_MANUAL,
	SUPPRESS_IMPORT,
	SUPPRESS_REASON_COUNT
};

#define SUPPRESS_TENANT_MAX 65
#define SUPPRESS_ADDR_MAX 321
#define SUPPRESS_PROVIDER_MAX 128
#define SUPPRESS_TEXT_MAX 512

/* One entry. Plain data, copied by value. */
struct suppress_entry {
	char tenant[SUPPRESS_TENANT_MAX]; /* "" for mail with no tenant */
	char address[SUPPRESS_ADDR_MAX];  /* local@domain, domain lower */
	enum suppress_reason reason;
	char provider[SUPPRESS_PROVIDER_MAX]; /* who reported it, or "" */
	int64_t created_ms;                   /* wall clock */
	int64_t expires_ms;                   /* 0: never */
	char diagnostic[SUPPRESS_TEXT_MAX];   /* for people, or "" */
};

/* suppress_reason_name - "hard_bounce", "complaint", "unsubscribe",
 * "soft_bounce", "manual", "import". */
const char *suppress_reason_name(enum suppress_reason r);

/* suppress_reason_parse - the inverse; -1 for an unknown name. */
int suppress_reason_parse(const char *name);

/*
 * suppress_addr_store - the stored form of addr (optional <> removed,
 * domain lower-cased, local part as given) into out[0..n). 0, or -1
 * when addr is not local@domain (no '@', an empty side, a blank or
 * control octet, too long).
 */
int suppress_addr_store(const char *addr, char *out, size_t n);

/*
 * suppress_addr_key - the comparison key of addr for tenant into
 * out[0..n): tenant, '\n', the stored form with the local part's ASCII
 * case folded unless sensitive. Returns its length, or -1 like
 * suppress_addr_store (or when it does not fit).
 */
int suppress_addr_key(const char *tenant, const char *addr, bool sensitive,
                      char *out, size_t n);

/* suppress_done_fn - an add or remove is on disk (status SPOOL_OK), or
 * not (SPOOL_ERR_NOTFOUND for a remove of nothing, SPOOL_ERR_IO, ...);
 * n entries concerned. */
typedef void suppress_done_fn(int status, size_t n, void *arg);

/* suppress_entries_fn - entries read; e[0..n) valid during the call. */
typedef void suppress_entries_fn(int status, const struct suppress_entry *e,
                                 size_t n, void *arg);

/* What to list: one tenant, optionally one reason, after a cursor. */
struct suppress_query {
	const char *tenant;  /* "" for none; never NULL */
	int reason;          /* enum suppress_reason, or -1 for all */
	const char *after;   /* address to start after (exclusive), or NULL */
	const char *address; /* exactly this address, or NULL */
	size_t limit;        /* at most this many (1..) */
	int64_t now_ms;      /* expired entries are left out */
};

/* One backend: a table of operations over its own state impl. */
struct suppress_backend {
	const char *name; /* "local" */
	/* check - is addr suppressed for tenant now? true with *why set.
	 * Answers from memory; never blocks. */
	bool (*check)(void *impl, const char *tenant, const char *addr,
	              int64_t now_ms, enum suppress_reason *why);
	/* add - insert or replace e[0..n) (copied), then cb. 0 or -1. */
	int (*add)(void *impl, const struct suppress_entry *e, size_t n,
	           suppress_done_fn *cb, void *arg);
	/* remove - take addr off tenant's list, then cb. 0 or -1. */
	int (*remove)(void *impl, const char *tenant, const char *addr,
	              suppress_done_fn *cb, void *arg);
	/* list - entries matching q (copied), then cb. 0 or -1. */
	int (*list)(void *impl, const struct suppress_query *q,
	            suppress_entries_fn *cb, void *arg);
	/* purge - delete at most max entries expired at now_ms, from the
	 * store and from memory; then cb with how many. 0 or -1. */
	int (*purge)(void *impl, int64_t now_ms, size_t max,
	             suppress_done_fn *cb, void *arg);
	/* count - entries held (expired ones included). */
	size_t (*count)(void *impl);
	void (*free)(void *impl);
};

/* A list: a backend and its state. */
struct suppress {
	const struct suppress_backend *be;
	void *impl;
};

/* suppress_check - be->check, false when s is NULL (no list). */
bool suppress_check(const struct suppress *s, const char *tenant,
                    const char *addr, int64_t now_ms,
                    enum suppress_reason *why);

/* suppress_purge - be->purge: delete up to max entries expired at now_ms
 * (an expired entry suppresses nothing; this frees its row and memory),
 * then cb(status, how many, arg). 0, or -1 (cb not called). */
int suppress_purge(const struct suppress *s, int64_t now_ms, size_t max,
                   suppress_done_fn *cb, void *arg);

/* suppress_active - the daemon's list, or NULL before one is installed;
 * suppress_install - make s the daemon's list (borrowed; NULL: none). */
struct suppress *suppress_active(void);
void suppress_install(struct suppress *s);

#endif
