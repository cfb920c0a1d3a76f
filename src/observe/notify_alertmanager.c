/*
 * notify_alertmanager.c - an alert in Prometheus Alertmanager's v2 API.
 *
 *   POST <url>/api/v2/alerts
 *   [{"labels": {"alertname": RULE, "severity", "kind", "service":
 *                "swerve", "instance": HOST, "provider"?, "stream"?},
 *     "annotations": {"summary", "description"},
 *     "startsAt": RFC 3339, "endsAt": RFC 3339}]
 *
 * The labels identify the alert (Alertmanager groups, routes and
 * silences by them), so they hold only bounded names. A firing alert's
 * endsAt is now + 4 minutes: swerve re-posts it every minute while it
 * fires, and if swerve itself goes away Alertmanager resolves it on its
 * own. A resolve has endsAt = now. Pure.
 */
#include "observe/notify.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"

#define AM_ENDS_AFTER_MS (4 * 60 * 1000)

char *
notify_alertmanager_url(const char *base)
{
	size_t n = strlen(base);
	char *u;

	while (n > 0 && base[n - 1] == '/')
		n--;
	u = xmalloc(n + sizeof("/api/v2/alerts"));
	memcpy(u, base, n);
	memcpy(u + n, "/api/v2/alerts", sizeof("/api/v2/alerts"));
	return u;
}

char *
notify_alertmanager_body(const struct alert_info *a, enum alert_change ch,
                         const char *host, int64_t now_ms)
{
	json_t *labels = json_object(), *ann = json_object(), *al, *arr;
	char starts[40], ends[40], desc[512];
	int64_t end;
	char *s;

	json_object_set_new(labels, "alertname", json_string(a->rule));
	json_object_set_new(labels, "severity", json_string(a->severity));
	json_object_set_new(labels, "kind", json_string(a->kind));
	json_object_set_new(labels, "service", json_string("swerve"));
	json_object_set_new(labels, "instance", json_string(host ? host : ""));
	if (a->provider != NULL)
		json_object_set_new(labels, "provider",
		                    json_string(a->provider));
	if (a->stream != NULL)
		json_object_set_new(labels, "stream", json_string(a->stream));
	json_object_set_new(ann, "summary", json_string(a->summary));
	snprintf(desc, sizeof(desc), "swerve alert rule %s (kind %s): %s",
	         a->rule, a->kind, a->summary);
	json_object_set_new(ann, "description", json_string(desc));

	clock_wall_text(a->fired_ms ? a->fired_ms : a->since_ms, starts,
	                sizeof(starts));
	end = ch == ALERT_CHANGE_RESOLVED ? now_ms : now_ms + AM_ENDS_AFTER_MS;
	clock_wall_text(end, ends, sizeof(ends));
	al = json_pack("{s:o,s:o,s:s,s:s}", "labels", labels, "annotations",
	               ann, "startsAt", starts, "endsAt", ends);
	arr = json_array();
	json_array_append_new(arr, al);
	s = json_dumps(arr, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(arr);
	if (s == NULL)
		log_panic("notify: alertmanager payload does not build");
	return s;
}
