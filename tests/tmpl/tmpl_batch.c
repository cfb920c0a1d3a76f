/*
 * tmpl_batch.c - render many templates, one JSON case per input line, for
 * the differential tests (tests/tmpl/test_tmpl_diff.py builds it against
 * the ASan libswerve.a).
 *
 *   tmpl_batch < cases.jsonl > results.jsonl
 *
 * A case: {"dialect": "mustache"|"handlebars"|"mustachio", "template": S,
 * "data": JSON, "partials": {name: S}, "escape": "html"|"none"|"slack",
 * "strict": bool}. A result, one line per case in order:
 * {"out": S} or {"error": S, "code": N, "line": N, "col": N}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/buf.h"
#include "tmpl/tmpl.h"

/* batch_partial - partials from the case's "partials" object. */
static int
batch_partial(void *arg, const char *name, const char **src, size_t *len)
{
	json_t *p = json_object_get((json_t *)arg, name);

	if (!json_is_string(p))
		return -1;
	*src = json_string_value(p);
	*len = json_string_length(p);
	return 0;
}

/* batch_one - render one case into a result object (new reference). */
static json_t *
batch_one(json_t *c)
{
	const char *tpl = json_string_value(json_object_get(c, "template"));
	const char *dn = json_string_value(json_object_get(c, "dialect"));
	const char *esc = json_string_value(json_object_get(c, "escape"));
	json_t *partials = json_object_get(c, "partials");
	struct tmpl_render_opts o = {0};
	struct tmpl_error err = {0};
	enum tmpl_dialect d;
	struct tmpl *t;
	struct buf out;
	json_t *res;
	int rc;

	if (tpl == NULL || dn == NULL || tmpl_dialect_parse_name(dn, &d) != 0)
		return json_pack("{s:s,s:i}", "error", "bad case", "code", 99);
	if (esc != NULL && strcmp(esc, "none") == 0)
		o.escape = TMPL_ESCAPE_NONE;
	else if (esc != NULL && strcmp(esc, "slack") == 0)
		o.escape = TMPL_ESCAPE_SLACK;
	o.missing_is_error = json_is_true(json_object_get(c, "strict"));
	if (json_is_object(partials)) {
		o.partial = batch_partial;
		o.partial_arg = partials;
	}
	t = tmpl_parse(
	    d, tpl, json_string_length(json_object_get(c, "template")), &err);
	if (t == NULL)
		return json_pack("{s:s,s:i,s:i,s:i}", "error", err.msg, "code",
		                 err.code, "line", err.line, "col", err.col);
	buf_init(&out);
	rc = tmpl_render(t, json_object_get(c, "data"), &o, &out, &err);
	if (rc != 0)
		res = json_pack("{s:s,s:i,s:i,s:i}", "error", err.msg, "code",
		                err.code, "line", err.line, "col", err.col);
	else
		res = json_pack("{s:s%}", "out", out.p ? out.p : "", out.len);
	buf_fini(&out);
	tmpl_free(t);
	return res;
}

int
main(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	json_error_t jerr;

	while ((n = getline(&line, &cap, stdin)) > 0) {
		json_t *c = json_loadb(line, (size_t)n, 0, &jerr), *r;

		r = c ? batch_one(c)
		      : json_pack("{s:s,s:i}", "error", jerr.text, "code", 98);
		json_dumpf(r, stdout, JSON_COMPACT | JSON_ENSURE_ASCII);
		fputc('\n', stdout);
		json_decref(r);
		json_decref(c);
	}
	free(line);
	return 0;
}
