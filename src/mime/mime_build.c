/*
 * mime_build.c - structured request -> RFC 5322 / MIME message bytes.
 *
 * Header fields go through a small writer that knows its column and folds
 * (CRLF before a blank) to keep lines short; text that cannot travel as
 * plain ASCII becomes RFC 2047 encoded-words of at most 45 UTF-8 octets
 * each (never splitting a character). Bodies are written leaf by leaf
 * inside fixed layers (mixed > related-or-alternative > leaves). Every
 * entity is written without its final CRLF: that CRLF belongs to the
 * next boundary delimiter, or is added once at the very end.
 *
 * Nothing here allocates beyond the output buffer; nothing does I/O.
 */
#include "mime/mime_build.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/base64.h"
#include "core/xmalloc.h"
#include "mime/header.h"
#include "mime/mime_int.h"

#define HDR_FOLD_COL 78    /* fold when a line would pass this */
#define EW_CHUNK 45        /* UTF-8 octets per encoded-word (60 base64) */
#define B64_LINE_IN 57     /* input octets per 76-column base64 line */
#define QP_LINE_MAX 76     /* quoted-printable line length, "=" included */
#define TEXT_7BIT_MAX 76   /* longest line sent as 7bit */
#define RFC2231_SEG 60     /* encoded octets per filename*N* segment */
#define WORD_MAX 900       /* longest ASCII word kept as it is in a field */
#define BLANKS_MAX 60      /* longest run of blanks kept as it is */
#define NAME_TOKEN_MAX 256 /* longest display name as one token */

/*
 * Fields the builder writes itself or that a request must not set
 * (Message-ID may be set: it replaces the one the builder makes). The
 * control fields (X-Swerve-Stream, X-Swerve-Idempotency-Key) are allowed:
 * the submission pipeline (ingress/submit.c) takes them out and honours
 * them before a message is built.
 */
static const char *const mime_build_protected[] = {
    "from",
    "sender",
    "to",
    "cc",
    "bcc",
    "reply-to",
    "subject",
    "date",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "content-disposition",
    "content-id",
    "return-path",
    "received",
    NULL,
};

/* A header field being written: the output and the current column. */
struct hw {
	struct buf *out;
	size_t col;
	bool empty; /* nothing after "Name:" yet */
};

/* hw_start - begin the field "name:". */
static void
hw_start(struct hw *w, struct buf *out, const char *name)
{
	w->out = out;
	buf_addstr(out, name);
	buf_addch(out, ':');
	w->col = strlen(name) + 1;
	w->empty = true;
}

/* hw_token - a blank, then the token p[0..n), folding first if long. */
static void
hw_token(struct hw *w, const char *p, size_t n)
{
	if (!w->empty && w->col + 1 + n > HDR_FOLD_COL) {
		buf_add(w->out, "\r\n", 2);
		w->col = 0;
	}
	buf_addch(w->out, ' ');
	buf_add(w->out, p, n);
	w->col += 1 + n;
	w->empty = false;
}

/* hw_raw - p[0..n) right after what was written (no blank, no fold). */
static void
hw_raw(struct hw *w, const char *p, size_t n)
{
	buf_add(w->out, p, n);
	w->col += n;
	w->empty = false;
}

/* hw_end - end the field. */
static void
hw_end(struct hw *w)
{
	buf_add(w->out, "\r\n", 2);
}

/* bad_octets - true if p[0..n) has CR, LF or NUL. */
static bool
bad_octets(const char *p, size_t n)
{
	return memchr(p, '\r', n) || memchr(p, '\n', n) || memchr(p, '\0', n);
}

/* ascii_plain - true if p[0..n) is printable ASCII (tab allowed). */
static bool
ascii_plain(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if ((c < 0x20 && c != '\t') || c > 0x7e)
			return false;
	}
	return true;
}

/* longest_run - the longest run of blanks (or, when !blanks, of other
 * octets) in p[0..n). */
