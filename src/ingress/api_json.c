/*
 * api_json.c - POST /v1/messages JSON -> struct api_msg, or a precise error.
 *
 * Three steps: a pre-scan over the raw bytes bounds nesting and member
 * counts (jansson bounds neither below 2048 levels); a one-pass parser
 * (api_json_fast.c) or, when it is not sure, jansson parses with
 * duplicate keys refused; then a table of top-level keys, each with its
 * own decoder, fills the struct. Every decoder names its field in the
 * error it returns. The payload hash is SHA-256 over jansson's compact,
 * key-sorted dump, so the same request written with other spacing or key
 * order hashes the same; the idempotency_key itself is left out.
 */
#include "ingress/api_json.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/sha.h>

#include "core/base64.h"
#include "core/buf.h"
#include "core/rfc3339.h"
#include "core/xmalloc.h"
#include "ingress/api_json_fast.h"
#include "ingress/smtp_parse.h"
#include "ingress/submit_policy.h"

int
api_error_set(struct api_error *e, int status, const char *code,
              const char *field, const char *fmt, ...)
{
	va_list ap;

	e->http_status = status;
	snprintf(e->code, sizeof(e->code), "%s", code);
	snprintf(e->field, sizeof(e->field), "%s", field ? field : "");
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	return -1;
}

char *
api_error_json(const struct api_error *e)
{
	json_t *in =
	    json_pack("{s:s,s:s}", "code", e->code, "message", e->message);
	json_t *root;
	char *s;

	if (e->field[0] != '\0')
		json_object_set_new(in, "field", json_string(e->field));
	root = json_pack("{s:o}", "error", in);
	s = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(root);
	return s ? s : xstrdup("{\"error\":{\"code\":\"internal\"}}");
}

/*
 * api_json_prescan - refuse nesting deeper than API_JSON_DEPTH_MAX and
 * containers with more than API_JSON_ITEMS_MAX members, before any
 * allocation. Only structure is checked; jansson checks the rest.
 */
static int
api_json_prescan(const char *p, size_t n, struct api_error *err)
{
	size_t count[API_JSON_DEPTH_MAX + 1];
	size_t i, depth = 0;
	bool in_str = false;

	for (i = 0; i < n; i++) {
		char c = p[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
			continue;
		}
		switch (c) {
		case '"':
			in_str = true;
			break;
		case '[':
		case '{':
			if (++depth > API_JSON_DEPTH_MAX)
				return api_error_set(
				    err, 400, "invalid_json", "",
				    "JSON nested deeper than %d levels",
				    API_JSON_DEPTH_MAX);
			count[depth] = 0;
			break;
		case ']':
		case '}':
			if (depth > 0)
				depth--;
			break;
		case ',':
			if (depth > 0 && ++count[depth] >= API_JSON_ITEMS_MAX)
				return api_error_set(
				    err, 400, "invalid_json", "",
				    "an array or object has more than %d "
				    "members",
				    API_JSON_ITEMS_MAX);
			break;
		default:
			break;
		}
	}
	return 0;
}

