/*
 * sendgrid.c - the SendGrid v3 adapter (type: sendgrid).
 *
 * SendGrid takes no raw MIME, so the message is parsed (mail_json.h) and
 * rebuilt as POST /v3/mail/send JSON: from, reply_to (reply_to_list for
 * several), one personalization with the envelope recipients split into
 * to / cc / bcc and custom_args {swerve_id} (echoed at the top level of
 * every event webhook), subject, content (text/plain before text/html, as
 * SendGrid requires), attachments (inline ones with disposition "inline"
 * and content_id) and the remaining header fields as "headers". The
 * message's msg_meta goes along: labels as categories, tags with a value
 * and metadata members in custom_args, ip_pool as ip_pool_name, tracking
 * switches as tracking_settings; what SendGrid has no room or field for
 * is listed as not applied (providers/meta_out.h). A message
 * this cannot carry faithfully is refused before sending (represents).
 *
 * Success is 202 with an empty body; the message id is the X-Message-Id
 * response header. The answer's facts (first error's message and field,
 * X-RateLimit-Reset) go to the SendGrid rows of send/policy_http.c
 * (docs/providers.md, "Classification - HTTP providers"), which decide what
 * they mean.
 *
 * Probe: GET /v3/scopes, the cheapest authenticated call: it proves the
 * key and lists its permissions, so a key without mail.send is caught
 * before mail is sent with it.
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

#define SENDGRID_BASE "https://api.sendgrid.com"
#define SENDGRID_CUSTOM_ARGS_MAX 10000 /* bytes of names and values */
#define SENDGRID_CATEGORIES_MAX 10
#define SENDGRID_CATEGORY_LEN 255

static const char *const sendgrid_want[] = {
    "X-RateLimit-Reset", "X-RateLimit-Remaining", "X-RateLimit-Limit"};

