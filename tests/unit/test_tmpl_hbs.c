/*
 * test_tmpl_hbs.c - the Handlebars dialect: its escape set, whitespace
 * control, paths and data variables, the built-in block helpers,
 * SendGrid's helpers against SendGrid's documented examples, SES's
 * unescaped rendering, and refusals with line and column (malformed and
 * unsupported syntax). The bulk of Handlebars parity is the differential
 * test in tests/tmpl.
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

/* One case; want NULL: an error of code at line:col. */
struct hcase {
	const char *name;
	const char *src, *data;
	long esc; /* enum tmpl_escape (long: no padding) */
	const char *want;
	long code; /* enum tmpl_errcode */
	unsigned line, col;
};

#define HTML TMPL_ESCAPE_HTML
#define NONE TMPL_ESCAPE_NONE

static const struct hcase cases[] = {
    {"escape set is handlebars'", "{{x}}", "{\"x\":\"<a href='/x'>&\\\"`=\"}",
     HTML, "&lt;a href&#x3D;&#x27;/x&#x27;&gt;&amp;&quot;&#x60;&#x3D;", 0, 0,
     0},
    {"SES: no escaping", "{{x}}", "{\"x\":\"<b>&</b>\"}", NONE, "<b>&</b>", 0,
     0, 0},
    {"SES documented template",
     "<h1>Hello {{name}},</h1><p>Your favorite "
     "animal is {{favoriteanimal}}.</p>",
     "{\"name\":\"Alejandro\",\"favoriteanimal\":\"alligator\"}", NONE,
     "<h1>Hello Alejandro,</h1><p>Your favorite animal is alligator.</p>", 0, 0,
     0},
    {"raw forms", "{{{x}}}{{&x}}", "{\"x\":\"<\"}", HTML, "<<", 0, 0, 0},
    {"no stack walk: names are the current context's",
     "{{#with o}}[{{a}}|{{b}}|{{../b}}]{{/with}}", "{\"o\":{\"a\":1},\"b\":2}",
     HTML, "[1||2]", 0, 0, 0},
    {"each over an array with data",
     "{{#each l}}{{@index}}{{this}}"
     "{{#if @first}}F{{/if}}{{#if @last}}L"
     "{{/if}},{{/each}}",
     "{\"l\":[\"a\",\"b\",\"c\"]}", HTML, "0aF,1b,2cL,", 0, 0, 0},
    {"each over an object", "{{#each o}}{{@key}}={{this}};{{/each}}",
     "{\"o\":{\"x\":1,\"y\":true}}", HTML, "x=1;y=true;", 0, 0, 0},
    {"each else on empty", "{{#each l}}x{{else}}none{{/each}}", "{\"l\":[]}",
     HTML, "none", 0, 0, 0},
    {"if: 0 and [] are false, includeZero",
     "{{#if z}}a{{else}}b{{/if}}"
     "{{#if l}}c{{else}}d{{/if}}"
     "{{#if z includeZero=true}}e"
     "{{/if}}",
     "{\"z\":0,\"l\":[]}", HTML, "bde", 0, 0, 0},
    {"else if chain", "{{#if a}}A{{else if b}}B{{else}}C{{/if}}", "{\"b\":1}",
     HTML, "B", 0, 0, 0},
    {"unless and with",
     "{{#unless a}}U{{/unless}}{{#with o}}{{v}}{{else}}"
     "W{{/with}}{{#with n}}x{{else}}W{{/with}}",
     "{\"o\":{\"v\":7}}", HTML, "U7W", 0, 0, 0},
    {"whitespace control", "a  {{~x~}}  b\n{{~#if t~}}\n c \n{{~/if}}",
     "{\"x\":\"X\",\"t\":true}", HTML, "aXbc", 0, 0, 0},
    {"standalone block lines vanish",
     "<ul>\n  {{#each l}}\n  <li>{{.}}</li>\n"
     "  {{/each}}\n</ul>\n",
     "{\"l\":[1,2]}", HTML, "<ul>\n  <li>1</li>\n  <li>2</li>\n</ul>\n", 0, 0,
     0},
    {"escaped mustache is text", "\\{{x}} {{x}}", "{\"x\":1}", HTML, "{{x}} 1",
     0, 0, 0},
    {"segment literal and this", "{{[a b]}} {{this.c}}", "{\"a b\":1,\"c\":2}",
     HTML, "1 2", 0, 0, 0},
    {"@root", "{{#each l}}{{@root.t}}{{/each}}", "{\"l\":[1,2],\"t\":\"T\"}",
     HTML, "TT", 0, 0, 0},
    {"lookup helper", "{{lookup o k}}", "{\"o\":{\"a\":\"A\"},\"k\":\"a\"}",
     HTML, "A", 0, 0, 0},
    /* SendGrid's documented examples */
    {"sendgrid: substitution", "<p>Hello {{firstName}}</p>",
     "{\"firstName\":\"Ben\"}", HTML, "<p>Hello Ben</p>", 0, 0, 0},
    {"sendgrid: insert with default",
     "<p>Hello {{insert name \"default=Customer\"}}! Thank you for contacting "
     "us about {{insert businessName \"default=your business\"}}.</p>",
     "{\"name\":\"Ben\"}", HTML,
     "<p>Hello Ben! Thank you for contacting us about your business.</p>", 0, 0,
     0},
    {"sendgrid: formatDate",
     "<p>Join us {{formatDate timeStamp dateFormat}}"
     "</p>",
     "{\"timeStamp\":\"2020-01-01T23:00:00.000Z\",\"dateFormat\":\"MMMM DD, "
     "YYYY h:mm:ss A\"}",
     HTML, "<p>Join us January 01, 2020 11:00:00 PM</p>", 0, 0, 0},
    {"sendgrid: formatDate with offset",
     "<p>Join us {{formatDate timeStamp dateFormat timezoneOffset}}</p>",
     "{\"timeStamp\":\"2020-01-01T23:00:00.000Z\",\"dateFormat\":\"MMMM DD, "
     "YYYY h:mm:ss A\",\"timezoneOffset\":\"-0800\"}",
     HTML, "<p>Join us January 01, 2020 3:00:00 PM</p>", 0, 0, 0},
    {"sendgrid: equals",
     "{{#equals customerCode winningCode}}<p>You have a winning code.</p>"
     "{{else}}<p>You do not have a winning code.</p>{{/equals}}",
     "{\"customerCode\":12345,\"winningCode\":12345}", HTML,
     "<p>You have a winning code.</p>", 0, 0, 0},
    {"sendgrid: notEquals",
     "{{#notEquals currentCode previousCode}}<p>Your code has changed.</p>"
     "{{else}}<p>Your code is the same.</p>{{/notEquals}}",
     "{\"currentCode\":\"A1\",\"previousCode\":\"A2\"}", HTML,
     "<p>Your code has changed.</p>", 0, 0, 0},
    {"sendgrid: greaterThan",
     "{{#greaterThan scoreOne scoreTwo}}<p>Congratulations, you have the high "
     "score today!</p>{{else}}<p>You were close, but you didn't get the high "
     "score today.</p>{{/greaterThan}}",
     "{\"scoreOne\":100,\"scoreTwo\":78}", HTML,
     "<p>Congratulations, you have the high score today!</p>", 0, 0, 0},
    {"sendgrid: lessThan",
     "{{#lessThan scoreOne scoreTwo}}low{{else}}high"
     "{{/lessThan}}",
     "{\"scoreOne\":100,\"scoreTwo\":78}", HTML, "high", 0, 0, 0},
    {"sendgrid: and",
     "{{#and favoriteFood favoriteDrink}}<p>Thank you for letting us know your "
     "dining preferences.</p>{{else}}<p>If you finish filling out your dining "
     "preferences survey, we can deliver you more relevant content.</p>"
     "{{/and}}",
     "{\"favoriteFood\":\"Pasta\",\"favoriteDrink\":\"\"}", HTML,
     "<p>If you finish filling out your dining preferences survey, we can "
     "deliver you more relevant content.</p>",
     0, 0, 0},
    {"sendgrid: or",
     "{{#or isRunner isCyclist}}<p>We think you might enjoy a map of trails in "
     "your area.</p>{{else}}<p>Have you tried adding a map?</p>{{/or}}",
     "{\"isRunner\":true,\"isCyclist\":false}", HTML,
     "<p>We think you might enjoy a map of trails in your area.</p>", 0, 0, 0},
    {"sendgrid: length",
     "<p>You have {{length cartItems}} items in your "
     "cart.</p>",
     "{\"cartItems\":[\"raft\",\"water bottle\",\"sleeping bag\"]}", HTML,
     "<p>You have 3 items in your cart.</p>", 0, 0, 0},
    {"sendgrid: length in a subexpression",
     "{{#greaterThan (length cartItems) 0}}has items{{else}}empty"
     "{{/greaterThan}}",
     "{\"cartItems\":[]}", HTML, "empty", 0, 0, 0},
    {"sendgrid: each with this.",
     "<ol>{{#each user.orderHistory}}<li>You ordered: {{this.item}} on: "
     "{{this.date}}</li>{{/each}}</ol>",
     "{\"user\":{\"orderHistory\":[{\"date\":\"2/1/2018\",\"item\":\"shoes\"},"
     "{\"date\":\"1/4/2017\",\"item\":\"hat\"}]}}",
     HTML,
     "<ol><li>You ordered: shoes on: 2/1/2018</li><li>You ordered: hat on: "
     "1/4/2017</li></ol>",
     0, 0, 0},
    {"sendgrid: if / else if / else",
     "{{#if user.profile.male}}<p>Dear Sir</p>{{else if "
     "user.profile.female}}<p>Dear Madame</p>{{else}}<p>Dear Customer</p>"
     "{{/if}}",
     "{\"user\":{\"profile\":{\"female\":true}}}", HTML, "<p>Dear Madame</p>",
     0, 0, 0},
    {"mailgun: equal", "{{#equal plan \"pro\"}}PRO{{/equal}}",
     "{\"plan\":\"pro\"}", HTML, "PRO", 0, 0, 0},
    /* refusals */
    {"unclosed block", "a\n{{#if x}}\nb", "{}", HTML, NULL, TMPL_ERR_SYNTAX, 2,
     1},
    {"mismatched close", "{{#if x}}\n  {{/each}}", "{}", HTML, NULL,
     TMPL_ERR_SYNTAX, 2, 3},
    {"unclosed tag", "ab {{x", "{}", HTML, NULL, TMPL_ERR_SYNTAX, 1, 6},
    {"stray close", "x{{/if}}", "{}", HTML, NULL, TMPL_ERR_SYNTAX, 1, 2},
    /* block parameters (outputs checked against handlebars 4.7.8) */
    {"each as |item i| over an array",
     "{{#each l as |it i|}}{{i}}={{it.n}},{{/each}}",
     "{\"l\":[{\"n\":1},{\"n\":2}]}", HTML, "0=1,1=2,", 0, 0, 0},
    {"each as |v k| over an object",
     "{{#each o as |v k|}}{{k}}:{{v}};{{/each}}", "{\"o\":{\"x\":1,\"y\":2}}",
     HTML, "x:1;y:2;", 0, 0, 0},
    {"an inner parameter shadows an outer one",
     "{{#each l as |x|}}{{#each x.m as |x|}}{{x}}{{/each}}|{{x.n}}{{/each}}",
     "{\"l\":[{\"n\":\"A\",\"m\":[\"p\",\"q\"]}]}", HTML, "pq|A", 0, 0, 0},
    {"a parameter shadows a field; this. and ../ do not see it",
     "{{#with o as |s|}}{{s.a}}{{this.s}}{{../s}}{{/with}}",
     "{\"o\":{\"a\":\"1\",\"s\":\"2\"},\"s\":\"3\"}", HTML, "123", 0, 0, 0},
    {"a parameter shadows a helper",
     "{{#each l as |length|}}{{length}}{{/each}}", "{\"l\":[\"a\",\"b\"]}",
     HTML, "ab", 0, 0, 0},
    {"@index alongside", "{{#each l as |x|}}{{@index}}{{x}}{{/each}}",
     "{\"l\":[\"a\",\"b\"]}", HTML, "0a1b", 0, 0, 0},
    {"an outer parameter inside a block without any",
     "{{#each l as |x i|}}{{#with ../o}}{{x}}{{i}}{{k}}{{/with}}{{/each}}",
     "{\"l\":[\"a\"],\"o\":{\"k\":\"K\"}}", HTML, "a0K", 0, 0, 0},
    {"with: a second parameter is undefined",
     "{{#with o as |a b|}}{{a.k}}[{{b}}]{{/with}}", "{\"o\":{\"k\":1}}", HTML,
     "1[]", 0, 0, 0},
    {"else each chain with parameters",
     "{{#if z}}{{else each l as |x|}}{{x}}{{/if}}", "{\"l\":[\"a\",\"b\"]}",
     HTML, "ab", 0, 0, 0},
    {"parameters are not in scope in {{else}}",
     "{{#each e as |x|}}{{else}}[{{x}}]{{/each}}", "{\"e\":[],\"x\":\"X\"}",
     HTML, "[X]", 0, 0, 0},
    {"block params: empty", "{{#each l as ||}}{{/each}}", "{}", HTML, NULL,
     TMPL_ERR_SYNTAX, 1, 11},
    {"block params: unclosed", "{{#each l as |a}}x", "{}", HTML, NULL,
     TMPL_ERR_SYNTAX, 1, 16},
    {"block params: never closed", "{{#each l as |a b", "{}", HTML, NULL,
     TMPL_ERR_SYNTAX, 1, 11},
    {"block params: a path is not a name", "{{#each l as |a.b|}}{{/each}}",
     "{}", HTML, NULL, TMPL_ERR_SYNTAX, 1, 16},
    {"block params: not last", "{{#each l as |a| x}}{{/each}}", "{}", HTML,
     NULL, TMPL_ERR_SYNTAX, 1, 18},
    {"block params: not in a mustache", "\n {{x as |a|}}", "{}", HTML, NULL,
     TMPL_ERR_SYNTAX, 2, 6},
    {"block params: only each and with", "{{#if x as |a|}}{{/if}}", "{}", HTML,
     NULL, TMPL_ERR_SYNTAX, 1, 9},
    {"block params: not on an inverted block", "{{^each l as |a|}}{{/each}}",
     "{}", HTML, NULL, TMPL_ERR_SYNTAX, 1, 11},
    {"decorators refused", "{{#*inline \"x\"}}y{{/inline}}", "{}", HTML, NULL,
     TMPL_ERR_SYNTAX, 1, 1},
    {"raw blocks refused", "{{{{raw}}}}x{{{{/raw}}}}", "{}", HTML, NULL,
     TMPL_ERR_SYNTAX, 1, 1},
    {"missing helper", "\n {{nohelper a}}", "{}", HTML, NULL, TMPL_ERR_HELPER,
     2, 2},
    {"if wants one argument", "{{#if}}x{{/if}}", "{}", HTML, NULL,
     TMPL_ERR_HELPER, 1, 1},
    {"missing partial", "{{> nope}}", "{}", HTML, NULL, TMPL_ERR_PARTIAL, 1, 1},
};

