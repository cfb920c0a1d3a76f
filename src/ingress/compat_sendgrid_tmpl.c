/*
 * compat_sendgrid_tmpl.c - SendGrid's /v3/templates on the template store
 * (compat_sendgrid_tmpl.h): the HTTP side.
 *
 *   POST   /v3/templates                                  create
 *   GET    /v3/templates?generations=&page_size=&page_token=  list
 *   GET    /v3/templates/{id}                             read
 *   PATCH  /v3/templates/{id}                             rename
 *   DELETE /v3/templates/{id}                             delete
 *   POST   /v3/templates/{id}/versions                    new version
 *   GET    /v3/templates/{id}/versions/{vid}              read one
 *   PATCH  /v3/templates/{id}/versions/{vid}              edit
 *   DELETE /v3/templates/{id}/versions/{vid}              delete one
 *   POST   /v3/templates/{id}/versions/{vid}/activate     activate
 *
 * Each request is a short chain of store calls (read the template's
 * rows, change, read them again to answer), each step in the store's
 * callback on the loop thread; the answer is sent once, after the last
 * change is durable, unless the client went away. A request that is
 * refused changes nothing. Errors are SendGrid's ({"errors": [{"field",
 * "message"}]}), a template or version not found a 404.
 */
#include "ingress/compat_sendgrid_tmpl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "core/xmalloc.h"
#include "ingress/compat.h"
#include "ingress/http_pending.h"

#define SGT_PREFIX "/v3/templates"

enum sgt_op {
	OP_CREATE,
	OP_LIST,
	OP_GET,
	OP_RENAME,
	OP_DELETE,
	OP_VCREATE,
	OP_VGET,
	OP_VEDIT,
	OP_VDELETE,
	OP_VACTIVATE,
};

/* One request on its way through the store. */
struct sgt_req {
	struct http_pending_watch w;
	struct tmpl_store *s;
	enum sgt_op op;
	int stage;
	char tenant[TMPL_STORE_TENANT_MAX];
	char id[TMPL_STORE_NAME_MAX];
	char vid[SGT_VID_SIZE];
	json_t *body; /* the request's, or NULL */
	int status;   /* HTTP status of a success */
	/* OP_VDELETE: the store versions still to remove, oldest first. */
	int *drop;
	size_t n_drop, i_drop;
	/* OP_LIST */
	char **names;
	size_t n_names, i_name, page_size;
	int more;
	json_t *result;
};

static void sgt_step(struct sgt_req *r);

static void
sgt_req_free(struct sgt_req *r)
{
	size_t i;

	json_decref(r->body);
	json_decref(r->result);
	for (i = 0; i < r->n_names; i++)
		free(r->names[i]);
	free(r->names);
	free(r->drop);
	free(r);
}

/* sgt_end - stop watching; the request to answer (NULL: gone). r freed. */
static struct evhttp_request *
sgt_end(struct sgt_req *r)
{
	struct evhttp_request *req = http_pending_watch_end(&r->w);

	sgt_req_free(r);
	return req;
}

/* sgt_fail - end r with e. */
static void
sgt_fail(struct sgt_req *r, const struct api_error *e)
{
	struct evhttp_request *req = sgt_end(r);

	if (req != NULL)
		compat_sendgrid_fail(req, e);
}

/* sgt_status_fail - end r with a store status. */
static void
sgt_status_fail(struct sgt_req *r, int status)
{
	struct api_error e;

	if (status == SPOOL_ERR_NOTFOUND)
		api_error_set(&e, 404, "not_found", "",
		              r->op >= OP_VGET && r->vid[0] != '\0'
		                  ? "Version not found"
		                  : "Template not found");
	else if (status == SPOOL_ERR_CONFLICT)
		api_error_set(&e, 400, "conflict", "",
		              "the template changed meanwhile: try again");
	else
		api_error_set(&e, 503, "unavailable", "",
		              "the template store is not available");
	sgt_fail(r, &e);
}

