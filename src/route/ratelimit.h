/*
 * ratelimit.h - sending rate limits per provider (contract).
 *
 * Four small pieces:
 *   rate_parse - "14/s", "100/m", "5000/h", "0.5/s", "1000/d" to a rate.
 *   tbucket    - token bucket: one token per message, refilled at `rate`
 *                per second up to `burst`.
 *   aimd       - additive increase, multiplicative decrease on top of a
 *                bucket: a throttling answer halves the rate, successes
 *                raise it again slowly.
 *   quota      - a daily message quota that resets at UTC midnight.
 *
 * Pure logic: time is passed in (milliseconds; monotonic for the bucket
 * and AIMD, wall-clock since the Unix epoch for the quota), no I/O, no
 * allocation; the structs are plain data the caller embeds. Not
 * thread-safe; the loop thread owns them.
 */
#ifndef SWERVE_ROUTE_RATELIMIT_H
#define SWERVE_ROUTE_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#define RATE_COUNT_MAX 1e9 /* largest count accepted before the '/' */

/* A parsed rate: count per period, and the same as a per-second figure. */
struct rate {
	double count;       /* > 0, <= RATE_COUNT_MAX */
	uint64_t period_ms; /* 1000, 60000, 3600000 or 86400000 */
	double per_sec;     /* count * 1000 / period_ms, > 0 */
};

/* Why rate_parse refused its input; rate_strerror() says it in words. */
enum rate_err {
	RATE_OK = 0,
	RATE_ERR_EMPTY = -1,    /* empty string or NULL */
	RATE_ERR_NUMBER = -2,   /* no digits, a sign, or a bad decimal */
	RATE_ERR_DIGITS = -3,   /* too many digits */
	RATE_ERR_ZERO = -4,     /* the count is zero */
	RATE_ERR_RANGE = -5,    /* the count is above RATE_COUNT_MAX */
	RATE_ERR_SLASH = -6,    /* no '/' after the number */
	RATE_ERR_UNIT = -7,     /* unit is not s, m, h or d */
	RATE_ERR_TRAILING = -8, /* anything after the unit */
};

/*
 * rate_parse - parse "<count>/<unit>": count is decimal digits with an
 * optional fraction ("0.5", at most 10 integer and 9 fraction digits, no
 * sign, no exponent, no spaces), unit one of s, m, h, d (second, minute,
 * hour, day of 24 h). Returns RATE_OK and fills *out, or a
 * negative enum rate_err and leaves *out zeroed. s is NUL-terminated and
 * only read.
 */
int rate_parse(const char *s, struct rate *out);

/* rate_strerror - plain words for a rate_parse() result ("no '/' ..."). */
const char *rate_strerror(int rc);

/*
 * Token bucket. A rate <= 0 means unlimited: take always succeeds and
 * the wait is 0.
 */
struct tbucket {
	double rate;      /* tokens per second */
	double burst;     /* capacity now, >= 1 */
	double burst_max; /* capacity asked for at init, >= 1 */
	double tokens;    /* as of last_ms */
	uint64_t last_ms;
};

/*
 * tbucket_init - a full bucket. burst <= 0 means max(1, rate x 1 s);
 * a burst below 1 is raised to 1 (a message is one whole token).
 */
void tbucket_init(struct tbucket *tb, double rate, double burst,
                  uint64_t now_ms);

/* tbucket_take - take one token if there is one; false if not. */
bool tbucket_take(struct tbucket *tb, uint64_t now_ms);

/* tbucket_wait_ms - ms until a token is there (0: now). Changes nothing. */
uint64_t tbucket_wait_ms(const struct tbucket *tb, uint64_t now_ms);

/*
 * tbucket_tokens - tokens in the bucket now (for status). Changes
 * nothing. To ask "may a message go now", use tbucket_wait_ms() == 0:
 * it rounds as tbucket_take() does, where a bucket a hair under 1 token
 * (0.9999999999 after many refills) already counts as holding one.
 */
double tbucket_tokens(const struct tbucket *tb, uint64_t now_ms);

/*
 * tbucket_rate_set - change the refill rate from now on (tokens earned
 * so far at the old rate are kept). The capacity becomes min(burst_max,
 * max(1, rate x 1 s)) so that a lowered rate also lowers the burst.
 */
void tbucket_rate_set(struct tbucket *tb, double rate, uint64_t now_ms);

/*
 * AIMD over a bucket. cur starts at max_rate. A throttling answer halves
 * it, at most once per AIMD_GAP_MS (answers to messages sent at the old
 * rate arrive together and must not halve it again and again), never
 * below min_rate, and empties the bucket. Successes raise it by
 * max_rate / 20 at most once per AIMD_GAP_MS, up to max_rate: from the
 * floor back to full takes about 20 s.
 */
#define AIMD_GAP_MS 1000

struct aimd {
	double max_rate, min_rate, cur;
	uint64_t last_increase; /* ms; also set by a decrease */
	uint64_t last_decrease; /* ms */
	bool decreased;         /* last_decrease is valid */
};

/*
 * aimd_init - start at max_rate (> 0). min_rate <= 0 means the default:
 * max(max_rate / 64, 0.1/s), but never above max_rate.
 */
void aimd_init(struct aimd *a, double max_rate, double min_rate);

/*
 * aimd_throttled - the provider said "slow down": halve the rate and
 * apply it to tb (which may be NULL). Returns true if the rate changed.
 */
bool aimd_throttled(struct aimd *a, struct tbucket *tb, uint64_t now_ms);

/*
 * aimd_success - the provider took a message: raise the rate a step if
 * one is due and apply it to tb (may be NULL). Returns true if changed.
 */
bool aimd_success(struct aimd *a, struct tbucket *tb, uint64_t now_ms);

/*
 * Daily quota. Days are UTC days since the Unix epoch; the count resets
 * when the wall clock enters a later day (a clock that steps back keeps
 * the current day's count). limit 0 means no limit (still counted).
 */
struct quota {
	uint64_t limit, used;
	int64_t day;    /* UTC day of `used` */
	bool exhausted; /* the provider said so: nothing left today */
};

/* quota_init - nothing used; limit 0 = unlimited. */
void quota_init(struct quota *q, uint64_t limit, uint64_t now_wall_ms);

/* quota_take - count one message if the day's quota allows it. */
bool quota_take(struct quota *q, uint64_t now_wall_ms);

/*
 * quota_refund - give back one message taken today that never reached
 * the provider. A no-op on a new day or when nothing was used.
 */
void quota_refund(struct quota *q, uint64_t now_wall_ms);

/* quota_left - messages left today; UINT64_MAX if unlimited. */
uint64_t quota_left(const struct quota *q, uint64_t now_wall_ms);

/*
 * quota_exhaust - the provider said its quota is used up: nothing is
 * left until the next UTC day, whatever the configured limit.
 */
void quota_exhaust(struct quota *q, uint64_t now_wall_ms);

/* quota_reset_in_ms - ms until the next UTC midnight. */
uint64_t quota_reset_in_ms(uint64_t now_wall_ms);

#endif