static void
handlebars_cases_behave(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const struct hcase *c = &cases[i];
		struct tmpl_render_opts o = {0};
		struct tmpl_error err = {0};
		json_error_t jerr;
		json_t *data = json_loads(c->data, 0, &jerr);
		struct tmpl *t;
		struct buf out;
		int rc = TMPL_ERR_SYNTAX;

		if (data == NULL)
			fail_msg("%s: bad data: %s", c->name, jerr.text);
		o.escape = (enum tmpl_escape)c->esc;
		buf_init(&out);
		buf_addstr(&out, "K");
		t = tmpl_parse(TMPL_HANDLEBARS, c->src, strlen(c->src), &err);
		if (t != NULL)
			rc = tmpl_render(t, data, &o, &out, &err);
		if (c->want != NULL) {
			if (rc != 0 || strcmp(buf_cstr(&out) + 1, c->want) != 0)
				fail_msg("%s: rc %d (%s) got [%s] want [%s]",
				         c->name, rc, err.msg,
				         buf_cstr(&out) + 1, c->want);
		} else {
			if (rc != (int)c->code || err.line != c->line ||
			    err.col != c->col || out.len != 1)
				fail_msg("%s: rc %d at %u:%u (%s), want %ld at "
				         "%u:%u",
				         c->name, rc, err.line, err.col,
				         err.msg, c->code, c->line, c->col);
		}
		tmpl_free(t);
		buf_fini(&out);
		json_decref(data);
	}
}

