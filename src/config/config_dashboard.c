/*
 * config_dashboard.c - the dashboard: section (the operator dashboard on
 * the admin plane, dash/dash.h).
 *
 *   dashboard:
 *     enabled: true             /dashboard on the admin listener
 *     session_lifetime: 8h      a sign-in lasts this long, then again
 *     max_sessions: 32          sessions kept; a new one pushes out the
 *                               oldest
 */
#include "config/config_keys.h"

#define C struct config
const struct config_key config_keys_dashboard[] = {
    {ROW("enabled", KEY_BOOL, 0), FIELD(C, dashboard_enabled)},
    {ROW("session_lifetime", KEY_DURATION, 0), FIELD(C, dashboard_session_ms),
     .min = 1000},
    {ROW("max_sessions", KEY_INT, 0), FIELD(C, dashboard_max_sessions),
     .min = 1, .max = 10000},
    {.name = NULL},
};
#undef C
