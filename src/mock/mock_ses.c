/*
 * mock_ses.c - swerve-mock's fake Amazon SES API v2.
 *
 * SendEmail (POST /v2/email/outbound-emails) with Content.Raw (the decoded
 * MIME is stored byte for byte) or Content.Simple (the request JSON is
 * stored), and GetAccount (GET /v2/email/account) for probes. Every
 * request must carry a SigV4 Authorization for service "ses"; the region
 * is whatever the credential scope names, the secret is looked up by
 * access key id, and the signature is checked with providers/sigv4.h.
 * Errors are restJson1: status, x-amzn-ErrorType, x-amzn-RequestId and a
 * body {"message": ...}. The /messages record's "request" holds region,
 * content ("raw"|"simple"), from_email_address, destination {to,cc,bcc},
 * configuration_set and tags {name: value}. Not done: Content.Template, the v1
 * Query API, X-Amz-Security-Token session credentials (accepted, not checked),
 * sandbox rules, quotas.
 */
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "core/base64.h"
#include "core/clock.h"
#include "core/xmalloc.h"
#include "mock/mock_api.h"
#include "mock/mock_api_verify.h"
#include "mock/mock_http.h"
#include "providers/sigv4.h"

#define MOCK_SES_HEADERS_MAX 128
#define MOCK_SES_RCPT_MAX 50
#define MOCK_SES_RAW_MAX (40u * 1024 * 1024)
#define MOCK_SES_CORAL                                                         \
	":http://internal.amazon.com/coral/com.amazon.coral.service/"

static const struct {
	const char *code;
	int status;
	const char *message;
} mock_ses_codes[] = {
    {"MessageRejected", 400, "Message rejected: content rejected."},
    {"MailFromDomainNotVerifiedException", 400,
     "The MAIL FROM domain is not verified."},
    {"AccountSuspendedException", 400,
     "Your account has been shut down because of policy violations."},
    {"SendingPausedException", 400, "Sending is paused for this account."},
    {"NotFoundException", 404,
     "The resource you attempted to access "
     "doesn't exist."},
    {"BadRequestException", 400, "The input you provided is invalid."},
    {"LimitExceededException", 400,
     "There are too many instances of the specified resource type."},
    {"TooManyRequestsException", 429,
     "Too many requests have been made to the operation."},
    {"ThrottlingException", 400, "Maximum sending rate exceeded."},
    {"Throttling", 400, "Maximum sending rate exceeded."},
    {"AccessDeniedException", 403,
     "User is not authorized to perform: ses:SendEmail"},
    {"InternalFailure", 500,
     "The request processing has failed because "
     "of an unknown error, exception or failure."},
    {"InternalServiceErrorException", 500,
     "The request couldn't be processed because an error occurred."},
    {"ServiceUnavailable", 503, "Service is unavailable."},
};
#define MOCK_SES_NCODES (sizeof(mock_ses_codes) / sizeof(mock_ses_codes[0]))

/* mock_ses_reply_error - a restJson1 error. */
static void
mock_ses_reply_error(struct mock_api_req *r, int status, const char *type,
                     const char *message)
{
	char rid[37];

	mock_api_uuid(rid);
	mock_api_header_add(r, "x-amzn-RequestId", rid);
	mock_api_header_add(r, "x-amzn-ErrorType", type);
	if (status == 429 || status == 503) {
		char s[16];

		snprintf(s, sizeof(s), "%u", mock_api_retry_after(r));
		mock_api_header_add(r, "Retry-After", s);
	}
	mock_api_reply_json(r, status, json_pack("{s:s}", "message", message));
}

/* mock_ses_code_error - an error named by code, with its usual status. */
static void
mock_ses_code_error(struct mock_api_req *r, const char *code,
                    const char *message)
{
	size_t i;

	for (i = 0; i < MOCK_SES_NCODES; i++)
		if (strcmp(mock_ses_codes[i].code, code) == 0)
			break;
	if (i == MOCK_SES_NCODES) {
		mock_ses_reply_error(r, 400, code,
		                     message ? message
		                             : "swerve-mock: error on request");
		return;
	}
	mock_ses_reply_error(r, mock_ses_codes[i].status, code,
	                     message ? message : mock_ses_codes[i].message);
}

