/*
 * mock_sendgrid.c - swerve-mock's fake SendGrid v3 Mail Send.
 *
 * POST /v3/mail/send with "Authorization: Bearer KEY" and SendGrid's JSON;
 * the checks a real account makes on structure (personalizations, from,
 * subject, content order, attachments, reserved headers, unique
 * recipients) answer 400 with every problem found, as SendGrid does, in
 * {"errors":[{"message","field","help"}]}. Success is 202 with an empty
 * body and the id in X-Message-Id; the request JSON is stored as sent.
 * The record's "request" holds {"personalizations": count}.
 * GET /v3/scopes is the probe. Other /v3/ paths belong to the fake
 * Mailgun (its /v3/{domain}/...). categories, ip_pool_name,
 * tracking_settings and the custom_args size are checked as SendGrid
 * does (stored, not acted on). Not done: templates, send_at, ASM, data
 * residency (451).
 */
#include <event2/http.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/base64.h"
#include "core/clock.h"
#include "core/xmalloc.h"
#include "mock/mock_api.h"
#include "mock/mock_api_verify.h"
#include "mock/mock_http.h"

#define MOCK_SG_BODY_MAX (30u * 1024 * 1024)
#define MOCK_SG_RCPT_MAX 1000
#define MOCK_SG_HELP                                                           \
	"http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html"

static const char *const mock_sg_reserved[] = {
    "x-sg-id",      "x-sg-eid",
    "received",     "dkim-signature",
    "content-type", "content-transfer-encoding",
    "to",           "from",
    "subject",      "reply-to",
    "cc",           "bcc",
};

/* mock_sg_err - add one {"message","field","help"} to errs. */
static void
mock_sg_err(json_t *errs, const char *field, const char *message,
            const char *help)
{
	json_array_append_new(errs,
	                      json_pack("{s:s,s:s?,s:s?}", "message", message,
	                                "field", field, "help", help));
}

/* mock_sg_reply - errs (taken) with status. */
static void
mock_sg_reply(struct mock_api_req *r, int status, json_t *errs)
{
	mock_api_reply_json(r, status, json_pack("{s:o}", "errors", errs));
}

/* mock_sg_one - a reply with a single error. */
static void
mock_sg_one(struct mock_api_req *r, int status, const char *field,
            const char *message)
{
	json_t *errs = json_array();

	mock_sg_err(errs, field, message, NULL);
	mock_sg_reply(r, status, errs);
}

/* mock_sg_error - a mode's error in SendGrid's shape. */
static void
mock_sg_error(struct mock_api_req *r, enum mock_api_err e, const char *code,
              const char *message)
{
	char v[32];

	/* SendGrid has no code table: the whole argument is the message. */
	message = r->mode.arg[0] != '\0' ? r->mode.arg : NULL;
	(void)code;
	switch (e) {
	case MOCK_API_ERR_THROTTLE:
		mock_api_header_add(r, "X-RateLimit-Limit", "600");
		mock_api_header_add(r, "X-RateLimit-Remaining", "0");
		snprintf(v, sizeof(v), "%lld",
		         (long long)clock_wall_time() +
		             mock_api_retry_after(r));
		mock_api_header_add(r, "X-RateLimit-Reset", v);
		snprintf(v, sizeof(v), "%u", mock_api_retry_after(r));
		mock_api_header_add(r, "Retry-After", v);
		mock_sg_one(r, 429, NULL, "too many requests");
		break;
	case MOCK_API_ERR_INTERNAL:
		mock_sg_one(r, 500, NULL, "internal server error");
		break;
	case MOCK_API_ERR_UNAVAILABLE:
		mock_sg_one(r, 503, NULL, "service unavailable");
		break;
	case MOCK_API_ERR_UNAUTHORIZED:
		mock_sg_one(r, 401, NULL,
		            "The provided authorization grant "
		            "is invalid, expired, or revoked");
		break;
	case MOCK_API_ERR_FORBIDDEN:
		mock_sg_one(r, 403, NULL, "access forbidden");
		break;
	case MOCK_API_ERR_ACCOUNT:
		mock_sg_one(
		    r, 403, "from",
		    message
		        ? message
		        : "The from address does not match a verified Sender "
		          "Identity. Mail cannot be sent until this error is "
		          "resolved. Visit "
		          "https://sendgrid.com/docs/for-developers/"
		          "sending-email/sender-identity/ to see the Sender "
		          "Identity requirements");
		break;
	case MOCK_API_ERR_REJECT:
		mock_sg_one(r, 400, "personalizations.0.to.0.email",
		            message ? message
		                    : "Does not contain a valid address.");
		break;
	case MOCK_API_ERR_NOT_FOUND:
		mock_sg_one(r, 404, NULL, "resource not found");
		break;
	case MOCK_API_ERR_METHOD:
		mock_sg_one(r, 405, NULL, "method not allowed");
		break;
	}
}