static size_t
longest_run(const char *p, size_t n, bool blanks)
{
	size_t i, run = 0, best = 0;

	for (i = 0; i < n; i++) {
		run = ((p[i] == ' ' || p[i] == '\t') == blanks) ? run + 1 : 0;
		if (run > best)
			best = run;
	}
	return best;
}

/* longest_word - length of the longest run without blanks in p[0..n). */
static size_t
longest_word(const char *p, size_t n)
{
	return longest_run(p, n, false);
}

/* ew_write - p[0..n) as RFC 2047 B encoded-words, one token each. */
static void
ew_write(struct hw *w, const char *p, size_t n)
{
	struct buf word;
	size_t off = 0, k;

	buf_init(&word);
	while (off < n) {
		k = n - off > EW_CHUNK ? EW_CHUNK : n - off;
		/* Back off to a character boundary (continuation 10xxxxxx). */
		while (k > 1 && off + k < n &&
		       ((unsigned char)p[off + k] & 0xc0) == 0x80)
			k--;
		word.len = 0;
		buf_addstr(&word, "=?UTF-8?B?");
		base64_encode(&word, p + off, k);
		buf_add(&word, "?=", 2);
		hw_token(w, word.p, word.len);
		off += k;
	}
	buf_fini(&word);
}

/*
 * hdr_unstructured - the field name: value (UTF-8 text). Plain ASCII is
 * folded only by inserting CRLF before a blank that starts a word, so
 * unfolding gives back the exact value; anything else is encoded-words,
 * as is ASCII whose words (WORD_MAX) or runs of blanks (BLANKS_MAX) are
 * too long for a line: a line then holds at most the column, a run of
 * blanks and one word, under 998 octets.
 */
static void
hdr_unstructured(struct buf *out, const char *name, const char *v, size_t n)
{
	struct hw w;
	size_t i, start;

	hw_start(&w, out, name);
	if (n == 0) {
		hw_end(&w);
		return;
	}
	if (!ascii_plain(v, n) || memmem(v, n, "=?", 2) != NULL ||
	    longest_word(v, n) > WORD_MAX ||
	    longest_run(v, n, true) > BLANKS_MAX || v[0] == ' ' ||
	    v[0] == '\t' || v[n - 1] == ' ' || v[n - 1] == '\t') {
		ew_write(&w, v, n);
		hw_end(&w);
		return;
	}
	buf_addch(out, ' ');
	w.col++;
	for (start = 0, i = 0; i < n; i++) {
		bool fold_here = i > start && (v[i] == ' ' || v[i] == '\t') &&
		                 i + 1 < n && v[i + 1] != ' ' &&
		                 v[i + 1] != '\t';
		if (fold_here) {
			size_t j = i + 1;
			while (j < n && v[j] != ' ' && v[j] != '\t')
				j++;
			/* The word after this blank would pass the column. */
			if (w.col + (j - i) > HDR_FOLD_COL) {
				buf_add(out, "\r\n", 2);
				w.col = 0;
				start = i;
			}
		}
		buf_addch(out, v[i]);
		w.col++;
	}
	hw_end(&w);
}

/* atext_phrase - true if s is atoms separated by single spaces. */
static bool
atext_phrase(const char *s, size_t n)
{
	static const char specials[] = "()<>[]:;@\\,.\"";
	size_t i;

	if (n == 0 || s[0] == ' ' || s[n - 1] == ' ')
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == ' ') {
			if (s[i + 1] == ' ')
				return false;
			continue;
		}
		if (c <= 0x20 || c > 0x7e || strchr(specials, c) != NULL)
			return false;
	}
	return true;
}

