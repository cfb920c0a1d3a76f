/*
 * drill_obs.h - what happened during one drill, from the event bus
 * (contract).
 *
 * The drill controller feeds every event (observe/events.h) to the
 * observation of the drill that runs, and of the one that ended and is
 * still waiting for its provider to fail back. It notes the moments the
 * report measures from and to, counts what was rerouted, keeps the
 * delays of messages sent during the drill per stream, the ids of the
 * messages the drill touched (to count the lost ones in the spool) and
 * a list of what went wrong. No I/O, no clock: times come from the
 * events (at_ms) and the caller. Loop thread only.
 */
#ifndef SWERVE_DRILL_DRILL_OBS_H
#define SWERVE_DRILL_DRILL_OBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/id.h"

struct events_item;

#define DRILL_OBS_STREAMS 16
#define DRILL_OBS_NAME 65
#define DRILL_OBS_NOTES 16
#define DRILL_OBS_NOTE_SIZE 200
#define DRILL_OBS_MAX_IDS 65536
#define DRILL_OBS_MAX_SAMPLES 100000

struct drill_obs_stream {
	char name[DRILL_OBS_NAME];
	uint64_t *ms; /* delays of messages sent during the drill */
	size_t n, cap;
};

struct drill_obs {
	char provider[DRILL_OBS_NAME];
	char stream[DRILL_OBS_NAME]; /* "": every stream */
	int64_t start_ms, end_ms;    /* end 0 while it runs */
	/* The moments (0: not seen). */
	int64_t first_fail_ms; /* first simulated failure */
	int64_t open_ms;       /* the provider's circuit opened */
	int64_t alert_ms;      /* a drill alert fired */
	int64_t notified_ms;   /* a notification of it was accepted */
	int64_t elsewhere_ms;  /* a touched message accepted elsewhere */
	int64_t failback_ms;   /* after the end: accepted at the provider */
	/* Counts. */
	uint64_t simulated; /* attempts answered by the drill */
	uint64_t rerouted;  /* failovers away from the provider */
	uint64_t accepted_elsewhere, deferred, duplicates;
	uint64_t notify_failed, backup_throttled, backup_failed;
	/* Attempts per second since start: at the provider, and in all. */
	uint32_t *sec_at, *sec_all;
	size_t n_secs;
	/* Messages that had a simulated attempt (open addressing). */
	char (*ids)[ID_SIZE];
	size_t n_ids, cap_ids;
	bool ids_full;
	struct drill_obs_stream streams[DRILL_OBS_STREAMS];
	size_t n_streams;
	char notes[DRILL_OBS_NOTES][DRILL_OBS_NOTE_SIZE];
	size_t n_notes;
};

/*
 * drill_obs_init - a fresh observation of a drill of provider (stream:
 * NULL for every stream) starting at start_ms and lasting at most
 * max_ms (sizes the per-second counts).
 */
void drill_obs_init(struct drill_obs *o, const char *provider,
                    const char *stream, int64_t start_ms, uint64_t max_ms);

/* drill_obs_fini - free what o holds. */
void drill_obs_fini(struct drill_obs *o);

/* drill_obs_event - take one event into o. */
void drill_obs_event(struct drill_obs *o, const struct events_item *e);

/* drill_obs_note - add a line to what went wrong (printf format). */
void drill_obs_note(struct drill_obs *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* drill_obs_end - the fault ended at end_ms. */
void drill_obs_end(struct drill_obs *o, int64_t end_ms);

/*
 * drill_obs_failover95_ms - from the first failed attempt until the
 * second from which, to the end, at most 5% of the attempts in each
 * second went to the provider; -1 if that never held.
 */
int64_t drill_obs_failover95_ms(const struct drill_obs *o);

/* drill_obs_percentile - the p-th percentile (0..100) of stream s's
 * delays (nearest rank); 0 with no samples. Sorts s's samples. */
uint64_t drill_obs_percentile(struct drill_obs_stream *s, double p);

/* drill_obs_touched - did msg_id have a simulated attempt? */
bool drill_obs_touched(const struct drill_obs *o, const char *msg_id);

#endif
