/*
 * smtp_reply.c - strict, incremental parser for SMTP server replies.
 *
 * A byte-at-a-time state machine, so a reply split anywhere across reads
 * parses the same as one read. It keeps the current line (capped) and the
 * sanitised text of the reply (capped), nothing else: a server sending
 * 10,000 lines or a 100 KB line gets an ERROR after a bounded number of
 * octets, never an allocation. It does no I/O and does not decide what a
 * reply means (that is send/policy_smtp.c).
 */
#include "net/smtp_reply.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

enum {
	SMTP_REPLY_STATE_CODE0, /* expecting the first digit of a line */
	SMTP_REPLY_STATE_CODE1,
	SMTP_REPLY_STATE_CODE2,
	SMTP_REPLY_STATE_SEP,     /* after three digits */
	SMTP_REPLY_STATE_TEXT,    /* in the text of a line */
	SMTP_REPLY_STATE_TEXT_CR, /* CR seen in text: LF ends the line */
	SMTP_REPLY_STATE_BARE_CR, /* "NNN\r": only LF may follow */
	SMTP_REPLY_STATE_DONE,
	SMTP_REPLY_STATE_ERROR,
};

/* smtp_reply_parser_init - prepare p for a first reply. */
void
smtp_reply_parser_init(struct smtp_reply_parser *p, smtp_reply_line_fn *line_fn,
                       void *arg)
{
	p->line_fn = line_fn;
	p->line_arg = arg;
	smtp_reply_parser_reset(p);
}

/* smtp_reply_parser_reset - forget the last reply, keep the callback. */
void
smtp_reply_parser_reset(struct smtp_reply_parser *p)
{
	memset(&p->reply, 0, sizeof(p->reply));
	p->error = NULL;
	p->state = SMTP_REPLY_STATE_CODE0;
	p->line_code = 0;
	p->line_last = false;
	p->line_len = 0;
	p->text_len = 0;
}

/* smtp_reply_fail - enter the error state with a static message. */
static enum smtp_reply_status
smtp_reply_fail(struct smtp_reply_parser *p, const char *why)
{
	p->state = SMTP_REPLY_STATE_ERROR;
	p->error = why;
	return SMTP_REPLY_ERROR;
}

/*
 * smtp_reply_enhanced_len - length of an RFC 3463 code ("c.sss.ddd") at the
 * start of s whose class digit is cls, followed by a space or the end; 0 if
 * there is none.
 */
static size_t
smtp_reply_enhanced_len(const char *s, size_t len, int cls)
{
	size_t i = 0, part, digits;

	if (len < 5 || s[0] != (char)('0' + cls))
		return 0;
	i = 1;
	for (part = 0; part < 2; part++) {
		if (i >= len || s[i] != '.')
			return 0;
		i++;
		for (digits = 0;
		     i < len && isdigit((unsigned char)s[i]) && digits < 3;
		     digits++)
			i++;
		if (digits == 0)
			return 0;
	}
	if (i < len && s[i] != ' ')
		return 0;
	return i;
}

/* smtp_reply_text_add - append sanitised bytes to the reply text. */
static void
smtp_reply_text_add(struct smtp_reply *r, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (r->text_len + 1 >= sizeof(r->text)) {
			r->truncated = true;
			break;
		}
		r->text[r->text_len++] =
		    (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
	}
	r->text[r->text_len] = '\0';
}

