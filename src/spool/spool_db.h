/*
 * spool_db.h - the spool's SQL: schema, prepared statements, row I/O
 * (internal to src/spool).
 *
 * One struct spool_db is one SQLite connection with its statements
 * prepared once and reused. It is used by one thread at a time (the
 * writer). Functions return SPOOL_OK, SPOOL_ERR_NOTFOUND where a lookup
 * may miss, or SPOOL_ERR_IO after logging SQLite's message once; after
 * SPOOL_ERR_IO inside a transaction the caller must spool_db_rollback().
 * Counts deltas are per state and applied by the caller after COMMIT.
 */
#ifndef SWERVE_SPOOL_SPOOL_DB_H
#define SWERVE_SPOOL_SPOOL_DB_H

#include <stddef.h>
#include <stdint.h>

#include "spool/spool.h"

struct spool_db;
struct spool_cache;

/* Internal flag for spool_db_msg_get: skip the attempts (claims). */
#define SPOOL_GET_NO_ATTS 0x100

/*
 * spool_db_open - open or create the database at path through the VFS
 * named vfs (NULL = default), set WAL + synchronous=FULL and create the
 * schema. NULL with a message in err on failure.
 */
struct spool_db *spool_db_open(const char *path, const char *vfs, char *err,
                               size_t errlen);
/* spool_db_close - finalize the statements and close. NULL is a no-op. */
void spool_db_close(struct spool_db *db);

/* spool_db_begin - BEGIN IMMEDIATE. */
int spool_db_begin(struct spool_db *db);
/* spool_db_commit - COMMIT (the WAL fsync happens here). */
int spool_db_commit(struct spool_db *db);
/* spool_db_rollback - reset every statement and roll back if in a txn. */
void spool_db_rollback(struct spool_db *db);

/* spool_db_recover - inflight -> ready, in its own transaction; *n moved. */
int spool_db_recover(struct spool_db *db, uint64_t *n);
/* spool_db_counts_load - messages per state. */
int spool_db_counts_load(struct spool_db *db,
                         uint64_t state[SPOOL_STATE_COUNT]);

/* spool_db_msg_insert - store m as a new message with id, created at
 * now_ms, in state (ready, scheduled or sandboxed) with next_ms as its
 * next attempt time. */
int spool_db_msg_insert(struct spool_db *db, const char *id, int64_t now_ms,
                        const struct spool_msg_new *m, enum spool_state state,
                        int64_t next_ms);
/*
 * spool_db_msg_find_idem - the id of a stored message with this tenant
 * (NULL matches NULL) and idempotency key, into out, and its payload
 * hash into hash ("" when none was stored; hash may be NULL); or
 * NOTFOUND.
 */
int spool_db_msg_find_idem(struct spool_db *db, const char *tenant,
                           const char *key, char out[ID_SIZE], char *hash,
                           size_t hashlen);
/* spool_db_msg_get - read one message; *out is the caller's. */
int spool_db_msg_get(struct spool_db *db, const char *id, int flags,
                     struct spool_msg **out);
/* spool_db_msg_list - summaries, see spool_msg_list_tenant(); *out is the
 * caller's. tenant NULL: every tenant. */
int spool_db_msg_list(struct spool_db *db, int state, const char *after,
                      const char *tenant, size_t limit, struct spool_msg ***out,
                      size_t *n);
/* spool_db_msg_next_due - see spool_msg_next_due(). */
int spool_db_msg_next_due(struct spool_db *db, int64_t *at_ms);
/* spool_db_msg_claim - see spool_msg_claim(); adds moves to delta. A
 * body found in cache (may be NULL) is taken from there instead of being
 * read (spool_cache.h). */
int spool_db_msg_claim(struct spool_db *db, const char *stream, size_t max,
                       int64_t now_ms, struct spool_cache *cache,
                       struct spool_msg ***out, size_t *n,
                       int64_t delta[SPOOL_STATE_COUNT]);
/*
 * spool_db_msg_cancel - see spool_msg_cancel(): *out gets the message
 * (its state after) for SPOOL_OK and SPOOL_ERR_CONFLICT; adds moves to
 * delta.
 */
int spool_db_msg_cancel(struct spool_db *db, const char *id, const char *tenant,
                        struct spool_msg **out,
                        int64_t delta[SPOOL_STATE_COUNT]);
/*
 * spool_db_msg_reschedule - see spool_msg_reschedule(): at_ms is the new
 * send time, now_ms the batch's; *out as for spool_db_msg_cancel().
 */
int spool_db_msg_reschedule(struct spool_db *db, const char *id,
                            const char *tenant, int64_t at_ms, int64_t now_ms,
                            struct spool_msg **out,
                            int64_t delta[SPOOL_STATE_COUNT]);
