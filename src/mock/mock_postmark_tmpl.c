/*
 * mock_postmark_tmpl.c - swerve-mock's fake Postmark template API: GET
 * /templates (paged by Count and Offset) and GET /templates/{id or
 * alias}, serving what /templates/api loaded (mock_tmpl.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock/mock_tmpl.h"

/* mock_pm_tmpl_422 - Postmark's error shape. */
static void
mock_pm_tmpl_422(struct mock_api_req *r, int code, const char *message)
{
	mock_api_reply_json(
	    r, 422,
	    json_pack("{s:i,s:s}", "ErrorCode", code, "Message", message));
}

/* mock_pm_tmpl_copy - member k of t into out, null when absent. */
static void
mock_pm_tmpl_copy(json_t *out, const json_t *t, const char *k)
{
	json_t *v = json_object_get(t, k);

	json_object_set_new(out, k, v != NULL ? json_incref(v) : json_null());
}

/* mock_pm_tmpl_num - a non-negative decimal query value, or -1. */
static long
mock_pm_tmpl_num(const char *s)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return -1;
	v = strtol(s, &end, 10);
	return *end == '\0' && v >= 0 ? v : -1;
}

void
mock_pm_tmpl_list(struct mock_api_req *r)
{
	static const char *const keys[] = {"Active",       "TemplateId",
	                                   "Name",         "Alias",
	                                   "TemplateType", "LayoutTemplate"};
	json_t *all = mock_api_tmpl_get(r->api, "postmark"), *res, *t, *o;
	char *cs = mock_http_query(r->req, "Count");
	char *os = mock_http_query(r->req, "Offset");
	char *ty = mock_http_query(r->req, "TemplateType");
	long count = mock_pm_tmpl_num(cs), offset = mock_pm_tmpl_num(os);
	size_t i, k, total = 0;

	free(cs);
	free(os);
	if (count < 1 || count > 500 || offset < 0) {
		free(ty);
		mock_pm_tmpl_422(r, 1000,
		                 "The 'Count' (1..500) and 'Offset' query "
		                 "parameters are required.");
		return;
	}
	res = json_array();
	json_array_foreach(all, i, t)
	{
		const char *tt =
		    json_string_value(json_object_get(t, "TemplateType"));

		if (ty != NULL && strcmp(ty, "All") != 0 &&
		    (tt == NULL || strcmp(tt, ty) != 0))
			continue;
		if (total++ < (size_t)offset ||
		    json_array_size(res) >= (size_t)count)
			continue;
		o = json_object();
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			mock_pm_tmpl_copy(o, t, keys[k]);
		json_array_append_new(res, o);
	}
	free(ty);
	mock_api_success(r, 200,
	                 json_pack("{s:I,s:o}", "TotalCount", (json_int_t)total,
	                           "Templates", res));
}

void
mock_pm_tmpl_get(struct mock_api_req *r)
{
	static const char *const keys[] = {
	    "Name",     "TemplateId", "Alias",        "Subject",
	    "HtmlBody", "TextBody",   "TemplateType", "LayoutTemplate"};
	json_t *all = mock_api_tmpl_get(r->api, "postmark"), *t, *o;
	char id[32];
	size_t i, k;

	json_array_foreach(all, i, t)
	{
		const char *alias =
		    json_string_value(json_object_get(t, "Alias"));

		snprintf(id, sizeof(id), "%lld",
		         (long long)json_integer_value(
		             json_object_get(t, "TemplateId")));
		if (strcmp(id, r->rest) != 0 &&
		    (alias == NULL || strcmp(alias, r->rest) != 0))
			continue;
		if (mock_api_tmpl_raw(r, t))
			return;
		o = json_object();
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			mock_pm_tmpl_copy(o, t, keys[k]);
		json_object_set_new(o, "AssociatedServerId", json_integer(1));
		mock_pm_tmpl_copy(o, t, "Active");
		mock_api_success(r, 200, o);
		return;
	}
	mock_pm_tmpl_422(r, 1101,
	                 "The Template's 'id' or 'alias' was not found.");
}