/* mock_ses_error - a mode's error in SES's shape. */
static void
mock_ses_error(struct mock_api_req *r, enum mock_api_err e, const char *code,
               const char *message)
{
	switch (e) {
	case MOCK_API_ERR_THROTTLE:
		mock_ses_code_error(r, "TooManyRequestsException", NULL);
		break;
	case MOCK_API_ERR_INTERNAL:
		mock_ses_code_error(r, "InternalFailure", NULL);
		break;
	case MOCK_API_ERR_UNAVAILABLE:
		mock_ses_code_error(r, "ServiceUnavailable", NULL);
		break;
	case MOCK_API_ERR_UNAUTHORIZED:
		mock_ses_reply_error(
		    r, 401, "UnrecognizedClientException" MOCK_SES_CORAL,
		    "The security token included in the request is invalid.");
		break;
	case MOCK_API_ERR_FORBIDDEN:
		mock_ses_code_error(r, "AccessDeniedException", NULL);
		break;
	case MOCK_API_ERR_ACCOUNT:
		mock_ses_code_error(r, code ? code : "SendingPausedException",
		                    message);
		break;
	case MOCK_API_ERR_REJECT:
		mock_ses_code_error(r, code ? code : "MessageRejected",
		                    message);
		break;
	case MOCK_API_ERR_NOT_FOUND:
	case MOCK_API_ERR_METHOD:
		mock_ses_reply_error(r, 404, "UnknownOperationException",
		                     "Unknown operation");
		break;
	}
}

/* mock_ses_auth - verify the SigV4 signature of the request. */
static int
mock_ses_auth(struct mock_api_req *r)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(r->req);
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(r->req);
	struct sigv4_header hv[MOCK_SES_HEADERS_MAX];
	const char *authz = mock_api_header(r, "Authorization");
	const char *why = "", *secret;
	struct sigv4_request sreq;
	struct sigv4_auth a;
	struct evkeyval *kv;
	enum sigv4_verdict v;
	char *region, msg[512];
	size_t n = 0;

	if (authz == NULL) {
		mock_ses_reply_error(
		    r, 403,
		    "MissingAuthenticationTokenException" MOCK_SES_CORAL,
		    "Missing Authentication Token");
		return -1;
	}
	if (sigv4_auth_parse(&a, authz, strlen(authz), &why) < 0) {
		snprintf(msg, sizeof(msg),
		         "Authorization header is malformed: "
		         "%s",
		         why);
		mock_ses_reply_error(
		    r, 403, "IncompleteSignatureException" MOCK_SES_CORAL, msg);
		return -1;
	}
	secret = mock_api_aws_secret(r, a.akid);
	if (secret == NULL) {
		mock_ses_reply_error(
		    r, 403, "UnrecognizedClientException" MOCK_SES_CORAL,
		    "The security token included in the request is invalid.");
		return -1;
	}
	TAILQ_FOREACH(kv, in, next)
	{
		if (n == MOCK_SES_HEADERS_MAX)
			break;
		hv[n].name = kv->key;
		hv[n].value = kv->value;
		n++;
	}
	sreq.method = evhttp_request_get_command(r->req) == EVHTTP_REQ_GET
	                  ? "GET"
	                  : "POST";
	sreq.path = r->path;
	sreq.query = uri ? evhttp_uri_get_query(uri) : NULL;
	sreq.headers = hv;
	sreq.n_headers = n;
	sreq.body = r->body.p;
	sreq.body_len = r->body.len;
	region = str_dup(a.region);
	v = sigv4_request_verify(&sreq, &a, secret, region, "ses",
	                         clock_wall_time(), mock_api_aws_skew(r), &why);
	free(region);
	switch (v) {
	case SIGV4_OK:
		snprintf(r->identity, sizeof(r->identity), "%.*s",
		         (int)a.akid.len, a.akid.p);
		return 0;
	case SIGV4_MALFORMED:
		snprintf(msg, sizeof(msg), "Incomplete signature: %s", why);
		mock_ses_reply_error(
		    r, 403, "IncompleteSignatureException" MOCK_SES_CORAL, msg);
		return -1;
	case SIGV4_SCOPE:
		snprintf(msg, sizeof(msg),
		         "Credential should be scoped to "
		         "correct service: 'ses'. (%s)",
		         why);
		break;
	case SIGV4_SKEWED:
		snprintf(msg, sizeof(msg), "Signature expired: %s", why);
		break;
	case SIGV4_MISMATCH:
	default:
		snprintf(
		    msg, sizeof(msg),
		    "The request signature we "
		    "calculated does not match the signature you provided. "
		    "Check your AWS Secret Access Key and signing method. "
		    "Consult the service documentation for details.");
		break;
	}
	mock_ses_reply_error(r, 403, "InvalidSignatureException" MOCK_SES_CORAL,
	                     msg);
	return -1;
}

