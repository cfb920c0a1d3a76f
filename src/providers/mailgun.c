/*
 * mailgun.c - the Mailgun adapter (type: mailgun).
 *
 * Sends the spooled message byte for byte through POST
 * /v3/{domain}/messages.mime as multipart/form-data: one "to" field per
 * envelope recipient, "v:swerve_id" (echoed in webhooks as
 * user-variables) and the message as the file part "message"
 * (message/rfc822). The message's msg_meta goes along as Mailgun's own
 * options: labels as o:tag (at most 3), tags with a value and metadata
 * members as v:NAME, tracking switches as o:tracking-opens /
 * o:tracking-clicks; the rest is listed as not applied
 * (providers/meta_out.h). HTTP Basic auth, user "api". Base URL
 * https://api.mailgun.net, https://api.eu.mailgun.net for region "eu",
 * or providers[].endpoint.
 *
 * Success is 200 {"id":"<...>","message":"Queued..."}; the id is kept
 * without its angle brackets (webhooks report it that way).
 * What an answer means is the Mailgun rows of send/policy_http.c
 * (docs/providers.md, "Classification - HTTP providers"); this file only reads
 * the facts.
 *
 * Probe: GET /v3/domains/{domain}, the cheapest authenticated call that
 * also proves the sending domain exists in the account and says whether
 * it is active.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/rand.h>

#include "core/base64.h"
#include "core/xmalloc.h"
#include "providers/mail_json.h"
#include "providers/meta_out.h"
#include "providers/providers_http.h"
#include "send/policy.h"

#define MAILGUN_BASE_US "https://api.mailgun.net"
#define MAILGUN_BASE_EU "https://api.eu.mailgun.net"
#define MAILGUN_TAGS_MAX 3  /* o:tag values on one message */
#define MAILGUN_TAG_LEN 128 /* characters of one */

char *
mailgun_base(const struct config_provider *cfg)
{
	bool eu = cfg->region && strcasecmp(cfg->region, "eu") == 0;

	return http_base_url(cfg, eu ? MAILGUN_BASE_EU : MAILGUN_BASE_US);
}

void
mailgun_auth(const struct config_provider *cfg, struct http_out *out)
{
	char *plain, *b64;
	size_t n;

	n = strlen(cfg->api_key ? cfg->api_key : "") + 4;
	plain = xmalloc(n + 1);
	snprintf(plain, n + 1, "api:%s", cfg->api_key ? cfg->api_key : "");
	b64 = base64_encode_str(plain, n);
	http_out_header_add(out, "Authorization", "Basic %s", b64);
	explicit_bzero(plain, n);
	explicit_bzero(b64, strlen(b64));
	free(plain);
	free(b64);
}

/* mailgun_field - one plain form field. */
static void
mailgun_field(struct buf *b, const char *bnd, const char *name,
              const char *value)
{
	buf_printf(b,
	           "--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n"
	           "\r\n%s\r\n",
	           bnd, name, value);
}

/* mailgun_safe - no CR, LF or quote that would break the form framing. */
static bool
mailgun_safe(const char *s)
{
	return strpbrk(s, "\r\n\"") == NULL;
}

/* One form field of a send; the value is owned. */
struct mailgun_field {
	const char *name; /* static, or owned when own_name */
	char *value;
	char *own_name;
};

/* mailgun_add - append field name=value (value copied). */
static void
mailgun_add(struct mailgun_field **f, size_t *n, const char *name,
            const char *value)
{
	*f = xreallocarray(*f, *n + 1, sizeof(**f));
	(*f)[*n] = (struct mailgun_field){name, xstrdup(value), NULL};
	(*n)++;
}

/* mailgun_tag_ok - printable ASCII, 1..MAILGUN_TAG_LEN (Mailgun's rule). */
static bool
mailgun_tag_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > MAILGUN_TAG_LEN)
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

/*
 * mailgun_meta - the form fields for the message's msg_meta: labels as
 * o:tag (at most 3, each once, printable ASCII of at most 128), tags
 * with a value and metadata members as v:NAME, the tracking switches as
 * o:tracking-opens / o:tracking-clicks ("yes" / "no"). The rest is listed
 * in na.
 */
static void
mailgun_meta(const struct adapter_msg *msg, struct mailgun_field **f, size_t *n,
             struct buf *na)
{
	const struct msg_meta *mm = msg->meta;
	struct meta_out_pair *pr;
	size_t i, j, np, ntags = 0;

