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
 * Not done: Content.Template, other operations (GetAccount, ...),
 * session-token checks (X-Amz-Security-Token is signed, not looked up),
 * charsets other than UTF-8/ASCII, EmailTags/ConfigurationSetName (read
 * and ignored: swerve routes by its own configuration).
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
#include "mime/form.h"
#include "providers/sigv4.h"

#define SES_HEADERS_MAX 128
#define SES_XMLNS "http://ses.amazonaws.com/doc/2010-12-01/"

/* ---- decoding (pure) ------------------------------------------------- */

void
compat_raw_req_fini(struct compat_raw_req *r)
{
	size_t i;

	if (r == NULL)
		return;
	free(r->data);
	free(r->env_from);
	for (i = 0; i < r->n_env_to; i++)
		free(r->env_to[i]);
	free(r->env_to);
	memset(r, 0, sizeof(*r));
}

/* raw_env_add - append the addresses of list to r's envelope. */
static void
raw_env_add(struct compat_raw_req *r, struct mime_build_addr *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		r->env_to = xreallocarray(r->env_to, r->n_env_to + 1,
		                          sizeof(*r->env_to));
		r->env_to[r->n_env_to++] = xstrdup(list[i].addr);
	}
}

/* v2_data - the string member "Data" of obj (NULL if absent). */
static int
v2_data(json_t *obj, const char *field, bool header, char **out, size_t *len,
        struct api_error *e)
{
	json_t *d;

	*out = NULL;
	if (obj == NULL || json_is_null(obj))
		return 0;
	if (!json_is_object(obj))
		return api_error_set(e, 400, "invalid_field", field,
		                     "expected an object with Data");
	d = json_object_get(obj, "Data");
	if (compat_json_str(obj, "Data", field, header, out, e) < 0)
		return -1;
	if (len != NULL)
		*len = d ? json_string_length(d) : 0;
	return 0;
}

