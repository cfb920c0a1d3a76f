/*
 * test_verp_key.c - the spool's VERP key: made once (0600, 32 octets),
 * the same key on every later load, and a file of another size refused
 * rather than used.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "deliver/verp_key.h"

static void
a_key_is_made_once_and_kept(void **state)
{
	char dir[] = "/tmp/swerve-verp-key-XXXXXX", path[128], err[256];
	unsigned char a[VERP_KEY_LEN], b[VERP_KEY_LEN], zero[VERP_KEY_LEN];
	struct stat st;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, VERP_KEY_FILE);
	assert_int_equal(verp_key_load(dir, a, err, sizeof(err)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, VERP_KEY_LEN);
	memset(zero, 0, sizeof(zero));
	assert_memory_not_equal(a, zero, VERP_KEY_LEN);
	assert_int_equal(verp_key_load(dir, b, err, sizeof(err)), 0);
	assert_memory_equal(a, b, VERP_KEY_LEN);
	/* A truncated or padded file is refused. */
	f = fopen(path, "ab");
	assert_non_null(f);
	fputc('x', f);
	fclose(f);
	assert_int_equal(verp_key_load(dir, b, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a 32-octet key"));
	assert_int_equal(truncate(path, 8), 0);
	assert_int_equal(verp_key_load(dir, b, err, sizeof(err)), -1);
	unlink(path);
	rmdir(dir);
	/* A directory that does not exist. */
	assert_int_equal(verp_key_load(dir, b, err, sizeof(err)), -1);
	assert_true(err[0] != '\0');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_key_is_made_once_and_kept),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
