/*
 * test_compat_postmark_tmpl.c - Postmark's template API, the pure part
 * (ingress/compat_postmark_tmpl.h): bodies (malformed ones refused with
 * Postmark's ErrorCode, naming the field), the rules of a version
 * (required members, layouts' {{{@content}}}, type changes, parsing),
 * kinds of store rows, the JSON shapes, /templates/validate; and the
 * engine's suggested model (tmpl_suggest_model).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ingress/compat_postmark_tmpl.h"

/* build - decode text and build it over base; the ErrorCode (0: built,
 * out filled). */
static int
build(const char *text, const struct tmpl_version *base,
      struct tmpl_version *out)
{
	json_t *b = json_loads(text, JSON_ALLOW_NUL, NULL);
	struct compat_postmark_tmpl_req q;
	struct api_error e;
	int rc;

	memset(&e, 0, sizeof(e));
	rc = compat_postmark_tmpl_decode(b, &q, &e);
	if (rc == 0)
		rc = compat_postmark_tmpl_build(&q, base, "12345678", out, &e);
	json_decref(b);
	if (rc == 0)
		return 0;
	assert_int_equal(e.http_status, 422);
	assert_true(e.message[0] != '\0');
	assert_null(out->meta);
	return compat_postmark_tmpl_error_code(&e);
}

static void
versions_and_their_rules(void **state)
{
	struct tmpl_version v, w;
	char *s;

	(void)state;
	memset(&v, 0, sizeof(v));
	memset(&w, 0, sizeof(w));
	assert_int_equal(
	    build("{\"Name\":\"W\",\"alias\":\"w-1\",\"Subject\":"
	          "\"Hi {{name}}\",\"HtmlBody\":\"<p>{{name}}</p>\","
	          "\"LayoutTemplate\":\"base\"}",
	          NULL, &v),
	    0);
	assert_string_equal(v.name, "12345678");
	assert_int_equal(v.dialect, TMPL_MUSTACHIO);
	assert_string_equal(v.part[TMPL_PART_SUBJECT], "Hi {{name}}");
	assert_null(v.part[TMPL_PART_TEXT]);
	s = compat_postmark_tmpl_meta_str(&v, "Alias");
	assert_string_equal(s, "w-1");
	free(s);
	s = compat_postmark_tmpl_meta_str(&v, "TemplateType");
	assert_string_equal(s, "Standard");
	free(s);
	/* An edit keeps what it leaves out; null clears. */
	assert_int_equal(
	    build("{\"TextBody\":\"t\",\"Alias\":null,\"LayoutTemplate\":null}",
	          &v, &w),
	    0);
	assert_string_equal(w.part[TMPL_PART_HTML], "<p>{{name}}</p>");
	assert_string_equal(w.part[TMPL_PART_TEXT], "t");
	assert_null(compat_postmark_tmpl_meta_str(&w, "Alias"));
	assert_null(compat_postmark_tmpl_meta_str(&w, "LayoutTemplate"));
	s = compat_postmark_tmpl_meta_str(&w, "Name");
	assert_string_equal(s, "W");
	free(s);
	tmpl_version_fini(&w);
	assert_int_equal(build("{\"TemplateType\":\"Layout\"}", &v, &w), 1132);
	assert_int_equal(build("{\"Subject\":null}", &v, &w), 1120);
	assert_int_equal(build("{\"HtmlBody\":null}", &v, &w), 1120);
	assert_int_equal(build("{\"HtmlBody\":\"{{#x}}\"}", &v, &w), 1122);
	tmpl_version_fini(&v);

	/* Layouts. */
	assert_int_equal(build("{\"Name\":\"L\",\"TemplateType\":\"Layout\","
	                       "\"HtmlBody\":\"<b>{{{ @content }}}</b>\","
	                       "\"TextBody\":\"{{{@content}}}\"}",
	                       NULL, &v),
	                 0);
	tmpl_version_fini(&v);
	assert_int_equal(build("{\"Name\":\"L\",\"TemplateType\":\"Layout\","
	                       "\"HtmlBody\":\"<b></b>\"}",
	                       NULL, &v),
	                 1130);
	assert_int_equal(build("{\"Name\":\"L\",\"TemplateType\":\"Layout\","
	                       "\"TextBody\":\"{{{@content}}}{{{@content}}}\"}",
	                       NULL, &v),
	                 1130);
	assert_int_equal(
	    build("{\"Name\":\"L\",\"TemplateType\":\"Layout\","
	          "\"Subject\":\"s\",\"TextBody\":\"{{{@content}}}\"}",
	          NULL, &v),
	    1123);
	assert_int_equal(build("{\"Name\":\"L\",\"TemplateType\":\"Layout\","
	                       "\"LayoutTemplate\":\"x\","
	                       "\"TextBody\":\"{{{@content}}}\"}",
	                       NULL, &v),
	                 1123);
	assert_int_equal(build("{\"Name\":\"n\",\"Subject\":\"{{{@content}}}\","
	                       "\"TextBody\":\"x\"}",
	                       NULL, &v),
	                 1131);

	/* Malformed. */
	assert_int_equal(build("[]", NULL, &v), 402);
	assert_int_equal(
	    build("{\"Subject\":\"s\",\"TextBody\":\"x\"}", NULL, &v), 1120);
	assert_int_equal(build("{\"Name\":\"n\",\"TextBody\":\"x\"}", NULL, &v),
	                 1120);
	assert_int_equal(build("{\"Name\":\"n\",\"Subject\":\"s\"}", NULL, &v),
	                 1120);
	assert_int_equal(build("{\"Name\":\"n\",\"Subject\":\"s\",\"TextBody\":"
	                       "\"x\",\"Extra\":1}",
	                       NULL, &v),
	                 1123);
	assert_int_equal(build("{\"Name\":[1],\"Subject\":\"s\",\"TextBody\":"
	                       "\"x\"}",
	                       NULL, &v),
	                 1122);
	assert_int_equal(build("{\"Name\":\"a\\u0000b\",\"Subject\":\"s\","
	                       "\"TextBody\":\"x\"}",
	                       NULL, &v),
	                 1122);
	assert_int_equal(build("{\"Name\":\"n\",\"Alias\":\"9lives\","
	                       "\"Subject\":\"s\",\"TextBody\":\"x\"}",
	                       NULL, &v),
	                 1122);
	assert_int_equal(build("{\"Name\":\"n\",\"Alias\":\"a b\","
	                       "\"Subject\":\"s\",\"TextBody\":\"x\"}",
	                       NULL, &v),
	                 1122);
	assert_int_equal(build("{\"Name\":\"n\",\"TemplateType\":\"Odd\","
	                       "\"Subject\":\"s\",\"TextBody\":\"x\"}",
	                       NULL, &v),
	                 1122);
}

