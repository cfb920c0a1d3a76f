/*
 * status_json.h - the status page as Atlassian Statuspage's public API
 * v2 JSON (contract).
 *
 * Same documents, field names, shapes and vocabularies as a page hosted
 * by Statuspage, so its clients (and swerve's own poller,
 * route/statuspoll.h) read ours:
 *
 *   /api/v2/summary.json               page, components, incidents
 *                                      (unresolved), scheduled_maintenances
 *                                      (always []), status
 *   /api/v2/status.json                page, status {indicator, description}
 *   /api/v2/components.json            page, components
 *   /api/v2/incidents.json             page, incidents (newest 50)
 *   /api/v2/incidents/unresolved.json  page, incidents (not resolved)
 *   /api/v2/scheduled-maintenances.json, .../upcoming.json,
 *   .../active.json                    page, scheduled_maintenances
 *                                      (always []: swerve schedules none)
 *
 * Dates are RFC 3339 in UTC with milliseconds; absent dates are null.
 * Pure: m is only read.
 */
#ifndef SWERVE_STATUS_STATUS_JSON_H
#define SWERVE_STATUS_STATUS_JSON_H

#include <stddef.h>

#include "status/status_model.h"

#define STATUS_JSON_INCIDENTS_MAX 50

enum status_json_doc {
	STATUS_JSON_SUMMARY,
	STATUS_JSON_STATUS,
	STATUS_JSON_COMPONENTS,
	STATUS_JSON_INCIDENTS,
	STATUS_JSON_UNRESOLVED,
	STATUS_JSON_MAINTENANCES,
};

/*
 * status_json_render - document doc of m as JSON text ending in a
 * newline, NUL-terminated; *len (if not NULL) its length. The caller
 * frees the result.
 */
char *status_json_render(const struct status_model *m, enum status_json_doc doc,
                         size_t *len);

#endif
