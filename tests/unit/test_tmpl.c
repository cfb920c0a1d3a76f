/*
 * test_tmpl.c - the template engine's contract: parse errors with line
 * and column, render limits (nesting, output, steps, partial recursion),
 * output untouched on error, escaping modes, strict mode, JavaScript
 * number text, and Mustachio's each, ../ and layouts (Postmark's
 * documented examples).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/buf.h"
#include "tmpl/tmpl.h"

/* render - parse src in dialect d and render it against the JSON text
 * data with o; returns the rc, the text in a static buffer via *outp. */
static int
render(enum tmpl_dialect d, const char *src, const char *data,
       const struct tmpl_render_opts *o, char **outp, struct tmpl_error *err)
{
	static char text[65536];
	json_error_t jerr;
	json_t *j = json_loads(data ? data : "{}", JSON_DECODE_ANY, &jerr);
	struct tmpl *t;
	struct buf out;
	int rc;

	assert_non_null(j);
	t = tmpl_parse(d, src, strlen(src), err);
	if (t == NULL) {
		json_decref(j);
		*outp = NULL;
		return TMPL_ERR_SYNTAX;
	}
	buf_init(&out);
	buf_addstr(&out, "KEEP:");
	rc = tmpl_render(t, j, o, &out, err);
	if (rc != 0)
		assert_int_equal(out.len, 5); /* untouched on error */
	snprintf(text, sizeof(text), "%.*s", (int)(out.len - 5), out.p + 5);
	*outp = text;
	buf_fini(&out);
	tmpl_free(t);
	json_decref(j);
	return rc;
}

/* One case: dialect, template, data, escape, want (NULL: an error with
 * code and the place line:col). */
struct rcase {
	const char *name;
	long d; /* enum tmpl_dialect (long: no padding) */
	const char *src, *data;
	long esc; /* enum tmpl_escape */
	const char *want;
	enum tmpl_errcode code;
	unsigned line, col;
};

#define MU TMPL_MUSTACHE
#define HB TMPL_HANDLEBARS
#define MO TMPL_MUSTACHIO
#define HTML TMPL_ESCAPE_HTML
#define NONE TMPL_ESCAPE_NONE
#define SLACK TMPL_ESCAPE_SLACK

