/*
 * http_templates.c - the template store's HTTP API (http_templates.h).
 *
 * Each request that needs the store's answer waits in an http_pending
 * watch, so a client that goes away is simply not answered.
 */
#include "ingress/http_templates.h"

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "core/xmalloc.h"
#include "ingress/http_pending.h"
#include "ingress/http_reply.h"
#include "spool/spool.h"
#include "tmpl/tmpl_store.h"

#define HTTP_TEMPLATES_PREFIX "/v1/templates"

/* A request waiting for the store. */
struct tw {
	struct http_pending_watch w;
	char name[TMPL_STORE_NAME_MAX];
	size_t limit;  /* a list: the page size asked */
	int one;       /* answer the first row alone */
	int activated; /* a put: it asked for activation */
	json_t *data;  /* a render of a stored version: the data */
};

static struct tw *
tw_new(struct evhttp_request *req, const char *name)
{
	struct tw *t = xcalloc(1, sizeof(*t));

	http_pending_watch_start(&t->w, req);
	snprintf(t->name, sizeof(t->name), "%s", name != NULL ? name : "");
	return t;
}

/* tw_end - the request if its client is still there; frees t. */
static struct evhttp_request *
tw_end(struct tw *t)
{
	struct evhttp_request *req = http_pending_watch_end(&t->w);

	json_decref(t->data);
	free(t);
	return req;
}

