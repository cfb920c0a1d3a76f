/*
 * compat_ses.c - Amazon SES, as its SDKs call it: API v2 SendEmail
 * (POST /v2/email/outbound-emails, JSON, Content.Simple or Content.Raw)
 * and API v1 Query SendEmail / SendRawEmail (POST /, form-encoded).
 *
 * Every request must carry a SigV4 Authorization for service "ses" (any
 * region: the scope's) signed with a secret from ses_compat.credentials;
 * a missing or malformed header, an unknown access key id, a stale
 * X-Amz-Date and a wrong signature each get the error SES itself sends,
 * in the API's own envelope: v2 is restJson1 (x-amzn-ErrorType header,
 * {"message"} body), v1 is awsQuery XML (<ErrorResponse>). Successes are
 * 200 {"MessageId"} and <SendEmailResponse>/<SendRawEmailResponse>.
 *
 * The decoders are in compat_ses_v1.c and compat_ses_v2.c. A MessageId
 * answered is the swerve message id (GET /v1/messages/ID, events,
 * swervectl show).
 *
 * Templates (Content.Template, SendBulkEmail, the template operations)
 * are in compat_ses_tmpl.c and compat_ses_bulk.c.
 *
 * Not done: other operations (GetAccount, ...), session-token checks
 * (X-Amz-Security-Token is signed, not looked up).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/rand.h>

#include "core/clock.h"
#include "core/xmalloc.h"
#include "ingress/compat.h"
#include "ingress/compat_ses_tmpl.h"
#include "ingress/http_templates.h"
#include "ingress/submit.h"
#include "providers/sigv4.h"

#define SES_HEADERS_MAX 128
#define SES_XMLNS "http://ses.amazonaws.com/doc/2010-12-01/"

/* ---- answers ---------------------------------------------------------- */

void
compat_ses_request_id(char out[37])
{
	unsigned char r[16];

	if (RAND_bytes(r, sizeof(r)) != 1)
		memset(r, 0x5a, sizeof(r));
	snprintf(out, 37,
	         "%02x%02x%02x%02x-%02x%02x-4%x%02x-%x%x%02x-"
	         "%02x%02x%02x%02x%02x%02x",
	         r[0], r[1], r[2], r[3], r[4], r[5], r[6] & 0xf, r[7],
	         8 | (r[8] & 3), r[8] >> 4, r[9], r[10], r[11], r[12], r[13],
	         r[14], r[15]);
}

/* What SES calls a generic error: status, code, SOAP fault type. */
struct ses_err {
	int status;
	const char *v2; /* restJson1 type */
	const char *v1; /* awsQuery code */
	bool receiver;  /* a server-side fault */
};

/* ses_err_map - the SES names for e's generic code. */
static struct ses_err
ses_err_map(const struct api_error *e)
{
	static const struct {
		const char *code;
		struct ses_err s;
	} map[] = {
	    {"missing_auth",
	     {403, "MissingAuthenticationTokenException",
	      "MissingAuthenticationToken", false}},
	    {"unauthorized",
	     {403, "UnrecognizedClientException", "InvalidClientTokenId",
	      false}},
	    {"incomplete_signature",
	     {403, "IncompleteSignatureException", "IncompleteSignature",
	      false}},
	    {"signature",
	     {403, "InvalidSignatureException", "SignatureDoesNotMatch",
	      false}},
	    {"skewed",
	     {403, "InvalidSignatureException", "SignatureDoesNotMatch",
	      false}},
	    {"forbidden", {400, "MessageRejected", "MessageRejected", false}},
	    {"too_large", {400, "MessageRejected", "MessageRejected", false}},
	    /* Every recipient on the tenant's suppression list. */
	    {"suppressed", {400, "MessageRejected", "MessageRejected", false}},
	    {"missing_field",
	     {400, "BadRequestException", "ValidationError", false}},
	    {"missing_action",
	     {400, "BadRequestException", "MissingAction", false}},
	    {"invalid_action",
	     {400, "UnknownOperationException", "InvalidAction", false}},
	    {"not_found",
	     {404, "UnknownOperationException", "InvalidAction", false}},
	    {"method_not_allowed",
	     {404, "UnknownOperationException", "InvalidAction", false}},
	    {"unavailable",
	     {503, "ServiceUnavailable", "ServiceUnavailable", true}},
	    /* Templates (compat_ses_tmpl.c); v1 answers 400 for each. */
	    {"template_not_found",
	     {404, "NotFoundException", "TemplateDoesNotExist", false}},
	    {"already_exists",
	     {400, "AlreadyExistsException", "AlreadyExists", false}},
	    {"template_syntax",
	     {400, "BadRequestException", "InvalidTemplate", false}},
	    {"render_failed",
	     {400, "BadRequestException", "InvalidRenderingParameter", false}},
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].code, e->code) == 0)
			return map[i].s;
	return (struct ses_err){400, "BadRequestException",
	                        "InvalidParameterValue", false};
}

