/*
 * spool_test.h - helpers shared by the spool's unit tests.
 *
 * Header-only (static inline functions), included by the test_spool*.c
 * files; not part of libswerve.
 */
#ifndef SWERVE_TESTS_SPOOL_TEST_H
#define SWERVE_TESTS_SPOOL_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

/*
 * spool_test_pump - run base until *done reaches want; fail the test after
 * secs seconds of real time.
 */
static inline void
spool_test_pump(struct event_base *base, const int *done, int want, int secs)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (*done < want) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		if (*done >= want)
			break;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > secs)
			fail_msg("timed out: %d of %d callbacks", *done, want);
		usleep(200);
	}
}

/* spool_test_rmtree - remove a test's temporary directory (rm -rf). */
static inline void
spool_test_rmtree(const char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

#endif
