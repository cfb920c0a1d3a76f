/*
 * status_export.c - reading the export response and writing the status
 * page's files into a directory.
 */
#include "status/status_export.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/xmalloc.h"

/* status_export_err - a one-line reason into err. */
static int __attribute__((format(printf, 3, 4)))
status_export_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

void
status_export_free(struct status_export_file *f, size_t n)
{
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < n; i++)
		free(f[i].body);
	free(f);
}

int
status_export_parse(const char *json, size_t len,
                    struct status_export_file **out, size_t *n, char *err,
                    size_t errlen)
{
	const struct status_site_file *site;
	struct status_export_file *f = NULL;
	size_t n_site, i, k;
	json_error_t je;
	json_t *root = NULL, *files, *e;
	int rc = -1;

	*out = NULL;
	*n = 0;
	site = status_site_files(&n_site);
	if (len > STATUS_EXPORT_MAX) {
		status_export_err(err, errlen,
		                  "export: response of %zu bytes is too big",
		                  len);
		goto done;
	}
	root = json_loadb(json, len, 0, &je);
	if (root == NULL) {
		status_export_err(err, errlen,
		                  "export: not JSON (line %d column %d)",
		                  je.line, je.column);
		goto done;
	}
	files = json_object_get(root, "files");
	if (!json_is_object(root) || !json_is_array(files)) {
		status_export_err(err, errlen,
		                  "export: expected an object with a \"files\" "
		                  "array");
		goto done;
	}
	f = xcalloc(n_site, sizeof(*f));
	json_array_foreach(files, i, e)
	{
		json_t *path = json_object_get(e, "path");
		json_t *body = json_object_get(e, "body");
		const struct status_site_file *sf;
		if (!json_is_string(path) || !json_is_string(body)) {
			status_export_err(err, errlen,
			                  "export: files[%zu] needs string "
			                  "\"path\" and \"body\"",
			                  i);
			goto done;
		}
		/* Only the page's own files, named exactly as in the table. */
		sf = status_site_find(json_string_value(path));
		if (sf == NULL || json_string_value(path)[0] == '/' ||
		    strlen(json_string_value(path)) !=
		        json_string_length(path) ||
		    strcmp(sf->path, json_string_value(path)) != 0) {
			status_export_err(
			    err, errlen,
			    "export: files[%zu]: \"%.64s\" is not "
			    "a file of the status page",
			    i, json_string_value(path));
			goto done;
		}
		k = (size_t)(sf - site);
		if (f[k].file != NULL) {
			status_export_err(err, errlen,
			                  "export: files[%zu]: %s twice", i,
			                  sf->path);
			goto done;
		}
		f[k].file = sf;
		f[k].len = json_string_length(body);
		f[k].body = xmemdup(json_string_value(body), f[k].len);
	}
	for (k = 0; k < n_site; k++)
		if (f[k].file == NULL) {
			status_export_err(err, errlen, "export: %s is missing",
			                  site[k].path);
			goto done;
		}
	*out = f;
	*n = n_site;
	f = NULL;
	rc = 0;
done:
	status_export_free(f, n_site);
	json_decref(root);
	return rc;
}

/* status_export_mkdirs - every directory of path's parent under dir. */
static int
status_export_mkdirs(const char *dir, const char *path, char *err,
                     size_t errlen)
{
	struct buf b;
	const char *p;
	int rc = 0;

	buf_init(&b);
	buf_addstr(&b, dir);
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		rc = status_export_err(err, errlen, "export: mkdir %s: %s", dir,
		                       strerror(errno));
	for (p = path; rc == 0 && (p = strchr(p, '/')) != NULL; p++) {
		b.len = strlen(dir);
		buf_addch(&b, '/');
		buf_add(&b, path, (size_t)(p - path));
		if (mkdir(buf_cstr(&b), 0755) != 0 && errno != EEXIST)
			rc = status_export_err(err, errlen,
			                       "export: mkdir %s: %s",
			                       buf_cstr(&b), strerror(errno));
	}
	buf_fini(&b);
	return rc;
}

/* status_export_one - write one file through a temporary name. */
static int
status_export_one(const char *dir, const struct status_export_file *f,
                  char *err, size_t errlen)
{
	struct buf path, tmp;
	size_t off = 0;
	int fd, rc = -1;

	buf_init(&path);
	buf_init(&tmp);
	buf_printf(&path, "%s/%s", dir, f->file->path);
	buf_printf(&tmp, "%s.tmp.%ld", buf_cstr(&path), (long)getpid());
	fd = open(buf_cstr(&tmp), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	          0644);
	if (fd < 0) {
		status_export_err(err, errlen, "export: %s: %s", buf_cstr(&tmp),
		                  strerror(errno));
		goto done;
	}
	while (off < f->len) {
		ssize_t w = write(fd, f->body + off, f->len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			status_export_err(err, errlen, "export: write %s: %s",
			                  buf_cstr(&tmp), strerror(errno));
			close(fd);
			unlink(buf_cstr(&tmp));
			goto done;
		}
		off += (size_t)w;
	}
	if (close(fd) != 0 || rename(buf_cstr(&tmp), buf_cstr(&path)) != 0) {
		status_export_err(err, errlen, "export: %s: %s",
		                  buf_cstr(&path), strerror(errno));
		unlink(buf_cstr(&tmp));
		goto done;
	}
	rc = 0;
done:
	buf_fini(&tmp);
	buf_fini(&path);
	return rc;
}

int
status_export_write(const char *dir, const struct status_export_file *f,
                    size_t n, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (status_export_mkdirs(dir, f[i].file->path, err, errlen) !=
		        0 ||
		    status_export_one(dir, &f[i], err, errlen) != 0)
			return -1;
	return 0;
}
