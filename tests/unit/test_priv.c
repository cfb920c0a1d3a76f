/*
 * test_priv.c - resolving user: and group: (the drop itself needs root
 * and is covered by tests/integration/test_privileges.py).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/priv.h"

static void
name_resolves_to_its_ids_and_primary_group(void **state)
{
	struct priv_ids ids;
	char err[256];

	assert_int_equal(priv_resolve("nobody", NULL, &ids, err, sizeof(err)),
	                 0);
	assert_int_equal(ids.uid, 65534);
	assert_int_equal(ids.gid, 65534);
	assert_string_equal(ids.name, "nobody");
}

static void
numeric_ids_and_group_override(void **state)
{
	struct priv_ids ids;
	char err[256];

	assert_int_equal(priv_resolve("65534", "4242", &ids, err, sizeof(err)),
	                 0);
	assert_int_equal(ids.uid, 65534);
	assert_int_equal(ids.gid, 4242);
	assert_string_equal(ids.name, "nobody");
	/* A uid with no passwd entry works only with a group named. */
	assert_int_equal(priv_resolve("4243", "4242", &ids, err, sizeof(err)),
	                 0);
	assert_int_equal(ids.uid, 4243);
	assert_int_equal(priv_resolve("4243", NULL, &ids, err, sizeof(err)),
	                 -1);
	assert_non_null(strstr(err, "set group: too"));
}

static void
unknown_names_are_refused_with_the_name(void **state)
{
	struct priv_ids ids;
	char err[256];

	assert_int_equal(
	    priv_resolve("no-such-user-swerve", NULL, &ids, err, sizeof(err)),
	    -1);
	assert_string_equal(err, "user: no such user \"no-such-user-swerve\"");
	assert_int_equal(priv_resolve("nobody", "no-such-group-swerve", &ids,
	                              err, sizeof(err)),
	                 -1);
	assert_string_equal(err,
	                    "group: no such group \"no-such-group-swerve\"");
}

static void
root_is_refused_as_user_and_as_group(void **state)
{
	struct priv_ids ids;
	char err[256];

	assert_int_equal(priv_resolve("root", NULL, &ids, err, sizeof(err)),
	                 -1);
	assert_non_null(strstr(err, "is root"));
	assert_int_equal(priv_resolve("0", NULL, &ids, err, sizeof(err)), -1);
	assert_int_equal(priv_resolve("nobody", "0", &ids, err, sizeof(err)),
	                 -1);
	assert_non_null(strstr(err, "root's group"));
}

static void
not_root_only_checks_it_already_is_the_user(void **state)
{
	struct priv_ids ids;
	char err[256];

	if (priv_is_root()) {
		skip();
		return;
	}
	memset(&ids, 0, sizeof(ids));
	ids.uid = geteuid();
	ids.gid = getegid();
	assert_int_equal(priv_drop(&ids, "/nonexistent", err, sizeof(err)), 0);
	ids.uid = geteuid() + 1;
	assert_int_equal(priv_drop(&ids, "/nonexistent", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not root"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(name_resolves_to_its_ids_and_primary_group),
	    cmocka_unit_test(numeric_ids_and_group_override),
	    cmocka_unit_test(unknown_names_are_refused_with_the_name),
	    cmocka_unit_test(root_is_refused_as_user_and_as_group),
	    cmocka_unit_test(not_root_only_checks_it_already_is_the_user),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
