/*
 * compat_mailgun_tmpl.c - Mailgun's /v3/{domain}/templates on the
 * template store (compat_mailgun_tmpl.h): the HTTP side.
 *
 *   POST   /v3/D/templates                    create (name, description,
 *                                             template, tag, engine, comment)
 *   GET    /v3/D/templates?limit=&p=          list
 *   GET    /v3/D/templates/N[?active=yes]     read
 *   PUT    /v3/D/templates/N                  description
 *   DELETE /v3/D/templates/N                  delete
 *   POST   /v3/D/templates/N/versions         new version (template, tag,
 *                                             engine, comment, active)
 *   GET    /v3/D/templates/N/versions         its versions
 *   GET    /v3/D/templates/N/versions/T       one
 *   PUT    /v3/D/templates/N/versions/T       edit (template, comment, active)
 *   DELETE /v3/D/templates/N/versions/T       delete one
 *
 * Each request reads the template's rows, makes its change and (where
 * the answer shows the template) reads them again; the answer is sent
 * after the last change is durable. A refused request changes nothing.
 * Errors are Mailgun's {"message"} with 400, 401, 404.
 */
#include "ingress/compat_mailgun_tmpl.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "core/xmalloc.h"
#include "ingress/compat.h"
#include "ingress/http_pending.h"
#include "mime/form.h"

enum mgt_op {
	OP_CREATE,
	OP_LIST,
	OP_GET,
	OP_UPDATE,
	OP_DELETE,
	OP_VCREATE,
	OP_VLIST,
	OP_VGET,
	OP_VEDIT,
	OP_VDELETE,
};

/* The form's members a request may carry. */
enum { F_NAME, F_DESC, F_TEMPLATE, F_TAG, F_ENGINE, F_COMMENT, F_ACTIVE, F_N };

struct mgt_req {
	struct http_pending_watch w;
	struct tmpl_store *s;
	enum mgt_op op;
	int stage;
	char tenant[TMPL_STORE_TENANT_MAX];
	char name[TMPL_STORE_NAME_MAX];
	char tag[MGT_TAG_MAX + 1];
	char *f[F_N]; /* the form's values (owned), NULL: absent */
	int active_yes, with_active;
	int *drop;
	size_t n_drop, i_drop;
	size_t limit;
	char after[TMPL_STORE_NAME_MAX];
	char domain[256];
};

static void mgt_step(struct mgt_req *r);

static void
mgt_fail_req(struct evhttp_request *req, const struct api_error *e)
{
	struct compat_answer a;

	compat_mailgun_error_render(e, &a);
	compat_answer_send(req, &a);
}

static void
mgt_free(struct mgt_req *r)
{
	int i;

	for (i = 0; i < F_N; i++)
		free(r->f[i]);
	free(r->drop);
	free(r);
}

/* mgt_end - answer o (stolen; NULL: e) and free r. */
static void
mgt_end(struct mgt_req *r, json_t *o, const struct api_error *e)
{
	struct evhttp_request *req = http_pending_watch_end(&r->w);

	if (req != NULL && o != NULL)
		compat_reply_json(req, 200, json_incref(o));
	else if (req != NULL)
		mgt_fail_req(req, e);
	json_decref(o);
	mgt_free(r);
}

static void
mgt_status_end(struct mgt_req *r, int status)
{
	struct api_error e;

	if (status == SPOOL_ERR_NOTFOUND)
		api_error_set(&e, 404, "not_found", "",
		              r->tag[0] != '\0' && r->op >= OP_VGET
		                  ? "template version not found"
		                  : "template not found");
	else if (status == SPOOL_ERR_CONFLICT)
		api_error_set(&e, 400, "conflict", "name",
		              "template with name '%.80s' already exists",
		              r->name);
	else
		api_error_set(&e, 503, "unavailable", "",
		              "the template store is not available");
	mgt_end(r, NULL, &e);
}

static void mgt_on_rows(int status, const struct tmpl_version *v, size_t n,
                        void *arg);

static void
mgt_on_done(int status, int version, void *arg)
{
	struct mgt_req *r = arg;

	(void)version;
	if (status != SPOOL_OK) {
		mgt_status_end(r, status);
		return;
	}
	r->stage++;
	mgt_step(r);
}

