/*
 * feedback_test.h - what the feedback parser tests share: every body of
 * a list is refused, leaving no events and saying why.
 */
#ifndef SWERVE_TESTS_FEEDBACK_TEST_H
#define SWERVE_TESTS_FEEDBACK_TEST_H

#include <string.h>

#include "spool/feedback.h"

/* The shape of every feedback_<src>_parse(). */
typedef int feedback_test_parse_fn(const char *body, size_t len,
                                   const char *provider,
                                   struct feedback_event **out, size_t *n,
                                   char *err, size_t errlen);

/* feedback_test_refused - assert that parse refuses each of bad[0..n). */
static inline void
feedback_test_refused(feedback_test_parse_fn *parse, const char *const *bad,
                      size_t count)
{
	struct feedback_event *ev;
	char err[256];
	size_t i, n;

	for (i = 0; i < count; i++) {
		print_message("case %zu\n", i);
		err[0] = '\0';
		ev = (void *)1;
		n = 3;
		assert_int_equal(parse(bad[i], strlen(bad[i]), "p", &ev, &n,
		                       err, sizeof(err)),
		                 -1);
		assert_null(ev);
		assert_int_equal(n, 0);
		assert_true(err[0] != '\0');
	}
}

#endif
