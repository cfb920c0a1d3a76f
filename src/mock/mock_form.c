/*
 * mock_form.c - HTML form bodies for swerve-mock's fake Mailgun.
 *
 * multipart/form-data: find each "CRLF--boundary" with memmem, read the
 * part's header block (bounded), take Content-Disposition's name and
 * filename and the part's Content-Type, and keep the content as a view.
 * urlencoded: decode each pair in place. Nothing here allocates except the
 * field array; nothing touches the network.
 */
#include "mock/mock_form.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/xmalloc.h"

/* mock_form_init - an empty list. */
void
mock_form_init(struct mock_form *form)
{
	memset(form, 0, sizeof(*form));
}

/* mock_form_fini - release the array. */
void
mock_form_fini(struct mock_form *form)
{
	free(form->f);
	memset(form, 0, sizeof(*form));
}

/* mock_form_push - a new zeroed field, or NULL when the list is full. */
static struct mock_form_field *
mock_form_push(struct mock_form *form)
{
	struct mock_form_field *fl;

	if (form->n == MOCK_FORM_FIELDS_MAX)
		return NULL;
	if (form->n == form->cap) {
		form->cap = form->cap ? form->cap * 2 : 16;
		form->f = xreallocarray(form->f, form->cap, sizeof(*form->f));
	}
	fl = &form->f[form->n++];
	memset(fl, 0, sizeof(*fl));
	return fl;
}

/* mock_form_ws - linear white space, including CR LF of a folded line. */
static bool
mock_form_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* mock_form_trim - v without white space at either end. */
static struct str
mock_form_trim(struct str v)
{
	while (v.len > 0 && mock_form_ws(v.p[0])) {
		v.p++;
		v.len--;
	}
	while (v.len > 0 && mock_form_ws(v.p[v.len - 1]))
		v.len--;
	return v;
}

/*
 * mock_form_param - find parameter key in "type; k=v; k2=\"v 2\"" (the
 * whole header value). A quoted value is returned without its quotes
 * (escapes are left as they are). Returns true if found.
 */
static bool
mock_form_param(struct str value, const char *key, struct str *out)
{
	const char *p = value.p, *end = value.p + value.len;
	size_t klen = strlen(key);

	p = memchr(p, ';', value.len);
	while (p != NULL && p < end) {
		struct str k, v;

		while (p < end && (*p == ';' || mock_form_ws(*p)))
			p++;
		k.p = p;
		while (p < end && *p != '=' && *p != ';')
			p++;
		k.len = (size_t)(p - k.p);
		k = mock_form_trim(k);
		if (p == end || *p == ';')
			continue; /* a key without a value: skip it */
		p++;
		while (p < end && mock_form_ws(*p))
			p++;
		if (p < end && *p == '"') {
			v.p = ++p;
			while (p < end && *p != '"') {
				if (*p == '\\' && p + 1 < end)
					p++;
				p++;
			}
			v.len = (size_t)(p - v.p);
			if (p < end)
				p++;
		} else {
			v.p = p;
			while (p < end && *p != ';')
				p++;
			v.len = (size_t)(p - v.p);
			v = mock_form_trim(v);
		}
		if (k.len == klen && strncasecmp(k.p, key, klen) == 0) {
			*out = v;
			return true;
		}
	}
	return false;
}

/* mock_form_bchar - a byte RFC 2046 allows in a boundary. */
static bool
mock_form_bchar(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || strchr("'()+_,-./:=? ", c) != NULL;
}

/* mock_form_boundary - the boundary of a multipart/form-data type. */
int
mock_form_boundary(const char *ctype, struct str *boundary, const char **why)
{
	static const char type[] = "multipart/form-data";
	struct str v = str_from(ctype ? ctype : "");
	struct str b;
	size_t i;

	v = mock_form_trim(v);
	if (v.len < sizeof(type) - 1 ||
	    strncasecmp(v.p, type, sizeof(type) - 1) != 0 ||
	    (v.len > sizeof(type) - 1 && v.p[sizeof(type) - 1] != ';' &&
	     !mock_form_ws(v.p[sizeof(type) - 1]))) {
		*why = "not multipart/form-data";
		return -1;
	}
	if (!mock_form_param(v, "boundary", &b) || b.len == 0) {
		*why = "multipart/form-data without a boundary";
		return -1;
	}
	if (b.len > MOCK_FORM_BOUNDARY_MAX || b.p[b.len - 1] == ' ') {
		*why = "bad multipart boundary";
		return -1;
	}
	for (i = 0; i < b.len; i++) {
		if (!mock_form_bchar(b.p[i])) {
			*why = "bad byte in multipart boundary";
			return -1;
		}
	}
	*boundary = b;
	return 0;
}