/* api_json_load - pre-scan, then parse; NULL with *err on failure. */
static json_t *
api_json_load(const char *buf, size_t len, struct api_error *err)
{
	json_error_t je;
	json_t *root;

	if (len == 0)
		return api_error_set(err, 400, "invalid_json", "",
		                     "the request body is empty"),
		       NULL;
	if (api_json_prescan(buf, len, err) < 0)
		return NULL;
	/* The one-pass parser takes the common requests; what it is not
	 * sure of, and every error, is jansson's (api_json_fast.h). */
	root = api_json_fast_load(buf, len);
	if (root == NULL)
		root = json_loadb(buf, len,
		                  JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
	if (root == NULL)
		api_error_set(err, 400, "invalid_json", "",
		              "malformed JSON at line %d column %d: %s",
		              je.line, je.column, je.text);
	return root;
}

/* path - "prefix.key" (or "key" at the top) into out. */
static const char *
path(char *out, size_t n, const char *prefix, const char *key)
{
	if (prefix[0] != '\0')
		snprintf(out, n, "%s.%s", prefix, key);
	else
		snprintf(out, n, "%s", key);
	return out;
}

/* path_idx - "prefix[i]" into out. */
static const char *
path_idx(char *out, size_t n, const char *prefix, size_t i)
{
	snprintf(out, n, "%s[%zu]", prefix, i);
	return out;
}

/* str_get - v as a string without CR/LF/NUL (if hdr) within max octets. */
static int
str_get(json_t *v, const char *field, size_t max, bool hdr, char **out,
        struct api_error *err)
{
	const char *s;
	size_t n;

	if (!json_is_string(v))
		return api_error_set(err, 400, "invalid_field", field,
		                     "expected a string");
	s = json_string_value(v);
	n = json_string_length(v);
	if (n > max)
		return api_error_set(err, 400, "invalid_field", field,
		                     "longer than %zu octets", max);
	if (memchr(s, '\0', n) != NULL)
		return api_error_set(err, 400, "invalid_field", field,
		                     "contains NUL");
	if (hdr && (memchr(s, '\r', n) || memchr(s, '\n', n)))
		return api_error_set(err, 400, "invalid_field", field,
		                     "contains CR or LF");
	*out = xstrndup(s, n);
	return 0;
}

/* name_unquote - strip "..." around a display name, undoing \x. */
static char *
name_unquote(const char *s, size_t n)
{
	char *o;
	size_t i, k = 0;

	while (n > 0 && (s[0] == ' ' || s[0] == '\t'))
		s++, n--;
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		o = xmalloc(n);
		for (i = 1; i + 1 < n; i++) {
			if (s[i] == '\\' && i + 2 < n)
				i++;
			o[k++] = s[i];
		}
		o[k] = '\0';
		return o;
	}
	return xstrndup(s, n);
}

int
api_json_addr_parse(const char *s, struct mime_build_addr *out)
{
	const char *lt, *end = s + strlen(s);
	struct str a;

	memset(out, 0, sizeof(*out));
	if (strpbrk(s, "\r\n") != NULL)
		return -1;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	lt = NULL;
	if (end > s && end[-1] == '>')
		lt = memrchr(s, '<', (size_t)(end - s));
	if (lt != NULL) {
		a.p = lt + 1;
		a.len = (size_t)(end - 1 - a.p);
	} else {
		while (*s == ' ' || *s == '\t')
			s++;
		a.p = s;
		a.len = (size_t)(end - s);
	}
	/* Quoted local parts with blanks or brackets are valid in SMTP but
	 * not worth their risk in headers: refused. */
	if (a.len > 254 || memchr(a.p, '@', a.len) == NULL ||
	    memchr(a.p, ' ', a.len) || memchr(a.p, '\t', a.len) ||
	    memchr(a.p, '<', a.len) || memchr(a.p, '>', a.len) ||
	    !smtp_path_valid(a, false))
		return -1;
	out->addr = str_dup(a);
	if (lt != NULL && lt > s) {
		out->name = name_unquote(s, (size_t)(lt - s));
		if (out->name[0] == '\0' ||
		    strlen(out->name) > MIME_BUILD_NAME_MAX) {
			bool empty = out->name[0] == '\0';
			free(out->name);
			out->name = NULL;
			if (!empty) {
				free(out->addr);
				out->addr = NULL;
				return -1;
			}
		}
	}
	return 0;
}

/* addr_get - one address from a string or {"email", "name"}. */
static int
addr_get(json_t *v, const char *field, struct mime_build_addr *out,
         struct api_error *err)
{
	char *s = NULL, *name = NULL;
	json_t *e, *nm;
	const char *k;
	char f[128];
	int rc;

