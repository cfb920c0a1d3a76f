/*
 * mock_api_verify.c - the fake providers' domain verification answers
 * and the /verify/api control (see mock_api_verify.h).
 */
#include "mock/mock_api_verify.h"

#include <event2/http.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mock/mock_api_int.h"
#include "mock/mock_http.h"

/* The state of provider (an object of domains), or NULL. */
static json_t *
prov_state(struct mock_api_req *r, const char *provider)
{
	json_t *p = json_object_get(r->api->verify, provider);

	return json_is_object(p) ? p : NULL;
}

/* dom_state - what is set for domain at provider: a borrowed object
 * (*known true), NULL with *known false when the provider has a state
 * without the domain, or a fresh default (verified, selector s1; the
 * caller decrefs *fresh) when the provider has none. */
static json_t *
dom_state(struct mock_api_req *r, const char *provider, const char *domain,
          bool *known, json_t **fresh)
{
	json_t *p = prov_state(r, provider), *d;
	const char *k;

	*fresh = NULL;
	*known = true;
	if (p == NULL) {
		*fresh =
		    json_pack("{s:b,s:[s],s:s,s:I}", "verified", 1, "selectors",
		              "s1", "return_path", "", "id", (json_int_t)1);
		return *fresh;
	}
	json_object_foreach(p, k, d)
	{
		if (strcasecmp(k, domain) == 0)
			return d;
	}
	*known = false;
	return NULL;
}

static bool
ver(const json_t *d)
{
	return json_is_true(json_object_get(d, "verified"));
}

static const char *
rp_of(const json_t *d)
{
	const char *s = json_string_value(json_object_get(d, "return_path"));

	return s != NULL ? s : "";
}

/* garbage - answer unreadably when the state asks; true if it did. */
static bool
garbage(struct mock_api_req *r, const json_t *d)
{
	static const char body[] = "<html>not {json";

	if (!json_is_true(json_object_get(d, "garbage")))
		return false;
	mock_api_reply(r, 200, "application/json", body, sizeof(body) - 1);
	return true;
}

/* sel_hosts - "<sel>._domainkey.<domain>" for each selector of d. */
static json_t *
sel_hosts(const json_t *d, const char *domain, bool bare)
{
	json_t *out = json_array(), *s;
	size_t i;
	char host[512];

	json_array_foreach(json_object_get(d, "selectors"), i, s)
	{
		if (!json_is_string(s))
			continue;
		if (bare)
			snprintf(host, sizeof(host), "%s._domainkey",
			         json_string_value(s));
		else
			snprintf(host, sizeof(host), "%s._domainkey.%s",
			         json_string_value(s), domain);
		json_array_append_new(out, json_string(host));
	}
	return out;
}

void
mock_verify_ses(struct mock_api_req *r)
{
	const char *domain = r->rest;
	json_t *fresh, *d, *tok;
	bool known;
	char rid[37];

	d = dom_state(r, "ses", domain, &known, &fresh);
	if (!known || domain[0] == '\0' || strchr(domain, '/') != NULL) {
		char msg[512];

		mock_api_uuid(rid);
		mock_api_header_add(r, "x-amzn-RequestId", rid);
		mock_api_header_add(r, "x-amzn-ErrorType", "NotFoundException");
		snprintf(msg, sizeof(msg),
		         "Email identity %.300s does not exist.", domain);
		mock_api_reply_json(r, 404, json_pack("{s:s}", "message", msg));
		json_decref(fresh);
		return;
	}
	if (garbage(r, d)) {
		json_decref(fresh);
		return;
	}
	tok = json_deep_copy(json_object_get(d, "selectors"));
	if (!json_is_array(tok)) {
		json_decref(tok);
		tok = json_array();
	}
	mock_api_success(
	    r, 200,
	    json_pack("{s:s,s:b,s:s,s:{s:b,s:s,s:o,s:s},s:{s:s,s:s,s:s}}",
	              "IdentityType", "DOMAIN", "VerifiedForSendingStatus",
	              ver(d), "VerificationStatus",
	              ver(d) ? "SUCCESS" : "PENDING", "DkimAttributes",
	              "SigningEnabled", 1, "Status",
	              ver(d) ? "SUCCESS" : "PENDING", "Tokens", tok,
	              "SigningAttributesOrigin", "AWS_SES",
	              "MailFromAttributes", "MailFromDomain", rp_of(d),
	              "MailFromDomainStatus", rp_of(d)[0] ? "SUCCESS" : "",
	              "BehaviorOnMxFailure", "USE_DEFAULT_VALUE"));
	json_decref(fresh);
}

