/*
 * http_drill.c - the outage drills' admin endpoints. See http_drill.h.
 */
#include "ingress/http_drill.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "config/config.h"
#include "core/buf.h"
#include "core/xmalloc.h"
#include "drill/drill.h"
#include "drill/drill_report.h"
#include "ingress/http_admin.h"
#include "ingress/http_pending.h"
#include "ingress/http_reply.h"

#define DRILL_BODY_MAX 8192

/* A request waiting for the drill controller or the spool. */
struct hd_wait {
	struct http_pending_watch w;
	char format[8];
	int created; /* answer 201 on success (a start) */
};

/* hd_wait_new - watch req. */
static struct hd_wait *
hd_wait_new(struct evhttp_request *req, const char *format)
{
	struct hd_wait *w = xcalloc(1, sizeof(*w));

	http_pending_watch_start(&w->w, req);
	snprintf(w->format, sizeof(w->format), "%s", format ? format : "json");
	return w;
}

/* hd_render - answer req with report j (stolen) in format. */
static void
hd_render(struct evhttp_request *req, int status, json_t *j, const char *format)
{
	struct buf b;
	char err[120];
	const char *ctype = "text/plain; charset=utf-8";

	if (strcmp(format, "json") == 0) {
		http_reply_json(req, status, j, JSON_SORT_KEYS);
		return;
	}
	buf_init(&b);
	if (drill_report_render(j, format, &b, err, sizeof(err)) != 0) {
		json_decref(j);
		buf_fini(&b);
		http_reply_error(req, 400, "bad_query", err);
		return;
	}
	json_decref(j);
	if (strcmp(format, "html") == 0)
		ctype = "text/html; charset=utf-8";
	else if (strcmp(format, "md") == 0)
		ctype = "text/markdown; charset=utf-8";
	evhttp_add_header(evhttp_request_get_output_headers(req),
	                  "Content-Type", ctype);
	evbuffer_add(evhttp_request_get_output_buffer(req), b.p ? b.p : "",
	             b.len);
	evhttp_send_reply(req, status, status == 200 ? "OK" : "Error", NULL);
	buf_fini(&b);
}

/* hd_on_json - the controller's answer for a waiting request. */
static void
hd_on_json(int http, json_t *j, void *arg)
{
	struct hd_wait *w = arg;
	struct evhttp_request *req = http_pending_watch_end(&w->w);

	if (req == NULL) {
		json_decref(j);
	} else if (http == 404) {
		http_reply_error(req, 404, "not_found", "no such drill");
	} else if (j == NULL) {
		http_reply_error(req, 503, "spool_unavailable",
		                 "the spool could not answer; try again");
	} else if (json_is_boolean(json_object_get(j, "ready"))) {
		http_reply_json(
		    req, json_is_true(json_object_get(j, "ready")) ? 200 : 503,
		    j, JSON_PRESERVE_ORDER);
	} else if (json_is_array(j)) {
		http_reply_json(req, 200, json_pack("{s:o}", "drills", j),
		                JSON_SORT_KEYS);
	} else {
		hd_render(req, http, j, w->format);
	}
	free(w);
}

/* hd_on_started - the drill is on (or could not be stored). */
static void
hd_on_started(int status, const json_t *j, void *arg)
{
	struct hd_wait *w = arg;
	struct evhttp_request *req = http_pending_watch_end(&w->w);

	if (req != NULL && status == 0)
		http_reply_json(req, 201, json_deep_copy(j), JSON_SORT_KEYS);
	else if (req != NULL)
		http_reply_error(
		    req, 503, "spool_unavailable",
		    json_string_value(json_object_get(j, "error")));
	free(w);
}

/* hd_query - the query string's pairs into q (cleared by caller). */
static int
hd_query(struct evhttp_request *req, struct evkeyvalq *q)
{
	const char *uri = evhttp_request_get_uri(req), *qs = strchr(uri, '?');

	TAILQ_INIT(q);
	if (qs == NULL)
		return 0;
	if (evhttp_parse_query_str(qs + 1, q) != 0) {
		http_reply_error(req, 400, "bad_query",
		                 "malformed query string");
		return -1;
	}
	return 0;
}

