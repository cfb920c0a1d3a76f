/*
 * test_compat_sendgrid_tmpl.c - SendGrid's template API, the pure part
 * (ingress/compat_sendgrid_tmpl.h): ids, request bodies (malformed ones
 * refused in SendGrid's terms, naming the field), a template's store
 * rows as SendGrid's template and versions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ingress/compat_sendgrid_tmpl.h"

static void
ids(void **state)
{
	char id[TMPL_STORE_NAME_MAX], vid[SGT_VID_SIZE], other[SGT_VID_SIZE];

	(void)state;
	assert_true(
	    compat_sendgrid_tmpl_id_ok("d-0123456789abcdef0123456789abcdef"));
	assert_false(
	    compat_sendgrid_tmpl_id_ok("d-0123456789ABCDEF0123456789abcdef"));
	assert_false(
	    compat_sendgrid_tmpl_id_ok("d-0123456789abcdef0123456789abcde"));
	assert_false(
	    compat_sendgrid_tmpl_id_ok("x-0123456789abcdef0123456789abcdef"));
	assert_false(compat_sendgrid_tmpl_id_ok("receipt"));
	assert_false(compat_sendgrid_tmpl_id_ok(NULL));
	compat_sendgrid_tmpl_id_new(id);
	assert_true(compat_sendgrid_tmpl_id_ok(id));
	compat_sendgrid_tmpl_vid_new(vid);
	compat_sendgrid_tmpl_vid_new(other);
	assert_int_equal(strlen(vid), 36);
	assert_int_equal(vid[14], '4');
	assert_non_null(strchr("89ab", vid[19]));
	assert_string_not_equal(vid, other);
}

/* decode_t - compat_sendgrid_tmpl_template_decode of text; the field of
 * the error ("" when accepted). */
static const char *
decode_t(const char *text, int create)
{
	static struct api_error e;
	json_t *b = json_loads(text, JSON_ALLOW_NUL, NULL);
	const char *name;
	int rc;

	memset(&e, 0, sizeof(e));
	rc = compat_sendgrid_tmpl_template_decode(b, create, &name, &e);
	json_decref(b);
	if (rc == 0) {
		assert_non_null(name);
		return "";
	}
	assert_null(name);
	assert_true(e.http_status == 400);
	assert_true(e.message[0] != '\0');
	return e.field;
}

static void
template_bodies(void **state)
{
	char big[200];

	(void)state;
	assert_string_equal(
	    decode_t("{\"name\":\"R\",\"generation\":\"dynamic\"}", 1), "");
	assert_string_equal(decode_t("{\"name\":\"R\"}", 0), "");
	assert_string_equal(decode_t("{\"name\":\"R\"}", 1), "generation");
	assert_string_equal(
	    decode_t("{\"name\":\"R\",\"generation\":\"legacy\"}", 1),
	    "generation");
	assert_string_equal(
	    decode_t("{\"name\":\"R\",\"generation\":\"new\"}", 1),
	    "generation");
	assert_string_equal(
	    decode_t("{\"name\":\"R\",\"generation\":\"dynamic\"}", 0), "");
	assert_string_equal(decode_t("{\"generation\":\"dynamic\"}", 1),
	                    "name");
	assert_string_equal(decode_t("{\"name\":\"\"}", 0), "name");
	assert_string_equal(decode_t("{\"name\":5}", 0), "name");
	assert_string_equal(decode_t("{\"name\":\"a\\u0000b\"}", 0), "name");
	assert_string_equal(decode_t("[1]", 0), "");
	assert_string_equal(decode_t("{\"name\":\"R\",\"x\":1}", 0), "");
	snprintf(big, sizeof(big), "{\"name\":\"%0101d\"}", 0);
	assert_string_equal(decode_t(big, 0), "name");
	/* 100 characters of UTF-8 are fine. */
	snprintf(big, sizeof(big), "{\"name\":\"%099d\\u00e9\"}", 0);
	assert_string_equal(decode_t(big, 0), "");
}

/* decode_v - compat_sendgrid_tmpl_version_decode of text over base; the
 * error's field ("" when accepted, out then filled). */
static const char *
decode_v(const char *text, const struct tmpl_version *base,
         struct tmpl_version *out, int *active)
{
	static struct api_error e;
	json_t *b = json_loads(text, JSON_ALLOW_NUL, NULL);
	int rc;

