/*
 * test_config_routing.c - the configuration keys of provider health and
 * routing (issue 4) and of the HTTP provider types (issue 5): the issue's
 * example, stream defaults and cross-checks, percentages, rates, and what
 * each provider type needs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"

static struct config *
load(const char *yaml, char *err)
{
	return config_load_buf(yaml, strlen(yaml), "swerve.yaml", err,
	                       CONFIG_ERR_SIZE);
}

/* expect_error - yaml must fail with exactly the message want. */
static void
expect_error(const char *yaml, const char *want)
{
	char err[CONFIG_ERR_SIZE];
	struct config *c = load(yaml, err);

	if (c != NULL) {
		config_free(c);
		fail_msg("loaded, expected: %s", want);
	}
	assert_string_equal(err, want);
}

static const char issue_example[] =
    "providers:\n"
    "  - { name: ses, type: smtp, host: smtp.example, priority: 1, weight: 3,"
    " cost_per_1k: 0.10, max_rate: \"14/s\",\n"
    "      quota: { daily: 50000 }, keep_warm: \"2%\", failback_ramp: \"5m\",\n"
    "      status_page: { url: \"https://status.example/api/v2/status.json\","
    " on_major: open } }\n"
    "  - { name: postmark, type: smtp, host: pm.example, priority: 2,"
    " weight: 1, cost_per_1k: 1.25 }\n"
    "streams:\n"
    "  critical:      { weight: 100, providers: [ses, postmark],"
    " failover_after: \"10s\", on_unknown: resend }\n"
    "  transactional: { weight: 10 }\n"
    "  bulk:          { weight: 1, objective: cost, on_unknown: hold }\n";

static void
issue_example_loads_every_routing_field(void **state)
{
	char err[CONFIG_ERR_SIZE];
	struct config *c = load(issue_example, err);
	const struct config_provider *p;

	if (c == NULL)
		fail_msg("%s", err);
	assert_int_equal(c->n_providers, 2);
	p = &c->providers[0];
	assert_true(p->cost_per_1k > 0.0999 && p->cost_per_1k < 0.1001);
	assert_string_equal(p->max_rate, "14/s");
	assert_int_equal(p->quota_daily, 50000);
	assert_true(p->keep_warm > 0.0199 && p->keep_warm < 0.0201);
	assert_int_equal(p->failback_ramp_ms, 300000);
	assert_string_equal(p->status_page.url,
	                    "https://status.example/api/v2/status.json");
	assert_int_equal(p->status_page.on_major, CONFIG_ON_MAJOR_OPEN);
	assert_int_equal(p->status_page.interval_ms, 60000);
	assert_int_equal(c->providers[1].quota_daily, 0);
	assert_true(c->providers[1].cost_per_1k > 1.2499);

	assert_int_equal(c->n_streams, 3);
	assert_string_equal(c->streams[0].name, "critical");
	assert_int_equal(c->streams[0].weight, 100);
	assert_int_equal(c->streams[0].n_providers, 2);
	assert_string_equal(c->streams[0].providers[1], "postmark");
	assert_int_equal(c->streams[0].failover_after_ms, 10000);
	assert_int_equal(c->streams[0].on_unknown, CONFIG_ON_UNKNOWN_RESEND);
	assert_string_equal(c->streams[1].name, "transactional");
	assert_int_equal(c->streams[1].n_providers, 0);
	assert_int_equal(c->streams[2].objective, CONFIG_OBJECTIVE_COST);
	assert_int_equal(c->streams[2].on_unknown, CONFIG_ON_UNKNOWN_HOLD);
	config_free(c);
}

