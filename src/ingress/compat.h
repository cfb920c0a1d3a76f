/*
 * compat.h - drop-in endpoints for the providers' official SDKs
 * (contract).
 *
 * On the listener http_admin owns (listen.http), swerved answers the send
 * calls of five providers' APIs in their own wire formats, so that an
 * application changes only its SDK's endpoint or base URL:
 *   POST /v2/email/outbound-emails   SES API v2 SendEmail (Raw, Simple)
 *   POST /                           SES API v1 Query SendEmail,
 *                                    SendRawEmail (form-encoded Action=)
 *   POST /v3/mail/send               SendGrid (Authorization: Bearer KEY)
 *   POST /email, /email/batch        Postmark (X-Postmark-Server-Token)
 *   POST /v3/{domain}/messages       Mailgun (Basic api:KEY), form data
 *   POST /v3/{domain}/messages.mime
 *   POST /emails                     Resend (Bearer KEY, Idempotency-Key)
 * The SendGrid, Postmark, Mailgun and Resend keys are swerve api_keys
 * (found by SHA-256 through api_auth); SES requests are SigV4-verified
 * against ses_compat.credentials. The key's from_domains bound the From
 * and the envelope sender, its tenant marks the messages. Every message
 * goes through the one submission pipeline (submit.h): JSON requests are
 * built there (submit_msg_prepare), raw ones (SES Raw, Mailgun mime) are
 * taken as given through api_raw. Every answer that says "accepted"
 * comes from the spool's commit callback; mail is then routed like any
 * other. Errors come in each provider's own shape, so the SDK raises its
 * usual error type.
 *
 * The rest of this header is the seam between compat.c (HTTP and spool
 * glue, shared helpers) and the per-provider files compat_*.c; their
 * decoders are pure and unit-tested (tests/unit/test_compat.c).
 *
 * Generic error codes (struct api_error.code), which each provider file
 * renders in its own shape: "unauthorized" (no or unknown key),
 * "signature" (SigV4 mismatch), "skewed" (SigV4 date too far from now),
 * "incomplete_signature", "forbidden" (From not allowed for the key),
 * "invalid_field", "missing_field", "invalid_json", "too_large",
 * "unavailable" (spool full, failing or closing), "conflict"
 * (idempotency key reused with another payload), "not_found",
 * "method_not_allowed".
 */
#ifndef SWERVE_INGRESS_COMPAT_H
#define SWERVE_INGRESS_COMPAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "config/config.h"
#include "core/buf.h"
#include "core/id.h"
#include "ingress/api_json.h"
#include "ingress/http_pending.h"
#include "spool/spool.h"

struct evhttp_request;
struct http_admin;
struct compat;

/*
 * compat_new - register the compatible endpoints on h. cfg and sp are
 * borrowed and must outlive the result. Free it after http_admin_free
 * has stopped requests and before spool_close (see http_api_free).
 */
struct compat *compat_new(struct http_admin *h, const struct config *cfg,
                          struct spool *sp);

/* compat_free - free c (requests still waiting keep their contexts). */
void compat_free(struct compat *c);

/* ---- shared by compat_*.c ------------------------------------------- */

/* The glue's state, for the provider files. */
struct compat {
	const struct config *cfg;
	struct spool *sp;
	struct http_pending_set *pending; /* requests waiting for the spool */
};

/*
 * compat_submit - http_pending_submit() of ms[0..n) for req, made with
 * key k, with c's pending requests (see http_pending.h for ownership and
 * when done runs).
 */
void compat_submit(struct compat *c, struct evhttp_request *req,
                   const struct config_api_key *k, struct spool_msg_new *ms,
                   const struct http_pending_result *res_pre, size_t n,
                   http_pending_done_fn *done, void *arg,
                   void (*arg_free)(void *));

/*
 * compat_msg_prepare - submit_msg_prepare() of msg for key k from client:
 * the submission pipeline (From, policy, recipients, body, control
 * headers, build, size) into *out. 0, or -1 with *e set ("forbidden" at
 * "from", "missing_field", "invalid_field", "too_large").
 */
int compat_msg_prepare(const struct compat *c, const struct config_api_key *k,
                       struct api_msg *msg, const char *client,
                       struct spool_msg_new *out, struct api_error *e);

/*
 * compat_raw_prepare - a raw RFC 5322 message msg[0..n) through
 * api_raw_prepare (and so the submission pipeline) for key k, with the
 * envelope given (env_from may be NULL, n_to 0), idempotency key idem
 * (may be NULL) and what the request asked besides the bytes (meta, may
 * be NULL; borrowed). 0, or -1 with *e.
 */
