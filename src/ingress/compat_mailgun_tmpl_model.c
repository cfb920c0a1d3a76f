/*
 * compat_mailgun_tmpl_model.c - Mailgun's template API, the pure part
 * (compat_mailgun_tmpl.h): paths, versions checked, a template's store
 * rows as Mailgun's template and versions.
 *
 * No I/O, no logging, no global state.
 */
#include "ingress/compat_mailgun_tmpl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/xmalloc.h"

int
compat_mailgun_tmpl_path(const char *path)
{
	const char *s;

	if (strncmp(path, "/v3/", 4) != 0 ||
	    (s = strchr(path + 4, '/')) == NULL || s == path + 4)
		return 0;
	return strncmp(s, "/templates", 10) == 0 &&
	       (s[10] == '\0' || s[10] == '/');
}

/* mgt_meta - row's meta as an object (new reference), or NULL. */
static json_t *
mgt_meta(const struct tmpl_version *row)
{
	json_t *o = row->meta != NULL ? json_loads(row->meta, 0, NULL) : NULL;

	if (!json_is_object(o)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* mgt_kind - 'r' a record, 'v' a version (tag into tag), 0 neither. */
static int
mgt_kind(const struct tmpl_version *row, char tag[MGT_TAG_MAX + 1])
{
	json_t *m = mgt_meta(row);
	const char *kind = json_string_value(json_object_get(m, "mailgun"));
	const char *t = json_string_value(json_object_get(m, "tag"));
	int k = 0;

	if (kind != NULL && strcmp(kind, "template") == 0) {
		k = 'r';
	} else if (kind != NULL && strcmp(kind, "version") == 0 && t != NULL &&
	           strlen(t) <= MGT_TAG_MAX) {
		snprintf(tag, MGT_TAG_MAX + 1, "%s", t);
		k = 'v';
	} else if (m == NULL && (row->part[TMPL_PART_HTML] != NULL ||
	                         row->part[TMPL_PART_TEXT] != NULL)) {
		snprintf(tag, MGT_TAG_MAX + 1, "v%d", row->version);
		k = 'v';
	}
	json_decref(m);
	return k;
}

void
compat_mailgun_tmpl_model_build(const struct tmpl_version *rows, size_t n,
                                struct compat_mailgun_tmpl_model *m)
{
	char tag[MGT_TAG_MAX + 1];
	json_t *meta, *d;
	size_t i, j;
	int k;

	memset(m, 0, sizeof(*m));
	m->rows = rows;
	m->n = n;
	m->last_record = n;
	for (i = 0; i < n; i++) {
		k = mgt_kind(&rows[i], tag);
		meta = mgt_meta(&rows[i]);
		d = json_object_get(meta, "description");
		/* The newest row that says one. */
		if (json_is_string(d)) {
			json_decref(m->desc_json);
			m->desc_json = json_incref(d);
		}
		json_decref(meta);
		if (k == 'r')
			m->last_record = i;
		if (k != 'v')
			continue;
		for (j = 0; j < m->nv && strcmp(m->v[j].tag, tag) != 0; j++)
			;
		if (j == m->nv) {
			m->v = xreallocarray(m->v, m->nv + 1, sizeof(*m->v));
			memset(&m->v[j], 0, sizeof(m->v[j]));
			snprintf(m->v[j].tag, sizeof(m->v[j].tag), "%s", tag);
			m->nv++;
		}
		m->v[j].row = i;
		m->v[j].n_rows++;
	}
	m->description =
	    m->desc_json != NULL ? json_string_value(m->desc_json) : "";
}

void
compat_mailgun_tmpl_model_fini(struct compat_mailgun_tmpl_model *m)
{
	json_decref(m->desc_json);
	free(m->v);
	memset(m, 0, sizeof(*m));
}

const struct compat_mailgun_tmpl_ver *
compat_mailgun_tmpl_model_find(const struct compat_mailgun_tmpl_model *m,
                               const char *tag)
{
	size_t i;

	for (i = 0; i < m->nv; i++)
		if (strcmp(m->v[i].tag, tag) == 0)
			return &m->v[i];
	return NULL;
}

/* mgt_time - Mailgun's RFC 2822-like time of ms. */
static json_t *
mgt_time(int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	char out[40];
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, sizeof(out), "%a, %d %b %Y %H:%M:%S UTC", &tm) == 0)
		snprintf(out, sizeof(out), "Thu, 01 Jan 1970 00:00:00 UTC");
	return json_string(out);
}

/* mgt_version_obj - one version, with its content when content. */
static json_t *
mgt_version_obj(const struct compat_mailgun_tmpl_model *m,
                const struct compat_mailgun_tmpl_ver *v, int content)
{
	const struct tmpl_version *row = &m->rows[v->row];
	json_t *meta = mgt_meta(row), *o;
	const char *cm = json_string_value(json_object_get(meta, "comment"));
	char id[240];

	snprintf(id, sizeof(id), "%s.%s", row->name, v->tag);
	o = json_pack("{s:o,s:s,s:s,s:s,s:b,s:s,s:s}", "createdAt",
	              mgt_time(row->created_ms), "engine", "handlebars", "tag",
	              v->tag, "comment", cm != NULL ? cm : "", "active",
	              row->active != 0, "id", id, "mjml", "");
	if (content)
		json_object_set_new(
		    o, "template",
		    json_string(row->part[TMPL_PART_HTML] != NULL
		                    ? row->part[TMPL_PART_HTML]
		                    : ""));
	json_decref(meta);
	return o;
}

