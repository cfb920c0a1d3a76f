/*
 * http_access.c - the one table of HTTP endpoints and who may call them.
 *
 * Rows are tried in order and the first that matches the path, the
 * method and a plane of the listener wins, so exact rows come before
 * patterns. docs/http-api.md ("Who may call what") shows the same table;
 * tests/api/test_admin_plane.py fails when a row is missing there.
 *
 * The decision never looks at the peer's address: a reverse proxy on the
 * host would make every client "local". It looks at the bearer key only,
 * and only at the keys the listener's planes accept: an admin key counts
 * where the admin plane is served, an API key where the send plane is.
 */
#include "ingress/http_access.h"

#include <string.h>

#include "config/config.h"
#include "core/buf.h"
#include "ingress/api_auth.h"

#define GET HTTP_METHOD_GET
#define POST HTTP_METHOD_POST
#define DELETE HTTP_METHOD_DELETE
#define ANY HTTP_METHOD_ANY
#define SEND HTTP_PLANE_SEND
#define ADMIN HTTP_PLANE_ADMIN
#define METRICS HTTP_PLANE_METRICS
#define STATUS HTTP_PLANE_STATUS

static const struct http_access_rule http_access_table[] = {
    /* Load balancers on other hosts check these: up / ready, nothing else. */
    {"/healthz", GET, HTTP_WHO_PUBLIC, SEND | ADMIN, HTTP_ROUTE_HEALTHZ},
    {"/readyz", GET, HTTP_WHO_PUBLIC, SEND | ADMIN, HTTP_ROUTE_READYZ},
    {"/metrics", GET, HTTP_WHO_METRICS, METRICS, HTTP_ROUTE_METRICS},
    {"/metrics.json", GET, HTTP_WHO_METRICS, METRICS, HTTP_ROUTE_METRICS_JSON},
    {"/v1/status", GET, HTTP_WHO_ADMIN, ADMIN, HTTP_ROUTE_STATUS},
    /* The send API. */
    {"/v1/messages", POST, HTTP_WHO_SENDER, SEND, HTTP_ROUTE_SEND},
    {"/v1/messages/raw", POST, HTTP_WHO_SENDER, SEND, HTTP_ROUTE_SEND},
    {"/v1/messages/batch", POST, HTTP_WHO_SENDER, SEND, HTTP_ROUTE_SEND},
    /* Reading messages: the queue across tenants is the operator's; an
     * API key lists and reads its own tenant's messages only. */
    {"/v1/messages", GET, HTTP_WHO_TENANT, SEND | ADMIN, HTTP_ROUTE_MSG_LIST},
    {"/v1/messages/*", GET, HTTP_WHO_TENANT, SEND | ADMIN, HTTP_ROUTE_MSG_GET},
    /* Cancelling one before it is sent: the same scoping as reading. */
    {"/v1/messages/*", DELETE, HTTP_WHO_TENANT, SEND | ADMIN,
     HTTP_ROUTE_MSG_CANCEL},
    /* Anything else under /v1/messages: the send API's own 404 / 405. */
    {"/v1/messages/**", ANY, HTTP_WHO_SENDER, SEND, HTTP_ROUTE_SEND},
    /* A tenant's suppression list: an API key its own, the admin key
     * any tenant's (?tenant=). */
    {"/v1/suppressions", GET, HTTP_WHO_TENANT, SEND | ADMIN,
     HTTP_ROUTE_SUPPRESS},
    {"/v1/suppressions", POST, HTTP_WHO_TENANT, SEND | ADMIN,
     HTTP_ROUTE_SUPPRESS},
    {"/v1/suppressions/*", GET, HTTP_WHO_TENANT, SEND | ADMIN,
     HTTP_ROUTE_SUPPRESS},
    {"/v1/suppressions/*", DELETE, HTTP_WHO_TENANT, SEND | ADMIN,
     HTTP_ROUTE_SUPPRESS},
    /* A tenant's templates (ingress/http_templates.c): the same scoping
     * as the suppression list. */
    {"/v1/templates", GET, HTTP_WHO_TENANT, SEND | ADMIN, HTTP_ROUTE_TEMPLATES},
    {"/v1/templates/*", GET, HTTP_WHO_TENANT, SEND | ADMIN,
     HTTP_ROUTE_TEMPLATES},
    {"/v1/templates/*", POST, HTTP_WHO_TENANT, SEND | ADMIN,
     HTTP_ROUTE_TEMPLATES},
    {"/v1/templates/*", DELETE, HTTP_WHO_TENANT, SEND | ADMIN,
     HTTP_ROUTE_TEMPLATES},
    {"/v1/templates/*/versions", GET, HTTP_WHO_TENANT, SEND | ADMIN,
     HTTP_ROUTE_TEMPLATES},
    {"/v1/templates/*/activate", POST, HTTP_WHO_TENANT, SEND | ADMIN,
     HTTP_ROUTE_TEMPLATES},
    {"/v1/templates/*/render", POST, HTTP_WHO_TENANT, SEND | ADMIN,
     HTTP_ROUTE_TEMPLATES},
    /* Operator endpoints. */
    {"/v1/providers", GET, HTTP_WHO_ADMIN, ADMIN, HTTP_ROUTE_PROVIDERS},
    {"/v1/providers/*/pause", POST, HTTP_WHO_ADMIN, ADMIN,
     HTTP_ROUTE_PROVIDERS},
    {"/v1/providers/*/drain", POST, HTTP_WHO_ADMIN, ADMIN,
     HTTP_ROUTE_PROVIDERS},
    {"/v1/providers/*/resume", POST, HTTP_WHO_ADMIN, ADMIN,
     HTTP_ROUTE_PROVIDERS},
    {"/v1/providers/*/account", POST, HTTP_WHO_ADMIN, ADMIN,
     HTTP_ROUTE_PROVIDERS},
    {"/v1/queue/*/release", POST, HTTP_WHO_ADMIN, ADMIN, HTTP_ROUTE_QUEUE},
    {"/v1/alerts", GET, HTTP_WHO_ADMIN, ADMIN, HTTP_ROUTE_ALERTS},
    {"/v1/anomalies", GET, HTTP_WHO_ADMIN, ADMIN, HTTP_ROUTE_ANOMALIES},
    {"/v1/readiness", GET, HTTP_WHO_ADMIN, ADMIN, HTTP_ROUTE_READINESS},
    {"/v1/readiness/refresh", POST, HTTP_WHO_ADMIN, ADMIN,
     HTTP_ROUTE_READINESS},
    /* Events out to applications: the tail, dead-lettered webhooks. */
    {"/v1/events", GET, HTTP_WHO_ADMIN, ADMIN, HTTP_ROUTE_EVENTS},
    {"/v1/events/dead", GET, HTTP_WHO_ADMIN, ADMIN, HTTP_ROUTE_EVENTS},
    {"/v1/reload", POST, HTTP_WHO_ADMIN, ADMIN, HTTP_ROUTE_RELOAD},
    /* The operator dashboard (dash/dash.h): a session from an admin key,
     * checked by its handler, and a CSRF token on every POST. The
     * pattern takes in /dashboard itself. */
    {"/dashboard/**", GET, HTTP_WHO_DASHBOARD, ADMIN, HTTP_ROUTE_DASHBOARD},
    {"/dashboard/**", POST, HTTP_WHO_DASHBOARD, ADMIN, HTTP_ROUTE_DASHBOARD},
    /* The cluster's nodes as this one sees them (src/cluster/). */
    {"/v1/fleet", GET, HTTP_WHO_ADMIN, ADMIN, HTTP_ROUTE_FLEET},
    /* Incidents (issue 15): read, report, notes and changes. */
    {"/v1/incidents", GET, HTTP_WHO_ADMIN, ADMIN, HTTP_ROUTE_INCIDENTS},
    {"/v1/incidents/*", GET, HTTP_WHO_ADMIN, ADMIN, HTTP_ROUTE_INCIDENTS},
    {"/v1/incidents/*/report", GET, HTTP_WHO_ADMIN, ADMIN,
     HTTP_ROUTE_INCIDENTS},
    {"/v1/incidents/*/notes", POST, HTTP_WHO_ADMIN, ADMIN,
     HTTP_ROUTE_INCIDENTS},
    {"/v1/incidents/*/update", POST, HTTP_WHO_ADMIN, ADMIN,
     HTTP_ROUTE_INCIDENTS},
    {"/v1/incidents/*/resolve", POST, HTTP_WHO_ADMIN, ADMIN,
     HTTP_ROUTE_INCIDENTS},
    {"/v1/incidents/*/notices", POST, HTTP_WHO_ADMIN, ADMIN,
     HTTP_ROUTE_INCIDENTS},
    /* Outage drills (issue 16): start, abort, read; exact rows first. */
    {"/v1/drills", GET, HTTP_WHO_ADMIN, ADMIN, HTTP_ROUTE_DRILLS},
    {"/v1/drills", POST, HTTP_WHO_ADMIN, ADMIN, HTTP_ROUTE_DRILLS},
    {"/v1/drills/abort", POST, HTTP_WHO_ADMIN, ADMIN, HTTP_ROUTE_DRILLS},
    {"/v1/drills/history", GET, HTTP_WHO_ADMIN, ADMIN, HTTP_ROUTE_DRILLS},
    {"/v1/drills/preflight", GET, HTTP_WHO_ADMIN, ADMIN, HTTP_ROUTE_DRILLS},
    {"/v1/drills/*", GET, HTTP_WHO_ADMIN, ADMIN, HTTP_ROUTE_DRILLS},
    /* The drop-in endpoints (ingress/compat.c): SES v2, SendGrid and
     * Mailgun, Postmark (and its /templates), Resend, SES v1 (the query API
     * at /). */
    {"/v2/email/**", ANY, HTTP_WHO_SENDER, SEND, HTTP_ROUTE_DROPIN},
    {"/v3/**", ANY, HTTP_WHO_SENDER, SEND, HTTP_ROUTE_DROPIN},
    {"/email/**", ANY, HTTP_WHO_SENDER, SEND, HTTP_ROUTE_DROPIN},
    {"/emails/**", ANY, HTTP_WHO_SENDER, SEND, HTTP_ROUTE_DROPIN},
    {"/templates/**", ANY, HTTP_WHO_SENDER, SEND, HTTP_ROUTE_DROPIN},
    {"/", ANY, HTTP_WHO_SENDER, SEND, HTTP_ROUTE_DROPIN},
    /* Providers' delivery events (ingress/feedback.c): each configured
     * path checks its provider's signature or credentials itself. */
    {"/feedback/**", POST, HTTP_WHO_PROVIDER, SEND, HTTP_ROUTE_FEEDBACK},
    /* The public status page (src/status/): its own listener serves it
     * at the root; listen.http under /status/ with public_status.on_http
     * (404 otherwise); the export reads every file at once. */
    {"/**", GET, HTTP_WHO_PUBLIC, STATUS, HTTP_ROUTE_STATUS_PAGE},
    {"/status/**", GET, HTTP_WHO_PUBLIC, SEND, HTTP_ROUTE_STATUS_PAGE_HTTP},
    {"/v1/status-page/export", GET, HTTP_WHO_ADMIN, ADMIN,
     HTTP_ROUTE_STATUS_PAGE_EXPORT},
};

