/*
 * test_config.c - the configuration loader: the issue's example, every
 * default, every class of error with its exact file:line and key, the scalar
 * parsers' edge cases, password files, and malformed YAML.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "config/config.h"
#include "core/log.h"
#include "core/tls.h"

/* --- helpers ---------------------------------------------------------- */

static char tmpdir[64];

/* tmp_write - write text to tmpdir/name; returns the full path (static). */
static const char *
tmp_write(const char *name, const char *text)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static int
tmp_setup(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_config.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	return 0;
}

static int
tmp_teardown(void **state)
{
	static const char *const names[] = {"swerve.yaml",  "server.pem",
	                                    "server.key",   "app2.secret",
	                                    "empty.secret", "relay.secret"};
	char path[256];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, names[i]);
		unlink(path);
	}
	rmdir(tmpdir);
	return 0;
}

/* load - config_load_buf on a string, named "swerve.yaml". */
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

	if (c != NULL)
		fail_msg("loaded, expected: %s", want);
	assert_string_equal(err, want);
}

/* expect_error_prefix - yaml must fail with a message starting with want. */
static void
expect_error_prefix(const char *yaml, const char *want)
{
	char err[CONFIG_ERR_SIZE];
	struct config *c = load(yaml, err);

	if (c != NULL)
		fail_msg("loaded, expected: %s", want);
	if (strncmp(err, want, strlen(want)) != 0)
		fail_msg("got \"%s\", want prefix \"%s\"", err, want);
}

static const char example[] =
    "listen: { smtp: \"127.0.0.1:2525\", http: \"127.0.0.1:2580\" }   # each "
    "may also be a list\n"
    "spool: { dir: \"./var/swerve\", min_free: \"100MB\" }\n"
    "limits: { max_message_size: \"25MB\", max_recipients: 100 }\n"
    "tls: { cert: \"server.pem\", key: \"server.key\" }   # present => "
    "STARTTLS offered\n"
    "submitters:\n"
    "  networks: [\"127.0.0.0/8\"]       # may submit without AUTH; [] = "
    "nobody\n"
    "  users:\n"
    "    - { name: app1, password: \"s3cret\", from_domains: "
    "[\"example.com\"] }\n"
    "    - { name: app2, password_file: \"app2.secret\", from_domains: "
    "[\"example.org\"] }\n"
    "providers:\n"
    "  - { name: primary, type: smtp, host: 127.0.0.1, port: 2601, tls: "
    "none, priority: 1 }\n"
    "  - { name: backup,  type: smtp, host: 127.0.0.1, port: 2602, tls: "
    "starttls, username: u, password: p, priority: 2 }\n"
    "retry: { min_backoff: \"30s\", max_backoff: \"1h\", max_lifetime: "
    "\"5d\" }\n";

/* --- whole files ------------------------------------------------------ */

static void
issue_example_loads_every_field(void **state)
{
	char err[CONFIG_ERR_SIZE], want[256];
	const char *path;
	struct config *c;

	tmp_write("server.pem", "cert\n");
	tmp_write("server.key", "key\n");
	tmp_write("app2.secret", "t0ps3cret\n");
	path = tmp_write("swerve.yaml", example);
	c = config_load_file(path, err, sizeof(err));
	if (c == NULL)
		fail_msg("%s", err);
	assert_string_equal(c->path, path);
	assert_int_equal(c->n_listen_smtp, 1);
	assert_string_equal(c->listen_smtp[0].host, "127.0.0.1");
	assert_int_equal(c->listen_smtp[0].port, 2525);
	assert_int_equal(c->listen_http[0].port, 2580);
	assert_string_equal(c->spool_dir, "./var/swerve");
	assert_int_equal(c->spool_min_free, 100ULL << 20);
	assert_int_equal(c->max_message_size, 25ULL << 20);
	assert_int_equal(c->max_recipients, 100);
	snprintf(want, sizeof(want), "%s/server.pem", tmpdir);
	assert_string_equal(c->tls_cert, want);
	snprintf(want, sizeof(want), "%s/server.key", tmpdir);
	assert_string_equal(c->tls_key, want);
	assert_int_equal(c->n_networks, 1);
	assert_int_equal(c->networks[0].family, AF_INET);
	assert_int_equal(c->networks[0].prefix, 8);
	assert_int_equal(c->n_users, 2);
	assert_string_equal(c->users[0].name, "app1");
	assert_string_equal(c->users[0].password, "s3cret");
	assert_int_equal(c->users[0].n_from_domains, 1);
	assert_string_equal(c->users[0].from_domains[0], "example.com");
	assert_string_equal(c->users[1].name, "app2");
	assert_string_equal(c->users[1].password, "t0ps3cret");
	assert_string_equal(c->users[1].from_domains[0], "example.org");
	assert_int_equal(c->n_providers, 2);
	assert_string_equal(c->providers[0].name, "primary");
	assert_string_equal(c->providers[0].type, "smtp");
	assert_string_equal(c->providers[0].host, "127.0.0.1");
	assert_int_equal(c->providers[0].port, 2601);
	assert_int_equal(c->providers[0].tls, CONFIG_TLS_NONE);
	assert_null(c->providers[0].username);
	assert_null(c->providers[0].password);
	assert_int_equal(c->providers[0].priority, 1);
	assert_string_equal(c->providers[1].name, "backup");
	assert_int_equal(c->providers[1].tls, CONFIG_TLS_STARTTLS);
	assert_string_equal(c->providers[1].username, "u");
	assert_string_equal(c->providers[1].password, "p");
	assert_int_equal(c->providers[1].priority, 2);
	/* Keys the example leaves out keep their provider defaults. */
	assert_true(c->providers[1].tls_verify);
	assert_true(c->providers[1].enabled);
	assert_int_equal(c->providers[1].weight, 1);
	assert_int_equal(c->providers[1].connect_timeout_ms, 5000);
	assert_int_equal(c->providers[1].greeting_timeout_ms, 5000);
	assert_int_equal(c->providers[1].command_timeout_ms, 30000);
	assert_int_equal(c->providers[1].data_timeout_ms, 60000);
	assert_int_equal(c->providers[1].max_connections, 4);
	assert_int_equal(c->providers[1].max_msgs_per_conn, 100);
	assert_int_equal(c->retry_min_backoff_ms, 30000);
	assert_int_equal(c->retry_max_backoff_ms, 3600000);
	assert_int_equal(c->retry_max_lifetime_ms, 5ULL * 86400000);
	config_free(c);
}

static void
shipped_example_loads(void **state)
{
	char err[CONFIG_ERR_SIZE];
	struct config *c;

	/* The tests run from the top of the tree (scripts/run-tests.sh). */
	if (access("examples/swerve.yaml", R_OK) != 0)
		skip();
	c = config_load_file("examples/swerve.yaml", err, sizeof(err));
	if (c == NULL)
		fail_msg("%s", err);
	assert_int_equal(c->n_providers, 2);
	assert_int_equal(c->n_users, 1);
	assert_string_equal(c->hostname, "mail.example.com");
	config_free(c);
}

