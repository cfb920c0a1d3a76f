/*
 * account_parse.h - read what each provider's API says about the account
 * into the one model of route/account.h (contract).
 *
 * One file per provider, each pure (bytes in, a struct account_reading
 * out; no clock, no I/O), each refusing malformed input with a short
 * reason and leaving *out all unknown then:
 *
 *   account_ses.c       CloudWatch GetMetricData (JSON protocol):
 *                       Reputation.BounceRate, Reputation.ComplaintRate
 *   account_sendgrid.c  GET /v3/user/credits (remain / total / reset
 *                       frequency), GET /v3/user/account (type,
 *                       reputation)
 *   account_mailgun.c   GET /v3/domains/{domain} (state, is_disabled)
 *   account_postmark.c  GET /server (DeliveryType Live / Sandbox)
 *   account_resend.c    GET /domains (each domain's status)
 *
 * Every parser: 0, or -1 with err (NUL-terminated, at most errlen
 * bytes) naming what is wrong. body need not be NUL-terminated. out is
 * initialised by the parser (account_reading_init) before anything else.
 */
#ifndef SWERVE_ROUTE_ACCOUNT_PARSE_H
#define SWERVE_ROUTE_ACCOUNT_PARSE_H

#include <stddef.h>
#include <time.h>

#include "core/buf.h"
#include "route/account.h"

/* The ids of the two queries in account_ses_metrics_body. */
#define ACCOUNT_SES_ID_BOUNCE "bounce"
#define ACCOUNT_SES_ID_COMPLAINT "complaint"

/*
 * account_ses_metrics_body - the GetMetricData request for the two SES
 * reputation metrics (namespace AWS/SES, account level, no dimensions),
 * the last 24 hours before now, hourly averages, newest first; appended
 * to out (JSON).
 */
void account_ses_metrics_body(struct buf *out, time_t now);

/*
 * account_ses_metrics_parse - a GetMetricData answer: the newest value of
 * each query (by its timestamp) as bounce_rate / complaint_rate (0..1).
 * A query with no data point tells nothing (not an error).
 */
int account_ses_metrics_parse(const char *body, size_t len,
                              struct account_reading *out, char *err,
                              size_t errlen);

/*
 * account_sendgrid_credits_parse - GET /v3/user/credits: total and remain
 * as the quota of the reset_frequency's period ("month", "week", "day";
 * else "period"). An unlimited balance (total null or 0) tells nothing.
 */
int account_sendgrid_credits_parse(const char *body, size_t len,
                                   struct account_reading *out, char *err,
                                   size_t errlen);

/*
 * account_sendgrid_account_parse - GET /v3/user/account: type as state,
 * reputation (0..100) as score.
 */
int account_sendgrid_account_parse(const char *body, size_t len,
                                   struct account_reading *out, char *err,
                                   size_t errlen);

/*
 * account_mailgun_domain_parse - GET /v3/domains/{domain}: domain.state
 * as state; "active" may send; "disabled", "unverified" or is_disabled
 * true will not (why names the domain and its state); any other state
 * tells nothing about sending.
 */
int account_mailgun_domain_parse(const char *body, size_t len,
                                 struct account_reading *out, char *err,
                                 size_t errlen);

/*
 * account_postmark_server_parse - GET /server: DeliveryType as state;
 * "Live" may send; "Sandbox" will not (Postmark accepts mail there and
 * delivers none).
 */
int account_postmark_server_parse(const char *body, size_t len,
                                  struct account_reading *out, char *err,
                                  size_t errlen);

/*
 * account_resend_domains_parse - GET /domains: state "N of M verified";
 * with domains listed and none verified it will not send (why says so);
 * with one verified it may.
 */
int account_resend_domains_parse(const char *body, size_t len,
                                 struct account_reading *out, char *err,
                                 size_t errlen);

#endif
