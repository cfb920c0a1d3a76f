/*
 * submit.c - the one submission pipeline.
 *
 * Each ingress decodes its own wire format (SMTP DATA, a raw message, a
 * JSON request in one of six dialects) and then hands the message here;
 * from this point every path runs the same steps in the same order:
 * control headers out, sender policy, explicit values against control
 * headers, stream, idempotency digest, Message-ID and Date, tenant and
 * client. A rule added here (the sender rules, suppression, templates)
 * holds for every path at once: the sender fields are checked in the
 * message's own bytes, as it will be relayed, never in a decoder's view.
 *
 * Not here: decoding, limits that belong to a wire format (SMTP SIZE, a
 * raw message's line length), the spool, replies on the wire.
 */
#include "ingress/submit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "config/config.h"
#include "core/clock.h"
#include "core/id.h"
#include "core/xmalloc.h"
#include "ingress/api_auth.h"
#include "ingress/api_raw.h"
#include "ingress/submit_policy.h"
#include "ingress/submit_suppress.h"
#include "mime/header.h"
#include "mime/header_edit.h"
#include "mime/mime.h"
#include "mime/mime_build.h"
#include "spool/msg_meta.h"

#define SUBMIT_FIELD_STREAM "X-Swerve-Stream"
#define SUBMIT_FIELD_IDEM "X-Swerve-Idempotency-Key"

/* The control headers a message carried (values owned, NULL if absent). */
struct submit_ctl {
	char *stream;
	char *idem;
};

/* submit_ctl_fini - free c's values. */
static void
submit_ctl_fini(struct submit_ctl *c)
{
	free(c->stream);
	free(c->idem);
}

/* submit_ctl_take_body - control fields out of the message in body. */
static void
submit_ctl_take_body(struct buf *body, size_t off, struct submit_ctl *c)
{
	mime_header_take(body, off, SUBMIT_FIELD_IDEM, &c->idem);
	mime_header_take(body, off, SUBMIT_FIELD_STREAM, &c->stream);
}

/*
 * submit_ctl_take_fields - control fields out of a JSON request's custom
 * fields, as submit_ctl_take_body does for a message: every one removed,
 * the first one's value kept.
 */
static void
submit_ctl_take_fields(struct mime_build_msg *mb, struct submit_ctl *c)
{
	size_t i, kept = 0;

	for (i = 0; i < mb->n_fields; i++) {
		struct mime_build_field *f = &mb->fields[i];
		char **dst =
		    strcasecmp(f->name, SUBMIT_FIELD_IDEM) == 0     ? &c->idem
		    : strcasecmp(f->name, SUBMIT_FIELD_STREAM) == 0 ? &c->stream
		                                                    : NULL;

		if (dst == NULL) {
			mb->fields[kept++] = *f;
			continue;
		}
		if (*dst == NULL)
			*dst = xstrdup(f->value);
		free(f->name);
		free(f->value);
	}
	mb->n_fields = kept;
}

bool
submit_idem_key_ok(const char *k)
{
	size_t i;

	for (i = 0; k[i] != '\0'; i++)
		if ((unsigned char)k[i] < 0x21 || (unsigned char)k[i] > 0x7e)
			return false;
	return i > 0 && i <= API_JSON_KEY_MAX;
}

/*
 * submit_ctl_merge - reconcile the explicit stream and key with the
 * control headers (the result is left in c), check the header's key and
 * that the stream is configured. 0, or -1 with *e set.
 */
static int
submit_ctl_merge(const struct config *cfg, const char *stream, const char *key,
                 struct submit_ctl *c, struct api_error *e)
{
	if (c->idem != NULL && key != NULL && strcmp(c->idem, key) != 0)
		return api_error_set(e, 400, "invalid_field", SUBMIT_FIELD_IDEM,
		                     "differs from the request's "
		                     "idempotency key");
	if (c->idem != NULL && !submit_idem_key_ok(c->idem))
		return api_error_set(e, 400, "invalid_field", "Idempotency-Key",
		                     SUBMIT_FIELD_IDEM
		                     " must be 1..255 "
		                     "printable ASCII characters");
	if (c->idem == NULL && key != NULL)
		c->idem = xstrdup(key);
	if (c->stream != NULL && stream != NULL && strcmp(c->stream, stream))
		return api_error_set(e, 400, "invalid_field",
		                     SUBMIT_FIELD_STREAM,
		                     "differs from the request's stream");
	if (c->stream != NULL && !config_stream_known(cfg, c->stream))
		return api_error_set(
		    e, 400, "invalid_field", SUBMIT_FIELD_STREAM,
		    SUBMIT_FIELD_STREAM " names no configured stream");
	if (stream != NULL && !config_stream_known(cfg, stream))
		return api_error_set(e, 400, "invalid_field", "stream",
		                     "no such stream");
	if (c->stream == NULL && stream != NULL)
		c->stream = xstrdup(stream);
	return 0;
}

