/*
 * compat.c - the providers' drop-in endpoints: routes, HTTP and spool
 * glue, and the helpers every provider file shares.
 *
 * A provider file decodes a request (pure decoders, in the same file),
 * turns it into spool messages with compat_msg_prepare() or
 * compat_raw_prepare(), and calls compat_submit() with a function that
 * renders the results in the provider's success or error shape. The
 * answer is sent only from the spool's commit callbacks, through the one
 * pending-request life cycle (http_pending.c).
 *
 * Nothing here blocks the loop; nothing here logs a key.
 */
#include "ingress/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/sha.h>

#include "core/base64.h"
#include "core/clock.h"
#include "core/xmalloc.h"
#include "ingress/api_auth.h"
#include "ingress/api_raw.h"
#include "ingress/compat_postmark_tmpl.h"
#include "ingress/compat_sendgrid_tmpl.h"
#include "ingress/http_admin.h"
#include "ingress/submit.h"
#include "mime/mime_build.h"

void
compat_submit(struct compat *c, struct evhttp_request *req,
              const struct config_api_key *k, struct spool_msg_new *ms,
              const struct http_pending_result *res_pre, size_t n,
              http_pending_done_fn *done, void *arg, void (*arg_free)(void *))
{
	http_pending_submit(c->pending, req, k->name, ms, res_pre, n, done, arg,
	                    arg_free);
}

bool
compat_result_failed(const struct http_pending_result *r, struct api_error *e)
{
	if (r->err.http_status != 0) {
		*e = r->err;
		return true;
	}
	if (r->status == SPOOL_OK)
		return false;
	submit_status_compat(r->status, e);
	return true;
}

/* compat_forbidden_field - the drop-in errors name "from" for a 403. */
static int
compat_forbidden_field(struct api_error *e)
{
	if (strcmp(e->code, "forbidden") == 0)
		snprintf(e->field, sizeof(e->field), "from");
	return -1;
}

int
compat_error_status(const struct api_error *e)
{
	static const struct {
		const char *code;
		int status;
	} map[] = {
	    {"unauthorized", 401}, {"forbidden", 403},
	    {"too_large", 413},    {"unavailable", 503},
	    {"not_found", 404},    {"method_not_allowed", 405},
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(e->code, map[i].code) == 0)
			return map[i].status;
	return 400;
}

int
compat_msg_prepare(const struct compat *c, const struct config_api_key *k,
                   struct api_msg *msg, const char *client,
                   struct spool_msg_new *out, struct api_error *e)
{
	struct submit_who w = {SUBMIT_INGRESS_HTTP, NULL, k, client};

	if (submit_msg_prepare(c->cfg, &w, msg, out, e) < 0)
		return compat_forbidden_field(e);
	return 0;
}

int
compat_raw_prepare(const struct compat *c, const struct config_api_key *k,
                   const char *msg, size_t n, const char *env_from,
                   char *const *env_to, size_t n_to, const char *idem,
                   const struct msg_meta *meta, const char *client,
                   struct spool_msg_new *out, struct api_error *e)
{
	struct submit_who w = {SUBMIT_INGRESS_HTTP, NULL, k, client};
	struct api_raw_opts o;
	char local[ID_SIZE];

	id_new(local);
	memset(&o, 0, sizeof(o));
	o.env_from = env_from;
	o.env_to = env_to;
	o.n_env_to = n_to;
	o.idem_key = idem;
	o.msgid_local = local;
	o.date = clock_wall_time();
	o.max_recipients = c->cfg->max_recipients;
	o.max_size = c->cfg->max_message_size;
	o.meta = meta;
	if (api_raw_prepare(msg, n, &o, c->cfg, &w, out, e) < 0)
		return compat_forbidden_field(e);
	return 0;
}

const char *
compat_body(struct compat *c, struct evhttp_request *req, size_t *len,
            struct api_error *e)
{
	int status;
	const char *body = http_pending_body(c->pending, req, len, &status);

	if (body == NULL && status == 413)
		api_error_set(e, 413, "too_large", "",
		              "the request body is over the size limit");
	else if (body == NULL)
		api_error_set(
		    e, 503, "unavailable", "",
		    "the queue is full or disk space is low; retry later");
	return body;
}

