/*
 * msg_meta.h - what a caller asked of a message besides its bytes
 * (contract).
 *
 * Every ingress path decodes its own fields (SendGrid categories and
 * custom_args, Mailgun o:tag and v:, Postmark Tag, Metadata and
 * MessageStream, SES EmailTags and ConfigurationSetName, Resend tags,
 * the native API's tags and metadata, scheduled times, sandbox and
 * tracking switches) into one struct msg_meta. The spool stores it with
 * the message (as the JSON msg_meta_encode() makes), GET /v1/messages/ID
 * and swervectl show print it, and each egress adapter carries it to
 * its provider's equivalent.
 *
 * Pure: no I/O, no logging, no global state. A struct msg_meta owns
 * everything it points to; msg_meta_fini() frees it.
 */
#ifndef SWERVE_SPOOL_MSG_META_H
#define SWERVE_SPOOL_MSG_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MSG_META_TAGS_MAX 64        /* tags on one message */
#define MSG_META_TAG_MAX 256        /* octets of one tag name or value */
#define MSG_META_METADATA_MAX 10240 /* metadata, as compact JSON */
#define MSG_META_NAME_MAX 128       /* config_set, message_stream, ip_pool */

/*
 * A tag: a name with a value (SES, Resend, native) or a plain label
 * (value NULL: a SendGrid category, a Mailgun o:tag, a Postmark Tag).
 */
struct msg_tag {
	char *name;
	char *value; /* NULL for a label */
};

/*
 * A tracking switch the caller may leave unset. Unset is 0, so that a
 * zeroed struct msg_meta (a memset api_msg) is empty: compare with the
 * names, never as a truth value.
 */
enum msg_track {
	MSG_TRACK_UNSET = 0,
	MSG_TRACK_OFF = 1,
	MSG_TRACK_ON = 2,
};

struct msg_meta {
	struct msg_tag *tags; /* in the caller's order */
	size_t n_tags;
	char *metadata;       /* compact JSON object (custom_args, v:,
	                         Metadata, native metadata), or NULL */
	char *config_set;     /* SES configuration set, or NULL */
	char *message_stream; /* Postmark message stream, or NULL */
	char *ip_pool;        /* SendGrid ip_pool_name, or NULL */
	int64_t send_at;      /* unix seconds to send at; 0: at once */
	bool sandbox;         /* validate and record, never deliver */
	enum msg_track track_opens;
	enum msg_track track_clicks;
	char *options;    /* compact JSON object: the caller's provider
	                     options swerve records but has no member for,
	                     by documented path ({"mail_settings.
	                     bypass_list_management":true}), or NULL */
	char *suppressed; /* compact JSON array: the recipients the
	                     submission pipeline took out because they
	                     are on the suppression list ([{"address":
	                     "a@b","reason":"hard_bounce"}]), or NULL */
};

/*
 * msg_meta_init - make m empty (no tags, nothing set, tracking unset);
 * the same as zeroing it.
 */
void msg_meta_init(struct msg_meta *m);

/* msg_meta_fini - free what m owns; m is empty afterwards. */
void msg_meta_fini(struct msg_meta *m);

/* msg_meta_empty - true when nothing in m is set. */
bool msg_meta_empty(const struct msg_meta *m);

/*
 * msg_meta_add_tag - append a tag (value NULL: a label); both are
 * copied. -1 when m already holds MSG_META_TAGS_MAX tags, or name is
 * empty, or name or value is longer than MSG_META_TAG_MAX octets or
 * holds a control character (m is unchanged then).
 */
int msg_meta_add_tag(struct msg_meta *m, const char *name, const char *value);

/*
 * msg_meta_tag_word - is s[0..n) 1..max octets (0..max when empty_ok)
 * of ASCII letters, digits, '_' and '-'? The tag rule SES and Resend
 * share (their tag names and values).
 */
bool msg_meta_tag_word(const char *s, size_t n, size_t max, bool empty_ok);

/*
 * msg_meta_set_var - set key to the string value in m->metadata (made
 * when NULL; an existing key is replaced). -1 when key is empty, the
 * result would exceed MSG_META_METADATA_MAX, or m->metadata is not a
 * JSON object (m is unchanged then).
 */
int msg_meta_set_var(struct msg_meta *m, const char *key, const char *value);

/*
 * msg_meta_set_metadata - replace m->metadata by the JSON object in
 * json (copied, made compact). -1 when json is not an object or its
 * compact form exceeds MSG_META_METADATA_MAX (m is unchanged then).
 */
int msg_meta_set_metadata(struct msg_meta *m, const char *json);

/*
 * msg_meta_set_options - replace m->options by the JSON object in json
 * (copied, made compact). -1 when json is not an object or its compact
 * form exceeds MSG_META_METADATA_MAX (m is unchanged then).
 */
int msg_meta_set_options(struct msg_meta *m, const char *json);

/*
 * msg_meta_encode - m as one compact JSON object (the spool's column and
 * the API's "meta"): {"tags":[{"name":..,"value":..}|{"name":..}],
 * "metadata":{..},"config_set":..,"message_stream":..,"ip_pool":..,
 * "send_at":N,"sandbox":true,"track_opens":bool,"track_clicks":bool,
 * "options":{..}}, unset members left out. NULL when m is empty. Caller frees.
 */
char *msg_meta_encode(const struct msg_meta *m);

/*
 * msg_meta_decode - the inverse of msg_meta_encode over json[0..len)
 * into *out (initialised first). 0, or -1 when it is not such an object
 * or breaks a limit above (then *out is empty).
 */
int msg_meta_decode(const char *json, size_t len, struct msg_meta *out);

#endif