	memset(out, 0, sizeof(*out));
	if (json_is_object(v)) {
		json_object_foreach(v, k, e)
		{
			if (strcmp(k, "email") != 0 && strcmp(k, "name") != 0)
				return api_error_set(
				    err, 400, "unknown_field",
				    path(f, sizeof(f), field, k),
				    "an address has only email and name");
		}
		e = json_object_get(v, "email");
		nm = json_object_get(v, "name");
		if (e == NULL)
			return api_error_set(err, 400, "missing_field",
			                     path(f, sizeof(f), field, "email"),
			                     "an address needs email");
		if (str_get(e, path(f, sizeof(f), field, "email"), 254, true,
		            &s, err) < 0)
			return -1;
		if (nm != NULL && !json_is_null(nm) &&
		    str_get(nm, path(f, sizeof(f), field, "name"),
		            MIME_BUILD_NAME_MAX, true, &name, err) < 0) {
			free(s);
			return -1;
		}
		rc = api_json_addr_parse(s, out);
		free(s);
		if (rc < 0 || out->name != NULL) {
			free(name);
			free(out->name);
			free(out->addr);
			memset(out, 0, sizeof(*out));
			return api_error_set(
			    err, 400, "invalid_address",
			    path(f, sizeof(f), field, "email"),
			    "not an email address (local@domain)");
		}
		if (name != NULL && name[0] == '\0') {
			free(name);
			name = NULL;
		}
		out->name = name;
		return 0;
	}
	if (str_get(v, field, 600, true, &s, err) < 0)
		return -1;
	rc = api_json_addr_parse(s, out);
	free(s);
	if (rc < 0)
		return api_error_set(
		    err, 400, "invalid_address", field,
		    "not an email address (\"local@domain\" or "
		    "\"Name <local@domain>\")");
	return 0;
}

/* addrs_get - one address or an array of them; *n total at most max. */
static int
addrs_get(json_t *v, const char *field, struct mime_build_addr **out, size_t *n,
          size_t max, struct api_error *err)
{
	char f[128];
	size_t i, cnt;

	if (!json_is_array(v)) {
		*out = xcalloc(1, sizeof(**out));
		*n = 1;
		return addr_get(v, field, *out, err);
	}
	cnt = json_array_size(v);
	if (cnt > max)
		return api_error_set(err, 400, "invalid_field", field,
		                     "more than %zu addresses", max);
	*out = xcalloc(cnt ? cnt : 1, sizeof(**out));
	for (i = 0; i < cnt; i++) {
		if (addr_get(json_array_get(v, i),
		             path_idx(f, sizeof(f), field, i), &(*out)[i],
		             err) < 0)
			return -1;
		*n = i + 1;
	}
	return 0;
}

/* name_ok - [a-z0-9_-]{1,64} (stream names, tag keys case-insensitive). */
static bool
name_ok(const char *s, bool any_case)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 64)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' ||
		      (any_case && c >= 'A' && c <= 'Z')))
			return false;
	}
	return true;
}

/* headers_get - {"Name": "value"}: checked fields, no case duplicates. */
static int
headers_get(json_t *v, struct mime_build_msg *m, struct api_error *err)
{
	const char *k, *why;
	char f[128];
	json_t *e;
	size_t i;

	if (!json_is_object(v))
		return api_error_set(
		    err, 400, "invalid_field", "headers",
		    "expected an object of header names to string values");
	if (json_object_size(v) > API_JSON_HEADERS_MAX)
		return api_error_set(err, 400, "invalid_field", "headers",
		                     "more than %d headers",
		                     API_JSON_HEADERS_MAX);
	m->fields = xcalloc(json_object_size(v) + 1, sizeof(*m->fields));
	json_object_foreach(v, k, e)
	{
		struct mime_build_field *fl = &m->fields[m->n_fields];
		path(f, sizeof(f), "headers", k);
		/* The name is client text: keep the path printable. */
		if (strpbrk(k, "\r\n") != NULL || strlen(k) > 76)
			snprintf(f, sizeof(f), "headers");
		if (str_get(e, f, MIME_BUILD_FIELD_MAX, true, &fl->value, err) <
		    0)
			return -1;
		fl->name = xstrdup(k);
		m->n_fields++;
		if (mime_build_field_check(fl->name, fl->value, &why) < 0)
			return api_error_set(err, 400, "invalid_field", f, "%s",
			                     why);
		for (i = 0; i + 1 < m->n_fields; i++)
			if (strcasecmp(m->fields[i].name, k) == 0)
				return api_error_set(
				    err, 400, "invalid_field", f,
				    "header given twice (names are "
				    "case-insensitive)");
	}
	return 0;
}

