/*
 * ratelimit.c - rate strings, token buckets, AIMD and daily quotas.
 *
 * The parser is strict on purpose: a rate limit that silently became
 * something else ("14 /s" read as 14 per day, "1e9/s" as 1/s) would
 * either get an account suspended or hold mail for no reason, so
 * anything outside the documented grammar is refused with a reason.
 * Bucket arithmetic is in doubles; a small epsilon keeps rounding from
 * leaving a bucket at 0.9999999 tokens when a whole one is due.
 */
#include "route/ratelimit.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#define RATE_INT_DIGITS 10
#define RATE_FRAC_DIGITS 9
#define TB_EPS 1e-9
#define DAY_MS 86400000ULL

/* rate_digit - is c an ASCII digit (not locale-dependent isdigit). */
static bool
rate_digit(char c)
{
	return c >= '0' && c <= '9';
}

int
rate_parse(const char *s, struct rate *out)
{
	uint64_t ip = 0, fp = 0, scale = 1, period;
	unsigned nint = 0, nfrac = 0;
	const char *p = s;
	double count;

	memset(out, 0, sizeof(*out));
	if (s == NULL || *s == '\0')
		return RATE_ERR_EMPTY;
	for (; rate_digit(*p); p++) {
		if (++nint > RATE_INT_DIGITS)
			return RATE_ERR_DIGITS;
		ip = ip * 10 + (uint64_t)(*p - '0');
	}
	if (nint == 0)
		return RATE_ERR_NUMBER;
	if (*p == '.') {
		for (p++; rate_digit(*p); p++) {
			if (++nfrac > RATE_FRAC_DIGITS)
				return RATE_ERR_DIGITS;
			fp = fp * 10 + (uint64_t)(*p - '0');
			scale *= 10;
		}
		if (nfrac == 0)
			return RATE_ERR_NUMBER;
	}
	if (*p != '/')
		return RATE_ERR_SLASH;
	switch (*++p) {
	case 's':
		period = 1000;
		break;
	case 'm':
		period = 60 * 1000;
		break;
	case 'h':
		period = 3600 * 1000;
		break;
	case 'd':
		period = DAY_MS;
		break;
	default:
		return RATE_ERR_UNIT;
	}
	if (*++p != '\0')
		return RATE_ERR_TRAILING;
	count = (double)ip + (double)fp / (double)scale;
	if (count == 0)
		return RATE_ERR_ZERO;
	if (count > RATE_COUNT_MAX)
		return RATE_ERR_RANGE;
	out->count = count;
	out->period_ms = period;
	out->per_sec = count * 1000.0 / (double)period;
	return RATE_OK;
}

const char *
rate_strerror(int rc)
{
	switch (rc) {
	case RATE_OK:
		return "ok";
	case RATE_ERR_EMPTY:
		return "empty rate";
	case RATE_ERR_NUMBER:
		return "expected a number such as 14 or 0.5 before '/'";
	case RATE_ERR_DIGITS:
		return "too many digits (at most 10 before the point, 9 after)";
	case RATE_ERR_ZERO:
		return "rate must be more than zero";
	case RATE_ERR_RANGE:
		return "count above 1000000000 per unit";
	case RATE_ERR_SLASH:
		return "expected '/' after the number, as in 14/s";
	case RATE_ERR_UNIT:
		return "unit after '/' must be s, m, h or d";
	case RATE_ERR_TRAILING:
		return "unexpected text after the unit";
	}
	return "invalid rate";
}

/* tbucket_unlimited - no rate configured (or a nonsense one). */
static bool
tbucket_unlimited(const struct tbucket *tb)
{
	return !(tb->rate > 0);
}

/*
 * tbucket_eps - how short of a whole token still counts as one: 1e-9,
 * or less for slow rates, so that it never amounts to a millisecond.
 */
static double
tbucket_eps(const struct tbucket *tb)
{
	double e = tb->rate * 1e-9;

	return e < TB_EPS ? e : TB_EPS;
}

/* tbucket_level - tokens at now_ms, without storing them. */
static double
tbucket_level(const struct tbucket *tb, uint64_t now_ms)
{
	double t = tb->tokens;

	/* A clock behind last_ms earns nothing (and takes nothing). */
	if (now_ms > tb->last_ms)
		t += tb->rate * (double)(now_ms - tb->last_ms) / 1000.0;
	return t > tb->burst ? tb->burst : t;
}

/* tbucket_refill - store the tokens earned up to now_ms. */
static void
tbucket_refill(struct tbucket *tb, uint64_t now_ms)
{
	if (tbucket_unlimited(tb) || now_ms <= tb->last_ms)
		return;
	tb->tokens = tbucket_level(tb, now_ms);
	tb->last_ms = now_ms;
}

/* tbucket_cap - capacity for a rate: min(burst_max, max(1, rate x 1 s)). */
static double
tbucket_cap(const struct tbucket *tb, double rate)
{
	double cap = rate > 1 ? rate : 1;

	return cap < tb->burst_max ? cap : tb->burst_max;
}

void
tbucket_init(struct tbucket *tb, double rate, double burst, uint64_t now_ms)
{
	memset(tb, 0, sizeof(*tb));
	tb->rate = rate > 0 ? rate : 0;
	if (!(burst > 0))
		burst = tb->rate;
	tb->burst_max = burst > 1 ? burst : 1;
	tb->burst = tb->burst_max;
	tb->tokens = tb->burst;
	tb->last_ms = now_ms;
}

bool
tbucket_take(struct tbucket *tb, uint64_t now_ms)
{
	if (tbucket_unlimited(tb))
		return true;
	tbucket_refill(tb, now_ms);
	if (tb->tokens + tbucket_eps(tb) < 1)
		return false;
	tb->tokens -= 1;
	if (tb->tokens < 0)
		tb->tokens = 0;
	return true;
}