/* one_partial - the partial "p" is "<{{v}}>\n". */
static int
one_partial(void *arg, const char *name, const char **src, size_t *len)
{
	(void)arg;
	if (strcmp(name, "p") != 0)
		return -1;
	*src = "<{{v}}>\n";
	*len = strlen(*src);
	return 0;
}

static void
partials_indent_and_take_a_context(void **state)
{
	const char *src = "a\n  {{> p}}\n{{> p o}}b";
	struct tmpl *t = tmpl_parse(TMPL_HANDLEBARS, src, strlen(src), NULL);
	json_t *data = json_pack("{s:s,s:{s:s}}", "v", "x\ny", "o", "v", "O");
	struct tmpl_render_opts o = {0};
	struct buf out;

	(void)state;
	assert_non_null(t);
	o.partial = one_partial;
	buf_init(&out);
	assert_int_equal(tmpl_render(t, data, &o, &out, NULL), 0);
	/* handlebars.js indents the partial's output lines, data included */
	assert_string_equal(buf_cstr(&out), "a\n  <x\n  y>\n<O>\nb");
	buf_fini(&out);
	tmpl_free(t);
	json_decref(data);
}

static void
strict_mode_in_handlebars(void **state)
{
	const char *src = "{{a.b}}";
	struct tmpl *t = tmpl_parse(TMPL_HANDLEBARS, src, strlen(src), NULL);
	struct tmpl_render_opts o = {0};
	struct tmpl_error err;
	struct buf out;

	(void)state;
	o.missing_is_error = 1;
	buf_init(&out);
	assert_int_equal(tmpl_render(t, NULL, &o, &out, &err),
	                 TMPL_ERR_MISSING);
	assert_non_null(strstr(err.msg, "\"a.b\""));
	assert_int_equal(out.len, 0);
	buf_fini(&out);
	tmpl_free(t);
}

