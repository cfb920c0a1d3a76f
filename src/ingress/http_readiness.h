/*
 * http_readiness.h - GET /v1/readiness on the admin plane: failover
 * readiness, the matrix sender domain x provider with each verdict and
 * its reason (readiness/readiness.h readiness_json). For operators and
 * `swervectl readiness`. Every sender domain seen in the last
 * READINESS_SEEN_DAYS days is listed with every configured provider
 * (unknown until checked).
 *
 * Read-only, from memory. An admin key is needed (http_access.c); any
 * other method gets 405.
 */
#ifndef SWERVE_INGRESS_HTTP_READINESS_H
#define SWERVE_INGRESS_HTTP_READINESS_H

struct http_admin;
struct readiness;

/* http_readiness_register - serve /v1/readiness on h from r (borrowed,
 * filled in with the seen domains when asked; must outlive h's
 * serving). */
void http_readiness_register(struct http_admin *h, struct readiness *r);

#endif
