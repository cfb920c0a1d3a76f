/*
 * breaker.h - circuit breaker per provider (contract).
 *
 * Supersedes route/pstate.h. Three states:
 *   closed    - every message may go. Opens on `consecutive_failures`
 *               failures in a row, or when at least `failure_pct` percent
 *               of the attempts in the last `window_ms` failed and there
 *               were at least `min_volume` of them, or at once on one
 *               config-class failure (bad credentials, account paused).
 *   open      - nothing may go until the cool-down ends. The cool-down
 *               starts at `cooldown_min_ms` and doubles on every re-open
 *               that was not preceded by a full close, up to
 *               `cooldown_max_ms`. A config failure opens it for
 *               `config_cooldown_ms` instead.
 *   half-open - the cool-down ended: up to `half_open_trials` trial
 *               messages may be in flight at once. `close_after` trial
 *               successes in a row close it; one trial failure re-opens it
 *               with a longer cool-down.
 *
 * Results that arrive while open come from messages sent before it opened:
 * they are counted (b->late) but never move the state, except a config
 * failure, which extends the open period to at least config_cooldown_ms
 * from now. In half-open, a result that arrives while no trial is out is
 * treated the same way.
 *
 * Pure logic: time is passed in (milliseconds, monotonic), no I/O, no
 * allocation; the struct is plain data the caller embeds. Not
 * thread-safe; the loop thread owns it. Every state change returns a
 * breaker_event and leaves a plain-words reason in b->reason for the
 * caller to log (the caller logs the provider's own text with config
 * failures; the breaker does not see it).
 */
#ifndef SWERVE_ROUTE_BREAKER_H
#define SWERVE_ROUTE_BREAKER_H

#include <stdbool.h>
#include <stdint.h>

#define BREAKER_BUCKETS 10 /* the failure window is this many slices */
#define BREAKER_REASON_SIZE 128

enum breaker_state {
	BREAKER_CLOSED,
	BREAKER_OPEN,
	BREAKER_HALF_OPEN,
};

/* What one result was, from the provider's point of view. */
enum breaker_outcome {
	BREAKER_SUCCESS, /* accepted, or refused for the recipient's sake */
	BREAKER_FAILURE, /* deferred, throttled, unknown */
	BREAKER_CONFIG,  /* credentials, account, identity */
};

/* What a call changed; NONE when the state stayed as it was. */
enum breaker_event {
	BREAKER_EV_NONE,
	BREAKER_EV_OPENED,      /* closed -> open */
	BREAKER_EV_REOPENED,    /* half-open -> open */
	BREAKER_EV_HALF_OPENED, /* open -> half-open (cool-down over) */
	BREAKER_EV_CLOSED,      /* half-open or open -> closed */
};

/* Tuning; a zero field takes its default (in parentheses). */
struct breaker_opts {
	unsigned consecutive_failures; /* in a row to open (3) */
	uint64_t window_ms;            /* ratio window (30000) */
	unsigned min_volume;           /* attempts in window for ratio (20) */
	unsigned failure_pct;          /* open at >= this % failed (50) */
	uint64_t cooldown_min_ms;      /* first cool-down (5000) */
	uint64_t cooldown_max_ms;      /* cap of the doubling (300000) */
	uint64_t config_cooldown_ms;   /* open after config failure (600000) */
	unsigned half_open_trials;     /* trials in flight at once (3) */
	unsigned close_after;          /* trial successes to close (3) */
};

/* One slice of the failure window. */
struct breaker_bucket {
	uint64_t slot; /* now_ms / slice width when last written */
	unsigned attempts, failures;
};

struct breaker {
	enum breaker_state state;
	struct breaker_opts opts;
	unsigned consecutive;     /* failures in a row while closed */
	unsigned trials_out;      /* half-open: trial messages in flight */
	unsigned trial_successes; /* half-open: trial successes in a row */
	uint64_t cooldown_ms;     /* last doubling cool-down; 0 after close */
	uint64_t until_ms;        /* open: may half-open at this time */
	uint64_t opened_ms;       /* when it last left closed */
	/* Totals since init, for status and metrics. */
	uint64_t successes, failures, config_failures;
	uint64_t late;  /* results ignored because they came while open */
	uint64_t opens; /* times it opened or re-opened */
	struct breaker_bucket win[BREAKER_BUCKETS];
	char reason[BREAKER_REASON_SIZE]; /* why the last change happened */
};

/* breaker_init - a closed breaker; opts may be NULL (all defaults). */
void breaker_init(struct breaker *b, const struct breaker_opts *opts);

/*
 * breaker_tick - let time pass: open -> half-open once the cool-down is
 * over. Returns BREAKER_EV_HALF_OPENED when that happened, else NONE.
 * breaker_allow() does this itself; call it first only to learn of the
 * transition (to log it) without taking a trial slot.
 */
enum breaker_event breaker_tick(struct breaker *b, uint64_t now_ms);

/*
 * breaker_allow - may a message go to this provider now? In half-open a
 * true answer takes a trial slot: the caller must then report that
 * message's outcome with breaker_record(), or give the slot back with
 * breaker_trial_cancel() if the message was not sent after all; else the
 * slot stays taken until the next state change.
 */
bool breaker_allow(struct breaker *b, uint64_t now_ms);

/* breaker_usable - what breaker_allow() would answer now; changes nothing. */
bool breaker_usable(const struct breaker *b, uint64_t now_ms);

/*
 * breaker_record - learn one result. Returns the change it caused and, on
 * a change, sets b->reason ("3 consecutive failures", "62% of 40 attempts
 * failed in 30 s", "config failure", "trial message failed", "3 trial
 * messages succeeded"). A config failure while already open sets the
 * reason and extends the open period but returns NONE.
 */
enum breaker_event breaker_record(struct breaker *b, uint64_t now_ms,
                                  enum breaker_outcome outcome);

/*
 * breaker_force_open - open it for duration_ms from now whatever the
 * state (a status page reporting a major outage, an operator's pause).
 * Never shortens a longer open period already running (clear it first
 * to do that); UINT64_MAX means until cleared. reason is copied (NULL:
 * "forced open"). Does not lengthen the doubling cool-down. Returns
 * OPENED or REOPENED, or NONE if it was open already.
 */
enum breaker_event breaker_force_open(struct breaker *b, uint64_t now_ms,
                                      uint64_t duration_ms, const char *reason);

/*
 * breaker_force_clear - close it now (an operator's resume): forgets the
 * failure window, the streak and the cool-down. Returns CLOSED, or NONE
 * if it was closed already.
 */
enum breaker_event breaker_force_clear(struct breaker *b, uint64_t now_ms);

/*
 * breaker_trial_cancel - a trial slot taken by breaker_allow() was not
 * used (the message went elsewhere before it was sent): free it. No
 * effect outside half-open.
 */
void breaker_trial_cancel(struct breaker *b);

/* breaker_state_name - "closed", "open", "half-open". */
const char *breaker_state_name(enum breaker_state s);

/* breaker_event_name - "none", "opened", "reopened", "half-opened", ... */
const char *breaker_event_name(enum breaker_event e);

/* breaker_cooldown_left - ms until an open breaker half-opens; 0 if not open.
 */
uint64_t breaker_cooldown_left(const struct breaker *b, uint64_t now_ms);

#endif