/* sgt_ok - end r with obj (stolen) and r->status. */
static void
sgt_ok(struct sgt_req *r, json_t *obj)
{
	int status = r->status;
	struct evhttp_request *req = sgt_end(r);

	if (req == NULL) {
		json_decref(obj);
		return;
	}
	if (status == 204) {
		json_decref(obj);
		compat_reply(req, 204, NULL, NULL, 0);
		return;
	}
	compat_reply_json(req, status, obj);
}

/* ---- store calls: each ends r on failure to queue --------------------- */

static void sgt_on_rows(int status, const struct tmpl_version *v, size_t n,
                        void *arg);
static void sgt_on_done(int status, int version, void *arg);

/* sgt_read - every row of name (r->id, or name when given). */
static void
sgt_read(struct sgt_req *r, const char *name)
{
	struct tmpl_store_query q = {.tenant = r->tenant,
	                             .name = name != NULL ? name : r->id,
	                             .version = 0,
	                             .limit = TMPL_STORE_LIST_MAX,
	                             .bodies = 1};

	if (r->s->be->list(r->s->impl, &q, sgt_on_rows, r) != 0)
		sgt_status_fail(r, SPOOL_ERR_CLOSED);
}

/* sgt_put - store v (parts and meta taken) as a new version of r->id. */
static void
sgt_put(struct sgt_req *r, struct tmpl_version *v, enum tmpl_put_mode mode,
        int activate)
{
	struct tmpl_store_entry *ent;
	struct tmpl_error err;
	enum tmpl_part bad;

	snprintf(v->tenant, sizeof(v->tenant), "%s", r->tenant);
	snprintf(v->name, sizeof(v->name), "%s", r->id);
	ent = tmpl_store_entry_new(v, &bad, &err);
	tmpl_version_fini(v);
	if (ent == NULL) { /* checked when decoded */
		sgt_status_fail(r, SPOOL_ERR_IO);
		return;
	}
	if (r->s->be->put(r->s->impl, ent, mode, activate, sgt_on_done, r) != 0)
		sgt_status_fail(r, SPOOL_ERR_CLOSED);
}

static void
sgt_activate(struct sgt_req *r, int version)
{
	if (r->s->be->activate(r->s->impl, r->tenant, r->id, version,
	                       sgt_on_done, r) != 0)
		sgt_status_fail(r, SPOOL_ERR_CLOSED);
}

static void
sgt_remove(struct sgt_req *r, int version)
{
	if (r->s->be->remove(r->s->impl, r->tenant, r->id, version, sgt_on_done,
	                     r) != 0)
		sgt_status_fail(r, SPOOL_ERR_CLOSED);
}

/* ---- the chains ------------------------------------------------------- */

/* sgt_answer_rows - the answer from a template's rows read after the
 * change: the template, or version r->vid. */
static void
sgt_answer_rows(struct sgt_req *r, const struct tmpl_version *rows, size_t n)
{
	struct compat_sendgrid_tmpl_model m;
	const struct compat_sendgrid_tmpl_ver *v;
	struct api_error e;

	compat_sendgrid_tmpl_model_build(rows, n, &m);
	if (r->vid[0] == '\0') {
		sgt_ok(r, compat_sendgrid_tmpl_template_json(&m, 1));
	} else if ((v = compat_sendgrid_tmpl_model_find(&m, r->vid)) != NULL) {
		sgt_ok(r, compat_sendgrid_tmpl_version_json(&m, v));
	} else {
		api_error_set(&e, 404, "not_found", "", "Version not found");
		sgt_fail(r, &e);
	}
	compat_sendgrid_tmpl_model_fini(&m);
}

