/*
 * clock.c - the monotonic and the wall clock, and their test seam.
 *
 * The only file that reads CLOCK_REALTIME. Everything else asks here, so
 * a test that installs a clock_source drives every timer, breaker and
 * timestamp of the code under test.
 */
#include "core/clock.h"

#include <stdio.h>
#include <time.h>

static struct clock_source clock_src;

/* clock_real_mono_us - CLOCK_MONOTONIC in microseconds. */
static uint64_t
clock_real_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* clock_real_wall_us - CLOCK_REALTIME in microseconds. */
static int64_t
clock_real_wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

uint64_t
clock_mono_us(void)
{
	if (clock_src.mono_us != NULL)
		return clock_src.mono_us(clock_src.arg);
	return clock_real_mono_us();
}

uint64_t
clock_mono_ms(void)
{
	return clock_mono_us() / 1000;
}

int64_t
clock_wall_us(void)
{
	if (clock_src.wall_us != NULL)
		return clock_src.wall_us(clock_src.arg);
	return clock_real_wall_us();
}

int64_t
clock_wall_ms(void)
{
	int64_t us = clock_wall_us();

	/* Floor, also before 1970 (a test clock may go there). */
	return us >= 0 ? us / 1000 : -((-us + 999) / 1000);
}

time_t
clock_wall_time(void)
{
	return (time_t)(clock_wall_ms() / 1000 -
	                (clock_wall_ms() % 1000 < 0 ? 1 : 0));
}

uint64_t
clock_wall_until_ms(int64_t at_ms)
{
	int64_t now = clock_wall_ms();

	return at_ms > now ? (uint64_t)(at_ms - now) : 0;
}

void
clock_deadline_after(struct timespec *out, uint64_t us)
{
	clock_gettime(CLOCK_MONOTONIC, out);
	out->tv_sec += (time_t)(us / 1000000);
	out->tv_nsec += (long)(us % 1000000) * 1000;
	if (out->tv_nsec >= 1000000000L) {
		out->tv_sec++;
		out->tv_nsec -= 1000000000L;
	}
}

int
clock_cond_init(pthread_cond_t *cond)
{
	pthread_condattr_t attr;
	int rc;

	rc = pthread_condattr_init(&attr);
	if (rc != 0)
		return rc;
	rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (rc == 0)
		rc = pthread_cond_init(cond, &attr);
	pthread_condattr_destroy(&attr);
	return rc;
}

void
clock_source_set(const struct clock_source *src)
{
	if (src == NULL)
		clock_src = (struct clock_source){0};
	else
		clock_src = *src;
}

void
clock_wall_text(int64_t ms, char *out, size_t n)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char day[32];

	gmtime_r(&t, &tm);
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, n, "%s.%03dZ", day, (int)(ms % 1000));
}