const char *
compat_header(struct evhttp_request *req, const char *name)
{
	return evhttp_find_header(evhttp_request_get_input_headers(req), name);
}

const struct config_api_key *
compat_key_find(const struct compat *c, const char *key, size_t len)
{
	struct str s = {key, len};

	if (key == NULL || len == 0)
		return NULL;
	return api_auth_key_find(c->cfg, s);
}

void
compat_reply(struct evhttp_request *req, int status, const char *ctype,
             const char *body, size_t len)
{
	struct evbuffer *out = evbuffer_new();

	if (ctype != NULL)
		evhttp_add_header(evhttp_request_get_output_headers(req),
		                  "Content-Type", ctype);
	if (len > 0)
		evbuffer_add(out, body, len);
	evhttp_send_reply(req, status, status < 300 ? "OK" : "Error", out);
	evbuffer_free(out);
}

void
compat_reply_json(struct evhttp_request *req, int status, json_t *obj)
{
	char *text = json_dumps(obj, JSON_COMPACT | JSON_ENCODE_ANY);

	compat_reply(req, status, "application/json", text ? text : "{}",
	             text ? strlen(text) : 2);
	free(text);
	json_decref(obj);
}

void
compat_answer_json(struct compat_answer *a, int status, json_t *obj)
{
	char *text = json_dumps(obj, JSON_COMPACT | JSON_ENCODE_ANY);

	a->status = status;
	a->ctype = "application/json";
	a->error_type = NULL;
	buf_init(&a->body);
	buf_addstr(&a->body, text ? text : "{}");
	free(text);
	json_decref(obj);
}

void
compat_answer_send(struct evhttp_request *req, struct compat_answer *a)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	if (a->error_type != NULL)
		evhttp_add_header(h, "x-amzn-ErrorType", a->error_type);
	if (a->status == 503)
		evhttp_add_header(h, "Retry-After", "5");
	compat_reply(req, a->status, a->ctype, a->body.p, a->body.len);
	buf_fini(&a->body);
}

int
compat_b64_decode(const char *s, size_t n, unsigned char **out, size_t *outlen)
{
	struct buf b;

	buf_init(&b);
	if (base64_decode_buf((struct str){s, n}, BASE64_MIME, &b) < 0) {
		buf_fini(&b);
		return -1;
	}
	*out = (unsigned char *)buf_steal(&b, outlen);
	return 0;
}

void
compat_addrs_free(struct mime_build_addr *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(list[i].name);
		free(list[i].addr);
	}
	free(list);
}

int
compat_addr_list_parse(const char *s, size_t len, struct mime_build_addr **list,
                       size_t *n, size_t max)
{
	size_t i = 0, start = 0;
	bool quoted = false;
	int angle = 0;

	for (i = 0; i <= len; i++) {
		char ch = i < len ? s[i] : ',';
		struct mime_build_addr a;
		size_t b, e;
		char *item;
		int rc;

		if (quoted) {
			if (ch == '\\' && i + 1 < len)
				i++;
			else if (ch == '"')
				quoted = false;
			continue;
		}
		if (ch == '"')
			quoted = true;
		else if (ch == '<')
			angle++;
		else if (ch == '>' && angle > 0)
			angle--;
		if (ch != ',' || (angle > 0 && i < len))
			continue;
		b = start;
		e = i;
		start = i + 1;
		while (b < e && (s[b] == ' ' || s[b] == '\t'))
			b++;
		while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t'))
			e--;
		if (b == e)
			continue;
		if (*n >= max)
			return -1;
		item = xstrndup(s + b, e - b);
		memset(&a, 0, sizeof(a));
		rc = memchr(item, '\0', e - b) ? -1
		                               : api_json_addr_parse(item, &a);
		free(item);
		if (rc < 0)
			return -1;
		*list = xreallocarray(*list, *n + 1, sizeof(**list));
		(*list)[(*n)++] = a;
	}
	return quoted ? -1 : 0;
}

int
compat_str_check(const char *s, size_t n, const char *field,
                 struct api_error *e)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] == '\r' || s[i] == '\n' || s[i] == '\0')
			return api_error_set(e, 400, "invalid_field", field,
			                     "CR, LF or NUL in %s", field);
	return 0;
}