bool
submit_sender_allowed(const struct submit_who *w, const char *sender)
{
	if (w->key != NULL)
		return sender[0] == '\0'
		           ? w->key->allow_null_sender
		           : api_auth_from_allowed(w->key, sender);
	return submit_policy_sender_allowed(
	    w->user, (struct str){sender, strlen(sender)});
}

/*
 * submit_any_sender - true when w may name anyone as the sender: a client
 * from a trusted network (no user, no key) or from_domains "*".
 */
static bool
submit_any_sender(const struct submit_who *w)
{
	char *const *d = w->key    ? w->key->from_domains
	                 : w->user ? w->user->from_domains
	                           : NULL;
	size_t i, n = w->key    ? w->key->n_from_domains
	              : w->user ? w->user->n_from_domains
	                        : 0;

	if (d == NULL)
		return true;
	for (i = 0; i < n; i++)
		if (strcmp(d[i], "*") == 0)
			return true;
	return false;
}

/* submit_refuse - the one answer to a sender w may not use (403). */
static int
submit_refuse(const struct submit_who *w, struct api_error *e)
{
	/* One answer whichever address it was, as AUTH and keys say no
	 * more than "no". */
	return api_error_set(e, 403, "forbidden", "", "%s",
	                     w->ingress == SUBMIT_INGRESS_SMTP
	                         ? "Sender address not allowed"
	                         : "this API key may not send this message");
}

/*
 * submit_field_allowed - may w name every address of the address-list
 * value? An element the parser cannot read is a no: it cannot be checked.
 */
static bool
submit_field_allowed(const struct submit_who *w, struct str value)
{
	struct mime_addr *v;
	size_t nv, i;
	unsigned flags = 0;
	bool groups = false, ok;

	mime_addrs_parse(value.p, value.len, &v, &nv, &groups, &flags);
	ok = (flags & MIME_F_ADDRESS) == 0;
	/* An empty addr-spec would pass as the null sender. */
	for (i = 0; ok && i < nv; i++)
		ok =
		    v[i].addr[0] != '\0' && submit_sender_allowed(w, v[i].addr);
	mime_addrs_free(v, nv);
	return ok;
}

/*
 * SUBMIT_NAME_IS - the field name (a struct str) is the string literal lit,
 * ASCII case-insensitive. The lengths are compared first, with lit's known
 * when compiling: the header walk asks this about ten times per field.
 */
#define SUBMIT_NAME_IS(name, lit)                                              \
	((name).len == sizeof(lit) - 1 &&                                      \
	 strncasecmp((name).p, lit, sizeof(lit) - 1) == 0)

/* What a sender field rule found (submit_hdr_scan), first failure only. */
enum submit_hdr_sender {
	SUBMIT_HDR_SENDER_OK,
	SUBMIT_HDR_SENDER_TWO_FROM,   /* a second From field */
	SUBMIT_HDR_SENDER_TWO_SENDER, /* a second Sender field */
	SUBMIT_HDR_SENDER_REFUSED,    /* an address w may not use */
};

/* What the Message-ID rule found (submit_hdr_scan), first failure only. */
enum submit_hdr_msgid {
	SUBMIT_HDR_MSGID_OK,
	SUBMIT_HDR_MSGID_TWO,     /* a second Message-ID field */
	SUBMIT_HDR_MSGID_INVALID, /* not one valid msg-id */
};

/*
 * What one walk over the message's header section found: the fields the
 * pipeline edits or adds, and the verdicts of the sender and Message-ID
 * rules. One walk instead of one per rule: this runs for every message.
 */