/* mock_sg_auth - "Authorization: Bearer KEY". */
static int
mock_sg_auth(struct mock_api_req *r)
{
	const char *h = mock_api_header(r, "Authorization");

	if (h == NULL) {
		mock_sg_one(r, 401, NULL, "authorization required");
		return -1;
	}
	if (strncasecmp(h, "Bearer ", 7) != 0 ||
	    !mock_api_key_check(r, h + 7, strlen(h + 7))) {
		mock_sg_one(r, 401, NULL,
		            "The provided authorization grant "
		            "is invalid, expired, or revoked");
		return -1;
	}
	snprintf(r->identity, sizeof(r->identity), "%s", h + 7);
	return 0;
}

/* mock_sg_email_ok - something that looks like an address. */
static bool
mock_sg_email_ok(json_t *o)
{
	const char *e = json_string_value(json_object_get(o, "email"));
	const char *at = e ? strchr(e, '@') : NULL;

	return at != NULL && at != e && at[1] != '\0' &&
	       strpbrk(e, " <>,;\t\r\n") == NULL && strchr(at + 1, '@') == NULL;
}

/* mock_sg_rcpts - check one personalization's to/cc/bcc and collect. */
static void
mock_sg_rcpts(json_t *p, size_t pi, json_t *errs, struct mock_api_addrs *rc)
{
	static const char *const kinds[] = {"to", "cc", "bcc"};
	struct mock_api_addrs seen = {0};
	char field[96], msg[512];
	size_t k, i, j;
	json_t *list, *o;

	for (k = 0; k < 3; k++) {
		list = json_object_get(p, kinds[k]);
		if (list == NULL)
			continue;
		snprintf(field, sizeof(field), "personalizations.%zu.%s", pi,
		         kinds[k]);
		if (!json_is_array(list)) {
			mock_sg_err(errs, field,
			            "Invalid type. Expected: "
			            "array.",
			            MOCK_SG_HELP);
			continue;
		}
		json_array_foreach(list, i, o)
		{
			const char *e;

			if (!mock_sg_email_ok(o)) {
				snprintf(field, sizeof(field),
				         "personalizations.%zu.%s.%zu.email",
				         pi, kinds[k], i);
				mock_sg_err(errs, field,
				            "Does not contain a "
				            "valid address.",
				            MOCK_SG_HELP);
				continue;
			}
			e = json_string_value(json_object_get(o, "email"));
			for (j = 0; j < seen.n; j++)
				if (strcasecmp(seen.v[j], e) == 0)
					break;
			if (j < seen.n) {
				snprintf(
				    msg, sizeof(msg),
				    "Each email address "
				    "in the personalization block should be "
				    "unique between to, cc, and bcc. We found "
				    "the first duplicate instance of [%s] in "
				    "the personalizations.%zu.%s field.",
				    e, pi, kinds[k]);
				mock_sg_err(errs, field, msg, MOCK_SG_HELP);
				continue;
			}
			mock_api_addrs_push(&seen, e);
			mock_api_addrs_push(rc, e);
		}
	}
	mock_api_addrs_fini(&seen);
}

