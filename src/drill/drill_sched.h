/*
 * drill_sched.h - when a scheduled drill runs (contract).
 *
 * A schedule is days and a time of day, in UTC or at a fixed offset:
 *
 *   "Mon 03:00"        every Monday at 03:00
 *   "Mon,Thu 14:30"    Mondays and Thursdays
 *   "daily 03:00"      every day ("03:00" alone means the same)
 *
 * with timezone "UTC" (the default), "Z", or a fixed offset "+02:00",
 * "-05:30" (the time of day is read in that offset). Day names are
 * English three-letter abbreviations, any case. Pure functions: the time
 * is passed in, so the schedule is tested under any clock.
 */
#ifndef SWERVE_DRILL_DRILL_SCHED_H
#define SWERVE_DRILL_DRILL_SCHED_H

#include <stddef.h>
#include <stdint.h>

struct drill_sched {
	unsigned days;      /* bit d: weekday d (0 Sunday .. 6 Saturday) */
	int minute;         /* minute of the day, 0..1439, local */
	int offset_minutes; /* local = UTC + offset */
};

/*
 * drill_sched_parse - schedule and timezone (NULL: UTC) into out. 0, or
 * -1 with the reason in err.
 */
int drill_sched_parse(const char *schedule, const char *timezone,
                      struct drill_sched *out, char *err, size_t errlen);

/*
 * drill_sched_next - the first time (ms since the epoch) strictly after
 * now_ms at which s fires. Fires fall on whole minutes.
 */
int64_t drill_sched_next(const struct drill_sched *s, int64_t now_ms);

#endif
