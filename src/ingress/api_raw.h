/*
 * api_raw.h - a raw RFC 5322 message from an HTTP client -> a spool
 * message (contract).
 *
 * Pure (no I/O, no clock, no randomness: the Message-ID's local part and
 * the Date come in the options), for POST /v1/messages/raw and, later,
 * the providers' raw endpoints (SES SendRawEmail, Mailgun messages.mime).
 *
 * What it does: line ends to CRLF (refusing NUL and lines over 998
 * octets); refuses a message without a header section or without
 * exactly one From address; takes the envelope from the options or else
 * from From and To + Cc + Bcc (an unreadable Bcc address is refused);
 * then hands the message to the submission pipeline (submit_prepare: control
 * headers, the key's sender policy over the envelope sender and the From
 * address, 403 with one answer for both; the idempotency digest over the
 * envelope and the message as the client sent it, line ends normalised;
 * the message's Message-ID checked, every Bcc field removed (never
 * stored, so never relayed), Message-ID at
 * the From domain and Date when missing).
 */
#ifndef SWERVE_INGRESS_API_RAW_H
#define SWERVE_INGRESS_API_RAW_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "ingress/api_json.h"
#include "ingress/submit.h"
#include "spool/spool.h"

struct config;

/* The request's side of a raw message. Pointers are borrowed. */
struct api_raw_opts {
	const char *env_from; /* envelope sender, or NULL: the From */
	char *const *env_to;  /* envelope recipients, or none: To + Cc */
	size_t n_env_to;
	const char *stream;      /* explicit stream, or NULL */
	const char *idem_key;    /* Idempotency-Key header (checked), or NULL */
	const char *msgid_local; /* for a missing Message-ID */
	time_t date;             /* for a missing Date */
	unsigned max_recipients;
	uint64_t max_size;           /* limits.max_message_size */
	const struct msg_meta *meta; /* tags etc. for the spool, or NULL */
};

/*
 * api_raw_prepare - msg[0..n) from w into *out: sender, rcpts, body, and
 * what submit_prepare adds (cfg is read for the streams). 0, or -1 with
 * *e set (400, 403 or 413) and *out empty.
 */
int api_raw_prepare(const char *msg, size_t n, const struct api_raw_opts *o,
                    const struct config *cfg, const struct submit_who *w,
                    struct spool_msg_new *out, struct api_error *e);

/* api_rcpt_add - append a copy of addr to m's recipients unless there. */
void api_rcpt_add(struct spool_msg_new *m, const char *addr);

#endif