static const struct rcase cases[] = {
    {"unclosed tag has its place", MU, "ab\n  {{name", "{}", HTML, NULL,
     TMPL_ERR_SYNTAX, 2, 3},
    {"unclosed section has its place", MU, "x\n{{#a}}\n{{b}}", "{}", HTML, NULL,
     TMPL_ERR_SYNTAX, 2, 1},
    {"mismatched close has its place", MU, "{{#a}}\n {{/b}}", "{}", HTML, NULL,
     TMPL_ERR_SYNTAX, 2, 2},
    {"close without open", MU, "a{{/b}}", "{}", HTML, NULL, TMPL_ERR_SYNTAX, 1,
     2},
    {"bad delimiters", MU, "{{=<%=}}", "{}", HTML, NULL, TMPL_ERR_SYNTAX, 1, 1},
    {"html escape, mustache.js set", MU, "{{x}}",
     "{\"x\":\"<a href='/'>&\\\"`=\"}", HTML,
     "&lt;a href&#x3D;&#39;&#x2F;&#39;&gt;&amp;&quot;&#x60;&#x3D;", 0, 0, 0},
    {"no escape", MU, "{{x}}", "{\"x\":\"<&>\"}", NONE, "<&>", 0, 0, 0},
    {"slack escape", MU, "{{x}}", "{\"x\":\"<@U1> & \\\"q\\\"\"}", SLACK,
     "&lt;@U1&gt; &amp; \"q\"", 0, 0, 0},
    {"triple never escapes", MU, "{{{x}}}{{&x}}", "{\"x\":\"<\"}", HTML, "<<",
     0, 0, 0},
    {"numbers as JavaScript prints them", MU,
     "{{a}} {{b}} {{c}} {{d}} {{e}} {{f}} {{g}}",
     "{\"a\":1.0,\"b\":0.1,\"c\":1e21,\"d\":1.5e-7,\"e\":123456789012,"
     "\"f\":-0.0,\"g\":100.25}",
     HTML, "1 0.1 1e+21 1.5e-7 123456789012 0 100.25", 0, 0, 0},
    {"arrays and objects as JavaScript prints them", MU, "{{a}}|{{o}}",
     "{\"a\":[1,[2,null],\"x\",true],\"o\":{}}", HTML,
     "1,2,,x,true|[object Object]", 0, 0, 0},
    {"mustache.js falsy: 0 and empty string", MU,
     "{{#z}}Z{{/z}}{{#e}}E{{/e}}{{^z}}z{{/z}}{{^e}}e{{/e}}",
     "{\"z\":0,\"e\":\"\"}", HTML, "ze", 0, 0, 0},
    {"array length and index", MU, "{{l.length}} {{l.1}}",
     "{\"l\":[\"a\",\"b\"]}", HTML, "2 b", 0, 0, 0},
    /* Mustachio: Postmark's documented examples */
    {"mustachio interpolation", MO, "Hello {{ person.first_name }}",
     "{\"person\":{\"first_name\":\"Andrew\"}}", HTML, "Hello Andrew", 0, 0, 0},
    {"mustachio scoping", MO,
     "{{#person}}\n  Hello {{first_name}}\n{{/person}}\n",
     "{\"person\":{\"first_name\":\"Andrew\"}}", HTML, "  Hello Andrew\n", 0, 0,
     0},
    {"mustachio each", MO,
     "{{ company_name }} Employees:\n<ul>\n{{#each employees}}\n  <li>{{ name "
     "}}</li>\n{{/each}}\n</ul>\n",
     "{\"company_name\":\"ACME Rockets, Inc.\",\"employees\":[{\"name\":"
     "\"Wile E. Coyote\"},{\"name\":\"Road Runner\"}]}",
     HTML,
     "ACME Rockets, Inc. Employees:\n<ul>\n  <li>Wile E. Coyote</li>\n  "
     "<li>Road Runner</li>\n</ul>\n",
     0, 0, 0},
    {"mustachio reaches up with ../", MO,
     "<ul>\n{{#each employees}}\n  <li>{{ name }} works for: {{ "
     "../company_name }}</li>\n{{/each}}\n</ul>\n",
     "{\"company_name\":\"ACME Rockets, Inc.\",\"employees\":[{\"name\":"
     "\"Wile E. Coyote\"},{\"name\":\"Road Runner\"}]}",
     HTML,
     "<ul>\n  <li>Wile E. Coyote works for: ACME Rockets, Inc.</li>\n  "
     "<li>Road Runner works for: ACME Rockets, Inc.</li>\n</ul>\n",
     0, 0, 0},
    {"mustachio inverted group", MO, "{{^ employees }}No one.{{/ employees }}",
     "{\"employees\":[]}", HTML, "No one.", 0, 0, 0},
    {"mustachio each of scalars with {{.}}", MO, "{{#each l}}[{{.}}]{{/each}}",
     "{\"l\":[1,\"<b>\"]}", HTML, "[1][&lt;b&gt;]", 0, 0, 0},
    {"mustachio each must close with /each", MO, "{{#each l}}x{{/l}}", "{}",
     HTML, NULL, TMPL_ERR_SYNTAX, 1, 13},
};

static void
render_cases_behave(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const struct rcase *c = &cases[i];
		struct tmpl_render_opts o = {0};
		struct tmpl_error err;
		char *out;
		int rc;

		o.escape = (enum tmpl_escape)c->esc;
		rc = render((enum tmpl_dialect)c->d, c->src, c->data, &o, &out,
		            &err);
		if (c->want != NULL) {
			if (rc != 0 || strcmp(out, c->want) != 0)
				fail_msg("%s: rc %d (%s) got [%s] want [%s]",
				         c->name, rc, err.msg, out ? out : "",
				         c->want);
			continue;
		}
		if (rc != (int)c->code || err.code != c->code ||
		    err.line != c->line || err.col != c->col)
			fail_msg("%s: rc %d code %d at %u:%u (%s), want %d at "
			         "%u:%u",
			         c->name, rc, err.code, err.line, err.col,
			         err.msg, c->code, c->line, c->col);
		assert_true(err.msg[0] != '\0');
	}
}