/* v2_simple - Content.Simple into msg->mail. 0 or -1. */
static int
v2_simple(json_t *s, struct api_msg *msg, struct api_error *e)
{
	struct mime_build_msg *m = &msg->mail;
	json_t *body, *hs, *as, *it;
	char *text = NULL;
	size_t i, len = 0;

	if (!json_is_object(s))
		return api_error_set(e, 400, "invalid_field", "Content.Simple",
		                     "expected an object");
	if (v2_data(json_object_get(s, "Subject"), "Content.Simple.Subject",
	            true, &m->subject, NULL, e) < 0)
		return -1;
	body = json_object_get(s, "Body");
	if (body != NULL && !json_is_object(body))
		return api_error_set(e, 400, "invalid_field",
		                     "Content.Simple.Body",
		                     "expected an object");
	if (v2_data(json_object_get(body, "Text"), "Content.Simple.Body.Text",
	            false, &text, &len, e) < 0)
		return -1;
	if (text != NULL) {
		m->text = text;
		m->text_len = len;
	}
	if (v2_data(json_object_get(body, "Html"), "Content.Simple.Body.Html",
	            false, &text, &len, e) < 0)
		return -1;
	if (text != NULL) {
		m->html = text;
		m->html_len = len;
	}
	hs = json_object_get(s, "Headers");
	if (hs != NULL && !json_is_array(hs))
		return api_error_set(e, 400, "invalid_field",
		                     "Content.Simple.Headers",
		                     "expected an array");
	json_array_foreach(hs, i, it)
	{
		char *n = NULL, *v = NULL;
		int rc = compat_json_str(it, "Name", "Content.Simple.Headers",
		                         true, &n, e);
		if (rc == 0)
			rc = compat_json_str(
			    it, "Value", "Content.Simple.Headers", true, &v, e);
		if (rc == 0)
			rc = compat_field_add(m, n ? n : "", v ? v : "",
			                      "Content.Simple.Headers", e);
		free(n);
		free(v);
		if (rc < 0)
			return -1;
	}
	as = json_object_get(s, "Attachments");
	if (as != NULL && !json_is_array(as))
		return api_error_set(e, 400, "invalid_field",
		                     "Content.Simple.Attachments",
		                     "expected an array");
	json_array_foreach(as, i, it)
	{
		char f[64], *fn = NULL, *ct = NULL, *cid = NULL, *disp = NULL;
		json_t *raw = json_object_get(it, "RawContent");
		int rc;

		snprintf(f, sizeof(f), "Content.Simple.Attachments[%zu]", i);
		if (!json_is_string(raw))
			return api_error_set(e, 400, "invalid_field", f,
			                     "RawContent (base64) is required");
		rc = compat_json_str(it, "FileName", f, true, &fn, e);
		if (rc == 0)
			rc =
			    compat_json_str(it, "ContentType", f, true, &ct, e);
		if (rc == 0)
			rc = compat_json_str(it, "ContentId", f, true, &cid, e);
		if (rc == 0)
			rc = compat_json_str(it, "ContentDisposition", f, true,
			                     &disp, e);
		if (rc == 0)
			rc = compat_att_add_b64(
			    m, fn, ct,
			    disp && strcasecmp(disp, "INLINE") == 0 ? cid
			                                            : NULL,
			    json_string_value(raw), json_string_length(raw), f,
			    e);
		free(fn);
		free(ct);
		free(cid);
		free(disp);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int
compat_ses_v2_decode(const char *body, size_t len, struct api_msg *msg,
                     struct compat_raw_req *raw, struct api_error *e)
{
	struct mime_build_msg *m = &msg->mail;
	json_t *j, *dest, *content, *v;
	int rc = -1;

	memset(msg, 0, sizeof(*msg));
	memset(raw, 0, sizeof(*raw));
	if ((j = compat_json_load(body, len, e)) == NULL)
		return -1;
	if (!json_is_object(j)) {
		api_error_set(e, 400, "invalid_json", "", "expected an object");
		goto fail;
	}
	if (compat_json_addr1(json_object_get(j, "FromEmailAddress"),
	                      "FromEmailAddress", &m->from, e) < 0)
		goto fail;
	dest = json_object_get(j, "Destination");
	if (dest != NULL && !json_is_object(dest)) {
		api_error_set(e, 400, "invalid_field", "Destination",
		              "expected an object");
		goto fail;
	}
	if (compat_json_addrs(json_object_get(dest, "ToAddresses"),
	                      "Destination.ToAddresses", false, &m->to,
	                      &m->n_to, e) < 0 ||
	    compat_json_addrs(json_object_get(dest, "CcAddresses"),
	                      "Destination.CcAddresses", false, &m->cc,
	                      &m->n_cc, e) < 0 ||
	    compat_json_addrs(json_object_get(dest, "BccAddresses"),
	                      "Destination.BccAddresses", false, &msg->bcc,
	                      &msg->n_bcc, e) < 0 ||
	    compat_json_addrs(json_object_get(j, "ReplyToAddresses"),
	                      "ReplyToAddresses", false, &m->reply_to,
	                      &m->n_reply_to, e) < 0)
		goto fail;
	content = json_object_get(j, "Content");
	if (!json_is_object(content)) {
		api_error_set(e, 400, "missing_field", "Content",
		              "Content is required");
		goto fail;
	}
	if (json_object_get(content, "Template") != NULL) {
		api_error_set(e, 400, "invalid_field", "Content.Template",
		              "templates are not supported by this endpoint");
		goto fail;
	}
	if ((v = json_object_get(content, "Raw")) != NULL) {
		json_t *d =
		    json_is_object(v) ? json_object_get(v, "Data") : NULL;
		if (!json_is_string(d)) {
			api_error_set(e, 400, "missing_field",
			              "Content.Raw.Data",
			              "Raw.Data (base64) is required");
			goto fail;
		}
		if (compat_b64_decode(json_string_value(d),
		                      json_string_length(d), &raw->data,
		                      &raw->len) < 0) {
			api_error_set(e, 400, "invalid_field",
			              "Content.Raw.Data",
			              "Raw.Data is not base64");
			goto fail;
		}
		if (m->from.addr != NULL)
			raw->env_from = xstrdup(m->from.addr);
		raw_env_add(raw, m->to, m->n_to);
		raw_env_add(raw, m->cc, m->n_cc);
		raw_env_add(raw, msg->bcc, msg->n_bcc);
		rc = 0;
		goto fail;
	}
	if ((v = json_object_get(content, "Simple")) == NULL) {
		api_error_set(e, 400, "missing_field", "Content",
		              "Content needs Simple or Raw");
		goto fail;
	}
	rc = v2_simple(v, msg, e);
fail:
	json_decref(j);
	if (rc < 0) {
		api_msg_fini(msg);
		compat_raw_req_fini(raw);
	}
	return rc;
}

/* v1_str - the value of field name as a new string, or NULL. */
static int
v1_str(const struct form *fm, const char *name, bool header, char **out,
       size_t *len, struct api_error *e)
{
	const struct form_field *f = form_field_get(fm, name);

	*out = NULL;
	if (f == NULL)
		return 0;
	if (header ? compat_str_check(f->value.p, f->value.len, name, e) < 0
	           : memchr(f->value.p, '\0', f->value.len) != NULL)
		return api_error_set(e, 400, "invalid_field", name,
		                     "%s holds CR, LF or NUL", name);
	*out = str_dup(f->value);
	if (len != NULL)
		*len = f->value.len;
	return 0;
}

/* v1_members - every "prefix.member.N" value, in body order, as addrs. */
static int
v1_members(const struct form *fm, const char *prefix,
           struct mime_build_addr **list, size_t *n, struct api_error *e)
{
	size_t pl = strlen(prefix), i, j;

	for (i = 0; i < fm->n; i++) {
		const struct form_field *f = &fm->f[i];
		struct mime_build_addr a = {0};
		char *s;
		int rc;

		if (f->name.len <= pl + 8 || memcmp(f->name.p, prefix, pl) ||
		    memcmp(f->name.p + pl, ".member.", 8) != 0)
			continue;
		for (j = pl + 8; j < f->name.len; j++)
			if (f->name.p[j] < '0' || f->name.p[j] > '9')
				break;
		if (j < f->name.len)
			continue;
		if (*n >= API_JSON_RCPTS_MAX)
			return api_error_set(e, 400, "invalid_field", prefix,
			                     "too many addresses");
		if (memchr(f->value.p, '\0', f->value.len) != NULL)
			return api_error_set(e, 400, "invalid_field", prefix,
			                     "NUL in an address");
		s = str_dup(f->value);
		rc = api_json_addr_parse(s, &a);
		free(s);
		if (rc < 0)
			return api_error_set(
			    e, 400, "invalid_field", prefix,
			    "Missing final '@domain' or not a valid address");
		*list = xreallocarray(*list, *n + 1, sizeof(**list));
		(*list)[(*n)++] = a;
	}
	return 0;
}

/* v1_send_email - the fields of a SendEmail into msg. 0 or -1. */
static int
v1_send_email(const struct form *fm, struct api_msg *msg, struct api_error *e)
{
	struct mime_build_msg *m = &msg->mail;
	char *src;
	int rc;

	if (v1_str(fm, "Source", true, &src, NULL, e) < 0)
		return -1;
	if (src == NULL)
		return api_error_set(
		    e, 400, "missing_field", "Source",
		    "1 validation error detected: Value null at 'source' "
		    "failed to satisfy constraint: Member must not be null");
	rc = api_json_addr_parse(src, &m->from);
	free(src);
	if (rc < 0)
		return api_error_set(
		    e, 400, "invalid_field", "Source",
		    "Missing final '@domain' or not a valid address");
	if (v1_members(fm, "Destination.ToAddresses", &m->to, &m->n_to, e) ||
	    v1_members(fm, "Destination.CcAddresses", &m->cc, &m->n_cc, e) ||
	    v1_members(fm, "Destination.BccAddresses", &msg->bcc, &msg->n_bcc,
	               e) ||
	    v1_members(fm, "ReplyToAddresses", &m->reply_to, &m->n_reply_to, e))
		return -1;
	if (v1_str(fm, "Message.Subject.Data", true, &m->subject, NULL, e) ||
	    v1_str(fm, "Message.Body.Text.Data", false, &m->text, &m->text_len,
	           e) ||
	    v1_str(fm, "Message.Body.Html.Data", false, &m->html, &m->html_len,
	           e))
		return -1;
	if (m->subject == NULL)
		return api_error_set(
		    e, 400, "missing_field", "Message.Subject.Data",
		    "1 validation error detected: "
		    "Value null at 'message.subject' failed to satisfy "
		    "constraint: Member must not be null");
	return 0;
}

/* v1_send_raw - the fields of a SendRawEmail into raw. 0 or -1. */
static int
v1_send_raw(const struct form *fm, struct compat_raw_req *raw,
            struct api_error *e)
{
	const struct form_field *d = form_field_get(fm, "RawMessage.Data");
	struct mime_build_addr *list = NULL, from = {0};
	size_t n = 0;
	char *src;
	int rc;

	if (d == NULL)
		return api_error_set(
		    e, 400, "missing_field", "RawMessage.Data",
		    "1 validation error detected: Value null at "
		    "'rawMessage' failed to satisfy constraint: Member must "
		    "not be null");
	if (compat_b64_decode(d->value.p, d->value.len, &raw->data, &raw->len) <
	    0)
		return api_error_set(e, 400, "invalid_field", "RawMessage.Data",
		                     "RawMessage.Data is not base64");
	if (v1_str(fm, "Source", true, &src, NULL, e) < 0)
		return -1;
	if (src != NULL) {
		rc = api_json_addr_parse(src, &from);
		free(src);
		if (rc < 0)
			return api_error_set(
			    e, 400, "invalid_field", "Source",
			    "Missing final '@domain' or not a valid address");
		raw->env_from = from.addr;
		free(from.name);
	}
	rc = v1_members(fm, "Destinations", &list, &n, e);
	if (rc == 0)
		raw_env_add(raw, list, n);
	compat_addrs_free(list, n);
	return rc;
}

int
compat_ses_v1_decode(char *body, size_t len, enum compat_ses_action *action,
                     char action_name[64], struct api_msg *msg,
                     struct compat_raw_req *raw, struct api_error *e)
{
	const struct form_field *a;
	const char *why;
	struct form fm;
	int rc = -1;

	memset(msg, 0, sizeof(*msg));
	memset(raw, 0, sizeof(*raw));
	action_name[0] = '\0';
	form_init(&fm);
	if (form_urlencoded_parse(body, len, &fm, &why) < 0) {
		api_error_set(e, 400, "invalid_field", "", "%s", why);
		goto done;
	}
	if ((a = form_field_get(&fm, "Action")) == NULL) {
		api_error_set(e, 400, "missing_action", "Action",
		              "Missing Action");
		goto done;
	}
	snprintf(action_name, 64, "%.*s",
	         (int)(a->value.len > 63 ? 63 : a->value.len), a->value.p);
	if (memchr(action_name, '\0', a->value.len > 63 ? 63 : a->value.len))
		action_name[0] = '\0';
	if (form_str_eq(a->value, "SendEmail")) {
		*action = COMPAT_SES_SEND_EMAIL;
		rc = v1_send_email(&fm, msg, e);
	} else if (form_str_eq(a->value, "SendRawEmail")) {
		*action = COMPAT_SES_SEND_RAW_EMAIL;
		rc = v1_send_raw(&fm, raw, e);
	} else
		api_error_set(
		    e, 400, "invalid_action", "Action",
		    "Could not find operation %s for version 2010-12-01",
		    action_name);
done:
	form_fini(&fm);
	if (rc < 0) {
		api_msg_fini(msg);
		compat_raw_req_fini(raw);
	}
	return rc;
}

/* ---- answers ---------------------------------------------------------- */

/* request_id - a fresh UUID-shaped request id. */
static void
request_id(char out[37])
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
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].code, e->code) == 0)
			return map[i].s;
	return (struct ses_err){400, "BadRequestException",
	                        "InvalidParameterValue", false};
}

