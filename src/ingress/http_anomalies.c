/*
 * http_anomalies.c - GET /v1/anomalies (see http_anomalies.h).
 */
#include "ingress/http_anomalies.h"

#include <event2/http.h>
#include <jansson.h>

#include "anomaly/anomaly.h"
#include "ingress/http_admin.h"
#include "ingress/http_reply.h"

/* anomalies_handle - GET /v1/anomalies. */
static void
anomalies_handle(struct evhttp_request *req, void *arg)
{
	const struct anomaly *an = arg;

	if (an == NULL) {
		http_reply_error(
		    req, 404, "not_found",
		    "the anomaly detector is off (anomaly.enabled: "
		    "false)");
		return;
	}
	http_reply_json(req, 200, anomaly_json(an), 0);
}

void
http_anomalies_register(struct http_admin *h, const struct anomaly *an)
{
	http_admin_route_set(h, HTTP_ROUTE_ANOMALIES, anomalies_handle,
	                     (void *)an);
}
