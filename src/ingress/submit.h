/*
 * submit.h - the one submission pipeline (contract).
 *
 * Every ingress path hands its message here after its own decoding: SMTP
 * at the final dot, the native HTTP API (JSON and raw), and every drop-in
 * endpoint (SES v1/v2, SendGrid, Postmark, Mailgun, Resend). This is the
 * one place that
 *  - applies the tenant's sender policy: the submitter's from_domains
 *    hold for the envelope sender (submit_sender_allowed()) and for every
 *    address of every From, Sender, Resent-From and Resent-Sender field;
 *    the null sender needs allow_null_sender; a message with more than
 *    one From or Sender field is refused, whoever sends it;
 *  - honours and removes the control headers X-Swerve-Stream and
 *    X-Swerve-Idempotency-Key, on every path (see below);
 *  - picks the stream (it must be configured) and the idempotency key and
 *    its payload digest;
 *  - keeps the message's own Message-ID when it is one valid msg-id
 *    (mime_msgid_valid; two fields or an invalid one are refused: HTTP
 *    400 invalid_message or invalid_field naming Message-ID, SMTP 554
 *    5.6.0), never replaces it, and adds Message-ID and Date when the
 *    message lacks them;
 *  - removes Bcc and Resent-Bcc fields (on every path, SMTP included, as
 *    Postfix does): the recipients stay in the envelope;
 *  - marks the message with its tenant and client;
 *  - takes recipients on the tenant's suppression list out, or refuses
 *    the message when every recipient is suppressed
 *    (submit_suppress.h; SMTP asks at RCPT too);
 * and it maps the spool's status to the reply of each ingress (one
 * function per reply shape: SMTP, the native API, the drop-in endpoints'
 * generic errors, which compat_*_error_render put in each provider's own
 * shape).
 *
 * Control headers: a field X-Swerve-Stream or X-Swerve-Idempotency-Key
 * in the message (SMTP DATA, a raw message, or a JSON request's custom
 * headers) is an instruction to swerve: it is taken out before the
 * message is stored, so it is never relayed, and it is honoured. When the
 * request also gives the same thing explicitly (the native API's
 * "stream" or "idempotency_key", an Idempotency-Key HTTP header), the two
 * must agree: a request that says two different things is refused (400
 * invalid_field naming the header; SMTP has no explicit fields). A key
 * from a header must be 1..255 printable ASCII octets and a stream must
 * be configured, else the message is refused (SMTP 554 5.6.0, HTTP 400).
 *
 * The Message-ID seam: every front end answers with the Message-ID of the
 * message it stored. After submit_prepare() or submit_msg_prepare(), the
 * message holds exactly one valid Message-ID field, and submit_msgid()
 * reads it; http_pending_submit() does so for each message it hands to
 * the spool and puts it in http_pending_result.message_id, so every HTTP
 * front end finds it beside the spool's id. A message that came over
 * HTTP with an idempotency key and without a Message-ID gets one whose
 * local part is a digest of the tenant, the key and the payload digest
 * (SUBMIT_LOCAL_SIZE - 1 characters, "k" and hex): a replay, which
 * stores nothing, then answers the Message-ID of the message stored.
 *
 * Everything here is pure: no I/O, no logging; submit_prepare takes its
 * Message-ID local part and Date from the options, only
 * submit_msg_prepare draws a fresh id and reads the wall clock.
 */
#ifndef SWERVE_INGRESS_SUBMIT_H
#define SWERVE_INGRESS_SUBMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "ingress/api_json.h"
#include "mime/header.h"
#include "spool/spool.h"

/* Room for the local part of a Message-ID swerve makes (id_new() or the
 * key digest), NUL included. */
#define SUBMIT_LOCAL_SIZE 34

struct config;
struct config_api_key;
struct config_user;

/* Which ingress a message came through. */
enum submit_ingress {
	SUBMIT_INGRESS_SMTP,
	SUBMIT_INGRESS_HTTP,
};

/* Who submits, as the ingress authenticated it. Pointers are borrowed. */
struct submit_who {
	enum submit_ingress ingress;
	const struct config_user *user;   /* SMTP AUTH user; NULL for a
	                                     trusted network or HTTP */
	const struct config_api_key *key; /* HTTP; NULL for SMTP */
	const char *client;               /* "ip:port" of the peer */
};

/*
 * What the ingress says besides the envelope and the message, for
 * submit_prepare(). Pointers are borrowed.
 */
