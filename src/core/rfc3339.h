/*
 * rfc3339.h - RFC 3339 date-times to unix seconds (contract).
 *
 * "2030-01-02T03:04:05Z", "2030-01-02T03:04:05.250+02:00": the full
 * date-time of RFC 3339 section 5.6 (T or a space between date and
 * time, either case; a fraction of a second is allowed and dropped; Z
 * or a numeric offset is required). Pure; no locale, no time zone
 * database.
 */
#ifndef SWERVE_CORE_RFC3339_H
#define SWERVE_CORE_RFC3339_H

#include <stddef.h>
#include <stdint.h>

/*
 * rfc3339_parse - s[0..len) as seconds since the epoch into *out.
 * 0, or -1 when it is not such a date-time, names a day that does not
 * exist (2030-02-30) or a year after 9999, or is before the epoch.
 */
int rfc3339_parse(const char *s, size_t len, int64_t *out);

#endif
