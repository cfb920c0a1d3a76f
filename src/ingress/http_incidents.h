/*
 * http_incidents.h - the incidents on the admin plane (contract; issue
 * 15). Every route needs an admin key (the access table, http_access.c):
 *
 *   GET  /v1/incidents                  the incidents kept (open, and
 *                                       resolved within 90 days), newest
 *                                       first: {"incidents": [...],
 *                                       "open": N}
 *   GET  /v1/incidents/ID               one, with its timeline, facts
 *                                       and live scope (from the spool)
 *   GET  /v1/incidents/ID/report?format=md|html|json
 *                                       the post-incident report
 *   POST /v1/incidents/ID/notes         {"text", "public"?, "author"?}
 *   POST /v1/incidents/ID/update        {"status"?, "impact"?, "text"?,
 *                                       "author"?}
 *   POST /v1/incidents/ID/resolve       {"text"?, "author"?}
 *   POST /v1/incidents/ID/notices       {"template", "format"?: text|html|
 *                                       slack, "send"?: false, "author"?}
 *                                       a notice rendered (preview), or
 *                                       e-mailed to the audience
 *
 * Bad input is 400 and changes nothing; an unknown id is 404. Each
 * accepted change is also an EVENT_OPERATOR (reason "incident_note",
 * "incident_update", "incident_resolve"). Loop thread only.
 */
#ifndef SWERVE_INGRESS_HTTP_INCIDENTS_H
#define SWERVE_INGRESS_HTTP_INCIDENTS_H

struct http_admin;
struct incidents;
struct incident_audience;

/* http_incidents_register - serve the routes above from in (borrowed;
 * it must outlive h's requests: free it after spool_close()). aud (may
 * be NULL: sending is refused with 409) is who notices are e-mailed to;
 * borrowed, it must outlive h. */
void http_incidents_register(struct http_admin *h, struct incidents *in,
                             const struct incident_audience *aud);

/* Longest note or update text taken, bytes. */
#define HTTP_INCIDENTS_TEXT_MAX 4096

#endif
