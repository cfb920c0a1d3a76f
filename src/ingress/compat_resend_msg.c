/*
 * compat_resend_msg.c - the Resend request decoders (POST /emails,
 * POST /emails/batch, PATCH /emails/{id}), pure.
 *
 * Every field of Resend's published schema (and of the resend npm
 * client) is honoured, carried in the message's msg_meta, or refused
 * naming it; any other field is refused too, so that nothing a caller
 * sends is dropped unseen (docs/drop-in.md has the matrix):
 *  - attachments: content as base64 text, as a Node Buffer serialised
 *    by JSON.stringify ({"type":"Buffer","data":[...]}), as an array of
 *    bytes or as a Uint8Array's object of indexes; a path (URL) is
 *    refused (swerve never fetches what a caller names);
 *  - tags [{name, value}] into msg->meta by Resend's rules;
 *  - scheduled_at (ISO 8601 with a zone, or "in N minutes|hours|days",
 *    at most 30 days ahead) into msg->meta.send_at;
 *  - template, react (rendered by the SDK, never sent by it) and
 *    topic_id are refused.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/xmalloc.h"
#include "ingress/compat.h"

#define RESEND_TAG_MAX 256 /* octets of a tag name or value */

/* The fields of one email object, and what is refused with why. */
static const char *const rs_keys[] = {
    "from",     "to",           "subject",     "bcc",
    "cc",       "reply_to",     "html",        "text",
    "headers",  "scheduled_at", "attachments", "tags",
    "template", "react",        "topic_id",    NULL};

static const struct {
	const char *key, *why;
} rs_refused[] = {
    {"template", "templates are not supported by this endpoint; send html "
                 "or text"},
    {"react", "React is rendered by the SDK; send the html it renders"},
    {"topic_id", "swerve keeps no contacts or topics; send to the "
                 "recipients themselves"},
};

/* rs_err - a Resend 422 validation_error at field. -1. */
#define rs_err(e, field, ...)                                                  \
	api_error_set(e, 422, "invalid_field", field, __VA_ARGS__)

/* ---- scheduled_at ------------------------------------------------------ */

/* when_iso - an ISO 8601 date-time with a zone; -1 when it is not one. */
static int
when_iso(const char *s, time_t *out)
{
	int y, mo, d, h, mi, sec = 0, n = 0, zh = 0, zm = 0, sign = 0;
	struct tm tm;
	time_t t;

	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10 ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' '))
		return -1;
	s += 11;
	if (sscanf(s, "%2d:%2d%n", &h, &mi, &n) != 2 || n != 5)
		return -1;
	s += 5;
	if (*s == ':') {
		if (!isdigit((unsigned char)s[1]) ||
		    !isdigit((unsigned char)s[2]))
			return -1;
		sec = (s[1] - '0') * 10 + (s[2] - '0');
		s += 3;
		if (*s == '.' || *s == ',') {
			if (!isdigit((unsigned char)s[1]))
				return -1;
			for (s++; isdigit((unsigned char)*s); s++)
				;
		}
	}
	if (*s == 'Z' || *s == 'z')
		s++;
	else if (*s == '+' || *s == '-') {
		sign = *s == '-' ? -1 : 1;
		if (sscanf(s + 1, "%2d%n", &zh, &n) != 1 || n != 2)
			return -1;
		s += 3;
		if (*s == ':')
			s++;
		if (*s != '\0' && (sscanf(s, "%2d%n", &zm, &n) != 1 || n != 2))
			return -1;
		s += *s != '\0' ? 2 : 0;
	} else
		return -1; /* no zone: which 9 o'clock? */
	if (*s != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || sec > 60 || zh > 23 || zm > 59 || y < 1970)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if (t == (time_t)-1 || tm.tm_mday != d) /* 31 April */
		return -1;
	*out = t - sign * (zh * 3600 + zm * 60);
	return 0;
}

