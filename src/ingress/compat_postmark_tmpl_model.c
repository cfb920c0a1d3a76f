/*
 * compat_postmark_tmpl_model.c - Postmark's template API, the pure part
 * (compat_postmark_tmpl.h): bodies decoded and checked, versions as
 * Postmark's JSON, /templates/validate.
 *
 * No I/O, no logging, no global state.
 */
#include "ingress/compat_postmark_tmpl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/xmalloc.h"
#include "ingress/compat.h"

static const char *const pmt_part_keys[TMPL_PARTS] = {"Subject", "HtmlBody",
                                                      "TextBody"};

/* pmt_err - *e as Postmark's ErrorCode code (422). Returns -1. */
static int
pmt_err(struct api_error *e, int code, const char *field, const char *fmt,
        const char *a, const char *b)
{
	char code_s[16];

	snprintf(code_s, sizeof(code_s), "pm%d", code);
	api_error_set(e, 422, code_s, field, fmt, a != NULL ? a : "",
	              b != NULL ? b : "");
	return -1;
}

int
compat_postmark_tmpl_error_code(const struct api_error *e)
{
	return strncmp(e->code, "pm", 2) == 0 ? atoi(e->code + 2) : 0;
}

int
compat_postmark_tmpl_alias_ok(const char *s)
{
	size_t i;

	if (s == NULL ||
	    !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return 0;
	for (i = 1; s[i] != '\0'; i++)
		if (i >= PMT_NAME_MAX ||
		    !((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
		      s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

int
compat_postmark_tmpl_id_ok(const char *s)
{
	size_t i;

	if (s == NULL || s[0] == '\0' || s[0] == '0')
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (i >= 18 || s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int
compat_postmark_tmpl_decode(json_t *body, struct compat_postmark_tmpl_req *q,
                            struct api_error *e)
{
	static const char *const keys[] = {
	    "Name",     "Alias",        "Subject",       "HtmlBody",
	    "TextBody", "TemplateType", "LayoutTemplate"};
	const char *k, **dst[7];
	unsigned char *has[7] = {NULL};
	json_t *v;
	size_t i;

	memset(q, 0, sizeof(*q));
	if (!json_is_object(body))
		return pmt_err(e, 402, "", "Received invalid JSON input.%s%s",
		               NULL, NULL);
	dst[0] = &q->name;
	dst[1] = &q->alias;
	dst[2] = &q->subject;
	dst[3] = &q->html;
	dst[4] = &q->text;
	dst[5] = &q->type;
	dst[6] = &q->layout;
	has[1] = &q->has_alias;
	has[2] = &q->has_subject;
	has[3] = &q->has_html;
	has[4] = &q->has_text;
	has[6] = &q->has_layout;
	json_object_foreach(body, k, v)
	{
		for (i = 0; i < 7 && strcasecmp(keys[i], k) != 0; i++)
			;
		if (i == 7)
			return pmt_err(e, 1123, k,
			               "The field '%.60s' is not allowed in a "
			               "template request.%s",
			               k, NULL);
		if (has[i] != NULL)
			*has[i] = 1;
		if (json_is_null(v))
			continue;
		if (!json_is_string(v) ||
		    strlen(json_string_value(v)) != json_string_length(v))
			return pmt_err(e, 1122, keys[i],
			               "The field '%s' must be a string.%s",
			               keys[i], NULL);
		*dst[i] = json_string_value(v);
	}
	return 0;
}

/* pmt_meta - v's meta as an object (new reference), or NULL. */
static json_t *
pmt_meta(const struct tmpl_version *v)
{
	json_t *m = v->meta != NULL ? json_loads(v->meta, 0, NULL) : NULL;

	if (!json_is_object(m)) {
		json_decref(m);
		return NULL;
	}
	return m;
}

char *
compat_postmark_tmpl_meta_str(const struct tmpl_version *v, const char *k)
{
	json_t *m = pmt_meta(v);
	const char *s = json_string_value(json_object_get(m, k));
	char *out = s != NULL ? xstrdup(s) : NULL;

	json_decref(m);
	return out;
}

char *
compat_postmark_tmpl_alias_meta(const char *id)
{
	json_t *m = json_pack("{s:s,s:s}", "postmark", "alias", "id", id);
	char *s = json_dumps(m, JSON_COMPACT);

	json_decref(m);
	return s;
}

int
compat_postmark_tmpl_kind(const struct tmpl_version *v,
                          char target[TMPL_STORE_NAME_MAX])
{
	json_t *m = pmt_meta(v);
	const char *kind = json_string_value(json_object_get(m, "postmark"));
	const char *id = json_string_value(json_object_get(m, "id"));
	int k = 0;

	if (kind != NULL && strcmp(kind, "alias") == 0 &&
	    compat_postmark_tmpl_id_ok(id)) {
		snprintf(target, TMPL_STORE_NAME_MAX, "%s", id);
		k = 'a';
	} else if (compat_postmark_tmpl_id_ok(v->name) &&
	           (m == NULL ||
	            (kind != NULL && strcmp(kind, "template") == 0))) {
		k = 't';
	}
	json_decref(m);
	return k;
}

/* pmt_placeholders - how many {{{ @content }}} s has. */
static int
pmt_placeholders(const char *s)
{
	const char *p = s;
	int n = 0;

	while (s != NULL && (p = strstr(p, "{{{")) != NULL) {
		p += 3;
		p += strspn(p, " \t");
		if (strncmp(p, PMT_CONTENT, strlen(PMT_CONTENT)) != 0)
			continue;
		p += strlen(PMT_CONTENT);
		p += strspn(p, " \t");
		if (strncmp(p, "}}}", 3) == 0)
			n++;
	}
	return n;
}

/* pmt_pick - what the edit says of a member, else base's. */
static const char *
pmt_pick(unsigned char has, const char *q, const char *base)
{
	return has ? q : base;
}

int
compat_postmark_tmpl_build(const struct compat_postmark_tmpl_req *q,
                           const struct tmpl_version *base, const char *id,
                           struct tmpl_version *out, struct api_error *e)
{
	json_t *bm = base != NULL ? pmt_meta(base) : NULL, *m;
	const char *btype =
	    json_string_value(json_object_get(bm, "TemplateType"));
	const char *type, *name, *alias, *layout, *part[TMPL_PARTS];
	struct tmpl_store_entry *ent;
	struct tmpl_error err;
	enum tmpl_part bad;
	int i, rc = -1, is_layout;

	memset(out, 0, sizeof(*out));
	type = q->type != NULL ? q->type : btype != NULL ? btype : "Standard";
	if (strcmp(type, "Standard") != 0 && strcmp(type, "Layout") != 0) {
		pmt_err(e, 1122, "TemplateType",
		        "'TemplateType' must be Standard or Layout.%s%s", NULL,
		        NULL);
		goto out;
	}
	if (base != NULL && q->type != NULL &&
	    strcmp(q->type, btype != NULL ? btype : "Standard") != 0) {
		pmt_err(e, 1132, "TemplateType",
		        "The TemplateType of a template cannot be changed.%s%s",
		        NULL, NULL);
		goto out;
	}
	is_layout = strcmp(type, "Layout") == 0;
	name = q->name != NULL ? q->name
	                       : json_string_value(json_object_get(bm, "Name"));
	if (name == NULL && base != NULL)
		name = base->name;
	alias = pmt_pick(q->has_alias, q->alias,
	                 json_string_value(json_object_get(bm, "Alias")));
	layout =
	    pmt_pick(q->has_layout, q->layout,
	             json_string_value(json_object_get(bm, "LayoutTemplate")));
	part[TMPL_PART_SUBJECT] =
	    pmt_pick(q->has_subject, q->subject,
	             base != NULL ? base->part[TMPL_PART_SUBJECT] : NULL);
	part[TMPL_PART_HTML] =
	    pmt_pick(q->has_html, q->html,
	             base != NULL ? base->part[TMPL_PART_HTML] : NULL);
	part[TMPL_PART_TEXT] =
	    pmt_pick(q->has_text, q->text,
	             base != NULL ? base->part[TMPL_PART_TEXT] : NULL);
	if (name == NULL || name[0] == '\0') {
		pmt_err(e, 1120, "Name", "The 'Name' field is required.%s%s",
		        NULL, NULL);
		goto out;
	}
	if (compat_utf8_chars(name) > PMT_NAME_MAX) {
		pmt_err(e, 1121, "Name",
		        "The 'Name' field is too long (at most 100).%s%s", NULL,
		        NULL);
		goto out;
	}
	if (alias != NULL && !compat_postmark_tmpl_alias_ok(alias)) {
		pmt_err(e, 1122, "Alias",
		        "The 'Alias' '%.60s' is not valid: a letter, then "
		        "letters, digits, '.', '-' or '_', at most 100.%s",
		        alias, NULL);
		goto out;
	}
	if (is_layout && layout != NULL) {
		pmt_err(e, 1123, "LayoutTemplate",
		        "A Layout template cannot have a LayoutTemplate.%s%s",
		        NULL, NULL);
		goto out;
	}
	if (layout != NULL && !compat_postmark_tmpl_alias_ok(layout)) {
		pmt_err(e, 1101, "LayoutTemplate",
		        "The LayoutTemplate '%.60s' was not found.%s", layout,
		        NULL);
		goto out;
	}
	if (!is_layout && (part[TMPL_PART_SUBJECT] == NULL ||
	                   part[TMPL_PART_SUBJECT][0] == '\0')) {
		pmt_err(e, 1120, "Subject",
		        "The 'Subject' field is required.%s%s", NULL, NULL);
		goto out;
	}
	if (is_layout && part[TMPL_PART_SUBJECT] != NULL) {
		pmt_err(e, 1123, "Subject",
		        "A Layout template has no 'Subject'.%s%s", NULL, NULL);
		goto out;
	}
	if ((part[TMPL_PART_HTML] == NULL || part[TMPL_PART_HTML][0] == '\0') &&
	    (part[TMPL_PART_TEXT] == NULL || part[TMPL_PART_TEXT][0] == '\0')) {
		pmt_err(e, 1120, "HtmlBody",
		        "Either 'HtmlBody' or 'TextBody' is required.%s%s",
		        NULL, NULL);
		goto out;
	}
	for (i = 0; i < TMPL_PARTS; i++) {
		if (part[i] == NULL)
			continue;
		if (i == TMPL_PART_SUBJECT && pmt_placeholders(part[i]) > 0) {
			pmt_err(e, 1131, pmt_part_keys[i],
			        "The layout content placeholder must not be "
			        "present in the Subject.%s%s",
			        NULL, NULL);
			goto out;
		}
		if (is_layout && i != TMPL_PART_SUBJECT &&
		    pmt_placeholders(part[i]) != 1) {
			pmt_err(e, 1130, pmt_part_keys[i],
			        "The layout content placeholder {{{@content}}} "
			        "must be present exactly once in the %s.%s",
			        pmt_part_keys[i], NULL);
			goto out;
		}
	}
	out->dialect = TMPL_MUSTACHIO;
	for (i = 0; i < TMPL_PARTS; i++)
		out->part[i] = (char *)part[i];
	ent = tmpl_store_entry_new(out, &bad, &err);
	memset(out, 0, sizeof(*out));
	if (ent == NULL) {
		char where[96];

		snprintf(where, sizeof(where), "line %u, column %u", err.line,
		         err.col);
		pmt_err(e, err.line == 0 ? 1121 : 1122, pmt_part_keys[bad],
		        "The template does not parse: %s: %.120s",
		        err.line == 0 ? pmt_part_keys[bad] : where, err.msg);
		goto out;
	}
	tmpl_store_entry_free(ent);
	out->dialect = TMPL_MUSTACHIO;
	snprintf(out->name, sizeof(out->name), "%s", id);
	for (i = 0; i < TMPL_PARTS; i++)
		out->part[i] = part[i] != NULL ? xstrdup(part[i]) : NULL;
	m = json_pack("{s:s,s:s,s:s,s:s?,s:s?}", "postmark", "template", "Name",
	              name, "TemplateType", type, "Alias", alias,
	              "LayoutTemplate", layout);
	out->meta = json_dumps(m, JSON_COMPACT);
	json_decref(m);
	rc = 0;
out:
	json_decref(bm);
	return rc;
}

json_t *
compat_postmark_tmpl_json(const struct tmpl_version *v, int full)
{
	json_t *m = pmt_meta(v), *o, *x;
	const char *type =
	    json_string_value(json_object_get(m, "TemplateType"));
	int i;

	o = json_pack("{s:I,s:s,s:b,s:s}", "TemplateId",
	              (json_int_t)strtoll(v->name, NULL, 10), "Name",
	              json_string_value(json_object_get(m, "Name")) != NULL
	                  ? json_string_value(json_object_get(m, "Name"))
	                  : v->name,
	              "Active", 1, "TemplateType",
	              type != NULL ? type : "Standard");
	x = json_object_get(m, "Alias");
	json_object_set_new(o, "Alias",
	                    json_is_string(x) ? json_copy(x) : json_null());
	x = json_object_get(m, "LayoutTemplate");
	json_object_set_new(o, "LayoutTemplate",
	                    json_is_string(x) ? json_copy(x) : json_null());
	if (full) {
		for (i = 0; i < TMPL_PARTS; i++)
			json_object_set_new(o, pmt_part_keys[i],
			                    v->part[i] != NULL
			                        ? json_string(v->part[i])
			                        : json_null());
		json_object_set_new(o, "AssociatedServerId", json_integer(1));
	}
	json_decref(m);
	return o;
}

/* pmt_section - one part's validation: parse s, render it (inside
 * layout's part when given), suggest its model into sugg. *ok cleared
 * when it does not parse or render. */
static json_t *
pmt_section(const char *s, int part, int is_layout,
            const struct tmpl_store_entry *layout, const json_t *model,
            json_t *sugg, int *ok)
{
	json_t *errs = json_array(), *o;
	struct tmpl_render_opts ro;
	struct tmpl_error err;
	struct tmpl *t = NULL;
	struct buf b;
	int rc = 0;

	buf_init(&b);
	if (s != NULL) {
		t = tmpl_parse(TMPL_MUSTACHIO, s, strlen(s), &err);
		if (t == NULL) {
			json_array_append_new(
			    errs, json_pack("{s:s,s:i,s:i}", "Message", err.msg,
			                    "Line", (int)err.line,
			                    "CharacterPosition", (int)err.col));
		} else {
			tmpl_suggest_model(t, sugg);
			memset(&ro, 0, sizeof(ro));
			ro.escape = part == TMPL_PART_HTML ? TMPL_ESCAPE_HTML
			                                   : TMPL_ESCAPE_NONE;
			if (layout != NULL && layout->t[part] != NULL &&
			    part != TMPL_PART_SUBJECT)
				rc = tmpl_render_layout(layout->t[part], t,
				                        model, &ro, &b, &err);
			else
				rc = tmpl_render(t, model, &ro, &b, &err);
			if (rc != 0)
				json_array_append_new(
				    errs,
				    json_pack("{s:s,s:i,s:i}", "Message",
				              err.msg, "Line", (int)err.line,
				              "CharacterPosition",
				              (int)err.col));
		}
		if (is_layout && part != TMPL_PART_SUBJECT &&
		    pmt_placeholders(s) != 1)
			json_array_append_new(
			    errs, json_pack("{s:s,s:i,s:i}", "Message",
			                    "The layout content placeholder "
			                    "{{{@content}}} must be present "
			                    "exactly once.",
			                    "Line", 1, "CharacterPosition", 1));
		if (part == TMPL_PART_SUBJECT && pmt_placeholders(s) > 0)
			json_array_append_new(
			    errs,
			    json_pack("{s:s,s:i,s:i}", "Message",
			              "The layout content placeholder "
			              "must not be present in the Subject.",
			              "Line", 1, "CharacterPosition", 1));
	}
	tmpl_free(t);
	if (json_array_size(errs) > 0)
		*ok = 0;
	o = json_pack("{s:b,s:o,s:s%}", "ContentIsValid",
	              json_array_size(errs) == 0, "ValidationErrors", errs,
	              "RenderedContent",
	              json_array_size(errs) == 0 && b.p != NULL ? b.p : "",
	              json_array_size(errs) == 0 ? b.len : 0);
	buf_fini(&b);
	return o;
}

json_t *
compat_postmark_tmpl_validate(json_t *body,
                              const struct tmpl_store_entry *layout,
                              struct api_error *e)
{
	static const char *const keys[] = {"Subject",
	                                   "HtmlBody",
	                                   "TextBody",
	                                   "TestRenderModel",
	                                   "TemplateType",
	                                   "LayoutTemplate",
	                                   "InlineCssForHtmlTestRender"};
	const char *k, *part[TMPL_PARTS] = {NULL}, *type = "Standard";
	json_t *v, *model = NULL, *sugg, *o;
	size_t i;
	int ok = 1, any = 0;

	if (!json_is_object(body)) {
		pmt_err(e, 402, "", "Received invalid JSON input.%s%s", NULL,
		        NULL);
		return NULL;
	}
	json_object_foreach(body, k, v)
	{
		for (i = 0; i < 7 && strcasecmp(keys[i], k) != 0; i++)
			;
		if (i == 7) {
			pmt_err(e, 1123, k,
			        "The field '%.60s' is not allowed in a "
			        "validation request.%s",
			        k, NULL);
			return NULL;
		}
		if (json_is_null(v))
			continue;
		if (i == 3) {
			if (!json_is_object(v)) {
				pmt_err(e, 1122, "TestRenderModel",
				        "'TestRenderModel' must be an "
				        "object.%s%s",
				        NULL, NULL);
				return NULL;
			}
			model = v;
			continue;
		}
		if (i == 6) {
			if (!json_is_boolean(v)) {
				pmt_err(e, 1122, keys[i],
				        "'%s' must be true or false.%s",
				        keys[i], NULL);
				return NULL;
			}
			continue;
		}
		if (!json_is_string(v) ||
		    strlen(json_string_value(v)) != json_string_length(v)) {
			pmt_err(e, 1122, keys[i],
			        "The field '%s' must be a string.%s", keys[i],
			        NULL);
			return NULL;
		}
		if (i < TMPL_PARTS) {
			part[i] = json_string_value(v);
			any = 1;
		} else if (i == 4) {
			type = json_string_value(v);
		}
	}
	if (strcmp(type, "Standard") != 0 && strcmp(type, "Layout") != 0) {
		pmt_err(e, 1122, "TemplateType",
		        "'TemplateType' must be Standard or Layout.%s%s", NULL,
		        NULL);
		return NULL;
	}
	if (!any) {
		pmt_err(e, 1120, "HtmlBody",
		        "Provide a 'Subject', 'HtmlBody' or 'TextBody' to "
		        "validate.%s%s",
		        NULL, NULL);
		return NULL;
	}
	sugg = json_object();
	/* The layout's own names too (its {{company}} and the like). */
	for (i = TMPL_PART_HTML; layout != NULL && i < TMPL_PARTS; i++)
		tmpl_suggest_model(layout->t[i], sugg);
	o = json_object();
	for (i = 0; i < TMPL_PARTS; i++)
		json_object_set_new(
		    o, pmt_part_keys[i],
		    pmt_section(part[i], (int)i, strcmp(type, "Layout") == 0,
		                strcmp(type, "Layout") == 0 ? NULL : layout,
		                model != NULL ? model : sugg, sugg, &ok));
	json_object_set_new(o, "AllContentIsValid", json_boolean(ok));
	json_object_set_new(o, "SuggestedTemplateModel", sugg);
	return o;
}
