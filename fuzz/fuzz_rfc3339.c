/*
 * fuzz_rfc3339.c - libFuzzer target for RFC 3339 date-times.
 *
 * Invariants checked: an accepted input gives a time within the years
 * it allows (the epoch to 9999, a day of offset beyond); that time,
 * written back as UTC with gmtime_r, is accepted and gives the same
 * time; and parsing never reads past the input (ASan).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/rfc3339.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fuzz_check - abort unless ok (libFuzzer reports the crash). */
static void
fuzz_check(int ok)
{
	if (!ok)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size ? size : 1), text[64];
	int64_t t, back;
	time_t tt;
	struct tm tm;

	if (size > 0)
		memcpy(in, data, size);
	if (rfc3339_parse(in, size, &t) == 0) {
		fuzz_check(t >= 0 && t <= 253402300799LL + 86400);
		tt = (time_t)t;
		if (t >= 0 && gmtime_r(&tt, &tm) != NULL &&
		    tm.tm_year + 1900 <= 9999) {
			snprintf(text, sizeof(text),
			         "%04d-%02d-%02dT%02d:%02d:%02dZ",
			         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			         tm.tm_hour, tm.tm_min, tm.tm_sec);
			fuzz_check(rfc3339_parse(text, strlen(text), &back) ==
			               0 &&
			           back == t);
		}
	}
	free(in);
	return 0;
}