/* when_relative - "in N unit" (N a number, "a" or "an"); -1 else. */
static int
when_relative(const char *s, time_t now, time_t *out)
{
	static const struct {
		const char *unit;
		long secs;
	} units[] = {
	    {"s", 1},        {"sec", 1},       {"secs", 1},
	    {"second", 1},   {"seconds", 1},   {"m", 60},
	    {"min", 60},     {"mins", 60},     {"minute", 60},
	    {"minutes", 60}, {"h", 3600},      {"hr", 3600},
	    {"hrs", 3600},   {"hour", 3600},   {"hours", 3600},
	    {"d", 86400},    {"day", 86400},   {"days", 86400},
	    {"w", 604800},   {"week", 604800}, {"weeks", 604800},
	};
	const char *u;
	size_t i, ul;
	long n;

	s += strspn(s, " ");
	if (strncasecmp(s, "in ", 3) != 0)
		return -1;
	s += 3 + strspn(s + 3, " ");
	if (strncasecmp(s, "an ", 3) == 0 || strncasecmp(s, "a ", 2) == 0) {
		n = 1;
		s += s[1] == 'n' || s[1] == 'N' ? 3 : 2;
	} else {
		char *end;
		if (!isdigit((unsigned char)*s))
			return -1;
		n = strtol(s, &end, 10);
		if (n > 100000)
			return -1;
		s = end;
	}
	u = s + strspn(s, " ");
	for (ul = 0; isalpha((unsigned char)u[ul]); ul++)
		;
	if (ul == 0 || u[ul + strspn(u + ul, " ")] != '\0')
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strlen(units[i].unit) == ul &&
		    strncasecmp(u, units[i].unit, ul) == 0) {
			*out = now + (time_t)(n * units[i].secs);
			return 0;
		}
	return -1;
}

int
compat_resend_when(const char *s, time_t now, int64_t *send_at,
                   struct api_error *e)
{
	time_t t;

	if (strcasecmp(s, "now") == 0)
		t = now;
	else if (when_iso(s, &t) < 0 && when_relative(s, now, &t) < 0)
		return rs_err(e, "scheduled_at",
		              "Invalid `scheduled_at` field: swerve reads an "
		              "ISO 8601 time with a zone "
		              "(2024-08-05T11:52:01.858Z) or \"in N "
		              "minutes|hours|days\"; other phrases are not "
		              "understood");
	if (t > now + COMPAT_RESEND_SCHEDULE_MAX)
		return rs_err(e, "scheduled_at",
		              "Invalid `scheduled_at` field: emails can be "
		              "scheduled up to 30 days in advance");
	/* A time that has come sends at once. */
	*send_at = t > now ? (int64_t)t : 0;
	return 0;
}

/* ---- the email object -------------------------------------------------- */

/* rs_headers - the headers object into m. */
static int
rs_headers(json_t *h, struct mime_build_msg *m, struct api_error *e)
{
	const char *k;
	json_t *v;

	if (h == NULL || json_is_null(h))
		return 0;
	if (!json_is_object(h))
		return rs_err(e, "headers", "`headers` must be an object");
	json_object_foreach(h, k, v)
	{
		char f[96];

		snprintf(f, sizeof(f), "headers.%.80s", k);
		if (!json_is_string(v))
			return rs_err(e, f, "`%s` must be a string", f);
		if (compat_field_add(m, k, json_string_value(v), f, e) < 0)
			return -1;
	}
	return 0;
}

/*
 * rs_bytes - an array of integers 0..255 (a Buffer's data, a byte
 * array) or a Uint8Array's object of indexes into a new buffer.
 */
static int
rs_bytes(json_t *v, unsigned char **out, size_t *len)
{
	size_t i,
	    n = json_is_array(v) ? json_array_size(v) : json_object_size(v);
	unsigned char *p = xmalloc(n + 1);

	for (i = 0; i < n; i++) {
		json_t *b;
		json_int_t x;

		if (json_is_array(v))
			b = json_array_get(v, i);
		else {
			char idx[24];
			snprintf(idx, sizeof(idx), "%zu", i);
			b = json_object_get(v, idx);
		}
		if (!json_is_integer(b) || (x = json_integer_value(b)) < 0 ||
		    x > 255) {
			free(p);
			return -1;
		}
		p[i] = (unsigned char)x;
	}
	*out = p;
	*len = n;
	return 0;
}

