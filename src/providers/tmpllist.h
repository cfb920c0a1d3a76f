/*
 * tmpllist.h - a provider's own templates, read through its API, for
 * `swervectl template import --from-provider NAME` (contract).
 *
 * SendGrid: GET /v3/templates?generations=dynamic&page_size=200 (the
 * dynamic templates' ids, following _metadata.next on the configured
 * endpoint only), then GET /v3/templates/{id} for each: the active
 * version's subject, html_content and plain_content become a Handlebars
 * version named by the template's id ("d-..."), which is what a send's
 * template_id names. SES (v2, SigV4): ListEmailTemplates (following
 * NextToken), then GetEmailTemplate for each: Subject, Html and Text as
 * a Handlebars version under the template's name. The parsers are pure
 * and fuzzed.
 */
#ifndef SWERVE_PROVIDERS_TMPLLIST_H
#define SWERVE_PROVIDERS_TMPLLIST_H

#include <stddef.h>

#include "config/config.h"
#include "tmpl/tmpl_store.h"

/*
 * tmpllist_parse_sendgrid_ids - a GET /v3/templates page: each result's
 * id appended to *ids (*n counted; strings and array the caller frees),
 * and the next page's URL in *next (NULL: none; caller frees). 0, or -1
 * with err when the body is not such a page.
 */
int tmpllist_parse_sendgrid_ids(const char *body, size_t len, char ***ids,
                                size_t *n, char **next, char *err,
                                size_t errlen);

/*
 * tmpllist_parse_sendgrid_template - a GET /v3/templates/{id} answer:
 * its active version into *v (name: the id; dialect handlebars; parts
 * copied: tmpl_version_fini). 1 when filled, 0 when the template has no
 * active version (nothing to import), -1 with err when malformed.
 */
int tmpllist_parse_sendgrid_template(const char *body, size_t len,
                                     struct tmpl_version *v, char *err,
                                     size_t errlen);

/* tmpllist_parse_ses_names - a ListEmailTemplates answer: the names
 * into *names (*n), NextToken into *next (NULL: none). 0, or -1. */
int tmpllist_parse_ses_names(const char *body, size_t len, char ***names,
                             size_t *n, char **next, char *err, size_t errlen);

/* tmpllist_parse_ses_template - a GetEmailTemplate answer into *v. 1,
 * or -1 with err. */
int tmpllist_parse_ses_template(const char *body, size_t len,
                                struct tmpl_version *v, char *err,
                                size_t errlen);

/*
 * tmpllist_fetch - every template of provider p (type sendgrid or ses) into
 * *out (*n; free each with tmpl_version_fini, then the array). 0, or -1
 * with err (nothing returned); 1 when p's type has no such import.
 */
int tmpllist_fetch(const struct config_provider *p, struct tmpl_version **out,
                   size_t *n, char *err, size_t errlen);

#endif
