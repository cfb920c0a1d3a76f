/*
 * test_cluster_msg.c - the nodes' messages on the cluster channel: each
 * kind round-trips, malformed and hostile messages are refused with a
 * reason and leave nothing to free, unknown kinds and fields are let be;
 * and cluster.redis's URL parser (config_redis_url).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cluster/cluster_msg.h"
#include "config/config_keys.h"

static void
each_kind_round_trips(void **state)
{
	struct cluster_msg in = {.kind = CLUSTER_MSG_HEARTBEAT,
	                         .node = "mx1",
	                         .at_ms = 1700000000123,
	                         .version = "0.1.0",
	                         .queue = 12,
	                         .inflight = 3};
	struct cluster_msg out;
	char err[128], *json;

	json = cluster_msg_encode(&in);
	assert_int_equal(
	    cluster_msg_decode(json, strlen(json), &out, err, sizeof(err)), 0);
	free(json);
	assert_int_equal(out.kind, CLUSTER_MSG_HEARTBEAT);
	assert_string_equal(out.node, "mx1");
	assert_true(out.at_ms == 1700000000123);
	assert_string_equal(out.version, "0.1.0");
	assert_int_equal(out.queue, 12);
	assert_int_equal(out.inflight, 3);
	cluster_msg_fini(&out);

	in = (struct cluster_msg){.kind = CLUSTER_MSG_CIRCUIT,
	                          .node = "mx2",
	                          .provider = "ses",
	                          .state = "open",
	                          .reason = "3 failures in a row",
	                          .for_ms = 5000};
	json = cluster_msg_encode(&in);
	assert_int_equal(
	    cluster_msg_decode(json, strlen(json), &out, err, sizeof(err)), 0);
	free(json);
	assert_int_equal(out.kind, CLUSTER_MSG_CIRCUIT);
	assert_string_equal(out.provider, "ses");
	assert_string_equal(out.state, "open");
	assert_string_equal(out.reason, "3 failures in a row");
	assert_int_equal(out.for_ms, 5000);
	cluster_msg_fini(&out);

	in = (struct cluster_msg){.kind = CLUSTER_MSG_OPERATOR,
	                          .node = "mx3",
	                          .provider = "ses",
	                          .action = "drain",
	                          .who = "ops",
	                          .for_ms = 600000};
	json = cluster_msg_encode(&in);
	assert_int_equal(
	    cluster_msg_decode(json, strlen(json), &out, err, sizeof(err)), 0);
	free(json);
	assert_int_equal(out.kind, CLUSTER_MSG_OPERATOR);
	assert_string_equal(out.action, "drain");
	assert_string_equal(out.who, "ops");
	assert_int_equal(out.for_ms, 600000);
	cluster_msg_fini(&out);
}

/* A heartbeat says where the node takes forwarded requests. */
static void
heartbeat_carries_number_and_http(void **state)
{
	struct cluster_msg in = {.kind = CLUSTER_MSG_HEARTBEAT,
	                         .node = "mx2",
	                         .version = "0.1.0",
	                         .number = 2,
	                         .adopt = 5,
	                         .http = "127.0.0.1:2580"};
	struct cluster_msg out;
	char err[128], *json;

	json = cluster_msg_encode(&in);
	assert_int_equal(
	    cluster_msg_decode(json, strlen(json), &out, err, sizeof(err)), 0);
	free(json);
	assert_int_equal(out.number, 2);
	assert_int_equal(out.adopt, 5);
	assert_string_equal(out.http, "127.0.0.1:2580");
	cluster_msg_fini(&out);
	in.number = 0;
	in.http = NULL;
	json = cluster_msg_encode(&in);
	assert_null(strstr(json, "number"));
	assert_int_equal(
	    cluster_msg_decode(json, strlen(json), &out, err, sizeof(err)), 0);
	free(json);
	assert_int_equal(out.number, 0);
	assert_null(out.http);
	cluster_msg_fini(&out);
}