/* self_partial - "self" includes itself: endless recursion. */
static int
self_partial(void *arg, const char *name, const char **src, size_t *len)
{
	(void)arg;
	if (strcmp(name, "self") != 0)
		return -1;
	*src = "x{{> self}}";
	*len = strlen(*src);
	return 0;
}

static const char huge_loop[] =
    "{{#each l}}{{#each @root.l}}{{#each @root.l}}{{#each @root.l}}"
    "{{#each @root.l}}{{this}}{{/each}}{{/each}}{{/each}}{{/each}}{{/each}}";

static void
hostile_templates_are_refused_or_bounded(void **state)
{
	struct tmpl_render_opts o = {0};
	struct tmpl_limits lim = {0};
	struct tmpl_error err;
	struct tmpl *t;
	struct buf b, out;
	json_t *data = json_pack("{s:[i,i,i,i,i,i,i,i,i,i]}", "l", 1, 2, 3, 4,
	                         5, 6, 7, 8, 9, 10);
	int i;

	(void)state;
	/* nesting deeper than the parser allows: refused with its place */
	buf_init(&b);
	for (i = 0; i < 101; i++)
		buf_addstr(&b, "{{#if a}}");
	for (i = 0; i < 101; i++)
		buf_addstr(&b, "{{/if}}");
	assert_null(tmpl_parse(TMPL_HANDLEBARS, b.p, b.len, &err));
	assert_int_equal(err.code, TMPL_ERR_SYNTAX);
	assert_int_equal(err.line, 1);
	assert_int_equal(err.col, 901);
	/* deep subexpressions too */
	b.len = 0;
	buf_addstr(&b, "{{x ");
	for (i = 0; i < 101; i++)
		buf_addstr(&b, "(x ");
	assert_null(tmpl_parse(TMPL_HANDLEBARS, b.p, b.len, &err));
	assert_non_null(strstr(err.msg, "too deep"));
	buf_fini(&b);

	/* recursion through partials: stopped at render */
	t = tmpl_parse(TMPL_HANDLEBARS, "{{> self}}", 10, &err);
	assert_non_null(t);
	o.partial = self_partial;
	buf_init(&out);
	assert_int_equal(tmpl_render(t, data, &o, &out, &err), TMPL_ERR_LIMIT);
	assert_non_null(strstr(err.msg, "partials nested deeper than 16"));
	assert_non_null(strstr(err.msg, "in partial \"self\""));
	assert_int_equal(out.len, 0);
	tmpl_free(t);

	/* a huge loop: 10^5 iterations stopped by the step limit */
	t = tmpl_parse(TMPL_HANDLEBARS, huge_loop, strlen(huge_loop), &err);
	assert_non_null(t);
	assert_int_equal(tmpl_render(t, data, NULL, &out, &err), 0);
	assert_int_equal(out.len, 100000 + 10000); /* "10" has two bytes */
	out.len = 0;
	lim.max_steps = 50000;
	o.limits = &lim;
	assert_int_equal(tmpl_render(t, data, &o, &out, &err), TMPL_ERR_LIMIT);
	assert_int_equal(out.len, 0);
	lim.max_steps = 0;
	lim.max_output = 1000;
	assert_int_equal(tmpl_render(t, data, &o, &out, &err), TMPL_ERR_LIMIT);
	assert_non_null(strstr(err.msg, "larger than 1000 bytes"));
	assert_int_equal(out.len, 0);
	tmpl_free(t);
	buf_fini(&out);
	json_decref(data);
}

