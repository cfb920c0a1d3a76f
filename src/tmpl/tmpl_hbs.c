/*
 * tmpl_hbs.c - the Handlebars parser.
 *
 * A recursive-descent parser over the source that builds the same tree
 * handlebars.js builds (content, mustaches, blocks with program and
 * inverse, {{else if}} chains as a chained inverse, comments, partials),
 * then applies handlebars.js's whitespace rules to it: ~ strips all
 * whitespace on its side; a block tag, {{else}}, a comment or a partial
 * alone on its line takes its line's indentation and newline with it
 * (a partial keeps the indentation, to indent its output). The rules are
 * its compiler's, case by case, so that the output matches byte for byte
 * (tests/tmpl runs both on thousands of generated templates).
 *
 * Block parameters (as |a b|) on #each and #with are resolved here, at
 * parse, to (depth, index) of the enclosing blocks that declare them, as
 * handlebars.js's compiler does (tmpl_path.bp).
 *
 * Partial blocks {{#> name}}default{{/name}} are partial nodes with a
 * program (whitespace: a block's rules).
 *
 * Not supported, refused with line and column: decorators, inline
 * partials, raw blocks {{{{ }}}}, dynamic partial names and partial
 * hash arguments.
 */
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "tmpl/tmpl_ast.h"
#include "tmpl/tmpl_helper.h"

struct hbs {
	struct tmpl *t;
	struct tmpl_error *err;
	const char *s;
	size_t len, pos;
	unsigned depth;
	int root_seen; /* whitespace pass: the root program was visited */
	/* position cursor: offsets mostly grow, so places cost O(n) */
	size_t pos_off;
	unsigned pos_line, pos_col;
	/* block parameters in scope, innermost last (views of nodes' bps) */
	struct hbs_scope {
		const struct str *names;
		size_t n;
	} * scope;
	size_t nscope, capscope;
	size_t bp_at; /* where the last "as |...|" started */
};

/* hbs_where - line and column of off, from the cursor when it can. */
static void
hbs_where(struct hbs *h, size_t off, unsigned *line, unsigned *col)
{
	if (off < h->pos_off) {
		h->pos_off = 0;
		h->pos_line = h->pos_col = 1;
	}
	for (; h->pos_off < off; h->pos_off++) {
		if (h->s[h->pos_off] == '\n') {
			h->pos_line++;
			h->pos_col = 1;
		} else {
			h->pos_col++;
		}
	}
	*line = h->pos_line;
	*col = h->pos_col;
}

/* What ended a program. */
enum hbs_end {
	HBS_END_EOF,
	HBS_END_CLOSE, /* {{/ */
	HBS_END_ELSE,  /* {{else}} or {{^}} */
	HBS_END_CHAIN, /* {{else name ...}} */
};

/* hbs_space - JavaScript's \s over ASCII. */
static int
hbs_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

/* hbs_id_char - a byte Handlebars allows in an identifier. */
static int
hbs_id_char(char c)
{
	unsigned char u = (unsigned char)c;

	if (u >= 0x80)
		return 1;
	if (hbs_space(c) || u < 0x20)
		return 0;
	return strchr("!\"#%&'()*+,./;<=>@[\\]^`{|}~", c) == NULL;
}

/* hbs_fail - a syntax error at offset off. */
static int
hbs_fail(struct hbs *h, size_t off, const char *what)
{
	unsigned line, col;

	tmpl_pos(h->s, off, &line, &col);
	tmpl_error_set(h->err, TMPL_ERR_SYNTAX, line, col, "%s", what);
	return -1;
}

/* hbs_at - does the source at pos start with lit? */
static int
hbs_at(const struct hbs *h, size_t pos, const char *lit)
{
	size_t n = strlen(lit);

	return pos <= h->len && h->len - pos >= n &&
	       memcmp(h->s + pos, lit, n) == 0;
}

/* hbs_skip_ws - skip blanks inside a tag. */
static void
hbs_skip_ws(struct hbs *h)
{
	while (h->pos < h->len && hbs_space(h->s[h->pos]))
		h->pos++;
}

/* hbs_node_at - push a node of kind k placed at offset off. */
static struct tmpl_node *
hbs_node_at(struct hbs *h, struct tmpl_prog *p, enum tmpl_node_kind k,
            size_t off)
{
	struct tmpl_node *n = tmpl_prog_push(p);

	n->kind = k;
	hbs_where(h, off, &n->line, &n->col);
	return n;
}

/* hbs_text - a content node for s[lo..hi). */
static void
hbs_text(struct hbs *h, struct tmpl_prog *p, size_t lo, size_t hi)
{
	struct tmpl_node *n;

	if (hi <= lo)
		return;
	n = hbs_node_at(h, p, TMPL_N_TEXT, lo);
	n->orig = (struct str){h->s + lo, hi - lo};
	n->lo = 0;
	n->hi = hi - lo;
}

/* hbs_close - parse the end of a tag: optional ~ then }} (or }}} when
 * triple); sets *strip. */
static int
hbs_close(struct hbs *h, int triple, unsigned char *strip)
{
	size_t start = h->pos;

	hbs_skip_ws(h);
	if (triple) {
		if (!hbs_at(h, h->pos, "}"))
			return hbs_fail(h, h->pos, "expected '}}}'");
		h->pos++;
	}
	*strip = 0;
	if (hbs_at(h, h->pos, "~")) {
		*strip = 1;
		h->pos++;
	}
	if (!hbs_at(h, h->pos, "}}"))
		return hbs_fail(h, h->pos > start ? h->pos : start,
		                triple ? "expected '}}}'" : "expected '}}'");
	h->pos += 2;
	return 0;
}

/* hbs_at_close - is the tag about to end (~}} or }}; triple: }}} or
 * }~}})? */