/* sgt_change - the first read of a change: decide and make it. */
static void
sgt_change(struct sgt_req *r, const struct tmpl_version *rows, size_t n)
{
	struct compat_sendgrid_tmpl_model m;
	const struct compat_sendgrid_tmpl_ver *v;
	struct tmpl_version nv;
	struct api_error e;
	const char *name;
	int active, was_active, has_active = 0;
	size_t i;

	compat_sendgrid_tmpl_model_build(rows, n, &m);
	v = r->vid[0] != '\0' ? compat_sendgrid_tmpl_model_find(&m, r->vid)
	                      : NULL;
	if (r->op >= OP_VGET && v == NULL) {
		compat_sendgrid_tmpl_model_fini(&m);
		sgt_status_fail(r, SPOOL_ERR_NOTFOUND);
		return;
	}
	for (i = 0; i < m.nv; i++)
		has_active |= rows[m.v[i].row].active;
	memset(&nv, 0, sizeof(nv));
	switch (r->op) {
	case OP_RENAME:
		compat_sendgrid_tmpl_template_decode(r->body, 0, &name, &e);
		nv.meta = compat_sendgrid_tmpl_template_meta(name);
		compat_sendgrid_tmpl_model_fini(&m);
		sgt_put(r, &nv, TMPL_PUT_UPDATE, 0);
		return;
	case OP_VCREATE:
		compat_sendgrid_tmpl_vid_new(r->vid);
		if (compat_sendgrid_tmpl_version_decode(r->body, NULL, r->vid,
		                                        &nv, &active, &e) < 0)
			break;
		compat_sendgrid_tmpl_model_fini(&m);
		/* The first version of a template is its active one. */
		sgt_put(r, &nv, TMPL_PUT_UPDATE, active == 1 || !has_active);
		return;
	case OP_VEDIT:
		was_active = rows[v->row].active;
		if (compat_sendgrid_tmpl_version_decode(
		        r->body, &rows[v->row], r->vid, &nv, &active, &e) < 0)
			break;
		compat_sendgrid_tmpl_model_fini(&m);
		sgt_put(r, &nv, TMPL_PUT_UPDATE, was_active || active == 1);
		return;
	case OP_VACTIVATE:
		i = rows[v->row].version;
		compat_sendgrid_tmpl_model_fini(&m);
		sgt_activate(r, (int)i);
		return;
	case OP_VDELETE:
		/* Every store version of this SendGrid version, oldest
		 * first (a failure half way leaves the newest, the one
		 * shown); the active one's template goes back to its
		 * record (no version active) first. */
		for (i = 0; i < n; i++) {
			char id[SGT_VID_SIZE] = "";
			struct compat_sendgrid_tmpl_model one;

			compat_sendgrid_tmpl_model_build(&rows[i], 1, &one);
			if (one.nv == 1)
				snprintf(id, sizeof(id), "%s", one.v[0].id);
			compat_sendgrid_tmpl_model_fini(&one);
			if (strcmp(id, r->vid) != 0)
				continue;
			r->drop = xreallocarray(r->drop, r->n_drop + 1,
			                        sizeof(*r->drop));
			r->drop[r->n_drop++] = rows[i].version;
		}
		if (rows[v->row].active && m.last_record < n) {
			i = rows[m.last_record].version;
			compat_sendgrid_tmpl_model_fini(&m);
			sgt_activate(r, (int)i);
			return;
		}
		if (rows[v->row].active) {
			compat_sendgrid_tmpl_model_fini(&m);
			api_error_set(
			    &e, 400, "invalid_field", "version_id",
			    "the active version of a template made "
			    "outside SendGrid's API cannot be deleted: "
			    "activate another one first");
			sgt_fail(r, &e);
			return;
		}
		compat_sendgrid_tmpl_model_fini(&m);
		r->stage++; /* nothing to activate */
		sgt_step(r);
		return;
	default:
		compat_sendgrid_tmpl_model_fini(&m);
		sgt_answer_rows(r, rows, n);
		return;
	}
	compat_sendgrid_tmpl_model_fini(&m);
	sgt_fail(r, &e);
}

/* sgt_list_rows - one listed template's rows, into the result. */
static void
sgt_list_rows(struct sgt_req *r, const struct tmpl_version *rows, size_t n)
{
	struct compat_sendgrid_tmpl_model m;

	compat_sendgrid_tmpl_model_build(rows, n, &m);
	json_array_append_new(r->result,
	                      compat_sendgrid_tmpl_template_json(&m, 0));
	compat_sendgrid_tmpl_model_fini(&m);
}

