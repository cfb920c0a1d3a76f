/*
 * mail_json.c - the provider-neutral half of rebuilding a message as JSON.
 *
 * Parses the message once, takes mime_faithful_for_json's verdict, and
 * splits the envelope recipients by the role the header gives them, so
 * the SendGrid, Postmark and Resend files only map fields to names.
 */
#include "providers/mail_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/xmalloc.h"

/* Fields the providers set themselves or refuse as custom headers. */
static const char *const mail_json_deny[] = {
    "From",
    "To",
    "Cc",
    "Bcc",
    "Subject",
    "Reply-To",
    "Received",
    "DKIM-Signature",
    "Return-Path",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
    "Content-Disposition",
    "Content-ID",
    "Content-Description",
    "X-SG-ID",
    "X-SG-EID",
    "Sender",
    NULL,
};

/* mail_json_in_env - index of addr among the envelope recipients, or -1. */
static long
mail_json_in_env(const struct adapter_msg *msg, const char *addr)
{
	size_t i;

	for (i = 0; i < msg->n_rcpts; i++)
		if (strcasecmp(msg->rcpts[i], addr) == 0)
			return (long)i;
	return -1;
}

/*
 * mail_json_pick - append to *out (count *n) the addresses of hdr[0..nh)
 * that are envelope recipients not yet used (used[] marks them).
 */
static void
mail_json_pick(const struct adapter_msg *msg, const struct mime_addr *hdr,
               size_t nh, bool *used, struct mail_rcpt *out, size_t *n)
{
	size_t i;
	long k;

	for (i = 0; i < nh; i++) {
		k = mail_json_in_env(msg, hdr[i].addr);
		if (k < 0 || used[k])
			continue;
		used[k] = true;
		out[*n].addr = msg->rcpts[k];
		out[*n].name = hdr[i].name;
		(*n)++;
	}
}

/* mail_json_verdict_known - was msg judged for these recipients? */
static bool
mail_json_verdict_known(const struct adapter_msg *msg)
{
	return msg->json != NULL && msg->json->known &&
	       msg->json->n_rcpts == msg->n_rcpts;
}

int
mail_json_open(struct mail_json *mj, const struct adapter_msg *msg, char *why,
               size_t whylen)
{
	const char *reason = NULL;
	bool *used = NULL;
	size_t i, n = msg->n_rcpts;

	memset(mj, 0, sizeof(*mj));
	/* Judged already as not representable: say so without parsing. */
	if (mail_json_verdict_known(msg) && !msg->json->ok) {
		snprintf(why, whylen, "%s", msg->json->why);
		return -1;
	}
	mj->m = mime_parse(msg->body.p, msg->body.len);
	if (!mime_faithful_for_json(mj->m, &reason))
		goto fail;
	if (mj->m->nfrom != 1) {
		reason = "From is not exactly one address";
		goto fail;
	}
	mj->from = &mj->m->from[0];
	used = xcalloc(n ? n : 1, sizeof(*used));
	mj->to = xcalloc(n ? n : 1, sizeof(*mj->to));
	mj->cc = xcalloc(n ? n : 1, sizeof(*mj->cc));
	mj->bcc = xcalloc(n ? n : 1, sizeof(*mj->bcc));
	mail_json_pick(msg, mj->m->to, mj->m->nto, used, mj->to, &mj->nto);
	mail_json_pick(msg, mj->m->cc, mj->m->ncc, used, mj->cc, &mj->ncc);
	for (i = 0; i < n; i++)
		if (!used[i])
			mj->bcc[mj->nbcc++].addr = msg->rcpts[i];
	free(used);
	/* Routing may ask before it knows the recipients of this attempt
	 * (n == 0): then only the content is judged. */
	if (mj->nto == 0 && n > 0) {
		reason = "no envelope recipient is in To (Bcc-only)";
		goto fail;
	}
	return 0;
fail:
	snprintf(why, whylen, "%s", reason ? reason : "unreadable message");
	mail_json_close(mj);
	return -1;
}

void
mail_json_close(struct mail_json *mj)
{
	mime_free(mj->m);
	free(mj->to);
	free(mj->cc);
	free(mj->bcc);
	memset(mj, 0, sizeof(*mj));
}

bool
mail_json_represents(const struct adapter_msg *msg, char *why, size_t whylen)
{
	struct adapter_json_verdict *v = msg->json;
	struct mail_json mj;
	bool ok;

	if (mail_json_verdict_known(msg)) {
		if (!v->ok)
			snprintf(why, whylen, "%s", v->why);
		return v->ok;
	}
	ok = mail_json_open(&mj, msg, why, whylen) == 0;
	if (ok)
		mail_json_close(&mj);
	if (v != NULL) {
		v->known = true;
		v->ok = ok;
		v->n_rcpts = msg->n_rcpts;
		snprintf(v->why, sizeof(v->why), "%s", ok ? "" : why);
	}
	return ok;
}

bool
mail_json_header_passes(const char *name, const char *const *extra)
{
	size_t i;

	for (i = 0; mail_json_deny[i] != NULL; i++)
		if (strcasecmp(name, mail_json_deny[i]) == 0)
			return false;
	if (strncasecmp(name, "Content-", 8) == 0)
		return false;
	for (i = 0; extra != NULL && extra[i] != NULL; i++)
		if (strcasecmp(name, extra[i]) == 0)
			return false;
	return true;
}

json_t *
mail_json_str(const char *s, size_t len)
{
	/* jansson refuses invalid UTF-8 and returns NULL. */
	return json_stringn(s ? s : "", s ? len : 0);
}

/* mail_json_name_needs_quotes - a display name that must be quoted. */
static bool
mail_json_name_needs_quotes(const char *s)
{
	for (; *s; s++)
		if (strchr("()<>[]:;@\\,.\"", *s) != NULL)
			return true;
	return false;
}

char *
mail_json_addr_format(const char *name, const char *addr)
{
	struct buf b;
	const char *s;

	if (name == NULL || *name == '\0')
		return xstrdup(addr);
	buf_init(&b);
	if (mail_json_name_needs_quotes(name)) {
		buf_addch(&b, '"');
		for (s = name; *s; s++) {
			if (*s == '"' || *s == '\\')
				buf_addch(&b, '\\');
			buf_addch(&b, *s);
		}
		buf_addch(&b, '"');
	} else {
		buf_addstr(&b, name);
	}
	buf_printf(&b, " <%s>", addr);
	return buf_steal(&b, NULL);
}

int
mail_json_set(json_t *obj, const char *key, json_t *v)
{
	if (v == NULL)
		return -1;
	return json_object_set_new(obj, key, v) == 0 ? 0 : -1;
}

/* mail_json_dump_cb - json_dump_callback's sink: append to a struct buf. */
static int
mail_json_dump_cb(const char *p, size_t n, void *arg)
{
	buf_add(arg, p, n);
	return 0;
}

int
mail_json_dump(const json_t *root, struct buf *out)
{
	/* One pass: escaping a 100 KiB body twice (size, then write) or
	 * copying it out of a temporary string both cost. */
	return json_dump_callback(root, mail_json_dump_cb, out, JSON_COMPACT) ==
	               0
	           ? 0
	           : -1;
}
