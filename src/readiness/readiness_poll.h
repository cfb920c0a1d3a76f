/*
 * readiness_poll.h - what feeds the readiness table (issue 18 item 4):
 * for every configured provider x sender domain seen lately, ask the
 * provider's verification API (readiness_req.h, libcurl multi on the
 * loop through net/http_client.h) and then the domain's DNS
 * (readiness_check.h, c-ares on the loop through readiness_ares.h), and
 * record the facts (readiness_set).
 *
 * A pair is checked when it was never checked or its last check is
 * readiness.interval old (0: never by age), and on demand
 * (readiness_poll_refresh: every pair again). At most
 * READINESS_POLL_JOBS checks run at once; the rest wait their turn. A
 * provider type without a verification API (smtp) gets verification
 * unknown with that reason, no lookups. A failed request or an answer
 * that does not parse leaves verification unknown with the reason (and
 * the DNS facts unknown: the provider named nothing to look up).
 *
 * Loop thread only. Verdict changes are logged (info).
 */
#ifndef SWERVE_READINESS_READINESS_POLL_H
#define SWERVE_READINESS_READINESS_POLL_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct config;
struct readiness;
struct readiness_poll;

#define READINESS_POLL_JOBS 32

/*
 * readiness_poll_new - start feeding r (both borrowed, must outlive the
 * poller) from cfg's providers and readiness: section. NULL with err
 * when the resolver cannot be set up.
 */
struct readiness_poll *readiness_poll_new(struct event_base *base,
                                          const struct config *cfg,
                                          struct readiness *r, char *err,
                                          size_t errlen);

/* readiness_poll_refresh - check every seen pair again, now. Returns
 * how many pairs are due (started now or waiting their turn). */
size_t readiness_poll_refresh(struct readiness_poll *p);

/* readiness_poll_busy - checks running or due now (0 for NULL). */
size_t readiness_poll_busy(const struct readiness_poll *p);

/* readiness_poll_free - abandon what runs (nothing more is recorded)
 * and free p. NULL is a no-op. */
void readiness_poll_free(struct readiness_poll *p);

#endif
