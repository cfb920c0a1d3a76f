/*
 * stats_fb.h - the delivery-feedback counters of /metrics (contract;
 * used by stats.c, which feeds it its events and renders it).
 *
 *   swerve_feedback_events_total{provider,type}   events stored (new)
 *   swerve_feedback_unmatched_total{provider}     of those, no message
 *   swerve_feedback_refused_total{provider,reason} requests refused
 *
 * Providers are the configured ones with events (others count as
 * "other"); types are feedback_type_name()'s, reasons the route's
 * (ingress/feedback.h). Loop thread only.
 */
#ifndef SWERVE_OBSERVE_STATS_FB_H
#define SWERVE_OBSERVE_STATS_FB_H

struct config;
struct events_item;
struct metrics_writer;
struct stats_fb;

/* stats_fb_new - counters for cfg's providers (borrowed for the call). */
struct stats_fb *stats_fb_new(const struct config *cfg);

/* stats_fb_free - release s. NULL is a no-op. */
void stats_fb_free(struct stats_fb *s);

/* stats_fb_on_event - count e if it is EVENT_FEEDBACK(_REFUSED). */
void stats_fb_on_event(struct stats_fb *s, const struct events_item *e);

/* stats_fb_render - the three families into w. */
void stats_fb_render(const struct stats_fb *s, struct metrics_writer *w);

#endif
