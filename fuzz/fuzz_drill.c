/*
 * fuzz_drill.c - libFuzzer target for the drills' parsers: faults
 * (drill/drill_fault.h) and schedules (drill/drill_sched.h).
 *
 * The input is split at its first newline: the first line is read as a
 * fault and as a schedule, the rest as a timezone. Invariants checked: a
 * fault that parses is written back as text that parses to the same
 * fault, and its simulated answer is never accepted, rejected or
 * unknown; a schedule that parses fires strictly after "now", on a whole
 * minute, within eight days, and the next fire after that one is later
 * still.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "drill/drill_fault.h"
#include "drill/drill_sched.h"

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
	static const char *const types[] = {"smtp",    "ses",      "sendgrid",
	                                    "mailgun", "postmark", "resend"};
	char *s, *tz, err[300], text[DRILL_FAULT_TEXT_SIZE];
	struct drill_fault f, g;
	struct drill_sched sc;
	int64_t now = 1796600000000LL, next;
	size_t i;

	if (size > 512)
		return 0;
	s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	tz = strchr(s, '\n');
	if (tz != NULL)
		*tz++ = '\0';
	if (drill_fault_parse(s, &f, err, sizeof(err)) == 0) {
		drill_fault_text(&f, text, sizeof(text));
		fuzz_check(drill_fault_parse(text, &g, err, sizeof(err)) == 0);
		fuzz_check(g.kind == f.kind && g.param_ms == f.param_ms);
		for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
			struct send_result r;
			uint64_t after;
			memset(&r, 0, sizeof(r));
			drill_fault_answer(&f, types[i], "dr-f", 1000, &r,
			                   &after);
			fuzz_check(r.class == SEND_DEFERRED ||
			           r.class == SEND_THROTTLED ||
			           r.class == SEND_CONFIG);
		}
	}
	if (drill_sched_parse(s, tz, &sc, err, sizeof(err)) == 0) {
		next = drill_sched_next(&sc, now);
		fuzz_check(next > now && next % 60000 == 0);
		fuzz_check(next - now <= 8LL * 86400000);
		fuzz_check(drill_sched_next(&sc, next) > next);
	}
	free(s);
	return 0;
}
