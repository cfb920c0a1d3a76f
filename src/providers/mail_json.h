/*
 * mail_json.h - what the JSON providers share when they rebuild a message
 * (contract).
 *
 * SendGrid, Postmark and Resend take no raw MIME: the message is parsed
 * (mime/mime.h) and its parts are put in the provider's JSON. This module
 * does the provider-neutral half: parse, refuse what mime_faithful_for_json
 * refuses, split the envelope recipients into To / Cc (as the header shows
 * them, with display names) and Bcc (every other envelope recipient), and
 * small helpers (JSON strings that must be valid UTF-8, "Name <addr>",
 * base64, which custom headers may pass).
 *
 * Recipients: only envelope recipients are ever sent to. A To/Cc address
 * that is not an envelope recipient (already delivered in an earlier
 * attempt, or never meant to get a copy) is left out, since the providers
 * send to every address they are given. When no envelope recipient is in
 * To, the message is not representable (these APIs need a "to", and
 * putting Bcc recipients there would disclose them).
 *
 * Pure: no I/O, no logging. Everything in struct mail_json is owned by it
 * (or by its mime_msg) until mail_json_close.
 */
#ifndef SWERVE_PROVIDERS_MAIL_JSON_H
#define SWERVE_PROVIDERS_MAIL_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "core/buf.h"
#include "mime/mime.h"
#include "providers/adapter.h"

struct mail_rcpt {
	const char *addr; /* borrowed from the message or the mime_msg */
	const char *name; /* display name (UTF-8) or NULL */
};

struct mail_json {
	struct mime_msg *m;
	const struct mime_addr *from; /* the one From address */
	struct mail_rcpt *to, *cc, *bcc;
	size_t nto, ncc, nbcc;
};

/*
 * mail_json_open - parse msg->body and split its recipients. 0, or -1
 * with a short reason in why (and mj closed) when a JSON provider cannot
 * carry the message faithfully. With no envelope recipients (routing asks
 * before an attempt's recipients are known) only the content is judged.
 */
int mail_json_open(struct mail_json *mj, const struct adapter_msg *msg,
                   char *why, size_t whylen);

/* mail_json_close - free what mj owns. */
void mail_json_close(struct mail_json *mj);

/*
 * mail_json_represents - open and close: can a JSON provider carry msg?
 * With msg->json set, the verdict is read from there when it was judged
 * for as many recipients, else judged and stored there. mail_json_open
 * also refuses at once, without parsing, what msg->json says it cannot
 * carry.
 */
bool mail_json_represents(const struct adapter_msg *msg, char *why,
                          size_t whylen);

/*
 * mail_json_header_passes - may top-level field name travel as a custom
 * header? Never the ones a provider sets or forbids (Received,
 * DKIM-Signature, Return-Path, Content-*, MIME-Version, X-SG-*, ...), nor
 * any in extra (NULL-terminated, may be NULL).
 */
bool mail_json_header_passes(const char *name, const char *const *extra);

/* mail_json_str - a JSON string of s[0..len), or NULL if not UTF-8. */
json_t *mail_json_str(const char *s, size_t len);

/* mail_json_addr_format - "addr" or "Name <addr>" (quoted if needed). */
char *mail_json_addr_format(const char *name, const char *addr);

/* mail_json_set - json_object_set_new, -1 if v is NULL (bad UTF-8). */
int mail_json_set(json_t *obj, const char *key, json_t *v);

/* mail_json_dump - append root as compact JSON to out. 0 or -1. */
int mail_json_dump(const json_t *root, struct buf *out);

#endif
