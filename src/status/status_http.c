/*
 * status_http.c - the public status page on swerved's HTTP listeners,
 * and its export endpoint.
 *
 * Builds the model from live state for every request (status_live.c),
 * renders the one file asked for (status_site.c) and answers it. Knows
 * nothing of formats itself.
 */
#include "status/status_http.h"

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <jansson.h>

#include "config/config.h"
#include "core/clock.h"
#include "core/xmalloc.h"
#include "deliver/deliver.h"
#include "incident/incident.h"
#include "ingress/http_admin.h"
#include "ingress/http_reply.h"
#include "status/status_live.h"
#include "status/status_site.h"
#include "status/status_text.h"

#define STATUS_HTTP_PREFIX "/status"

struct status_http {
	const struct config *cfg;
	struct deliver *deliver;         /* or NULL */
	const struct incidents *incs;    /* or NULL */
	int64_t started_ms;              /* wall clock */
	status_http_drilled_fn *drilled; /* or NULL */
	void *drilled_arg;
	struct status_http_fleet fleet; /* find NULL: no fleet */
};

void
status_http_fleet_set(struct status_http *s, const struct status_http_fleet *f)
{
	if (f != NULL)
		s->fleet = *f;
	else
		memset(&s->fleet, 0, sizeof(s->fleet));
}

/* status_http_fleet_incs - the fleet's records in incs[0..*n) (room for
 * *n + count): followed incidents replaced, others added. */
static void
status_http_fleet_incs(const struct status_http *s, struct incident_info *incs,
                       size_t *n)
{
	const struct status_http_fleet *f = &s->fleet;
	size_t i, j, local = *n, k = f->count(f->arg);
	const struct incident_info *ii;

	for (i = 0; i < local; i++)
		if (incs[i].opened_by != NULL &&
		    (ii = f->find(f->arg, incs[i].id)) != NULL)
			incs[i] = *ii;
	for (i = 0; i < k; i++) {
		ii = f->get(f->arg, i);
		for (j = 0; j < local && ii != NULL; j++)
			if (strcmp(incs[j].id, ii->id) == 0)
				break;
		if (ii != NULL && j == local)
			incs[(*n)++] = *ii;
	}
}

void
status_http_drilled_set(struct status_http *s, status_http_drilled_fn *fn,
                        void *arg)
{
	s->drilled = fn;
	s->drilled_arg = arg;
}

void
status_http_model(const struct status_http *s, struct status_model *m)
{
	struct deliver_provider_info *provs = NULL;
	struct incident_info *incs = NULL;
	unsigned char *drilled = NULL;
	struct status_live_facts f;
	size_t i, n_provs = 0, n_incs = 0;

	memset(&f, 0, sizeof(f));
	f.cfg = s->cfg;
	f.now_ms = clock_wall_ms();
	f.started_ms = s->started_ms;
	if (s->deliver != NULL) {
		n_provs = deliver_provider_count(s->deliver);
		provs = xcalloc(n_provs > 0 ? n_provs : 1, sizeof(*provs));
		for (i = 0; i < n_provs; i++)
			deliver_provider_info(s->deliver, i, &provs[i]);
		f.provs = provs;
		f.n_provs = n_provs;
	}
	if (s->drilled != NULL && s->cfg->n_providers > 0) {
		drilled = xcalloc(s->cfg->n_providers, 1);
		for (i = 0; i < s->cfg->n_providers; i++)
			drilled[i] = s->drilled(s->cfg->providers[i].name,
			                        s->drilled_arg)
			                 ? 1
			                 : 0;
		f.drilled = drilled;
	}
	if (s->incs != NULL) {
		size_t n = incidents_count(s->incs);
		size_t k =
		    s->fleet.find != NULL ? s->fleet.count(s->fleet.arg) : 0;
		incs = xcalloc(n + k > 0 ? n + k : 1, sizeof(*incs));
		for (i = 0; i < n; i++)
			if (incidents_get(s->incs, i, &incs[n_incs]) == 0)
				n_incs++;
		if (s->fleet.find != NULL)
			status_http_fleet_incs(s, incs, &n_incs);
		f.incs = incs;
		f.n_incs = n_incs;
	}
	status_live_build(m, &f);
	free(drilled);
	free(incs);
	free(provs);
}