int compat_raw_prepare(const struct compat *c, const struct config_api_key *k,
                       const char *msg, size_t n, const char *env_from,
                       char *const *env_to, size_t n_to, const char *idem,
                       const struct msg_meta *meta, const char *client,
                       struct spool_msg_new *out, struct api_error *e);

/*
 * compat_body - the request body as one block (NUL-terminated copy kept
 * in the request's buffer), or NULL when too large (e set to
 * "too_large") or there is no room (e set to "unavailable"); see
 * http_pending_body().
 */
const char *compat_body(struct compat *c, struct evhttp_request *req,
                        size_t *len, struct api_error *e);

/* compat_header - a request header's value, or NULL. */
const char *compat_header(struct evhttp_request *req, const char *name);

/*
 * compat_key_find - the api key presented as key[0..len), or NULL when
 * len is 0 or no configured key matches.
 */
const struct config_api_key *compat_key_find(const struct compat *c,
                                             const char *key, size_t len);

/*
 * compat_reply - answer req with status, a Content-Type (NULL: none)
 * and body[0..len) (body may be NULL when len is 0). Extra headers are
 * the caller's to add first (evhttp_request_get_output_headers).
 */
void compat_reply(struct evhttp_request *req, int status, const char *ctype,
                  const char *body, size_t len);

/* compat_reply_json - compat_reply of obj as compact JSON (obj stolen). */
void compat_reply_json(struct evhttp_request *req, int status, json_t *obj);

/*
 * compat_result_failed - false when r says the message was stored (or
 * replayed); else true with *e the generic error: r's own error when it
 * was refused before the spool, else the spool status's ("conflict",
 * "unavailable").
 */
bool compat_result_failed(const struct http_pending_result *r,
                          struct api_error *e);

/*
 * A rendered answer: status, Content-Type (static), body, and for SES v2
 * errors the x-amzn-ErrorType value (static, else NULL). The renderers
 * below are pure, so every provider's error and success shapes are
 * unit-tested without a socket.
 */
struct compat_answer {
	int status;
	const char *ctype;
	const char *error_type;
	struct buf body;
};

/* compat_answer_json - set a to status and the compact JSON of obj
 * (stolen). a->body must be empty (buf_init). */
void compat_answer_json(struct compat_answer *a, int status, json_t *obj);

/*
 * compat_answer_send - answer req with a (adding x-amzn-ErrorType when
 * set and Retry-After to a 503), then release a's body.
 */
void compat_answer_send(struct evhttp_request *req, struct compat_answer *a);

/*
 * compat_error_status - the HTTP status of a generic error code for the
 * providers that use plain statuses (401 unauthorized, 403 forbidden, 413
 * too_large, 503 unavailable, 404, 405, else 400).
 */
int compat_error_status(const struct api_error *e);

/* The providers' error renderers: e's generic code in their shapes.
 * Each initialises *a; release with buf_fini(&a->body) or send it. */
void compat_ses_v2_error_render(const struct api_error *e,
                                struct compat_answer *a);
void compat_ses_v1_error_render(const struct api_error *e, const char *rid,
                                struct compat_answer *a);
void compat_sendgrid_error_render(const struct api_error *e,
                                  struct compat_answer *a);
/* compat_sendgrid_fail - answer req with e in SendGrid's error shape. */
void compat_sendgrid_fail(struct evhttp_request *req,
                          const struct api_error *e);
/*
 * compat_sendgrid_auth - the API key of req's "Authorization: Bearer",
 * or NULL after answering SendGrid's 401 (compat_sendgrid.c).
 */
const struct config_api_key *compat_sendgrid_auth(struct compat *c,
                                                  struct evhttp_request *req);
void compat_postmark_error_render(const struct api_error *e,
                                  struct compat_answer *a);
void compat_resend_error_render(const struct api_error *e,
                                struct compat_answer *a);

/* compat_resend_fail - answer req with e in Resend's error shape. */
void compat_resend_fail(struct evhttp_request *req, const struct api_error *e);
/* compat_mailgun_auth - the key of "Authorization: Basic base64(api:KEY)",
 * or NULL (compat_mailgun.c). */
const struct config_api_key *compat_mailgun_auth(struct compat *c,
                                                 struct evhttp_request *req);
struct form;
/* compat_mailgun_form - req's body (multipart/form-data or urlencoded)
 * into fm; *copy: what fm points into besides the body (free it after
 * fm). 0, or -1 with *e (compat_mailgun.c). */