static int
hbs_at_close(const struct hbs *h, int triple)
{
	if (triple)
		return hbs_at(h, h->pos, "}~}}") || hbs_at(h, h->pos, "}}}");
	return (hbs_at(h, h->pos, "}}") && !hbs_at(h, h->pos, "}}}")) ||
	       hbs_at(h, h->pos, "~}}");
}

/* hbs_seg - one path segment: an identifier or [literal]; *lit says
 * whether it was bracketed. */
static int
hbs_seg(struct hbs *h, struct str *seg, int *lit)
{
	size_t lo = h->pos;

	*lit = 0;
	if (hbs_at(h, h->pos, "[")) {
		const char *e = memchr(h->s + h->pos, ']', h->len - h->pos);

		if (e == NULL)
			return hbs_fail(h, lo, "unterminated [segment]");
		*seg =
		    (struct str){h->s + lo + 1, (size_t)(e - (h->s + lo + 1))};
		h->pos = (size_t)(e - h->s) + 1;
		*lit = 1;
		return 0;
	}
	if (hbs_at(h, h->pos, "..")) {
		*seg = (struct str){h->s + lo, 2};
		h->pos += 2;
		return 0;
	}
	if (hbs_at(h, h->pos, ".")) {
		*seg = (struct str){h->s + lo, 1};
		h->pos += 1;
		return 0;
	}
	while (h->pos < h->len && hbs_id_char(h->s[h->pos]))
		h->pos++;
	if (h->pos == lo)
		return hbs_fail(h, lo, "expected a name");
	*seg = (struct str){h->s + lo, h->pos - lo};
	return 0;
}

/* hbs_bp_resolve - handlebars.js's blockParamIndex: does p's first
 * segment name a block parameter in scope (innermost first)? */
static void
hbs_bp_resolve(const struct hbs *h, struct tmpl_path *p)
{
	size_t d, i;

	for (d = 0; d < h->nscope; d++) {
		const struct hbs_scope *sc = &h->scope[h->nscope - 1 - d];

		for (i = 0; i < sc->n; i++) {
			if (sc->names[i].len == p->seg[0].len &&
			    memcmp(sc->names[i].p, p->seg[0].p,
			           p->seg[0].len) == 0) {
				p->bp = 1;
				p->bp_depth = (unsigned)d;
				p->bp_index = (unsigned)i;
				return;
			}
		}
	}
}

/* hbs_path - a path (this, .., a.b, a/b, @data); *orig gets its text. */
static int
hbs_path(struct hbs *h, struct tmpl_path *p, struct str *orig)
{
	size_t lo = h->pos, cap = 0;
	struct str seg;
	int lit;

	memset(p, 0, sizeof(*p));
	if (hbs_at(h, h->pos, "@")) {
		p->data = 1;
		h->pos++;
	}
	if (hbs_at(h, h->pos, ".") ||
	    (hbs_at(h, h->pos, "this") &&
	     (h->pos + 4 >= h->len || !hbs_id_char(h->s[h->pos + 4]))))
		p->scoped = 1;
	for (;;) {
		if (hbs_seg(h, &seg, &lit) != 0)
			return -1;
		if (!lit && ((seg.len == 2 && memcmp(seg.p, "..", 2) == 0) ||
		             (seg.len == 1 && seg.p[0] == '.') ||
		             (seg.len == 4 && memcmp(seg.p, "this", 4) == 0))) {
			if (p->nseg > 0)
				return hbs_fail(h, lo,
				                "invalid path: '..', "
				                "'.' or 'this' after a "
				                "name");
			if (seg.len == 2)
				p->up++;
		} else {
			if (p->nseg == cap) {
				cap = cap ? cap * 2 : 4;
				p->seg =
				    xreallocarray(p->seg, cap, sizeof(*p->seg));
			}
			p->seg[p->nseg++] = seg;
		}
		if (h->pos < h->len &&
		    (h->s[h->pos] == '.' || h->s[h->pos] == '/') &&
		    h->pos + 1 < h->len && h->s[h->pos + 1] != '}' &&
		    !hbs_space(h->s[h->pos + 1])) {
			h->pos++;
			continue;
		}
		break;
	}
	if (p->data && p->up > 0)
		return hbs_fail(h, lo, "@../ data paths are not supported");
	if (p->up > 0)
		p->scoped = 1;
	if (!p->data && !p->scoped && p->nseg > 0)
		hbs_bp_resolve(h, p);
	*orig = (struct str){h->s + lo, h->pos - lo};
	return 0;
}

static int hbs_expr(struct hbs *h, struct tmpl_expr *e, int sub, int triple,
                    struct str *orig, struct tmpl_node *bpn);

/* hbs_literal_end - may a literal end here ([~}\s)])? */
static int
hbs_literal_end(const struct hbs *h, size_t pos)
{
	return pos >= h->len || strchr("~}) \t\r\n\v\f", h->s[pos]) != NULL;
}

