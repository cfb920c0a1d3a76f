/*
 * form.c - multipart/form-data and urlencoded form bodies.
 *
 * One parser for both readers of forms: the drop-in endpoints in ingress
 * (Mailgun, SES v1) and swerve-mock's fake Mailgun. A multipart body is
 * walked delimiter by delimiter with memmem(); each part's header section
 * is read line by line (a folded line counts as one), only
 * Content-Disposition and Content-Type matter. The content of a part runs up to
 * the CRLF before the next delimiter. Nothing is copied: fields are views. The
 * urlencoded decoder writes each decoded octet at or before the octet it
 * came from, so it works in place.
 */
#include "mime/form.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/xmalloc.h"
#include "mime/mime_int.h"

void
form_init(struct form *fm)
{
	memset(fm, 0, sizeof(*fm));
}

void
form_fini(struct form *fm)
{
	if (fm == NULL)
		return;
	free(fm->f);
	memset(fm, 0, sizeof(*fm));
}

bool
form_str_eq(struct str s, const char *lit)
{
	size_t n = strlen(lit);

	return s.len == n && memcmp(s.p, lit, n) == 0;
}

/* form_add - append a zeroed field; NULL when the list is full. */
static struct form_field *
form_add(struct form *fm)
{
	if (fm->n == FORM_FIELDS_MAX)
		return NULL;
	if (fm->n == fm->cap) {
		fm->cap = fm->cap ? fm->cap * 2 : 16;
		fm->f = xreallocarray(fm->f, fm->cap, sizeof(*fm->f));
	}
	memset(&fm->f[fm->n], 0, sizeof(fm->f[0]));
	return &fm->f[fm->n++];
}

const struct form_field *
form_field_get(const struct form *fm, const char *name)
{
	size_t i;

	for (i = 0; i < fm->n; i++)
		if (form_str_eq(fm->f[i].name, name))
			return &fm->f[i];
	return NULL;
}

/* lws - a blank, or the CR or LF of a folded header line. */
static bool
lws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* bchar - may c appear in a boundary (RFC 2046 bcharsnospace or ' ')? */
static bool
bchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || strchr("'()+_,-./:=? ", c) != NULL;
}

/*
 * param_find - the value of parameter name in the parameter list
 * p[0..n) (after the media type or disposition type), quoted or not, as
 * a view. 1 when found, 0 when absent, -1 when malformed.
 */
static int
param_find(const char *p, size_t n, const char *name, struct str *out)
{
	size_t nl = strlen(name), i = 0;

	while (i < n) {
		size_t ks, ke, vs, ve;

		while (i < n && (lws(p[i]) || p[i] == ';'))
			i++;
		if (i == n)
			break;
		ks = i;
		while (i < n && p[i] != '=' && p[i] != ';')
			i++;
		ke = i;
		while (ke > ks && lws(p[ke - 1]))
			ke--;
		if (i == n || p[i] == ';')
			continue; /* a bare token such as "form-data" */
		i++;
		while (i < n && lws(p[i]))
			i++;
		if (i < n && p[i] == '"') {
			vs = ++i;
			while (i < n && p[i] != '"') {
				if (p[i] == '\\' && i + 1 < n)
					i++;
				i++;
			}
			if (i == n)
				return -1; /* unterminated quoted string */
			ve = i++;
		} else {
			vs = i;
			while (i < n && p[i] != ';' && !lws(p[i]))
				i++;
			ve = i;
		}
		if (ke - ks == nl && strncasecmp(p + ks, name, nl) == 0) {
			out->p = p + vs;
			out->len = ve - vs;
			return 1;
		}
	}
	return 0;
}

int
form_boundary_get(const char *ctype, struct str *boundary, const char **why)
{
	static const char mt[] = "multipart/form-data";
	size_t n, i;
	int rc;

	if (ctype == NULL || strncasecmp(ctype, mt, sizeof(mt) - 1) != 0 ||
	    (ctype[sizeof(mt) - 1] != ';' && ctype[sizeof(mt) - 1] != ' ' &&
	     ctype[sizeof(mt) - 1] != '\t')) {
		*why = "not multipart/form-data";
		return -1;
	}
	n = strlen(ctype);
	rc = param_find(ctype + sizeof(mt) - 1, n - (sizeof(mt) - 1),
	                "boundary", boundary);
	if (rc <= 0 || boundary->len == 0) {
		*why = "multipart/form-data without a boundary";
		return -1;
	}
	if (boundary->len > FORM_BOUNDARY_MAX ||
	    boundary->p[boundary->len - 1] == ' ') {
		*why = "malformed multipart boundary";
		return -1;
	}
	for (i = 0; i < boundary->len; i++)
		if (!bchar((unsigned char)boundary->p[i])) {
			*why = "malformed multipart boundary";
			return -1;
		}
	return 0;
}