/*
 * ses_message - e's message, naming e's field when the message does not
 * (SES's error bodies carry only a message) into out.
 */
static const char *
ses_message(const struct api_error *e, char *out, size_t n)
{
	if (e->field[0] == '\0' || strstr(e->message, e->field) != NULL ||
	    (strcmp(e->code, "invalid_field") != 0 &&
	     strcmp(e->code, "missing_field") != 0))
		return e->message;
	snprintf(out, n, "%s: %s", e->field, e->message);
	return out;
}

void
compat_ses_v2_error_render(const struct api_error *e, struct compat_answer *a)
{
	struct ses_err s = ses_err_map(e);
	char msg[sizeof(e->field) + sizeof(e->message) + 2];

	compat_answer_json(
	    a, s.status,
	    json_pack("{s:s}", "message", ses_message(e, msg, sizeof(msg))));
	a->error_type = s.v2;
}

void
compat_ses_v2_fail(struct evhttp_request *req, const struct api_error *e)
{
	struct compat_answer a;
	char rid[37];

	compat_ses_request_id(rid);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	                  "x-amzn-RequestId", rid);
	compat_ses_v2_error_render(e, &a);
	compat_answer_send(req, &a);
}

void
compat_ses_xml_escape(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			buf_addstr(b, "&amp;");
			break;
		case '<':
			buf_addstr(b, "&lt;");
			break;
		case '>':
			buf_addstr(b, "&gt;");
			break;
		case '"':
			buf_addstr(b, "&quot;");
			break;
		default:
			buf_addch(b, *s);
		}
	}
}

void
compat_ses_v1_error_render(const struct api_error *e, const char *rid,
                           struct compat_answer *a)
{
	struct ses_err s = ses_err_map(e);
	char msg[sizeof(e->field) + sizeof(e->message) + 2];

	a->status = strcmp(e->code, "template_not_found") == 0 ? 400 : s.status;
	a->ctype = "text/xml";
	a->error_type = NULL;
	buf_init(&a->body);
	buf_printf(&a->body,
	           "<ErrorResponse xmlns=\"%s\">\n  <Error>\n    "
	           "<Type>%s</Type>\n    <Code>%s</Code>\n    <Message>",
	           SES_XMLNS, s.receiver ? "Receiver" : "Sender", s.v1);
	compat_ses_xml_escape(&a->body, ses_message(e, msg, sizeof(msg)));
	buf_printf(&a->body,
	           "</Message>\n  </Error>\n  <RequestId>%s"
	           "</RequestId>\n</ErrorResponse>\n",
	           rid);
}

void
compat_ses_v1_ok_render(int raw, const char *id, const char *rid,
                        struct compat_answer *a)
{
	compat_ses_v1_ok_render_op(raw ? "SendRawEmail" : "SendEmail", id, rid,
	                           a);
}

void
compat_ses_v1_ok_render_op(const char *op, const char *id, const char *rid,
                           struct compat_answer *a)
{
	a->status = 200;
	a->ctype = "text/xml";
	a->error_type = NULL;
	buf_init(&a->body);
	buf_printf(
	    &a->body,
	    "<%sResponse xmlns=\"%s\">\n  <%sResult>\n    "
	    "<MessageId>%s</MessageId>\n  </%sResult>\n  <ResponseMetadata>\n"
	    "    <RequestId>%s</RequestId>\n  </ResponseMetadata>\n"
	    "</%sResponse>\n",
	    op, SES_XMLNS, op, id, op, rid, op);
}