/* rs_content - an attachment's content in any form the SDKs send. */
static int
rs_content(json_t *c, struct mime_build_msg *m, const char *fn, const char *ct,
           const char *cid, const char *f, struct api_error *e)
{
	unsigned char *data = NULL;
	json_t *d = NULL;
	size_t len = 0;
	int rc;

	if (json_is_string(c))
		return compat_att_add_b64(m, fn, ct, cid, json_string_value(c),
		                          json_string_length(c), f, e);
	if (json_is_object(c) && json_object_size(c) == 2 &&
	    json_is_string(json_object_get(c, "type")) &&
	    strcmp(json_string_value(json_object_get(c, "type")), "Buffer") ==
	        0)
		d = json_object_get(c, "data"); /* a Node Buffer */
	else if (json_is_array(c) || json_is_object(c))
		d = c; /* bytes, or a Uint8Array's indexes */
	if (d == NULL || !(json_is_array(d) || json_is_object(d)) ||
	    rs_bytes(d, &data, &len) < 0)
		return rs_err(e, f,
		              "`%s.content` must be base64 text, a Buffer or "
		              "an array of bytes",
		              f);
	rc = compat_att_add(m, fn, ct, cid, data, len, f, e);
	free(data);
	return rc;
}

/* rs_attachment - one attachments[] item into m. */
static int
rs_attachment(json_t *it, const char *f, struct mime_build_msg *m,
              struct api_error *e)
{
	static const char *const keys[] = {
	    "content",    "filename",          "path", "content_type",
	    "content_id", "inline_content_id", NULL};
	char *fn = NULL, *ct = NULL, *cid = NULL, *cid2 = NULL;
	const char *k;
	json_t *c, *v;
	size_t i;
	int rc = -1;

	if (!json_is_object(it))
		return rs_err(e, f, "`%s` must be an object", f);
	json_object_foreach(it, k, v)
	{
		for (i = 0; keys[i] != NULL && strcmp(keys[i], k) != 0; i++)
			;
		if (keys[i] == NULL)
			return rs_err(e, f,
			              "`%s.%.40s` is not a field of an "
			              "attachment",
			              f, k);
	}
	if ((v = json_object_get(it, "path")) != NULL && !json_is_null(v))
		return rs_err(e, f,
		              "`%s.path`: attachments by path are not "
		              "supported by this endpoint (swerve never "
		              "fetches a URL); send content",
		              f);
	c = json_object_get(it, "content");
	if (c == NULL || json_is_null(c))
		return api_error_set(e, 422, "missing_field", f,
		                     "`%s.content` is required", f);
	if (compat_json_str(it, "filename", f, true, &fn, e) == 0 &&
	    compat_json_str(it, "content_type", f, true, &ct, e) == 0 &&
	    compat_json_str(it, "content_id", f, true, &cid, e) == 0 &&
	    compat_json_str(it, "inline_content_id", f, true, &cid2, e) == 0)
		rc = rs_content(c, m, fn, ct, cid ? cid : cid2, f, e);
	free(fn);
	free(ct);
	free(cid);
	free(cid2);
	return rc;
}

/* rs_attachments - the attachments array into m. */
static int
rs_attachments(json_t *a, struct mime_build_msg *m, struct api_error *e)
{
	size_t i;
	json_t *it;

	if (a == NULL || json_is_null(a))
		return 0;
	if (!json_is_array(a))
		return rs_err(e, "attachments",
		              "`attachments` must be an array");
	json_array_foreach(a, i, it)
	{
		char f[40];

		snprintf(f, sizeof(f), "attachments[%zu]", i);
		if (rs_attachment(it, f, m, e) < 0)
			return -1;
	}
	return 0;
}

