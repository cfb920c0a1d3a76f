/*
 * api_raw.h - a raw RFC 5322 message from an HTTP client -> a spool
 * message (contract).
 *
 * Pure (no I/O, no clock, no randomness: the Message-ID's local part and
 * the Date come in the options), for POST /v1/messages/raw and, later,
 * the providers' raw endpoints (SES SendRawEmail, Mailgun messages.mime).
 *
 * What it does: line ends to CRLF (refusing NUL and lines over 998
 * octets); refuses a message without a header section, with a Bcc field
 * (it would be relayed as is) or without exactly one From address; takes
 * X-Swerve-Idempotency-Key out of the message; takes the envelope from
 * the options or else from From and To + Cc; checks that the key may use
 * both the envelope sender and the From address (403, one answer for
 * both); when there is an idempotency key, hashes the envelope and the
 * message as the client sent it (line ends normalised) as the payload;
 * then adds Message-ID (at the From domain) and Date when missing.
 */
#ifndef SWERVE_INGRESS_API_RAW_H
#define SWERVE_INGRESS_API_RAW_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "ingress/api_json.h"
#include "spool/spool.h"

struct config_api_key;

/* The request's side of a raw message. Pointers are borrowed. */
struct api_raw_opts {
	const char *env_from; /* envelope sender, or NULL: the From */
	char *const *env_to;  /* envelope recipients, or none: To + Cc */
	size_t n_env_to;
	const char *idem_key;    /* Idempotency-Key header, or NULL */
	const char *msgid_local; /* for a missing Message-ID */
	time_t date;             /* for a missing Date */
	unsigned max_recipients;
	uint64_t max_size; /* limits.max_message_size */
};

/*
 * api_raw_prepare - msg[0..n) for key k into *out: sender, rcpts, body,
 * idempotency key and hash (tenant, client and stream are the caller's to
 * fill). 0, or -1 with *e set (400, 403 or 413) and *out empty.
 */
int api_raw_prepare(const char *msg, size_t n, const struct api_raw_opts *o,
                    const struct config_api_key *k, struct spool_msg_new *out,
                    struct api_error *e);

struct config;

/*
 * api_msg_spool - the common end of every JSON-built submission (the
 * native API and the drop-in endpoints), after the caller's own checks:
 * the stream must exist, the message is built (mime_build, a fresh
 * Message-ID and Date) and must fit limits.max_message_size, and *out gets
 * envelope, tenant k->tenant, client, stream and the idempotency key and
 * payload hash. 0, or -1 with *e set (400, 413) and *out empty. *out is
 * zeroed by the caller first; msg and k are only read.
 */
int api_msg_spool(const struct config *cfg, const struct config_api_key *k,
                  const struct api_msg *msg, const char *client,
                  struct spool_msg_new *out, struct api_error *e);

/* api_rcpt_add - append a copy of addr to m's recipients unless there. */
void api_rcpt_add(struct spool_msg_new *m, const char *addr);

#endif
