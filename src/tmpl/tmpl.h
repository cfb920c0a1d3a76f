/*
 * tmpl.h - the template engine: Mustache, Handlebars and Mustachio.
 *
 * One engine for every template swerve renders: the ESP templates of the
 * drop-in APIs (SES and SendGrid and Mailgun: Handlebars; Postmark:
 * Mustachio) and the incident notices. A template is parsed once into an
 * immutable tree (tmpl_parse) and rendered any number of times, from any
 * number of threads at once, against JSON data (jansson) into a struct buf
 * (tmpl_render). Nothing here does I/O, logs or touches global state.
 *
 * Dialects:
 *   TMPL_MUSTACHE    the Mustache specification (required modules), with
 *                    mustache.js's choices where the spec is silent
 *                    (falsy "" and 0, its HTML escape set).
 *   TMPL_HANDLEBARS  Handlebars 4 (handlebars.js): #if #unless #each #with,
 *                    else / else if, paths (a.b ../ this @root @index
 *                    @key @first @last), ~ whitespace control, literals,
 *                    hash arguments, subexpressions, partials, and
 *                    SendGrid's helpers (equals notEquals greaterThan
 *                    lessThan and or length formatDate insert) and
 *                    Mailgun's (equal).
 *   TMPL_MUSTACHIO   Postmark's Mustachio: Mustache plus {{#each x}}, and
 *                    layouts: a layout template shows the rendered content
 *                    template where it says {{{@content}}}.
 *
 * Bounded work: parsing refuses nesting deeper than TMPL_PARSE_MAX_DEPTH
 * (with line and column); rendering stops with an error when the data
 * depth, the output size, the number of steps (nodes visited, loop
 * iterations included) or the partial depth passes its limit. Either way
 * the caller gets a clear message and its output buffer is left as it was.
 *
 * Memory: struct tmpl is owned by the caller of tmpl_parse and released
 * with tmpl_free; it keeps its own copy of the source. tmpl_render appends
 * to a caller-owned buf and never keeps a pointer to data, options or the
 * partial sources after it returns.
 */
#ifndef SWERVE_TMPL_TMPL_H
#define SWERVE_TMPL_TMPL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/buf.h"

enum tmpl_dialect {
	TMPL_MUSTACHE,
	TMPL_HANDLEBARS,
	TMPL_MUSTACHIO,
};

/*
 * How {{x}} (the escaping form) writes values; {{{x}}} and {{&x}} never
 * escape.
 *   TMPL_ESCAPE_HTML   the dialect's own HTML escaping: Handlebars escapes
 *                      & < > " ' ` = (&amp; &lt; &gt; &quot; &#x27; &#x60;
 *                      &#x3D;); Mustache as mustache.js (& < > " ' / ` =);
 *                      Mustachio as .NET's HtmlEncode (& < > " ').
 *   TMPL_ESCAPE_NONE   no escaping (SES's Handlebars, plain text bodies).
 *   TMPL_ESCAPE_SLACK  Slack mrkdwn: & < > as &amp; &lt; &gt;.
 */
enum tmpl_escape {
	TMPL_ESCAPE_HTML,
	TMPL_ESCAPE_NONE,
	TMPL_ESCAPE_SLACK,
};

/* Nesting deeper than this is refused by tmpl_parse. */
#define TMPL_PARSE_MAX_DEPTH 100

/*
 * Render limits; a field left 0 takes its default.
 *   max_depth          nested sections/blocks/partials at render (64)
 *   max_output         bytes this render may append (4 MiB)
 *   max_steps          nodes visited, every loop iteration counting
 *                      (1,000,000)
 *   max_partial_depth  partials inside partials (16)
 */
struct tmpl_limits {
	unsigned max_depth;
	size_t max_output;
	uint64_t max_steps;
	unsigned max_partial_depth;
};

#define TMPL_DEFAULT_MAX_DEPTH 64u
#define TMPL_DEFAULT_MAX_OUTPUT ((size_t)4 << 20)
#define TMPL_DEFAULT_MAX_STEPS 1000000u
#define TMPL_DEFAULT_MAX_PARTIAL_DEPTH 16u

/* What went wrong (negative return values of tmpl_render). */
enum tmpl_errcode {
	TMPL_OK = 0,
	TMPL_ERR_SYNTAX = -1,  /* a template or partial does not parse */
	TMPL_ERR_MISSING = -2, /* missing_is_error and a name is missing */
	TMPL_ERR_LIMIT = -3,   /* depth, output, steps or partial depth */
	TMPL_ERR_PARTIAL = -4, /* the partial callback has no such partial */
	TMPL_ERR_HELPER = -5,  /* a helper refused its arguments */
};

