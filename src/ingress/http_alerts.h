/*
 * http_alerts.h - GET /v1/alerts: the active alerts (contract).
 *
 *   {"alerts": [{"rule", "kind", "severity", "state": "pending"|"firing",
 *                "provider"?, "stream"?, "summary", "value", "threshold",
 *                "since", "fired_at"?}],
 *    "notify": {"queued", "sent", "retries", "failed", "dropped"}}
 *
 * Read-only, from memory. An admin key is needed (http_access.c); any
 * other method gets 405.
 */
#ifndef SWERVE_INGRESS_HTTP_ALERTS_H
#define SWERVE_INGRESS_HTTP_ALERTS_H

struct http_admin;
struct alerting;

/* http_alerts_register - serve /v1/alerts on h from al (borrowed; must
 * outlive h's serving). */
void http_alerts_register(struct http_admin *h, struct alerting *al);

#endif
