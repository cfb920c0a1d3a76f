/*
 * mime_words.c - RFC 2047 encoded-words and RFC 2045/2231 parameters.
 *
 * Decodes "=?charset?B|Q?text?=" words in unstructured text to UTF-8,
 * dropping the blanks between adjacent encoded-words (RFC 2047 6.2). A
 * word that does not decode (bad base64/Q, or a result holding NUL, CR or
 * LF) stays as written; an unknown charset stays as written and is
 * flagged. Parses Content-Type and Content-Disposition values with their
 * parameters, joining RFC 2231 continuations ("name*0*=") and decoding
 * "charset'lang'%XX" values to UTF-8. Filenames encoded the non-standard
 * RFC 2047 way (filename="=?utf-8?B?...?=") are decoded too, since every
 * mail reader does so.
 */
#include "mime/mime_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/base64.h"
#include "core/xmalloc.h"

/* Longest encoded-word we decode (RFC 2047 says 75; mailers exceed it). */
#define MIME_WORD_MAX 1024

/* mime_word_q - decode RFC 2047 "Q" text; -1 on a bad escape. */
static int
mime_word_q(const char *p, size_t n, struct buf *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] == '_') {
			buf_addch(out, ' ');
		} else if (p[i] == '=') {
			int hi, lo;

			if (i + 2 >= n)
				return -1;
			hi = isxdigit((unsigned char)p[i + 1]);
			lo = isxdigit((unsigned char)p[i + 2]);
			if (!hi || !lo)
				return -1;
			buf_addch(out,
			          (char)strtol((char[]){p[i + 1], p[i + 2], 0},
			                       NULL, 16));
			i += 2;
		} else {
			buf_addch(out, p[i]);
		}
	}
	return 0;
}

/*
 * mime_word_try - if s[0..n) starts with a valid encoded-word, append its
 * UTF-8 text to out and return its length; else 0.
 */
static size_t
mime_word_try(const char *s, size_t n, struct buf *out, unsigned *flags)
{
	const char *q1, *q2, *end;
	char cs[64];
	struct buf raw;
	size_t cslen, len, i;
	char enc;
	int rc;
	unsigned crc;

	if (n < 8 || s[0] != '=' || s[1] != '?')
		return 0;
	/* RFC 2047 allows 75 octets; allow more, but bound the scan so that
	 * text full of "=?" stays linear. */
	if (n > MIME_WORD_MAX)
		n = MIME_WORD_MAX;
	q1 = memchr(s + 2, '?', n - 2);
	if (q1 == NULL || q1 + 3 >= s + n || q1[2] != '?')
		return 0;
	enc = q1[1];
	q2 = q1 + 3;
	end = NULL;
	for (i = (size_t)(q2 - s); i + 1 < n; i++) {
		if (s[i] == ' ' || s[i] == '\t')
			return 0;
		if (s[i] == '?') {
			if (s[i + 1] != '=')
				return 0;
			end = s + i;
			break;
		}
	}
	if (end == NULL)
		return 0;
	cslen = (size_t)(q1 - (s + 2));
	if (cslen == 0 || cslen >= sizeof(cs))
		return 0;
	memcpy(cs, s + 2, cslen);
	cs[cslen] = '\0';
	/* RFC 2231 section 5: "charset*language". */
	if (strchr(cs, '*'))
		*strchr(cs, '*') = '\0';
	for (i = 0; cs[i]; i++)
		if ((unsigned char)cs[i] <= ' ' || cs[i] == '(' || cs[i] == '"')
			return 0;
	len = (size_t)(end + 2 - s);

	buf_init(&raw);
	if (enc == 'B' || enc == 'b')
		rc = base64_decode_buf((struct str){q2, (size_t)(end - q2)},
		                       BASE64_MIME, &raw);
	else if (enc == 'Q' || enc == 'q')
		rc = mime_word_q(q2, (size_t)(end - q2), &raw);
	else
		rc = -1;
	if (rc < 0 || memchr(raw.p ? raw.p : "", '\0', raw.len) ||
	    memchr(raw.p ? raw.p : "", '\r', raw.len) ||
	    memchr(raw.p ? raw.p : "", '\n', raw.len)) {
		buf_fini(&raw);
		return 0;
	}
	crc = mime_charset_to_utf8(cs, raw.p ? raw.p : "", raw.len, out);
	buf_fini(&raw);
	if (crc != 0) {
		*flags |= crc;
		return 0;
	}
	return len;
}

