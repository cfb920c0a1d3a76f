/*
 * mime_json.c - what a JSON provider needs from a parsed message.
 *
 * Picks the text and HTML bodies out of the body tree, lists the
 * attachments (inline ones with their Content-ID), lists the custom header
 * fields, and decides whether SendGrid/Postmark/Resend JSON can carry the
 * message faithfully. The shapes it accepts are the ones such a request
 * can rebuild: a text and/or HTML body, possibly as multipart/alternative,
 * an HTML body with inline parts (multipart/related), and any of those
 * followed by attachments (multipart/mixed). Anything else (signed or
 * encrypted parts, message/rfc822, extra inline text parts, other
 * multipart subtypes, any parse flag) gets a reason and the caller sends
 * the raw message through a provider that takes MIME instead.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/xmalloc.h"
#include "mime/mime_int.h"

/* mime_jx_why - record the first reason the message is not faithful. */
static void
mime_jx_why(struct mime_msg *m, const char *why)
{
	if (m->unfaithful == NULL)
		m->unfaithful = why;
}

/* mime_jx_is - true when part p has type t. */
static bool
mime_jx_is(const struct mime_part *p, const char *t)
{
	return strcmp(p->type, t) == 0;
}

/* mime_jx_attached - true for Content-Disposition: attachment. */
static bool
mime_jx_attached(const struct mime_part *p)
{
	return p->disposition && strcmp(p->disposition, "attachment") == 0;
}

/* mime_jx_textual - a text/plain or text/html leaf shown as a body. */
static bool
mime_jx_textual(const struct mime_part *p)
{
	return (mime_jx_is(p, "text/plain") || mime_jx_is(p, "text/html")) &&
	       !mime_jx_attached(p);
}

/* mime_jx_body_set - use leaf p as the text or the HTML body. */
static void
mime_jx_body_set(struct mime_msg *m, const struct mime_part *p)
{
	bool html = mime_jx_is(p, "text/html");
	const char **dst = html ? &m->html : &m->text;
	size_t *dlen = html ? &m->html_len : &m->text_len;

	if (*dst != NULL) {
		mime_jx_why(m, html ? "more than one text/html body"
		                    : "more than one text/plain body");
		return;
	}
	if (p->utf8 == NULL) {
		mime_jx_why(m, p->cs_flags & MIME_F_UNKNOWN_CS
		                   ? "body in an unknown charset"
		                   : "body bytes invalid in their charset");
		return;
	}
	*dst = p->utf8;
	*dlen = p->utf8_len;
}

/*
 * mime_jx_params_plain - true when a JSON "type/subtype" says all that p's
 * Content-Type does: only a name, or a charset that JSON's UTF-8 text
 * implies anyway. Others (text/calendar's method, a latin-1 charset) would
 * be dropped and change what the part means.
 */
static bool
mime_jx_params_plain(const struct mime_part *p)
{
	size_t i;

	for (i = 0; i < p->nparams; i++) {
		const char *n = p->params[i].name, *v = p->params[i].value;

		if (strcmp(n, "name") == 0)
			continue;
		if (strcmp(n, "charset") == 0 &&
		    (strcasecmp(v, "utf-8") == 0 ||
		     strcasecmp(v, "us-ascii") == 0))
			continue;
		return false;
	}
	return true;
}

/* mime_jx_attach - list p as an attachment (inline when asked). */
static void
mime_jx_attach(struct mime_msg *m, const struct mime_part *p, bool is_inline)
{
	struct mime_attachment *a;

	if (strncmp(p->type, "multipart/", 10) == 0) {
		mime_jx_why(m, "nested multipart would be flattened");
		return;
	}
	if (strncmp(p->type, "message/", 8) == 0) {
		mime_jx_why(m, "message/ part (e.g. message/rfc822)");
		return;
	}
	if (!mime_jx_params_plain(p)) {
		mime_jx_why(m,
		            "attachment Content-Type parameters would be lost");
		return;
	}
	m->attachments = xreallocarray(m->attachments, m->nattachments + 1,
	                               sizeof(*m->attachments));
	a = &m->attachments[m->nattachments++];
	a->part = p;
	a->filename = p->filename;
	a->type = p->type;
	a->data = p->data;
	a->len = p->len;
	a->content_id = p->content_id;
	a->is_inline = is_inline;
}

static void mime_jx_body(struct mime_msg *m, const struct mime_part *p);

/* mime_jx_related - an HTML root with inline parts (RFC 2387). */
static void
mime_jx_related(struct mime_msg *m, const struct mime_part *p)
{
	const char *start = mime_param_get(p->params, p->nparams, "start");
	const struct mime_part *root = NULL;
	size_t i;

	if (p->nchildren == 0) {
		mime_jx_why(m, "empty multipart/related");
		return;
	}
	for (i = 0; start && i < p->nchildren; i++) {
		const char *cid = p->children[i]->content_id;
		const char *s = start;
		size_t sl = strlen(start);

		/* start is a msg-id ("<x>"); some writers drop the brackets. */
		if (sl >= 2 && s[0] == '<' && s[sl - 1] == '>') {
			s++;
			sl -= 2;
		}
		if (cid && root == NULL && strlen(cid) == sl &&
		    memcmp(cid, s, sl) == 0)
			root = p->children[i];
	}
	if (start && root == NULL) {
		mime_jx_why(m, "multipart/related start part not found");
		return;
	}
	if (root == NULL)
		root = p->children[0];
	if (mime_jx_is(root, "text/html") && !mime_jx_attached(root))
		mime_jx_body_set(m, root);
	else if (mime_jx_is(root, "multipart/alternative"))
		mime_jx_body(m, root);
	else
		mime_jx_why(m, "multipart/related root is not HTML");
	for (i = 0; i < p->nchildren; i++) {
		const struct mime_part *c = p->children[i];

		if (c == root)
			continue;
		if (c->content_id == NULL) {
			mime_jx_why(m, "related part without Content-ID");
			continue;
		}
		mime_jx_attach(m, c, true);
	}
}

