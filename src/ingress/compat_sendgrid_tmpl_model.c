/*
 * compat_sendgrid_tmpl_model.c - SendGrid's template API, the pure part
 * (compat_sendgrid_tmpl.h): request bodies decoded and checked, a
 * template's store rows as SendGrid's template and versions.
 *
 * No I/O, no logging, no global state (ids come from the CSPRNG).
 */
#include "ingress/compat_sendgrid_tmpl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "core/xmalloc.h"
#include "ingress/compat.h"

int
compat_sendgrid_tmpl_id_ok(const char *s)
{
	size_t i;

	if (s == NULL || strncmp(s, "d-", 2) != 0 || strlen(s) != 34)
		return 0;
	for (i = 2; i < 34; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* sgt_hex - n random octets as 2n hex digits into out. */
static void
sgt_hex(char *out, size_t n)
{
	unsigned char r[16];
	size_t i;

	if (n > sizeof(r) || RAND_bytes(r, (int)n) != 1)
		abort(); /* the CSPRNG failed: nothing sane to do */
	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
}

void
compat_sendgrid_tmpl_id_new(char out[TMPL_STORE_NAME_MAX])
{
	memcpy(out, "d-", 2);
	sgt_hex(out + 2, 16);
}

void
compat_sendgrid_tmpl_vid_new(char out[SGT_VID_SIZE])
{
	char h[33];

	sgt_hex(h, 16);
	h[12] = '4';
	h[16] = "89ab"[(h[16] - '0') & 3];
	snprintf(out, SGT_VID_SIZE, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8,
	         h + 12, h + 16, h + 20);
}

void
compat_sendgrid_tmpl_time(int64_t ms, char out[20])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, 20, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(out, 20, "1970-01-01 00:00:00");
}

/* sgt_string - member k of body: absent (NULL, 0), or a string without
 * NUL of at most max characters (0: octets limit SGT_CONTENT_MAX). -1
 * with *e otherwise. */
static int
sgt_string(json_t *body, const char *k, size_t max, const char **out,
           struct api_error *e)
{
	json_t *v = json_object_get(body, k);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v) ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return api_error_set(e, 400, "invalid_field", k,
		                     "%s must be a string", k);
	if (max != 0 ? compat_utf8_chars(json_string_value(v)) > max
	             : json_string_length(v) > SGT_CONTENT_MAX)
		return api_error_set(e, 400, "invalid_field", k,
		                     "%s is too long (at most %zu)", k,
		                     max != 0 ? max : (size_t)SGT_CONTENT_MAX);
	*out = json_string_value(v);
	return 0;
}

/* sgt_keys - refuse a member of body not in known. */
static int
sgt_keys(json_t *body, const char *const *known, struct api_error *e)
{
	const char *k;
	json_t *v;
	size_t i;

	json_object_foreach(body, k, v)
	{
		for (i = 0; known[i] != NULL && strcmp(known[i], k) != 0; i++)
			;
		if (known[i] == NULL)
			return api_error_set(e, 400, "invalid_field", "",
			                     "'%.60s' is not a field of this "
			                     "request",
			                     k);
	}
	return 0;
}

int
compat_sendgrid_tmpl_template_decode(json_t *body, int create,
                                     const char **name, struct api_error *e)
{
	static const char *const known_c[] = {"name", "generation", NULL};
	static const char *const known_p[] = {"name", NULL};
	const char *gen = NULL, *n = NULL;

	*name = NULL;
	if (!json_is_object(body))
		return api_error_set(e, 400, "invalid_json", "",
		                     "The request body must be a JSON object");
	if (sgt_keys(body, create ? known_c : known_p, e) < 0 ||
	    sgt_string(body, "name", SGT_NAME_MAX, &n, e) < 0 ||
	    (create && sgt_string(body, "generation", 16, &gen, e) < 0))
		return -1;
	if (n == NULL || n[0] == '\0')
		return api_error_set(e, 400, "missing_field", "name",
		                     "name is required");
	if (create && gen != NULL && strcmp(gen, "legacy") != 0 &&
	    strcmp(gen, "dynamic") != 0)
		return api_error_set(e, 400, "invalid_field", "generation",
		                     "generation must be legacy or dynamic");
	if (create && (gen == NULL || strcmp(gen, "dynamic") != 0))
		return api_error_set(e, 400, "invalid_field", "generation",
		                     "legacy templates are not served by "
		                     "swerve: create a dynamic template "
		                     "(\"generation\": \"dynamic\")");
	*name = n;
	return 0;
}