/*
 * header_line_end - the end of the header line starting at h[i] (of
 * h[0..n)): the CRLF not followed by a blank, so that a folded line
 * (RFC 5322 2.2.3) is one line; n when there is none.
 */
static size_t
header_line_end(const char *h, size_t n, size_t i)
{
	const char *eol;

	while ((eol = memmem(h + i, n - i, "\r\n", 2)) != NULL) {
		i = (size_t)(eol - h);
		if (i + 2 == n || (h[i + 2] != ' ' && h[i + 2] != '\t'))
			return i;
		i += 2;
	}
	return n;
}

/*
 * part_headers - read the header lines h[0..n) (without the final empty
 * line) into f. A folded line is read as one: its views keep the CRLF
 * and blanks, which the parameter reader skips. 0, or -1 with *why.
 */
static int
part_headers(const char *h, size_t n, struct form_field *f, const char **why)
{
	static const char cd[] = "content-disposition:";
	static const char ct[] = "content-type:";
	bool have_name = false;
	size_t i = 0;

	while (i < n) {
		size_t e = header_line_end(h, n, i), j;

		if (h[i] == ' ' || h[i] == '\t') {
			*why = "part header section starts with a blank";
			return -1;
		}
		if (e - i >= sizeof(cd) - 1 &&
		    strncasecmp(h + i, cd, sizeof(cd) - 1) == 0) {
			j = i + sizeof(cd) - 1;
			while (j < e && lws(h[j]))
				j++;
			if (e - j < 9 ||
			    strncasecmp(h + j, "form-data", 9) != 0 ||
			    (j + 9 < e && h[j + 9] != ';' && !lws(h[j + 9]))) {
				*why = "part disposition is not form-data";
				return -1;
			}
			j += 9;
			if (param_find(h + j, e - j, "name", &f->name) != 1 ||
			    f->name.len == 0) {
				*why = "form-data part without a name";
				return -1;
			}
			have_name = true;
			switch (param_find(h + j, e - j, "filename",
			                   &f->filename)) {
			case 1:
				f->is_file = true;
				break;
			case 0:
				break;
			default:
				*why = "malformed filename parameter";
				return -1;
			}
		} else if (e - i >= sizeof(ct) - 1 &&
		           strncasecmp(h + i, ct, sizeof(ct) - 1) == 0) {
			size_t ve = e;

			j = i + sizeof(ct) - 1;
			while (j < ve && lws(h[j]))
				j++;
			while (ve > j && lws(h[ve - 1]))
				ve--;
			f->ctype.p = h + j;
			f->ctype.len = ve - j;
		} else if (memchr(h + i, ':', e - i) == NULL) {
			*why = "malformed part header line";
			return -1;
		}
		i = e + 2;
	}
	if (!have_name) {
		*why = "part without Content-Disposition: form-data";
		return -1;
	}
	return 0;
}

/*
 * delim_end - after a delimiter at p (of dl octets) in the body ending at
 * end: 1 when it is the closing one, 0 when a part follows (*next is its
 * first octet), -1 when malformed.
 */
static int
delim_end(const char *p, size_t dl, const char *end, const char **next)
{
	const char *q = p + dl;

	if (end - q >= 2 && q[0] == '-' && q[1] == '-')
		return 1;
	while (q < end && (*q == ' ' || *q == '\t'))
		q++;
	if (end - q < 2 || q[0] != '\r' || q[1] != '\n')
		return -1;
	*next = q + 2;
	return 0;
}

/*
 * delim_find - the first "\r\n--boundary" in [p, end) that is a whole
 * delimiter line (followed by "--", or by padding and CRLF), or NULL.
 * A look-alike inside content ("--boundary and more") is skipped.
 */