/* mime_words_decode - RFC 2047-decode unstructured text into out. */
void
mime_words_decode(const char *s, size_t n, struct buf *out, unsigned *flags)
{
	size_t i = 0, start = out->len, ew_end = 0;
	bool after_ew = false;

	while (i < n) {
		size_t mark = out->len, used;

		if (s[i] == '=' && i + 1 < n && s[i + 1] == '?') {
			used = mime_word_try(s + i, n - i, out, flags);
			if (used > 0) {
				if (after_ew) {
					/* Drop blanks between two words. */
					memmove(out->p + ew_end, out->p + mark,
					        out->len - mark);
					out->len -= mark - ew_end;
				}
				ew_end = out->len;
				after_ew = true;
				i += used;
				continue;
			}
		}
		if (s[i] != ' ' && s[i] != '\t')
			after_ew = false;
		buf_addch(out, s[i]);
		i++;
	}
	/* Nothing added (an empty value): out->p may still be NULL. */
	if (out->len > start &&
	    !mime_utf8_valid(out->p + start, out->len - start))
		*flags |= MIME_F_CHARSET;
}

/* mime_params_free - release n parameters and the array. */
void
mime_params_free(struct mime_param *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(p[i].name);
		free(p[i].value);
	}
	free(p);
}

/* A parameter as written, before RFC 2231 joining. */
struct mime_rawparam {
	char *name;  /* lowercased base name */
	int section; /* -1 for "name" and "name*", else N of "name*N" */
	bool ext;    /* value is %-encoded ("name*" or "name*N*") */
	char *value; /* unquoted value */
};

/* mime_cfws_skip - skip blanks, line ends and (nested) comments. */
static size_t
mime_cfws_skip(const char *s, size_t n, size_t i)
{
	while (i < n) {
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' ||
		    s[i] == '\n') {
			i++;
		} else if (s[i] == '(') {
			int depth = 0;

			for (; i < n; i++) {
				if (s[i] == '\\' && i + 1 < n)
					i++;
				else if (s[i] == '(')
					depth++;
				else if (s[i] == ')' && --depth == 0)
					break;
			}
			if (i < n)
				i++;
		} else {
			break;
		}
	}
	return i;
}

/* mime_tspecial - true for RFC 2045 tspecials, blanks and controls. */
static bool
mime_tspecial(unsigned char c)
{
	return c <= ' ' || c >= 0x7f || strchr("()<>@,;:\\\"/[]?=", c);
}

/* mime_token - length of the RFC 2045 token at s[i..n). */
static size_t
mime_token(const char *s, size_t n, size_t i)
{
	size_t j = i;

	while (j < n && !mime_tspecial((unsigned char)s[j]))
		j++;
	return j - i;
}

/* mime_lower - NUL-terminated, ASCII-lowercased copy of p[0..n). */
static char *
mime_lower(const char *p, size_t n)
{
	char *r = xmemdup(p, n);
	size_t i;

	for (i = 0; i < n; i++)
		r[i] = (char)tolower((unsigned char)r[i]);
	return r;
}

/* mime_pct_decode - RFC 2231 %XX-decode into out; -1 on a bad escape. */
static int
mime_pct_decode(const char *p, struct buf *out)
{
	for (; *p; p++) {
		if (*p != '%') {
			buf_addch(out, *p);
			continue;
		}
		if (!isxdigit((unsigned char)p[1]) ||
		    !isxdigit((unsigned char)p[2]))
			return -1;
		buf_addch(out, (char)strtol((char[]){p[1], p[2], 0}, NULL, 16));
		p += 2;
	}
	return 0;
}

/* mime_param_value - plain value v to UTF-8 (RFC 2047 words allowed). */
static char *
mime_param_value(const char *v, unsigned *flags)
{
	struct buf b;

	buf_init(&b);
	mime_words_decode(v, strlen(v), &b, flags);
	buf_cstr(&b);
	return buf_steal(&b, NULL);
}

