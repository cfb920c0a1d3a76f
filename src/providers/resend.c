/*
 * resend.c - the Resend adapter (type: resend).
 *
 * Resend's API takes no raw MIME, so the message is parsed (mail_json.h)
 * and rebuilt as POST /emails JSON: from, to / cc / bcc (envelope
 * recipients only), reply_to, subject, text, html, headers, attachments
 * (inline ones with content_id) and tags [{name: swerve_id}], which Resend
 * echoes in webhooks, followed by the message's msg_meta tags (a label
 * with the value "true") and metadata members, each only where Resend's
 * tag rule allows it; anything else of msg_meta (tracking, streams,
 * pools) is listed as not applied (providers/meta_out.h). Idempotency-Key is
 * swerve's message id, so sending the same message again after an unknown
 * outcome cannot make a second copy. Auth: Bearer key.
 *
 * Success is 200 {"id": ...}. Errors carry a "name", which the Resend
 * rows of send/policy_http.c read first (statuses changed across API
 * versions), docs/providers.md, "Classification - HTTP providers".
 *
 * Probe: GET /domains, the cheapest authenticated call. A sending-only
 * key answers 401 restricted_api_key, which still proves the key is
 * valid, so that counts as healthy (policy_probe_key_valid).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "core/base64.h"
#include "core/xmalloc.h"
#include "providers/mail_json.h"
#include "providers/meta_out.h"
#include "providers/providers_http.h"
#include "send/policy.h"

#define RESEND_BASE "https://api.resend.com"

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
	if (!bad) {
		v = meta_out_token_tags(msg->meta, msg->id, "name", "value",
		                        &out->not_applied);
		if (v != NULL)
			json_object_set_new(root, "tags", v);
		meta_out_unsupported(msg->meta,
		                     META_OUT_TAGS | META_OUT_METADATA,
		                     &out->not_applied);
	}
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

/* resend_facts - the facts of an answer; f borrows from body and resp. */
static void
resend_facts(const struct http_response *resp, json_t *body, time_t now,
             struct send_fact *f)
{
	const char *m = json_string_value(json_object_get(body, "message"));

	http_fact_init(f, SEND_PROVIDER_RESEND, resp, now);
	f->msgid = json_string_value(json_object_get(body, "id"));
	f->msgid_len = f->msgid ? strlen(f->msgid) : 0;
	f->rate_reset = http_header_find(resp, "ratelimit-reset");
	f->code = json_string_value(json_object_get(body, "name"));
	/* An empty message shows the body instead, as no message does. */
	http_fact_message(f, resp, m && *m ? m : NULL);
}

void
resend_classify(const struct http_response *resp, time_t now,
                struct send_result *r)
{
	json_t *body = json_loadb(resp->body, resp->body_len, 0, NULL);
	struct send_fact f;

	resend_facts(resp, body, now, &f);
	policy_http_result(&f, r);
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
	json_t *body;
	struct send_result r;
	struct send_fact f;
	bool valid;

	if (resp->status >= 200 && resp->status < 300) {
		pr->ok = true;
		pr->class = policy_probe_class(POLICY_PROBE_UP);
		snprintf(pr->text, sizeof(pr->text), "domains: key valid");
		return;
	}
	body = json_loadb(resp->body, resp->body_len, 0, NULL);
	resend_facts(resp, body, now, &f);
	policy_http_result(&f, &r);
	valid = policy_probe_key_valid(&f);
	json_decref(body);
	if (valid) {
		/* A sending-only key: valid, just not allowed to list. */
		pr->ok = true;
		pr->class = policy_probe_class(POLICY_PROBE_UP);
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