/* rs_tags - tags [{name, value}] into mt, by Resend's rules. */
static int
rs_tags(json_t *a, struct msg_meta *mt, struct api_error *e)
{
	size_t i, j;
	json_t *it;

	if (a == NULL || json_is_null(a))
		return 0;
	if (!json_is_array(a))
		return rs_err(e, "tags", "`tags` must be an array");
	json_array_foreach(a, i, it)
	{
		json_t *n = json_object_get(it, "name"),
		       *v = json_object_get(it, "value");
		char f[32];

		snprintf(f, sizeof(f), "tags[%zu]", i);
		if (!json_is_object(it) || json_object_size(it) > 2 ||
		    !json_is_string(n) || (v != NULL && !json_is_string(v)))
			return rs_err(e, f, "`%s` must be {name, value}", f);
		if (!msg_meta_tag_word(json_string_value(n),
		                       json_string_length(n), RESEND_TAG_MAX,
		                       false) ||
		    (v != NULL && !msg_meta_tag_word(json_string_value(v),
		                                     json_string_length(v),
		                                     RESEND_TAG_MAX, true)))
			return rs_err(
			    e, f,
			    "`%s`: tags should only contain ASCII letters, "
			    "numbers, underscores, or dashes (at most 256)",
			    f);
		for (j = 0; j < mt->n_tags; j++)
			if (strcmp(mt->tags[j].name, json_string_value(n)) == 0)
				return rs_err(e, f,
				              "`%s`: the tag name %s is "
				              "given twice",
				              f, mt->tags[j].name);
		if (msg_meta_add_tag(mt, json_string_value(n),
		                     v ? json_string_value(v) : "") < 0)
			return rs_err(e, f, "more than %d tags",
			              MSG_META_TAGS_MAX);
	}
	return 0;
}

/* rs_known - every member of o is a field; the refused ones refused. */
static int
rs_known(json_t *o, struct api_error *e)
{
	const char *k;
	json_t *v;
	size_t i;

	json_object_foreach(o, k, v)
	{
		for (i = 0; rs_keys[i] != NULL && strcmp(rs_keys[i], k) != 0;
		     i++)
			;
		if (rs_keys[i] == NULL)
			return rs_err(e, "",
			              "`%.40s` is not a field of an email", k);
		if (json_is_null(v))
			continue;
		for (i = 0; i < sizeof(rs_refused) / sizeof(rs_refused[0]); i++)
			if (strcmp(rs_refused[i].key, k) == 0)
				return rs_err(e, k,
				              "`%s` is not supported by "
				              "this endpoint: %s",
				              k, rs_refused[i].why);
	}
	return 0;
}

/* rs_body - text and html (strings, at least one). */
static int
rs_body(json_t *j, struct mime_build_msg *m, struct api_error *e)
{
	static const char *const k[] = {"text", "html"};
	size_t i;

	for (i = 0; i < 2; i++) {
		json_t *v = json_object_get(j, k[i]);

		if (v == NULL || json_is_null(v))
			continue;
		if (!json_is_string(v))
			return rs_err(e, k[i], "`%s` must be a string", k[i]);
		if (compat_text_set(m, i == 1, json_string_value(v),
		                    json_string_length(v), k[i], e) < 0)
			return -1;
	}
	if (m->text == NULL && m->html == NULL)
		return api_error_set(e, 422, "missing_field", "html",
		                     "Missing `html` or `text` field.");
	return 0;
}

/* rs_addr_wording - Resend's words for a bad address in e's field. */
static int
rs_addr_wording(struct api_error *e)
{
	char f[sizeof(e->field)];

	snprintf(f, sizeof(f), "%s", e->field);
	if (strchr(f, '[') != NULL)
		*strchr(f, '[') = '\0';
	snprintf(e->message, sizeof(e->message),
	         "Invalid `%.40s` field. The email address needs to follow "
	         "the `email@example.com` or `Name <email@example.com>` "
	         "format.",
	         f);
	e->http_status = 422;
	return -1;
}

int
compat_resend_msg_decode(json_t *j, time_t now, struct api_msg *msg,
                         struct api_error *e)
{
	struct mime_build_msg *m = &msg->mail;
	json_t *v;
	char *when = NULL;
	int rc = -1;