void
compat_ses_v2_error_render(const struct api_error *e, struct compat_answer *a)
{
	struct ses_err s = ses_err_map(e);

	compat_answer_json(a, s.status,
	                   json_pack("{s:s}", "message", e->message));
	a->error_type = s.v2;
}

/* ses_v2_fail - a restJson1 error. */
static void
ses_v2_fail(struct evhttp_request *req, const struct api_error *e)
{
	struct compat_answer a;
	char rid[37];

	request_id(rid);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	                  "x-amzn-RequestId", rid);
	compat_ses_v2_error_render(e, &a);
	compat_answer_send(req, &a);
}

/* xml_escape - append s to b with & < > " escaped. */
static void
xml_escape(struct buf *b, const char *s)
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

	a->status = s.status;
	a->ctype = "text/xml";
	a->error_type = NULL;
	buf_init(&a->body);
	buf_printf(&a->body,
	           "<ErrorResponse xmlns=\"%s\">\n  <Error>\n    "
	           "<Type>%s</Type>\n    <Code>%s</Code>\n    <Message>",
	           SES_XMLNS, s.receiver ? "Receiver" : "Sender", s.v1);
	xml_escape(&a->body, e->message);
	buf_printf(&a->body,
	           "</Message>\n  </Error>\n  <RequestId>%s"
	           "</RequestId>\n</ErrorResponse>\n",
	           rid);
}