/* hbs_param - one argument: literal, path or (subexpression). */
static int
hbs_param(struct hbs *h, struct tmpl_arg *a)
{
	size_t lo = h->pos, i;
	char q;
	struct str orig;

	if (hbs_at(h, h->pos, "(")) {
		if (h->depth >= TMPL_PARSE_MAX_DEPTH)
			return hbs_fail(h, lo, "nested too deep (limit 100)");
		h->pos++;
		h->depth++;
		a->kind = TMPL_A_SUB;
		a->sub = xcalloc(1, sizeof(*a->sub));
		if (hbs_expr(h, a->sub, 1, 0, &orig, NULL) != 0)
			return -1;
		h->depth--;
		return 0;
	}
	q = h->pos < h->len ? h->s[h->pos] : '\0';
	if (q == '"' || q == '\'') {
		struct buf b;

		buf_init(&b);
		for (i = h->pos + 1; i < h->len && h->s[i] != q; i++) {
			if (h->s[i] == '\\' && i + 1 < h->len &&
			    h->s[i + 1] == q)
				i++;
			buf_addch(&b, h->s[i]);
		}
		if (i >= h->len) {
			buf_fini(&b);
			return hbs_fail(h, lo, "unterminated string");
		}
		a->kind = TMPL_A_STRING;
		a->s = buf_steal(&b, &a->slen);
		h->pos = i + 1;
		return 0;
	}
	i = h->pos;
	if (i < h->len && h->s[i] == '-')
		i++;
	if (i < h->len && h->s[i] >= '0' && h->s[i] <= '9') {
		size_t j = i;

		while (j < h->len && h->s[j] >= '0' && h->s[j] <= '9')
			j++;
		if (j + 1 < h->len && h->s[j] == '.' && h->s[j + 1] >= '0' &&
		    h->s[j + 1] <= '9') {
			j++;
			while (j < h->len && h->s[j] >= '0' && h->s[j] <= '9')
				j++;
		}
		if (hbs_literal_end(h, j)) {
			char tmp[64];

			if (j - h->pos >= sizeof(tmp))
				return hbs_fail(h, lo, "number too long");
			memcpy(tmp, h->s + h->pos, j - h->pos);
			tmp[j - h->pos] = '\0';
			a->kind = TMPL_A_NUMBER;
			a->num = strtod(tmp, NULL);
			h->pos = j;
			return 0;
		}
	}
	if (hbs_at(h, h->pos, "true") && hbs_literal_end(h, h->pos + 4)) {
		a->kind = TMPL_A_BOOL;
		a->b = 1;
		h->pos += 4;
		return 0;
	}
	if (hbs_at(h, h->pos, "false") && hbs_literal_end(h, h->pos + 5)) {
		a->kind = TMPL_A_BOOL;
		h->pos += 5;
		return 0;
	}
	if (hbs_at(h, h->pos, "null") && hbs_literal_end(h, h->pos + 4)) {
		a->kind = TMPL_A_NULL;
		h->pos += 4;
		return 0;
	}
	if (hbs_at(h, h->pos, "undefined") && hbs_literal_end(h, h->pos + 9)) {
		a->kind = TMPL_A_UNDEF;
		h->pos += 9;
		return 0;
	}
	a->kind = TMPL_A_PATH;
	return hbs_path(h, &a->path, &orig);
}

/* hbs_push_arg - append a zeroed argument to *arr. */
static struct tmpl_arg *
hbs_push_arg(struct tmpl_arg **arr, size_t *n)
{
	*arr = xreallocarray(*arr, *n + 1, sizeof(**arr));
	memset(&(*arr)[*n], 0, sizeof(**arr));
	return &(*arr)[(*n)++];
}

/* hbs_is_hash_key - an identifier followed by '=' starts here. */
static int
hbs_is_hash_key(const struct hbs *h, size_t *end)
{
	size_t i = h->pos;

	while (i < h->len && hbs_id_char(h->s[i]))
		i++;
	if (i == h->pos)
		return 0;
	*end = i;
	while (i < h->len && hbs_space(h->s[i]))
		i++;
	return i < h->len && h->s[i] == '=';
}

/* hbs_at_bparams - "as", blanks, "|" start here (the lexer's
 * OPEN_BLOCK_PARAMS). */
static int
hbs_at_bparams(const struct hbs *h)
{
	size_t i = h->pos + 2;

	if (!hbs_at(h, h->pos, "as") || i >= h->len || !hbs_space(h->s[i]))
		return 0;
	while (i < h->len && hbs_space(h->s[i]))
		i++;
	return i < h->len && h->s[i] == '|';
}

/*
 * hbs_bparams - "as |a b|" into n->bps (views of the source). Names are
 * identifiers; at least one; the closing '|' must come.
 */
static int
hbs_bparams(struct hbs *h, struct tmpl_node *n)
{
	size_t lo;

	h->bp_at = h->pos;
	h->pos += 2;
	hbs_skip_ws(h);
	h->pos++; /* '|' */
	for (;;) {
		hbs_skip_ws(h);
		if (h->pos >= h->len)
			return hbs_fail(h, h->bp_at,
			                "block parameters are never closed "
			                "with '|'");
		if (h->s[h->pos] == '|')
			break;
		lo = h->pos;
		while (h->pos < h->len && hbs_id_char(h->s[h->pos]))
			h->pos++;
		if (h->pos == lo)
			return hbs_fail(h, lo,
			                "expected a block parameter name");
		n->bps = xreallocarray(n->bps, n->nbps + 1, sizeof(*n->bps));
		n->bps[n->nbps++] = (struct str){h->s + lo, h->pos - lo};
	}
	if (n->nbps == 0)
		return hbs_fail(h, h->bp_at, "empty block parameters: as ||");
	h->pos++; /* '|' */
	hbs_skip_ws(h);
	if (!hbs_at_close(h, 0))
		return hbs_fail(h, h->pos, "block parameters must end the tag");
	if (n->expr.helper != TMPL_H_EACH && n->expr.helper != TMPL_H_WITH)
		return hbs_fail(h, h->bp_at,
		                "block parameters (as |x|) are only "
		                "supported on #each and #with");
	return 0;
}

/*
 * hbs_expr - name, arguments and hash up to the closing delimiter (or
 * ')' when sub). Literals cannot be called. bpn: the block whose tag
 * this is (block parameters allowed, stored there), or NULL.
 */
static int
hbs_expr(struct hbs *h, struct tmpl_expr *e, int sub, int triple,
         struct str *orig, struct tmpl_node *bpn)
{
	size_t lo, kend;
	struct tmpl_arg *a;

