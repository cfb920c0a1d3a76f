/*
 * compat_ses_tmpl_v1.c - SES API v1's template actions on the template
 * store (compat_ses_tmpl.h), answered in awsQuery XML:
 *   CreateTemplate, UpdateTemplate, DeleteTemplate  <XResult/>
 *   GetTemplate        <Template><TemplateName>, SubjectPart, TextPart,
 *                      HtmlPart
 *   ListTemplates      <TemplatesMetadata><member><Name>,
 *                      <CreatedTimestamp>; <NextToken>
 *   TestRenderTemplate <RenderedTemplate>
 *   SendBulkTemplatedEmail  <Status><member><Status>Success</Status>
 *                      <MessageId> | <Error>
 * Errors: TemplateDoesNotExist, AlreadyExists, InvalidTemplate,
 * InvalidRenderingParameter (all 400), as SES.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/http.h>

#include "core/xmalloc.h"
#include "ingress/compat_ses_tmpl.h"
#include "ingress/http_pending.h"
#include "ingress/http_templates.h"

#define SES_XMLNS "http://ses.amazonaws.com/doc/2010-12-01/"

/* v1_ok - 200 <OpResponse><OpResult>inner</OpResult>...; inner may be
 * NULL. */
static void
v1_ok(struct evhttp_request *req, const char *op, const char *inner)
{
	struct compat_answer a;
	char rid[37];

	compat_ses_request_id(rid);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	                  "x-amzn-RequestId", rid);
	a.status = 200;
	a.ctype = "text/xml";
	a.error_type = NULL;
	buf_init(&a.body);
	buf_printf(&a.body, "<%sResponse xmlns=\"%s\">\n  <%sResult>", op,
	           SES_XMLNS, op);
	if (inner != NULL)
		buf_addstr(&a.body, inner);
	buf_printf(&a.body,
	           "</%sResult>\n  <ResponseMetadata>\n    <RequestId>%s"
	           "</RequestId>\n  </ResponseMetadata>\n</%sResponse>\n",
	           op, rid, op);
	compat_answer_send(req, &a);
}

/* v1_elem - <name>escaped s</name> into b. */
static void
v1_elem(struct buf *b, const char *name, const char *s)
{
	buf_printf(b, "<%s>", name);
	compat_ses_xml_escape(b, s);
	buf_printf(b, "</%s>", name);
}

/* A request waiting for the store. */
struct v1_wait {
	struct http_pending_watch w;
	enum compat_ses_action act;
	char name[TMPL_STORE_NAME_MAX];
	size_t limit;
};

static const char *
v1_op(enum compat_ses_action a)
{
	switch (a) {
	case COMPAT_SES_CREATE_TEMPLATE:
		return "CreateTemplate";
	case COMPAT_SES_UPDATE_TEMPLATE:
		return "UpdateTemplate";
	case COMPAT_SES_DELETE_TEMPLATE:
		return "DeleteTemplate";
	case COMPAT_SES_GET_TEMPLATE:
		return "GetTemplate";
	case COMPAT_SES_LIST_TEMPLATES:
		return "ListTemplates";
	case COMPAT_SES_TEST_RENDER_TEMPLATE:
		return "TestRenderTemplate";
	default:
		return "SendBulkTemplatedEmail";
	}
}

static struct v1_wait *
wait_new(struct evhttp_request *req, enum compat_ses_action act,
         const char *name)
{
	struct v1_wait *w = xcalloc(1, sizeof(*w));

	http_pending_watch_start(&w->w, req);
	w->act = act;
	snprintf(w->name, sizeof(w->name), "%s", name);
	return w;
}

static struct evhttp_request *
wait_end(struct v1_wait *w)
{
	struct evhttp_request *req = http_pending_watch_end(&w->w);

	free(w);
	return req;
}

