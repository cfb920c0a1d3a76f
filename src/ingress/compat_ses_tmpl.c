/*
 * compat_ses_tmpl.c - SES API v2's template operations on the template
 * store (compat_ses_tmpl.h).
 *
 * Each change answers after the store's commit: the request waits in an
 * http_pending watch, so a client that goes away is not answered.
 * Errors are SES's: NotFoundException (404) for an unknown template,
 * AlreadyExistsException for a create of an existing name,
 * BadRequestException for a template that does not parse (with its line
 * and column) and for data that is not a JSON object.
 */
#include "ingress/compat_ses_tmpl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "core/xmalloc.h"
#include "ingress/http_pending.h"
#include "ingress/http_templates.h"
#include "mime/mime_build.h"

#define SES_TMPL_PREFIX "/v2/email/templates"
#define SES_TMPL_PAGE_MAX 100

const struct tmpl_store_render_opts compat_ses_tmpl_opts = {
    {TMPL_ESCAPE_NONE, TMPL_ESCAPE_NONE, TMPL_ESCAPE_NONE}, 1};

/* A request waiting for the store. */
struct ses_tw {
	struct http_pending_watch w;
	char name[TMPL_STORE_NAME_MAX];
	int op; /* what answers: 'c'reate/'u'pdate/'d'elete, 'g'et, 'l'ist */
	size_t limit;
};

static struct ses_tw *
tw_new(struct evhttp_request *req, const char *name, int op)
{
	struct ses_tw *t = xcalloc(1, sizeof(*t));

	http_pending_watch_start(&t->w, req);
	snprintf(t->name, sizeof(t->name), "%s", name != NULL ? name : "");
	t->op = op;
	return t;
}

static struct evhttp_request *
tw_end(struct ses_tw *t)
{
	struct evhttp_request *req = http_pending_watch_end(&t->w);

	free(t);
	return req;
}

/* ok_json - 200 with obj and a request id. */
static void
ok_json(struct evhttp_request *req, json_t *obj)
{
	char rid[37];

	compat_ses_request_id(rid);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	                  "x-amzn-RequestId", rid);
	compat_reply_json(req, 200, obj);
}

/* status_fail - a store status as SES's error for template name. */
static void
status_fail(struct evhttp_request *req, int status, const char *name)
{
	struct api_error e;

	if (status == SPOOL_ERR_NOTFOUND)
		api_error_set(&e, 404, "template_not_found", "",
		              "Template %s does not exist.", name);
	else if (status == SPOOL_ERR_CONFLICT)
		api_error_set(&e, 400, "already_exists", "",
		              "Template %s already exists.", name);
	else
		api_error_set(&e, 503, "unavailable", "",
		              "the template store is not available");
	compat_ses_v2_fail(req, &e);
}

int
compat_ses_tmpl_data(const char *s, const char *field, json_t **out,
                     struct api_error *e)
{
	json_error_t jerr;

	*out = NULL;
	if (s == NULL || s[0] == '\0') {
		*out = json_object();
		return 0;
	}
	*out = json_loads(s, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return api_error_set(e, 400, "invalid_field", field,
		                     "%s must be a JSON object as a string",
		                     field);
	}
	return 0;
}

int
compat_ses_tmpl_apply(const struct config_api_key *k, struct api_msg *msg,
                      struct api_error *e)
{
	if (http_templates_apply(k->tenant, msg, &compat_ses_tmpl_opts, e) == 0)
		return 0;
	if (strcmp(e->code, "template_not_found") == 0)
		snprintf(e->message, sizeof(e->message),
		         "Template %s does not exist.", msg->template_name);
	return -1;
}

void
compat_ses_tmpl_render_mime(const struct tmpl_rendered *r, struct buf *out)
{
	static const char bnd[] = "----=_swerve_render_0";
	const char *subj = r->part[TMPL_PART_SUBJECT];
	int i;

	if (subj != NULL)
		buf_printf(out, "Subject: %s\r\n", subj);
	buf_addstr(out, "MIME-Version: 1.0\r\n");
	buf_printf(out,
	           "Content-Type: multipart/alternative; \r\n"
	           " boundary=\"%s\"\r\n\r\n",
	           bnd);
	for (i = TMPL_PART_TEXT; i >= TMPL_PART_HTML; i--) {
		if (r->part[i] == NULL)
			continue;
		buf_printf(
		    out,
		    "--%s\r\nContent-Type: text/%s; charset=UTF-8\r\n"
		    "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
		    bnd, i == TMPL_PART_TEXT ? "plain" : "html");
		mime_build_qp(out, r->part[i], r->len[i]);
		buf_addstr(out, "\r\n");
	}
	buf_printf(out, "--%s--\r\n", bnd);
}