uint64_t
tbucket_wait_ms(const struct tbucket *tb, uint64_t now_ms)
{
	double need, ms, eps = tbucket_eps(tb);
	uint64_t w, from;

	if (tbucket_unlimited(tb))
		return 0;
	need = 1 - tbucket_level(tb, now_ms);
	if (need <= eps)
		return 0;
	/* Tokens are earned from last_ms on, even if the clock is behind. */
	from = now_ms > tb->last_ms ? now_ms : tb->last_ms;
	ms = ceil(need * 1000.0 / tb->rate);
	if (!(ms < 1.8e19) || (uint64_t)ms > UINT64_MAX - from)
		return UINT64_MAX;
	w = (uint64_t)ms;
	/* The estimate may be off by rounding either way; settle on the
	 * first millisecond at which tbucket_take() would succeed. */
	while (w > 1 && tbucket_level(tb, from + w - 1) + eps >= 1)
		w--;
	while (w < UINT64_MAX - from && tbucket_level(tb, from + w) + eps < 1)
		w++;
	return w + (from - now_ms);
}

double
tbucket_tokens(const struct tbucket *tb, uint64_t now_ms)
{
	if (tbucket_unlimited(tb))
		return tb->burst;
	return tbucket_level(tb, now_ms);
}

void
tbucket_rate_set(struct tbucket *tb, double rate, uint64_t now_ms)
{
	tbucket_refill(tb, now_ms);
	if (now_ms > tb->last_ms)
		tb->last_ms = now_ms;
	tb->rate = rate > 0 ? rate : 0;
	tb->burst =
	    tbucket_unlimited(tb) ? tb->burst_max : tbucket_cap(tb, tb->rate);
	if (tb->tokens > tb->burst)
		tb->tokens = tb->burst;
}

void
aimd_init(struct aimd *a, double max_rate, double min_rate)
{
	memset(a, 0, sizeof(*a));
	a->max_rate = max_rate;
	if (!(min_rate > 0)) {
		min_rate = max_rate / 64;
		if (min_rate < 0.1)
			min_rate = 0.1;
	}
	a->min_rate = min_rate < max_rate ? min_rate : max_rate;
	a->cur = max_rate;
}

/* aimd_apply - give the bucket the current rate. */
static void
aimd_apply(const struct aimd *a, struct tbucket *tb, uint64_t now_ms)
{
	if (tb != NULL)
		tbucket_rate_set(tb, a->cur, now_ms);
}

bool
aimd_throttled(struct aimd *a, struct tbucket *tb, uint64_t now_ms)
{
	double next;

	/* Answers to messages sent at the old rate: one halving for all. */
	if (a->decreased && now_ms >= a->last_decrease &&
	    now_ms - a->last_decrease < AIMD_GAP_MS)
		return false;
	next = a->cur / 2;
	if (next < a->min_rate)
		next = a->min_rate;
	a->decreased = true;
	a->last_decrease = now_ms;
	a->last_increase = now_ms; /* recover only after a quiet gap */
	if (next == a->cur)
		return false;
	a->cur = next;
	aimd_apply(a, tb, now_ms);
	if (tb != NULL)
		tb->tokens = 0;
	return true;
}

bool
aimd_success(struct aimd *a, struct tbucket *tb, uint64_t now_ms)
{
	double next;

	if (a->cur >= a->max_rate || now_ms < a->last_increase ||
	    now_ms - a->last_increase < AIMD_GAP_MS)
		return false;
	next = a->cur + a->max_rate / 20;
	a->cur = next < a->max_rate ? next : a->max_rate;
	a->last_increase = now_ms;
	aimd_apply(a, tb, now_ms);
	return true;
}

/* quota_day - UTC day number of a wall-clock time. */
static int64_t
quota_day(uint64_t now_wall_ms)
{
	return (int64_t)(now_wall_ms / DAY_MS);
}

/* quota_roll - start a new day's count if the clock entered one. */
static void
quota_roll(struct quota *q, uint64_t now_wall_ms)
{
	int64_t d = quota_day(now_wall_ms);

	if (d <= q->day)
		return;
	q->day = d;
	q->used = 0;
	q->exhausted = false;
}

void
quota_init(struct quota *q, uint64_t limit, uint64_t now_wall_ms)
{
	memset(q, 0, sizeof(*q));
	q->limit = limit;
	q->day = quota_day(now_wall_ms);
}

bool
quota_take(struct quota *q, uint64_t now_wall_ms)
{
	quota_roll(q, now_wall_ms);
	if (q->exhausted || (q->limit != 0 && q->used >= q->limit))
		return false;
	q->used++;
	return true;
}

void
quota_refund(struct quota *q, uint64_t now_wall_ms)
{
	quota_roll(q, now_wall_ms);
	if (q->used > 0)
		q->used--;
}

uint64_t
quota_left(const struct quota *q, uint64_t now_wall_ms)
{
	bool new_day = quota_day(now_wall_ms) > q->day;

	if (q->exhausted && !new_day)
		return 0;
	if (q->limit == 0)
		return UINT64_MAX;
	if (new_day)
		return q->limit;
	return q->used >= q->limit ? 0 : q->limit - q->used;
}

void
quota_exhaust(struct quota *q, uint64_t now_wall_ms)
{
	quota_roll(q, now_wall_ms);
	q->exhausted = true;
}

uint64_t
quota_reset_in_ms(uint64_t now_wall_ms)
{
	return DAY_MS - now_wall_ms % DAY_MS;
}