static void
defaults_match_the_contract(void **state)
{
	struct config *c = config_defaults();

	assert_string_equal(c->path, "<defaults>");
	assert_int_equal(c->n_listen_smtp, 1);
	assert_string_equal(c->listen_smtp[0].host, "127.0.0.1");
	assert_int_equal(c->listen_smtp[0].port, 2525);
	assert_int_equal(c->n_listen_http, 1);
	assert_string_equal(c->listen_http[0].host, "127.0.0.1");
	assert_int_equal(c->listen_http[0].port, 2580);
	assert_non_null(c->hostname);
	assert_true(strlen(c->hostname) > 0);
	assert_string_equal(c->spool_dir, "./var/swerve");
	assert_int_equal(c->spool_min_free, 100ULL << 20);
	assert_int_equal(c->spool_max_messages, 1000000);
	assert_int_equal(c->spool_batch_max, 256);
	assert_int_equal(c->max_message_size, 25ULL << 20);
	assert_int_equal(c->max_recipients, 100);
	assert_int_equal(c->max_sessions, 1000);
	assert_int_equal(c->max_auth_failures, 3);
	assert_int_equal(c->idle_timeout_ms, 300000);
	assert_int_equal(c->command_timeout_ms, 300000);
	assert_int_equal(c->min_data_rate, 1024);
	assert_null(c->tls_cert);
	assert_null(c->tls_key);
	assert_int_equal(c->n_networks, 2);
	assert_int_equal(c->networks[0].family, AF_INET);
	assert_int_equal(c->networks[0].addr[0], 127);
	assert_int_equal(c->networks[0].prefix, 8);
	assert_int_equal(c->networks[1].family, AF_INET6);
	assert_int_equal(c->networks[1].addr[15], 1);
	assert_int_equal(c->networks[1].prefix, 128);
	assert_int_equal(c->n_users, 0);
	assert_int_equal(c->n_providers, 0);
	assert_int_equal(c->retry_min_backoff_ms, 30000);
	assert_int_equal(c->retry_max_backoff_ms, 3600000);
	assert_int_equal(c->retry_max_lifetime_ms, 5ULL * 86400000);
	assert_int_equal(c->log_level, LOG_LEVEL_INFO);
	assert_int_equal(c->log_format, LOG_FORMAT_TEXT);
	config_free(c);
	config_free(NULL);
}

static void
empty_file_keeps_every_default(void **state)
{
	static const char *const texts[] = {"", "# only a comment\n", "---\n",
	                                    "~\n", "tls:\nlisten:\n"};
	char err[CONFIG_ERR_SIZE];
	struct config *c;
	size_t i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		c = load(texts[i], err);
		if (c == NULL)
			fail_msg("%s: %s", texts[i], err);
		assert_string_equal(c->path, "swerve.yaml");
		assert_int_equal(c->listen_smtp[0].port, 2525);
		assert_int_equal(c->n_networks, 2);
		assert_null(c->tls_cert);
		assert_int_equal(c->shutdown_timeout_ms, 30000);
		config_free(c);
	}
}

static void
file_overrides_only_the_keys_it_names(void **state)
{
	char err[CONFIG_ERR_SIZE];
	struct config *c = load("limits:\n  max_recipients: 7\n"
	                        "  idle_timeout: 90s\n"
	                        "  min_data_rate: 2KB/s\n"
	                        "spool:\n  max_messages: 5000\n"
	                        "smtp: {hostname: mx.example.net}\n"
	                        "log: {level: debug, format: json}\n"
	                        "delivery: {max_inflight: 32, "
	                        "poll_interval: 20ms}\n"
	                        "shutdown_timeout: 2m\n",
	                        err);

	if (c == NULL)
		fail_msg("%s", err);
	assert_int_equal(c->max_recipients, 7);
	assert_int_equal(c->idle_timeout_ms, 90000);
	assert_int_equal(c->min_data_rate, 2048);
	assert_int_equal(c->spool_max_messages, 5000);
	assert_string_equal(c->hostname, "mx.example.net");
	assert_int_equal(c->log_level, LOG_LEVEL_DEBUG);
	assert_int_equal(c->log_format, LOG_FORMAT_JSON);
	assert_int_equal(c->delivery_max_inflight, 32);
	assert_int_equal(c->delivery_poll_ms, 20);
	assert_int_equal(c->shutdown_timeout_ms, 120000);
	/* untouched */
	assert_int_equal(c->max_message_size, 25ULL << 20);
	assert_int_equal(c->command_timeout_ms, 300000);
	assert_string_equal(c->spool_dir, "./var/swerve");
	assert_int_equal(c->listen_smtp[0].port, 2525);
	config_free(c);
}

static void
listen_takes_a_string_or_a_list(void **state)
{
	char err[CONFIG_ERR_SIZE];
	struct config *c = load("listen:\n"
	                        "  smtp: [\"0.0.0.0:25\", \"[::1]:2525\"]\n"
	                        "  http: localhost:8080\n",
	                        err);

	if (c == NULL)
		fail_msg("%s", err);
	assert_int_equal(c->n_listen_smtp, 2);
	assert_string_equal(c->listen_smtp[0].host, "0.0.0.0");
	assert_int_equal(c->listen_smtp[0].port, 25);
	assert_string_equal(c->listen_smtp[1].host, "::1");
	assert_int_equal(c->listen_smtp[1].port, 2525);
	assert_int_equal(c->n_listen_http, 1);
	assert_string_equal(c->listen_http[0].host, "localhost");
	config_free(c);

	expect_error(
	    "listen:\n  smtp: [\"0.0.0.0:25\", \"::1:25\"]\n",
	    "swerve.yaml:2: listen.smtp[1]: expected \"host:port\" (port "
	    "1..65535, IPv6 in [brackets]); got \"::1:25\"");
	expect_error(
	    "listen: {http: {a: 1}}\n",
	    "swerve.yaml:1: listen.http: expected \"host:port\" or a list of "
	    "them; got a map");
}

static void
networks_empty_list_means_nobody(void **state)
{
	char err[CONFIG_ERR_SIZE];
	struct config *c = load("submitters: {networks: []}\n", err);

	if (c == NULL)
		fail_msg("%s", err);
	assert_int_equal(c->n_networks, 0);
	config_free(c);
	expect_error(
	    "submitters:\n  networks:\n    - 10.0.0.0/8\n"
	    "    - 10.0.0.1/8\n",
	    "swerve.yaml:4: submitters.networks[1]: expected a network like "
	    "\"10.0.0.0/8\" or \"::1/128\" (no host bits set); got "
	    "\"10.0.0.1/8\"");
	expect_error(
	    "submitters: {networks: 10.0.0.0/8}\n",
	    "swerve.yaml:1: submitters.networks: expected a list of networks "
	    "like \"10.0.0.0/8\"; got \"10.0.0.0/8\"");
}

/* --- errors ----------------------------------------------------------- */

