/*
 * mock_postmark.c - swerve-mock's fake Postmark email API.
 *
 * POST /email (one message) and /email/batch (an array of at most 500)
 * with X-Postmark-Server-Token. API-level errors are HTTP 422 with
 * {"ErrorCode": N, "Message": ...} from Postmark's published table; a bad
 * or missing token is 401 with ErrorCode 10; a batch answers 200 with one
 * result per message, failures included. Every accepted message's JSON is
 * stored (a batch element re-serialised, not byte-exact); the record's
 * "request" holds message_stream, tag and, for a batch, batch_index.
 * GET /server is the probe. Not done: templates, the account token API,
 * the bounce API, the POSTMARK_API_TEST token.
 */
#include <event2/http.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "core/clock.h"
#include "core/xmalloc.h"
#include "mock/mock_api.h"
#include "mock/mock_api_verify.h"
#include "mock/mock_tmpl.h"

#define MOCK_PM_RCPT_MAX 50
#define MOCK_PM_BATCH_MAX 500
#define MOCK_PM_BODY_MAX (10u * 1024 * 1024)

static const struct {
	int code;
	const char *message;
} mock_pm_codes[] = {
    {100, "We are currently doing some maintenance. Please try again "
          "later."},
    {300, "Invalid email request"},
    {400, "Sender signature not found"},
    {401, "Sender signature not confirmed"},
    {402, "Received invalid JSON input."},
    {403, "Incompatible JSON input."},
    {405, "Not allowed to send: your account has run out of credits."},
    {406, "You tried to send to recipient(s) that have been marked as "
          "inactive. Inactive recipients are ones that have generated a "
          "hard bounce, a spam complaint, or a manual suppression."},
    {409, "JSON data required."},
    {410, "Too many batch messages."},
    {411, "Forbidden attachment type."},
    {412, "Account pending approval: while your account is pending "
          "approval, all recipient addresses must share the same domain "
          "as the 'From' address."},
    {413, "This account may not send."},
};

/* mock_pm_code_message - the usual text of an ErrorCode. */
static const char *
mock_pm_code_message(int code)
{
	size_t i;

	for (i = 0; i < sizeof(mock_pm_codes) / sizeof(mock_pm_codes[0]); i++)
		if (mock_pm_codes[i].code == code)
			return mock_pm_codes[i].message;
	return "Error";
}

/* mock_pm_code_reply - HTTP status with {"ErrorCode","Message"}. */
static void
mock_pm_code_reply(struct mock_api_req *r, int status, int code,
                   const char *message)
{
	mock_api_reply_json(
	    r, status,
	    json_pack("{s:i,s:s}", "ErrorCode", code, "Message",
	              message ? message : mock_pm_code_message(code)));
}

/* mock_pm_msg_reply - HTTP status with {"Message"} only. */
static void
mock_pm_msg_reply(struct mock_api_req *r, int status, const char *message)
{
	mock_api_reply_json(r, status, json_pack("{s:s}", "Message", message));
}

/* mock_pm_mode_code - the ErrorCode of an account/reject argument. */
static int
mock_pm_mode_code(const char *code, int dflt)
{
	char *end;
	long v;

	if (code == NULL)
		return dflt;
	v = strtol(code, &end, 10);
	return (*end == '\0' && v > 0 && v < 100000) ? (int)v : dflt;
}

