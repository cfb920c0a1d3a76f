/*
 * http_fleet.c - GET /v1/fleet (see http_fleet.h).
 */
#include "ingress/http_fleet.h"

#include <event2/http.h>

#include "cluster/cluster.h"
#include "ingress/http_access.h"
#include "ingress/http_admin.h"
#include "ingress/http_reply.h"

/* fleet_handle - GET /v1/fleet. */
static void
fleet_handle(struct evhttp_request *req, void *arg)
{
	struct cluster *c = arg;

	if (c == NULL) {
		http_reply_error(req, 404, "not_clustered",
		                 "this node runs alone (no cluster: in its "
		                 "configuration)");
		return;
	}
	http_reply_json(req, 200, cluster_fleet_json(c), 0);
}

void
http_fleet_register(struct http_admin *h, struct cluster *c)
{
	http_admin_route_set(h, HTTP_ROUTE_FLEET, fleet_handle, c);
}
