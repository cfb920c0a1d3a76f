/*
 * compat.c - the providers' drop-in endpoints: routes, HTTP and spool
 * glue, and the helpers every provider file shares.
 *
 * A provider file decodes a request (pure decoders, in the same file),
 * turns it into spool messages with compat_msg_prepare() or
 * compat_raw_prepare(), and calls compat_submit() with a function that
 * renders the results in the provider's success or error shape. The
 * answer is sent only from the spool's commit callbacks. If the client
 * leaves first, evhttp's close callback forgets the request and the
 * results are dropped (the messages stay stored: a client that retries
 * without an idempotency key may send twice, as with the real provider).
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
#include "core/log.h"
#include "core/xmalloc.h"
#include "ingress/api_auth.h"
#include "ingress/api_raw.h"
#include "ingress/http_admin.h"
#include "mime/mime_build.h"
#include "observe/events.h"

#define COMPAT_JSON_SLACK (1u << 20) /* request bytes around the message */
#define COMPAT_MAX_PENDING 20000     /* requests waiting for the spool */

/* A request waiting for its spool callbacks. */
struct compat_ctx {
	struct compat *c;
	struct evhttp_request *req; /* NULL once the client is gone */
	struct evhttp_connection *conn;
	bool gone;
	compat_done_fn *done;
	void *arg;
	void (*arg_free)(void *);
	struct compat_result *res;
	size_t n, left;
};

/* One message's callback argument. */
struct compat_item {
	struct compat_ctx *ctx;
	size_t index;
};

/* compat_ctx_closed - the connection closed: forget the request. */
static void
compat_ctx_closed(struct evhttp_connection *conn, void *arg)
{
	struct compat_ctx *x = arg;

	(void)conn;
	x->req = NULL;
	x->gone = true;
}

/* compat_ctx_finish - answer (if the client is there) and free x. */
static void
compat_ctx_finish(struct compat_ctx *x)
{
	struct compat *c = x->c;

	if (x->req != NULL)
		x->done(x->req, x->res, x->n, x->arg);
	if (!x->gone && x->conn != NULL)
		evhttp_connection_set_closecb(x->conn, NULL, NULL);
	free(x->res);
	if (x->arg_free != NULL)
		x->arg_free(x->arg);
	else
		free(x->arg);
	free(x);
	if (--c->pending == 0 && c->freed)
		free(c);
}

/* compat_on_commit - one message's spool callback (loop thread). */
static void
compat_on_commit(int status, const char *id, int dup, void *arg)
{
	struct compat_item *it = arg;
	struct compat_ctx *x = it->ctx;
	struct compat_result *r = &x->res[it->index];

	r->status = status;
	r->dup = dup;
	if (id != NULL)
		snprintf(r->id, sizeof(r->id), "%s", id);
	if (status == SPOOL_OK) {
		log_info("compat: %s id=%s", dup ? "replayed" : "accepted", id);
		if (!dup) {
			struct events_item ev = {
			    .kind = EVENT_ACCEPTED,
			    .msg_id = id,
			    .ingress = "http",
			};
			events_emit(&ev);
		}
	} else
		log_info("compat: refused: %s", spool_status_name(status));
	free(it);
	if (--x->left == 0)
		compat_ctx_finish(x);
}

void
compat_submit(struct compat *c, struct evhttp_request *req,
              struct spool_msg_new *ms, const struct compat_result *res_pre,
              size_t n, compat_done_fn *done, void *arg,
              void (*arg_free)(void *))
{
	struct compat_ctx *x = xcalloc(1, sizeof(*x));
	size_t i;

	x->c = c;
	x->req = req;
	x->conn = evhttp_request_get_connection(req);
	if (x->conn != NULL)
		evhttp_connection_set_closecb(x->conn, compat_ctx_closed, x);
	x->done = done;
	x->arg = arg;
	x->arg_free = arg_free;
	x->n = n;
	x->res = xcalloc(n ? n : 1, sizeof(*x->res));
	x->left = 1; /* held until every item is handed over */
	c->pending++;
	for (i = 0; i < n; i++) {
		struct compat_item *it;
		int rc;

		if (res_pre != NULL && res_pre[i].err.http_status != 0) {
			x->res[i] = res_pre[i];
			spool_msg_new_fini(&ms[i]);
			continue;
		}
		it = xmalloc(sizeof(*it));
		it->ctx = x;
		it->index = i;
		x->left++;
		rc = spool_msg_submit_idem(c->sp, &ms[i], compat_on_commit, it);
		if (rc != 0)
			compat_on_commit(rc, NULL, 0, it);
	}
	if (--x->left == 0)
		compat_ctx_finish(x);
}