static const char *
delim_find(const char *p, const char *end, const char *delim, size_t dl)
{
	const char *q, *next;

	while (p < end && (q = memmem(p, (size_t)(end - p), delim, dl))) {
		if (delim_end(q, dl, end, &next) >= 0)
			return q;
		p = q + 1;
	}
	return NULL;
}

int
form_multipart_parse(const char *body, size_t len, struct str boundary,
                     struct form *fm, const char **why)
{
	const char *end = body + len, *p, *next = NULL;
	char delim[FORM_BOUNDARY_MAX + 4];
	size_t dl;
	int rc;

	if (boundary.len == 0 || boundary.len > FORM_BOUNDARY_MAX) {
		*why = "malformed multipart boundary";
		return -1;
	}
	/* "\r\n--boundary": the first delimiter may also open the body. */
	delim[0] = '\r';
	delim[1] = '\n';
	delim[2] = '-';
	delim[3] = '-';
	memcpy(delim + 4, boundary.p, boundary.len);
	dl = boundary.len + 4;
	if (len >= dl - 2 && memcmp(body, delim + 2, dl - 2) == 0)
		p = body - 2; /* as if the body began with CRLF */
	else if ((p = memmem(body, len, delim, dl)) == NULL) {
		*why = "no multipart delimiter";
		return -1;
	}
	for (;;) {
		const char *hend, *cend;
		struct form_field *f;

		rc = delim_end(p, dl, end, &next);
		if (rc == 1)
			return 0;
		if (rc < 0) {
			*why = "malformed multipart delimiter line";
			return -1;
		}
		if ((size_t)(end - next) >= 2 && next[0] == '\r' &&
		    next[1] == '\n')
			hend = next; /* a part without header lines */
		else {
			size_t hmax = (size_t)(end - next);
			if (hmax > FORM_PART_HEADER_MAX + 4)
				hmax = FORM_PART_HEADER_MAX + 4;
			hend = memmem(next, hmax, "\r\n\r\n", 4);
			if (hend == NULL) {
				*why =
				    hmax == (size_t)(end - next)
				        ? "part header section not terminated"
				        : "part header section too long";
				return -1;
			}
			hend += 2;
		}
		cend = delim_find(hend + 2, end, delim, dl);
		if (cend == NULL) {
			*why = "multipart body without a closing delimiter";
			return -1;
		}
		if ((f = form_add(fm)) == NULL) {
			*why = "too many form fields";
			return -1;
		}
		if (part_headers(next,
		                 (size_t)(hend - next) >= 2
		                     ? (size_t)(hend - next) - 2
		                     : 0,
		                 f, why) < 0) {
			/* A failed parse leaves only whole fields: never
			 * one without a value (fuzz_form: a NULL view
			 * reached memchr in the Mailgun mapping). */
			fm->n--;
			return -1;
		}
		f->value.p = hend + 2;
		f->value.len = (size_t)(cend - (hend + 2));
		p = cend;
	}
}

/* url_decode - decode p[0..n) in place; the decoded length, or -1. */
static long
url_decode(char *p, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (p[i] == '+')
			p[o++] = ' ';
		else if (p[i] == '%') {
			int hi, lo;
			if (i + 2 >= n)
				return -1;
			hi = mime_hex_value((unsigned char)p[i + 1]);
			lo = mime_hex_value((unsigned char)p[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			p[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else
			p[o++] = p[i];
	}
	return (long)o;
}

int
form_urlencoded_parse(char *body, size_t len, struct form *fm, const char **why)
{
	size_t i = 0;

	while (i < len) {
		char *amp = memchr(body + i, '&', len - i);
		size_t e = amp ? (size_t)(amp - body) : len;
		char *eq = memchr(body + i, '=', e - i);
		size_t ne = eq ? (size_t)(eq - body) : e;
		struct form_field *f;
		long nl, vl = 0;

		if (e == i) {
			i++;
			continue;
		}
		if ((f = form_add(fm)) == NULL) {
			*why = "too many form fields";
			return -1;
		}
		nl = url_decode(body + i, ne - i);
		if (eq != NULL)
			vl = url_decode(body + ne + 1, e - ne - 1);
		if (nl < 0 || vl < 0) {
			*why = "bad %-escape in form body";
			return -1;
		}
		f->name.p = body + i;
		f->name.len = (size_t)nl;
		f->value.p = eq ? body + ne + 1 : body + e;
		f->value.len = (size_t)vl;
		i = e + 1;
	}
	return 0;
}
