/*
 * tmpl_mus.c - the Mustache and Mustachio parser.
 *
 * Two passes. The scanner cuts the source into text pieces (never
 * crossing a newline) and tags, under the current delimiters, and applies
 * the standalone rule line by line, as mustache.js does: a line whose
 * text is all whitespace and whose tags are all non-interpolating
 * (sections, inverted, closing, comments, partials, set delimiters) loses
 * all of its text, newline included. A partial remembers the line's
 * indentation (the text before it, every non-blank turned into a space),
 * used when it is the line's first tag. The builder then nests the tokens
 * into programs, checking that sections close in order.
 *
 * Mustachio adds {{#each x}} ... {{/each}}, ../ in names and @content.
 */
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "tmpl/tmpl_ast.h"

/* A token: a piece of text or a tag. */
struct mus_tok {
	char type; /* 0 text; n & # ^ / > ! = */
	int deleted;
	size_t start;  /* first byte (text: the text; tag: the open delim) */
	size_t lo, hi; /* text, or the tag's trimmed value */
	unsigned line, col;
	char *indent; /* '>': owned indentation */
	size_t indent_len;
	unsigned tag_index;
	int line_has_nonspace;
};

struct mus_scan {
	struct tmpl *t;
	struct tmpl_error *err;
	struct mus_tok *tok;
	size_t ntok, captok;
	/* delimiters */
	char otag[64], ctag[64];
	size_t olen, clen;
	/* line state */
	size_t line_first; /* first token of the current line */
	int has_tag, non_space, line_has_nonspace;
	unsigned tag_index;
	struct buf indent;
	/* position cursor */
	size_t pos_off;
	unsigned pos_line, pos_col;
};

/* mus_is_space - JavaScript's \s over ASCII. */
static int
mus_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

/* mus_pos - line and column of off (offsets only ever grow). */
static void
mus_pos(struct mus_scan *s, size_t off, unsigned *line, unsigned *col)
{
	if (off < s->pos_off) {
		tmpl_pos(s->t->src, off, line, col);
		return;
	}
	for (; s->pos_off < off; s->pos_off++) {
		if (s->t->src[s->pos_off] == '\n') {
			s->pos_line++;
			s->pos_col = 1;
		} else {
			s->pos_col++;
		}
	}
	*line = s->pos_line;
	*col = s->pos_col;
}

/* mus_tok_push - append a zeroed token starting at off. */
static struct mus_tok *
mus_tok_push(struct mus_scan *s, char type, size_t off)
{
	struct mus_tok *k;

	if (s->ntok == s->captok) {
		s->captok = s->captok ? s->captok * 2 : 64;
		s->tok = xreallocarray(s->tok, s->captok, sizeof(*s->tok));
	}
	k = &s->tok[s->ntok++];
	memset(k, 0, sizeof(*k));
	k->type = type;
	k->start = off;
	mus_pos(s, off, &k->line, &k->col);
	return k;
}

/* mus_strip_line - end of a line: drop its text if it is standalone. */
static void
mus_strip_line(struct mus_scan *s)
{
	size_t i;

	if (s->has_tag && !s->non_space) {
		for (i = s->line_first; i < s->ntok; i++) {
			if (s->tok[i].type == 0)
				s->tok[i].deleted = 1;
		}
	}
	s->has_tag = 0;
	s->non_space = 0;
	s->line_first = s->ntok;
}

/* mus_text - scan text src[lo..hi) into tokens, one per line piece. */
static void
mus_text(struct mus_scan *s, size_t lo, size_t hi)
{
	const char *src = s->t->src;
	size_t i, piece = lo;

	for (i = lo; i < hi; i++) {
		char c = src[i];

		if (mus_is_space(c)) {
			buf_addch(&s->indent, c);
		} else {
			s->non_space = 1;
			s->line_has_nonspace = 1;
			buf_addch(&s->indent, ' ');
		}
		if (c == '\n') {
			struct mus_tok *k = mus_tok_push(s, 0, piece);

			k->lo = piece;
			k->hi = i + 1;
			piece = i + 1;
			mus_strip_line(s);
			s->indent.len = 0;
			s->tag_index = 0;
			s->line_has_nonspace = 0;
		}
	}
	if (piece < hi) {
		struct mus_tok *k = mus_tok_push(s, 0, piece);

		k->lo = piece;
		k->hi = hi;
	}
}