static void
parse_refuses_deep_nesting(void **state)
{
	struct buf b;
	struct tmpl_error err;
	int i;

	(void)state;
	buf_init(&b);
	for (i = 0; i < 101; i++)
		buf_addstr(&b, "{{#a}}");
	for (i = 0; i < 101; i++)
		buf_addstr(&b, "{{/a}}");
	assert_null(tmpl_parse(TMPL_MUSTACHE, b.p, b.len, &err));
	assert_int_equal(err.code, TMPL_ERR_SYNTAX);
	assert_int_equal(err.line, 1);
	assert_int_equal(err.col, 601); /* the 101st opening tag */
	assert_non_null(strstr(err.msg, "too deep"));
	buf_fini(&b);
}

/* self_partial - every partial is "{{>self}}" (endless recursion) or
 * "x{{>self}}" counted by arg. */
static int
self_partial(void *arg, const char *name, const char **src, size_t *len)
{
	(void)arg;
	if (strcmp(name, "self") != 0)
		return -1;
	*src = "x{{>self}}";
	*len = strlen(*src);
	return 0;
}

static void
render_stops_partial_recursion(void **state)
{
	struct tmpl_render_opts o = {0};
	struct tmpl_limits lim = {0};
	struct tmpl_error err;
	char *out;

	(void)state;
	o.partial = self_partial;
	assert_int_equal(render(MU, "{{>self}}", "{}", &o, &out, &err),
	                 TMPL_ERR_LIMIT);
	assert_non_null(strstr(err.msg, "partials nested deeper than 16"));
	lim.max_partial_depth = 3;
	lim.max_depth = 100;
	o.limits = &lim;
	assert_int_equal(render(MU, "{{>self}}", "{}", &o, &out, &err),
	                 TMPL_ERR_LIMIT);
	assert_non_null(strstr(err.msg, "deeper than 3"));
}

static void
render_stops_huge_loops(void **state)
{
	struct tmpl_render_opts o = {0};
	struct tmpl_limits lim = {0};
	struct tmpl_error err;
	char *out;
	const char *data = "{\"l\":[1,2,3,4,5,6,7,8,9,10]}";

	(void)state;
	/* 10 x 10 x 10 x 10 iterations of a few nodes each */
	lim.max_steps = 10000;
	o.limits = &lim;
	assert_int_equal(
	    render(MU, "{{#l}}{{#l}}{{#l}}{{#l}}{{.}}{{/l}}{{/l}}{{/l}}{{/l}}",
	           data, &o, &out, &err),
	    TMPL_ERR_LIMIT);
	assert_non_null(strstr(err.msg, "more than 10000 steps"));
	lim.max_steps = 100000;
	assert_int_equal(
	    render(MU, "{{#l}}{{#l}}{{#l}}{{#l}}{{.}}{{/l}}{{/l}}{{/l}}{{/l}}",
	           data, &o, &out, &err),
	    0);
	assert_int_equal(strlen(out), 10000 + 1000); /* "10" is two bytes */
}

static void
render_stops_big_output(void **state)
{
	struct tmpl_render_opts o = {0};
	struct tmpl_limits lim = {0};
	struct tmpl_error err;
	char *out;

	(void)state;
	lim.max_output = 100;
	o.limits = &lim;
	assert_int_equal(render(MU, "{{#l}}0123456789{{/l}}",
	                        "{\"l\":[1,2,3,4,5,6,7,8,9,10]}", &o, &out,
	                        &err),
	                 0);
	assert_int_equal(render(MU, "{{#l}}0123456789{{/l}}!",
	                        "{\"l\":[1,2,3,4,5,6,7,8,9,10]}", &o, &out,
	                        &err),
	                 TMPL_ERR_LIMIT);
	assert_non_null(strstr(err.msg, "larger than 100 bytes"));
}

