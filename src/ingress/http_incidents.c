/*
 * http_incidents.c - the incidents on the admin plane (http_incidents.h).
 *
 * Reads that need the spool (one incident's scope, the report) wait for
 * it through an http_pending_watch, so a client that left gets nothing
 * and costs nothing more.
 */
#include "ingress/http_incidents.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/xmalloc.h"
#include "incident/incident.h"
#include "incident/incident_notice.h"
#include "incident/incident_report.h"
#include "ingress/http_admin.h"
#include "ingress/http_pending.h"
#include "ingress/http_reply.h"
#include "observe/events.h"
#include "spool/spool.h"

/* The route's state. */
struct hinc {
	struct incidents *in;
	const struct incident_audience *aud;
};

/* A read waiting for the spool. */
struct hinc_wait {
	struct incidents *in;
	struct http_pending_watch w;
	char id[INCIDENT_ID_SIZE];
	int report; /* -1: the incident as JSON; else the report's format */
};

/* hinc_summary - one incident for the list. */
static json_t *
hinc_summary(const struct incident_info *ii)
{
	json_t *o = incident_report_json(ii, NULL, clock_wall_ms());

	json_object_set_new(o, "updates_count",
	                    json_integer((json_int_t)ii->n_updates));
	json_object_del(o, "updates");
	return o;
}

/* hinc_list - GET /v1/incidents. */
static void
hinc_list(struct incidents *in, struct evhttp_request *req)
{
	struct incident_info ii;
	json_t *arr = json_array();

	for (size_t i = 0; incidents_get(in, i, &ii) == 0; i++)
		json_array_append_new(arr, hinc_summary(&ii));
	http_reply_json(req, 200,
	                json_pack("{s:o,s:I}", "incidents", arr, "open",
	                          (json_int_t)incidents_open_count(in, -1)),
	                0);
}

/* hinc_answer - the incident (or its report) to req, with scope s (may
 * be NULL). */
static void
hinc_answer(struct evhttp_request *req, const struct incident_info *ii,
            const struct incident_scope *s, int report)
{
	static const char *const types[] = {"text/markdown; charset=utf-8",
	                                    "text/html; charset=utf-8",
	                                    "application/json"};
	struct evbuffer *body;
	struct buf b;

	if (report < 0) {
		http_reply_json(
		    req, 200, incident_report_json(ii, s, clock_wall_ms()), 0);
		return;
	}
	buf_init(&b);
	incident_report_render(ii, s, clock_wall_ms(),
	                       (enum incident_report_format)report, &b);
	body = evbuffer_new();
	evbuffer_add(body, b.p != NULL ? b.p : "", b.len);
	buf_fini(&b);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	                  "Content-Type", types[report]);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	                  "Cache-Control", "no-store");
	evhttp_send_reply(req, 200, "OK", body);
	evbuffer_free(body);
}

/* hinc_on_scope - the scope came: answer if the client is there. */
static void
hinc_on_scope(int status, const struct incident_scope *s, void *arg)
{
	struct hinc_wait *w = arg;
	struct evhttp_request *req = http_pending_watch_end(&w->w);
	struct incident_info ii;

	if (req != NULL && incidents_find(w->in, w->id, &ii) == 0)
		hinc_answer(req, &ii, status == SPOOL_OK ? s : NULL, w->report);
	else if (req != NULL)
		http_reply_error(req, 404, "not_found", "no such incident");
	free(w);
}

/* hinc_get - GET /v1/incidents/ID[/report]. */
static void
hinc_get(struct incidents *in, struct evhttp_request *req, const char *id,
         int report)
{
	struct incident_info ii;
	struct hinc_wait *w;

	if (incidents_find(in, id, &ii) != 0) {
		http_reply_error(req, 404, "not_found", "no such incident");
		return;
	}
	w = xcalloc(1, sizeof(*w));
	w->in = in;
	w->report = report;
	snprintf(w->id, sizeof(w->id), "%s", id);
	http_pending_watch_start(&w->w, req);
	if (incidents_scope(in, id, clock_wall_ms(), hinc_on_scope, w) != 0) {
		/* No spool to read (or closing): the record without scope. */
		req = http_pending_watch_end(&w->w);
		if (req != NULL)
			hinc_answer(req, &ii, NULL, report);
		free(w);
	}
}

/* hinc_body - the request's JSON object, or NULL after a 400. */
static json_t *
hinc_body(struct evhttp_request *req)
{
	struct evbuffer *b = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(b);
	const char *p = (const char *)evbuffer_pullup(b, -1);
	json_t *o = len > 0 ? json_loadb(p, len, JSON_REJECT_DUPLICATES, NULL)
	                    : json_object();

	if (!json_is_object(o)) {
		json_decref(o);
		http_reply_error(req, 400, "invalid_json",
		                 "expected a JSON object");
		return NULL;
	}
	return o;
}

