/*
 * status_text.c - cleaning, escaping and dates for the status page.
 *
 * Everything an incident's title or update says may have been typed by
 * anyone with an admin key, or copied from a provider's error: it is
 * cleaned once (status_text_clean, when the model takes it) and escaped
 * at every output (status_text_esc). Dates are computed from the epoch
 * with civil-from-days arithmetic: no gmtime_r, no TZ.
 */
#include "status/status_text.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"

/* status_text_utf8_len - length of a valid, shortest-form, non-surrogate
 * UTF-8 sequence at s (n bytes left), or 0. */
static size_t
status_text_utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	/* C1 controls (U+0080..U+009F) are not text either. */
	if (cp >= 0x80 && cp <= 0x9f)
		return 0;
	return len;
}

char *
status_text_clean(const char *s)
{
	static const char repl[] = "\xef\xbf\xbd";
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
	size_t n = strlen((const char *)p), i = 0;
	struct buf b;

	buf_init(&b);
	while (i < n) {
		size_t len;
		if (p[i] == '\r') {
			buf_addch(&b, '\n');
			i += (i + 1 < n && p[i + 1] == '\n') ? 2 : 1;
			continue;
		}
		if ((p[i] < 0x20 && p[i] != '\t' && p[i] != '\n') ||
		    p[i] == 0x7f) {
			buf_add(&b, repl, 3);
			i++;
			continue;
		}
		len = status_text_utf8_len(p + i, n - i);
		if (len == 0) {
			buf_add(&b, repl, 3);
			i++;
			continue;
		}
		buf_add(&b, p + i, len);
		i += len;
	}
	buf_cstr(&b);
	return buf_steal(&b, NULL);
}

void
status_text_esc(struct buf *b, const char *s)
{
	const char *run = s;

	for (; *s != '\0'; s++) {
		const char *rep;
		switch (*s) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		default:
			continue;
		}
		buf_add(b, run, (size_t)(s - run));
		buf_addstr(b, rep);
		run = s + 1;
	}
	buf_add(b, run, (size_t)(s - run));
}

/* A broken-down UTC time. */
struct status_tm {
	int64_t year;
	int mon, mday, hour, min, sec, msec, wday; /* mon 1..12, wday 0=Sun */
};

/* status_text_split - ms since the epoch to UTC fields (Howard
 * Hinnant's civil_from_days). */
static void
status_text_split(int64_t ms, struct status_tm *t)
{
	int64_t days, secs, z, era, doe, yoe, doy, mp;

	days = ms >= 0 ? ms / 86400000 : -((-ms - 1) / 86400000) - 1;
	secs = (ms - days * 86400000) / 1000;
	t->msec = (int)((ms - days * 86400000) % 1000);
	t->hour = (int)(secs / 3600);
	t->min = (int)(secs / 60 % 60);
	t->sec = (int)(secs % 60);
	t->wday = (int)(((days % 7) + 11) % 7); /* 1970-01-01 was Thursday */
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	t->mday = (int)(doy - (153 * mp + 2) / 5 + 1);
	t->mon = (int)(mp < 10 ? mp + 3 : mp - 9);
	t->year = yoe + era * 400 + (t->mon <= 2);
}

static const char *const status_text_months[] = {"Jan", "Feb", "Mar", "Apr",
                                                 "May", "Jun", "Jul", "Aug",
                                                 "Sep", "Oct", "Nov", "Dec"};
static const char *const status_text_wdays[] = {"Sun", "Mon", "Tue", "Wed",
                                                "Thu", "Fri", "Sat"};

void
status_text_rfc3339(char *out, int64_t ms)
{
	struct status_tm t;

	status_text_split(ms, &t);
	snprintf(out, STATUS_TEXT_DATE_SIZE,
	         "%04lld-%02d-%02dT%02d:%02d:%02d.%03dZ", (long long)t.year,
	         t.mon, t.mday, t.hour, t.min, t.sec, t.msec);
}

void
status_text_rfc822(char *out, int64_t ms)
{
	struct status_tm t;

	status_text_split(ms, &t);
	snprintf(out, STATUS_TEXT_DATE_SIZE,
	         "%s, %02d %s %04lld %02d:%02d:%02d +0000",
	         status_text_wdays[t.wday], t.mday,
	         status_text_months[t.mon - 1], (long long)t.year, t.hour,
	         t.min, t.sec);
}

void
status_text_human(char *out, int64_t ms)
{
	struct status_tm t;

	status_text_split(ms, &t);
	snprintf(out, STATUS_TEXT_DATE_SIZE, "%d %s %04lld, %02d:%02d UTC",
	         t.mday, status_text_months[t.mon - 1], (long long)t.year,
	         t.hour, t.min);
}

void
status_text_day(char *out, int64_t ms)
{
	struct status_tm t;

	status_text_split(ms, &t);
	snprintf(out, STATUS_TEXT_DATE_SIZE, "%04lld-%02d-%02d",
	         (long long)t.year, t.mon, t.mday);
}