/* mock_ses_message_id - an id shaped like SES's. */
static void
mock_ses_message_id(char out[64])
{
	char uuid[37];

	mock_api_uuid(uuid);
	snprintf(out, 64, "0100%012llx-%s-000000",
	         (unsigned long long)clock_wall_ms(), uuid);
}

/* mock_ses_addr_list - append Destination.<key>[] to rc and to arr.
 * Returns -1 if it is not an array of strings. */
static int
mock_ses_addr_list(json_t *dest, const char *key, struct mock_api_addrs *rc,
                   json_t *arr)
{
	json_t *list = json_object_get(dest, key), *v;
	size_t i;

	if (list == NULL)
		return 0;
	if (!json_is_array(list))
		return -1;
	json_array_foreach(list, i, v)
	{
		if (!json_is_string(v))
			return -1;
		mock_api_addrs_add(rc, json_string_value(v),
		                   json_string_length(v));
		json_array_append(arr, v);
	}
	return 0;
}

/* mock_ses_tag_ok - SES's character set for tag names and values. */
static bool
mock_ses_tag_ok(json_t *v)
{
	const char *s = json_string_value(v);
	size_t i, n = json_string_length(v);

	if (s == NULL || n == 0 || n > 256)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-' ||
		      c == '.' || c == '@'))
			return false;
	}
	return true;
}