static void
render_stops_deep_data_nesting(void **state)
{
	struct tmpl_render_opts o = {0};
	struct tmpl_limits lim = {0};
	struct tmpl_error err;
	char *out;

	(void)state;
	lim.max_depth = 2;
	o.limits = &lim;
	assert_int_equal(render(MU, "{{#a}}{{#a}}x{{/a}}{{/a}}",
	                        "{\"a\":{\"a\":{}}}", &o, &out, &err),
	                 0);
	assert_int_equal(render(MU, "{{#a}}{{#a}}{{#a}}x{{/a}}{{/a}}{{/a}}",
	                        "{\"a\":{\"a\":{\"a\":{}}}}", &o, &out, &err),
	                 TMPL_ERR_LIMIT);
	assert_int_equal(err.line, 1);
	assert_int_equal(err.col, 13);
}

static void
strict_mode_names_the_missing_value(void **state)
{
	struct tmpl_render_opts o = {0};
	struct tmpl_error err;
	char *out;

	(void)state;
	assert_int_equal(render(MU, "a {{x.y}}", "{}", &o, &out, &err), 0);
	assert_string_equal(out, "a ");
	o.missing_is_error = 1;
	assert_int_equal(render(MU, "a\n {{x.y}}", "{}", &o, &out, &err),
	                 TMPL_ERR_MISSING);
	assert_int_equal(err.line, 2);
	assert_int_equal(err.col, 2);
	assert_non_null(strstr(err.msg, "\"x.y\""));
	/* null is a value */
	assert_int_equal(render(MU, "{{x}}", "{\"x\":null}", &o, &out, &err),
	                 0);
}

static void
mustachio_layout_shows_content(void **state)
{
	const char *layout = "<html><body>\n{{{ @content }}}\n<p>{{ company "
	                     "}}</p></body></html>";
	const char *content = "<h1>Hi {{ name }}</h1>";
	struct tmpl *l = tmpl_parse(MO, layout, strlen(layout), NULL);
	struct tmpl *c = tmpl_parse(MO, content, strlen(content), NULL);
	json_t *data =
	    json_pack("{s:s,s:s}", "name", "<Ann>", "company", "ACME");
	struct tmpl_error err;
	struct buf out;

	(void)state;
	assert_non_null(l);
	assert_non_null(c);
	buf_init(&out);
	assert_int_equal(tmpl_render_layout(l, c, data, NULL, &out, &err), 0);
	assert_string_equal(buf_cstr(&out),
	                    "<html><body>\n<h1>Hi &lt;Ann&gt;</h1>\n<p>ACME</p>"
	                    "</body></html>");
	buf_fini(&out);
	tmpl_free(l);
	tmpl_free(c);
	json_decref(data);
}

static void
dialect_names_round_trip(void **state)
{
	enum tmpl_dialect d;

	(void)state;
	assert_int_equal(tmpl_dialect_parse_name("handlebars", &d), 0);
	assert_int_equal(d, TMPL_HANDLEBARS);
	assert_string_equal(tmpl_dialect_name(d), "handlebars");
	assert_int_equal(tmpl_dialect_parse_name("mustachio", &d), 0);
	assert_int_equal(d, TMPL_MUSTACHIO);
	assert_int_equal(tmpl_dialect_parse_name("jinja", &d), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(render_cases_behave),
	    cmocka_unit_test(parse_refuses_deep_nesting),
	    cmocka_unit_test(render_stops_partial_recursion),
	    cmocka_unit_test(render_stops_huge_loops),
	    cmocka_unit_test(render_stops_big_output),
	    cmocka_unit_test(render_stops_deep_data_nesting),
	    cmocka_unit_test(strict_mode_names_the_missing_value),
	    cmocka_unit_test(mustachio_layout_shows_content),
	    cmocka_unit_test(dialect_names_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
