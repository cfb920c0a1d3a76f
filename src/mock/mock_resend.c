/*
 * mock_resend.c - swerve-mock's fake Resend emails API.
 *
 * POST /emails with "Authorization: Bearer KEY" and Resend's JSON. An
 * Idempotency-Key (1..256 bytes) is honoured for 24 hours: the same key
 * with the same body answers the first id again without storing a second
 * message; with a different body it is 409 invalid_idempotent_request.
 * Errors are {"statusCode","name","message"}; responses carry the
 * ratelimit-* headers. The request JSON is stored as sent; the record's
 * "request" holds idempotency_key (or null) and tags {name: value}. GET
 * /domains is the probe. Not done: /emails/batch, scheduled_at, key scopes.
 */
#include <event2/http.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/xmalloc.h"
#include "mock/mock_api.h"
#include "mock/mock_api_verify.h"
#include "providers/sigv4.h"
#include "spool/msg_meta.h"

#define MOCK_RS_RCPT_MAX 50
#define MOCK_RS_BODY_MAX (40u * 1024 * 1024)
#define MOCK_RS_IDEM_MAX 256

static const struct {
	const char *name;
	int status;
	const char *message;
} mock_rs_codes[] = {
    {"validation_error", 422,
     "We found an error with one or more fields "
     "in the request."},
    {"invalid_from_address", 403,
     "Invalid `from` field: the domain is "
     "not verified."},
    {"daily_quota_exceeded", 429,
     "You have reached your daily email "
     "sending quota."},
    {"monthly_quota_exceeded", 429,
     "You have reached your monthly email "
     "sending quota."},
    {"rate_limit_exceeded", 429,
     "Too many requests. You can only make 2 "
     "requests per second."},
    {"security_error", 451,
     "We may have found a security issue with the "
     "request."},
    {"missing_api_key", 401,
     "Missing API key in the authorization "
     "header."},
    {"restricted_api_key", 401,
     "This API key is restricted to only send "
     "emails."},
    {"invalid_api_key", 403, "API key is invalid."},
    {"not_found", 404, "The requested endpoint does not exist."},
    {"method_not_allowed", 405,
     "Method is not allowed for the requested "
     "path."},
    {"invalid_idempotency_key", 400,
     "The key must be between 1-256 "
     "chars."},
    {"invalid_idempotent_request", 409,
     "Same idempotency key used with a "
     "different request payload. "
     "Change your idempotency key or "
     "payload."},
    {"concurrent_idempotent_requests", 409,
     "Same idempotency key used "
     "while original request is "
     "still in progress."},
    {"missing_required_field", 422,
     "The request body is missing one or "
     "more required fields."},
    {"invalid_parameter", 422, "A parameter is invalid."},
    {"invalid_attachment", 422,
     "Attachment must have either a `content` "
     "or `path`."},
    {"application_error", 500, "An unexpected error occurred."},
    {"internal_server_error", 500, "An unexpected error occurred."},
};
#define MOCK_RS_NCODES (sizeof(mock_rs_codes) / sizeof(mock_rs_codes[0]))

/* mock_rs_headers - the ratelimit-* headers every answer carries. */
static void
mock_rs_headers(struct mock_api_req *r, bool limited)
{
	char v[16];

	mock_api_header_add(r, "ratelimit-limit", "2");
	mock_api_header_add(r, "ratelimit-remaining", limited ? "0" : "1");
	snprintf(v, sizeof(v), "%u", limited ? mock_api_retry_after(r) : 1);
	mock_api_header_add(r, "ratelimit-reset", v);
	if (limited)
		mock_api_header_add(r, "retry-after", v);
}