/* name_write - a display name as atoms, a quoted string or encoded-words. */
static void
name_write(struct hw *w, const char *name)
{
	size_t n = strlen(name), i, s;
	struct buf q;

	/* "=?" inside an atom would read back as an encoded-word (fuzz).
	 * An atom or a quoted string is one token on one line: past
	 * NAME_TOKEN_MAX the name goes as encoded-words, which fold. */
	if (atext_phrase(name, n) && memmem(name, n, "=?", 2) == NULL &&
	    longest_word(name, n) <= NAME_TOKEN_MAX) {
		for (s = 0, i = 0; i <= n; i++)
			if (i == n || name[i] == ' ') {
				hw_token(w, name + s, i - s);
				s = i + 1;
			}
		return;
	}
	if (ascii_plain(name, n) && memchr(name, '\t', n) == NULL &&
	    memmem(name, n, "=?", 2) == NULL && n <= NAME_TOKEN_MAX) {
		buf_init(&q);
		buf_addch(&q, '"');
		for (i = 0; i < n; i++) {
			if (name[i] == '"' || name[i] == '\\')
				buf_addch(&q, '\\');
			buf_addch(&q, name[i]);
		}
		buf_addch(&q, '"');
		hw_token(w, q.p, q.len);
		buf_fini(&q);
		return;
	}
	ew_write(w, name, n);
}

/* addr_ok - a mailbox we can write between angle brackets. */
static bool
addr_ok(const char *a)
{
	size_t n;

	if (a == NULL)
		return false;
	n = strlen(a);
	if (n < 3 || n > 254 || strchr(a, '@') == NULL)
		return false;
	if (!ascii_plain(a, n) || strpbrk(a, "<> \t") != NULL)
		return false;
	return true;
}

/* hdr_addrs - the field name: a list of addresses. */
static void
hdr_addrs(struct buf *out, const char *name, const struct mime_build_addr *v,
          size_t n)
{
	struct hw w;
	struct buf t;
	size_t i;

	hw_start(&w, out, name);
	buf_init(&t);
	for (i = 0; i < n; i++) {
		t.len = 0;
		if (v[i].name != NULL && v[i].name[0] != '\0') {
			name_write(&w, v[i].name);
			buf_printf(&t, "<%s>", v[i].addr);
		} else
			buf_addstr(&t, v[i].addr);
		hw_token(&w, t.p, t.len);
		if (i + 1 < n)
			hw_raw(&w, ",", 1);
	}
	buf_fini(&t);
	hw_end(&w);
}

/* param_write - "; pname=value" as a quoted string or RFC 2231 segments. */
static void
param_write(struct hw *w, const char *pname, const char *v)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(v), i, seg = 0;
	struct buf t, enc;

	buf_init(&t);
	hw_raw(w, ";", 1);
	/* "=?" in a quoted value would read back as an encoded-word. */
	if (ascii_plain(v, n) && memchr(v, '\t', n) == NULL && n <= 60 &&
	    memmem(v, n, "=?", 2) == NULL) {
		buf_printf(&t, "%s=\"", pname);
		for (i = 0; i < n; i++) {
			if (v[i] == '"' || v[i] == '\\')
				buf_addch(&t, '\\');
			buf_addch(&t, v[i]);
		}
		buf_addch(&t, '"');
		hw_token(w, t.p, t.len);
		buf_fini(&t);
		return;
	}
	/* RFC 2231: attribute-chars stay, the rest is %XX; cut in segments
	 * between (never inside) %XX triples. */
	buf_init(&enc);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("!#$&+-.^_`|~", c) != NULL)
			buf_addch(&enc, (char)c);
		else {
			buf_addch(&enc, '%');
			buf_addch(&enc, hex[c >> 4]);
			buf_addch(&enc, hex[c & 15]);
		}
	}
	for (i = 0; i < enc.len; seg++) {
		size_t k =
		    enc.len - i > RFC2231_SEG ? RFC2231_SEG : enc.len - i;
		if (i + k < enc.len) {
			if (enc.p[i + k - 1] == '%')
				k -= 1;
			else if (k >= 2 && enc.p[i + k - 2] == '%')
				k -= 2;
		}
		t.len = 0;
		buf_printf(&t, "%s*%zu*=%s%.*s", pname, seg,
		           seg == 0 ? "utf-8''" : "", (int)k, enc.p + i);
		if (seg > 0)
			hw_raw(w, ";", 1);
		hw_token(w, t.p, t.len);
		i += k;
	}
	buf_fini(&enc);
	buf_fini(&t);
}

