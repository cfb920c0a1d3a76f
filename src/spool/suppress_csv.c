/*
 * suppress_csv.c - the suppression list's CSV form (suppress_csv.h).
 *
 * The parser walks the buffer once, splitting each line into at most
 * five fields with RFC 4180 quoting; a field's text is copied into a
 * fixed array (longer is malformed), so nothing points into the input
 * after the call.
 */
#include "spool/suppress_csv.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/rfc3339.h"
#include "core/xmalloc.h"

#define CSV_FIELDS 5
#define CSV_FIELD_MAX SUPPRESS_TEXT_MAX

/* One line's fields. */
struct csv_line {
	char f[CSV_FIELDS][CSV_FIELD_MAX];
	size_t n;
};

/*
 * csv_split - the line starting at buf[*off] into l; *off moves past
 * its end. 0, or -1 with why (the rest of the line is skipped).
 */
static int
csv_split(const char *buf, size_t len, size_t *off, struct csv_line *l,
          const char **why)
{
	size_t i = *off, k = 0;
	bool quoted = false, was_quoted = false;
	int rc = 0;

	l->n = 1;
	l->f[0][0] = '\0';
	while (i < len) {
		char c = buf[i];
		if (quoted) {
			if (c == '"' && i + 1 < len && buf[i + 1] == '"') {
				c = '"';
				i++;
			} else if (c == '"') {
				quoted = false;
				i++;
				continue;
			}
		} else if (c == '\n' ||
		           (c == '\r' && i + 1 < len && buf[i + 1] == '\n')) {
			break;
		} else if (c == ',') {
			if (l->n == CSV_FIELDS) {
				*why = "more than 5 fields", rc = -1;
				quoted = false;
				i++;
				continue;
			}
			l->f[l->n - 1][k] = '\0';
			l->n++;
			k = 0;
			l->f[l->n - 1][0] = '\0';
			was_quoted = false;
			i++;
			continue;
		} else if (c == '"' && k == 0 && !was_quoted) {
			quoted = was_quoted = true;
			i++;
			continue;
		} else if (c == '"') {
			*why = "a quote inside an unquoted field", rc = -1;
		}
		if (c == '\0' || (c == '\r' && !quoted)) {
			*why = "a NUL or a bare CR", rc = -1;
		} else if (rc == 0 && k + 1 >= CSV_FIELD_MAX) {
			*why = "a field longer than 511 octets", rc = -1;
		} else if (rc == 0) {
			l->f[l->n - 1][k++] = c;
		}
		i++;
	}
	if (rc == 0 && quoted)
		*why = "an unterminated quote", rc = -1;
	if (rc == 0)
		l->f[l->n - 1][k] = '\0';
	/* Past the line end (LF or CRLF). */
	if (i < len && buf[i] == '\r')
		i++;
	if (i < len && buf[i] == '\n')
		i++;
	*off = i;
	return rc;
}

/* csv_time - an RFC 3339 field in ms, 0 when empty. 0 or -1. */
static int
csv_time(const char *s, int64_t *ms)
{
	int64_t sec;

	*ms = 0;
	if (s[0] == '\0')
		return 0;
	if (rfc3339_parse(s, strlen(s), &sec) != 0 || sec > INT64_MAX / 1000)
		return -1;
	*ms = sec * 1000;
	return 0;
}

