/*
 * http_drill.h - the outage drills' admin endpoints (contract; issue 16,
 * docs/drills.md).
 *
 *   GET  /v1/drills                 {"running": report|null,
 *                                    "last": report|null}
 *   POST /v1/drills                 {"provider", "fault", "stream"?,
 *                                    "share"? (0..1), "duration"? ("5m"),
 *                                    "force"? (bool)} -> 201 the report
 *                                    so far; 400 bad request; 409
 *                                    refused now (another drill, a real
 *                                    alert, no usable provider left)
 *   POST /v1/drills/abort           200 {"aborted": true}; 409 none runs
 *   GET  /v1/drills/history?limit=N {"drills": [report, ...]} oldest
 *                                    first
 *   GET  /v1/drills/preflight?provider=&stream=&test_alerts=1
 *                                   the readiness table; 200 ready, 503
 *                                   not ready (same body)
 *   GET  /v1/drills/ID?format=json|text|md|html
 *                                   one drill's report (drill_report.h)
 *
 * Every one needs an admin key (the access table, http_access.c).
 * Answers are JSON unless a format asks otherwise; errors {"error":
 * {"code", "message"}}.
 */
#ifndef SWERVE_INGRESS_HTTP_DRILL_H
#define SWERVE_INGRESS_HTTP_DRILL_H

struct http_admin;
struct drill_ctl;

/* http_drill_register - serve the drill routes on h from c (borrowed;
 * must outlive h's serving). */
void http_drill_register(struct http_admin *h, struct drill_ctl *c);

#endif