static void
defaults_have_three_streams_and_a_circuit(void **state)
{
	struct config *c = config_defaults();
	char err[CONFIG_ERR_SIZE];

	assert_int_equal(c->n_streams, 3);
	assert_string_equal(c->streams[0].name, "critical");
	assert_int_equal(c->streams[0].weight, 100);
	assert_string_equal(c->streams[1].name, "transactional");
	assert_int_equal(c->streams[2].weight, 1);
	config_free(c);

	c = load("providers:\n  - {name: a, type: smtp, host: h}\n", err);
	assert_non_null(c);
	assert_int_equal(c->providers[0].circuit.failures, 3);
	assert_int_equal(c->providers[0].circuit.cooldown_ms, 5000);
	assert_int_equal(c->providers[0].failback_ramp_ms, 300000);
	assert_int_equal(c->providers[0].probe_interval_ms, 30000);
	assert_null(c->providers[0].max_rate);
	config_free(c);
}

static void
stream_rules_span_sections(void **state)
{
	expect_error(
	    "streams:\n  bulk: {weight: 1}\n",
	    "swerve.yaml:1: streams: expected a stream named transactional "
	    "(mail without a stream goes there)");
	expect_error(
	    "providers:\n  - {name: a, type: smtp, host: h}\n"
	    "streams:\n  transactional: {providers: [a, b]}\n",
	    "swerve.yaml:4: streams.transactional.providers: no provider "
	    "named \"b\"");
	expect_error("streams:\n  transactional: {}\n  Bad Name: {}\n",
	             "swerve.yaml:3: streams.Bad Name: expected a name of a-z, "
	             "0-9, _ and - (at most 64 characters)");
	expect_error(
	    "streams:\n  transactional: {weight: 0}\n",
	    "swerve.yaml:2: streams.transactional.weight: expected an integer "
	    "in 1..1000000; got \"0\"");
	expect_error(
	    "streams:\n  transactional: {objective: fast}\n",
	    "swerve.yaml:2: streams.transactional.objective: expected one of "
	    "balanced, latency, cost, deliverability; got \"fast\"");
	expect_error(
	    "submitters:\n  users:\n    - {name: u, password: p, "
	    "from_domains: [\"*\"], stream: vip}\n",
	    "swerve.yaml:1: submitters.users[0].stream: no stream named "
	    "\"vip\"");
}

static void
streams_with_empty_bodies_take_defaults(void **state)
{
	char err[CONFIG_ERR_SIZE];
	struct config *c = load("streams:\n  transactional:\n  bulk:\n", err);

	if (c == NULL)
		fail_msg("%s", err);
	assert_int_equal(c->n_streams, 2);
	assert_int_equal(c->streams[1].weight, 10);
	assert_int_equal(c->streams[1].on_unknown, CONFIG_ON_UNKNOWN_RESEND);
	config_free(c);
}

static void
percent_and_number_values_are_checked(void **state)
{
	expect_error(
	    "providers:\n  - {name: a, type: smtp, host: h, "
	    "keep_warm: 2}\n",
	    "swerve.yaml:2: providers[0].keep_warm: expected a percentage "
	    "like \"2%\" (0%..100%); got \"2\"");
	expect_error(
	    "providers:\n  - {name: a, type: smtp, host: h, "
	    "keep_warm: \"101%\"}\n",
	    "swerve.yaml:2: providers[0].keep_warm: expected a percentage "
	    "like \"2%\" (0%..100%); got \"101%\"");
	expect_error(
	    "providers:\n  - {name: a, type: smtp, host: h, "
	    "cost_per_1k: -1}\n",
	    "swerve.yaml:2: providers[0].cost_per_1k: expected a number in "
	    "0..1000000; got \"-1\"");
	expect_error(
	    "providers:\n  - {name: a, type: smtp, host: h, "
	    "cost_per_1k: 1e3}\n",
	    "swerve.yaml:2: providers[0].cost_per_1k: expected a number in "
	    "0..1000000; got \"1e3\"");
}