/* csv_entry - l as an entry. 0, or -1 with why naming the field. */
static int
csv_entry(const struct csv_line *l, int64_t now_ms, struct suppress_entry *e,
          char *why, size_t n)
{
	const char *f;
	int r;

	memset(e, 0, sizeof(*e));
	f = l->f[0];
	if (suppress_addr_store(f, e->address, sizeof(e->address)) < 0)
		return snprintf(why, n, "address: expected local@domain"), -1;
	f = l->n > 1 ? l->f[1] : "";
	r = f[0] == '\0' ? SUPPRESS_IMPORT : suppress_reason_parse(f);
	if (r < 0)
		return snprintf(why, n, "reason: unknown '%.40s'", f), -1;
	e->reason = (enum suppress_reason)r;
	if (csv_time(l->n > 2 ? l->f[2] : "", &e->created_ms) < 0)
		return snprintf(why, n,
		                "created: expected an RFC 3339 "
		                "date-time"),
		       -1;
	if (e->created_ms == 0)
		e->created_ms = now_ms;
	if (csv_time(l->n > 3 ? l->f[3] : "", &e->expires_ms) < 0)
		return snprintf(why, n,
		                "expires: expected an RFC 3339 "
		                "date-time"),
		       -1;
	if (e->expires_ms != 0 && e->expires_ms <= e->created_ms)
		return snprintf(why, n, "expires: not after created"), -1;
	if (l->n > 4 && strlen(l->f[4]) >= sizeof(e->provider))
		return snprintf(why, n, "provider: longer than %zu octets",
		                sizeof(e->provider) - 1),
		       -1;
	memcpy(e->provider, l->n > 4 ? l->f[4] : "",
	       l->n > 4 ? strlen(l->f[4]) + 1 : 1);
	return 0;
}

/* csv_blank - a line with one empty field (skipped). */
static bool
csv_blank(const struct csv_line *l)
{
	return l->n == 1 && l->f[0][0] == '\0';
}

int
suppress_csv_parse(const char *buf, size_t len, int64_t now_ms,
                   struct suppress_entry **out, size_t *n, char *err,
                   size_t errlen)
{
	struct csv_line *l = xmalloc(sizeof(*l));
	struct suppress_entry *v = NULL;
	size_t off = 0, cap = 0, cnt = 0, line = 0, bad = 0, used = 0;
	const char *why = NULL;
	char text[96];

	*out = NULL;
	*n = 0;
	if (errlen > 0)
		err[0] = '\0';
	while (off < len) {
		line++;
		if (csv_split(buf, len, &off, l, &why) == 0) {
			if (csv_blank(l) ||
			    (line == 1 && strcmp(l->f[0], "address") == 0))
				continue;
			if (cnt == cap) {
				cap = cap != 0 ? cap * 2 : 64;
				v = xreallocarray(v, cap, sizeof(*v));
			}
			if (csv_entry(l, now_ms, &v[cnt], text, sizeof(text)) ==
			    0) {
				cnt++;
				continue;
			}
		} else
			snprintf(text, sizeof(text), "%s", why);
		if (bad++ < SUPPRESS_CSV_ERRORS_MAX && used < errlen)
			used += (size_t)snprintf(
			    err + used, errlen - used, "%sline %zu: %s",
			    bad > 1 ? "; " : "", line, text);
	}
	free(l);
	if (bad > 0) {
		if (bad > SUPPRESS_CSV_ERRORS_MAX && used < errlen)
			snprintf(err + used, errlen - used, "; %zu more",
			         bad - SUPPRESS_CSV_ERRORS_MAX);
		free(v);
		return -1;
	}
	*out = v;
	*n = cnt;
	return 0;
}

void
suppress_csv_header(struct buf *b)
{
	buf_addstr(b, "address,reason,created,expires,provider\n");
}

/* csv_field - s, quoted when it holds a comma, a quote or a line end. */
static void
csv_field(struct buf *b, const char *s)
{
	if (strpbrk(s, ",\"\r\n") == NULL) {
		buf_addstr(b, s);
		return;
	}
	buf_addch(b, '"');
	for (; *s != '\0'; s++) {
		if (*s == '"')
			buf_addch(b, '"');
		buf_addch(b, *s);
	}
	buf_addch(b, '"');
}

/* csv_when - ms as RFC 3339 UTC, "" for 0. */
static void
csv_when(struct buf *b, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char s[32];

	if (ms <= 0 || gmtime_r(&t, &tm) == NULL)
		return;
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm);
	buf_addstr(b, s);
}

void
suppress_csv_row(struct buf *b, const struct suppress_entry *e)
{
	csv_field(b, e->address);
	buf_addch(b, ',');
	buf_addstr(b, suppress_reason_name(e->reason));
	buf_addch(b, ',');
	csv_when(b, e->created_ms);
	buf_addch(b, ',');
	csv_when(b, e->expires_ms);
	buf_addch(b, ',');
	csv_field(b, e->provider);
	buf_addch(b, '\n');
}
