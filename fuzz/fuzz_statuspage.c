/*
 * fuzz_statuspage.c - the Statuspage JSON reader against arbitrary bodies.
 *
 * An input that starts with '#' carries component names on its first line
 * ("#SMTP Relay,API\n"), the rest is the body; otherwise the whole input
 * is the body, read without names. Every parse must end in 0 with a level
 * in range and a printable, terminated description, or in -1 with
 * UNKNOWN, an empty description and a printable, non-empty reason. The
 * body also goes through format detection and statuspage_parse with a
 * JSON Content-Type, which must agree with the direct call.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "route/statuspage.h"

#define FUZZ_NAMES_MAX 8

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
	size_t len = size, n = 0;
	char *line = NULL, *p, *save = NULL;
	const char *names[FUZZ_NAMES_MAX];
	struct status_report r1, r2;
	char err1[256], err2[256];
	int rc1, rc2;

	if (size > 0 && data[0] == '#') {
		const char *nl = memchr(data, '\n', size);
		size_t ll = nl ? (size_t)(nl - body) : size;
		line = strndup(body + 1, ll - 1);
		if (line == NULL)
			return 0;
		for (p = strtok_r(line, ",", &save);
		     p != NULL && n < FUZZ_NAMES_MAX;
		     p = strtok_r(NULL, ",", &save))
			names[n++] = p;
		body = nl ? nl + 1 : body + size;
		len = size - (size_t)(body - (const char *)data);
	}
	rc1 =
	    statuspage_parse_json(body, len, names, n, &r1, err1, sizeof(err1));
	fuzz_check(rc1, &r1, err1, sizeof(err1));
	rc2 = statuspage_parse("application/json", body, len, names, n, &r2,
	                       err2, sizeof(err2));
	fuzz_check(rc2, &r2, err2, sizeof(err2));
	if (rc1 != rc2 || r1.level != r2.level ||
	    strcmp(r1.description, r2.description) != 0)
		abort();
	/* A tiny error buffer must still be terminated. */
	rc2 = statuspage_parse_json(body, len, names, n, &r2, err2, 1);
	if (rc2 != rc1 || err2[0] != '\0')
		abort();
	(void)statuspage_format_detect(NULL, body, len);
	free(line);
	return 0;
}
