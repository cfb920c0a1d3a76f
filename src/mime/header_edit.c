/*
 * header_edit.c - remove fields from a header section, in place.
 *
 * Walks the header section line by line (the section ends where
 * mime_header_len() says); a field line whose name matches starts a run
 * that swallows its continuation lines, and the run is cut out with one
 * memmove. Nothing else in the message changes.
 */
#include "mime/header_edit.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "core/xmalloc.h"
#include "mime/header.h"

/* line_len - octets of the line at p, through its LF if any. */
static size_t
line_len(const char *p, size_t n)
{
	const char *lf = memchr(p, '\n', n);

	return lf ? (size_t)(lf - p) + 1 : n;
}

/* name_match - does the line at p start the field name (then blanks, ':')? */
static bool
name_match(const char *p, size_t n, const char *name)
{
	size_t k = strlen(name);

	if (n <= k || strncasecmp(p, name, k) != 0)
		return false;
	while (k < n && (p[k] == ' ' || p[k] == '\t'))
		k++;
	return k < n && p[k] == ':';
}

/* value_copy - the unfolded, trimmed value of the field in p[0..n). */
static char *
value_copy(const char *p, size_t n)
{
	const char *colon = memchr(p, ':', n);
	struct buf v;
	size_t i;

	buf_init(&v);
	for (i = (size_t)(colon - p) + 1; i < n; i++)
		if (p[i] != '\r' && p[i] != '\n')
			buf_addch(&v, p[i]);
	while (v.len > 0 && (v.p[v.len - 1] == ' ' || v.p[v.len - 1] == '\t'))
		v.len--;
	i = 0;
	while (i < v.len && (v.p[i] == ' ' || v.p[i] == '\t'))
		i++;
	{
		char *s = xstrndup(buf_cstr(&v) + i, v.len - i);
		buf_fini(&v);
		return s;
	}
}

size_t
mime_header_take(struct buf *msg, size_t off, const char *name, char **value)
{
	size_t hlen, pos, n, removed = 0;

	if (value != NULL)
		*value = NULL;
	if (msg->len <= off)
		return 0;
	hlen = mime_header_len(msg->p + off, msg->len - off);
	pos = off;
	while (pos < off + hlen) {
		n = line_len(msg->p + pos, off + hlen - pos);
		if (!name_match(msg->p + pos, n, name)) {
			pos += n;
			continue;
		}
		/* Swallow the continuation lines. */
		while (pos + n < off + hlen &&
		       (msg->p[pos + n] == ' ' || msg->p[pos + n] == '\t'))
			n += line_len(msg->p + pos + n, off + hlen - pos - n);
		if (value != NULL && *value == NULL)
			*value = value_copy(msg->p + pos, n);
		memmove(msg->p + pos, msg->p + pos + n, msg->len - pos - n);
		msg->len -= n;
		hlen -= n;
		removed++;
	}
	return removed;
}
