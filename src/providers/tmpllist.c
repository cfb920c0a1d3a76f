/*
 * tmpllist.c - a provider's own templates through its API (tmpllist.h).
 */
#include "providers/tmpllist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "core/xmalloc.h"
#include "providers/supplist.h"

#define TMPLLIST_PAGES_MAX 1000 /* pages followed, at most */

int
tmpllist_parse_sendgrid_ids(const char *body, size_t len, char ***ids,
                            size_t *n, char **next, char *err, size_t errlen)
{
	json_t *j = json_loadb(body, len, 0, NULL), *res, *it, *id, *nx;
	size_t i;

	*next = NULL;
	res = json_is_object(j) ? json_object_get(j, "result") : NULL;
	if (!json_is_array(res)) {
		snprintf(err, errlen,
		         "not a SendGrid template page (no "
		         "result array)");
		json_decref(j);
		return -1;
	}
	json_array_foreach(res, i, it)
	{
		id = json_object_get(it, "id");
		if (!json_is_string(id) ||
		    !tmpl_store_name_ok(json_string_value(id)))
			continue;
		*ids = xreallocarray(*ids, *n + 1, sizeof(**ids));
		(*ids)[(*n)++] = xstrdup(json_string_value(id));
	}
	nx = json_object_get(json_object_get(j, "_metadata"), "next");
	if (json_is_string(nx) && json_string_length(nx) > 0)
		*next = xstrdup(json_string_value(nx));
	json_decref(j);
	return 0;
}

/* part - a string member (absent, null or "": NULL), copied. */
static char *
part(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_string(v) && json_string_length(v) > 0 &&
	               strlen(json_string_value(v)) == json_string_length(v)
	           ? xstrdup(json_string_value(v))
	           : NULL;
}

int
tmpllist_parse_sendgrid_template(const char *body, size_t len,
                                 struct tmpl_version *v, char *err,
                                 size_t errlen)
{
	json_t *j = json_loadb(body, len, 0, NULL), *vs, *it, *id;
	size_t i;

	memset(v, 0, sizeof(*v));
	id = json_object_get(j, "id");
	vs = json_object_get(j, "versions");
	if (!json_is_string(id) || !tmpl_store_name_ok(json_string_value(id)) ||
	    (vs != NULL && !json_is_array(vs))) {
		snprintf(err, errlen, "not a SendGrid template (id, versions)");
		json_decref(j);
		return -1;
	}
	json_array_foreach(vs, i, it)
	{
		json_t *a = json_object_get(it, "active");

		if (!(json_is_integer(a) && json_integer_value(a) == 1) &&
		    !json_is_true(a))
			continue;
		snprintf(v->name, sizeof(v->name), "%s", json_string_value(id));
		v->dialect = TMPL_HANDLEBARS;
		v->part[TMPL_PART_SUBJECT] = part(it, "subject");
		v->part[TMPL_PART_HTML] = part(it, "html_content");
		v->part[TMPL_PART_TEXT] = part(it, "plain_content");
		json_decref(j);
		return 1;
	}
	json_decref(j);
	return 0;
}

