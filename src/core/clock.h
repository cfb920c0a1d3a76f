/*
 * clock.h - what time it is (contract).
 *
 * Two clocks, never mixed:
 *
 *   monotonic  for durations, timeouts, breakers, token buckets, health
 *              windows: it never steps, so an NTP correction cannot open
 *              a circuit or refill a bucket. Its origin is arbitrary (the
 *              boot of the machine); only differences mean anything.
 *   wall       milliseconds since the Unix epoch, only for what is shown
 *              to people or stored (timestamps, ids, a message's
 *              created_at and next_attempt_at, quota days).
 *
 * A stored wall time that must become a timer goes through
 * clock_wall_until_ms(), which says in one place that the conversion
 * happens (and what a step of the wall clock then does to the timer).
 *
 * Test seam: clock_source_set() replaces both clocks, so a test can move
 * time forward, or step the wall clock alone, as an ordinary case. Every
 * function is thread-safe; the source is read, never locked, so a test
 * sets it while only its own thread runs.
 */
#ifndef SWERVE_CORE_CLOCK_H
#define SWERVE_CORE_CLOCK_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

/* A pair of clocks; clock_source_set() installs one. */
struct clock_source {
	uint64_t (*mono_us)(void *arg); /* monotonic microseconds */
	int64_t (*wall_us)(void *arg);  /* microseconds since the epoch */
	void *arg;
};

/* clock_mono_ms - monotonic milliseconds (arbitrary origin). */
uint64_t clock_mono_ms(void);
/* clock_mono_us - monotonic microseconds (arbitrary origin). */
uint64_t clock_mono_us(void);
/* clock_wall_ms - wall-clock milliseconds since the Unix epoch. */
int64_t clock_wall_ms(void);
/* clock_wall_us - wall-clock microseconds since the Unix epoch. */
int64_t clock_wall_us(void);
/* clock_wall_time - wall-clock seconds since the epoch, as time(NULL). */
time_t clock_wall_time(void);

/*
 * clock_wall_text - the wall time ms (since the epoch) as RFC 3339 UTC
 * with milliseconds, "2023-11-14T22:13:20.042Z", into out[0..n).
 */
void clock_wall_text(int64_t ms, char *out, size_t n);

/*
 * clock_wall_until_ms - milliseconds from now until the stored wall time
 * at_ms, for arming a (monotonic) timer: 0 if it has passed. The timer
 * then runs on the monotonic clock: a later step of the wall clock does
 * not move it, so whoever arms it re-checks the stored time when it fires.
 */
uint64_t clock_wall_until_ms(int64_t at_ms);

/*
 * clock_deadline_after - the real CLOCK_MONOTONIC time us from now, for
 * pthread_cond_timedwait() on a condition variable whose clock is
 * CLOCK_MONOTONIC (see clock_cond_init()). Not affected by the seam: the
 * kernel compares it.
 */
void clock_deadline_after(struct timespec *out, uint64_t us);

/*
 * clock_cond_init - initialise cond to time out on CLOCK_MONOTONIC (for
 * deadlines from clock_deadline_after()). Returns 0 or an errno value.
 */
int clock_cond_init(pthread_cond_t *cond);

/*
 * clock_source_set - use src for both clocks from now on (copied); NULL
 * goes back to the real clocks. For tests; call while no other thread
 * reads the clock.
 */
void clock_source_set(const struct clock_source *src);

#endif
