/*
 * postmark.c - the Postmark adapter (type: postmark).
 *
 * Postmark's API takes no raw MIME, so the message is parsed
 * (mail_json.h) and rebuilt as POST /email JSON: From, To / Cc / Bcc
 * (comma lists of "Name <addr>", envelope recipients only), ReplyTo,
 * Subject, TextBody, HtmlBody, Headers [{Name, Value}], Attachments
 * (inline ones with ContentID "cid:..."), MessageStream (default
 * "outbound") and Metadata {swerve_id}, which Postmark echoes in its
 * webhooks. The message's msg_meta goes along: its first label as Tag,
 * tags with a value and metadata members in Metadata (within Postmark's
 * limits), message_stream as MessageStream unless the provider is pinned
 * to one, tracking switches as TrackOpens / TrackLinks; the rest is
 * listed as not applied (providers/meta_out.h). Auth: X-Postmark-Server-Token.
 *
 * Success is 200 {"ErrorCode":0,"MessageID":...}. Errors carry an
 * ErrorCode, which the Postmark rows of send/policy_http.c read
 * (docs/providers.md, "Classification - HTTP providers"): an inactive recipient
 * (406) is the recipient's problem and must not fail over; an unconfirmed
 * sender signature (400/401) is the account's, and must.
 *
 * Probe: GET /server, the cheapest call a server token may make; it
 * proves the token without sending anything.
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

#define POSTMARK_BASE "https://api.postmarkapp.com"
#define POSTMARK_TAG_LEN 1000      /* characters of Tag */
#define POSTMARK_META_FIELDS 10    /* Metadata fields, swerve_id included */
#define POSTMARK_META_NAME_LEN 20  /* characters of a field's name */
#define POSTMARK_META_VALUE_LEN 80 /* characters of its value */

/* postmark_list - "a, Name <b>" for n recipients; owned. */
static char *
postmark_list(const struct mail_rcpt *r, size_t n)
{
	struct buf b;
	char *one;
	size_t i;

	buf_init(&b);
	for (i = 0; i < n; i++) {
		one = mail_json_addr_format(r[i].name, r[i].addr);
		buf_printf(&b, "%s%s", i ? ", " : "", one);
		free(one);
	}
	return buf_steal(&b, NULL);
}

/* postmark_set_list - set key to the list of n recipients. 0 or -1. */
static int
postmark_set_list(json_t *root, const char *key, const struct mail_rcpt *r,
                  size_t n)
{
	char *s;
	int rc;

	if (n == 0)
		return 0;
	s = postmark_list(r, n);
	rc = mail_json_set(root, key, mail_json_str(s, strlen(s)));
	free(s);
	return rc;
}

