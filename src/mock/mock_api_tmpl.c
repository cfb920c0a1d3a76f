/*
 * mock_api_tmpl.c - the templates swerve-mock's fake Postmark and
 * Mailgun serve, loaded by POST /templates/api (mock_tmpl.h).
 */
#include <event2/http.h>
#include <stdio.h>
#include <string.h>

#include "mock/mock_api_int.h"
#include "mock/mock_tmpl.h"

static unsigned mock_api_tmpl_seq;

json_t *
mock_api_tmpl_get(const struct mock_api *api, const char *provider)
{
	json_t *a = json_object_get(api->tmpl, provider);

	return json_is_array(a) ? a : NULL;
}

/* mock_api_tmpl_fill - defaults of one loaded template (t changed). */
static void
mock_api_tmpl_fill(const char *p, json_t *t)
{
	char id[32];

	if (strcmp(p, "postmark") == 0) {
		if (json_object_get(t, "TemplateId") == NULL)
			json_object_set_new(
			    t, "TemplateId",
			    json_integer(1000 +
			                 (json_int_t)++mock_api_tmpl_seq));
		if (json_object_get(t, "Active") == NULL)
			json_object_set_new(t, "Active", json_true());
		if (json_object_get(t, "TemplateType") == NULL)
			json_object_set_new(t, "TemplateType",
			                    json_string("Standard"));
		return;
	}
	if (json_object_get(t, "id") == NULL) {
		snprintf(id, sizeof(id), "mg-tmpl-%u", ++mock_api_tmpl_seq);
		json_object_set_new(t, "id", json_string(id));
	}
}

/* mock_api_tmpl_load - append j's templates; 0, or -1 replied. */
static int
mock_api_tmpl_load(struct mock_api *api, struct evhttp_request *req, json_t *j)
{
	json_t *ts, *list, *t;
	const char *p;
	size_t i;

	p = json_string_value(json_object_get(j, "provider"));
	ts = json_object_get(j, "templates");
	if (p == NULL ||
	    (strcmp(p, "postmark") != 0 && strcmp(p, "mailgun") != 0) ||
	    !json_is_array(ts)) {
		mock_http_error(req, 400, "bad_request",
		                "want {provider: postmark|mailgun, "
		                "templates: [...]}");
		return -1;
	}
	if (api->tmpl == NULL)
		api->tmpl = json_object();
	list = json_object_get(api->tmpl, p);
	if (list == NULL) {
		list = json_array();
		json_object_set_new(api->tmpl, p, list);
	}
	json_array_foreach(ts, i, t)
	{
		if (!json_is_object(t))
			continue;
		t = json_deep_copy(t);
		mock_api_tmpl_fill(p, t);
		json_array_append_new(list, t);
	}
	return 0;
}

/* mock_api_tmpl_ctl - POST, GET or DELETE /templates/api. */
static void
mock_api_tmpl_ctl(struct evhttp_request *req, const char *rest, void *arg)
{
	struct mock_api *api = arg;

	(void)rest;
	mock_api_json_ctl(api, req, &api->tmpl, mock_api_tmpl_load);
}

int
mock_api_tmpl_raw(struct mock_api_req *r, const json_t *t)
{
	const json_t *raw = json_object_get(t, "raw");

	if (!json_is_string(raw))
		return 0;
	mock_api_reply(r, 200, "application/json", json_string_value(raw),
	               json_string_length(raw));
	return 1;
}

void
mock_api_tmpl_register(struct mock_api *api, struct mock_http *h)
{
	mock_http_route_add(h, "/templates/api", false, mock_api_tmpl_ctl, api);
}
