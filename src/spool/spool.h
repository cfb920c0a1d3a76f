/*
 * spool.h - the durable message store (contract).
 *
 * The spool is the only owner of message state. It is an SQLite database in
 * WAL mode with synchronous=FULL under spool.dir, written by exactly one
 * writer thread. Submitters on the event-loop thread hand complete messages
 * to spool_msg_submit(); the writer commits everything that is waiting as
 * one transaction with one fsync (group commit), and only then are the
 * submitters' callbacks run, on the loop thread. A caller may say "250" /
 * "202" only from such a callback with status SPOOL_OK.
 *
 * Nothing here blocks the loop thread: submit only queues and signals the
 * writer; the writer signals back through an eventfd watched by the loop.
 *
 * On open, messages left "in flight" by a crash become ready again: a crash
 * may cause a duplicate delivery later, never a loss.
 */
#ifndef SWERVE_SPOOL_SPOOL_H
#define SWERVE_SPOOL_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/id.h"

struct event_base;
struct statvfs;
struct spool;

/* Results of spool operations; SMTP replies in brackets. */
enum spool_status {
	SPOOL_OK = 0,
	SPOOL_ERR_IO = -1,     /* write/fsync failed; nothing stored [451 4.3.0] */
	SPOOL_ERR_FULL = -2,   /* disk below min_free or queue cap [452 4.3.1] */
	SPOOL_ERR_CLOSED = -3, /* spool shutting down [421 4.3.2] */
};

/* Message states, as stored and as counted by spool_counts_get(). */
enum spool_state {
	SPOOL_STATE_READY,    /* waiting for its next attempt time */
	SPOOL_STATE_INFLIGHT, /* claimed by deliver */
	SPOOL_STATE_DEFERRED, /* every provider failed; backing off */
	SPOOL_STATE_SENT,     /* every recipient done, at least one sent */
	SPOOL_STATE_FAILED,   /* every recipient failed permanently */
	SPOOL_STATE_COUNT,
};

/* spool_state_name - "ready", "inflight", "deferred", "sent", "failed". */
const char *spool_state_name(enum spool_state s);

/*
 * Test seams. Any member may be NULL (the real call is used). The write and
 * sync hooks are consulted by the spool's SQLite VFS shim before each real
 * write/fsync: returning non-zero makes that call fail with that errno
 * (EIO, ENOSPC). statvfs replaces statvfs(3) for the free-space check.
 */
struct spool_hooks {
	int (*write_fault)(void *arg);
	int (*sync_fault)(void *arg);
	int (*statvfs)(const char *path, struct statvfs *out, void *arg);
	void *arg;
};

struct spool_opts {
	const char *dir;       /* created if missing (mode 0700) */
	uint64_t min_free;     /* bytes that must stay free on dir's fs */
	uint64_t max_messages; /* cap on unfinished messages (0 = no cap) */
	size_t batch_max;      /* most messages per commit (0 = 256) */
	const struct spool_hooks *hooks; /* NULL in production */
};

/* A message handed to the spool. All pointers are owned by the message. */
struct spool_msg_new {
	char *sender;  /* envelope sender; "" for the null sender <> */
	char **rcpts;  /* envelope recipients */
	size_t n_rcpts;
	struct buf body; /* the whole message, CRLF line ends, unstuffed */
	char *tenant;	 /* authenticated user or api key tenant; may be NULL */
	char *client;	 /* peer address, "127.0.0.1:4242"; may be NULL */
	char *stream;	 /* NULL means "transactional" */
	char *idempotency_key; /* may be NULL */
};

/* spool_msg_new_fini - free what m owns (for callers that did not submit). */
void spool_msg_new_fini(struct spool_msg_new *m);

/*
 * spool_commit_fn - the result of one submit, on the loop thread.
 * status is SPOOL_OK (id is the new message id, valid during the call) or
 * a negative enum spool_status (id is NULL, nothing was stored).
 */
typedef void spool_commit_fn(int status, const char *id, void *arg);

/*
 * spool_open - open or create the spool in opts->dir and start the writer.
 * Recovers in-flight messages to ready. Returns NULL with a message in err
 * on failure (unwritable dir, corrupt database, ...). opts->hooks is
 * borrowed and must outlive the spool.
 */
struct spool *spool_open(const struct spool_opts *opts, char *err,
    size_t errlen);

/*
 * spool_attach - deliver commit callbacks on base's loop thread. Must be
 * called once, before the first submit, from the loop thread.
 */
int spool_attach(struct spool *sp, struct event_base *base);

/*
 * spool_msg_submit - queue m for the next group commit.
 * Takes ownership of everything m points to (m itself may be on the
 * caller's stack; its members are moved out and m is zeroed). cb is called
 * exactly once, on the loop thread, after the commit's fsync returned or
 * failed, unless spool_close() runs first (then with SPOOL_ERR_CLOSED).
 * Returns 0, or a negative enum spool_status when refused at once (in that
 * case cb is not called and m's contents are freed).
 */
int spool_msg_submit(struct spool *sp, struct spool_msg_new *m,
    spool_commit_fn *cb, void *arg);

/*
 * spool_space_check - cheap, non-blocking: SPOOL_OK, or SPOOL_ERR_FULL when
 * free space was below min_free at the last check or the queue is at its
 * cap. Ingress calls it at MAIL FROM to answer 452 early.
 */
int spool_space_check(struct spool *sp);

struct spool_counts {
	uint64_t state[SPOOL_STATE_COUNT];
	uint64_t commits;	/* group commits done */
	uint64_t committed_msgs; /* messages stored since open */
};

/* spool_counts_get - message counts by state, from memory (non-blocking). */
void spool_counts_get(struct spool *sp, struct spool_counts *out);

/*
 * spool_close - stop accepting, finish the commits already queued (their
 * callbacks run), stop the writer and close the database. NULL is a no-op.
 */
void spool_close(struct spool *sp);

#endif