static json_t *
part_json(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

/* version_json - one version; its parts only when bodies. */
static json_t *
version_json(const struct tmpl_version *v, int bodies)
{
	json_t *o =
	    json_pack("{s:s,s:s,s:i,s:b,s:s,s:o,s:I}", "tenant", v->tenant,
	              "name", v->name, "version", v->version, "active",
	              v->active, "dialect", tmpl_dialect_name(v->dialect),
	              "subject", part_json(v->part[TMPL_PART_SUBJECT]),
	              "created_at_ms", (json_int_t)v->created_ms);

	if (bodies) {
		json_object_set_new(o, "html",
		                    part_json(v->part[TMPL_PART_HTML]));
		json_object_set_new(o, "text",
		                    part_json(v->part[TMPL_PART_TEXT]));
	}
	return o;
}

static void
unavailable(struct evhttp_request *req)
{
	http_reply_error(req, 503, "unavailable",
	                 "the template store is not available");
}

/* status_reply - a store's error status as an answer. */
static void
status_reply(struct evhttp_request *req, int status, const char *what)
{
	char msg[200];

	if (status == SPOOL_ERR_NOTFOUND) {
		snprintf(msg, sizeof(msg), "no such template%s", what);
		http_reply_error(req, 404, "not_found", msg);
	} else if (status == SPOOL_ERR_CONFLICT) {
		http_reply_error(req, 409, "conflict",
		                 "the active version cannot be deleted alone: "
		                 "activate another first, or delete the name");
	} else {
		unavailable(req);
	}
}

/* http_templates_syntax - 400 template_syntax for part at err. */
static void
syntax_reply(struct evhttp_request *req, enum tmpl_part part,
             const struct tmpl_error *err, const char *code)
{
	char msg[320];

	snprintf(msg, sizeof(msg), "%s: line %u, column %u: %s",
	         tmpl_part_name(part), err->line, err->col, err->msg);
	http_reply_json(req, 400,
	                json_pack("{s:{s:s,s:s,s:i,s:i,s:s}}", "error", "code",
	                          code, "field", tmpl_part_name(part), "line",
	                          (int)err->line, "column", (int)err->col,
	                          "message", msg),
	                JSON_SORT_KEYS);
}

/* on_list - rows of a list, or of a get (t->one). */
static void
on_list(int status, const struct tmpl_version *v, size_t n, void *arg)
{
	struct tw *t = arg;
	int one = t->one;
	size_t limit = t->limit, i;
	struct evhttp_request *req = tw_end(t);
	json_t *arr;

	if (req == NULL)
		return;
	if (status != SPOOL_OK) {
		status_reply(req, status, " or version");
		return;
	}
	if (one) {
		http_reply_json(req, 200, version_json(&v[0], 1),
		                JSON_SORT_KEYS);
		return;
	}
	arr = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(arr, version_json(&v[i], 0));
	http_reply_json(req, 200,
	                json_pack("{s:o,s:o}", "templates", arr, "next",
	                          limit > 0 && n == limit
	                              ? json_string(v[n - 1].name)
	                              : json_null()),
	                JSON_SORT_KEYS);
}

/* on_done - a put, an activation or a delete is durable. */
static void
on_done(int status, int version, void *arg)
{
	struct tw *t = arg;
	char name[TMPL_STORE_NAME_MAX];
	struct evhttp_request *req;

	memcpy(name, t->name, sizeof(name));
	req = tw_end(t);
	if (req == NULL)
		return;
	if (status != SPOOL_OK)
		status_reply(req, status, " or version");
	else if (version > 0)
		http_reply_json(
		    req, 201,
		    json_pack("{s:s,s:i}", "name", name, "version", version),
		    JSON_SORT_KEYS);
	else
		http_reply_json(req, 200, json_pack("{s:s}", "name", name),
		                JSON_SORT_KEYS);
}

/* render_reply - render e with data and answer. */
static void
render_reply(struct evhttp_request *req, const struct tmpl_store_entry *e,
             const json_t *data)
{
	struct tmpl_store_render_opts o = {
	    {TMPL_ESCAPE_NONE, TMPL_ESCAPE_HTML, TMPL_ESCAPE_NONE}, 0};
	struct tmpl_rendered r;
	struct tmpl_error err;
	enum tmpl_part bad;

	if (tmpl_store_render(e, data, &o, &r, &bad, &err) != 0) {
		syntax_reply(req, bad, &err, "render_failed");
		return;
	}
	http_reply_json(req, 200,
	                json_pack("{s:s,s:i,s:o,s:o,s:o}", "name", e->v.name,
	                          "version", e->v.version, "subject",
	                          part_json(r.part[TMPL_PART_SUBJECT]), "html",
	                          part_json(r.part[TMPL_PART_HTML]), "text",
	                          part_json(r.part[TMPL_PART_TEXT])),
	                JSON_SORT_KEYS);
	tmpl_rendered_fini(&r);
}

/* on_render_version - a stored version read back: parse and render. */
static void
on_render_version(int status, const struct tmpl_version *v, size_t n, void *arg)
{
	struct tw *t = arg;
	json_t *data = json_incref(t->data);
	struct evhttp_request *req = tw_end(t);
	struct tmpl_store_entry *e;
	struct tmpl_error err;
	enum tmpl_part bad;

	if (req != NULL && status != SPOOL_OK)
		status_reply(req, status, " or version");
	else if (req != NULL && n > 0) {
		e = tmpl_store_entry_new(&v[0], &bad, &err);
		if (e == NULL)
			syntax_reply(req, bad, &err, "template_syntax");
		else
			render_reply(req, e, data);
		tmpl_store_entry_free(e);
	}
	json_decref(data);
}

/* query_parse - req's query string into q. */
static int
query_parse(struct evhttp_request *req, struct evkeyvalq *q)
{
	const char *qs = strchr(evhttp_request_get_uri(req), '?');

	TAILQ_INIT(q);
	if (qs != NULL && evhttp_parse_query_str(qs + 1, q) != 0) {
		http_reply_error(req, 400, "bad_query",
		                 "malformed query string");
		return -1;
	}
	return 0;
}

/* int_arg - s as an integer in lo..hi into *out; -1 when it is not. */
static int
int_arg(const char *s, long lo, long hi, long *out)
{
	char *end;

	if (s == NULL || *s == '\0')
		return -1;
	*out = strtol(s, &end, 10);
	return *end == '\0' && *out >= lo && *out <= hi ? 0 : -1;
}

/* body_json - the request body as a JSON object, or NULL after 400. */
static json_t *
body_json(struct evhttp_request *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	const char *body = (const char *)evbuffer_pullup(in, -1);
	json_t *root;

	root = json_loadb(body != NULL ? body : "", len, JSON_REJECT_DUPLICATES,
	                  NULL);
	if (len == 0 && root == NULL)
		root = json_object();
	if (!json_is_object(root)) {
		json_decref(root);
		http_reply_error(req, 400, "invalid_json",
		                 "expected a JSON object");
		return NULL;
	}
	return root;
}

/* str_field - a string or null member; -1 after 400 when it is neither. */
static int
str_field(struct evhttp_request *req, json_t *o, const char *k,
          const char **out)
{
	json_t *v = json_object_get(o, k);
	char msg[96];

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v) ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		snprintf(msg, sizeof(msg), "%s: expected a string", k);
		http_reply_error(req, 400, "invalid_field", msg);
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

/* do_put - POST /v1/templates/NAME. */
static void
do_put(struct evhttp_request *req, struct tmpl_store *s, const char *tenant,
       const char *name)
{
	static const char *const keys[] = {
	    "dialect", "subject", "html", "text", "activate", "meta", NULL};
	json_t *root = body_json(req), *v, *meta;
	struct tmpl_version ver;
	struct tmpl_store_entry *e;
	struct tmpl_error err;
	enum tmpl_part bad;
	const char *k, *dialect = NULL, *part[TMPL_PARTS];
	int activate = 1, d, i;
	struct tw *t;

	if (root == NULL)
		return;
	json_object_foreach(root, k, v)
	{
		for (i = 0; keys[i] != NULL && strcmp(keys[i], k) != 0; i++)
			;
		if (keys[i] == NULL) {
			http_reply_error(
			    req, 400, "unknown_field",
			    "unknown field (dialect, subject, html, "
			    "text, activate, meta)");
			goto out;
		}
	}
	if (str_field(req, root, "dialect", &dialect) < 0 ||
	    str_field(req, root, "subject", &part[TMPL_PART_SUBJECT]) < 0 ||
	    str_field(req, root, "html", &part[TMPL_PART_HTML]) < 0 ||
	    str_field(req, root, "text", &part[TMPL_PART_TEXT]) < 0)
		goto out;
	v = json_object_get(root, "activate");
	if (v != NULL && !json_is_boolean(v)) {
		http_reply_error(req, 400, "invalid_field",
		                 "activate: expected true or false");
		goto out;
	}
	activate = v == NULL || json_is_true(v);
	meta = json_object_get(root, "meta");
	if (meta != NULL && !json_is_object(meta)) {
		http_reply_error(req, 400, "invalid_field",
		                 "meta: expected an object");
		goto out;
	}
	d = dialect != NULL ? tmpl_store_dialect_parse(dialect)
	                    : TMPL_HANDLEBARS;
	if (d < 0) {
		http_reply_error(req, 400, "invalid_field",
		                 "dialect: expected mustache, handlebars or "
		                 "mustachio");
		goto out;
	}
	if (part[TMPL_PART_HTML] == NULL && part[TMPL_PART_TEXT] == NULL) {
		http_reply_error(req, 400, "missing_field",
		                 "a template needs html or text");
		goto out;
	}
	memset(&ver, 0, sizeof(ver));
	snprintf(ver.tenant, sizeof(ver.tenant), "%s", tenant);
	snprintf(ver.name, sizeof(ver.name), "%s", name);
	ver.dialect = (enum tmpl_dialect)d;
	for (i = 0; i < TMPL_PARTS; i++)
		ver.part[i] = (char *)part[i];
	ver.meta = meta != NULL ? json_dumps(meta, JSON_COMPACT) : NULL;
	e = tmpl_store_entry_new(&ver, &bad, &err);
	free(ver.meta);
	if (e == NULL) {
		syntax_reply(req, bad, &err, "template_syntax");
		goto out;
	}
	t = tw_new(req, name);
	t->activated = activate;
	if (s->be->put(s->impl, e, TMPL_PUT_ANY, activate, on_done, t) != 0) {
		tw_end(t);
		unavailable(req);
	}
out:
	json_decref(root);
}

/* do_activate - POST /v1/templates/NAME/activate. */
static void
do_activate(struct evhttp_request *req, struct tmpl_store *s,
            const char *tenant, const char *name)
{
	json_t *root = body_json(req), *v;
	struct tw *t;

	if (root == NULL)
		return;
	v = json_object_get(root, "version");
	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > 1000000000) {
		http_reply_error(req, 400, "invalid_field",
		                 "version: expected a version number");
	} else {
		t = tw_new(req, name);
		if (s->be->activate(s->impl, tenant, name,
		                    (int)json_integer_value(v), on_done,
		                    t) != 0) {
			tw_end(t);
			unavailable(req);
		}
	}
	json_decref(root);
}

