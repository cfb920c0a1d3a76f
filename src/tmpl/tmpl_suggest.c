/*
 * tmpl_suggest.c - a model a template would render with (tmpl.h's
 * tmpl_suggest_model): what Postmark's template validation answers as
 * SuggestedTemplateModel.
 *
 * A walk over the parsed program: every name a tag looks up becomes a
 * member of the object in scope ("x": "x_Value"); a section over a name
 * makes it an object (or, for {{#each x}}, a list of one object) and
 * its body fills that. Names that climb (../), @data, block parameters,
 * helpers' own names and partials are left out. Bounded by the parse's own
 * nesting limit; a member already there is kept.
 */
#include <stdio.h>
#include <string.h>

#include "tmpl/tmpl.h"
#include "tmpl/tmpl_ast.h"
#include "tmpl/tmpl_helper.h"

/* suggest_key - segment s of a path as a NUL-terminated key in k. */
static void
suggest_key(const struct str *s, char *k, size_t n)
{
	snprintf(k, n, "%.*s", (int)(s->len < n ? s->len : n - 1), s->p);
}

/* suggest_path - the object (or value) p names below scope, made when
 * missing: a leaf gets leaf ("NAME_Value", a list or an object). */
static json_t *
suggest_path(json_t *scope, const struct tmpl_path *p, int leaf)
{
	char k[128], v[160];
	json_t *cur = scope, *next;
	size_t i;

	if (p->up != 0 || p->data || p->bp || p->nseg == 0 ||
	    !json_is_object(scope))
		return NULL;
	for (i = 0; i < p->nseg; i++) {
		suggest_key(&p->seg[i], k, sizeof(k));
		if (strcmp(k, "this") == 0 || strcmp(k, ".") == 0 ||
		    k[0] == '\0')
			continue;
		next = json_object_get(cur, k);
		if (next == NULL) {
			if (i + 1 < p->nseg || leaf == 'o')
				next = json_object();
			else if (leaf == 'l')
				next = json_pack("[{}]");
			else {
				snprintf(v, sizeof(v), "%s_Value", k);
				next = json_string(v);
			}
			json_object_set_new(cur, k, next);
		}
		if (json_is_array(next))
			next = json_array_get(next, 0);
		if (i + 1 < p->nseg && !json_is_object(next))
			return NULL;
		cur = next;
	}
	return cur;
}

static void suggest_prog(const struct tmpl_prog *p, json_t *scope);

static void
suggest_node(const struct tmpl_node *n, json_t *scope)
{
	const struct tmpl_expr *x = &n->expr;
	json_t *inner;
	size_t i;

	switch (n->kind) {
	case TMPL_N_VAR:
	case TMPL_N_RAW:
		if (x->helper == 0 && x->nargs == 0)
			suggest_path(scope, &x->path, 's');
		for (i = 0; i < x->nargs; i++)
			if (x->args[i].kind == TMPL_A_PATH)
				suggest_path(scope, &x->args[i].path, 's');
		return;
	case TMPL_N_SECTION:
		if (x->helper == 0 && x->nargs == 0) {
			inner =
			    suggest_path(scope, &x->path, n->each ? 'l' : 'o');
			suggest_prog(&n->body,
			             json_is_object(inner) ? inner : scope);
		} else {
			/* {{#each items}}, {{#with x}}, {{#if x}}: the first
			 * argument; if's body stays in scope. */
			int leaf = x->helper == TMPL_H_EACH   ? 'l'
			           : x->helper == TMPL_H_WITH ? 'o'
			                                      : 's';

			inner =
			    x->nargs > 0 && x->args[0].kind == TMPL_A_PATH
			        ? suggest_path(scope, &x->args[0].path, leaf)
			        : NULL;
			for (i = 1; i < x->nargs; i++)
				if (x->args[i].kind == TMPL_A_PATH)
					suggest_path(scope, &x->args[i].path,
					             's');
			suggest_prog(&n->body,
			             leaf != 's' && json_is_object(inner)
			                 ? inner
			                 : scope);
		}
		suggest_prog(&n->inverse, scope);
		return;
	case TMPL_N_INVERTED:
		suggest_path(scope, &x->path, 's');
		suggest_prog(&n->body, scope);
		suggest_prog(&n->inverse, scope);
		return;
	default:
		return;
	}
}

static void
suggest_prog(const struct tmpl_prog *p, json_t *scope)
{
	size_t i;

	for (i = 0; i < p->len; i++)
		suggest_node(&p->n[i], scope);
}

void
tmpl_suggest_model(const struct tmpl *t, json_t *model)
{
	if (t != NULL && json_is_object(model))
		suggest_prog(&t->root, model);
}
