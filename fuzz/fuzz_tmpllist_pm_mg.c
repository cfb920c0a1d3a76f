/*
 * fuzz_tmpllist_pm_mg.c - the parsers of Postmark's and Mailgun's own
 * templates (providers/tmpllist.h) against arbitrary bytes from that
 * provider: a refused page returns nothing, results are releasable, ids
 * and names valid template names, a filled version named and a refused
 * one empty.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "providers/tmpllist.h"

/* check_version - what a parse_template result promises. */
static void
check_version(int got, struct tmpl_version *v)
{
	int k;

	if (got == 1 && !tmpl_store_name_ok(v->name))
		abort();
	if (got != 1)
		for (k = 0; k < TMPL_PARTS; k++)
			if (v->part[k] != NULL || v->meta != NULL)
				abort();
	tmpl_version_fini(v);
}

/* names_check_free - every listed id a template name; freed. */
static void
names_check_free(char **ids, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!tmpl_store_name_ok(ids[i]))
			abort();
		free(ids[i]);
	}
	free(ids);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	char **ids = NULL, *next = NULL, err[256];
	struct tmpl_version v;
	long long total = 0;
	size_t n = 0;

	if (tmpllist_postmark_parse_list(s, size, &ids, &n, &total, err,
	                                 sizeof(err)) < 0 &&
	    n != 0)
		abort();
	names_check_free(ids, n);
	check_version(
	    tmpllist_postmark_parse_template(s, size, &v, err, sizeof(err)),
	    &v);
	ids = NULL;
	n = 0;
	if (tmpllist_mailgun_parse_list(s, size, &ids, &n, &next, err,
	                                sizeof(err)) < 0 &&
	    (n != 0 || next != NULL))
		abort();
	names_check_free(ids, n);
	free(next);
	check_version(
	    tmpllist_mailgun_parse_template(s, size, &v, err, sizeof(err)), &v);
	return 0;
}
