/*
 * account_poll.h - ask a provider's API how the account stands, on the
 * event loop (contract).
 *
 * One struct account_poll per provider whose API tells something the
 * probe does not (account_poll_applies): the calls of its type, one
 * after another, each answer read by its pure parser
 * (route/account_parse.h) and merged into one struct account_reading:
 *
 *   ses       CloudWatch GetMetricData (SigV4, service "monitoring",
 *             providers[].cloudwatch_endpoint or
 *             https://monitoring.{region}.amazonaws.com): reputation
 *             (GetAccount itself is the SES probe, deliver_watch.c)
 *   sendgrid  GET /v3/user/credits, GET /v3/user/account
 *   mailgun   GET /v3/domains/{domain}
 *   postmark  GET /server
 *   resend    GET /domains
 *
 * The owner decides when (deliver_watch.c: every account_interval, and
 * on demand); a poll asked for while one runs is not started twice.
 * Requests go through net/http_client.h with the provider's TLS
 * settings and timeouts; secrets are never logged.
 *
 * Callback: done(reading, told, err, arg) once per poll, on the loop,
 * never from inside account_poll_run: told is false when no call
 * succeeded; err is the first failed call's reason ("" when none),
 * valid during the call only. Loop thread only.
 */
#ifndef SWERVE_ROUTE_ACCOUNT_POLL_H
#define SWERVE_ROUTE_ACCOUNT_POLL_H

#include <stdbool.h>

#include "config/config.h"
#include "route/account.h"

struct event_base;
struct account_poll;

typedef void account_poll_fn(const struct account_reading *r, bool told,
                             const char *err, void *arg);

/* account_poll_applies - does cfg's type have account calls to poll? */
bool account_poll_applies(const struct config_provider *cfg);

/*
 * account_poll_new - a poller for cfg (borrowed; must outlive it) on
 * base, reporting to done. NULL when the type has nothing to poll or the
 * HTTP client cannot be made.
 */
struct account_poll *account_poll_new(struct event_base *base,
                                      const struct config_provider *cfg,
                                      account_poll_fn *done, void *arg);

/* account_poll_run - start a poll now; false when one is already under
 * way (its answer will do) or it could not start. */
bool account_poll_run(struct account_poll *ap);

/* account_poll_busy - is a poll under way? */
bool account_poll_busy(const struct account_poll *ap);

/* account_poll_free - cancel what runs (done is not called); NULL ok. */
void account_poll_free(struct account_poll *ap);

#endif
