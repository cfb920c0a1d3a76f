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
 * a Handlebars version under the template's name. Postmark: GET
 * /templates?Count=100&Offset=K&TemplateType=All (until TotalCount),
 * then GET /templates/{TemplateId} for each: Subject, HtmlBody and
 * TextBody as a Mustachio version under the template's Alias (its
 * TemplateId when it has none), with Postmark's meta (Name, Alias,
 * TemplateType, LayoutTemplate: compat_postmark_tmpl.h) so that
 * /email/withTemplate shows it inside its layout. Mailgun: GET
 * /v3/{domain}/templates?limit=100 (following paging.next, path and
 * query only, until a page has no items), then GET
 * /v3/{domain}/templates/{name}?active=yes: the active version's
 * template (Handlebars; other engines are skipped) as the html part and
 * its headers.Subject as the subject, under the name in lower case.
 * For Postmark and Mailgun each template is its own outcome (imported,
 * skipped, failed: struct tmpllist_result); a list page that is not one
 * imports nothing. The parsers are pure and fuzzed.
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

/* tmpllist_postmark_parse_list - a GET /templates page: each
 * TemplateId (decimal) appended to *ids (*n), TotalCount into *total. 0,
 * or -1 with err (nothing appended) when the page or any entry's
 * TemplateId is malformed. */
int tmpllist_postmark_parse_list(const char *body, size_t len, char ***ids,
                                 size_t *n, long long *total, char *err,
                                 size_t errlen);

/* tmpllist_postmark_parse_template - a GET /templates/{id} answer into
 * *v (see above). 1 when filled; 0 with err when there is nothing to
 * import (Active false); -1 with err when malformed (v empty). */
int tmpllist_postmark_parse_template(const char *body, size_t len,
                                     struct tmpl_version *v, char *err,
                                     size_t errlen);

/* tmpllist_mailgun_parse_list - a GET /v3/{domain}/templates page: each
 * item's name appended to *names (*n), paging.next into *next (NULL:
 * none, or the page had no items). 0, or -1 with err (nothing appended).
 */
int tmpllist_mailgun_parse_list(const char *body, size_t len, char ***names,
                                size_t *n, char **next, char *err,
                                size_t errlen);

/* tmpllist_mailgun_parse_template - a GET
 * /v3/{domain}/templates/{name}?active=yes answer into *v. 1 when
 * filled; 0 with err when there is nothing to import (no active version,
 * an engine other than handlebars); -1 with err when malformed. */
int tmpllist_mailgun_parse_template(const char *body, size_t len,
                                    struct tmpl_version *v, char *err,
                                    size_t errlen);

/* What one template of an import came to, when not imported. */
struct tmpllist_note {
	char name[TMPL_STORE_NAME_MAX]; /* the provider's id or name */
	int failed;                     /* 1: failed, 0: skipped */
	char why[256];
};

/* What an import read: the versions to store and the notes. */
struct tmpllist_result {
	struct tmpl_version *v; /* n of them */
	size_t n;
	struct tmpllist_note *notes; /* nnotes of them */
	size_t nnotes;
};

/* tmpllist_result_add - one template's outcome: got 1: *v taken into
 * r; 0: skipped, -1: failed, with why, under name. */
void tmpllist_result_add(struct tmpllist_result *r, int got,
                         struct tmpl_version *v, const char *name,
                         const char *why);

/* tmpllist_result_fini - free r's versions and notes; r zeroed. */
void tmpllist_result_fini(struct tmpllist_result *r);

/* tmpllist_postmark_fetch, tmpllist_mailgun_fetch - every template of
 * p into *res (per template). 0, or -1 with err when the list could not
 * be read (res may hold nothing). */
int tmpllist_postmark_fetch(const struct config_provider *p,
                            struct tmpllist_result *res, char *err,
                            size_t errlen);
int tmpllist_mailgun_fetch(const struct config_provider *p,
                           struct tmpllist_result *res, char *err,
                           size_t errlen);

/*
 * tmpllist_fetch_result - every template of provider p (any type with
 * an import: sendgrid, ses, postmark, mailgun) into *res (zeroed first;
 * tmpllist_result_fini). 0; -1 with err when nothing can be imported
 * (res empty); 1 when p's type has no such import.
 */
int tmpllist_fetch_result(const struct config_provider *p,
                          struct tmpllist_result *res, char *err,
                          size_t errlen);

/*
 * tmpllist_fetch - every template of provider p (type sendgrid or ses) into
 * *out (*n; free each with tmpl_version_fini, then the array). 0, or -1
 * with err (nothing returned); 1 when p's type has no such import.
 */
int tmpllist_fetch(const struct config_provider *p, struct tmpl_version **out,
                   size_t *n, char *err, size_t errlen);

#endif
