/*
 * report_test.h - what the DSN and ARF parser tests share: reading a
 * report from tests/data/feedback (the tests run from the repository's
 * root) and parsing it into exactly the events expected.
 */
#ifndef SWERVE_TESTS_REPORT_TEST_H
#define SWERVE_TESTS_REPORT_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "spool/feedback.h"

/* report_test_read - tests/data/feedback/name into out (CRLF as stored). */
static inline void
report_test_read(const char *name, struct buf *out)
{
	char path[256], chunk[4096];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "tests/data/feedback/%s", name);
	f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "cannot open %s\n", path);
		abort();
	}
	buf_init(out);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(out, chunk, n);
	fclose(f);
}

typedef int report_test_parse_fn(const char *body, size_t len,
                                 const char *provider,
                                 struct feedback_event **out, size_t *n,
                                 char *err, size_t errlen);

/* report_test_refused - every bad[0..n) is refused with a reason and no
 * array (cmocka's fail_msg otherwise). */
static inline void
report_test_refused(report_test_parse_fn *parse, const char *const *bad,
                    size_t nbad)
{
	struct feedback_event *ev;
	char err[256];
	size_t i, n;

	for (i = 0; i < nbad; i++) {
		ev = NULL;
		err[0] = '\0';
		if (parse(bad[i], strlen(bad[i]), "r", &ev, &n, err,
		          sizeof(err)) == 0)
			fail_msg("accepted: %s", bad[i]);
		assert_null(ev);
		assert_true(err[0] != '\0');
	}
}

#endif
