/*
 * ses.c - the Amazon SES API v2 adapter (type: ses).
 *
 * Sends with SendEmail and Content.Raw: the spooled message byte for byte
 * (base64 in JSON), the envelope recipients as Destination.ToAddresses
 * (SES does not rewrite the MIME headers of a raw message), the envelope
 * sender as FromEmailAddress, swerve's id as the EmailTag swerve_id (SES
 * echoes tags in configuration-set events) and ConfigurationSetName when
 * configured. The message's msg_meta goes along: its tags (a label with
 * the value "true") and metadata members as more EmailTags, each only
 * where SES's tag rule allows it, and its config_set when the provider
 * configures none; anything else of it is listed as not applied
 * (providers/meta_out.h). Every request is signed with SigV4, service "ses"
 * (providers/sigv4.h), including X-Amz-Security-Token for temporary
 * credentials. The endpoint is https://email.{region}.amazonaws.com unless
 * providers[].endpoint overrides it (tests, emulators, VPC endpoints).
 *
 * An answer is read into facts (the error code from x-amzn-ErrorType,
 * else body "code" / "__type"; the message; the MessageId); what they
 * mean is the SES table in send/policy_http.c (docs/providers.md,
 * "Classification - HTTP providers").
 *
 * Probe: GetAccount (GET /v2/email/account), the cheapest signed call; it
 * proves the credentials and the clock, and says whether sending is
 * enabled and how much of the 24-hour quota and send rate is left.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "core/base64.h"
#include "core/xmalloc.h"
#include "providers/aws_sign.h"
#include "providers/mail_json.h"
#include "providers/meta_out.h"
#include "providers/providers_http.h"
#include "send/policy.h"

#define SES_SEND_PATH "/v2/email/outbound-emails"
#define SES_ACCOUNT_PATH "/v2/email/account"
#define SES_CONFIG_SET_MAX 64 /* letters, digits, '_', '-' */

static const char *const ses_want[] = {"x-amzn-ErrorType", "x-amzn-RequestId"};

/*
 * ses_sign - set out's URL to the endpoint + path and sign it (service
 * "ses"; providers/aws_sign.h) for out's method, body and (when
 * content_type is not NULL) Content-Type.
 */
static int
ses_sign(const struct config_provider *cfg, struct http_out *out,
         const char *path, const char *content_type, time_t now)
{
	char dflt[128], *base;
	int rc;

	snprintf(dflt, sizeof(dflt), "https://email.%s.amazonaws.com",
	         aws_region(cfg));
	base = http_base_url(cfg, dflt);
	rc = aws_sign(cfg, out, base, "ses", path, content_type, NULL, now);
	free(base);
	return rc;
}

/*
 * ses_config_set - the ConfigurationSetName, or NULL: the configured one
 * (the operator's event publishing, which swerve's own feedback may rely
 * on; a set the account lacks would be a config failure for the whole
 * provider), else the message's. A message's set that differs from the
 * configured one is listed in na.
 */
static const char *
ses_config_set(const struct config_provider *cfg, const struct msg_meta *mm,
               struct buf *na)
{
	const char *want = mm ? mm->config_set : NULL;

	if (cfg->configuration_set && *cfg->configuration_set) {
		if (want && strcmp(want, cfg->configuration_set) != 0)
			meta_out_skip(na,
			              "config_set \"%.64s\" (the provider's "
			              "is %.64s)",
			              want, cfg->configuration_set);
		return cfg->configuration_set;
	}
	if (want == NULL)
		return NULL;
	/* SES's rule for a set's name; anything else would be refused
	 * (BadRequest) and fail the message, not just the name. */
	if (!meta_out_token_ok(want, SES_CONFIG_SET_MAX)) {
		meta_out_skip(na, "config_set \"%.64s\" (characters)", want);
		return NULL;
	}
	return want;
}

int
ses_request_build(const struct config_provider *cfg,
                  const struct adapter_msg *msg, time_t now,
                  struct http_out *out, char *why, size_t whylen)
{
	json_t *root = json_object(), *dest, *to, *tags;
	const char *cs;
	struct buf rest;
	size_t i;
	int rc = -1;