static void
suppress_round_trips(void **state)
{
	struct cluster_msg in = {.kind = CLUSTER_MSG_SUPPRESS,
	                         .node = "mx1",
	                         .action = "add",
	                         .tenant = "",
	                         .address = "Gone@example.net",
	                         .reason = "complaint",
	                         .provider = "ses",
	                         .diagnostic = "550 5.1.1 user unknown",
	                         .created_ms = 1700000000000,
	                         .expires_ms = 0};
	struct cluster_msg out;
	char err[128], *json = cluster_msg_encode(&in);

	assert_int_equal(
	    cluster_msg_decode(json, strlen(json), &out, err, sizeof(err)), 0);
	free(json);
	assert_int_equal(out.kind, CLUSTER_MSG_SUPPRESS);
	assert_string_equal(out.action, "add");
	assert_string_equal(out.tenant, "");
	assert_string_equal(out.address, "Gone@example.net");
	assert_string_equal(out.reason, "complaint");
	assert_string_equal(out.diagnostic, "550 5.1.1 user unknown");
	assert_true(out.created_ms == 1700000000000);
	cluster_msg_fini(&out);
}

static void
template_round_trips(void **state)
{
	struct cluster_msg in = {.kind = CLUSTER_MSG_TEMPLATE,
	                         .node = "mx1",
	                         .tenant = "webt",
	                         .name = "welcome.v2"};
	struct cluster_msg out;
	char err[128], *json = cluster_msg_encode(&in);

	assert_int_equal(
	    cluster_msg_decode(json, strlen(json), &out, err, sizeof(err)), 0);
	free(json);
	assert_int_equal(out.kind, CLUSTER_MSG_TEMPLATE);
	assert_string_equal(cluster_msg_kind_name(out.kind), "template");
	assert_string_equal(out.tenant, "webt");
	assert_string_equal(out.name, "welcome.v2");
	cluster_msg_fini(&out);
}

static void
unknown_kinds_and_fields_are_let_be(void **state)
{
	static const char in[] = "{\"v\":1,\"kind\":\"quota\",\"node\":\"n\","
	                         "\"at\":1,\"new\":[1,2]}";
	struct cluster_msg out;
	char err[128];

	assert_int_equal(
	    cluster_msg_decode(in, sizeof(in) - 1, &out, err, sizeof(err)), 0);
	assert_int_equal(out.kind, CLUSTER_MSG_OTHER);
	assert_string_equal(out.node, "n");
	cluster_msg_fini(&out);
}

static void
malformed_messages_are_refused(void **state)
{
	static const char *const bad[] = {
	    "",
	    "{",
	    "[]",
	    "\"heartbeat\"",
	    "{\"kind\":\"heartbeat\",\"node\":\"n\"}",         /* no v */
	    "{\"v\":2,\"kind\":\"heartbeat\",\"node\":\"n\"}", /* version */
	    "{\"v\":\"1\",\"kind\":\"heartbeat\",\"node\":\"n\"}",
	    "{\"v\":1,\"node\":\"n\"}",                       /* no kind */
	    "{\"v\":1,\"kind\":7,\"node\":\"n\"}",            /* kind type */
	    "{\"v\":1,\"kind\":\"heartbeat\"}",               /* no node */
	    "{\"v\":1,\"kind\":\"heartbeat\",\"node\":\"\"}", /* empty node */
	    "{\"v\":1,\"kind\":\"heartbeat\",\"node\":5}",
	    "{\"v\":1,\"kind\":\"heartbeat\",\"node\":\"n\",\"at\":-1}",
	    "{\"v\":1,\"kind\":\"heartbeat\",\"node\":\"n\",\"queue\":-3}",
	    "{\"v\":1,\"kind\":\"heartbeat\",\"node\":\"n\",\"queue\":1.5}",
	    "{\"v\":1,\"kind\":\"heartbeat\",\"node\":\"n\",\"version\":{}}",
	    "{\"v\":1,\"kind\":\"circuit\",\"node\":\"n\",\"state\":\"open\"}",
	    "{\"v\":1,\"kind\":\"circuit\",\"node\":\"n\",\"provider\":\"p\"}",
	    "{\"v\":1,\"kind\":\"operator\",\"node\":\"n\",\"provider\":\"p\"}",
	    "{\"v\":1,\"v\":1,\"kind\":\"heartbeat\",\"node\":\"n\"}", /* dup */
	    /* suppress: no address; an unknown action; add without reason */
	    "{\"v\":1,\"kind\":\"suppress\",\"node\":\"n\",\"action\":"
	    "\"add\",\"tenant\":\"\",\"reason\":\"manual\"}",
	    "{\"v\":1,\"kind\":\"suppress\",\"node\":\"n\",\"action\":"
	    "\"zap\",\"tenant\":\"\",\"address\":\"a@b.c\"}",
	    "{\"v\":1,\"kind\":\"suppress\",\"node\":\"n\",\"action\":"
	    "\"add\",\"tenant\":\"\",\"address\":\"a@b.c\"}",
	    "{\"v\":1,\"kind\":\"heartbeat\",\"node\":\"a\\u0000b\"}", /* NUL */
	    /* template: no name; no tenant; a name that is not a string */
	    "{\"v\":1,\"kind\":\"template\",\"node\":\"n\",\"tenant\":\"t\"}",
	    "{\"v\":1,\"kind\":\"template\",\"node\":\"n\",\"name\":\"w\"}",
	    "{\"v\":1,\"kind\":\"template\",\"node\":\"n\",\"tenant\":\"t\","
	    "\"name\":[]}",
	    "{\"v\":1,\"kind\":\"incident\",\"node\":\"n\"}", /* no name */
	    /* heartbeat: a node number out of 0-31, an address not text */
	    "{\"v\":1,\"kind\":\"heartbeat\",\"node\":\"n\",\"number\":32}",
	    "{\"v\":1,\"kind\":\"heartbeat\",\"node\":\"n\",\"number\":-1}",
	    "{\"v\":1,\"kind\":\"heartbeat\",\"node\":\"n\",\"adopt\":32}",
	    "{\"v\":1,\"kind\":\"heartbeat\",\"node\":\"n\",\"http\":80}",
	};
	struct cluster_msg out;
	char err[128];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (cluster_msg_decode(bad[i], strlen(bad[i]), &out, err,
		                       sizeof(err)) != -1)
			fail_msg("accepted: %s", bad[i]);
		assert_true(strncmp(err, "cluster message: ", 17) == 0);
		/* Nothing left to free. */
		assert_null(out.node);
		assert_null(out.provider);
	}
}

