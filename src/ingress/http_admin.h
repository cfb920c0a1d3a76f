/*
 * http_admin.h - the admin side of the HTTP listener (contract).
 *
 * Serves what operators and swervectl read: GET /healthz (the process
 * answers), GET /readyz (200 when the spool takes mail and a provider can
 * take it now; 503 with the reason otherwise), GET /metrics (Prometheus
 * text, see observe/metrics.h), GET /metrics.json (the same families as
 * JSON), GET /v1/status (queue counts by state, spool commit figures,
 * provider states, uptime), GET /v1/messages?state=&after=&limit= (a page
 * of the queue) and GET /v1/messages/ID (one message with its recipients
 * and attempts) as JSON. Status and metrics read only in-memory state;
 * message reads go to the spool's writer thread and answer from its
 * callback, so no request ever blocks the loop. The send API shares the
 * same listener through http_admin_evhttp(). Every response is counted by
 * handler and status code for /metrics.
 */
#ifndef SWERVE_INGRESS_HTTP_ADMIN_H
#define SWERVE_INGRESS_HTTP_ADMIN_H

#include <stddef.h>

struct config;
struct config_addr;
struct event_base;
struct evhttp;
struct spool;
struct http_admin;

/*
 * http_admin_new - an HTTP server on base. cfg and sp are borrowed and must
 * outlive it. Returns NULL only on libevent failure (err says why).
 */
struct http_admin *http_admin_new(struct event_base *base,
                                  const struct config *cfg, struct spool *sp,
                                  char *err, size_t errlen);

/* http_admin_listen - bind addr and serve on it. 0, or -1 with err set. */
int http_admin_listen(struct http_admin *h, const struct config_addr *addr,
                      char *err, size_t errlen);

struct deliver;
/* http_admin_set_deliver - include d's provider states in /v1/status. */
void http_admin_set_deliver(struct http_admin *h, struct deliver *d);

struct smtpd;
/* http_admin_set_smtpd - include s's counters in /metrics. */
void http_admin_set_smtpd(struct http_admin *h, struct smtpd *s);

struct stats;
/* http_admin_set_stats - include st's families (observe/stats.h) in
 * /metrics and /metrics.json. st is borrowed and must outlive h. */
void http_admin_set_stats(struct http_admin *h, struct stats *st);

/*
 * http_admin_set_post - route requests under /v1/messages that are not
 * GET (the send API: POST /v1/messages, /raw, /batch) to cb(req, arg).
 * Without it they get 405.
 */
struct evhttp_request;
void http_admin_set_post(struct http_admin *h,
                         void (*cb)(struct evhttp_request *, void *),
                         void *arg);

#define HTTP_ADMIN_MAX_ROUTES 16

/*
 * http_admin_route_add - send requests whose path is prefix or starts
 * with prefix + "/" to cb(req, arg), any method. prefix is not copied
 * (use literals). Exact routes and /v1/messages come first.
 */
void http_admin_route_add(struct http_admin *h, const char *prefix,
                          void (*cb)(struct evhttp_request *, void *),
                          void *arg);

/* http_admin_evhttp - the underlying evhttp, for other handlers. */
struct evhttp *http_admin_evhttp(struct http_admin *h);

/* http_admin_free - close the listeners and free h. NULL is a no-op. */
void http_admin_free(struct http_admin *h);

#endif