/* smtp_reply_line_end - a line is complete: check it and keep its text. */
static enum smtp_reply_status
smtp_reply_line_end(struct smtp_reply_parser *p)
{
	struct smtp_reply *r = &p->reply;
	const char *text = p->line;
	size_t len = p->text_len, elen;

	if (r->n_lines == 0)
		r->code = p->line_code;
	if (p->line_fn != NULL)
		p->line_fn(p->line_arg, r->n_lines, text, len);

	elen = smtp_reply_enhanced_len(text, len, r->code / 100);
	if (r->n_lines == 0 && elen > 0 && elen < sizeof(r->enhanced)) {
		memcpy(r->enhanced, text, elen);
		r->enhanced[elen] = '\0';
	}
	/* Drop the enhanced code where it repeats the first line's. */
	if (elen > 0 && r->enhanced[0] != '\0' && strlen(r->enhanced) == elen &&
	    memcmp(text, r->enhanced, elen) == 0) {
		text += elen;
		len -= elen;
		while (len > 0 && *text == ' ') {
			text++;
			len--;
		}
	}
	if (len > 0) {
		if (r->text_len > 0)
			smtp_reply_text_add(r, " ", 1);
		smtp_reply_text_add(r, text, len);
	}
	r->n_lines++;
	p->line_len = 0;
	p->text_len = 0;
	if (p->line_last) {
		p->state = SMTP_REPLY_STATE_DONE;
		return SMTP_REPLY_DONE;
	}
	if (r->n_lines >= SMTP_REPLY_LINES_MAX)
		return smtp_reply_fail(p, "reply has too many lines");
	p->state = SMTP_REPLY_STATE_CODE0;
	return SMTP_REPLY_NEED_MORE;
}

/* smtp_reply_text_byte - one octet of line text. */
static enum smtp_reply_status
smtp_reply_text_byte(struct smtp_reply_parser *p, char ch)
{
	if (p->text_len >= sizeof(p->line))
		return smtp_reply_fail(p, "reply line too long");
	p->line[p->text_len++] = ch;
	return SMTP_REPLY_NEED_MORE;
}

/* smtp_reply_byte - advance the state machine by one octet. */
static enum smtp_reply_status
smtp_reply_byte(struct smtp_reply_parser *p, char ch)
{
	int d = ch - '0';

	if (ch != '\n' && ch != '\r' && ++p->line_len > SMTP_REPLY_LINE_MAX)
		return smtp_reply_fail(p, "reply line too long");
	switch (p->state) {
	case SMTP_REPLY_STATE_CODE0:
		if (d < 2 || d > 5)
			return smtp_reply_fail(p, "reply code not 2xx-5xx");
		p->line_code = d * 100;
		p->state = SMTP_REPLY_STATE_CODE1;
		return SMTP_REPLY_NEED_MORE;
	case SMTP_REPLY_STATE_CODE1:
		if (d < 0 || d > 5)
			return smtp_reply_fail(p, "reply code malformed");
		p->line_code += d * 10;
		p->state = SMTP_REPLY_STATE_CODE2;
		return SMTP_REPLY_NEED_MORE;
	case SMTP_REPLY_STATE_CODE2:
		if (d < 0 || d > 9)
			return smtp_reply_fail(p, "reply code malformed");
		p->line_code += d;
		if (p->reply.n_lines > 0 && p->line_code != p->reply.code)
			return smtp_reply_fail(
			    p, "reply code changes between lines");
		p->state = SMTP_REPLY_STATE_SEP;
		return SMTP_REPLY_NEED_MORE;
	case SMTP_REPLY_STATE_SEP:
		p->line_last = ch != '-';
		if (ch == ' ' || ch == '-') {
			p->state = SMTP_REPLY_STATE_TEXT;
			return SMTP_REPLY_NEED_MORE;
		}
		if (ch == '\n')
			return smtp_reply_line_end(p);
		if (ch == '\r') {
			p->state = SMTP_REPLY_STATE_BARE_CR;
			return SMTP_REPLY_NEED_MORE;
		}
		return smtp_reply_fail(p,
		                       "reply code not followed by ' ' or '-'");
	case SMTP_REPLY_STATE_BARE_CR:
		if (ch != '\n')
			return smtp_reply_fail(
			    p, "CR without LF after reply code");
		return smtp_reply_line_end(p);
	case SMTP_REPLY_STATE_TEXT_CR:
		if (ch == '\n')
			return smtp_reply_line_end(p);
		/* A lone CR is text; it was not counted yet. */
		if (++p->line_len > SMTP_REPLY_LINE_MAX)
			return smtp_reply_fail(p, "reply line too long");
		if (smtp_reply_text_byte(p, '\r') == SMTP_REPLY_ERROR)
			return SMTP_REPLY_ERROR;
		p->state = SMTP_REPLY_STATE_TEXT;
		/* FALLTHROUGH */
	case SMTP_REPLY_STATE_TEXT:
		if (ch == '\n')
			return smtp_reply_line_end(p);
		if (ch == '\r') {
			p->state = SMTP_REPLY_STATE_TEXT_CR;
			return SMTP_REPLY_NEED_MORE;
		}
		return smtp_reply_text_byte(p, ch);
	case SMTP_REPLY_STATE_DONE:
		return SMTP_REPLY_DONE;
	default:
		return SMTP_REPLY_ERROR;
	}
}

