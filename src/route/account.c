/*
 * account.c - the account's standing and quota estimate (account.h).
 */
#include "route/account.h"

#include <stdio.h>
#include <string.h>

void
account_init(struct account_state *a)
{
	memset(a, 0, sizeof(*a));
	a->quota_max = -1;
	a->quota_left_poll = -1;
	a->bounce_rate = -1;
	a->complaint_rate = -1;
	a->score = -1;
}

void
account_reading_init(struct account_reading *r)
{
	memset(r, 0, sizeof(*r));
	r->sending = -1;
	r->quota_max = -1;
	r->quota_left = -1;
	r->bounce_rate = -1;
	r->complaint_rate = -1;
	r->score = -1;
	r->max_rate = -1;
}

double
account_quota_left(const struct account_state *a)
{
	double left;

	if (!a->known || a->quota_left_poll < 0)
		return -1;
	left = a->quota_left_poll - (double)a->sent_since - (double)a->inflight;
	return left > 0 ? left : 0;
}

bool
account_spill(const struct account_state *a, double reserve, char *why,
              size_t whylen)
{
	double left = account_quota_left(a);

	if (whylen > 0)
		why[0] = '\0';
	if (left < 0 || a->quota_max <= 0 || left > reserve * a->quota_max)
		return false;
	snprintf(
	    why, whylen,
	    "account quota nearly used: %.0f of %.0f left (reserve %.0f%%)",
	    left, a->quota_max, reserve * 100);
	return true;
}

double
account_share(const struct account_state *a, double probation_share, char *why,
              size_t whylen)
{
	if (whylen > 0)
		why[0] = '\0';
	if (!a->known || strcmp(a->enforcement, "PROBATION") != 0)
		return 1;
	snprintf(why, whylen, "account on probation at the provider");
	return probation_share;
}

bool
account_paused(const struct account_state *a, char *why, size_t whylen)
{
	if (whylen > 0)
		why[0] = '\0';
	if (!a->known || !a->paused)
		return false;
	snprintf(why, whylen, "%s", a->paused_why);
	return true;
}

/* account_level - rate against its two levels: 0, 1 or 2. */
static int
account_level(double rate, double review, double pause)
{
	if (rate < 0 || rate < review)
		return 0;
	return rate >= pause ? 2 : 1;
}

int
account_reputation(const struct account_state *a, char *why, size_t whylen)
{
	int b, c;

	if (whylen > 0)
		why[0] = '\0';
	if (!a->known)
		return 0;
	b = account_level(a->bounce_rate, ACCOUNT_SES_BOUNCE_REVIEW,
	                  ACCOUNT_SES_BOUNCE_PAUSE);
	c = account_level(a->complaint_rate, ACCOUNT_SES_COMPLAINT_REVIEW,
	                  ACCOUNT_SES_COMPLAINT_PAUSE);
	if (b == 0 && c == 0)
		return 0;
	if (b >= c)
		snprintf(why, whylen,
		         "bounce rate %.1f%% at SES's %s level (%.0f%%)",
		         a->bounce_rate * 100, b == 2 ? "pause" : "review",
		         (b == 2 ? ACCOUNT_SES_BOUNCE_PAUSE
		                 : ACCOUNT_SES_BOUNCE_REVIEW) *
		             100);
	else
		snprintf(why, whylen,
		         "complaint rate %.2f%% at SES's %s level (%.1f%%)",
		         a->complaint_rate * 100, c == 2 ? "pause" : "review",
		         (c == 2 ? ACCOUNT_SES_COMPLAINT_PAUSE
		                 : ACCOUNT_SES_COMPLAINT_REVIEW) *
		             100);
	return b > c ? b : c;
}

/* account_standing - what a change is judged on: a short fingerprint. */
static void
account_standing(const struct account_state *a, double reserve, char *out,
                 size_t cap)
{
	char why[160];

	snprintf(out, cap, "%s|%d|%d|%d", a->known ? a->enforcement : "",
	         a->known && a->paused,
	         (int)account_spill(a, reserve, why, sizeof(why)),
	         account_reputation(a, why, sizeof(why)));
}

bool
account_update(struct account_state *a, const char *enforcement,
               double quota_max, double quota_left, int64_t now_ms,
               double reserve)
{
	char before[64], after[64];

	account_standing(a, reserve, before, sizeof(before));
	a->known = true;
	snprintf(a->enforcement, sizeof(a->enforcement), "%s",
	         enforcement ? enforcement : "");
	a->quota_max = quota_max;
	a->quota_left_poll = quota_left;
	a->sent_since = 0;
	a->polled_ms = now_ms;
	a->polls++;
	snprintf(a->period, sizeof(a->period), "24 h");
	account_standing(a, reserve, after, sizeof(after));
	return strcmp(before, after) != 0;
}

bool
account_apply(struct account_state *a, const struct account_reading *r,
              int64_t now_ms, double reserve)
{
	char before[64], after[64];

	account_standing(a, reserve, before, sizeof(before));
	if (!a->known) {
		/* memset-zeroed states: nothing told yet means unknown */
		a->quota_max = a->quota_left_poll = -1;
		a->bounce_rate = a->complaint_rate = a->score = -1;
	}
	a->known = true;
	if (r->sending >= 0) {
		a->paused = r->sending == 0;
		snprintf(a->paused_why, sizeof(a->paused_why), "%s",
		         a->paused ? r->why : "");
	}
	if (r->state[0] != '\0')
		snprintf(a->state, sizeof(a->state), "%s", r->state);
	if (r->quota_max >= 0 || r->quota_left >= 0) {
		a->quota_max = r->quota_max;
		a->quota_left_poll = r->quota_left;
		a->sent_since = 0;
		snprintf(a->period, sizeof(a->period), "%s", r->period);
	}
	if (r->bounce_rate >= 0)
		a->bounce_rate = r->bounce_rate;
	if (r->complaint_rate >= 0)
		a->complaint_rate = r->complaint_rate;
	if (r->score >= 0)
		a->score = r->score;
	a->polled_ms = now_ms;
	a->polls++;
	a->error[0] = '\0';
	account_standing(a, reserve, after, sizeof(after));
	return strcmp(before, after) != 0;
}

void
account_failed(struct account_state *a, const char *text)
{
	snprintf(a->error, sizeof(a->error), "%s", text ? text : "");
	a->polls++;
}

void
account_sent(struct account_state *a, uint64_t n)
{
	a->sent_since += n;
}

void
account_inflight(struct account_state *a, uint64_t n)
{
	a->inflight += n;
}

void
account_landed(struct account_state *a, uint64_t n)
{
	a->inflight = n > a->inflight ? 0 : a->inflight - n;
}
