/*
 * test_compat_mailgun_tmpl.c - Mailgun's template API, the pure part
 * (ingress/compat_mailgun_tmpl.h): paths, versions checked (malformed
 * ones refused naming the field, nothing left behind), a template's store
 * rows as Mailgun's template and versions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ingress/compat_mailgun_tmpl.h"

static void
paths(void **state)
{
	(void)state;
	assert_true(compat_mailgun_tmpl_path("/v3/mg.example.com/templates"));
	assert_true(compat_mailgun_tmpl_path("/v3/d/templates/x/versions/v1"));
	assert_false(compat_mailgun_tmpl_path("/v3/d/templatesx"));
	assert_false(compat_mailgun_tmpl_path("/v3/d/messages"));
	assert_false(compat_mailgun_tmpl_path("/v3//templates"));
	assert_false(compat_mailgun_tmpl_path("/v3/templates"));
}

/* version - compat_mailgun_tmpl_version; the error's field ("" when
 * accepted: out filled). */
static const char *
version(const char *content, const char *tag, const char *engine,
        const struct tmpl_version *base, struct tmpl_version *out)
{
	static struct api_error e;

	memset(&e, 0, sizeof(e));
	if (compat_mailgun_tmpl_version(content, tag, NULL, engine, "d", base,
	                                out, &e) == 0)
		return "";
	assert_int_equal(e.http_status, 400);
	assert_null(out->part[TMPL_PART_HTML]);
	assert_null(out->meta);
	return e.field;
}

static void
versions(void **state)
{
	struct tmpl_version v, w;

	(void)state;
	assert_string_equal(version("<b>{{x}}</b>", "v1", NULL, NULL, &v), "");
	assert_string_equal(v.part[TMPL_PART_HTML], "<b>{{x}}</b>");
	assert_int_equal(v.dialect, TMPL_HANDLEBARS);
	assert_non_null(strstr(v.meta, "\"tag\":\"v1\""));
	assert_non_null(strstr(v.meta, "\"description\":\"d\""));
	/* An edit keeps the content it does not give. */
	assert_string_equal(version(NULL, "v1", NULL, &v, &w), "");
	assert_string_equal(w.part[TMPL_PART_HTML], "<b>{{x}}</b>");
	tmpl_version_fini(&w);
	tmpl_version_fini(&v);
	assert_string_equal(version(NULL, "v1", NULL, NULL, &v), "template");
	assert_string_equal(version("", "v1", NULL, NULL, &v), "template");
	assert_string_equal(version("x", NULL, NULL, NULL, &v), "tag");
	assert_string_equal(version("x", "", NULL, NULL, &v), "tag");
	assert_string_equal(version("x", "a b", NULL, NULL, &v), "tag");
	assert_string_equal(version("x", "v", "mjml", NULL, &v), "engine");
	assert_string_equal(version("a\n{{#if x}}", "v", NULL, NULL, &v),
	                    "template");
	/* Bytes that are not UTF-8 (a form may carry any). */
	assert_string_equal(version("caf\xe9", "v", NULL, NULL, &v),
	                    "template");
	assert_string_equal(version("x", "v\xff", NULL, NULL, &v), "template");
}

static void
rows_as_a_template(void **state)
{
	struct tmpl_version rows[5];
	struct compat_mailgun_tmpl_model m;
	const struct compat_mailgun_tmpl_ver *a;
	json_t *t;

	(void)state;
	memset(rows, 0, sizeof(rows));
	for (int i = 0; i < 5; i++) {
		snprintf(rows[i].name, sizeof(rows[i].name), "receipt");
		rows[i].version = i + 1;
	}
	rows[0].meta =
	    (char *)"{\"mailgun\":\"template\",\"description\":\"one\"}";
	rows[1].meta = (char *)"{\"mailgun\":\"version\",\"tag\":\"a\"}";
	rows[1].part[TMPL_PART_HTML] = (char *)"old";
	rows[2].meta = (char *)"{\"mailgun\":\"version\",\"tag\":\"a\","
	                       "\"comment\":\"c\",\"description\":\"two\"}";
	rows[2].part[TMPL_PART_HTML] = (char *)"new";
	rows[2].active = 1;
	rows[3].part[TMPL_PART_HTML] = (char *)"native";
	rows[4].meta = (char *)"[broken";
	compat_mailgun_tmpl_model_build(rows, 5, &m);
	assert_string_equal(m.description, "two");
	assert_int_equal(m.last_record, 0);
	assert_int_equal(m.nv, 2);
	a = compat_mailgun_tmpl_model_find(&m, "a");
	assert_non_null(a);
	assert_int_equal(a->row, 2);
	assert_int_equal(a->n_rows, 2);
	assert_non_null(compat_mailgun_tmpl_model_find(&m, "v4"));
	assert_null(compat_mailgun_tmpl_model_find(&m, "b"));
	t = compat_mailgun_tmpl_json(&m, a, 1, 1);
	assert_string_equal(json_string_value(json_object_get(t, "name")),
	                    "receipt");
	assert_string_equal(json_string_value(json_object_get(
	                        json_object_get(t, "version"), "template")),
	                    "new");
	assert_true(json_is_true(
	    json_object_get(json_object_get(t, "version"), "active")));
	assert_int_equal(json_array_size(json_object_get(t, "versions")), 2);
	assert_null(json_object_get(
	    json_array_get(json_object_get(t, "versions"), 0), "template"));
	json_decref(t);
	compat_mailgun_tmpl_model_fini(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(paths),
	    cmocka_unit_test(versions),
	    cmocka_unit_test(rows_as_a_template),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