static void
mgt_read(struct mgt_req *r)
{
	struct tmpl_store_query q = {.tenant = r->tenant,
	                             .name = r->name,
	                             .version = 0,
	                             .limit = TMPL_STORE_LIST_MAX,
	                             .bodies = 1};

	if (r->s->be->list(r->s->impl, &q, mgt_on_rows, r) != 0)
		mgt_status_end(r, SPOOL_ERR_CLOSED);
}

/* mgt_put - store v (taken). */
static void
mgt_put(struct mgt_req *r, struct tmpl_version *v, enum tmpl_put_mode mode,
        int activate)
{
	struct tmpl_store_entry *ent;
	struct tmpl_error err;
	enum tmpl_part bad;

	snprintf(v->tenant, sizeof(v->tenant), "%s", r->tenant);
	snprintf(v->name, sizeof(v->name), "%s", r->name);
	ent = tmpl_store_entry_new(v, &bad, &err);
	tmpl_version_fini(v);
	if (ent == NULL ||
	    r->s->be->put(r->s->impl, ent, mode, activate, mgt_on_done, r) != 0)
		mgt_status_end(r, SPOOL_ERR_CLOSED);
}

/* mgt_paging - Mailgun's paging URLs (whole URLs: clients parse them)
 * for the list at /v3/D/templates[/N]sub; next starts after p. */
static json_t *
mgt_paging(const struct mgt_req *r, const char *sub, const char *p)
{
	static const char *const pages[] = {"first", "last", "next",
	                                    "previous"};
	json_t *o = json_object();
	char *ep = evhttp_encode_uri(p);
	char url[1024];
	size_t i;

	for (i = 0; i < 4; i++) {
		snprintf(url, sizeof(url),
		         "https://api.mailgun.net/v3/%s/templates%s%s%s"
		         "?limit=%zu&page=%s%s%s",
		         r->domain, sub[0] != '\0' ? "/" : "",
		         sub[0] != '\0' ? r->name : "", sub, r->limit, pages[i],
		         i == 2 ? "&p=" : "", i == 2 ? ep : "");
		json_object_set_new(o, pages[i], json_string(url));
	}
	free(ep);
	return o;
}

/* mgt_answer - what a request answers from the rows read last. */
static void
mgt_answer(struct mgt_req *r, const struct compat_mailgun_tmpl_model *m)
{
	const struct compat_mailgun_tmpl_ver *v = NULL;
	struct api_error e;
	json_t *o = NULL;
	size_t i;

	if (r->tag[0] != '\0' &&
	    (v = compat_mailgun_tmpl_model_find(m, r->tag)) == NULL) {
		api_error_set(&e, 404, "not_found", "",
		              "template version not found");
		mgt_end(r, NULL, &e);
		return;
	}
	switch (r->op) {
	case OP_CREATE:
		o = json_pack("{s:s,s:o}", "message",
		              "template has been stored", "template",
		              compat_mailgun_tmpl_json(
		                  m, m->nv > 0 ? &m->v[0] : NULL, 0, 0));
		break;
	case OP_GET:
		for (i = 0; r->with_active && i < m->nv; i++)
			if (m->rows[m->v[i].row].active)
				v = &m->v[i];
		o = json_pack("{s:o}", "template",
		              compat_mailgun_tmpl_json(m, v, 1, 0));
		break;
	case OP_VCREATE:
		o = json_pack("{s:s,s:o}", "message",
		              "new version of the template has been stored",
		              "template", compat_mailgun_tmpl_json(m, v, 0, 0));
		break;
	case OP_VLIST:
		o = json_pack("{s:o,s:o}", "template",
		              compat_mailgun_tmpl_json(m, NULL, 0, 1), "paging",
		              mgt_paging(r, "/versions", ""));
		break;
	case OP_VGET:
		o = json_pack("{s:o}", "template",
		              compat_mailgun_tmpl_json(m, v, 1, 0));
		break;
	default:
		break;
	}
	mgt_end(r, o, NULL);
}

