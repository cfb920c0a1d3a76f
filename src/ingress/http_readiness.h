/*
 * http_readiness.h - failover readiness on the admin plane
 * (readiness/readiness.h): for operators and `swervectl readiness`.
 *
 *   GET /v1/readiness            the matrix sender domain x provider,
 *                                each verdict with its reason
 *                                (readiness_json), and "checking": the
 *                                checks running or due now. Every sender
 *                                domain seen in the last
 *                                READINESS_SEEN_DAYS days is listed with
 *                                every configured provider (unknown
 *                                until checked).
 *   POST /v1/readiness/refresh   check every pair again now
 *                                (readiness_poll_refresh): 200
 *                                {"due": N}; GET shows "checking" 0 when
 *                                they are done.
 *
 * An admin key is needed (http_access.c); another method gets 405.
 */
#ifndef SWERVE_INGRESS_HTTP_READINESS_H
#define SWERVE_INGRESS_HTTP_READINESS_H

struct http_admin;
struct readiness;
struct readiness_poll;
struct http_readiness;

/* http_readiness_register - serve both routes on h from r and poll
 * (borrowed; poll may be NULL: refresh then starts nothing). The result
 * is freed with http_readiness_free after h. */
struct http_readiness *http_readiness_register(struct http_admin *h,
                                               struct readiness *r,
                                               struct readiness_poll *poll);

/* http_readiness_free - release hr; NULL is a no-op. */
void http_readiness_free(struct http_readiness *hr);

#endif