/* mock_form_headers - read one part's header block into fl. */
static int
mock_form_headers(struct str hdr, struct mock_form_field *fl, const char **why)
{
	const char *p = hdr.p, *end = hdr.p + hdr.len;
	bool disposition = false;

	while (p < end) {
		const char *ls = p, *colon;
		struct str name, value;

		/* A header line ends at a CRLF not followed by white space. */
		for (;;) {
			const char *crlf =
			    memmem(p, (size_t)(end - p), "\r\n", 2);

			if (crlf == NULL) {
				p = end;
				break;
			}
			p = crlf + 2;
			if (p == end || (*p != ' ' && *p != '\t'))
				break;
		}
		colon = memchr(ls, ':', (size_t)(p - ls));
		if (colon == NULL) {
			*why = "multipart part header without a colon";
			return -1;
		}
		name = mock_form_trim((struct str){ls, (size_t)(colon - ls)});
		value = mock_form_trim(
		    (struct str){colon + 1, (size_t)(p - colon - 1)});
		if (str_eq_nocase(name, "Content-Disposition")) {
			static const char fd[] = "form-data";

			if (value.len < sizeof(fd) - 1 ||
			    strncasecmp(value.p, fd, sizeof(fd) - 1) != 0) {
				*why = "part disposition is not form-data";
				return -1;
			}
			if (!mock_form_param(value, "name", &fl->name)) {
				*why = "form-data part without a name";
				return -1;
			}
			fl->is_file =
			    mock_form_param(value, "filename", &fl->filename);
			disposition = true;
		} else if (str_eq_nocase(name, "Content-Type")) {
			fl->ctype = value;
		}
	}
	if (!disposition) {
		*why = "multipart part without Content-Disposition";
		return -1;
	}
	return 0;
}

/* mock_form_multipart_parse - split a multipart/form-data body. */
int
mock_form_multipart_parse(const char *body, size_t len, struct str boundary,
                          struct mock_form *form, const char **why)
{
	char delim[MOCK_FORM_BOUNDARY_MAX + 5];
	const char *p, *end = body + len;
	size_t dlen;

	if (boundary.len == 0 || boundary.len > MOCK_FORM_BOUNDARY_MAX) {
		*why = "bad multipart boundary";
		return -1;
	}
	/* delim is "\r\n--boundary"; the first one may lack the CRLF. */
	memcpy(delim, "\r\n--", 4);
	memcpy(delim + 4, boundary.p, boundary.len);
	dlen = boundary.len + 4;
	if (len >= dlen - 2 && memcmp(body, delim + 2, dlen - 2) == 0) {
		p = body + dlen - 2;
	} else {
		p = memmem(body, len, delim, dlen);
		if (p == NULL) {
			*why = "multipart body without its boundary";
			return -1;
		}
		p += dlen;
	}
	for (;;) {
		struct mock_form_field *fl;
		const char *hend, *next;
		struct str hdr;

		/* p is just past a delimiter. */
		if (end - p >= 2 && p[0] == '-' && p[1] == '-')
			return 0;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (end - p < 2 || p[0] != '\r' || p[1] != '\n') {
			*why = "multipart delimiter not followed by CRLF";
			return -1;
		}
		p += 2;
		if (end - p >= 2 && p[0] == '\r' && p[1] == '\n') {
			hdr = (struct str){p, 0};
			hend = p;
		} else {
			size_t room = (size_t)(end - p);

			if (room > MOCK_FORM_HEADER_MAX + 4)
				room = MOCK_FORM_HEADER_MAX + 4;
			hend = memmem(p, room, "\r\n\r\n", 4);
			if (hend == NULL) {
				*why = "multipart part headers unterminated "
				       "or too long";
				return -1;
			}
			hdr = (struct str){p, (size_t)(hend - p) + 2};
			hend += 2;
		}
		p = hend + 2;
		next = memmem(p, (size_t)(end - p), delim, dlen);
		if (next == NULL) {
			*why = "multipart body without a closing delimiter";
			return -1;
		}
		fl = mock_form_push(form);
		if (fl == NULL) {
			*why = "too many form fields";
			return -1;
		}
		if (mock_form_headers(hdr, fl, why) < 0)
			return -1;
		fl->value = (struct str){p, (size_t)(next - p)};
		p = next + dlen;
	}
}

/* mock_form_hex - value of a hex digit, or -1. */
static int
mock_form_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* mock_form_decode - decode s[0..n) in place; returns the new length or
 * -1 for a bad escape. */
static long
mock_form_decode(char *s, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '+') {
			s[o++] = ' ';
		} else if (s[i] == '%') {
			int hi, lo;

			if (i + 2 >= n)
				return -1;
			hi = mock_form_hex(s[i + 1]);
			lo = mock_form_hex(s[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			s[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else {
			s[o++] = s[i];
		}
	}
	return (long)o;
}

/* mock_form_urlencoded_parse - decode pairs in place. */
int
mock_form_urlencoded_parse(char *body, size_t len, struct mock_form *form,
                           const char **why)
{
	char *p = body, *end = body + len;

	while (p < end) {
		char *amp = memchr(p, '&', (size_t)(end - p));
		char *pe = amp ? amp : end, *eq;
		struct mock_form_field *fl;
		long nl, vl;

		if (pe == p) {
			p = pe + 1;
			continue;
		}
		eq = memchr(p, '=', (size_t)(pe - p));
		fl = mock_form_push(form);
		if (fl == NULL) {
			*why = "too many form fields";
			return -1;
		}
		nl = mock_form_decode(p, (size_t)((eq ? eq : pe) - p));
		vl = eq ? mock_form_decode(eq + 1, (size_t)(pe - eq - 1)) : 0;
		if (nl < 0 || vl < 0) {
			*why = "bad %-escape in form body";
			return -1;
		}
		fl->name = (struct str){p, (size_t)nl};
		fl->value = (struct str){eq ? eq + 1 : pe, (size_t)vl};
		p = pe + 1;
	}
	return 0;
}

/* mock_form_get - the first field called name. */
const struct mock_form_field *
mock_form_get(const struct mock_form *form, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < form->n; i++)
		if (form->f[i].name.len == n &&
		    memcmp(form->f[i].name.p, name, n) == 0)
			return &form->f[i];
	return NULL;
}