/* sg_entry - one authenticated domain as SendGrid lists it. */
static json_t *
sg_entry(const char *domain, const json_t *d, json_int_t id)
{
	json_t *hosts = sel_hosts(d, domain, false), *dns = json_object();
	size_t i;
	char key[16];

	for (i = 0; i < json_array_size(hosts) && i < 2; i++) {
		snprintf(key, sizeof(key), "dkim%zu", i + 1);
		json_object_set_new(
		    dns, key,
		    json_pack("{s:b,s:s,s:O,s:s}", "valid", ver(d), "type",
		              "cname", "host", json_array_get(hosts, i), "data",
		              "s1.domainkey.u1.wl.sendgrid.net"));
	}
	json_decref(hosts);
	if (rp_of(d)[0] != '\0')
		json_object_set_new(dns, "mail_cname",
		                    json_pack("{s:b,s:s,s:s,s:s}", "valid",
		                              ver(d), "type", "cname", "host",
		                              rp_of(d), "data",
		                              "u1.wl.sendgrid.net"));
	return json_pack("{s:I,s:s,s:s,s:b,s:b,s:o}", "id", id, "domain",
	                 domain, "subdomain", "em", "valid", ver(d),
	                 "automatic_security", 1, "dns", dns);
}

void
mock_verify_sendgrid(struct mock_api_req *r)
{
	char *want = mock_http_query(r->req, "domain");
	json_t *p = prov_state(r, "sendgrid"), *arr = json_array(), *d;
	const char *k;
	json_int_t id = 1;

	if (p == NULL) {
		json_t *fresh;
		bool known;

		if (want != NULL && want[0] != '\0') {
			d = dom_state(r, "sendgrid", want, &known, &fresh);
			json_array_append_new(arr, sg_entry(want, d, 1));
			json_decref(fresh);
		}
	} else {
		json_object_foreach(p, k, d)
		{
			if (want != NULL && want[0] != '\0' &&
			    strcasecmp(k, want) != 0)
				continue;
			if (garbage(r, d)) {
				json_decref(arr);
				free(want);
				return;
			}
			json_array_append_new(arr, sg_entry(k, d, id++));
		}
	}
	free(want);
	mock_api_success(r, 200, arr);
}

bool
mock_verify_mailgun(struct mock_api_req *r)
{
	const char *domain = r->rest;
	json_t *fresh, *d, *recs, *hosts, *h;
	bool known;
	size_t i;

	if (prov_state(r, "mailgun") == NULL)
		return false;
	d = dom_state(r, "mailgun", domain, &known, &fresh);
	if (!known) {
		mock_api_reply_json(
		    r, 404, json_pack("{s:s}", "message", "Domain not found"));
		return true;
	}
	if (garbage(r, d))
		return true;
	recs = json_array();
	hosts = sel_hosts(d, domain, false);
	json_array_foreach(hosts, i, h)
	{
		json_array_append_new(
		    recs, json_pack("{s:s,s:O,s:s,s:s}", "record_type", "TXT",
		                    "name", h, "value", "k=rsa; p=MIGf",
		                    "valid", ver(d) ? "valid" : "unknown"));
	}
	json_decref(hosts);
	mock_api_success(r, 200,
	                 json_pack("{s:{s:s,s:s,s:s},s:[],s:o}", "domain",
	                           "name", domain, "state",
	                           ver(d) ? "active" : "unverified", "type",
	                           "custom", "receiving_dns_records",
	                           "sending_dns_records", recs));
	return true;
}

/* list_reply - Postmark's or Resend's list of the provider's domains. */
static void
list_reply(struct mock_api_req *r, const char *provider, bool pm)
{
	json_t *p = prov_state(r, provider), *arr = json_array(), *d;
	const char *k;

	if (p == NULL) {
		json_array_append_new(
		    arr, pm ? json_pack("{s:s,s:I}", "Name", "example.com",
		                        "ID", (json_int_t)1)
		            : json_pack("{s:s,s:s,s:s,s:s}", "id", "d-1",
		                        "name", "example.com", "status",
		                        "verified", "region", "us-east-1"));
	} else {
		json_object_foreach(p, k, d)
		{
			json_int_t id =
			    json_integer_value(json_object_get(d, "id"));
			char rid[32];

			snprintf(rid, sizeof(rid), "d-%lld", (long long)id);
			json_array_append_new(
			    arr,
			    pm ? json_pack("{s:s,s:I,s:b}", "Name", k, "ID", id,
			                   "DKIMVerified", ver(d))
			       : json_pack("{s:s,s:s,s:s,s:s}", "id", rid,
			                   "name", k, "status",
			                   ver(d) ? "verified" : "pending",
			                   "region", "us-east-1"));
		}
	}
	if (pm)
		mock_api_success(r, 200,
		                 json_pack("{s:I,s:o}", "TotalCount",
		                           (json_int_t)json_array_size(arr),
		                           "Domains", arr));
	else
		mock_api_success(
		    r, 200,
		    json_pack("{s:s,s:o}", "object", "list", "data", arr));
}

