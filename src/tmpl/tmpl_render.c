/*
 * tmpl_render.c - rendering a parsed template against JSON data.
 *
 * A walk over the program tree with a context stack (the data in scope,
 * innermost last) and, for Handlebars, a data frame (@index @key @first
 * @last). The dialects differ in three places only: how a name is found
 * (Mustache walks the stack outwards, the spec's rules; Handlebars looks
 * in the current context, or ../ parents; Mustachio looks in the current
 * scope or ../ parents), what a section does with its value, and how a
 * partial's indentation is applied (Mustache: to the partial's source;
 * Handlebars: to its output).
 *
 * Every node visited and every loop iteration is a step; steps, output
 * bytes, nesting depth and partial depth are checked against the limits
 * as they grow. On any error the output is cut back to where it started.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "tmpl/tmpl.h"
#include "tmpl/tmpl_ast.h"
#include "tmpl/tmpl_helper.h"
#include "tmpl/tmpl_value.h"

/* Handlebars' @data of the innermost {{#each}}. */
struct rdata {
	json_t *index, *key;
	int first, last;
};

/* The block parameters of one {{#each x as |a b|}} / {{#with x as |a|}}
 * iteration: a is the item (or the value), b its index or key. Frames
 * live on the C stack and link outwards. */
struct rbp {
	json_t *v[2];
	const struct rbp *up;
};

/* A partial block's program as its caller left it: rendered by
 * {{> @partial-block}} inside the partial, or as the default when the
 * partial does not exist. The caller's contexts are st[base..nst)
 * (still below, untouched, while the partial runs). */
struct rpblock {
	const struct tmpl_prog *body;
	const char *where;
	size_t nst, base;
	const struct rbp *bp;
	const struct rpblock *up; /* the one in effect at the call */
};

/* A parsed partial, kept for the rest of the render. */
struct rpartial {
	char *name;
	char *indent;
	size_t indent_len;
	int skip_first;
	struct tmpl *t;
};

struct rstate {
	enum tmpl_dialect d;
	enum tmpl_escape esc;
	struct tmpl_limits lim;
	const struct tmpl_render_opts *o;
	struct buf *out;
	size_t out0;
	uint64_t steps;
	unsigned depth, pdepth;
	struct tmpl_error *err;
	json_t *root;
	json_t **st;
	size_t nst, capst;
	size_t base;            /* the first frame ../ may reach */
	const struct tmpl *tpl; /* the template being walked */
	struct rdata *dv;       /* data frames of the open {{#each}}s */
	size_t ndv, capdv;
	size_t cur;      /* 1 + the innermost frame's index, 0: none */
	json_t *scratch; /* values made during the render */
	json_t *content; /* Mustachio's @content */
	struct rpartial *pc;
	size_t npc;
	const char *where;        /* the partial being rendered, or NULL */
	const struct rbp *bp;     /* the innermost block parameter frame */
	const struct rpblock *pb; /* what {{> @partial-block}} renders */
};

static int r_prog(struct rstate *rs, const struct tmpl_prog *p);