static void
unknown_key_is_an_error_with_its_line(void **state)
{
	expect_error(
	    "spool:\n  dir: x\n  dirr: y\n",
	    "swerve.yaml:3: spool.dirr: unknown key; expected one of dir, "
	    "min_free, max_messages, batch_max, purge_interval, handoff_cache, "
	    "outcome_delay, commit_gather_us");
	expect_error(
	    "# hello\nlimit:\n  max_recipients: 3\n",
	    "swerve.yaml:2: limit: unknown key; expected one of listen, spool, "
	    "limits, smtp, tls, https, submitters, providers, streams, retry, "
	    "delivery, log, shutdown_timeout, api_keys, admin_keys, metrics, "
	    "swervectl, alerts, ses_compat, suppression, events, rates, "
	    "public_status, dashboard, cluster, anomaly, readiness, incidents, "
	    "drill, "
	    "drills, user, "
	    "group");
	expect_error_prefix(
	    "providers:\n  - name: a\n    type: smtp\n    host: h\n"
	    "    colour: red\n",
	    "swerve.yaml:5: providers[0].colour: unknown key; expected one of "
	    "name, type, host, port, tls, tls_verify, username, password, "
	    "password_file, priority, weight, enabled, connect_timeout, "
	    "greeting_timeout, command_timeout, data_timeout, max_connections, "
	    "max_msgs_per_conn, endpoint, ");
}

static void
duplicate_key_is_an_error(void **state)
{
	expect_error("limits:\n  max_recipients: 1\n  max_recipients: 2\n",
	             "swerve.yaml:3: limits.max_recipients: duplicate key "
	             "(first at line "
	             "2)");
	expect_error(
	    "log: {level: info}\nspool: {dir: x}\nlog: {level: warn}\n",
	    "swerve.yaml:3: log: duplicate key (first at line 1)");
}

static void
wrong_type_is_an_error(void **state)
{
	expect_error("spool: [a, b]\n",
	             "swerve.yaml:1: spool: expected a map; got a list");
	expect_error(
	    "spool:\n  dir: {a: b}\n",
	    "swerve.yaml:2: spool.dir: expected a non-empty string; got a map");
	expect_error(
	    "spool:\n  dir:\n",
	    "swerve.yaml:2: spool.dir: expected a non-empty string; got null");
	expect_error(
	    "providers: {name: a}\n",
	    "swerve.yaml:1: providers: expected a list of maps; got a map");
	expect_error(
	    "providers:\n  - primary\n",
	    "swerve.yaml:2: providers[0]: expected a map; got \"primary\"");
	expect_error("- a\n- b\n", "swerve.yaml:1: expected a map; got a list");
	expect_error(
	    "limits: {max_recipients: [1]}\n",
	    "swerve.yaml:1: limits.max_recipients: expected an integer in "
	    "1..100000; got a list");
}

static void
bad_values_name_what_was_expected(void **state)
{
	/* The issue's own example, on line 14. */
	expect_error(
	    "# 1\n# 2\n# 3\n# 4\n# 5\n# 6\n# 7\n# 8\n"
	    "providers:\n"
	    "  - name: primary\n    type: smtp\n    host: h\n"
	    "  - {name: backup, type: smtp, host: h,\n"
	    "     tls: sttls}\n",
	    "swerve.yaml:14: providers[1].tls: expected one of none, starttls, "
	    "tls; got \"sttls\"");
	expect_error(
	    "providers:\n  - {name: a, type: sas, host: h}\n",
	    "swerve.yaml:2: providers[0].type: expected one of smtp, ses, "
	    "sendgrid, mailgun, postmark, resend; got \"sas\"");
	expect_error(
	    "providers:\n  - {name: a, type: smtp, host: h, port: 0}\n",
	    "swerve.yaml:2: providers[0].port: expected an integer in "
	    "1..65535; got \"0\"");
	expect_error(
	    "providers:\n  - {name: a, type: smtp, host: h, port: 70000}"
	    "\n",
	    "swerve.yaml:2: providers[0].port: expected an integer in "
	    "1..65535; got \"70000\"");
	expect_error(
	    "providers:\n  - {name: a, type: smtp, host: h, port: 25x}\n",
	    "swerve.yaml:2: providers[0].port: expected an integer in "
	    "1..65535; got \"25x\"");
	expect_error(
	    "providers:\n  - {name: a, type: smtp, host: h, weight: -1}"
	    "\n",
	    "swerve.yaml:2: providers[0].weight: expected an integer in "
	    "0..1000000; got \"-1\"");
	expect_error(
	    "providers:\n  - {name: Primary, type: smtp, host: h}\n",
	    "swerve.yaml:2: providers[0].name: expected a name of a-z, 0-9, _ "
	    "and - (at most 64 characters); got \"Primary\"");
	expect_error(
	    "providers:\n  - {name: a, type: smtp, host: h, meta_header: "
	    "\"X Meta:\"}\n",
	    "swerve.yaml:2: providers[0].meta_header: expected a header field "
	    "name like X-Swerve-Meta; got \"X Meta:\"");
	expect_error(
	    "providers:\n  - {name: a, type: resend, api_key: k, "
	    "meta_header: X-Meta}\n",
	    "swerve.yaml:2: providers[0].meta_header: expected no meta_header "
	    "(it is for type smtp; HTTP providers carry meta in their own "
	    "fields); got \"X-Meta\"");
	expect_error(
	    "providers:\n  - {name: a, type: resend, api_key: k, "
	    "bounce_domain: b.example}\n",
	    "swerve.yaml:2: providers[0].bounce_domain: expected no "
	    "bounce_domain (it is for type smtp; HTTP providers report bounces "
	    "with events:); got \"b.example\"");
	expect_error(
	    "providers:\n  - {name: a, type: smtp, host: h, bounce_domain: "
	    "b.example}\n  - {name: b, type: smtp, host: h, bounce_domain: "
	    "B.Example}\n",
	    "swerve.yaml:3: providers[1].bounce_domain: expected a "
	    "bounce_domain of this provider's own; providers[0] (a) has it "
	    "too");
	expect_error(
	    "providers:\n  - {name: a, type: smtp, host: h, bounce_domain: "
	    "\"b example\"}\n",
	    "swerve.yaml:2: providers[0].bounce_domain: expected a host name "
	    "or IP address; got \"b example\"");
	expect_error(
	    "providers:\n  - {name: a, type: smtp, host: \"a b\"}\n",
	    "swerve.yaml:2: providers[0].host: expected a host name or IP "
	    "address; got \"a b\"");
	expect_error(
	    "providers:\n  - {name: a, type: smtp, host: h, "
	    "enabled: maybe}\n",
	    "swerve.yaml:2: providers[0].enabled: expected true or false; got "
	    "\"maybe\"");
	expect_error(
	    "limits:\n  max_message_size: 25XB\n",
	    "swerve.yaml:2: limits.max_message_size: expected a size > 0 like "
	    "\"25MB\" (B, KB, MB, GB); got \"25XB\"");
	expect_error(
	    "limits:\n  idle_timeout: -5s\n",
	    "swerve.yaml:2: limits.idle_timeout: expected a duration > 0 like "
	    "\"30s\" (ms, s, m, h, d); got \"-5s\"");
	expect_error(
	    "limits:\n  command_timeout: 0s\n",
	    "swerve.yaml:2: limits.command_timeout: expected a duration > 0 "
	    "like \"30s\" (ms, s, m, h, d); got \"0s\"");
	expect_error(
	    "log: {level: verbose}\n",
	    "swerve.yaml:1: log.level: expected one of debug, info, warn, "
	    "error; got \"verbose\"");
	expect_error(
	    "log: {format: xml}\n",
	    "swerve.yaml:1: log.format: expected one of text, json; got "
	    "\"xml\"");
}