/*
 * An error: where (1-based line and column in the template, or in the
 * partial named in msg; 0 when no place applies) and what, as one
 * NUL-terminated sentence.
 */
struct tmpl_error {
	enum tmpl_errcode code;
	unsigned line, col;
	char msg[200];
};

struct tmpl;

/*
 * tmpl_parse - parse src[0..len) (NULs allowed, no terminator needed) as a
 * template of dialect d. Returns a new template the caller frees with
 * tmpl_free, or NULL with err filled (code TMPL_ERR_SYNTAX, line and
 * column of the fault) when the source does not parse or nests deeper
 * than TMPL_PARSE_MAX_DEPTH. err may be NULL. The template keeps a copy of
 * src; the caller's bytes are not referenced afterwards.
 */
struct tmpl *tmpl_parse(enum tmpl_dialect d, const char *src, size_t len,
                        struct tmpl_error *err);

/* tmpl_free - release t; tmpl_free(NULL) does nothing. */
void tmpl_free(struct tmpl *t);

/* tmpl_dialect_of - the dialect t was parsed as. */
enum tmpl_dialect tmpl_dialect_of(const struct tmpl *t);

/*
 * A partial lookup: set *src and *len to the source of partial name
 * (NUL-terminated) and return 0, or return -1 when there is none. The
 * bytes are borrowed: they must stay valid until tmpl_render returns.
 * The partial is parsed in the dialect of the template that includes it.
 */
typedef int tmpl_partial_fn(void *arg, const char *name, const char **src,
                            size_t *len);

/*
 * Options of one render; a zeroed struct means: HTML escaping, default
 * limits, no partials, missing names render as nothing.
 *   escape            see enum tmpl_escape
 *   limits            NULL: the defaults
 *   partial           NULL: no partials. A partial that is not found
 *                     renders as nothing in Mustache and Mustachio (the
 *                     spec) and is an error in Handlebars (TMPL_ERR_PARTIAL)
 *   missing_is_error  strict mode (where an ESP documents it): a name that
 *                     an interpolation ({{x}}, {{{x}}}) finds nothing for
 *                     is an error (TMPL_ERR_MISSING) instead of an empty
 *                     string; null is a value; sections and helper
 *                     arguments are not affected
 *   content           Mustachio layouts: what {{{@content}}} shows (the
 *                     rendered content template); NULL: nothing
 */
struct tmpl_render_opts {
	enum tmpl_escape escape;
	const struct tmpl_limits *limits;
	tmpl_partial_fn *partial;
	void *partial_arg;
	int missing_is_error;
	const char *content;
	size_t content_len;
};

/*
 * tmpl_render - render t against data (any JSON value; NULL is treated as
 * an empty object) and append the text to out. Returns 0, or a negative
 * enum tmpl_errcode with err filled (err may be NULL); on error out is left
 * exactly as it was. o may be NULL (the zeroed defaults). data, o and the
 * partial sources are borrowed for the duration of the call.
 */
int tmpl_render(const struct tmpl *t, const json_t *data,
                const struct tmpl_render_opts *o, struct buf *out,
                struct tmpl_error *err);

/*
 * tmpl_render_layout - Mustachio layouts: render content, then render
 * layout with {{{@content}}} showing that text, both against data, and
 * append the result to out. Returns as tmpl_render (out unchanged on
 * error); o->content is ignored.
 */
int tmpl_render_layout(const struct tmpl *layout, const struct tmpl *content,
                       const json_t *data, const struct tmpl_render_opts *o,
                       struct buf *out, struct tmpl_error *err);

/*
 * tmpl_dialect_parse_name - "mustache", "handlebars" or "mustachio" to its
 * dialect in *d; returns 0, or -1 for any other name.
 */
int tmpl_dialect_parse_name(const char *name, enum tmpl_dialect *d);

/*
 * tmpl_suggest_model - add to model (a JSON object) a member for every
 * name t looks up, as Postmark's SuggestedTemplateModel shows them:
 * "name": "name_Value", a section's name an object, {{#each x}} a list of
 * one object, each filled from the block's body (tmpl_suggest.c).
 */
void tmpl_suggest_model(const struct tmpl *t, json_t *model);

/* tmpl_dialect_name - the dialect's name as above. */
const char *tmpl_dialect_name(enum tmpl_dialect d);

#endif