void
compat_ses_v1_fail(struct evhttp_request *req, const struct api_error *e)
{
	struct compat_answer a;
	char rid[37];

	compat_ses_request_id(rid);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	                  "x-amzn-RequestId", rid);
	compat_ses_v1_error_render(e, rid, &a);
	compat_answer_send(req, &a);
}

/* ses_v2_done - answer a v2 SendEmail from its spool result. */
static void
ses_v2_done(struct evhttp_request *req, const struct http_pending_result *res,
            size_t n, void *arg)
{
	struct api_error e;
	char rid[37];

	(void)arg;
	if (compat_result_failed(&res[0], &e)) {
		compat_ses_v2_fail(req, &e);
		return;
	}
	compat_ses_request_id(rid);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	                  "x-amzn-RequestId", rid);
	compat_reply_json(req, 200, json_pack("{s:s}", "MessageId", res[0].id));
	(void)n;
}

/* ses_v1_done - answer a v1 SendEmail / SendRawEmail. */
static void
ses_v1_done(struct evhttp_request *req, const struct http_pending_result *res,
            size_t n, void *arg)
{
	struct compat_answer a;
	struct api_error e;
	char rid[37];

	(void)n;
	if (compat_result_failed(&res[0], &e)) {
		compat_ses_v1_fail(req, &e);
		return;
	}
	compat_ses_request_id(rid);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	                  "x-amzn-RequestId", rid);
	compat_ses_v1_ok_render_op(*(const enum compat_ses_action *)arg ==
	                                   COMPAT_SES_SEND_RAW_EMAIL
	                               ? "SendRawEmail"
	                           : *(const enum compat_ses_action *)arg ==
	                                   COMPAT_SES_SEND_TEMPLATED_EMAIL
	                               ? "SendTemplatedEmail"
	                               : "SendEmail",
	                           res[0].id, rid, &a);
	compat_answer_send(req, &a);
}

/* ---- authentication --------------------------------------------------- */

/* ses_method - the request's method as signed (the template operations
 * use GET, PUT and DELETE too). */
static const char *
ses_method(enum evhttp_cmd_type m)
{
	switch (m) {
	case EVHTTP_REQ_GET:
		return "GET";
	case EVHTTP_REQ_PUT:
		return "PUT";
	case EVHTTP_REQ_DELETE:
		return "DELETE";
	case EVHTTP_REQ_HEAD:
		return "HEAD";
	case EVHTTP_REQ_PATCH:
		return "PATCH";
	default:
		return "POST";
	}
}

/*
 * ses_auth - verify the request's SigV4 signature; the credential it was
 * made with as a key in *k (borrowing the config's strings). 0, or -1
 * with *e set.
 */