/* content_json - a version's parts as SES's TemplateContent. */
static json_t *
content_json(const struct tmpl_version *v)
{
	static const char *const keys[] = {"Subject", "Html", "Text"};
	json_t *o = json_object();
	int i;

	for (i = 0; i < TMPL_PARTS; i++)
		if (v->part[i] != NULL)
			json_object_set_new(o, keys[i],
			                    json_string(v->part[i]));
	return o;
}

/* on_done - a create, update or delete is durable. */
static void
on_done(int status, int version, void *arg)
{
	struct ses_tw *t = arg;
	char name[TMPL_STORE_NAME_MAX];
	struct evhttp_request *req;

	(void)version;
	memcpy(name, t->name, sizeof(name));
	req = tw_end(t);
	if (req == NULL)
		return;
	if (status != SPOOL_OK)
		status_fail(req, status, name);
	else
		ok_json(req, json_object());
}

/* on_rows - a get (one row) or a list page. */
static void
on_rows(int status, const struct tmpl_version *v, size_t n, void *arg)
{
	struct ses_tw *t = arg;
	char name[TMPL_STORE_NAME_MAX];
	int op = t->op;
	size_t limit = t->limit, i;
	struct evhttp_request *req;
	json_t *arr, *o;

	memcpy(name, t->name, sizeof(name));
	req = tw_end(t);
	if (req == NULL)
		return;
	if (status != SPOOL_OK) {
		status_fail(req, status, name);
		return;
	}
	if (op == 'g') {
		ok_json(req, json_pack("{s:s,s:o}", "TemplateName", v[0].name,
		                       "TemplateContent", content_json(&v[0])));
		return;
	}
	arr = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(
		    arr, json_pack("{s:s,s:f}", "TemplateName", v[i].name,
		                   "CreatedTimestamp",
		                   (double)v[i].created_ms / 1000.0));
	o = json_pack("{s:o}", "TemplatesMetadata", arr);
	if (n == limit && n > 0)
		json_object_set_new(o, "NextToken", json_string(v[n - 1].name));
	ok_json(req, o);
}

/* content_version - TemplateContent of body into v (parts borrowed from
 * root). 0, or -1 with *e. */
static int
content_version(json_t *root, const char *tenant, const char *name,
                struct tmpl_version *v, struct api_error *e)
{
	static const char *const keys[] = {"Subject", "Html", "Text"};
	json_t *c = json_object_get(root, "TemplateContent"), *p;
	const char *k;
	int i;

	if (!json_is_object(c))
		return api_error_set(e, 400, "missing_field", "TemplateContent",
		                     "TemplateContent is required");
	memset(v, 0, sizeof(*v));
	json_object_foreach(c, k, p)
	{
		for (i = 0; i < TMPL_PARTS && strcmp(keys[i], k) != 0; i++)
			;
		if (i == TMPL_PARTS)
			return api_error_set(e, 400, "invalid_field",
			                     "TemplateContent",
			                     "TemplateContent.%.40s is not a "
			                     "field of the template",
			                     k);
		if (json_is_null(p))
			continue;
		if (!json_is_string(p) ||
		    strlen(json_string_value(p)) != json_string_length(p))
			return api_error_set(
			    e, 400, "invalid_field", "TemplateContent",
			    "TemplateContent.%s must be a string", k);
		v->part[i] = (char *)json_string_value(p);
	}
	if (v->part[TMPL_PART_HTML] == NULL && v->part[TMPL_PART_TEXT] == NULL)
		return api_error_set(e, 400, "missing_field", "TemplateContent",
		                     "The template must have an Html or a Text "
		                     "part.");
	snprintf(v->tenant, sizeof(v->tenant), "%s", tenant);
	snprintf(v->name, sizeof(v->name), "%s", name);
	v->dialect = TMPL_HANDLEBARS;
	return 0;
}