/* smtp_reply_parse - feed bytes until a reply is complete or broken. */
enum smtp_reply_status
smtp_reply_parse(struct smtp_reply_parser *p, const char *data, size_t len,
                 size_t *used)
{
	enum smtp_reply_status st = SMTP_REPLY_NEED_MORE;
	size_t i;

	*used = 0;
	if (p->state == SMTP_REPLY_STATE_DONE)
		return SMTP_REPLY_DONE;
	if (p->state == SMTP_REPLY_STATE_ERROR)
		return SMTP_REPLY_ERROR;
	for (i = 0; i < len; i++) {
		st = smtp_reply_byte(p, data[i]);
		if (st == SMTP_REPLY_DONE) {
			*used = i + 1;
			return st;
		}
		if (st == SMTP_REPLY_ERROR) {
			*used = i;
			return st;
		}
	}
	*used = len;
	return SMTP_REPLY_NEED_MORE;
}

/* smtp_reply_word_eq - case-insensitive match of a view and a keyword. */
static bool
smtp_reply_word_eq(const char *w, size_t len, const char *kw)
{
	return strlen(kw) == len && strncasecmp(w, kw, len) == 0;
}

/* smtp_reply_ehlo_line - note the extension one EHLO line offers. */
void
smtp_reply_ehlo_line(struct smtp_ehlo *e, const char *text, size_t len)
{
	const char *w[16];
	size_t wl[16], n = 0, i = 0, k;
	uint64_t v;

	/* Split into at most 16 words on spaces (and '=' after AUTH). */
	while (i < len && n < 16) {
		while (i < len && (text[i] == ' ' || text[i] == '\t' ||
		                   (n == 1 && text[i] == '=')))
			i++;
		if (i >= len)
			break;
		w[n] = text + i;
		while (i < len && text[i] != ' ' && text[i] != '\t' &&
		       !(n == 0 && text[i] == '='))
			i++;
		wl[n] = (size_t)(text + i - w[n]);
		n++;
		/* "AUTH=PLAIN": the '=' separates the first two words. */
		if (n == 1 && i < len && text[i] == '=')
			i++;
	}
	if (n == 0)
		return;
	if (smtp_reply_word_eq(w[0], wl[0], "PIPELINING")) {
		e->pipelining = true;
	} else if (smtp_reply_word_eq(w[0], wl[0], "STARTTLS")) {
		e->starttls = true;
	} else if (smtp_reply_word_eq(w[0], wl[0], "8BITMIME")) {
		e->eightbitmime = true;
	} else if (smtp_reply_word_eq(w[0], wl[0], "SMTPUTF8")) {
		e->smtputf8 = true;
	} else if (smtp_reply_word_eq(w[0], wl[0], "SIZE")) {
		e->size = true;
		v = 0;
		for (k = 0; n > 1 && k < wl[1] && k < 19; k++) {
			if (!isdigit((unsigned char)w[1][k])) {
				v = 0;
				break;
			}
			v = v * 10 + (uint64_t)(w[1][k] - '0');
		}
		e->size_max = v;
	} else if (smtp_reply_word_eq(w[0], wl[0], "AUTH")) {
		for (k = 1; k < n; k++) {
			if (smtp_reply_word_eq(w[k], wl[k], "PLAIN"))
				e->auth_plain = true;
			else if (smtp_reply_word_eq(w[k], wl[k], "LOGIN"))
				e->auth_login = true;
		}
	}
}