	hbs_skip_ws(h);
	lo = h->pos;
	if (h->pos >= h->len)
		return hbs_fail(h, lo, "unexpected end of template in a tag");
	if (strchr("\"'(", h->s[h->pos]) != NULL ||
	    (h->s[h->pos] >= '0' && h->s[h->pos] <= '9'))
		return hbs_fail(h, lo, "expected a name, not a literal");
	if (hbs_path(h, &e->path, orig) != 0)
		return -1;
	/* only a bare identifier can name a helper */
	if (e->path.nseg == 1 && !e->path.scoped && !e->path.data &&
	    !e->path.bp)
		e->helper = (int)tmpl_helper_find(e->path.seg[0]);
	for (;;) {
		size_t before = h->pos;

		hbs_skip_ws(h);
		if (sub && hbs_at(h, h->pos, ")")) {
			h->pos++;
			return 0;
		}
		if (!sub && hbs_at_close(h, triple))
			return 0;
		if (h->pos >= h->len)
			return hbs_fail(h, lo, "unclosed tag");
		if (!sub && hbs_at_bparams(h)) {
			if (bpn == NULL)
				return hbs_fail(h, h->pos,
				                "block parameters (as |x|) "
				                "outside a block tag");
			if (h->pos > 0 && !hbs_space(h->s[h->pos - 1]))
				return hbs_fail(h, h->pos,
				                "unexpected character");
			if (hbs_bparams(h, bpn) != 0)
				return -1;
			continue;
		}
		if (h->pos == before && !hbs_space(h->s[before - 1]) &&
		    h->s[before - 1] != ')')
			return hbs_fail(h, h->pos, "unexpected character");
		if (hbs_is_hash_key(h, &kend)) {
			a = hbs_push_arg(&e->hash, &e->nhash);
			a->key = (struct str){h->s + h->pos, kend - h->pos};
			h->pos = kend;
			hbs_skip_ws(h);
			h->pos++; /* '=' */
			hbs_skip_ws(h);
			if (hbs_param(h, a) != 0)
				return -1;
			continue;
		}
		if (e->nhash > 0)
			return hbs_fail(h, h->pos,
			                "an argument after hash "
			                "arguments");
		a = hbs_push_arg(&e->args, &e->nargs);
		if (hbs_param(h, a) != 0)
			return -1;
	}
}

static enum hbs_end hbs_program(struct hbs *h, struct tmpl_prog *p, int *rc);

/* hbs_open_strip - parse "{{" and an optional "~"; returns the strip. */
static unsigned char
hbs_open_strip(struct hbs *h)
{
	h->pos += 2;
	if (hbs_at(h, h->pos, "~")) {
		h->pos++;
		return 1;
	}
	return 0;
}

/* hbs_comment - {{! ... }} or {{!-- ... --}}. */
static int
hbs_comment(struct hbs *h, struct tmpl_prog *p, size_t lo)
{
	struct tmpl_node *n;
	unsigned char open = hbs_open_strip(h);
	const char *e;

	h->pos++; /* '!' */
	if (hbs_at(h, h->pos, "--")) {
		size_t i;

		for (i = h->pos + 2;; i++) {
			e = memmem(h->s + i, h->len - i, "--", 2);
			if (e == NULL)
				return hbs_fail(h, lo, "unclosed comment");
			i = (size_t)(e - h->s);
			if (hbs_at(h, i + 2, "}}") || hbs_at(h, i + 2, "~}}"))
				break;
		}
		h->pos = i + 2;
	} else {
		e = memmem(h->s + h->pos, h->len - h->pos, "}}", 2);
		if (e == NULL)
			return hbs_fail(h, lo, "unclosed comment");
		h->pos = (size_t)(e - h->s);
		if (h->s[h->pos - 1] == '~' && h->pos - 1 > lo + 2)
			h->pos--;
	}
	n = hbs_node_at(h, p, TMPL_N_COMMENT, lo);
	n->strip.open = open;
	n->strip.close = hbs_at(h, h->pos, "~");
	h->pos += n->strip.close ? 3 : 2;
	return 0;
}

/* hbs_partial_head - after '>': the partial's name and optional
 * context, up to the tag's end. */
static int
hbs_partial_head(struct hbs *h, struct tmpl_node *n)
{
	struct str orig;
	size_t nlo;

	hbs_skip_ws(h);
	nlo = h->pos;
	if (hbs_at(h, h->pos, "("))
		return hbs_fail(h, nlo,
		                "dynamic partial names are not "
		                "supported");
	if (hbs_at(h, h->pos, "\"") || hbs_at(h, h->pos, "'")) {
		const char *e = memchr(h->s + h->pos + 1, h->s[h->pos],
		                       h->len - h->pos - 1);

		if (e == NULL)
			return hbs_fail(h, nlo, "unterminated string");
		n->pname = (struct str){h->s + h->pos + 1,
		                        (size_t)(e - h->s) - h->pos - 1};
		h->pos = (size_t)(e - h->s) + 1;
		hbs_skip_ws(h);
		if (!hbs_at_close(h, 0)) {
			struct tmpl_arg *a =
			    hbs_push_arg(&n->expr.args, &n->expr.nargs);

			if (hbs_param(h, a) != 0)
				return -1;
		}
	} else {
		if (hbs_expr(h, &n->expr, 0, 0, &orig, NULL) != 0)
			return -1;
		n->pname = orig;
	}
	if (n->expr.nhash > 0)
		return hbs_fail(h, nlo,
		                "partial hash arguments are not "
		                "supported");
	if (n->expr.nargs > 1)
		return hbs_fail(h, nlo, "a partial takes at most one context");
	return 0;
}

