/*
 * compat_postmark_tmpl.h - Postmark's template API (/templates) on the
 * tenant's template store (tmpl/tmpl_store.h).
 *
 * A Postmark template is the store name of its TemplateId (digits), as
 * /email/withTemplate's TemplateId has always named it; its versions are
 * Mustachio, with meta {"postmark": "template", "Name", "Alias",
 * "TemplateType" ("Standard" | "Layout"), "LayoutTemplate"}. An alias is
 * a second store name holding no parts, only {"postmark": "alias",
 * "id": "N"}: TemplateAlias and /templates/{alias} follow it to the
 * template. A template stored another way under a name of digits (the
 * native API) is shown as a Standard template of that id.
 *
 * This header: the pure part (bodies decoded and checked, a version as
 * Postmark's JSON, /templates/validate), unit-tested and fuzzed; the
 * handler is compat_postmark_tmpl.c. Errors carry Postmark's ErrorCode in
 * api_error.code as "pmNNNN" (compat_postmark_tmpl_error_code).
 */
#ifndef SWERVE_INGRESS_COMPAT_POSTMARK_TMPL_H
#define SWERVE_INGRESS_COMPAT_POSTMARK_TMPL_H

#include <jansson.h>

#include "ingress/api_json.h"
#include "tmpl/tmpl_store.h"

#define PMT_NAME_MAX 100 /* characters of Name and Alias */
#define PMT_LIST_MAX 500 /* Count */
#define PMT_CONTENT "@content"

/* What a create or edit body says; NULL members are absent (or null). */
struct compat_postmark_tmpl_req {
	const char *name, *alias, *subject, *html, *text, *type, *layout;
	/* present in the body, null included (null clears on an edit) */
	unsigned char has_alias, has_subject, has_html, has_text, has_layout;
};

/*
 * compat_postmark_tmpl_decode - a POST /templates or PUT /templates/X
 * body into *q (strings borrowed from body). Keys as Postmark reads them
 * (any case). 0, or -1 with *e (ErrorCode 1123 for a member that is not
 * a template's, 1122 for one of the wrong type).
 */
int compat_postmark_tmpl_decode(json_t *body,
                                struct compat_postmark_tmpl_req *q,
                                struct api_error *e);

/*
 * compat_postmark_tmpl_build - the version q makes of template id: a new
 * one (base NULL) or an edit of base (what q leaves out is base's). Every
 * rule checked (required members 1120, sizes 1121, a part that does not
 * parse 1122 with line and column, a layout's {{{@content}}} exactly once
 * in each body 1130 and never in a subject 1131, the type not changed
 * 1132); out gets owned parts and meta, dialect Mustachio. 0, or -1 with
 * *e and out empty.
 */
int compat_postmark_tmpl_build(const struct compat_postmark_tmpl_req *q,
                               const struct tmpl_version *base, const char *id,
                               struct tmpl_version *out, struct api_error *e);

/* compat_postmark_tmpl_meta_str - member k of v's Postmark meta as a new
 * string, or NULL. */
char *compat_postmark_tmpl_meta_str(const struct tmpl_version *v,
                                    const char *k);

/* compat_postmark_tmpl_alias_meta - the meta of alias pointing at id. */
char *compat_postmark_tmpl_alias_meta(const char *id);

/* compat_postmark_tmpl_alias_ok - may s be an alias: a letter, then
 * letters, digits, '.', '_' or '-', at most PMT_NAME_MAX? */
int compat_postmark_tmpl_alias_ok(const char *s);

/* compat_postmark_tmpl_id_ok - digits only, 1..18 of them. */
int compat_postmark_tmpl_id_ok(const char *s);

/*
 * compat_postmark_tmpl_kind - 't' v is a Postmark template (a name of
 * digits), 'a' an alias (*target: the id, borrowed from a static buffer
 * until the next call), 0 neither.
 */
int compat_postmark_tmpl_kind(const struct tmpl_version *v,
                              char target[TMPL_STORE_NAME_MAX]);

/* compat_postmark_tmpl_json - v as Postmark shows a template: full (GET
 * one) or the list's and a create's or edit's short form. */
json_t *compat_postmark_tmpl_json(const struct tmpl_version *v, int full);

/*
 * compat_postmark_tmpl_validate - POST /templates/validate: body checked
 * and each of Subject, HtmlBody, TextBody parsed and rendered with
 * TestRenderModel (inside layout's bodies when not NULL), as Postmark's
 * {"AllContentIsValid", "Subject"|"HtmlBody"|"TextBody": {"ContentIsValid",
 * "ValidationErrors": [{"Message", "Line", "CharacterPosition"}],
 * "RenderedContent"}, "SuggestedTemplateModel"}. NULL with *e when the
 * body itself is malformed.
 */
json_t *compat_postmark_tmpl_validate(json_t *body,
                                      const struct tmpl_store_entry *layout,
                                      struct api_error *e);

/* compat_postmark_tmpl_error_code - Postmark's ErrorCode of e ("pmNNNN";
 * else 0). */
int compat_postmark_tmpl_error_code(const struct api_error *e);

/*
 * compat_postmark_tmpl_resolve - the active version of tenant's template
 * named by s (a TemplateId, or an alias followed to its template), or
 * NULL. Loop thread (the store's memory).
 */
const struct tmpl_store_entry *
compat_postmark_tmpl_resolve(struct tmpl_store *st, const char *tenant,
                             const char *s);

/*
 * compat_postmark_tmpl_apply - msg's template (TemplateId or
 * TemplateAlias, msg->template_name) rendered as Postmark does, inside
 * its LayoutTemplate when it names one: 0, or -1 with *e as
 * http_templates_apply_entry.
 */
int compat_postmark_tmpl_apply(const char *tenant, struct api_msg *msg,
                               const struct tmpl_store_render_opts *o,
                               struct api_error *e);

struct compat;
struct evhttp_request;
/* compat_postmark_tmpl_handle - a request under /templates (a row of
 * compat.c's routes), with Postmark's server token. */
void compat_postmark_tmpl_handle(struct compat *c, struct evhttp_request *req,
                                 const char *path);

#endif