json_t *
compat_json_load(const char *body, size_t len, struct api_error *e)
{
	json_error_t je;
	json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);

	if (j == NULL)
		api_error_set(e, 400, "invalid_json", "",
		              "malformed JSON at line %d column %d: %s",
		              je.line, je.column, je.text);
	return j;
}

int
compat_json_str(json_t *obj, const char *key, const char *field, bool header,
                char **out, struct api_error *e)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

	if (out != NULL)
		*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return api_error_set(e, 400, "invalid_field", field,
		                     "%s must be a string", field);
	if (header && compat_str_check(json_string_value(v),
	                               json_string_length(v), field, e) < 0)
		return -1;
	if (memchr(json_string_value(v), '\0', json_string_length(v)))
		return api_error_set(e, 400, "invalid_field", field,
		                     "NUL in %s", field);
	if (out != NULL)
		*out = xstrdup(json_string_value(v));
	return 0;
}

/* addr_one - parse one address string into *out. 0 or -1 + *e. */
static int
addr_one(const char *s, size_t n, const char *field,
         struct mime_build_addr *out, struct api_error *e)
{
	char *t;
	int rc;

	if (memchr(s, '\0', n) != NULL)
		return api_error_set(e, 400, "invalid_field", field,
		                     "NUL in %s", field);
	t = xstrndup(s, n);
	rc = api_json_addr_parse(t, out);
	free(t);
	if (rc < 0)
		return api_error_set(e, 400, "invalid_field", field,
		                     "not a valid email address");
	return 0;
}

int
compat_json_addr1(json_t *v, const char *field, struct mime_build_addr *out,
                  struct api_error *e)
{
	json_t *em, *nm;

	if (v == NULL || json_is_null(v))
		return 0;
	if (json_is_string(v))
		return addr_one(json_string_value(v), json_string_length(v),
		                field, out, e);
	if (!json_is_object(v))
		return api_error_set(e, 400, "invalid_field", field,
		                     "expected an address");
	em = json_object_get(v, "email");
	nm = json_object_get(v, "name");
	if (!json_is_string(em) ||
	    (nm != NULL && !json_is_null(nm) && !json_is_string(nm)))
		return api_error_set(
		    e, 400, "invalid_field", field,
		    "expected {\"email\": ..., \"name\": ...}");
	if (addr_one(json_string_value(em), json_string_length(em), field, out,
	             e) < 0)
		return -1;
	if (out->addr == NULL || out->name != NULL) {
		free(out->name);
		free(out->addr);
		memset(out, 0, sizeof(*out));
		return api_error_set(e, 400, "invalid_field", field,
		                     "email must be a bare address");
	}
	if (json_is_string(nm) && json_string_length(nm) > 0) {
		if (compat_str_check(json_string_value(nm),
		                     json_string_length(nm), field, e) < 0 ||
		    json_string_length(nm) > MIME_BUILD_NAME_MAX) {
			free(out->addr);
			out->addr = NULL;
			return api_error_set(e, 400, "invalid_field", field,
			                     "bad display name");
		}
		out->name = xstrdup(json_string_value(nm));
	}
	return 0;
}

int
compat_json_addrs(json_t *v, const char *field, bool lists,
                  struct mime_build_addr **list, size_t *n, struct api_error *e)
{
	size_t i;
	json_t *it;

	if (v == NULL || json_is_null(v))
		return 0;
	if (json_is_string(v) && lists) {
		if (compat_addr_list_parse(json_string_value(v),
		                           json_string_length(v), list, n,
		                           API_JSON_RCPTS_MAX) < 0)
			return api_error_set(
			    e, 400, "invalid_field", field,
			    "not a valid list of email addresses");
		return 0;
	}
	if (!json_is_array(v)) {
		struct mime_build_addr a = {0};
		if (compat_json_addr1(v, field, &a, e) < 0)
			return -1;
		*list = xreallocarray(*list, *n + 1, sizeof(**list));
		(*list)[(*n)++] = a;
		return 0;
	}
	json_array_foreach(v, i, it)
	{
		char f[96];
		struct mime_build_addr a = {0};

		if (*n >= API_JSON_RCPTS_MAX)
			return api_error_set(e, 400, "invalid_field", field,
			                     "too many addresses");
		snprintf(f, sizeof(f), "%s[%zu]", field, i);
		if (json_is_string(it) && lists) {
			if (compat_addr_list_parse(json_string_value(it),
			                           json_string_length(it), list,
			                           n, API_JSON_RCPTS_MAX) < 0)
				return api_error_set(
				    e, 400, "invalid_field", f,
				    "not a valid email address");
			continue;
		}
		if (compat_json_addr1(it, f, &a, e) < 0)
			return -1;
		*list = xreallocarray(*list, *n + 1, sizeof(**list));
		(*list)[(*n)++] = a;
	}
	return 0;
}

