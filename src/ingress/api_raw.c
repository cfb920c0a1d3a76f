/*
 * api_raw.c - a raw RFC 5322 message from an HTTP client, checked and
 * made ready for the spool.
 *
 * The message is copied once into the spool message's body with CRLF
 * line ends; every later step edits or reads that copy. The MIME reader
 * (mime_parse) finds From, To and Cc; nothing else of its verdict
 * matters here (a raw message goes out as it came).
 */
#include "ingress/api_raw.h"

#include <stdbool.h>
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
#include "mime/header.h"
#include "mime/header_edit.h"
#include "mime/mime.h"
#include "mime/mime_build.h"

void
api_rcpt_add(struct spool_msg_new *m, const char *addr)
{
	size_t i;

	for (i = 0; i < m->n_rcpts; i++)
		if (strcasecmp(m->rcpts[i], addr) == 0)
			return;
	m->rcpts = xreallocarray(m->rcpts, m->n_rcpts + 1, sizeof(char *));
	m->rcpts[m->n_rcpts++] = xstrdup(addr);
}

/* raw_normalise - CRLF line ends; refuse NUL and lines over 998. */
static int
raw_normalise(const char *p, size_t n, struct buf *out, struct api_error *e)
{
	size_t i, col = 0;

	buf_reserve(out, n + n / 32 + 2);
	for (i = 0; i < n; i++) {
		if (p[i] == '\0')
			return api_error_set(e, 400, "invalid_message", "",
			                     "the message contains NUL");
		if (p[i] == '\r' || p[i] == '\n') {
			if (p[i] == '\r' && i + 1 < n && p[i + 1] == '\n')
				i++;
			buf_add(out, "\r\n", 2);
			col = 0;
			continue;
		}
		if (++col > 998)
			return api_error_set(
			    e, 400, "invalid_message", "",
			    "a line is longer than 998 octets");
		buf_addch(out, p[i]);
	}
	if (out->len > 0 &&
	    (out->len < 2 || memcmp(out->p + out->len - 2, "\r\n", 2) != 0))
		buf_add(out, "\r\n", 2);
	return 0;
}

/* key_ok - 1..255 printable ASCII, as every idempotency key. */
static bool
key_ok(const char *k)
{
	size_t i;

	for (i = 0; k[i] != '\0'; i++)
		if ((unsigned char)k[i] < 0x21 || (unsigned char)k[i] > 0x7e)
			return false;
	return i > 0 && i <= API_JSON_KEY_MAX;
}

/* raw_hash - hex SHA-256 over the envelope and the body of m. */
static char *
raw_hash(const struct spool_msg_new *m)
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
	EVP_DigestUpdate(sh, m->body.p, m->body.len);
	EVP_DigestFinal_ex(sh, md, &mdlen);
	EVP_MD_CTX_free(sh);
	hex = xmalloc(2 * (size_t)mdlen + 1);
	for (i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return hex;
}

/* raw_fields_add - Message-ID and Date in front when missing. */
static void
raw_fields_add(struct buf *body, const struct api_raw_opts *o, const char *from)
{
	struct buf add;

	buf_init(&add);
	if (!mime_header_has(body->p, body->len, "Message-ID"))
		mime_header_msgid_add(&add, o->msgid_local,
		                      strrchr(from, '@') + 1);
	if (!mime_header_has(body->p, body->len, "Date"))
		mime_header_date_add(&add, o->date);
	if (add.len > 0) {
		buf_reserve(body, add.len);
		memmove(body->p + add.len, body->p, body->len);
		memcpy(body->p, add.p, add.len);
		body->len += add.len;
	}
	buf_fini(&add);
}

int
api_raw_prepare(const char *msg, size_t n, const struct api_raw_opts *o,
                const struct config_api_key *k, struct spool_msg_new *m,
                struct api_error *e)
{
	struct mime_msg *mm = NULL;
	char *key = NULL;
	size_t i;