/* text_7bit_ok - may text travel as 7bit (and never hold "=_")? */
static bool
text_7bit_ok(const char *p, size_t n)
{
	size_t i, col = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '\r' || c == '\n') {
			col = 0;
			continue;
		}
		if ((c < 0x20 && c != '\t') || c > 0x7e)
			return false;
		if (++col > TEXT_7BIT_MAX)
			return false;
		if (c == '=' && i + 1 < n && p[i + 1] == '_')
			return false;
	}
	return true;
}

/* text_crlf_write - p[0..n) with every CR, LF or CRLF written as CRLF. */
static void
text_crlf_write(struct buf *out, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] == '\r') {
			if (i + 1 < n && p[i + 1] == '\n')
				i++;
			buf_add(out, "\r\n", 2);
		} else if (p[i] == '\n')
			buf_add(out, "\r\n", 2);
		else
			buf_addch(out, p[i]);
	}
}

void
mime_build_qp(struct buf *out, const char *p, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, col = 0;
	char *o;

	/* Written in place: every octet at most "=XX", and a line holds at
	 * least 24 units before its soft break "=\r\n". */
	if (n > SIZE_MAX / 8)
		xmalloc(SIZE_MAX); /* aborts with a clear message */
	buf_reserve(out, 3 * n + 3 * (n / 24 + 1));
	o = out->p + out->len;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		bool at_eol, enc;
		size_t k;

		if (c == '\r' || c == '\n') {
			if (c == '\r' && i + 1 < n && p[i + 1] == '\n')
				i++;
			*o++ = '\r';
			*o++ = '\n';
			col = 0;
			continue;
		}
		at_eol = i + 1 == n || p[i + 1] == '\r' || p[i + 1] == '\n';
		enc = c == '=' || c > 0x7e || (c < 0x20 && c != '\t') ||
		      ((c == ' ' || c == '\t') && at_eol);
		k = enc ? 3 : 1;
		/* Room for the unit and, unless the line ends, a soft "=". */
		if (col + k > QP_LINE_MAX - (at_eol ? 0 : 1)) {
			*o++ = '=';
			*o++ = '\r';
			*o++ = '\n';
			col = 0;
		}
		if (enc) {
			*o++ = '=';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		} else {
			*o++ = (char)c;
		}
		col += k;
	}
	out->len = (size_t)(o - out->p);
}

/* b64_write - data as base64 in 76-column lines, the last without CRLF. */
static void
b64_write(struct buf *out, const unsigned char *data, size_t len)
{
	size_t off;

	for (off = 0; off < len; off += B64_LINE_IN) {
		size_t k = len - off > B64_LINE_IN ? B64_LINE_IN : len - off;

		if (off > 0)
			buf_add(out, "\r\n", 2);
		base64_encode(out, data + off, k);
	}
}

/* leaf_text - a text/<sub> entity holding p[0..n). */
static void
leaf_text(struct buf *out, const char *sub, const char *p, size_t n)
{
	bool seven = text_7bit_ok(p, n);

	buf_printf(out,
	           "Content-Type: text/%s; charset=utf-8\r\n"
	           "Content-Transfer-Encoding: %s\r\n\r\n",
	           sub, seven ? "7bit" : "quoted-printable");
	if (seven)
		text_crlf_write(out, p, n);
	else
		mime_build_qp(out, p, n);
}

/* leaf_att - an attachment or inline entity. */
static void
leaf_att(struct buf *out, const struct mime_build_att *a, bool is_inline)
{
	struct hw w;

	hw_start(&w, out, "Content-Type");
	hw_token(&w,
	         a->content_type ? a->content_type : "application/octet-stream",
	         strlen(a->content_type ? a->content_type
	                                : "application/octet-stream"));
	if (a->filename != NULL)
		param_write(&w, "name", a->filename);
	hw_end(&w);
	buf_addstr(out, "Content-Transfer-Encoding: base64\r\n");
	hw_start(&w, out, "Content-Disposition");
	hw_token(&w, is_inline ? "inline" : "attachment", is_inline ? 6 : 10);
	if (a->filename != NULL)
		param_write(&w, "filename", a->filename);
	hw_end(&w);
	if (a->content_id != NULL)
		buf_printf(out, "Content-ID: <%s>\r\n", a->content_id);
	buf_addstr(out, "\r\n");
	b64_write(out, a->data, a->len);
}

