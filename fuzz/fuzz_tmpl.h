/*
 * fuzz_tmpl.h - the checks the template fuzz targets make (included by
 * fuzz/fuzz_tmpl_<dialect>.c).
 *
 * The input is a template. It either fails to parse, with a syntax error
 * that has a place (line and column at least 1) and a message, or it
 * renders against fixed data, with itself as the partial "p" (so that
 * recursion through partials is exercised) and small limits: then the
 * render either succeeds within max_output or fails with a message and
 * leaves the output exactly as it was. A second render of the same
 * template gives the same bytes (rendering keeps no state).
 */
#ifndef SWERVE_FUZZ_TMPL_H
#define SWERVE_FUZZ_TMPL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/buf.h"
#include "tmpl/tmpl.h"

/* The fuzzed bytes, as the partial "p". */
struct fuzz_tmpl_src {
	const char *p;
	size_t len;
};

/* fuzz_tmpl_check - abort unless ok (libFuzzer reports the crash). */
static void
fuzz_tmpl_check(int ok)
{
	if (!ok)
		abort();
}

/* fuzz_tmpl_partial - "p" is the input itself; "q" a fixed partial. */
static int
fuzz_tmpl_partial(void *arg, const char *name, const char **src, size_t *len)
{
	const struct fuzz_tmpl_src *s = arg;

	if (strcmp(name, "p") == 0) {
		*src = s->p;
		*len = s->len;
		return 0;
	}
	if (strcmp(name, "q") == 0) {
		*src = "[{{a}}|{{#l}}{{.}}{{/l}}]\n";
		*len = strlen(*src);
		return 0;
	}
	return -1;
}

static const char fuzz_tmpl_data[] =
    "{\"a\":\"<x>\",\"b\":true,\"n\":1.5,\"z\":null,\"e\":\"\","
    "\"l\":[1,\"two\",{\"a\":3}],\"o\":{\"a\":\"oa\",\"o\":{\"a\":4}},"
    "\"t\":\"2020-01-01T23:00:00.000Z\",\"f\":\"MMMM DD, YYYY h:mm A\"}";

/* fuzz_tmpl_run - the whole check for one input in dialect d. */
static int
fuzz_tmpl_run(enum tmpl_dialect d, const uint8_t *data, size_t size)
{
	struct fuzz_tmpl_src s = {(const char *)data, size};
	struct tmpl_limits lim = {8, 1 << 16, 20000, 4};
	struct tmpl_render_opts o = {0};
	struct tmpl_error err;
	struct tmpl *t;
	struct buf a, b;
	json_t *j;
	int rc, rc2;

	t = tmpl_parse(d, (const char *)data, size, &err);
	if (t == NULL) {
		fuzz_tmpl_check(err.code == TMPL_ERR_SYNTAX && err.line >= 1 &&
		                err.col >= 1 && err.msg[0] != '\0');
		return 0;
	}
	j = json_loads(fuzz_tmpl_data, 0, NULL);
	fuzz_tmpl_check(j != NULL);
	o.limits = &lim;
	o.partial = fuzz_tmpl_partial;
	o.partial_arg = &s;
	o.escape =
	    size > 0 ? (enum tmpl_escape)(data[0] % 3) : TMPL_ESCAPE_HTML;
	buf_init(&a);
	buf_init(&b);
	buf_addstr(&a, "pre");
	rc = tmpl_render(t, j, &o, &a, &err);
	if (rc != 0)
		fuzz_tmpl_check(a.len == 3 && err.msg[0] != '\0' &&
		                err.code == rc);
	else
		fuzz_tmpl_check(a.len - 3 <= lim.max_output);
	rc2 = tmpl_render(t, j, &o, &b, &err);
	fuzz_tmpl_check(rc2 == rc);
	if (rc == 0)
		fuzz_tmpl_check(b.len == a.len - 3 &&
		                memcmp(a.p + 3, b.p ? b.p : "", b.len) == 0);
	buf_fini(&a);
	buf_fini(&b);
	json_decref(j);
	tmpl_free(t);
	return 0;
}

#endif