/* put - CreateEmailTemplate (mode CREATE) or UpdateEmailTemplate. */
static void
put(struct evhttp_request *req, struct tmpl_store *s, const char *tenant,
    const char *name, json_t *root, enum tmpl_put_mode mode)
{
	struct tmpl_store_entry *ent;
	struct tmpl_version v;
	struct tmpl_error err;
	struct api_error e;
	enum tmpl_part bad;
	struct ses_tw *t;

	if (content_version(root, tenant, name, &v, &e) < 0) {
		compat_ses_v2_fail(req, &e);
		return;
	}
	ent = tmpl_store_entry_new(&v, &bad, &err);
	if (ent == NULL) {
		api_error_set(&e, 400, "template_syntax", "",
		              "Template %s: %s: line %u, column %u: %s", name,
		              tmpl_part_name(bad), err.line, err.col, err.msg);
		compat_ses_v2_fail(req, &e);
		return;
	}
	t = tw_new(req, name, mode == TMPL_PUT_CREATE ? 'c' : 'u');
	if (s->be->put(s->impl, ent, mode, 1, on_done, t) != 0) {
		tw_end(t);
		status_fail(req, SPOOL_ERR_CLOSED, name);
	}
}

/* render - TestRenderEmailTemplate with the active version. */
static void
render(struct evhttp_request *req, struct tmpl_store *s, const char *tenant,
       const char *name, json_t *root)
{
	const struct tmpl_store_entry *ent = s->be->find(s->impl, tenant, name);
	json_t *td = json_object_get(root, "TemplateData"), *data = NULL;
	struct tmpl_rendered r;
	struct tmpl_error err;
	struct api_error e;
	enum tmpl_part bad;
	struct buf out;

	if (ent == NULL) {
		status_fail(req, SPOOL_ERR_NOTFOUND, name);
		return;
	}
	if (!json_is_string(td)) {
		api_error_set(&e, 400, "missing_field", "TemplateData",
		              "TemplateData is required");
		compat_ses_v2_fail(req, &e);
		return;
	}
	if (compat_ses_tmpl_data(json_string_value(td), "TemplateData", &data,
	                         &e) < 0) {
		compat_ses_v2_fail(req, &e);
		return;
	}
	if (tmpl_store_render(ent, data, &compat_ses_tmpl_opts, &r, &bad,
	                      &err) != 0) {
		json_decref(data);
		api_error_set(&e, 400, "render_failed", "",
		              "Template %s: %s: line %u, column %u: %s", name,
		              tmpl_part_name(bad), err.line, err.col, err.msg);
		compat_ses_v2_fail(req, &e);
		return;
	}
	json_decref(data);
	buf_init(&out);
	compat_ses_tmpl_render_mime(&r, &out);
	tmpl_rendered_fini(&r);
	ok_json(req, json_pack("{s:s%}", "RenderedTemplate", out.p, out.len));
	buf_fini(&out);
}

/* list - ListEmailTemplates. */
static void
list(struct evhttp_request *req, struct tmpl_store *s, const char *tenant)
{
	struct tmpl_store_query q = {.tenant = tenant, .limit = 10};
	const char *qs = strchr(evhttp_request_get_uri(req), '?');
	struct evkeyvalq kv;
	const char *size, *token;
	struct api_error e;
	struct ses_tw *t;
	char *end;
	long n;

	TAILQ_INIT(&kv);
	if (qs != NULL && evhttp_parse_query_str(qs + 1, &kv) != 0) {
		api_error_set(&e, 400, "invalid_field", "", "bad query string");
		compat_ses_v2_fail(req, &e);
		return;
	}
	size = evhttp_find_header(&kv, "PageSize");
	token = evhttp_find_header(&kv, "NextToken");
	if (size != NULL) {
		n = strtol(size, &end, 10);
		if (*end != '\0' || n < 1 || n > SES_TMPL_PAGE_MAX) {
			api_error_set(&e, 400, "invalid_field", "PageSize",
			              "PageSize must be 1..100");
			compat_ses_v2_fail(req, &e);
			evhttp_clear_headers(&kv);
			return;
		}
		q.limit = (size_t)n;
	}
	q.after = token;
	t = tw_new(req, NULL, 'l');
	t->limit = q.limit;
	if (s->be->list(s->impl, &q, on_rows, t) != 0) {
		tw_end(t);
		status_fail(req, SPOOL_ERR_CLOSED, "");
	}
	evhttp_clear_headers(&kv);
}