struct submit_hdr {
	size_t hlen; /* mime_header_len() of the message */
	bool ctl;    /* a control field is there */
	bool bcc;    /* a Bcc or Resent-Bcc field is there */
	bool msgid;  /* a Message-ID field is there */
	bool date;   /* a Date field is there */
	enum submit_hdr_sender sender;
	enum submit_hdr_msgid id;
};

/*
 * submit_hdr_sender_field - the sender rule for one field named name:
 * at most one From and one Sender field (RFC 5322 3.6), and every address
 * in From, Sender, Resent-From and Resent-Sender allowed to w unless any
 * (submit_any_sender). n_from and n_sender count the fields seen so far.
 */
static enum submit_hdr_sender
submit_hdr_sender_field(const struct submit_who *w, bool any, struct str name,
                        struct str value, size_t *n_from, size_t *n_sender)
{
	if (SUBMIT_NAME_IS(name, "From"))
		(*n_from)++;
	else if (SUBMIT_NAME_IS(name, "Sender"))
		(*n_sender)++;
	else if (!SUBMIT_NAME_IS(name, "Resent-From") &&
	         !SUBMIT_NAME_IS(name, "Resent-Sender"))
		return SUBMIT_HDR_SENDER_OK;
	if (*n_from > 1)
		return SUBMIT_HDR_SENDER_TWO_FROM;
	if (*n_sender > 1)
		return SUBMIT_HDR_SENDER_TWO_SENDER;
	if (!any && !submit_field_allowed(w, value))
		return SUBMIT_HDR_SENDER_REFUSED;
	return SUBMIT_HDR_SENDER_OK;
}

/*
 * submit_hdr_scan - walk the header section of body[off..] once and fill
 * *h (see struct submit_hdr). The message's own Message-ID, if any, must
 * be one field holding one valid msg-id (mime_msgid_valid); it is kept
 * as it is, never replaced.
 */
static void
submit_hdr_scan(const struct submit_who *w, const struct buf *body, size_t off,
                struct submit_hdr *h)
{
	const char *msg = body->p + off;
	size_t pos = 0, n_from = 0, n_sender = 0, n_id = 0;
	bool any = submit_any_sender(w);
	struct str name, value, id;

	memset(h, 0, sizeof(*h));
	h->hlen = body->len > off ? mime_header_len(msg, body->len - off) : 0;
	while (mime_header_field_next(msg, h->hlen, &pos, &name, &value)) {
		if (h->sender == SUBMIT_HDR_SENDER_OK)
			h->sender = submit_hdr_sender_field(w, any, name, value,
			                                    &n_from, &n_sender);
		if (SUBMIT_NAME_IS(name, "Message-ID")) {
			h->msgid = true;
			if (h->id == SUBMIT_HDR_MSGID_OK && ++n_id > 1)
				h->id = SUBMIT_HDR_MSGID_TWO;
			else if (h->id == SUBMIT_HDR_MSGID_OK &&
			         !mime_msgid_trim(value.p, value.len, &id))
				h->id = SUBMIT_HDR_MSGID_INVALID;
		} else if (SUBMIT_NAME_IS(name, "Date")) {
			h->date = true;
		} else if (SUBMIT_NAME_IS(name, "Bcc") ||
		           SUBMIT_NAME_IS(name, "Resent-Bcc")) {
			h->bcc = true;
		} else if (SUBMIT_NAME_IS(name, SUBMIT_FIELD_IDEM) ||
		           SUBMIT_NAME_IS(name, SUBMIT_FIELD_STREAM)) {
			h->ctl = true;
		}
	}
}

/*
 * submit_hdr_sender_check - the sender rules' verdict of submit_hdr_scan
 * as the answer: 400 invalid_message naming From or Sender (for
 * everyone), 403 as for the envelope. 0, or -1 with *e set.
 */
static int
submit_hdr_sender_check(const struct submit_who *w, const struct submit_hdr *h,
                        struct api_error *e)
{
	switch (h->sender) {
	case SUBMIT_HDR_SENDER_TWO_FROM:
		return api_error_set(e, 400, "invalid_message", "From",
		                     "the message has more than one %s field",
		                     "From");
	case SUBMIT_HDR_SENDER_TWO_SENDER:
		return api_error_set(e, 400, "invalid_message", "Sender",
		                     "the message has more than one %s field",
		                     "Sender");
	case SUBMIT_HDR_SENDER_REFUSED:
		return submit_refuse(w, e);
	case SUBMIT_HDR_SENDER_OK:
		break;
	}
	return 0;
}