static void
names_kinds_and_json(void **state)
{
	struct tmpl_version v;
	char target[TMPL_STORE_NAME_MAX];
	json_t *o;

	(void)state;
	assert_true(compat_postmark_tmpl_alias_ok("welcome-v2.en_GB"));
	assert_false(compat_postmark_tmpl_alias_ok("2welcome"));
	assert_false(compat_postmark_tmpl_alias_ok(""));
	assert_false(compat_postmark_tmpl_alias_ok(NULL));
	assert_true(compat_postmark_tmpl_id_ok("4242"));
	assert_false(compat_postmark_tmpl_id_ok("0042"));
	assert_false(compat_postmark_tmpl_id_ok("42a"));
	assert_false(compat_postmark_tmpl_id_ok("1234567890123456789"));
	memset(&v, 0, sizeof(v));
	snprintf(v.name, sizeof(v.name), "welcome");
	v.meta = compat_postmark_tmpl_alias_meta("4242");
	assert_int_equal(compat_postmark_tmpl_kind(&v, target), 'a');
	assert_string_equal(target, "4242");
	free(v.meta);
	v.meta = NULL;
	assert_int_equal(compat_postmark_tmpl_kind(&v, target), 0);
	snprintf(v.name, sizeof(v.name), "4242");
	assert_int_equal(compat_postmark_tmpl_kind(&v, target), 't');
	v.meta = (char *)"{\"sendgrid\":\"template\"}";
	assert_int_equal(compat_postmark_tmpl_kind(&v, target), 0);
	/* A template stored without Postmark's meta: Standard, its id. */
	v.meta = NULL;
	v.part[TMPL_PART_TEXT] = (char *)"t";
	o = compat_postmark_tmpl_json(&v, 1);
	assert_int_equal(json_integer_value(json_object_get(o, "TemplateId")),
	                 4242);
	assert_string_equal(json_string_value(json_object_get(o, "Name")),
	                    "4242");
	assert_string_equal(
	    json_string_value(json_object_get(o, "TemplateType")), "Standard");
	assert_true(json_is_null(json_object_get(o, "Alias")));
	assert_true(json_is_null(json_object_get(o, "HtmlBody")));
	assert_string_equal(json_string_value(json_object_get(o, "TextBody")),
	                    "t");
	json_decref(o);
	o = compat_postmark_tmpl_json(&v, 0);
	assert_null(json_object_get(o, "TextBody"));
	json_decref(o);
}

/* validate - POST /templates/validate of text; the answer (NULL: the
 * ErrorCode in *code). */