/* sendgrid_addr - {"email": addr, "name": name}; NULL on bad UTF-8. */
static json_t *
sendgrid_addr(const char *addr, const char *name)
{
	json_t *o = json_object();

	if (mail_json_set(o, "email", mail_json_str(addr, strlen(addr))) ||
	    (name && *name &&
	     mail_json_set(o, "name", mail_json_str(name, strlen(name))))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* sendgrid_list - a JSON array of n recipients; NULL on bad UTF-8. */
static json_t *
sendgrid_list(const struct mail_rcpt *r, size_t n)
{
	json_t *a = json_array(), *o;
	size_t i;

	for (i = 0; i < n; i++) {
		o = sendgrid_addr(r[i].addr, r[i].name);
		if (o == NULL || json_array_append_new(a, o) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* sendgrid_content - append {"type", "value"} to content. 0 or -1. */
static int
sendgrid_content(json_t *content, const char *type, const char *s, size_t n)
{
	json_t *o = json_object();

	json_array_append_new(content, o);
	if (mail_json_set(o, "type", json_string(type)) ||
	    mail_json_set(o, "value", mail_json_str(s, n)))
		return -1;
	return 0;
}

/* sendgrid_attachments - the attachments array of m. */
static json_t *
sendgrid_attachments(const struct mime_msg *m)
{
	json_t *a = json_array(), *o;
	char name[32];
	char *b64;
	size_t i;

	for (i = 0; i < m->nattachments; i++) {
		const struct mime_attachment *at = &m->attachments[i];
		const char *fn = at->filename;

		if (fn == NULL) {
			snprintf(name, sizeof(name), "part-%zu", i + 1);
			fn = name;
		}
		o = json_object();
		b64 = base64_encode_str(at->data, at->len);
		json_object_set_new(o, "content", json_string(b64));
		free(b64);
		if (mail_json_set(o, "type",
		                  mail_json_str(at->type, strlen(at->type))) ||
		    mail_json_set(o, "filename",
		                  mail_json_str(fn, strlen(fn))) ||
		    mail_json_set(
		        o, "disposition",
		        json_string(at->is_inline ? "inline" : "attachment")) ||
		    (at->content_id &&
		     mail_json_set(o, "content_id",
		                   mail_json_str(at->content_id,
		                                 strlen(at->content_id))))) {
			json_decref(o);
			json_decref(a);
			return NULL;
		}
		json_array_append_new(a, o);
	}
	return a;
}

/* sendgrid_headers - the custom headers object; NULL on a repeated name. */
static json_t *
sendgrid_headers(const struct mime_msg *m, const char **bad)
{
	json_t *h = json_object();
	size_t i;

	for (i = 0; i < m->ncustom; i++) {
		const struct mime_field *f = m->custom[i];

		if (!mail_json_header_passes(f->name, NULL))
			continue;
		if (json_object_get(h, f->name) != NULL) {
			*bad = "a header field is repeated";
			goto fail;
		}
		if (mail_json_set(h, f->name,
		                  mail_json_str(f->value, strlen(f->value)))) {
			*bad = "a header field is not UTF-8";
			goto fail;
		}
	}
	return h;
fail:
	json_decref(h);
	return NULL;
}

/* sendgrid_args_fit - meta_out_kv_check_fn: within SendGrid's 10,000
 * bytes of custom_args names and values (*arg counts them). */
static const char *
sendgrid_args_fit(const json_t *obj, const struct meta_out_pair *p, void *arg)
{
	size_t *used = arg, len = strlen(p->name) + strlen(p->value);

	(void)obj;
	if (*used + len > SENDGRID_CUSTOM_ARGS_MAX)
		return "custom_args full";
	*used += len;
	return NULL;
}

/*
 * sendgrid_custom_args - the personalization's custom_args: swerve's id,
 * then the message's tags with a value and its metadata members, while
 * they fit SendGrid's 10,000 bytes; the rest is listed in na. NULL when
 * empty.
 */
static json_t *
sendgrid_custom_args(const struct adapter_msg *msg, struct buf *na)
{
	size_t used = msg->id ? strlen(PROVIDERS_ID_TAG) + strlen(msg->id) : 0;

	return meta_out_kv_object(msg->meta, msg->id, sendgrid_args_fit, &used,
	                          na);
}

/*
 * sendgrid_meta - the rest of the message's msg_meta into root: labels as
 * categories (at most 10 of at most 255 characters, each once), ip_pool
 * as ip_pool_name (2 to 64 characters), the tracking switches as
 * tracking_settings. What does not fit, and config_set and
 * message_stream, are listed in na.
 */
static void
sendgrid_meta(json_t *root, const struct msg_meta *mm, struct buf *na)
{
	json_t *cats = json_array(), *ts = json_object(), *v;
	size_t i, j, len;

	for (i = 0; mm && i < mm->n_tags; i++) {
		const char *name = mm->tags[i].name;

		if (mm->tags[i].value != NULL)
			continue; /* in custom_args */
		for (j = 0; j < json_array_size(cats); j++)
			if (strcmp(json_string_value(json_array_get(cats, j)),
			           name) == 0)
				break;
		if (j < json_array_size(cats))
			continue; /* the same category twice is one */
		len = strlen(name);
		if (json_array_size(cats) >= SENDGRID_CATEGORIES_MAX ||
		    len > SENDGRID_CATEGORY_LEN) {
			meta_out_skip(na, "tag \"%.64s\" (%s)", name,
			              len > SENDGRID_CATEGORY_LEN
			                  ? "longer than 255"
			                  : "only 10 categories");
			continue;
		}
		v = mail_json_str(name, len);
		if (v == NULL) {
			meta_out_skip(na, "tag \"%.64s\" (not UTF-8)", name);
			continue;
		}
		json_array_append_new(cats, v);
	}
	if (json_array_size(cats) > 0)
		json_object_set_new(root, "categories", cats);
	else
		json_decref(cats);
	if (mm && mm->ip_pool) {
		len = strlen(mm->ip_pool);
		v = len >= 2 && len <= 64 ? mail_json_str(mm->ip_pool, len)
		                          : NULL;
		if (v != NULL)
			json_object_set_new(root, "ip_pool_name", v);
		else
			meta_out_skip(na,
			              "ip_pool \"%.64s\" (2 to 64 "
			              "characters)",
			              mm->ip_pool);
	}
	if (mm && mm->track_opens != MSG_TRACK_UNSET)
		json_object_set_new(ts, "open_tracking",
		                    json_pack("{s:b}", "enable",
		                              mm->track_opens == MSG_TRACK_ON));
	if (mm && mm->track_clicks != MSG_TRACK_UNSET)
		json_object_set_new(
		    ts, "click_tracking",
		    json_pack("{s:b}", "enable",
		              mm->track_clicks == MSG_TRACK_ON));
	if (json_object_size(ts) > 0)
		json_object_set_new(root, "tracking_settings", ts);
	else
		json_decref(ts);
	meta_out_unsupported(mm,
	                     META_OUT_TAGS | META_OUT_METADATA |
	                         META_OUT_IP_POOL | META_OUT_TRACK_OPENS |
	                         META_OUT_TRACK_CLICKS,
	                     na);
}

int
sendgrid_request_build(const struct config_provider *cfg,
                       const struct adapter_msg *msg, time_t now,
                       struct http_out *out, char *why, size_t whylen)
{
	struct mail_json mj;
	const struct mime_msg *m;
	json_t *root = NULL, *pers, *p, *content, *v;
	const char *bad = "an address or name is not UTF-8";
	char *base;
	size_t i;

	(void)now;
	if (mail_json_open(&mj, msg, why, whylen) != 0)
		return -1;
	m = mj.m;
	if (m->subject == NULL || *m->subject == '\0') {
		bad = "no Subject (SendGrid needs one)";
		goto fail;
	}
	root = json_object();
	pers = json_array();
	p = json_object();
	json_array_append_new(pers, p);
	json_object_set_new(root, "personalizations", pers);
	if (mail_json_set(p, "to", sendgrid_list(mj.to, mj.nto)) ||
	    (mj.ncc && mail_json_set(p, "cc", sendgrid_list(mj.cc, mj.ncc))) ||
	    (mj.nbcc &&
	     mail_json_set(p, "bcc", sendgrid_list(mj.bcc, mj.nbcc))))
		goto fail;
	v = sendgrid_custom_args(msg, &out->not_applied);
	if (v != NULL)
		json_object_set_new(p, "custom_args", v);
	sendgrid_meta(root, msg->meta, &out->not_applied);
	if (mail_json_set(root, "from",
	                  sendgrid_addr(mj.from->addr, mj.from->name)))
		goto fail;
	if (m->nreply_to == 1) {
		if (mail_json_set(root, "reply_to",
		                  sendgrid_addr(m->reply_to[0].addr,
		                                m->reply_to[0].name)))
			goto fail;
	} else if (m->nreply_to > 1) {
		v = json_array();
		json_object_set_new(root, "reply_to_list", v);
		for (i = 0; i < m->nreply_to; i++)
			if (json_array_append_new(
			        v, sendgrid_addr(m->reply_to[i].addr,
			                         m->reply_to[i].name)) != 0)
				goto fail;
	}
	if (mail_json_set(root, "subject",
	                  mail_json_str(m->subject, strlen(m->subject))))
		goto fail;
	content = json_array();
	json_object_set_new(root, "content", content);
	if ((m->text &&
	     sendgrid_content(content, "text/plain", m->text, m->text_len)) ||
	    (m->html &&
	     sendgrid_content(content, "text/html", m->html, m->html_len)))
		goto fail;
	if (m->nattachments &&
	    mail_json_set(root, "attachments", sendgrid_attachments(m)))
		goto fail;
	v = sendgrid_headers(m, &bad);
	if (v == NULL)
		goto fail;
	if (json_object_size(v) > 0)
		json_object_set_new(root, "headers", v);
	else
		json_decref(v);
	buf_fini(&out->body);
	if (mail_json_dump(root, &out->body) != 0)
		goto fail;
	base = http_base_url(cfg, SENDGRID_BASE);
	out->method = "POST";
	if (asprintf(&out->url, "%s/v3/mail/send", base) < 0)
		out->url = NULL;
	free(base);
	http_out_header_add(out, "Content-Type", "application/json");
	http_out_header_add(out, "Authorization", "Bearer %s", cfg->api_key);
	json_decref(root);
	mail_json_close(&mj);
	return 0;
fail:
	snprintf(why, whylen, "%s", bad);
	json_decref(root);
	mail_json_close(&mj);
	return -1;
}

void
sendgrid_classify(const struct http_response *resp, time_t now,
                  struct send_result *r)
{
	json_t *body = json_loadb(resp->body, resp->body_len, 0, NULL);
	json_t *e = json_array_get(json_object_get(body, "errors"), 0);
	const char *m = json_string_value(json_object_get(e, "message"));
	const char *field = json_string_value(json_object_get(e, "field"));
	char status[16];
	struct send_fact f;

	http_fact_init(&f, SEND_PROVIDER_SENDGRID, resp, now);
	f.msgid = resp->message_id;
	f.msgid_len = f.msgid ? strlen(f.msgid) : 0;
	f.rate_reset = http_header_find(resp, "X-RateLimit-Reset");
	/* The first error's field stands for the code, else the status. */
	snprintf(status, sizeof(status), "%d", resp->status);
	f.code = field && *field ? field : status;
	http_fact_message(&f, resp, m);
	policy_http_result(&f, r);
	json_decref(body);
}

void
sendgrid_probe_build(const struct config_provider *cfg, time_t now,
                     struct http_out *out)
{
	char *base = http_base_url(cfg, SENDGRID_BASE);

	(void)now;
	out->method = "GET";
	if (asprintf(&out->url, "%s/v3/scopes", base) < 0)
		out->url = NULL;
	free(base);
	http_out_header_add(out, "Authorization", "Bearer %s", cfg->api_key);
}

void
sendgrid_probe_read(const struct http_response *resp, time_t now,
                    struct adapter_probe_result *pr)
{
	struct send_result r;
	json_t *body, *scopes, *s;
	size_t i;
	bool send = false;

	if (resp->status < 200 || resp->status >= 300) {
		sendgrid_classify(resp, now, &r);
		pr->ok = false;
		pr->class = r.class;
		snprintf(pr->text, sizeof(pr->text), "scopes: HTTP %d: %.200s",
		         resp->status, r.text);
		return;
	}
	body = json_loadb(resp->body, resp->body_len, 0, NULL);
	scopes = json_object_get(body, "scopes");
	json_array_foreach(scopes, i, s)
	{
		if (json_is_string(s) &&
		    strcmp(json_string_value(s), "mail.send") == 0)
			send = true;
	}
	pr->ok = send;
	pr->class = policy_probe_class(send ? POLICY_PROBE_UP
	                                    : POLICY_PROBE_NOT_PERMITTED);
	snprintf(pr->text, sizeof(pr->text), "%s",
	         send ? "scopes: key valid, mail.send granted"
	              : "scopes: the key lacks mail.send");
	json_decref(body);
}

const struct http_provider sendgrid_http = {
    .type = "sendgrid",
    .build = sendgrid_request_build,
    .classify = sendgrid_classify,
    .probe_build = sendgrid_probe_build,
    .probe_read = sendgrid_probe_read,
    .represents = mail_json_represents,
    .want_headers = sendgrid_want,
    .n_want = sizeof(sendgrid_want) / sizeof(sendgrid_want[0]),
};

/* sendgrid_init - a SendGrid adapter. */
static int
sendgrid_init(struct adapter *a)
{
	return http_adapter_init(a, &sendgrid_http);
}

const struct adapter_ops adapter_sendgrid_ops =
    HTTP_ADAPTER_OPS("sendgrid", sendgrid_init);