/*
 * submit_hdr_msgid_check - the Message-ID rule's verdict of
 * submit_hdr_scan as the answer: 400 invalid_message naming Message-ID.
 * 0, or -1 with *e set.
 */
static int
submit_hdr_msgid_check(const struct submit_hdr *h, struct api_error *e)
{
	switch (h->id) {
	case SUBMIT_HDR_MSGID_TWO:
		return api_error_set(
		    e, 400, "invalid_message", "Message-ID",
		    "the message has more than one Message-ID field");
	case SUBMIT_HDR_MSGID_INVALID:
		return api_error_set(e, 400, "invalid_message", "Message-ID",
		                     "Message-ID is not one msg-id "
		                     "<id-left@id-right> of at most %d octets",
		                     MIME_MSGID_MAX);
	case SUBMIT_HDR_MSGID_OK:
		break;
	}
	return 0;
}

/* submit_digest - hex SHA-256 over m's envelope and body. */
static char *
submit_digest(const struct spool_msg_new *m, const struct buf *body)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	EVP_MD_CTX *sh = EVP_MD_CTX_new();
	char *hex;

	EVP_DigestInit_ex(sh, EVP_sha256(), NULL);
	/* NUL separators: "a" + "bc" differs from "ab" + "c". */
	EVP_DigestUpdate(sh, m->sender, strlen(m->sender) + 1);
	for (i = 0; i < m->n_rcpts; i++)
		EVP_DigestUpdate(sh, m->rcpts[i], strlen(m->rcpts[i]) + 1);
	EVP_DigestUpdate(sh, body->p, body->len);
	EVP_DigestFinal_ex(sh, md, &mdlen);
	EVP_MD_CTX_free(sh);
	hex = xmalloc(2 * (size_t)mdlen + 1);
	for (i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return hex;
}

/*
 * submit_msgid_local - the local part of the Message-ID swerve adds to a
 * message that came with an idempotency key over HTTP: a digest of the
 * tenant, the key and the request's payload digest (hash), so that a
 * replay, which stores nothing, answers the Message-ID of the message
 * stored first, while a key reused for another payload (once the first
 * message is gone from the spool) makes another Message-ID.
 */
static void
submit_msgid_local(const struct submit_who *w, const char *key,
                   const char *hash, char out[SUBMIT_LOCAL_SIZE])
{
	const char *tenant = w->key ? w->key->tenant : "";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	EVP_MD_CTX *sh = EVP_MD_CTX_new();

	EVP_DigestInit_ex(sh, EVP_sha256(), NULL);
	/* NUL separators: no two triples hash the same input. */
	EVP_DigestUpdate(sh, tenant, strlen(tenant) + 1);
	EVP_DigestUpdate(sh, key, strlen(key) + 1);
	EVP_DigestUpdate(sh, hash ? hash : "", hash ? strlen(hash) : 0);
	EVP_DigestFinal_ex(sh, md, &mdlen);
	EVP_MD_CTX_free(sh);
	for (i = 0; i < (SUBMIT_LOCAL_SIZE - 2) / 2 && i < mdlen; i++)
		snprintf(out + 1 + 2 * i, 3, "%02x", md[i]);
	/* "k": never the shape of an id_new() id. */
	out[0] = 'k';
}

/*
 * submit_fields_add - Message-ID and Date in front of body[off..] when h
 * says they are missing (h describes body[off..] as it is now). True when
 * it added the Message-ID.
 */
static bool
submit_fields_add(struct buf *body, size_t off, const struct submit_hdr *h,
                  const char *domain, const char *local, time_t date)
{
	size_t len = body->len - off;
	struct buf add;

	if (h->msgid && h->date)
		return false;
	buf_init(&add);
	if (!h->msgid)
		mime_header_msgid_add(&add, local, domain);
	if (!h->date)
		mime_header_date_add(&add, date);
	/* Text with no header section at all starts the body: keep it so. */
	if (h->hlen == 0 && len > 0)
		buf_add(&add, "\r\n", 2);
	buf_reserve(body, add.len);
	memmove(body->p + off + add.len, body->p + off, len);
	memcpy(body->p + off, add.p, add.len);
	body->len += add.len;
	buf_fini(&add);
	return !h->msgid;
}

