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
	SPOOL_ERR_IO = -1, /* write/fsync failed; nothing stored [451 4.3.0] */
	SPOOL_ERR_FULL = -2, /* disk below min_free or queue cap [452 4.3.1] */
	SPOOL_ERR_CLOSED = -3,   /* spool shutting down [421 4.3.2] */
	SPOOL_ERR_NOTFOUND = -4, /* no message with that id (get, outcome) */
	SPOOL_ERR_CONFLICT = -5, /* idempotency key kept for another payload
	                            (spool_msg_submit_idem only) */
	SPOOL_ERR_DAMAGED = -6,  /* the store is damaged; nothing is taken
	                            until an operator acts [421 4.3.0] */
};

/* spool_status_name - "ok", "io", "full", "closed", "notfound",
 * "conflict", "damaged". */
const char *spool_status_name(int status);

/* Message states, as stored and as counted by spool_counts_get(). */
enum spool_state {
	SPOOL_STATE_READY,    /* waiting for its next attempt time */
	SPOOL_STATE_INFLIGHT, /* claimed by deliver */
	SPOOL_STATE_DEFERRED, /* every provider failed; backing off */
	SPOOL_STATE_SENT,     /* every recipient done, at least one sent */
	SPOOL_STATE_FAILED,   /* every recipient failed permanently */
	/* Waiting for its meta's send_at (next_attempt_at); then claimed
	 * like a ready message. */
	SPOOL_STATE_SCHEDULED,
	/* Final: meta.sandbox, stored and never delivered. */
	SPOOL_STATE_SANDBOXED,
	/* Final: cancelled before it was sent (spool_msg_cancel). */
	SPOOL_STATE_CANCELLED,
	SPOOL_STATE_COUNT,
};

/* spool_state_name - "ready", "inflight", "deferred", "sent", "failed",
 * "scheduled", "sandboxed", "cancelled". */
const char *spool_state_name(enum spool_state s);

/* spool_state_final - true for a state a message never leaves (sent,
 * failed, sandboxed, cancelled). */
int spool_state_final(enum spool_state s);

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
	/* Start even when the integrity check finds damage (the operator's
	 * --accept-spool-damage); what is lost is logged. */
	int accept_damage;
	/* Time allowed to PRAGMA quick_check at open, ms (0 = 10 s); a
	 * check that runs out of time is logged and skipped. */
	unsigned check_budget_ms;
	/* Bytes of freshly committed bodies kept in memory for their claim
	 * instead of being read back (spool.handoff_cache); 0 = off. */
	uint64_t handoff_max;
	/* While only outcomes wait, the writer gathers them for up to this
	 * long (ms) before it commits (spool.outcome_delay); 0 = at once. */
	unsigned outcome_delay_ms;
	/* Longest a commit waits for sessions that are receiving a message
	 * body (spool_data_hint), microseconds; 0 = never waits. */
	unsigned commit_gather_us;
};

/*
 * A message handed to the spool. All pointers are owned by the message.
 * Its meta decides how it is stored: with meta.sandbox it is sandboxed
 * (final, never delivered); with a meta.send_at later than the commit
 * it is scheduled, due at send_at; else ready.
 */
