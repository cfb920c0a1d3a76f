/*
 * mime_addr.c - RFC 5322 address-lists for the MIME reader.
 *
 * Parses "Name <a@b>", "a@b (Name)", "\"Quoted, Name\" <a@b>", obsolete
 * routes ("<@r:a@b>"), empty list elements, and groups ("team: a@b, c@d;")
 * into (display name, addr-spec, group) triples. Display names are
 * RFC 2047-decoded to UTF-8. Comments are skipped, except that a comment
 * after a bare addr-spec serves as its display name (old style). An
 * element that is not an address sets MIME_F_ADDRESS and is skipped up to
 * the next comma; it is never guessed at.
 */
#include "mime/mime_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/idna.h"
#include "core/xmalloc.h"

/* A parse cursor over one field value. */
struct mime_acur {
	const char *s;
	size_t n, i;
	struct buf comment; /* text of the last comment skipped */
	bool undotted;      /* last words() joined words without a dot */
};

/* mime_atext - true for RFC 5322 atext (and 8-bit bytes, RFC 6532). */
static bool
mime_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c >= 0x80 ||
	       strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* mime_acur_cfws - skip CFWS, keeping the last comment's text. */
static void
mime_acur_cfws(struct mime_acur *c)
{
	while (c->i < c->n) {
		char ch = c->s[c->i];

		if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') {
			c->i++;
		} else if (ch == '(') {
			int depth = 0;

			c->comment.len = 0;
			for (; c->i < c->n; c->i++) {
				ch = c->s[c->i];
				if (ch == '\\' && c->i + 1 < c->n) {
					c->i++;
					buf_addch(&c->comment, c->s[c->i]);
					continue;
				}
				if (ch == '(' && depth++ == 0)
					continue;
				if (ch == ')' && --depth == 0)
					break;
				buf_addch(&c->comment, ch);
			}
			if (c->i < c->n)
				c->i++;
		} else {
			break;
		}
	}
}

/*
 * mime_acur_quoted - read the quoted-string at the cursor; its unescaped
 * text goes to text, its exact form to raw. -1 when unterminated.
 */
static int
mime_acur_quoted(struct mime_acur *c, struct buf *text, struct buf *raw)
{
	size_t start = c->i;

	for (c->i++; c->i < c->n && c->s[c->i] != '"'; c->i++) {
		if (c->s[c->i] == '\\' && c->i + 1 < c->n)
			c->i++;
		if (c->s[c->i] != '\r' && c->s[c->i] != '\n')
			buf_addch(text, c->s[c->i]);
	}
	if (c->i >= c->n)
		return -1;
	c->i++;
	buf_add(raw, c->s + start, c->i - start);
	return 0;
}

/*
 * mime_acur_words - read a phrase or local-part: words (atoms, dots,
 * quoted-strings) separated by CFWS. The display form (one space for each
 * run of CFWS) goes to phrase, the CFWS-free form to raw. Returns the number of
 * words, or -1 on an unterminated quoted-string.
 */
static int
mime_acur_words(struct mime_acur *c, struct buf *phrase, struct buf *raw)
{
	int words = 0;
	bool dot_end = false;

	c->undotted = false;
	for (;;) {
		size_t j, before = c->i;

		mime_acur_cfws(c);
		if (c->i >= c->n)
			break;
		if (words > 0 && !dot_end && c->s[c->i] != '.' &&
		    (c->s[c->i] == '"' ||
		     mime_atext((unsigned char)c->s[c->i])))
			c->undotted = true;
		/* The display form keeps one space where the source had
		 * blanks or comments between words ("Joe Q. Public"). */
		if (words > 0 && c->i > before)
			buf_addch(phrase, ' ');
		if (c->s[c->i] == '"') {
			if (mime_acur_quoted(c, phrase, raw) < 0)
				return -1;
			dot_end = false;
			words++;
			continue;
		}
		for (j = c->i;
		     j < c->n &&
		     (mime_atext((unsigned char)c->s[j]) || c->s[j] == '.');
		     j++)
			;
		if (j == c->i) {
			/* Undo the separator added for a word not found. */
			if (words > 0 && c->i > before)
				phrase->len--;
			break;
		}
		buf_add(phrase, c->s + c->i, j - c->i);
		buf_add(raw, c->s + c->i, j - c->i);
		dot_end = c->s[j - 1] == '.';
		c->i = j;
		words++;
	}
	return words;
}

/* mime_acur_domain - read a domain (dot-atom or literal) into raw. */
static int
mime_acur_domain(struct mime_acur *c, struct buf *raw)
{
	struct buf phrase;
	size_t start = raw->len;
	int words;

	mime_acur_cfws(c);
	if (c->i < c->n && c->s[c->i] == '[') {
		size_t j;

		for (j = c->i; j < c->n && c->s[j] != ']'; j++)
			if (c->s[j] == '[' && j != c->i)
				return -1;
		if (j >= c->n)
			return -1;
		buf_add(raw, c->s + c->i, j + 1 - c->i);
		c->i = j + 1;
		return 0;
	}
	buf_init(&phrase);
	words = mime_acur_words(c, &phrase, raw);
	buf_fini(&phrase);
	/* A domain has no quoted-strings and no empty labels at the ends. */
	if (words <= 0 || c->undotted || raw->len == start ||
	    memchr(raw->p + start, '"', raw->len - start) ||
	    raw->p[raw->len - 1] == '.' || raw->p[start] == '.')
		return -1;
	/* 8-bit bytes are atext (RFC 6532), but a domain's must also be
	 * IDNA2008: no bidi controls, no zero-width characters. */
	if (!idna_domain_valid(raw->p + start, raw->len - start))
		return -1;
	return 0;
}