/* client_cert and client_key: both or neither, and only for type smtp;
 * ca_file goes with any type. */
static void
client_certificates_are_for_smtp_and_come_in_pairs(void **state)
{
	char yaml[512], err[CONFIG_ERR_SIZE], want[256];
	struct config *c;

	tmp_write("server.pem", "x\n");
	tmp_write("server.key", "x\n");
	snprintf(yaml, sizeof(yaml),
	         "providers:\n  - {name: a, type: smtp, host: h,\n"
	         "     client_cert: %s/server.pem}\n",
	         tmpdir);
	c = load(yaml, err);
	assert_null(c);
	assert_string_equal(err, "swerve.yaml:2: providers[0].client_key: "
	                         "missing; client_cert and client_key go "
	                         "together");
	snprintf(
	    yaml, sizeof(yaml),
	    "providers:\n  - {name: r, type: resend, api_key: k,\n"
	    "     client_cert: %s/server.pem, client_key: %s/server.key}\n",
	    tmpdir, tmpdir);
	c = load(yaml, err);
	assert_null(c);
	snprintf(want, sizeof(want),
	         "swerve.yaml:3: providers[0].client_cert: expected nothing: "
	         "client certificates are for type smtp; got \"%s",
	         tmpdir);
	assert_memory_equal(err, want, strlen(want));
	snprintf(yaml, sizeof(yaml),
	         "providers:\n  - {name: a, type: smtp, host: h,\n"
	         "     ca_file: %s/server.pem, client_cert: %s/server.pem,\n"
	         "     client_key: %s/server.key}\n",
	         tmpdir, tmpdir, tmpdir);
	c = load(yaml, err);
	if (c == NULL)
		fail_msg("%s", err);
	snprintf(want, sizeof(want), "%s/server.key", tmpdir);
	assert_string_equal(c->providers[0].client_key, want);
	snprintf(want, sizeof(want), "%s/server.pem", tmpdir);
	assert_string_equal(c->providers[0].client_cert, want);
	assert_string_equal(c->providers[0].ca_file, want);
	config_free(c);
}

static void
provider_rules_span_keys(void **state)
{
	char err[CONFIG_ERR_SIZE];
	struct config *c;

	expect_error(
	    "providers:\n  - {name: a, type: smtp}\n",
	    "swerve.yaml:2: providers[0].host: missing; type smtp needs the "
	    "relay's host");
	expect_error(
	    "providers:\n  - {name: a, type: smtp, host: h}\n"
	    "  - {name: a, type: smtp, host: h}\n",
	    "swerve.yaml:3: providers[1].name: expected a unique name; got "
	    "\"a\" a second time");
	expect_error(
	    "providers:\n  - {name: a, type: smtp, host: h,\n"
	    "     username: u}\n",
	    "swerve.yaml:2: providers[0].password: missing; expected password "
	    "or password_file");
	expect_error(
	    "providers:\n  - {name: a, type: smtp, host: h,\n"
	    "     password: hunter2}\n",
	    "swerve.yaml:3: providers[0].username: missing; a password needs a "
	    "username");
	/* TLS defaults: implicit TLS on 465, STARTTLS elsewhere. */
	c = load("providers:\n  - {name: a, type: smtp, host: h, port: 465}\n"
	         "  - {name: b, type: smtp, host: h}\n"
	         "  - {name: c, type: smtp, host: h, enabled: false,\n"
	         "     weight: 0, priority: -3, tls_verify: no,\n"
	         "     connect_timeout: 1500ms, data_timeout: 2m,\n"
	         "     max_connections: 9, max_msgs_per_conn: 1,\n"
	         "     meta_header: X-Swerve-Meta, bounce_domain: b.example}\n"
	         "listen: {bounce: \"127.0.0.1:2526\"}\n",
	         err);
	if (c == NULL)
		fail_msg("%s", err);
	assert_int_equal(c->providers[0].tls, CONFIG_TLS_TLS);
	assert_int_equal(c->providers[1].tls, CONFIG_TLS_STARTTLS);
	assert_int_equal(c->providers[1].port, 25);
	assert_false(c->providers[2].enabled);
	assert_int_equal(c->providers[2].weight, 0);
	assert_int_equal(c->providers[2].priority, -3);
	assert_false(c->providers[2].tls_verify);
	assert_int_equal(c->providers[2].connect_timeout_ms, 1500);
	assert_int_equal(c->providers[2].data_timeout_ms, 120000);
	assert_int_equal(c->providers[2].max_connections, 9);
	assert_string_equal(c->providers[2].bounce_domain, "b.example");
	assert_null(c->providers[1].bounce_domain);
	assert_int_equal(c->n_listen_bounce, 1);
	assert_int_equal(c->listen_bounce[0].port, 2526);
	assert_int_equal(c->providers[2].max_msgs_per_conn, 1);
	assert_string_equal(c->providers[2].meta_header, "X-Swerve-Meta");
	assert_null(c->providers[1].meta_header);
	assert_string_equal(config_tls_mode_name(c->providers[0].tls), "tls");
	config_free(c);
}

static void
user_rules_span_keys(void **state)
{
	char err[CONFIG_ERR_SIZE];
	struct config *c;

	expect_error(
	    "submitters:\n  users:\n    - name: a\n"
	    "      from_domains: [x.com]\n",
	    "swerve.yaml:3: submitters.users[0].password: missing; expected "
	    "password or password_file");
	expect_error(
	    "submitters:\n  users:\n    - name: a\n"
	    "      password: p\n      password_file: p.txt\n"
	    "      from_domains: [x.com]\n",
	    "swerve.yaml:5: submitters.users[0].password_file: cannot read "
	    "\"p.txt\": No such file or directory");
	expect_error(
	    "submitters:\n  users:\n    - name: a\n"
	    "      password: p\n      from_domains: []\n",
	    "swerve.yaml:5: submitters.users[0].from_domains: expected at "
	    "least one domain (\"*\" allows any); got an empty list");
	expect_error(
	    "submitters:\n  users:\n"
	    "    - {name: a, password: p, from_domains: [x.com]}\n"
	    "    - {name: a, password: q, from_domains: [x.com]}\n",
	    "swerve.yaml:4: submitters.users[1].name: expected a unique name; "
	    "got \"a\" a second time");
	expect_error(
	    "submitters:\n  users:\n"
	    "    - {name: a, password: p, from_domains: [\"x..com\"]}\n",
	    "swerve.yaml:3: submitters.users[0].from_domains[0]: expected a "
	    "domain like \"example.com\", or \"*\"; got \"x..com\"");
	expect_error(
	    "submitters:\n  users:\n    - {password: p, from_domains: "
	    "[x.com]}\n",
	    "swerve.yaml:3: submitters.users[0].name: missing; this key is "
	    "required");

	c = load("submitters:\n  users:\n"
	         "    - {name: a, password: p, from_domains: [Example.COM, "
	         "\"*\"]}\n",
	         err);
	if (c == NULL)
		fail_msg("%s", err);
	assert_string_equal(c->users[0].from_domains[0], "example.com");
	assert_string_equal(c->users[0].from_domains[1], "*");
	config_free(c);
}