	memset(&e, 0, sizeof(e));
	rc = compat_sendgrid_tmpl_version_decode(b, base, "vid-1", out, active,
	                                         &e);
	json_decref(b);
	if (rc == 0)
		return "";
	assert_null(out->part[TMPL_PART_SUBJECT]);
	assert_null(out->meta);
	assert_int_equal(e.http_status, 400);
	return e.field;
}

static void
version_bodies(void **state)
{
	struct tmpl_version v, w;
	int active;
	json_t *m;

	(void)state;
	assert_string_equal(
	    decode_v("{\"name\":\"v1\",\"subject\":\"Hi {{n}}\","
	             "\"html_content\":\"<p>{{n}}</p>\",\"active\":1,"
	             "\"test_data\":\"{}\"}",
	             NULL, &v, &active),
	    "");
	assert_int_equal(active, 1);
	assert_int_equal(v.dialect, TMPL_HANDLEBARS);
	assert_string_equal(v.part[TMPL_PART_SUBJECT], "Hi {{n}}");
	assert_string_equal(v.part[TMPL_PART_HTML], "<p>{{n}}</p>");
	assert_null(v.part[TMPL_PART_TEXT]);
	m = json_loads(v.meta, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(m, "sendgrid")),
	                    "version");
	assert_string_equal(json_string_value(json_object_get(m, "id")),
	                    "vid-1");
	assert_string_equal(json_string_value(json_object_get(m, "editor")),
	                    "code");
	assert_true(json_is_true(json_object_get(m, "generate_plain_content")));
	json_decref(m);

	/* An edit keeps what it does not name. */
	assert_string_equal(
	    decode_v("{\"plain_content\":\"t {{n}}\",\"editor\":\"design\","
	             "\"generate_plain_content\":false}",
	             &v, &w, &active),
	    "");
	assert_int_equal(active, -1);
	assert_string_equal(w.part[TMPL_PART_SUBJECT], "Hi {{n}}");
	assert_string_equal(w.part[TMPL_PART_HTML], "<p>{{n}}</p>");
	assert_string_equal(w.part[TMPL_PART_TEXT], "t {{n}}");
	m = json_loads(w.meta, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(m, "name")),
	                    "v1");
	assert_string_equal(json_string_value(json_object_get(m, "test_data")),
	                    "{}");
	assert_string_equal(json_string_value(json_object_get(m, "editor")),
	                    "design");
	assert_true(
	    json_is_false(json_object_get(m, "generate_plain_content")));
	json_decref(m);
	tmpl_version_fini(&w);
	/* An edit may empty a part with null... no: null keeps it; "" is
	 * an empty part. */
	assert_string_equal(
	    decode_v("{\"html_content\":\"\"}", &v, &w, &active), "");
	assert_string_equal(w.part[TMPL_PART_HTML], "");
	tmpl_version_fini(&w);

	/* Malformed: each names its field, nothing is left behind. */
	assert_string_equal(decode_v("{\"subject\":\"s\"}", NULL, &w, &active),
	                    "name");
	assert_string_equal(decode_v("{\"name\":\"n\"}", NULL, &w, &active),
	                    "subject");
	assert_string_equal(
	    decode_v("{\"name\":\"n\",\"subject\":\"s\",\"active\":2}", NULL,
	             &w, &active),
	    "active");
	assert_string_equal(
	    decode_v("{\"name\":\"n\",\"subject\":\"s\",\"active\":true}", NULL,
	             &w, &active),
	    "active");
	assert_string_equal(
	    decode_v("{\"name\":\"n\",\"subject\":\"s\",\"editor\":\"vim\"}",
	             NULL, &w, &active),
	    "editor");
	assert_string_equal(decode_v("{\"name\":\"n\",\"subject\":\"s\","
	                             "\"generate_plain_content\":\"yes\"}",
	                             NULL, &w, &active),
	                    "generate_plain_content");
	assert_string_equal(
	    decode_v("{\"name\":\"n\",\"subject\":\"s\",\"html_content\":"
	             "\"a\\n\\n  {{#each x}}\"}",
	             NULL, &w, &active),
	    "html_content");
	assert_string_equal(
	    decode_v("{\"name\":\"n\",\"subject\":\"{{\"}", NULL, &w, &active),
	    "subject");
	assert_string_equal(
	    decode_v("{\"name\":\"n\",\"subject\":\"s\",\"plain_content\":7}",
	             NULL, &w, &active),
	    "plain_content");
	assert_string_equal(
	    decode_v("{\"name\":\"n\",\"subject\":\"s\",\"what\":1}", NULL, &w,
	             &active),
	    "");
	assert_string_equal(decode_v("\"str\"", NULL, &w, &active), "");
	assert_string_equal(
	    decode_v("{\"html_content\":\"{{/if}}\"}", &v, &w, &active),
	    "html_content");
	tmpl_version_fini(&v);
}

