/*
 * compat_postmark_tmpl.c - Postmark's /templates on the template store
 * (compat_postmark_tmpl.h): the HTTP side, and sends with a template.
 *
 *   POST   /templates                 create
 *   GET    /templates?Count&Offset&TemplateType&LayoutTemplate   list
 *   GET    /templates/{idOrAlias}     read
 *   PUT    /templates/{idOrAlias}     edit (a new active version)
 *   DELETE /templates/{idOrAlias}     delete (every version, its alias)
 *   POST   /templates/validate        validate (changes nothing)
 *
 * A read resolves the name in the store's memory (find) and answers at
 * once. A change is a short chain of store calls answered after the last
 * is durable: a create stores its alias first (so a second create with
 * the same alias fails without storing anything) and then the template,
 * taking the alias back if that fails; an edit that changes the alias
 * stores the new alias, the version, then removes the old alias. Errors
 * are Postmark's: {"ErrorCode", "Message"} with 422 (401 for the token,
 * 404 for a path that is not served).
 */
#include "ingress/compat_postmark_tmpl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/rand.h>

#include "core/xmalloc.h"
#include "ingress/compat.h"
#include "ingress/http_pending.h"
#include "ingress/http_templates.h"

#define PMT_PREFIX "/templates"

enum pmt_op { OP_CREATE, OP_EDIT, OP_DELETE, OP_LIST };

/* One change on its way through the store. */
struct pmt_req {
	struct http_pending_watch w;
	struct tmpl_store *s;
	enum pmt_op op;
	int stage;
	char tenant[TMPL_STORE_TENANT_MAX];
	char id[TMPL_STORE_NAME_MAX];
	char *new_alias, *old_alias; /* alias names to put / remove */
	struct tmpl_version v;       /* CREATE, EDIT: the version to store */
	json_t *answer;              /* what success answers */
	struct api_error fail;       /* set: undo, then answer this */
	/* OP_LIST */
	json_t *rows;
	char after[TMPL_STORE_NAME_MAX];
	char *type, *layout;
	long count, offset;
};

static void pmt_step(struct pmt_req *r);

/* pmt_fail_req - answer req with e as Postmark does. */
static void
pmt_fail_req(struct evhttp_request *req, const struct api_error *e)
{
	int code = compat_postmark_tmpl_error_code(e);
	struct compat_answer a;

	if (code == 0) {
		compat_postmark_error_render(e, &a);
		compat_answer_send(req, &a);
		return;
	}
	compat_reply_json(
	    req, e->http_status,
	    json_pack("{s:i,s:s}", "ErrorCode", code, "Message", e->message));
}

static void
pmt_req_free(struct pmt_req *r)
{
	free(r->new_alias);
	free(r->old_alias);
	free(r->type);
	free(r->layout);
	tmpl_version_fini(&r->v);
	json_decref(r->answer);
	json_decref(r->rows);
	free(r);
}

/* pmt_end - stop watching r; answer r->answer (ok) or r->fail. */
static void
pmt_end(struct pmt_req *r, int ok)
{
	struct evhttp_request *req = http_pending_watch_end(&r->w);

	if (req != NULL && !ok)
		pmt_fail_req(req, &r->fail);
	else if (req != NULL)
		compat_reply_json(req, 200, json_incref(r->answer));
	pmt_req_free(r);
}

/* pmt_status - a store status as Postmark's error. */
static void
pmt_status(struct api_error *e, int status, const char *what)
{
	if (status == SPOOL_ERR_NOTFOUND)
		api_error_set(e, 422, "pm1101", "",
		              "The template '%.60s' was not found.", what);
	else if (status == SPOOL_ERR_CONFLICT)
		api_error_set(e, 422, "pm1122", "Alias",
		              "The alias '%.60s' is already used by another "
		              "template.",
		              what);
	else
		api_error_set(e, 503, "unavailable", "",
		              "the template store is not available");
}