/* sgt_list_answer - the page. */
static void
sgt_list_answer(struct sgt_req *r)
{
	json_t *md = json_pack("{s:s,s:i}", "self",
	                       "https://api.sendgrid.com/v3/templates", "count",
	                       (json_int_t)json_array_size(r->result));
	char next[256];
	json_t *o;

	if (r->more && r->n_names > 0) {
		snprintf(next, sizeof(next),
		         "https://api.sendgrid.com/v3/templates?page_size=%zu"
		         "&page_token=%s",
		         r->page_size, r->names[r->n_names - 1]);
		json_object_set_new(md, "next", json_string(next));
	}
	o = json_pack("{s:O,s:o}", "result", r->result, "_metadata", md);
	sgt_ok(r, o);
}

static void
sgt_on_rows(int status, const struct tmpl_version *v, size_t n, void *arg)
{
	struct sgt_req *r = arg;
	size_t i;

	if (r->op == OP_LIST && r->stage == 0) {
		/* Every name's active version: the dynamic templates' ids. */
		if (status != SPOOL_OK) {
			sgt_status_fail(r, status);
			return;
		}
		for (i = 0; i < n; i++) {
			if (!compat_sendgrid_tmpl_id_ok(v[i].name))
				continue;
			if (r->n_names == r->page_size) {
				r->more = 1;
				break;
			}
			r->names = xreallocarray(r->names, r->n_names + 1,
			                         sizeof(*r->names));
			r->names[r->n_names++] = xstrdup(v[i].name);
		}
		if (n == TMPL_STORE_LIST_MAX && r->n_names > 0)
			r->more = 1;
		r->stage = 1;
		sgt_step(r);
		return;
	}
	if (r->op == OP_LIST) {
		/* A template deleted meanwhile is left out. */
		if (status == SPOOL_OK)
			sgt_list_rows(r, v, n);
		else if (status != SPOOL_ERR_NOTFOUND) {
			sgt_status_fail(r, status);
			return;
		}
		r->i_name++;
		sgt_step(r);
		return;
	}
	if (status != SPOOL_OK) {
		sgt_status_fail(r, status);
		return;
	}
	if (r->stage == 0)
		sgt_change(r, v, n);
	else
		sgt_answer_rows(r, v, n);
}

static void
sgt_on_done(int status, int version, void *arg)
{
	struct sgt_req *r = arg;

	(void)version;
	if (status != SPOOL_OK) {
		sgt_status_fail(r, status);
		return;
	}
	r->stage++;
	sgt_step(r);
}

/* sgt_step - what comes after r->stage. */
static void
sgt_step(struct sgt_req *r)
{
	struct tmpl_version v;

	switch (r->op) {
	case OP_CREATE:
		if (r->stage == 0) {
			const char *name;
			struct api_error e;

			compat_sendgrid_tmpl_template_decode(r->body, 1, &name,
			                                     &e);
			memset(&v, 0, sizeof(v));
			v.meta = compat_sendgrid_tmpl_template_meta(name);
			sgt_put(r, &v, TMPL_PUT_CREATE, 1);
		} else {
			sgt_read(r, NULL);
		}
		return;
	case OP_LIST:
		if (r->i_name < r->n_names)
			sgt_read(r, r->names[r->i_name]);
		else
			sgt_list_answer(r);
		return;
	case OP_DELETE:
		if (r->stage == 0)
			sgt_remove(r, 0);
		else
			sgt_ok(r, NULL);
		return;
	case OP_VDELETE:
		/* 1: the record activated (or nothing to); then remove. */
		if (r->stage >= 1 && r->i_drop < r->n_drop) {
			r->stage = 1;
			sgt_remove(r, r->drop[r->i_drop++]);
		} else if (r->stage >= 1) {
			sgt_ok(r, NULL);
		} else {
			sgt_read(r, NULL);
		}
		return;
	default:
		/* Read, change, read again. */
		sgt_read(r, NULL);
		return;
	}
}