/* mime_jx_alternative - one text/plain and one HTML (maybe related). */
static void
mime_jx_alternative(struct mime_msg *m, const struct mime_part *p)
{
	size_t i;

	if (p->nchildren == 0)
		mime_jx_why(m, "empty multipart/alternative");
	for (i = 0; i < p->nchildren; i++) {
		const struct mime_part *c = p->children[i];

		if (mime_jx_textual(c))
			mime_jx_body_set(m, c);
		else if (mime_jx_is(c, "multipart/related"))
			mime_jx_related(m, c);
		else
			mime_jx_why(m, "alternative other than text and HTML");
	}
}

/* mime_jx_mixed - a body first, then attachments. */
static void
mime_jx_mixed(struct mime_msg *m, const struct mime_part *p)
{
	bool body = false;
	size_t i;

	for (i = 0; i < p->nchildren; i++) {
		const struct mime_part *c = p->children[i];
		bool bodyish = mime_jx_textual(c) ||
		               mime_jx_is(c, "multipart/alternative") ||
		               mime_jx_is(c, "multipart/related");

		if (bodyish && !body) {
			mime_jx_body(m, c);
			body = true;
		} else if (bodyish) {
			mime_jx_why(m, "inline text part after the body");
		} else {
			/* Inline without a Content-ID cannot be referenced;
			 * it travels as an ordinary attachment. */
			mime_jx_attach(m, c,
			               c->disposition && c->content_id &&
			                   strcmp(c->disposition, "inline") ==
			                       0);
		}
	}
}

/* mime_jx_body - the part that holds the message body. */
static void
mime_jx_body(struct mime_msg *m, const struct mime_part *p)
{
	if (mime_jx_textual(p))
		mime_jx_body_set(m, p);
	else if (mime_jx_is(p, "multipart/alternative"))
		mime_jx_alternative(m, p);
	else if (mime_jx_is(p, "multipart/related"))
		mime_jx_related(m, p);
	else if (mime_jx_is(p, "multipart/mixed"))
		mime_jx_mixed(m, p);
	else if (mime_jx_is(p, "multipart/signed"))
		mime_jx_why(m, "multipart/signed");
	else if (mime_jx_is(p, "multipart/encrypted"))
		mime_jx_why(m, "multipart/encrypted");
	else if (strncmp(p->type, "multipart/", 10) == 0)
		mime_jx_why(m, "multipart subtype not representable");
	else if (strncmp(p->type, "message/", 8) == 0)
		mime_jx_why(m, "message/ part (e.g. message/rfc822)");
	else
		mime_jx_why(m, "body is neither text nor HTML");
}

/* Top-level fields that JSON requests carry in fields of their own. */
static const char *const mime_jx_mapped[] = {
    "From",
    "To",
    "Cc",
    "Bcc",
    "Subject",
    "Reply-To",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
    "Content-Disposition",
    "Content-ID",
    "Content-Description",
};

/* mime_jx_custom - list the top-level fields not mapped to JSON. */
static void
mime_jx_custom(struct mime_msg *m)
{
	size_t i, j;

	m->custom = xcalloc(m->nfields ? m->nfields : 1, sizeof(*m->custom));
	for (i = 0; i < m->nfields; i++) {
		bool mapped = false;

		for (j = 0;
		     j < sizeof(mime_jx_mapped) / sizeof(*mime_jx_mapped); j++)
			if (strcasecmp(m->fields[i].name, mime_jx_mapped[j]) ==
			    0)
				mapped = true;
		if (strcasecmp(m->fields[i].name, "DKIM-Signature") == 0)
			mime_jx_why(m, "DKIM-Signature would be broken");
		if (!mapped)
			m->custom[m->ncustom++] = &m->fields[i];
	}
}

/* mime_json_extract - fill m's text/html/attachments/custom and verdict. */
void
mime_json_extract(struct mime_msg *m)
{
	/* A parse problem is the most useful reason: it comes first. */
	if (m->flags != 0)
		mime_jx_why(m, m->error);
	if (m->nfrom != 1)
		mime_jx_why(m, "From must hold exactly one address");
	if (m->groups)
		mime_jx_why(m, "group syntax in an address field");
	mime_jx_custom(m);
	mime_jx_body(m, m->root);
	if (m->text == NULL && m->html == NULL)
		mime_jx_why(m, "no text or HTML body");
}

/* mime_faithful_for_json - can a JSON provider carry m faithfully? */
bool
mime_faithful_for_json(const struct mime_msg *m, const char **reason)
{
	if (reason != NULL)
		*reason = m->unfaithful;
	return m->unfaithful == NULL;
}
