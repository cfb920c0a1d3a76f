/*
 * test_account_parse.c - each provider's account answer into the one
 * model (route/account_parse.h): what it tells, and malformed input
 * refused with a reason and nothing told.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/buf.h"
#include "route/account_parse.h"

typedef int parse_fn(const char *body, size_t len, struct account_reading *out,
                     char *err, size_t errlen);

/* told_nothing - r is all unknown (what a refused answer leaves). */
static void
told_nothing(const struct account_reading *r)
{
	assert_int_equal(r->sending, -1);
	assert_string_equal(r->state, "");
	assert_true(r->quota_max < 0 && r->quota_left < 0);
	assert_true(r->bounce_rate < 0 && r->complaint_rate < 0);
	assert_true(r->score < 0);
}

/* refuses - fn refuses body with an error containing want. */
static void
refuses(parse_fn *fn, const char *body, const char *want)
{
	struct account_reading r;
	char err[160] = "";

	assert_int_equal(fn(body, strlen(body), &r, err, sizeof(err)), -1);
	if (strstr(err, want) == NULL)
		fail_msg("%s: error \"%s\" lacks \"%s\"", body, err, want);
	told_nothing(&r);
}

static void
ses_request_asks_for_both_metrics(void **state)
{
	struct buf b;
	json_t *j, *q;
	(void)state;

	buf_init(&b);
	account_ses_metrics_body(&b, 1700000000);
	j = json_loadb(b.p, b.len, 0, NULL);
	assert_non_null(j);
	q = json_object_get(j, "MetricDataQueries");
	assert_int_equal(json_array_size(q), 2);
	assert_string_equal(
	    json_string_value(json_object_get(
	        json_object_get(
	            json_object_get(json_array_get(q, 0), "MetricStat"),
	            "Metric"),
	        "MetricName")),
	    "Reputation.BounceRate");
	assert_string_equal(
	    json_string_value(json_object_get(
	        json_object_get(
	            json_object_get(json_array_get(q, 1), "MetricStat"),
	            "Metric"),
	        "Namespace")),
	    "AWS/SES");
	assert_int_equal(json_integer_value(json_object_get(j, "EndTime")),
	                 1700000000);
	assert_int_equal(json_integer_value(json_object_get(j, "StartTime")),
	                 1700000000 - 86400);
	json_decref(j);
	buf_fini(&b);
}

static void
ses_newest_value_wins(void **state)
{
	struct account_reading r;
	char err[160];
	const char *ok =
	    "{\"MetricDataResults\":[{\"Id\":\"bounce\",\"Label\":\"x\","
	    "\"Timestamps\":[1700000000,1700003600],\"Values\":[0.01,0.062],"
	    "\"StatusCode\":\"Complete\"},{\"Id\":\"complaint\","
	    "\"Timestamps\":[],\"Values\":[]},{\"Id\":\"other\","
	    "\"Values\":[0.9]}],\"Messages\":[]}";
	(void)state;

	assert_int_equal(
	    account_ses_metrics_parse(ok, strlen(ok), &r, err, sizeof(err)), 0);
	assert_true(r.bounce_rate == 0.062);
	assert_true(r.complaint_rate < 0); /* no data point: not told */
	assert_int_equal(r.sending, -1);
}

