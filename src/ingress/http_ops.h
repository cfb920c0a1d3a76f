/*
 * http_ops.h - operator endpoints: providers' live state, and pause /
 * resume / drain (contract). See http_ops.c for the paths.
 */
#ifndef SWERVE_INGRESS_HTTP_OPS_H
#define SWERVE_INGRESS_HTTP_OPS_H

struct http_admin;
struct deliver;
struct http_ops;

/* http_ops_new - register /v1/providers and /v1/queue on h; d and sp
 * are borrowed and must outlive the returned handle. */
struct spool;
struct http_ops *http_ops_new(struct http_admin *h, struct deliver *d,
                              struct spool *sp);

/* http_ops_free - free o (h must stop serving first). NULL is a no-op. */
void http_ops_free(struct http_ops *o);

#endif