/* v1_status_fail - a store status as SES v1's error. */
static void
v1_status_fail(struct evhttp_request *req, int status, const char *name)
{
	struct api_error e;

	if (status == SPOOL_ERR_NOTFOUND)
		api_error_set(&e, 400, "template_not_found", "",
		              "Template %s does not exist.", name);
	else if (status == SPOOL_ERR_CONFLICT)
		api_error_set(&e, 400, "already_exists", "",
		              "Template %s already exists.", name);
	else
		api_error_set(&e, 503, "unavailable", "",
		              "the template store is not available");
	compat_ses_v1_fail(req, &e);
}

static void
on_done(int status, int version, void *arg)
{
	struct v1_wait *w = arg;
	enum compat_ses_action act = w->act;
	char name[TMPL_STORE_NAME_MAX];
	struct evhttp_request *req;

	(void)version;
	memcpy(name, w->name, sizeof(name));
	if ((req = wait_end(w)) == NULL)
		return;
	if (status != SPOOL_OK)
		v1_status_fail(req, status, name);
	else
		v1_ok(req, v1_op(act), NULL);
}

static void
on_rows(int status, const struct tmpl_version *v, size_t n, void *arg)
{
	static const char *const parts[] = {"SubjectPart", "HtmlPart",
	                                    "TextPart"};
	struct v1_wait *w = arg;
	enum compat_ses_action act = w->act;
	size_t limit = w->limit, i;
	char name[TMPL_STORE_NAME_MAX], ts[40];
	struct evhttp_request *req;
	struct buf b;
	struct tm tm;
	time_t t;
	int p;

	memcpy(name, w->name, sizeof(name));
	if ((req = wait_end(w)) == NULL)
		return;
	if (status != SPOOL_OK) {
		v1_status_fail(req, status, name);
		return;
	}
	buf_init(&b);
	if (act == COMPAT_SES_GET_TEMPLATE) {
		buf_addstr(&b, "\n    <Template>");
		v1_elem(&b, "TemplateName", v[0].name);
		for (p = 0; p < TMPL_PARTS; p++)
			if (v[0].part[p] != NULL)
				v1_elem(&b, parts[p], v[0].part[p]);
		buf_addstr(&b, "</Template>\n  ");
	} else {
		buf_addstr(&b, "\n    <TemplatesMetadata>");
		for (i = 0; i < n; i++) {
			t = (time_t)(v[i].created_ms / 1000);
			gmtime_r(&t, &tm);
			strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
			buf_addstr(&b, "\n      <member>");
			v1_elem(&b, "Name", v[i].name);
			buf_printf(&b,
			           "<CreatedTimestamp>%s.%03dZ</"
			           "CreatedTimestamp></member>",
			           ts, (int)(v[i].created_ms % 1000));
		}
		buf_addstr(&b, "\n    </TemplatesMetadata>");
		if (n == limit && n > 0)
			v1_elem(&b, "NextToken", v[n - 1].name);
		buf_addstr(&b, "\n  ");
	}
	v1_ok(req, v1_op(act), buf_cstr(&b));
	buf_fini(&b);
}

/* v1_put - CreateTemplate / UpdateTemplate. */
static void
v1_put(struct evhttp_request *req, struct tmpl_store *s, const char *tenant,
       struct compat_ses_v1_tmpl *t, enum compat_ses_action act)
{
	struct tmpl_store_entry *ent;
	struct tmpl_version v;
	struct tmpl_error err;
	struct api_error e;
	enum tmpl_part bad;
	struct v1_wait *w;
	int i;