/* mus_find - first occurrence of pat[0..n) in src[from..len), or len. */
static size_t
mus_find(const struct mus_scan *s, size_t from, const char *pat, size_t n)
{
	const char *p;

	if (from >= s->t->len)
		return s->t->len;
	p = memmem(s->t->src + from, s->t->len - from, pat, n);
	return p ? (size_t)(p - s->t->src) : s->t->len;
}

/*
 * mus_until - mustache.js's scanUntil(/\s*PAT/): the start of the blank
 * run before the first PAT at or after from (len when there is none);
 * *at gets PAT's offset (len when none).
 */
static size_t
mus_until(const struct mus_scan *s, size_t from, const char *pat, size_t n,
          size_t *at)
{
	size_t j = mus_find(s, from, pat, n), i = j;

	*at = j;
	if (j == s->t->len)
		return j;
	while (i > from && mus_is_space(s->t->src[i - 1]))
		i--;
	return i;
}

/* mus_set_delims - apply "{{=L R=}}"'s value; -1 when it is not two words. */
static int
mus_set_delims(struct mus_scan *s, size_t lo, size_t hi)
{
	const char *src = s->t->src;
	size_t a = lo, b, c, d;

	b = a;
	while (b < hi && !mus_is_space(src[b]))
		b++;
	c = b;
	while (c < hi && mus_is_space(src[c]))
		c++;
	d = c;
	while (d < hi && !mus_is_space(src[d]))
		d++;
	if (b == a || d == c || b - a >= sizeof(s->otag) ||
	    d - c >= sizeof(s->ctag))
		return -1;
	memcpy(s->otag, src + a, b - a);
	s->olen = b - a;
	memcpy(s->ctag, src + c, d - c);
	s->clen = d - c;
	return 0;
}

/* mus_fail - record a syntax error at offset off. */
static int
mus_fail(struct mus_scan *s, size_t off, const char *what)
{
	unsigned line, col;

	tmpl_pos(s->t->src, off, &line, &col);
	tmpl_error_set(s->err, TMPL_ERR_SYNTAX, line, col, "%s", what);
	return -1;
}

/* mus_tag - scan the tag opening at off; returns the offset after it. */
static int
mus_tag(struct mus_scan *s, size_t off, size_t *next)
{
	const char *src = s->t->src;
	size_t len = s->t->len, p = off + s->olen, vlo, vhi, at;
	char type = 'n', close[72];
	struct mus_tok *k;

	s->has_tag = 1;
	if (p < len && strchr("#^/>{&=!", src[p]) != NULL && src[p] != '\0')
		type = src[p++];
	while (p < len && mus_is_space(src[p]))
		p++;
	vlo = p;
	if (type == '=') {
		vhi = mus_until(s, p, "=", 1, &at);
		if (at == len)
			return mus_fail(s, off, "unclosed tag");
		(void)mus_until(s, at + 1, s->ctag, s->clen, &at);
	} else if (type == '{') {
		close[0] = '}';
		memcpy(close + 1, s->ctag, s->clen);
		vhi = mus_until(s, p, close, s->clen + 1, &at);
		if (at < len)
			at++;
		type = '&';
	} else {
		vhi = mus_until(s, p, s->ctag, s->clen, &at);
	}
	if (at == len)
		return mus_fail(s, off, "unclosed tag");
	*next = at + s->clen;
	k = mus_tok_push(s, type, off);
	k->lo = vlo;
	k->hi = vhi;
	if (type == '>') {
		size_t i;

		k->indent = xmalloc(s->indent.len + 1);
		for (i = 0; i < s->indent.len; i++) {
			char c = s->indent.p[i];

			if (c == ' ' || c == '\t')
				k->indent[k->indent_len++] = c;
		}
		k->tag_index = s->tag_index;
		k->line_has_nonspace = s->line_has_nonspace;
	}
	s->tag_index++;
	if (type == 'n' || type == '&')
		s->non_space = 1;
	if (type == '=' && mus_set_delims(s, vlo, vhi) != 0)
		return mus_fail(s, off,
		                "invalid delimiters: want two words "
		                "such as {{=<% %>=}}");
	return 0;
}

