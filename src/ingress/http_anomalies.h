/*
 * http_anomalies.h - GET /v1/anomalies on the admin plane: the anomaly
 * detector's firing signals and its recent changes (anomaly/anomaly.h
 * anomaly_json). For operators and `swervectl anomalies`.
 *
 * Read-only, from memory. An admin key is needed (http_access.c); any
 * other method gets 405. Without a detector (anomaly.enabled: false) it
 * answers 404 with why.
 */
#ifndef SWERVE_INGRESS_HTTP_ANOMALIES_H
#define SWERVE_INGRESS_HTTP_ANOMALIES_H

struct http_admin;
struct anomaly;

/* http_anomalies_register - serve /v1/anomalies on h from an (borrowed,
 * may be NULL; must outlive h's serving). */
void http_anomalies_register(struct http_admin *h, const struct anomaly *an);

#endif
