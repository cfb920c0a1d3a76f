/*
 * http_readiness.c - GET /v1/readiness and POST /v1/readiness/refresh
 * (see http_readiness.h).
 */
#include "ingress/http_readiness.h"

#include <event2/http.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/xmalloc.h"
#include "ingress/http_admin.h"
#include "ingress/http_reply.h"
#include "readiness/readiness.h"
#include "readiness/readiness_poll.h"

struct http_readiness {
	struct readiness *r;
	struct readiness_poll *poll;
};

/* readiness_handle - GET /v1/readiness, POST /v1/readiness/refresh. */
static void
readiness_handle(struct evhttp_request *req, void *arg)
{
	struct http_readiness *hr = arg;
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *path = u ? evhttp_uri_get_path(u) : "";
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	int64_t since =
	    clock_wall_ms() - (int64_t)READINESS_SEEN_DAYS * 86400 * 1000;
	json_t *j;

	if (path != NULL && strcmp(path, "/v1/readiness/refresh") == 0) {
		if (cmd != EVHTTP_REQ_POST) {
			http_reply_error(req, 405, "method_not_allowed",
			                 "use POST");
			return;
		}
		j = json_pack("{s:I}", "due",
		              (json_int_t)readiness_poll_refresh(hr->poll));
		if (j == NULL) {
			http_reply_error(req, 500, "internal", "out of memory");
			return;
		}
		http_reply_json(req, 200, j, 0);
		return;
	}
	if (cmd != EVHTTP_REQ_GET) {
		http_reply_error(req, 405, "method_not_allowed", "use GET");
		return;
	}
	j = readiness_json(hr->r, since);
	if (j == NULL ||
	    json_object_set_new(
	        j, "checking",
	        json_integer((json_int_t)readiness_poll_busy(hr->poll))) != 0) {
		json_decref(j);
		http_reply_error(req, 500, "internal", "out of memory");
		return;
	}
	http_reply_json(req, 200, j, 0);
}

struct http_readiness *
http_readiness_register(struct http_admin *h, struct readiness *r,
                        struct readiness_poll *poll)
{
	struct http_readiness *hr = xcalloc(1, sizeof(*hr));

	hr->r = r;
	hr->poll = poll;
	http_admin_route_set(h, HTTP_ROUTE_READINESS, readiness_handle, hr);
	return hr;
}

void
http_readiness_free(struct http_readiness *hr)
{
	free(hr);
}
