/*
 * drill_report.h - a drill's report: figures next to objectives, and
 * its renderings (contract).
 *
 * The report is one JSON object, stored with the drill in the spool and
 * shown by `swervectl drill report ID --format text|md|html|json`:
 *
 *   {"id", "name", "provider", "fault", "stream"?, "share", "state":
 *    "running"|"ended"|"aborted"|"interrupted", "end_reason",
 *    "started_at", "ends_at", "ended_at"?, "started_by",
 *    "figures": {"detect_ms", "alert_ms", "failover_first_ms",
 *                "failover_95_ms", "failback_ms" (null: not seen),
 *                "simulated", "rerouted", "accepted_elsewhere",
 *                "deferred", "duplicates_possible", "lost",
 *                "permanent_failures" (null: not counted yet),
 *                "streams": {NAME: {"sent", "p50_ms", "p99_ms",
 *                                   "max_ms"}}},
 *    "objectives": [{"name", "objective", "observed", "pass":
 *                    true|false|null (not measured), "why"?}],
 *    "passed": true|false, "notes": ["..."]}
 *
 * Times in figures are milliseconds from the first simulated failure
 * (detect, alert, failover) or from the end of the fault (failback).
 * Pure functions over their arguments.
 */
#ifndef SWERVE_DRILL_DRILL_REPORT_H
#define SWERVE_DRILL_DRILL_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "core/buf.h"
#include "drill/drill_obs.h"

#define DRILL_ID_SIZE 40

/* What a drill is, as stored. */
struct drill_meta {
	char id[DRILL_ID_SIZE];
	char name[DRILL_OBS_NAME]; /* the scheduled drill's, or "" */
	char provider[DRILL_OBS_NAME];
	char fault[40];
	char stream[DRILL_OBS_NAME]; /* "": every stream */
	double share;                /* 0..1 */
	int64_t started_ms, ends_ms, ended_ms;
	char state[16];   /* running, ended, aborted, interrupted */
	char reason[256]; /* why it ended */
	char by[DRILL_OBS_NAME];
	int notify;     /* enum config_drill_notify in force */
	bool notifiers; /* alert notifiers were configured */
};

/* What the spool says of the messages the drill touched. */
struct drill_lost {
	bool known;
	uint64_t lost;      /* failed, or gone from the spool */
	uint64_t permanent; /* recipients that failed permanently */
};

/*
 * drill_report_build - the report of m with o's figures, judged against
 * obj; lost may be NULL (not counted yet). Sorts o's delay samples.
 * Caller decrefs.
 */
json_t *drill_report_build(const struct drill_meta *m, struct drill_obs *o,
                           const struct config_drill_objectives *obj,
                           const struct drill_lost *lost);

/*
 * drill_report_render - report as format "text", "md", "html" or
 * "json" appended to out. 0, or -1 with err (unknown format).
 */
int drill_report_render(const json_t *report, const char *format,
                        struct buf *out, char *err, size_t errlen);

/*
 * drill_history_render - the history (a JSON array of reports, oldest
 * first) as a text table with the trend of each drill's main figures
 * against the previous drill of the same provider and fault ("slower",
 * "faster", "same"), appended to out.
 */
void drill_history_render(const json_t *reports, struct buf *out);

#endif
