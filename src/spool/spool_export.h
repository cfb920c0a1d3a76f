/*
 * spool_export.h - the file that hands a stopped node's queued messages
 * to another node (`swervectl spool export FILE` / `spool import FILE`;
 * docs/cluster.md, "Replacing a dead node").
 *
 * Format, version 1: text, one record per line, each ending in "\n":
 *
 *   swerve-spool-export 1
 *   {"id":...,"state":...,...}          one JSON object per message
 *   ...
 *   end <count> <sha256>
 *
 * <count> is the number of message lines (decimal); <sha256> is the
 * lower-case hex SHA-256 of every byte before the "end" line (the header
 * included). A message is an object with:
 *   id               its 20-character id (kept by the import)
 *   state            "ready", "inflight", "deferred" or "scheduled"
 *   sender, stream   strings (sender may be "", the null sender)
 *   tenant, client, last_error, idempotency_key, idempotency_hash, meta
 *                    strings or null
 *   size, created_at, next_attempt_at, attempts   integers >= 0
 *   body             the message's bytes, base64
 *   rcpts            [{idx, address, state ("pending", "sent", "failed",
 *                    ...), last_reply, provider, provider_msg_id,
 *                    outcome, bounce, outcome_text, outcome_at}], at
 *                    least one; idx unique
 *   attempts_detail  [{at, provider, result, reply, duration_ms, trace}]
 * Unknown members are ignored (a newer exporter may say more); a missing
 * or ill-typed one, a duplicate id, a count or checksum that does not
 * match, a line after "end", or a last line without "\n" refuses the
 * whole file.
 *
 * The parser and the line encoder are pure (no I/O); spool_export_db.c
 * reads and writes the spools.
 */
#ifndef SWERVE_SPOOL_SPOOL_EXPORT_H
#define SWERVE_SPOOL_SPOOL_EXPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SPOOL_EXPORT_MAGIC "swerve-spool-export 1\n"

struct spool_export_rcpt {
	int64_t idx;
	char *address, *state, *last_reply, *provider, *provider_msg_id;
	char *outcome, *bounce, *outcome_text;
	int64_t outcome_at;
};

struct spool_export_att {
	int64_t at, duration_ms;
	char *provider, *result, *reply, *trace;
};

/* One message. Strings NULL for JSON null; all owned by the message. */
struct spool_export_msg {
	char id[21];
	char *state, *sender, *stream, *tenant, *client, *last_error;
	char *idempotency_key, *idempotency_hash, *meta;
	int64_t size, created_at, next_attempt_at, attempts;
	unsigned char *body;
	size_t body_len;
	struct spool_export_rcpt *rcpts;
	size_t n_rcpts;
	struct spool_export_att *atts;
	size_t n_atts;
};

/* spool_export_state_ok - is s a state a queued message is exported in? */
int spool_export_state_ok(const char *s);

/*
 * spool_export_line - m as one JSON object followed by "\n" (malloc'd,
 * NUL-terminated, the caller's); NULL when a text of m is not UTF-8.
 */
char *spool_export_line(const struct spool_export_msg *m);

/*
 * spool_export_trailer - the "end" line for count messages after the
 * bytes whose SHA-256 is digest, into out (at least 96 bytes).
 */
void spool_export_trailer(char *out, size_t outlen, size_t count,
                          const unsigned char digest[32]);

/*
 * spool_export_parse - the whole file buf[0..len) into *out (one
 * malloc'd array of *n messages; free with spool_export_free). 0, or -1
 * with err naming the line and the fault; then *out is NULL and *n 0.
 */
int spool_export_parse(const char *buf, size_t len,
                       struct spool_export_msg **out, size_t *n, char *err,
                       size_t errlen);

/* spool_export_msg_fini - free what m owns (m itself is not freed). */
void spool_export_msg_fini(struct spool_export_msg *m);

/* spool_export_free - free ms[0..n) and the array. NULL ok. */
void spool_export_free(struct spool_export_msg *ms, size_t n);

/*
 * spool_export_write - export every queued message (ready, in flight,
 * deferred, scheduled) of the spool in dir to the new file path (mode
 * 0600, written to path.tmp, fsynced, renamed; an existing path is
 * refused). Reads the spool only (read-only; safe on a spool whose node
 * died). Says what it did on out. 0, or 1 with the reason on out.
 */
int spool_export_write(const char *dir, const char *path, FILE *out);

/*
 * spool_export_import - add the messages of the export file path to the
 * spool in dir, keeping their ids, in one transaction: a message whose
 * id the spool has already is left as it is (importing twice adds
 * nothing); one in flight when exported comes in ready. The file is
 * parsed and checked whole first: a damaged one changes nothing. The
 * spool's node must be stopped (the spool closed cleanly). 0, or 1 with
 * the reason on out.
 */
int spool_export_import(const char *dir, const char *path, FILE *out);

#endif
