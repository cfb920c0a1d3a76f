/*
 * account.h - what a provider's API says about the account, and what it
 * means for routing (contract).
 *
 * Fed by two sources: the SES probe (GetAccount: the enforcement status
 * HEALTHY, PROBATION, SHUTDOWN, the 24-hour quota and what is left of it;
 * account_update), and the account poll (route/account_poll.h: SES
 * reputation from CloudWatch, SendGrid credits and reputation, Mailgun
 * domain state, Postmark server delivery type, Resend domains; each
 * answer read by a pure parser in route/account_parse.h into a struct
 * account_reading; account_apply). Between polls, the recipients this
 * daemon had accepted at the provider are taken off what was left, and
 * so are those on their way there now (account_inflight), so the
 * estimate runs ahead of the next poll and max_connections messages in
 * flight cannot carry it past the reserve.
 *
 * Routing reads three things:
 *   account_spill   keep new mail off the provider: the quota is nearly
 *                   used (at most `reserve` of it left), so traffic
 *                   moves to other providers before the provider starts
 *                   throttling, not after;
 *   account_share   the share of its weight the provider keeps: an
 *                   account on probation keeps `probation_share`;
 *   account_paused  the provider says the account (or its sending
 *                   domain) will not send: deliver_watch.c fails the
 *                   provider's probes as a configuration fault, so the
 *                   circuit opens and stays open until a poll says
 *                   otherwise.
 * account_reputation says how the reputation metrics stand against the
 * provider's published levels (SES: bounce 5% / 10%, complaint 0.1% /
 * 0.5%), for status and the account alert; it does not change routing.
 *
 * Pure: time passed in, no I/O. Loop thread only.
 */
#ifndef SWERVE_ROUTE_ACCOUNT_H
#define SWERVE_ROUTE_ACCOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* SES's published reputation levels (fractions): at the first an
 * account is reviewed, at the second sending may be paused. */
#define ACCOUNT_SES_BOUNCE_REVIEW 0.05
#define ACCOUNT_SES_BOUNCE_PAUSE 0.10
#define ACCOUNT_SES_COMPLAINT_REVIEW 0.001
#define ACCOUNT_SES_COMPLAINT_PAUSE 0.005

/*
 * One poll's answer, in the one model every provider maps to. Every
 * field starts unknown (account_reading_init); a parser sets only what
 * its provider's answer tells.
 */
struct account_reading {
	int sending;        /* 1 may send, 0 paused / disabled, -1 not told */
	char state[32];     /* the provider's own word ("active", "Live") */
	char why[160];      /* when sending == 0: what the provider says */
	double quota_max;   /* the quota of the period; < 0 not told */
	double quota_left;  /* left of it now; < 0 not told */
	char period[8];     /* the quota's period: "24 h", "month", ... */
	double bounce_rate; /* 0..1; < 0 not told */
	double complaint_rate; /* 0..1; < 0 not told */
	double score;          /* the provider's reputation, 0..100; < 0 */
	double max_rate;       /* messages per second; < 0 not told */
};

struct account_state {
	bool known;             /* a poll has told something */
	char enforcement[16];   /* "" when the provider does not say */
	double quota_max;       /* quota of the period; < 0 unknown */
	double quota_left_poll; /* left at the last poll; < 0 unknown */
	uint64_t sent_since;    /* accepted here since that poll */
	uint64_t inflight;      /* recipients on their way there now */
	int64_t polled_ms;      /* wall ms of the last poll */
	char period[8];         /* "24 h" (SES), "month" (SendGrid credits) */
	char state[32];         /* the provider's own word, "" */
	bool paused;            /* the provider says it will not send */
	char paused_why[160];   /* what it says, when paused */
	double bounce_rate, complaint_rate; /* 0..1; < 0 unknown */
	double score;                       /* 0..100; < 0 unknown */
	uint64_t polls;  /* account answers and failed calls so far */
	char error[160]; /* the last failed account call, "" */
};

/* account_init - nothing known yet. */
void account_init(struct account_state *a);

/* account_reading_init - every field of r unknown. */
void account_reading_init(struct account_reading *r);

/*
 * account_update - the SES probe's answer (GetAccount). enforcement may
 * be "" or NULL; quota_max / quota_left < 0: not told. Returns true when
 * the standing changed (enforcement, or spill for reserve), for a log
 * line.
 */
bool account_update(struct account_state *a, const char *enforcement,
                    double quota_max, double quota_left, int64_t now_ms,
                    double reserve);

/*
 * account_apply - a poll's reading: what it tells replaces what was
 * known (a quota restarts the count of sends since the poll); what it
 * does not tell is kept. Clears the error. Returns true when the
 * standing changed (paused, spill for reserve, reputation level), for a
 * log line.
 */
bool account_apply(struct account_state *a, const struct account_reading *r,
                   int64_t now_ms, double reserve);

/* account_failed - an account call failed: text (copied) for status. */
void account_failed(struct account_state *a, const char *text);

/* account_sent - n recipients were accepted at the provider. */
void account_sent(struct account_state *a, uint64_t n);

/* account_inflight - n recipients are on their way to the provider. */
void account_inflight(struct account_state *a, uint64_t n);

/* account_landed - n recipients are no longer on their way (whatever
 * became of them; accepted ones are counted by account_sent). */
void account_landed(struct account_state *a, uint64_t n);

/* account_quota_left - the estimate now (the poll's figure less what was
 * accepted since and what is in flight); < 0 when unknown. */
double account_quota_left(const struct account_state *a);

/*
 * account_spill - true when at most `reserve` (a share of the quota,
 * 0..1) is left: why says so ("account quota nearly used: 12 of 50000
 * left").
 */
bool account_spill(const struct account_state *a, double reserve, char *why,
                   size_t whylen);

/*
 * account_share - probation_share for an account on probation (why
 * says so), else 1 (why "").
 */
double account_share(const struct account_state *a, double probation_share,
                     char *why, size_t whylen);

/* account_paused - the provider says it will not send (why says what it
 * says, else ""). */
bool account_paused(const struct account_state *a, char *why, size_t whylen);

/*
 * account_reputation - 0 when the reputation metrics are unknown or
 * below the first published level, 1 at or over the review level, 2 at
 * or over the pause level; why says which metric ("bounce rate 6.0% at
 * SES's review level (5%)"), else "".
 */
int account_reputation(const struct account_state *a, char *why, size_t whylen);

#endif
