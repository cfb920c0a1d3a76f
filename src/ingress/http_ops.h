/*
 * http_ops.h - operator endpoints: providers' live state, pause /
 * resume / drain, releasing a held message, reload (contract). See
 * http_ops.c for the paths; every one needs an admin key.
 */
#ifndef SWERVE_INGRESS_HTTP_OPS_H
#define SWERVE_INGRESS_HTTP_OPS_H

#include <stddef.h>

struct http_admin;
struct deliver;
struct http_ops;

/* http_ops_new - serve /v1/providers and /v1/queue on h (the admin
 * plane; admin key only); d and sp
 * are borrowed and must outlive the returned handle. */
struct spool;
struct http_ops *http_ops_new(struct http_admin *h, struct deliver *d,
                              struct spool *sp);

/*
 * http_ops_reload_fn - reload the configuration as SIGHUP does: 0, or -1
 * with the reason in err (the running configuration stays).
 */
typedef int http_ops_reload_fn(void *arg, char *err, size_t errlen);

/* http_ops_set_reload - serve POST /v1/reload with fn(arg, ...). */
void http_ops_set_reload(struct http_ops *o, http_ops_reload_fn *fn, void *arg);

/* http_ops_free - free o (h must stop serving first). NULL is a no-op. */
void http_ops_free(struct http_ops *o);

#endif
