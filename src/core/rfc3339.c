/*
 * rfc3339.c - RFC 3339 date-times to unix seconds (see rfc3339.h).
 *
 * Read field by field with fixed widths; the calendar arithmetic is the
 * days-from-civil formula, so neither the locale nor TZ matters.
 */
#include "core/rfc3339.h"

#include <stdbool.h>

/* rfc3339_num - n digits at *p (advanced) as a number, or -1. */
static int
rfc3339_num(const char **p, const char *end, int n)
{
	int v = 0;

	if (end - *p < n)
		return -1;
	for (int i = 0; i < n; i++) {
		char c = (*p)[i];

		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	*p += n;
	return v;
}

/* rfc3339_sep - the character c at *p (advanced), or false. */
static bool
rfc3339_sep(const char **p, const char *end, const char *any)
{
	if (*p >= end)
		return false;
	for (; *any != '\0'; any++)
		if (**p == *any) {
			(*p)++;
			return true;
		}
	return false;
}

/* rfc3339_mdays - days in month m (1..12) of year y. */
static int
rfc3339_mdays(int y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30,
	                           31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

/* rfc3339_days - days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t
rfc3339_days(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = y / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int
rfc3339_parse(const char *s, size_t len, int64_t *out)
{
	const char *p = s, *end = s + len;
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	int64_t t;

	y = rfc3339_num(&p, end, 4);
	if (y < 1970 || !rfc3339_sep(&p, end, "-") ||
	    (mo = rfc3339_num(&p, end, 2)) < 1 || mo > 12 ||
	    !rfc3339_sep(&p, end, "-") || (d = rfc3339_num(&p, end, 2)) < 1 ||
	    d > rfc3339_mdays(y, mo) || !rfc3339_sep(&p, end, "Tt ") ||
	    (h = rfc3339_num(&p, end, 2)) < 0 || h > 23 ||
	    !rfc3339_sep(&p, end, ":") || (mi = rfc3339_num(&p, end, 2)) < 0 ||
	    mi > 59 || !rfc3339_sep(&p, end, ":") ||
	    (sec = rfc3339_num(&p, end, 2)) < 0 || sec > 60)
		return -1;
	if (rfc3339_sep(&p, end, ".")) {
		const char *f = p;

		while (p < end && *p >= '0' && *p <= '9')
			p++;
		if (p == f)
			return -1;
	}
	if (rfc3339_sep(&p, end, "Zz"))
		sign = 0;
	else if (rfc3339_sep(&p, end, "+"))
		sign = 1;
	else if (rfc3339_sep(&p, end, "-"))
		sign = -1;
	else
		return -1;
	if (sign != 0 && ((oh = rfc3339_num(&p, end, 2)) < 0 || oh > 23 ||
	                  !rfc3339_sep(&p, end, ":") ||
	                  (om = rfc3339_num(&p, end, 2)) < 0 || om > 59))
		return -1;
	if (p != end)
		return -1;
	t = rfc3339_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
	    sign * (oh * 3600 + om * 60);
	if (t < 0)
		return -1;
	*out = t;
	return 0;
}
