/*
 * route.h - which provider takes a message's next attempt (contract).
 *
 * Pure choice over the caller's providers: no I/O, no allocation, time
 * passed in. The lowest priority number among usable providers wins;
 * within that priority the traffic is shared by weight with smooth
 * weighted round-robin, so weights 1 and 3 give one message in four and
 * three in four whether or not messages overlap in time. Weight 0 marks
 * a standby, used only when no weighted provider of that priority is
 * usable. "Usable" is route/pstate.c's verdict (not cooling, probe slot
 * free); disabled providers and those already tried for this message are
 * never offered.
 *
 * The health/routing issue replaces the scoring here behind the same call.
 */
#ifndef SWERVE_ROUTE_ROUTE_H
#define SWERVE_ROUTE_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "route/pstate.h"

struct config_provider;

#define ROUTE_MAX_PROVIDERS 64 /* one bit each in a uint64_t mask */

/* One provider as the router sees it; embedded in the caller's record. */
struct route_prov {
	const struct config_provider *cfg; /* borrowed: enabled, priority, weight */
	struct pstate ps;		   /* health, first version */
	int64_t credit;			   /* round-robin state; starts at 0 */
};

/*
 * route_pick - the index in provs[0..n) for one attempt, or -1 if none is
 * usable. Bit i of *tried marks provs[i] as already tried for this
 * message; the chosen provider's bit is NOT set here (the caller sets it
 * when it assigns). A provider whose probe slot was taken meanwhile gets
 * its bit set and the next one is chosen. Takes the probe slot of a
 * probing provider (pstate_try). n <= ROUTE_MAX_PROVIDERS.
 */
int route_pick(struct route_prov *const *provs, size_t n, uint64_t *tried,
    uint64_t now_ms);

/* route_any_usable - is any enabled provider usable now? Changes nothing. */
bool route_any_usable(struct route_prov *const *provs, size_t n,
    uint64_t now_ms);

#endif