/* postmark_attachments - the Attachments array; NULL on bad UTF-8. */
static json_t *
postmark_attachments(const struct mime_msg *m)
{
	json_t *a = json_array(), *o;
	char name[32], *b64, *cid;
	size_t i;
	int bad;

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
		json_object_set_new(o, "Content", json_string(b64));
		free(b64);
		bad = mail_json_set(o, "Name", mail_json_str(fn, strlen(fn))) ||
		      mail_json_set(o, "ContentType",
		                    mail_json_str(at->type, strlen(at->type)));
		if (!bad && at->content_id && at->is_inline) {
			if (asprintf(&cid, "cid:%s", at->content_id) < 0)
				cid = NULL;
			bad = cid == NULL ||
			      mail_json_set(o, "ContentID",
			                    mail_json_str(cid, strlen(cid)));
			free(cid);
		}
		if (bad) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* postmark_headers - the Headers array; NULL on bad UTF-8. */
static json_t *
postmark_headers(const struct mime_msg *m)
{
	static const char *const deny[] = {"X-PM-Message-Stream", NULL};
	json_t *a = json_array(), *o;
	size_t i;

	for (i = 0; i < m->ncustom; i++) {
		const struct mime_field *f = m->custom[i];

		if (!mail_json_header_passes(f->name, deny))
			continue;
		o = json_object();
		json_array_append_new(a, o);
		if (mail_json_set(o, "Name",
		                  mail_json_str(f->name, strlen(f->name))) ||
		    mail_json_set(o, "Value",
		                  mail_json_str(f->value, strlen(f->value)))) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/*
 * postmark_stream - the MessageStream: the configured one (the provider
 * is pinned to it), else the message's, else "outbound". A message's
 * stream that differs from the configured one is listed in na.
 */
static const char *
postmark_stream(const struct config_provider *cfg, const struct msg_meta *mm,
                struct buf *na)
{
	const char *want = mm ? mm->message_stream : NULL;

	if (cfg->message_stream && *cfg->message_stream) {
		if (want && strcmp(want, cfg->message_stream) != 0)
			meta_out_skip(na,
			              "message_stream \"%.64s\" (the "
			              "provider's is %.64s)",
			              want, cfg->message_stream);
		return cfg->message_stream;
	}
	return want && *want ? want : "outbound";
}

/* postmark_field_fits - meta_out_kv_check_fn: Postmark's Metadata
 * limits (10 fields, names of at most 20 characters, values of at most
 * 80, names unique whatever their case). */
static const char *
postmark_field_fits(const json_t *obj, const struct meta_out_pair *p, void *arg)
{
	const char *key;
	json_t *v;

	(void)arg;
	json_object_foreach((json_t *)obj, key, v)
	{
		if (strcasecmp(key, p->name) == 0)
			return "repeated";
	}
	if (strlen(p->name) > POSTMARK_META_NAME_LEN)
		return "name longer than 20";
	if (strlen(p->value) > POSTMARK_META_VALUE_LEN)
		return "value longer than 80";
	if (json_object_size(obj) >= POSTMARK_META_FIELDS)
		return "only 10 fields";
	return NULL;
}

/*
 * postmark_metadata - Metadata: swerve's id, then the message's tags with
 * a value and its metadata members, within Postmark's limits; the rest is
 * listed in na. NULL when empty.
 */
static json_t *
postmark_metadata(const struct adapter_msg *msg, struct buf *na)
{
	return meta_out_kv_object(msg->meta, msg->id, postmark_field_fits, NULL,
	                          na);
}

/*
 * postmark_meta - the rest of the message's msg_meta into root: the first
 * label as Tag (Postmark takes one; the others are listed in na), the
 * tracking switches as TrackOpens and TrackLinks.
 */
static void
postmark_meta(json_t *root, const struct msg_meta *mm, struct buf *na)
{
	const char *tag = NULL;
	size_t i;

	for (i = 0; mm && i < mm->n_tags; i++) {
		const char *t = mm->tags[i].name;

		if (mm->tags[i].value != NULL)
			continue; /* in Metadata */
		if (tag == NULL && strlen(t) <= POSTMARK_TAG_LEN &&
		    mail_json_set(root, "Tag", mail_json_str(t, strlen(t))) ==
		        0)
			tag = t;
		else if (tag == NULL || strcmp(tag, t) != 0)
			meta_out_skip(na, "tag \"%.64s\" (%s)", t,
			              tag ? "only one Tag"
			                  : "longer than 1000 or not UTF-8");
	}
	if (mm && mm->track_opens != MSG_TRACK_UNSET)
		json_object_set_new(
		    root, "TrackOpens",
		    json_boolean(mm->track_opens == MSG_TRACK_ON));
	if (mm && mm->track_clicks != MSG_TRACK_UNSET)
		json_object_set_new(root, "TrackLinks",
		                    json_string(mm->track_clicks == MSG_TRACK_ON
		                                    ? "HtmlAndText"
		                                    : "None"));
	meta_out_unsupported(mm,
	                     META_OUT_TAGS | META_OUT_METADATA |
	                         META_OUT_MESSAGE_STREAM |
	                         META_OUT_TRACK_OPENS | META_OUT_TRACK_CLICKS,
	                     na);
}

int
postmark_request_build(const struct config_provider *cfg,
                       const struct adapter_msg *msg, time_t now,
                       struct http_out *out, char *why, size_t whylen)
{
	struct mail_json mj;
	const struct mime_msg *m;
	struct mail_rcpt from;
	json_t *root, *v;
	char *base;
	const char *stream;
	int bad;

	(void)now;
	if (mail_json_open(&mj, msg, why, whylen) != 0)
		return -1;
	m = mj.m;
	root = json_object();
	from = (struct mail_rcpt){mj.from->addr, mj.from->name};
	bad = postmark_set_list(root, "From", &from, 1) ||
	      postmark_set_list(root, "To", mj.to, mj.nto) ||
	      postmark_set_list(root, "Cc", mj.cc, mj.ncc) ||
	      postmark_set_list(root, "Bcc", mj.bcc, mj.nbcc);
	if (!bad && m->nreply_to > 0) {
		struct mail_rcpt *rt = xcalloc(m->nreply_to, sizeof(*rt));
		size_t i;

		for (i = 0; i < m->nreply_to; i++)
			rt[i] = (struct mail_rcpt){m->reply_to[i].addr,
			                           m->reply_to[i].name};
		bad = postmark_set_list(root, "ReplyTo", rt, m->nreply_to);
		free(rt);
	}
	if (!bad && m->subject)
		bad = mail_json_set(
		    root, "Subject",
		    mail_json_str(m->subject, strlen(m->subject)));
	if (!bad && m->text)
		bad = mail_json_set(root, "TextBody",
		                    mail_json_str(m->text, m->text_len));
	if (!bad && m->html)
		bad = mail_json_set(root, "HtmlBody",
		                    mail_json_str(m->html, m->html_len));
	if (!bad && m->nattachments)
		bad =
		    mail_json_set(root, "Attachments", postmark_attachments(m));
	if (!bad) {
		v = postmark_headers(m);
		if (v && json_array_size(v) == 0) {
			json_decref(v);
		} else {
			bad = mail_json_set(root, "Headers", v);
		}
	}
	stream = postmark_stream(cfg, msg->meta, &out->not_applied);
	if (!bad)
		bad = mail_json_set(root, "MessageStream",
		                    mail_json_str(stream, strlen(stream)));
	if (!bad) {
		v = postmark_metadata(msg, &out->not_applied);
		if (v != NULL)
			json_object_set_new(root, "Metadata", v);
		postmark_meta(root, msg->meta, &out->not_applied);
	}
	buf_fini(&out->body);
	if (bad || mail_json_dump(root, &out->body) != 0) {
		snprintf(why, whylen, "a field is not valid UTF-8");
		json_decref(root);
		mail_json_close(&mj);
		return -1;
	}
	json_decref(root);
	mail_json_close(&mj);
	base = http_base_url(cfg, POSTMARK_BASE);
	out->method = "POST";
	if (asprintf(&out->url, "%s/email", base) < 0)
		out->url = NULL;
	free(base);
	http_out_header_add(out, "Accept", "application/json");
	http_out_header_add(out, "Content-Type", "application/json");
	http_out_header_add(out, "X-Postmark-Server-Token", "%s",
	                    cfg->api_key ? cfg->api_key : "");
	return 0;
}

void
postmark_classify(const struct http_response *resp, time_t now,
                  struct send_result *r)
{
	json_t *body = json_loadb(resp->body, resp->body_len, 0, NULL);
	json_t *ec = json_object_get(body, "ErrorCode");
	const char *m = json_string_value(json_object_get(body, "Message"));
	long code = json_is_integer(ec) ? (long)json_integer_value(ec) : -1;
	char codes[24];
	struct send_fact f;

	http_fact_init(&f, SEND_PROVIDER_POSTMARK, resp, now);
	f.msgid = json_string_value(json_object_get(body, "MessageID"));
	f.msgid_len = f.msgid ? strlen(f.msgid) : 0;
	if (code >= 0) {
		snprintf(codes, sizeof(codes), "%ld", code);
		f.code = codes;
	}
	http_fact_message(&f, resp, m);
	policy_http_result(&f, r);
	json_decref(body);
}

void
postmark_probe_build(const struct config_provider *cfg, time_t now,
                     struct http_out *out)
{
	char *base = http_base_url(cfg, POSTMARK_BASE);

	(void)now;
	out->method = "GET";
	if (asprintf(&out->url, "%s/server", base) < 0)
		out->url = NULL;
	free(base);
	http_out_header_add(out, "Accept", "application/json");
	http_out_header_add(out, "X-Postmark-Server-Token", "%s",
	                    cfg->api_key ? cfg->api_key : "");
}

void
postmark_probe_read(const struct http_response *resp, time_t now,
                    struct adapter_probe_result *pr)
{
	struct send_result r;

	if (resp->status >= 200 && resp->status < 300) {
		pr->ok = true;
		pr->class = policy_probe_class(POLICY_PROBE_UP);
		snprintf(pr->text, sizeof(pr->text), "server: token valid");
		return;
	}
	postmark_classify(resp, now, &r);
	pr->ok = false;
	pr->class = r.class;
	snprintf(pr->text, sizeof(pr->text), "server: HTTP %d %.40s: %.160s",
	         resp->status, r.provider_code, r.text);
}

const struct http_provider postmark_http = {
    .type = "postmark",
    .build = postmark_request_build,
    .classify = postmark_classify,
    .probe_build = postmark_probe_build,
    .probe_read = postmark_probe_read,
    .represents = mail_json_represents,
};

/* postmark_init - a Postmark adapter. */
static int
postmark_init(struct adapter *a)
{
	return http_adapter_init(a, &postmark_http);
}

const struct adapter_ops adapter_postmark_ops =
    HTTP_ADAPTER_OPS("postmark", postmark_init);
