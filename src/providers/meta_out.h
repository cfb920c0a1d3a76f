/*
 * meta_out.h - what the egress adapters share when they carry a
 * message's struct msg_meta (spool/msg_meta.h) to their provider's own
 * fields (contract).
 *
 * Each adapter decides which of its provider's fields stands for which
 * msg_meta field (docs/providers.md, "Tags, metadata and options"); this
 * module holds the pieces they share: metadata members as strings, the
 * character rule SES and Resend apply to tags, and the "not applied"
 * list, which names what a provider has no equivalent for, so deliver
 * can record it on the attempt (struct adapter_result, not_applied).
 *
 * A list item is a msg_meta field name ("track_opens", "ip_pool") or one
 * entry with the reason it was left out ("tag \"x\" (only 3 tags)",
 * "metadata \"k\" (characters)"); items are joined by ", ".
 *
 * Pure: no I/O, no logging, no global state.
 */
#ifndef SWERVE_PROVIDERS_META_OUT_H
#define SWERVE_PROVIDERS_META_OUT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "core/buf.h"
#include "spool/msg_meta.h"

/* The msg_meta fields as bits, for meta_out_unsupported. */
enum meta_out_field {
	META_OUT_TAGS = 1u << 0,
	META_OUT_METADATA = 1u << 1,
	META_OUT_CONFIG_SET = 1u << 2,
	META_OUT_MESSAGE_STREAM = 1u << 3,
	META_OUT_IP_POOL = 1u << 4,
	META_OUT_TRACK_OPENS = 1u << 5,
	META_OUT_TRACK_CLICKS = 1u << 6,
};

/*
 * One name/value entry for a provider's key/value field (SES and Resend
 * tags, SendGrid custom_args, Mailgun v:, Postmark Metadata): a tag with
 * its value, or a metadata member. Strings owned.
 */
struct meta_out_pair {
	const char *what; /* "tag" or "metadata": for the not-applied list */
	char *name;
	char *value;
};

/*
 * meta_out_skip - append one item (printf-style) to the not-applied list
 * na, with ", " before it unless na is empty.
 */
void meta_out_skip(struct buf *na, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * meta_out_unsupported - append to na the name of each field of m that
 * is set and whose bit is not in carried (tags, metadata, config_set,
 * message_stream, ip_pool, track_opens, track_clicks, in that order).
 * m may be NULL. send_at and sandbox are never listed: the spool and
 * ingress honour them before a message reaches an adapter.
 */
void meta_out_unsupported(const struct msg_meta *m, unsigned carried,
                          struct buf *na);

/*
 * meta_out_token_ok - s is 1..max characters, each an ASCII letter,
 * digit, '_' or '-' (what SES and Resend allow in a tag name or value).
 */
bool meta_out_token_ok(const char *s, size_t max);

/*
 * meta_out_pairs - m's tags, then m->metadata's members, as name/value
 * pairs in their order. A label (a tag without value) is included with
 * the value "true" when labels_too, else left out (the provider carries
 * labels in a field of their own). A metadata value is the string itself,
 * or any other JSON value's compact text (42, true, {"a":1}). *n gets the
 * count; NULL when there is none (m NULL too). Free with
 * meta_out_pairs_free.
 */
struct meta_out_pair *meta_out_pairs(const struct msg_meta *m, bool labels_too,
                                     size_t *n);

/* meta_out_pairs_free - free p[0..n) and p. NULL is a no-op. */
void meta_out_pairs_free(struct meta_out_pair *p, size_t n);

/* The tag rule of SES and Resend: this many characters of [A-Za-z0-9_-]. */
#define META_OUT_TOKEN_MAX 256

/*
 * meta_out_token_tags - the tags array of a provider whose tags are
 * name/value pairs of [A-Za-z0-9_-]{1,256} (SES EmailTags, Resend tags),
 * as objects {kname: name, kvalue: value}: swerve's id first (name
 * PROVIDERS_ID_TAG, when id is set), then meta_out_pairs(m, true). A
 * pair that breaks the rule, or whose name is already in the array, is
 * left out and listed in na. NULL when the array would be empty.
 */
json_t *meta_out_token_tags(const struct msg_meta *m, const char *id,
                            const char *kname, const char *kvalue,
                            struct buf *na);

/*
 * meta_out_header - append to out the header field "name: B64" that
 * carries m to an SMTP relay: B64 is the base64 of msg_meta_encode(m)
 * (one compact JSON object), folded into lines of at most 78 characters,
 * each ending in CRLF (so it can go before the message's own header
 * section unchanged). Nothing when m is NULL or empty.
 */
void meta_out_header(const char *name, const struct msg_meta *m,
                     struct buf *out);

/*
 * meta_out_kv_check_fn - may pair p join obj (which holds what was
 * accepted so far)? NULL: yes; else the reason it is left out ("only 10
 * fields"). arg is the caller's.
 */
typedef const char *meta_out_kv_check_fn(const json_t *obj,
                                         const struct meta_out_pair *p,
                                         void *arg);

/*
 * meta_out_kv_object - a provider's key/value object (SendGrid
 * custom_args, Postmark Metadata): swerve's id first (PROVIDERS_ID_TAG,
 * when id is set), then meta_out_pairs(m, false), each as a string
 * member when check allows it and it is UTF-8; a name already in the
 * object is "repeated". What is left out is listed in na with its
 * reason. NULL when the object would be empty.
 */
json_t *meta_out_kv_object(const struct msg_meta *m, const char *id,
                           meta_out_kv_check_fn *check, void *arg,
                           struct buf *na);

/* meta_out_has - m is not NULL and has at least one field set. */
bool meta_out_has(const struct msg_meta *m);

#endif
