/*
 * mock_api_account.c - the account state swerve-mock's fake providers
 * report (SES GetAccount), set by a control call so a test can put an
 * account on probation, near its quota, or shut it down:
 *
 *   PUT /account/api
 *     {"provider": "ses", "enforcement": "PROBATION",
 *      "max_24h": 1000, "sent_24h": 990, "max_rate": 14,
 *      "sending_enabled": true}
 *   DELETE /account/api     back to the defaults (HEALTHY, 50,000 a day)
 *   GET /account/api        what is set
 *
 * A PUT replaces the provider's state; keys left out keep their
 * defaults. Loop thread only.
 */
#include <event2/http.h>
#include <string.h>

#include "mock/mock_api_int.h"
#include "mock/mock_http.h"

json_t *
mock_api_account_get(const struct mock_api *api, const char *provider)
{
	json_t *a = json_object_get(api->account, provider);

	return json_is_object(a) ? a : NULL;
}

/* account_put - the body's state for its provider; 0, or -1 replied. */
static int
account_put(struct mock_api *api, struct evhttp_request *req)
{
	static const char *const known[] = {"provider", "enforcement",
	                                    "max_24h",  "sent_24h",
	                                    "max_rate", "sending_enabled"};
	struct buf body;
	const char *k, *p;
	json_t *j, *v;
	size_t i;

	buf_init(&body);
	mock_http_body(req, &body);
	j = json_loadb(body.p ? body.p : "", body.len, 0, NULL);
	buf_fini(&body);
	p = json_string_value(json_object_get(j, "provider"));
	if (!json_is_object(j) || p == NULL) {
		json_decref(j);
		mock_http_error(
		    req, 400, "bad_request",
		    "want {provider, enforcement, max_24h, sent_24h, "
		    "max_rate, sending_enabled}");
		return -1;
	}
	json_object_foreach(j, k, v)
	{
		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (strcmp(known[i], k) == 0)
				break;
		if (i == sizeof(known) / sizeof(known[0]) ||
		    (strcmp(k, "provider") != 0 &&
		     strcmp(k, "enforcement") != 0 &&
		     strcmp(k, "sending_enabled") != 0 && !json_is_number(v)) ||
		    (strcmp(k, "enforcement") == 0 && !json_is_string(v)) ||
		    (strcmp(k, "sending_enabled") == 0 &&
		     !json_is_boolean(v))) {
			json_decref(j);
			mock_http_error(req, 400, "bad_request",
			                "unknown key or wrong type");
			return -1;
		}
	}
	if (api->account == NULL)
		api->account = json_object();
	json_object_set(api->account, p, j);
	json_decref(j);
	return 0;
}

/* account_ctl - PUT, GET or DELETE /account/api. */
static void
account_ctl(struct evhttp_request *req, const char *rest, void *arg)
{
	struct mock_api *api = arg;
	enum evhttp_cmd_type m = evhttp_request_get_command(req);

	(void)rest;
	if (m == EVHTTP_REQ_DELETE) {
		json_decref(api->account);
		api->account = NULL;
	} else if (m == EVHTTP_REQ_PUT) {
		if (account_put(api, req) != 0)
			return;
	} else if (m != EVHTTP_REQ_GET) {
		mock_http_error(req, 405, "method_not_allowed",
		                "use GET, PUT or DELETE");
		return;
	}
	mock_http_json_send(req, 200,
	                    api->account ? json_deep_copy(api->account)
	                                 : json_object());
}

void
mock_api_account_register(struct mock_api *api, struct mock_http *h)
{
	mock_http_route_add(h, "/account/api", false, account_ctl, api);
}
