/*
 * resend.c - the Resend adapter (type: resend).
 *
 * Resend's API takes no raw MIME, so the message is parsed (mail_json.h)
 * and rebuilt as POST /emails JSON: from, to / cc / bcc (envelope
 * recipients only), reply_to, subject, text, html, headers, attachments
 * (inline ones with content_id) and tags [{name: swerve_id}], which Resend
 * echoes in webhooks. Idempotency-Key is swerve's message id, so sending
 * the same message again after an unknown outcome cannot make a second
 * copy. Auth: Bearer key.
 *
 * Success is 200 {"id": ...}. Errors are classified by "name" first
 * (statuses changed across API versions), docs/providers.md section 8.
 *
 * Probe: GET /domains, the cheapest authenticated call. A sending-only
 * key answers 401 restricted_api_key, which still proves the key is
 * valid, so that counts as healthy.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "core/base64.h"
#include "core/xmalloc.h"
#include "providers/mail_json.h"
#include "providers/providers_http.h"

#define RESEND_BASE "https://api.resend.com"
#define RESEND_QUOTA_RETRY_MS (60 * 60 * 1000)

static const char *const resend_want[] = {"ratelimit-reset"};

/* resend_list - an array of formatted recipients; NULL on bad UTF-8. */
static json_t *
resend_list(const struct mail_rcpt *r, size_t n)
{
	json_t *a = json_array();
	char *s;
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		s = mail_json_addr_format(r[i].name, r[i].addr);
		rc = json_array_append_new(a, mail_json_str(s, strlen(s)));
		free(s);
		if (rc != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* resend_attachments - the attachments array; NULL on bad UTF-8. */
static json_t *
resend_attachments(const struct mime_msg *m)
{
	json_t *a = json_array(), *o;
	char name[32], *b64;
	size_t i;

	for (i = 0; i < m->nattachments; i++) {
		const struct mime_attachment *at = &m->attachments[i];
		const char *fn = at->filename;

		if (fn == NULL) {
			snprintf(name, sizeof(name), "part-%zu", i + 1);
			fn = name;
		}
		o = json_object();
		json_array_append_new(a, o);
		b64 = base64_encode_str(at->data, at->len);
		json_object_set_new(o, "content", json_string(b64));
		free(b64);
		if (mail_json_set(o, "filename",
		                  mail_json_str(fn, strlen(fn))) ||
		    mail_json_set(o, "content_type",
		                  mail_json_str(at->type, strlen(at->type))) ||
		    (at->is_inline && at->content_id &&
		     mail_json_set(o, "content_id",
		                   mail_json_str(at->content_id,
		                                 strlen(at->content_id))))) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* resend_headers - the headers object; NULL when repeated or not UTF-8. */
static json_t *
resend_headers(const struct mime_msg *m)
{
	json_t *h = json_object();
	size_t i;

	for (i = 0; i < m->ncustom; i++) {
		const struct mime_field *f = m->custom[i];

		if (!mail_json_header_passes(f->name, NULL))
			continue;
		if (json_object_get(h, f->name) != NULL ||
		    mail_json_set(h, f->name,
		                  mail_json_str(f->value, strlen(f->value)))) {
			json_decref(h);
			return NULL;
		}
	}
	return h;
}

int
resend_request_build(const struct config_provider *cfg,
                     const struct adapter_msg *msg, time_t now,
                     struct http_out *out, char *why, size_t whylen)
{
	struct mail_json mj;
	const struct mime_msg *m;
	struct mail_rcpt from, *rt = NULL;
	json_t *root, *v;
	char *base, *fs;
	size_t i;
	int bad;

	(void)now;
	if (mail_json_open(&mj, msg, why, whylen) != 0)
		return -1;
	m = mj.m;
	root = json_object();
	from = (struct mail_rcpt){mj.from->addr, mj.from->name};
	fs = mail_json_addr_format(from.name, from.addr);
	bad = mail_json_set(root, "from", mail_json_str(fs, strlen(fs)));
	free(fs);
	bad =
	    bad || mail_json_set(root, "to", resend_list(mj.to, mj.nto)) ||
	    (mj.ncc && mail_json_set(root, "cc", resend_list(mj.cc, mj.ncc))) ||
	    (mj.nbcc &&
	     mail_json_set(root, "bcc", resend_list(mj.bcc, mj.nbcc)));
	if (!bad && m->nreply_to > 0) {
		rt = xcalloc(m->nreply_to, sizeof(*rt));
		for (i = 0; i < m->nreply_to; i++)
			rt[i] = (struct mail_rcpt){m->reply_to[i].addr,
			                           m->reply_to[i].name};
		bad = mail_json_set(root, "reply_to",
		                    resend_list(rt, m->nreply_to));
		free(rt);
	}
	if (!bad)
		bad = mail_json_set(
		    root, "subject",
		    mail_json_str(m->subject ? m->subject : "",
		                  m->subject ? strlen(m->subject) : 0));
	if (!bad && m->text)
		bad = mail_json_set(root, "text",
		                    mail_json_str(m->text, m->text_len));
	if (!bad && m->html)
		bad = mail_json_set(root, "html",
		                    mail_json_str(m->html, m->html_len));
	if (!bad && m->nattachments)
		bad = mail_json_set(root, "attachments", resend_attachments(m));
	if (!bad) {
		v = resend_headers(m);
		if (v && json_object_size(v) == 0)
			json_decref(v);
		else
			bad = mail_json_set(root, "headers", v);
	}
	if (!bad && msg->id && *msg->id)
		json_object_set_new(root, "tags",
		                    json_pack("[{s:s,s:s}]", "name",
		                              PROVIDERS_ID_TAG, "value",
		                              msg->id));
	buf_fini(&out->body);
	if (bad || mail_json_dump(root, &out->body) != 0) {
		snprintf(why, whylen,
		         "a field is not valid UTF-8 or a header is repeated");
		json_decref(root);
		mail_json_close(&mj);
		return -1;
	}
	json_decref(root);
	mail_json_close(&mj);
	base = http_base_url(cfg, RESEND_BASE);
	out->method = "POST";
	if (asprintf(&out->url, "%s/emails", base) < 0)
		out->url = NULL;
	free(base);
	http_out_header_add(out, "Content-Type", "application/json");
	http_out_header_add(out, "Authorization", "Bearer %s",
	                    cfg->api_key ? cfg->api_key : "");
	if (msg->id && *msg->id)
		http_out_header_add(out, "Idempotency-Key", "%s", msg->id);
	return 0;
}

/* The error-name table. */
struct resend_row {
	const char *name;
	enum send_class class;
};

static const struct resend_row resend_rows[] = {
    {"invalid_idempotency_key", SEND_REJECTED},
    {"missing_api_key", SEND_CONFIG},
    {"restricted_api_key", SEND_CONFIG},
    {"invalid_api_key", SEND_CONFIG},
    {"invalid_api_Key", SEND_CONFIG},
    {"not_found", SEND_REJECTED},
    {"method_not_allowed", SEND_REJECTED},
    {"invalid_idempotent_request", SEND_REJECTED},
    /* The first request with this key is still running: it may yet be
     * delivered, so the outcome of this one is unknown. */
    {"concurrent_idempotent_requests", SEND_UNKNOWN},
    {"missing_required_field", SEND_REJECTED},
    {"invalid_parameter", SEND_REJECTED},
    {"invalid_access", SEND_REJECTED},
    {"invalid_region", SEND_REJECTED},
    {"invalid_attachment", SEND_REJECTED},
    {"rate_limit_exceeded", SEND_THROTTLED},
    {"daily_quota_exceeded", SEND_THROTTLED},
    {"monthly_quota_exceeded", SEND_THROTTLED},
    {"security_error", SEND_CONFIG},
    {"application_error", SEND_DEFERRED},
    {"internal_server_error", SEND_DEFERRED},
    {NULL, SEND_ACCEPTED},
};

/* resend_unverified - text that blames the domain or account. */
static bool
resend_unverified(const char *t)
{
	return strcasestr(t, "verif") || strcasestr(t, "testing emails") ||
	       strcasestr(t, "own email address");
}

void
resend_classify(const struct http_response *resp, time_t now,
                struct send_result *r)
{
	json_t *body = json_loadb(resp->body, resp->body_len, 0, NULL);
	const char *name = json_string_value(json_object_get(body, "name"));
	const char *m = json_string_value(json_object_get(body, "message"));
	const char *id;
	size_t i;

	send_result_init(r, SEND_ACCEPTED, SEND_STAGE_RESPONSE);
	http_status_classify(resp->status, r);
	if (resp->status >= 200 && resp->status < 300) {
		id = json_string_value(json_object_get(body, "id"));
		if (id != NULL)
			http_msgid_set(r, id, strlen(id));
		send_result_text_set(r, id ? "accepted" : "accepted (no id)",
		                     id ? 8 : 16);
		goto done;
	}
	if (m == NULL)
		m = "";
	send_result_text_set(r, *m ? m : resp->body,
	                     *m                     ? strlen(m)
	                     : resp->body_len > 200 ? 200
	                                            : resp->body_len);
	if (name != NULL) {
		http_code_set(r, name);
		for (i = 0; resend_rows[i].name != NULL; i++)
			if (strcmp(resend_rows[i].name, name) == 0)
				r->class = resend_rows[i].class;
		if (strcmp(name, "validation_error") == 0)
			r->class = resp->status == 403 || resend_unverified(m)
			               ? SEND_CONFIG
			               : SEND_REJECTED;
		if (strcmp(name, "invalid_from_address") == 0)
			r->class =
			    resend_unverified(m) ? SEND_CONFIG : SEND_REJECTED;
		if (strstr(name, "quota_exceeded")) {
			r->quota_exhausted = true;
			r->retry_after_ms = RESEND_QUOTA_RETRY_MS;
		}
	}
	if (r->class == SEND_THROTTLED && r->retry_after_ms == 0)
		r->retry_after_ms = http_retry_after_ms(
		    resp->retry_after
		        ? resp->retry_after
		        : http_header_find(resp, "ratelimit-reset"),
		    now, 1000);
done:
	json_decref(body);
}

void
resend_probe_build(const struct config_provider *cfg, time_t now,
                   struct http_out *out)
{
	char *base = http_base_url(cfg, RESEND_BASE);

	(void)now;
	out->method = "GET";
	if (asprintf(&out->url, "%s/domains", base) < 0)
		out->url = NULL;
	free(base);
	http_out_header_add(out, "Authorization", "Bearer %s",
	                    cfg->api_key ? cfg->api_key : "");
}

void
resend_probe_read(const struct http_response *resp, time_t now,
                  struct adapter_probe_result *pr)
{
	struct send_result r;

	if (resp->status >= 200 && resp->status < 300) {
		pr->ok = true;
		pr->class = SEND_ACCEPTED;
		snprintf(pr->text, sizeof(pr->text), "domains: key valid");
		return;
	}
	resend_classify(resp, now, &r);
	if (strcmp(r.provider_code, "restricted_api_key") == 0) {
		/* A sending-only key: valid, just not allowed to list. */
		pr->ok = true;
		pr->class = SEND_ACCEPTED;
		snprintf(pr->text, sizeof(pr->text),
		         "domains: sending-only key (valid)");
		return;
	}
	pr->ok = false;
	pr->class = r.class;
	snprintf(pr->text, sizeof(pr->text), "domains: HTTP %d %.40s: %.160s",
	         resp->status, r.provider_code, r.text);
}

const struct http_provider resend_http = {
    .type = "resend",
    .build = resend_request_build,
    .classify = resend_classify,
    .probe_build = resend_probe_build,
    .probe_read = resend_probe_read,
    .represents = mail_json_represents,
    .want_headers = resend_want,
    .n_want = sizeof(resend_want) / sizeof(resend_want[0]),
};

/* resend_init - a Resend adapter. */
static int
resend_init(struct adapter *a)
{
	return http_adapter_init(a, &resend_http);
}

const struct adapter_ops adapter_resend_ops =
    HTTP_ADAPTER_OPS("resend", resend_init);