/* ctype_norm - "Image/PNG; name=x" -> "image/png", or NULL if bad. */
static char *
ctype_norm(const char *ct)
{
	size_t n = strcspn(ct, ";"), i;
	char *s;

	while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
		n--;
	while (n > 0 && (*ct == ' ' || *ct == '\t')) {
		ct++;
		n--;
	}
	if (n == 0 || n > 127 || memchr(ct, '/', n) == NULL)
		return NULL;
	s = xstrndup(ct, n);
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch <= ' ' || ch >= 0x7f || strchr("()<>@,;:\\\"[]?=", ch))
			goto bad;
		if (ch >= 'A' && ch <= 'Z')
			s[i] = (char)(ch - 'A' + 'a');
	}
	/* One slash with a type before it and a subtype after it, as the
	 * builder wants ("image/" and "a/b/c" are no content types). */
	if (s[0] == '/' || s[n - 1] == '/' ||
	    strchr(strchr(s, '/') + 1, '/') != NULL)
		goto bad;
	return s;
bad:
	free(s);
	return NULL;
}

int
compat_att_add(struct mime_build_msg *m, const char *filename,
               const char *ctype, const char *cid, const void *data, size_t len,
               const char *field, struct api_error *e)
{
	struct mime_build_att a;
	size_t cl;

	memset(&a, 0, sizeof(a));
	if (m->n_atts >= API_JSON_ATTS_MAX)
		return api_error_set(e, 400, "invalid_field", field,
		                     "more than %d attachments",
		                     API_JSON_ATTS_MAX);
	if (filename != NULL && filename[0] != '\0') {
		if (compat_str_check(filename, strlen(filename), field, e) < 0)
			return -1;
		if (strlen(filename) > MIME_BUILD_FILENAME_MAX)
			return api_error_set(e, 400, "invalid_field", field,
			                     "file name too long");
		a.filename = xstrdup(filename);
	}
	if (ctype != NULL && ctype[0] != '\0' &&
	    (a.content_type = ctype_norm(ctype)) == NULL) {
		free(a.filename);
		return api_error_set(e, 400, "invalid_field", field,
		                     "bad content type");
	}
	if (cid != NULL && strncasecmp(cid, "cid:", 4) == 0)
		cid += 4;
	if (cid != NULL && cid[0] == '<')
		cid++;
	cl = cid ? strlen(cid) : 0;
	if (cl > 0 && cid[cl - 1] == '>')
		cl--;
	if (cl > 0) {
		size_t i;
		for (i = 0; i < cl; i++)
			if ((unsigned char)cid[i] <= ' ' ||
			    (unsigned char)cid[i] >= 0x7f || cid[i] == '<' ||
			    cid[i] == '>')
				break;
		if (i < cl || cl > 250) {
			free(a.filename);
			free(a.content_type);
			return api_error_set(e, 400, "invalid_field", field,
			                     "bad content id");
		}
		a.content_id = xstrndup(cid, cl);
	}
	a.data = xmalloc(len ? len : 1);
	if (len)
		memcpy(a.data, data, len);
	a.len = len;
	m->atts = xreallocarray(m->atts, m->n_atts + 1, sizeof(*m->atts));
	m->atts[m->n_atts++] = a;
	return 0;
}

int
compat_att_add_b64(struct mime_build_msg *m, const char *filename,
                   const char *ctype, const char *cid, const char *b64,
                   size_t n, const char *field, struct api_error *e)
{
	unsigned char *data;
	size_t len;
	int rc;

	if (compat_b64_decode(b64, n, &data, &len) < 0)
		return api_error_set(e, 400, "invalid_field", field,
		                     "content is not base64");
	rc = compat_att_add(m, filename, ctype, cid, data, len, field, e);
	free(data);
	return rc;
}