json_t *
compat_mailgun_tmpl_json(const struct compat_mailgun_tmpl_model *m,
                         const struct compat_mailgun_tmpl_ver *v, int content,
                         int versions)
{
	json_t *o, *vs;
	size_t i;

	o = json_pack("{s:s,s:s,s:o,s:s,s:s}", "name",
	              m->n > 0 ? m->rows[0].name : "", "description",
	              m->description, "createdAt",
	              mgt_time(m->n > 0 ? m->rows[0].created_ms : 0),
	              "createdBy", "", "id", m->n > 0 ? m->rows[0].name : "");
	if (v != NULL)
		json_object_set_new(o, "version",
		                    mgt_version_obj(m, v, content));
	if (versions) {
		vs = json_array();
		for (i = 0; i < m->nv; i++)
			json_array_append_new(vs,
			                      mgt_version_obj(m, &m->v[i], 0));
		json_object_set_new(o, "versions", vs);
	}
	return o;
}

char *
compat_mailgun_tmpl_record_meta(const char *description)
{
	json_t *o = json_pack("{s:s,s:s}", "mailgun", "template", "description",
	                      description != NULL ? description : "");
	char *s = json_dumps(o, JSON_COMPACT);

	json_decref(o);
	return s;
}

/* mgt_tag_ok - a tag: 1..100 of letters, digits, '-', '_', '.'. */
static int
mgt_tag_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= MGT_TAG_MAX ||
		    !((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		      s[i] == '_' || s[i] == '.'))
			return 0;
	return i > 0;
}

/* mgt_utf8 - is s (NULL: yes) UTF-8? */
static int
mgt_utf8(const char *s)
{
	json_t *j;

	if (s == NULL)
		return 1;
	j = json_string(s);
	json_decref(j);
	return j != NULL;
}

int
compat_mailgun_tmpl_version(const char *content, const char *tag,
                            const char *comment, const char *engine,
                            const char *description,
                            const struct tmpl_version *base,
                            struct tmpl_version *out, struct api_error *e)
{
	json_t *bm = base != NULL ? mgt_meta(base) : NULL, *m;
	struct tmpl_store_entry *ent;
	struct tmpl_error err;
	enum tmpl_part bad;

	memset(out, 0, sizeof(*out));
	/* Form values are bytes: what is kept must be text. */
	if (!mgt_utf8(content) || !mgt_utf8(tag) || !mgt_utf8(comment) ||
	    !mgt_utf8(description)) {
		json_decref(bm);
		return api_error_set(e, 400, "invalid_field", "template",
		                     "template, tag, comment and description "
		                     "must be UTF-8");
	}
	if (content == NULL && base != NULL)
		content = base->part[TMPL_PART_HTML];
	if (comment == NULL)
		comment = json_string_value(json_object_get(bm, "comment"));
	if (description == NULL)
		description =
		    json_string_value(json_object_get(bm, "description"));
	if (content == NULL || content[0] == '\0') {
		json_decref(bm);
		return api_error_set(e, 400, "missing_field", "template",
		                     "Missing mandatory parameter: template");
	}
	if (tag == NULL || !mgt_tag_ok(tag)) {
		json_decref(bm);
		return api_error_set(e, 400, "invalid_field", "tag",
		                     tag == NULL
		                         ? "Missing mandatory parameter: tag"
		                         : "tag: letters, digits, '-', '_' or "
		                           "'.', at most 100");
	}
	if (engine != NULL && strcmp(engine, "handlebars") != 0) {
		json_decref(bm);
		return api_error_set(e, 400, "invalid_field", "engine",
		                     "engine: only handlebars is served");
	}
	out->dialect = TMPL_HANDLEBARS;
	out->part[TMPL_PART_HTML] = (char *)content;
	ent = tmpl_store_entry_new(out, &bad, &err);
	memset(out, 0, sizeof(*out));
	if (ent == NULL) {
		json_decref(bm);
		return api_error_set(e, 400, "invalid_field", "template",
		                     "template: line %u, column %u: %s",
		                     err.line, err.col, err.msg);
	}
	tmpl_store_entry_free(ent);
	out->dialect = TMPL_HANDLEBARS;
	out->part[TMPL_PART_HTML] = xstrdup(content);
	m = json_pack("{s:s,s:s,s:s,s:s}", "mailgun", "version", "tag", tag,
	              "comment", comment != NULL ? comment : "", "engine",
	              "handlebars");
	if (description != NULL)
		json_object_set_new(m, "description", json_string(description));
	out->meta = json_dumps(m, JSON_COMPACT);
	json_decref(m);
	json_decref(bm);
	return 0;
}