char *
compat_sendgrid_tmpl_template_meta(const char *name)
{
	json_t *o = json_pack("{s:s,s:s,s:s}", "sendgrid", "template", "name",
	                      name, "generation", "dynamic");
	char *s = json_dumps(o, JSON_COMPACT);

	json_decref(o);
	return s;
}

/* sgt_meta - row's meta as an object (new reference), or NULL. */
static json_t *
sgt_meta(const struct tmpl_version *row)
{
	json_t *o;

	if (row->meta == NULL)
		return NULL;
	o = json_loads(row->meta, 0, NULL);
	if (!json_is_object(o)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* sgt_meta_str - meta member k as a string, or def. */
static const char *
sgt_meta_str(json_t *meta, const char *k, const char *def)
{
	const char *s = json_string_value(json_object_get(meta, k));

	return s != NULL ? s : def;
}

int
compat_sendgrid_tmpl_version_decode(json_t *body,
                                    const struct tmpl_version *base,
                                    const char *vid, struct tmpl_version *out,
                                    int *active, struct api_error *e)
{
	static const char *const known[] = {
	    "template_id",   "active",
	    "name",          "html_content",
	    "plain_content", "generate_plain_content",
	    "subject",       "editor",
	    "test_data",     NULL};
	static const char *const part_keys[TMPL_PARTS] = {
	    "subject", "html_content", "plain_content"};
	const char *name, *editor, *test_data, *part[TMPL_PARTS];
	json_t *bmeta = base != NULL ? sgt_meta(base) : NULL, *m, *v;
	struct tmpl_store_entry *ent;
	struct tmpl_error err;
	enum tmpl_part bad;
	int gpc, i;

	memset(out, 0, sizeof(*out));
	*active = -1;
	if (!json_is_object(body)) {
		json_decref(bmeta);
		return api_error_set(e, 400, "invalid_json", "",
		                     "The request body must be a JSON object");
	}
	if (sgt_keys(body, known, e) < 0 ||
	    sgt_string(body, "name", SGT_NAME_MAX, &name, e) < 0 ||
	    sgt_string(body, "subject", SGT_SUBJECT_MAX,
	               &part[TMPL_PART_SUBJECT], e) < 0 ||
	    sgt_string(body, "html_content", 0, &part[TMPL_PART_HTML], e) < 0 ||
	    sgt_string(body, "plain_content", 0, &part[TMPL_PART_TEXT], e) <
	        0 ||
	    sgt_string(body, "editor", 16, &editor, e) < 0 ||
	    sgt_string(body, "test_data", 0, &test_data, e) < 0) {
		json_decref(bmeta);
		return -1;
	}
	v = json_object_get(body, "active");
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_integer(v) || (json_integer_value(v) != 0 &&
		                            json_integer_value(v) != 1)) {
			json_decref(bmeta);
			return api_error_set(e, 400, "invalid_field", "active",
			                     "active must be 0 or 1");
		}
		*active = (int)json_integer_value(v);
	}
	v = json_object_get(body, "generate_plain_content");
	if (v != NULL && !json_is_null(v) && !json_is_boolean(v)) {
		json_decref(bmeta);
		return api_error_set(
		    e, 400, "invalid_field", "generate_plain_content",
		    "generate_plain_content must be a boolean");
	}
	gpc =
	    json_is_boolean(v)
	        ? json_is_true(v)
	        : bmeta == NULL ||
	              json_is_true(
	                  json_object_get(bmeta, "generate_plain_content")) ||
	              json_object_get(bmeta, "generate_plain_content") == NULL;
	if (editor != NULL && strcmp(editor, "code") != 0 &&
	    strcmp(editor, "design") != 0) {
		json_decref(bmeta);
		return api_error_set(e, 400, "invalid_field", "editor",
		                     "editor must be code or design");
	}
	/* An edit keeps what the body does not change. */
	if (base != NULL) {
		if (name == NULL)
			name = sgt_meta_str(bmeta, "name", base->name);
		if (editor == NULL)
			editor = sgt_meta_str(bmeta, "editor", NULL);
		if (test_data == NULL)
			test_data = sgt_meta_str(bmeta, "test_data", NULL);
		for (i = 0; i < TMPL_PARTS; i++)
			if (!json_object_get(body, part_keys[i]))
				part[i] = base->part[i];
	}
	if (name == NULL || name[0] == '\0' ||
	    part[TMPL_PART_SUBJECT] == NULL) {
		json_decref(bmeta);
		return api_error_set(
		    e, 400, "missing_field",
		    name == NULL || name[0] == '\0' ? "name" : "subject",
		    "%s is required",
		    name == NULL || name[0] == '\0' ? "name" : "subject");
	}
	out->dialect = TMPL_HANDLEBARS;
	for (i = 0; i < TMPL_PARTS; i++)
		out->part[i] = (char *)part[i];
	ent = tmpl_store_entry_new(out, &bad, &err);
	if (ent == NULL) {
		memset(out, 0, sizeof(*out));
		json_decref(bmeta);
		return api_error_set(e, 400, "invalid_field", part_keys[bad],
		                     "%s: line %u, column %u: %s",
		                     part_keys[bad], err.line, err.col,
		                     err.msg);
	}
	tmpl_store_entry_free(ent);
	for (i = 0; i < TMPL_PARTS; i++)
		out->part[i] = part[i] != NULL ? xstrdup(part[i]) : NULL;
	m = json_pack("{s:s,s:s,s:s,s:s,s:b}", "sendgrid", "version", "id", vid,
	              "name", name, "editor", editor != NULL ? editor : "code",
	              "generate_plain_content", gpc);
	if (test_data != NULL)
		json_object_set_new(m, "test_data", json_string(test_data));
	out->meta = json_dumps(m, JSON_COMPACT);
	json_decref(m);
	json_decref(bmeta);
	return 0;
}

