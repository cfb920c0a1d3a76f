/*
 * clock_env.h - a test-only wall clock set from the environment
 * (contract).
 *
 * TEST ONLY. When SWERVE_TEST_WALL_CLOCK is set at start (an RFC 3339
 * time, "2026-12-14T02:59:50Z"), swerved's wall clock starts at that
 * time and runs on at the real rate from there (the monotonic clock is
 * untouched), through the clock seam of core/clock.h. Integration tests
 * use it to see a scheduled drill fire at its time without waiting for
 * it. A production system never sets it; swerved logs a warning when it
 * is set.
 */
#ifndef SWERVE_CORE_CLOCK_ENV_H
#define SWERVE_CORE_CLOCK_ENV_H

#include <stddef.h>

#define CLOCK_ENV_VAR "SWERVE_TEST_WALL_CLOCK"

/*
 * clock_env_install - if CLOCK_ENV_VAR is set, install the shifted wall
 * clock: 1 (installed), 0 (not set), -1 (set but unreadable: err).
 * Call once at start, before other threads run.
 */
int clock_env_install(char *err, size_t errlen);

#endif