/* mime_acur_addrspec - read "local@domain" whose local-part is in raw. */
static int
mime_acur_addrspec(struct mime_acur *c, struct buf *raw)
{
	if (raw->len == 0 || c->undotted || c->i >= c->n || c->s[c->i] != '@')
		return -1;
	c->i++;
	buf_addch(raw, '@');
	return mime_acur_domain(c, raw);
}

/* mime_addr_push - append one address to *v (capped). */
static void
mime_addr_push(struct mime_addr **v, size_t *nv, struct buf *name,
               struct buf *addr, const char *group, unsigned *flags)
{
	struct mime_addr *a;

	if (*nv >= MIME_MAX_ADDRS) {
		*flags |= MIME_F_LIMIT;
		return;
	}
	*v = xreallocarray(*v, *nv + 1, sizeof(**v));
	a = &(*v)[(*nv)++];
	a->name = NULL;
	if (name && name->len > 0) {
		struct buf d;

		buf_init(&d);
		mime_words_decode(name->p, name->len, &d, flags);
		buf_cstr(&d);
		a->name = buf_steal(&d, NULL);
	}
	a->addr = xmemdup(addr->p ? addr->p : "", addr->len);
	a->group = group ? xstrdup(group) : NULL;
}

/* mime_acur_skip - on error, skip past the next comma outside quotes. */
static void
mime_acur_skip(struct mime_acur *c)
{
	bool q = false;

	for (; c->i < c->n; c->i++) {
		if (c->s[c->i] == '\\' && c->i + 1 < c->n)
			c->i++;
		else if (c->s[c->i] == '"')
			q = !q;
		else if (c->s[c->i] == ',' && !q)
			break;
	}
}

/* mime_addrs_parse - parse an RFC 5322 address-list into *v. */
void
mime_addrs_parse(const char *s, size_t n, struct mime_addr **v, size_t *nv,
                 bool *groups, unsigned *flags)
{
	struct mime_acur c = {s, n, 0, {NULL, 0, 0}, false};
	struct buf phrase, raw;
	char *group = NULL;

	*v = NULL;
	*nv = 0;
	buf_init(&phrase);
	buf_init(&raw);
	for (;;) {
		int words;

		mime_acur_cfws(&c);
		if (c.i >= n)
			break;
		if (s[c.i] == ',') {
			c.i++;
			continue;
		}
		if (s[c.i] == ';' && group) {
			free(group);
			group = NULL;
			c.i++;
			continue;
		}
		phrase.len = raw.len = 0;
		c.comment.len = 0;
		words = mime_acur_words(&c, &phrase, &raw);
		if (words < 0)
			goto bad;
		if (c.i < n && s[c.i] == ':' && group == NULL && words > 0) {
			*groups = true;
			buf_cstr(&phrase);
			group = xstrdup(phrase.p);
			c.i++;
			continue;
		}
		if (c.i < n && s[c.i] == '<') {
			c.i++;
			mime_acur_cfws(&c);
			/* Obsolete source route: "@a,@b:" is dropped. */
			if (c.i < n && s[c.i] == '@') {
				while (c.i < n && s[c.i] != ':' &&
				       s[c.i] != '>')
					c.i++;
				if (c.i >= n || s[c.i] != ':')
					goto bad;
				c.i++;
			}
			raw.len = 0;
			{
				struct buf lp;

				buf_init(&lp);
				if (mime_acur_words(&c, &lp, &raw) <= 0) {
					buf_fini(&lp);
					goto bad;
				}
				buf_fini(&lp);
			}
			if (mime_acur_addrspec(&c, &raw) < 0)
				goto bad;
			mime_acur_cfws(&c);
			if (c.i >= n || s[c.i] != '>')
				goto bad;
			c.i++;
			mime_addr_push(v, nv, &phrase, &raw, group, flags);
		} else if (c.i < n && s[c.i] == '@' && words > 0) {
			c.comment.len = 0;
			if (mime_acur_addrspec(&c, &raw) < 0)
				goto bad;
			mime_acur_cfws(&c);
			mime_addr_push(v, nv, &c.comment, &raw, group, flags);
		} else {
			goto bad;
		}
		mime_acur_cfws(&c);
		if (c.i < n && s[c.i] != ',' && !(s[c.i] == ';' && group))
			goto bad;
		continue;
	bad:
		*flags |= MIME_F_ADDRESS;
		mime_acur_skip(&c);
	}
	/* An unclosed group is tolerated (obs syntax), not an error. */
	free(group);
	buf_fini(&phrase);
	buf_fini(&raw);
	buf_fini(&c.comment);
}

/* mime_addrs_free - release n addresses and the array. */
void
mime_addrs_free(struct mime_addr *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].addr);
		free(v[i].group);
	}
	free(v);
}