static void
pmt_on_done(int status, int version, void *arg)
{
	struct pmt_req *r = arg;

	(void)version;
	if (status != SPOOL_OK && r->fail.http_status == 0) {
		/* The failed step: its own words; then undo what was done. */
		if (r->op == OP_CREATE && r->stage == 0)
			pmt_status(&r->fail, status, r->new_alias);
		else if (r->op == OP_EDIT && r->stage == 0 &&
		         r->new_alias != NULL)
			pmt_status(&r->fail, status, r->new_alias);
		else
			pmt_status(&r->fail,
			           status == SPOOL_ERR_CONFLICT ? SPOOL_ERR_IO
			                                        : status,
			           r->id);
		/* Only the version's failure after a new alias has
		 * something to undo (a failure to remove the old alias
		 * leaves a second alias to the same template). */
		if (r->stage != 1 || r->op == OP_DELETE ||
		    r->new_alias == NULL) {
			pmt_end(r, 0);
			return;
		}
		r->stage = 90;
		pmt_step(r);
		return;
	}
	r->stage++;
	pmt_step(r);
}

/* pmt_put - store v (a copy) as tenant's name. */
static void
pmt_put(struct pmt_req *r, const char *name, const struct tmpl_version *v,
        enum tmpl_put_mode mode)
{
	struct tmpl_store_entry *ent;
	struct tmpl_version c;
	struct tmpl_error err;
	enum tmpl_part bad;

	tmpl_version_copy(&c, v);
	snprintf(c.tenant, sizeof(c.tenant), "%s", r->tenant);
	snprintf(c.name, sizeof(c.name), "%s", name);
	ent = tmpl_store_entry_new(&c, &bad, &err);
	tmpl_version_fini(&c);
	if (ent == NULL ||
	    r->s->be->put(r->s->impl, ent, mode, 1, pmt_on_done, r) != 0) {
		pmt_status(&r->fail, SPOOL_ERR_CLOSED, "");
		pmt_end(r, 0);
	}
}

/* pmt_put_alias - store alias as a pointer to r->id. */
static void
pmt_put_alias(struct pmt_req *r, const char *alias)
{
	struct tmpl_version a;

	memset(&a, 0, sizeof(a));
	a.dialect = TMPL_MUSTACHIO;
	a.meta = compat_postmark_tmpl_alias_meta(r->id);
	pmt_put(r, alias, &a, TMPL_PUT_CREATE);
	free(a.meta);
}

static void
pmt_remove(struct pmt_req *r, const char *name)
{
	if (r->s->be->remove(r->s->impl, r->tenant, name, 0, pmt_on_done, r) !=
	    0) {
		pmt_status(&r->fail, SPOOL_ERR_CLOSED, "");
		pmt_end(r, 0);
	}
}

/* pmt_list_rows - a page of every name's active version. */
static void
pmt_list_rows(int status, const struct tmpl_version *v, size_t n, void *arg)
{
	struct pmt_req *r = arg;
	char target[TMPL_STORE_NAME_MAX];
	char *type, *layout;
	size_t i;

	if (status != SPOOL_OK) {
		pmt_status(&r->fail, status, "");
		pmt_end(r, 0);
		return;
	}
	for (i = 0; i < n; i++) {
		if (compat_postmark_tmpl_kind(&v[i], target) != 't')
			continue;
		type = compat_postmark_tmpl_meta_str(&v[i], "TemplateType");
		layout = compat_postmark_tmpl_meta_str(&v[i], "LayoutTemplate");
		if ((r->type == NULL ||
		     strcmp(r->type, type != NULL ? type : "Standard") == 0) &&
		    (r->layout == NULL ||
		     (layout != NULL && strcmp(layout, r->layout) == 0)))
			json_array_append_new(
			    r->rows, compat_postmark_tmpl_json(&v[i], 0));
		free(type);
		free(layout);
	}
	if (n == TMPL_STORE_LIST_MAX) {
		snprintf(r->after, sizeof(r->after), "%s", v[n - 1].name);
		pmt_step(r);
		return;
	}
	r->answer = json_array();
	for (i = (size_t)r->offset;
	     i < json_array_size(r->rows) && i < (size_t)(r->offset + r->count);
	     i++)
		json_array_append(r->answer, json_array_get(r->rows, i));
	r->answer = json_pack("{s:I,s:o}", "TotalCount",
	                      (json_int_t)json_array_size(r->rows), "Templates",
	                      r->answer);
	pmt_end(r, 1);
}