/* by_id - the domain of provider with id (digits, "d-" before them for
 * Resend) and its state; NULL when none. */
static const char *
by_id(struct mock_api_req *r, const char *provider, const char *id, json_t **d,
      json_t **fresh)
{
	json_t *p = prov_state(r, provider), *v;
	const char *k;
	long long want;
	char *end;

	*fresh = NULL;
	if (strncmp(id, "d-", 2) == 0)
		id += 2;
	want = strtoll(id, &end, 10);
	if (end == id || *end != '\0')
		return NULL;
	if (p == NULL) {
		bool known;

		if (want != 1)
			return NULL;
		*d = dom_state(r, provider, "example.com", &known, fresh);
		return "example.com";
	}
	json_object_foreach(p, k, v)
	{
		if (json_integer_value(json_object_get(v, "id")) == want) {
			*d = v;
			return k;
		}
	}
	return NULL;
}

void
mock_verify_postmark_list(struct mock_api_req *r)
{
	list_reply(r, "postmark", true);
}

void
mock_verify_postmark_domain(struct mock_api_req *r)
{
	json_t *d = NULL, *fresh, *hosts;
	const char *name = by_id(r, "postmark", r->rest, &d, &fresh);

	if (name == NULL) {
		mock_api_reply_json(r, 404,
		                    json_pack("{s:i,s:s}", "ErrorCode", 510,
		                              "Message", "Domain not found."));
		return;
	}
	if (garbage(r, d)) {
		json_decref(fresh);
		return;
	}
	hosts = sel_hosts(d, name, false);
	mock_api_success(
	    r, 200,
	    json_pack("{s:s,s:I,s:b,s:s,s:s,s:s,s:b}", "Name", name, "ID",
	              json_integer_value(json_object_get(d, "id")),
	              "DKIMVerified", ver(d), "DKIMHost",
	              json_array_size(hosts) > 0
	                  ? json_string_value(json_array_get(hosts, 0))
	                  : "",
	              "DKIMTextValue", "k=rsa;p=MIGf", "ReturnPathDomain",
	              rp_of(d), "ReturnPathDomainVerified",
	              ver(d) && rp_of(d)[0] != '\0'));
	json_decref(hosts);
	json_decref(fresh);
}

bool
mock_verify_resend_list(struct mock_api_req *r)
{
	if (prov_state(r, "resend") == NULL)
		return false;
	list_reply(r, "resend", false);
	return true;
}

void
mock_verify_resend_domain(struct mock_api_req *r)
{
	json_t *d = NULL, *fresh, *hosts, *recs, *h;
	const char *name = by_id(r, "resend", r->rest, &d, &fresh);
	const char *rp;
	size_t i;
	char rid[64];

	if (name == NULL) {
		mock_api_reply_json(r, 404,
		                    json_pack("{s:i,s:s,s:s}", "statusCode",
		                              404, "name", "not_found",
		                              "message", "Domain not found"));
		return;
	}
	if (garbage(r, d)) {
		json_decref(fresh);
		return;
	}
	recs = json_array();
	rp = rp_of(d);
	if (rp[0] != '\0') {
		/* Resend names records relative to the domain. */
		size_t nl = strlen(name), rl = strlen(rp);
		char rel[256];

		if (rl > nl + 1 && strcasecmp(rp + rl - nl, name) == 0 &&
		    rp[rl - nl - 1] == '.')
			snprintf(rel, sizeof(rel), "%.*s", (int)(rl - nl - 1),
			         rp);
		else
			snprintf(rel, sizeof(rel), "%s", rp);
		json_array_append_new(
		    recs, json_pack("{s:s,s:s,s:s,s:s}", "record", "SPF",
		                    "name", rel, "type", "MX", "value",
		                    "feedback-smtp.us-east-1.amazonses.com"));
	}
	hosts = sel_hosts(d, name, true);
	json_array_foreach(hosts, i, h)
	{
		json_array_append_new(recs,
		                      json_pack("{s:s,s:O,s:s,s:s}", "record",
		                                "DKIM", "name", h, "type",
		                                "TXT", "value", "p=MIGf"));
	}
	json_decref(hosts);
	snprintf(rid, sizeof(rid), "d-%lld",
	         (long long)json_integer_value(json_object_get(d, "id")));
	mock_api_success(r, 200,
	                 json_pack("{s:s,s:s,s:s,s:s,s:s,s:o}", "object",
	                           "domain", "id", rid, "name", name, "status",
	                           ver(d) ? "verified" : "pending", "region",
	                           "us-east-1", "records", recs));
	json_decref(fresh);
}