/* hd_start - POST /v1/drills. */
static void
hd_start(struct evhttp_request *req, struct drill_ctl *c)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	json_t *body = NULL, *v;
	json_error_t jerr;
	struct drill_start s;
	struct hd_wait *w;
	char err[600];
	int http = 400;
	uint64_t dur = 0;

	if (len > DRILL_BODY_MAX) {
		http_reply_error(req, 413, "too_large",
		                 "the body is too large");
		return;
	}
	body = json_loadb((const char *)evbuffer_pullup(in, (ssize_t)len), len,
	                  0, &jerr);
	if (!json_is_object(body)) {
		json_decref(body);
		http_reply_error(req, 400, "bad_json",
		                 "expected a JSON object: {\"provider\", "
		                 "\"fault\", ...}");
		return;
	}
	memset(&s, 0, sizeof(s));
	s.provider = json_string_value(json_object_get(body, "provider"));
	s.fault = json_string_value(json_object_get(body, "fault"));
	s.stream = json_string_value(json_object_get(body, "stream"));
	v = json_object_get(body, "share");
	if (v != NULL && !json_is_number(v)) {
		json_decref(body);
		http_reply_error(req, 400, "bad_request",
		                 "share: expected a number from 0 to 1");
		return;
	}
	s.share = v ? json_number_value(v) : 0;
	v = json_object_get(body, "duration");
	if (v != NULL &&
	    (!json_is_string(v) ||
	     config_parse_duration(json_string_value(v), &dur) != 0 ||
	     dur < 1000)) {
		json_decref(body);
		http_reply_error(req, 400, "bad_request",
		                 "duration: expected a duration of at least 1s "
		                 "(\"5m\")");
		return;
	}
	s.duration_ms = dur;
	s.force = json_is_true(json_object_get(body, "force"));
	s.by = json_string_value(json_object_get(body, "by"));
	if (s.by == NULL)
		s.by = "admin api";
	if (s.provider == NULL || s.fault == NULL) {
		json_decref(body);
		http_reply_error(req, 400, "bad_request",
		                 "provider and fault are required");
		return;
	}
	w = hd_wait_new(req, "json");
	if (drill_ctl_start(c, &s, hd_on_started, w, &http, err, sizeof(err)) !=
	    0) {
		http_pending_watch_end(&w->w);
		free(w);
		http_reply_error(req, http,
		                 http == 409 ? "refused" : "bad_request", err);
	}
	json_decref(body);
}

/* hd_preflight - GET /v1/drills/preflight. */
static void
hd_preflight(struct evhttp_request *req, struct drill_ctl *c)
{
	struct evkeyvalq q;
	struct hd_wait *w;
	const char *test;
	char err[300];
	int http = 400;

	if (hd_query(req, &q) != 0)
		return;
	test = evhttp_find_header(&q, "test_alerts");
	w = hd_wait_new(req, "json");
	if (drill_ctl_preflight(c, evhttp_find_header(&q, "provider"),
	                        evhttp_find_header(&q, "stream"),
	                        test != NULL && strcmp(test, "0") != 0,
	                        hd_on_json, w, &http, err, sizeof(err)) != 0) {
		http_pending_watch_end(&w->w);
		free(w);
		http_reply_error(req, http,
		                 http == 409 ? "busy" : "bad_request", err);
	}
	evhttp_clear_headers(&q);
}

/* hd_handle - every drill route. */
static void
hd_handle(struct evhttp_request *req, void *arg)
{
	struct drill_ctl *c = arg;
	const char *uri = evhttp_request_get_uri(req);
	size_t plen = strcspn(uri, "?");
	bool post = evhttp_request_get_command(req) == EVHTTP_REQ_POST;
	char path[256], err[300];

	if (plen >= sizeof(path)) {
		http_reply_error(req, 404, "not_found", "no such drill");
		return;
	}
	memcpy(path, uri, plen);
	path[plen] = '\0';
	if (strcmp(path, "/v1/drills") == 0 && post) {
		hd_start(req, c);
	} else if (strcmp(path, "/v1/drills") == 0) {
		http_reply_json(req, 200, drill_ctl_status(c), JSON_SORT_KEYS);
	} else if (strcmp(path, "/v1/drills/abort") == 0) {
		if (drill_ctl_abort(c, "the admin api", err, sizeof(err)) != 0)
			http_reply_error(req, 409, "no_drill", err);
		else
			http_reply_json(req, 200,
			                json_pack("{s:b}", "aborted", 1), 0);
	} else if (strcmp(path, "/v1/drills/preflight") == 0) {
		hd_preflight(req, c);
	} else {
		struct evkeyvalq q;
		const char *fmt, *lim;
		struct hd_wait *w;
		bool history = strcmp(path, "/v1/drills/history") == 0;
		long limit;
		int rc;
		if (hd_query(req, &q) != 0)
			return;
		fmt = evhttp_find_header(&q, "format");
		lim = evhttp_find_header(&q, "limit");
		limit = lim ? strtol(lim, NULL, 10) : 50;
		if (limit <= 0 || limit > 1000)
			limit = 50;
		w = hd_wait_new(req, fmt);
		evhttp_clear_headers(&q);
		rc = history
		         ? drill_ctl_history(c, (size_t)limit, hd_on_json, w)
		         : drill_ctl_report(c, path + strlen("/v1/drills/"),
		                            hd_on_json, w);
		if (rc != 0) {
			http_pending_watch_end(&w->w);
			free(w);
			http_reply_error(req, 503, "spool_unavailable",
			                 "the spool is closed");
		}
	}
}

void
http_drill_register(struct http_admin *h, struct drill_ctl *c)
{
	http_admin_route_set(h, HTTP_ROUTE_DRILLS, hd_handle, c);
}
