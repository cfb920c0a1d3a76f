/*
 * http_alerts.c - GET /v1/alerts on the admin plane: what the built-in
 * alert rules see as pending or firing now, and how the notifiers are
 * doing. For operators and `swervectl status`. See http_alerts.h.
 */
#include "ingress/http_alerts.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <jansson.h>
#include <stdlib.h>

#include "core/clock.h"
#include "ingress/http_admin.h"
#include "ingress/http_reply.h"
#include "observe/alert.h"
#include "observe/alerting.h"
#include "observe/notify.h"

/* alerts_time - an RFC 3339 string, or NULL for 0. */
static json_t *
alerts_time(int64_t ms)
{
	char t[40];

	if (ms <= 0)
		return NULL;
	clock_wall_text(ms, t, sizeof(t));
	return json_string(t);
}

/* alerts_one - one active alert as JSON. */
static json_t *
alerts_one(const struct alert_info *a)
{
	json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:f,s:f}", "rule", a->rule,
	                      "kind", a->kind, "severity", a->severity, "state",
	                      a->state == ALERT_PENDING ? "pending" : "firing",
	                      "summary", a->summary, "value", a->value,
	                      "threshold", a->threshold);
	json_t *t;

	if (a->provider != NULL)
		json_object_set_new(o, "provider", json_string(a->provider));
	if (a->stream != NULL)
		json_object_set_new(o, "stream", json_string(a->stream));
	if ((t = alerts_time(a->since_ms)) != NULL)
		json_object_set_new(o, "since", t);
	if ((t = alerts_time(a->fired_ms)) != NULL)
		json_object_set_new(o, "fired_at", t);
	return o;
}

/* alerts_handle - GET /v1/alerts. */
static void
alerts_handle(struct evhttp_request *req, void *arg)
{
	struct alerting *al = arg;
	const struct alert *a = alerting_engine(al);
	const struct notify *n = alerting_notify(al);
	struct alert_info info;
	struct notify_stats st = {0};
	json_t *arr = json_array(), *o;
	size_t i;

	for (i = 0; i < alert_active_count(a); i++) {
		alert_active_get(a, i, &info);
		json_array_append_new(arr, alerts_one(&info));
	}
	if (n != NULL)
		notify_stats_get(n, &st);
	o = json_pack("{s:o,s:{s:I,s:I,s:I,s:I,s:I}}", "alerts", arr, "notify",
	              "queued", (json_int_t)st.queued, "sent",
	              (json_int_t)st.sent, "retries", (json_int_t)st.retries,
	              "failed", (json_int_t)st.failed, "dropped",
	              (json_int_t)st.dropped);
	http_reply_json(req, 200, o, 0);
}

void
http_alerts_register(struct http_admin *h, struct alerting *al)
{
	http_admin_route_set(h, HTTP_ROUTE_ALERTS, alerts_handle, al);
}