/* submit_msgid_is_ours - m's Message-ID is <local@...>. */
static bool
submit_msgid_is_ours(const struct spool_msg_new *m, const char *local)
{
	char id[MIME_MSGID_MAX + 1];
	size_t n = strlen(local);

	return submit_msgid(m, id) == 0 && id[0] == '<' &&
	       strncmp(id + 1, local, n) == 0 && id[1 + n] == '@';
}

/* submit_adopt_id - m's id is local when local is an id_new() id that
 * m's Message-ID carries (swerve made both). */
static void
submit_adopt_id(struct spool_msg_new *m, const char *local)
{
	if (local != NULL && id_valid(local))
		memcpy(m->id, local, ID_SIZE);
}

/* submit_mark - tenant, client, stream and key of m from w and c. */
static void
submit_mark(const struct submit_who *w, struct submit_ctl *c,
            struct spool_msg_new *m)
{
	m->tenant = w->user  ? xstrdup(w->user->name)
	            : w->key ? xstrdup(w->key->tenant)
	                     : NULL;
	m->client = w->client ? xstrdup(w->client) : NULL;
	/* The message's stream, else the submitter's default, else the
	 * spool's (transactional). */
	if (c->stream == NULL && w->user != NULL && w->user->stream != NULL)
		c->stream = xstrdup(w->user->stream);
	m->stream = c->stream;
	m->idempotency_key = c->idem;
	c->stream = c->idem = NULL;
}

/*
 * submit_meta_check - what the caller asked besides the bytes, against
 * the limits that hold for every path: a send_at no further than
 * limits.max_schedule_ahead after now (unix seconds). 0, or -1 with *e
 * set (400 invalid_field "send_at").
 */
static int
submit_meta_check(const struct config *cfg, const struct msg_meta *meta,
                  int64_t now, struct api_error *e)
{
	int64_t ahead = (int64_t)(cfg->max_schedule_ahead_ms / 1000);

	if (meta != NULL && meta->send_at > 0 && meta->send_at > now &&
	    meta->send_at - now > ahead)
		return api_error_set(e, 400, "invalid_field", "send_at",
		                     "more than %lld seconds ahead "
		                     "(limits.max_schedule_ahead)",
		                     (long long)ahead);
	return 0;
}

int
submit_prepare(const struct config *cfg, const struct submit_who *w,
               const struct submit_opts *o, struct spool_msg_new *m,
               struct api_error *e)
{
	struct submit_ctl c = {NULL, NULL};
	char local[SUBMIT_LOCAL_SIZE];
	struct submit_hdr h;
	const char *dom;
	bool keyed;

	/* One walk; the message is edited only when a field to take out is
	 * there, and walked again after each edit. */
	submit_hdr_scan(w, &m->body, o->body_off, &h);
	if (h.ctl) {
		submit_ctl_take_body(&m->body, o->body_off, &c);
		submit_hdr_scan(w, &m->body, o->body_off, &h);
	}
	if (!submit_sender_allowed(w, m->sender)) {
		submit_refuse(w, e);
		goto fail;
	}
	if (submit_hdr_sender_check(w, &h, e) < 0 ||
	    submit_hdr_msgid_check(&h, e) < 0 ||
	    submit_ctl_merge(cfg, o->stream, o->idem_key, &c, e) < 0 ||
	    submit_meta_check(cfg, o->meta, (int64_t)o->date, e) < 0)
		goto fail;
	/*
	 * Digest before the fields we add: a retry gets another Date. SMTP
	 * stores none: a reused key there answers the first message's id,
	 * whatever the message.
	 */
	if (c.idem != NULL && w->ingress == SUBMIT_INGRESS_HTTP)
		m->idempotency_hash = o->payload ? xstrdup(o->payload)
		                                 : submit_digest(m, &m->body);
	/* Envelope only, as Postfix does: the recipients stay in m. */
	if (h.bcc) {
		mime_header_take(&m->body, o->body_off, "Bcc", NULL);
		mime_header_take(&m->body, o->body_off, "Resent-Bcc", NULL);
		submit_hdr_scan(w, &m->body, o->body_off, &h);
	}
	dom = o->msgid_domain;
	if (dom == NULL && o->from != NULL && strrchr(o->from, '@') != NULL)
		dom = strrchr(o->from, '@') + 1;
	if (c.idem != NULL && w->ingress == SUBMIT_INGRESS_HTTP)
		submit_msgid_local(w, c.idem, m->idempotency_hash, local);
	keyed = c.idem != NULL && w->ingress == SUBMIT_INGRESS_HTTP;
	if (submit_fields_add(&m->body, o->body_off, &h,
	                      dom ? dom : "localhost",
	                      keyed ? local : o->msgid_local, o->date) &&
	    !keyed)
		submit_adopt_id(m, o->msgid_local);
	submit_mark(w, &c, m);
	if (o->meta != NULL)
		m->meta = msg_meta_encode(o->meta);
	if (submit_suppress_apply(cfg, w, m, e) < 0)
		goto fail;
	return 0;
fail:
	submit_ctl_fini(&c);
	spool_msg_new_fini(m);
	return -1;
}

