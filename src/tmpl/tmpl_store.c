/*
 * tmpl_store.c - what every template store backend shares
 * (tmpl_store.h): names, parsing a version into an entry, rendering an
 * entry, the installed store.
 */
#include "tmpl/tmpl_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"

int
tmpl_store_name_ok(const char *s)
{
	size_t i;

	if (s == NULL || s[0] == '\0' || s[0] == '.')
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		char c = s[i];
		if (i + 1 >= TMPL_STORE_NAME_MAX)
			return 0;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-' ||
		      c == '.'))
			return 0;
	}
	return 1;
}

int
tmpl_store_dialect_parse(const char *s)
{
	enum tmpl_dialect d;

	return s != NULL && tmpl_dialect_parse_name(s, &d) == 0 ? (int)d : -1;
}

const char *
tmpl_part_name(enum tmpl_part p)
{
	static const char *const names[] = {"subject", "html", "text"};

	return (unsigned)p < TMPL_PARTS ? names[p] : "?";
}

void
tmpl_version_copy(struct tmpl_version *dst, const struct tmpl_version *src)
{
	int i;

	*dst = *src;
	for (i = 0; i < TMPL_PARTS; i++)
		dst->part[i] =
		    src->part[i] != NULL ? xstrdup(src->part[i]) : NULL;
	dst->meta = src->meta != NULL ? xstrdup(src->meta) : NULL;
}

void
tmpl_version_fini(struct tmpl_version *v)
{
	int i;

	if (v == NULL)
		return;
	for (i = 0; i < TMPL_PARTS; i++) {
		free(v->part[i]);
		v->part[i] = NULL;
	}
	free(v->meta);
	v->meta = NULL;
}

void
tmpl_store_entry_free(struct tmpl_store_entry *e)
{
	int i;

	if (e == NULL)
		return;
	for (i = 0; i < TMPL_PARTS; i++)
		tmpl_free(e->t[i]);
	tmpl_version_fini(&e->v);
	free(e);
}

struct tmpl_store_entry *
tmpl_store_entry_new(const struct tmpl_version *v, enum tmpl_part *bad,
                     struct tmpl_error *err)
{
	struct tmpl_store_entry *e;
	size_t total = 0;
	int i;

	memset(err, 0, sizeof(*err));
	for (i = 0; i < TMPL_PARTS; i++)
		total += v->part[i] != NULL ? strlen(v->part[i]) : 0;
	if (total > TMPL_STORE_SOURCE_MAX) {
		*bad = TMPL_PART_HTML;
		snprintf(err->msg, sizeof(err->msg),
		         "the parts are %zu octets in all, over the limit of "
		         "%d",
		         total, TMPL_STORE_SOURCE_MAX);
		return NULL;
	}
	e = xcalloc(1, sizeof(*e));
	tmpl_version_copy(&e->v, v);
	for (i = 0; i < TMPL_PARTS; i++) {
		if (v->part[i] == NULL)
			continue;
		e->t[i] =
		    tmpl_parse(v->dialect, v->part[i], strlen(v->part[i]), err);
		if (e->t[i] == NULL) {
			*bad = (enum tmpl_part)i;
			tmpl_store_entry_free(e);
			return NULL;
		}
	}
	return e;
}

void
tmpl_rendered_fini(struct tmpl_rendered *r)
{
	int i;

	for (i = 0; i < TMPL_PARTS; i++)
		free(r->part[i]);
	memset(r, 0, sizeof(*r));
}

int
tmpl_store_render(const struct tmpl_store_entry *e, const json_t *data,
                  const struct tmpl_store_render_opts *o,
                  struct tmpl_rendered *out, enum tmpl_part *bad,
                  struct tmpl_error *err)
{
	return tmpl_store_render_layout(e, NULL, data, o, out, bad, err);
}

int
tmpl_store_render_layout(const struct tmpl_store_entry *e,
                         const struct tmpl_store_entry *layout,
                         const json_t *data,
                         const struct tmpl_store_render_opts *o,
                         struct tmpl_rendered *out, enum tmpl_part *bad,
                         struct tmpl_error *err)
{
	struct tmpl_render_opts ro;
	json_t *empty = NULL;
	struct buf b;
	int i, rc;

	memset(out, 0, sizeof(*out));
	memset(err, 0, sizeof(*err));
	if (data == NULL)
		data = empty = json_object();
	for (i = 0; i < TMPL_PARTS; i++) {
		if (e->t[i] == NULL)
			continue;
		memset(&ro, 0, sizeof(ro));
		ro.escape = o->escape[i];
		ro.missing_is_error = o->missing_is_error;
		buf_init(&b);
		if (layout != NULL && i != TMPL_PART_SUBJECT &&
		    layout->t[i] != NULL)
			rc = tmpl_render_layout(layout->t[i], e->t[i], data,
			                        &ro, &b, err);
		else
			rc = tmpl_render(e->t[i], data, &ro, &b, err);
		if (rc != 0) {
			buf_fini(&b);
			*bad = (enum tmpl_part)i;
			tmpl_rendered_fini(out);
			json_decref(empty);
			return -1;
		}
		out->part[i] = buf_steal(&b, &out->len[i]);
	}
	json_decref(empty);
	return 0;
}

static struct tmpl_store *tmpl_store_installed;

struct tmpl_store *
tmpl_store_active(void)
{
	return tmpl_store_installed;
}

void
tmpl_store_install(struct tmpl_store *s)
{
	tmpl_store_installed = s;
}

void
tmpl_store_free(struct tmpl_store *s)
{
	if (s == NULL)
		return;
	s->be->free(s->impl);
	free(s);
}