static void
ses_malformed(void **state)
{
	(void)state;
	refuses(account_ses_metrics_parse, "", "not a JSON object");
	refuses(account_ses_metrics_parse, "[1]", "not a JSON object");
	refuses(account_ses_metrics_parse, "{\"MetricDataResults\":{}}",
	        "no MetricDataResults");
	refuses(account_ses_metrics_parse, "{\"MetricDataResults\":[1]}",
	        "without an Id");
	refuses(account_ses_metrics_parse,
	        "{\"MetricDataResults\":[{\"Id\":\"bounce\",\"Values\":"
	        "[\"0.1\"]}]}",
	        "not a number");
	refuses(account_ses_metrics_parse,
	        "{\"MetricDataResults\":[{\"Id\":\"bounce\",\"Values\":"
	        "[1.5]}]}",
	        "outside 0..1");
	refuses(account_ses_metrics_parse,
	        "{\"MetricDataResults\":[{\"Id\":\"bounce\",\"Values\":"
	        "[-0.1]}]}",
	        "outside 0..1");
	refuses(account_ses_metrics_parse,
	        "{\"MetricDataResults\":[{\"Id\":\"bounce\",\"Values\":[0.1],"
	        "\"Timestamps\":[]}]}",
	        "differ in length");
	refuses(account_ses_metrics_parse,
	        "{\"MetricDataResults\":[{\"Id\":\"bounce\",\"Values\":[0.1],"
	        "\"Timestamps\":[\"now\"]}]}",
	        "timestamp is not a number");
	refuses(
	    account_ses_metrics_parse,
	    "{\"MetricDataResults\":[{\"Id\":\"complaint\",\"Values\":{}}]}",
	    "not an array");
	/* an earlier good result is not kept when a later one is bad */
	refuses(account_ses_metrics_parse,
	        "{\"MetricDataResults\":[{\"Id\":\"bounce\",\"Values\":[0.1]},"
	        "{\"Id\":\"complaint\",\"Values\":[2]}]}",
	        "outside 0..1");
}

static void
sendgrid_credits_and_account(void **state)
{
	struct account_reading r;
	char err[160];
	const char *c = "{\"remain\":12,\"total\":1000,\"overage\":0,"
	                "\"used\":988,\"last_reset\":\"2026-12-01\","
	                "\"next_reset\":\"2027-01-01\","
	                "\"reset_frequency\":\"monthly\"}";
	const char *unl = "{\"remain\":null,\"total\":null,"
	                  "\"reset_frequency\":null}";
	const char *a = "{\"type\":\"free\",\"reputation\":97.5}";
	(void)state;

	assert_int_equal(
	    account_sendgrid_credits_parse(c, strlen(c), &r, err, sizeof(err)),
	    0);
	assert_true(r.quota_max == 1000 && r.quota_left == 12);
	assert_string_equal(r.period, "month");
	assert_int_equal(account_sendgrid_credits_parse(unl, strlen(unl), &r,
	                                                err, sizeof(err)),
	                 0);
	assert_true(r.quota_max < 0 && r.quota_left < 0);
	assert_int_equal(
	    account_sendgrid_account_parse(a, strlen(a), &r, err, sizeof(err)),
	    0);
	assert_string_equal(r.state, "free");
	assert_true(r.score == 97.5);
	refuses(account_sendgrid_credits_parse, "nope", "not a JSON object");
	refuses(account_sendgrid_credits_parse, "{\"total\":\"1000\"}",
	        "total is not a count");
	refuses(account_sendgrid_credits_parse, "{\"total\":10,\"remain\":-1}",
	        "remain is not a count");
	refuses(account_sendgrid_credits_parse,
	        "{\"total\":10,\"remain\":1,\"reset_frequency\":7}",
	        "reset_frequency");
	refuses(account_sendgrid_account_parse, "[]", "not a JSON object");
	refuses(account_sendgrid_account_parse, "{\"type\":1}",
	        "type is not a string");
	refuses(account_sendgrid_account_parse, "{\"reputation\":101}",
	        "reputation");
	refuses(account_sendgrid_account_parse, "{\"reputation\":\"99\"}",
	        "reputation");
}

