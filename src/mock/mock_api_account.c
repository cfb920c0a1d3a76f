/*
 * mock_api_account.c - the account state swerve-mock's fake providers
 * report, set by a control call so a test can put an account on
 * probation, near its quota, out of credits, or disable it:
 *
 *   PUT /account/api
 *     {"provider": "ses", "enforcement": "PROBATION",
 *      "max_24h": 1000, "sent_24h": 990, "max_rate": 14,
 *      "sending_enabled": true, "bounce_rate": 0.06,
 *      "complaint_rate": 0.0005}
 *     {"provider": "sendgrid", "credits_total": 1000,
 *      "credits_remain": 10, "reset_frequency": "monthly",
 *      "type": "paid", "reputation": 97.5}
 *     {"provider": "mailgun", "state": "disabled"}
 *     {"provider": "postmark", "delivery_type": "Sandbox"}
 *     {"provider": "resend", "domain_status": "failed"}
 *   DELETE /account/api     back to the defaults
 *   GET /account/api        what is set
 *
 * Who reads it: SES GetAccount (mock_ses.c) and CloudWatch
 * GetMetricData (mock_api_account_cw.c), SendGrid's user endpoints
 * (mock_api_account_sg.c), Mailgun's domain, Postmark's server and
 * Resend's domains (their mock files, through mock_api_account_str).
 *
 * A PUT replaces the provider's state; keys left out keep their
 * defaults; an unknown key, a key of another provider or a wrong type is
 * refused (400) and changes nothing. Loop thread only.
 */
#include <event2/http.h>
#include <stdio.h>
#include <string.h>

#include "mock/mock_api_int.h"
#include "mock/mock_http.h"

json_t *
mock_api_account_get(const struct mock_api *api, const char *provider)
{
	json_t *a = json_object_get(api->account, provider);

	return json_is_object(a) ? a : NULL;
}

/* One settable key: its provider and JSON type. */
struct account_key {
	const char *provider, *key;
	json_type type; /* JSON_REAL: any number; JSON_TRUE: a boolean */
};

static const struct account_key account_keys[] = {
    {"ses", "enforcement", JSON_STRING},
    {"ses", "max_24h", JSON_REAL},
    {"ses", "sent_24h", JSON_REAL},
    {"ses", "max_rate", JSON_REAL},
    {"ses", "sending_enabled", JSON_TRUE},
    {"ses", "bounce_rate", JSON_REAL},
    {"ses", "complaint_rate", JSON_REAL},
    {"sendgrid", "credits_total", JSON_REAL},
    {"sendgrid", "credits_remain", JSON_REAL},
    {"sendgrid", "reset_frequency", JSON_STRING},
    {"sendgrid", "type", JSON_STRING},
    {"sendgrid", "reputation", JSON_REAL},
    {"mailgun", "state", JSON_STRING},
    {"postmark", "delivery_type", JSON_STRING},
    {"resend", "domain_status", JSON_STRING},
};

/* account_key_ok - may provider's state have k with value v? */
static bool
account_key_ok(const char *provider, const char *k, json_t *v)
{
	size_t i;

	if (strcmp(k, "provider") == 0)
		return true;
	for (i = 0; i < sizeof(account_keys) / sizeof(account_keys[0]); i++) {
		const struct account_key *a = &account_keys[i];
		if (strcmp(a->provider, provider) != 0 || strcmp(a->key, k))
			continue;
		if (a->type == JSON_REAL)
			return json_is_number(v);
		if (a->type == JSON_TRUE)
			return json_is_boolean(v);
		return json_is_string(v);
	}
	return false;
}

/* account_put - the body's state for its provider; 0, or -1 replied. */
static int
account_put(struct mock_api *api, struct evhttp_request *req)
{
	struct buf body;
	const char *k, *p;
	json_t *j, *v;

	buf_init(&body);
	mock_http_body(req, &body);
	j = json_loadb(body.p ? body.p : "", body.len, 0, NULL);
	buf_fini(&body);
	p = json_string_value(json_object_get(j, "provider"));
	if (!json_is_object(j) || p == NULL) {
		json_decref(j);
		mock_http_error(req, 400, "bad_request",
		                "want {provider, ...its keys}");
		return -1;
	}
	json_object_foreach(j, k, v)
	{
		if (!account_key_ok(p, k, v)) {
			char msg[160];
			snprintf(msg, sizeof(msg),
			         "unknown key or wrong type for %.20s: %.60s",
			         p, k);
			json_decref(j);
			mock_http_error(req, 400, "bad_request", msg);
			return -1;
		}
	}
	if (api->account == NULL)
		api->account = json_object();
	json_object_set(api->account, p, j);
	json_decref(j);
	return 0;
}

const char *
mock_api_account_str(const struct mock_api *api, const char *provider,
                     const char *key, const char *dflt)
{
	const char *v = json_string_value(
	    json_object_get(mock_api_account_get(api, provider), key));

	return v != NULL ? v : dflt;
}

/* account_ctl - PUT, GET or DELETE /account/api. */
static void
account_ctl(struct evhttp_request *req, const char *rest, void *arg)
{
	struct mock_api *api = arg;

	(void)rest;
	mock_api_state_ctl(api, req, &api->account, account_put);
}

void
mock_api_account_register(struct mock_api *api, struct mock_http *h)
{
	mock_http_route_add(h, "/account/api", false, account_ctl, api);
	mock_api_account_cw_register(api, h);
}
