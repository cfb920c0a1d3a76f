/*
 * http_admin.h - the HTTP listeners and the admin side of them (contract).
 *
 * Owns listen.http, listen.admin and listen.status. Every request goes
 * through the one access table (http_access.h): a path without a row is 404, a
 * request without the credential its row needs 401 / 403, and only then does a
 * handler run: one of the endpoints below, or a route another module set
 * with http_admin_route_set().
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
 * handler and status code for /metrics. An API key reads only its own
 * tenant's messages (GET /v1/messages/ID; another tenant's is 404).
 */
#ifndef SWERVE_INGRESS_HTTP_ADMIN_H
#define SWERVE_INGRESS_HTTP_ADMIN_H

#include <stddef.h>

#include "ingress/http_access.h"

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

/*
 * http_admin_listen - bind addr and serve on it: a listen.http address
 * (admin 0), a listen.admin one (admin 1; only when cfg has
 * listen.admin) or a listen.status one (admin 2; only when cfg has
 * listen.status: the public status page, HTTP_PLANE_STATUS). 0, or -1
 * with err set.
 */
int http_admin_listen(struct http_admin *h, const struct config_addr *addr,
                      int admin, char *err, size_t errlen);

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

struct webhook_out;
/* http_admin_set_webhooks - include w's counters (observe/webhook_out.h)
 * in /metrics (NULL: zeros). w is borrowed and must outlive h. */
void http_admin_set_webhooks(struct http_admin *h, struct webhook_out *w);
/* http_admin_set_readiness - include r's matrix in /metrics
 * (readiness/readiness.h; borrowed, outlives h). */
struct readiness;
void http_admin_set_readiness(struct http_admin *h, struct readiness *r);
/* http_admin_webhooks - what http_admin_set_webhooks set, or NULL. */
struct webhook_out *http_admin_webhooks(struct http_admin *h);
struct evhttp_request;
/*
 * http_admin_route_set - serve the access table's rows of route (the
 * send API, the drop-in endpoints, providers, queue, alerts, reload) with
 * cb(req, arg). The row's credential has been checked when cb runs.
 * Without it, such a row answers 404.
 */
void http_admin_route_set(struct http_admin *h, enum http_route route,
                          void (*cb)(struct evhttp_request *, void *),
                          void *arg);

struct config_admin_key;
/*
 * http_admin_session_fn - who a request without a bearer key is by
 * another credential (the dashboard's session: its cookie and its CSRF
 * token together, dash/dash.h): the admin key it stands for, or NULL
 * with *why (static; NULL when the request carried no such credential
 * at all).
 */
typedef const struct config_admin_key *
http_admin_session_fn(struct evhttp_request *req, void *arg, const char **why);

/*
 * http_admin_set_session - on the admin plane, a request to an admin,
 * tenant or metrics row that the bearer key check refused (401) asks
 * fn; when it names an admin key of role admin, the request goes on as
 * that key. NULL: none (the default).
 */
void http_admin_set_session(struct http_admin *h, http_admin_session_fn *fn,
                            void *arg);

/*
 * http_admin_stop_accepting - a graceful stop began: from now on every
 * request that is not a GET or HEAD (sending mail, operator actions) gets
 * 503 with Retry-After and the connection closes, and /readyz answers 503,
 * so a load balancer moves away. Reads (status, metrics, messages) still
 * answer; requests already waiting for the spool finish normally.
 */
void http_admin_stop_accepting(struct http_admin *h);

/* http_admin_evhttp - listen.http's evhttp (the send API sets its body
 * limit on it). */
struct evhttp *http_admin_evhttp(struct http_admin *h);

/* http_admin_admin_evhttp - listen.admin's evhttp, or NULL when cfg has
 * no listen.admin. */
struct evhttp *http_admin_admin_evhttp(struct http_admin *h);

/* http_admin_status_evhttp - listen.status's evhttp, or NULL when cfg
 * has no listen.status. */
struct evhttp *http_admin_status_evhttp(struct http_admin *h);

/* http_admin_free - close the listeners and free h. NULL is a no-op. */
void http_admin_free(struct http_admin *h);

#endif