static void
both_password_sources_is_an_error(void **state)
{
	char yaml[512], err[CONFIG_ERR_SIZE];
	struct config *c;

	tmp_write("app2.secret", "x\n");
	snprintf(yaml, sizeof(yaml),
	         "submitters:\n  users:\n    - name: a\n      password: p\n"
	         "      password_file: %s/app2.secret\n      from_domains: "
	         "[x.com]\n",
	         tmpdir);
	c = load(yaml, err);
	assert_null(c);
	assert_string_equal(err, "swerve.yaml:5: "
	                         "submitters.users[0].password_file: expected "
	                         "only one of password and password_file");
}

static void
password_file_is_read_relative_to_the_config(void **state)
{
	char err[CONFIG_ERR_SIZE], want[512];
	const char *path;
	struct config *c;

	tmp_write("relay.secret", "  pass word \r\n");
	tmp_write("empty.secret", "\n");
	path = tmp_write(
	    "swerve.yaml",
	    "providers:\n  - name: relay\n    type: smtp\n    host: h\n"
	    "    username: me\n    password_file: relay.secret\n");
	c = config_load_file(path, err, sizeof(err));
	if (c == NULL)
		fail_msg("%s", err);
	/* Only the line end is stripped; the secret is kept as written. */
	assert_string_equal(c->providers[0].password, "  pass word ");
	config_free(c);

	path = tmp_write(
	    "swerve.yaml",
	    "providers:\n  - name: relay\n    type: smtp\n    host: h\n"
	    "    username: me\n    password_file: empty.secret\n");
	assert_null(config_load_file(path, err, sizeof(err)));
	snprintf(
	    want, sizeof(want),
	    "%s:6: providers[0].password_file: expected \"%s/empty.secret\" "
	    "to hold one non-empty line",
	    path, tmpdir);
	assert_string_equal(err, want);

	/* A secret that is not a regular file must not block the load. */
	path = tmp_write("swerve.yaml",
	                 "providers:\n  - name: relay\n    type: smtp\n"
	                 "    host: h\n    username: me\n"
	                 "    password_file: /dev/stdin\n");
	assert_null(config_load_file(path, err, sizeof(err)));
	snprintf(want, sizeof(want),
	         "%s:6: providers[0].password_file: cannot read "
	         "\"/dev/stdin\": not a regular file",
	         path);
	assert_string_equal(err, want);

	path = tmp_write(
	    "swerve.yaml",
	    "providers:\n  - name: relay\n    type: smtp\n    host: h\n"
	    "    username: me\n    password_file: nope.secret\n");
	assert_null(config_load_file(path, err, sizeof(err)));
	snprintf(
	    want, sizeof(want),
	    "%s:6: providers[0].password_file: cannot read \"%s/nope.secret\": "
	    "No such file or directory",
	    path, tmpdir);
	assert_string_equal(err, want);
}

static void
passwords_never_appear_in_errors(void **state)
{
	static const char *const texts[] = {
	    "submitters:\n  users:\n    - {name: a, password: hunter2, "
	    "from_domains: []}\n",
	    "submitters:\n  users:\n    - {name: a, password: hunter2, "
	    "from_domains: [x.com], passwd: hunter2}\n",
	    "providers:\n  - {name: a, type: smtp, host: h, password: "
	    "hunter2}\n",
	    "providers:\n  - {name: a, type: smtp, host: h, username: u,\n"
	    "     password: hunter2, port: 0}\n",
	    "providers:\n  - {name: a, type: smtp, host: h, username: u,\n"
	    "     password: \"\", password_file: hunter2}\n",
	    "providers:\n  - {name: a, type: smtp, host: h, username: u,\n"
	    "     password: hunter2, password: hunter2}\n",
	};
	char err[CONFIG_ERR_SIZE];
	size_t i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		assert_null(load(texts[i], err));
		assert_true(strlen(err) > 0);
		if (strstr(err, "hunter2") != NULL)
			fail_msg("secret in \"%s\"", err);
	}
	expect_error("providers:\n  - {name: a, type: smtp, host: h, username: "
	             "u, password: \"\"}\n",
	             "swerve.yaml:2: providers[0].password: expected a "
	             "non-empty string");
}

static void
tls_files_must_exist_and_come_together(void **state)
{
	char yaml[512], err[CONFIG_ERR_SIZE], want[512];
	struct config *c;

	tmp_write("server.pem", "cert\n");
	tmp_write("server.key", "key\n");
	snprintf(yaml, sizeof(yaml), "tls:\n  cert: %s/server.pem\n", tmpdir);
	assert_null(load(yaml, err));
	assert_string_equal(err, "swerve.yaml:2: tls.key: missing; tls.cert "
	                         "and tls.key go together");
	snprintf(yaml, sizeof(yaml), "tls:\n  key: %s/server.key\n", tmpdir);
	assert_null(load(yaml, err));
	assert_string_equal(err, "swerve.yaml:2: tls.cert: missing; tls.cert "
	                         "and tls.key go together");
	snprintf(yaml, sizeof(yaml),
	         "tls:\n  cert: %s/server.pem\n"
	         "  key: %s/missing.key\n",
	         tmpdir, tmpdir);
	assert_null(load(yaml, err));
	snprintf(want, sizeof(want),
	         "swerve.yaml:3: tls.key: cannot read "
	         "\"%s/missing.key\": No such file or directory",
	         tmpdir);
	assert_string_equal(err, want);
	snprintf(yaml, sizeof(yaml),
	         "tls:\n  cert: %s/server.pem\n"
	         "  key: %s/server.key\n",
	         tmpdir, tmpdir);
	c = load(yaml, err);
	if (c == NULL)
		fail_msg("%s", err);
	config_free(c);
	snprintf(yaml, sizeof(yaml), "tls:\n  cert: %s\n  key: %s\n", tmpdir,
	         tmpdir);
	assert_null(load(yaml, err));
	snprintf(want, sizeof(want),
	         "swerve.yaml:2: tls.cert: expected a file; "
	         "\"%s\" is a directory",
	         tmpdir);
	assert_string_equal(err, want);
}

