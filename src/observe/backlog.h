/*
 * backlog.h - what is waiting, per stream, learnt from events (contract).
 *
 * For the alert rules: per stream, the age of the oldest unfinished
 * message, how many are deferred now, and how many were sent since
 * start. Kept in memory from message events (accepted: add; sent or
 * failed: remove; deferred or held: deferred; attempt: no longer
 * deferred) plus what the caller seeds from the spool at start
 * (backlog_seed) and corrects later (backlog_forget: a message that the
 * spool says is finished, e.g. because its event was missed).
 *
 * Memory: one small entry per unfinished message (~64 bytes). The
 * oldest per stream is the top of a min-heap whose finished entries are
 * dropped lazily and compacted when they outnumber the live ones.
 *
 * Loop thread only. Streams are the configuration's; events of other
 * streams are ignored.
 */
#ifndef SWERVE_OBSERVE_BACKLOG_H
#define SWERVE_OBSERVE_BACKLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct events_item;
struct backlog;

/* backlog_new - empty, with cfg's streams (names copied). */
struct backlog *backlog_new(const struct config *cfg);

/* backlog_free - free b. NULL is a no-op. */
void backlog_free(struct backlog *b);

/* backlog_event - learn from one event (message events only). */
void backlog_event(struct backlog *b, const struct events_item *e);

/* backlog_seed - add an unfinished message found in the spool, unless
 * it is known already. stream NULL means transactional. */
void backlog_seed(struct backlog *b, const char *id, const char *stream,
                  int64_t created_ms, bool deferred);

/* backlog_forget - the message id is finished after all: drop it. */
void backlog_forget(struct backlog *b, const char *id);

struct backlog_stream {
	int64_t oldest_ms;     /* created; 0: nothing waiting */
	const char *oldest_id; /* valid until the next call; NULL if none */
	uint64_t waiting;      /* unfinished messages */
	uint64_t deferred;     /* of which backing off */
	uint64_t sent_total;   /* sent since start */
};

/* backlog_stream_get - figures of stream i (cfg order). */
void backlog_stream_get(struct backlog *b, size_t i,
                        struct backlog_stream *out);

#endif