/* The build in progress: the message, its options, boundary counter. */
struct mb {
	const struct mime_build_msg *m;
	const struct mime_build_opts *o;
	struct buf *out;
	char next; /* letter of the next boundary */
};

/* mp_open - write a multipart header; the boundary goes to bnd. */
static void
mp_open(struct mb *b, const char *sub, char *bnd, size_t bndlen)
{
	snprintf(bnd, bndlen, "=_swerve_%s_%c", b->o->msgid_local, b->next++);
	buf_printf(b->out,
	           "Content-Type: multipart/%s;\r\n boundary=\"%s\"\r\n\r\n",
	           sub, bnd);
}

/* mp_next - the delimiter before a child (the first has no CRLF before). */
static void
mp_next(struct mb *b, const char *bnd, bool first)
{
	buf_printf(b->out, "%s--%s\r\n", first ? "" : "\r\n", bnd);
}

/* mp_close - the close delimiter. */
static void
mp_close(struct mb *b, const char *bnd)
{
	buf_printf(b->out, "\r\n--%s--", bnd);
}

/* is_related - does attachment a go into multipart/related? */
static bool
is_related(const struct mime_build_msg *m, const struct mime_build_att *a)
{
	return a->content_id != NULL && m->html != NULL;
}

/* emit_html - the HTML leaf, in multipart/related with inline parts. */
static void
emit_html(struct mb *b)
{
	const struct mime_build_msg *m = b->m;
	char bnd[96];
	size_t i;
	bool any = false;

	for (i = 0; i < m->n_atts; i++)
		any = any || is_related(m, &m->atts[i]);
	if (!any) {
		leaf_text(b->out, "html", m->html, m->html_len);
		return;
	}
	mp_open(b, "related", bnd, sizeof(bnd));
	mp_next(b, bnd, true);
	leaf_text(b->out, "html", m->html, m->html_len);
	for (i = 0; i < m->n_atts; i++) {
		if (!is_related(m, &m->atts[i]))
			continue;
		mp_next(b, bnd, false);
		leaf_att(b->out, &m->atts[i], true);
	}
	mp_close(b, bnd);
}

/* emit_content - text, HTML, or both as multipart/alternative. */
static void
emit_content(struct mb *b)
{
	const struct mime_build_msg *m = b->m;
	char bnd[96];

	if (m->html == NULL) {
		leaf_text(b->out, "plain", m->text ? m->text : "",
		          m->text ? m->text_len : 0);
		return;
	}
	if (m->text == NULL) {
		emit_html(b);
		return;
	}
	mp_open(b, "alternative", bnd, sizeof(bnd));
	mp_next(b, bnd, true);
	leaf_text(b->out, "plain", m->text, m->text_len);
	mp_next(b, bnd, false);
	emit_html(b);
	mp_close(b, bnd);
}

/* emit_body - the content, in multipart/mixed with attachments. */
static void
emit_body(struct mb *b)
{
	const struct mime_build_msg *m = b->m;
	char bnd[96];
	size_t i;
	bool any = false;

	for (i = 0; i < m->n_atts; i++)
		any = any || !is_related(m, &m->atts[i]);
	if (!any) {
		emit_content(b);
		return;
	}
	mp_open(b, "mixed", bnd, sizeof(bnd));
	mp_next(b, bnd, true);
	emit_content(b);
	for (i = 0; i < m->n_atts; i++) {
		if (is_related(m, &m->atts[i]))
			continue;
		mp_next(b, bnd, false);
		/* An inline part with no HTML to refer to it: still inline,
		 * with its Content-ID, beside the text. */
		leaf_att(b->out, &m->atts[i], m->atts[i].content_id != NULL);
	}
	mp_close(b, bnd);
}