/* do_render - POST /v1/templates/NAME/render. */
static void
do_render(struct evhttp_request *req, struct tmpl_store *s, const char *tenant,
          const char *name)
{
	json_t *root = body_json(req), *data, *v;
	const struct tmpl_store_entry *e;
	struct tmpl_store_query q = {
	    .tenant = tenant, .name = name, .limit = 1, .bodies = 1};
	struct tw *t;

	if (root == NULL)
		return;
	data = json_object_get(root, "data");
	v = json_object_get(root, "version");
	if (data != NULL && !json_is_object(data)) {
		http_reply_error(req, 400, "invalid_field",
		                 "data: expected an object");
	} else if (v != NULL &&
	           (!json_is_integer(v) || json_integer_value(v) < 1 ||
	            json_integer_value(v) > 1000000000)) {
		http_reply_error(req, 400, "invalid_field",
		                 "version: expected a version number");
	} else if (v == NULL) {
		e = s->be->find(s->impl, tenant, name);
		if (e == NULL)
			http_reply_error(req, 404, "not_found",
			                 "no such template");
		else
			render_reply(req, e, data);
	} else {
		q.version = (int)json_integer_value(v);
		t = tw_new(req, name);
		t->data = json_incref(data);
		if (s->be->list(s->impl, &q, on_render_version, t) != 0) {
			tw_end(t);
			unavailable(req);
		}
	}
	json_decref(root);
}

