/*
 * mock_mailgun_tmpl.c - swerve-mock's fake Mailgun template API: GET
 * /v3/{domain}/templates (paged by the last name seen, as Mailgun pages)
 * and GET /v3/{domain}/templates/{name}?active=yes, serving what
 * /templates/api loaded (mock_tmpl.h).
 */
#include <event2/http.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock/mock_tmpl.h"

#define MOCK_MG_TMPL_DATE "Tue, 14 Nov 2023 22:13:20 UTC"

/* mock_mg_tmpl_msg - Mailgun's error shape. */
static void
mock_mg_tmpl_msg(struct mock_api_req *r, int status, const char *text)
{
	mock_api_reply_json(r, status, json_pack("{s:s}", "message", text));
}

/* mock_mg_tmpl_summary - t as a list item (new reference). */
static json_t *
mock_mg_tmpl_summary(const json_t *t)
{
	json_t *d = json_object_get(t, "description");

	return json_pack("{s:O,s:o,s:s,s:s,s:O}", "name",
	                 json_object_get(t, "name"), "description",
	                 d != NULL ? json_incref(d) : json_string(""),
	                 "createdAt", MOCK_MG_TMPL_DATE, "createdBy",
	                 "swerve-mock", "id", json_object_get(t, "id"));
}

/* mock_mg_tmpl_list - one page of the list. */
static void
mock_mg_tmpl_list(struct mock_api_req *r, const char *domain, json_t *all)
{
	const char *host = mock_api_header(r, "Host");
	char *ls = mock_http_query(r->req, "limit");
	char *after = mock_http_query(r->req, "p");
	char *enc, base[600], next[1500], first[700];
	json_t *items = json_array(), *t, *last = NULL;
	size_t i = 0;
	long limit = ls ? strtol(ls, NULL, 10) : 10;

	if (limit <= 0 || limit > 1000)
		limit = 10;
	if (after != NULL)
		for (; i < json_array_size(all); i++)
			if (strcmp(json_string_value(json_object_get(
			               json_array_get(all, i), "name")),
			           after) == 0) {
				i++;
				break;
			}
	for (;
	     i < json_array_size(all) && json_array_size(items) < (size_t)limit;
	     i++) {
		t = json_array_get(all, i);
		last = json_object_get(t, "name");
		json_array_append_new(items, mock_mg_tmpl_summary(t));
	}
	snprintf(base, sizeof(base), "http://%s/v3/%s/templates?limit=%ld",
	         host ? host : "localhost", domain, limit);
	enc = evhttp_uriencode(
	    last ? json_string_value(last) : (after ? after : ""), -1, 0);
	snprintf(next, sizeof(next), "%s&page=next&p=%s", base, enc ? enc : "");
	free(enc);
	snprintf(first, sizeof(first), "%s&page=first", base);
	mock_api_success(r, 200,
	                 json_pack("{s:o,s:{s:s,s:s,s:s,s:s}}", "items", items,
	                           "paging", "first", first, "last", first,
	                           "next", next, "previous", first));
	free(ls);
	free(after);
}

void
mock_mg_tmpl(struct mock_api_req *r, const char *domain, const char *tail)
{
	json_t *all = mock_api_tmpl_get(r->api, "mailgun"), *t, *o, *v;
	char *active;
	size_t i;

	if (*tail == '\0') {
		mock_mg_tmpl_list(r, domain, all);
		return;
	}
	json_array_foreach(all, i, t)
	{
		if (strcmp(json_string_value(json_object_get(t, "name")),
		           tail + 1) != 0)
			continue;
		if (mock_api_tmpl_raw(r, t))
			return;
		o = mock_mg_tmpl_summary(t);
		active = mock_http_query(r->req, "active");
		v = json_object_get(t, "version");
		if (active != NULL && strcmp(active, "yes") == 0 &&
		    json_is_object(v)) {
			v = json_deep_copy(v);
			json_object_set_new(v, "active", json_true());
			json_object_set_new(v, "createdAt",
			                    json_string(MOCK_MG_TMPL_DATE));
			if (json_object_get(v, "engine") == NULL)
				json_object_set_new(v, "engine",
				                    json_string("handlebars"));
			json_object_set_new(o, "version", v);
		}
		free(active);
		mock_api_success(r, 200, json_pack("{s:o}", "template", o));
		return;
	}
	mock_mg_tmpl_msg(r, 404, "template not found");
}
