/*
 * fairq.h - weighted-fair choice between streams (contract).
 *
 * Decides which stream (priority class: critical, transactional, bulk,
 * ...) the next message is taken from, by stride scheduling: every stream
 * has a stride inversely proportional to its weight and a pass value;
 * the nonempty stream with the lowest pass is picked and its pass
 * advances by its stride. Over any stretch in which the same streams have
 * mail, each gets picks in proportion to its weight, interleaved rather
 * than in runs: with weights 100/10/1, bulk is picked once in every 111
 * picks and critical never waits more than one pick behind it.
 *
 * A stream that had no mail does not save up credit: when it has mail
 * again its pass is lifted to the scheduler's virtual time (the pass of
 * the latest pick), so it is picked next, once, and then takes its share.
 *
 * Pure logic, no I/O, no allocation; the struct is plain data the
 * caller embeds. Not thread-safe; the loop thread owns it.
 */
#ifndef SWERVE_ROUTE_FAIRQ_H
#define SWERVE_ROUTE_FAIRQ_H

#include <stddef.h>
#include <stdint.h>

#define FAIRQ_MAX 16
#define FAIRQ_STRIDE1 (1ULL << 32) /* stride of a weight-1 stream */

struct fairq {
	size_t n;
	uint64_t pass[FAIRQ_MAX];
	uint64_t stride[FAIRQ_MAX];
	uint64_t vtime; /* pass of the latest pick: the virtual time */
};

/*
 * fairq_init - n streams with weights[0..n); index i is the caller's
 * stream i everywhere below. List streams heaviest first: ties go to the
 * lower index. A weight of 0 counts as 1. Returns 0, or -1 if n is 0 or
 * above FAIRQ_MAX (fq is then empty and every pick returns -1).
 */
int fairq_init(struct fairq *fq, const unsigned *weights, size_t n);

/*
 * fairq_pick - the stream to take the next message from: bit i of
 * nonempty_mask says stream i has mail (bits from n on are ignored).
 * Returns its index and charges it one pick, or -1 if no stream has mail.
 */
int fairq_pick(struct fairq *fq, uint64_t nonempty_mask);

/*
 * fairq_share - split `room` message slots among the streams: demand[i]
 * is how many stream i has waiting; out[i] (n entries, overwritten) gets
 * its slots. Same as calling fairq_pick() once per slot over the streams
 * whose demand is not yet met, so the fairness carries over from batch
 * to batch. Slots nobody wants stay unused: the sum of out may be less
 * than room.
 */
void fairq_share(struct fairq *fq, const size_t *demand, size_t room,
                 size_t *out);

#endif