/* mock_ses_send - SendEmail. */
static void
mock_ses_send(struct mock_api_req *r)
{
	struct mock_api_addrs rc = {0};
	struct mock_api_capture cap;
	json_t *root, *content, *dest, *raw, *simple, *tags, *t, *req = NULL;
	json_t *to = json_array(), *cc = json_array(), *bcc = json_array();
	json_t *tagmap = json_object();
	const char *from, *bad = NULL, *bad_code = "BadRequestException";
	struct buf data, hdr;
	char id[64], region[64] = "";
	const char *scope;
	size_t i;

	buf_init(&data);
	buf_init(&hdr);
	root = json_loadb(r->body.p ? r->body.p : "", r->body.len, 0, NULL);
	if (!json_is_object(root)) {
		bad = "Failed to read the request body as a JSON object.";
		goto fail;
	}
	content = json_object_get(root, "Content");
	raw = json_object_get(content, "Raw");
	simple = json_object_get(content, "Simple");
	if (!json_is_object(content)) {
		bad = "1 validation error detected: Value null at 'content' "
		      "failed to satisfy constraint: Member must not be null";
		goto fail;
	}
	if ((raw != NULL) + (simple != NULL) +
	        (json_object_get(content, "Template") != NULL) !=
	    1) {
		bad = "Content must hold exactly one of Simple, Raw or "
		      "Template.";
		goto fail;
	}
	if (raw == NULL && simple == NULL) {
		bad = "swerve-mock does not render Content.Template.";
		goto fail;
	}
	dest = json_object_get(root, "Destination");
	if (dest != NULL &&
	    (!json_is_object(dest) ||
	     mock_ses_addr_list(dest, "ToAddresses", &rc, to) < 0 ||
	     mock_ses_addr_list(dest, "CcAddresses", &rc, cc) < 0 ||
	     mock_ses_addr_list(dest, "BccAddresses", &rc, bcc) < 0)) {
		bad = "Destination must hold arrays of address strings.";
		goto fail;
	}
	tags = json_object_get(root, "EmailTags");
	if (tags != NULL && !json_is_array(tags)) {
		bad = "EmailTags must be an array.";
		goto fail;
	}
	json_array_foreach(tags, i, t)
	{
		json_t *tn = json_object_get(t, "Name");
		json_t *tv = json_object_get(t, "Value");

		if (!mock_ses_tag_ok(tn) || !mock_ses_tag_ok(tv)) {
			bad = "Invalid tag: names and values may only hold "
			      "ASCII letters, digits, '_', '-', '.' and '@' "
			      "(1..256 bytes).";
			goto fail;
		}
		json_object_set(tagmap, json_string_value(tn), tv);
	}
	from = json_string_value(json_object_get(root, "FromEmailAddress"));
	if (raw != NULL) {
		json_t *d = json_object_get(raw, "Data");

		if (!json_is_string(d) || json_string_length(d) == 0 ||
		    base64_decode_buf((struct str){json_string_value(d),
		                                   json_string_length(d)},
		                      0, &data) < 0) {
			bad = "Content.Raw.Data must be non-empty base64.";
			goto fail;
		}
		if (data.len > MOCK_SES_RAW_MAX) {
			bad_code = "MessageRejected";
			bad = "Message length is more than 40 megabytes long.";
			goto fail;
		}
		if (rc.n == 0) {
			/* No Destination: SES takes the header recipients. */
			static const char *const h[] = {"To", "Cc", "Bcc"};

			for (i = 0; i < 3; i++) {
				hdr.len = 0;
				if (mock_api_mime_header(data.p, data.len, h[i],
				                         &hdr))
					mock_api_addrs_add(&rc, hdr.p, hdr.len);
			}
		}
		if (from == NULL) {
			struct mock_api_addrs f = {0};

			hdr.len = 0;
			if (mock_api_mime_header(data.p, data.len, "From",
			                         &hdr))
				mock_api_addrs_add(&f, hdr.p, hdr.len);
			buf_fini(&hdr);
			if (f.n > 0)
				buf_addstr(&hdr, f.v[0]);
			mock_api_addrs_fini(&f);
			if (hdr.len == 0) {
				bad_code = "MessageRejected";
				bad =
				    "Missing final '@domain': no From address.";
				goto fail;
			}
			from = buf_cstr(&hdr);
		}
	} else {
		json_t *subj = json_object_get(simple, "Subject");
		json_t *body = json_object_get(simple, "Body");

		if (from == NULL ||
		    !json_is_string(json_object_get(subj, "Data")) ||
		    !json_is_object(body) ||
		    (json_object_get(body, "Text") == NULL &&
		     json_object_get(body, "Html") == NULL)) {
			bad = "Content.Simple needs FromEmailAddress, "
			      "Subject.Data and a Text or Html body.";
			goto fail;
		}
		buf_add(&data, r->body.p, r->body.len);
	}
	if (rc.n == 0) {
		bad = "No recipients: Destination is empty.";
		goto fail;
	}
	if (rc.n > MOCK_SES_RCPT_MAX) {
		bad_code = "MessageRejected";
		bad = "Recipient count exceeds 50.";
		goto fail;
	}
	scope = strchr(mock_api_header(r, "Authorization"), '/');
	if (scope != NULL)
		sscanf(scope, "/%*8[0-9]/%63[^/]", region);
	req = json_pack(
	    "{s:s,s:s,s:s?,s:{s:o,s:o,s:o},s:O?,s:o}", "region", region,
	    "content", raw ? "raw" : "simple", "from_email_address",
	    json_string_value(json_object_get(root, "FromEmailAddress")),
	    "destination", "to", to, "cc", cc, "bcc", bcc, "configuration_set",
	    json_object_get(root, "ConfigurationSetName"), "tags", tagmap);
	to = cc = bcc = tagmap = NULL;
	mock_ses_message_id(id);
	cap.from = from;
	cap.rcpt = rc.v;
	cap.nrcpt = rc.n;
	cap.data = &data;
	cap.format = raw ? "mime" : "json";
	cap.provider_id = id;
	cap.request = req;
	if (mock_api_store(r, &cap) == 0) {
		char rid[37];

		mock_api_uuid(rid);
		mock_api_header_add(r, "x-amzn-RequestId", rid);
		mock_api_success(r, 200, json_pack("{s:s}", "MessageId", id));
	}
	goto done;
fail:
	mock_ses_code_error(r, bad_code, bad);
done:
	json_decref(to);
	json_decref(cc);
	json_decref(bcc);
	json_decref(tagmap);
	json_decref(root);
	mock_api_addrs_fini(&rc);
	buf_fini(&data);
	buf_fini(&hdr);
}