static void
tls_policy_defaults_to_intermediate_and_typos_are_errors(void **state)
{
	char yaml[512], err[CONFIG_ERR_SIZE];
	struct config *c;

	c = config_defaults();
	assert_int_equal(c->tls_min_version, TLS1_2_VERSION);
	assert_string_equal(c->tls_ciphers, TLS_CIPHERS_DEFAULT);
	assert_string_equal(c->tls_ciphersuites, TLS_CIPHERSUITES_DEFAULT);
	assert_null(c->https_cert);
	config_free(c);
	c = load("tls:\n  min_version: \"1.3\"\n"
	         "  ciphers: ECDHE-RSA-AES128-GCM-SHA256\n",
	         err);
	if (c == NULL)
		fail_msg("%s", err);
	assert_int_equal(c->tls_min_version, TLS1_3_VERSION);
	assert_string_equal(c->tls_ciphers, "ECDHE-RSA-AES128-GCM-SHA256");
	config_free(c);
	assert_null(load("tls:\n  min_version: \"1.1\"\n", err));
	assert_non_null(strstr(err, "swerve.yaml:2: tls.min_version: "));
	assert_null(load("tls:\n  ciphers: NOT-A-SUITE\n", err));
	assert_non_null(strstr(err, "swerve.yaml:2: tls.ciphers: no usable "
	                            "suite in ciphers NOT-A-SUITE"));
	assert_null(load("tls:\n  ciphersuites: TLS_NOPE\n", err));
	assert_non_null(strstr(err, "swerve.yaml:2: tls.ciphersuites: no "
	                            "usable suite in ciphersuites TLS_NOPE"));
	tmp_write("server.pem", "cert\n");
	snprintf(yaml, sizeof(yaml), "https:\n  cert: %s/server.pem\n", tmpdir);
	assert_null(load(yaml, err));
	assert_string_equal(err, "swerve.yaml:2: https.key: missing; "
	                         "https.cert and https.key go together");
}

static void
retry_backoff_must_be_ordered(void **state)
{
	expect_error("retry:\n  min_backoff: 2h\n  max_backoff: 1h\n",
	             "swerve.yaml:2: retry.min_backoff: expected at most "
	             "retry.max_backoff (1h); got \"2h\"");
	expect_error("retry:\n  max_backoff: 10s\n",
	             "swerve.yaml:2: retry.max_backoff: expected at least "
	             "retry.min_backoff (30s); got \"10s\"");
}

static void
malformed_yaml_names_the_line(void **state)
{
	expect_error_prefix("spool:\n  dir: x\n    bad: indent\n",
	                    "swerve.yaml:3: YAML syntax error: ");
	expect_error_prefix("spool: {dir: x\nlimits: {}\n",
	                    "swerve.yaml:2: YAML syntax error: ");
	expect_error_prefix("listen:\n\tsmtp: x\n",
	                    "swerve.yaml:2: YAML syntax error: ");
	expect_error_prefix("spool: \"unterminated\n", "swerve.yaml:");
	expect_error("base: &b {dir: x}\nspool: *b\n",
	             "swerve.yaml:2: YAML aliases are not supported");
	expect_error("spool: {dir: x}\n---\nspool: {dir: y}\n",
	             "swerve.yaml:2: only one YAML document is allowed");
	expect_error("? [a, b]\n: c\n",
	             "swerve.yaml:1: map keys must be plain strings");
	expect_error("spool: {dir: \"a\\0b\"}\n",
	             "swerve.yaml:1: NUL byte in a scalar");
	expect_error_prefix("x: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	                    "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
	                    "swerve.yaml:1: nesting deeper than 32 levels");
	expect_error_prefix("spool: {dir: \"\xff\xfe\"}\n",
	                    "swerve.yaml:1: YAML syntax error: ");
}

static void
load_file_reports_a_missing_file(void **state)
{
	char err[CONFIG_ERR_SIZE];

	assert_null(
	    config_load_file("/nonexistent/swerve.yaml", err, sizeof(err)));
	assert_string_equal(err, "/nonexistent/swerve.yaml: cannot read: No "
	                         "such file or directory");
	assert_null(config_load_file("/tmp", err, sizeof(err)));
	assert_string_equal(err, "/tmp: cannot read: Is a directory");
}

/* --- scalar parsers --------------------------------------------------- */

static void
size_parser_edges(void **state)
{
	static const struct {
		const char *in;
		uint64_t out;
	} good[] = {
	    {"0", 0},
	    {"512", 512},
	    {"512B", 512},
	    {"100KB", 102400},
	    {"25MB", 25ULL << 20},
	    {"25mb", 25ULL << 20},
	    {"1GB", 1ULL << 30},
	    {"2 MB", 2ULL << 20},
	    {"3k", 3072},
	    {"1MiB", 1ULL << 20},
	    {"18446744073709551615", UINT64_MAX},
	    {"16777215TB", 16777215ULL << 40},
	};
	static const char *const bad[] = {"",
	                                  "-1",
	                                  "+1",
	                                  "1.5GB",
	                                  "MB",
	                                  "10XB",
	                                  "10 ",
	                                  " 10",
	                                  "10MB ",
	                                  "10 MB x",
	                                  "18446744073709551616",
	                                  "16777216TB",
	                                  "99999999999999999999999",
	                                  "1e3",
	                                  "0x10"};
	uint64_t v;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = 7;
		if (config_parse_size(good[i].in, &v) != 0)
			fail_msg("refused \"%s\"", good[i].in);
		assert_int_equal(v, good[i].out);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 7;
		if (config_parse_size(bad[i], &v) == 0)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_int_equal(v, 7);
	}
}

static void
duration_parser_edges(void **state)
{
	static const struct {
		const char *in;
		uint64_t out;
	} good[] = {
	    {"0", 0},           {"30", 30000},     {"500ms", 500},
	    {"30s", 30000},     {"5m", 300000},    {"1h", 3600000},
	    {"5d", 432000000},  {"1w", 604800000}, {"1h30m", 5400000},
	    {"1m500ms", 60500},
	};
	static const char *const bad[] = {"",
	                                  "-5s",
	                                  "+5s",
	                                  "5x",
	                                  "5S",
	                                  "1.5s",
	                                  "s",
	                                  "5s ",
	                                  " 5s",
	                                  "1h30",
	                                  "30 s",
	                                  "18446744073709551615s",
	                                  "99999999999999999999",
	                                  "5msx"};
	uint64_t v;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (config_parse_duration(good[i].in, &v) != 0)
			fail_msg("refused \"%s\"", good[i].in);
		assert_int_equal(v, good[i].out);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 7;
		if (config_parse_duration(bad[i], &v) == 0)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_int_equal(v, 7);
	}
}

static void
addr_parser_edges(void **state)
{
	static const struct {
		const char *in, *host;
		uint16_t port;
	} good[] = {
	    {"127.0.0.1:2525", "127.0.0.1", 2525},
	    {"localhost:1", "localhost", 1},
	    {"[::1]:65535", "::1", 65535},
	    {"[2001:db8::1]:25", "2001:db8::1", 25},
	    {"mx-1.example.com:587", "mx-1.example.com", 587},
	};
	static const char *const bad[] = {
	    "",           ":25",         "host",     "host:",        "host:0",
	    "host:65536", "host:-1",     "host:+25", "host:25x",     "::1:25",
	    "[::1]25",    "[::1]",       "[]:25",    "[nothost]:25", "a b:25",
	    "host:25:25", "host:000025", "[::1]:25x"};
	struct config_addr a;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (config_parse_addr(good[i].in, &a) != 0)
			fail_msg("refused \"%s\"", good[i].in);
		assert_string_equal(a.host, good[i].host);
		assert_int_equal(a.port, good[i].port);
		free(a.host);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		a.host = NULL;
		if (config_parse_addr(bad[i], &a) == 0)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_null(a.host);
	}
}