/* hinc_str - member k of o: NULL when absent; *bad when not a string or
 * too long. */
static const char *
hinc_str(json_t *o, const char *k, int *bad)
{
	json_t *v = json_object_get(o, k);

	if (v == NULL || json_is_null(v))
		return NULL;
	if (!json_is_string(v) ||
	    json_string_length(v) > HTTP_INCIDENTS_TEXT_MAX ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		*bad = 1;
		return NULL;
	}
	return json_string_value(v);
}

/* hinc_emit - EVENT_OPERATOR for an accepted change. */
static void
hinc_emit(const char *action, const char *id, const char *who)
{
	struct events_item e = {
	    .kind = EVENT_OPERATOR,
	    .reason = action,
	    .text = id,
	    .state = who,
	};

	events_emit(&e);
}

/* hinc_post - POST /v1/incidents/ID/{notes,update,resolve}. */
static void
hinc_post(struct incidents *in, struct evhttp_request *req, const char *id,
          const char *what)
{
	struct incident_info ii;
	json_t *o, *pub;
	const char *text, *who, *st, *im, *action;
	int bad = 0, rc;

	if (incidents_find(in, id, &ii) != 0) {
		http_reply_error(req, 404, "not_found", "no such incident");
		return;
	}
	if ((o = hinc_body(req)) == NULL)
		return;
	text = hinc_str(o, "text", &bad);
	who = hinc_str(o, "author", &bad);
	st = hinc_str(o, "status", &bad);
	im = hinc_str(o, "impact", &bad);
	pub = json_object_get(o, "public");
	if (who == NULL)
		who = "admin_api";
	if (bad || (pub != NULL && !json_is_boolean(pub))) {
		http_reply_error(req, 400, "invalid_request",
		                 "text, author, status, impact: strings of at "
		                 "most 4096 bytes; public: a boolean");
		json_decref(o);
		return;
	}
	if (strcmp(what, "notes") == 0) {
		action = "incident_note";
		rc = incidents_note(in, id, who, text, json_is_true(pub));
	} else if (strcmp(what, "update") == 0) {
		struct incident_change c = {
		    .status = st ? incident_status_parse(st) : -1,
		    .impact = im ? incident_impact_parse(im) : -1,
		    .text = text,
		    .who = who,
		};

		action = "incident_update";
		rc =
		    (st != NULL && c.status < 0) || (im != NULL && c.impact < 0)
		        ? -1
		        : incidents_update(in, id, &c);
	} else {
		action = "incident_resolve";
		rc = incidents_resolve(in, id, who, text);
	}
	if (rc != 0) {
		http_reply_error(
		    req, 400, "invalid_request",
		    strcmp(what, "notes") == 0
		        ? "text: a non-empty note is needed"
		        : "status: investigating, identified, monitoring or "
		          "resolved; impact: none, minor, major or critical; "
		          "at least one of status, impact, text");
		json_decref(o);
		return;
	}
	hinc_emit(action, id, who);
	json_decref(o);
	(void)incidents_find(in, id, &ii);
	http_reply_json(req, 200,
	                incident_report_json(&ii, NULL, clock_wall_ms()), 0);
}

/* A notice waiting for its scope (and its mail's commit). */
struct hinc_notice {
	struct http_pending_watch w;
	char name[32];
	int fmt, send;
};

/* hinc_on_notice - the notice rendered (and stored): answer. */
static void
hinc_on_notice(int status, const char *subject, const char *body,
               const char *msg_id, void *arg)
{
	struct hinc_notice *n = arg;
	struct evhttp_request *req = http_pending_watch_end(&n->w);
	static const char *const fmts[] = {"text", "html", "slack"};

	if (req != NULL && status == 0)
		http_reply_json(req, 200,
		                json_pack("{s:s,s:s,s:s,s:s,s:b,s:s?}",
		                          "template", n->name, "format",
		                          fmts[n->fmt], "subject", subject,
		                          "body", body, "sent", n->send,
		                          "message_id", msg_id),
		                0);
	else if (req != NULL && status == SPOOL_ERR_NOTFOUND)
		http_reply_error(req, 400, "invalid_request", body);
	else if (req != NULL)
		http_reply_error(req, 503, "spool_error",
		                 "the notice could not be stored");
	free(n);
}