static void
the_line_of_a_part_that_does_not_parse(void **state)
{
	json_t *b = json_loads("{\"name\":\"n\",\"subject\":\"s\","
	                       "\"html_content\":\"one\\ntwo {{#if x}}\"}",
	                       0, NULL);
	struct tmpl_version v;
	struct api_error e;
	int active;

	(void)state;
	assert_int_equal(
	    compat_sendgrid_tmpl_version_decode(b, NULL, "x", &v, &active, &e),
	    -1);
	assert_non_null(strstr(e.message, "line 2"));
	json_decref(b);
}

static void
rows_as_a_template(void **state)
{
	struct tmpl_version rows[6];
	struct compat_sendgrid_tmpl_model m;
	const struct compat_sendgrid_tmpl_ver *a;
	json_t *t, *vs;
	const char *vid_a = "11111111-1111-4111-8111-111111111111";

	(void)state;
	memset(rows, 0, sizeof(rows));
	for (int i = 0; i < 6; i++) {
		snprintf(rows[i].name, sizeof(rows[i].name),
		         "d-0123456789abcdef0123456789abcdef");
		rows[i].version = i + 1;
		rows[i].created_ms = 1000000 * (i + 1);
	}
	rows[0].meta = (char *)"{\"sendgrid\":\"template\",\"name\":\"First\"}";
	rows[1].meta = (char *)"{\"sendgrid\":\"version\",\"id\":"
	                       "\"11111111-1111-4111-8111-111111111111\","
	                       "\"name\":\"a\"}";
	rows[1].part[TMPL_PART_SUBJECT] = (char *)"old";
	rows[2].meta =
	    (char *)"{\"sendgrid\":\"template\",\"name\":\"Renamed\"}";
	rows[3].meta = (char *)"{\"sendgrid\":\"version\",\"id\":"
	                       "\"11111111-1111-4111-8111-111111111111\","
	                       "\"name\":\"a2\",\"editor\":\"design\"}";
	rows[3].part[TMPL_PART_SUBJECT] = (char *)"new";
	rows[3].active = 1;
	/* Stored another way: a version of its own. */
	rows[4].part[TMPL_PART_HTML] = (char *)"<p>x</p>";
	/* Meta that is not JSON, no parts: neither. */
	rows[5].meta = (char *)"{not json";
	compat_sendgrid_tmpl_model_build(rows, 6, &m);
	assert_string_equal(m.name, "Renamed");
	assert_int_equal(m.nv, 2);
	assert_int_equal(m.last_record, 2);
	assert_int_equal(m.updated, 6000000);
	a = compat_sendgrid_tmpl_model_find(&m, vid_a);
	assert_non_null(a);
	assert_int_equal(a->row, 3);
	assert_int_equal(a->n_rows, 2);
	assert_non_null(compat_sendgrid_tmpl_model_find(
	    &m, "00000000-0000-4000-8000-000000000005"));
	assert_null(compat_sendgrid_tmpl_model_find(&m, "nope"));
	t = compat_sendgrid_tmpl_template_json(&m, 0);
	assert_string_equal(json_string_value(json_object_get(t, "name")),
	                    "Renamed");
	assert_string_equal(json_string_value(json_object_get(t, "updated_at")),
	                    "1970-01-01 01:40:00");
	vs = json_object_get(t, "versions");
	assert_int_equal(json_array_size(vs), 2);
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(vs, 0), "subject")),
	                    "new");
	assert_int_equal(json_integer_value(
	                     json_object_get(json_array_get(vs, 0), "active")),
	                 1);
	assert_null(json_object_get(json_array_get(vs, 0), "html_content"));
	json_decref(t);
	t = compat_sendgrid_tmpl_version_json(&m, a);
	assert_string_equal(json_string_value(json_object_get(t, "name")),
	                    "a2");
	assert_string_equal(json_string_value(json_object_get(t, "editor")),
	                    "design");
	assert_string_equal(
	    json_string_value(json_object_get(t, "html_content")), "");
	json_decref(t);
	compat_sendgrid_tmpl_model_fini(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(ids),
	    cmocka_unit_test(template_bodies),
	    cmocka_unit_test(version_bodies),
	    cmocka_unit_test(the_line_of_a_part_that_does_not_parse),
	    cmocka_unit_test(rows_as_a_template),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
