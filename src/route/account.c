/*
 * account.c - the account's standing and quota estimate (account.h).
 */
#include "route/account.h"

#include <stdio.h>
#include <string.h>

double
account_quota_left(const struct account_state *a)
{
	double left;

	if (!a->known || a->quota_left_poll < 0)
		return -1;
	left = a->quota_left_poll - (double)a->sent_since;
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
account_update(struct account_state *a, const char *enforcement,
               double quota_max, double quota_left, int64_t now_ms,
               double reserve)
{
	char why[160];
	bool was_spill = account_spill(a, reserve, why, sizeof(why));
	char old[16];
	bool changed;

	snprintf(old, sizeof(old), "%s", a->known ? a->enforcement : "");
	a->known = true;
	snprintf(a->enforcement, sizeof(a->enforcement), "%s",
	         enforcement ? enforcement : "");
	a->quota_max = quota_max;
	a->quota_left_poll = quota_left;
	a->sent_since = 0;
	a->polled_ms = now_ms;
	changed = strcmp(old, a->enforcement) != 0 ||
	          was_spill != account_spill(a, reserve, why, sizeof(why));
	return changed;
}

void
account_sent(struct account_state *a, uint64_t n)
{
	a->sent_since += n;
}