int
compat_field_add(struct mime_build_msg *m, const char *name, const char *value,
                 const char *field, struct api_error *e)
{
	const char *why;

	if (m->n_fields >= API_JSON_HEADERS_MAX)
		return api_error_set(e, 400, "invalid_field", field,
		                     "more than %d header fields",
		                     API_JSON_HEADERS_MAX);
	if (mime_build_field_check(name, value, &why) < 0)
		return api_error_set(e, 400, "invalid_field", field, "%s: %s",
		                     name, why);
	m->fields =
	    xreallocarray(m->fields, m->n_fields + 1, sizeof(*m->fields));
	m->fields[m->n_fields].name = xstrdup(name);
	m->fields[m->n_fields].value = xstrdup(value);
	m->n_fields++;
	return 0;
}

int
compat_text_set(struct mime_build_msg *m, bool html, const char *s, size_t n,
                const char *field, struct api_error *e)
{
	char **dst = html ? &m->html : &m->text;
	size_t *dl = html ? &m->html_len : &m->text_len;

	if (memchr(s, '\0', n) != NULL)
		return api_error_set(e, 400, "invalid_field", field,
		                     "NUL in %s", field);
	free(*dst);
	*dst = xstrndup(s, n);
	*dl = n;
	return 0;
}

size_t
compat_utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

void
compat_sha256_hex(const void *p, size_t n, char out[65])
{
	unsigned char d[SHA256_DIGEST_LENGTH];
	size_t i;

	SHA256(p, n, d);
	for (i = 0; i < sizeof(d); i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

void
compat_msgs_free(struct api_msg *msgs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		api_msg_fini(&msgs[i]);
	free(msgs);
}

/*
 * The drop-in providers, one row each: the path prefix their requests
 * come under and, where two share a prefix, the exact path. The first
 * matching row takes the request. The access table (http_access.c) has a
 * row for each prefix that leads here.
 */
static const struct compat_route {
	const char *prefix;
	const char *path; /* NULL: any path under prefix */
	compat_handle_fn *handle;
} compat_routes[] = {
    {"/v2/email", NULL, compat_ses_v2_handle},
    {"/v3", "/v3/mail/send", compat_sendgrid_handle},
    {"/v3/templates", NULL, compat_sendgrid_tmpl_handle},
    {"/v3", NULL, compat_mailgun_handle},
    {"/email", NULL, compat_postmark_handle},
    {"/emails", NULL, compat_resend_handle},
    {"/templates", NULL, compat_postmark_tmpl_handle},
    {"/", NULL, compat_ses_v1_handle},
};

#define COMPAT_N_ROUTES (sizeof(compat_routes) / sizeof(compat_routes[0]))

/* compat_dispatch - hand req to its provider's row (an evhttp route). */
static void
compat_dispatch(struct evhttp_request *req, void *arg)
{
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *path = u ? evhttp_uri_get_path(u) : NULL;
	const struct compat_route *r;
	size_t i, n;

	if (path == NULL)
		path = "";
	for (i = 0; i < COMPAT_N_ROUTES; i++) {
		r = &compat_routes[i];
		n = strlen(r->prefix);
		if (strncmp(path, r->prefix, n) != 0 ||
		    (path[n] != '\0' && path[n] != '/'))
			continue;
		if (r->path == NULL || strcmp(path, r->path) == 0)
			break;
	}
	/* http_admin sends only the access table's drop-in paths here, and
	 * every prefix has a catch-all row. */
	compat_routes[i < COMPAT_N_ROUTES ? i : COMPAT_N_ROUTES - 1].handle(
	    arg, req, path);
}

struct compat *
compat_new(struct http_admin *h, const struct config *cfg, struct spool *sp)
{
	struct compat *c = xcalloc(1, sizeof(*c));

	c->cfg = cfg;
	c->sp = sp;
	c->pending = http_pending_set_new(sp, cfg->max_message_size, "compat");
	/* One route for them all; compat_dispatch picks the row. */
	http_admin_route_set(h, HTTP_ROUTE_DROPIN, compat_dispatch, c);
	return c;
}

void
compat_free(struct compat *c)
{
	if (c == NULL)
		return;
	http_pending_set_free(c->pending);
	free(c);
}
