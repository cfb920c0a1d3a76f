/*
 * dash_incidents.h - the dashboard's view of open incidents
 * (incident/incident.h) and its note form (contract).
 */
#ifndef SWERVE_DASH_DASH_INCIDENTS_H
#define SWERVE_DASH_DASH_INCIDENTS_H

#include <stdint.h>

#include "core/buf.h"

struct incidents;

struct dash_scopes;

/*
 * dash_scopes_new - a cache of the live scope (incidents_scope) of at
 * most DASH_SCOPES open incidents of in (borrowed), as HTML ready for the
 * page. Never NULL.
 */
#define DASH_SCOPES 8
struct dash_scopes *dash_scopes_new(struct incidents *in);

/*
 * dash_scopes_refresh - ask the spool for the scope of every open
 * incident (at most DASH_SCOPES) as of now_ms; each answer replaces that
 * incident's cached line when it comes. Called by the dashboard's 10 s
 * timer, so the page never waits for the spool.
 */
void dash_scopes_refresh(struct dash_scopes *sc, int64_t now_ms);

/*
 * dash_scopes_free - release sc; answers still on their way free it
 * when the last one arrives (the spool may run them at its close).
 * NULL is a no-op.
 */
void dash_scopes_free(struct dash_scopes *sc);

/*
 * dash_incidents_render - append the "Open incidents" section: each
 * incident not resolved (newest first, drills marked as such) with its
 * status, impact, start, providers and streams, its scope as last
 * computed (sc, may be NULL: messages affected, delayed with p50 / p99
 * / max delay, rerouted, failed, waiting; most affected tenants and
 * recipient domains; where traffic goes now), its whole timeline, and
 * a form to add a note (POST /dashboard/incidents/ID/notes carrying
 * csrf). Every string is escaped.
 */
void dash_incidents_render(struct buf *out, const struct incidents *in,
                           const struct dash_scopes *sc, const char *csrf);

/*
 * dash_incidents_note - add text (NULL or blank: refused) as who's note
 * on incident id, public_ 1 to show it on the status page. 0; -1 no such
 * incident; -2 no text.
 */
int dash_incidents_note(struct incidents *in, const char *id, const char *who,
                        const char *text, int public_);

#endif
