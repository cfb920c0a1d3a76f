/*
 * test_cluster_tmpl.c - the fleet's template values (cluster_tmpl.h):
 * an active version round-trips through the hash's JSON; a removal is
 * told apart; malformed values are refused with nothing to free.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cluster/cluster_tmpl.h"
#include "tmpl/tmpl_store.h"

static void
active_version_round_trips(void **state)
{
	struct tmpl_version v = {.tenant = "webt", .name = "welcome"};
	struct tmpl_store_entry *e;
	struct tmpl_version out;
	struct tmpl_error te;
	enum tmpl_part bad;
	char err[128], *json;
	int removed = 7;

	(void)state;
	v.dialect = TMPL_HANDLEBARS;
	v.part[TMPL_PART_SUBJECT] = "Hi {{name}}";
	v.part[TMPL_PART_TEXT] = "Hello\n\"{{name}}\"";
	e = tmpl_store_entry_new(&v, &bad, &te);
	assert_non_null(e);
	json = cluster_tmpl_encode(e);
	assert_int_equal(cluster_tmpl_decode(json, strlen(json), "webt",
	                                     "welcome", &out, &removed, err,
	                                     sizeof(err)),
	                 0);
	assert_int_equal(removed, 0);
	assert_int_equal(out.dialect, TMPL_HANDLEBARS);
	assert_string_equal(out.tenant, "webt");
	assert_string_equal(out.name, "welcome");
	assert_string_equal(out.part[TMPL_PART_SUBJECT], "Hi {{name}}");
	assert_null(out.part[TMPL_PART_HTML]);
	assert_string_equal(out.part[TMPL_PART_TEXT], "Hello\n\"{{name}}\"");
	assert_null(out.meta);
	tmpl_version_fini(&out);
	free(json);
	tmpl_store_entry_free(e);
	/* An ESP API's meta travels, also on a version without parts (a
	 * Postmark alias, a SendGrid template record). */
	memset(v.part, 0, sizeof(v.part));
	v.meta = "{\"postmark\":\"alias\",\"id\":\"4242\"}";
	e = tmpl_store_entry_new(&v, &bad, &te);
	json = cluster_tmpl_encode(e);
	assert_int_equal(cluster_tmpl_decode(json, strlen(json), "webt",
	                                     "welcome", &out, &removed, err,
	                                     sizeof(err)),
	                 0);
	assert_string_equal(out.meta, v.meta);
	assert_null(out.part[TMPL_PART_TEXT]);
	tmpl_version_fini(&out);
	free(json);
	tmpl_store_entry_free(e);
	/* A name gone. */
	json = cluster_tmpl_encode(NULL);
	assert_int_equal(cluster_tmpl_decode(json, strlen(json), "", "x", &out,
	                                     &removed, err, sizeof(err)),
	                 0);
	assert_int_equal(removed, 1);
	free(json);
}

static void
malformed_values_are_refused(void **state)
{
	static const char *const bad[] = {
	    "",
	    "{",
	    "[]",
	    "\"x\"",
	    "{}",                                     /* no dialect */
	    "{\"dialect\":\"jinja\",\"text\":\"a\"}", /* unknown */
	    "{\"dialect\":7,\"text\":\"a\"}",
	    "{\"dialect\":\"mustache\"}", /* no part */
	    "{\"dialect\":\"mustache\",\"text\":5}",
	    "{\"dialect\":\"mustache\",\"subject\":\"a\",\"html\":[]}",
	    "{\"dialect\":\"mustache\",\"text\":\"a\\u0000b\"}", /* NUL */
	    "{\"dialect\":\"mustache\",\"text\":\"a\",\"text\":\"b\"}",
	    "{\"removed\":false}",
	};
	struct tmpl_version out;
	char err[128], name[300];
	size_t i;
	int removed;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (cluster_tmpl_decode(bad[i], strlen(bad[i]), "t", "n", &out,
		                        &removed, err, sizeof(err)) != -1)
			fail_msg("accepted: %s", bad[i]);
		assert_true(err[0] != '\0');
		assert_null(out.part[0]);
		assert_null(out.part[1]);
		assert_null(out.part[2]);
	}
	/* A name longer than a template name can be. */
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(cluster_tmpl_decode("{\"removed\":true}", 16, "t",
	                                     name, &out, &removed, err,
	                                     sizeof(err)),
	                 -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(active_version_round_trips),
	    cmocka_unit_test(malformed_values_are_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
