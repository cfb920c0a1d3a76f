/*
 * test_header_edit.c - removing a field (and its continuation lines) from
 * the header section, never from the body.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "mime/header_edit.h"

/* take - run mime_header_take over s; returns the result text. */
static char *
take(const char *s, size_t off, const char *name, char **value, size_t *n)
{
	struct buf b;

	buf_init(&b);
	buf_addstr(&b, s);
	*n = mime_header_take(&b, off, name, value);
	return buf_steal(&b, NULL);
}

static void
field_and_continuations_removed_value_unfolded(void **state)
{
	char *v, *out;
	size_t n;

	out = take("Subject: a\r\nX-Swerve-Idempotency-Key:  k1\r\n\tk2 \r\n"
	           "To: b@c\r\n\r\nX-Swerve-Idempotency-Key: body\r\n",
	           0, "X-Swerve-Idempotency-Key", &v, &n);
	assert_int_equal(n, 1);
	assert_string_equal(v, "k1\tk2");
	assert_string_equal(out, "Subject: a\r\nTo: b@c\r\n\r\n"
	                         "X-Swerve-Idempotency-Key: body\r\n");
	free(v);
	free(out);
}

static void
every_occurrence_removed_first_value_kept(void **state)
{
	char *v, *out;
	size_t n;

	out = take("Received: x\nx-swerve-idempotency-key : one\n"
	           "From: a@b\nX-SWERVE-IDEMPOTENCY-KEY: two\n\nbody\n",
	           12, "X-Swerve-Idempotency-Key", &v, &n);
	assert_int_equal(n, 2);
	assert_string_equal(v, "one");
	assert_string_equal(out, "Received: x\nFrom: a@b\n\nbody\n");
	free(v);
	free(out);
}

static void
absent_or_prefix_names_untouched(void **state)
{
	char *v, *out;
	size_t n;

	out = take("X-Swerve-Idempotency-Keys: no\r\n\r\n", 0,
	           "X-Swerve-Idempotency-Key", &v, &n);
	assert_int_equal(n, 0);
	assert_null(v);
	assert_string_equal(out, "X-Swerve-Idempotency-Keys: no\r\n\r\n");
	free(out);
	out = take("", 0, "X", &v, &n);
	assert_int_equal(n, 0);
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(field_and_continuations_removed_value_unfolded),
	    cmocka_unit_test(every_occurrence_removed_first_value_kept),
	    cmocka_unit_test(absent_or_prefix_names_untouched),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