/* mock_sg_content - check content[]: blocks, order, values. */
static void
mock_sg_content(json_t *root, json_t *errs)
{
	json_t *content = json_object_get(root, "content"), *c;
	bool seen_html = false, order_bad = false;
	char field[64];
	size_t i;

	if (json_object_get(root, "template_id") != NULL && content == NULL)
		return;
	if (!json_is_array(content) || json_array_size(content) == 0) {
		mock_sg_err(
		    errs, "content",
		    "Unless a valid template_id is "
		    "provided, the content parameter is required. There must "
		    "be at least one defined content block. We typically "
		    "suggest both text/plain and text/html blocks are "
		    "included, but only one block is required.",
		    MOCK_SG_HELP "#message.content");
		return;
	}
	json_array_foreach(content, i, c)
	{
		const char *type =
		    json_string_value(json_object_get(c, "type"));
		json_t *v = json_object_get(c, "value");

		if (type == NULL) {
			snprintf(field, sizeof(field), "content.%zu.type", i);
			mock_sg_err(errs, field,
			            "The content type is "
			            "required.",
			            MOCK_SG_HELP);
		} else if (strcasecmp(type, "text/html") == 0) {
			seen_html = true;
		} else if (strcasecmp(type, "text/plain") == 0 && seen_html) {
			order_bad = true;
		}
		if (!json_is_string(v) || json_string_length(v) == 0) {
			snprintf(field, sizeof(field), "content.%zu.value", i);
			mock_sg_err(errs, field,
			            "The content value must be a "
			            "string at least one character in length.",
			            MOCK_SG_HELP);
		}
	}
	if (order_bad)
		mock_sg_err(errs, "content",
		            "If present, text/plain and "
		            "text/html may only be provided in this order: "
		            "text/plain, text/html.",
		            MOCK_SG_HELP);
}

/* mock_sg_attachments - check attachments[]. */
static void
mock_sg_attachments(json_t *root, json_t *errs)
{
	json_t *atts = json_object_get(root, "attachments"), *a, *c;
	char field[64];
	struct buf tmp;
	size_t i;

	if (atts == NULL)
		return;
	if (!json_is_array(atts)) {
		mock_sg_err(errs, "attachments",
		            "Invalid type. Expected: "
		            "array.",
		            MOCK_SG_HELP);
		return;
	}
	buf_init(&tmp);
	json_array_foreach(atts, i, a)
	{
		const char *disp =
		    json_string_value(json_object_get(a, "disposition"));

		c = json_object_get(a, "content");
		tmp.len = 0;
		if (!json_is_string(c) || json_string_length(c) == 0) {
			snprintf(field, sizeof(field),
			         "attachments.%zu.content", i);
			mock_sg_err(errs, field,
			            "The attachment content is "
			            "required.",
			            MOCK_SG_HELP);
		} else if (base64_decode_buf(
		               (struct str){json_string_value(c),
		                            json_string_length(c)},
		               0, &tmp) < 0) {
			snprintf(field, sizeof(field),
			         "attachments.%zu.content", i);
			mock_sg_err(errs, field,
			            "The attachment content must "
			            "be base64 encoded.",
			            MOCK_SG_HELP);
		}
		if (!json_is_string(json_object_get(a, "filename"))) {
			snprintf(field, sizeof(field),
			         "attachments.%zu.filename", i);
			mock_sg_err(errs, field,
			            "The attachment filename "
			            "parameter is required.",
			            MOCK_SG_HELP);
		}
		if (disp != NULL && strcmp(disp, "inline") == 0 &&
		    !json_is_string(json_object_get(a, "content_id"))) {
			snprintf(field, sizeof(field),
			         "attachments.%zu.content_id", i);
			mock_sg_err(errs, field,
			            "The content_id parameter is "
			            "required when the disposition is inline.",
			            MOCK_SG_HELP);
		}
	}
	buf_fini(&tmp);
}