int compat_mailgun_form(struct compat *c, struct evhttp_request *req,
                        struct form *fm, char **copy, struct api_error *e);
void compat_mailgun_error_render(const struct api_error *e,
                                 struct compat_answer *a);

/* compat_ses_v1_ok_render - <SendEmailResponse> or
 * <SendRawEmailResponse> with the message id and request id. */
void compat_ses_v1_ok_render(int raw, const char *id, const char *rid,
                             struct compat_answer *a);
/* compat_ses_v1_ok_render_op - the same for the action op (a literal). */
void compat_ses_v1_ok_render_op(const char *op, const char *id, const char *rid,
                                struct compat_answer *a);

/* ---- pure helpers (unit-tested) -------------------------------------- */

/*
 * compat_b64_decode - decode base64 s[0..n) (whitespace ignored, padding
 * optional) into a new buffer *out of *outlen octets. 0, or -1 when s
 * is not base64.
 */
int compat_b64_decode(const char *s, size_t n, unsigned char **out,
                      size_t *outlen);

/*
 * compat_addr_list_parse - split a comma-separated address list ("a@b.c,
 * \"Doe, J\" <j@d.e>") into addresses appended to *list (n counted in
 * *n), at most max in all. 0, or -1 when an item is not an address or
 * there are too many (what was appended stays and is the caller's).
 */
int compat_addr_list_parse(const char *s, size_t len,
                           struct mime_build_addr **list, size_t *n,
                           size_t max);

/* compat_addrs_free - free list[0..n) and the array. */
void compat_addrs_free(struct mime_build_addr *list, size_t n);

/*
 * compat_str_check - may s[0..n) go into a header? 0, or -1 with *e set
 * ("invalid_field" naming field) when it holds CR, LF or NUL.
 */
int compat_str_check(const char *s, size_t n, const char *field,
                     struct api_error *e);

/*
 * compat_json_load - parse a JSON body with duplicate keys refused. NULL
 * with *e set ("invalid_json") when it is not JSON.
 */
json_t *compat_json_load(const char *body, size_t len, struct api_error *e);

/*
 * compat_json_str - the string member key of obj (NULL when absent or
 * null): copied to *out when out is not NULL. 0, or -1 with *e set
 * ("invalid_field" at field) when present but not a string, or when it is
 * header-bound and holds CR, LF or NUL.
 */
int compat_json_str(json_t *obj, const char *key, const char *field,
                    bool header, char **out, struct api_error *e);

/*
 * compat_json_addrs - append the addresses in v to *list (*n counted):
 * v is a string (one address; a comma-separated list when lists is
 * true), or an array of such strings or of {"email", "name"} objects.
 * Absent or null v appends nothing. At most API_JSON_RCPTS_MAX in all.
 * 0, or -1 with *e ("invalid_field" at field).
 */
int compat_json_addrs(json_t *v, const char *field, bool lists,
                      struct mime_build_addr **list, size_t *n,
                      struct api_error *e);

/*
 * compat_json_addr1 - exactly one address (a string or an {"email",
 * "name"} object) into *out, which must be empty. Absent or null v leaves
 * it empty. 0, or -1 with *e.
 */
int compat_json_addr1(json_t *v, const char *field, struct mime_build_addr *out,
                      struct api_error *e);

/*
 * compat_att_add - append a copy of data[0..len) to m as an attachment
 * (an inline part when cid is not NULL or empty; "cid:" and angle
 * brackets are taken off). filename and ctype may be NULL; ctype is
 * lower-cased and stripped of parameters. 0, or -1 with *e at field.
 */
int compat_att_add(struct mime_build_msg *m, const char *filename,
                   const char *ctype, const char *cid, const void *data,
                   size_t len, const char *field, struct api_error *e);

/* compat_att_add_b64 - compat_att_add of base64 text b64[0..n). */
int compat_att_add_b64(struct mime_build_msg *m, const char *filename,
                       const char *ctype, const char *cid, const char *b64,
                       size_t n, const char *field, struct api_error *e);

/*
 * compat_field_add - append the custom header name: value to m after
 * mime_build_field_check (at most API_JSON_HEADERS_MAX). 0 or -1 + *e.
 */
int compat_field_add(struct mime_build_msg *m, const char *name,
                     const char *value, const char *field, struct api_error *e);

/* compat_text_set - set m's text (html false) or HTML body to a copy of
 * s[0..n). 0, or -1 with *e when s holds NUL. */