/* mgt_change - the first read: decide and make the change. */
static void
mgt_change(struct mgt_req *r, const struct tmpl_version *rows, size_t n)
{
	struct compat_mailgun_tmpl_model m;
	const struct compat_mailgun_tmpl_ver *v;
	struct tmpl_version nv;
	struct api_error e;
	int has_active = 0;
	size_t i;

	compat_mailgun_tmpl_model_build(rows, n, &m);
	for (i = 0; i < m.nv; i++)
		has_active |= rows[m.v[i].row].active;
	v = r->tag[0] != '\0' ? compat_mailgun_tmpl_model_find(&m, r->tag)
	                      : NULL;
	memset(&nv, 0, sizeof(nv));
	if ((r->op == OP_VEDIT || r->op == OP_VDELETE || r->op == OP_VGET) &&
	    v == NULL) {
		api_error_set(&e, 404, "not_found", "",
		              "template version not found");
		goto fail;
	}
	switch (r->op) {
	case OP_UPDATE:
		/* The active row carries the description (a list reads only
		 * active rows): a copy of the active version with it, or a
		 * new record when no version is active. */
		for (i = 0; i < m.nv && !rows[m.v[i].row].active; i++)
			;
		if (i < m.nv) {
			const struct tmpl_version *a = &rows[m.v[i].row];

			if (compat_mailgun_tmpl_version(NULL, m.v[i].tag, NULL,
			                                NULL, r->f[F_DESC], a,
			                                &nv, &e) < 0)
				goto fail;
		} else {
			nv.meta = compat_mailgun_tmpl_record_meta(r->f[F_DESC]);
		}
		compat_mailgun_tmpl_model_fini(&m);
		mgt_put(r, &nv, TMPL_PUT_UPDATE, 1);
		return;
	case OP_VCREATE:
		if (v != NULL) {
			api_error_set(&e, 400, "invalid_field", "tag",
			              "version with tag '%.80s' already exists",
			              r->tag);
			goto fail;
		}
		if (compat_mailgun_tmpl_version(
		        r->f[F_TEMPLATE], r->tag, r->f[F_COMMENT],
		        r->f[F_ENGINE], m.description, NULL, &nv, &e) < 0)
			goto fail;
		compat_mailgun_tmpl_model_fini(&m);
		mgt_put(r, &nv, TMPL_PUT_UPDATE, r->active_yes || !has_active);
		return;
	case OP_VEDIT:
		i = rows[v->row].active;
		if (compat_mailgun_tmpl_version(r->f[F_TEMPLATE], r->tag,
		                                r->f[F_COMMENT], NULL, NULL,
		                                &rows[v->row], &nv, &e) < 0)
			goto fail;
		compat_mailgun_tmpl_model_fini(&m);
		mgt_put(r, &nv, TMPL_PUT_UPDATE, i || r->active_yes);
		return;
	case OP_VDELETE:
		for (i = 0; i < n; i++) {
			struct compat_mailgun_tmpl_model one;

			compat_mailgun_tmpl_model_build(&rows[i], 1, &one);
			if (one.nv == 1 && strcmp(one.v[0].tag, r->tag) == 0) {
				r->drop = xreallocarray(r->drop, r->n_drop + 1,
				                        sizeof(*r->drop));
				r->drop[r->n_drop++] = rows[i].version;
			}
			compat_mailgun_tmpl_model_fini(&one);
		}
		if (rows[v->row].active && m.last_record == n) {
			api_error_set(&e, 400, "invalid_field", "tag",
			              "the active version cannot be deleted: "
			              "activate another version first");
			goto fail;
		}
		if (rows[v->row].active) {
			i = rows[m.last_record].version;
			compat_mailgun_tmpl_model_fini(&m);
			if (r->s->be->activate(r->s->impl, r->tenant, r->name,
			                       (int)i, mgt_on_done, r) != 0)
				mgt_status_end(r, SPOOL_ERR_CLOSED);
			return;
		}
		compat_mailgun_tmpl_model_fini(&m);
		r->stage++;
		mgt_step(r);
		return;
	default:
		mgt_answer(r, &m);
		compat_mailgun_tmpl_model_fini(&m);
		return;
	}
fail:
	compat_mailgun_tmpl_model_fini(&m);
	mgt_end(r, NULL, &e);
}

/* mgt_list_rows - the list page. */
static void
mgt_list_rows(int status, const struct tmpl_version *v, size_t n, void *arg)
{
	struct mgt_req *r = arg;
	struct compat_mailgun_tmpl_model m;
	json_t *items = json_array(), *o, *t;
	size_t i;

	if (status != SPOOL_OK) {
		json_decref(items);
		mgt_status_end(r, status);
		return;
	}
	for (i = 0; i < n && json_array_size(items) < r->limit; i++) {
		compat_mailgun_tmpl_model_build(&v[i], 1, &m);
		/* Another ESP's templates are not Mailgun's. */
		if (m.nv == 1 || m.last_record == 0) {
			t = compat_mailgun_tmpl_json(&m, NULL, 0, 0);
			json_array_append_new(items, t);
		}
		compat_mailgun_tmpl_model_fini(&m);
	}
	o = json_pack("{s:o,s:o}", "items", items, "paging",
	              mgt_paging(r, "", i > 0 ? v[i - 1].name : ""));
	mgt_end(r, o, NULL);
}

