/*
 * suppress_feed.h - the suppression list's listener on the event bus:
 * delivery feedback adds addresses (see spool/suppress.h).
 *
 * On EVENT_FEEDBACK for a message of a known tenant: a hard bounce, a
 * complaint or an unsubscribe adds the recipient at once; a soft bounce
 * adds it when it is the suppression.soft_bounce.count-th within
 * suppression.soft_bounce.window. Each entry expires after
 * suppression.expire.<reason> (never by default, soft_bounce 30d).
 * The soft bounces of the window are read back from the spool at start
 * (suppress_feed_recall), so a restart does not reset their count.
 * Events that matched no message (no tenant) are left alone: the list
 * is per tenant. An address already suppressed for the same reason is
 * not written again (a provider's retried event costs no fsync).
 *
 * Loop thread only.
 */
#ifndef SWERVE_OBSERVE_SUPPRESS_FEED_H
#define SWERVE_OBSERVE_SUPPRESS_FEED_H

#include <stddef.h>
#include <stdint.h>

struct config;
struct suppress;
struct events_item;

struct suppress_feed;

/* suppress_feed_new - listen for feedback and add to s (borrowed, must
 * outlive the feed); the policy is copied from cfg. Subscribes. */
struct suppress_feed *suppress_feed_new(const struct config *cfg,
                                        struct suppress *s);

/* suppress_feed_free - unsubscribe and release f. NULL is a no-op. */
void suppress_feed_free(struct suppress_feed *f);

/* suppress_feed_on_event - the listener (events_fn); public for tests. */
void suppress_feed_on_event(const struct events_item *e, void *arg);

/* At most this many soft bounces are read back at start. */
#define SUPPRESS_FEED_RECALL_MAX 1000000

struct spool;

/*
 * suppress_feed_recall - count again the soft bounces stored in sp's
 * events table within the window ending at now_ms (a restart does not
 * forget the ones that had not reached the count). Call once at start,
 * before feedback can arrive: events stored after the read are counted
 * live, the read sees every one stored before it.
 */
void suppress_feed_recall(struct suppress_feed *f, struct spool *sp,
                          int64_t now_ms);

/* suppress_feed_recalled - soft bounces counted again (for tests). */
size_t suppress_feed_recalled(const struct suppress_feed *f);

/* suppress_feed_added - entries this feed asked to add (for tests). */
uint64_t suppress_feed_added(const struct suppress_feed *f);

#endif