/* status_http_send - render file f of a fresh model and answer it. */
static void
status_http_send(struct status_http *s, struct evhttp_request *req,
                 const struct status_site_file *f)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *out = evbuffer_new();
	struct status_model m;
	size_t len;
	char *body;

	status_http_model(s, &m);
	body = status_site_render(&m, f, &len);
	status_model_fini(&m);
	evhttp_add_header(h, "Content-Type", f->content_type);
	evhttp_add_header(h, "Cache-Control", "no-cache");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "Access-Control-Allow-Origin", "*");
	if (strncmp(f->content_type, "text/html", 9) == 0) {
		evhttp_add_header(
		    h, "Content-Security-Policy",
		    "default-src 'none'; style-src "
		    "'unsafe-inline'; img-src data:; base-uri 'none'; "
		    "form-action 'none'; frame-ancestors 'none'");
		evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	}
	evbuffer_add(out, body, len);
	free(body);
	evhttp_send_reply(req, 200, "OK", out);
	evbuffer_free(out);
}

/* status_http_path - the request's path ("/" when it has none). */
static const char *
status_http_path(struct evhttp_request *req)
{
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *p = u != NULL ? evhttp_uri_get_path(u) : NULL;

	return p != NULL && p[0] != '\0' ? p : "/";
}

/* status_http_serve - the file at path (relative to the page's root). */
static void
status_http_serve(struct status_http *s, struct evhttp_request *req,
                  const char *path)
{
	const struct status_site_file *f = status_site_find(path);

	if (f == NULL) {
		http_reply_error(req, 404, "not_found",
		                 "no such file on the status page");
		return;
	}
	status_http_send(s, req, f);
}

/* status_http_root - listen.status: the page at the root. */
static void
status_http_root(struct evhttp_request *req, void *arg)
{
	status_http_serve(arg, req, status_http_path(req));
}

/* status_http_prefixed - listen.http: the page under /status/. */
static void
status_http_prefixed(struct evhttp_request *req, void *arg)
{
	struct status_http *s = arg;
	const char *path = status_http_path(req);

	if (!s->cfg->public_status.on_http) {
		http_reply_error(req, 404, "not_found", "no such endpoint");
		return;
	}
	path += strlen(STATUS_HTTP_PREFIX);
	if (path[0] == '\0') {
		/* Relative links need the trailing slash. */
		evhttp_add_header(evhttp_request_get_output_headers(req),
		                  "Location", STATUS_HTTP_PREFIX "/");
		evhttp_send_reply(req, 301, "Moved Permanently", NULL);
		return;
	}
	status_http_serve(s, req, path);
}

/* status_http_export - admin: every file of one model as JSON. */
static void
status_http_export(struct evhttp_request *req, void *arg)
{
	struct status_http *s = arg;
	const struct status_site_file *fs;
	char when[STATUS_TEXT_DATE_SIZE];
	json_t *root = json_object(), *files = json_array();
	struct status_model m;
	size_t n, i;

	status_http_model(s, &m);
	fs = status_site_files(&n);
	for (i = 0; i < n; i++) {
		size_t len;
		char *body = status_site_render(&m, &fs[i], &len);
		json_t *f = json_object();
		json_object_set_new(f, "path", json_string(fs[i].path));
		json_object_set_new(f, "content_type",
		                    json_string(fs[i].content_type));
		json_object_set_new(f, "body", json_stringn(body, len));
		json_array_append_new(files, f);
		free(body);
	}
	status_text_rfc3339(when, m.now_ms);
	status_model_fini(&m);
	json_object_set_new(root, "generated_at", json_string(when));
	json_object_set_new(root, "files", files);
	http_reply_json(req, 200, root, 0);
}

struct status_http *
status_http_new(struct http_admin *h, const struct config *cfg,
                struct deliver *d, const struct incidents *in)
{
	struct status_http *s = xcalloc(1, sizeof(*s));

	s->cfg = cfg;
	s->deliver = d;
	s->incs = in;
	s->started_ms = clock_wall_ms();
	http_admin_route_set(h, HTTP_ROUTE_STATUS_PAGE, status_http_root, s);
	http_admin_route_set(h, HTTP_ROUTE_STATUS_PAGE_HTTP,
	                     status_http_prefixed, s);
	http_admin_route_set(h, HTTP_ROUTE_STATUS_PAGE_EXPORT,
	                     status_http_export, s);
	return s;
}

void
status_http_free(struct status_http *s)
{
	free(s);
}