/* hbs_partial - {{> name [context]}}. */
static int
hbs_partial(struct hbs *h, struct tmpl_prog *p, size_t lo)
{
	struct tmpl_node *n = hbs_node_at(h, p, TMPL_N_PARTIAL, lo);

	n->strip.open = hbs_open_strip(h);
	h->pos++; /* '>' */
	if (hbs_partial_head(h, n) != 0)
		return -1;
	return hbs_close(h, 0, &n->strip.close);
}

/* hbs_same_name - do two paths' texts match (Handlebars compares them)? */
static int
hbs_same_name(struct str a, struct str b)
{
	return a.len == b.len && memcmp(a.p, b.p, a.len) == 0;
}

/* hbs_else_tag - consume {{else}} / {{^}}; fills strip. */
static int
hbs_else_tag(struct hbs *h, struct tmpl_strip *strip)
{
	strip->open = hbs_open_strip(h);
	hbs_skip_ws(h);
	if (hbs_at(h, h->pos, "^"))
		h->pos++;
	else
		h->pos += 4; /* else */
	return hbs_close(h, 0, &strip->close);
}

/*
 * hbs_tail - after a block's (or an {{else x}}'s) opening tag: its
 * program and any {{else}} / {{else x}} chain, up to (not including) the
 * closing tag. chained: n is itself an {{else x}} block.
 */
static int
hbs_tail(struct hbs *h, struct tmpl_node *n, size_t lo, int chained)
{
	enum hbs_end end;
	struct tmpl_node *c;
	struct str cname;
	int rc = 0;

	n->has_program = 1;
	if (n->nbps > 0) {
		/* the parameters are in scope in the block's program only */
		if (h->nscope == h->capscope) {
			h->capscope = h->capscope ? h->capscope * 2 : 8;
			h->scope = xreallocarray(h->scope, h->capscope,
			                         sizeof(*h->scope));
		}
		h->scope[h->nscope++] =
		    (struct hbs_scope){.names = n->bps, .n = n->nbps};
	}
	end = hbs_program(h, &n->body, &rc);
	if (n->nbps > 0)
		h->nscope--;
	if (rc != 0)
		return -1;
	switch (end) {
	case HBS_END_CLOSE:
		return 0;
	case HBS_END_EOF:
		return hbs_fail(h, lo, "block is never closed");
	case HBS_END_ELSE:
		if (hbs_else_tag(h, &n->inv_strip) != 0)
			return -1;
		n->has_inverse = 1;
		end = hbs_program(h, &n->inverse, &rc);
		if (rc != 0)
			return -1;
		if (end == HBS_END_EOF)
			return hbs_fail(h, lo, "block is never closed");
		if (end != HBS_END_CLOSE)
			return hbs_fail(h, h->pos,
			                "a second {{else}} in one "
			                "block");
		return 0;
	case HBS_END_CHAIN:
		break;
	}
	if (h->depth >= TMPL_PARSE_MAX_DEPTH)
		return hbs_fail(h, h->pos,
		                "blocks nested too deep (limit 100)");
	n->has_inverse = 1;
	n->inverse.chained = 1;
	c = hbs_node_at(h, &n->inverse, TMPL_N_SECTION, h->pos);
	c->open_strip.open = hbs_open_strip(h);
	hbs_skip_ws(h);
	h->pos += 4; /* else */
	if (hbs_expr(h, &c->expr, 0, 0, &cname, c) != 0 ||
	    hbs_close(h, 0, &c->open_strip.close) != 0)
		return -1;
	n->inv_strip = c->open_strip;
	h->depth++;
	if (hbs_tail(h, c, lo, 1) != 0)
		return -1;
	h->depth--;
	/* handlebars.js gives a chained block under a chained block the
	 * strip of its own {{else x}} tag as its closing strip; the first
	 * one gets the real closing tag's (hbs_block) */
	if (chained)
		c->close_strip = c->open_strip;
	return 0;
}

/* hbs_end_tag - the closing tag {{/name}} of block n, whose name must
 * be the opening tag's (as text, as handlebars.js compares them). */
static int
hbs_end_tag(struct hbs *h, struct tmpl_node *n, struct str name)
{
	size_t at = h->pos;
	struct tmpl_path cpath;
	struct str cname;
	unsigned line, col;
	int rc;

	n->close_strip.open = hbs_open_strip(h);
	h->pos++; /* '/' */
	hbs_skip_ws(h);
	rc = hbs_path(h, &cpath, &cname);
	free(cpath.seg);
	if (rc != 0)
		return -1;
	if (hbs_close(h, 0, &n->close_strip.close) != 0)
		return -1;
	if (hbs_same_name(name, cname))
		return 0;
	tmpl_pos(h->s, at, &line, &col);
	tmpl_error_set(h->err, TMPL_ERR_SYNTAX, line, col,
	               "%.*s doesn't match %.*s",
	               (int)(name.len < 60 ? name.len : 60), name.p,
	               (int)(cname.len < 60 ? cname.len : 60), cname.p);
	return -1;
}

/*
 * hbs_partial_block - {{#> name [context]}}default{{/name}}: a partial
 * node with a program (no {{else}}: handlebars.js's grammar has none).
 */
static int
hbs_partial_block(struct hbs *h, struct tmpl_prog *p, size_t lo)
{
	struct tmpl_node *n = hbs_node_at(h, p, TMPL_N_PARTIAL, lo);
	enum hbs_end end;
	int rc = 0;

	if (h->depth >= TMPL_PARSE_MAX_DEPTH)
		return hbs_fail(h, lo, "blocks nested too deep (limit 100)");
	n->open_strip.open = hbs_open_strip(h);
	h->pos += 2; /* '#>' */
	if (hbs_partial_head(h, n) != 0 ||
	    hbs_close(h, 0, &n->open_strip.close) != 0)
		return -1;
	h->depth++;
	n->has_program = 1;
	end = hbs_program(h, &n->body, &rc);
	if (rc != 0)
		return -1;
	if (end == HBS_END_EOF)
		return hbs_fail(h, lo, "partial block is never closed");
	if (end != HBS_END_CLOSE)
		return hbs_fail(h, h->pos, "{{else}} in a partial block");
	h->depth--;
	return hbs_end_tag(h, n, n->pname);
}