/* mock_sg_headers - check headers{}: string values, nothing reserved. */
static void
mock_sg_headers(json_t *root, json_t *errs)
{
	json_t *h = json_object_get(root, "headers"), *v;
	const char *k;
	size_t i;

	if (h == NULL)
		return;
	if (!json_is_object(h)) {
		mock_sg_err(errs, "headers", "Invalid type. Expected: object.",
		            MOCK_SG_HELP);
		return;
	}
	json_object_foreach(h, k, v)
	{
		if (!json_is_string(v))
			mock_sg_err(errs, "headers",
			            "Invalid type. Expected: "
			            "string, given: other.",
			            MOCK_SG_HELP);
		for (i = 0;
		     i < sizeof(mock_sg_reserved) / sizeof(mock_sg_reserved[0]);
		     i++)
			if (strcasecmp(k, mock_sg_reserved[i]) == 0)
				mock_sg_err(
				    errs, "headers",
				    "Headers cannot be "
				    "set for the following reserved fields: "
				    "x-sg-id, x-sg-eid, received, "
				    "dkim-signature, Content-Type, "
				    "Content-Transfer-Encoding, To, From, "
				    "Subject, Reply-To, CC, BCC",
				    MOCK_SG_HELP "#message.headers");
	}
}

/*
 * mock_sg_options - check what a send may ask of SendGrid besides the
 * message: categories (at most 10 strings of at most 255 characters),
 * ip_pool_name (2 to 64 characters), tracking_settings (objects with a
 * boolean "enable"), custom_args of all personalizations and the top
 * level within 10,000 bytes.
 */
static void
mock_sg_options(json_t *root, json_t *pers, json_t *errs)
{
	json_t *cats = json_object_get(root, "categories"), *v, *ts, *pool, *p;
	const char *k;
	size_t i, ca_bytes = 0;

	if (cats != NULL &&
	    (!json_is_array(cats) || json_array_size(cats) > 10))
		mock_sg_err(errs, "categories",
		            "Too many categories. You may not assign more "
		            "than 10 categories to a single message.",
		            MOCK_SG_HELP "#message.categories");
	json_array_foreach(cats, i, v)
	{
		if (!json_is_string(v) || json_string_length(v) > 255)
			mock_sg_err(errs, "categories",
			            "A category must be a string of at most "
			            "255 characters.",
			            MOCK_SG_HELP "#message.categories");
	}
	pool = json_object_get(root, "ip_pool_name");
	if (pool != NULL &&
	    (!json_is_string(pool) || json_string_length(pool) < 2 ||
	     json_string_length(pool) > 64))
		mock_sg_err(errs, "ip_pool_name",
		            "The ip_pool_name must be a string of 2 to 64 "
		            "characters.",
		            MOCK_SG_HELP "#message.ip_pool_name");
	ts = json_object_get(root, "tracking_settings");
	if (ts != NULL && !json_is_object(ts))
		mock_sg_err(errs, "tracking_settings",
		            "Invalid type. Expected: object.", MOCK_SG_HELP);
	json_object_foreach(ts, k, v)
	{
		json_t *en = json_object_get(v, "enable");

		if (!json_is_object(v) || (en != NULL && !json_is_boolean(en)))
			mock_sg_err(errs, "tracking_settings",
			            "The enable setting must be a boolean.",
			            MOCK_SG_HELP "#message.tracking_settings");
	}
	json_object_foreach(json_object_get(root, "custom_args"), k, v)
	    ca_bytes += strlen(k) + json_string_length(v);
	json_array_foreach(pers, i, p)
	{
		json_object_foreach(json_object_get(p, "custom_args"), k, v)
		    ca_bytes += strlen(k) + json_string_length(v);
	}
	if (ca_bytes > 10000)
		mock_sg_err(errs, "custom_args",
		            "The total size of custom arguments may not exceed "
		            "10,000 bytes.",
		            MOCK_SG_HELP "#message.custom_args");
}

