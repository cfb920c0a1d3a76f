/*
 * spool_purge.h - periodic deletion of what the spool database keeps
 * only for a while (contract).
 *
 * Every spool.purge_interval on the loop: the suppression list's expired
 * entries (suppress_purge: an expired entry already suppresses nothing;
 * this frees its row and its memory) and the provider events matched to
 * no message that arrived more than events.unmatched_retention ago (they
 * were kept as de-duplication keys for the provider's retries; events of
 * a message live as long as the message's history). Each pass deletes at
 * most SPOOL_PURGE_BATCH rows of each kind in one group commit; a full
 * batch brings the next pass forward to a second later, so a backlog
 * drains without one long transaction. Loop thread only.
 */
#ifndef SWERVE_SPOOL_SPOOL_PURGE_H
#define SWERVE_SPOOL_SPOOL_PURGE_H

#include <stddef.h>
#include <stdint.h>

#define SPOOL_PURGE_BATCH 10000

struct event_base;
struct spool;
struct suppress;
struct spool_purge;

/* What the passes so far deleted. */
struct spool_purge_stats {
	uint64_t passes;
	uint64_t suppressions; /* expired entries */
	uint64_t events;       /* unmatched events */
};

/*
 * spool_purge_new - passes every interval_ms on base over sp (borrowed)
 * and the list s (borrowed, may be NULL: no list), deleting unmatched
 * events older than retention_ms. The first pass is one interval after
 * the start. NULL when the timer cannot be made.
 */
struct spool_purge *spool_purge_new(struct event_base *base, struct spool *sp,
                                    struct suppress *s, uint64_t interval_ms,
                                    uint64_t retention_ms);

/* spool_purge_stats - the counters so far. */
struct spool_purge_stats spool_purge_stats(const struct spool_purge *p);

/*
 * spool_purge_free - stop the timer. Call after spool_close (which runs
 * a pass's pending callbacks); NULL is a no-op.
 */
void spool_purge_free(struct spool_purge *p);

#endif
