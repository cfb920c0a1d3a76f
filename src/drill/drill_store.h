/*
 * drill_store.h - drills in the spool database (contract).
 *
 * One row per drill in the spool's drills table (schema version 8): what
 * it was, its state ("running", "ended", "aborted", "interrupted"), why
 * it ended, and its report (drill/drill_report.h) as JSON. Everything
 * runs on the spool's writer thread through spool_exec() (spool.h), so
 * a drill is on disk before its fault is switched on, and a drill that
 * was running when the process stopped is found at the next start
 * (drill_store_interrupt). Callbacks run on the loop thread with the
 * spool's status (SPOOL_OK, or an error: then the out values are
 * empty).
 */
#ifndef SWERVE_DRILL_DRILL_STORE_H
#define SWERVE_DRILL_DRILL_STORE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/id.h"
#include "drill/drill_report.h"

struct spool;

typedef void drill_store_done_fn(int status, void *arg);
/* report / reports: owned by the callee after the call (decref). */
typedef void drill_store_json_fn(int status, json_t *json, void *arg);
typedef void drill_store_lost_fn(int status, const struct drill_lost *lost,
                                 void *arg);

/*
 * drill_store_put - write m (insert or replace) with report (borrowed;
 * serialised now; may be NULL). 0, or -1 when the spool is closed (cb
 * not called).
 */
int drill_store_put(struct spool *sp, const struct drill_meta *m,
                    const json_t *report, drill_store_done_fn *cb, void *arg);

/*
 * drill_store_interrupt - every drill still "running" becomes
 * "interrupted" at now_ms with reason (copied), in its row and its
 * report (which gets a note). cb gets the array of the reports changed.
 */
int drill_store_interrupt(struct spool *sp, int64_t now_ms, const char *reason,
                          drill_store_json_fn *cb, void *arg);

/* drill_store_get - the report of drill id (json NULL: no such drill). */
int drill_store_get(struct spool *sp, const char *id, drill_store_json_fn *cb,
                    void *arg);

/* drill_store_list - the last limit drills' reports, oldest first. */
int drill_store_list(struct spool *sp, size_t limit, drill_store_json_fn *cb,
                     void *arg);

/*
 * drill_store_lost - of the n messages ids (copied), how many failed or
 * are gone from the spool, and how many of their recipients failed.
 */
int drill_store_lost(struct spool *sp, const char (*ids)[ID_SIZE], size_t n,
                     drill_store_lost_fn *cb, void *arg);

#endif
