/*
 * fuzz_rate.c - the rate-string parser against arbitrary bytes.
 *
 * The input (up to its first NUL) is parsed as a rate. A refusal must
 * leave the output zeroed and come with words; an acceptance must be a
 * string of the documented shape whose count strtod() reads the same, and
 * a positive, finite per-second figure. The accepted rate then drives a
 * token bucket: an emptied bucket must say how long until its next token,
 * and that token must be there then and not a millisecond before.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "route/ratelimit.h"

/* fuzz_shape - digits, optional ".digits", '/', one unit letter, end. */
static void
fuzz_shape(const char *s, const struct rate *r)
{
	const char *slash = strchr(s, '/');
	double want;
	size_t i, n;

	if (slash == NULL || slash == s)
		abort();
	n = (size_t)(slash - s);
	for (i = 0; i < n; i++)
		if ((s[i] < '0' || s[i] > '9') && s[i] != '.')
			abort();
	if (strchr("smhd", slash[1]) == NULL || slash[1] == '\0' ||
	    slash[2] != '\0')
		abort();
	want = strtod(s, NULL);
	if (fabs(want - r->count) > want * 1e-12)
		abort();
}

/* fuzz_bucket - an empty bucket at r's rate refills when it says. */
static void
fuzz_bucket(const struct rate *r)
{
	struct tbucket tb, probe;
	uint64_t now = 1000, w;

	tbucket_init(&tb, r->per_sec, 0, now);
	if (!(tb.burst >= 1) || !(tbucket_tokens(&tb, now) >= 1))
		abort();
	if (!tbucket_take(&tb, now))
		abort();
	tb.tokens = 0;
	w = tbucket_wait_ms(&tb, now);
	if (w == 0 || w == UINT64_MAX)
		abort();
	probe = tb;
	if (tbucket_take(&probe, now + w - 1))
		abort();
	if (!tbucket_take(&tb, now + w))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct rate r;
	int rc;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	rc = rate_parse(s, &r);
	if (rate_strerror(rc) == NULL || rate_strerror(rc)[0] == '\0')
		abort();
	if (rc != RATE_OK) {
		if (rc > 0 || rc < RATE_ERR_TRAILING || r.count != 0 ||
		    r.per_sec != 0 || r.period_ms != 0)
			abort();
		free(s);
		return 0;
	}
	if (!(r.count > 0) || r.count > RATE_COUNT_MAX || !(r.per_sec > 0) ||
	    !isfinite(r.per_sec))
		abort();
	if (r.period_ms != 1000 && r.period_ms != 60000 &&
	    r.period_ms != 3600000 && r.period_ms != 86400000)
		abort();
	if (r.per_sec != r.count * 1000.0 / (double)r.period_ms)
		abort();
	fuzz_shape(s, &r);
	fuzz_bucket(&r);
	free(s);
	return 0;
}