/* r_fail - fill the error for node n (may be NULL) and return code. */
static int r_fail(struct rstate *rs, const struct tmpl_node *n,
                  enum tmpl_errcode code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
r_fail(struct rstate *rs, const struct tmpl_node *n, enum tmpl_errcode code,
       const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (rs->where != NULL)
		tmpl_error_set(rs->err, code, n ? n->line : 0, n ? n->col : 0,
		               "in partial \"%.30s\": %s", rs->where, msg);
	else
		tmpl_error_set(rs->err, code, n ? n->line : 0, n ? n->col : 0,
		               "%s", msg);
	return code;
}

/* r_keep - hand a new reference to the render; returns it borrowed. */
static json_t *
r_keep(struct rstate *rs, json_t *v)
{
	if (v == NULL)
		return NULL;
	if (rs->scratch == NULL)
		rs->scratch = json_array();
	json_array_append_new(rs->scratch, v);
	return v;
}

/* r_step - count one step; an error past the limit. */
static int
r_step(struct rstate *rs, const struct tmpl_node *n)
{
	if (++rs->steps > rs->lim.max_steps)
		return r_fail(rs, n, TMPL_ERR_LIMIT,
		              "too much work: more than %llu steps",
		              (unsigned long long)rs->lim.max_steps);
	return 0;
}

/* r_out_check - an error once the output passes its limit. */
static int
r_out_check(struct rstate *rs, const struct tmpl_node *n)
{
	if (rs->out->len - rs->out0 > rs->lim.max_output)
		return r_fail(rs, n, TMPL_ERR_LIMIT,
		              "output larger than %zu bytes",
		              rs->lim.max_output);
	return 0;
}

/* r_push - push v as the innermost context; an error past max_depth. */
static int
r_push(struct rstate *rs, const struct tmpl_node *n, json_t *v)
{
	if (rs->nst >= rs->lim.max_depth)
		return r_fail(rs, n, TMPL_ERR_LIMIT,
		              "nested deeper than %u levels",
		              rs->lim.max_depth);
	if (rs->nst == rs->capst) {
		rs->capst = rs->capst ? rs->capst * 2 : 16;
		rs->st = xreallocarray(rs->st, rs->capst, sizeof(*rs->st));
	}
	rs->st[rs->nst++] = v;
	return 0;
}

/* r_same - Handlebars' context identity (===) of two values. */
static int
r_same(const json_t *a, const json_t *b)
{
	if (a == b)
		return 1;
	if (a == NULL || b == NULL || json_is_object(a) || json_is_array(a))
		return 0;
	return json_equal((json_t *)a, (json_t *)b);
}

/* r_top - the innermost context. */
static json_t *
r_top(const struct rstate *rs)
{
	return rs->st[rs->nst - 1];
}

/*
 * r_member - v's member named s: an object's key, an array's index or
 * length, a string's length (UTF-16 units, as JavaScript counts). *hit
 * says whether the member exists (a null member exists).
 */
static json_t *
r_member(struct rstate *rs, json_t *v, struct str s, int *hit)
{
	json_t *m;
	size_t i, n;

	*hit = 0;
	if (v == NULL)
		return NULL;
	if (json_is_object(v)) {
		m = json_object_getn(v, s.p, s.len);
		*hit = m != NULL;
		return m;
	}
	if (s.len == 6 && memcmp(s.p, "length", 6) == 0) {
		if (json_is_array(v)) {
			*hit = 1;
			return r_keep(
			    rs, json_integer((json_int_t)json_array_size(v)));
		}
		if (json_is_string(v)) {
			const unsigned char *p =
			    (const unsigned char *)json_string_value(v);

			n = 0;
			for (i = 0; i < json_string_length(v); i++) {
				if ((p[i] & 0xc0) != 0x80)
					n += p[i] >= 0xf0 ? 2 : 1;
			}
			*hit = 1;
			return r_keep(rs, json_integer((json_int_t)n));
		}
		return NULL;
	}
	if (json_is_array(v) && s.len > 0 && s.len < 10) {
		for (i = 0, n = 0; i < s.len; i++) {
			if (s.p[i] < '0' || s.p[i] > '9')
				return NULL;
			n = n * 10 + (size_t)(s.p[i] - '0');
		}
		if (s.len > 1 && s.p[0] == '0')
			return NULL;
		m = json_array_get(v, n);
		*hit = m != NULL;
		return m;
	}
	return NULL;
}

/* r_walk - resolve path segments [from..) strictly below v. */
static json_t *
r_walk(struct rstate *rs, json_t *v, const struct tmpl_path *p, size_t from)
{
	size_t i;
	int hit;

	for (i = from; i < p->nseg && v != NULL; i++)
		v = r_member(rs, v, p->seg[i], &hit);
	return v;
}

/* r_data - a @name: Handlebars data or Mustachio's @content. */
static json_t *
r_data(struct rstate *rs, const struct tmpl_path *p)
{
	struct str s;
	json_t *v = NULL;

	if (p->nseg == 0)
		return NULL;
	s = p->seg[0];
	if (s.len == 4 && memcmp(s.p, "root", 4) == 0)
		v = rs->root;
	else if (s.len == 7 && memcmp(s.p, "content", 7) == 0)
		v = rs->content;
	else if (rs->cur == 0)
		return NULL;
	else if (s.len == 5 && memcmp(s.p, "index", 5) == 0)
		v = rs->dv[rs->cur - 1].index;
	else if (s.len == 3 && memcmp(s.p, "key", 3) == 0)
		v = rs->dv[rs->cur - 1].key;
	else if (s.len == 5 && memcmp(s.p, "first", 5) == 0)
		v = rs->dv[rs->cur - 1].first ? json_true() : json_false();
	else if (s.len == 4 && memcmp(s.p, "last", 4) == 0)
		v = rs->dv[rs->cur - 1].last ? json_true() : json_false();
	return r_walk(rs, v, p, 1);
}

/* r_bparam - the value of a path that starts with a block parameter. */
static json_t *
r_bparam(struct rstate *rs, const struct tmpl_path *p)
{
	const struct rbp *f = rs->bp;
	unsigned d;

	for (d = 0; d < p->bp_depth && f != NULL; d++)
		f = f->up;
	if (f == NULL || p->bp_index >= 2)
		return NULL;
	return r_walk(rs, f->v[p->bp_index], p, 1);
}

/* r_lookup - the value a path names in the current scope (NULL: none). */
static json_t *
r_lookup(struct rstate *rs, const struct tmpl_path *p)
{
	size_t i;
	int hit;
	json_t *v;

	if (p->data)
		return r_data(rs, p);
	if (p->bp)
		return r_bparam(rs, p);
	if (rs->d == TMPL_MUSTACHE && p->up == 0) {
		if (p->nseg == 0)
			return r_top(rs);
		/* the first segment is found outwards; the rest below it */
		for (i = rs->nst; i-- > 0;) {
			v = rs->st[i];
			if (!json_is_object(v) && !json_is_array(v))
				continue;
			v = r_member(rs, v, p->seg[0], &hit);
			if (hit)
				return r_walk(rs, v, p, 1);
		}
		return NULL;
	}
	if (p->up >= rs->nst - rs->base)
		return NULL;
	return r_walk(rs, rs->st[rs->nst - 1 - p->up], p, 0);
}

/* r_emit - append v's text, escaped or not; checks the output limit. */
static int
r_emit(struct rstate *rs, const struct tmpl_node *n, const json_t *v,
       int escape)
{
	if (v != NULL && json_is_string(v)) {
		if (escape)
			tmpl_value_escape(rs->out, rs->esc, rs->d,
			                  json_string_value(v),
			                  json_string_length(v));
		else
			buf_add(rs->out, json_string_value(v),
			        json_string_length(v));
	} else if (escape && v != NULL && !json_is_number(v)) {
		struct buf tmp;

		buf_init(&tmp);
		tmpl_value_text(&tmp, v);
		tmpl_value_escape(rs->out, rs->esc, rs->d, tmp.p ? tmp.p : "",
		                  tmp.len);
		buf_fini(&tmp);
	} else {
		tmpl_value_text(rs->out, v);
	}
	return r_out_check(rs, n);
}

/* r_path_name - a path's text for messages. */
static void
r_path_name(const struct tmpl_path *p, char *s, size_t cap)
{
	size_t i, o = 0;
	int w;

	s[0] = '\0';
	for (i = 0; i < p->up && o + 3 < cap; i++, o += 3)
		memcpy(s + o, "../", 4);
	if (p->data && o + 1 < cap)
		s[o++] = '@', s[o] = '\0';
	if (p->nseg == 0 && o + 4 < cap)
		memcpy(s + o, "this", 5), o += 4;
	for (i = 0; i < p->nseg && o < cap; i++) {
		w = snprintf(s + o, cap - o, "%s%.*s", i ? "." : "",
		             (int)p->seg[i].len, p->seg[i].p);
		if (w < 0)
			break;
		o += (size_t)w;
	}
}

/* r_with - render p with v as the innermost context. */
static int
r_with(struct rstate *rs, const struct tmpl_node *n, const struct tmpl_prog *p,
       json_t *v)
{
	int rc;

	if (p == NULL)
		return 0;
	if ((rc = r_push(rs, n, v)) != 0)
		return rc;
	rc = r_prog(rs, p);
	rs->nst--;
	return rc;
}

/* r_hbs_with - Handlebars' fn(v): a new depth only when v differs. */
static int
r_hbs_with(struct rstate *rs, const struct tmpl_node *n,
           const struct tmpl_prog *p, json_t *v)
{
	if (p == NULL)
		return 0;
	if (r_same(v, r_top(rs)))
		return r_prog(rs, p);
	return r_with(rs, n, p, v);
}

/* r_bp_with - fn(v) with block parameters a = v, b = key when n
 * declares any. */
static int
r_bp_with(struct rstate *rs, const struct tmpl_node *n,
          const struct tmpl_prog *p, json_t *v, json_t *key)
{
	struct rbp f = {{v, key}, rs->bp};
	int rc;

	if (n->nbps == 0)
		return r_hbs_with(rs, n, p, v);
	rs->bp = &f;
	rc = r_hbs_with(rs, n, p, v);
	rs->bp = f.up;
	return rc;
}

/* ---- Mustache and Mustachio ------------------------------------------ */

/* r_mus_section - {{#x}} / {{^x}} / Mustachio {{#each x}}. */
static int
r_mus_section(struct rstate *rs, const struct tmpl_node *n)
{
	json_t *v = r_lookup(rs, &n->expr.path);
	size_t i;
	int rc;

	if (n->kind == TMPL_N_INVERTED) {
		if (tmpl_value_falsy(v) ||
		    (json_is_array(v) && json_array_size(v) == 0))
			return r_prog(rs, &n->body);
		return 0;
	}
	if (n->each && !json_is_array(v))
		return 0;
	if (tmpl_value_falsy(v))
		return 0;
	if (json_is_array(v)) {
		for (i = 0; i < json_array_size(v); i++) {
			if ((rc = r_step(rs, n)) != 0 ||
			    (rc = r_with(rs, n, &n->body,
			                 json_array_get(v, i))) != 0)
				return rc;
		}
		return 0;
	}
	if (json_is_true(v))
		return r_prog(rs, &n->body);
	return r_with(rs, n, &n->body, v);
}

/* ---- Handlebars --------------------------------------------------------
 */

static int r_hbs_eval(struct rstate *rs, const struct tmpl_node *n,
                      const struct tmpl_expr *e, json_t **out);

/* r_arg - evaluate one argument. */
static int
r_arg(struct rstate *rs, const struct tmpl_node *n, const struct tmpl_arg *a,
      json_t **out)
{
	switch (a->kind) {
	case TMPL_A_PATH:
		*out = r_lookup(rs, &a->path);
		return 0;
	case TMPL_A_STRING:
		*out = r_keep(rs, json_stringn(a->s, a->slen));
		return 0;
	case TMPL_A_NUMBER:
		/* integral and exact in a double: an integer, as JSON has */
		if (a->num >= -9007199254740992.0 &&
		    a->num <= 9007199254740992.0 &&
		    a->num == (double)(json_int_t)a->num)
			*out = r_keep(rs, json_integer((json_int_t)a->num));
		else
			*out = r_keep(rs, json_real(a->num));
		return 0;
	case TMPL_A_BOOL:
		*out = a->b ? json_true() : json_false();
		return 0;
	case TMPL_A_NULL:
		*out = json_null();
		return 0;
	case TMPL_A_UNDEF:
		*out = NULL;
		return 0;
	case TMPL_A_SUB:
		return r_hbs_eval(rs, n, a->sub, out);
	}
	*out = NULL;
	return 0;
}

/* r_hash - the value of hash argument key, or NULL. */
static int
r_hash(struct rstate *rs, const struct tmpl_node *n, const struct tmpl_expr *e,
       const char *key, json_t **out)
{
	size_t i;

	*out = NULL;
	for (i = 0; i < e->nhash; i++) {
		if (e->hash[i].key.len == strlen(key) &&
		    memcmp(e->hash[i].key.p, key, e->hash[i].key.len) == 0)
			return r_arg(rs, n, &e->hash[i], out);
	}
	return 0;
}

/* r_helper_of - the helper a call names (resolved by the parser). */
static enum tmpl_helper_id
r_helper_of(const struct tmpl_expr *e)
{
	return (enum tmpl_helper_id)e->helper;
}

/* r_call - run value helper h with e's arguments into *out. */
static int
r_call(struct rstate *rs, const struct tmpl_node *n, enum tmpl_helper_id h,
       const struct tmpl_expr *e, json_t **out)
{
	json_t *args[16];
	char msg[120], name[64];
	size_t i;
	int rc;

	r_path_name(&e->path, name, sizeof(name));
	if (e->nargs > sizeof(args) / sizeof(*args))
		return r_fail(rs, n, TMPL_ERR_HELPER,
		              "helper %s: too many arguments", name);
	for (i = 0; i < e->nargs; i++) {
		if ((rc = r_arg(rs, n, &e->args[i], &args[i])) != 0)
			return rc;
	}
	if (h == TMPL_H_IF || h == TMPL_H_UNLESS || h == TMPL_H_EACH ||
	    h == TMPL_H_WITH)
		return r_fail(rs, n, TMPL_ERR_HELPER,
		              "%s is a block helper: use {{#%s}}", name, name);
	if (tmpl_helper_call(h, args, e->nargs, out, msg, sizeof(msg)) != 0)
		return r_fail(rs, n, TMPL_ERR_HELPER, "%s: %s", name, msg);
	r_keep(rs, *out);
	return 0;
}

/* r_hbs_eval - the value of {{e}}: a helper's result or a path's value. */
static int
r_hbs_eval(struct rstate *rs, const struct tmpl_node *n,
           const struct tmpl_expr *e, json_t **out)
{
	enum tmpl_helper_id h = r_helper_of(e);
	char name[64];

	*out = NULL;
	if (h != TMPL_H_NONE)
		return r_call(rs, n, h, e, out);
	if (e->nargs > 0 || e->nhash > 0) {
		r_path_name(&e->path, name, sizeof(name));
		return r_fail(rs, n, TMPL_ERR_HELPER, "missing helper: \"%s\"",
		              name);
	}
	*out = r_lookup(rs, &e->path);
	return 0;
}

/* r_each - Handlebars' each over arrays and objects. */
static int
r_each(struct rstate *rs, const struct tmpl_node *n, json_t *v,
       const struct tmpl_prog *fn, const struct tmpl_prog *inv)
{
	size_t saved = rs->cur, slot, i = 0, cnt = 0;
	struct rdata *dat;
	const char *key;
	json_t *m;
	int rc = 0;

	if (json_is_array(v))
		cnt = json_array_size(v);
	else if (json_is_object(v))
		cnt = json_object_size(v);
	if (cnt == 0)
		return inv ? r_prog(rs, inv) : 0;
	if (fn == NULL)
		return 0;
	if (rs->ndv == rs->capdv) {
		rs->capdv = rs->capdv ? rs->capdv * 2 : 8;
		rs->dv = xreallocarray(rs->dv, rs->capdv, sizeof(*rs->dv));
	}
	slot = rs->ndv++;
	rs->cur = slot + 1;
	if (json_is_array(v)) {
		for (i = 0; i < cnt && rc == 0; i++) {
			if ((rc = r_step(rs, n)) != 0)
				break;
			dat = &rs->dv[slot];
			dat->index = json_integer((json_int_t)i);
			dat->key = dat->index;
			dat->first = i == 0;
			dat->last = i + 1 == cnt;
			rc = r_bp_with(rs, n, fn, json_array_get(v, i),
			               dat->key);
			json_decref(rs->dv[slot].index);
		}
	} else {
		json_object_foreach(v, key, m)
		{
			if ((rc = r_step(rs, n)) != 0)
				break;
			dat = &rs->dv[slot];
			dat->index = json_integer((json_int_t)i);
			dat->key = json_string(key);
			dat->first = i == 0;
			dat->last = i + 1 == cnt;
			rc = r_bp_with(rs, n, fn, m, dat->key);
			json_decref(rs->dv[slot].index);
			json_decref(rs->dv[slot].key);
			i++;
			if (rc != 0)
				break;
		}
	}
	rs->ndv--;
	rs->cur = saved;
	return rc;
}

/* r_hbs_block - {{#x ...}} / {{^x}} in Handlebars. */
static int
r_hbs_block(struct rstate *rs, const struct tmpl_node *n)
{
	const struct tmpl_expr *e = &n->expr;
	const struct tmpl_prog *fn, *inv;
	enum tmpl_helper_id h = r_helper_of(e);
	json_t *v = NULL, *zero;
	char name[64];
	int rc, cond;

	fn = n->has_program ? &n->body : NULL;
	inv = n->has_inverse ? &n->inverse : NULL;
	r_path_name(&e->path, name, sizeof(name));
	switch (h) {
	case TMPL_H_IF:
	case TMPL_H_UNLESS:
	case TMPL_H_WITH:
	case TMPL_H_EACH:
		if (e->nargs != 1)
			return r_fail(rs, n, TMPL_ERR_HELPER,
			              "#%s requires exactly one argument",
			              name);
		if ((rc = r_arg(rs, n, &e->args[0], &v)) != 0)
			return rc;
		break;
	case TMPL_H_NONE:
		if (e->nargs > 0 || e->nhash > 0)
			return r_fail(rs, n, TMPL_ERR_HELPER,
			              "missing helper: \"%s\"", name);
		v = r_lookup(rs, &e->path);
		break;
	default:
		if ((rc = r_call(rs, n, h, e, &v)) != 0)
			return rc;
		break;
	}
	switch (h) {
	case TMPL_H_IF:
	case TMPL_H_UNLESS:
		if ((rc = r_hash(rs, n, e, "includeZero", &zero)) != 0)
			return rc;
		cond = !((tmpl_value_falsy(zero) && tmpl_value_falsy(v)) ||
		         tmpl_value_empty(v));
		if (h == TMPL_H_UNLESS)
			cond = !cond;
		return cond ? (fn ? r_prog(rs, fn) : 0)
		            : (inv ? r_prog(rs, inv) : 0);
	case TMPL_H_WITH:
		if (!tmpl_value_empty(v))
			return r_bp_with(rs, n, fn, v, NULL);
		return inv ? r_prog(rs, inv) : 0;
	case TMPL_H_EACH:
		return r_each(rs, n, v, fn, inv);
	case TMPL_H_NONE:
		break;
	default:
		/* SendGrid's block helpers: the body when the test holds */
		if (!tmpl_value_falsy(v))
			return fn ? r_prog(rs, fn) : 0;
		return inv ? r_prog(rs, inv) : 0;
	}
	/* blockHelperMissing */
	if (json_is_true(v))
		return fn ? r_prog(rs, fn) : 0;
	if (v == NULL || json_is_false(v) || json_is_null(v))
		return inv ? r_prog(rs, inv) : 0;
	if (json_is_array(v)) {
		if (json_array_size(v) == 0)
			return inv ? r_prog(rs, inv) : 0;
		return r_each(rs, n, v, fn, inv);
	}
	return r_hbs_with(rs, n, fn, v);
}

/* ---- partials ---------------------------------------------------------- */

/* r_indent_src - the partial's source with indent before each line. */
static void
r_indent_src(struct buf *b, const char *src, size_t len, const char *ind,
             size_t ilen, int skip_first)
{
	size_t i = 0, line = 0, e;

	while (i <= len) {
		const char *nl = memchr(src + i, '\n', len - i);

		e = nl ? (size_t)(nl - src) : len;
		if (e > i && (line > 0 || !skip_first))
			buf_add(b, ind, ilen);
		buf_add(b, src + i, e - i);
		if (nl == NULL)
			break;
		buf_addch(b, '\n');
		i = e + 1;
		line++;
	}
}

/* r_indent_out - Handlebars: indent every output line from start on. */
static void
r_indent_out(struct buf *out, size_t start, const char *ind, size_t ilen)
{
	struct buf tmp;
	size_t i = 0, len = out->len - start, e;
	const char *nl;

	if (len == 0)
		return;
	buf_init(&tmp);
	buf_add(&tmp, out->p + start, len);
	out->len = start;
	while (i < len) {
		nl = memchr(tmp.p + i, '\n', len - i);
		e = nl ? (size_t)(nl - tmp.p) + 1 : len;
		buf_add(out, ind, ilen);
		buf_add(out, tmp.p + i, e - i);
		i = e;
	}
	buf_fini(&tmp);
}

/* r_partial_get - the parsed partial for n (cached), or NULL (an error
 * for Handlebars unless n is a partial block, which has a default). */
static int
r_partial_get(struct rstate *rs, const struct tmpl_node *n, struct str pn,
              struct tmpl **tp, const char **pname)
{
	const char *src = NULL;
	char *name = xmemdup(pn.p, pn.len);
	const char *ind = rs->d == TMPL_HANDLEBARS ? NULL : n->indent;
	size_t ilen = ind ? n->indent_len : 0, i, slen = 0;
	struct tmpl_error perr;
	struct tmpl *t;
	struct buf b;

	*tp = NULL;
	for (i = 0; i < rs->npc; i++) {
		struct rpartial *p = &rs->pc[i];

		if (strcmp(p->name, name) == 0 && p->indent_len == ilen &&
		    (ilen == 0 || memcmp(p->indent, ind, ilen) == 0) &&
		    p->skip_first == n->indent_skip_first) {
			free(name);
			*tp = p->t;
			*pname = p->name;
			return 0;
		}
	}
	if (rs->o->partial == NULL ||
	    rs->o->partial(rs->o->partial_arg, name, &src, &slen) != 0 ||
	    src == NULL) {
		int rc = 0;

		if (rs->d == TMPL_HANDLEBARS && !n->has_program)
			rc = r_fail(rs, n, TMPL_ERR_PARTIAL,
			            "the partial \"%.60s\" could not be found",
			            name);
		free(name);
		return rc;
	}
	buf_init(&b);
	if (ilen > 0)
		r_indent_src(&b, src, slen, ind, ilen, n->indent_skip_first);
	else
		buf_add(&b, src, slen);
	t = tmpl_parse(rs->d, b.p ? b.p : "", b.len, &perr);
	buf_fini(&b);
	if (t == NULL) {
		int rc = r_fail(rs, n, TMPL_ERR_SYNTAX,
		                "partial \"%.40s\" line %u column %u: %.80s",
		                name, perr.line, perr.col, perr.msg);
		free(name);
		return rc;
	}
	rs->pc = xreallocarray(rs->pc, rs->npc + 1, sizeof(*rs->pc));
	rs->pc[rs->npc].name = name;
	rs->pc[rs->npc].indent = ilen ? xmemdup(ind, ilen) : NULL;
	rs->pc[rs->npc].indent_len = ilen;
	rs->pc[rs->npc].skip_first = n->indent_skip_first;
	rs->pc[rs->npc].t = t;
	rs->npc++;
	*tp = t;
	*pname = name;
	return 0;
}

/*
 * r_pblock - render partial block b with context ctx as handlebars.js's
 * partialBlockWrapper does: the caller's contexts (../ reaches them),
 * ctx on top when it differs, the caller's block parameters, and the
 * partial block that was in effect at the call. Counts as a partial
 * level (the recursion limit).
 */
static int
r_pblock(struct rstate *rs, const struct tmpl_node *n, const struct rpblock *b,
         json_t *ctx)
{
	size_t saved_nst = rs->nst, saved_base = rs->base, i;
	const struct rbp *saved_bp = rs->bp;
	const struct rpblock *saved_pb = rs->pb;
	const char *saved_where = rs->where;
	int rc = 0;

	if (rs->pdepth >= rs->lim.max_partial_depth)
		return r_fail(rs, n, TMPL_ERR_LIMIT,
		              "partials nested deeper than %u (recursion?)",
		              rs->lim.max_partial_depth);
	if (b->nst != rs->nst || b->base != rs->base) {
		rs->base = rs->nst;
		for (i = b->base; i < b->nst && rc == 0; i++)
			rc = r_push(rs, n, rs->st[i]);
	}
	if (rc == 0 && !r_same(ctx, r_top(rs)))
		rc = r_push(rs, n, ctx);
	if (rc == 0) {
		rs->bp = b->bp;
		rs->pb = b->up;
		rs->where = b->where;
		rs->pdepth++;
		rc = r_prog(rs, b->body);
		rs->pdepth--;
	}
	rs->nst = saved_nst;
	rs->base = saved_base;
	rs->bp = saved_bp;
	rs->pb = saved_pb;
	rs->where = saved_where;
	return rc;
}

/* r_is_pblock_name - is pn "@partial-block"? */
static int
r_is_pblock_name(const struct tmpl_node *n, struct str pn)
{
	return !n->dynamic && n->expr.path.data && pn.len == 14 &&
	       memcmp(pn.p, "@partial-block", 14) == 0;
}

/* r_partial - {{> name}} (Handlebars: {{> name context}}, partial
 * blocks {{#> name}}default{{/name}} and {{> @partial-block}}). */
static int
r_partial(struct rstate *rs, const struct tmpl_node *n)
{
	struct rpblock self = {0};
	const struct rpblock *saved_pb = rs->pb;
	struct tmpl *t;
	const char *saved = rs->where, *pname = NULL;
	size_t start = rs->out->len, saved_base;
	const struct tmpl *saved_tpl;
	struct str pn;
	json_t *ctx = NULL;
	int rc, pushed = 0;

	pn = n->pname;
	if (n->dynamic) {
		json_t *v = r_lookup(rs, &n->expr.path);

		if (v == NULL || !json_is_string(v))
			return 0; /* no such name: nothing, as a missing partial
			           */
		pn = (struct str){json_string_value(v), json_string_length(v)};
	}
	if (rs->d == TMPL_HANDLEBARS) {
		self = (struct rpblock){.body = &n->body,
		                        .where = rs->where,
		                        .nst = rs->nst,
		                        .base = rs->base,
		                        .bp = rs->bp,
		                        .up = rs->pb};
		t = NULL;
		if (r_is_pblock_name(n, pn)) {
			if (rs->pb == NULL && !n->has_program)
				return r_fail(rs, n, TMPL_ERR_PARTIAL,
				              "the partial @partial-block "
				              "could not be found (not inside "
				              "a partial block)");
		} else if ((rc = r_partial_get(rs, n, pn, &t, &pname)) != 0) {
			return rc;
		}
		if (t == NULL) {
			/* @partial-block, or a partial block's default */
			ctx = r_top(rs);
			if (n->expr.nargs == 1 &&
			    (rc = r_arg(rs, n, &n->expr.args[0], &ctx)) != 0)
				return rc;
			rc = r_pblock(rs, n,
			              rs->pb && r_is_pblock_name(n, pn) ? rs->pb
			                                                : &self,
			              ctx);
			if (rc == 0 && n->indent != NULL) {
				r_indent_out(rs->out, start, n->indent,
				             n->indent_len);
				rc = r_out_check(rs, n);
			}
			return rc;
		}
	} else if ((rc = r_partial_get(rs, n, pn, &t, &pname)) != 0 ||
	           t == NULL) {
		return rc;
	}
	if (rs->pdepth >= rs->lim.max_partial_depth)
		return r_fail(rs, n, TMPL_ERR_LIMIT,
		              "partials nested deeper than %u (recursion?)",
		              rs->lim.max_partial_depth);
	saved_base = rs->base;
	saved_tpl = rs->tpl;
	if (rs->d == TMPL_HANDLEBARS) {
		/* handlebars.js starts a partial with fresh depths: ../ in
		 * it never reaches the caller's contexts */
		ctx = r_top(rs);
		if (n->expr.nargs == 1 &&
		    (rc = r_arg(rs, n, &n->expr.args[0], &ctx)) != 0)
			return rc;
		if ((rc = r_push(rs, n, ctx)) != 0)
			return rc;
		pushed = 1;
		rs->base = rs->nst - 1;
	}
	rs->pdepth++;
	rs->where = pname;
	rs->tpl = t;
	if (n->has_program)
		rs->pb = &self;
	rc = r_prog(rs, &t->root);
	rs->pb = saved_pb;
	rs->tpl = saved_tpl;
	rs->base = saved_base;
	rs->where = saved;
	rs->pdepth--;
	if (pushed)
		rs->nst--;
	if (rc == 0 && rs->d == TMPL_HANDLEBARS && n->indent != NULL) {
		r_indent_out(rs->out, start, n->indent, n->indent_len);
		rc = r_out_check(rs, n);
	}
	return rc;
}

/* ---- the walk ---------------------------------------------------------- */

/* r_node - render one node. */
static int
r_node(struct rstate *rs, const struct tmpl_node *n)
{
	json_t *v;
	char name[64];
	int rc;

	if ((rc = r_step(rs, n)) != 0)
		return rc;
	switch (n->kind) {
	case TMPL_N_TEXT:
		buf_add(rs->out, n->orig.p + n->lo, n->hi - n->lo);
		return r_out_check(rs, n);
	case TMPL_N_COMMENT:
		return 0;
	case TMPL_N_VAR:
	case TMPL_N_RAW:
		if (rs->d == TMPL_HANDLEBARS) {
			if ((rc = r_hbs_eval(rs, n, &n->expr, &v)) != 0)
				return rc;
		} else {
			v = r_lookup(rs, &n->expr.path);
		}
		if (v == NULL && rs->o->missing_is_error) {
			r_path_name(&n->expr.path, name, sizeof(name));
			return r_fail(rs, n, TMPL_ERR_MISSING,
			              "no value for \"%s\"", name);
		}
		return r_emit(rs, n, v, n->kind == TMPL_N_VAR);
	case TMPL_N_SECTION:
	case TMPL_N_INVERTED:
		if (rs->depth >= rs->lim.max_depth)
			return r_fail(rs, n, TMPL_ERR_LIMIT,
			              "nested deeper than %u levels",
			              rs->lim.max_depth);
		rs->depth++;
		if (rs->d == TMPL_HANDLEBARS)
			rc = r_hbs_block(rs, n);
		else
			rc = r_mus_section(rs, n);
		rs->depth--;
		return rc;
	case TMPL_N_PARTIAL:
		if (rs->depth >= rs->lim.max_depth)
			return r_fail(rs, n, TMPL_ERR_LIMIT,
			              "nested deeper than %u levels",
			              rs->lim.max_depth);
		rs->depth++;
		rc = r_partial(rs, n);
		rs->depth--;
		return rc;
	}
	return 0;
}

static int
r_prog(struct rstate *rs, const struct tmpl_prog *p)
{
	size_t i;
	int rc;

	for (i = 0; i < p->len; i++) {
		if ((rc = r_node(rs, &p->n[i])) != 0)
			return rc;
	}
	return 0;
}

int
tmpl_render(const struct tmpl *t, const json_t *data,
            const struct tmpl_render_opts *o, struct buf *out,
            struct tmpl_error *err)
{
	static const struct tmpl_render_opts zero_opts;
	struct rstate rs;
	json_t *empty = NULL;
	size_t i;
	int rc;

	if (o == NULL)
		o = &zero_opts;
	memset(&rs, 0, sizeof(rs));
	rs.d = t->dialect;
	rs.esc = o->escape;
	rs.o = o;
	rs.err = err;
	rs.out = out;
	rs.out0 = out->len;
	if (o->limits != NULL)
		rs.lim = *o->limits;
	if (rs.lim.max_depth == 0)
		rs.lim.max_depth = TMPL_DEFAULT_MAX_DEPTH;
	if (rs.lim.max_output == 0)
		rs.lim.max_output = TMPL_DEFAULT_MAX_OUTPUT;
	if (rs.lim.max_steps == 0)
		rs.lim.max_steps = TMPL_DEFAULT_MAX_STEPS;
	if (rs.lim.max_partial_depth == 0)
		rs.lim.max_partial_depth = TMPL_DEFAULT_MAX_PARTIAL_DEPTH;
	if (data == NULL)
		data = empty = json_object();
	rs.root = (json_t *)data;
	rs.tpl = t;
	if (o->content != NULL)
		rs.content = r_keep(
		    &rs, json_stringn_nocheck(o->content, o->content_len));
	/* the root context does not count against max_depth */
	rs.lim.max_depth++;
	rc = r_push(&rs, NULL, rs.root);
	if (rc == 0)
		rc = r_prog(&rs, &t->root);
	if (rc != 0)
		out->len = rs.out0;
	else if (err != NULL)
		memset(err, 0, sizeof(*err));
	for (i = 0; i < rs.npc; i++) {
		free(rs.pc[i].name);
		free(rs.pc[i].indent);
		tmpl_free(rs.pc[i].t);
	}
	free(rs.pc);
	free(rs.st);
	free(rs.dv);
	json_decref(rs.scratch);
	json_decref(empty);
	return rc;
}

int
tmpl_render_layout(const struct tmpl *layout, const struct tmpl *content,
                   const json_t *data, const struct tmpl_render_opts *o,
                   struct buf *out, struct tmpl_error *err)
{
	static const struct tmpl_render_opts zero_opts;
	struct tmpl_render_opts lo;
	struct buf body;
	int rc;

	if (o == NULL)
		o = &zero_opts;
	buf_init(&body);
	rc = tmpl_render(content, data, o, &body, err);
	if (rc == 0) {
		lo = *o;
		lo.content = body.p ? body.p : "";
		lo.content_len = body.len;
		rc = tmpl_render(layout, data, &lo, out, err);
	}
	buf_fini(&body);
	return rc;
}
