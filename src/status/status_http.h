/*
 * status_http.h - the public status page, served live (contract).
 *
 * Registers three routes of the access table (ingress/http_access.h) on
 * swerved's HTTP server:
 *   HTTP_ROUTE_STATUS_PAGE         listen.status: the page's files at
 *                                  the root (/ is index.html,
 *                                  /api/v2/summary.json, /history.rss,
 *                                  ...: status_site.h)
 *   HTTP_ROUTE_STATUS_PAGE_HTTP    listen.http under /status/ when
 *                                  public_status.on_http (else 404);
 *                                  /status redirects to /status/
 *   HTTP_ROUTE_STATUS_PAGE_EXPORT  admin: every file at once as JSON
 *                                  {"generated_at", "files": [{"path",
 *                                  "content_type", "body"}]}, rendered
 *                                  from one model (swervectl
 *                                  status-page export writes them)
 * The page needs no credential (it is public) and carries nothing that
 * is not public (status_live.h). Each request builds the model afresh
 * from the live state: the page is as current as the request.
 *
 * Responses: the file's Content-Type, Cache-Control: no-cache,
 * X-Content-Type-Options: nosniff, Access-Control-Allow-Origin: * (as
 * Statuspage's API, so browser widgets on other sites can read it), and
 * on HTML a Content-Security-Policy that allows nothing but the inline
 * style sheet.
 *
 * cfg, d and in are borrowed and must outlive the object; public_status
 * is read from cfg as it was at start (a reload does not change the
 * page). Loop thread only.
 */
#ifndef SWERVE_STATUS_STATUS_HTTP_H
#define SWERVE_STATUS_STATUS_HTTP_H

#include <stdbool.h>

#include "status/status_model.h"

struct config;
struct deliver;
struct http_admin;
struct incidents;
struct status_http;

/* status_http_new - register the routes on h. in may be NULL (no
 * incidents), d may be NULL (every provider healthy). */
struct status_http *status_http_new(struct http_admin *h,
                                    const struct config *cfg, struct deliver *d,
                                    const struct incidents *in);

/* A drill's question: is it simulating a fault at provider now? */
typedef bool status_http_drilled_fn(const char *provider, void *arg);

/* status_http_drilled_set - ask fn (with arg) about every provider when
 * building the page (status_live.h: a drilled provider counts as
 * healthy unless public_status.show_drills). NULL: no drills. */
void status_http_drilled_set(struct status_http *s, status_http_drilled_fn *fn,
                             void *arg);

/*
 * The fleet's public records of incidents (src/cluster/cluster_status.h):
 * find(id) the fleet's record of incident id, or NULL; count() and
 * get(i) every record it has, newest first. Records are borrowed for
 * the building of one page (no I/O, on the loop).
 */
struct incident_info;
struct status_http_fleet {
	const struct incident_info *(*find)(void *arg, const char *id);
	size_t (*count)(void *arg);
	const struct incident_info *(*get)(void *arg, size_t i);
	void *arg;
};

/* status_http_fleet_set - build the page with f (copied; NULL: none):
 * an incident this node follows (opened_by another node) shows the
 * fleet's record of it, and the fleet's incidents this node has no
 * record of are shown too. */
void status_http_fleet_set(struct status_http *s,
                           const struct status_http_fleet *f);

/* status_http_model - the page's model now into m (status_model_fini
 * frees it). */
void status_http_model(const struct status_http *s, struct status_model *m);

/* status_http_free - free s (NULL: nothing). The routes must not be
 * called afterwards (free it after the HTTP server). */
void status_http_free(struct status_http *s);

#endif