#undef GET
#undef POST
#undef DELETE
#undef ANY
#undef SEND
#undef ADMIN
#undef METRICS
#undef STATUS

#define HTTP_ACCESS_N (sizeof(http_access_table) / sizeof(http_access_table[0]))

const struct http_access_rule *
http_access_rules(size_t *n)
{
	*n = HTTP_ACCESS_N;
	return http_access_table;
}

unsigned
http_access_planes(const struct config *cfg, int admin)
{
	bool apart = cfg->n_listen_admin > 0;

	if (admin)
		return HTTP_PLANE_ADMIN |
		       (cfg->metrics_listener == CONFIG_METRICS_ADMIN
		            ? HTTP_PLANE_METRICS
		            : 0);
	return HTTP_PLANE_SEND | (apart ? 0 : HTTP_PLANE_ADMIN) |
	       (!apart || cfg->metrics_listener == CONFIG_METRICS_HTTP
	            ? HTTP_PLANE_METRICS
	            : 0);
}

/* http_access_match - does path match pattern (see the header)? */
static bool
http_access_match(const char *pattern, const char *path)
{
	const char *p = pattern, *s = path;

	while (*p != '\0') {
		if (strcmp(p, "/**") == 0)
			return *s == '\0' || *s == '/';
		if (*p != '/' || *s != '/')
			return false;
		p++;
		s++;
		if (p[0] == '*' && (p[1] == '/' || p[1] == '\0')) {
			size_t seg = strcspn(s, "/");
			if (seg == 0)
				return false;
			p++;
			s += seg;
			continue;
		}
		while (*p != '\0' && *p != '/') {
			if (*p != *s)
				return false;
			p++;
			s++;
		}
		if (*s != '\0' && *s != '/')
			return false;
	}
	return *s == '\0';
}