/* mock_rs_reply - {"statusCode","name","message"}. */
static void
mock_rs_reply(struct mock_api_req *r, int status, const char *name,
              const char *message)
{
	size_t i;

	if (message == NULL)
		for (i = 0; i < MOCK_RS_NCODES; i++)
			if (strcmp(mock_rs_codes[i].name, name) == 0)
				message = mock_rs_codes[i].message;
	mock_rs_headers(r, status == 429);
	mock_api_reply_json(r, status,
	                    json_pack("{s:i,s:s,s:s}", "statusCode", status,
	                              "name", name, "message",
	                              message ? message : "Error"));
}

/* mock_rs_named - an error by name with its usual status (dflt if the
 * name is not in the table, or for validation_error). */
static void
mock_rs_named(struct mock_api_req *r, const char *name, int dflt,
              const char *message)
{
	int status = dflt;
	size_t i;

	for (i = 0; i < MOCK_RS_NCODES; i++)
		if (strcmp(mock_rs_codes[i].name, name) == 0 &&
		    strcmp(name, "validation_error") != 0)
			status = mock_rs_codes[i].status;
	mock_rs_reply(r, status, name, message);
}

/* mock_rs_error - a mode's error in Resend's shape. */
static void
mock_rs_error(struct mock_api_req *r, enum mock_api_err e, const char *code,
              const char *message)
{
	switch (e) {
	case MOCK_API_ERR_THROTTLE:
		mock_rs_reply(
		    r, 429, "rate_limit_exceeded",
		    "Too many "
		    "requests. You can only make 2 requests per second. See "
		    "rate limit response headers for more information. Or "
		    "contact support to increase rate limit.");
		break;
	case MOCK_API_ERR_INTERNAL:
		mock_rs_reply(r, 500, "internal_server_error", NULL);
		break;
	case MOCK_API_ERR_UNAVAILABLE:
		mock_rs_reply(r, 503, "application_error",
		              "Service "
		              "unavailable.");
		break;
	case MOCK_API_ERR_UNAUTHORIZED:
		mock_rs_reply(r, 401, "missing_api_key", NULL);
		break;
	case MOCK_API_ERR_FORBIDDEN:
		mock_rs_reply(r, 403, "invalid_api_key", NULL);
		break;
	case MOCK_API_ERR_ACCOUNT:
		mock_rs_named(
		    r, code ? code : "validation_error", 403,
		    message ? message
		    : code  ? NULL
		            : "You can only send "
		              "testing emails to your own email address. To "
		              "send emails "
		              "to other recipients, please verify a domain at "
		              "resend.com/domains, and change the `from` "
		              "address to an "
		              "email using this domain.");
		break;
	case MOCK_API_ERR_REJECT:
		mock_rs_named(r, code ? code : "validation_error", 422,
		              message ? message
		              : code  ? NULL
		                      : "Invalid `to` field. "
		                        "The recipient was rejected.");
		break;
	case MOCK_API_ERR_NOT_FOUND:
		mock_rs_reply(r, 404, "not_found", NULL);
		break;
	case MOCK_API_ERR_METHOD:
		mock_rs_reply(r, 405, "method_not_allowed", NULL);
		break;
	}
}

/* mock_rs_auth - "Authorization: Bearer KEY". */
static int
mock_rs_auth(struct mock_api_req *r)
{
	const char *h = mock_api_header(r, "Authorization");

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0 || h[7] == '\0') {
		mock_rs_reply(r, 401, "missing_api_key", NULL);
		return -1;
	}
	if (!mock_api_key_check(r, h + 7, strlen(h + 7))) {
		mock_rs_reply(r, 403, "invalid_api_key", NULL);
		return -1;
	}
	snprintf(r->identity, sizeof(r->identity), "%s", h + 7);
	return 0;
}

/* mock_rs_addr_field - add a string-or-array address field to rc.
 * Returns -1 if it is neither or holds something that is not an address. */