/* sgt_row_kind - 't' a template record, 'v' a version, 0 neither (a
 * store version without parts and without SendGrid meta); *id gets a
 * version's id. */
static int
sgt_row_kind(const struct tmpl_version *row, char id[SGT_VID_SIZE])
{
	json_t *m = sgt_meta(row);
	const char *kind = sgt_meta_str(m, "sendgrid", NULL);
	int k = 0;

	if (kind != NULL && strcmp(kind, "template") == 0) {
		k = 't';
	} else if (kind != NULL && strcmp(kind, "version") == 0 &&
	           strlen(sgt_meta_str(m, "id", "")) == SGT_VID_SIZE - 1) {
		snprintf(id, SGT_VID_SIZE, "%s", sgt_meta_str(m, "id", ""));
		k = 'v';
	} else if (kind == NULL && (row->part[TMPL_PART_HTML] != NULL ||
	                            row->part[TMPL_PART_TEXT] != NULL ||
	                            row->part[TMPL_PART_SUBJECT] != NULL)) {
		snprintf(id, SGT_VID_SIZE, "00000000-0000-4000-8000-%012d",
		         row->version % 1000000000);
		k = 'v';
	}
	json_decref(m);
	return k;
}

void
compat_sendgrid_tmpl_model_build(const struct tmpl_version *rows, size_t n,
                                 struct compat_sendgrid_tmpl_model *m)
{
	char id[SGT_VID_SIZE];
	json_t *meta;
	size_t i, j;
	int k;