static void
mailgun_domain_state(void **state)
{
	struct account_reading r;
	char err[160];
	const char *act = "{\"domain\":{\"name\":\"mg.test\","
	                  "\"state\":\"active\",\"is_disabled\":false}}";
	const char *dis = "{\"domain\":{\"name\":\"mg.test\","
	                  "\"state\":\"disabled\"}}";
	const char *flag = "{\"domain\":{\"name\":\"mg.test\","
	                   "\"state\":\"active\",\"is_disabled\":true}}";
	const char *odd = "{\"domain\":{\"state\":\"tagged\"}}";
	(void)state;

	assert_int_equal(account_mailgun_domain_parse(act, strlen(act), &r, err,
	                                              sizeof(err)),
	                 0);
	assert_int_equal(r.sending, 1);
	assert_string_equal(r.state, "active");
	assert_int_equal(account_mailgun_domain_parse(dis, strlen(dis), &r, err,
	                                              sizeof(err)),
	                 0);
	assert_int_equal(r.sending, 0);
	assert_string_equal(r.why, "Mailgun domain mg.test is disabled");
	assert_int_equal(account_mailgun_domain_parse(flag, strlen(flag), &r,
	                                              err, sizeof(err)),
	                 0);
	assert_int_equal(r.sending, 0);
	assert_int_equal(account_mailgun_domain_parse(odd, strlen(odd), &r, err,
	                                              sizeof(err)),
	                 0);
	assert_int_equal(r.sending, -1);
	refuses(account_mailgun_domain_parse, "{}", "no domain object");
	refuses(account_mailgun_domain_parse, "{\"domain\":[]}",
	        "no domain object");
	refuses(account_mailgun_domain_parse, "{\"domain\":{\"state\":1}}",
	        "domain.state");
	refuses(account_mailgun_domain_parse,
	        "{\"domain\":{\"state\":\"active\",\"is_disabled\":\"no\"}}",
	        "is_disabled");
}

static void
postmark_delivery_type(void **state)
{
	struct account_reading r;
	char err[160];
	const char *live = "{\"ID\":1,\"DeliveryType\":\"Live\"}";
	const char *sand = "{\"ID\":1,\"DeliveryType\":\"Sandbox\"}";
	const char *old = "{\"ID\":1,\"Name\":\"x\"}";
	(void)state;

	assert_int_equal(account_postmark_server_parse(live, strlen(live), &r,
	                                               err, sizeof(err)),
	                 0);
	assert_int_equal(r.sending, 1);
	assert_int_equal(account_postmark_server_parse(sand, strlen(sand), &r,
	                                               err, sizeof(err)),
	                 0);
	assert_int_equal(r.sending, 0);
	assert_string_equal(r.state, "Sandbox");
	assert_int_equal(account_postmark_server_parse(old, strlen(old), &r,
	                                               err, sizeof(err)),
	                 0);
	told_nothing(&r);
	refuses(account_postmark_server_parse, "\"Live\"", "not a JSON object");
	refuses(account_postmark_server_parse, "{\"DeliveryType\":true}",
	        "DeliveryType");
}

static void
resend_domains(void **state)
{
	struct account_reading r;
	char err[160];
	const char *one = "{\"object\":\"list\",\"data\":[{\"name\":\"a.com\","
	                  "\"status\":\"pending\"},{\"name\":\"b.com\","
	                  "\"status\":\"verified\"}]}";
	const char *none = "{\"data\":[{\"name\":\"a.com\","
	                   "\"status\":\"failed\"}]}";
	const char *empty = "{\"data\":[]}";
	(void)state;

	assert_int_equal(account_resend_domains_parse(one, strlen(one), &r, err,
	                                              sizeof(err)),
	                 0);
	assert_int_equal(r.sending, 1);
	assert_string_equal(r.state, "1 of 2 verified");
	assert_int_equal(account_resend_domains_parse(none, strlen(none), &r,
	                                              err, sizeof(err)),
	                 0);
	assert_int_equal(r.sending, 0);
	assert_string_equal(r.why, "no Resend domain is verified (1 listed)");
	assert_int_equal(account_resend_domains_parse(empty, strlen(empty), &r,
	                                              err, sizeof(err)),
	                 0);
	assert_int_equal(r.sending, -1);
	refuses(account_resend_domains_parse, "{", "no data array");
	refuses(account_resend_domains_parse, "{\"data\":{}}", "no data array");
	refuses(account_resend_domains_parse, "{\"data\":[{\"name\":\"a\"}]}",
	        "without a status");
	refuses(account_resend_domains_parse, "{\"data\":[7]}",
	        "without a status");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(ses_request_asks_for_both_metrics),
	    cmocka_unit_test(ses_newest_value_wins),
	    cmocka_unit_test(ses_malformed),
	    cmocka_unit_test(sendgrid_credits_and_account),
	    cmocka_unit_test(mailgun_domain_state),
	    cmocka_unit_test(postmark_delivery_type),
	    cmocka_unit_test(resend_domains),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