int compat_text_set(struct mime_build_msg *m, bool html, const char *s,
                    size_t n, const char *field, struct api_error *e);

/* compat_utf8_chars - characters (code points) of the UTF-8 string s. */
size_t compat_utf8_chars(const char *s);

/* compat_sha256_hex - hex SHA-256 of p[0..n) into out (65 octets). */
void compat_sha256_hex(const void *p, size_t n, char out[65]);

/* ---- the providers (compat_*.c) -------------------------------------- */

/*
 * Request handlers, one per provider, each a row of compat.c's route
 * table: path is the request's path (never NULL). A handler answers
 * every request it is given, a path it does not serve with its own 404.
 */
typedef void compat_handle_fn(struct compat *c, struct evhttp_request *req,
                              const char *path);
compat_handle_fn compat_ses_v2_handle;
compat_handle_fn compat_ses_v1_handle;
compat_handle_fn compat_sendgrid_handle;
compat_handle_fn compat_mailgun_handle;
compat_handle_fn compat_postmark_handle;
compat_handle_fn compat_resend_handle;

/* ---- decoders (pure; unit-tested and fuzzed) ------------------------- */

/*
 * compat_ses_v2_decode - a SES v2 SendEmail body. For Content.Simple
 * *msg is filled and raw->data stays NULL; for Content.Raw *raw gets the
 * decoded message (SES's X-SES-* fields taken out), env_from and env_to
 * the Destination's addresses. Either way msg->meta gets the tags,
 * configuration set and tracking switches. Every field the SES models
 * name is honoured or refused, any other refused (compat_ses_v2.c).
 * 0, or -1 with *e.
 */
struct compat_raw_req {
	unsigned char *data; /* decoded message; NULL for a simple one */
	size_t len;
	char *env_from; /* envelope sender (raw: FromEmailAddress or Source;
	                   either: the feedback address, v2
	                   FeedbackForwardingEmailAddress or v1 ReturnPath,
	                   when given); may be NULL */
	char **env_to;
	size_t n_env_to;
};
void compat_raw_req_fini(struct compat_raw_req *r);
int compat_ses_v2_decode(const char *body, size_t len, struct api_msg *msg,
                         struct compat_raw_req *raw, struct api_error *e);

#define COMPAT_SES_BULK_MAX 50 /* SendBulkEmail's entries */

/*
 * compat_ses_v2_bulk_decode - a SES v2 SendBulkEmail body: out->msgs[i]
 * is entry i's message (the request's From, ReplyTo, tags, configuration
 * set and DefaultContent.Template, the entry's Destination, tags and
 * headers, the default TemplateData with the entry's
 * ReplacementTemplateData over it); *feedback the
 * FeedbackForwardingEmailAddress (a copy, or NULL). Anything malformed
 * refuses the whole request: 0, or -1 with *e (out empty).
 */
int compat_ses_v2_bulk_decode(const char *body, size_t len,
                              struct api_batch *out, char **feedback,
                              struct api_error *e);

/* The SES v1 Query actions swerve serves. */
enum compat_ses_action {
	COMPAT_SES_SEND_EMAIL,
	COMPAT_SES_SEND_RAW_EMAIL,
	COMPAT_SES_SEND_TEMPLATED_EMAIL, /* msg has the template */
	/* compat_ses_v1_decode names these; their own decoders read them */
	COMPAT_SES_SEND_BULK_TEMPLATED_EMAIL,
	COMPAT_SES_CREATE_TEMPLATE,
	COMPAT_SES_UPDATE_TEMPLATE,
	COMPAT_SES_GET_TEMPLATE,
	COMPAT_SES_DELETE_TEMPLATE,
	COMPAT_SES_LIST_TEMPLATES,
	COMPAT_SES_TEST_RENDER_TEMPLATE,
};

/* A v1 template operation's parameters. Owned (compat_ses_v1_tmpl_fini). */
struct compat_ses_v1_tmpl {
	char name[129];   /* TemplateName / Template.TemplateName */
	char *part[3];    /* Create/Update: SubjectPart, HtmlPart, TextPart */
	json_t *data;     /* TestRender: TemplateData */
	size_t max_items; /* List: 1..100 (10) */
	char next[129];   /* List: NextToken ("") */
};

/*
 * compat_ses_v1_tmpl_decode - the parameters of a v1 template operation
 * (Create, Update, Get, Delete, List, TestRender) from its body
 * (form-encoded, modified in place). 0, or -1 with *e (out empty).
 */