	for (i = 0; mm && i < mm->n_tags; i++) {
		const char *t = mm->tags[i].name;
		bool dup = false;

		if (mm->tags[i].value != NULL)
			continue; /* a variable */
		for (j = 0; j < *n; j++)
			if (strcmp((*f)[j].name, "o:tag") == 0 &&
			    strcasecmp((*f)[j].value, t) == 0)
				dup = true;
		if (dup)
			continue; /* tags are case-insensitive: the same */
		if (!mailgun_tag_ok(t))
			meta_out_skip(na,
			              "tag \"%.64s\" (not ASCII or longer "
			              "than 128)",
			              t);
		else if (ntags == MAILGUN_TAGS_MAX)
			meta_out_skip(na, "tag \"%.64s\" (only 3 tags)", t);
		else {
			mailgun_add(f, n, "o:tag", t);
			ntags++;
		}
	}
	pr = meta_out_pairs(mm, false, &np);
	for (i = 0; i < np; i++) {
		bool dup = strcmp(pr[i].name, PROVIDERS_ID_TAG) == 0;

		for (j = 0; j < *n && !dup; j++)
			dup = (*f)[j].own_name != NULL &&
			      strcmp((*f)[j].own_name + 2, pr[i].name) == 0;
		if (dup) {
			meta_out_skip(na, "%s \"%.64s\" (repeated)", pr[i].what,
			              pr[i].name);
			continue;
		}
		if (!mailgun_safe(pr[i].name)) {
			meta_out_skip(na, "%s \"%.64s\" (characters)",
			              pr[i].what, pr[i].name);
			continue;
		}
		mailgun_add(f, n, "", pr[i].value);
		(*f)[*n - 1].own_name = xmalloc(strlen(pr[i].name) + 3);
		snprintf((*f)[*n - 1].own_name, strlen(pr[i].name) + 3, "v:%s",
		         pr[i].name);
		(*f)[*n - 1].name = (*f)[*n - 1].own_name;
	}
	meta_out_pairs_free(pr, np);
	if (mm && mm->track_opens != MSG_TRACK_UNSET)
		mailgun_add(f, n, "o:tracking-opens",
		            mm->track_opens == MSG_TRACK_ON ? "yes" : "no");
	if (mm && mm->track_clicks != MSG_TRACK_UNSET)
		mailgun_add(f, n, "o:tracking-clicks",
		            mm->track_clicks == MSG_TRACK_ON ? "yes" : "no");
	meta_out_unsupported(mm,
	                     META_OUT_TAGS | META_OUT_METADATA |
	                         META_OUT_TRACK_OPENS | META_OUT_TRACK_CLICKS,
	                     na);
}

/* mailgun_boundary - a boundary that occurs in neither the message nor
 * any field value, into bnd. */
static void
mailgun_boundary(const struct adapter_msg *msg, const struct mailgun_field *f,
                 size_t n, char *bnd, size_t size)
{
	unsigned char rnd[12];
	size_t i;
	int tries;

	for (tries = 0;; tries++) {
		if (RAND_bytes(rnd, sizeof(rnd)) != 1)
			memset(rnd, tries, sizeof(rnd));
		snprintf(
		    bnd, size,
		    "swerve-%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x",
		    rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6],
		    rnd[7], rnd[8], rnd[9], rnd[10], rnd[11]);
		if (memmem(msg->body.p, msg->body.len, bnd, strlen(bnd)) !=
		    NULL)
			continue;
		for (i = 0; i < n; i++)
			if (strstr(f[i].value, bnd) != NULL)
				break;
		if (i == n)
			return;
	}
}

int
mailgun_request_build(const struct config_provider *cfg,
                      const struct adapter_msg *msg, time_t now,
                      struct http_out *out, char *why, size_t whylen)
{
	struct mailgun_field *f = NULL;
	char bnd[64];
	char *base;
	size_t i, n = 0;