/* mus_scan_all - tokenize the whole source. */
static int
mus_scan_all(struct mus_scan *s)
{
	size_t pos = 0, len = s->t->len, at;

	while (pos < len) {
		at = mus_find(s, pos, s->otag, s->olen);
		mus_text(s, pos, at);
		if (at == len)
			break;
		if (mus_tag(s, at, &pos) != 0)
			return -1;
	}
	mus_strip_line(s);
	return 0;
}

/* mus_path - parse a name into a path (Mustachio: ../ and @). */
static int
mus_path(struct tmpl *t, size_t lo, size_t hi, struct tmpl_path *path)
{
	const char *src = t->src;
	size_t i, start;

	memset(path, 0, sizeof(*path));
	if (t->dialect == TMPL_MUSTACHIO) {
		while (hi - lo >= 3 && memcmp(src + lo, "../", 3) == 0) {
			path->up++;
			lo += 3;
		}
		if (lo < hi && src[lo] == '@') {
			path->data = 1;
			lo++;
		}
	}
	if (hi - lo == 1 && src[lo] == '.') {
		path->scoped = 1;
		return 0;
	}
	/* mustache.js: a name is dotted when a '.' follows its first byte */
	if (lo == hi || memchr(src + lo + 1, '.', hi - lo - 1) == NULL) {
		path->seg = xmalloc(sizeof(*path->seg));
		path->seg[0] = (struct str){src + lo, hi - lo};
		path->nseg = 1;
		return 0;
	}
	path->nseg = 1;
	for (i = lo; i < hi; i++)
		path->nseg += src[i] == '.';
	path->seg = xcalloc(path->nseg, sizeof(*path->seg));
	path->nseg = 0;
	for (start = lo, i = lo; i <= hi; i++) {
		if (i == hi || src[i] == '.') {
			path->seg[path->nseg++] =
			    (struct str){src + start, i - start};
			start = i + 1;
		}
	}
	return 0;
}

/* An open section while building. */
struct mus_open {
	struct tmpl_prog *prog; /* where its children go */
	const struct mus_tok *tok;
	size_t nlo, nhi; /* the name a closing tag must repeat */
};