	memset(msg, 0, sizeof(*msg));
	msg_meta_init(&msg->meta);
	if (!json_is_object(j)) {
		api_error_set(e, 422, "invalid_json", "",
		              "an email must be an object");
		goto done;
	}
	if (rs_known(j, e) < 0)
		goto done;
	v = json_object_get(j, "from");
	if (v == NULL || json_is_null(v)) {
		api_error_set(e, 422, "missing_field", "from",
		              "Missing `from` field.");
		goto done;
	}
	if (compat_json_addr1(v, "from", &m->from, e) < 0 ||
	    compat_json_addrs(json_object_get(j, "to"), "to", false, &m->to,
	                      &m->n_to, e) < 0 ||
	    compat_json_addrs(json_object_get(j, "cc"), "cc", false, &m->cc,
	                      &m->n_cc, e) < 0 ||
	    compat_json_addrs(json_object_get(j, "bcc"), "bcc", false,
	                      &msg->bcc, &msg->n_bcc, e) < 0 ||
	    compat_json_addrs(json_object_get(j, "reply_to"), "reply_to", false,
	                      &m->reply_to, &m->n_reply_to, e) < 0) {
		rs_addr_wording(e);
		goto done;
	}
	if (m->n_to == 0) {
		api_error_set(e, 422, "missing_field", "to",
		              "Missing `to` field.");
		goto done;
	}
	if (compat_json_str(j, "subject", "subject", true, &m->subject, e) < 0)
		goto done;
	if (m->subject == NULL) {
		api_error_set(e, 422, "missing_field", "subject",
		              "Missing `subject` field.");
		goto done;
	}
	if (rs_body(j, m, e) < 0 ||
	    rs_headers(json_object_get(j, "headers"), m, e) < 0 ||
	    rs_attachments(json_object_get(j, "attachments"), m, e) < 0 ||
	    rs_tags(json_object_get(j, "tags"), &msg->meta, e) < 0 ||
	    compat_json_str(j, "scheduled_at", "scheduled_at", true, &when, e) <
	        0 ||
	    (when != NULL &&
	     compat_resend_when(when, now, &msg->meta.send_at, e) < 0))
		goto done;
	rc = 0;
done:
	free(when);
	if (rc < 0) {
		if (e->http_status == 400)
			e->http_status = 422;
		api_msg_fini(msg);
	}
	return rc;
}

int
compat_resend_decode(const char *body, size_t len, time_t now,
                     struct api_msg *msg, struct api_error *e)
{
	json_t *j;
	int rc;

	memset(msg, 0, sizeof(*msg));
	if ((j = compat_json_load(body, len, e)) == NULL) {
		e->http_status = 422;
		return -1;
	}
	rc = compat_resend_msg_decode(j, now, msg, e);
	json_decref(j);
	if (rc == 0)
		compat_sha256_hex(body, len, msg->payload_sha256);
	return rc;
}

int
compat_resend_update_decode(const char *body, size_t len, time_t now,
                            int64_t *send_at, struct api_error *e)
{
	json_t *j, *v;
	const char *k;
	int rc = -1;

	if ((j = compat_json_load(body, len, e)) == NULL) {
		e->http_status = 422;
		return -1;
	}
	if (!json_is_object(j)) {
		api_error_set(e, 422, "invalid_json", "", "expected an object");
		goto done;
	}
	json_object_foreach(j, k, v)
	{
		if (strcmp(k, "scheduled_at") != 0) {
			rs_err(e, "",
			       "`%.40s` cannot be updated: only "
			       "`scheduled_at` can",
			       k);
			goto done;
		}
	}
	v = json_object_get(j, "scheduled_at");
	if (!json_is_string(v)) {
		api_error_set(e, 422, "missing_field", "scheduled_at",
		              "Missing `scheduled_at` field.");
		goto done;
	}
	rc = compat_resend_when(json_string_value(v), now, send_at, e);
done:
	json_decref(j);
	return rc;
}
