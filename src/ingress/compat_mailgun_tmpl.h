/*
 * compat_mailgun_tmpl.h - Mailgun's template API (/v3/{domain}/templates)
 * on the tenant's template store (tmpl/tmpl_store.h).
 *
 * A Mailgun template is the store name of its name (lowercased, as
 * Mailgun does; the domain is not part of it: a tenant has one store),
 * what a send's `template` names. Its store versions are of two kinds,
 * told apart by their meta ({"mailgun": "template" | "version", ...}):
 *  - records: no parts; the template's description. A create without a
 *    version stores one (active while the template has no version), a
 *    description change another (never activated).
 *  - versions: the html part (Mailgun's `template`, Handlebars) and the
 *    version's tag, comment, engine. An edit stores a new store version
 *    with the same tag (the newest is that Mailgun version).
 * A store version without meta that has parts (the native API) is a
 * version whose tag is "v" and its number.
 */
#ifndef SWERVE_INGRESS_COMPAT_MAILGUN_TMPL_H
#define SWERVE_INGRESS_COMPAT_MAILGUN_TMPL_H

#include <stddef.h>

#include <jansson.h>

#include "ingress/api_json.h"
#include "tmpl/tmpl_store.h"

#define MGT_TAG_MAX 100 /* octets of a tag */
#define MGT_PAGE_MAX 100

/* One Mailgun version of a template's rows. */
struct compat_mailgun_tmpl_ver {
	char tag[MGT_TAG_MAX + 1];
	size_t row;    /* the newest row with this tag */
	size_t n_rows; /* rows with this tag */
};

/* A template as its rows say (rows borrowed). */
struct compat_mailgun_tmpl_model {
	const struct tmpl_version *rows;
	size_t n;
	const char *description; /* borrowed from desc_json */
	json_t *desc_json;
	size_t last_record; /* the newest record, or n */
	struct compat_mailgun_tmpl_ver *v;
	size_t nv;
};

/* compat_mailgun_tmpl_path - is path under /v3/{domain}/templates? */
int compat_mailgun_tmpl_path(const char *path);

/* compat_mailgun_tmpl_model_build / _fini / _find - the model of one
 * name's rows (every version, in version order). */
void compat_mailgun_tmpl_model_build(const struct tmpl_version *rows, size_t n,
                                     struct compat_mailgun_tmpl_model *m);
void compat_mailgun_tmpl_model_fini(struct compat_mailgun_tmpl_model *m);
const struct compat_mailgun_tmpl_ver *
compat_mailgun_tmpl_model_find(const struct compat_mailgun_tmpl_model *m,
                               const char *tag);

/* compat_mailgun_tmpl_json - the template as Mailgun answers it: with
 * version v (its content when content), or every version (versions), or
 * neither. */
json_t *compat_mailgun_tmpl_json(const struct compat_mailgun_tmpl_model *m,
                                 const struct compat_mailgun_tmpl_ver *v,
                                 int content, int versions);

/*
 * compat_mailgun_tmpl_version - a version from form-ish fields: content
 * (the template, Handlebars; NULL keeps base's), tag, comment, engine
 * (NULL or "handlebars"), description (the template's, kept in the
 * meta). out gets owned parts and meta. 0, or -1 with *e (Mailgun's 400
 * naming the field; a template that does not parse with its line and
 * column).
 */
int compat_mailgun_tmpl_version(const char *content, const char *tag,
                                const char *comment, const char *engine,
                                const char *description,
                                const struct tmpl_version *base,
                                struct tmpl_version *out, struct api_error *e);

/* compat_mailgun_tmpl_record_meta - a record's meta (new string). */
char *compat_mailgun_tmpl_record_meta(const char *description);

struct compat;
struct evhttp_request;
/* compat_mailgun_tmpl_handle - a request under /v3/{domain}/templates
 * (from compat_mailgun_handle), with Mailgun's Basic api key. */
void compat_mailgun_tmpl_handle(struct compat *c, struct evhttp_request *req,
                                const char *path);

#endif