/* spool_db_msg_brief - message id's tenant and stream (copies; NULL when
 * not set) and its number of recipients; or NOTFOUND. */
int spool_db_msg_brief(struct spool_db *db, const char *id, char **tenant,
                       char **stream, size_t *n_rcpts);
/* spool_db_msg_outcome - see spool_msg_outcome(); adds moves to delta. */
int spool_db_msg_outcome(struct spool_db *db, const struct spool_outcome *o,
                         int64_t delta[SPOOL_STATE_COUNT]);

/*
 * spool_db_msg_purge - delete up to max sent/failed messages with ids
 * below before_id; *n deleted; adds moves to delta.
 */
int spool_db_msg_purge(struct spool_db *db, const char *before_id, size_t max,
                       uint64_t *n, int64_t delta[SPOOL_STATE_COUNT]);
/* spool_db_changes - rows changed on this connection since it opened. */
int64_t spool_db_changes(struct spool_db *db);
/*
 * spool_db_damage - the SQLite extended code of the last failure if it
 * says the files are damaged (CORRUPT, NOTADB, a failed read), else 0.
 * Forgets it.
 */
int spool_db_damage(struct spool_db *db);
/* spool_db_wal_frames - frames in the WAL after the last commit. */
int spool_db_wal_frames(struct spool_db *db);
/* spool_db_checkpoint - a PASSIVE checkpoint on this connection. */
int spool_db_checkpoint(struct spool_db *db);
/* spool_db_checkpoint_reset - copy every frame and truncate the WAL. */
int spool_db_checkpoint_reset(struct spool_db *db);

/* ---- for spool_db_fb.c: the same connection, its own statements ---- */

struct sqlite3;
struct spool_db_fb;
/* spool_db_sqlite - db's connection. */
struct sqlite3 *spool_db_sqlite(struct spool_db *db);
/* spool_db_fb_slot - where db keeps spool_db_fb.c's statements (freed by
 * spool_db_close through spool_db_fb_free). */
struct spool_db_fb **spool_db_fb_slot(struct spool_db *db);
struct sqlite3_stmt;
/* spool_db_col_dup - a copy of text column i of st; NULL stays NULL. */
char *spool_db_col_dup(struct sqlite3_stmt *st, int i);
/* spool_db_fail - log SQLite's complaint about what; SPOOL_ERR_IO. */
int spool_db_fail(struct spool_db *db, const char *what);

struct feedback_event;
/*
 * spool_db_fb_record - see spool_feedback_record(): store ev[0..n) in
 * the open transaction, filling m[0..n) (its strings are the caller's).
 */
int spool_db_fb_record(struct spool_db *db, const struct feedback_event *ev,
                       size_t n, int64_t now_ms, struct spool_fb_match *m);
/* spool_db_fb_history - load m's provider events (m->events). */
int spool_db_fb_history(struct spool_db *db, struct spool_msg *m);
/* spool_db_fb_free - finalize the statements. NULL is a no-op. */
void spool_db_fb_free(struct spool_db_fb *fb);

/* ---- for spool_db_wh.c: the outbound webhooks' queue ---- */

struct spool_db_wh;
/* spool_db_wh_slot - where db keeps spool_db_wh.c's statements (freed by
 * spool_db_close through spool_db_wh_free). */
struct spool_db_wh **spool_db_wh_slot(struct spool_db *db);
/* spool_db_wh_insert - queue w[0..n) (see spool_wh_enqueue()). */
int spool_db_wh_insert(struct spool_db *db, const struct spool_wh *w, size_t n,
                       int64_t now_ms);
/* spool_db_wh_claim - lease up to max due rows (see spool_wh_claim()). */
int spool_db_wh_claim(struct spool_db *db, int64_t now_ms, int64_t lease_ms,
                      size_t max, struct spool_wh **out, size_t *n,
                      struct spool_wh_counts *c);
/* spool_db_wh_settle - delete, reschedule or dead-letter w's row. */
int spool_db_wh_settle(struct spool_db *db, const struct spool_wh *w,
                       enum spool_wh_verdict v);
/* spool_db_wh_dead - the newest max dead-lettered rows, and the counts. */
int spool_db_wh_dead(struct spool_db *db, size_t max, struct spool_wh **out,
                     size_t *n, struct spool_wh_counts *c);
/* spool_db_wh_free - finalize the statements. NULL is a no-op. */
void spool_db_wh_free(struct spool_db_wh *wh);

/* spool_state_parse - the state named s, or -1. */
int spool_state_parse(const char *s);

#endif