	memset(&v, 0, sizeof(v));
	snprintf(v.tenant, sizeof(v.tenant), "%s", tenant);
	snprintf(v.name, sizeof(v.name), "%s", t->name);
	v.dialect = TMPL_HANDLEBARS;
	for (i = 0; i < TMPL_PARTS; i++)
		v.part[i] = t->part[i];
	ent = tmpl_store_entry_new(&v, &bad, &err);
	if (ent == NULL) {
		api_error_set(&e, 400, "template_syntax", "",
		              "Template %s: %s: line %u, column %u: %s",
		              t->name, tmpl_part_name(bad), err.line, err.col,
		              err.msg);
		compat_ses_v1_fail(req, &e);
		return;
	}
	w = wait_new(req, act, t->name);
	if (s->be->put(s->impl, ent,
	               act == COMPAT_SES_CREATE_TEMPLATE ? TMPL_PUT_CREATE
	                                                 : TMPL_PUT_UPDATE,
	               1, on_done, w) != 0) {
		wait_end(w);
		v1_status_fail(req, SPOOL_ERR_CLOSED, t->name);
	}
}

/* v1_render - TestRenderTemplate with the active version. */
static void
v1_render(struct evhttp_request *req, struct tmpl_store *s, const char *tenant,
          struct compat_ses_v1_tmpl *t)
{
	const struct tmpl_store_entry *ent =
	    s->be->find(s->impl, tenant, t->name);
	struct tmpl_rendered r;
	struct tmpl_error err;
	struct api_error e;
	enum tmpl_part bad;
	struct buf mime, x;

	if (ent == NULL) {
		v1_status_fail(req, SPOOL_ERR_NOTFOUND, t->name);
		return;
	}
	if (tmpl_store_render(ent, t->data, &compat_ses_tmpl_opts, &r, &bad,
	                      &err) != 0) {
		api_error_set(&e, 400, "render_failed", "",
		              "Template %s: %s: line %u, column %u: %s",
		              t->name, tmpl_part_name(bad), err.line, err.col,
		              err.msg);
		compat_ses_v1_fail(req, &e);
		return;
	}
	buf_init(&mime);
	buf_init(&x);
	compat_ses_tmpl_render_mime(&r, &mime);
	tmpl_rendered_fini(&r);
	buf_addstr(&x, "\n    ");
	v1_elem(&x, "RenderedTemplate", buf_cstr(&mime));
	buf_addstr(&x, "\n  ");
	v1_ok(req, "TestRenderTemplate", buf_cstr(&x));
	buf_fini(&mime);
	buf_fini(&x);
}

/* v1_bulk_status - SES v1's BulkEmailStatus for a generic error. */
static const char *
v1_bulk_status(const struct api_error *e)
{
	if (strcmp(e->code, "template_not_found") == 0)
		return "TemplateDoesNotExist";
	if (strcmp(e->code, "render_failed") == 0 ||
	    strcmp(e->code, "invalid_field") == 0 ||
	    strcmp(e->code, "missing_field") == 0)
		return "InvalidParameterValue";
	if (strcmp(e->code, "forbidden") == 0 ||
	    strcmp(e->code, "suppressed") == 0 ||
	    strcmp(e->code, "too_large") == 0)
		return "MessageRejected";
	if (strcmp(e->code, "unavailable") == 0)
		return "TransientFailure";
	return "Failed";
}

static void
bulk_done(struct evhttp_request *req, const struct http_pending_result *res,
          size_t n, void *arg)
{
	struct api_error e;
	struct buf b;
	size_t i;

	(void)arg;
	buf_init(&b);
	buf_addstr(&b, "\n    <Status>");
	for (i = 0; i < n; i++) {
		buf_addstr(&b, "\n      <member>");
		if (!compat_result_failed(&res[i], &e)) {
			buf_addstr(&b, "<Status>Success</Status>");
			v1_elem(&b, "MessageId", res[i].id);
		} else {
			v1_elem(&b, "Status", v1_bulk_status(&e));
			v1_elem(&b, "Error", e.message);
		}
		buf_addstr(&b, "</member>");
	}
	buf_addstr(&b, "\n    </Status>\n  ");
	v1_ok(req, "SendBulkTemplatedEmail", buf_cstr(&b));
	buf_fini(&b);
}

