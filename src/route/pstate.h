/*
 * pstate.h - provider state, first version: skip a provider that keeps
 * failing (contract).
 *
 * Each provider has a small state machine fed by delivery results:
 *   up        - usable; counts consecutive failures.
 *   cooling   - failed `fail_threshold` times in a row (or one `config`
 *               failure): skipped until the cool-down ends. The cool-down
 *               doubles on each repeat, from cooldown_min to cooldown_max.
 *   probing   - the cool-down ended: exactly one message may try it. A
 *               success makes it up (and resets the cool-down); a failure
 *               sends it back to cooling with a longer cool-down.
 * Pure logic: time is passed in (milliseconds, monotonic), nothing here
 * does I/O, so the health/routing issue can replace it behind the same
 * calls. Not thread-safe; the loop thread owns it.
 */
#ifndef SWERVE_ROUTE_PSTATE_H
#define SWERVE_ROUTE_PSTATE_H

#include <stdbool.h>
#include <stdint.h>

enum pstate_mode {
	PSTATE_UP,
	PSTATE_COOLING,
	PSTATE_PROBING,
};

struct pstate_opts {
	unsigned fail_threshold; /* consecutive failures to cool (default 3) */
	uint64_t cooldown_min_ms; /* first cool-down (default 5 s) */
	uint64_t cooldown_max_ms; /* cap (default 60 s) */
};

struct pstate {
	enum pstate_mode mode;
	unsigned consecutive_failures;
	unsigned trips;		/* times it went cooling since last up */
	uint64_t cooldown_ms;	/* current cool-down length */
	uint64_t until_ms;	/* cooling ends at */
	bool probe_out;		/* the one probing message is in flight */
	uint64_t successes, failures; /* totals, for status */
	struct pstate_opts opts;
};

/* pstate_init - a fresh, usable provider; opts may be NULL (defaults). */
void pstate_init(struct pstate *p, const struct pstate_opts *opts);

/*
 * pstate_try - may a message be sent to this provider now? If it returns
 * true while probing, the caller has taken the single probe slot and must
 * report the outcome with pstate_success/pstate_failure.
 */
bool pstate_try(struct pstate *p, uint64_t now_ms);

/*
 * pstate_usable - would pstate_try() say yes now? Changes nothing; for
 * "is any provider worth claiming mail for".
 */
bool pstate_usable(const struct pstate *p, uint64_t now_ms);

/* pstate_success - the provider accepted (or permanently refused) mail. */
void pstate_success(struct pstate *p);

/*
 * pstate_failure - the provider failed (deferred/throttled/unknown).
 * config is true for account/auth faults: those cool it at once.
 */
void pstate_failure(struct pstate *p, uint64_t now_ms, bool config);

/* pstate_mode_name - "up", "cooling", "probing". */
const char *pstate_mode_name(enum pstate_mode m);

#endif
