/*
 * fuzz_status_export.c - the status page export reader
 * (status/status_export.h) against arbitrary responses.
 *
 * Every parse must end in 0 with one file per entry of the site table,
 * each the table's own entry, in order, with a NUL-terminated body of
 * the length given; or in -1 with no files and a non-empty reason that
 * starts with "export: ".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "status/status_export.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct status_site_file *site;
	struct status_export_file *f = (void *)1;
	char err[256];
	size_t n = 99, n_site, i;
	int rc;

	err[0] = '\0';
	site = status_site_files(&n_site);
	rc = status_export_parse((const char *)data, size, &f, &n, err,
	                         sizeof(err));
	if (rc == 0) {
		if (n != n_site || f == NULL)
			abort();
		for (i = 0; i < n; i++)
			if (f[i].file != &site[i] || f[i].body == NULL ||
			    f[i].body[f[i].len] != '\0')
				abort();
		status_export_free(f, n);
		return 0;
	}
	if (rc != -1 || f != NULL || n != 0 ||
	    strncmp(err, "export: ", 8) != 0 ||
	    memchr(err, '\0', sizeof(err)) == NULL)
		abort();
	return 0;
}
