/*
 * http_events.h - the admin plane's view of events out to applications
 * (contract).
 *
 *   GET /v1/events?after=N&type=a,b&limit=M   the recent events after
 *       number N (observe/event_tail.h), oldest first:
 *       {"events": [{"seq", "id", "type", "timestamp", "data"}...],
 *        "next": N'}; without after, the last M (default 100, at most
 *       1000). `swervectl events tail` polls it with next.
 *   GET /v1/events/dead?limit=M   the newest dead-lettered webhook
 *       deliveries from the spool: {"dead": [{"id", "url", "type",
 *       "message_id", "attempts", "last_error", "created_at",
 *       "dead_at"}], "queued": Q, "dead_total": D}.
 *
 * Admin key only (http_access.c). Loop thread.
 */
#ifndef SWERVE_INGRESS_HTTP_EVENTS_H
#define SWERVE_INGRESS_HTTP_EVENTS_H

struct http_admin;
struct event_tail;
struct spool;
struct http_events;

/* http_events_new - serve both on h; tail and sp are borrowed. */
struct http_events *http_events_new(struct http_admin *h,
                                    struct event_tail *tail, struct spool *sp);

/* http_events_free - free e (requests waiting for the spool are
 * answered by the spool's callbacks, which do not touch e). NULL: no-op. */
void http_events_free(struct http_events *e);

#endif
