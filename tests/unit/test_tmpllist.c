/*
 * test_tmpllist.c - the parsers of providers' own templates
 * (providers/tmpllist.h): SendGrid's template pages (ids, the next page)
 * and one template (its active version), and bodies of the wrong shape
 * refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(sendgrid_page_ids_and_next),
	    cmocka_unit_test(sendgrid_template_active_version),
	    cmocka_unit_test(ses_names_and_template),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