static void
max_rate_must_be_a_rate(void **state)
{
	static const char *const bad[] = {"14",   "14/x",    "/s",    "0/s",
	                                  "-1/s", "1.2.3/s", "14/ss", "1e3/s"};
	char yaml[256], want[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(yaml, sizeof(yaml),
		         "providers:\n  - {name: a, type: smtp, host: h, "
		         "max_rate: \"%s\"}\n",
		         bad[i]);
		snprintf(
		    want, sizeof(want),
		    "swerve.yaml:2: providers[0].max_rate: expected a rate "
		    "like \"14/s\" (per s, m, h or d); got \"%s\"",
		    bad[i]);
		expect_error(yaml, want);
	}
}

static void
provider_types_need_their_credentials(void **state)
{
	char err[CONFIG_ERR_SIZE];
	struct config *c;

	expect_error(
	    "providers:\n  - {name: a, type: smtp}\n",
	    "swerve.yaml:2: providers[0].host: missing; type smtp needs the "
	    "relay's host");
	expect_error(
	    "providers:\n  - {name: a, type: sendgrid}\n",
	    "swerve.yaml:2: providers[0].api_key_file: missing; this provider "
	    "type needs api_key_file, api_key_env or api_key");
	expect_error(
	    "providers:\n  - {name: a, type: mailgun, api_key: k}\n",
	    "swerve.yaml:2: providers[0].domain: missing; type mailgun needs "
	    "the sending domain");
	expect_error(
	    "providers:\n  - {name: a, type: mailgun, api_key: k, "
	    "domain: mg.example.com, region: ap}\n",
	    "swerve.yaml:2: providers[0].region: expected us or eu; got "
	    "\"ap\"");
	expect_error(
	    "providers:\n  - {name: a, type: resend, api_key: k, "
	    "api_key_env: HOME}\n",
	    "swerve.yaml:2: providers[0].api_key_env: expected only one of "
	    "api_key, api_key_file and api_key_env");
	expect_error(
	    "providers:\n  - {name: a, type: postmark, "
	    "api_key_env: SWERVE_TEST_UNSET_VAR}\n",
	    "swerve.yaml:2: providers[0].api_key_env: expected the name of a "
	    "set environment variable; got \"SWERVE_TEST_UNSET_VAR\"");

	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_REGION");
	expect_error(
	    "providers:\n  - {name: a, type: ses}\n",
	    "swerve.yaml:2: providers[0].access_key_id: missing; type ses "
	    "needs access_key_id and secret_access_key_file (or "
	    "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment)");
	setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI", 1);
	c = load("providers:\n  - {name: a, type: ses}\n", err);
	if (c == NULL)
		fail_msg("%s", err);
	assert_string_equal(c->providers[0].access_key_id, "AKIDEXAMPLE");
	assert_string_equal(c->providers[0].secret_access_key, "wJalrXUtnFEMI");
	assert_string_equal(c->providers[0].region, "us-east-1");
	config_free(c);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");

	setenv("SWERVE_TEST_KEY", "sekrit", 1);
	c = load("providers:\n  - {name: a, type: postmark, "
	         "api_key_env: SWERVE_TEST_KEY, endpoint: "
	         "\"http://127.0.0.1:9\"}\n",
	         err);
	if (c == NULL)
		fail_msg("%s", err);
	assert_string_equal(c->providers[0].api_key, "sekrit");
	config_free(c);
	expect_error("providers:\n  - {name: a, type: postmark, api_key: k, "
	             "endpoint: \"ftp://x\"}\n",
	             "swerve.yaml:2: providers[0].endpoint: expected a URL "
	             "starting with https:// "
	             "or http://; got \"ftp://x\"");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(issue_example_loads_every_routing_field),
	    cmocka_unit_test(defaults_have_three_streams_and_a_circuit),
	    cmocka_unit_test(stream_rules_span_sections),
	    cmocka_unit_test(streams_with_empty_bodies_take_defaults),
	    cmocka_unit_test(percent_and_number_values_are_checked),
	    cmocka_unit_test(max_rate_must_be_a_rate),
	    cmocka_unit_test(provider_types_need_their_credentials),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
