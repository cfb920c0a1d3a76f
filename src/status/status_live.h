/*
 * status_live.h - the public status page's model from swerve's state
 * (contract).
 *
 * Pure over the facts it is given: the configuration (public_status:,
 * streams, providers), each provider's live state (deliver.h) and the
 * incident records (incident.h). No I/O, no clock.
 *
 * Components: the streams listed under public_status.streams, in that
 * order, with their display names (none listed: every stream, by its
 * name); then, only with public_status.show_providers, each enabled
 * provider (public_status.providers' display name, else "Provider N":
 * a provider's configured name is never shown unless it is given as its
 * display name). A stream's status is the worst of:
 *   - its providers' health: none of the providers it may use can take
 *     mail (circuits open, paused, draining or disabled) -> major_outage;
 *     some of them have an open circuit while another can take mail
 *     (failover carries the mail) -> degraded_performance;
 *   - each unresolved incident affecting it (its streams, or, when it
 *     names none, the streams that may use its providers): minor ->
 *     degraded_performance, major -> partial_outage, critical ->
 *     major_outage.
 * A provider a drill is simulating a fault at (facts.drilled) counts as
 * healthy, unless public_status.show_drills.
 * A provider component: open circuit -> major_outage, half-open ->
 * degraded_performance, paused or draining -> under_maintenance, and
 * its unresolved incidents likewise.
 *
 * Incidents: every incident kept (open, and resolved in the last 90
 * days), except drill incidents unless public_status.show_drills; each
 * with its public updates only (incident_update.public_). Texts (titles
 * and updates) have each provider name replaced by its display name
 * when providers are shown, else by "an email provider", so a page
 * never names a provider unless configured to.
 *
 * Dates: components are created at started_ms (when swerved started)
 * and updated at the newest incident change affecting them, so a page
 * rendered twice from the same state is the same bytes.
 */
#ifndef SWERVE_STATUS_STATUS_LIVE_H
#define SWERVE_STATUS_STATUS_LIVE_H

#include <stddef.h>
#include <stdint.h>

#include "status/status_model.h"

struct config;
struct deliver_provider_info;
struct incident_info;

/* The facts one page is built from (all borrowed for the call). */
struct status_live_facts {
	const struct config *cfg;
	int64_t now_ms;     /* wall clock: which day is today */
	int64_t started_ms; /* wall clock when swerved started */
	/* provs[i] is cfg->providers[i]'s state; NULL: all healthy */
	const struct deliver_provider_info *provs;
	size_t n_provs;
	const struct incident_info *incs; /* newest first */
	size_t n_incs;
	/* drilled[i]: a drill is simulating a fault at cfg->providers[i]
	 * (drill/drill.h); NULL: none is. Unless show_drills, a drilled
	 * provider counts as healthy: a drill never shows on the page. */
	const unsigned char *drilled;
};

/*
 * status_live_build - fill m (initialised here; finished: ready to
 * render) from f. The caller frees m with status_model_fini.
 */
void status_live_build(struct status_model *m,
                       const struct status_live_facts *f);

/*
 * status_live_scrub - a malloc'd copy of text with each of cfg's
 * provider names (whole names: not part of a longer [A-Za-z0-9_.-] run)
 * replaced as described above. The caller frees it.
 */
char *status_live_scrub(const struct config *cfg, const char *text);

#endif