/* sgt_list_query - the list's query string into r. 0, or -1 with *e. */
static int
sgt_list_query(struct evhttp_request *req, struct sgt_req *r,
               const char **after, struct api_error *e)
{
	const char *qs = strchr(evhttp_request_get_uri(req), '?');
	const char *gen, *size, *token;
	struct evkeyvalq kv;
	char *end;
	long n;
	int rc = 0;

	TAILQ_INIT(&kv);
	*after = NULL;
	if (qs != NULL && evhttp_parse_query_str(qs + 1, &kv) != 0)
		return api_error_set(e, 400, "invalid_field", "",
		                     "the query string is malformed");
	gen = evhttp_find_header(&kv, "generations");
	size = evhttp_find_header(&kv, "page_size");
	token = evhttp_find_header(&kv, "page_token");
	if (size == NULL) {
		rc = api_error_set(e, 400, "missing_field", "page_size",
		                   "page_size is required");
	} else if (n = strtol(size, &end, 10),
	           *end != '\0' || n < 1 || n > SGT_PAGE_MAX) {
		rc = api_error_set(e, 400, "invalid_field", "page_size",
		                   "page_size must be 1..%d", SGT_PAGE_MAX);
	} else if (gen != NULL && strcmp(gen, "legacy") != 0 &&
	           strcmp(gen, "dynamic") != 0 &&
	           strcmp(gen, "legacy,dynamic") != 0 &&
	           strcmp(gen, "dynamic,legacy") != 0) {
		rc = api_error_set(e, 400, "invalid_field", "generations",
		                   "generations must be legacy, dynamic or "
		                   "legacy,dynamic");
	} else if (token != NULL && !compat_sendgrid_tmpl_id_ok(token)) {
		rc = api_error_set(e, 400, "invalid_field", "page_token",
		                   "page_token is not a token of this list");
	} else {
		r->page_size = (size_t)n;
		/* swerve keeps dynamic templates only. */
		r->more = gen == NULL || strcmp(gen, "legacy") == 0 ? -1 : 0;
		if (token != NULL)
			*after = xstrdup(token);
	}
	evhttp_clear_headers(&kv);
	return rc;
}

/* sgt_route - the operation of method m on rest (after /v3/templates),
 * its id and vid into r. 0, or -1 with *e. */
static int
sgt_route(struct sgt_req *r, enum evhttp_cmd_type m, const char *rest,
          struct api_error *e)
{
	char seg[4][80];
	size_t n = 0, len;

	while (*rest == '/' && n < 4) {
		rest++;
		len = strcspn(rest, "/");
		if (len == 0 || len >= sizeof(seg[0]))
			return api_error_set(e, 404, "not_found", "",
			                     "Not found");
		memcpy(seg[n], rest, len);
		seg[n++][len] = '\0';
		rest += len;
	}
	if (*rest != '\0')
		return api_error_set(e, 404, "not_found", "", "Not found");
	if (n >= 1)
		snprintf(r->id, sizeof(r->id), "%.*s", (int)sizeof(r->id) - 1,
		         seg[0]);
	if (n >= 3)
		snprintf(r->vid, sizeof(r->vid), "%.*s",
		         (int)sizeof(r->vid) - 1, seg[2]);
	if (n >= 2 && strcmp(seg[1], "versions") != 0)
		return api_error_set(e, 404, "not_found", "", "Not found");
	if (n == 0 && m == EVHTTP_REQ_POST)
		r->op = OP_CREATE;
	else if (n == 0 && m == EVHTTP_REQ_GET)
		r->op = OP_LIST;
	else if (n == 1 && m == EVHTTP_REQ_GET)
		r->op = OP_GET;
	else if (n == 1 && m == EVHTTP_REQ_PATCH)
		r->op = OP_RENAME;
	else if (n == 1 && m == EVHTTP_REQ_DELETE)
		r->op = OP_DELETE;
	else if (n == 2 && m == EVHTTP_REQ_POST)
		r->op = OP_VCREATE;
	else if (n == 3 && m == EVHTTP_REQ_GET)
		r->op = OP_VGET;
	else if (n == 3 && m == EVHTTP_REQ_PATCH)
		r->op = OP_VEDIT;
	else if (n == 3 && m == EVHTTP_REQ_DELETE)
		r->op = OP_VDELETE;
	else if (n == 4 && m == EVHTTP_REQ_POST &&
	         strcmp(seg[3], "activate") == 0)
		r->op = OP_VACTIVATE;
	else if (n == 4)
		return api_error_set(e, 404, "not_found", "", "Not found");
	else
		return api_error_set(e, 405, "method_not_allowed", "",
		                     "method not allowed");
	/* An id that is not one of ours names no template. */
	if (n >= 1 && !compat_sendgrid_tmpl_id_ok(r->id))
		return api_error_set(e, 404, "not_found", "",
		                     "Template not found");
	if (n >= 3 && strlen(seg[2]) != SGT_VID_SIZE - 1)
		return api_error_set(e, 404, "not_found", "",
		                     "Version not found");
	return 0;
}