static int
mock_rs_addr_field(json_t *root, const char *key, struct mock_api_addrs *rc)
{
	json_t *v = json_object_get(root, key), *e;
	size_t i, before = rc->n;

	if (v == NULL)
		return 0;
	if (json_is_string(v)) {
		mock_api_addrs_add(rc, json_string_value(v),
		                   json_string_length(v));
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, e)
		{
			if (!json_is_string(e))
				return -1;
			mock_api_addrs_add(rc, json_string_value(e),
			                   json_string_length(e));
		}
	} else {
		return -1;
	}
	for (i = before; i < rc->n; i++)
		if (strchr(rc->v[i], '@') == NULL)
			return -1;
	return 0;
}

/* mock_rs_tag_ok - Resend's tag character set. */
static bool
mock_rs_tag_ok(json_t *v)
{
	const char *s = json_string_value(v);

	return s != NULL &&
	       msg_meta_tag_word(s, json_string_length(v), 256, false);
}

/* mock_rs_check - validate the payload; fills from/rc. Returns NULL or
 * the error name, with *msg set. */
static const char *
mock_rs_check(json_t *root, struct mock_api_addrs *from,
              struct mock_api_addrs *rc, const char **msg)
{
	json_t *f = json_object_get(root, "from"), *tags, *atts, *t;
	size_t i;

	if (f == NULL) {
		*msg = "Missing `from` field.";
		return "missing_required_field";
	}
	if (json_object_get(root, "to") == NULL) {
		*msg = "Missing `to` field.";
		return "missing_required_field";
	}
	if (json_object_get(root, "subject") == NULL) {
		*msg = "Missing `subject` field.";
		return "missing_required_field";
	}
	if (json_is_string(f))
		mock_api_addrs_add(from, json_string_value(f),
		                   json_string_length(f));
	if (from->n != 1 || strchr(from->v[0], '@') == NULL) {
		*msg = "Invalid `from` field. The email address needs to "
		       "follow the `email@example.com` or `Name "
		       "<email@example.com>` format.";
		return "validation_error";
	}
	if (mock_rs_addr_field(root, "to", rc) < 0 ||
	    mock_rs_addr_field(root, "cc", rc) < 0 ||
	    mock_rs_addr_field(root, "bcc", rc) < 0 || rc->n == 0) {
		*msg = "Invalid `to` field. The email address needs to follow "
		       "the `email@example.com` or `Name <email@example.com>` "
		       "format.";
		return "validation_error";
	}
	if (rc->n > MOCK_RS_RCPT_MAX) {
		*msg = "Too many recipients: at most 50 in `to`, `cc` and "
		       "`bcc`.";
		return "validation_error";
	}
	if (!json_is_string(json_object_get(root, "html")) &&
	    !json_is_string(json_object_get(root, "text")) &&
	    json_object_get(root, "react") == NULL &&
	    json_object_get(root, "template") == NULL) {
		*msg = "Missing `html` or `text` field.";
		return "validation_error";
	}
	tags = json_object_get(root, "tags");
	if (tags != NULL && !json_is_array(tags))
		goto badtag;
	json_array_foreach(tags, i, t)
	{
		if (!mock_rs_tag_ok(json_object_get(t, "name")) ||
		    !mock_rs_tag_ok(json_object_get(t, "value")))
			goto badtag;
	}
	atts = json_object_get(root, "attachments");
	json_array_foreach(atts, i, t)
	{
		if (!json_is_string(json_object_get(t, "content")) &&
		    !json_is_string(json_object_get(t, "path"))) {
			*msg = "Attachment must have either a `content` or "
			       "`path`.";
			return "invalid_attachment";
		}
	}
	return NULL;
badtag:
	*msg = "Tags should only contain ASCII letters, numbers, underscores, "
	       "or dashes.";
	return "validation_error";
}