int compat_ses_v1_tmpl_decode(char *body, size_t len,
                              enum compat_ses_action action,
                              struct compat_ses_v1_tmpl *out,
                              struct api_error *e);
void compat_ses_v1_tmpl_fini(struct compat_ses_v1_tmpl *t);

/*
 * compat_ses_v1_bulk_decode - a v1 SendBulkTemplatedEmail (form-encoded,
 * modified in place): one message per Destinations.member.N (1..50), each
 * with Source, ReplyToAddresses, DefaultTags, ConfigurationSetName,
 * Template and DefaultTemplateData, and its own Destination,
 * ReplacementTags and ReplacementTemplateData (over the default);
 * *return_path the ReturnPath (a copy, or NULL). 0, or -1 with *e.
 */
int compat_ses_v1_bulk_decode(char *body, size_t len, struct api_batch *out,
                              char **return_path, struct api_error *e);

/*
 * compat_ses_v1_decode - a SES v1 Query body (form-encoded, modified in
 * place): *action, and *msg (SendEmail) or *raw (SendRawEmail) as for
 * v2 (a SendEmail's ReturnPath in raw->env_from, the tags and the
 * configuration set in msg->meta for both). The Action name (up to 63 octets)
 * goes to action_name even on failure, for the error's wording. 0, or -1 with
 * *e.
 */
int compat_ses_v1_decode(char *body, size_t len, enum compat_ses_action *action,
                         char action_name[64], struct api_msg *msg,
                         struct compat_raw_req *raw, struct api_error *e);

/*
 * compat_sendgrid_decode - a SendGrid v3 mail/send body received at unix
 * time now (for send_at): one message per personalization into *msgs
 * (*n of them), each with its msg_meta (categories, custom_args,
 * send_at, ip pool, sandbox, tracking). 0, or -1 with *e naming the
 * field in SendGrid's dotted form ("personalizations.0.to").
 */
int compat_sendgrid_decode(const char *body, size_t len, int64_t now,
                           struct api_msg **msgs, size_t *n,
                           struct api_error *e);

/* compat_postmark_msg_decode - one Postmark message object. 0 or -1. */
int compat_postmark_msg_decode(json_t *o, struct api_msg *msg,
                               struct api_error *e);

/* How far ahead Resend lets a caller schedule (30 days). */
#define COMPAT_RESEND_SCHEDULE_MAX (30 * 86400)

/*
 * compat_resend_msg_decode - one Resend email object j (POST /emails, or
 * an item of /emails/batch) into *msg, its tags and schedule in
 * msg->meta; now is the wall clock for scheduled_at. Every field of
 * Resend's schema is honoured or refused, any other refused
 * (compat_resend_msg.c). 0, or -1 with *e (422 unless said otherwise).
 */
int compat_resend_msg_decode(json_t *j, time_t now, struct api_msg *msg,
                             struct api_error *e);

/*
 * compat_resend_decode - a Resend POST /emails body: the object through
 * compat_resend_msg_decode, the payload hash the body's SHA-256. 0, or
 * -1 with *e.
 */
int compat_resend_decode(const char *body, size_t len, time_t now,
                         struct api_msg *msg, struct api_error *e);

/*
 * compat_resend_when - Resend's scheduled_at s: an ISO 8601 date-time
 * with a zone ("2024-08-05T11:52:01.858Z", "...+02:00"), "now", or
 * "in N s|min|hours|days|weeks" ("in an hour"), at most
 * COMPAT_RESEND_SCHEDULE_MAX after now. *send_at is the unix time, or 0
 * when it is not in the future (send at once). 0, or -1 with *e (422
 * naming scheduled_at: another phrase, no zone, too far).
 */
int compat_resend_when(const char *s, time_t now, int64_t *send_at,
                       struct api_error *e);

/*
 * compat_resend_update_decode - a PATCH /emails/{id} body, which may only
 * carry scheduled_at, into *send_at (as compat_resend_when). 0, or -1
 * with *e.
 */
int compat_resend_update_decode(const char *body, size_t len, time_t now,
                                int64_t *send_at, struct api_error *e);

struct form;
/*
 * compat_mailgun_decode - a Mailgun /messages form into *msg, its
 * options into msg->meta (see compat_mailgun_opt; now is the time
 * o:deliverytime is measured from). File parts named attachment,
 * attachment[N], inline or inline[N] (what mailgun.js and Symfony send)
 * are attachments and inline parts. A field swerve does not know is
 * refused. 0 or -1 with *e.
 */