/* mock_pm_error - a mode's error in Postmark's shape. */
static void
mock_pm_error(struct mock_api_req *r, enum mock_api_err e, const char *code,
              const char *message)
{
	char ra[16];

	switch (e) {
	case MOCK_API_ERR_THROTTLE:
		snprintf(ra, sizeof(ra), "%u", mock_api_retry_after(r));
		mock_api_header_add(r, "Retry-After", ra);
		mock_pm_msg_reply(r, 429, "Rate limit exceeded.");
		break;
	case MOCK_API_ERR_INTERNAL:
		mock_pm_msg_reply(r, 500, "Internal Server Error");
		break;
	case MOCK_API_ERR_UNAVAILABLE:
		mock_pm_code_reply(r, 503, 100, NULL);
		break;
	case MOCK_API_ERR_UNAUTHORIZED:
		mock_pm_code_reply(
		    r, 401, 10,
		    "The Server Token you provided "
		    "in the X-Postmark-Server-Token request header was "
		    "invalid. Please verify that you are using a valid token.");
		break;
	case MOCK_API_ERR_FORBIDDEN:
		mock_pm_msg_reply(r, 403, "Forbidden");
		break;
	case MOCK_API_ERR_ACCOUNT:
		mock_pm_code_reply(r, 422, mock_pm_mode_code(code, 412),
		                   message);
		break;
	case MOCK_API_ERR_REJECT:
		mock_pm_code_reply(r, 422, mock_pm_mode_code(code, 406),
		                   message);
		break;
	case MOCK_API_ERR_NOT_FOUND:
		mock_pm_msg_reply(r, 404, "Not Found");
		break;
	case MOCK_API_ERR_METHOD:
		mock_pm_msg_reply(r, 405, "Method Not Allowed");
		break;
	}
}

/* mock_pm_auth - X-Postmark-Server-Token. */
static int
mock_pm_auth(struct mock_api_req *r)
{
	const char *t = mock_api_header(r, "X-Postmark-Server-Token");

	/* The account API (domains) takes the account token. */
	if (t == NULL)
		t = mock_api_header(r, "X-Postmark-Account-Token");

	if (t == NULL) {
		mock_pm_code_reply(
		    r, 401, 10,
		    "No Account or Server API "
		    "tokens were supplied in the HTTP headers. Please add a "
		    "header for either X-Postmark-Server-Token or "
		    "X-Postmark-Account-Token.");
		return -1;
	}
	if (!mock_api_key_check(r, t, strlen(t))) {
		mock_pm_error(r, MOCK_API_ERR_UNAUTHORIZED, NULL, NULL);
		return -1;
	}
	snprintf(r->identity, sizeof(r->identity), "%s", t);
	return 0;
}

/* One message's verdict. */
struct mock_pm_check {
	int code;          /* 0: valid */
	char message[512]; /* why, when code != 0 */
	struct mock_api_addrs rc;
	struct mock_api_addrs from;
};

/* mock_pm_addrs - one address field into rc; -1 (with c set) if an
 * address has no '@'. */
static int
mock_pm_addrs(json_t *msg, const char *key, struct mock_pm_check *c)
{
	json_t *v = json_object_get(msg, key);
	size_t i, before = c->rc.n;

	if (v == NULL)
		return 0;
	if (!json_is_string(v)) {
		c->code = 300;
		snprintf(c->message, sizeof(c->message),
		         "Error parsing '%s': "
		         "expected a string.",
		         key);
		return -1;
	}
	mock_api_addrs_add(&c->rc, json_string_value(v), json_string_length(v));
	for (i = before; i < c->rc.n; i++) {
		if (strchr(c->rc.v[i], '@') == NULL) {
			c->code = 300;
			snprintf(
			    c->message, sizeof(c->message),
			    "Error parsing "
			    "'%s': Illegal email address '%.200s'. It must "
			    "contain the '@' symbol.",
			    key, c->rc.v[i]);
			return -1;
		}
	}
	return 0;
}

