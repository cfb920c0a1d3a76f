/*
 * clock_env.c - the test-only shifted wall clock. See clock_env.h.
 */
#include "core/clock_env.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/rfc3339.h"

static int64_t clock_env_shift_us;

/* clock_env_mono - the real monotonic clock. */
static uint64_t
clock_env_mono(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* clock_env_wall - the real wall clock, shifted. */
static int64_t
clock_env_wall(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 +
	       clock_env_shift_us;
}

int
clock_env_install(char *err, size_t errlen)
{
	const char *v = getenv(CLOCK_ENV_VAR);
	struct clock_source src = {
	    .mono_us = clock_env_mono,
	    .wall_us = clock_env_wall,
	    .arg = NULL,
	};
	int64_t want_s;

	if (v == NULL || *v == '\0')
		return 0;
	if (rfc3339_parse(v, strlen(v), &want_s) != 0) {
		snprintf(err, errlen,
		         "%s: expected an RFC 3339 time "
		         "(2026-12-14T02:59:50Z); got \"%.40s\"",
		         CLOCK_ENV_VAR, v);
		return -1;
	}
	clock_env_shift_us = 0;
	clock_env_shift_us = want_s * 1000000 - clock_env_wall(NULL);
	clock_source_set(&src);
	return 1;
}