static int
ses_auth(struct compat *c, struct evhttp_request *req, const char *body,
         size_t len, struct config_api_key *k, struct api_error *e)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *authz = compat_header(req, "Authorization"), *why = "";
	const struct config_ses_credential *cred = NULL;
	struct sigv4_header hv[SES_HEADERS_MAX];
	struct sigv4_request sr;
	struct sigv4_auth a;
	struct evkeyval *kv;
	enum sigv4_verdict v;
	char *region;
	size_t i, n = 0;

	if (authz == NULL)
		return api_error_set(e, 403, "missing_auth", "",
		                     "Missing Authentication Token");
	if (sigv4_auth_parse(&a, authz, strlen(authz), &why) < 0)
		return api_error_set(
		    e, 403, "incomplete_signature", "",
		    "Authorization header requires a valid SigV4 value: %s",
		    why);
	for (i = 0; i < c->cfg->n_ses_compat_credentials; i++) {
		const struct config_ses_credential *s =
		    &c->cfg->ses_compat_credentials[i];
		if (strlen(s->access_key_id) == a.akid.len &&
		    memcmp(s->access_key_id, a.akid.p, a.akid.len) == 0)
			cred = s;
	}
	if (cred == NULL)
		return api_error_set(
		    e, 403, "unauthorized", "",
		    "The security token included in the request is invalid.");
	TAILQ_FOREACH(kv, in, next)
	{
		if (n == SES_HEADERS_MAX)
			break;
		hv[n].name = kv->key;
		hv[n].value = kv->value;
		n++;
	}
	memset(&sr, 0, sizeof(sr));
	sr.method = ses_method(evhttp_request_get_command(req));
	sr.path = u ? evhttp_uri_get_path(u) : "/";
	sr.query = u ? evhttp_uri_get_query(u) : NULL;
	sr.headers = hv;
	sr.n_headers = n;
	sr.body = body;
	sr.body_len = len;
	region = str_dup(a.region);
	v = sigv4_request_verify(&sr, &a, cred->secret_access_key, region,
	                         "ses", clock_wall_time(), SIGV4_DEFAULT_SKEW_S,
	                         &why);
	free(region);
	switch (v) {
	case SIGV4_OK:
		break;
	case SIGV4_MALFORMED:
		return api_error_set(e, 403, "incomplete_signature", "",
		                     "Incomplete signature: %s", why);
	case SIGV4_SKEWED:
		return api_error_set(e, 403, "skewed", "",
		                     "Signature expired: %s", why);
	case SIGV4_SCOPE:
		return api_error_set(
		    e, 403, "signature", "",
		    "Credential should be scoped to correct service: 'ses'. "
		    "(%s)",
		    why);
	default:
		return api_error_set(
		    e, 403, "signature", "",
		    "The request signature we calculated does not match the "
		    "signature you provided. Check your AWS Secret Access Key "
		    "and signing method. Consult the service documentation "
		    "for details.");
	}
	memset(k, 0, sizeof(*k));
	k->name = cred->access_key_id;
	k->tenant = cred->tenant;
	k->from_domains = cred->from_domains;
	k->n_from_domains = cred->n_from_domains;
	return 0;
}

/* ses_forbidden_wording - SES's words for an unverified identity. */
static void
ses_forbidden_wording(struct api_error *e, const char *from)
{
	if (strcmp(e->code, "forbidden") == 0)
		snprintf(
		    e->message, sizeof(e->message),
		    "Email address is not verified. The following identities "
		    "failed the check: %s",
		    from ? from : "the From address");
}

/*
 * ses_bounce_sender - a simple message's feedback address (v2
 * FeedbackForwardingEmailAddress, v1 ReturnPath; NULL: none) becomes its
 * envelope sender, where bounces go, by the sender rule of the one
 * pipeline. 0, or -1 with *e (and out freed).
 */
static int
ses_bounce_sender(const struct config_api_key *k, const char *client,
                  const char *addr, struct spool_msg_new *out,
                  struct api_error *e)
{
	struct submit_who w = {SUBMIT_INGRESS_HTTP, NULL, k, client};

	if (addr == NULL)
		return 0;
	if (!submit_sender_allowed(&w, addr)) {
		spool_msg_new_fini(out);
		api_error_set(e, 400, "forbidden", "from", "x");
		ses_forbidden_wording(e, addr);
		return -1;
	}
	free(out->sender);
	out->sender = xstrdup(addr);
	return 0;
}

int
compat_ses_prepare(struct compat *c, struct evhttp_request *req,
                   const struct config_api_key *k, struct api_msg *msg,
                   struct compat_raw_req *raw, struct spool_msg_new *out,
                   struct api_error *e)
{
	char client[96];
	int rc;

	http_pending_client(req, client, sizeof(client));
	if (raw->data != NULL) {
		rc = compat_raw_prepare(c, k, (const char *)raw->data, raw->len,
		                        raw->env_from, raw->env_to,
		                        raw->n_env_to, NULL, &msg->meta, client,
		                        out, e);
		if (rc < 0)
			ses_forbidden_wording(e, raw->env_from);
		return rc;
	}
	if (compat_msg_prepare(c, k, msg, client, out, e) < 0) {
		ses_forbidden_wording(e, msg->mail.from.addr);
		return -1;
	}
	return ses_bounce_sender(k, client, raw->env_from, out, e);
}

/* ---- handlers --------------------------------------------------------- */