static void
a_field_over_the_cap_is_refused(void **state)
{
	char in[CLUSTER_MSG_TEXT_MAX + 128];
	char name[CLUSTER_MSG_TEXT_MAX + 2];
	struct cluster_msg out;
	char err[128];

	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	snprintf(in, sizeof(in),
	         "{\"v\":1,\"kind\":\"heartbeat\",\"node\":\"%s\"}", name);
	assert_int_equal(
	    cluster_msg_decode(in, strlen(in), &out, err, sizeof(err)), -1);
	name[sizeof(name) - 2] = '\0'; /* exactly the cap */
	snprintf(in, sizeof(in),
	         "{\"v\":1,\"kind\":\"heartbeat\",\"node\":\"%s\"}", name);
	assert_int_equal(
	    cluster_msg_decode(in, strlen(in), &out, err, sizeof(err)), 0);
	cluster_msg_fini(&out);
}

static void
redis_urls(void **state)
{
	static const struct {
		const char *url, *host;
		unsigned port;
	} good[] = {
	    {"redis://127.0.0.1:6380", "127.0.0.1", 6380},
	    {"redis://10.0.0.2", "10.0.0.2", 6379},
	    {"redis://10.0.0.2/", "10.0.0.2", 6379},
	    {"redis://[::1]:7000", "::1", 7000},
	};
	static const char *const bad[] = {
	    "127.0.0.1:6379",           "redis://",
	    "redis://localhost:6379",   "redis://redis.example:6379",
	    "redis://127.0.0.1:0",      "redis://127.0.0.1:65536",
	    "redis://127.0.0.1:-1",     "redis://127.0.0.1:x",
	    "redis://[::1:6379",        "redis://127.0.0.1:6379/0",
	    "redis://u:p@127.0.0.1",    "rediss://127.0.0.1:6379",
	    "redis://127.0.0.1:123456",
	};
	char *host;
	uint16_t port;
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(
		    config_redis_url(good[i].url, &host, &port, &why), 0);
		assert_string_equal(host, good[i].host);
		assert_int_equal(port, good[i].port);
		free(host);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		if (config_redis_url(bad[i], &host, &port, &why) != -1)
			fail_msg("accepted: %s", bad[i]);
		assert_non_null(why);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(each_kind_round_trips),
	    cmocka_unit_test(suppress_round_trips),
	    cmocka_unit_test(template_round_trips),
	    cmocka_unit_test(heartbeat_carries_number_and_http),
	    cmocka_unit_test(unknown_kinds_and_fields_are_let_be),
	    cmocka_unit_test(malformed_messages_are_refused),
	    cmocka_unit_test(a_field_over_the_cap_is_refused),
	    cmocka_unit_test(redis_urls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
