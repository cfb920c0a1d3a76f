/*
 * tmpl.c - templates: parse entry point, release, dialect names, and the
 * helpers the parsers share (node arrays, errors, positions).
 *
 * The dialect parsers live in tmpl_mus.c (Mustache, Mustachio) and
 * tmpl_hbs.c (Handlebars); rendering in tmpl_render.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "tmpl/tmpl.h"
#include "tmpl/tmpl_ast.h"

static const char *const tmpl_dialect_names[] = {
    [TMPL_MUSTACHE] = "mustache",
    [TMPL_HANDLEBARS] = "handlebars",
    [TMPL_MUSTACHIO] = "mustachio",
};

int
tmpl_dialect_parse_name(const char *name, enum tmpl_dialect *d)
{
	size_t i;

	for (i = 0;
	     i < sizeof(tmpl_dialect_names) / sizeof(*tmpl_dialect_names);
	     i++) {
		if (strcmp(name, tmpl_dialect_names[i]) == 0) {
			*d = (enum tmpl_dialect)i;
			return 0;
		}
	}
	return -1;
}

const char *
tmpl_dialect_name(enum tmpl_dialect d)
{
	if ((unsigned)d >=
	    sizeof(tmpl_dialect_names) / sizeof(*tmpl_dialect_names))
		return "unknown";
	return tmpl_dialect_names[d];
}

void
tmpl_error_set(struct tmpl_error *err, enum tmpl_errcode code, unsigned line,
               unsigned col, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	err->code = code;
	err->line = line;
	err->col = col;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

void
tmpl_pos(const char *src, size_t off, unsigned *line, unsigned *col)
{
	size_t i;
	unsigned l = 1, c = 1;

	for (i = 0; i < off; i++) {
		if (src[i] == '\n') {
			l++;
			c = 1;
		} else {
			c++;
		}
	}
	*line = l;
	*col = c;
}

struct tmpl_node *
tmpl_prog_push(struct tmpl_prog *p)
{
	if (p->len == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 8;
		p->n = xreallocarray(p->n, p->cap, sizeof(*p->n));
	}
	memset(&p->n[p->len], 0, sizeof(p->n[p->len]));
	return &p->n[p->len++];
}

/* tmpl_path_fini - release what a path owns. */
static void
tmpl_path_fini(struct tmpl_path *p)
{
	free(p->seg);
	p->seg = NULL;
	p->nseg = 0;
}

/* tmpl_args_free - release an argument array of n entries. */
static void
tmpl_args_free(struct tmpl_arg *a, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		tmpl_path_fini(&a[i].path);
		free(a[i].s);
		if (a[i].sub != NULL) {
			tmpl_expr_fini(a[i].sub);
			free(a[i].sub);
		}
	}
	free(a);
}

void
tmpl_expr_fini(struct tmpl_expr *e)
{
	tmpl_path_fini(&e->path);
	tmpl_args_free(e->args, e->nargs);
	tmpl_args_free(e->hash, e->nhash);
	e->args = e->hash = NULL;
	e->nargs = e->nhash = 0;
}

void
tmpl_prog_fini(struct tmpl_prog *p)
{
	size_t i;

	for (i = 0; i < p->len; i++) {
		struct tmpl_node *n = &p->n[i];

		tmpl_expr_fini(&n->expr);
		tmpl_prog_fini(&n->body);
		tmpl_prog_fini(&n->inverse);
		free(n->indent);
		free(n->bps);
	}
	free(p->n);
	memset(p, 0, sizeof(*p));
}

struct tmpl *
tmpl_parse(enum tmpl_dialect d, const char *src, size_t len,
           struct tmpl_error *err)
{
	struct tmpl *t;
	int rc;

	if ((unsigned)d > TMPL_MUSTACHIO) {
		tmpl_error_set(err, TMPL_ERR_SYNTAX, 0, 0, "unknown dialect %d",
		               (int)d);
		return NULL;
	}
	t = xcalloc(1, sizeof(*t));
	t->dialect = d;
	t->src = xmemdup(len ? src : "", len);
	t->len = len;
	if (d == TMPL_HANDLEBARS)
		rc = tmpl_hbs_parse(t, err);
	else
		rc = tmpl_mus_parse(t, err);
	if (rc != 0) {
		tmpl_free(t);
		return NULL;
	}
	if (err != NULL)
		memset(err, 0, sizeof(*err));
	return t;
}

void
tmpl_free(struct tmpl *t)
{
	if (t == NULL)
		return;
	tmpl_prog_fini(&t->root);
	free(t->src);
	free(t);
}

enum tmpl_dialect
tmpl_dialect_of(const struct tmpl *t)
{
	return t->dialect;
}