/* addrs_check - every address writable, every name a safe string. */
static int
addrs_check(const struct mime_build_addr *v, size_t n, const char **why)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!addr_ok(v[i].addr)) {
			*why = "invalid address";
			return -1;
		}
		if (v[i].name != NULL &&
		    (strlen(v[i].name) > MIME_BUILD_NAME_MAX ||
		     bad_octets(v[i].name, strlen(v[i].name)))) {
			*why =
			    "display name too long or contains CR, LF or NUL";
			return -1;
		}
	}
	return 0;
}

/* ctype_ok - "type/subtype" of token characters, lower-case. */
static bool
ctype_ok(const char *s)
{
	const char *slash = strchr(s, '/');
	size_t i;

	if (slash == NULL || slash == s || slash[1] == '\0' || strlen(s) > 127)
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];
		if (s + i == slash)
			continue;
		if (c <= 0x20 || c > 0x7e || (c >= 'A' && c <= 'Z') ||
		    strchr("()<>@,;:\\\"/[]?=", c) != NULL)
			return false;
	}
	return true;
}

/* msgid_field - the k-th (from 0) custom Message-ID field, or NULL. */
static const struct mime_build_field *
msgid_field(const struct mime_build_msg *m, size_t k)
{
	size_t i;

	for (i = 0; i < m->n_fields; i++)
		if (strcasecmp(m->fields[i].name, "Message-ID") == 0 &&
		    k-- == 0)
			return &m->fields[i];
	return NULL;
}

/* msg_check - refuse what would make a malformed message. */
static int
msg_check(const struct mime_build_msg *m, const char **why)
{
	size_t i;

	if (addrs_check(&m->from, 1, why) < 0 ||
	    addrs_check(m->to, m->n_to, why) < 0 ||
	    addrs_check(m->cc, m->n_cc, why) < 0 ||
	    addrs_check(m->reply_to, m->n_reply_to, why) < 0)
		return -1;
	if (m->subject != NULL &&
	    (strlen(m->subject) > MIME_BUILD_SUBJECT_MAX ||
	     bad_octets(m->subject, strlen(m->subject)))) {
		*why = "subject too long or contains CR, LF or NUL";
		return -1;
	}
	for (i = 0; i < m->n_fields; i++)
		if (mime_build_field_check(m->fields[i].name,
		                           m->fields[i].value, why) < 0)
			return -1;
	if (msgid_field(m, 1) != NULL) {
		*why = "more than one Message-ID header";
		return -1;
	}
	for (i = 0; i < m->n_atts; i++) {
		const struct mime_build_att *a = &m->atts[i];
		if (a->content_type && !ctype_ok(a->content_type)) {
			*why = "attachment content type is not type/subtype";
			return -1;
		}
		if (a->filename &&
		    (strlen(a->filename) > MIME_BUILD_FILENAME_MAX ||
		     bad_octets(a->filename, strlen(a->filename)))) {
			*why = "file name too long or contains CR, LF or NUL";
			return -1;
		}
		if (a->content_id &&
		    (strlen(a->content_id) == 0 ||
		     strlen(a->content_id) > 250 ||
		     !ascii_plain(a->content_id, strlen(a->content_id)) ||
		     strpbrk(a->content_id, "<> \t\"") != NULL)) {
			*why = "content_id must be printable ASCII without "
			       "blanks or angle brackets";
			return -1;
		}
		if (a->len > 0 && a->data == NULL) {
			*why = "attachment without data";
			return -1;
		}
	}
	return 0;
}

