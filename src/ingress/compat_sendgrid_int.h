/*
 * compat_sendgrid_int.h - the parts of the SendGrid v3 mail/send decoder
 * (compat_sendgrid.c) that live in files of their own: the request-wide
 * options (compat_sendgrid_opts.c), substitutions
 * (compat_sendgrid_subst.c) and content (compat_sendgrid_body.c). Private to
 * those files and their tests.
 *
 * Pure: no I/O, no logging, no global state. Errors are SendGrid's: an
 * api_error whose field is SendGrid's dotted path ("mail_settings.
 * footer.text", "personalizations.0.send_at").
 */
#ifndef SWERVE_INGRESS_COMPAT_SENDGRID_INT_H
#define SWERVE_INGRESS_COMPAT_SENDGRID_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ingress/api_json.h"
#include "spool/msg_meta.h"

#define SG_SEND_AT_AHEAD_MAX (72 * 3600) /* seconds send_at may be ahead */
#define SG_SUBST_BYTES_MAX 10000   /* keys and values of one personalization */
#define SG_CUSTOM_ARGS_MAX 10000   /* keys and values, merged */
#define SG_CATEGORIES_MAX 10       /* categories of one request */
#define SG_CATEGORY_MAX 255        /* characters of one category */
#define SG_SUBST_WORK_MAX 50000000 /* key comparisons for one request */

/*
 * compat_sendgrid_keys_check - refuse a member of obj whose name is not in
 * known (NULL-terminated), naming it as prefix + name. 0, or -1 with *e.
 */
int compat_sendgrid_keys_check(json_t *obj, const char *const *known,
                               const char *prefix, struct api_error *e);

/*
 * compat_sendgrid_obj_keys - obj must be an object (else -1 with *e at
 * field) whose members are all in known (else -1 naming field.member).
 */
int compat_sendgrid_obj_keys(json_t *obj, const char *field,
                             const char *const *known, struct api_error *e);

/* compat_sendgrid_present - v is there and not null. */
bool compat_sendgrid_present(json_t *v);

/* What the request asks of every message, besides its content. */
struct compat_sendgrid_opts {
	bool footer;       /* mail_settings.footer.enable */
	char *footer_text; /* NULL: none */
	char *footer_html;
	char *open_tag; /* tracking_settings.open_tracking.substitution_tag
	                   (removed from the content), or NULL */
	char *meta;     /* the request-wide msg_meta, encoded (NULL: empty):
	                   categories, custom_args, send_at, ip_pool_name,
	                   sandbox, tracking and recorded options */
};

/*
 * compat_sendgrid_opts_parse - the request-wide options of the request
 * object j at unix time now into *o (zeroed first): categories,
 * custom_args, send_at, ip_pool_name, mail_settings, tracking_settings.
 * 0, or -1 with *e (then *o is empty).
 */
int compat_sendgrid_opts_parse(json_t *j, int64_t now,
                               struct compat_sendgrid_opts *o,
                               struct api_error *e);

/* compat_sendgrid_opts_fini - free what o owns. */
void compat_sendgrid_opts_fini(struct compat_sendgrid_opts *o);

/*
 * compat_sendgrid_meta - o's msg_meta with personalization p's
 * custom_args merged over the request's and its send_at over the
 * request's, into *out (initialised first); field is p's path
 * ("personalizations.0"). 0, or -1 with *e (then *out is empty).
 */
int compat_sendgrid_meta(const struct compat_sendgrid_opts *o, json_t *p,
                         const char *field, int64_t now, struct msg_meta *out,
                         struct api_error *e);

/* One substitution: replace key by value. */
struct compat_sendgrid_sub {
	const char *key; /* borrowed from the JSON object */
	size_t key_len;
	const char *value;
	size_t value_len;
};

/*
 * A personalization's substitutions, ordered so that the keys starting
 * with one octet are together, longest first. The strings are borrowed
 * from the JSON the set was parsed from.
 */
struct compat_sendgrid_subst {
	struct compat_sendgrid_sub *subs;
	size_t n;
	size_t first[257]; /* subs[first[c] .. first[c + 1]) start with c */
	size_t *work;      /* comparisons left for the request (shared) */
};

/*
 * compat_sendgrid_subst_parse - the substitutions object v (absent or null:
 * none) at field into *s (zeroed first; keeps pointers into v, which must
 * outlive it), counting its comparisons against *work (the request's
 * budget, SG_SUBST_WORK_MAX to start with; borrowed). Keys non-empty, values
 * strings, at most SG_SUBST_BYTES_MAX octets of keys and values. 0, or -1 with
 * *e.
 */
int compat_sendgrid_subst_parse(json_t *v, const char *field, size_t *work,
                                struct compat_sendgrid_subst *s,
                                struct api_error *e);

/* compat_sendgrid_subst_fini - free what s owns. */
void compat_sendgrid_subst_fini(struct compat_sendgrid_subst *s);

/*
 * compat_sendgrid_subst_apply - in[0..n) with every occurrence of a key
 * replaced by its value, as a new NUL-terminated string (*outlen octets,
 * caller frees). The text is read once from left to right; where several
 * keys match at one place the longest wins; replaced text is not read
 * again. NULL with *e (at field) when the request's comparison budget
 * (*s->work) runs out.
 */
char *compat_sendgrid_subst_apply(struct compat_sendgrid_subst *s,
                                  const char *in, size_t n, size_t *outlen,
                                  const char *field, struct api_error *e);

/*
 * compat_sendgrid_subst_json - a deep copy of v with s applied to every
 * string in it (for reply_to and reply_to_list); NULL with *e when the
 * budget runs out. v may be NULL (then NULL and no error).
 */
json_t *compat_sendgrid_subst_json(struct compat_sendgrid_subst *s, json_t *v,
                                   const char *field, struct api_error *e);

/*
 * compat_sendgrid_body_parse - the request j's content (text/plain and
 * text/html, each at most once, at least one) and attachments (decoded)
 * into base. templated (a template_id is given): content is the
 * template's, so the request may not have one. 0, or -1 with *e.
 */
int compat_sendgrid_body_parse(json_t *j, bool templated,
                               struct mime_build_msg *base,
                               struct api_error *e);

/*
 * compat_sendgrid_body_build - one personalization's text, HTML and
 * attachments into m from base: the footer of o appended (text after a
 * line end; HTML before the last </body>, else at the end), then the
 * substitutions sub applied, then o's open tracking tag removed;
 * attachments copied. 0, or -1 with *e.
 */
int compat_sendgrid_body_build(const struct compat_sendgrid_opts *o,
                               const struct mime_build_msg *base,
                               struct compat_sendgrid_subst *sub,
                               struct mime_build_msg *m, struct api_error *e);

#endif
