/*
 * status_site.c - the status page's files: paths, types, renderers.
 */
#include "status/status_site.h"

#include <string.h>

#include "status/status_feed.h"
#include "status/status_html.h"
#include "status/status_json.h"

enum status_site_kind {
	STATUS_SITE_HTML,
	STATUS_SITE_JSON,
	STATUS_SITE_RSS,
	STATUS_SITE_ATOM,
};

/* The files, and (same index) how each is rendered. */
static const struct status_site_file status_site_tab[] = {
    {"index.html", "text/html; charset=utf-8"},
    {"api/v2/summary.json", "application/json; charset=utf-8"},
    {"api/v2/status.json", "application/json; charset=utf-8"},
    {"api/v2/components.json", "application/json; charset=utf-8"},
    {"api/v2/incidents.json", "application/json; charset=utf-8"},
    {"api/v2/incidents/unresolved.json", "application/json; charset=utf-8"},
    {"api/v2/scheduled-maintenances.json", "application/json; charset=utf-8"},
    {"api/v2/scheduled-maintenances/upcoming.json",
     "application/json; charset=utf-8"},
    {"api/v2/scheduled-maintenances/active.json",
     "application/json; charset=utf-8"},
    {"history.rss", "application/rss+xml; charset=utf-8"},
    {"history.atom", "application/atom+xml; charset=utf-8"},
};

static const struct {
	enum status_site_kind kind;
	enum status_json_doc doc;
} status_site_how[] = {
    {STATUS_SITE_HTML, STATUS_JSON_SUMMARY},
    {STATUS_SITE_JSON, STATUS_JSON_SUMMARY},
    {STATUS_SITE_JSON, STATUS_JSON_STATUS},
    {STATUS_SITE_JSON, STATUS_JSON_COMPONENTS},
    {STATUS_SITE_JSON, STATUS_JSON_INCIDENTS},
    {STATUS_SITE_JSON, STATUS_JSON_UNRESOLVED},
    {STATUS_SITE_JSON, STATUS_JSON_MAINTENANCES},
    {STATUS_SITE_JSON, STATUS_JSON_MAINTENANCES},
    {STATUS_SITE_JSON, STATUS_JSON_MAINTENANCES},
    {STATUS_SITE_RSS, STATUS_JSON_SUMMARY},
    {STATUS_SITE_ATOM, STATUS_JSON_SUMMARY},
};

#define STATUS_SITE_N (sizeof(status_site_tab) / sizeof(status_site_tab[0]))
_Static_assert(sizeof(status_site_how) / sizeof(status_site_how[0]) ==
                   STATUS_SITE_N,
               "one way of rendering per file");

const struct status_site_file *
status_site_files(size_t *n)
{
	*n = STATUS_SITE_N;
	return status_site_tab;
}

const struct status_site_file *
status_site_find(const char *path)
{
	size_t i;

	if (path[0] == '/')
		path++;
	if (path[0] == '\0')
		path = "index.html";
	for (i = 0; i < STATUS_SITE_N; i++)
		if (strcmp(status_site_tab[i].path, path) == 0)
			return &status_site_tab[i];
	return NULL;
}

char *
status_site_render(const struct status_model *m,
                   const struct status_site_file *f, size_t *len)
{
	size_t i;

	for (i = 0; i < STATUS_SITE_N; i++) {
		if (strcmp(status_site_tab[i].path, f->path) != 0)
			continue;
		switch (status_site_how[i].kind) {
		case STATUS_SITE_JSON:
			return status_json_render(m, status_site_how[i].doc,
			                          len);
		case STATUS_SITE_RSS:
			return status_feed_rss(m, len);
		case STATUS_SITE_ATOM:
			return status_feed_atom(m, len);
		default:
			return status_html_render(m, len);
		}
	}
	return status_html_render(m, len);
}