/* hbs_block - {{#x ...}} or {{^x}} through its closing tag. */
static int
hbs_block(struct hbs *h, struct tmpl_prog *p, size_t lo)
{
	struct tmpl_node *n = hbs_node_at(h, p, TMPL_N_SECTION, lo);
	struct str name;
	int inverted;

	if (h->depth >= TMPL_PARSE_MAX_DEPTH)
		return hbs_fail(h, lo, "blocks nested too deep (limit 100)");
	n->open_strip.open = hbs_open_strip(h);
	inverted = h->s[h->pos] == '^';
	h->pos++;
	if (hbs_expr(h, &n->expr, 0, 0, &name, n) != 0 ||
	    hbs_close(h, 0, &n->open_strip.close) != 0)
		return -1;
	if (inverted && n->nbps > 0)
		return hbs_fail(h, h->bp_at,
		                "block parameters on an inverted block "
		                "{{^x}}");
	h->depth++;
	if (hbs_tail(h, n, lo, 0) != 0)
		return -1;
	h->depth--;
	if (hbs_end_tag(h, n, name) != 0)
		return -1;
	if (n->inverse.chained)
		n->inverse.n[0].close_strip = n->close_strip;
	if (inverted) {
		/* {{^x}}A{{else}}B{{/x}}: program B, inverse A */
		struct tmpl_prog tmp = n->body;
		int had_else = n->has_inverse;

		n->body = n->inverse;
		n->inverse = tmp;
		n->has_program = had_else;
		n->has_inverse = 1;
	}
	return 0;
}

/* hbs_mustache - {{x}}, {{{x}}}, {{&x}}. */
static int
hbs_mustache(struct hbs *h, struct tmpl_prog *p, size_t lo)
{
	struct tmpl_node *n = hbs_node_at(h, p, TMPL_N_VAR, lo);
	struct str name;
	int triple = 0;

	n->strip.open = hbs_open_strip(h);
	if (hbs_at(h, h->pos, "{")) {
		triple = 1;
		n->kind = TMPL_N_RAW;
		h->pos++;
	} else if (hbs_at(h, h->pos, "&")) {
		n->kind = TMPL_N_RAW;
		h->pos++;
	}
	if (hbs_expr(h, &n->expr, 0, triple, &name, NULL) != 0)
		return -1;
	return hbs_close(h, triple, &n->strip.close);
}

/* hbs_tag_kind - after "{{" and an optional "~" at pos: the tag's sigil
 * ('/', 'e' for else, 'c' for an else chain, '!', '>', '#', '^', or 0). */
static char
hbs_tag_kind(const struct hbs *h, size_t pos)
{
	size_t i;

	if (pos < h->len && h->s[pos] == '~')
		pos++;
	if (pos >= h->len)
		return 0;
	switch (h->s[pos]) {
	case '/':
	case '!':
	case '>':
	case '#':
		return h->s[pos];
	case '^':
		for (i = pos + 1; i < h->len && hbs_space(h->s[i]); i++)
			;
		if (hbs_at(h, i, "}}") || hbs_at(h, i, "~}}"))
			return 'e';
		return '^';
	default:
		break;
	}
	for (i = pos; i < h->len && hbs_space(h->s[i]); i++)
		;
	if (!hbs_at(h, i, "else"))
		return 0;
	i += 4;
	if (i < h->len && hbs_id_char(h->s[i]))
		return 0; /* elsewhere */
	while (i < h->len && hbs_space(h->s[i]))
		i++;
	if (hbs_at(h, i, "}}") || hbs_at(h, i, "~}}"))
		return 'e';
	return 'c';
}

/* hbs_content - text from pos up to the next real tag (handling \{{). */
static void
hbs_content(struct hbs *h, struct tmpl_prog *p)
{
	const char *e;
	size_t lo = h->pos, at;

	for (;;) {
		e = memmem(h->s + h->pos, h->len - h->pos, "{{", 2);
		at = e ? (size_t)(e - h->s) : h->len;
		if (at > lo && h->s[at - 1] == '\\' && at < h->len) {
			if (at - 1 > lo && h->s[at - 2] == '\\') {
				/* \\{{: a literal backslash, then a tag */
				hbs_text(h, p, lo, at - 1);
				h->pos = at;
				return;
			}
			/* \{{: the tag is text, up to the next {{ */
			hbs_text(h, p, lo, at - 1);
			lo = at;
			e = memmem(h->s + at + 2, h->len - at - 2, "{{", 2);
			at = e ? (size_t)(e - h->s) : h->len;
			if (at > lo && h->s[at - 1] == '\\')
				at--;
			hbs_text(h, p, lo, at);
			h->pos = lo = at;
			if (at >= h->len || h->s[at] == '\\')
				continue;
			return;
		}
		hbs_text(h, p, lo, at);
		h->pos = at;
		return;
	}
}

