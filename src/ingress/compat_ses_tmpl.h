/*
 * compat_ses_tmpl.h - SES's template operations on the tenant's template
 * store (tmpl/tmpl_store.h), private to compat_ses*.c.
 *
 * API v2 (restJson1), after the request's SigV4 signature held:
 *   POST   /v2/email/templates              CreateEmailTemplate
 *   GET    /v2/email/templates              ListEmailTemplates
 *   GET    /v2/email/templates/NAME         GetEmailTemplate
 *   PUT    /v2/email/templates/NAME         UpdateEmailTemplate
 *   DELETE /v2/email/templates/NAME         DeleteEmailTemplate
 *   POST   /v2/email/templates/NAME/render  TestRenderEmailTemplate
 *   POST   /v2/email/outbound-bulk-emails   SendBulkEmail
 * API v1 (awsQuery): CreateTemplate, GetTemplate, UpdateTemplate,
 * DeleteTemplate, ListTemplates, TestRenderTemplate, SendTemplatedEmail,
 * SendBulkTemplatedEmail.
 *
 * SES templates are Handlebars without HTML escaping, and a variable
 * missing from the data is an error (SES does not send such a message:
 * a rendering failure); swerve refuses it at the call instead of
 * reporting a Rendering Failure event later (docs/drop-in.md). The
 * credential's tenant owns the templates; an update is a new version,
 * made active; a delete removes every version.
 */
#ifndef SWERVE_INGRESS_COMPAT_SES_TMPL_H
#define SWERVE_INGRESS_COMPAT_SES_TMPL_H

#include <stddef.h>

#include "ingress/compat.h"
#include "tmpl/tmpl_store.h"

struct evkeyvalq;

/* How SES renders: no escaping anywhere, a missing variable is an
 * error. */
extern const struct tmpl_store_render_opts compat_ses_tmpl_opts;

/* compat_ses_request_id - a fresh UUID-shaped request id (compat_ses.c). */
void compat_ses_request_id(char out[37]);

/* compat_ses_v2_fail - answer req with e as SES v2 (compat_ses.c). */
void compat_ses_v2_fail(struct evhttp_request *req, const struct api_error *e);

/* compat_ses_v1_fail - answer req with e as SES v1 (compat_ses.c). */
void compat_ses_v1_fail(struct evhttp_request *req, const struct api_error *e);

/*
 * compat_ses_prepare - msg (or raw) through the submission pipeline for
 * key k, with SES's wording of a refused sender (compat_ses.c).
 */
int compat_ses_prepare(struct compat *c, struct evhttp_request *req,
                       const struct config_api_key *k, struct api_msg *msg,
                       struct compat_raw_req *raw, struct spool_msg_new *out,
                       struct api_error *e);

/*
 * compat_ses_tmpl_v2 - one v2 template request (path under
 * /v2/email/templates) made with key k; body[0..len) is the request's.
 */
void compat_ses_tmpl_v2(struct compat *c, struct evhttp_request *req,
                        const char *path, const struct config_api_key *k,
                        const char *body, size_t len);

/* compat_ses_xml_escape - append s to b with & < > " escaped. */
void compat_ses_xml_escape(struct buf *b, const char *s);

/*
 * compat_ses_tmpl_v1 - a v1 template action (Create, Update, Get,
 * Delete, List, TestRender, SendBulkTemplatedEmail) made with key k;
 * body[0..len) is the request's (copied before decoding).
 */
void compat_ses_tmpl_v1(struct compat *c, struct evhttp_request *req,
                        const struct config_api_key *k, const char *body,
                        size_t len, enum compat_ses_action act);

/* compat_ses_bulk_v2 - SendBulkEmail made with key k. */
void compat_ses_bulk_v2(struct compat *c, struct evhttp_request *req,
                        const struct config_api_key *k, const char *body,
                        size_t len);

/*
 * compat_ses_tmpl_data - SES's TemplateData (a JSON object as a string;
 * NULL or "": {}) into *out (a new reference). 0, or -1 with *e
 * ("invalid_field" at field).
 */
int compat_ses_tmpl_data(const char *s, const char *field, json_t **out,
                         struct api_error *e);

/*
 * compat_ses_tmpl_apply - http_templates_apply() of msg's template for
 * key k's tenant as SES renders (compat_ses_tmpl_opts), an unknown
 * template in SES's words. 0, or -1 with *e.
 */
int compat_ses_tmpl_apply(const struct config_api_key *k, struct api_msg *msg,
                          struct api_error *e);

/*
 * compat_ses_tmpl_render_mime - the message SES's TestRender operations
 * answer: Subject, MIME-Version and the text and html parts as
 * multipart/alternative, quoted-printable, into out.
 */
void compat_ses_tmpl_render_mime(const struct tmpl_rendered *r,
                                 struct buf *out);

#endif