/* pmt_step - what comes after r->stage. */
static void
pmt_step(struct pmt_req *r)
{
	struct tmpl_store_query q = {0};

	if (r->stage == 90) { /* undo the alias just stored, then fail */
		r->stage = 91;
		pmt_remove(r, r->new_alias);
		return;
	}
	if (r->stage >= 91) {
		pmt_end(r, 0);
		return;
	}
	switch (r->op) {
	case OP_CREATE:
	case OP_EDIT:
		/* 0: the new alias (if any); 1: the version; 2: the old
		 * alias removed (if any); 3: done. */
		if (r->stage == 0 && r->new_alias == NULL)
			r->stage = 1;
		if (r->stage == 0)
			pmt_put_alias(r, r->new_alias);
		else if (r->stage == 1)
			pmt_put(r, r->id, &r->v,
			        r->op == OP_CREATE ? TMPL_PUT_CREATE
			                           : TMPL_PUT_UPDATE);
		else if (r->stage == 2 && r->old_alias != NULL)
			pmt_remove(r, r->old_alias);
		else
			pmt_end(r, 1);
		return;
	case OP_DELETE:
		if (r->stage == 0)
			pmt_remove(r, r->id);
		else if (r->stage == 1 && r->old_alias != NULL)
			pmt_remove(r, r->old_alias);
		else
			pmt_end(r, 1);
		return;
	case OP_LIST:
		q.tenant = r->tenant;
		q.after = r->after;
		q.limit = TMPL_STORE_LIST_MAX;
		if (r->s->be->list(r->s->impl, &q, pmt_list_rows, r) != 0) {
			pmt_status(&r->fail, SPOOL_ERR_CLOSED, "");
			pmt_end(r, 0);
		}
		return;
	}
}

const struct tmpl_store_entry *
compat_postmark_tmpl_resolve(struct tmpl_store *st, const char *tenant,
                             const char *s)
{
	const struct tmpl_store_entry *e;
	char target[TMPL_STORE_NAME_MAX];

	if (st == NULL || s == NULL || !tmpl_store_name_ok(s))
		return NULL;
	e = st->be->find(st->impl, tenant != NULL ? tenant : "", s);
	if (e != NULL && compat_postmark_tmpl_kind(&e->v, target) == 'a')
		e = st->be->find(st->impl, tenant != NULL ? tenant : "",
		                 target);
	return e;
}

int
compat_postmark_tmpl_apply(const char *tenant, struct api_msg *msg,
                           const struct tmpl_store_render_opts *o,
                           struct api_error *e)
{
	struct tmpl_store *st = tmpl_store_active();
	const struct tmpl_store_entry *t, *layout = NULL;
	char *lname;

	t = compat_postmark_tmpl_resolve(st, tenant, msg->template_name);
	lname = t != NULL
	            ? compat_postmark_tmpl_meta_str(&t->v, "LayoutTemplate")
	            : NULL;
	if (lname != NULL) {
		layout = compat_postmark_tmpl_resolve(st, tenant, lname);
		if (layout == NULL) {
			api_error_set(e, 422, "template_not_found",
			              "LayoutTemplate",
			              "The layout '%.60s' of template '%.60s' "
			              "could not be found.",
			              lname, msg->template_name);
			free(lname);
			return -1;
		}
		free(lname);
	}
	return http_templates_apply_entry(t, layout, msg, o, e);
}

/* pmt_new_id - a TemplateId not in use (8 digits, random). */
static void
pmt_new_id(struct tmpl_store *s, const char *tenant,
           char id[TMPL_STORE_NAME_MAX])
{
	unsigned v;

	do {
		if (RAND_bytes((unsigned char *)&v, sizeof(v)) != 1)
			abort(); /* the CSPRNG failed */
		snprintf(id, TMPL_STORE_NAME_MAX, "%u",
		         10000000u + v % 90000000u);
	} while (s->be->find(s->impl, tenant, id) != NULL);
}

/* pmt_layout_check - the LayoutTemplate of v names a Layout. 0, or -1
 * with *e. */
static int
pmt_layout_check(struct tmpl_store *s, const char *tenant,
                 const struct tmpl_version *v, struct api_error *e)
{
	char *l = compat_postmark_tmpl_meta_str(v, "LayoutTemplate"), *type;
	const struct tmpl_store_entry *le;
	int rc = 0;

	if (l == NULL)
		return 0;
	le = compat_postmark_tmpl_resolve(s, tenant, l);
	type = le != NULL
	           ? compat_postmark_tmpl_meta_str(&le->v, "TemplateType")
	           : NULL;
	if (type == NULL || strcmp(type, "Layout") != 0)
		rc = api_error_set(e, 422, "pm1101", "LayoutTemplate",
		                   "The LayoutTemplate '%.60s' was not found.",
		                   l);
	free(type);
	free(l);
	return rc;
}

