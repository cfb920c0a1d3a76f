/*
 * api_raw.c - a raw RFC 5322 message from an HTTP client, checked and
 * made ready for the spool.
 *
 * The message is copied once into the spool message's body with CRLF
 * line ends; every later step edits or reads that copy. The MIME reader
 * (mime_parse) finds From, To, Cc and Bcc; nothing else of its verdict
 * matters here (a raw message goes out as it came, less what the
 * pipeline removes).
 */
#include "ingress/api_raw.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/xmalloc.h"
#include "mime/header.h"
#include "mime/mime.h"

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

/*
 * raw_bcc_rcpts - the addresses of every Bcc field of m's message as
 * recipients (the envelope taken from the header, as SES does when a
 * raw message comes without Destinations). 0, or -1 with *e when an
 * address in them cannot be read (it would be dropped unseen).
 */
static int
raw_bcc_rcpts(struct spool_msg_new *m, struct api_error *e)
{
	size_t hlen = mime_header_len(m->body.p, m->body.len), off = 0, nv, i;
	struct str name, value;
	struct mime_addr *v;
	unsigned flags;
	bool groups;

	while (mime_header_field_next(m->body.p, hlen, &off, &name, &value)) {
		if (!str_eq_nocase(name, "Bcc"))
			continue;
		flags = 0;
		groups = false;
		mime_addrs_parse(value.p, value.len, &v, &nv, &groups, &flags);
		for (i = 0; i < nv && (flags & MIME_F_ADDRESS) == 0; i++)
			if (v[i].addr[0] != '\0')
				api_rcpt_add(m, v[i].addr);
		mime_addrs_free(v, nv);
		if (flags & MIME_F_ADDRESS)
			return api_error_set(e, 400, "invalid_message", "Bcc",
			                     "the Bcc field holds an address "
			                     "that cannot be read");
	}
	return 0;
}

int
api_raw_prepare(const char *msg, size_t n, const struct api_raw_opts *o,
                const struct config *cfg, const struct submit_who *w,
                struct spool_msg_new *m, struct api_error *e)
{
	struct submit_opts so;
	struct mime_msg *mm = NULL;
	size_t i;
	int rc;

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
		if (raw_bcc_rcpts(m, e) < 0)
			goto fail;
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
	memset(&so, 0, sizeof(so));
	so.stream = o->stream;
	so.idem_key = o->idem_key;
	so.from = mm->from[0].addr;
	so.msgid_local = o->msgid_local;
	so.date = o->date;
	so.meta = o->meta;
	/* The pipeline frees m's contents when it refuses. */
	rc = submit_prepare(cfg, w, &so, m, e);
	mime_free(mm);
	return rc;
fail:
	mime_free(mm);
	spool_msg_new_fini(m);
	return -1;
}