/* hinc_notice - POST /v1/incidents/ID/notices. */
static void
hinc_notice(const struct hinc *h, struct evhttp_request *req, const char *id)
{
	struct hinc_notice *n;
	json_t *o, *send;
	const char *tpl, *fmt, *who;
	char err[256];
	int bad = 0, f;

	if ((o = hinc_body(req)) == NULL)
		return;
	tpl = hinc_str(o, "template", &bad);
	fmt = hinc_str(o, "format", &bad);
	who = hinc_str(o, "author", &bad);
	send = json_object_get(o, "send");
	f = fmt != NULL ? incident_notice_format_parse(fmt) : NOTICE_TEXT;
	if (bad || tpl == NULL || f < 0 ||
	    (send != NULL && !json_is_boolean(send))) {
		json_decref(o);
		http_reply_error(req, 400, "invalid_request",
		                 "template: delays, resolved, internal or "
		                 "status_page; format: text, html or slack; "
		                 "send: a boolean");
		return;
	}
	if (json_is_true(send) && h->aud == NULL) {
		json_decref(o);
		http_reply_error(req, 409, "no_audience",
		                 "set incidents.notices.from and .to to send");
		return;
	}
	n = xcalloc(1, sizeof(*n));
	snprintf(n->name, sizeof(n->name), "%s", tpl);
	n->fmt = f;
	n->send = json_is_true(send);
	http_pending_watch_start(&n->w, req);
	if (incidents_notice(h->in, id, tpl, (enum incident_notice_format)f,
	                     n->send ? h->aud : NULL,
	                     who != NULL ? who : "admin_api", hinc_on_notice, n,
	                     err, sizeof(err)) != 0) {
		req = http_pending_watch_end(&n->w);
		if (req != NULL)
			http_reply_error(
			    req,
			    strcmp(err, "no such incident") == 0 ? 404 : 400,
			    "invalid_request", err);
		free(n);
	} else if (n->send) {
		hinc_emit("incident_notice", id,
		          who != NULL ? who : "admin_api");
	}
	json_decref(o);
}

/* hinc_handle - the route's callback: split the path, dispatch. */
static void
hinc_handle(struct evhttp_request *req, void *arg)
{
	const struct hinc *h = arg;
	struct incidents *in = h->in;
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *path = u ? evhttp_uri_get_path(u) : "";
	const char *query = u ? evhttp_uri_get_query(u) : NULL;
	int post = evhttp_request_get_command(req) == EVHTTP_REQ_POST;
	char id[INCIDENT_ID_SIZE], what[16];
	int n = 0, fmt;
	struct evkeyvalq q;

	if (path == NULL || strcmp(path, "/v1/incidents") == 0) {
		hinc_list(in, req);
		return;
	}
	if (strncmp(path, "/v1/incidents/", 14) != 0 ||
	    (n = (int)strcspn(path + 14, "/")) == 0 ||
	    (size_t)n >= sizeof(id) ||
	    strlen(path + 14 + n) >= sizeof(what) + 1 ||
	    (path[14 + n] == '/' && strchr(path + 15 + n, '/') != NULL)) {
		http_reply_error(req, 404, "not_found", "no such incident");
		return;
	}
	memcpy(id, path + 14, (size_t)n);
	id[n] = '\0';
	snprintf(what, sizeof(what), "%s",
	         path[14 + n] == '/' ? path + 15 + n : "");
	if (!post && what[0] == '\0') {
		hinc_get(in, req, id, -1);
		return;
	}
	if (!post && strcmp(what, "report") == 0) {
		TAILQ_INIT(&q);
		if (query != NULL && evhttp_parse_query_str(query, &q) != 0) {
			http_reply_error(req, 400, "bad_query",
			                 "malformed query string");
			return;
		}
		fmt = evhttp_find_header(&q, "format") == NULL
		          ? INCIDENT_REPORT_MD
		          : incident_report_format_parse(
		                evhttp_find_header(&q, "format"));
		evhttp_clear_headers(&q);
		if (fmt < 0) {
			http_reply_error(req, 400, "bad_query",
			                 "format: md, html or json");
			return;
		}
		hinc_get(in, req, id, fmt);
		return;
	}
	if (post && strcmp(what, "notices") == 0) {
		hinc_notice(h, req, id);
		return;
	}
	if (post &&
	    (strcmp(what, "notes") == 0 || strcmp(what, "update") == 0 ||
	     strcmp(what, "resolve") == 0)) {
		hinc_post(in, req, id, what);
		return;
	}
	http_reply_error(req, 404, "not_found", "no such incident route");
}

void
http_incidents_register(struct http_admin *h, struct incidents *in,
                        const struct incident_audience *aud)
{
	static struct hinc one; /* one admin server per process */

	one = (struct hinc){.in = in, .aud = aud};
	http_admin_route_set(h, HTTP_ROUTE_INCIDENTS, hinc_handle, &one);
}
