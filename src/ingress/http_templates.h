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
 * true), "meta" (an object kept beside the parts, as an ESP's template
 * API keeps it: `swervectl template import` passes Postmark's)}; a part that
 * does not parse is refused with 400
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

#include "ingress/api_json.h"
#include "tmpl/tmpl_store.h"

/* http_templates_handle - one request under /v1/templates; path is the
 * request's path. */
void http_templates_handle(struct evhttp_request *req, const char *path,
                           const char *tenant);

/*
 * http_templates_apply - the send side: render m->template_name (the
 * tenant's active version) with m->template_data into m's subject, text
 * and html, before m goes through the submission pipeline, so the stored
 * message is complete whichever provider carries it. o: how the parts
 * are escaped and whether a missing variable is an error (NULL: the
 * native API's: HTML escaped in html only, missing renders empty).
 * 0, or -1 with *e:
 *   404 "template_not_found" at "template.name";
 *   400 "render_failed" at "template.PART" (the engine's message with
 *       line and column: a missing variable in strict mode, a limit);
 *   400 "invalid_field" at "template.subject" when the rendered subject
 *       has CR, LF or NUL or is too long, or a part has NUL.
 * m is changed only on success; a template without a subject part keeps
 * m's subject. Loop thread (reads the store's memory).
 */
int http_templates_apply(const char *tenant, struct api_msg *m,
                         const struct tmpl_store_render_opts *o,
                         struct api_error *e);

/*
 * http_templates_apply_entry - the same with the template given: t (its
 * active version; NULL: not found), inside layout (NULL: none;
 * tmpl_store_render_layout).
 */
int http_templates_apply_entry(const struct tmpl_store_entry *t,
                               const struct tmpl_store_entry *layout,
                               struct api_msg *m,
                               const struct tmpl_store_render_opts *o,
                               struct api_error *e);

#endif
