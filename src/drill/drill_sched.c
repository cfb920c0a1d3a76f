/*
 * drill_sched.c - weekly schedules of drills. See drill_sched.h.
 */
#include "drill/drill_sched.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const drill_sched_days[7] = {"sun", "mon", "tue", "wed",
                                                "thu", "fri", "sat"};

#define DAY_MS 86400000LL
#define MIN_MS 60000LL

/* drill_sched_day - the weekday of the 3 letters at s, or -1. */
static int
drill_sched_day(const char *s, size_t n)
{
	int d;

	if (n != 3)
		return -1;
	for (d = 0; d < 7; d++)
		if (strncasecmp(s, drill_sched_days[d], 3) == 0)
			return d;
	return -1;
}

/* drill_sched_hhmm - "HH:MM" (exactly) into minutes, or -1. */
static int
drill_sched_hhmm(const char *s, int max_h)
{
	int h, m;

	if (strlen(s) != 5 || !isdigit((unsigned char)s[0]) ||
	    !isdigit((unsigned char)s[1]) || s[2] != ':' ||
	    !isdigit((unsigned char)s[3]) || !isdigit((unsigned char)s[4]))
		return -1;
	h = (s[0] - '0') * 10 + (s[1] - '0');
	m = (s[3] - '0') * 10 + (s[4] - '0');
	if (h > max_h || m > 59)
		return -1;
	return h * 60 + m;
}

int
drill_sched_parse(const char *schedule, const char *timezone,
                  struct drill_sched *out, char *err, size_t errlen)
{
	const char *sp, *p;
	int t;

	memset(out, 0, sizeof(*out));
	if (schedule == NULL || *schedule == '\0') {
		snprintf(err, errlen, "empty schedule");
		return -1;
	}
	sp = strchr(schedule, ' ');
	if (sp == NULL) {
		out->days = 0x7f;
		sp = schedule - 1;
	} else if ((size_t)(sp - schedule) == 5 &&
	           strncasecmp(schedule, "daily", 5) == 0) {
		out->days = 0x7f;
	} else {
		for (p = schedule; p < sp;) {
			size_t n = strcspn(p, ",");
			int d;
			if (p + n > sp)
				n = (size_t)(sp - p);
			d = drill_sched_day(p, n);
			if (d < 0) {
				snprintf(
				    err, errlen,
				    "schedule \"%.40s\": expected day names "
				    "(Mon,Thu) or daily before the time",
				    schedule);
				return -1;
			}
			out->days |= 1u << d;
			p += n;
			if (p < sp && *p == ',')
				p++;
		}
	}
	if (out->days == 0) {
		snprintf(err, errlen,
		         "schedule \"%.40s\": expected day names (Mon,Thu) or "
		         "daily before the time",
		         schedule);
		return -1;
	}
	t = drill_sched_hhmm(sp + 1, 23);
	if (t < 0) {
		snprintf(err, errlen,
		         "schedule \"%.40s\": expected a time HH:MM (00:00 to "
		         "23:59)",
		         schedule);
		return -1;
	}
	out->minute = t;
	if (timezone == NULL || strcmp(timezone, "UTC") == 0 ||
	    strcmp(timezone, "Z") == 0)
		return 0;
	if ((timezone[0] == '+' || timezone[0] == '-') &&
	    (t = drill_sched_hhmm(timezone + 1, 14)) >= 0) {
		out->offset_minutes = timezone[0] == '-' ? -t : t;
		return 0;
	}
	snprintf(err, errlen,
	         "timezone \"%.40s\": expected UTC or a fixed offset "
	         "(+02:00, -05:30)",
	         timezone);
	return -1;
}

/* drill_sched_floor_div - floor(a / b) for b > 0. */
static int64_t
drill_sched_floor_div(int64_t a, int64_t b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

int64_t
drill_sched_next(const struct drill_sched *s, int64_t now_ms)
{
	int64_t off = (int64_t)s->offset_minutes * MIN_MS;
	int64_t local = now_ms + off;
	int64_t day = drill_sched_floor_div(local, DAY_MS);
	int i;

	if (s->days == 0)
		return INT64_MAX;
	/* Today (if the time is still ahead), then the next seven days. */
	for (i = 0; i <= 7; i++) {
		int64_t d = day + i;
		/* 1970-01-01 was a Thursday (weekday 4). */
		int wd = (int)(((d % 7) + 7 + 4) % 7);
		int64_t at = d * DAY_MS + (int64_t)s->minute * MIN_MS - off;
		if ((s->days & (1u << wd)) != 0 && at > now_ms)
			return at;
	}
	return INT64_MAX;
}