	memset(m, 0, sizeof(*m));
	buf_init(&m->body);
	if (n > o->max_size) {
		api_error_set(e, 413, "too_large", "",
		              "the message is over limits.max_message_size");
		goto fail;
	}
	if (raw_normalise(msg, n, &m->body, e) < 0)
		goto fail;
	if (mime_header_len(m->body.p, m->body.len) == 0) {
		api_error_set(e, 400, "invalid_message", "",
		              "the message has no header section");
		goto fail;
	}
	if (mime_header_has(m->body.p, m->body.len, "Bcc")) {
		api_error_set(
		    e, 400, "invalid_message", "Bcc",
		    "remove the Bcc field; give hidden recipients as to= in "
		    "the query");
		goto fail;
	}
	mime_header_take(&m->body, 0, "X-Swerve-Idempotency-Key", &key);
	mm = mime_parse(m->body.p, m->body.len);
	if (mm->nfrom != 1 || mm->groups) {
		api_error_set(
		    e, 400, "invalid_message", "From",
		    "the message needs a From field with one address");
		goto fail;
	}
	m->sender = xstrdup(o->env_from ? o->env_from : mm->from[0].addr);
	for (i = 0; i < o->n_env_to; i++)
		api_rcpt_add(m, o->env_to[i]);
	if (o->n_env_to == 0) {
		for (i = 0; i < mm->nto; i++)
			api_rcpt_add(m, mm->to[i].addr);
		for (i = 0; i < mm->ncc; i++)
			api_rcpt_add(m, mm->cc[i].addr);
	}
	if (m->n_rcpts == 0) {
		api_error_set(
		    e, 400, "missing_field", "to",
		    "no recipients: give to= in the query or To/Cc fields");
		goto fail;
	}
	if (m->n_rcpts > o->max_recipients) {
		api_error_set(e, 400, "invalid_field", "to",
		              "more than %u recipients (limits.max_recipients)",
		              o->max_recipients);
		goto fail;
	}
	if (!api_auth_from_allowed(k, m->sender) ||
	    !api_auth_from_allowed(k, mm->from[0].addr)) {
		api_error_set(e, 403, "forbidden", "",
		              "this API key may not send this message");
		goto fail;
	}
	if (o->idem_key != NULL) {
		free(key);
		key = xstrdup(o->idem_key);
	}
	if (key != NULL && !key_ok(key)) {
		api_error_set(e, 400, "invalid_field", "Idempotency-Key",
		              "expected 1..255 printable ASCII characters");
		goto fail;
	}
	/* Hash before the fields we add: a retry gets another Date. */
	if (key != NULL) {
		m->idempotency_hash = raw_hash(m);
		m->idempotency_key = key;
		key = NULL;
	}
	raw_fields_add(&m->body, o, mm->from[0].addr);
	mime_free(mm);
	return 0;
fail:
	free(key);
	mime_free(mm);
	spool_msg_new_fini(m);
	return -1;
}

int
api_msg_spool(const struct config *cfg, const struct config_api_key *k,
              const struct api_msg *msg, const char *client,
              struct spool_msg_new *out, struct api_error *e)
{
	struct mime_build_opts o;
	char local[ID_SIZE];
	const char *why;
	size_t i;

	if (msg->stream != NULL && !config_stream_known(cfg, msg->stream))
		return api_error_set(e, 400, "invalid_field", "stream",
		                     "no such stream");
	id_new(local);
	o.msgid_local = local;
	o.hostname = NULL;
	o.date = clock_wall_time();
	buf_init(&out->body);
	if (mime_build(&msg->mail, &o, &out->body, &why) < 0) {
		buf_fini(&out->body);
		return api_error_set(e, 400, "invalid_field", "", "%s", why);
	}
	if (out->body.len > cfg->max_message_size) {
		buf_fini(&out->body);
		return api_error_set(
		    e, 413, "too_large", "",
		    "the message is %zu octets; the limit is %llu",
		    out->body.len, (unsigned long long)cfg->max_message_size);
	}
	out->sender = xstrdup(msg->mail.from.addr);
	for (i = 0; i < msg->mail.n_to; i++)
		api_rcpt_add(out, msg->mail.to[i].addr);
	for (i = 0; i < msg->mail.n_cc; i++)
		api_rcpt_add(out, msg->mail.cc[i].addr);
	for (i = 0; i < msg->n_bcc; i++)
		api_rcpt_add(out, msg->bcc[i].addr);
	out->tenant = xstrdup(k->tenant);
	out->client = xstrdup(client);
	out->stream = msg->stream ? xstrdup(msg->stream) : NULL;
	if (msg->idempotency_key != NULL) {
		out->idempotency_key = xstrdup(msg->idempotency_key);
		out->idempotency_hash = xstrdup(msg->payload_sha256);
	}
	return 0;
}
