/*
 * test_config_webhooks.c - the events: section: defaults, a webhook's
 * keys, and what is refused (a URL without http(s), a secret that is
 * not whsec_ base64, an unknown event type, a missing secret_file).
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
#include "observe/webhook_event.h"

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
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_config_wh.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	tmp_write("ok.secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n");
	tmp_write("bad.secret", "not base64 at all!\n");
	return 0;
}

static int
tmp_teardown(void **state)
{
	static const char *const names[] = {"swerve.yaml", "ok.secret",
	                                    "bad.secret"};
	char path[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, names[i]);
		unlink(path);
	}
	rmdir(tmpdir);
	return 0;
}

static struct config *
load(const char *events, char *err)
{
	char text[4096];

	snprintf(text, sizeof(text), "events:\n%s", events);
	return config_load_file(tmp_write("swerve.yaml", text), err,
	                        CONFIG_ERR_SIZE);
}

static void
test_defaults_and_keys(void **state)
{
	char err[CONFIG_ERR_SIZE];
	struct config *c = config_defaults();

	(void)state;
	assert_int_equal(c->n_webhooks, 0);
	assert_int_equal(c->events_retry_for_ms, 24ULL * 3600 * 1000);
	assert_int_equal(c->events_retry_min_ms, 5000);
	assert_int_equal(c->events_retry_max_ms, 3600ULL * 1000);
	assert_int_equal(c->events_concurrency, 4);
	config_free(c);
	c = load("  retry_for: 2h\n  concurrency: 2\n  webhooks:\n"
	         "    - url: https://app.example/h\n"
	         "      secret_file: ok.secret\n"
	         "      types: [delivered, bounced]\n"
	         "      tenant: web\n",
	         err);
	assert_non_null(c);
	assert_int_equal(c->n_webhooks, 1);
	assert_string_equal(c->webhooks[0].url, "https://app.example/h");
	assert_string_equal(c->webhooks[0].secret,
	                    "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
	assert_int_equal(c->webhooks[0].n_types, 2);
	assert_string_equal(c->webhooks[0].tenant, "web");
	assert_int_equal(c->events_retry_for_ms, 2ULL * 3600 * 1000);
	assert_int_equal(c->events_concurrency, 2);
	config_free(c);
}

static void
test_refused(void **state)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
	    {"  webhooks:\n    - { url: ftp://x/, secret_file: ok.secret }\n",
	     "url"},
	    {"  webhooks:\n    - { url: http://x/, secret_file: bad.secret }\n",
	     "whsec_"},
	    {"  webhooks:\n    - { url: http://x/, secret_file: ok.secret, "
	     "types: [opened] }\n",
	     "opened"},
	    {"  webhooks:\n    - { url: http://x/ }\n", "secret_file"},
	    {"  concurrency: 0\n", "concurrency"},
	};
	char err[CONFIG_ERR_SIZE];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config *c = load(cases[i].text, err);
		if (c != NULL)
			fail_msg("case %zu accepted", i);
		if (strstr(err, cases[i].want) == NULL)
			fail_msg("case %zu: %s", i, err);
		/* The secret never shows. */
		assert_null(strstr(err, "MfKQ9r8GKYq"));
	}
}

/* Every type the webhooks know is a type the configuration takes. */
static void
test_every_webhook_type_is_accepted(void **state)
{
	char err[CONFIG_ERR_SIZE], text[512];
	struct config *c;
	int t;

	(void)state;
	for (t = 0; t < WEBHOOK_TYPE_COUNT; t++) {
		snprintf(text, sizeof(text),
		         "  webhooks:\n    - { url: http://x/, secret_file: "
		         "ok.secret, types: [%s] }\n",
		         webhook_type_name((enum webhook_type)t));
		c = load(text, err);
		if (c == NULL)
			fail_msg("%s", err);
		config_free(c);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults_and_keys),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_every_webhook_type_is_accepted),
	};

	return cmocka_run_group_tests(tests, tmp_setup, tmp_teardown);
}