/* named - the NAME (decoded) of /v2/email/templates/NAME[/render]; *sub
 * is what follows it. NULL after answering when it is not a name. */
static char *
named(struct evhttp_request *req, const char *rest, const char **sub)
{
	size_t n = strcspn(rest, "/");
	char *seg = xstrndup(rest, n);
	char *name = evhttp_uridecode(seg, 0, NULL);
	struct api_error e;

	free(seg);
	*sub = rest + n;
	if (name == NULL || !tmpl_store_name_ok(name)) {
		free(name);
		api_error_set(&e, 400, "invalid_field", "TemplateName",
		              "TemplateName must be letters, digits, '_', '-' "
		              "or '.', 1..128 characters");
		compat_ses_v2_fail(req, &e);
		return NULL;
	}
	return name;
}

void
compat_ses_tmpl_v2(struct compat *c, struct evhttp_request *req,
                   const char *path, const struct config_api_key *k,
                   const char *body, size_t len)
{
	struct tmpl_store *s = tmpl_store_active();
	const char *rest = path + strlen(SES_TMPL_PREFIX), *sub = "";
	const char *tenant = k->tenant != NULL ? k->tenant : "";
	enum evhttp_cmd_type m = evhttp_request_get_command(req);
	struct tmpl_store_query q = {
	    .tenant = tenant, .version = -1, .limit = 1, .bodies = 1};
	json_t *root = NULL, *nm;
	struct api_error e;
	char *name = NULL;
	struct ses_tw *t;

	(void)c;
	if (s == NULL) {
		status_fail(req, SPOOL_ERR_CLOSED, "");
		return;
	}
	if (m == EVHTTP_REQ_POST || m == EVHTTP_REQ_PUT) {
		if ((root = compat_json_load(body, len, &e)) == NULL ||
		    !json_is_object(root)) {
			if (root != NULL)
				api_error_set(&e, 400, "invalid_json", "",
				              "expected an object");
			compat_ses_v2_fail(req, &e);
			goto out;
		}
	}
	if (*rest == '\0' && m == EVHTTP_REQ_GET) {
		list(req, s, tenant);
	} else if (*rest == '\0' && m == EVHTTP_REQ_POST) {
		nm = json_object_get(root, "TemplateName");
		if (!json_is_string(nm)) {
			api_error_set(&e, 400, "missing_field", "TemplateName",
			              "TemplateName is required");
			compat_ses_v2_fail(req, &e);
		} else if (!tmpl_store_name_ok(json_string_value(nm))) {
			api_error_set(&e, 400, "invalid_field", "TemplateName",
			              "TemplateName must be letters, digits, "
			              "'_', '-' or '.', 1..128 characters");
			compat_ses_v2_fail(req, &e);
		} else {
			put(req, s, tenant, json_string_value(nm), root,
			    TMPL_PUT_CREATE);
		}
	} else if (*rest != '/' ||
	           (name = named(req, rest + 1, &sub)) == NULL) {
		if (*rest != '/') {
			api_error_set(&e, 404, "not_found", "",
			              "Unknown operation");
			compat_ses_v2_fail(req, &e);
		}
	} else if (*sub == '\0' && m == EVHTTP_REQ_GET) {
		q.name = name;
		t = tw_new(req, name, 'g');
		if (s->be->list(s->impl, &q, on_rows, t) != 0) {
			tw_end(t);
			status_fail(req, SPOOL_ERR_CLOSED, name);
		}
	} else if (*sub == '\0' && m == EVHTTP_REQ_PUT) {
		put(req, s, tenant, name, root, TMPL_PUT_UPDATE);
	} else if (*sub == '\0' && m == EVHTTP_REQ_DELETE) {
		t = tw_new(req, name, 'd');
		if (s->be->remove(s->impl, tenant, name, 0, on_done, t) != 0) {
			tw_end(t);
			status_fail(req, SPOOL_ERR_CLOSED, name);
		}
	} else if (strcmp(sub, "/render") == 0 && m == EVHTTP_REQ_POST) {
		render(req, s, tenant, name, root);
	} else {
		api_error_set(&e, 404, "not_found", "", "Unknown operation");
		compat_ses_v2_fail(req, &e);
	}
out:
	free(name);
	json_decref(root);
}