int
mime_build_field_check(const char *name, const char *value, const char **why)
{
	struct str id;
	size_t i, n;

	n = name ? strlen(name) : 0;
	if (n == 0 || n > 76) {
		*why = "header name must be 1..76 characters";
		return -1;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c < 33 || c > 126 || c == ':') {
			*why = "header name has a character other than "
			       "printable ASCII (and no colon)";
			return -1;
		}
	}
	for (i = 0; mime_build_protected[i] != NULL; i++)
		if (strcasecmp(name, mime_build_protected[i]) == 0) {
			*why = "this header is set by swerve (use the "
			       "corresponding field instead)";
			return -1;
		}
	if (strncasecmp(name, "content-", 8) == 0) {
		*why = "Content-* headers are set by swerve";
		return -1;
	}
	n = value ? strlen(value) : 0;
	if (value == NULL || bad_octets(value, n)) {
		*why = "header value contains CR, LF or NUL";
		return -1;
	}
	if (strcasecmp(name, "Message-ID") == 0 &&
	    !mime_msgid_trim(value, n, &id)) {
		*why = "Message-ID must be one msg-id <id-left@id-right> of "
		       "at most 250 octets";
		return -1;
	}
	if (n > MIME_BUILD_FIELD_MAX) {
		*why = "header value too long";
		return -1;
	}
	if (!mime_utf8_valid(value, n)) {
		*why = "header value is not valid UTF-8";
		return -1;
	}
	return 0;
}

/* mime_build - see mime_build.h. */
int
mime_build(const struct mime_build_msg *m, const struct mime_build_opts *o,
           struct buf *out, const char **why)
{
	struct mb b = {m, o, out, 'a'};
	const struct mime_build_field *mid;
	const char *host;
	struct str id;
	size_t i;

	*why = NULL;
	if (o->msgid_local == NULL || msg_check(m, why) < 0) {
		if (*why == NULL)
			*why = "no Message-ID local part";
		return -1;
	}
	host = o->hostname ? o->hostname : strrchr(m->from.addr, '@') + 1;
	hdr_addrs(out, "From", &m->from, 1);
	if (m->n_to > 0)
		hdr_addrs(out, "To", m->to, m->n_to);
	if (m->n_cc > 0)
		hdr_addrs(out, "Cc", m->cc, m->n_cc);
	if (m->n_reply_to > 0)
		hdr_addrs(out, "Reply-To", m->reply_to, m->n_reply_to);
	if (m->subject != NULL)
		hdr_unstructured(out, "Subject", m->subject,
		                 strlen(m->subject));
	mime_header_date_add(out, o->date);
	mid = msgid_field(m, 0);
	if (mid != NULL) {
		/* Checked by msg_check: the caller's msg-id, as it is. */
		(void)mime_msgid_trim(mid->value, strlen(mid->value), &id);
		buf_printf(out, "Message-ID: %.*s\r\n", (int)id.len, id.p);
	} else
		mime_header_msgid_add(out, o->msgid_local, host);
	buf_addstr(out, "MIME-Version: 1.0\r\n");
	for (i = 0; i < m->n_fields; i++)
		if (&m->fields[i] != mid)
			hdr_unstructured(out, m->fields[i].name,
			                 m->fields[i].value,
			                 strlen(m->fields[i].value));
	emit_body(&b);
	/* End with a line break, without doubling a text body's own. */
	if (out->len < 2 || memcmp(out->p + out->len - 2, "\r\n", 2) != 0)
		buf_add(out, "\r\n", 2);
	return 0;
}

/* mime_build_addrs_free - free n addresses and the array. */
static void
mime_build_addrs_free(struct mime_build_addr *v, size_t n)
{
	size_t i;

	for (i = 0; i < n && v != NULL; i++) {
		free(v[i].name);
		free(v[i].addr);
	}
	free(v);
}

/* mime_build_msg_fini - free what m owns. */
void
mime_build_msg_fini(struct mime_build_msg *m)
{
	size_t i;

	if (m == NULL)
		return;
	free(m->from.name);
	free(m->from.addr);
	mime_build_addrs_free(m->to, m->n_to);
	mime_build_addrs_free(m->cc, m->n_cc);
	mime_build_addrs_free(m->reply_to, m->n_reply_to);
	free(m->subject);
	free(m->text);
	free(m->html);
	for (i = 0; i < m->n_fields; i++) {
		free(m->fields[i].name);
		free(m->fields[i].value);
	}
	free(m->fields);
	for (i = 0; i < m->n_atts; i++) {
		free(m->atts[i].filename);
		free(m->atts[i].content_type);
		free(m->atts[i].content_id);
		free(m->atts[i].data);
	}
	free(m->atts);
	memset(m, 0, sizeof(*m));
}