void
compat_ses_v1_ok_render(int raw, const char *id, const char *rid,
                        struct compat_answer *a)
{
	const char *op = raw ? "SendRawEmail" : "SendEmail";

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

/* ses_v1_fail - an awsQuery <ErrorResponse>. */
static void
ses_v1_fail(struct evhttp_request *req, const struct api_error *e)
{
	struct compat_answer a;
	char rid[37];

	request_id(rid);
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
		ses_v2_fail(req, &e);
		return;
	}
	request_id(rid);
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
		ses_v1_fail(req, &e);
		return;
	}
	request_id(rid);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	                  "x-amzn-RequestId", rid);
	compat_ses_v1_ok_render(*(const enum compat_ses_action *)arg ==
	                            COMPAT_SES_SEND_RAW_EMAIL,
	                        res[0].id, rid, &a);
	compat_answer_send(req, &a);
}

/* ---- authentication --------------------------------------------------- */

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
	sr.method = "POST";
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
 * ses_prepare - msg or raw into *out for key k. 0, or -1 with *e.
 */
static int
ses_prepare(struct compat *c, struct evhttp_request *req,
            const struct config_api_key *k, struct api_msg *msg,
            struct compat_raw_req *raw, struct spool_msg_new *out,
            struct api_error *e)
{
	char client[96];
	int rc;