/* mock_pm_check - validate one message object. */
static void
mock_pm_check(json_t *msg, struct mock_pm_check *c)
{
	json_t *from = json_object_get(msg, "From"), *md, *v;
	const char *k;

	if (!json_is_object(msg)) {
		c->code = 403;
		snprintf(c->message, sizeof(c->message), "%s",
		         mock_pm_code_message(403));
		return;
	}
	if (json_is_string(from))
		mock_api_addrs_add(&c->from, json_string_value(from),
		                   json_string_length(from));
	if (c->from.n == 0 || strchr(c->from.v[0], '@') == NULL) {
		c->code = 300;
		snprintf(c->message, sizeof(c->message),
		         "Invalid 'From' "
		         "address: '%.200s'.",
		         json_is_string(from) ? json_string_value(from) : "");
		return;
	}
	if (mock_pm_addrs(msg, "To", c) < 0 ||
	    mock_pm_addrs(msg, "Cc", c) < 0 || mock_pm_addrs(msg, "Bcc", c) < 0)
		return;
	c->code = 300;
	if (c->rc.n == 0) {
		snprintf(c->message, sizeof(c->message),
		         "Zero recipients "
		         "specified");
		return;
	}
	if (c->rc.n > MOCK_PM_RCPT_MAX) {
		snprintf(c->message, sizeof(c->message),
		         "Too many recipients "
		         "specified: at most 50 (To, Cc and Bcc together).");
		return;
	}
	if (!json_is_string(json_object_get(msg, "TextBody")) &&
	    !json_is_string(json_object_get(msg, "HtmlBody"))) {
		snprintf(c->message, sizeof(c->message),
		         "Provide either email "
		         "TextBody or HtmlBody or both.");
		return;
	}
	md = json_object_get(msg, "Metadata");
	if (md != NULL && (!json_is_object(md) || json_object_size(md) > 10)) {
		snprintf(c->message, sizeof(c->message),
		         "Metadata must be an "
		         "object of at most 10 fields.");
		return;
	}
	json_object_foreach(md, k, v)
	{
		if (strlen(k) > 20 || !json_is_string(v) ||
		    json_string_length(v) > 80) {
			snprintf(
			    c->message, sizeof(c->message),
			    "Metadata "
			    "field '%.40s': names are at most 20 characters, "
			    "values strings of at most 80.",
			    k);
			return;
		}
	}
	v = json_object_get(msg, "TrackLinks");
	if ((v != NULL && (!json_is_string(v) ||
	                   (strcmp(json_string_value(v), "None") != 0 &&
	                    strcmp(json_string_value(v), "HtmlAndText") != 0 &&
	                    strcmp(json_string_value(v), "HtmlOnly") != 0 &&
	                    strcmp(json_string_value(v), "TextOnly") != 0))) ||
	    (json_object_get(msg, "TrackOpens") != NULL &&
	     !json_is_boolean(json_object_get(msg, "TrackOpens")))) {
		snprintf(c->message, sizeof(c->message),
		         "TrackOpens must be a boolean and TrackLinks one of "
		         "None, HtmlAndText, HtmlOnly, TextOnly.");
		return;
	}
	c->code = 0;
}

/* mock_pm_check_fini - release a verdict's lists. */
static void
mock_pm_check_fini(struct mock_pm_check *c)
{
	mock_api_addrs_fini(&c->rc);
	mock_api_addrs_fini(&c->from);
}

/* mock_pm_now - SubmittedAt: ISO 8601 with 7 fraction digits, UTC. */
static void
mock_pm_now(char out[40])
{
	int64_t us = clock_wall_us();
	time_t sec = (time_t)(us / 1000000);
	struct tm tm;
	char s[24];

	gmtime_r(&sec, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 40, "%s.%07ldZ", s, (long)(us % 1000000) * 10);
}

/* mock_pm_accept - store one valid message; the success object, or NULL
 * when the store refused it (r was then answered). */
static json_t *
mock_pm_accept(struct mock_api_req *r, json_t *msg, struct mock_pm_check *c,
               const char *raw, size_t raw_len, int batch_index)
{
	struct mock_api_capture cap;
	json_t *to = json_object_get(msg, "To");
	char id[37], when[40];
	struct buf data;

	buf_init(&data);
	if (raw != NULL) {
		buf_add(&data, raw, raw_len);
	} else {
		char *text = json_dumps(msg, JSON_COMPACT);

		buf_addstr(&data, text);
		free(text);
	}
	mock_api_uuid(id);
	mock_pm_now(when);
	cap.from = c->from.v[0];
	cap.rcpt = c->rc.v;
	cap.nrcpt = c->rc.n;
	cap.data = &data;
	cap.format = "json";
	cap.provider_id = id;
	cap.request = json_pack(
	    "{s:s,s:O?}", "message_stream",
	    json_is_string(json_object_get(msg, "MessageStream"))
	        ? json_string_value(json_object_get(msg, "MessageStream"))
	        : "outbound",
	    "tag", json_object_get(msg, "Tag"));
	if (batch_index >= 0)
		json_object_set_new(cap.request, "batch_index",
		                    json_integer(batch_index));
	if (mock_api_store(r, &cap) < 0) {
		buf_fini(&data);
		return NULL;
	}
	buf_fini(&data);
	return json_pack("{s:s,s:s,s:s,s:i,s:s}", "To",
	                 json_is_string(to) ? json_string_value(to) : "",
	                 "SubmittedAt", when, "MessageID", id, "ErrorCode", 0,
	                 "Message", "OK");
}