static void
mgt_on_rows(int status, const struct tmpl_version *v, size_t n, void *arg)
{
	struct mgt_req *r = arg;
	struct compat_mailgun_tmpl_model m;

	if (status != SPOOL_OK) {
		mgt_status_end(r, status);
		return;
	}
	if (r->stage == 0) {
		mgt_change(r, v, n);
		return;
	}
	compat_mailgun_tmpl_model_build(v, n, &m);
	mgt_answer(r, &m);
	compat_mailgun_tmpl_model_fini(&m);
}

/* mgt_name_json - {"message", "template": {"name"[, "version":
 * {"tag"}]}}. */
static json_t *
mgt_name_json(const struct mgt_req *r, const char *message)
{
	json_t *t = json_pack("{s:s}", "name", r->name);

	if (r->tag[0] != '\0')
		json_object_set_new(t, "version",
		                    json_pack("{s:s}", "tag", r->tag));
	return json_pack("{s:s,s:o}", "message", message, "template", t);
}

static void
mgt_step(struct mgt_req *r)
{
	struct tmpl_store_query q = {0};
	struct tmpl_version v;
	struct api_error e;

	switch (r->op) {
	case OP_CREATE:
		if (r->stage == 0) {
			memset(&v, 0, sizeof(v));
			if (r->f[F_TEMPLATE] == NULL) {
				v.meta = compat_mailgun_tmpl_record_meta(
				    r->f[F_DESC]);
			} else if (compat_mailgun_tmpl_version(
			               r->f[F_TEMPLATE],
			               r->f[F_TAG] != NULL ? r->f[F_TAG]
			                                   : "initial",
			               r->f[F_COMMENT], r->f[F_ENGINE],
			               r->f[F_DESC] != NULL ? r->f[F_DESC] : "",
			               NULL, &v, &e) < 0) {
				mgt_end(r, NULL, &e);
				return;
			}
			mgt_put(r, &v, TMPL_PUT_CREATE, 1);
		} else {
			mgt_read(r);
		}
		return;
	case OP_LIST:
		q.tenant = r->tenant;
		q.after = r->after;
		q.limit = TMPL_STORE_LIST_MAX;
		if (r->s->be->list(r->s->impl, &q, mgt_list_rows, r) != 0)
			mgt_status_end(r, SPOOL_ERR_CLOSED);
		return;
	case OP_DELETE:
		if (r->stage == 0) {
			if (r->s->be->remove(r->s->impl, r->tenant, r->name, 0,
			                     mgt_on_done, r) != 0)
				mgt_status_end(r, SPOOL_ERR_CLOSED);
		} else {
			mgt_end(r,
			        mgt_name_json(r, "template has been deleted"),
			        NULL);
		}
		return;
	case OP_UPDATE:
		if (r->stage == 0)
			mgt_read(r);
		else
			mgt_end(r,
			        mgt_name_json(r, "template has been updated"),
			        NULL);
		return;
	case OP_VEDIT:
		if (r->stage == 0)
			mgt_read(r);
		else
			mgt_end(r, mgt_name_json(r, "version has been updated"),
			        NULL);
		return;
	case OP_VDELETE:
		if (r->stage == 0) {
			mgt_read(r);
		} else if (r->i_drop < r->n_drop) {
			if (r->s->be->remove(r->s->impl, r->tenant, r->name,
			                     r->drop[r->i_drop++], mgt_on_done,
			                     r) != 0)
				mgt_status_end(r, SPOOL_ERR_CLOSED);
		} else {
			mgt_end(r, mgt_name_json(r, "version has been deleted"),
			        NULL);
		}
		return;
	default:
		mgt_read(r);
		return;
	}
}

/* mgt_route - method m on path: op, name and tag into r. */
static int
mgt_route(struct mgt_req *r, enum evhttp_cmd_type m, const char *path,
          struct api_error *e)
{
	const char *d = path + 4, *rest = strchr(d, '/') + strlen("/templates");
	char seg[3][TMPL_STORE_NAME_MAX];
	size_t n = 0, len, i;