	http_pending_client(req, client, sizeof(client));
	if (raw->data != NULL)
		rc = compat_raw_prepare(c, k, (const char *)raw->data, raw->len,
		                        raw->env_from, raw->env_to,
		                        raw->n_env_to, NULL, client, out, e);
	else
		rc = compat_msg_prepare(c, k, msg, client, out, e);
	if (rc < 0)
		ses_forbidden_wording(e, raw->data ? raw->env_from
		                                   : msg->mail.from.addr);
	return rc;
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

	if (path == NULL || strcmp(path, "/v2/email/outbound-emails") != 0 ||
	    evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		api_error_set(&e, 404, "not_found", "", "Unknown operation");
		ses_v2_fail(req, &e);
		return;
	}
	if ((body = compat_body(c, req, &len, &e)) == NULL ||
	    ses_auth(c, req, body, len, &k, &e) < 0 ||
	    compat_ses_v2_decode(body, len, &msg, &raw, &e) < 0) {
		ses_v2_fail(req, &e);
		return;
	}
	if (ses_prepare(c, req, &k, &msg, &raw, &m, &e) < 0) {
		api_msg_fini(&msg);
		compat_raw_req_fini(&raw);
		ses_v2_fail(req, &e);
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
		ses_v1_fail(req, &e);
		return;
	}
	if ((body = compat_body(c, req, &len, &e)) == NULL ||
	    ses_auth(c, req, body, len, &k, &e) < 0) {
		ses_v1_fail(req, &e);
		return;
	}
	/* Decoding works in place; the signature was checked on the body
	 * as sent, so the copy is only for tidiness of the request. */
	copy = xmemdup(body, len + 1);
	act = xmalloc(sizeof(*act));
	if (compat_ses_v1_decode(copy, len, act, name, &msg, &raw, &e) < 0) {
		free(copy);
		free(act);
		ses_v1_fail(req, &e);
		return;
	}
	free(copy);
	if (ses_prepare(c, req, &k, &msg, &raw, &m, &e) < 0) {
		api_msg_fini(&msg);
		compat_raw_req_fini(&raw);
		free(act);
		ses_v1_fail(req, &e);
		return;
	}
	api_msg_fini(&msg);
	compat_raw_req_fini(&raw);
	compat_submit(c, req, &k, &m, NULL, 1, ses_v1_done, act, NULL);
}