/* submit_msg_check - what a JSON request must have, and the policy. */
static int
submit_msg_check(const struct config *cfg, const struct submit_who *w,
                 const struct api_msg *msg, struct api_error *e)
{
	size_t n = msg->mail.n_to + msg->mail.n_cc + msg->n_bcc;

	if (msg->mail.from.addr == NULL)
		return api_error_set(e, 400, "missing_field", "from",
		                     "a From address is required");
	/* For JSON the From is both the envelope sender and the field; the
	 * other sender fields are checked in the message built. */
	if (!submit_sender_allowed(w, msg->mail.from.addr))
		return submit_refuse(w, e);
	if (n == 0)
		return api_error_set(e, 400, "missing_field", "to",
		                     "at least one recipient is required");
	if (n > cfg->max_recipients)
		return api_error_set(
		    e, 400, "invalid_field", "to",
		    "more than %u recipients (limits.max_recipients)",
		    cfg->max_recipients);
	if (msg->mail.text == NULL && msg->mail.html == NULL)
		return api_error_set(e, 400, "missing_field", "text",
		                     "a text or an HTML body is required");
	return 0;
}

/*
 * submit_msg_digest - a digest for a key that came without one (the
 * drop-in dialects other than Resend): the envelope and the message built
 * with a fixed Message-ID and Date, so that a retry matches.
 *
 * A key names one message: the SendGrid endpoint gives each
 * personalization of a request its own key (compat_sendgrid.c).
 */
static char *
submit_msg_digest(const struct api_msg *msg, const struct spool_msg_new *m)
{
	struct mime_build_opts o = {"idempotency", NULL, 0};
	const char *why;
	struct buf b;
	char *hex;

	buf_init(&b);
	(void)mime_build(&msg->mail, &o, &b, &why);
	hex = submit_digest(m, &b);
	buf_fini(&b);
	return hex;
}

int
submit_msg_prepare(const struct config *cfg, const struct submit_who *w,
                   struct api_msg *msg, struct spool_msg_new *out,
                   struct api_error *e)
{
	struct submit_ctl c = {NULL, NULL};
	struct mime_build_opts o;
	char local[SUBMIT_LOCAL_SIZE];
	struct submit_hdr h;
	const char *why;
	size_t i, hlen;

