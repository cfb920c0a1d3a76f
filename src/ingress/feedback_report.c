/*
 * feedback_report.c - reading multipart/report messages (RFC 6522) for
 * the DSN and ARF parsers (see feedback_report.h).
 *
 * The field blocks of message/delivery-status and message/feedback-report
 * have header syntax, so the header reader of mime/header.h finds their
 * fields; this file only splits the blocks and unfolds values.
 */
#include "ingress/feedback_report.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "core/buf.h"
#include "mime/header.h"
#include "mime/mime.h"

#define REPORT_VALUE_MAX 4096

/* report_part_walk - depth-first search of p for one of types. */
static const struct mime_part *
report_part_walk(const struct mime_part *p, const char *const *types)
{
	const struct mime_part *r;
	size_t i;

	if (p == NULL)
		return NULL;
	for (i = 0; types[i] != NULL; i++)
		if (p->type != NULL && strcmp(p->type, types[i]) == 0)
			return p;
	for (i = 0; i < p->nchildren; i++)
		if ((r = report_part_walk(p->children[i], types)) != NULL)
			return r;
	return NULL;
}

const struct mime_part *
feedback_report_part(const struct mime_msg *m, const char *const *types)
{
	return report_part_walk(m->root, types);
}

const struct mime_part *
feedback_report_original(const struct mime_msg *m)
{
	static const char *const types[] = {
	    "message/rfc822", "text/rfc822-headers", "message/global",
	    "message/global-headers", NULL};

	return feedback_report_part(m, types);
}

/* report_unfold - v[0..n) unfolded into out (at most REPORT_VALUE_MAX
 * octets): a line break and the blanks around it become one space, outer
 * blanks go; returns its length. */
static size_t
report_unfold(const char *v, size_t n, char *out)
{
	size_t i, k = 0;

	for (i = 0; i < n && k < REPORT_VALUE_MAX; i++) {
		if (v[i] == '\r' || v[i] == '\n') {
			while (k > 0 && out[k - 1] == ' ')
				k--;
			while (i + 1 < n &&
			       (v[i + 1] == ' ' || v[i + 1] == '\t' ||
			        v[i + 1] == '\r' || v[i + 1] == '\n'))
				i++;
			out[k++] = ' ';
			continue;
		}
		out[k++] = v[i] == '\t' ? ' ' : v[i];
	}
	while (k > 0 && out[k - 1] == ' ')
		k--;
	i = 0;
	while (i < k && out[i] == ' ')
		i++;
	memmove(out, out + i, k - i);
	return k - i;
}

void
feedback_report_blocks(const char *p, size_t len,
                       feedback_report_field_fn *field,
                       void (*end)(size_t block, void *arg), void *arg)
{
	char value[REPORT_VALUE_MAX + 1];
	size_t off = 0, hlen, foff, vlen, block = 0, nl;
	struct str name, v;
	bool any;

	while (off < len) {
		hlen = mime_header_len(p + off, len - off);
		if (hlen == 0) {
			/* Not a field: skip the line. */
			const char *lf = memchr(p + off, '\n', len - off);

			nl = lf ? (size_t)(lf - (p + off)) + 1 : len - off;
			off += nl;
			continue;
		}
		foff = 0;
		any = false;
		while (
		    mime_header_field_next(p + off, hlen, &foff, &name, &v)) {
			vlen = report_unfold(v.p, v.len, value);
			value[vlen] = '\0';
			field(name.p, name.len, value, vlen, arg);
			any = true;
		}
		if (any && end != NULL)
			end(block++, arg);
		off += hlen;
	}
}

void
feedback_report_addr(char *dst, size_t cap, const char *v, size_t n)
{
	const char *semi = memchr(v, ';', n), *at;
	char tmp[FEEDBACK_ADDR_MAX];
	size_t i, k = 0;

	if (semi != NULL) {
		n -= (size_t)(semi + 1 - v);
		v = semi + 1;
	}
	for (i = 0; i < n && k + 1 < sizeof(tmp); i++)
		if (v[i] != '<' && v[i] != '>' && v[i] != ' ' && v[i] != '\t')
			tmp[k++] = v[i];
	tmp[k] = '\0';
	at = strrchr(tmp, '@');
	feedback_set(dst, cap,
	             at == NULL || at == tmp || at[1] == '\0' ? "" : tmp);
}

/* report_find_field - the value of name in the header section h[0..n). */
static bool
report_find_field(const char *h, size_t n, const char *name, char *dst,
                  size_t cap)
{
	char value[REPORT_VALUE_MAX + 1];
	size_t hlen = mime_header_len(h, n), off = 0, vlen;
	struct str fn, v;

	while (mime_header_field_next(h, hlen, &off, &fn, &v)) {
		if (fn.len != strlen(name) || strncasecmp(fn.p, name, fn.len))
			continue;
		vlen = report_unfold(v.p, v.len, value);
		value[vlen] = '\0';
		feedback_set(dst, cap, value);
		return true;
	}
	return false;
}

bool
feedback_report_header(const struct mime_msg *m, const struct mime_part *p,
                       const char *name, char *dst, size_t cap)
{
	const char *v;

	if (p == NULL) {
		v = mime_field_get(m, name);
		if (v == NULL)
			return false;
		feedback_set(dst, cap, v);
		return true;
	}
	if (p->data == NULL)
		return false;
	return report_find_field((const char *)p->data, p->len, name, dst, cap);
}

void
feedback_report_event_id(struct feedback_event *e, const char *msgid,
                         const char *body, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *c;
	int n, i;

	n = snprintf(e->event_id, sizeof(e->event_id), "%s %s", msgid,
	             e->recipient);
	if (msgid[0] != '\0' && n > 0 && (size_t)n < sizeof(e->event_id))
		return;
	c = EVP_MD_CTX_new();
	if (c == NULL || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1 ||
	    (msgid[0] != '\0' ? EVP_DigestUpdate(c, msgid, strlen(msgid))
	                      : EVP_DigestUpdate(c, body, len)) != 1 ||
	    EVP_DigestUpdate(c, " ", 1) != 1 ||
	    EVP_DigestUpdate(c, e->recipient, strlen(e->recipient)) != 1 ||
	    EVP_DigestFinal_ex(c, md, &mdlen) != 1 || mdlen < 16) {
		/* Out of memory in OpenSSL: keep the plain (cut) form. */
		EVP_MD_CTX_free(c);
		return;
	}
	EVP_MD_CTX_free(c);
	memcpy(e->event_id, "sha256:", 7);
	for (i = 0; i < 16; i++)
		snprintf(e->event_id + 7 + 2 * i, 3, "%02x", md[i]);
}

bool
feedback_report_is(const char *name, size_t nlen, const char *f)
{
	return nlen == strlen(f) && strncasecmp(name, f, nlen) == 0;
}

int
feedback_report_smtp_code(const char *text)
{
	const char *p = text;

	if (strncasecmp(p, "smtp;", 5) == 0)
		p += 5;
	while (*p == ' ')
		p++;
	if (p[0] >= '2' && p[0] <= '5' && p[1] >= '0' && p[1] <= '9' &&
	    p[2] >= '0' && p[2] <= '9' &&
	    (p[3] == '\0' || p[3] == ' ' || p[3] == '-'))
		return (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
	return 0;
}