/* ctype_norm - lower-case "type/subtype" of token characters, or NULL. */
static char *
ctype_norm(const char *s)
{
	char *o = xstrdup(s), *slash = strchr(o, '/');
	size_t i;

	if (slash == NULL || slash == o || slash[1] == '\0' || strlen(o) > 127)
		goto fail;
	for (i = 0; o[i] != '\0'; i++) {
		unsigned char c = (unsigned char)o[i];
		if (o + i == slash)
			continue;
		if (c <= 0x20 || c > 0x7e || strchr("()<>@,;:\\\"/[]?=", c))
			goto fail;
		if (c >= 'A' && c <= 'Z')
			o[i] = (char)(c - 'A' + 'a');
	}
	return o;
fail:
	free(o);
	return NULL;
}

/* b64_get - decode base64 content (blanks and line breaks skipped). */
static int
b64_get(json_t *v, const char *field, struct mime_build_att *a,
        struct api_error *err)
{
	struct str in;
	ssize_t r;

	if (!json_is_string(v))
		return api_error_set(err, 400, "invalid_field", field,
		                     "expected a base64 string");
	in.p = json_string_value(v);
	in.len = json_string_length(v);
	a->data = xmalloc(in.len / 4 * 3 + 1);
	r = base64_decode(in, BASE64_BLANKS | BASE64_CANONICAL, a->data,
	                  in.len / 4 * 3 + 1);
	if (r < 0)
		return api_error_set(err, 400, "invalid_field", field,
		                     "not valid base64 (RFC 4648, padded)");
	a->len = (size_t)r;
	return 0;
}

/* atts_get - the attachments array. */
static int
atts_get(json_t *v, struct mime_build_msg *m, struct api_error *err)
{
	char f[128], p[64];
	const char *k;
	json_t *o, *e;
	size_t i;

	if (!json_is_array(v))
		return api_error_set(err, 400, "invalid_field", "attachments",
		                     "expected an array of objects");
	if (json_array_size(v) > API_JSON_ATTS_MAX)
		return api_error_set(err, 400, "invalid_field", "attachments",
		                     "more than %d attachments",
		                     API_JSON_ATTS_MAX);
	m->atts = xcalloc(json_array_size(v) + 1, sizeof(*m->atts));
	json_array_foreach(v, i, o)
	{
		struct mime_build_att *a = &m->atts[i];
		char *ct = NULL;
		m->n_atts = i + 1;
		path_idx(p, sizeof(p), "attachments", i);
		if (!json_is_object(o))
			return api_error_set(err, 400, "invalid_field", p,
			                     "expected an object");
		json_object_foreach(o, k, e)
		{
			path(f, sizeof(f), p, k);
			if (strcmp(k, "filename") == 0) {
				if (str_get(e, f, MIME_BUILD_FILENAME_MAX, true,
				            &a->filename, err) < 0)
					return -1;
			} else if (strcmp(k, "content_type") == 0) {
				if (str_get(e, f, 127, true, &ct, err) < 0)
					return -1;
				a->content_type = ctype_norm(ct);
				free(ct);
				if (a->content_type == NULL)
					return api_error_set(
					    err, 400, "invalid_field", f,
					    "expected type/subtype without "
					    "parameters");
			} else if (strcmp(k, "content_id") == 0) {
				if (str_get(e, f, 250, true, &a->content_id,
				            err) < 0)
					return -1;
				if (a->content_id[0] == '\0' ||
				    strpbrk(a->content_id, "<> \t\"") ||
				    strspn(
				        a->content_id,
				        "!#$%&'*+-./0123456789=?@ABCDEFGHIJKLMN"
				        "OPQRSTUVWXYZ^_`abcdefghijklmnopqrstuvw"
				        "xyz{|}~[]") != strlen(a->content_id))
					return api_error_set(
					    err, 400, "invalid_field", f,
					    "expected printable ASCII without "
					    "blanks or angle brackets");
			} else if (strcmp(k, "content") == 0) {
				if (b64_get(e, f, a, err) < 0)
					return -1;
			} else
				return api_error_set(
				    err, 400, "unknown_field", f,
				    "an attachment has filename, "
				    "content_type, content and content_id");
		}
		if (json_object_get(o, "content") == NULL)
			return api_error_set(
			    err, 400, "missing_field",
			    path(f, sizeof(f), p, "content"),
			    "an attachment needs content (base64)");
		if (a->filename == NULL && a->content_id == NULL)
			return api_error_set(
			    err, 400, "missing_field",
			    path(f, sizeof(f), p, "filename"),
			    "an attachment needs filename (or content_id "
			    "for an inline part)");
	}
	return 0;
}

