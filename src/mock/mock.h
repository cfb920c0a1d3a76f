/*
 * mock.h - the state swerve-mock's SMTP side and HTTP side share (contract).
 *
 * One struct mock per process: its name, the current fault mode, the store
 * of captured messages and the counters. The SMTP server (mock_smtp.h),
 * the control API (mock_ctl.h) and, later, the fake provider HTTP APIs all
 * read and change this one state, so a mode set over HTTP applies to every
 * wire the mock speaks. Loop thread only.
 */
#ifndef SWERVE_MOCK_MOCK_H
#define SWERVE_MOCK_MOCK_H

#include <stddef.h>
#include <stdint.h>

#include "mock/mock_mode.h"
#include "mock/mock_store.h"

struct event_base;
struct mock;
struct mock_fb;

enum mock_stat {
	MOCK_STAT_CONNECTIONS,
	MOCK_STAT_MESSAGES_ACCEPTED,
	MOCK_STAT_MESSAGES_REJECTED, /* refused at MAIL or at the final dot */
	MOCK_STAT_MESSAGES_DROPPED,  /* drop mode: closed without a reply */
	MOCK_STAT_RCPTS_ACCEPTED,
	MOCK_STAT_RCPTS_REJECTED,
	MOCK_STAT_AUTH_ACCEPTED,
	MOCK_STAT_AUTH_REJECTED,
	MOCK_STAT_COUNT,
};

/* mock_mode_fn - told after the mode changed from old to m->mode. */
typedef void mock_mode_fn(struct mock *m, const struct mock_mode_set *old,
                          void *arg);

#define MOCK_WATCH_MAX 8
#define MOCK_NAME_MAX 63

struct mock {
	struct event_base *base; /* not owned */
	char name[MOCK_NAME_MAX + 1];
	struct mock_mode_set mode;
	struct mock_store *store; /* owned */
	struct mock_fb *fb;       /* feedback emitter (mock_fb.h), not owned;
	                             NULL: none */
	/* Counters by the mode that was current when the event happened. */
	uint64_t stats[MOCK_MODE_COUNT][MOCK_STAT_COUNT];
	struct {
		mock_mode_fn *fn;
		void *arg;
	} watch[MOCK_WATCH_MAX];
	size_t nwatch;
};

/* mock_new - the shared state, in accept mode, keeping max_store messages.
 * name is copied (truncated to MOCK_NAME_MAX). */
struct mock *mock_new(struct event_base *base, const char *name,
                      size_t max_store);

/* mock_free - release the state and its store; NULL is a no-op. */
void mock_free(struct mock *m);

/* mock_mode_watch - call fn after every mode change (at most
 * MOCK_WATCH_MAX watchers; more is a bug). */
void mock_mode_watch(struct mock *m, mock_mode_fn *fn, void *arg);

/* mock_mode_change - make set the current mode, log it and tell the
 * watchers (synchronously, in registration order). */
void mock_mode_change(struct mock *m, const struct mock_mode_set *set);

/* mock_stat_add - count one event under the current mode. */
void mock_stat_add(struct mock *m, enum mock_stat s);

/* mock_stat_total - the count of s over all modes. */
uint64_t mock_stat_total(const struct mock *m, enum mock_stat s);

/* mock_stat_name - "connections", "messages_accepted", ... */
const char *mock_stat_name(enum mock_stat s);

/* mock_stats_clear - zero every counter. */
void mock_stats_clear(struct mock *m);

struct sockaddr;
/*
 * mock_sockaddr_parse - "HOST:PORT" or "[V6]:PORT" into sa (*len in: its
 * size, out: the address length). Unlike evutil_parse_sockaddr_port it
 * takes port 0 (any free port). Returns 0 or -1.
 */
int mock_sockaddr_parse(const char *s, struct sockaddr *sa, int *len);

#endif