/* do_get - GET /v1/templates/NAME[/versions]. */
static void
do_get(struct evhttp_request *req, struct tmpl_store *s, const char *tenant,
       const char *name, int versions, struct evkeyvalq *qs)
{
	struct tmpl_store_query q = {.tenant = tenant,
	                             .name = name,
	                             .version = -1,
	                             .limit = 1,
	                             .bodies = 1};
	const char *ver = evhttp_find_header(qs, "version");
	struct tw *t;
	long n;

	if (versions) {
		q.version = 0;
		q.limit = TMPL_STORE_LIST_MAX;
		q.bodies = 0;
	} else if (ver != NULL) {
		if (int_arg(ver, 1, 1000000000, &n) < 0) {
			http_reply_error(req, 400, "bad_query",
			                 "version must be a version number");
			return;
		}
		q.version = (int)n;
	}
	t = tw_new(req, name);
	t->one = !versions;
	if (s->be->list(s->impl, &q, on_list, t) != 0) {
		tw_end(t);
		unavailable(req);
	}
}

/* do_list - GET /v1/templates. */
static void
do_list(struct evhttp_request *req, struct tmpl_store *s, const char *tenant,
        struct evkeyvalq *qs)
{
	struct tmpl_store_query q = {.tenant = tenant, .limit = 100};
	const char *limit = evhttp_find_header(qs, "limit");
	struct tw *t;
	long n;

	if (limit != NULL) {
		if (int_arg(limit, 1, TMPL_STORE_LIST_MAX, &n) < 0) {
			http_reply_error(req, 400, "bad_query",
			                 "limit must be 1..1000");
			return;
		}
		q.limit = (size_t)n;
	}
	q.after = evhttp_find_header(qs, "after");
	t = tw_new(req, NULL);
	t->limit = q.limit;
	if (s->be->list(s->impl, &q, on_list, t) != 0) {
		tw_end(t);
		unavailable(req);
	}
}