/* v1_bulk - SendBulkTemplatedEmail: one message per destination. */
static void
v1_bulk(struct compat *c, struct evhttp_request *req,
        const struct config_api_key *k, char *copy, size_t len)
{
	struct http_pending_result *pre;
	struct compat_raw_req raw;
	struct spool_msg_new *ms;
	struct api_batch b;
	struct api_error e;
	char *rp = NULL;
	size_t i;

	if (compat_ses_v1_bulk_decode(copy, len, &b, &rp, &e) < 0) {
		compat_ses_v1_fail(req, &e);
		return;
	}
	ms = xcalloc(b.n, sizeof(*ms));
	pre = xcalloc(b.n, sizeof(*pre));
	for (i = 0; i < b.n; i++) {
		memset(&raw, 0, sizeof(raw));
		raw.env_from = rp != NULL ? xstrdup(rp) : NULL;
		if ((compat_ses_tmpl_apply(k, &b.msgs[i], &pre[i].err) < 0 ||
		     compat_ses_prepare(c, req, k, &b.msgs[i], &raw, &ms[i],
		                        &pre[i].err) < 0) &&
		    pre[i].err.http_status == 0)
			pre[i].err.http_status = 400;
		compat_raw_req_fini(&raw);
	}
	compat_submit(c, req, k, ms, pre, b.n, bulk_done, NULL, NULL);
	free(ms);
	free(pre);
	free(rp);
	api_batch_fini(&b);
}

void
compat_ses_tmpl_v1(struct compat *c, struct evhttp_request *req,
                   const struct config_api_key *k, const char *body, size_t len,
                   enum compat_ses_action act)
{
	struct tmpl_store *s = tmpl_store_active();
	const char *tenant = k->tenant != NULL ? k->tenant : "";
	struct tmpl_store_query q = {
	    .tenant = tenant, .version = -1, .limit = 1, .bodies = 1};
	char *copy = xmemdup(body, len + 1);
	struct compat_ses_v1_tmpl t;
	struct api_error e;
	struct v1_wait *w;
	int rc = 0;

	copy[len] = '\0';
	if (s == NULL) {
		v1_status_fail(req, SPOOL_ERR_CLOSED, "");
		free(copy);
		return;
	}
	if (act == COMPAT_SES_SEND_BULK_TEMPLATED_EMAIL) {
		v1_bulk(c, req, k, copy, len);
		free(copy);
		return;
	}
	if (compat_ses_v1_tmpl_decode(copy, len, act, &t, &e) < 0) {
		free(copy);
		compat_ses_v1_fail(req, &e);
		return;
	}
	free(copy);
	switch (act) {
	case COMPAT_SES_CREATE_TEMPLATE:
	case COMPAT_SES_UPDATE_TEMPLATE:
		v1_put(req, s, tenant, &t, act);
		break;
	case COMPAT_SES_TEST_RENDER_TEMPLATE:
		v1_render(req, s, tenant, &t);
		break;
	case COMPAT_SES_DELETE_TEMPLATE:
		w = wait_new(req, act, t.name);
		if ((rc = s->be->remove(s->impl, tenant, t.name, 0, on_done,
		                        w)) != 0)
			wait_end(w);
		break;
	case COMPAT_SES_LIST_TEMPLATES:
		q.limit = t.max_items;
		q.after = t.next;
		q.version = 0;
		w = wait_new(req, act, "");
		w->limit = q.limit;
		if ((rc = s->be->list(s->impl, &q, on_rows, w)) != 0)
			wait_end(w);
		break;
	default: /* GetTemplate */
		q.name = t.name;
		w = wait_new(req, act, t.name);
		if ((rc = s->be->list(s->impl, &q, on_rows, w)) != 0)
			wait_end(w);
		break;
	}
	if (rc != 0)
		v1_status_fail(req, SPOOL_ERR_CLOSED, t.name);
	compat_ses_v1_tmpl_fini(&t);
}