/*
 * mime_param_join - build the value of base name from raw[] (RFC 2231
 * sections and charsets); NULL when it cannot be built faithfully.
 */
static char *
mime_param_join(struct mime_rawparam *raw, size_t nraw, const char *name,
                unsigned *flags)
{
	struct buf bytes, out;
	char cs[64] = "";
	const char *plain = NULL;
	bool any_ext = false, found;
	size_t i;
	int sec;

	buf_init(&bytes);
	buf_init(&out);
	for (i = 0; i < nraw; i++) {
		if (strcmp(raw[i].name, name) != 0 || raw[i].section >= 0)
			continue;
		if (!raw[i].ext) {
			plain = raw[i].value;
			continue;
		}
		/* name*=charset'lang'value: one section, numbered 0. */
		raw[i].section = 0;
	}
	for (sec = 0;; sec++) {
		found = false;
		for (i = 0; i < nraw; i++) {
			const char *v;

			if (strcmp(raw[i].name, name) != 0 ||
			    raw[i].section != sec)
				continue;
			found = true;
			v = raw[i].value;
			if (raw[i].ext && sec == 0) {
				const char *a = strchr(v, '\'');
				const char *b = a ? strchr(a + 1, '\'') : NULL;

				if (b == NULL || (size_t)(a - v) >= sizeof(cs))
					goto fail;
				memcpy(cs, v, (size_t)(a - v));
				cs[a - v] = '\0';
				v = b + 1;
			}
			if (raw[i].ext) {
				any_ext = true;
				if (mime_pct_decode(v, &bytes) < 0)
					goto fail;
			} else {
				buf_addstr(&bytes, v);
			}
			break;
		}
		if (!found)
			break;
	}
	if (sec == 0) {
		buf_fini(&bytes);
		return plain ? mime_param_value(plain, flags) : NULL;
	}
	/* Sections after a gap are lost: that is not a faithful value. */
	for (i = 0; i < nraw; i++)
		if (strcmp(raw[i].name, name) == 0 && raw[i].section > sec)
			goto fail;
	if (!any_ext) {
		char *r;

		buf_cstr(&bytes);
		r = mime_param_value(bytes.p, flags);
		buf_fini(&bytes);
		return r;
	}
	if (cs[0] == '\0')
		strcpy(cs, "us-ascii");
	*flags |=
	    mime_charset_to_utf8(cs, bytes.p ? bytes.p : "", bytes.len, &out);
	if (memchr(out.p ? out.p : "", '\0', out.len))
		*flags |= MIME_F_PARAM;
	buf_fini(&bytes);
	buf_cstr(&out);
	return buf_steal(&out, NULL);
fail:
	*flags |= MIME_F_PARAM;
	buf_fini(&bytes);
	buf_fini(&out);
	return NULL;
}

/*
 * mime_param_one - parse "attr = value" at s[*ip..n) into raw; -1 when it
 * is malformed (then raw is untouched).
 */
static int
mime_param_one(const char *s, size_t n, size_t *ip, struct mime_rawparam *raw)
{
	size_t i = *ip, tl, j;
	char *star;
	struct buf v;

	tl = mime_token(s, n, i);
	if (tl == 0)
		return -1;
	raw->name = mime_lower(s + i, tl);
	raw->section = -1;
	raw->ext = false;
	i = mime_cfws_skip(s, n, i + tl);
	if (i >= n || s[i] != '=')
		goto fail;
	i = mime_cfws_skip(s, n, i + 1);
	buf_init(&v);
	if (i < n && s[i] == '"') {
		for (i++; i < n && s[i] != '"'; i++) {
			if (s[i] == '\\' && i + 1 < n)
				i++;
			if (s[i] != '\r' && s[i] != '\n')
				buf_addch(&v, s[i]);
		}
		if (i >= n) {
			buf_fini(&v);
			goto fail;
		}
		i++;
	} else {
		/* Lenient: unquoted values with tspecials, up to ';'. */
		for (j = i;
		     j < n && s[j] != ';' && s[j] != ' ' && s[j] != '\t' &&
		     s[j] != '"' && s[j] != '\r' && s[j] != '\n';
		     j++)
			;
		if (j == i) {
			buf_fini(&v);
			goto fail;
		}
		buf_add(&v, s + i, j - i);
		i = j;
	}
	buf_cstr(&v);
	raw->value = buf_steal(&v, NULL);
	/* RFC 2231: "name*", "name*N", "name*N*". */
	star = strchr(raw->name, '*');
	if (star) {
		char *end;
		char *st = star;

		if (st[1] == '\0') {
			raw->ext = true;
		} else {
			long sec = strtol(st + 1, &end, 10);

			if (!isdigit((unsigned char)st[1]) || sec > 999 ||
			    (st[1] == '0' && st[2] != '*' && st[2] != '\0') ||
			    (*end != '\0' && strcmp(end, "*") != 0)) {
				free(raw->value);
				goto fail;
			}
			raw->section = (int)sec;
			raw->ext = *end == '*';
		}
		*st = '\0';
	}
	*ip = i;
	return 0;
fail:
	free(raw->name);
	return -1;
}