const struct http_access_rule *
http_access_find(const char *path, unsigned method, unsigned planes,
                 int *status, unsigned *allow)
{
	size_t i;

	*status = 404;
	*allow = 0;
	for (i = 0; i < HTTP_ACCESS_N; i++) {
		const struct http_access_rule *r = &http_access_table[i];
		if ((r->planes & planes) == 0 ||
		    !http_access_match(r->pattern, path))
			continue;
		if (r->methods & method)
			return r;
		*status = 405;
		*allow |= r->methods;
	}
	return NULL;
}

/* http_access_deny - fill the error and return status. */
static int
http_access_deny(int status, const char *code, const char *msg,
                 const char **codep, const char **msgp)
{
	*codep = code;
	*msgp = msg;
	return status;
}

int
http_access_decide(const struct config *cfg, const struct http_access_rule *r,
                   unsigned planes, const char *authorization,
                   struct http_access_who *who, const char **code,
                   const char **msg)
{
	bool admin_here =
	    (planes & HTTP_PLANE_ADMIN) != 0 ||
	    (r->who == HTTP_WHO_METRICS && (planes & HTTP_PLANE_METRICS) != 0);
	struct str key;

	memset(who, 0, sizeof(*who));
	if (r->who == HTTP_WHO_PUBLIC || r->who == HTTP_WHO_SENDER ||
	    r->who == HTTP_WHO_PROVIDER || r->who == HTTP_WHO_DASHBOARD)
		return 0;
	if (api_auth_bearer_parse(authorization, &key) == 0) {
		if (admin_here)
			who->admin = api_auth_admin_find(cfg, key);
		if (planes & HTTP_PLANE_SEND)
			who->api = api_auth_key_find(cfg, key);
	}
	if (who->admin != NULL) {
		if (r->who == HTTP_WHO_METRICS ||
		    who->admin->role == CONFIG_ADMIN_ROLE_ADMIN)
			return 0;
		return http_access_deny(403, "forbidden",
		                        "this admin key may read metrics only",
		                        code, msg);
	}
	if (who->api != NULL && r->who == HTTP_WHO_TENANT) {
		who->tenant = who->api->tenant;
		return 0;
	}
	if (who->api != NULL)
		return http_access_deny(
		    403, "forbidden",
		    "an API key may send mail and read its own messages; this "
		    "endpoint needs an admin key",
		    code, msg);
	if (r->who != HTTP_WHO_TENANT && cfg->n_admin_keys == 0)
		return http_access_deny(
		    401, "unauthorized",
		    "no admin key is configured (admin_keys): the admin "
		    "endpoints are closed",
		    code, msg);
	return http_access_deny(
	    401, "unauthorized",
	    r->who == HTTP_WHO_TENANT
	        ? "missing or invalid key (Authorization: Bearer <key>)"
	        : "missing or invalid admin key (Authorization: Bearer <key>)",
	    code, msg);
}

const char *
http_access_who_name(enum http_who who)
{
	static const char *const names[] = {
	    [HTTP_WHO_PUBLIC] = "public",
	    [HTTP_WHO_SENDER] = "sender",
	    [HTTP_WHO_TENANT] = "tenant",
	    [HTTP_WHO_METRICS] = "metrics",
	    [HTTP_WHO_ADMIN] = "admin",
	    [HTTP_WHO_PROVIDER] = "provider",
	    [HTTP_WHO_DASHBOARD] = "dashboard",
	};

	return (unsigned)who < sizeof(names) / sizeof(names[0]) ? names[who]
	                                                        : "?";
}