/* Partials for the partial block cases (name, source). */
static const char *const pb_partials[][2] = {
    {"layout", "<main>{{> @partial-block}}</main>"},
    {"ctx", "[{{v}}|{{> @partial-block}}]"},
    {"twice", "{{> @partial-block}}{{> @partial-block}}"},
    {"inner", "{{#> layout}}I{{> @partial-block}}{{/layout}}"},
    {"loop", "{{#each @root.m}}{{> @partial-block}}{{/each}}"},
    {"rec", "{{#> rec}}{{> @partial-block}}{{/rec}}"},
    {"indent", "a\n  {{> @partial-block}}\nb\n"},
    {"plain", "<{{> @partial-block}}>"},
    {"via", "{{> plain}}"},
};

/* pb_partial - look name up in pb_partials. */
static int
pb_partial(void *arg, const char *name, const char **src, size_t *len)
{
	size_t i;

	(void)arg;
	for (i = 0; i < sizeof(pb_partials) / sizeof(*pb_partials); i++) {
		if (strcmp(name, pb_partials[i][0]) == 0) {
			*src = pb_partials[i][1];
			*len = strlen(*src);
			return 0;
		}
	}
	return -1;
}

/* Partial blocks; outputs are handlebars 4.7.8's for the same input. */
static const struct hcase pb_cases[] = {
    {"the partial renders the caller's block",
     "{{#> layout}}hi {{x}}{{/layout}}", "{\"x\":\"X\"}", HTML,
     "<main>hi X</main>", 0, 0, 0},
    {"a missing partial: the default", "{{#> nope}}default {{x}}{{/nope}}",
     "{\"x\":\"X\"}", HTML, "default X", 0, 0, 0},
    {"the block sees the partial's context and ../ the caller's",
     "{{#> ctx o}}{{v}}{{../x}}{{/ctx}}",
     "{\"o\":{\"v\":1},\"x\":\"X\",\"v\":0}", HTML, "[1|1X]", 0, 0, 0},
    {"the default with a context", "{{#> nope o}}{{v}}{{../v}}{{/nope}}",
     "{\"o\":{\"v\":1},\"v\":2}", HTML, "12", 0, 0, 0},
    {"rendered twice", "{{#> twice}}b{{/twice}}", "{}", HTML, "bb", 0, 0, 0},
    {"nested: the inner block's @partial-block is the outer one",
     "{{#> inner}}C{{/inner}}", "{}", HTML, "<main>IC</main>", 0, 0, 0},
    {"block parameters of the caller, @index of the partial",
     "{{#each l as |it|}}{{#> "
     "loop}}{{it}}{{this}}{{@index}};{{/loop}}{{/each}}",
     "{\"l\":[\"a\",\"b\"],\"m\":[1,2]}", HTML, "a10;a21;b10;b21;", 0, 0, 0},
    {"a plain partial inside sees the same block", "{{#> via}}V{{/via}}", "{}",
     HTML, "<V>", 0, 0, 0},
    {"{{#> @partial-block}} outside a partial: its default",
     "{{#> @partial-block}}F{{/@partial-block}}", "{}", HTML, "F", 0, 0, 0},
    {"standalone indentation of {{> @partial-block}}",
     "{{#> indent}}\nX\nY\n{{/indent}}\n", "{}", HTML, "a\n  X\n  Y\nb\n", 0, 0,
     0},
    {"standalone partial block tags",
     "  {{#> layout}}  \n  X\n  {{/layout}}  \nafter", "{}", HTML,
     "<main>  X\n</main>after", 0, 0, 0},
    {"@partial-block outside a partial", "x\n {{> @partial-block}}", "{}", HTML,
     NULL, TMPL_ERR_PARTIAL, 2, 2},
    {"recursion through partial blocks is bounded", "{{#> rec}}x{{/rec}}", "{}",
     HTML, NULL, TMPL_ERR_LIMIT, 1, 1},
    {"{{else}} in a partial block", "{{#> p}}x{{else}}y{{/p}}", "{}", HTML,
     NULL, TMPL_ERR_SYNTAX, 1, 10},
    {"partial block: mismatched close", "{{#> p}}x{{/q}}", "{}", HTML, NULL,
     TMPL_ERR_SYNTAX, 1, 10},
    {"partial block: never closed", "a{{#> p}}x", "{}", HTML, NULL,
     TMPL_ERR_SYNTAX, 1, 2},
    {"partial block: dynamic name", "{{#> (p)}}x{{/p}}", "{}", HTML, NULL,
     TMPL_ERR_SYNTAX, 1, 6},
    {"partial block: hash arguments", "{{#> p a=1}}x{{/p}}", "{}", HTML, NULL,
     TMPL_ERR_SYNTAX, 1, 6},
};