/* pmt_list_query - Count, Offset, TemplateType, LayoutTemplate. */
static int
pmt_list_query(struct evhttp_request *req, struct pmt_req *r,
               struct api_error *e)
{
	const char *qs = strchr(evhttp_request_get_uri(req), '?');
	struct evkeyvalq kv;
	struct evkeyval *h;
	char *end;
	int rc = 0;

	TAILQ_INIT(&kv);
	r->count = 100;
	if (qs != NULL && evhttp_parse_query_str(qs + 1, &kv) != 0)
		return api_error_set(e, 422, "pm1122", "",
		                     "The query string is malformed.");
	TAILQ_FOREACH(h, &kv, next)
	{
		if (strcasecmp(h->key, "Count") == 0) {
			r->count = strtol(h->value, &end, 10);
			if (*end != '\0' || r->count < 1 ||
			    r->count > PMT_LIST_MAX)
				rc = api_error_set(e, 422, "pm1122", "Count",
				                   "'Count' must be 1..500.");
		} else if (strcasecmp(h->key, "Offset") == 0) {
			r->offset = strtol(h->value, &end, 10);
			if (*end != '\0' || r->offset < 0 ||
			    r->offset > 100000000)
				rc = api_error_set(
				    e, 422, "pm1122", "Offset",
				    "'Offset' must be 0 or more.");
		} else if (strcasecmp(h->key, "TemplateType") == 0) {
			if (strcmp(h->value, "All") == 0)
				continue;
			if (strcmp(h->value, "Standard") != 0 &&
			    strcmp(h->value, "Layout") != 0)
				rc = api_error_set(
				    e, 422, "pm1122", "TemplateType",
				    "'TemplateType' must be All, Standard or "
				    "Layout.");
			free(r->type);
			r->type = xstrdup(h->value);
		} else if (strcasecmp(h->key, "LayoutTemplate") == 0) {
			free(r->layout);
			r->layout = xstrdup(h->value);
		}
	}
	evhttp_clear_headers(&kv);
	return rc;
}

/* pmt_change - a create (base NULL) or an edit of base. */
static int
pmt_change(struct pmt_req *r, json_t *body, const struct tmpl_store_entry *base,
           struct api_error *e)
{
	struct compat_postmark_tmpl_req q;
	char *old = NULL;

	if (compat_postmark_tmpl_decode(body, &q, e) < 0)
		return -1;
	if (base == NULL)
		pmt_new_id(r->s, r->tenant, r->id);
	else
		snprintf(r->id, sizeof(r->id), "%s", base->v.name);
	if (compat_postmark_tmpl_build(&q, base != NULL ? &base->v : NULL,
	                               r->id, &r->v, e) < 0 ||
	    pmt_layout_check(r->s, r->tenant, &r->v, e) < 0)
		return -1;
	r->new_alias = compat_postmark_tmpl_meta_str(&r->v, "Alias");
	if (base != NULL)
		old = compat_postmark_tmpl_meta_str(&base->v, "Alias");
	if (old != NULL && r->new_alias != NULL &&
	    strcmp(old, r->new_alias) == 0) {
		free(r->new_alias); /* unchanged: nothing to do with it */
		r->new_alias = NULL;
		free(old);
		old = NULL;
	}
	/* An alias another template (or the native API) holds. */
	if (r->new_alias != NULL &&
	    r->s->be->find(r->s->impl, r->tenant, r->new_alias) != NULL) {
		free(old);
		return api_error_set(e, 422, "pm1122", "Alias",
		                     "The alias '%.60s' is already used by "
		                     "another template.",
		                     r->new_alias);
	}
	r->old_alias = old;
	r->answer = compat_postmark_tmpl_json(&r->v, 0);
	r->op = base == NULL ? OP_CREATE : OP_EDIT;
	return 0;
}

/* pmt_body - the request's JSON body. NULL with *e. */
static json_t *
pmt_body(struct compat *c, struct evhttp_request *req, struct api_error *e)
{
	const char *body;
	json_t *j;
	size_t len;

	if ((body = compat_body(c, req, &len, e)) == NULL ||
	    (j = compat_json_load(body, len, e)) == NULL) {
		if (strcmp(e->code, "invalid_json") == 0)
			snprintf(e->message, sizeof(e->message),
			         "Received invalid JSON input.");
		return NULL;
	}
	return j;
}

