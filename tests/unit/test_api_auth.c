/*
 * test_api_auth.c - API keys: the api_keys config block as the API sees
 * it (hash or file), bearer parsing, lookup by digest, From domains.
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
#include "core/buf.h"
#include "ingress/api_auth.h"

/* sha256("password") and sha256("s3cret-jobs"). */
#define PW_SHA                                                                 \
	"5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"

/* load - a config from text, which must load. */
static struct config *
load(const char *text, const char *name)
{
	char err[CONFIG_ERR_SIZE];
	struct config *c =
	    config_load_buf(text, strlen(text), name, err, sizeof(err));

	if (c == NULL)
		fprintf(stderr, "%s\n", err);
	assert_non_null(c);
	return c;
}

static void
keys_load_from_hash_and_file(void **state)
{
	char dir[] = "/tmp/test_api_auth.XXXXXX", path[128], yaml[512];
	struct config *c;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/jobs.key", dir);
	f = fopen(path, "w");
	fputs("s3cret-jobs\n", f);
	fclose(f);
	snprintf(
	    yaml, sizeof(yaml),
	    "api_keys:\n"
	    "  - { name: web, key_sha256: \"%s\", tenant: webt,"
	    " from_domains: [\"Example.com\"] }\n"
	    "  - { name: jobs, key_file: jobs.key, from_domains: [\"*\"] }\n",
	    PW_SHA);
	snprintf(path, sizeof(path), "%s/swerve.yaml", dir);
	c = load(yaml, path);
	assert_int_equal(c->n_api_keys, 2);
	assert_string_equal(c->api_keys[0].tenant, "webt");
	assert_string_equal(c->api_keys[0].key_sha256, PW_SHA);
	/* tenant defaults to the name; the key itself is not kept. */
	assert_string_equal(c->api_keys[1].tenant, "jobs");
	assert_null(c->api_keys[1].key);
	assert_ptr_equal(api_auth_key_find(c, STR_LIT("password")),
	                 &c->api_keys[0]);
	assert_ptr_equal(api_auth_key_find(c, STR_LIT("s3cret-jobs")),
	                 &c->api_keys[1]);
	assert_null(api_auth_key_find(c, STR_LIT("passwor")));
	assert_null(api_auth_key_find(c, STR_LIT("")));
	config_free(c);
	unlink(path);
	snprintf(path, sizeof(path), "%s/jobs.key", dir);
	unlink(path);
	rmdir(dir);
}

static void
bad_key_blocks_are_refused(void **state)
{
	static const char *const bad[] = {
	    "api_keys:\n  - { name: a, from_domains: [x.com] }\n",
	    "api_keys:\n  - { name: a, key_sha256: \"abc\", from_domains: "
	    "[x.com] }\n",
	    "api_keys:\n  - { name: a, key_sha256: \"" PW_SHA "\" }\n",
	    "api_keys:\n  - { name: a, key_sha256: \"" PW_SHA "\", "
	    "from_domains: [x.com] }\n  - { name: b, key_sha256: \"" PW_SHA
	    "\", from_domains: [x.com] }\n",
	    "api_keys:\n  - { name: a, key_file: /nonexistent/k, "
	    "from_domains: [x.com] }\n",
	};
	char err[CONFIG_ERR_SIZE];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct config *c = config_load_buf(
		    bad[i], strlen(bad[i]), "swerve.yaml", err, sizeof(err));
		assert_null(c);
		assert_non_null(strstr(err, "api_keys["));
	}
}

static void
bearer_header_is_parsed_strictly(void **state)
{
	struct str k;

	assert_int_equal(api_auth_bearer_parse("Bearer abc.DEF-1", &k), 0);
	assert_int_equal(k.len, 9);
	assert_memory_equal(k.p, "abc.DEF-1", 9);
	assert_int_equal(api_auth_bearer_parse("bearer   tok  ", &k), 0);
	assert_int_equal(k.len, 3);
	assert_int_equal(api_auth_bearer_parse(NULL, &k), -1);
	assert_int_equal(api_auth_bearer_parse("Basic dXNlcg==", &k), -1);
	assert_int_equal(api_auth_bearer_parse("Bearer", &k), -1);
	assert_int_equal(api_auth_bearer_parse("Bearer ", &k), -1);
	assert_int_equal(api_auth_bearer_parse("Bearertok", &k), -1);
	assert_int_equal(api_auth_bearer_parse("Bearer a b", &k), -1);
}

static void
from_domain_rules(void **state)
{
	char *doms[] = {"example.com"}, *any[] = {"*"};
	struct config_api_key k = {.from_domains = doms, .n_from_domains = 1};
	struct config_api_key a = {.from_domains = any, .n_from_domains = 1};

	assert_true(api_auth_from_allowed(&k, "a@example.com"));
	assert_true(api_auth_from_allowed(&k, "a@EXAMPLE.COM"));
	assert_false(api_auth_from_allowed(&k, "a@sub.example.com"));
	assert_false(api_auth_from_allowed(&k, "a@example.com.evil.org"));
	assert_false(api_auth_from_allowed(&k, "a@evil.org"));
	assert_false(api_auth_from_allowed(&k, ""));
	assert_false(api_auth_from_allowed(&k, NULL));
	assert_true(api_auth_from_allowed(&a, "x@anything.net"));
	assert_false(api_auth_from_allowed(NULL, "a@example.com"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(keys_load_from_hash_and_file),
	    cmocka_unit_test(bad_key_blocks_are_refused),
	    cmocka_unit_test(bearer_header_is_parsed_strictly),
	    cmocka_unit_test(from_domain_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