/* mock_ses_account - GetAccount, the probe. */
static void
mock_ses_account(struct mock_api_req *r)
{
	bool paused = r->mode.fault == MOCK_API_ACCOUNT;
	bool shut = paused && strncmp(r->mode.arg, "AccountSuspended", 16) == 0;
	/* A state set by PUT /account/api wins (mock_api_account.c). */
	json_t *st = mock_api_account_get(r->api, "ses"), *v;
	const char *enf = shut ? "SHUTDOWN" : "HEALTHY";
	double max24 = 50000, rate = 14, sent = (double)mock_api_accepted(r);
	bool enabled = !paused;
	char rid[37];

	if (st != NULL) {
		if ((v = json_object_get(st, "enforcement")) != NULL)
			enf = json_string_value(v);
		if ((v = json_object_get(st, "max_24h")) != NULL)
			max24 = json_number_value(v);
		if ((v = json_object_get(st, "sent_24h")) != NULL)
			sent = json_number_value(v);
		if ((v = json_object_get(st, "max_rate")) != NULL)
			rate = json_number_value(v);
		if ((v = json_object_get(st, "sending_enabled")) != NULL)
			enabled = enabled && json_is_true(v);
	}
	mock_api_uuid(rid);
	mock_api_header_add(r, "x-amzn-RequestId", rid);
	mock_api_success(
	    r, 200,
	    json_pack("{s:b,s:s,s:b,s:{s:f,s:f,s:f},s:b,s:{s:[s,s]}}",
	              "DedicatedIpAutoWarmupEnabled", 0, "EnforcementStatus",
	              enf, "ProductionAccessEnabled", 1, "SendQuota",
	              "Max24HourSend", max24, "MaxSendRate", rate,
	              "SentLast24Hours", sent, "SendingEnabled", enabled,
	              "SuppressionAttributes", "SuppressedReasons", "BOUNCE",
	              "COMPLAINT"));
}

/* mock_ses_unknown - any other /v2/ path. */
static void
mock_ses_unknown(struct mock_api_req *r)
{
	mock_ses_error(r, MOCK_API_ERR_NOT_FOUND, NULL, NULL);
}

/*
 * mock_ses_supp - GET /v2/email/suppression/addresses?PageSize=N
 * [&NextToken=T] (ListSuppressedDestinations): {"SuppressedDestination
 * Summaries": [{EmailAddress, Reason, LastUpdateTime}], "NextToken"}
 * from the seeded BOUNCE then COMPLAINT lists; the token is an offset.
 */
static void
mock_ses_supp(struct mock_api_req *r)
{
	static const char *const reasons[] = {"BOUNCE", "COMPLAINT"};
	char *ps = mock_http_query(r->req, "PageSize");
	char *tok = mock_http_query(r->req, "NextToken");
	long size = ps ? strtol(ps, NULL, 10) : 1000;
	long from = tok ? strtol(tok, NULL, 10) : 0, at = 0;
	json_t *out = json_array(), *list, *root;
	char next[32], rid[37];
	size_t i, k;

	free(ps);
	free(tok);
	if (size <= 0 || size > 1000)
		size = 1000;
	for (k = 0; k < sizeof(reasons) / sizeof(reasons[0]); k++) {
		list = mock_api_supp_get(r->api, "ses", reasons[k]);
		for (i = 0; i < json_array_size(list); i++, at++)
			if (at >= from && at < from + size)
				json_array_append_new(
				    out,
				    json_pack("{s:O,s:s,s:f}", "EmailAddress",
				              json_array_get(list, i), "Reason",
				              reasons[k], "LastUpdateTime",
				              1700000000.0));
	}
	root = json_pack("{s:o}", "SuppressedDestinationSummaries", out);
	if (at > from + size) {
		snprintf(next, sizeof(next), "%ld", from + size);
		json_object_set_new(root, "NextToken", json_string(next));
	}
	mock_api_uuid(rid);
	mock_api_header_add(r, "x-amzn-RequestId", rid);
	mock_api_success(r, 200, root);
}

/*
 * SES v2 templates, kept in memory (for `swervectl template import
 * --from-provider`): POST /v2/email/templates (CreateEmailTemplate),
 * GET /v2/email/templates?PageSize=N[&NextToken=T] (ListEmailTemplates;
 * the token is an offset) and GET /v2/email/templates/NAME
 * (GetEmailTemplate), each behind the signature check.
 */