/* tags_get - {"key": "value"} strings, bounded, into m->meta.tags. */
static int
tags_get(json_t *v, struct api_msg *m, struct api_error *err)
{
	const char *k;
	char f[128];
	json_t *e;

	if (!json_is_object(v))
		return api_error_set(err, 400, "invalid_field", "tags",
		                     "expected an object of string values");
	if (json_object_size(v) > API_JSON_TAGS_MAX)
		return api_error_set(err, 400, "invalid_field", "tags",
		                     "more than %d tags", API_JSON_TAGS_MAX);
	json_object_foreach(v, k, e)
	{
		char *value = NULL;

		if (!name_ok(k, true))
			return api_error_set(
			    err, 400, "invalid_field", "tags",
			    "tag names are [A-Za-z0-9_-], 1..64 characters");
		if (str_get(e, path(f, sizeof(f), "tags", k), 256, true, &value,
		            err) < 0)
			return -1;
		if (msg_meta_add_tag(&m->meta, k, value) < 0) {
			free(value);
			return api_error_set(err, 400, "invalid_field", f,
			                     "a tag value holds a control "
			                     "character");
		}
		free(value);
	}
	return 0;
}

/* One top-level key: its decoder. */
struct api_key {
	const char *name;
	int (*get)(json_t *v, struct api_msg *m, struct api_error *err);
};

static int
key_from(json_t *v, struct api_msg *m, struct api_error *err)
{
	if (json_is_array(v))
		return api_error_set(err, 400, "invalid_field", "from",
		                     "expected one address");
	return addr_get(v, "from", &m->mail.from, err);
}

static int
key_to(json_t *v, struct api_msg *m, struct api_error *err)
{
	return addrs_get(v, "to", &m->mail.to, &m->mail.n_to,
	                 API_JSON_RCPTS_MAX, err);
}

static int
key_cc(json_t *v, struct api_msg *m, struct api_error *err)
{
	return addrs_get(v, "cc", &m->mail.cc, &m->mail.n_cc,
	                 API_JSON_RCPTS_MAX, err);
}

static int
key_bcc(json_t *v, struct api_msg *m, struct api_error *err)
{
	return addrs_get(v, "bcc", &m->bcc, &m->n_bcc, API_JSON_RCPTS_MAX, err);
}

static int
key_reply_to(json_t *v, struct api_msg *m, struct api_error *err)
{
	return addrs_get(v, "reply_to", &m->mail.reply_to, &m->mail.n_reply_to,
	                 100, err);
}

