/*
 * test_config_events.c - providers[].events: each source type's keys,
 * the defaults, the keys refused for a type, paths under /feedback/ and
 * unique, secrets read from files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"

static char tmpdir[64];
static const char *const tmp_names[] = {
    "swerve.yaml", "pm.secret", "rs.secret", "rs-bad.secret",
    "mg.secret",   "sg.pub",    "ca.pem",
};

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
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_config_events.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	tmp_write("pm.secret", "hook-pass\n");
	tmp_write("rs.secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n");
	tmp_write("rs-bad.secret", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n");
	tmp_write("mg.secret", "key-example\n");
	tmp_write("sg.pub", "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n");
	tmp_write("ca.pem", "not really a pem\n");
	return 0;
}

static int
tmp_teardown(void **state)
{
	char path[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(tmp_names) / sizeof(tmp_names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, tmp_names[i]);
		unlink(path);
	}
	rmdir(tmpdir);
	return 0;
}

/* load - the providers: text (indented list) as swerve.yaml in tmpdir. */
static struct config *
load(const char *providers, char *err)
{
	char text[4096];

	snprintf(text, sizeof(text), "providers:\n%s", providers);
	return config_load_file(tmp_write("swerve.yaml", text), err,
	                        CONFIG_ERR_SIZE);
}

/* expect_error - loading must fail with a message containing want. */
static void
expect_error(const char *providers, const char *want)
{
	char err[CONFIG_ERR_SIZE];
	struct config *c = load(providers, err);

	if (c != NULL) {
		config_free(c);
		fail_msg("loaded, expected an error with: %s", want);
	}
	if (strstr(err, want) == NULL)
		fail_msg("got: %s\nwanted: %s", err, want);
}

#define PM_HEAD "  - name: pm\n    type: postmark\n    api_key: tok\n"

static void
postmark_keys_and_defaults(void **state)
{
	char err[CONFIG_ERR_SIZE];
	struct config *c;
	const struct config_events *e;

	(void)state;
	c = load(PM_HEAD "    events:\n      username: hook\n"
	                 "      password_file: pm.secret\n"
	                 "      networks: [\"10.0.0.0/8\"]\n",
	         err);
	if (c == NULL)
		fail_msg("%s", err);
	e = &c->providers[0].events;
	assert_true(e->configured);
	assert_string_equal(e->path, "/feedback/pm");
	assert_int_equal(e->max_body, 1024 * 1024);
	assert_int_equal(e->max_age_ms, 5 * 60 * 1000);
	assert_string_equal(e->username, "hook");
	assert_string_equal(e->password, "hook-pass");
	assert_int_equal(e->n_networks, 1);
	config_free(c);
}

static void
no_events_section_means_not_configured(void **state)
{
	char err[CONFIG_ERR_SIZE];
	struct config *c;

	(void)state;
	c = load(PM_HEAD, err);
	if (c == NULL)
		fail_msg("%s", err);
	assert_false(c->providers[0].events.configured);
	assert_null(c->providers[0].events.path);
	config_free(c);
}

