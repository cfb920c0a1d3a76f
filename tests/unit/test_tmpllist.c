/*
 * test_tmpllist.c - the parsers of providers' own templates
 * (providers/tmpllist.h): SendGrid's template pages (ids, the next page)
 * and one template (its active version), SES's, Postmark's and
 * Mailgun's list pages and templates, and bodies of the wrong shape
 * refused with nothing returned.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "providers/tmpllist.h"

#define S(x) x, strlen(x)

static void
sendgrid_page_ids_and_next(void **state)
{
	const char *body =
	    "{\"result\":[{\"id\":\"d-1\"},{\"id\":\"a b\"},{\"x\":1},"
	    "{\"id\":\"d-2\"}],\"_metadata\":{\"next\":\"http://h/v3/"
	    "templates?page_token=t\"}}";
	char **ids = NULL, *next = NULL, err[256] = "";
	size_t n = 0, i;

	(void)state;
	assert_int_equal(tmpllist_parse_sendgrid_ids(body, strlen(body), &ids,
	                                             &n, &next, err,
	                                             sizeof(err)),
	                 0);
	assert_int_equal(n, 2);
	assert_string_equal(ids[0], "d-1");
	assert_string_equal(ids[1], "d-2");
	assert_non_null(strstr(next, "page_token=t"));
	free(next);
	assert_int_equal(tmpllist_parse_sendgrid_ids("[]", 2, &ids, &n, &next,
	                                             err, sizeof(err)),
	                 -1);
	assert_int_equal(tmpllist_parse_sendgrid_ids("{\"result\":{}}", 13,
	                                             &ids, &n, &next, err,
	                                             sizeof(err)),
	                 -1);
	assert_null(next);
	assert_int_equal(n, 2);
	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

static void
sendgrid_template_active_version(void **state)
{
	const char *body =
	    "{\"id\":\"d-9\",\"versions\":[{\"active\":0,\"subject\":\"old\"},"
	    "{\"active\":1,\"subject\":\"S {{x}}\",\"html_content\":"
	    "\"<b>{{x}}</b>\",\"plain_content\":\"\"}]}";
	struct tmpl_version v;
	char err[256] = "";

	(void)state;
	assert_int_equal(tmpllist_parse_sendgrid_template(body, strlen(body),
	                                                  &v, err, sizeof(err)),
	                 1);
	assert_string_equal(v.name, "d-9");
	assert_int_equal(v.dialect, TMPL_HANDLEBARS);
	assert_string_equal(v.part[TMPL_PART_SUBJECT], "S {{x}}");
	assert_string_equal(v.part[TMPL_PART_HTML], "<b>{{x}}</b>");
	assert_null(v.part[TMPL_PART_TEXT]);
	tmpl_version_fini(&v);
	assert_int_equal(
	    tmpllist_parse_sendgrid_template(
	        S("{\"id\":\"d-9\",\"versions\":[]}"), &v, err, sizeof(err)),
	    0);
	assert_int_equal(tmpllist_parse_sendgrid_template(S("{\"id\":\"a/b\"}"),
	                                                  &v, err, sizeof(err)),
	                 -1);
	assert_int_equal(
	    tmpllist_parse_sendgrid_template("{\"id\":\"d-1\",\"versions\":{}}",
	                                     27, &v, err, sizeof(err)),
	    -1);
	assert_int_equal(
	    tmpllist_parse_sendgrid_template("nope", 4, &v, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "SendGrid"));
}

static void
ses_names_and_template(void **state)
{
	const char *page =
	    "{\"TemplatesMetadata\":[{\"TemplateName\":\"a\"},"
	    "{\"TemplateName\":\"b c\"},{}],\"NextToken\":\"7\"}";
	const char *one = "{\"TemplateName\":\"a\",\"TemplateContent\":"
	                  "{\"Subject\":\"s\",\"Text\":\"t\"}}";
	char **names = NULL, *next = NULL, err[256];
	struct tmpl_version v;
	size_t n = 0;

	(void)state;
	assert_int_equal(tmpllist_parse_ses_names(S(page), &names, &n, &next,
	                                          err, sizeof(err)),
	                 0);
	assert_int_equal(n, 1);
	assert_string_equal(names[0], "a");
	assert_string_equal(next, "7");
	free(names[0]);
	free(names);
	free(next);
	assert_int_equal(tmpllist_parse_ses_names(S("{}"), &names, &n, &next,
	                                          err, sizeof(err)),
	                 -1);
	assert_int_equal(
	    tmpllist_parse_ses_template(S(one), &v, err, sizeof(err)), 1);
	assert_string_equal(v.part[TMPL_PART_SUBJECT], "s");
	assert_null(v.part[TMPL_PART_HTML]);
	tmpl_version_fini(&v);
	assert_int_equal(
	    tmpllist_parse_ses_template(S("{\"TemplateName\":\"a\"}"), &v, err,
	                                sizeof(err)),
	    -1);
}

static void
postmark_list_page(void **state)
{
	const char *body =
	    "{\"TotalCount\":3,\"Templates\":[{\"Active\":true,\"TemplateId\":"
	    "12,\"Name\":\"a\",\"Alias\":null},{\"TemplateId\":9}]}";
	static const char *const bad[] = {
	    "",
	    "[]",
	    "{\"Templates\":[]}",
	    "{\"TotalCount\":-1,\"Templates\":[]}",
	    "{\"TotalCount\":1,\"Templates\":{}}",
	    "{\"TotalCount\":2,\"Templates\":[{\"TemplateId\":1},"
	    "{\"TemplateId\":\"2\"}]}",
	    "{\"TotalCount\":1,\"Templates\":[{\"TemplateId\":0}]}",
	    "{\"TotalCount\":1,\"Templates\":[5]}",
	    "{\"TotalCount\":1,\"Templates\":[{\"TemplateId\":1}]",
	};
	char **ids = NULL, err[256] = "";
	long long total = 0;
	size_t n = 0, i;

	(void)state;
	assert_int_equal(tmpllist_postmark_parse_list(S(body), &ids, &n, &total,
	                                              err, sizeof(err)),
	                 0);
	assert_int_equal(n, 2);
	assert_int_equal(total, 3);
	assert_string_equal(ids[0], "12");
	assert_string_equal(ids[1], "9");
	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ids = NULL;
		n = 0;
		err[0] = '\0';
		assert_int_equal(tmpllist_postmark_parse_list(S(bad[i]), &ids,
		                                              &n, &total, err,
		                                              sizeof(err)),
		                 -1);
		assert_int_equal(n, 0);
		assert_null(ids);
		assert_non_null(strstr(err, "Postmark template list"));
	}
}

static void
postmark_template(void **state)
{
	const char *body =
	    "{\"Name\":\"Welcome\",\"TemplateId\":77,\"Alias\":\"welcome\","
	    "\"Subject\":\"Hi {{n}}\",\"HtmlBody\":\"<p>{{n}}</p>\","
	    "\"TextBody\":null,\"AssociatedServerId\":1,\"Active\":true,"
	    "\"TemplateType\":\"Standard\",\"LayoutTemplate\":\"base\"}";
	const char *noalias = "{\"Name\":\"L\",\"TemplateId\":78,\"HtmlBody\":"
	                      "\"<b>{{{@content}}}</b>\",\"TemplateType\":"
	                      "\"Layout\"}";
	const char *off = "{\"Name\":\"x\",\"TemplateId\":1,\"Active\":false,"
	                  "\"TextBody\":\"t\"}";
	static const char *const bad[] = {
	    "",
	    "{}",
	    "{\"TemplateId\":\"1\",\"Name\":\"x\"}",
	    "{\"TemplateId\":1}",
	    "{\"TemplateId\":1,\"Name\":5}",
	    "{\"TemplateId\":1,\"Name\":\"x\",\"HtmlBody\":[]}",
	    "{\"TemplateId\":1,\"Name\":\"x\",\"Active\":\"yes\"}",
	    "{\"TemplateId\":1,\"Name\":\"x\",\"TemplateType\":\"Other\"}",
	    "{\"TemplateId\":1,\"Name\":\"x\",\"Alias\":\"a b\"}",
	    "{\"TemplateId\":1,\"Name\":\"x\",\"TextBody\":\"a\\u0000b\"}",
	    "{\"TemplateId\":1,\"Name\":\"x\",\"TextBody\":\"ab",
	};
	struct tmpl_version v;
	char err[256] = "";
	size_t i;

	(void)state;
	assert_int_equal(
	    tmpllist_postmark_parse_template(S(body), &v, err, sizeof(err)), 1);
	assert_string_equal(v.name, "welcome");
	assert_int_equal(v.dialect, TMPL_MUSTACHIO);
	assert_string_equal(v.part[TMPL_PART_SUBJECT], "Hi {{n}}");
	assert_string_equal(v.part[TMPL_PART_HTML], "<p>{{n}}</p>");
	assert_null(v.part[TMPL_PART_TEXT]);
	assert_string_equal(v.meta,
	                    "{\"Alias\":\"welcome\",\"LayoutTemplate\":"
	                    "\"base\",\"Name\":\"Welcome\",\"TemplateType\":"
	                    "\"Standard\",\"postmark\":\"template\"}");
	tmpl_version_fini(&v);
	assert_int_equal(
	    tmpllist_postmark_parse_template(S(noalias), &v, err, sizeof(err)),
	    1);
	assert_string_equal(v.name, "78");
	assert_non_null(strstr(v.meta, "\"TemplateType\":\"Layout\""));
	tmpl_version_fini(&v);
	assert_int_equal(
	    tmpllist_postmark_parse_template(S(off), &v, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "inactive"));
	assert_null(v.part[TMPL_PART_TEXT]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(tmpllist_postmark_parse_template(
		                     S(bad[i]), &v, err, sizeof(err)),
		                 -1);
		assert_true(err[0] != '\0');
		assert_null(v.part[TMPL_PART_TEXT]);
		assert_null(v.part[TMPL_PART_HTML]);
		assert_null(v.meta);
	}
}

static void
mailgun_list_page(void **state)
{
	const char *body =
	    "{\"items\":[{\"name\":\"a\",\"id\":\"1\"},{\"name\":\"B-2\"}],"
	    "\"paging\":{\"next\":\"https://h/v3/d/templates?page=next&p=B-2\","
	    "\"first\":\"x\"}}";
	const char *last = "{\"items\":[],\"paging\":{\"next\":\"https://h/"
	                   "v3/d/templates?page=next&p=B-2\"}}";
	static const char *const bad[] = {
	    "",
	    "{}",
	    "{\"items\":{}}",
	    "{\"items\":[{\"name\":\"ok\"},{\"name\":\"a b\"}]}",
	    "{\"items\":[{\"name\":3}]}",
	    "{\"items\":[\"x\"]}",
	    "{\"items\":[{\"name\":\"ok\"}]",
	};
	char **names = NULL, *next = NULL, err[256] = "";
	size_t n = 0, i;

	(void)state;
	assert_int_equal(tmpllist_mailgun_parse_list(S(body), &names, &n, &next,
	                                             err, sizeof(err)),
	                 0);
	assert_int_equal(n, 2);
	assert_string_equal(names[1], "B-2");
	assert_string_equal(next, "https://h/v3/d/templates?page=next&p=B-2");
	free(next);
	assert_int_equal(tmpllist_mailgun_parse_list(S(last), &names, &n, &next,
	                                             err, sizeof(err)),
	                 0);
	assert_int_equal(n, 2);
	assert_null(next);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		names = NULL;
		n = 0;
		assert_int_equal(tmpllist_mailgun_parse_list(S(bad[i]), &names,
		                                             &n, &next, err,
		                                             sizeof(err)),
		                 -1);
		assert_int_equal(n, 0);
		assert_null(names);
		assert_null(next);
		assert_non_null(strstr(err, "Mailgun template list"));
	}
}

static void
mailgun_template(void **state)
{
	const char *body =
	    "{\"template\":{\"name\":\"Order-Receipt\",\"description\":\"d\","
	    "\"version\":{\"tag\":\"v1\",\"template\":\"<p>{{x}}</p>\","
	    "\"engine\":\"handlebars\",\"active\":true,\"headers\":{"
	    "\"Subject\":\"S {{x}}\"}}}}";
	const char *nover = "{\"template\":{\"name\":\"a\"}}";
	const char *gotmpl = "{\"template\":{\"name\":\"a\",\"version\":{"
	                     "\"template\":\"{{.X}}\",\"engine\":\"go\"}}}";
	static const char *const bad[] = {
	    "",
	    "{}",
	    "{\"template\":[]}",
	    "{\"template\":{\"version\":{\"template\":\"x\"}}}",
	    "{\"template\":{\"name\":\"a b\",\"version\":{}}}",
	    "{\"template\":{\"name\":\"a\",\"version\":\"x\"}}",
	    "{\"template\":{\"name\":\"a\",\"version\":{}}}",
	    "{\"template\":{\"name\":\"a\",\"version\":{\"template\":1}}}",
	    "{\"template\":{\"name\":\"a\",\"version\":{\"template\":\"x\","
	    "\"engine\":7}}}",
	    "{\"template\":{\"name\":\"a\",\"version\":{\"template\":\"x\","
	    "\"headers\":[]}}}",
	    "{\"template\":{\"name\":\"a\",\"version\":{\"template\":\"x\","
	    "\"headers\":{\"Subject\":1}}}}",
	    "{\"template\":{\"name\":\"a\",\"version\":{\"template\":\"x",
	};
	struct tmpl_version v;
	char err[256] = "";
	size_t i;

	(void)state;
	assert_int_equal(
	    tmpllist_mailgun_parse_template(S(body), &v, err, sizeof(err)), 1);
	assert_string_equal(v.name, "order-receipt");
	assert_int_equal(v.dialect, TMPL_HANDLEBARS);
	assert_string_equal(v.part[TMPL_PART_HTML], "<p>{{x}}</p>");
	assert_string_equal(v.part[TMPL_PART_SUBJECT], "S {{x}}");
	assert_null(v.part[TMPL_PART_TEXT]);
	tmpl_version_fini(&v);
	assert_int_equal(
	    tmpllist_mailgun_parse_template(S(nover), &v, err, sizeof(err)), 0);
	assert_string_equal(err, "no active version");
	assert_int_equal(
	    tmpllist_mailgun_parse_template(S(gotmpl), &v, err, sizeof(err)),
	    0);
	assert_non_null(strstr(err, "engine go"));
	assert_null(v.part[TMPL_PART_HTML]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(tmpllist_mailgun_parse_template(
		                     S(bad[i]), &v, err, sizeof(err)),
		                 -1);
		assert_true(err[0] != '\0');
		assert_null(v.part[TMPL_PART_HTML]);
		assert_null(v.part[TMPL_PART_SUBJECT]);
	}
}

static void
result_outcomes(void **state)
{
	struct tmpllist_result r;
	struct tmpl_version v;

	(void)state;
	memset(&r, 0, sizeof(r));
	memset(&v, 0, sizeof(v));
	snprintf(v.name, sizeof(v.name), "a");
	v.part[TMPL_PART_TEXT] = strdup("t");
	tmpllist_result_add(&r, 1, &v, "a", "");
	assert_null(v.part[TMPL_PART_TEXT]);
	tmpllist_result_add(&r, 0, NULL, "b", "inactive");
	tmpllist_result_add(&r, -1, NULL, "c", "malformed");
	assert_int_equal(r.n, 1);
	assert_string_equal(r.v[0].part[TMPL_PART_TEXT], "t");
	assert_int_equal(r.nnotes, 2);
	assert_false(r.notes[0].failed);
	assert_true(r.notes[1].failed);
	assert_string_equal(r.notes[1].name, "c");
	tmpllist_result_fini(&r);
	assert_int_equal(r.n, 0);
	assert_null(r.v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(sendgrid_page_ids_and_next),
	    cmocka_unit_test(sendgrid_template_active_version),
	    cmocka_unit_test(ses_names_and_template),
	    cmocka_unit_test(postmark_list_page),
	    cmocka_unit_test(postmark_template),
	    cmocka_unit_test(mailgun_list_page),
	    cmocka_unit_test(mailgun_template),
	    cmocka_unit_test(result_outcomes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