	buf_init(&rest);
	if (msg->sender && *msg->sender &&
	    mail_json_set(root, "FromEmailAddress", json_string(msg->sender)))
		goto bad;
	dest = json_object();
	to = json_array();
	json_object_set_new(dest, "ToAddresses", to);
	json_object_set_new(root, "Destination", dest);
	for (i = 0; i < msg->n_rcpts; i++)
		if (json_array_append_new(to, json_string(msg->rcpts[i])) != 0)
			goto bad;
	cs = ses_config_set(cfg, msg->meta, &out->not_applied);
	if (cs != NULL && mail_json_set(root, "ConfigurationSetName",
	                                mail_json_str(cs, strlen(cs))))
		goto bad;
	tags = meta_out_token_tags(msg->meta, msg->id, "Name", "Value",
	                           &out->not_applied);
	if (tags != NULL)
		json_object_set_new(root, "EmailTags", tags);
	meta_out_unsupported(
	    msg->meta, META_OUT_TAGS | META_OUT_METADATA | META_OUT_CONFIG_SET,
	    &out->not_applied);
	if (mail_json_dump(root, &rest) != 0 || rest.len < 2)
		goto bad;
	/*
	 * Content goes first, spliced in by hand: base64 needs no JSON
	 * escaping, and passing a message of many KiB through jansson
	 * (copy, UTF-8 check, escape) costs more than all the rest. The
	 * other members come from jansson, "{" stripped.
	 */
	buf_fini(&out->body);
	buf_reserve(&out->body, msg->body.len / 3 * 4 + rest.len + 64);
	buf_addstr(&out->body, "{\"Content\":{\"Raw\":{\"Data\":\"");
	base64_encode(&out->body, msg->body.p, msg->body.len);
	buf_addstr(&out->body, "\"}}");
	if (rest.len > 2)
		buf_addch(&out->body, ',');
	buf_add(&out->body, rest.p + 1, rest.len - 1);
	out->method = "POST";
	if (ses_sign(cfg, out, SES_SEND_PATH, "application/json", now) != 0) {
		snprintf(why, whylen, "no usable AWS credentials");
		goto fail;
	}
	rc = 0;
	goto fail;
bad:
	snprintf(why, whylen, "an address is not valid UTF-8");
fail:
	json_decref(root);
	buf_fini(&rest);
	return rc;
}

/*
 * ses_error_code - the AWS error code of an answer into code: the
 * x-amzn-ErrorType header, else body "code", else "__type"; anything
 * after ':' and before '#' removed.
 */
static void
ses_error_code(const struct http_response *resp, json_t *body, char *code,
               size_t size)
{
	const char *v = http_header_find(resp, "x-amzn-ErrorType");
	const char *hash, *colon;
	size_t n;

	if ((v == NULL || *v == '\0') && json_is_object(body)) {
		v = json_string_value(json_object_get(body, "code"));
		if (v == NULL)
			v = json_string_value(json_object_get(body, "Code"));
		if (v == NULL)
			v = json_string_value(json_object_get(body, "__type"));
	}
	if (v == NULL) {
		code[0] = '\0';
		return;
	}
	hash = strrchr(v, '#');
	if (hash)
		v = hash + 1;
	colon = strchr(v, ':');
	n = colon ? (size_t)(colon - v) : strlen(v);
	snprintf(code, size, "%.*s", (int)n, v);
}

void
ses_classify(const struct http_response *resp, time_t now,
             struct send_result *r)
{
	json_t *body = json_loadb(resp->body, resp->body_len, 0, NULL);
	const char *msg = NULL;
	char code[SEND_PROVIDER_CODE_SIZE] = "";
	struct send_fact f;

	http_fact_init(&f, SEND_PROVIDER_SES, resp, now);
	f.msgid = json_string_value(json_object_get(body, "MessageId"));
	f.msgid_len = f.msgid ? strlen(f.msgid) : 0;
	ses_error_code(resp, body, code, sizeof(code));
	f.code = code;
	if (json_is_object(body)) {
		msg = json_string_value(json_object_get(body, "message"));
		if (msg == NULL)
			msg =
			    json_string_value(json_object_get(body, "Message"));
	}
	f.message = msg;
	f.text = msg && *msg ? msg : code;
	f.text_len = strlen(f.text);
	policy_http_result(&f, r);
	json_decref(body);
}