struct spool_msg_new {
	char *sender; /* envelope sender; "" for the null sender <> */
	char **rcpts; /* envelope recipients */
	size_t n_rcpts;
	struct buf body; /* the whole message, CRLF line ends, unstuffed */
	char *tenant;    /* authenticated user or api key tenant; may be NULL */
	char *client;    /* peer address, "127.0.0.1:4242"; may be NULL */
	char *stream;    /* NULL means "transactional" */
	char *idempotency_key; /* may be NULL; see spool_msg_submit() */
	/* Digest of the request the key came with (hex); may be NULL. Only
	 * spool_msg_submit_idem() compares it; it is stored either way. */
	char *idempotency_hash;
	/* What the caller asked besides the bytes: msg_meta_encode()'s
	 * JSON (spool/msg_meta.h), stored as it is; NULL when empty. */
	char *meta;
	/* The message's id when the ingress already used one (as its
	 * Message-ID's local part, so that the id every endpoint answers
	 * is the one the delivered message carries): a fresh id_new() id,
	 * or "" for the spool to make one. */
	char id[ID_SIZE];
	/* 1: applications are told it was accepted (the outbox, below):
	 * mail a client handed in. 0: swerve's own (DSNs, notices). */
	int announce;
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
 *
 * Integrity: the directory is made 0700 (a group- or world-accessible one
 * is fixed with a warning) and its files 0600. Before SQLite touches the
 * files, the WAL is compared with the integrity record (spool.db.mark):
 * a missing, truncated or foreign WAL, or committed frames after a
 * damaged one, is damage; then PRAGMA quick_check runs within
 * opts->check_budget_ms. On damage spool_open fails with err naming the
 * file and what to do, unless opts->accept_damage: then the readable
 * part is kept, the WAL is checkpointed and reset, and what was lost is
 * logged.
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
 *
 * Idempotency: when m->idempotency_key is set and a stored message has
 * the same tenant (both NULL counts as the same) and key, nothing is
 * stored and cb gets SPOOL_OK with the stored message's id. The check
 * and the insert are one step on the writer, so concurrent retries with
 * one key store one message.
 *
 * In this implementation the only at-once refusal is SPOOL_ERR_CLOSED.
 * Disk low / queue cap (SPOOL_ERR_FULL) and I/O errors arrive through cb,
 * which never runs inside this call (always later, from the loop).
 * Messages queued when spool_close() starts are still committed; their
 * cb runs inside spool_close() with the real outcome.
 */
int spool_msg_submit(struct spool *sp, struct spool_msg_new *m,
                     spool_commit_fn *cb, void *arg);

/*
 * spool_data_hint - a session began (delta +1) or stopped (-1) receiving
 * a message body that it will submit when complete. With
 * opts.commit_gather_us set, a commit that is ready while n sessions are
 * receiving waits until n more messages joined it, or until that time
 * is up, whichever comes first: more messages share one fsync when
 * lock-step clients would otherwise alternate. Any thread; a hint that
 * is never taken back only costs that wait.
 */
void spool_data_hint(struct spool *sp, int delta);

/*
 * spool_submit_fn - the result of spool_msg_submit_idem(), on the loop
 * thread. SPOOL_OK: id is the message's id; dup is 0 when this submit
 * stored it, 1 when a message with the same tenant, key and payload hash
 * (or no hash on either side) was already stored. SPOOL_ERR_CONFLICT: the
 * key is taken by a message with another payload hash (id is that
 * message's id, dup 1); nothing was stored. Other negative statuses as
 * for spool_commit_fn (id NULL).
 */
typedef void spool_submit_fn(int status, const char *id, int dup, void *arg);

/*
 * spool_msg_submit_idem - spool_msg_submit() for callers that must tell
 * a new message from a replay and a replay from a key reused for another
 * payload (the HTTP API's 202 / 200 / 409). Same ownership, timing and
 * at-once refusals as spool_msg_submit(); cb as spool_submit_fn says.
 */
int spool_msg_submit_idem(struct spool *sp, struct spool_msg_new *m,
                          spool_submit_fn *cb, void *arg);

/*
 * spool_space_check - cheap, non-blocking: SPOOL_OK, or SPOOL_ERR_FULL when
 * free space was below min_free at the last check or the queue is at its
 * cap. Ingress calls it at MAIL FROM to answer 452 early. Any thread.
 * Free space counts the space reserved by queued submits and one small
 * message's worth (see spool_space_check_size()).
 */
int spool_space_check(struct spool *sp);

/*
 * spool_space_check_size - spool_space_check() for a message of size body
 * bytes (SMTP MAIL's SIZE=): SPOOL_ERR_FULL when its reservation (twice
 * size plus overhead, for the WAL and the database) and those of the
 * submits already queued do not fit above min_free at the last sample.
 * Any thread; from memory, no system call.
 */
int spool_space_check_size(struct spool *sp, uint64_t size);

struct spool_counts {
	uint64_t state[SPOOL_STATE_COUNT];
	uint64_t commits;        /* group commits done (that wrote) */
	uint64_t committed_msgs; /* messages stored since open */
	/* Added for metrics and the benchmark. */
	uint64_t failed_commits; /* batches rolled back (I/O errors) */
	uint64_t largest_batch;  /* most jobs in one commit since open */
	uint64_t commit_usec;    /* total BEGIN..COMMIT time of commits */
	uint64_t queued;         /* jobs waiting for the writer right now */
	uint64_t deduplicated;   /* submits answered by idempotency key */
	int disk_low;            /* 1 if free space was below min_free */
	int damaged;             /* 1 once spool_health() says damaged */
	                         /*
	                          * Added for the metrics' histograms; counted for writing commits
	                          * only, under the writer's lock. batch_hist[i] counts commits of
	                          * at most 2^i jobs (the last bucket: more); commit_hist[i] commits
	                          * whose BEGIN..COMMIT (the fsync included) took at most
	                          * spool_commit_bounds_us[i] (the last bucket: longer).
	                          */
#define SPOOL_BATCH_BUCKETS 10
#define SPOOL_COMMIT_BUCKETS 12
	uint64_t batch_hist[SPOOL_BATCH_BUCKETS + 1];
	uint64_t commit_hist[SPOOL_COMMIT_BUCKETS + 1];
	uint64_t batch_jobs; /* jobs in writing commits (the batch sum) */
	/* Claims whose body came from memory (spool_opts.handoff_max) or
	 * had to be read; bytes held in memory now. */
	uint64_t handoff_hits, handoff_misses, handoff_bytes;
};

/* Upper bounds of commit_hist's buckets, in microseconds. */
extern const uint64_t spool_commit_bounds_us[SPOOL_COMMIT_BUCKETS];

/*
 * spool_health - SPOOL_OK, or SPOOL_ERR_DAMAGED once a read or commit met
 * a damaged database (SQLITE_CORRUPT, SQLITE_NOTADB, a failed read) since
 * open; then why (may be NULL) gets one line. Damage is never cleared
 * while the spool is open: the operator checks the files and restarts.
 * Any thread. spool_space_check() answers SPOOL_ERR_DAMAGED too.
 */
int spool_health(struct spool *sp, char *why, size_t n);

/* spool_counts_get - counts by state and figures, from memory; any thread. */
void spool_counts_get(struct spool *sp, struct spool_counts *out);

/*
 * ---- Reading and delivering (additive API) -------------------------------
 *
 * Every operation below is queued to the writer thread like a submit and
 * runs inside the next group commit, in submission order with the
 * submits around it; its callback runs on the loop thread after that
 * commit (reads: after the batch they ran in). None of them blocks the
 * caller. Each returns 0 (cb will be called exactly once), or
 * SPOOL_ERR_CLOSED at once (cb not called) when spool_close() has begun.
 * On a failed batch every callback gets SPOOL_ERR_IO (SPOOL_ERR_DAMAGED
 * when the failure was damage, see spool_health()) and nothing the
 * batch did is stored.
 */

/* Per-recipient outcome. */
enum spool_rcpt_state {
	SPOOL_RCPT_PENDING,
	SPOOL_RCPT_SENT,
	SPOOL_RCPT_FAILED,
};

/* spool_rcpt_state_name - "pending", "sent", "failed". */
const char *spool_rcpt_state_name(enum spool_rcpt_state s);

struct spool_rcpt {
	char *address;
	enum spool_rcpt_state state;
	char *last_reply;      /* may be NULL */
	char *provider;        /* provider that settled it; may be NULL */
	char *provider_msg_id; /* may be NULL */
	/*
	 * What the provider later reported (spool_feedback_record): NULL
	 * until then, else "delivered", "delayed", "bounced", "complained",
	 * "rejected" or "unsubscribed". state stays what delivery decided.
	 */
	char *outcome;
	char *bounce;       /* "hard" or "soft" when bounced, else NULL */
	char *outcome_text; /* the provider's diagnostic; may be NULL */
	int64_t outcome_at; /* when it happened (ms), 0 without outcome */
};

/* One provider event in a message's history (spool_msg_get). */
struct spool_fb_row {
	int64_t at_ms; /* when it happened, as the provider says */
	int rcpt_idx;  /* the recipient it concerns, -1 for none */
	char *provider, *event_id;
	char *type;                             /* feedback_type_name() */
	char *recipient;                        /* as reported; may be NULL */
	int smtp_code;                          /* 0 unknown */
	char *enhanced;                         /* may be NULL */
	char *provider_type, *provider_subtype; /* raw names; may be NULL */
	char *diagnostic;                       /* may be NULL */
};

struct spool_attempt {
	int64_t at_ms; /* ms since the epoch */
	char *provider;
	char *result; /* result class name: "accepted", "deferred", ... */
	char *reply;  /* may be NULL */
	int64_t duration_ms;
	char *trace; /* the router's decision in plain words, then maybe a
	                line SPOOL_TRACE_NOT_APPLIED...; may be NULL */
};

/*
 * How an attempt's trace names what of the message's meta its provider
 * had no equivalent for: a last line "not applied by <provider>: <list>"
 * (this string without its newline begins it; the line stands alone when
 * there is no router trace).
 */
#define SPOOL_TRACE_NOT_APPLIED "\nnot applied by "

/*
 * A snapshot of one stored message. Strings that are NULL in the store are
 * NULL here (stream is never NULL). rcpts, attempts and body are filled
 * only where the operation says so (else NULL / 0 / empty).
 */
struct spool_msg {
	char id[ID_SIZE];
	enum spool_state state;
	char *sender;
	char *tenant, *client, *stream, *idempotency_key, *last_error;
	char *meta;              /* msg_meta_encode() JSON as stored, or NULL */
	uint64_t size;           /* body bytes */
	int64_t created_at;      /* ms since the epoch */
	int64_t next_attempt_at; /* ms since the epoch */
	uint32_t attempts;       /* delivery attempts recorded so far */
	struct spool_rcpt *rcpts;
	size_t n_rcpts;
	struct spool_attempt *atts; /* oldest first */
	size_t n_atts;
	struct spool_fb_row *events; /* provider events, in time order
	                                (spool_msg_get only) */
	size_t n_events;
	struct buf body;
};

/* spool_msg_free - free m and everything it owns. NULL is a no-op. */
void spool_msg_free(struct spool_msg *m);

/*
 * spool_msg_fn - one message (or none). status SPOOL_OK with m, or
 * SPOOL_ERR_NOTFOUND / SPOOL_ERR_IO / SPOOL_ERR_CLOSED with m NULL.
 * The callee owns m and frees it with spool_msg_free().
 */
typedef void spool_msg_fn(int status, struct spool_msg *m, void *arg);

/*
 * spool_msgs_fn - several messages. msgs[0..n-1] are owned by the callee
 * (free each with spool_msg_free()); the array itself is valid only during
 * the call. On error n is 0.
 */
typedef void spool_msgs_fn(int status, struct spool_msg **msgs, size_t n,
                           void *arg);

/* spool_done_fn - the result of a state change, after its commit. */
typedef void spool_done_fn(int status, void *arg);

/*
 * spool_exec_fn - work another module's durable state does inside the
 * writer's transaction (writer thread): db is the writer's connection,
 * inside BEGIN; statements are the callee's to prepare and finalize.
 * Returns SPOOL_OK, SPOOL_ERR_NOTFOUND or SPOOL_ERR_CONFLICT (answers:
 * the batch goes on) or SPOOL_ERR_IO (the whole batch is rolled back).
 */
struct sqlite3;
typedef int spool_exec_fn(struct sqlite3 *db, void *arg);

/*
 * spool_exec - run fn(db, arg) on the writer thread inside the next
 * group commit, then cb(status, arg) on the loop thread once that commit
 * is on disk (status: fn's answer, or SPOOL_ERR_IO / SPOOL_ERR_CLOSED
 * when the batch failed or the spool closes). arg is the caller's until
 * cb ran; fn must touch nothing the loop thread uses meanwhile. This is
 * how the suppression list (spool/suppress_local.c) keeps its table in
 * the spool database without a second writer. 0, or SPOOL_ERR_CLOSED
 * (cb is then not called).
 */
int spool_exec(struct spool *sp, spool_exec_fn *fn, spool_done_fn *cb,
               void *arg);

#define SPOOL_GET_BODY 0x1 /* spool_msg_get: also fill body */

/*
 * spool_msg_get - read one message with its recipients and attempts (for
 * `swervectl show`); with SPOOL_GET_BODY also its body. id is copied.
 */
int spool_msg_get(struct spool *sp, const char *id, int flags, spool_msg_fn *cb,
                  void *arg);

/*
 * spool_msg_list - up to limit messages (ids ascending, i.e. oldest
 * first) whose id is greater than the id `after` (NULL, "" or a non-id:
 * from the start), in state `state`, or in any state when state is -1.
 * For `swervectl queue` and paging: pass the last id seen. Summaries only:
 * n_rcpts is set, rcpts/atts/body are not filled. limit is capped at 1000.
 */
int spool_msg_list(struct spool *sp, int state, const char *after, size_t limit,
                   spool_msgs_fn *cb, void *arg);

/*
 * spool_msg_list_tenant - spool_msg_list() of the messages of one tenant
 * only (tenant is copied; NULL: every tenant, as spool_msg_list). A
 * tenant's API key pages through its own messages with this.
 */
int spool_msg_list_tenant(struct spool *sp, const char *tenant, int state,
                          const char *after, size_t limit, spool_msgs_fn *cb,
                          void *arg);

/*
 * spool_msg_claim - move up to max messages that are ready, deferred or
 * scheduled and due (next_attempt_at <= now_ms) to inflight, oldest due first,
 * and hand them to cb with body and recipients (attempts not filled). The claim
 * is committed before cb runs. A claimed message stays inflight until
 * spool_msg_outcome() settles it, or until the next spool_open() (crash
 * recovery makes it ready again: a duplicate, never a loss).
 */
/*
 * spool_msg_claim_stream - the same, only messages of stream (not NULL).
 * Costs O(max) whatever the other streams hold, so the scheduler can
 * claim each stream's fair share.
 */
int spool_msg_claim_stream(struct spool *sp, const char *stream, size_t max,
                           int64_t now_ms, spool_msgs_fn *cb, void *arg);

int spool_msg_claim(struct spool *sp, size_t max, int64_t now_ms,
                    spool_msgs_fn *cb, void *arg);

/* What an outcome tells applications (observe/webhook_out.h): nothing
 * (a failover step, a hold, a release), sent (final, at least one
 * recipient sent), deferred (backing off) or failed (final). */
enum spool_notice {
	SPOOL_NOTICE_NONE,
	SPOOL_NOTICE_SENT,
	SPOOL_NOTICE_DEFERRED,
	SPOOL_NOTICE_FAILED,
};

/* One recipient's result inside a spool_outcome. */
struct spool_rcpt_result {
	size_t index; /* position in the message's recipient list */
	enum spool_rcpt_state state;
	const char *reply;           /* may be NULL */
	const char *provider_msg_id; /* may be NULL */
};

/*
 * What one delivery attempt did to a message. All pointers are borrowed
 * for the duration of spool_msg_outcome() (it copies them).
 */
struct spool_outcome {
	const char *id;
	/* The attempt row; skipped when provider is NULL (e.g. a release). */
	const char *provider;
	const char *result; /* result class name */
	const char *reply;  /* may be NULL */
	const char *trace;  /* why this provider was chosen; may be NULL */
	int64_t at_ms;
	int64_t duration_ms;
	/* Recipient updates (provider is recorded on each). */
	const struct spool_rcpt_result *rcpts;
	size_t n_rcpts;
	/*
	 * The message's next state, decided by deliver: READY or DEFERRED
	 * (with next_attempt_at), SENT or FAILED (final).
	 */
	enum spool_state next_state;
	int64_t next_attempt_at;
	const char *last_error; /* may be NULL */
	/* What applications are told of it (the outbox, below). */
	enum spool_notice notice;
};

/*
 * spool_msg_outcome - record an attempt, recipient results and the next
 * state in the next group commit. cb (may be NULL) gets SPOOL_OK after
 * the commit, SPOOL_ERR_NOTFOUND if there is no such message, or
 * SPOOL_ERR_IO. Returns 0, or at once (cb not called) SPOOL_ERR_CLOSED,
 * or SPOOL_ERR_NOTFOUND when o->id is not a syntactically valid id.
 * After SPOOL_ERR_IO nothing of o is stored: the message keeps its state
 * (normally inflight, which the next spool_open() turns into ready), so
 * a caller that wants it settled sooner submits the outcome again.
 */
int spool_msg_outcome(struct spool *sp, const struct spool_outcome *o,
                      spool_done_fn *cb, void *arg);

/*
 * spool_msg_cancel - cancel message id before it is sent: a message that
 * is scheduled, ready or deferred becomes cancelled (final; it is never
 * claimed again, its recipients stay pending, last_error "cancelled").
 * tenant (copied) restricts it to that tenant's messages; NULL: any
 * tenant's (the operator). cb gets, after the commit:
 *  - SPOOL_OK and the message as it is now (cancelled; also when it
 *    already was: cancelling twice is the same answer);
 *  - SPOOL_ERR_CONFLICT and the message as it is, when it can no longer
 *    be cancelled: inflight (being sent), sent, failed or sandboxed;
 *  - SPOOL_ERR_NOTFOUND (m NULL) for no such id, or another tenant's;
 *  - SPOOL_ERR_IO / SPOOL_ERR_CLOSED (m NULL).
 * The callee owns m. Returns 0 or SPOOL_ERR_CLOSED at once (cb not
 * called). A claim queued before the cancel wins (the message is then
 * inflight: conflict); one queued after finds nothing to claim.
 */
int spool_msg_cancel(struct spool *sp, const char *id, const char *tenant,
                     spool_msg_fn *cb, void *arg);

/*
 * spool_msg_reschedule - move the send time of a message that has not
 * been claimed yet (scheduled or ready) to at_ms (wall ms): scheduled
 * until then, or ready at once when at_ms is not in the future. The
 * stored meta's send_at follows (seconds, rounded up). tenant and cb as
 * for spool_msg_cancel(): SPOOL_OK with the message as it is now,
 * SPOOL_ERR_CONFLICT with it when it is no longer scheduled or ready,
 * SPOOL_ERR_NOTFOUND. The limit on how far ahead is the caller's.
 */
int spool_msg_reschedule(struct spool *sp, const char *id, const char *tenant,
                         int64_t at_ms, spool_msg_fn *cb, void *arg);

/* spool_count_fn - the result of a bulk operation: how many it touched. */
typedef void spool_count_fn(int status, uint64_t n, void *arg);

/*
 * spool_msg_purge - delete up to max finished messages (sent, failed,
 * sandboxed or cancelled)
 * whose id is older than before_ms (ids carry their creation time), with
 * their recipients and attempts, oldest first, in the next group commit.
 * For retention: call it periodically until n < max. cb (may be NULL)
 * gets the number deleted. Returns 0 or SPOOL_ERR_CLOSED at once.
 * Unfinished messages are never deleted.
 */
int spool_msg_purge(struct spool *sp, int64_t before_ms, size_t max,
                    spool_count_fn *cb, void *arg);

/*
 * ---- Delivery feedback (issue 14) ------------------------------------
 */

struct feedback_event;

/* What became of one event handed to spool_feedback_record(). */
struct spool_fb_match {
	int is_new;           /* 1: stored by this call; 0: the provider's
	                         (provider, event_id) was stored before: nothing
	                         changed (a replay) */
	char msg_id[ID_SIZE]; /* the message it concerns, "" for none */
	int rcpt_idx;         /* its recipient, -1 for none */
	/* The matched message's tenant, stream and envelope sender's domain
	 * (lower-case); NULL when unmatched or not stored. */
	char *tenant, *stream, *sender_domain;
};

/*
 * spool_fb_fn - the result of spool_feedback_record(), on the loop
 * thread after the commit: SPOOL_OK with ev[0..n) and m[0..n) (both
 * borrowed for the call), or SPOOL_ERR_IO / SPOOL_ERR_DAMAGED /
 * SPOOL_ERR_CLOSED with m NULL (nothing was stored).
 */
typedef void spool_fb_fn(int status, const struct feedback_event *ev,
                         const struct spool_fb_match *m, size_t n, void *arg);

/*
 * spool_feedback_record - store ev[0..n) (spool/feedback.h) in the next
 * group commit, all or none. Each event is de-duplicated on (provider,
 * event_id): one stored before (or earlier in ev) is a replay and
 * changes nothing. A new one is matched to a message and recipient:
 * by swerve_id and recipient address when swerve_id names a message,
 * else by the provider message id kept on the recipient at acceptance
 * (as given, with or without <brackets>, or up to its first '.' as
 * SendGrid's sg_message_id extends X-Message-Id) among the recipients
 * settled by that same provider, preferring the one with the event's
 * address. Only a recipient settled by the event's provider (or by
 * none yet) is matched. An event that matches nothing is stored all
 * the same (msg_id ""). A matched recipient's outcome follows the event
 * (delivered, delayed, bounced hard/soft, complained, rejected,
 * unsubscribed; sent and other change nothing) unless it already has a
 * graver or later one. An event with occurred_ms 0 happened at now_ms.
 *
 * Takes ownership of ev (one malloc'd array, freed after cb). cb is
 * called exactly once, unless this returns SPOOL_ERR_CLOSED at once
 * (then ev is freed and cb is not called).
 */
int spool_feedback_record(struct spool *sp, struct feedback_event *ev, size_t n,
                          int64_t now_ms, spool_fb_fn *cb, void *arg);

/*
 * ---- Outbound webhooks -------------------------------------------------
 *
 * The queue of events told to applications (observe/webhook_out.h): one
 * row per (event id, URL), durable in the same group commits as the
 * mail, removed only when the receiver answered 2xx, dead-lettered when
 * the sender gives up (kept, listed by spool_wh_dead_list()).
 */

#define SPOOL_WH_ID_MAX 64

/* One queued delivery. Strings are owned by the array (spool_wh_free). */
struct spool_wh {
	char id[SPOOL_WH_ID_MAX]; /* the webhook-id, the same at every try */
	char *url;
	char *msg_id;       /* the message concerned, or NULL */
	char *payload;      /* JSON as queued */
	char *meta;         /* read: the message's msg_meta JSON, or NULL */
	int64_t created_at; /* queued at (wall ms) */
	int64_t next_at;    /* due at; settle: the next attempt */
	unsigned attempts;  /* failed attempts so far */
	char *last_error;   /* the last failure, or NULL */
};

/* What the queue holds after a claim or a dead-letter list. */
struct spool_wh_counts {
	uint64_t queued, dead;
	int64_t next_at; /* earliest due of the queued rows; INT64_MAX: none */
};

enum spool_wh_verdict {
	SPOOL_WH_DONE,  /* delivered (2xx): the row goes */
	SPOOL_WH_RETRY, /* failed: next_at, attempts, last_error */
	SPOOL_WH_DEAD,  /* given up: kept as dead, with attempts, last_error */
};

/* spool_wh_free - free w[0..n)'s strings and the array. NULL is a no-op. */
void spool_wh_free(struct spool_wh *w, size_t n);

/*
 * spool_wh_fn - the result of a claim or a dead-letter list, on the loop
 * thread: SPOOL_OK with w[0..n) (ownership passes to the callback: free
 * with spool_wh_free) and the counts, or an error with w NULL.
 */
typedef void spool_wh_fn(int status, struct spool_wh *w, size_t n,
                         const struct spool_wh_counts *c, void *arg);

/*
 * spool_wh_enqueue - store w[0..n) (id, url, msg_id, payload) in the next
 * group commit, due at once, with the message's msg_meta copied beside
 * it; a row whose (id, url) is stored already is kept as it was. Takes
 * ownership of w. cb (may be NULL) runs once after the commit, unless
 * this returns SPOOL_ERR_CLOSED at once (w freed, cb not called).
 */
int spool_wh_enqueue(struct spool *sp, struct spool_wh *w, size_t n,
                     spool_done_fn *cb, void *arg);

/*
 * spool_wh_claim - lease up to max rows due at now_ms (oldest due first):
 * each becomes due again at now_ms + lease_ms unless settled before (so a
 * crash re-sends it, under the same id). cb gets the rows and counts.
 */
int spool_wh_claim(struct spool *sp, int64_t now_ms, int64_t lease_ms,
                   size_t max, spool_wh_fn *cb, void *arg);

/*
 * spool_wh_settle - record what became of one row (id and url identify
 * it; next_at, attempts and last_error for RETRY and DEAD). w is copied.
 * cb may be NULL.
 */
int spool_wh_settle(struct spool *sp, const struct spool_wh *w,
                    enum spool_wh_verdict v, spool_done_fn *cb, void *arg);

/* spool_wh_dead_list - the newest max dead-lettered rows, and counts. */
int spool_wh_dead_list(struct spool *sp, size_t max, spool_wh_fn *cb,
                       void *arg);

/*
 * ---- Outbox: notices stored with the change they tell of ---------------
 *
 * A notice to applications (an outbound webhook) must not be lost to a
 * crash between the commit that made it true and a later one that
 * queues it. So notices are made by the writer inside the transaction
 * of the change: after each change below succeeds, the spool calls the
 * outbox function on the writer thread and stores the rows it returns
 * (as spool_wh_enqueue() would) in the same commit. If the commit fails,
 * neither is stored. Changes:
 *   STORED   a message with announce set was stored (not an idempotent
 *            replay);
 *   OUTCOME  an outcome whose notice is not NONE was recorded;
 *   FEEDBACK a new (not replayed) provider event was stored.
 */
enum spool_change_kind {
	SPOOL_CHANGE_STORED,
	SPOOL_CHANGE_OUTCOME,
	SPOOL_CHANGE_FEEDBACK,
};

/* One change, borrowed for the call. */
struct spool_change {
	enum spool_change_kind kind;
	const char *msg_id;          /* NULL: feedback matched no message */
	const char *tenant, *stream; /* the message's; NULL when unknown */
	size_t n_rcpts;              /* its recipients (STORED, OUTCOME) */
	int64_t at_ms;               /* when the writer recorded it */
	const struct spool_outcome *outcome; /* OUTCOME */
	const struct feedback_event *fb;     /* FEEDBACK */
};

/*
 * spool_outbox_fn - the rows to store with change c: *out a malloc'd
 * array of the returned number of rows (id, url, msg_id and payload
 * set; the spool frees it with spool_wh_free), or 0 and *out NULL.
 * Runs on the writer thread: it must be thread-safe, must not block
 * and must not call spool functions.
 */
typedef size_t spool_outbox_fn(const struct spool_change *c,
                               struct spool_wh **out, void *arg);

/* spool_outbox_wake_fn - a commit stored outbox rows; loop thread,
 * after the callbacks of the batch. */
typedef void spool_outbox_wake_fn(void *arg);

/*
 * spool_outbox_set - make fn the outbox (NULL: none) and wake its
 * waker. One outbox per spool; loop thread. Returns after the writer's
 * current batch, so once it returns with fn NULL the old fn is not
 * running and will not run again.
 */
void spool_outbox_set(struct spool *sp, spool_outbox_fn *fn,
                      spool_outbox_wake_fn *wake, void *arg);

/* spool_outbox_unset - spool_outbox_set(sp, NULL, NULL, NULL) if the
 * outbox's arg is still arg; else nothing (another took over). */
void spool_outbox_unset(struct spool *sp, void *arg);

/*
 * ---- Wake-ups ---------------------------------------------------------
 *
 * Delivery does not poll: the spool tells it when a commit made mail due,
 * and answers when the next stored attempt time is.
 */

/*
 * spool_due_fn - a commit made messages due at due_ms (wall ms since the
 * epoch; <= now for new and released messages, the back-off's end for
 * deferred ones, the send time for scheduled and rescheduled ones). Runs on the
 * loop thread, after the callbacks of the batch that did it; batches between
 * two runs of the loop are folded into one call with the earliest time.
 */
typedef void spool_due_fn(int64_t due_ms, void *arg);

/*
 * spool_due_watch - call fn (NULL: nobody) after every commit that stored
 * a message (not a sandboxed one), rescheduled one, or an outcome whose
 * next state is ready or deferred. One
 * watcher per spool; loop thread. fn may call any spool function.
 */
void spool_due_watch(struct spool *sp, spool_due_fn *fn, void *arg);

/*
 * spool_time_fn - the result of spool_msg_next_due(): SPOOL_OK and the
 * time (INT64_MAX when no message waits), or SPOOL_ERR_IO/CLOSED.
 */
typedef void spool_time_fn(int status, int64_t at_ms, void *arg);

/*
 * spool_msg_next_due - queue a read of the earliest next_attempt_at of
 * the ready, deferred and scheduled messages (wall ms). Runs in order with the
 * jobs queued before it, so a claim queued first has already taken what it
 * took. Returns 0 or SPOOL_ERR_CLOSED at once (cb not called).
 */
int spool_msg_next_due(struct spool *sp, spool_time_fn *cb, void *arg);

/*
 * spool_close - stop accepting, finish the commits already queued (their
 * callbacks run), stop the writer and close the database. NULL is a no-op.
 * The callbacks of the last batches run synchronously inside spool_close,
 * on the calling thread, which must be the loop thread (or any thread
 * once the loop no longer runs), and before event_base_free() of the
 * base given to spool_attach(), and not from inside a spool callback.
 * Callbacks may call spool_msg_submit() and friends; those return
 * SPOOL_ERR_CLOSED.
 */
void spool_close(struct spool *sp);

#endif