static void
every_type_takes_its_keys(void **state)
{
	char err[CONFIG_ERR_SIZE];
	struct config *c;

	(void)state;
	c = load("  - name: ses\n    type: ses\n    access_key_id: AKID\n"
	         "    secret_access_key: s\n"
	         "    events:\n      path: /feedback/a/ses-1\n"
	         "      topic_arns: [\"arn:aws:sns:us-east-1:1:t\"]\n"
	         "      auto_confirm: false\n"
	         "      sns_cert_host: 127.0.0.1:8443\n"
	         "      sns_trust_anchor: ca.pem\n      max_body: 64KB\n"
	         "  - name: sg\n    type: sendgrid\n    api_key: k\n"
	         "    events:\n      public_key_file: sg.pub\n"
	         "      max_age: 10m\n"
	         "  - name: mg\n    type: mailgun\n    api_key: k\n"
	         "    domain: mg.example.com\n"
	         "    events:\n      signing_key_file: mg.secret\n"
	         "  - name: rs\n    type: resend\n    api_key: k\n"
	         "    events:\n      secret_file: rs.secret\n",
	         err);
	if (c == NULL)
		fail_msg("%s", err);
	assert_string_equal(c->providers[0].events.path, "/feedback/a/ses-1");
	assert_int_equal(c->providers[0].events.n_topic_arns, 1);
	assert_false(c->providers[0].events.auto_confirm);
	assert_string_equal(c->providers[0].events.sns_cert_host,
	                    "127.0.0.1:8443");
	assert_non_null(
	    strstr(c->providers[0].events.sns_trust_anchor, "/ca.pem"));
	assert_int_equal(c->providers[0].events.max_body, 64 * 1024);
	assert_string_equal(c->providers[1].events.public_key,
	                    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE");
	assert_int_equal(c->providers[1].events.max_age_ms, 600000);
	assert_string_equal(c->providers[2].events.signing_key, "key-example");
	assert_string_equal(c->providers[3].events.secret,
	                    "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
	config_free(c);
}

static void
a_key_of_another_type_is_refused(void **state)
{
	(void)state;
	expect_error(PM_HEAD "    events:\n      username: hook\n"
	                     "      password_file: pm.secret\n"
	                     "      topic_arns: [\"arn\"]\n",
	             "providers[0].events.topic_arns: not a key of type "
	             "postmark's events");
	expect_error("  - name: r\n    type: smtp\n    host: h\n"
	             "    events:\n      path: /feedback/r\n",
	             "providers[0].events: type smtp has no event webhook");
}

static void
what_each_verifier_needs_is_required(void **state)
{
	(void)state;
	expect_error(PM_HEAD "    events:\n      username: hook\n",
	             "providers[0].events.password_file: missing");
	expect_error("  - name: ses\n    type: ses\n    access_key_id: AKID\n"
	             "    secret_access_key: s\n    events:\n"
	             "      auto_confirm: true\n",
	             "providers[0].events.topic_arns: missing");
	expect_error("  - name: sg\n    type: sendgrid\n    api_key: k\n"
	             "    events:\n      max_age: 1m\n",
	             "providers[0].events.public_key: missing");
	expect_error("  - name: sg\n    type: sendgrid\n    api_key: k\n"
	             "    events:\n      public_key: abc\n"
	             "      public_key_file: sg.pub\n",
	             "expected only one of public_key, public_key_file");
	expect_error("  - name: mg\n    type: mailgun\n    api_key: k\n"
	             "    domain: d.example\n    events:\n      max_age: 1m\n",
	             "providers[0].events.signing_key_file: missing");
	expect_error("  - name: rs\n    type: resend\n    api_key: k\n"
	             "    events:\n      secret_file: rs-bad.secret\n",
	             "starting with whsec_");
}

static void
paths_are_under_feedback_and_unique(void **state)
{
	static const char *const bad[] = {"/v1/messages",  "/feedback/",
	                                  "/feedback//x",  "/feedback/a/../b",
	                                  "/feedback/a b", "feedback/x"};
	char text[1024];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text),
		         PM_HEAD "    events:\n      path: \"%s\"\n"
		                 "      username: u\n"
		                 "      password_file: pm.secret\n",
		         bad[i]);
		expect_error(text, "providers[0].events.path: expected a path "
		                   "under /feedback/");
	}
	expect_error(PM_HEAD "    events:\n      path: /feedback/x\n"
	                     "      username: u\n      password_file: "
	                     "pm.secret\n"
	                     "  - name: pm2\n    type: postmark\n"
	                     "    api_key: tok\n    events:\n"
	                     "      path: /feedback/x\n      username: u\n"
	                     "      password_file: pm.secret\n",
	             "providers[1].events.path: \"/feedback/x\" is already "
	             "providers[0]'s");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(postmark_keys_and_defaults),
	    cmocka_unit_test(no_events_section_means_not_configured),
	    cmocka_unit_test(every_type_takes_its_keys),
	    cmocka_unit_test(a_key_of_another_type_is_refused),
	    cmocka_unit_test(what_each_verifier_needs_is_required),
	    cmocka_unit_test(paths_are_under_feedback_and_unique),
	};

	return cmocka_run_group_tests(tests, tmp_setup, tmp_teardown);
}