/* mock_pm_parse - the body as JSON, or NULL after a 422 402/409. */
static json_t *
mock_pm_parse(struct mock_api_req *r)
{
	json_t *root;

	if (r->body.len > MOCK_PM_BODY_MAX * 5) {
		mock_pm_msg_reply(r, 413, "Request Entity Too Large");
		return NULL;
	}
	if (r->body.len == 0) {
		mock_pm_code_reply(r, 422, 409, NULL);
		return NULL;
	}
	root = json_loadb(r->body.p, r->body.len, 0, NULL);
	if (root == NULL)
		mock_pm_code_reply(r, 422, 402, NULL);
	return root;
}

/* mock_pm_send - POST /email. */
static void
mock_pm_send(struct mock_api_req *r)
{
	struct mock_pm_check c;
	json_t *root, *ok;

	root = mock_pm_parse(r);
	if (root == NULL)
		return;
	memset(&c, 0, sizeof(c));
	mock_pm_check(root, &c);
	if (c.code != 0) {
		mock_pm_code_reply(r, 422, c.code, c.message);
	} else if (r->body.len > MOCK_PM_BODY_MAX) {
		mock_pm_code_reply(r, 422, 300, "Message size exceeds 10 MB.");
	} else if ((ok = mock_pm_accept(r, root, &c, r->body.p, r->body.len,
	                                -1)) != NULL) {
		mock_api_success(r, 200, ok);
	}
	mock_pm_check_fini(&c);
	json_decref(root);
}

/* mock_pm_matches - a recipient matches the follow-rcptfail substring. */
static bool
mock_pm_matches(const struct mock_api_req *r, const struct mock_pm_check *c)
{
	size_t i;

	if (r->mode.fault != MOCK_API_REJECT || r->mode.match[0] == '\0')
		return false;
	for (i = 0; i < c->rc.n; i++)
		if (strstr(c->rc.v[i], r->mode.match) != NULL)
			return true;
	return false;
}

/* mock_pm_batch - POST /email/batch: one result per message. */
static void
mock_pm_batch(struct mock_api_req *r)
{
	char arg[MOCK_API_ARG_MAX + 1], *sp;
	const char *mcode = NULL, *mmsg = NULL;
	json_t *root, *out, *msg;
	size_t i;

	root = mock_pm_parse(r);
	if (root == NULL)
		return;
	if (!json_is_array(root)) {
		json_decref(root);
		mock_pm_code_reply(r, 422, 403, NULL);
		return;
	}
	if (json_array_size(root) > MOCK_PM_BATCH_MAX) {
		json_decref(root);
		mock_pm_code_reply(r, 422, 410, NULL);
		return;
	}
	/* Account and reject modes fail each message, not the batch. */
	snprintf(arg, sizeof(arg), "%s", r->mode.arg);
	if (arg[0] != '\0') {
		mcode = arg;
		if ((sp = strchr(arg, ' ')) != NULL) {
			*sp = '\0';
			mmsg = sp + 1;
		}
	}
	out = json_array();
	json_array_foreach(root, i, msg)
	{
		struct mock_pm_check c;
		json_t *res = NULL;
		int code = 0;

		memset(&c, 0, sizeof(c));
		mock_pm_check(msg, &c);
		if (c.code != 0)
			code = c.code;
		else if (r->mode.fault == MOCK_API_ACCOUNT)
			code = mock_pm_mode_code(mcode, 412);
		else if (r->mode.fault == MOCK_API_REJECT &&
		         (r->mode.match[0] == '\0' || mock_pm_matches(r, &c)))
			code = mock_pm_mode_code(mcode, 406);
		if (code != 0) {
			const char *m =
			    c.code != 0
			        ? c.message
			        : (mmsg ? mmsg : mock_pm_code_message(code));

			res = json_pack("{s:i,s:s}", "ErrorCode", code,
			                "Message", m);
		} else {
			res = mock_pm_accept(r, msg, &c, NULL, 0, (int)i);
		}
		mock_pm_check_fini(&c);
		json_array_append_new(out, res);
	}
	json_decref(root);
	mock_api_success(r, 200, out);
}

