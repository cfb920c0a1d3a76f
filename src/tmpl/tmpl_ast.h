/*
 * tmpl_ast.h - the parsed form of a template, shared by the parsers
 * (tmpl_parse.c for Mustache and Mustachio, tmpl_hbs.c for Handlebars)
 * and the renderer (tmpl_render.c). Internal to src/tmpl.
 *
 * A template is a program: an array of nodes. Text nodes are views into
 * the template's own copy of the source (original) narrowed by the
 * whitespace rules to [lo, hi). Blocks hold two programs: body (fn) and
 * inverse (else). Every allocation hangs off struct tmpl and is released
 * by tmpl_free.
 */
#ifndef SWERVE_TMPL_TMPL_AST_H
#define SWERVE_TMPL_TMPL_AST_H

#include <stddef.h>

#include "core/buf.h"
#include "tmpl/tmpl.h"

enum tmpl_node_kind {
	TMPL_N_TEXT,
	TMPL_N_VAR,      /* {{x}}: escaped */
	TMPL_N_RAW,      /* {{{x}}} {{&x}}: not escaped */
	TMPL_N_SECTION,  /* {{#x}}...{{else}}...{{/x}} */
	TMPL_N_INVERTED, /* {{^x}}...{{/x}} */
	TMPL_N_PARTIAL,  /* {{> name}}; {{#> name}}body{{/name}} has_program */
	TMPL_N_COMMENT,  /* {{! x}}: kept for the whitespace rules only */
};

/* A name: ../ count, @data, this/. and the dotted segments. */
struct tmpl_path {
	unsigned up;
	unsigned char data;   /* @name */
	unsigned char scoped; /* this. ./ or "." : never a helper */
	/* Handlebars: the first segment names a block parameter: the
	 * bp_index-th of the bp_depth-th enclosing block that declares
	 * parameters (0: the innermost), resolved by the parser */
	unsigned char bp;
	unsigned bp_depth, bp_index;
	size_t nseg;
	struct str *seg; /* owned array; the views point into the source */
};

enum tmpl_arg_kind {
	TMPL_A_PATH,
	TMPL_A_STRING,
	TMPL_A_NUMBER,
	TMPL_A_BOOL,
	TMPL_A_NULL,
	TMPL_A_UNDEF,
	TMPL_A_SUB, /* (helper args) */
};

struct tmpl_expr;

/* One argument of a Handlebars call; key set for hash arguments. */
struct tmpl_arg {
	enum tmpl_arg_kind kind;
	struct str key;
	struct tmpl_path path;
	char *s; /* TMPL_A_STRING: owned, unescaped */
	size_t slen;
	double num;
	int b;
	struct tmpl_expr *sub; /* owned */
};

/* A name with its arguments (Mustache: never any arguments). */
struct tmpl_expr {
	struct tmpl_path path;
	int helper; /* Handlebars: enum tmpl_helper_id the name calls, or 0 */
	size_t nargs, nhash;
	struct tmpl_arg *args, *hash; /* owned arrays */
};

struct tmpl_node;

struct tmpl_prog {
	struct tmpl_node *n; /* owned array */
	size_t len, cap;
	int chained; /* Handlebars: an {{else if}} chain (one block) */
};

/* Whitespace control flags (~) of a tag: strip before / after it. */
struct tmpl_strip {
	unsigned char open, close;
};

struct tmpl_node {
	enum tmpl_node_kind kind;
	unsigned line, col;
	/* TMPL_N_TEXT */
	struct str orig;
	size_t lo, hi;
	unsigned char lstripped, rstripped;
	/* everything else */
	struct tmpl_expr expr;
	struct tmpl_prog body, inverse;
	int has_program; /* Handlebars: body exists ({{^x}} has none) */
	int has_inverse; /* inverse exists ({{else}}, or {{^x}}'s body) */
	struct str *bps; /* owned: block parameters (as |a b|), views */
	size_t nbps;
	struct tmpl_strip strip, open_strip, inv_strip, close_strip;
	/* TMPL_N_PARTIAL */
	int each;         /* Mustachio {{#each x}} */
	struct str pname; /* partial name */
	int dynamic;      /* Mustache {{>*x}}: the name is the value of x */
	char *indent;     /* owned: standalone indentation, or NULL */
	size_t indent_len;
	int indent_skip_first; /* Mustache: the first line is not indented */
};

struct tmpl {
	enum tmpl_dialect dialect;
	char *src; /* owned copy, NUL-terminated */
	size_t len;
	struct tmpl_prog root;
};

/* tmpl_prog_push - append a zeroed node to p and return it. */
struct tmpl_node *tmpl_prog_push(struct tmpl_prog *p);
/* tmpl_prog_fini - release p's nodes and everything below them. */
void tmpl_prog_fini(struct tmpl_prog *p);
/* tmpl_expr_fini - release what e owns. */
void tmpl_expr_fini(struct tmpl_expr *e);

/* tmpl_error_set - fill err (may be NULL) with code, place and message. */
void tmpl_error_set(struct tmpl_error *err, enum tmpl_errcode code,
                    unsigned line, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* tmpl_pos - 1-based line and column of offset off in src. */
void tmpl_pos(const char *src, size_t off, unsigned *line, unsigned *col);

/*
 * tmpl_hbs_parse - parse t->src as Handlebars into t->root; 0, or -1 with
 * err filled (TMPL_ERR_SYNTAX).
 */
int tmpl_hbs_parse(struct tmpl *t, struct tmpl_error *err);

/*
 * tmpl_mus_parse - parse t->src as Mustache (or Mustachio, by
 * t->dialect) into t->root; 0, or -1 with err filled.
 */
int tmpl_mus_parse(struct tmpl *t, struct tmpl_error *err);

#endif
