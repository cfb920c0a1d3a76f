/*
 * http_templates.h - a tenant's template store over HTTP (contract).
 *
 *   GET    /v1/templates?after=&limit=          every name's active
 *                                               version (summaries)
 *   GET    /v1/templates/NAME?version=N         one version with its
 *                                               parts (default: active)
 *   GET    /v1/templates/NAME/versions          every version (summaries)
 *   POST   /v1/templates/NAME                   store a new version
 *   POST   /v1/templates/NAME/activate          {"version": N}
 *   POST   /v1/templates/NAME/render            {"data": {...},
 *                                               "version": N}
 *   DELETE /v1/templates/NAME?version=N         one version (not the
 *                                               active one), or all
 *
 * A version as JSON: {"tenant", "name", "version", "active", "dialect",
 * "subject", "html", "text", "created_at_ms"} (parts null when absent;
 * summaries carry the subject only). POST NAME takes {"dialect"
 * (mustache | handlebars | mustachio, default handlebars), "subject",
 * "html", "text" (at least one of html and text), "activate" (default
 * true)}; a part that does not parse is refused with 400
 * {"error": {"code": "template_syntax", "field": PART, "line", "column",
 * "message"}} and nothing is stored. Rendering escapes HTML in the html
 * part only; a variable that is missing renders empty.
 *
 * Scoping as for suppressions (http_suppress.h): tenant is the API
 * key's tenant, or NULL for an admin key, which names the tenant with
 * ?tenant= ("" when absent). Answers come from the store's callbacks,
 * after the commit for a change. Loop thread only.
 */
#ifndef SWERVE_INGRESS_HTTP_TEMPLATES_H
#define SWERVE_INGRESS_HTTP_TEMPLATES_H

#include <event2/http.h>

/* http_templates_handle - one request under /v1/templates; path is the
 * request's path. */
void http_templates_handle(struct evhttp_request *req, const char *path,
                           const char *tenant);

#endif
