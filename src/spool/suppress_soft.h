/*
 * suppress_soft.h - soft bounces counted per address over a sliding
 * window (pure, in memory; internal to the suppression listener).
 *
 * suppression.soft_bounce: {count, window}: the count-th soft bounce of
 * one key within window makes it suppressed. Counts live in memory; at
 * start they are rebuilt from the spool's events table
 * (spool/suppress_recall.h).
 */
#ifndef SWERVE_SPOOL_SUPPRESS_SOFT_H
#define SWERVE_SPOOL_SUPPRESS_SOFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct suppress_soft;

/* suppress_soft_new - count soft bounces; count >= 1, window_ms > 0. */
struct suppress_soft *suppress_soft_new(unsigned count, uint64_t window_ms);

/* suppress_soft_free - release s. NULL is a no-op. */
void suppress_soft_free(struct suppress_soft *s);

/*
 * suppress_soft_note - one soft bounce of key at now_ms. True when it is
 * the count-th within the window ending at now_ms (the key's history is
 * then forgotten: the caller adds the address).
 */
bool suppress_soft_note(struct suppress_soft *s, const char *key,
                        int64_t now_ms);

/* suppress_soft_size - keys with a history (for tests). */
size_t suppress_soft_size(const struct suppress_soft *s);

#endif