/* mock_rs_send - POST /emails. */
static void
mock_rs_send(struct mock_api_req *r)
{
	const char *key = mock_api_header(r, "Idempotency-Key");
	struct mock_api_addrs from = {0}, rc = {0};
	struct mock_api_capture cap;
	char sha[SIGV4_HEX_LEN + 1], id[64];
	const char *err, *msg = NULL;
	json_t *root = NULL, *tags, *t, *tagmap;
	struct buf data;
	bool same;
	size_t i;

	if (key != NULL && (key[0] == '\0' || strlen(key) > MOCK_RS_IDEM_MAX)) {
		mock_rs_reply(r, 400, "invalid_idempotency_key", NULL);
		return;
	}
	if (r->body.len > MOCK_RS_BODY_MAX) {
		mock_rs_reply(r, 413, "validation_error",
		              "The email exceeds "
		              "the 40 MB limit.");
		return;
	}
	sigv4_sha256_hex(sha, r->body.p ? r->body.p : "", r->body.len);
	if (key != NULL &&
	    mock_api_idem_find(r, key, sha, id, sizeof(id), &same)) {
		if (!same) {
			mock_rs_reply(r, 409, "invalid_idempotent_request",
			              NULL);
			return;
		}
		mock_rs_headers(r, false);
		mock_api_success(r, 200, json_pack("{s:s}", "id", id));
		return;
	}
	root = json_loadb(r->body.p ? r->body.p : "", r->body.len, 0, NULL);
	if (!json_is_object(root)) {
		mock_rs_reply(r, 400, "validation_error",
		              "Invalid JSON in the "
		              "request body.");
		goto done;
	}
	err = mock_rs_check(root, &from, &rc, &msg);
	if (err != NULL) {
		mock_rs_reply(r, 422, err, msg);
		goto done;
	}
	tagmap = json_object();
	tags = json_object_get(root, "tags");
	json_array_foreach(tags, i, t)
	{
		json_object_set(tagmap,
		                json_string_value(json_object_get(t, "name")),
		                json_object_get(t, "value"));
	}
	mock_api_uuid(id);
	buf_init(&data);
	buf_add(&data, r->body.p, r->body.len);
	cap.from = from.v[0];
	cap.rcpt = rc.v;
	cap.nrcpt = rc.n;
	cap.data = &data;
	cap.format = "json";
	cap.provider_id = id;
	cap.request =
	    json_pack("{s:s?,s:o}", "idempotency_key", key, "tags", tagmap);
	if (mock_api_store(r, &cap) == 0) {
		if (key != NULL)
			mock_api_idem_put(r, key, sha, id);
		mock_rs_headers(r, false);
		mock_api_success(r, 200, json_pack("{s:s}", "id", id));
	}
	buf_fini(&data);
done:
	json_decref(root);
	mock_api_addrs_fini(&from);
	mock_api_addrs_fini(&rc);
}

/* mock_rs_domains - GET /domains, the probe. */
static void
mock_rs_domains(struct mock_api_req *r)
{
	mock_rs_headers(r, false);
	if (mock_verify_resend_list(r))
		return;
	mock_api_success(
	    r, 200,
	    json_pack("{s:s,s:[{s:s,s:s,s:s,s:s}]}", "object", "list", "data",
	              "id", "00000000-0000-4000-8000-000000000000", "name",
	              "example.com", "status",
	              mock_api_account_str(r->api, "resend", "domain_status",
	                                   "verified"),
	              "region", "us-east-1"));
}

static const struct mock_api_endpoint mock_rs_endpoints[] = {
    {"/emails", false, EVHTTP_REQ_POST, mock_rs_send, false},
    {"/domains", false, EVHTTP_REQ_GET, mock_rs_domains, true},
    {"/domains/", true, EVHTTP_REQ_GET, mock_verify_resend_domain, true},
};

const struct mock_api_provider mock_api_resend = {
    .name = "resend",
    .endpoints = mock_rs_endpoints,
    .nendpoints = sizeof(mock_rs_endpoints) / sizeof(mock_rs_endpoints[0]),
    .auth = mock_rs_auth,
    .error = mock_rs_error,
};
