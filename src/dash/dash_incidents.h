/*
 * dash_incidents.h - the dashboard's view of open incidents
 * (incident/incident.h) and its note form (contract).
 */
#ifndef SWERVE_DASH_DASH_INCIDENTS_H
#define SWERVE_DASH_DASH_INCIDENTS_H

#include "core/buf.h"

struct incidents;

/*
 * dash_incidents_render - append the "Open incidents" section: each
 * incident not resolved (newest first, drills marked as such) with its
 * status, impact, start, providers and streams, its whole timeline, and
 * a form to add a note (POST /dashboard/incidents/ID/notes carrying
 * csrf). Every string is escaped.
 */
void dash_incidents_render(struct buf *out, const struct incidents *in,
                           const char *csrf);

/*
 * dash_incidents_note - add text (NULL or blank: refused) as who's note
 * on incident id, public_ 1 to show it on the status page. 0; -1 no such
 * incident; -2 no text.
 */
int dash_incidents_note(struct incidents *in, const char *id, const char *who,
                        const char *text, int public_);

#endif