static int
key_subject(json_t *v, struct api_msg *m, struct api_error *err)
{
	return str_get(v, "subject", MIME_BUILD_SUBJECT_MAX, true,
	               &m->mail.subject, err);
}

static int
key_text(json_t *v, struct api_msg *m, struct api_error *err)
{
	if (str_get(v, "text", SIZE_MAX, false, &m->mail.text, err) < 0)
		return -1;
	m->mail.text_len = strlen(m->mail.text);
	return 0;
}

static int
key_html(json_t *v, struct api_msg *m, struct api_error *err)
{
	if (str_get(v, "html", SIZE_MAX, false, &m->mail.html, err) < 0)
		return -1;
	m->mail.html_len = strlen(m->mail.html);
	return 0;
}

static int
key_headers(json_t *v, struct api_msg *m, struct api_error *err)
{
	return headers_get(v, &m->mail, err);
}

static int
key_attachments(json_t *v, struct api_msg *m, struct api_error *err)
{
	return atts_get(v, &m->mail, err);
}

static int
key_stream(json_t *v, struct api_msg *m, struct api_error *err)
{
	if (str_get(v, "stream", 64, true, &m->stream, err) < 0)
		return -1;
	if (!name_ok(m->stream, false))
		return api_error_set(err, 400, "invalid_field", "stream",
		                     "expected [a-z0-9_-], 1..64 characters");
	return 0;
}

static int
key_tags(json_t *v, struct api_msg *m, struct api_error *err)
{
	return tags_get(v, m, err);
}

static int
key_metadata(json_t *v, struct api_msg *m, struct api_error *err)
{
	char *s;
	int rc = 0;

	if (!json_is_object(v))
		return api_error_set(err, 400, "invalid_field", "metadata",
		                     "expected an object");
	s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
	if (s == NULL || strlen(s) > API_JSON_METADATA_MAX ||
	    msg_meta_set_metadata(&m->meta, s) < 0)
		rc = api_error_set(err, 400, "invalid_field", "metadata",
		                   "larger than %d octets as compact JSON",
		                   API_JSON_METADATA_MAX);
	free(s);
	return rc;
}

/* send_at: unix seconds, or an RFC 3339 date-time (meta.send_at). */
static int
key_send_at(json_t *v, struct api_msg *m, struct api_error *err)
{
	int64_t t;

	if (json_is_integer(v)) {
		if (json_integer_value(v) < 0 ||
		    json_integer_value(v) > API_JSON_SEND_AT_MAX)
			return api_error_set(err, 400, "invalid_field",
			                     "send_at",
			                     "expected unix seconds from 0 to "
			                     "%lld",
			                     (long long)API_JSON_SEND_AT_MAX);
		m->meta.send_at = (int64_t)json_integer_value(v);
		return 0;
	}
	if (!json_is_string(v) ||
	    rfc3339_parse(json_string_value(v), json_string_length(v), &t) <
	        0 ||
	    t > API_JSON_SEND_AT_MAX)
		return api_error_set(err, 400, "invalid_field", "send_at",
		                     "expected unix seconds or an RFC 3339 "
		                     "date-time such as 2030-01-02T03:04:05Z");
	m->meta.send_at = t;
	return 0;
}

/* sandbox: true to validate and record, never deliver (meta.sandbox). */
static int
key_sandbox(json_t *v, struct api_msg *m, struct api_error *err)
{
	if (!json_is_boolean(v))
		return api_error_set(err, 400, "invalid_field", "sandbox",
		                     "expected true or false");
	m->meta.sandbox = json_is_true(v);
	return 0;
}