/* mock_sg_message_id - 22 characters like SendGrid's ids. */
static void
mock_sg_message_id(char out[32])
{
	static const char b64url[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char b[22];
	size_t i;

	if (RAND_bytes(b, sizeof(b)) != 1)
		abort();
	for (i = 0; i < sizeof(b); i++)
		out[i] = b64url[b[i] & 63];
	out[sizeof(b)] = '\0';
}

/* mock_sg_send - POST /v3/mail/send. */
static void
mock_sg_send(struct mock_api_req *r)
{
	struct mock_api_addrs rc = {0};
	struct mock_api_capture cap;
	json_t *root, *errs = json_array(), *pers, *p, *from;
	bool all_subjects = true;
	char id[32], field[64];
	struct buf data;
	size_t i;

	if (r->body.len > MOCK_SG_BODY_MAX) {
		json_decref(errs);
		mock_sg_one(
		    r, 413, NULL,
		    "The JSON payload you have included "
		    "in your request is too large. Please limit your requests "
		    "to 30MB.");
		return;
	}
	root = json_loadb(r->body.p ? r->body.p : "", r->body.len, 0, NULL);
	if (!json_is_object(root)) {
		mock_sg_err(errs, NULL, "Bad Request", NULL);
		goto fail;
	}
	pers = json_object_get(root, "personalizations");
	if (!json_is_array(pers) || json_array_size(pers) == 0 ||
	    json_array_size(pers) > MOCK_SG_RCPT_MAX) {
		mock_sg_err(errs, "personalizations",
		            "The personalizations "
		            "field is required and must have at least one "
		            "personalization.",
		            MOCK_SG_HELP "#-Personalizations-Errors");
	}
	json_array_foreach(pers, i, p)
	{
		json_t *to = json_object_get(p, "to"), *ca, *v;
		const char *k;

		if (!json_is_array(to) || json_array_size(to) == 0) {
			snprintf(field, sizeof(field),
			         "personalizations.%zu.to", i);
			mock_sg_err(
			    errs, field,
			    "The to array is required for "
			    "all personalization objects, and must have at "
			    "least one email object with a valid email "
			    "address.",
			    MOCK_SG_HELP "#message.personalizations.to");
		}
		mock_sg_rcpts(p, i, errs, &rc);
		if (!json_is_string(json_object_get(p, "subject")))
			all_subjects = false;
		ca = json_object_get(p, "custom_args");
		json_object_foreach(ca, k, v)
		{
			if (json_is_string(v))
				continue;
			snprintf(field, sizeof(field),
			         "personalizations.%zu.custom_args", i);
			mock_sg_err(errs, field,
			            "Invalid type. Expected: "
			            "string.",
			            MOCK_SG_HELP);
		}
	}
	if (rc.n > MOCK_SG_RCPT_MAX)
		mock_sg_err(errs, "personalizations",
		            "The total number of "
		            "recipients must be no more than 1000.",
		            MOCK_SG_HELP);
	from = json_object_get(root, "from");
	if (!mock_sg_email_ok(from))
		mock_sg_err(
		    errs, "from.email",
		    "The from object must be "
		    "provided for every email send. It is an object that "
		    "requires the email parameter, but may also contain a "
		    "name parameter.",
		    MOCK_SG_HELP "#message.from");
	if (!json_is_string(json_object_get(root, "subject")) &&
	    !all_subjects && json_object_get(root, "template_id") == NULL)
		mock_sg_err(
		    errs, "subject",
		    "The subject is required. You can "
		    "get around this requirement if you use a template with a "
		    "subject defined or if every personalization has a "
		    "subject defined.",
		    MOCK_SG_HELP "#message.subject");
	mock_sg_content(root, errs);
	mock_sg_attachments(root, errs);
	mock_sg_headers(root, errs);
	mock_sg_options(root, pers, errs);
	if (json_array_size(errs) > 0)
		goto fail;
	mock_sg_message_id(id);
	buf_init(&data);
	buf_add(&data, r->body.p, r->body.len);
	cap.from = json_string_value(json_object_get(from, "email"));
	cap.rcpt = rc.v;
	cap.nrcpt = rc.n;
	cap.data = &data;
	cap.format = "json";
	cap.provider_id = id;
	cap.request = json_pack("{s:I}", "personalizations",
	                        (json_int_t)json_array_size(pers));
	if (mock_api_store(r, &cap) == 0) {
		if (r->mode.fault != MOCK_API_MALFORMED)
			mock_api_header_add(r, "X-Message-Id", id);
		mock_api_success(r, 202, NULL);
	}
	buf_fini(&data);
	json_decref(errs);
	goto done;
fail:
	mock_sg_reply(r, 400, errs);
done:
	json_decref(root);
	mock_api_addrs_fini(&rc);
}

/* mock_sg_scopes - GET /v3/scopes, the probe. */
static void
mock_sg_scopes(struct mock_api_req *r)
{
	mock_api_success(
	    r, 200,
	    json_pack("{s:[s,s]}", "scopes", "mail.send", "user.profile.read"));
}

/*
 * mock_sg_supp - GET /v3/suppression/{bounces,spam_reports,unsubscribes}
 * ?limit=N&offset=M: a JSON array of {created, email, reason, status}
 * from the seeded list, paged as SendGrid pages it (limit default 500).
 */
static void
mock_sg_supp(struct mock_api_req *r)
{
	json_t *list = mock_api_supp_get(r->api, "sendgrid", r->rest);
	char *ls = mock_http_query(r->req, "limit");
	char *os = mock_http_query(r->req, "offset");
	long limit = ls ? strtol(ls, NULL, 10) : 500;
	long offset = os ? strtol(os, NULL, 10) : 0;
	json_t *out = json_array();
	size_t i;

	free(ls);
	free(os);
	if (strcmp(r->rest, "bounces") != 0 &&
	    strcmp(r->rest, "spam_reports") != 0 &&
	    strcmp(r->rest, "unsubscribes") != 0) {
		json_decref(out);
		mock_api_reply_json(
		    r, 404,
		    json_pack("{s:[{s:s}]}", "errors", "message", "not found"));
		return;
	}
	if (limit <= 0 || limit > 500)
		limit = 500;
	if (offset < 0)
		offset = 0;
	for (i = (size_t)offset;
	     i < json_array_size(list) && i < (size_t)(offset + limit); i++)
		json_array_append_new(
		    out, json_pack("{s:I,s:O,s:s,s:s}", "created",
		                   (json_int_t)1700000000, "email",
		                   json_array_get(list, i), "reason",
		                   "seeded by swerve-mock", "status", "5.0.0"));
	mock_api_success(r, 200, out);
}

/*
 * SendGrid's dynamic templates, kept in memory (for `swervectl template
 * import --from-provider`): POST /v3/templates {name, generation} makes
 * one (id "d-" + 32 hex), POST /v3/templates/{id}/versions {name,
 * subject, html_content, plain_content, active} adds a version (active
 * 1 deactivates the others), GET /v3/templates?generations=dynamic lists
 * them (one page, versions without their content), GET
 * /v3/templates/{id} answers one with its versions' content.
 */
static json_t *mock_sg_tmpls;
static unsigned mock_sg_tmpl_seq;

/* mock_sg_tmpl_find - the template with id, or NULL. */
static json_t *
mock_sg_tmpl_find(const char *id)
{
	json_t *t;
	size_t i;

	json_array_foreach(mock_sg_tmpls, i, t)
	{
		if (strcmp(json_string_value(json_object_get(t, "id")), id) ==
		    0)
			return t;
	}
	return NULL;
}

static void
mock_sg_not_found(struct mock_api_req *r)
{
	mock_api_reply_json(
	    r, 404, json_pack("{s:[{s:s}]}", "errors", "message", "not found"));
}

/* mock_sg_templates - GET (list) or POST (create) /v3/templates. */
static void
mock_sg_templates(struct mock_api_req *r)
{
	json_t *root, *out, *t, *v, *vs, *res;
	char id[40];
	size_t i, k;

	if (mock_sg_tmpls == NULL)
		mock_sg_tmpls = json_array();
	if (evhttp_request_get_command(r->req) == EVHTTP_REQ_GET) {
		res = json_array();
		json_array_foreach(mock_sg_tmpls, i, t)
		{
			vs = json_array();
			json_array_foreach(json_object_get(t, "versions"), k, v)
			{
				json_array_append_new(
				    vs,
				    json_pack(
				        "{s:O,s:O,s:O,s:O}", "id",
				        json_object_get(v, "id"), "template_id",
				        json_object_get(t, "id"), "active",
				        json_object_get(v, "active"), "name",
				        json_object_get(v, "name")));
			}
			json_array_append_new(
			    res,
			    json_pack("{s:O,s:O,s:s,s:o}", "id",
			              json_object_get(t, "id"), "name",
			              json_object_get(t, "name"), "generation",
			              "dynamic", "versions", vs));
		}
		mock_api_success(r, 200,
		                 json_pack("{s:o,s:{s:I}}", "result", res,
		                           "_metadata", "count",
		                           (json_int_t)json_array_size(res)));
		return;
	}
	root = json_loadb(r->body.p ? r->body.p : "", r->body.len, 0, NULL);
	if (!json_is_string(json_object_get(root, "name"))) {
		json_decref(root);
		mock_api_reply_json(r, 400,
		                    json_pack("{s:[{s:s,s:s}]}", "errors",
		                              "field", "name", "message",
		                              "name required"));
		return;
	}
	snprintf(id, sizeof(id), "d-%032x", ++mock_sg_tmpl_seq);
	out = json_pack("{s:s,s:O,s:s,s:[]}", "id", id, "name",
	                json_object_get(root, "name"), "generation", "dynamic",
	                "versions");
	json_array_append(mock_sg_tmpls, out);
	json_decref(root);
	mock_api_success(r, 201, out);
}

/* mock_sg_template - GET /v3/templates/{id}, POST .../{id}/versions. */
static void
mock_sg_template(struct mock_api_req *r)
{
	char id[64];
	size_t n = strcspn(r->rest, "/"), i;
	json_t *t, *root, *v, *o;

	snprintf(id, sizeof(id), "%.*s", (int)(n < 63 ? n : 63), r->rest);
	t = mock_sg_tmpls ? mock_sg_tmpl_find(id) : NULL;
	if (t == NULL) {
		mock_sg_not_found(r);
		return;
	}
	if (evhttp_request_get_command(r->req) == EVHTTP_REQ_GET &&
	    r->rest[n] == '\0') {
		mock_api_success(r, 200, json_incref(t));
		return;
	}
	if (evhttp_request_get_command(r->req) != EVHTTP_REQ_POST ||
	    strcmp(r->rest + n, "/versions") != 0) {
		mock_sg_not_found(r);
		return;
	}
	root = json_loadb(r->body.p ? r->body.p : "", r->body.len, 0, NULL);
	if (!json_is_object(root)) {
		json_decref(root);
		mock_api_reply_json(r, 400,
		                    json_pack("{s:[{s:s}]}", "errors",
		                              "message", "expected an object"));
		return;
	}
	if (json_integer_value(json_object_get(root, "active")) == 1)
		json_array_foreach(json_object_get(t, "versions"), i, o)
		{
			json_object_set_new(o, "active", json_integer(0));
		}
	v = json_deep_copy(root);
	json_object_set_new(v, "id", json_sprintf("v-%u", ++mock_sg_tmpl_seq));
	json_object_set_new(v, "template_id", json_string(id));
	if (json_object_get(v, "active") == NULL)
		json_object_set_new(v, "active", json_integer(0));
	json_array_append(json_object_get(t, "versions"), v);
	json_decref(root);
	mock_api_success(r, 201, v);
}

static const struct mock_api_endpoint mock_sg_endpoints[] = {
    {"/v3/mail/send", false, EVHTTP_REQ_POST, mock_sg_send, false},
    {"/v3/scopes", false, EVHTTP_REQ_GET, mock_sg_scopes, true},
    {"/v3/user/credits", false, EVHTTP_REQ_GET, mock_api_account_sg_credits,
     true},
    {"/v3/user/account", false, EVHTTP_REQ_GET, mock_api_account_sg_user, true},
    {"/v3/whitelabel/domains", false, EVHTTP_REQ_GET, mock_verify_sendgrid,
     true},
    {"/v3/suppression/", true, EVHTTP_REQ_GET, mock_sg_supp, true},
    {"/v3/templates", false, EVHTTP_REQ_GET | EVHTTP_REQ_POST,
     mock_sg_templates, true},
    {"/v3/templates/", true, EVHTTP_REQ_GET | EVHTTP_REQ_POST, mock_sg_template,
     true},
};

const struct mock_api_provider mock_api_sendgrid = {
    .name = "sendgrid",
    .endpoints = mock_sg_endpoints,
    .nendpoints = sizeof(mock_sg_endpoints) / sizeof(mock_sg_endpoints[0]),
    .auth = mock_sg_auth,
    .error = mock_sg_error,
};