static json_t *mock_ses_tmpls;

static void
mock_ses_tmpl_reply(struct mock_api_req *r, int code, json_t *obj)
{
	char rid[37];

	mock_api_uuid(rid);
	mock_api_header_add(r, "x-amzn-RequestId", rid);
	if (code == 200)
		mock_api_success(r, 200, obj);
	else
		mock_api_reply_json(r, code, obj);
}

/* mock_ses_templates - POST (create) or GET (list) /v2/email/templates. */
static void
mock_ses_templates(struct mock_api_req *r)
{
	json_t *root, *nm, *out, *t;
	char *ps, *tok, next[32];
	long size, from;
	size_t i;

	if (mock_ses_tmpls == NULL)
		mock_ses_tmpls = json_array();
	if (evhttp_request_get_command(r->req) == EVHTTP_REQ_POST) {
		root = json_loadb(r->body.p ? r->body.p : "", r->body.len, 0,
		                  NULL);
		nm = json_object_get(root, "TemplateName");
		if (!json_is_string(nm) ||
		    !json_is_object(json_object_get(root, "TemplateContent"))) {
			json_decref(root);
			mock_ses_tmpl_reply(
			    r, 400,
			    json_pack(
			        "{s:s}", "message",
			        "TemplateName and TemplateContent needed"));
			return;
		}
		json_array_append_new(mock_ses_tmpls, root);
		mock_ses_tmpl_reply(r, 200, json_object());
		return;
	}
	ps = mock_http_query(r->req, "PageSize");
	tok = mock_http_query(r->req, "NextToken");
	size = ps ? strtol(ps, NULL, 10) : 10;
	from = tok ? strtol(tok, NULL, 10) : 0;
	free(ps);
	free(tok);
	if (size <= 0 || size > 100)
		size = 10;
	if (from < 0)
		from = 0;
	out = json_array();
	for (i = (size_t)from;
	     i < json_array_size(mock_ses_tmpls) && i < (size_t)(from + size);
	     i++) {
		t = json_array_get(mock_ses_tmpls, i);
		json_array_append_new(
		    out, json_pack("{s:O,s:f}", "TemplateName",
		                   json_object_get(t, "TemplateName"),
		                   "CreatedTimestamp", 1700000000.0));
	}
	root = json_pack("{s:o}", "TemplatesMetadata", out);
	if (json_array_size(mock_ses_tmpls) > (size_t)(from + size)) {
		snprintf(next, sizeof(next), "%ld", from + size);
		json_object_set_new(root, "NextToken", json_string(next));
	}
	mock_ses_tmpl_reply(r, 200, root);
}

/* mock_ses_template - GET /v2/email/templates/NAME. */
static void
mock_ses_template(struct mock_api_req *r)
{
	json_t *t;
	size_t i;

	json_array_foreach(mock_ses_tmpls, i, t)
	{
		if (strcmp(
		        json_string_value(json_object_get(t, "TemplateName")),
		        r->rest) == 0) {
			mock_ses_tmpl_reply(r, 200, json_incref(t));
			return;
		}
	}
	mock_ses_tmpl_reply(
	    r, 404, json_pack("{s:s}", "message", "Template does not exist."));
}

static const struct mock_api_endpoint mock_ses_endpoints[] = {
    {"/v2/email/outbound-emails", false, EVHTTP_REQ_POST, mock_ses_send, false},
    {"/v2/email/account", false, EVHTTP_REQ_GET, mock_ses_account, true},
    {"/v2/email/identities/", true, EVHTTP_REQ_GET, mock_verify_ses, true},
    {"/v2/email/suppression/addresses", false, EVHTTP_REQ_GET, mock_ses_supp,
     true},
    {"/v2/email/templates", false, EVHTTP_REQ_GET | EVHTTP_REQ_POST,
     mock_ses_templates, true},
    {"/v2/email/templates/", true, EVHTTP_REQ_GET, mock_ses_template, true},
    {"/v2/", true,
     EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE,
     mock_ses_unknown, true},
};

const struct mock_api_provider mock_api_ses = {
    .name = "ses",
    .endpoints = mock_ses_endpoints,
    .nendpoints = sizeof(mock_ses_endpoints) / sizeof(mock_ses_endpoints[0]),
    .auth = mock_ses_auth,
    .error = mock_ses_error,
};
