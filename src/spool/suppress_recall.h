/*
 * suppress_recall.h - the soft bounces of the counting window, read back
 * from the spool's events table, so that a restart does not forget the
 * soft bounces that had not yet reached suppression.soft_bounce.count
 * (observe/suppress_feed.h counts them in memory).
 *
 * Reads only what spool_feedback_record() stored: events of type
 * soft_bounce matched to a message (the message's tenant, "" for a
 * message without one, as the live count uses), oldest first.
 */
#ifndef SWERVE_SPOOL_SUPPRESS_RECALL_H
#define SWERVE_SPOOL_SUPPRESS_RECALL_H

#include <stddef.h>
#include <stdint.h>

struct spool;

/* One soft bounce read back. */
struct suppress_recall_row {
	char *tenant;    /* "" for a message without a tenant */
	char *recipient; /* as the provider reported it */
	int64_t at_ms;   /* when it happened (wall ms) */
};

/*
 * suppress_recall_fn - on the loop thread: SPOOL_OK with rows[0..n)
 * (borrowed for the call), or an error status with none.
 */
typedef void suppress_recall_fn(int status,
                                const struct suppress_recall_row *rows,
                                size_t n, void *arg);

struct suppress_recall;

/*
 * suppress_recall_soft - queue the read of at most max soft bounces that
 * happened at or after since_ms. cb runs once, unless this returns NULL
 * (the spool is closing: cb not called). The handle is valid until cb
 * has run; suppress_recall_cancel() before then means cb is not called.
 */
struct suppress_recall *suppress_recall_soft(struct spool *sp, int64_t since_ms,
                                             size_t max, suppress_recall_fn *cb,
                                             void *arg);

/* suppress_recall_cancel - cb of r will not be called (r is freed when
 * the read finishes). NULL is a no-op. Loop thread. */
void suppress_recall_cancel(struct suppress_recall *r);

#endif
