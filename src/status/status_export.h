/*
 * status_export.h - the status page as static files in a directory
 * (contract).
 *
 * swervectl status-page export DIR reads GET /v1/status-page/export
 * (status_http.h: every file of the page rendered from one model) and
 * writes the files with these two steps:
 *
 *   status_export_parse  the response, strictly: a JSON object whose
 *                        "files" is an array of {"path", "body", ...}
 *                        objects; every path one of the page's files
 *                        (status_site.h: never an absolute path, "..",
 *                        or anything else), each exactly once, all of
 *                        them present. Anything else is refused with a
 *                        one-line reason and nothing is written.
 *   status_export_write  DIR (created if missing, with api/v2/incidents
 *                        beneath), each file written to a temporary name
 *                        and renamed over the old one, so a web server
 *                        publishing DIR never serves half a file.
 *
 * The exported files are byte for byte what the live page serves for the
 * same state. The parser is pure; the writer does file I/O only.
 */
#ifndef SWERVE_STATUS_STATUS_EXPORT_H
#define SWERVE_STATUS_STATUS_EXPORT_H

#include <stddef.h>

#include "status/status_site.h"

#define STATUS_EXPORT_MAX (64 * 1024 * 1024) /* bigger input refused */

struct status_export_file {
	const struct status_site_file *file; /* which one (static) */
	char *body;                          /* its bytes (owned) */
	size_t len;
};

/*
 * status_export_parse - read an export response of len bytes (need not
 * be NUL-terminated). 0 with *out (one per site file, in the site
 * table's order; free with status_export_free) and *n, or -1 with err.
 */
int status_export_parse(const char *json, size_t len,
                        struct status_export_file **out, size_t *n, char *err,
                        size_t errlen);

/* status_export_free - free what status_export_parse returned. */
void status_export_free(struct status_export_file *f, size_t n);

/* status_export_write - write the n files under dir. 0, or -1 with err
 * (files already renamed into place stay). */
int status_export_write(const char *dir, const struct status_export_file *f,
                        size_t n, char *err, size_t errlen);

#endif
