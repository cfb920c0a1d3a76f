/*
 * status_site.h - the files that make up the public status page
 * (contract).
 *
 * One table: each file's path (relative, as in an export directory and
 * under the page's root URL), its Content-Type and its renderer. The
 * live page (status_http.c) and the static export (swervectl
 * status-page export) both go through status_site_render, so a file
 * served and the same file exported are the same bytes for the same
 * model.
 *
 *   index.html                          status_html.h
 *   api/v2/summary.json ... unresolved,
 *   api/v2/scheduled-maintenances*     status_json.h
 *   history.rss, history.atom           status_feed.h
 *
 * Pure: m is only read.
 */
#ifndef SWERVE_STATUS_STATUS_SITE_H
#define SWERVE_STATUS_STATUS_SITE_H

#include <stddef.h>

#include "status/status_model.h"

struct status_site_file {
	const char *path;         /* "index.html", "api/v2/status.json" */
	const char *content_type; /* with charset */
};

/* status_site_files - the table; *n its length. */
const struct status_site_file *status_site_files(size_t *n);

/*
 * status_site_find - the file at path (a leading '/' is ignored; "" and
 * "/" are index.html), or NULL when there is none.
 */
const struct status_site_file *status_site_find(const char *path);

/*
 * status_site_render - file f of m, NUL-terminated, *len its length;
 * the caller frees it.
 */
char *status_site_render(const struct status_model *m,
                         const struct status_site_file *f, size_t *len);

#endif
