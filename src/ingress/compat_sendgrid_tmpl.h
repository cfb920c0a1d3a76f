/*
 * compat_sendgrid_tmpl.h - SendGrid's transactional template API
 * (/v3/templates) on the tenant's template store (tmpl/tmpl_store.h).
 *
 * A SendGrid dynamic template is a store name "d-" + 32 hex digits (what
 * mail/send's template_id names). Its store versions are of two kinds,
 * told apart by their meta ({"sendgrid": "template" | "version", ...}):
 *  - template records: no parts; the template's name and generation.
 *    The create stores the first (active while the template has no
 *    version, so a send with it fails: it has no content), a rename
 *    another (never activated); the newest one names the template.
 *  - versions: the parts (subject, html_content, plain_content as
 *    Handlebars) and the version's id (a UUID), name, editor,
 *    generate_plain_content and test_data. A version edit stores a new
 *    store version with the same id (the newest one is that SendGrid
 *    version), activated when the one it replaces was active.
 * A store version without SendGrid meta that has parts (imported, or
 * stored through /v1/templates) is shown as a version whose id is made
 * from its number (00000000-0000-4000-8000-00000000000N).
 *
 * This header: the pure part (decoding requests, the model of a
 * template's rows, its JSON), unit-tested and fuzzed; the handler is in
 * compat_sendgrid_tmpl.c.
 */
#ifndef SWERVE_INGRESS_COMPAT_SENDGRID_TMPL_H
#define SWERVE_INGRESS_COMPAT_SENDGRID_TMPL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ingress/api_json.h"
#include "tmpl/tmpl_store.h"

#define SGT_NAME_MAX 100        /* characters of a template or version name */
#define SGT_SUBJECT_MAX 255     /* characters of a version's subject */
#define SGT_CONTENT_MAX 1048576 /* octets of html_content / plain_content */
#define SGT_VID_SIZE 37         /* a version id with its NUL */
#define SGT_PAGE_MAX 200        /* page_size */

/* compat_sendgrid_tmpl_id_ok - is s a dynamic template id: "d-" and 32
 * lowercase hex? */
int compat_sendgrid_tmpl_id_ok(const char *s);

/* compat_sendgrid_tmpl_id_new - a fresh dynamic template id;
 * compat_sendgrid_tmpl_vid_new - a fresh version id (a random UUID). */
void compat_sendgrid_tmpl_id_new(char out[TMPL_STORE_NAME_MAX]);
void compat_sendgrid_tmpl_vid_new(char out[SGT_VID_SIZE]);

/*
 * compat_sendgrid_tmpl_template_decode - the body of POST /v3/templates
 * (create: name required) or PATCH /v3/templates/{id} (rename: name required,
 * nothing else) into *name (borrowed from body). generation must be "dynamic"
 * for a create (legacy templates are not served). 0, or -1 with *e
 * (field: the member).
 */
int compat_sendgrid_tmpl_template_decode(json_t *body, int create,
                                         const char **name,
                                         struct api_error *e);

/*
 * compat_sendgrid_tmpl_version_decode - the body of POST .../versions (create)
 * or PATCH
 * .../versions/{vid} (edit: base is the version edited, its members
 * kept where the body has none) into out: the parts (owned), dialect
 * Handlebars, and meta (owned: {"sendgrid":"version","id":vid,"name",
 * "editor","generate_plain_content"[,"test_data"]}); *active is the
 * body's "active" (-1 when absent). Every part is parse-checked. 0, or -1
 * with *e and out empty.
 */
int compat_sendgrid_tmpl_version_decode(json_t *body,
                                        const struct tmpl_version *base,
                                        const char *vid,
                                        struct tmpl_version *out, int *active,
                                        struct api_error *e);

/* compat_sendgrid_tmpl_template_meta - a template record's meta (new string).
 */
char *compat_sendgrid_tmpl_template_meta(const char *name);

/* One SendGrid version of a template's rows. */
struct compat_sendgrid_tmpl_ver {
	char id[SGT_VID_SIZE];
	size_t row;      /* the newest row with this id */
	size_t n_rows;   /* rows with this id */
	int64_t updated; /* the newest row's time */
};

/* A template as its rows say (rows borrowed). */
struct compat_sendgrid_tmpl_model {
	const struct tmpl_version *rows;
	size_t n;
	char name[SGT_NAME_MAX * 4 + 1];
	int64_t updated;
	struct compat_sendgrid_tmpl_ver *v; /* in order of creation; owned */
	size_t nv;
	size_t last_record; /* the newest template record, or n */
};

/* compat_sendgrid_tmpl_model_build - the model of one name's rows (every
 * version, in version order). compat_sendgrid_tmpl_model_fini frees it. */
void compat_sendgrid_tmpl_model_build(const struct tmpl_version *rows, size_t n,
                                      struct compat_sendgrid_tmpl_model *m);
void compat_sendgrid_tmpl_model_fini(struct compat_sendgrid_tmpl_model *m);

/* compat_sendgrid_tmpl_model_find - the SendGrid version vid of m, or NULL. */
const struct compat_sendgrid_tmpl_ver *
compat_sendgrid_tmpl_model_find(const struct compat_sendgrid_tmpl_model *m,
                                const char *vid);

/* compat_sendgrid_tmpl_template_json - the template as SendGrid answers it
 * (full: the versions' content too; else the lean form of a list). */
json_t *
compat_sendgrid_tmpl_template_json(const struct compat_sendgrid_tmpl_model *m,
                                   int full);

/* compat_sendgrid_tmpl_version_json - version v of m as SendGrid answers it. */
json_t *
compat_sendgrid_tmpl_version_json(const struct compat_sendgrid_tmpl_model *m,
                                  const struct compat_sendgrid_tmpl_ver *v);

/* compat_sendgrid_tmpl_time - "YYYY-MM-DD HH:MM:SS" (UTC) of ms into out. */
void compat_sendgrid_tmpl_time(int64_t ms, char out[20]);

/*
 * compat_sendgrid_tmpl_handle - a request under /v3/templates (a row of
 * compat.c's routes), with SendGrid's bearer key.
 */
struct compat;
struct evhttp_request;
void compat_sendgrid_tmpl_handle(struct compat *c, struct evhttp_request *req,
                                 const char *path);

#endif
