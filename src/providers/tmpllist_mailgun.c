/*
 * tmpllist_mailgun.c - Mailgun's own templates through its API
 * (tmpllist.h): GET /v3/{domain}/templates pages (following
 * paging.next), then GET /v3/{domain}/templates/{name}?active=yes for
 * each.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "core/xmalloc.h"
#include "providers/supplist.h"
#include "providers/tmpllist.h"

#define TMPLLIST_MG_PAGES_MAX 1000 /* list pages followed, at most */

int
tmpllist_mailgun_parse_list(const char *body, size_t len, char ***names,
                            size_t *n, char **next, char *err, size_t errlen)
{
	json_t *j = json_loadb(body, len, 0, NULL), *res, *it, *nx;
	size_t i;

	*next = NULL;
	res = json_is_object(j) ? json_object_get(j, "items") : NULL;
	if (!json_is_array(res)) {
		snprintf(err, errlen,
		         "not a Mailgun template list (no items array)");
		json_decref(j);
		return -1;
	}
	json_array_foreach(res, i, it)
	{
		const char *nm = json_string_value(json_object_get(it, "name"));

		if (nm == NULL || !tmpl_store_name_ok(nm)) {
			snprintf(err, errlen,
			         "not a Mailgun template list (items[%zu].name "
			         "is not a template name)",
			         i);
			json_decref(j);
			return -1;
		}
	}
	json_array_foreach(res, i, it)
	{
		*names = xreallocarray(*names, *n + 1, sizeof(**names));
		(*names)[(*n)++] =
		    xstrdup(json_string_value(json_object_get(it, "name")));
	}
	nx = json_object_get(json_object_get(j, "paging"), "next");
	if (json_array_size(res) > 0 && json_is_string(nx) &&
	    json_string_length(nx) > 0)
		*next = xstrdup(json_string_value(nx));
	json_decref(j);
	return 0;
}

int
tmpllist_mailgun_parse_template(const char *body, size_t len,
                                struct tmpl_version *v, char *err,
                                size_t errlen)
{
	json_t *j = json_loadb(body, len, 0, NULL), *t, *ver, *src, *eng, *hs,
	       *subj;
	const char *name;
	size_t i;

	memset(v, 0, sizeof(*v));
	t = json_is_object(j) ? json_object_get(j, "template") : NULL;
	name = json_string_value(json_object_get(t, "name"));
	ver = json_object_get(t, "version");
	if (!json_is_object(t) || name == NULL || !tmpl_store_name_ok(name) ||
	    (ver != NULL && !json_is_object(ver))) {
		snprintf(err, errlen,
		         "not a Mailgun template (template.name, "
		         "template.version)");
		json_decref(j);
		return -1;
	}
	if (ver == NULL) {
		snprintf(err, errlen, "no active version");
		json_decref(j);
		return 0;
	}
	src = json_object_get(ver, "template");
	eng = json_object_get(ver, "engine");
	hs = json_object_get(ver, "headers");
	subj = json_object_get(hs, "Subject");
	if (!json_is_string(src) ||
	    strlen(json_string_value(src)) != json_string_length(src) ||
	    (eng != NULL && !json_is_string(eng)) ||
	    (hs != NULL && !json_is_object(hs) && !json_is_null(hs)) ||
	    (subj != NULL && !json_is_string(subj))) {
		snprintf(err, errlen,
		         "Mailgun template %s: version.template, engine or "
		         "headers malformed",
		         name);
		json_decref(j);
		return -1;
	}
	if (eng != NULL && strcmp(json_string_value(eng), "handlebars") != 0) {
		snprintf(err, errlen, "engine %s (only handlebars is imported)",
		         json_string_value(eng));
		json_decref(j);
		return 0;
	}
	/* Mailgun names are case-insensitive; a send's template names the
	 * store name in lower case (compat_mailgun_tmpl.h). */
	snprintf(v->name, sizeof(v->name), "%s", name);
	for (i = 0; v->name[i] != '\0'; i++)
		if (v->name[i] >= 'A' && v->name[i] <= 'Z')
			v->name[i] = (char)(v->name[i] - 'A' + 'a');
	v->dialect = TMPL_HANDLEBARS;
	if (json_string_length(src) > 0)
		v->part[TMPL_PART_HTML] = xstrdup(json_string_value(src));
	if (json_is_string(subj) && json_string_length(subj) > 0 &&
	    strlen(json_string_value(subj)) == json_string_length(subj))
		v->part[TMPL_PART_SUBJECT] = xstrdup(json_string_value(subj));
	json_decref(j);
	return 1;
}

int
tmpllist_mailgun_fetch(const struct config_provider *p,
                       struct tmpllist_result *res, char *err, size_t errlen)
{
	char base[1024], url[2400], why[512], *next = NULL, *enc;
	const char *path;
	char **names = NULL;
	size_t nn = 0, i, pages;
	struct tmpl_version v;
	struct buf body;
	int rc = 0, got;

	if (p->domain == NULL || p->domain[0] == '\0') {
		snprintf(err, errlen, "%s: no domain configured", p->name);
		return -1;
	}
	snprintf(base, sizeof(base), "%s",
	         p->endpoint && *p->endpoint
	             ? p->endpoint
	             : (p->region && strcmp(p->region, "eu") == 0
	                    ? "https://api.eu.mailgun.net"
	                    : "https://api.mailgun.net"));
	while (*base && base[strlen(base) - 1] == '/')
		base[strlen(base) - 1] = '\0';
	snprintf(url, sizeof(url), "%s/v3/%s/templates?limit=100", base,
	         p->domain);
	for (pages = 0; rc == 0 && pages < TMPLLIST_MG_PAGES_MAX; pages++) {
		buf_init(&body);
		rc = supplist_get(p, url, NULL, &body, err, errlen) == 200
		         ? tmpllist_mailgun_parse_list(body.p ? body.p : "",
		                                       body.len, &names, &nn,
		                                       &next, err, errlen)
		         : -1;
		buf_fini(&body);
		/* The next page's path and query only, on the configured
		 * base: the key goes nowhere else. */
		path = next ? strstr(next, "/v3/") : NULL;
		if (rc < 0 || path == NULL)
			break;
		snprintf(url, sizeof(url), "%s%s", base, path);
		free(next);
		next = NULL;
	}
	free(next);
	for (i = 0; rc == 0 && i < nn; i++) {
		enc = curl_easy_escape(NULL, names[i], 0);
		snprintf(url, sizeof(url), "%s/v3/%s/templates/%s?active=yes",
		         base, p->domain, enc ? enc : "");
		curl_free(enc);
		buf_init(&body);
		got = supplist_get(p, url, NULL, &body, why, sizeof(why)) == 200
		          ? tmpllist_mailgun_parse_template(
		                body.p ? body.p : "", body.len, &v, why,
		                sizeof(why))
		          : -1;
		buf_fini(&body);
		tmpllist_result_add(res, got, got == 1 ? &v : NULL, names[i],
		                    why);
	}
	for (i = 0; i < nn; i++)
		free(names[i]);
	free(names);
	return rc;
}
