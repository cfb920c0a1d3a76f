/*
 * http_access.h - who may use which HTTP endpoint, on which listener
 * (contract).
 *
 * One table (http_access.c) holds every endpoint swerved serves: its path
 * pattern, its methods, who may call it and on which plane it is served.
 * The dispatcher (http_admin.c) finds a request's row, asks
 * http_access_decide() whether the credential it carries is enough, and
 * only then calls the row's handler. A path that has no row is 404: an
 * endpoint cannot be served without an access rule.
 *
 * Who:
 *   public  anyone (/healthz, /readyz: they say nothing but up / ready);
 *   sender  an application's API key (api_keys), checked by the handler
 *           itself in its own scheme (the native send API's bearer key,
 *           the drop-in endpoints' provider schemes, SES's SigV4);
 *   tenant  an API key, which reads only its own tenant's messages, or an
 *           admin key, which reads every tenant's;
 *   metrics an admin key of role admin or metrics;
 *   admin   an admin key of role admin (admin_keys);
 *   provider an email provider posting delivery events, checked by the
 *           handler in that provider's own scheme (ingress/feedback.h:
 *           a signature, or basic credentials);
 *   dashboard a person at the operator dashboard (dash/dash.h), checked
 *           by the handler: its sign-in page and assets are open, the
 *           rest needs a session cookie from an admin key, and every
 *           POST its CSRF token.
 * A peer's address grants nothing.
 *
 * Planes: the send plane is listen.http; the status plane is
 * listen.status (the public status page, nothing else); the admin plane is
 * listen.admin when that is configured, else listen.http as well; /metrics
 * follows metrics.listener (the admin plane by default). A row served on no
 * plane of a listener does not exist there (404).
 *
 * Pure functions over the table and the configuration: no I/O, no
 * logging (the caller logs), no allocation. Keys are compared in
 * constant time (api_auth.h).
 */
#ifndef SWERVE_INGRESS_HTTP_ACCESS_H
#define SWERVE_INGRESS_HTTP_ACCESS_H

#include <stddef.h>

struct config;
struct config_admin_key;
struct config_api_key;

enum http_who {
	HTTP_WHO_PUBLIC,
	HTTP_WHO_SENDER,
	HTTP_WHO_TENANT,
	HTTP_WHO_METRICS,
	HTTP_WHO_ADMIN,
	HTTP_WHO_PROVIDER,
	HTTP_WHO_DASHBOARD,
};

/* Planes, as a mask: what a listener serves, where a row is served. */
#define HTTP_PLANE_SEND 0x1
#define HTTP_PLANE_ADMIN 0x2
#define HTTP_PLANE_METRICS 0x4
#define HTTP_PLANE_STATUS 0x8 /* listen.status: the public status page */

/* Methods, as a mask (the dispatcher maps evhttp's commands to these). */
#define HTTP_METHOD_GET 0x1
#define HTTP_METHOD_POST 0x2
#define HTTP_METHOD_OTHER 0x4 /* PUT, HEAD, PATCH, ... */
#define HTTP_METHOD_DELETE 0x8
#define HTTP_METHOD_ANY 0xf

/* The handler a row leads to. */
enum http_route {
	HTTP_ROUTE_HEALTHZ,
	HTTP_ROUTE_READYZ,
	HTTP_ROUTE_METRICS,
	HTTP_ROUTE_METRICS_JSON,
	HTTP_ROUTE_STATUS,
	HTTP_ROUTE_MSG_LIST,
	HTTP_ROUTE_MSG_GET,
	HTTP_ROUTE_MSG_CANCEL,
	HTTP_ROUTE_SEND,
	HTTP_ROUTE_PROVIDERS,
	HTTP_ROUTE_QUEUE,
	HTTP_ROUTE_ALERTS,
	HTTP_ROUTE_RELOAD,
	HTTP_ROUTE_DROPIN,
	HTTP_ROUTE_DRILLS, /* outage drills (ingress/http_drill.c) */
	HTTP_ROUTE_FEEDBACK,
	HTTP_ROUTE_SUPPRESS,
	HTTP_ROUTE_TEMPLATES,
	HTTP_ROUTE_EVENTS,
	HTTP_ROUTE_ANOMALIES,
	HTTP_ROUTE_READINESS,        /* failover readiness (http_readiness.c) */
	HTTP_ROUTE_STATUS_PAGE,      /* the page at the root of listen.status */
	HTTP_ROUTE_STATUS_PAGE_HTTP, /* the page under /status/ on listen.http
	                              */
	HTTP_ROUTE_STATUS_PAGE_EXPORT, /* every file of it, for the export */
	HTTP_ROUTE_DASHBOARD,
	HTTP_ROUTE_FLEET,
	HTTP_ROUTE_INCIDENTS,
	HTTP_ROUTE_COUNT,
};

struct http_access_rule {
	/* '/'-separated segments; "*" matches one non-empty segment and a
	 * final "**" any number of them (none included). */
	const char *pattern;
	unsigned methods; /* HTTP_METHOD_* */
	enum http_who who;
	unsigned planes; /* HTTP_PLANE_*: where it is served */
	enum http_route route;
};

/* http_access_rules - the table, and its length in *n. */
const struct http_access_rule *http_access_rules(size_t *n);

/* http_access_planes - the planes of listen.http (admin 0) or of
 * listen.admin (admin 1) under cfg. */
unsigned http_access_planes(const struct config *cfg, int admin);

/*
 * http_access_find - the first row whose pattern matches path, whose
 * methods include method and which is served on one of planes. NULL with
 * *status 404 (no row for the path here) or 405 (rows for the path, none
 * for the method; *allow is then their methods).
 */
const struct http_access_rule *http_access_find(const char *path,
                                                unsigned method,
                                                unsigned planes, int *status,
                                                unsigned *allow);

/* Who a request turned out to be (fields borrowed from the config). */
struct http_access_who {
	const struct config_admin_key *admin; /* an admin key, or NULL */
	const struct config_api_key *api;     /* an API key, or NULL */
	const char *tenant; /* a tenant rule's restriction; NULL: none */
};

/*
 * http_access_decide - may a request to rule r, on a listener serving
 * planes, with this Authorization header value (NULL if absent), go on?
 * 0 with *who filled, or the status to answer (401: no or an unknown
 * credential; 403: a known key that may not do this) with *code and *msg
 * (static strings) for the error body.
 */
int http_access_decide(const struct config *cfg,
                       const struct http_access_rule *r, unsigned planes,
                       const char *authorization, struct http_access_who *who,
                       const char **code, const char **msg);

/* http_access_who_name - "public", "sender", "tenant", "metrics",
 * "admin", "provider" or "dashboard" (for the docs' table and logs). */
const char *http_access_who_name(enum http_who who);

#endif
