/*
 * header.c - small, pure helpers over a message's header section.
 *
 * Finds field names in the header section and builds the Received,
 * Message-ID and Date lines that ingress adds. It does not decode field
 * bodies (RFC 2047), check addresses or touch the body. Every function is
 * a pure function of its arguments (the time is passed in), so it can be
 * unit-tested byte for byte.
 */
#include "mime/header.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* mime_line_next - length of the line at p (through its LF, if any). */
static size_t
mime_line_next(const char *p, size_t len)
{
	const char *lf;

	lf = memchr(p, '\n', len);
	return lf ? (size_t)(lf - p) + 1 : len;
}

/* mime_line_blank - true for "", "\n" and "\r\n". */
static bool
mime_line_blank(const char *p, size_t n)
{
	return n == 0 || (n == 1 && p[0] == '\n') ||
	       (n == 2 && p[0] == '\r' && p[1] == '\n');
}

/*
 * mime_field_name_len - if the line at p starts a header field, the length
 * of its name (the colon follows after optional blanks); else 0.
 */
static size_t
mime_field_name_len(const char *p, size_t n)
{
	size_t i, name;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == ':' || c == ' ' || c == '\t')
			break;
		if (c < 33 || c > 126)
			return 0;
	}
	name = i;
	if (name == 0)
		return 0;
	/* RFC 5322 4.5 (obsolete syntax): blanks before the colon. */
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	if (i >= n || p[i] != ':')
		return 0;
	return name;
}

size_t
mime_header_len(const char *msg, size_t len)
{
	size_t off = 0, n;

	while (off < len) {
		n = mime_line_next(msg + off, len - off);
		if (mime_line_blank(msg + off, n))
			return off + n;
		if (msg[off] == ' ' || msg[off] == '\t') {
			/* A continuation is only one after a field. */
			if (off == 0)
				return 0;
		} else if (mime_field_name_len(msg + off, n) == 0) {
			return off;
		}
		off += n;
	}
	return off;
}

bool
mime_header_has(const char *msg, size_t len, const char *name)
{
	size_t off = 0, n, nlen, want = strlen(name);

	len = mime_header_len(msg, len);
	while (off < len) {
		n = mime_line_next(msg + off, len - off);
		nlen = mime_field_name_len(msg + off, n);
		if (nlen == want && strncasecmp(msg + off, name, want) == 0)
			return true;
		off += n;
	}
	return false;
}

bool
mime_header_field_next(const char *msg, size_t hlen, size_t *off,
                       struct str *name, struct str *value)
{
	size_t start, n, nlen, end;
	const char *colon;

	while (*off < hlen) {
		start = *off;
		n = mime_line_next(msg + start, hlen - start);
		*off += n;
		nlen = mime_field_name_len(msg + start, n);
		/* Not a field: the empty line that ends the section. */
		if (nlen == 0)
			continue;
		while (*off < hlen && (msg[*off] == ' ' || msg[*off] == '\t'))
			*off += mime_line_next(msg + *off, hlen - *off);
		/* A name has no colon, so the first one ends it. */
		colon = memchr(msg + start + nlen, ':', n - nlen);
		end = *off;
		if (end > start && msg[end - 1] == '\n')
			end--;
		if (end > start && msg[end - 1] == '\r')
			end--;
		name->p = msg + start;
		name->len = nlen;
		value->p = colon + 1;
		value->len = end - (size_t)(colon + 1 - msg);
		return true;
	}
	return false;
}

void
mime_date_format(char out[MIME_DATE_SIZE], time_t t)
{
	static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed",
	                                "Thu", "Fri", "Sat"};
	static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr",
	                                   "May", "Jun", "Jul", "Aug",
	                                   "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;

	/* Names by hand, not strftime: they must not follow the locale. */
	if (gmtime_r(&t, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	snprintf(
	    out, MIME_DATE_SIZE, "%.3s, %02u %.3s %04u %02u:%02u:%02u +0000",
	    days[(unsigned)tm.tm_wday % 7], (unsigned)tm.tm_mday % 100,
	    months[(unsigned)tm.tm_mon % 12],
	    (unsigned)(tm.tm_year + 1900) % 10000, (unsigned)tm.tm_hour % 100,
	    (unsigned)tm.tm_min % 100, (unsigned)tm.tm_sec % 100);
}

void
mime_header_date_add(struct buf *out, time_t t)
{
	char date[MIME_DATE_SIZE];

	mime_date_format(date, t);
	buf_printf(out, "Date: %s\r\n", date);
}

void
mime_header_msgid_add(struct buf *out, const char *local, const char *host)
{
	buf_printf(out, "Message-ID: <%s@%s>\r\n", local, host);
}

/* msgid_atext - an RFC 5322 atext octet, or (RFC 6532) a non-ASCII one. */
static bool
msgid_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c >= 0x80 ||
	       (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* msgid_dot_atom - p[0..n) is dot-atom-text: atoms joined by single dots. */
static bool
msgid_dot_atom(const char *p, size_t n)
{
	size_t i;

	if (n == 0 || p[0] == '.' || p[n - 1] == '.')
		return false;
	for (i = 0; i < n; i++)
		if (p[i] == '.' ? p[i + 1] == '.'
		                : !msgid_atext((unsigned char)p[i]))
			return false;
	return true;
}

/* msgid_literal - p[0..n) is "[" *dtext "]" (no-fold-literal). */
static bool
msgid_literal(const char *p, size_t n)
{
	size_t i;

	if (n < 2 || p[0] != '[' || p[n - 1] != ']')
		return false;
	for (i = 1; i + 1 < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c < 33 || c == '[' || c == ']' || c == '\\' || c == 127)
			return false;
	}
	return true;
}

bool
mime_msgid_valid(const char *p, size_t n)
{
	const char *at;

	if (n < 5 || n > MIME_MSGID_MAX || p[0] != '<' || p[n - 1] != '>')
		return false;
	p++;
	n -= 2;
	at = memchr(p, '@', n);
	if (at == NULL)
		return false;
	return msgid_dot_atom(p, (size_t)(at - p)) &&
	       (msgid_dot_atom(at + 1, n - (size_t)(at - p) - 1) ||
	        msgid_literal(at + 1, n - (size_t)(at - p) - 1));
}

bool
mime_msgid_trim(const char *p, size_t n, struct str *out)
{
	/* Folding whitespace (CFWS without comments) around the msg-id. */
	while (n > 0 && p[0] != '\0' && strchr(" \t\r\n", p[0]) != NULL) {
		p++;
		n--;
	}
	while (n > 0 && p[n - 1] != '\0' && strchr(" \t\r\n", p[n - 1]) != NULL)
		n--;
	out->p = p;
	out->len = n;
	return mime_msgid_valid(p, n);
}

void
mime_header_received_add(struct buf *out, const struct mime_received *r)
{
	char date[MIME_DATE_SIZE];

	mime_date_format(date, r->t);
	/* RFC 5321 4.4 TCP-info: the address as an address literal. */
	buf_printf(out,
	           "Received: from %s ([%s%s])\r\n\tby %s (swerve) with %s",
	           r->helo, strchr(r->ip, ':') != NULL ? "IPv6:" : "", r->ip,
	           r->by, r->with);
	if (r->id != NULL)
		buf_printf(out, " id %s", r->id);
	buf_printf(out, ";\r\n\t%s\r\n", date);
}