static int
key_idempotency_key(json_t *v, struct api_msg *m, struct api_error *err)
{
	size_t i;

	if (str_get(v, "idempotency_key", API_JSON_KEY_MAX, true,
	            &m->idempotency_key, err) < 0)
		return -1;
	for (i = 0; m->idempotency_key[i] != '\0'; i++)
		if (m->idempotency_key[i] < 0x21 ||
		    m->idempotency_key[i] > 0x7e)
			break;
	if (i == 0 || m->idempotency_key[i] != '\0')
		return api_error_set(
		    err, 400, "invalid_field", "idempotency_key",
		    "expected 1..255 printable ASCII characters");
	return 0;
}

/* template: {"name", "data"} (http_templates_apply renders it). */
static int
key_template(json_t *v, struct api_msg *m, struct api_error *err)
{
	json_t *name = json_object_get(v, "name");
	json_t *data = json_object_get(v, "data");
	const char *k;
	json_t *x;

	if (!json_is_object(v))
		return api_error_set(
		    err, 400, "invalid_field", "template",
		    "expected {\"name\": ..., \"data\": {...}}");
	json_object_foreach(v, k, x)
	{
		if (strcmp(k, "name") != 0 && strcmp(k, "data") != 0)
			return api_error_set(err, 400, "unknown_field",
			                     "template",
			                     "unknown field (name, data)");
	}
	if (str_get(name, "template.name", 128, true, &m->template_name, err) <
	    0)
		return -1;
	if (data != NULL && !json_is_null(data) && !json_is_object(data))
		return api_error_set(err, 400, "invalid_field", "template.data",
		                     "expected an object");
	m->template_data = json_is_object(data) ? json_incref(data) : NULL;
	return 0;
}

static const struct api_key api_keys[] = {
    {"from", key_from},
    {"to", key_to},
    {"cc", key_cc},
    {"bcc", key_bcc},
    {"reply_to", key_reply_to},
    {"subject", key_subject},
    {"text", key_text},
    {"html", key_html},
    {"headers", key_headers},
    {"attachments", key_attachments},
    {"stream", key_stream},
    {"tags", key_tags},
    {"metadata", key_metadata},
    {"send_at", key_send_at},
    {"sandbox", key_sandbox},
    {"idempotency_key", key_idempotency_key},
    {"template", key_template},
    {NULL, NULL},
};

/* api_msg_from_json - decode one request object. */
static int
api_msg_from_json(json_t *root, struct api_msg *out, struct api_error *err)
{
	const char *k;
	json_t *v;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(root))
		return api_error_set(err, 400, "invalid_json", "",
		                     "expected a JSON object");
	json_object_foreach(root, k, v)
	{
		for (i = 0; api_keys[i].name != NULL; i++)
			if (strcmp(api_keys[i].name, k) == 0)
				break;
		if (api_keys[i].name == NULL) {
			char f[96];
			snprintf(f, sizeof(f), "%s", k);
			if (strpbrk(f, "\r\n") != NULL)
				f[0] = '\0';
			api_error_set(err, 400, "unknown_field", f,
			              "unknown field");
			goto fail;
		}
		if (json_is_null(v))
			continue;
		if (api_keys[i].get(v, out, err) < 0)
			goto fail;
	}
	if (out->mail.from.addr == NULL) {
		api_error_set(err, 400, "missing_field", "from",
		              "a message needs from");
		goto fail;
	}
	if (out->mail.n_to + out->mail.n_cc + out->n_bcc == 0) {
		api_error_set(
		    err, 400, "missing_field", "to",
		    "a message needs at least one recipient (to, cc or bcc)");
		goto fail;
	}
	if (out->mail.n_to + out->mail.n_cc + out->n_bcc > API_JSON_RCPTS_MAX) {
		api_error_set(err, 400, "invalid_field", "to",
		              "more than %d recipients over to, cc and bcc",
		              API_JSON_RCPTS_MAX);
		goto fail;
	}
	if (out->template_name != NULL &&
	    (out->mail.subject != NULL || out->mail.text != NULL ||
	     out->mail.html != NULL)) {
		api_error_set(err, 400, "invalid_field", "template",
		              "a template gives subject, text and html: send "
		              "either template or those");
		goto fail;
	}
	if (out->mail.text == NULL && out->mail.html == NULL &&
	    out->template_name == NULL) {
		api_error_set(err, 400, "missing_field", "text",
		              "a message needs text or html");
		goto fail;
	}
	out->payload = json_incref(root);
	return 0;