	memset(out, 0, sizeof(*out));
	buf_init(&out->body);
	submit_ctl_take_fields(&msg->mail, &c);
	o.date = clock_wall_time();
	if (submit_msg_check(cfg, w, msg, e) < 0 ||
	    submit_ctl_merge(cfg, msg->stream, msg->idempotency_key, &c, e) <
	        0 ||
	    submit_meta_check(cfg, &msg->meta, (int64_t)o.date, e) < 0)
		goto fail;
	out->sender = xstrdup(msg->mail.from.addr);
	for (i = 0; i < msg->mail.n_to; i++)
		api_rcpt_add(out, msg->mail.to[i].addr);
	for (i = 0; i < msg->mail.n_cc; i++)
		api_rcpt_add(out, msg->mail.cc[i].addr);
	for (i = 0; i < msg->n_bcc; i++)
		api_rcpt_add(out, msg->bcc[i].addr);
	if (c.idem != NULL) {
		api_msg_digest(msg);
		out->idempotency_hash = msg->payload_sha256[0] != '\0'
		                            ? xstrdup(msg->payload_sha256)
		                            : submit_msg_digest(msg, out);
		submit_msgid_local(w, c.idem, out->idempotency_hash, local);
	} else
		id_new(local);
	o.msgid_local = local;
	o.hostname = NULL;
	if (mime_build(&msg->mail, &o, &out->body, &why) < 0) {
		api_error_set(e, 400, "invalid_field", "", "%s", why);
		goto fail;
	}
	/* Custom fields may name a Resent-From or Resent-Sender. */
	submit_hdr_scan(w, &out->body, 0, &h);
	if (submit_hdr_sender_check(w, &h, e) < 0)
		goto fail;
	hlen = h.hlen;
	if (hlen > MIME_BUILD_HEADER_MAX) {
		api_error_set(e, 413, "too_large", "headers",
		              "the header section is %zu octets; the limit is "
		              "%d",
		              hlen, MIME_BUILD_HEADER_MAX);
		goto fail;
	}
	if (out->body.len > cfg->max_message_size) {
		api_error_set(e, 413, "too_large", "",
		              "the message is %zu octets; the limit is %llu",
		              out->body.len,
		              (unsigned long long)cfg->max_message_size);
		goto fail;
	}
	submit_mark(w, &c, out);
	if (c.idem == NULL && submit_msgid_is_ours(out, local))
		submit_adopt_id(out, local);
	out->meta = msg_meta_encode(&msg->meta);
	if (submit_suppress_apply(cfg, w, out, e) < 0)
		goto fail;
	return 0;
fail:
	submit_ctl_fini(&c);
	spool_msg_new_fini(out);
	return -1;
}

int
submit_msgid(const struct spool_msg_new *m, char out[MIME_MSGID_MAX + 1])
{
	size_t hlen = mime_header_len(m->body.p, m->body.len), off = 0;
	struct str name, value, id;

	out[0] = '\0';
	while (mime_header_field_next(m->body.p, hlen, &off, &name, &value))
		if (str_eq_nocase(name, "Message-ID") &&
		    mime_msgid_trim(value.p, value.len, &id)) {
			memcpy(out, id.p, id.len);
			out[id.len] = '\0';
			return 0;
		}
	return -1;
}

void
submit_reply_smtp(const struct api_error *e, char *out, size_t n)
{
	/* 550, not 553: this answers the final dot (RFC 5321 4.3.2). */
	const char *code = e->http_status == 403   ? "550 5.7.1"
	                   : e->http_status == 413 ? "552 5.3.4"
	                                           : "554 5.6.0";

	snprintf(out, n, "%s %s", code, e->message);
}

bool
submit_status_smtp(int status, const char *hostname, char *out, size_t n)
{
	switch (status) {
	case SPOOL_ERR_FULL:
		snprintf(out, n, "452 4.3.1 Insufficient system storage");
		return false;
	case SPOOL_ERR_CLOSED:
		snprintf(out, n,
		         "421 4.3.2 %s Service shutting down, try again later",
		         hostname);
		return true;
	case SPOOL_ERR_DAMAGED:
		snprintf(out, n,
		         "421 4.3.0 %s Message store unavailable, try again "
		         "later",
		         hostname);
		return true;
	default:
		snprintf(out, n,
		         "451 4.3.0 Error: queue file write error, "
		         "try again later");
		return false;
	}
}

void
submit_status_http(int status, struct api_error *e)
{
	switch (status) {
	case SPOOL_ERR_CONFLICT:
		api_error_set(e, 409, "idempotency_conflict", "idempotency_key",
		              "this idempotency key was used for "
		              "another request");
		break;
	case SPOOL_ERR_FULL:
		api_error_set(
		    e, 503, "spool_full", "",
		    "the queue is full or disk space is low; retry later");
		break;
	case SPOOL_ERR_CLOSED:
		api_error_set(e, 503, "shutting_down", "",
		              "the server is shutting down; retry later");
		break;
	case SPOOL_ERR_DAMAGED:
		api_error_set(e, 503, "spool_damaged", "",
		              "the message store is unavailable; retry later");
		break;
	default:
		api_error_set(e, 503, "spool_error", "",
		              "the message could not be stored; retry later");
	}
}

void
submit_status_compat(int status, struct api_error *e)
{
	if (status == SPOOL_ERR_CONFLICT)
		api_error_set(
		    e, 409, "conflict", "Idempotency-Key",
		    "this idempotency key was used for another request");
	else
		api_error_set(
		    e, 503, "unavailable", "",
		    "the message could not be stored now; retry later");
}