	snprintf(r->domain, sizeof(r->domain), "%.*s",
	         (int)(strchr(d, '/') - d) < 255 ? (int)(strchr(d, '/') - d)
	                                         : 255,
	         d);
	while (*rest == '/' && n < 3) {
		rest++;
		len = strcspn(rest, "/");
		if (len == 0 || len >= sizeof(seg[0]))
			return api_error_set(e, 404, "not_found", "",
			                     "Not Found");
		memcpy(seg[n], rest, len);
		seg[n++][len] = '\0';
		rest += len;
	}
	if (*rest != '\0' || (n >= 2 && strcmp(seg[1], "versions") != 0))
		return api_error_set(e, 404, "not_found", "", "Not Found");
	if (n >= 1) {
		for (i = 0; seg[0][i] != '\0'; i++)
			seg[0][i] = (char)tolower((unsigned char)seg[0][i]);
		if (!tmpl_store_name_ok(seg[0]))
			return api_error_set(e, 404, "not_found", "",
			                     "template not found");
		snprintf(r->name, sizeof(r->name), "%s", seg[0]);
	}
	if (n == 3)
		snprintf(r->tag, sizeof(r->tag), "%.*s", MGT_TAG_MAX, seg[2]);
	static const struct {
		size_t n;
		enum evhttp_cmd_type m;
		enum mgt_op op;
	} ops[] = {
	    {0, EVHTTP_REQ_POST, OP_CREATE},
	    {0, EVHTTP_REQ_GET, OP_LIST},
	    {1, EVHTTP_REQ_GET, OP_GET},
	    {1, EVHTTP_REQ_PUT, OP_UPDATE},
	    {1, EVHTTP_REQ_DELETE, OP_DELETE},
	    {2, EVHTTP_REQ_POST, OP_VCREATE},
	    {2, EVHTTP_REQ_GET, OP_VLIST},
	    {3, EVHTTP_REQ_GET, OP_VGET},
	    {3, EVHTTP_REQ_PUT, OP_VEDIT},
	    {3, EVHTTP_REQ_DELETE, OP_VDELETE},
	};
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (ops[i].n == n && ops[i].m == m) {
			r->op = ops[i].op;
			return 0;
		}
	return api_error_set(e, 405, "method_not_allowed", "",
	                     "Method Not Allowed");
}

/* mgt_fields - the form's members into r->f. */
static int
mgt_fields(struct compat *c, struct evhttp_request *req, struct mgt_req *r,
           struct api_error *e)
{
	static const char *const names[F_N] = {
	    "name",   "description", "template", "tag",
	    "engine", "comment",     "active"};
	const struct form_field *f;
	json_t *t = NULL;
	char *copy = NULL;
	struct form fm;
	int i, rc = 0;

	form_init(&fm);
	if (compat_mailgun_form(c, req, &fm, &copy, e) < 0) {
		form_fini(&fm);
		free(copy);
		return -1;
	}
	for (i = 0; i < F_N && rc == 0; i++) {
		if ((f = form_field_get(&fm, names[i])) == NULL)
			continue;
		if (memchr(f->value.p, '\0', f->value.len) != NULL)
			rc = api_error_set(e, 400, "invalid_field", names[i],
			                   "%s: NUL is not allowed", names[i]);
		else
			r->f[i] = xstrndup(f->value.p, f->value.len);
		if (r->f[i] != NULL && (t = json_string(r->f[i])) == NULL)
			rc = api_error_set(e, 400, "invalid_field", names[i],
			                   "%s must be UTF-8", names[i]);
		json_decref(t);
		t = NULL;
	}
	form_fini(&fm);
	free(copy);
	return rc;
}