/* fetch_sendgrid - every dynamic template's active version. */
static int
fetch_sendgrid(const struct config_provider *p, struct tmpl_version **out,
               size_t *n, char *err, size_t errlen)
{
	char base[1024], url[2400], auth[1024];
	const char *hs[] = {auth, NULL};
	char **ids = NULL, *next = NULL;
	size_t nids = 0, i, pages;
	struct tmpl_version v;
	struct buf body;
	int rc = 0, got;

	snprintf(base, sizeof(base), "%s",
	         p->endpoint && *p->endpoint ? p->endpoint
	                                     : "https://api.sendgrid.com");
	while (*base && base[strlen(base) - 1] == '/')
		base[strlen(base) - 1] = '\0';
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s",
	         p->api_key ? p->api_key : "");
	snprintf(url, sizeof(url),
	         "%s/v3/templates?generations=dynamic&page_size=200", base);
	for (pages = 0; rc == 0 && pages < TMPLLIST_PAGES_MAX; pages++) {
		buf_init(&body);
		rc = supplist_get(p, url, hs, &body, err, errlen) == 200
		         ? tmpllist_parse_sendgrid_ids(body.p ? body.p : "",
		                                       body.len, &ids, &nids,
		                                       &next, err, errlen)
		         : -1;
		buf_fini(&body);
		/* The next page only on the configured endpoint: the key
		 * goes nowhere else. */
		if (rc < 0 || next == NULL ||
		    strncmp(next, base, strlen(base)) != 0)
			break;
		snprintf(url, sizeof(url), "%s", next);
		free(next);
		next = NULL;
	}
	free(next);
	for (i = 0; rc == 0 && i < nids; i++) {
		snprintf(url, sizeof(url), "%s/v3/templates/%s", base, ids[i]);
		buf_init(&body);
		got = supplist_get(p, url, hs, &body, err, errlen) == 200
		          ? tmpllist_parse_sendgrid_template(
		                body.p ? body.p : "", body.len, &v, err, errlen)
		          : -1;
		buf_fini(&body);
		if (got < 0)
			rc = -1;
		else if (got == 1) {
			*out = xreallocarray(*out, *n + 1, sizeof(**out));
			(*out)[(*n)++] = v;
		}
	}
	for (i = 0; i < nids; i++)
		free(ids[i]);
	free(ids);
	explicit_bzero(auth, sizeof(auth));
	return rc;
}

int
tmpllist_parse_ses_names(const char *body, size_t len, char ***names, size_t *n,
                         char **next, char *err, size_t errlen)
{
	json_t *j = json_loadb(body, len, 0, NULL), *res, *it, *nm, *nx;
	size_t i;

	*next = NULL;
	res =
	    json_is_object(j) ? json_object_get(j, "TemplatesMetadata") : NULL;
	if (!json_is_array(res)) {
		snprintf(err, errlen,
		         "not a ListEmailTemplates answer (no "
		         "TemplatesMetadata array)");
		json_decref(j);
		return -1;
	}
	json_array_foreach(res, i, it)
	{
		nm = json_object_get(it, "TemplateName");
		if (!json_is_string(nm) ||
		    !tmpl_store_name_ok(json_string_value(nm)))
			continue;
		*names = xreallocarray(*names, *n + 1, sizeof(**names));
		(*names)[(*n)++] = xstrdup(json_string_value(nm));
	}
	nx = json_object_get(j, "NextToken");
	if (json_is_string(nx) && json_string_length(nx) > 0)
		*next = xstrdup(json_string_value(nx));
	json_decref(j);
	return 0;
}

int
tmpllist_parse_ses_template(const char *body, size_t len,
                            struct tmpl_version *v, char *err, size_t errlen)
{
	json_t *j = json_loadb(body, len, 0, NULL), *nm, *c;

	memset(v, 0, sizeof(*v));
	nm = json_object_get(j, "TemplateName");
	c = json_object_get(j, "TemplateContent");
	if (!json_is_string(nm) || !tmpl_store_name_ok(json_string_value(nm)) ||
	    !json_is_object(c)) {
		snprintf(err, errlen,
		         "not a GetEmailTemplate answer "
		         "(TemplateName, TemplateContent)");
		json_decref(j);
		return -1;
	}
	snprintf(v->name, sizeof(v->name), "%s", json_string_value(nm));
	v->dialect = TMPL_HANDLEBARS;
	v->part[TMPL_PART_SUBJECT] = part(c, "Subject");
	v->part[TMPL_PART_HTML] = part(c, "Html");
	v->part[TMPL_PART_TEXT] = part(c, "Text");
	json_decref(j);
	return 1;
}