void
compat_postmark_tmpl_handle(struct compat *c, struct evhttp_request *req,
                            const char *path)
{
	const char *tok = compat_header(req, "X-Postmark-Server-Token");
	enum evhttp_cmd_type m = evhttp_request_get_command(req);
	struct tmpl_store *s = tmpl_store_active();
	const char *rest = path + strlen(PMT_PREFIX);
	const struct tmpl_store_entry *ent = NULL, *layout = NULL;
	const struct config_api_key *k;
	struct pmt_req *r = NULL;
	struct api_error e;
	json_t *body = NULL, *o;
	char *name = NULL, *l, target[TMPL_STORE_NAME_MAX], msg[160];

	if ((k = compat_key_find(c, tok, tok ? strlen(tok) : 0)) == NULL) {
		api_error_set(&e, 401, "unauthorized", "",
		              "Request does not contain a valid Server token.");
		pmt_fail_req(req, &e);
		return;
	}
	if (s == NULL) {
		api_error_set(&e, 503, "unavailable", "",
		              "the template store is not available");
		pmt_fail_req(req, &e);
		return;
	}
	if (strcmp(rest, "/") == 0)
		rest = "";
	r = xcalloc(1, sizeof(*r));
	r->s = s;
	snprintf(r->tenant, sizeof(r->tenant), "%s",
	         k->tenant != NULL ? k->tenant : "");
	if (*rest == '/') {
		name = evhttp_uridecode(rest + 1, 0, NULL);
		if (name == NULL || strchr(name, '/') != NULL) {
			api_error_set(&e, 404, "not_found", "", "Not found");
			goto fail;
		}
	} else if (*rest != '\0') {
		api_error_set(&e, 404, "not_found", "", "Not found");
		goto fail;
	}
	if ((m == EVHTTP_REQ_POST || m == EVHTTP_REQ_PUT) &&
	    (body = pmt_body(c, req, &e)) == NULL)
		goto fail;
	if (name != NULL && strcmp(name, "validate") == 0 &&
	    m == EVHTTP_REQ_POST) {
		l = json_string_value(json_object_get(body, "LayoutTemplate"))
		        ? xstrdup(json_string_value(
		              json_object_get(body, "LayoutTemplate")))
		        : NULL;
		layout = l != NULL
		             ? compat_postmark_tmpl_resolve(s, r->tenant, l)
		             : NULL;
		free(l);
		if ((o = compat_postmark_tmpl_validate(body, layout, &e)) ==
		    NULL)
			goto fail;
		compat_reply_json(req, 200, o);
		goto done;
	}
	if (name != NULL) {
		ent = compat_postmark_tmpl_resolve(s, r->tenant, name);
		if (ent != NULL &&
		    compat_postmark_tmpl_kind(&ent->v, target) != 't')
			ent = NULL;
		if (ent == NULL && m != EVHTTP_REQ_POST) {
			api_error_set(&e, 422, "pm1101", "",
			              "The template '%.60s' was not found.",
			              name);
			goto fail;
		}
	}
	if (name == NULL && m == EVHTTP_REQ_POST) {
		if (pmt_change(r, body, NULL, &e) < 0)
			goto fail;
	} else if (name == NULL && m == EVHTTP_REQ_GET) {
		if (pmt_list_query(req, r, &e) < 0)
			goto fail;
		r->op = OP_LIST;
		r->rows = json_array();
	} else if (name != NULL && m == EVHTTP_REQ_GET) {
		compat_reply_json(req, 200,
		                  compat_postmark_tmpl_json(&ent->v, 1));
		goto done;
	} else if (name != NULL && m == EVHTTP_REQ_PUT) {
		if (pmt_change(r, body, ent, &e) < 0)
			goto fail;
	} else if (name != NULL && m == EVHTTP_REQ_DELETE) {
		snprintf(r->id, sizeof(r->id), "%s", ent->v.name);
		r->old_alias = compat_postmark_tmpl_meta_str(&ent->v, "Alias");
		r->op = OP_DELETE;
		snprintf(msg, sizeof(msg), "Template %s removed.", r->id);
		r->answer =
		    json_pack("{s:i,s:s}", "ErrorCode", 0, "Message", msg);
	} else {
		api_error_set(&e, 405, "method_not_allowed", "",
		              "Method not allowed");
		goto fail;
	}
	json_decref(body);
	free(name);
	http_pending_watch_start(&r->w, req);
	pmt_step(r);
	return;
fail:
	pmt_fail_req(req, &e);
done:
	json_decref(body);
	free(name);
	pmt_req_free(r);
}