	(void)now;
	if (cfg->domain == NULL || *cfg->domain == '\0') {
		snprintf(why, whylen, "no mailgun domain configured");
		return -1;
	}
	for (i = 0; i < msg->n_rcpts; i++) {
		if (!mailgun_safe(msg->rcpts[i])) {
			snprintf(why, whylen, "a recipient has CR, LF or '\"'");
			return -1;
		}
	}
	for (i = 0; i < msg->n_rcpts; i++)
		mailgun_add(&f, &n, "to", msg->rcpts[i]);
	if (msg->id && *msg->id && mailgun_safe(msg->id))
		mailgun_add(&f, &n, "v:" PROVIDERS_ID_TAG, msg->id);
	mailgun_meta(msg, &f, &n, &out->not_applied);
	mailgun_boundary(msg, f, n, bnd, sizeof(bnd));
	buf_fini(&out->body);
	buf_reserve(&out->body, msg->body.len + 512 + 96 * n);
	for (i = 0; i < n; i++) {
		mailgun_field(&out->body, bnd, f[i].name, f[i].value);
		free(f[i].value);
		free(f[i].own_name);
	}
	free(f);
	buf_printf(&out->body,
	           "--%s\r\nContent-Disposition: form-data; name=\"message\"; "
	           "filename=\"message.mime\"\r\n"
	           "Content-Type: message/rfc822\r\n\r\n",
	           bnd);
	buf_add(&out->body, msg->body.p, msg->body.len);
	buf_printf(&out->body, "\r\n--%s--\r\n", bnd);
	base = mailgun_base(cfg);
	out->method = "POST";
	if (asprintf(&out->url, "%s/v3/%s/messages.mime", base, cfg->domain) <
	    0)
		out->url = NULL;
	free(base);
	http_out_header_add(out, "Content-Type",
	                    "multipart/form-data; boundary=%s", bnd);
	mailgun_auth(cfg, out);
	return 0;
}

void
mailgun_classify(const struct http_response *resp, time_t now,
                 struct send_result *r)
{
	json_t *body = json_loadb(resp->body, resp->body_len, 0, NULL);
	const char *m = json_string_value(json_object_get(body, "message"));
	const char *id = json_string_value(json_object_get(body, "id"));
	char status[16], text[201];
	struct send_fact f;
	size_t n;

	http_fact_init(&f, SEND_PROVIDER_MAILGUN, resp, now);
	if (id != NULL) {
		/* "<20240101.1.ABC@mg.example.com>": the id is inside. */
		n = strlen(id);
		if (n >= 2 && id[0] == '<' && id[n - 1] == '>') {
			id++;
			n -= 2;
		}
		f.msgid = id;
		f.msgid_len = n;
	}
	/* Mailgun's errors carry no code of their own: the status is it. */
	snprintf(status, sizeof(status), "%d", resp->status);
	f.code = status;
	/* The JSON "message", or a plain-text answer ("Forbidden"); the
	 * rules read the words of either. */
	http_fact_message(&f, resp, m);
	if (m == NULL) {
		memcpy(text, f.text, f.text_len);
		text[f.text_len] = '\0';
		f.message = text;
	}
	policy_http_result(&f, r);
	json_decref(body);
}

void
mailgun_probe_build(const struct config_provider *cfg, time_t now,
                    struct http_out *out)
{
	char *base = mailgun_base(cfg);

	(void)now;
	out->method = "GET";
	if (asprintf(&out->url, "%s/v3/domains/%s", base,
	             cfg->domain ? cfg->domain : "") < 0)
		out->url = NULL;
	free(base);
	mailgun_auth(cfg, out);
}

void
mailgun_probe_read(const struct http_response *resp, time_t now,
                   struct adapter_probe_result *pr)
{
	struct send_result r;
	json_t *body;
	const char *state;

	if (resp->status < 200 || resp->status >= 300) {
		mailgun_classify(resp, now, &r);
		pr->ok = false;
		pr->class = r.class;
		snprintf(pr->text, sizeof(pr->text), "domain: HTTP %d: %.200s",
		         resp->status, r.text);
		return;
	}
	body = json_loadb(resp->body, resp->body_len, 0, NULL);
	state = json_string_value(
	    json_object_get(json_object_get(body, "domain"), "state"));
	pr->ok = state == NULL || strcmp(state, "active") == 0;
	pr->class = policy_probe_class(pr->ok ? POLICY_PROBE_UP
	                                      : POLICY_PROBE_NOT_PERMITTED);
	snprintf(pr->text, sizeof(pr->text), "domain: state %s",
	         state ? state : "unknown");
	json_decref(body);
}

const struct http_provider mailgun_http = {
    .type = "mailgun",
    .build = mailgun_request_build,
    .classify = mailgun_classify,
    .probe_build = mailgun_probe_build,
    .probe_read = mailgun_probe_read,
};

/* mailgun_init - a Mailgun adapter. */
static int
mailgun_init(struct adapter *a)
{
	return http_adapter_init(a, &mailgun_http);
}

const struct adapter_ops adapter_mailgun_ops =
    HTTP_ADAPTER_OPS("mailgun", mailgun_init);