static void
net_parser_edges(void **state)
{
	static const char *const good[] = {
	    "10.0.0.0/8", "0.0.0.0/0",     "1.2.3.4", "1.2.3.4/32",   "::1/128",
	    "::/0",       "2001:db8::/32", "::1",     "::ffff:0:0/96"};
	static const char *const bad[] = {"",
	                                  "/8",
	                                  "10.0.0.0/",
	                                  "10.0.0.0/33",
	                                  "10.0.0.1/8",
	                                  "::1/129",
	                                  "2001:db8::1/32",
	                                  "10.0.0.0/8x",
	                                  "10.0.0.0/-1",
	                                  "10.0.0/8",
	                                  "example.com/8",
	                                  "10.0.0.0/08x",
	                                  "10.0.0.0/0008",
	                                  "fe80::1%eth0/128",
	                                  "10.0.0.0 /8"};
	struct config_net n;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (config_parse_net(good[i], &n) != 0)
			fail_msg("refused \"%s\"", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n.prefix = 777;
		if (config_parse_net(bad[i], &n) == 0)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_int_equal(n.prefix, 777);
	}
	assert_int_equal(config_parse_net("1.2.3.4", &n), 0);
	assert_int_equal(n.family, AF_INET);
	assert_int_equal(n.prefix, 32);
	assert_int_equal(config_parse_net("::1", &n), 0);
	assert_int_equal(n.family, AF_INET6);
	assert_int_equal(n.prefix, 128);
}

/* sa4 / sa6 - sockaddrs for the membership test. */
static struct sockaddr *
sa4(struct sockaddr_in *sin, const char *ip)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, ip, &sin->sin_addr), 1);
	return (struct sockaddr *)sin;
}

static struct sockaddr *
sa6(struct sockaddr_in6 *sin6, const char *ip)
{
	memset(sin6, 0, sizeof(*sin6));
	sin6->sin6_family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, ip, &sin6->sin6_addr), 1);
	return (struct sockaddr *)sin6;
}

static void
net_contains_ipv4_ipv6_and_mapped(void **state)
{
	struct config_net lo, ten, v6lo, doc, all4, odd;
	struct sockaddr_in s4;
	struct sockaddr_in6 s6;
	struct sockaddr other = {.sa_family = AF_UNIX};

	assert_int_equal(config_parse_net("127.0.0.0/8", &lo), 0);
	assert_int_equal(config_parse_net("10.1.0.0/16", &ten), 0);
	assert_int_equal(config_parse_net("::1/128", &v6lo), 0);
	assert_int_equal(config_parse_net("2001:db8::/32", &doc), 0);
	assert_int_equal(config_parse_net("0.0.0.0/0", &all4), 0);
	assert_int_equal(config_parse_net("192.168.1.128/25", &odd), 0);

	assert_true(config_net_contains(&lo, sa4(&s4, "127.0.0.1")));
	assert_true(config_net_contains(&lo, sa4(&s4, "127.255.255.255")));
	assert_false(config_net_contains(&lo, sa4(&s4, "128.0.0.1")));
	assert_true(config_net_contains(&ten, sa4(&s4, "10.1.200.3")));
	assert_false(config_net_contains(&ten, sa4(&s4, "10.2.0.1")));
	assert_true(config_net_contains(&odd, sa4(&s4, "192.168.1.129")));
	assert_false(config_net_contains(&odd, sa4(&s4, "192.168.1.127")));
	assert_true(config_net_contains(&all4, sa4(&s4, "8.8.8.8")));
	/* IPv4 never matches an IPv6 network, nor the reverse. */
	assert_false(config_net_contains(&v6lo, sa4(&s4, "127.0.0.1")));
	assert_false(config_net_contains(&lo, sa6(&s6, "::1")));
	assert_true(config_net_contains(&v6lo, sa6(&s6, "::1")));
	assert_false(config_net_contains(&v6lo, sa6(&s6, "::2")));
	assert_true(config_net_contains(&doc, sa6(&s6, "2001:db8:ffff::9")));
	assert_false(config_net_contains(&doc, sa6(&s6, "2001:db9::9")));
	/* Dual-stack sockets show IPv4 peers as mapped addresses. */
	assert_true(config_net_contains(&lo, sa6(&s6, "::ffff:127.0.0.1")));
	assert_false(config_net_contains(&lo, sa6(&s6, "::ffff:10.0.0.1")));
	assert_true(config_net_contains(&all4, sa6(&s6, "::ffff:1.2.3.4")));
	assert_false(config_net_contains(&all4, sa6(&s6, "2001:db8::1")));
	assert_false(config_net_contains(&lo, &other));
	assert_false(config_net_contains(&lo, NULL));
}

static void
scalar_parsers_in_the_loader(void **state)
{
	char err[CONFIG_ERR_SIZE];
	struct config *c = load("spool: {min_free: 0, batch_max: 1}\n"
	                        "limits: {max_message_size: 1048576, "
	                        "min_data_rate: 0, idle_timeout: 45}\n",
	                        err);

	if (c == NULL)
		fail_msg("%s", err);
	assert_int_equal(c->spool_min_free, 0);
	assert_int_equal(c->spool_batch_max, 1);
	assert_int_equal(c->max_message_size, 1048576);
	assert_int_equal(c->min_data_rate, 0);
	assert_int_equal(c->idle_timeout_ms, 45000);
	config_free(c);
	expect_error(
	    "limits: {min_data_rate: 1KB/m}\n",
	    "swerve.yaml:1: limits.min_data_rate: expected a rate like \"1KB\" "
	    "(bytes per second); got \"1KB/m\"");
	expect_error(
	    "limits: {max_message_size: 0}\n",
	    "swerve.yaml:1: limits.max_message_size: expected a size > 0 like "
	    "\"25MB\" (B, KB, MB, GB); got \"0\"");
}

/* suppression: defaults (refuse, 3 in 7 days, soft bounces 30 days,
 * the rest never), every key read, and expire values that are neither
 * "never" nor a duration refused with their line. */
static void
suppression_section_and_expiry(void **state)
{
	char err[CONFIG_ERR_SIZE];
	struct config *c = load("limits:\n  max_recipients: 7\n", err);
	(void)state;

	assert_non_null(c);
	assert_int_equal(c->suppress_on_submit, CONFIG_SUPPRESS_REFUSE);
	assert_int_equal(c->suppress_local_sensitive, 0);
	assert_int_equal(c->suppress_soft_count, 3);
	assert_int_equal(c->suppress_soft_window_ms, 7ULL * 86400 * 1000);
	assert_int_equal(c->suppress_expire_ms[0], 0);
	assert_int_equal(c->suppress_expire_ms[3], 30ULL * 86400 * 1000);
	config_free(c);
	c = load("suppression:\n  on_submit: drop\n  local_part: sensitive\n"
	         "  soft_bounce: { count: 5, window: \"1d\" }\n"
	         "  expire: { hard_bounce: \"90d\", soft_bounce: never }\n",
	         err);
	if (c == NULL)
		fail_msg("%s", err);
	assert_int_equal(c->suppress_on_submit, CONFIG_SUPPRESS_DROP);
	assert_int_equal(c->suppress_local_sensitive, 1);
	assert_int_equal(c->suppress_soft_count, 5);
	assert_int_equal(c->suppress_soft_window_ms, 86400ULL * 1000);
	assert_int_equal(c->suppress_expire_ms[0], 90ULL * 86400 * 1000);
	assert_int_equal(c->suppress_expire_ms[3], 0);
	config_free(c);
	expect_error("suppression:\n  expire:\n    complaint: forever\n",
	             "swerve.yaml:3: suppression.expire.complaint: expected "
	             "\"never\" or a duration; got forever");
	expect_error_prefix("suppression:\n  on_submit: bounce\n",
	                    "swerve.yaml:2: suppression.on_submit:");
}