fail:
	api_msg_fini(out);
	return -1;
}

void
api_msg_digest(struct api_msg *m)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	json_t *pay;
	char *canon;
	size_t i;

	if (m->payload == NULL)
		return;
	if (m->payload_sha256[0] == '\0') {
		/* The key is not part of the payload: the same request with
		 * the key in the body or in the Idempotency-Key header hashes
		 * the same. */
		pay = json_copy(m->payload);
		json_object_del(pay, "idempotency_key");
		canon = json_dumps(pay, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(pay);
		if (canon != NULL) {
			SHA256((const unsigned char *)canon, strlen(canon), md);
			free(canon);
			for (i = 0; i < sizeof(md); i++)
				snprintf(m->payload_sha256 + 2 * i, 3, "%02x",
				         md[i]);
		}
	}
	json_decref(m->payload);
	m->payload = NULL;
}

int
api_json_msg_decode(const char *buf, size_t len, struct api_msg *out,
                    struct api_error *err)
{
	json_t *root;
	int rc;

	memset(out, 0, sizeof(*out));
	root = api_json_load(buf, len, err);
	if (root == NULL)
		return -1;
	rc = api_msg_from_json(root, out, err);
	json_decref(root);
	return rc;
}

int
api_json_batch_decode(const char *buf, size_t len, struct api_batch *out,
                      struct api_error *err)
{
	json_t *root, *arr, *item;
	size_t i, n;

	memset(out, 0, sizeof(*out));
	root = api_json_load(buf, len, err);
	if (root == NULL)
		return -1;
	arr = root;
	if (json_is_object(root)) {
		arr = json_object_get(root, "messages");
		if (json_object_size(root) != 1 || arr == NULL) {
			json_decref(root);
			return api_error_set(
			    err, 400, "invalid_json", "",
			    "expected an array of messages or "
			    "{\"messages\": [...]} and nothing else");
		}
	}
	if (!json_is_array(arr) || json_array_size(arr) == 0) {
		json_decref(root);
		return api_error_set(err, 400, "invalid_field", "messages",
		                     "expected a non-empty array of messages");
	}
	n = json_array_size(arr);
	if (n > API_JSON_BATCH_MAX) {
		json_decref(root);
		return api_error_set(err, 400, "invalid_field", "messages",
		                     "more than %d messages in one batch",
		                     API_JSON_BATCH_MAX);
	}
	out->msgs = xcalloc(n, sizeof(*out->msgs));
	out->errs = xcalloc(n, sizeof(*out->errs));
	out->n = n;
	json_array_foreach(arr, i, item)
	{
		if (api_msg_from_json(item, &out->msgs[i], &out->errs[i]) < 0)
			out->n_bad++;
	}
	json_decref(root);
	return 0;
}

void
api_msg_fini(struct api_msg *m)
{
	size_t i;

	if (m == NULL)
		return;
	mime_build_msg_fini(&m->mail);
	json_decref(m->payload);
	for (i = 0; i < m->n_bcc; i++) {
		free(m->bcc[i].name);
		free(m->bcc[i].addr);
	}
	free(m->bcc);
	free(m->stream);
	free(m->idempotency_key);
	msg_meta_fini(&m->meta);
	free(m->template_name);
	json_decref(m->template_data);
	memset(m, 0, sizeof(*m));
}

void
api_batch_fini(struct api_batch *b)
{
	size_t i;

	if (b == NULL)
		return;
	for (i = 0; i < b->n; i++)
		api_msg_fini(&b->msgs[i]);
	free(b->msgs);
	free(b->errs);
	memset(b, 0, sizeof(*b));
}