static enum hbs_end
hbs_program(struct hbs *h, struct tmpl_prog *p, int *rc)
{
	size_t lo;
	char k;

	while (h->pos < h->len) {
		hbs_content(h, p);
		if (h->pos >= h->len)
			break;
		lo = h->pos;
		if (hbs_at(h, lo, "{{{{")) {
			*rc = hbs_fail(h, lo,
			               "raw blocks {{{{ }}}} are not "
			               "supported");
			return HBS_END_EOF;
		}
		k = hbs_tag_kind(h, lo + 2);
		switch (k) {
		case '/':
			return HBS_END_CLOSE;
		case 'e':
			return HBS_END_ELSE;
		case 'c':
			return HBS_END_CHAIN;
		case '!':
			*rc = hbs_comment(h, p, lo);
			break;
		case '>':
			*rc = hbs_partial(h, p, lo);
			break;
		case '#': {
			size_t s = lo + 2 + (h->s[lo + 2] == '~');

			if (hbs_at(h, s + 1, "*")) {
				*rc = hbs_fail(h, lo,
				               "decorators and inline partials "
				               "are not supported");
				return HBS_END_EOF;
			}
			if (hbs_at(h, s + 1, ">"))
				*rc = hbs_partial_block(h, p, lo);
			else
				*rc = hbs_block(h, p, lo);
			break;
		}
		case '^':
			*rc = hbs_block(h, p, lo);
			break;
		default:
			if (hbs_at(h, lo + 2, "*") || hbs_at(h, lo + 2, "~*")) {
				*rc = hbs_fail(h, lo,
				               "decorators are not "
				               "supported");
				return HBS_END_EOF;
			}
			*rc = hbs_mustache(h, p, lo);
			break;
		}
		if (*rc != 0)
			return HBS_END_EOF;
	}
	return HBS_END_EOF;
}

/* ---- whitespace control (handlebars.js compiler/whitespace-control) -- */

#define HBS_NONE ((size_t)-1)

/* ws_text - the text node at i of p, or NULL. */
static struct tmpl_node *
ws_text(struct tmpl_prog *p, size_t i)
{
	if (p == NULL || i >= p->len || p->n[i].kind != TMPL_N_TEXT)
		return NULL;
	return &p->n[i];
}

/* ws_trail_nl - the trailing blank run of s contains a newline, or
 * (when start_ok) reaches the start. */
static int
ws_trail_nl(struct str s, int start_ok)
{
	size_t i = s.len;

	while (i > 0 && hbs_space(s.p[i - 1])) {
		if (s.p[i - 1] == '\n')
			return 1;
		i--;
	}
	return start_ok && i == 0;
}

/* ws_lead_nl - the leading blank run of s contains a newline, or (when
 * end_ok) reaches the end. */
static int
ws_lead_nl(struct str s, int end_ok)
{
	size_t i = 0;

	while (i < s.len && hbs_space(s.p[i])) {
		if (s.p[i] == '\n')
			return 1;
		i++;
	}
	return end_ok && i == s.len;
}

/* ws_prev - isPrevWhitespace(body, i, isRoot). */
static int
ws_prev(struct tmpl_prog *p, size_t i, int is_root)
{
	struct tmpl_node *prev;

	if (p == NULL)
		return 0;
	if (i == HBS_NONE)
		i = p->len;
	if (i == 0)
		return is_root;
	prev = &p->n[i - 1];
	if (prev->kind != TMPL_N_TEXT)
		return 0;
	return ws_trail_nl(prev->orig, !(i >= 2 || !is_root));
}

/* ws_next - isNextWhitespace(body, i, isRoot). */
static int
ws_next(struct tmpl_prog *p, size_t i, int is_root)
{
	struct tmpl_node *next;
	size_t j = i == HBS_NONE ? 0 : i + 1;

	if (p == NULL)
		return 0;
	if (j >= p->len)
		return is_root;
	next = &p->n[j];
	if (next->kind != TMPL_N_TEXT)
		return 0;
	return ws_lead_nl(next->orig, !(j + 1 < p->len || !is_root));
}

/* ws_omit_right - omitRight(body, i, multiple). */
static void
ws_omit_right(struct tmpl_prog *p, size_t i, int multiple)
{
	struct tmpl_node *c = ws_text(p, i == HBS_NONE ? 0 : i + 1);
	size_t lo0;

	if (c == NULL || (!multiple && c->rstripped))
		return;
	lo0 = c->lo;
	if (multiple) {
		while (c->lo < c->hi && hbs_space(c->orig.p[c->lo]))
			c->lo++;
	} else {
		while (c->lo < c->hi &&
		       (c->orig.p[c->lo] == ' ' || c->orig.p[c->lo] == '\t'))
			c->lo++;
		if (c->lo < c->hi && c->orig.p[c->lo] == '\r' &&
		    c->lo + 1 < c->hi && c->orig.p[c->lo + 1] == '\n')
			c->lo++;
		if (c->lo < c->hi && c->orig.p[c->lo] == '\n')
			c->lo++;
	}
	c->rstripped = c->lo != lo0;
}

/* ws_omit_left - omitLeft(body, i, multiple); returns leftStripped. */
static int
ws_omit_left(struct tmpl_prog *p, size_t i, int multiple)
{
	struct tmpl_node *c;
	size_t hi0;

	if (p == NULL || p->len == 0 || i == 0)
		return 0;
	c = ws_text(p, i == HBS_NONE ? p->len - 1 : i - 1);
	if (c == NULL || (!multiple && c->lstripped))
		return 0;
	hi0 = c->hi;
	if (multiple) {
		while (c->hi > c->lo && hbs_space(c->orig.p[c->hi - 1]))
			c->hi--;
	} else {
		while (c->hi > c->lo && (c->orig.p[c->hi - 1] == ' ' ||
		                         c->orig.p[c->hi - 1] == '\t'))
			c->hi--;
	}
	c->lstripped = c->hi != hi0;
	return c->lstripped;
}

/* What a statement offers its program (handlebars.js's strip object). */
struct ws_strip {
	int any;
	int open, close;
	int open_standalone, close_standalone, inline_standalone;
};

static void ws_program(struct hbs *h, struct tmpl_prog *p);