	memset(m, 0, sizeof(*m));
	m->rows = rows;
	m->n = n;
	m->last_record = n;
	if (n > 0)
		snprintf(m->name, sizeof(m->name), "%s", rows[0].name);
	for (i = 0; i < n; i++) {
		if (rows[i].created_ms > m->updated)
			m->updated = rows[i].created_ms;
		k = sgt_row_kind(&rows[i], id);
		if (k == 't') {
			m->last_record = i;
			meta = sgt_meta(&rows[i]);
			snprintf(m->name, sizeof(m->name), "%s",
			         sgt_meta_str(meta, "name", rows[i].name));
			json_decref(meta);
			continue;
		}
		if (k != 'v')
			continue;
		for (j = 0; j < m->nv && strcmp(m->v[j].id, id) != 0; j++)
			;
		if (j == m->nv) {
			m->v = xreallocarray(m->v, m->nv + 1, sizeof(*m->v));
			memset(&m->v[j], 0, sizeof(m->v[j]));
			snprintf(m->v[j].id, sizeof(m->v[j].id), "%s", id);
			m->nv++;
		}
		m->v[j].row = i;
		m->v[j].n_rows++;
		m->v[j].updated = rows[i].created_ms;
	}
}

void
compat_sendgrid_tmpl_model_fini(struct compat_sendgrid_tmpl_model *m)
{
	free(m->v);
	memset(m, 0, sizeof(*m));
}

const struct compat_sendgrid_tmpl_ver *
compat_sendgrid_tmpl_model_find(const struct compat_sendgrid_tmpl_model *m,
                                const char *vid)
{
	size_t i;

	for (i = 0; i < m->nv; i++)
		if (strcmp(m->v[i].id, vid) == 0)
			return &m->v[i];
	return NULL;
}

/* sgt_version_obj - version v, with its content when full. */
static json_t *
sgt_version_obj(const struct compat_sendgrid_tmpl_model *m,
                const struct compat_sendgrid_tmpl_ver *v, int full)
{
	const struct tmpl_version *row = &m->rows[v->row];
	json_t *meta = sgt_meta(row), *o, *gpc;
	const char *td;
	char at[20];

	compat_sendgrid_tmpl_time(v->updated, at);
	gpc = json_object_get(meta, "generate_plain_content");
	o = json_pack(
	    "{s:s,s:s,s:i,s:s,s:s,s:b,s:s,s:s,s:s}", "id", v->id, "template_id",
	    row->name, "active", row->active ? 1 : 0, "name",
	    sgt_meta_str(meta, "name", row->name), "subject",
	    row->part[TMPL_PART_SUBJECT] != NULL ? row->part[TMPL_PART_SUBJECT]
	                                         : "",
	    "generate_plain_content", gpc == NULL || json_is_true(gpc),
	    "updated_at", at, "editor", sgt_meta_str(meta, "editor", "code"),
	    "thumbnail_url", "");
	if (full) {
		json_object_set_new(
		    o, "html_content",
		    json_string(row->part[TMPL_PART_HTML] != NULL
		                    ? row->part[TMPL_PART_HTML]
		                    : ""));
		json_object_set_new(
		    o, "plain_content",
		    json_string(row->part[TMPL_PART_TEXT] != NULL
		                    ? row->part[TMPL_PART_TEXT]
		                    : ""));
		td = sgt_meta_str(meta, "test_data", NULL);
		if (td != NULL)
			json_object_set_new(o, "test_data", json_string(td));
	}
	json_decref(meta);
	return o;
}

json_t *
compat_sendgrid_tmpl_version_json(const struct compat_sendgrid_tmpl_model *m,
                                  const struct compat_sendgrid_tmpl_ver *v)
{
	return sgt_version_obj(m, v, 1);
}

json_t *
compat_sendgrid_tmpl_template_json(const struct compat_sendgrid_tmpl_model *m,
                                   int full)
{
	json_t *vs = json_array();
	char at[20];
	size_t i;

	for (i = 0; i < m->nv; i++)
		json_array_append_new(vs, sgt_version_obj(m, &m->v[i], full));
	compat_sendgrid_tmpl_time(m->updated, at);
	return json_pack("{s:s,s:s,s:s,s:s,s:o}", "id",
	                 m->n > 0 ? m->rows[0].name : "", "name", m->name,
	                 "generation", "dynamic", "updated_at", at, "versions",
	                 vs);
}
