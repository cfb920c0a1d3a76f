/*
 * fuzz_tmpllist.c - the parsers of a provider's own templates
 * (providers/tmpllist.h) against arbitrary bytes from that provider:
 * results must be releasable, ids valid template names, a filled
 * version named.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "providers/tmpllist.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char **ids = NULL, *next = NULL, err[256];
	struct tmpl_version v;
	size_t n = 0, i;

	if (tmpllist_parse_sendgrid_ids((const char *)data, size, &ids, &n,
	                                &next, err, sizeof(err)) < 0 &&
	    (n != 0 || next != NULL))
		abort();
	for (i = 0; i < n; i++) {
		if (!tmpl_store_name_ok(ids[i]))
			abort();
		free(ids[i]);
	}
	free(ids);
	free(next);
	if (tmpllist_parse_sendgrid_template((const char *)data, size, &v, err,
	                                     sizeof(err)) == 1 &&
	    !tmpl_store_name_ok(v.name))
		abort();
	tmpl_version_fini(&v);
	n = 0;
	ids = NULL;
	if (tmpllist_parse_ses_names((const char *)data, size, &ids, &n, &next,
	                             err, sizeof(err)) < 0 &&
	    (n != 0 || next != NULL))
		abort();
	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	free(next);
	if (tmpllist_parse_ses_template((const char *)data, size, &v, err,
	                                sizeof(err)) == 1 &&
	    !tmpl_store_name_ok(v.name))
		abort();
	tmpl_version_fini(&v);
	return 0;
}