void
ses_probe_build(const struct config_provider *cfg, time_t now,
                struct http_out *out)
{
	out->method = "GET";
	buf_fini(&out->body);
	if (ses_sign(cfg, out, SES_ACCOUNT_PATH, NULL, now) != 0 &&
	    out->url == NULL)
		out->url = xstrdup("");
}

void
ses_probe_read(const struct http_response *resp, time_t now,
               struct adapter_probe_result *pr)
{
	json_t *body, *quota;
	struct send_result r;
	json_t *en;
	double max24, sent;

	if (resp->status < 200 || resp->status >= 300) {
		ses_classify(resp, now, &r);
		pr->ok = false;
		pr->class = r.class;
		snprintf(pr->text, sizeof(pr->text),
		         "GetAccount: HTTP %d %.40s: %.160s", resp->status,
		         r.provider_code, r.text);
		return;
	}
	body = json_loadb(resp->body, resp->body_len, 0, NULL);
	if (!json_is_object(body)) {
		pr->ok = false;
		pr->class = policy_probe_class(POLICY_PROBE_UNREADABLE);
		snprintf(pr->text, sizeof(pr->text),
		         "GetAccount: unreadable answer");
		json_decref(body);
		return;
	}
	en = json_object_get(body, "SendingEnabled");
	pr->sending_enabled = !json_is_false(en);
	if (json_is_string(json_object_get(body, "EnforcementStatus")))
		snprintf(pr->enforcement, sizeof(pr->enforcement), "%s",
		         json_string_value(
		             json_object_get(body, "EnforcementStatus")));
	quota = json_object_get(body, "SendQuota");
	if (json_is_object(quota)) {
		pr->max_send_rate =
		    json_number_value(json_object_get(quota, "MaxSendRate"));
		max24 =
		    json_number_value(json_object_get(quota, "Max24HourSend"));
		sent = json_number_value(
		    json_object_get(quota, "SentLast24Hours"));
		if (json_object_get(quota, "Max24HourSend")) {
			pr->quota_left = max24 - sent > 0 ? max24 - sent : 0;
			pr->quota_max = max24;
		}
	}
	if (strcmp(pr->enforcement, "SHUTDOWN") == 0) {
		pr->ok = false;
		pr->class = policy_probe_class(POLICY_PROBE_SENDING_DISABLED);
		snprintf(pr->text, sizeof(pr->text),
		         "GetAccount: the account is shut down (enforcement "
		         "status SHUTDOWN)");
	} else if (!pr->sending_enabled) {
		pr->ok = false;
		pr->class = policy_probe_class(POLICY_PROBE_SENDING_DISABLED);
		snprintf(pr->text, sizeof(pr->text),
		         "GetAccount: sending is disabled for this account");
	} else if (pr->quota_left == 0) {
		pr->ok = false;
		pr->class = policy_probe_class(POLICY_PROBE_QUOTA_USED_UP);
		snprintf(pr->text, sizeof(pr->text),
		         "GetAccount: 24-hour quota used up");
	} else {
		pr->ok = true;
		snprintf(pr->text, sizeof(pr->text),
		         "GetAccount: sending enabled, rate %.0f/s, %.0f left",
		         pr->max_send_rate, pr->quota_left);
	}
	json_decref(body);
}

const struct http_provider ses_http = {
    .type = "ses",
    .build = ses_request_build,
    .classify = ses_classify,
    .probe_build = ses_probe_build,
    .probe_read = ses_probe_read,
    .want_headers = ses_want,
    .n_want = sizeof(ses_want) / sizeof(ses_want[0]),
};

/* ses_init - an SES adapter (credentials come checked from config). */
static int
ses_init(struct adapter *a)
{
	return http_adapter_init(a, &ses_http);
}

const struct adapter_ops adapter_ses_ops = HTTP_ADAPTER_OPS("ses", ses_init);