/* sgt_body - the request's JSON body checked for op. 0, or -1 with *e. */
static int
sgt_body(struct compat *c, struct evhttp_request *req, struct sgt_req *r,
         struct api_error *e)
{
	struct tmpl_version v;
	const char *name, *body;
	size_t len;
	int active;

	if (r->op != OP_CREATE && r->op != OP_RENAME && r->op != OP_VCREATE &&
	    r->op != OP_VEDIT)
		return 0;
	if ((body = compat_body(c, req, &len, e)) == NULL ||
	    (r->body = compat_json_load(body, len, e)) == NULL)
		return -1;
	/* Checked here so that a bad body changes nothing; a version's
	 * edit is checked again against the version it edits. */
	if (r->op == OP_CREATE || r->op == OP_RENAME)
		return compat_sendgrid_tmpl_template_decode(
		    r->body, r->op == OP_CREATE, &name, e);
	if (r->op == OP_VCREATE) {
		if (compat_sendgrid_tmpl_version_decode(r->body, NULL, "", &v,
		                                        &active, e) < 0)
			return -1;
		tmpl_version_fini(&v);
	}
	return json_is_object(r->body)
	           ? 0
	           : api_error_set(e, 400, "invalid_json", "",
	                           "The request body must be a JSON object");
}

void
compat_sendgrid_tmpl_handle(struct compat *c, struct evhttp_request *req,
                            const char *path)
{
	const struct config_api_key *k;
	struct tmpl_store *s = tmpl_store_active();
	const char *after = NULL;
	struct tmpl_store_query q = {0};
	struct api_error e;
	struct sgt_req *r;

	if ((k = compat_sendgrid_auth(c, req)) == NULL)
		return;
	r = xcalloc(1, sizeof(*r));
	r->s = s;
	r->status = 200;
	snprintf(r->tenant, sizeof(r->tenant), "%s",
	         k->tenant != NULL ? k->tenant : "");
	if (sgt_route(r, evhttp_request_get_command(req),
	              path + strlen(SGT_PREFIX), &e) < 0 ||
	    sgt_body(c, req, r, &e) < 0 ||
	    (r->op == OP_LIST && sgt_list_query(req, r, &after, &e) < 0)) {
		sgt_req_free(r);
		compat_sendgrid_fail(req, &e);
		return;
	}
	if (s == NULL) {
		sgt_req_free(r);
		api_error_set(&e, 503, "unavailable", "",
		              "the template store is not available");
		compat_sendgrid_fail(req, &e);
		free((char *)after);
		return;
	}
	if (r->op == OP_CREATE || r->op == OP_VCREATE)
		r->status = 201;
	if (r->op == OP_DELETE || r->op == OP_VDELETE)
		r->status = 204;
	if (r->op == OP_CREATE)
		compat_sendgrid_tmpl_id_new(r->id);
	http_pending_watch_start(&r->w, req);
	if (r->op != OP_LIST) {
		sgt_step(r);
		return;
	}
	r->result = json_array();
	if (r->more < 0) { /* legacy templates only: none here */
		r->more = 0;
		sgt_list_answer(r);
		free((char *)after);
		return;
	}
	q.tenant = r->tenant;
	q.after = after;
	q.limit = TMPL_STORE_LIST_MAX;
	if (s->be->list(s->impl, &q, sgt_on_rows, r) != 0)
		sgt_status_fail(r, SPOOL_ERR_CLOSED);
	free((char *)after);
}
