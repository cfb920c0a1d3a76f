/*
 * account.h - what a provider's API says about the account, and what it
 * means for routing (contract).
 *
 * Fed by the account poll (SES GetAccount, through the adapter's probe):
 * the enforcement status (HEALTHY, PROBATION, SHUTDOWN), the 24-hour
 * quota and what is left of it. Between polls, the recipients this
 * daemon had accepted at the provider are taken off what was left, so
 * the estimate runs ahead of the next poll.
 *
 * Routing reads two things:
 *   account_spill   keep new mail off the provider: the quota is nearly
 *                   used (at most `reserve` of it left), so traffic
 *                   moves to other providers before the provider starts
 *                   throttling, not after;
 *   account_share   the share of its weight the provider keeps: an
 *                   account on probation keeps `probation_share`.
 * A shut-down or paused account is not decided here: the poll fails as a
 * configuration fault and the circuit opens (deliver_watch.c).
 *
 * Pure: time passed in, no I/O. Loop thread only.
 */
#ifndef SWERVE_ROUTE_ACCOUNT_H
#define SWERVE_ROUTE_ACCOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct account_state {
	bool known;             /* a poll has told something */
	char enforcement[16];   /* "" when the provider does not say */
	double quota_max;       /* 24 h quota; < 0 unknown */
	double quota_left_poll; /* left at the last poll; < 0 unknown */
	uint64_t sent_since;    /* accepted here since that poll */
	int64_t polled_ms;      /* wall ms of the last poll */
};

/*
 * account_update - a poll's answer. enforcement may be "" or NULL;
 * quota_max / quota_left < 0: not told. Returns true when the standing
 * changed (enforcement, or spill for reserve), for a log line.
 */
bool account_update(struct account_state *a, const char *enforcement,
                    double quota_max, double quota_left, int64_t now_ms,
                    double reserve);

/* account_sent - n recipients were accepted at the provider. */
void account_sent(struct account_state *a, uint64_t n);

/* account_quota_left - the estimate now; < 0 when unknown. */
double account_quota_left(const struct account_state *a);

/*
 * account_spill - true when at most `reserve` (a share of the 24 h
 * quota, 0..1) is left: why says so ("account quota nearly used: 12 of
 * 50000 left").
 */
bool account_spill(const struct account_state *a, double reserve, char *why,
                   size_t whylen);

/*
 * account_share - probation_share for an account on probation (why
 * says so), else 1 (why "").
 */
double account_share(const struct account_state *a, double probation_share,
                     char *why, size_t whylen);

#endif