/* mus_build - nest the tokens into t->root. */
static int
mus_build(struct mus_scan *s)
{
	struct tmpl *t = s->t;
	struct mus_open stack[TMPL_PARSE_MAX_DEPTH + 1];
	size_t depth = 0, i;
	struct tmpl_prog *cur = &t->root;
	struct tmpl_node *last_text = NULL;

	for (i = 0; i < s->ntok; i++) {
		struct mus_tok *k = &s->tok[i];
		struct tmpl_node *n;
		size_t nlo = k->lo, nhi = k->hi;

		if (k->deleted)
			continue;
		if (k->type == 0) {
			if (last_text != NULL &&
			    last_text->orig.p + last_text->orig.len ==
			        t->src + k->lo) {
				last_text->orig.len += k->hi - k->lo;
				last_text->hi = last_text->orig.len;
				continue;
			}
			n = tmpl_prog_push(cur);
			n->kind = TMPL_N_TEXT;
			n->orig = (struct str){t->src + k->lo, k->hi - k->lo};
			n->lo = 0;
			n->hi = n->orig.len;
			n->line = k->line;
			n->col = k->col;
			last_text = n;
			continue;
		}
		last_text = NULL;
		switch (k->type) {
		case '!':
		case '=':
			continue;
		case '/':
			if (depth == 0)
				return mus_fail(s, k->start,
				                "closing tag without an open "
				                "section");
			if (nhi - nlo !=
			        stack[depth - 1].nhi - stack[depth - 1].nlo ||
			    memcmp(t->src + nlo, t->src + stack[depth - 1].nlo,
			           nhi - nlo) != 0) {
				tmpl_error_set(
				    s->err, TMPL_ERR_SYNTAX, k->line, k->col,
				    "section \"%.*s\" (line %u column %u) "
				    "closed by \"%.*s\"",
				    (int)(stack[depth - 1].nhi -
				                      stack[depth - 1].nlo <
				                  60
				              ? stack[depth - 1].nhi -
				                    stack[depth - 1].nlo
				              : 60),
				    t->src + stack[depth - 1].nlo,
				    stack[depth - 1].tok->line,
				    stack[depth - 1].tok->col,
				    (int)(nhi - nlo < 60 ? nhi - nlo : 60),
				    t->src + nlo);
				return -1;
			}
			depth--;
			cur = stack[depth].prog;
			continue;
		default:
			break;
		}
		n = tmpl_prog_push(cur);
		n->line = k->line;
		n->col = k->col;
		if (k->type == '>') {
			n->kind = TMPL_N_PARTIAL;
			if (t->dialect == TMPL_MUSTACHE && nlo < nhi &&
			    t->src[nlo] == '*') {
				/* ~dynamic-names: the name is a value */
				nlo++;
				while (nlo < nhi && mus_is_space(t->src[nlo]))
					nlo++;
				n->dynamic = 1;
				mus_path(t, nlo, nhi, &n->expr.path);
			}
			n->pname = (struct str){t->src + nlo, nhi - nlo};
			if (k->tag_index == 0 && k->indent_len > 0) {
				n->indent = k->indent;
				n->indent_len = k->indent_len;
				n->indent_skip_first = k->line_has_nonspace;
				k->indent = NULL;
			}
			continue;
		}
		n->kind = k->type == 'n'   ? TMPL_N_VAR
		          : k->type == '&' ? TMPL_N_RAW
		          : k->type == '#' ? TMPL_N_SECTION
		                           : TMPL_N_INVERTED;
		if (t->dialect == TMPL_MUSTACHIO && k->type == '#' &&
		    nhi - nlo > 5 && memcmp(t->src + nlo, "each", 4) == 0 &&
		    mus_is_space(t->src[nlo + 4])) {
			n->each = 1;
			nlo += 5;
			while (nlo < nhi && mus_is_space(t->src[nlo]))
				nlo++;
			mus_path(t, nlo, nhi, &n->expr.path);
			nlo = k->lo;
			nhi = k->lo + 4;
		} else {
			mus_path(t, nlo, nhi, &n->expr.path);
		}
		if (k->type == '#' || k->type == '^') {
			if (depth == TMPL_PARSE_MAX_DEPTH)
				return mus_fail(
				    s, k->start,
				    "sections nested too deep (limit "
				    "100)");
			stack[depth].prog = cur;
			stack[depth].tok = k;
			stack[depth].nlo = nlo;
			stack[depth].nhi = nhi;
			depth++;
			cur = &n->body;
		}
	}
	if (depth > 0) {
		const struct mus_tok *k = stack[depth - 1].tok;

		tmpl_error_set(
		    s->err, TMPL_ERR_SYNTAX, k->line, k->col,
		    "section \"%.*s\" is never closed",
		    (int)(stack[depth - 1].nhi - stack[depth - 1].nlo < 60
		              ? stack[depth - 1].nhi - stack[depth - 1].nlo
		              : 60),
		    t->src + stack[depth - 1].nlo);
		return -1;
	}
	return 0;
}

int
tmpl_mus_parse(struct tmpl *t, struct tmpl_error *err)
{
	struct mus_scan s;
	size_t i;
	int rc;

	memset(&s, 0, sizeof(s));
	s.t = t;
	s.err = err;
	memcpy(s.otag, "{{", 2);
	memcpy(s.ctag, "}}", 2);
	s.olen = s.clen = 2;
	s.pos_line = s.pos_col = 1;
	buf_init(&s.indent);
	rc = mus_scan_all(&s);
	if (rc == 0)
		rc = mus_build(&s);
	for (i = 0; i < s.ntok; i++)
		free(s.tok[i].indent);
	free(s.tok);
	buf_fini(&s.indent);
	return rc;
}