/* mock_pm_server - GET /server, the probe. */
static void
mock_pm_server(struct mock_api_req *r)
{
	mock_api_success(
	    r, 200,
	    json_pack("{s:i,s:s,s:s,s:s}", "ID", 1, "Name", "swerve-mock",
	              "DeliveryType",
	              mock_api_account_str(r->api, "postmark", "delivery_type",
	                                   "Live"),
	              "Color", "blue"));
}

/*
 * mock_pm_supp - GET /message-streams/{stream}/suppressions/dump:
 * {"Suppressions": [{EmailAddress, SuppressionReason, Origin,
 * CreatedAt}]} from the seeded lists (HardBounce, SpamComplaint,
 * ManualSuppression), every stream alike.
 */
static void
mock_pm_supp(struct mock_api_req *r)
{
	static const char *const reasons[] = {"HardBounce", "SpamComplaint",
	                                      "ManualSuppression"};
	const char *tail = strchr(r->rest, '/');
	json_t *out = json_array(), *list;
	size_t i, k;

	if (tail == NULL || strcmp(tail, "/suppressions/dump") != 0) {
		json_decref(out);
		mock_api_reply_json(r, 404,
		                    json_pack("{s:i,s:s}", "ErrorCode", 1235,
		                              "Message", "not found"));
		return;
	}
	for (k = 0; k < sizeof(reasons) / sizeof(reasons[0]); k++) {
		list = mock_api_supp_get(r->api, "postmark", reasons[k]);
		for (i = 0; i < json_array_size(list); i++)
			json_array_append_new(
			    out, json_pack("{s:O,s:s,s:s,s:s}", "EmailAddress",
			                   json_array_get(list, i),
			                   "SuppressionReason", reasons[k],
			                   "Origin", "Recipient", "CreatedAt",
			                   "2023-11-14T22:13:20-05:00"));
	}
	mock_api_success(r, 200, json_pack("{s:o}", "Suppressions", out));
}

static const struct mock_api_endpoint mock_pm_endpoints[] = {
    {"/email", false, EVHTTP_REQ_POST, mock_pm_send, false},
    /* probe-like: account and reject modes answer per message. */
    {"/email/batch", false, EVHTTP_REQ_POST, mock_pm_batch, true},
    {"/server", false, EVHTTP_REQ_GET, mock_pm_server, true},
    {"/domains", false, EVHTTP_REQ_GET, mock_verify_postmark_list, true},
    {"/domains/", true, EVHTTP_REQ_GET, mock_verify_postmark_domain, true},
    {"/message-streams/", true, EVHTTP_REQ_GET, mock_pm_supp, true},
    {"/templates", false, EVHTTP_REQ_GET, mock_pm_tmpl_list, true},
    {"/templates/", true, EVHTTP_REQ_GET, mock_pm_tmpl_get, true},
};

const struct mock_api_provider mock_api_postmark = {
    .name = "postmark",
    .endpoints = mock_pm_endpoints,
    .nendpoints = sizeof(mock_pm_endpoints) / sizeof(mock_pm_endpoints[0]),
    .auth = mock_pm_auth,
    .error = mock_pm_error,
};
