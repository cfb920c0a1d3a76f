/*
 * tmpllist_postmark.c - Postmark's own templates through its API
 * (tmpllist.h): GET /templates?Count=&Offset= pages, then GET
 * /templates/{id} for each.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/xmalloc.h"
#include "providers/supplist.h"
#include "providers/tmpllist.h"

#define TMPLLIST_PM_COUNT 100  /* templates per list page */
#define TMPLLIST_PM_MAX 100000 /* templates listed, at most */

/* pm_id - a positive integer member as decimal into out; 0 or -1. */
static int
pm_id(json_t *o, char out[32])
{
	json_t *id = json_object_get(o, "TemplateId");

	if (!json_is_integer(id) || json_integer_value(id) <= 0)
		return -1;
	snprintf(out, 32, "%lld", (long long)json_integer_value(id));
	return 0;
}

int
tmpllist_postmark_parse_list(const char *body, size_t len, char ***ids,
                             size_t *n, long long *total, char *err,
                             size_t errlen)
{
	json_t *j = json_loadb(body, len, 0, NULL), *res, *it, *tc;
	char id[32];
	size_t i;

	res = json_is_object(j) ? json_object_get(j, "Templates") : NULL;
	tc = json_is_object(j) ? json_object_get(j, "TotalCount") : NULL;
	if (!json_is_array(res) || !json_is_integer(tc) ||
	    json_integer_value(tc) < 0) {
		snprintf(err, errlen,
		         "not a Postmark template list (no Templates array "
		         "or TotalCount)");
		json_decref(j);
		return -1;
	}
	json_array_foreach(res, i, it)
	{
		if (pm_id(it, id) < 0) {
			snprintf(err, errlen,
			         "not a Postmark template list (Templates[%zu]"
			         ".TemplateId is not a positive integer)",
			         i);
			json_decref(j);
			return -1;
		}
	}
	json_array_foreach(res, i, it)
	{
		pm_id(it, id);
		*ids = xreallocarray(*ids, *n + 1, sizeof(**ids));
		(*ids)[(*n)++] = xstrdup(id);
	}
	*total = (long long)json_integer_value(tc);
	json_decref(j);
	return 0;
}

/* pm_str - member k: *out its string (NULL when absent, null or "");
 * -1 when it is something else. */
static int
pm_str(json_t *o, const char *k, const char **out)
{
	json_t *v = json_object_get(o, k);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v) ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return -1;
	if (json_string_length(v) > 0)
		*out = json_string_value(v);
	return 0;
}

int
tmpllist_postmark_parse_template(const char *body, size_t len,
                                 struct tmpl_version *v, char *err,
                                 size_t errlen)
{
	static const char *const keys[] = {
	    "Name",     "Alias",        "Subject",       "HtmlBody",
	    "TextBody", "TemplateType", "LayoutTemplate"};
	const char *s[7];
	json_t *j = json_loadb(body, len, 0, NULL), *a, *m;
	char id[32];
	size_t k;

	memset(v, 0, sizeof(*v));
	if (!json_is_object(j) || pm_id(j, id) < 0) {
		snprintf(err, errlen,
		         "not a Postmark template (no positive TemplateId)");
		json_decref(j);
		return -1;
	}
	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		if (pm_str(j, keys[k], &s[k]) < 0) {
			snprintf(err, errlen,
			         "Postmark template %s: %s is not a string", id,
			         keys[k]);
			json_decref(j);
			return -1;
		}
	a = json_object_get(j, "Active");
	if (s[0] == NULL || (a != NULL && !json_is_boolean(a)) ||
	    (s[5] != NULL && strcmp(s[5], "Standard") != 0 &&
	     strcmp(s[5], "Layout") != 0) ||
	    (s[1] != NULL && !tmpl_store_name_ok(s[1]))) {
		snprintf(err, errlen,
		         "Postmark template %s: Name, Active, TemplateType or "
		         "Alias malformed",
		         id);
		json_decref(j);
		return -1;
	}
	if (json_is_false(a)) {
		snprintf(err, errlen, "inactive at Postmark");
		json_decref(j);
		return 0;
	}
	/* An alias is what stays the same from one Postmark server to
	 * another: the template is stored under it when it has one. */
	snprintf(v->name, sizeof(v->name), "%s", s[1] != NULL ? s[1] : id);
	v->dialect = TMPL_MUSTACHIO;
	v->part[TMPL_PART_SUBJECT] = s[2] ? xstrdup(s[2]) : NULL;
	v->part[TMPL_PART_HTML] = s[3] ? xstrdup(s[3]) : NULL;
	v->part[TMPL_PART_TEXT] = s[4] ? xstrdup(s[4]) : NULL;
	m = json_pack("{s:s,s:s,s:s}", "postmark", "template", "Name", s[0],
	              "TemplateType", s[5] != NULL ? s[5] : "Standard");
	if (s[1] != NULL)
		json_object_set_new(m, "Alias", json_string(s[1]));
	if (s[6] != NULL)
		json_object_set_new(m, "LayoutTemplate", json_string(s[6]));
	v->meta = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(m);
	json_decref(j);
	return 1;
}

int
tmpllist_postmark_fetch(const struct config_provider *p,
                        struct tmpllist_result *res, char *err, size_t errlen)
{
	char base[1024], url[1400], auth[1024], why[512];
	const char *hs[] = {auth, NULL};
	char **ids = NULL;
	size_t nids = 0, i, before;
	long long total = 0;
	struct tmpl_version v;
	struct buf body;
	int rc = 0, got;

	snprintf(base, sizeof(base), "%s",
	         p->endpoint && *p->endpoint ? p->endpoint
	                                     : "https://api.postmarkapp.com");
	while (*base && base[strlen(base) - 1] == '/')
		base[strlen(base) - 1] = '\0';
	snprintf(auth, sizeof(auth), "X-Postmark-Server-Token: %s",
	         p->api_key ? p->api_key : "");
	do {
		before = nids;
		snprintf(url, sizeof(url),
		         "%s/templates?Count=%d&Offset=%zu&TemplateType=All",
		         base, TMPLLIST_PM_COUNT, nids);
		buf_init(&body);
		rc = supplist_get(p, url, hs, &body, err, errlen) == 200
		         ? tmpllist_postmark_parse_list(body.p ? body.p : "",
		                                        body.len, &ids, &nids,
		                                        &total, err, errlen)
		         : -1;
		buf_fini(&body);
	} while (rc == 0 && nids > before && (long long)nids < total &&
	         nids < TMPLLIST_PM_MAX);
	for (i = 0; rc == 0 && i < nids; i++) {
		snprintf(url, sizeof(url), "%s/templates/%s", base, ids[i]);
		buf_init(&body);
		got = supplist_get(p, url, hs, &body, why, sizeof(why)) == 200
		          ? tmpllist_postmark_parse_template(
		                body.p ? body.p : "", body.len, &v, why,
		                sizeof(why))
		          : -1;
		buf_fini(&body);
		tmpllist_result_add(res, got, got == 1 ? &v : NULL, ids[i],
		                    why);
	}
	for (i = 0; i < nids; i++)
		free(ids[i]);
	free(ids);
	explicit_bzero(auth, sizeof(auth));
	return rc;
}