/* mgt_check - the request's members, before anything changes. */
static int
mgt_check(struct mgt_req *r, struct api_error *e)
{
	struct tmpl_version v;
	size_t i;

	if (r->f[F_ACTIVE] != NULL) {
		if (strcmp(r->f[F_ACTIVE], "yes") != 0 &&
		    strcmp(r->f[F_ACTIVE], "no") != 0)
			return api_error_set(e, 400, "invalid_field", "active",
			                     "active: yes or no");
		r->active_yes = strcmp(r->f[F_ACTIVE], "yes") == 0;
	}
	if (r->op == OP_CREATE) {
		if (r->f[F_NAME] == NULL || r->f[F_NAME][0] == '\0')
			return api_error_set(e, 400, "missing_field", "name",
			                     "Missing mandatory parameter: "
			                     "name");
		for (i = 0; r->f[F_NAME][i] != '\0'; i++)
			r->f[F_NAME][i] =
			    (char)tolower((unsigned char)r->f[F_NAME][i]);
		if (!tmpl_store_name_ok(r->f[F_NAME]))
			return api_error_set(e, 400, "invalid_field", "name",
			                     "name: letters, digits, '_', '-' "
			                     "or '.', at most 128");
		snprintf(r->name, sizeof(r->name), "%s", r->f[F_NAME]);
		if (r->f[F_TEMPLATE] != NULL &&
		    compat_mailgun_tmpl_version(
		        r->f[F_TEMPLATE],
		        r->f[F_TAG] != NULL ? r->f[F_TAG] : "initial",
		        r->f[F_COMMENT], r->f[F_ENGINE], NULL, NULL, &v, e) < 0)
			return -1;
		if (r->f[F_TEMPLATE] != NULL)
			tmpl_version_fini(&v);
	}
	if (r->op == OP_UPDATE && r->f[F_DESC] == NULL)
		return api_error_set(e, 400, "missing_field", "description",
		                     "Missing mandatory parameter: "
		                     "description");
	if (r->op == OP_VCREATE) {
		if (r->f[F_TAG] == NULL)
			return api_error_set(
			    e, 400, "missing_field", "tag",
			    "Missing mandatory parameter: tag");
		snprintf(r->tag, sizeof(r->tag), "%.*s", MGT_TAG_MAX,
		         r->f[F_TAG]);
		if (compat_mailgun_tmpl_version(r->f[F_TEMPLATE], r->f[F_TAG],
		                                r->f[F_COMMENT], r->f[F_ENGINE],
		                                NULL, NULL, &v, e) < 0)
			return -1;
		tmpl_version_fini(&v);
	}
	return 0;
}

/* mgt_query - ?limit, ?p (list), ?active (read). */
static int
mgt_query(struct evhttp_request *req, struct mgt_req *r, struct api_error *e)
{
	const char *qs = strchr(evhttp_request_get_uri(req), '?');
	const char *limit, *p, *active;
	struct evkeyvalq kv;
	char *end;
	long n;
	int rc = 0;

	TAILQ_INIT(&kv);
	r->limit = 10;
	if (qs != NULL && evhttp_parse_query_str(qs + 1, &kv) != 0)
		return api_error_set(e, 400, "invalid_field", "",
		                     "malformed query string");
	limit = evhttp_find_header(&kv, "limit");
	p = evhttp_find_header(&kv, "p");
	active = evhttp_find_header(&kv, "active");
	if (limit != NULL) {
		n = strtol(limit, &end, 10);
		if (*end != '\0' || n < 1 || n > MGT_PAGE_MAX)
			rc = api_error_set(e, 400, "invalid_field", "limit",
			                   "limit: 1..100");
		else
			r->limit = (size_t)n;
	}
	if (p != NULL)
		snprintf(r->after, sizeof(r->after), "%s", p);
	r->with_active = active != NULL && strcmp(active, "yes") == 0;
	evhttp_clear_headers(&kv);
	return rc;
}

void
compat_mailgun_tmpl_handle(struct compat *c, struct evhttp_request *req,
                           const char *path)
{
	enum evhttp_cmd_type m = evhttp_request_get_command(req);
	const struct config_api_key *k;
	struct mgt_req *r;
	struct api_error e;

	if ((k = compat_mailgun_auth(c, req)) == NULL) {
		api_error_set(&e, 401, "unauthorized", "", "Forbidden");
		mgt_fail_req(req, &e);
		return;
	}
	r = xcalloc(1, sizeof(*r));
	r->s = tmpl_store_active();
	snprintf(r->tenant, sizeof(r->tenant), "%s",
	         k->tenant != NULL ? k->tenant : "");
	if (mgt_route(r, m, path, &e) < 0 || mgt_query(req, r, &e) < 0 ||
	    ((m == EVHTTP_REQ_POST || m == EVHTTP_REQ_PUT) &&
	     mgt_fields(c, req, r, &e) < 0) ||
	    mgt_check(r, &e) < 0) {
		mgt_free(r);
		mgt_fail_req(req, &e);
		return;
	}
	if (r->s == NULL) {
		mgt_free(r);
		api_error_set(&e, 503, "unavailable", "",
		              "the template store is not available");
		mgt_fail_req(req, &e);
		return;
	}
	http_pending_watch_start(&r->w, req);
	mgt_step(r);
}
