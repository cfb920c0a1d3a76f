/*
 * mock_api_supp.c - the suppression lists swerve-mock's fake providers
 * serve (GET /v3/suppression/... for SendGrid, the Postmark dump), seeded
 * by a control call:
 *
 *   POST /suppressions/api
 *     {"provider": "sendgrid", "list": "bounces",
 *      "addresses": ["a@example.com", ...]}
 *   DELETE /suppressions/api     forget every seeded list
 *   GET /suppressions/api        what is seeded
 *
 * Seeding appends. Loop thread only.
 */
#include <event2/http.h>
#include <string.h>

#include "mock/mock_api_int.h"
#include "mock/mock_http.h"

json_t *
mock_api_supp_get(const struct mock_api *api, const char *provider,
                  const char *list)
{
	json_t *a = json_object_get(json_object_get(api->supp, provider), list);

	return json_is_array(a) ? a : NULL;
}

/* mock_api_supp_seed - append j's addresses; 0, or -1 replied. */
static int
mock_api_supp_seed(struct mock_api *api, struct evhttp_request *req, json_t *j)
{
	json_t *addrs, *prov, *list;
	const char *p, *l;
	size_t i;

	p = json_string_value(json_object_get(j, "provider"));
	l = json_string_value(json_object_get(j, "list"));
	addrs = json_object_get(j, "addresses");
	if (p == NULL || l == NULL || !json_is_array(addrs)) {
		mock_http_error(req, 400, "bad_request",
		                "want {provider, list, addresses: [...]}");
		return -1;
	}
	if (api->supp == NULL)
		api->supp = json_object();
	prov = json_object_get(api->supp, p);
	if (prov == NULL) {
		prov = json_object();
		json_object_set_new(api->supp, p, prov);
	}
	list = json_object_get(prov, l);
	if (list == NULL) {
		list = json_array();
		json_object_set_new(prov, l, list);
	}
	for (i = 0; i < json_array_size(addrs); i++)
		if (json_is_string(json_array_get(addrs, i)))
			json_array_append(list, json_array_get(addrs, i));
	return 0;
}

void
mock_api_json_ctl(struct mock_api *api, struct evhttp_request *req,
                  json_t **slot, mock_api_json_load_fn *load)
{
	enum evhttp_cmd_type m = evhttp_request_get_command(req);
	struct buf body;
	json_t *j;
	int rc;

	if (m == EVHTTP_REQ_DELETE) {
		json_decref(*slot);
		*slot = NULL;
	} else if (m == EVHTTP_REQ_POST) {
		buf_init(&body);
		mock_http_body(req, &body);
		j = json_loadb(body.p ? body.p : "", body.len, 0, NULL);
		buf_fini(&body);
		rc = load(api, req, j);
		json_decref(j);
		if (rc != 0)
			return;
	} else if (m != EVHTTP_REQ_GET) {
		mock_http_error(req, 405, "method_not_allowed",
		                "use GET, POST or DELETE");
		return;
	}
	mock_http_json_send(req, 200,
	                    *slot ? json_deep_copy(*slot) : json_object());
}

void
mock_api_state_ctl(struct mock_api *api, struct evhttp_request *req,
                   json_t **slot, mock_api_put_fn *put)
{
	enum evhttp_cmd_type m = evhttp_request_get_command(req);

	if (m == EVHTTP_REQ_DELETE) {
		json_decref(*slot);
		*slot = NULL;
	} else if (m == EVHTTP_REQ_PUT) {
		if (put(api, req) != 0)
			return;
	} else if (m != EVHTTP_REQ_GET) {
		mock_http_error(req, 405, "method_not_allowed",
		                "use GET, PUT or DELETE");
		return;
	}
	mock_http_json_send(req, 200,
	                    *slot ? json_deep_copy(*slot) : json_object());
}

/* mock_api_supp_ctl - POST, GET or DELETE /suppressions/api. */
static void
mock_api_supp_ctl(struct evhttp_request *req, const char *rest, void *arg)
{
	struct mock_api *api = arg;

	(void)rest;
	mock_api_json_ctl(api, req, &api->supp, mock_api_supp_seed);
}

void
mock_api_supp_register(struct mock_api *api, struct mock_http *h)
{
	mock_http_route_add(h, "/suppressions/api", false, mock_api_supp_ctl,
	                    api);
}
