/*
 * drill_traffic.h - each provider's recent traffic, for a drill's
 * preflight (contract).
 *
 * Fed every event: per provider, the messages accepted in each of the
 * last 60 minutes (the last hour's peak minute is what a backup must be
 * able to take), and when it last proved it works (an accepted attempt
 * or a good probe). No I/O; times come from the events. Loop thread
 * only.
 */
#ifndef SWERVE_DRILL_DRILL_TRAFFIC_H
#define SWERVE_DRILL_DRILL_TRAFFIC_H

#include <stddef.h>
#include <stdint.h>

struct config;
struct events_item;

#define DRILL_TRAFFIC_MINUTES 60

struct drill_traffic_prov {
	char name[65];
	uint32_t count[DRILL_TRAFFIC_MINUTES];
	int64_t minute[DRILL_TRAFFIC_MINUTES]; /* which minute count[] is */
	int64_t proven_ms;                     /* 0: never since start */
};

struct drill_traffic {
	struct drill_traffic_prov *p;
	size_t n;
};

/* drill_traffic_init - one row per provider of cfg (borrowed). */
void drill_traffic_init(struct drill_traffic *t, const struct config *cfg);
/* drill_traffic_fini - free t's rows. */
void drill_traffic_fini(struct drill_traffic *t);
/* drill_traffic_event - count one event. */
void drill_traffic_event(struct drill_traffic *t, const struct events_item *e);
/* drill_traffic_peak - provider's busiest minute of the hour before
 * now_ms (messages accepted in it). */
uint64_t drill_traffic_peak(const struct drill_traffic *t, const char *provider,
                            int64_t now_ms);
/* drill_traffic_proven - when provider last worked (0: not seen). */
int64_t drill_traffic_proven(const struct drill_traffic *t,
                             const char *provider);

#endif