/* mime_ctype_parse - parse a Content-Type or Content-Disposition value. */
int
mime_ctype_parse(const char *s, size_t n, bool slash, char **value,
                 struct mime_param **params, size_t *nparams, unsigned *flags)
{
	struct mime_rawparam raw[MIME_MAX_PARAMS];
	size_t nraw = 0, i, j, tl, tl2 = 0;
	int rc = 0;

	*value = NULL;
	*params = NULL;
	*nparams = 0;
	i = mime_cfws_skip(s, n, 0);
	tl = mime_token(s, n, i);
	if (slash) {
		j = mime_cfws_skip(s, n, i + tl);
		if (tl > 0 && j < n && s[j] == '/') {
			j = mime_cfws_skip(s, n, j + 1);
			tl2 = mime_token(s, n, j);
		}
		if (tl == 0 || tl2 == 0)
			return -1;
		*value = xmalloc(tl + tl2 + 2);
		memcpy(*value, s + i, tl);
		(*value)[tl] = '/';
		memcpy(*value + tl + 1, s + j, tl2);
		(*value)[tl + tl2 + 1] = '\0';
		for (char *c = *value; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		i = j + tl2;
	} else {
		if (tl == 0)
			return -1;
		*value = mime_lower(s + i, tl);
		i += tl;
	}
	for (;;) {
		i = mime_cfws_skip(s, n, i);
		if (i >= n)
			break;
		if (s[i] != ';') {
			*flags |= MIME_F_PARAM;
			break;
		}
		i = mime_cfws_skip(s, n, i + 1);
		if (i >= n)
			break;
		if (nraw == MIME_MAX_PARAMS) {
			*flags |= MIME_F_LIMIT;
			break;
		}
		if (mime_param_one(s, n, &i, &raw[nraw]) < 0) {
			*flags |= MIME_F_PARAM;
			break;
		}
		nraw++;
	}
	/* Duplicates make a value ambiguous; flag them. */
	for (i = 0; i < nraw; i++)
		for (j = i + 1; j < nraw; j++)
			if (strcmp(raw[i].name, raw[j].name) == 0 &&
			    raw[i].section == raw[j].section &&
			    raw[i].ext == raw[j].ext)
				*flags |= MIME_F_PARAM;
	*params = xcalloc(nraw ? nraw : 1, sizeof(**params));
	for (i = 0; i < nraw; i++) {
		bool seen = false;
		char *v;

		for (j = 0; j < *nparams; j++)
			if (strcmp((*params)[j].name, raw[i].name) == 0)
				seen = true;
		if (seen)
			continue;
		v = mime_param_join(raw, nraw, raw[i].name, flags);
		if (v == NULL)
			continue;
		(*params)[*nparams].name = xstrdup(raw[i].name);
		(*params)[*nparams].value = v;
		(*nparams)++;
	}
	for (i = 0; i < nraw; i++) {
		free(raw[i].name);
		free(raw[i].value);
	}
	return rc;
}

/* mime_param_get - value of parameter name in params, or NULL. */
const char *
mime_param_get(const struct mime_param *params, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcasecmp(params[i].name, name) == 0)
			return params[i].value;
	return NULL;
}