/* ws_prog_of - a block's program / inverse, NULL when absent. */
static struct tmpl_prog *
ws_program_of(struct tmpl_node *n)
{
	return n->has_program ? &n->body : NULL;
}

static struct tmpl_prog *
ws_inverse_of(struct tmpl_node *n)
{
	return n->has_inverse ? &n->inverse : NULL;
}

/* ws_block - BlockStatement: visit inside, strip, offer standalone. */
static struct ws_strip
ws_block(struct hbs *h, struct tmpl_node *b)
{
	struct tmpl_prog *prog, *inv, *first_inv, *last_inv;
	struct ws_strip s = {0};

	if (ws_program_of(b))
		ws_program(h, ws_program_of(b));
	if (ws_inverse_of(b))
		ws_program(h, ws_inverse_of(b));
	prog = ws_program_of(b) ? ws_program_of(b) : ws_inverse_of(b);
	inv = ws_program_of(b) ? ws_inverse_of(b) : NULL;
	first_inv = last_inv = inv;
	if (inv != NULL && inv->chained) {
		first_inv = ws_program_of(&inv->n[0]);
		while (last_inv != NULL && last_inv->chained)
			last_inv =
			    ws_program_of(&last_inv->n[last_inv->len - 1]);
	}
	s.any = 1;
	s.open = b->open_strip.open;
	s.close = b->close_strip.close;
	s.open_standalone = ws_next(prog, HBS_NONE, 0);
	s.close_standalone = ws_prev(first_inv ? first_inv : prog, HBS_NONE, 0);
	if (b->open_strip.close)
		ws_omit_right(prog, HBS_NONE, 1);
	if (inv != NULL) {
		if (b->inv_strip.open)
			ws_omit_left(prog, HBS_NONE, 1);
		if (b->inv_strip.close)
			ws_omit_right(first_inv, HBS_NONE, 1);
		if (b->close_strip.open)
			ws_omit_left(last_inv, HBS_NONE, 1);
		if (ws_prev(prog, HBS_NONE, 0) &&
		    ws_next(first_inv, HBS_NONE, 0)) {
			ws_omit_left(prog, HBS_NONE, 0);
			ws_omit_right(first_inv, HBS_NONE, 0);
		}
	} else if (b->close_strip.open) {
		ws_omit_left(prog, HBS_NONE, 1);
	}
	return s;
}

/* ws_trailing_blank - the [ \t]+ run ending s (the partial's indent). */
static struct str
ws_trailing_blank(struct str s)
{
	size_t i = s.len;

	while (i > 0 && (s.p[i - 1] == ' ' || s.p[i - 1] == '\t'))
		i--;
	return (struct str){s.p + i, s.len - i};
}

/* ws_program - Program: each statement, then its standalone rules. */
static void
ws_program(struct hbs *h, struct tmpl_prog *p)
{
	int is_root = !h->root_seen;
	size_t i;

	h->root_seen = 1;
	for (i = 0; i < p->len; i++) {
		struct tmpl_node *cur = &p->n[i];
		struct ws_strip s = {0};
		int prev_ws, next_ws;

		switch (cur->kind) {
		case TMPL_N_TEXT:
			continue;
		case TMPL_N_VAR:
		case TMPL_N_RAW:
			s.any = 1;
			s.open = cur->strip.open;
			s.close = cur->strip.close;
			break;
		case TMPL_N_PARTIAL:
			if (cur->has_program) {
				/* a partial block: handlebars.js's
				 * PartialBlockStatement is a block here */
				s = ws_block(h, cur);
				cur = &p->n[i];
				break;
			}
			/* fall through */
		case TMPL_N_COMMENT:
			s.any = 1;
			s.inline_standalone = 1;
			s.open = cur->strip.open;
			s.close = cur->strip.close;
			break;
		case TMPL_N_SECTION:
		case TMPL_N_INVERTED:
			s = ws_block(h, cur);
			cur = &p->n[i];
			break;
		}
		prev_ws = ws_prev(p, i, is_root);
		next_ws = ws_next(p, i, is_root);
		if (s.close)
			ws_omit_right(p, i, 1);
		if (s.open)
			ws_omit_left(p, i, 1);
		if (s.inline_standalone && prev_ws && next_ws) {
			ws_omit_right(p, i, 0);
			if (ws_omit_left(p, i, 0) &&
			    cur->kind == TMPL_N_PARTIAL) {
				struct str ind =
				    ws_trailing_blank(p->n[i - 1].orig);

				cur->indent = xmemdup(ind.p, ind.len);
				cur->indent_len = ind.len;
			}
		}
		if (s.open_standalone && prev_ws) {
			ws_omit_right(ws_program_of(cur) ? ws_program_of(cur)
			                                 : ws_inverse_of(cur),
			              HBS_NONE, 0);
			ws_omit_left(p, i, 0);
		}
		if (s.close_standalone && next_ws) {
			ws_omit_right(p, i, 0);
			ws_omit_left(ws_inverse_of(cur) ? ws_inverse_of(cur)
			                                : ws_program_of(cur),
			             HBS_NONE, 0);
		}
	}
}

int
tmpl_hbs_parse(struct tmpl *t, struct tmpl_error *err)
{
	struct hbs h;
	enum hbs_end end;
	int rc = 0;

	memset(&h, 0, sizeof(h));
	h.t = t;
	h.err = err;
	h.s = t->src;
	h.len = t->len;
	h.pos_line = h.pos_col = 1;
	end = hbs_program(&h, &t->root, &rc);
	free(h.scope);
	if (rc != 0)
		return -1;
	if (end == HBS_END_CLOSE)
		return hbs_fail(&h, h.pos, "closing tag without an open block");
	if (end != HBS_END_EOF)
		return hbs_fail(&h, h.pos, "{{else}} outside a block");
	ws_program(&h, &t->root);
	return 0;
}
