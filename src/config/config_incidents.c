/*
 * config_incidents.c - the incidents: section (incident/incident.h,
 * docs/incidents.md).
 *
 *   incidents:
 *     window: 15m      related alerts within it join one incident
 *     quiet: 10m       every alert resolved this long: resolved
 *     reopen: 30m      an alert this soon after resolution reopens it
 *     retention: 90d   resolved incidents kept in memory and listed
 */
#include "config/config_keys.h"

#define C struct config
const struct config_key config_keys_incidents[] = {
    {ROW("window", KEY_DURATION, 0), FIELD(C, incidents_window_ms), .min = 1},
    {ROW("quiet", KEY_DURATION, 0), FIELD(C, incidents_quiet_ms), .min = 1},
    {ROW("reopen", KEY_DURATION, 0), FIELD(C, incidents_reopen_ms), .min = 1},
    {ROW("retention", KEY_DURATION, 0), FIELD(C, incidents_retention_ms),
     .min = 1},
    {.name = NULL},
};
#undef C