void
compat_spool_error(int status, struct api_error *e)
{
	if (status == SPOOL_ERR_CONFLICT)
		api_error_set(
		    e, 409, "conflict", "Idempotency-Key",
		    "this idempotency key was used for another request");
	else
		api_error_set(
		    e, 503, "unavailable", "",
		    "the message could not be stored now; retry later");
}

int
compat_msg_prepare(const struct compat *c, const struct config_api_key *k,
                   struct api_msg *msg, const char *client,
                   struct spool_msg_new *out, struct api_error *e)
{
	memset(out, 0, sizeof(*out));
	if (msg->mail.from.addr == NULL)
		return api_error_set(e, 400, "missing_field", "from",
		                     "a From address is required");
	if (!api_auth_from_allowed(k, msg->mail.from.addr))
		return api_error_set(e, 403, "forbidden", "from",
		                     "this key may not send as %s",
		                     msg->mail.from.addr);
	if (msg->mail.n_to + msg->mail.n_cc + msg->n_bcc == 0)
		return api_error_set(e, 400, "missing_field", "to",
		                     "at least one recipient is required");
	if (msg->mail.n_to + msg->mail.n_cc + msg->n_bcc >
	    c->cfg->max_recipients)
		return api_error_set(e, 400, "invalid_field", "to",
		                     "more than %u recipients",
		                     c->cfg->max_recipients);
	if (msg->mail.text == NULL && msg->mail.html == NULL)
		return api_error_set(e, 400, "missing_field", "text",
		                     "a text or an HTML body is required");
	return api_msg_spool(c->cfg, k, msg, client, out, e);
}

int
compat_raw_prepare(const struct compat *c, const struct config_api_key *k,
                   const char *msg, size_t n, const char *env_from,
                   char *const *env_to, size_t n_to, const char *idem,
                   const char *client, struct spool_msg_new *out,
                   struct api_error *e)
{
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
	if (api_raw_prepare(msg, n, &o, k, out, e) < 0) {
		if (strcmp(e->code, "forbidden") == 0)
			snprintf(e->field, sizeof(e->field), "from");
		return -1;
	}
	out->tenant = xstrdup(k->tenant);
	out->client = xstrdup(client);
	return 0;
}

const char *
compat_body(struct compat *c, struct evhttp_request *req, size_t *len,
            struct api_error *e)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);

	*len = evbuffer_get_length(in);
	if (*len > c->body_max) {
		api_error_set(e, 413, "too_large", "",
		              "the request body is over the size limit");
		return NULL;
	}
	if (spool_space_check(c->sp) != SPOOL_OK ||
	    c->pending >= COMPAT_MAX_PENDING) {
		api_error_set(
		    e, 503, "unavailable", "",
		    "the queue is full or disk space is low; retry later");
		return NULL;
	}
	/* A NUL after the body (not counted) lets decoders use C strings. */
	evbuffer_add(in, "", 1);
	return (const char *)evbuffer_pullup(in, -1);
}

const char *
compat_header(struct evhttp_request *req, const char *name)
{
	return evhttp_find_header(evhttp_request_get_input_headers(req), name);
}

void
compat_peer(struct evhttp_request *req, char *out, size_t n)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	const char *host = NULL;
	uint16_t port = 0;

	if (conn != NULL)
		evhttp_connection_get_peer(conn, (char **)&host, &port);
	snprintf(out, n, "%s:%u", host ? host : "?", port);
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

/* compat_ses_root - "/" takes SES v1; anything else under it is 404. */
static void
compat_ses_root(struct evhttp_request *req, void *arg)
{
	compat_ses_v1_handle(req, arg);
}

struct compat *
compat_new(struct http_admin *h, const struct config *cfg, struct spool *sp)
{
	struct compat *c = xcalloc(1, sizeof(*c));
	uint64_t max = cfg->max_message_size / 3 * 4 + 4 + COMPAT_JSON_SLACK;

	c->cfg = cfg;
	c->sp = sp;
	c->body_max = (size_t)max;
	http_admin_route_add(h, "/v2/email", compat_ses_v2_handle, c);
	http_admin_route_add(h, "/v3", compat_v3_handle, c);
	http_admin_route_add(h, "/email", compat_postmark_handle, c);
	http_admin_route_add(h, "/emails", compat_resend_handle, c);
	http_admin_route_add(h, "/", compat_ses_root, c);
	return c;
}

void
compat_free(struct compat *c)
{
	if (c == NULL)
		return;
	if (c->pending == 0)
		free(c);
	else
		c->freed = true;
}