struct submit_opts {
	const char *stream;   /* explicit stream (checked name), or NULL */
	const char *idem_key; /* explicit idempotency key (checked), or NULL */
	const char *payload;  /* hex digest of the request for the key, or
	                         NULL: the envelope and the message */
	const char *from;     /* the From address the ingress found, for a
	                         missing Message-ID's domain, or NULL (SMTP);
	                         the policy reads the fields themselves */
	size_t body_off;      /* where the client's text starts in the body
	                         (after our own Received field) */
	const char *msgid_domain;    /* a missing Message-ID's domain; NULL:
	                                the From address's */
	const char *msgid_local;     /* a missing Message-ID's local part */
	time_t date;                 /* a missing Date */
	const struct msg_meta *meta; /* what the caller asked besides the
	                                bytes (tags, schedule, ...); NULL:
	                                nothing */
};

/*
 * submit_sender_allowed - the tenant's rule for a sender (a mailbox
 * without <>, "" for the null sender). An SMTP client from a trusted
 * network (no user) may use any sender; an SMTP user its from_domains
 * (submit_policy_sender_allowed), an API key its from_domains
 * (api_auth_from_allowed), either the null sender only with
 * allow_null_sender. The SMTP dialogue asks at MAIL, so that the client
 * hears 553 5.7.1 there; submit_prepare() asks again for every path.
 */
bool submit_sender_allowed(const struct submit_who *w, const char *sender);

/*
 * submit_prepare - run the pipeline over m, whose sender, recipients and
 * body (the whole message, CRLF line ends) the ingress filled: control
 * headers, sender policy, the message's Message-ID, idempotency key and
 * digest, Bcc out, stream, Message-ID and Date, tenant and client, and
 * o->meta as m->meta (msg_meta_encode). o->date is also "now" for the
 * meta's limits: a send_at more than limits.max_schedule_ahead later is
 * refused (400 invalid_field "send_at"). 0, or -1 with *e set (400: a
 * second From, Sender or Message-ID field, an invalid Message-ID, bad
 * control headers; 403: a sender the submitter may not use) and m's
 * contents freed.
 */
int submit_prepare(const struct config *cfg, const struct submit_who *w,
                   const struct submit_opts *o, struct spool_msg_new *m,
                   struct api_error *e);

/*
 * submit_msg_prepare - the pipeline for a JSON request (native API and
 * drop-in endpoints) decoded into msg: a From (400), sender policy (403,
 * also for the sender fields among msg's custom fields),
 * recipients (400), a body (400), control headers among msg's custom
 * fields, stream, a send_at within limits.max_schedule_ahead (400
 * invalid_field "send_at"), then the message is built (mime_build: a custom
 * Message-ID field is kept, else a fresh one; a Date) and its header
 * section must fit MIME_BUILD_HEADER_MAX (413 too_large, field
 * "headers") and the message limits.max_message_size (413). *out
 * gets the envelope, body, tenant, client, stream and idempotency key and
 * digest (msg->payload_sha256, or one of the envelope and the message
 * built with a fixed Message-ID and Date), and msg->meta encoded
 * (msg_meta_encode) as out->meta. 0, or -1 with *e set and *out
 * empty. msg's control fields are removed; otherwise it is only read.
 */
int submit_msg_prepare(const struct config *cfg, const struct submit_who *w,
                       struct api_msg *msg, struct spool_msg_new *out,
                       struct api_error *e);

/*
 * submit_msgid - the Message-ID of m, a message the pipeline prepared,
 * into out as written ("<id-left@id-right>", no blanks around it).
 * 0, or -1 (out "") when m has no valid Message-ID field, which a
 * prepared message always has. m is only read.
 */
int submit_msgid(const struct spool_msg_new *m, char out[MIME_MSGID_MAX + 1]);

/* submit_idem_key_ok - 1..255 printable ASCII octets. */
bool submit_idem_key_ok(const char *k);

/*
 * submit_reply_smtp - the SMTP reply line (no CRLF) at the final dot for
 * a message the pipeline refused with e, into out[0..n): 550 5.7.1 for
 * a sender not allowed, 552 5.3.4 too large, else 554 5.6.0.
 */
void submit_reply_smtp(const struct api_error *e, char *out, size_t n);

/*
 * submit_status_smtp - the SMTP reply line for a spool status other than
 * SPOOL_OK, into out[0..n); hostname names us in a 421. Returns true
 * when the session must close after it (the spool is closing).
 */
bool submit_status_smtp(int status, const char *hostname, char *out, size_t n);

/* submit_status_http - the native API's error for a spool status. */
void submit_status_http(int status, struct api_error *e);

/*
 * submit_status_compat - the drop-in endpoints' generic error for a spool
 * status ("conflict", "unavailable"), which each provider's renderer
 * puts in its own shape.
 */
void submit_status_compat(int status, struct api_error *e);

#endif