static void
odd_keys_are_quoted_in_messages(void **state)
{
	/* Found by the fuzzer: a file name with a newline broke the line. */
	expect_error(
	    "tls: {cert: \"a\\nb\", key: x}\n",
	    "swerve.yaml:1: tls.cert: cannot read \"a\\x0ab\": No such "
	    "file or directory");
	expect_error(
	    "spool: {\"a\\tb\": 1}\n",
	    "swerve.yaml:1: spool.\"a\\x09b\": unknown key; expected one of "
	    "dir, min_free, max_messages, batch_max, purge_interval, "
	    "handoff_cache, outcome_delay, commit_gather_us");
	expect_error(
	    "spool: {dir: \"a\\nb\", dir: x}\n",
	    "swerve.yaml:1: spool.dir: duplicate key (first at line 1)");
	expect_error(
	    "smtp: {hostname: \"bad\\nhost\"}\n",
	    "swerve.yaml:1: smtp.hostname: expected a host name or IP address; "
	    "got \"bad\\x0ahost\"");
}

/* user: and group: are stored as written (resolved at start, not here);
 * both are absent by default. */
static void
user_and_group_are_kept_as_written(void **state)
{
	char err[CONFIG_ERR_SIZE];
	struct config *c = load("user: swerve\ngroup: \"65534\"\n", err);

	assert_non_null(c);
	assert_string_equal(c->user, "swerve");
	assert_string_equal(c->group, "65534");
	config_free(c);
	c = config_defaults();
	assert_null(c->user);
	assert_null(c->group);
	config_free(c);
}

/* incidents: the engine's windows, defaults and durations only. */
static void
incidents_section(void **state)
{
	char err[CONFIG_ERR_SIZE];
	struct config *c = load("limits:\n  max_recipients: 7\n", err);
	(void)state;

	assert_non_null(c);
	assert_int_equal(c->incidents_window_ms, 15ULL * 60 * 1000);
	assert_int_equal(c->incidents_quiet_ms, 10ULL * 60 * 1000);
	assert_int_equal(c->incidents_reopen_ms, 30ULL * 60 * 1000);
	assert_int_equal(c->incidents_retention_ms, 90ULL * 86400 * 1000);
	config_free(c);
	c = load("incidents:\n  window: 5m\n  quiet: 2s\n  reopen: 1h\n"
	         "  retention: 7d\n",
	         err);
	if (c == NULL)
		fail_msg("%s", err);
	assert_int_equal(c->incidents_window_ms, 5ULL * 60 * 1000);
	assert_int_equal(c->incidents_quiet_ms, 2000);
	assert_int_equal(c->incidents_reopen_ms, 3600ULL * 1000);
	assert_int_equal(c->incidents_retention_ms, 7ULL * 86400 * 1000);
	config_free(c);
	expect_error_prefix("incidents:\n  quiet: soon\n",
	                    "swerve.yaml:2: incidents.quiet: expected");
	c = load("incidents:\n  notices:\n    from: s@example.com\n"
	         "    to: [a@example.org]\n"
	         "    slack: [\"https://hooks.example/x\"]\n"
	         "    webhooks: [\"http://127.0.0.1:9/h\"]\n",
	         err);
	if (c == NULL)
		fail_msg("%s", err);
	assert_int_equal(c->n_incidents_notice_to, 1);
	assert_int_equal(c->n_incidents_notice_slack, 1);
	assert_string_equal(c->incidents_notice_webhooks[0],
	                    "http://127.0.0.1:9/h");
	config_free(c);
	expect_error_prefix("incidents:\n  notices:\n    to: [a@example.org]\n",
	                    "swerve.yaml:2: incidents.notices.from: missing");
	expect_error_prefix(
	    "incidents:\n  notices:\n    slack: [\"ftp://x\"]\n",
	    "swerve.yaml:2: incidents.notices.slack: expected");
	expect_error_prefix("incidents:\n  storm: 1\n",
	                    "swerve.yaml:2: incidents.storm: unknown key");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(issue_example_loads_every_field),
	    cmocka_unit_test(shipped_example_loads),
	    cmocka_unit_test(user_and_group_are_kept_as_written),
	    cmocka_unit_test(defaults_match_the_contract),
	    cmocka_unit_test(empty_file_keeps_every_default),
	    cmocka_unit_test(file_overrides_only_the_keys_it_names),
	    cmocka_unit_test(listen_takes_a_string_or_a_list),
	    cmocka_unit_test(networks_empty_list_means_nobody),
	    cmocka_unit_test(unknown_key_is_an_error_with_its_line),
	    cmocka_unit_test(duplicate_key_is_an_error),
	    cmocka_unit_test(wrong_type_is_an_error),
	    cmocka_unit_test(bad_values_name_what_was_expected),
	    cmocka_unit_test(provider_rules_span_keys),
	    cmocka_unit_test(
	        client_certificates_are_for_smtp_and_come_in_pairs),
	    cmocka_unit_test(user_rules_span_keys),
	    cmocka_unit_test(both_password_sources_is_an_error),
	    cmocka_unit_test(password_file_is_read_relative_to_the_config),
	    cmocka_unit_test(passwords_never_appear_in_errors),
	    cmocka_unit_test(tls_files_must_exist_and_come_together),
	    cmocka_unit_test(
	        tls_policy_defaults_to_intermediate_and_typos_are_errors),
	    cmocka_unit_test(retry_backoff_must_be_ordered),
	    cmocka_unit_test(malformed_yaml_names_the_line),
	    cmocka_unit_test(load_file_reports_a_missing_file),
	    cmocka_unit_test(size_parser_edges),
	    cmocka_unit_test(duration_parser_edges),
	    cmocka_unit_test(addr_parser_edges),
	    cmocka_unit_test(net_parser_edges),
	    cmocka_unit_test(net_contains_ipv4_ipv6_and_mapped),
	    cmocka_unit_test(scalar_parsers_in_the_loader),
	    cmocka_unit_test(odd_keys_are_quoted_in_messages),
	    cmocka_unit_test(suppression_section_and_expiry),
	    cmocka_unit_test(incidents_section),
	};
	return cmocka_run_group_tests(tests, tmp_setup, tmp_teardown);
}