/* fetch_ses - ListEmailTemplates (following NextToken), then each. */
static int
fetch_ses(const struct config_provider *p, struct tmpl_version **out, size_t *n,
          char *err, size_t errlen)
{
	char base[1024], query[1200], path[300], *next = NULL, *enc;
	char **names = NULL;
	size_t nn = 0, i, pages;
	struct tmpl_version v;
	struct buf body;
	int rc = 0, got;

	if (p->access_key_id == NULL || p->secret_access_key == NULL) {
		snprintf(err, errlen, "%s: no AWS credentials", p->name);
		return -1;
	}
	if (p->endpoint && *p->endpoint)
		snprintf(base, sizeof(base), "%s", p->endpoint);
	else
		snprintf(base, sizeof(base), "https://email.%s.amazonaws.com",
		         p->region && *p->region ? p->region : "us-east-1");
	while (*base && base[strlen(base) - 1] == '/')
		base[strlen(base) - 1] = '\0';
	snprintf(query, sizeof(query), "PageSize=100");
	for (pages = 0; rc == 0 && pages < TMPLLIST_PAGES_MAX; pages++) {
		buf_init(&body);
		rc = supplist_ses_request(p, base, "/v2/email/templates", query,
		                          &body, err, errlen) == 200
		         ? tmpllist_parse_ses_names(body.p ? body.p : "",
		                                    body.len, &names, &nn,
		                                    &next, err, errlen)
		         : -1;
		buf_fini(&body);
		if (rc < 0 || next == NULL)
			break;
		enc = curl_easy_escape(NULL, next, 0);
		snprintf(query, sizeof(query), "NextToken=%s&PageSize=100",
		         enc ? enc : "");
		curl_free(enc);
		free(next);
		next = NULL;
	}
	free(next);
	for (i = 0; rc == 0 && i < nn; i++) {
		snprintf(path, sizeof(path), "/v2/email/templates/%s",
		         names[i]);
		buf_init(&body);
		got = supplist_ses_request(p, base, path, "", &body, err,
		                           errlen) == 200
		          ? tmpllist_parse_ses_template(
		                body.p ? body.p : "", body.len, &v, err, errlen)
		          : -1;
		buf_fini(&body);
		if (got < 0)
			rc = -1;
		else if (got == 1) {
			*out = xreallocarray(*out, *n + 1, sizeof(**out));
			(*out)[(*n)++] = v;
		}
	}
	for (i = 0; i < nn; i++)
		free(names[i]);
	free(names);
	return rc;
}

int
tmpllist_fetch(const struct config_provider *p, struct tmpl_version **out,
               size_t *n, char *err, size_t errlen)
{
	size_t i;
	int rc;

	*out = NULL;
	*n = 0;
	if (p->type != NULL && strcmp(p->type, "sendgrid") == 0)
		rc = fetch_sendgrid(p, out, n, err, errlen);
	else if (p->type != NULL && strcmp(p->type, "ses") == 0)
		rc = fetch_ses(p, out, n, err, errlen);
	else {
		snprintf(err, errlen,
		         "%s: importing templates is done for sendgrid, ses, "
		         "postmark and mailgun providers (type %s)",
		         p->name, p->type ? p->type : "?");
		return 1;
	}
	if (rc != 0) {
		for (i = 0; i < *n; i++)
			tmpl_version_fini(&(*out)[i]);
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

void
tmpllist_result_add(struct tmpllist_result *r, int got, struct tmpl_version *v,
                    const char *name, const char *why)
{
	struct tmpllist_note *nt;

	if (got == 1) {
		r->v = xreallocarray(r->v, r->n + 1, sizeof(*r->v));
		r->v[r->n++] = *v;
		memset(v, 0, sizeof(*v));
		return;
	}
	r->notes = xreallocarray(r->notes, r->nnotes + 1, sizeof(*r->notes));
	nt = &r->notes[r->nnotes++];
	memset(nt, 0, sizeof(*nt));
	snprintf(nt->name, sizeof(nt->name), "%s", name);
	snprintf(nt->why, sizeof(nt->why), "%s", why);
	nt->failed = got < 0;
}

void
tmpllist_result_fini(struct tmpllist_result *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		tmpl_version_fini(&r->v[i]);
	free(r->v);
	free(r->notes);
	memset(r, 0, sizeof(*r));
}

int
tmpllist_fetch_result(const struct config_provider *p,
                      struct tmpllist_result *res, char *err, size_t errlen)
{
	const char *t = p->type != NULL ? p->type : "";
	int rc;

	memset(res, 0, sizeof(*res));
	if (strcmp(t, "postmark") == 0)
		rc = tmpllist_postmark_fetch(p, res, err, errlen);
	else if (strcmp(t, "mailgun") == 0)
		rc = tmpllist_mailgun_fetch(p, res, err, errlen);
	else
		return tmpllist_fetch(p, &res->v, &res->n, err, errlen);
	if (rc != 0)
		tmpllist_result_fini(res);
	return rc;
}