void
compat_ses_v2_handle(struct compat *c, struct evhttp_request *req,
                     const char *path)
{
	struct compat_raw_req raw;
	struct config_api_key k;
	struct spool_msg_new m;
	struct api_error e;
	struct api_msg msg;
	const char *body;
	size_t len;

	if (path != NULL &&
	    (strcmp(path, "/v2/email/outbound-bulk-emails") == 0 ||
	     strcmp(path, "/v2/email/templates") == 0 ||
	     strncmp(path, "/v2/email/templates/", 20) == 0)) {
		if ((body = compat_body(c, req, &len, &e)) == NULL ||
		    ses_auth(c, req, body, len, &k, &e) < 0)
			compat_ses_v2_fail(req, &e);
		else if (path[10] == 't')
			compat_ses_tmpl_v2(c, req, path, &k, body, len);
		else if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
			api_error_set(&e, 404, "not_found", "",
			              "Unknown operation");
			compat_ses_v2_fail(req, &e);
		} else
			compat_ses_bulk_v2(c, req, &k, body, len);
		return;
	}
	if (path == NULL || strcmp(path, "/v2/email/outbound-emails") != 0 ||
	    evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		api_error_set(&e, 404, "not_found", "", "Unknown operation");
		compat_ses_v2_fail(req, &e);
		return;
	}
	if ((body = compat_body(c, req, &len, &e)) == NULL ||
	    ses_auth(c, req, body, len, &k, &e) < 0 ||
	    compat_ses_v2_decode(body, len, &msg, &raw, &e) < 0) {
		compat_ses_v2_fail(req, &e);
		return;
	}
	if ((msg.template_name != NULL &&
	     compat_ses_tmpl_apply(&k, &msg, &e) < 0) ||
	    compat_ses_prepare(c, req, &k, &msg, &raw, &m, &e) < 0) {
		api_msg_fini(&msg);
		compat_raw_req_fini(&raw);
		compat_ses_v2_fail(req, &e);
		return;
	}
	api_msg_fini(&msg);
	compat_raw_req_fini(&raw);
	compat_submit(c, req, &k, &m, NULL, 1, ses_v2_done, NULL, NULL);
}

void
compat_ses_v1_handle(struct compat *c, struct evhttp_request *req,
                     const char *path)
{
	enum compat_ses_action *act;
	struct compat_raw_req raw;
	struct config_api_key k;
	struct spool_msg_new m;
	struct api_error e;
	struct api_msg msg;
	char name[64], *copy;
	const char *body;
	size_t len;

	if (path == NULL || strcmp(path, "/") != 0 ||
	    evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		api_error_set(&e, 404, "not_found", "", "Unknown operation");
		compat_ses_v1_fail(req, &e);
		return;
	}
	if ((body = compat_body(c, req, &len, &e)) == NULL ||
	    ses_auth(c, req, body, len, &k, &e) < 0) {
		compat_ses_v1_fail(req, &e);
		return;
	}
	/* Decoding works in place; the signature was checked on the body
	 * as sent, so the copy is only for tidiness of the request. */
	copy = xmemdup(body, len + 1);
	act = xmalloc(sizeof(*act));
	if (compat_ses_v1_decode(copy, len, act, name, &msg, &raw, &e) < 0) {
		free(copy);
		free(act);
		compat_ses_v1_fail(req, &e);
		return;
	}
	free(copy);
	if (*act > COMPAT_SES_SEND_TEMPLATED_EMAIL) {
		compat_ses_tmpl_v1(c, req, &k, body, len, *act);
		free(act);
		return;
	}
	if ((msg.template_name != NULL &&
	     compat_ses_tmpl_apply(&k, &msg, &e) < 0) ||
	    compat_ses_prepare(c, req, &k, &msg, &raw, &m, &e) < 0) {
		api_msg_fini(&msg);
		compat_raw_req_fini(&raw);
		free(act);
		compat_ses_v1_fail(req, &e);
		return;
	}
	api_msg_fini(&msg);
	compat_raw_req_fini(&raw);
	compat_submit(c, req, &k, &m, NULL, 1, ses_v1_done, act, NULL);
}