/* do_delete - DELETE /v1/templates/NAME[?version=N]. */
static void
do_delete(struct evhttp_request *req, struct tmpl_store *s, const char *tenant,
          const char *name, struct evkeyvalq *qs)
{
	const char *ver = evhttp_find_header(qs, "version");
	struct tw *t;
	long n = 0;

	if (ver != NULL && int_arg(ver, 1, 1000000000, &n) < 0) {
		http_reply_error(req, 400, "bad_query",
		                 "version must be a version number");
		return;
	}
	t = tw_new(req, name);
	if (s->be->remove(s->impl, tenant, name, (int)n, on_done, t) != 0) {
		tw_end(t);
		unavailable(req);
	}
}

/* store_tenant - the tenant a request names: an API key's own; an
 * admin's ?tenant= (or ""). NULL after answering 403. */
static const char *
store_tenant(struct evhttp_request *req, struct evkeyvalq *q,
             const char *tenant)
{
	const char *t = evhttp_find_header(q, "tenant");

	if (tenant == NULL)
		return t != NULL ? t : "";
	if (t != NULL && strcmp(t, tenant) != 0) {
		http_reply_error(req, 403, "forbidden",
		                 "an API key reads its own tenant's templates "
		                 "only");
		return NULL;
	}
	return tenant;
}

/* route - NAME and what follows it ("", "/activate", ...) dispatched. */
static void
route(struct evhttp_request *req, struct tmpl_store *s, const char *t,
      const char *rest, struct evkeyvalq *q)
{
	enum evhttp_cmd_type m = evhttp_request_get_command(req);
	size_t n = strcspn(rest, "/");
	const char *sub = rest + n;
	char *seg = xstrndup(rest, n);
	char *name = evhttp_uridecode(seg, 0, NULL);

	free(seg);
	if (name == NULL || !tmpl_store_name_ok(name)) {
		http_reply_error(req, 400, "invalid_name",
		                 "a template name is [A-Za-z0-9_.-], 1..128 "
		                 "characters, not starting with '.'");
	} else if (*sub == '\0' && m == EVHTTP_REQ_GET) {
		do_get(req, s, t, name, 0, q);
	} else if (*sub == '\0' && m == EVHTTP_REQ_POST) {
		do_put(req, s, t, name);
	} else if (*sub == '\0' && m == EVHTTP_REQ_DELETE) {
		do_delete(req, s, t, name, q);
	} else if (strcmp(sub, "/versions") == 0 && m == EVHTTP_REQ_GET) {
		do_get(req, s, t, name, 1, q);
	} else if (strcmp(sub, "/activate") == 0 && m == EVHTTP_REQ_POST) {
		do_activate(req, s, t, name);
	} else if (strcmp(sub, "/render") == 0 && m == EVHTTP_REQ_POST) {
		do_render(req, s, t, name);
	} else {
		http_reply_error(req, 404, "not_found", "no such endpoint");
	}
	free(name);
}

void
http_templates_handle(struct evhttp_request *req, const char *path,
                      const char *tenant)
{
	struct tmpl_store *s = tmpl_store_active();
	const char *rest = path + strlen(HTTP_TEMPLATES_PREFIX), *t;
	struct evkeyvalq q;

	if (s == NULL || s->be == NULL) {
		unavailable(req);
		return;
	}
	if (query_parse(req, &q) < 0)
		return;
	t = store_tenant(req, &q, tenant);
	if (t == NULL)
		goto out;
	if (*rest == '\0' && evhttp_request_get_command(req) == EVHTTP_REQ_GET)
		do_list(req, s, t, &q);
	else if (*rest == '/')
		route(req, s, t, rest + 1, &q);
	else
		http_reply_error(req, 405, "method_not_allowed",
		                 "GET /v1/templates, or a template's path");
out:
	evhttp_clear_headers(&q);
}
