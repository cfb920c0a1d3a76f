/*
 * test_supplist.c - the parsers of providers' own suppression lists
 * (providers/supplist.h): SendGrid, Mailgun and SES pages and Postmark dumps
 * map their
 * reasons, skip entries that are not addresses, fold the domain, and
 * refuse a body of the wrong shape.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "providers/supplist.h"

static void
sendgrid_page_parsed_and_mapped(void **state)
{
	const char *body =
	    "[{\"created\":1700000000,\"email\":\"A@Example.NET\","
	    "\"reason\":\"550 5.1.1\"},{\"email\":\"nobody\"},{\"x\":1}]";
	struct supplist l = {0};
	char err[256] = "";

	(void)state;
	assert_int_equal(supplist_parse_sendgrid(body, strlen(body),
	                                         SUPPRESS_COMPLAINT, "sg", &l,
	                                         err, sizeof(err)),
	                 3);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.e[0].address, "A@example.net");
	assert_int_equal(l.e[0].reason, SUPPRESS_COMPLAINT);
	assert_string_equal(l.e[0].provider, "sg");
	assert_int_equal(l.e[0].created_ms, 1700000000000LL);
	assert_string_equal(l.e[0].diagnostic, "550 5.1.1");
	assert_int_equal(supplist_parse_sendgrid("{\"errors\":[]}", 13,
	                                         SUPPRESS_COMPLAINT, "sg", &l,
	                                         err, sizeof(err)),
	                 -1);
	assert_int_equal(supplist_parse_sendgrid("[", 1, SUPPRESS_COMPLAINT,
	                                         "sg", &l, err, sizeof(err)),
	                 -1);
	assert_int_equal(l.n, 1);
	free(l.e);
}

static void
postmark_dump_parsed_and_mapped(void **state)
{
	const char *body =
	    "{\"Suppressions\":[{\"EmailAddress\":\"hb@example.net\","
	    "\"SuppressionReason\":\"HardBounce\"},{\"EmailAddress\":"
	    "\"sc@example.net\",\"SuppressionReason\":\"SpamComplaint\"},"
	    "{\"EmailAddress\":\"ms@example.net\",\"SuppressionReason\":"
	    "\"ManualSuppression\"}]}";
	struct supplist l = {0};
	char err[256] = "";

	(void)state;
	assert_int_equal(supplist_parse_postmark(body, strlen(body), "pm", 42,
	                                         &l, err, sizeof(err)),
	                 3);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.e[0].reason, SUPPRESS_HARD_BOUNCE);
	assert_int_equal(l.e[1].reason, SUPPRESS_COMPLAINT);
	assert_int_equal(l.e[2].reason, SUPPRESS_UNSUBSCRIBE);
	assert_int_equal(l.e[2].created_ms, 42);
	assert_int_equal(
	    supplist_parse_postmark("[]", 2, "pm", 42, &l, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "Suppressions"));
	free(l.e);
}

static void
mailgun_page_parsed_with_next(void **state)
{
	const char *body =
	    "{\"items\":[{\"address\":\"u@Example.net\",\"error\":\"x\"}],"
	    "\"paging\":{\"next\":\"https://api.mailgun.net/v3/d/"
	    "unsubscribes?page=next&address=u@example.net\"}}";
	struct supplist l = {0};
	char err[256] = "", *next = NULL;

	(void)state;
	assert_int_equal(supplist_parse_mailgun(body, strlen(body),
	                                        SUPPRESS_UNSUBSCRIBE, "mg", 7,
	                                        &l, &next, err, sizeof(err)),
	                 1);
	assert_string_equal(l.e[0].address, "u@example.net");
	assert_int_equal(l.e[0].reason, SUPPRESS_UNSUBSCRIBE);
	assert_non_null(next);
	assert_non_null(strstr(next, "page=next"));
	free(next);
	assert_int_equal(supplist_parse_mailgun("{\"items\":{}}", 12,
	                                        SUPPRESS_UNSUBSCRIBE, "mg", 7,
	                                        &l, &next, err, sizeof(err)),
	                 -1);
	assert_null(next);
	free(l.e);
}

static void
ses_page_parsed_with_token(void **state)
{
	const char *body =
	    "{\"SuppressedDestinationSummaries\":[{\"EmailAddress\":"
	    "\"b@example.net\",\"Reason\":\"BOUNCE\"},{\"EmailAddress\":"
	    "\"c@example.net\",\"Reason\":\"COMPLAINT\"}],"
	    "\"NextToken\":\"t/1+\"}";
	struct supplist l = {0};
	char err[256] = "", *next = NULL;

	(void)state;
	assert_int_equal(supplist_parse_ses(body, strlen(body), "ses", 7, &l,
	                                    &next, err, sizeof(err)),
	                 2);
	assert_int_equal(l.e[0].reason, SUPPRESS_HARD_BOUNCE);
	assert_int_equal(l.e[1].reason, SUPPRESS_COMPLAINT);
	assert_string_equal(next, "t/1+");
	free(next);
	assert_int_equal(
	    supplist_parse_ses("{}", 2, "ses", 7, &l, &next, err, sizeof(err)),
	    -1);
	assert_null(next);
	free(l.e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(sendgrid_page_parsed_and_mapped),
	    cmocka_unit_test(postmark_dump_parsed_and_mapped),
	    cmocka_unit_test(mailgun_page_parsed_with_next),
	    cmocka_unit_test(ses_page_parsed_with_token),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
