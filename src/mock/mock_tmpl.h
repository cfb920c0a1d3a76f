/*
 * mock_tmpl.h - the templates swerve-mock's fake Postmark and Mailgun
 * serve through their template APIs (for `swervectl template import
 * --from-provider`), loaded by a control call (mock_api_tmpl.c):
 *
 *   POST /templates/api
 *     {"provider": "postmark" | "mailgun", "templates": [ {...}, ... ]}
 *   DELETE /templates/api    forget every loaded template
 *   GET /templates/api       what is loaded
 *
 * A Postmark template is given in Postmark's own shape (Name, Alias,
 * Subject, HtmlBody, TextBody, TemplateType, LayoutTemplate, Active;
 * TemplateId assigned when absent); a Mailgun one as {"name",
 * "description", "version": {"tag", "template", "engine", "headers"}}
 * (version absent: no active version). Either may carry "raw": a string
 * answered byte for byte (status 200) instead of that template's real
 * answer, to test what a client does with a malformed one. Loading
 * appends. Loop thread only.
 */
#ifndef SWERVE_MOCK_MOCK_TMPL_H
#define SWERVE_MOCK_MOCK_TMPL_H

#include <jansson.h>

#include "mock/mock_api.h"
#include "mock/mock_http.h"

/* mock_api_tmpl_get - provider's loaded templates (a JSON array,
 * borrowed), or NULL when none. */
json_t *mock_api_tmpl_get(const struct mock_api *api, const char *provider);

/* mock_api_tmpl_raw - when t carries "raw", answer it (200) and 1;
 * otherwise 0, nothing sent. */
int mock_api_tmpl_raw(struct mock_api_req *r, const json_t *t);

/* mock_api_tmpl_register - add /templates/api to h. */
void mock_api_tmpl_register(struct mock_api *api, struct mock_http *h);

/*
 * mock_pm_tmpl_list - Postmark's GET /templates?Count=N&Offset=K
 * [&TemplateType=All|Standard|Layout]: {"TotalCount", "Templates": [{
 * "Active", "TemplateId", "Name", "Alias", "TemplateType",
 * "LayoutTemplate"}]}; Count (1..500) and Offset are required (422
 * otherwise, as Postmark).
 */
void mock_pm_tmpl_list(struct mock_api_req *r);

/* mock_pm_tmpl_get - Postmark's GET /templates/{id or alias}: the
 * template with Subject, HtmlBody, TextBody; 422 ErrorCode 1101 when
 * there is none. */
void mock_pm_tmpl_get(struct mock_api_req *r);

/*
 * mock_mg_tmpl - Mailgun's GET /v3/{domain}/templates?limit=N
 * [&page=next&p=NAME] ({"items": [{name, description, createdAt,
 * createdBy, id}], "paging": {first, last, next, previous}}; a page past
 * the end has no items) and GET /v3/{domain}/templates/{name}
 * [?active=yes] ({"template": {..., "version": the active version}}).
 * domain: the request's domain (checked by the caller); tail: the path
 * after "{domain}/templates" ("" or "/NAME").
 */
void mock_mg_tmpl(struct mock_api_req *r, const char *domain, const char *tail);

#endif