static json_t *
validate(const char *text, int *code)
{
	json_t *b = json_loads(text, 0, NULL), *o;
	struct api_error e;

	o = compat_postmark_tmpl_validate(b, NULL, &e);
	json_decref(b);
	*code = o == NULL ? compat_postmark_tmpl_error_code(&e) : 0;
	return o;
}

static void
validation(void **state)
{
	json_t *o, *err;
	char *s;
	int code;

	(void)state;
	o = validate(
	    "{\"Subject\":\"Hi {{user.name}}\",\"HtmlBody\":"
	    "\"{{#each items}}<i>{{title}}</i>{{/each}}{{^vip}}-{{/vip}}"
	    "\",\"TestRenderModel\":{\"user\":{\"name\":\"<A>\"},"
	    "\"items\":[{\"title\":\"t\"}]}}",
	    &code);
	assert_non_null(o);
	assert_true(json_is_true(json_object_get(o, "AllContentIsValid")));
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(o, "Subject"),
	                                      "RenderedContent")),
	    "Hi <A>");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(o, "HtmlBody"),
	                                      "RenderedContent")),
	    "<i>t</i>-");
	s = json_dumps(json_object_get(o, "SuggestedTemplateModel"),
	               JSON_SORT_KEYS | JSON_COMPACT);
	assert_string_equal(s, "{\"items\":[{\"title\":\"title_Value\"}],"
	                       "\"user\":{\"name\":\"name_Value\"},\"vip\":"
	                       "\"vip_Value\"}");
	free(s);
	json_decref(o);

	o = validate(
	    "{\"TextBody\":\"a\\nb {{#x}}\",\"Subject\":\"{{{@content}}}\"}",
	    &code);
	assert_non_null(o);
	assert_true(json_is_false(json_object_get(o, "AllContentIsValid")));
	err = json_array_get(
	    json_object_get(json_object_get(o, "TextBody"), "ValidationErrors"),
	    0);
	assert_int_equal(json_integer_value(json_object_get(err, "Line")), 2);
	assert_int_equal(
	    json_integer_value(json_object_get(err, "CharacterPosition")), 3);
	assert_true(json_is_false(
	    json_object_get(json_object_get(o, "Subject"), "ContentIsValid")));
	json_decref(o);
	o = validate("{\"TemplateType\":\"Layout\",\"HtmlBody\":\"<b></b>\"}",
	             &code);
	assert_true(json_is_false(json_object_get(o, "AllContentIsValid")));
	json_decref(o);

	assert_null(validate("{}", &code));
	assert_int_equal(code, 1120);
	assert_null(validate("{\"X\":1}", &code));
	assert_int_equal(code, 1123);
	assert_null(
	    validate("{\"TextBody\":\"x\",\"TestRenderModel\":3}", &code));
	assert_int_equal(code, 1122);
	assert_null(validate("{\"TextBody\":7}", &code));
	assert_int_equal(code, 1122);
	assert_null(
	    validate("{\"TextBody\":\"x\",\"TemplateType\":\"Odd\"}", &code));
	assert_int_equal(code, 1122);
	assert_null(validate("\"x\"", &code));
	assert_int_equal(code, 402);
}

static void
suggested_model_of_handlebars(void **state)
{
	struct tmpl_error err;
	struct tmpl *t = tmpl_parse(
	    TMPL_HANDLEBARS,
	    "{{#if ok}}{{a.b}}{{/if}}{{#each rows}}{{c}}{{../top}}{{/each}}"
	    "{{#with w}}{{d}}{{/with}}{{equals x y}}{{@root.r}}",
	    strlen("{{#if ok}}{{a.b}}{{/if}}{{#each rows}}{{c}}{{../top}}"
	           "{{/each}}{{#with w}}{{d}}{{/with}}{{equals x y}}"
	           "{{@root.r}}"),
	    &err);
	json_t *m = json_object();
	char *s;

	(void)state;
	assert_non_null(t);
	tmpl_suggest_model(t, m);
	s = json_dumps(m, JSON_SORT_KEYS | JSON_COMPACT);
	assert_string_equal(s, "{\"a\":{\"b\":\"b_Value\"},\"ok\":\"ok_Value\","
	                       "\"rows\":[{\"c\":\"c_Value\"}],\"w\":{\"d\":"
	                       "\"d_Value\"},\"x\":\"x_Value\",\"y\":\"y_"
	                       "Value\"}");
	free(s);
	json_decref(m);
	tmpl_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(versions_and_their_rules),
	    cmocka_unit_test(names_kinds_and_json),
	    cmocka_unit_test(validation),
	    cmocka_unit_test(suggested_model_of_handlebars),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
