/*
 * fuzz_statusrss.c - the AWS Health RSS reader (libxml2, DOCTYPE refused)
 * and the RFC 822 date parser against arbitrary bodies.
 *
 * Every parse must end in 0 with a level in range and a printable,
 * terminated description, or in -1 with UNKNOWN, an empty description
 * and a printable, non-empty reason; statuspage_parse with an RSS
 * Content-Type must agree. The input, cut at its first NUL, is also read
 * as a date: a date that parses must be stable (same answer twice).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "route/statuspage.h"

/* fuzz_printable - NUL within size, printable ASCII before it. */
static void
fuzz_printable(const char *s, size_t size, bool nonempty)
{
	const char *end = memchr(s, '\0', size);
	const char *p;

	if (end == NULL || (nonempty && end == s))
		abort();
	for (p = s; p < end; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			abort();
}

/* fuzz_check - the invariants of one parse. */
static void
fuzz_check(int rc, const struct status_report *r, const char *err,
           size_t errlen)
{
	if (rc != 0 && rc != -1)
		abort();
	if ((unsigned)r->level > STATUS_MAINTENANCE)
		abort();
	fuzz_printable(r->description, sizeof(r->description), false);
	if (rc == -1) {
		if (r->level != STATUS_UNKNOWN || r->description[0] != '\0')
			abort();
		fuzz_printable(err, errlen, true);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data;
	struct status_report r1, r2;
	char err1[256], err2[256];
	long long t1, t2;
	char *s;
	int rc1, rc2;

	rc1 = statuspage_parse_rss(body, size, &r1, err1, sizeof(err1));
	fuzz_check(rc1, &r1, err1, sizeof(err1));
	rc2 = statuspage_parse("application/rss+xml", body, size, NULL, 0, &r2,
	                       err2, sizeof(err2));
	fuzz_check(rc2, &r2, err2, sizeof(err2));
	if (rc1 != rc2 || r1.level != r2.level ||
	    strcmp(r1.description, r2.description) != 0)
		abort();
	s = strndup(body, size);
	if (s == NULL)
		return 0;
	if (statuspage_date_parse(s, &t1) == 0 &&
	    (statuspage_date_parse(s, &t2) != 0 || t1 != t2))
		abort();
	free(s);
	return 0;
}