/* The keys of a PUT and the JSON type each must have. */
static const struct {
	const char *key;
	json_type type;
} verify_keys[] = {
    {"provider", JSON_STRING}, {"domain", JSON_STRING},
    {"verified", JSON_TRUE},   {"garbage", JSON_TRUE},
    {"selectors", JSON_ARRAY}, {"return_path", JSON_STRING},
};

/* verify_key_ok - is k a known key with a value of its type? */
static bool
verify_key_ok(const char *k, const json_t *v)
{
	size_t i;

	for (i = 0; i < sizeof(verify_keys) / sizeof(verify_keys[0]); i++) {
		if (strcmp(verify_keys[i].key, k) != 0)
			continue;
		return verify_keys[i].type == JSON_TRUE
		           ? json_is_boolean(v)
		           : json_typeof(v) == verify_keys[i].type;
	}
	return false;
}

/* verify_put - one domain's state from the body; 0, or -1 replied. */
static int
verify_put(struct mock_api *api, struct evhttp_request *req)
{
	struct buf body;
	const char *k, *p, *dom;
	json_t *j, *v, *prov;
	bool ok = true;

	buf_init(&body);
	mock_http_body(req, &body);
	j = json_loadb(body.p ? body.p : "", body.len, 0, NULL);
	buf_fini(&body);
	p = json_string_value(json_object_get(j, "provider"));
	dom = json_string_value(json_object_get(j, "domain"));
	json_object_foreach(j, k, v)
	{
		ok = ok && verify_key_ok(k, v);
	}
	if (!json_is_object(j) || p == NULL || dom == NULL || dom[0] == '\0' ||
	    !ok) {
		json_decref(j);
		mock_http_error(req, 400, "bad_request",
		                "want {provider, domain, verified, selectors, "
		                "return_path, garbage} with their types");
		return -1;
	}
	if (api->verify == NULL)
		api->verify = json_object();
	prov = json_object_get(api->verify, p);
	if (prov == NULL) {
		prov = json_object();
		json_object_set_new(api->verify, p, prov);
	}
	v = json_object_get(prov, dom);
	json_object_set_new(
	    j, "id",
	    json_integer(v != NULL
	                     ? json_integer_value(json_object_get(v, "id"))
	                     : (json_int_t)json_object_size(prov) + 1));
	/* dom and p point into j: store first, then drop them from it. */
	json_object_set(prov, dom, j);
	json_object_del(j, "provider");
	json_object_del(j, "domain");
	json_decref(j);
	return 0;
}

/* verify_ctl - PUT, GET or DELETE /verify/api. */
static void
verify_ctl(struct evhttp_request *req, const char *rest, void *arg)
{
	struct mock_api *api = arg;

	(void)rest;
	mock_api_state_ctl(api, req, &api->verify, verify_put);
}

struct mock_api_slot *
mock_verify_slot(struct mock_api_slot *s, struct evhttp_request *req)
{
	struct evkeyvalq *h = evhttp_request_get_input_headers(req);
	bool pm = evhttp_find_header(h, "X-Postmark-Account-Token") != NULL ||
	          evhttp_find_header(h, "X-Postmark-Server-Token") != NULL;
	const char *want = pm ? "postmark" : "resend";
	size_t i;

	if (strncmp(s->ep->path, "/domains", 8) != 0 ||
	    strcmp(s->prov->name, want) == 0)
		return s;
	for (i = 0; i < s->api->nslots; i++) {
		struct mock_api_slot *o = &s->api->slots[i];

		if (o->ep->prefix == s->ep->prefix &&
		    strcmp(o->ep->path, s->ep->path) == 0 &&
		    strcmp(o->prov->name, want) == 0)
			return o;
	}
	return s;
}

void
mock_api_verify_register(struct mock_api *api, struct mock_http *h)
{
	mock_http_route_add(h, "/verify/api", false, verify_ctl, api);
}