int compat_mailgun_decode(const struct form *fm, time_t now,
                          struct api_msg *msg, struct api_error *e);

/*
 * compat_mailgun_batch_decode - a /messages form into *msgs (*n of them,
 * caller frees with compat_msgs_free): one message, or with
 * recipient-variables one per To recipient, each showing that recipient
 * only, with %recipient.NAME% in its subject, text and HTML replaced by
 * the recipient's variable (compat_mailgun_batch.c). cc and bcc are
 * refused then. 0, or -1 with *e (*msgs NULL).
 */
int compat_mailgun_batch_decode(const struct form *fm, time_t now,
                                struct api_msg **msgs, size_t *n,
                                struct api_error *e);

/*
 * compat_mailgun_mime_decode - a messages.mime form: the envelope (to,
 * required) into raw->env_to, the message (message, required) copied to
 * raw->data with its X-Mailgun-* fields taken out into *meta (which is
 * initialised first), and the form's options (o:, v:, t:,
 * h:X-Mailgun-*) into *meta too. Other fields are refused. 0, or -1 with
 * *e (raw and meta empty then).
 */
int compat_mailgun_mime_decode(const struct form *fm, time_t now,
                               struct compat_raw_req *raw,
                               struct msg_meta *meta, struct api_error *e);

/* Mailgun's limits: tags per message, how far ahead o:deliverytime. */
#define COMPAT_MG_TAGS_MAX 3
#define COMPAT_MG_DELIVERY_AHEAD_MAX (3 * 86400)

/* The options of one request or message, while they are read. */
struct compat_mg_opts {
	struct msg_meta *meta; /* borrowed: where the options go */
	time_t now;            /* for o:deliverytime */
	int track;             /* o:tracking (enum msg_track) */
	int n_tags;            /* o:tag seen */
};

/* compat_mailgun_opts_init - read options into meta (borrowed). */
void compat_mailgun_opts_init(struct compat_mg_opts *o, struct msg_meta *meta,
                              time_t now);

/*
 * compat_mailgun_opt - one Mailgun option: a form field "o:NAME",
 * "v:NAME", "t:NAME", "h:X-Mailgun-NAME", "template",
 * "recipient-variables", or a header field "X-Mailgun-NAME", with its
 * value (NUL-terminated). Honoured ones go into o->meta (o:tag labels, at
 * most COMPAT_MG_TAGS_MAX; v: and X-Mailgun-Variables into metadata;
 * o:deliverytime into send_at; o:testmode into sandbox; o:tracking* into
 * the tracking switches; o:sending-ip-pool into ip_pool); the rest are
 * refused naming the option. 0, 1 when name is not an option (the caller
 * reads it), or -1 with *e (400 invalid_field).
 */
int compat_mailgun_opt(struct compat_mg_opts *o, const char *name,
                       const char *value, struct api_error *e);

/* compat_mailgun_opts_done - settle o:tracking under the specific ones. */
void compat_mailgun_opts_done(struct compat_mg_opts *o);

/*
 * compat_mailgun_opts_mime - every X-Mailgun-* field in the header
 * section of msg through compat_mailgun_opt, then taken out of msg (they
 * are never relayed). 0, or -1 with *e (msg unchanged then).
 */
int compat_mailgun_opts_mime(struct compat_mg_opts *o, struct buf *msg,
                             struct api_error *e);

/*
 * compat_mailgun_date_parse - an RFC 2822 date-time ("Fri, 14 Oct 2011
 * 23:10:10 -0000"; the day name and seconds optional, obsolete zone
 * names allowed) into *out. 0 or -1.
 */
int compat_mailgun_date_parse(const char *s, time_t *out);

/*
 * compat_resend_email_handle - the calls on one Resend email for key k:
 * rest is the path after "/emails/" ("ID" for GET and PATCH,
 * "ID/cancel" for POST). Answers req (from a spool callback, if the
 * client is still there).
 */
void compat_resend_email_handle(struct compat *c, struct evhttp_request *req,
                                const struct config_api_key *k,
                                const char *rest);

/*
 * compat_resend_email_render - the stored message m (with its body) as
 * Resend's email object: object, id, to, from, created_at, subject,
 * html, text, cc, bcc, reply_to, scheduled_at, last_event, tags,
 * message_id. A new reference.
 */
json_t *compat_resend_email_render(const struct spool_msg *m);

/* compat_msgs_free - api_msg_fini each of msgs[0..n) and free the array. */
void compat_msgs_free(struct api_msg *msgs, size_t n);

#endif