/* run_cases - render each case (partials from fn) and check it. */
static void
run_cases(const struct hcase *cs, size_t n, tmpl_partial_fn *fn)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct hcase *c = &cs[i];
		struct tmpl_render_opts o = {0};
		struct tmpl_error err = {0};
		json_t *data = json_loads(c->data, 0, NULL);
		struct tmpl *t;
		struct buf out;
		int rc = TMPL_ERR_SYNTAX;

		assert_non_null(data);
		o.escape = (enum tmpl_escape)c->esc;
		o.partial = fn;
		buf_init(&out);
		t = tmpl_parse(TMPL_HANDLEBARS, c->src, strlen(c->src), &err);
		if (t != NULL)
			rc = tmpl_render(t, data, &o, &out, &err);
		if (c->want != NULL &&
		    (rc != 0 || strcmp(buf_cstr(&out), c->want) != 0))
			fail_msg("%s: rc %d (%s) got [%s] want [%s]", c->name,
			         rc, err.msg, buf_cstr(&out), c->want);
		if (c->want == NULL &&
		    (rc != (int)c->code || err.line != c->line ||
		     err.col != c->col || out.len != 0))
			fail_msg("%s: rc %d at %u:%u (%s), want %ld at %u:%u",
			         c->name, rc, err.line, err.col, err.msg,
			         c->code, c->line, c->col);
		tmpl_free(t);
		buf_fini(&out);
		json_decref(data);
	}
}

static void
partial_blocks_behave(void **state)
{
	(void)state;
	run_cases(pb_cases, sizeof(pb_cases) / sizeof(*pb_cases), pb_partial);
}

/* the suggested model leaves block parameters out: they are not data */
static void
suggested_model_skips_block_params(void **state)
{
	static const char src[] =
	    "{{#each rows as |r i|}}{{r.c}}{{i}}{{q}}{{/each}}";
	struct tmpl *t = tmpl_parse(TMPL_HANDLEBARS, src, strlen(src), NULL);
	json_t *got = json_object(),
	       *want = json_loads("{\"rows\":[{\"q\":\"q_Value\"}]}", 0, NULL);

	(void)state;
	assert_non_null(t);
	tmpl_suggest_model(t, got);
	tmpl_free(t);
	assert_true(json_equal(got, want));
	json_decref(got);
	json_decref(want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(handlebars_cases_behave),
	    cmocka_unit_test(partials_indent_and_take_a_context),
	    cmocka_unit_test(strict_mode_in_handlebars),
	    cmocka_unit_test(hostile_templates_are_refused_or_bounded),
	    cmocka_unit_test(suggested_model_skips_block_params),
	    cmocka_unit_test(partial_blocks_behave),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
