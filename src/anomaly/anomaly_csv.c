/*
 * anomaly_csv.c - "timestamp,value" lines into samples.
 */
#include "anomaly/anomaly_csv.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rfc3339.h"
#include "core/xmalloc.h"

/* csv_time - a timestamp field into ms since the epoch; 0 or -1. */
static int
csv_time(const char *s, size_t len, int64_t *ms)
{
	char z[48];
	int64_t sec, v = 0;
	size_t i;

	if (len == 0)
		return -1;
	for (i = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++)
		;
	if (i == len) {
		if (len > 15)
			return -1;
		for (i = 0; i < len; i++)
			v = v * 10 + (s[i] - '0');
		*ms = len >= 12 ? v : v * 1000;
		return 0;
	}
	if (rfc3339_parse(s, len, &sec) == 0) {
		*ms = sec * 1000;
		return 0;
	}
	if (len + 2 > sizeof(z))
		return -1;
	memcpy(z, s, len);
	z[len] = 'Z'; /* no zone: UTC */
	if (rfc3339_parse(z, len + 1, &sec) != 0)
		return -1;
	*ms = sec * 1000;
	return 0;
}

/* csv_value - a number field; 0 or -1. */
static int
csv_value(const char *s, size_t len, double *out)
{
	char num[64], *end;

	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	while (len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	if (len == 0 || len >= sizeof(num))
		return -1;
	memcpy(num, s, len);
	num[len] = '\0';
	errno = 0;
	*out = strtod(num, &end);
	if (end != num + len || errno == ERANGE || !isfinite(*out))
		return -1;
	return 0;
}

int
anomaly_csv_parse(const char *buf, size_t len, struct anomaly_sample **out,
                  size_t *n, char *err, size_t errlen)
{
	struct anomaly_sample *v = NULL;
	size_t cap = 0, k = 0, pos = 0, line = 0;

	*out = NULL;
	*n = 0;
	while (pos < len) {
		const char *p = buf + pos, *nl, *comma;
		size_t l, rest = len - pos;
		struct anomaly_sample s;

		nl = memchr(p, '\n', rest);
		l = nl ? (size_t)(nl - p) : rest;
		pos += nl ? l + 1 : l;
		line++;
		if (l > 0 && p[l - 1] == '\r')
			l--;
		if (l == 0)
			continue;
		comma = memchr(p, ',', l);
		if (comma == NULL ||
		    csv_time(p, (size_t)(comma - p), &s.t_ms) != 0 ||
		    csv_value(comma + 1, l - (size_t)(comma - p) - 1,
		              &s.value) != 0) {
			if (k == 0 && line == 1)
				continue; /* a header */
			snprintf(err, errlen,
			         "line %zu: expected \"timestamp,value\"",
			         line);
			goto fail;
		}
		if (k == ANOMALY_CSV_MAX) {
			snprintf(err, errlen, "more than %d samples",
			         ANOMALY_CSV_MAX);
			goto fail;
		}
		if (k == cap) {
			cap = cap ? cap * 2 : 1024;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		v[k++] = s;
	}
	if (k == 0) {
		snprintf(err, errlen, "no samples");
		goto fail;
	}
	*out = v;
	*n = k;
	return 0;
fail:
	free(v);
	return -1;
}
