/*
 * http_readiness.c - GET /v1/readiness (see http_readiness.h).
 */
#include "ingress/http_readiness.h"

#include <event2/http.h>
#include <jansson.h>

#include "core/clock.h"
#include "ingress/http_admin.h"
#include "ingress/http_reply.h"
#include "readiness/readiness.h"

/* readiness_handle - GET /v1/readiness. */
static void
readiness_handle(struct evhttp_request *req, void *arg)
{
	struct readiness *r = arg;
	int64_t since =
	    clock_wall_ms() - (int64_t)READINESS_SEEN_DAYS * 86400 * 1000;
	json_t *j = readiness_json(r, since);

	if (j == NULL) {
		http_reply_error(req, 500, "internal", "out of memory");
		return;
	}
	http_reply_json(req, 200, j, 0);
}

void
http_readiness_register(struct http_admin *h, struct readiness *r)
{
	http_admin_route_set(h, HTTP_ROUTE_READINESS, readiness_handle, r);
}
