/*
 * mime_8bit.c - 8-bit octets in a message: what they need of an SMTP
 * server (SMTPUTF8, 8BITMIME), and the RFC 6152 downgrade to 7 bits.
 *
 * The downgrade walks the MIME tree once, copying every byte it does not
 * have to change and re-encoding only the leaf parts that hold 8-bit
 * octets as quoted-printable. A multipart is cut at its boundary the way
 * mime.c reads it (RFC 2046 5.1.1; the line end before a delimiter
 * belongs to the delimiter; a missing close delimiter ends the last part
 * at the end of the body), but preamble, delimiters and epilogue are
 * kept byte for byte. What cannot be made 7-bit without changing what the
 * recipient reads (8-bit header fields, message/global, 8-bit octets in an
 * already encoded part) is refused with a reason, so the message goes to a
 * server that can take it as it is. Nothing here does I/O.
 */
#include "mime/mime_8bit.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/xmalloc.h"
#include "mime/header.h"
#include "mime/mime.h"
#include "mime/mime_int.h"

#define MIME_8BIT_DEPTH_MAX 32

/* mime_8bit_has - true if p[0..n) holds an octet 0x80 or above. Eight
 * octets at a time: it reads every message relayed. */
static bool
mime_8bit_has(const char *p, size_t n)
{
	const uint64_t high = 0x8080808080808080ULL;
	size_t i = 0;
	uint64_t w;

	for (; i + sizeof(w) <= n; i += sizeof(w)) {
		memcpy(&w, p + i, sizeof(w));
		if (w & high)
			return true;
	}
	for (; i < n; i++)
		if ((unsigned char)p[i] & 0x80)
			return true;
	return false;
}

unsigned
mime_8bit_scan(const char *msg, size_t len)
{
	size_t hlen = mime_header_len(msg, len);
	unsigned bits = 0;

	if (mime_8bit_has(msg, hlen))
		bits |= MIME_8BIT_HEADER;
	if (mime_8bit_has(msg + hlen, len - hlen))
		bits |= MIME_8BIT_BODY;
	return bits;
}

/* mime_8bit_addr - true if the address holds a non-ASCII octet. */
static bool
mime_8bit_addr(const char *a)
{
	return a != NULL && mime_8bit_has(a, strlen(a));
}

bool
mime_8bit_needs_smtputf8(const char *sender, const char *const *rcpts, size_t n,
                         const char *msg, size_t len)
{
	size_t i;

	if (mime_8bit_addr(sender))
		return true;
	for (i = 0; i < n; i++)
		if (mime_8bit_addr(rcpts[i]))
			return true;
	return mime_8bit_has(msg, mime_header_len(msg, len));
}

/* ---- the downgrade ---------------------------------------------------- */

/* One conversion in progress. */
struct mime_dg {
	struct buf *out;
	char *why;
	size_t whylen;
};

/* How an entity's content is labelled (Content-Transfer-Encoding). */
enum mime_dg_cte {
	MIME_DG_CTE_IDENTITY, /* none, 7bit, 8bit: lines as they are */
	MIME_DG_CTE_BINARY,   /* binary: identity too, but not 7-bit safe */
	MIME_DG_CTE_ENCODED,  /* base64, quoted-printable */
	MIME_DG_CTE_UNKNOWN,  /* an x-token or garbage */
};

/* The header facts of one entity. */
struct mime_dg_head {
	size_t hlen;       /* header section, its empty line included */
	struct str ctype;  /* Content-Type value; p NULL if absent */
	struct str cte;    /* Content-Transfer-Encoding value, likewise */
	bool mime_version; /* a MIME-Version field is present */
	enum mime_dg_cte enc;
};

/* mime_dg_fail - record why the message cannot be converted. */
static int
mime_dg_fail(struct mime_dg *g, const char *reason)
{
	snprintf(g->why, g->whylen, "%s", reason);
	return -1;
}

/* mime_dg_trim - the view without leading and trailing blanks. */
static struct str
mime_dg_trim(struct str s)
{
	while (s.len > 0 && (s.p[0] == ' ' || s.p[0] == '\t' ||
	                     s.p[0] == '\r' || s.p[0] == '\n')) {
		s.p++;
		s.len--;
	}
	while (s.len > 0 && (s.p[s.len - 1] == ' ' || s.p[s.len - 1] == '\t' ||
	                     s.p[s.len - 1] == '\r' || s.p[s.len - 1] == '\n'))
		s.len--;
	return s;
}

/* mime_dg_cte_kind - the label's kind (a missing label is identity). */
static enum mime_dg_cte
mime_dg_cte_kind(struct str v)
{
	size_t i;

	if (v.p == NULL)
		return MIME_DG_CTE_IDENTITY;
	v = mime_dg_trim(v);
	/* A comment or parameter after the token is not ours to judge. */
	for (i = 0; i < v.len; i++)
		if (v.p[i] == ' ' || v.p[i] == '\t' || v.p[i] == '(' ||
		    v.p[i] == ';')
			break;
	v.len = i;
	if (v.len == 0 || str_eq_nocase(v, "7bit") || str_eq_nocase(v, "8bit"))
		return MIME_DG_CTE_IDENTITY;
	if (str_eq_nocase(v, "binary"))
		return MIME_DG_CTE_BINARY;
	if (str_eq_nocase(v, "base64") || str_eq_nocase(v, "quoted-printable"))
		return MIME_DG_CTE_ENCODED;
	return MIME_DG_CTE_UNKNOWN;
}

/* mime_dg_head_read - find the fields the conversion depends on. */
static void
mime_dg_head_read(const char *p, size_t n, struct mime_dg_head *h)
{
	struct str name, value;
	size_t off = 0;

	memset(h, 0, sizeof(*h));
	h->hlen = mime_header_len(p, n);
	while (mime_header_field_next(p, h->hlen, &off, &name, &value)) {
		if (str_eq_nocase(name, "Content-Type") && h->ctype.p == NULL)
			h->ctype = value;
		else if (str_eq_nocase(name, "Content-Transfer-Encoding") &&
		         h->cte.p == NULL)
			h->cte = value;
		else if (str_eq_nocase(name, "MIME-Version"))
			h->mime_version = true;
	}
	h->enc = mime_dg_cte_kind(h->cte);
}

/* mime_dg_blank_at - where the empty line that ends p[0..hlen) starts, or
 * hlen when the section has none (it ended at a line that is no field). */
static size_t
mime_dg_blank_at(const char *p, size_t hlen)
{
	if (hlen >= 2 && p[hlen - 2] == '\r' && p[hlen - 1] == '\n' &&
	    (hlen == 2 || p[hlen - 3] == '\n'))
		return hlen - 2;
	if (hlen >= 1 && p[hlen - 1] == '\n' &&
	    (hlen == 1 || p[hlen - 2] == '\n'))
		return hlen - 1;
	return hlen;
}

/*
 * mime_dg_head_write - copy the header section p[0..h->hlen), without its
 * Content-Transfer-Encoding fields when drop_cte, with the lines extra
 * (CRLF-terminated, may be NULL) before the empty line that ends it.
 */
static void
mime_dg_head_write(struct mime_dg *g, const char *p,
                   const struct mime_dg_head *h, bool drop_cte,
                   const char *extra)
{
	size_t blank = mime_dg_blank_at(p, h->hlen), off = 0, start;
	struct str name, value;

	if (!drop_cte && extra == NULL) {
		buf_add(g->out, p, h->hlen);
		return;
	}
	while (mime_header_field_next(p, blank, &off, &name, &value)) {
		start = (size_t)(name.p - p);
		if (drop_cte &&
		    str_eq_nocase(name, "Content-Transfer-Encoding"))
			continue;
		buf_add(g->out, p + start, off - start);
	}
	if (extra != NULL)
		buf_addstr(g->out, extra);
	if (blank < h->hlen)
		buf_add(g->out, p + blank, h->hlen - blank);
	else
		buf_add(g->out, "\r\n", 2); /* the section had no end: add it */
}

/* mime_dg_qp_literal - may octet c stand for itself in quoted-printable
 * (eol: it is the last octet of its line)? RFC 2045 6.7 rules (1)-(3). */
static bool
mime_dg_qp_literal(unsigned char c, bool eol)
{
	if (c == ' ' || c == '\t')
		return !eol; /* trailing white space would be lost */
	return c >= 33 && c <= 126 && c != '=';
}

/*
 * mime_dg_qp - append p[0..n) as quoted-printable: CRLF pairs stay hard
 * line breaks; every other octet is kept or written as =XX, with soft line
 * breaks so that no line is longer than 76 characters.
 */
static void
mime_dg_qp(struct buf *out, const char *p, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i = 0, col = 0, w;
	unsigned char c;
	bool eol;
	char enc[3];

	while (i < n) {
		c = (unsigned char)p[i];
		if (c == '\r' && i + 1 < n && p[i + 1] == '\n') {
			buf_add(out, "\r\n", 2);
			col = 0;
			i += 2;
			continue;
		}
		eol = i + 1 == n ||
		      (i + 2 < n && p[i + 1] == '\r' && p[i + 2] == '\n');
		w = mime_dg_qp_literal(c, eol) ? 1 : 3;
		/* Room for the soft break's '=' unless the line ends here. */
		if (col + w > (eol ? 76u : 75u)) {
			buf_add(out, "=\r\n", 3);
			col = 0;
		}
		if (w == 1) {
			buf_addch(out, (char)c);
		} else {
			enc[0] = '=';
			enc[1] = hex[c >> 4];
			enc[2] = hex[c & 15];
			buf_add(out, enc, 3);
		}
		col += w;
		i++;
	}
}

static int mime_dg_entity(struct mime_dg *g, const char *p, size_t n,
                          unsigned depth, bool digest_child, bool top);

/* mime_dg_multipart - convert the body p[0..n) of a multipart cut at
 * boundary b; children of multipart/digest default to message/rfc822. */
static int
mime_dg_multipart(struct mime_dg *g, const char *p, size_t n, const char *b,
                  unsigned depth, bool digest)
{
	size_t bl = strlen(b), pos = 0, start = 0, content, adv, end;
	bool open = false, close = false;

	while (pos < n) {
		adv = mime_eol(p + pos, n - pos, &content);
		if (!mime_delim(p + pos, content, b, bl, &close)) {
			pos += adv;
			continue;
		}
		if (!open) {
			if (mime_8bit_has(p, pos))
				return mime_dg_fail(
				    g, "8-bit octets in a multipart preamble");
			buf_add(g->out, p, pos);
		} else {
			/* The line end before a delimiter is the delimiter's.
			 */
			end = pos;
			if (end > start && p[end - 1] == '\n')
				end--;
			if (end > start && p[end - 1] == '\r')
				end--;
			if (mime_dg_entity(g, p + start, end - start, depth + 1,
			                   digest, false) < 0)
				return -1;
			buf_add(g->out, p + end, pos - end);
		}
		buf_add(g->out, p + pos, adv);
		open = true;
		pos += adv;
		start = pos;
		if (close) {
			if (mime_8bit_has(p + pos, n - pos))
				return mime_dg_fail(
				    g, "8-bit octets in a multipart epilogue");
			buf_add(g->out, p + pos, n - pos);
			return 0;
		}
	}
	if (!open)
		return mime_dg_fail(g, "malformed multipart: no boundary "
		                       "delimiter");
	/* No close delimiter: the last part runs to the end. */
	return mime_dg_entity(g, p + start, n - start, depth + 1, digest,
	                      false);
}

/*
 * mime_dg_entity - convert one entity p[0..n) (a whole message when top,
 * else a body part; digest_child: its default type is message/rfc822).
 */
static int
mime_dg_entity(struct mime_dg *g, const char *p, size_t n, unsigned depth,
               bool digest_child, bool top)
{
	struct mime_dg_head h;
	struct mime_param *params = NULL;
	size_t nparams = 0;
	unsigned flags = 0;
	char *type = NULL;
	const char *boundary, *extra;
	bool container;
	int rc = -1;

	if (!mime_8bit_has(p, n)) {
		buf_add(g->out, p, n);
		return 0;
	}
	if (depth > MIME_8BIT_DEPTH_MAX)
		return mime_dg_fail(g, "MIME nesting too deep to convert");
	mime_dg_head_read(p, n, &h);
	if (mime_8bit_has(p, h.hlen))
		return mime_dg_fail(g, top ? "8-bit octets in the header "
		                             "section (needs SMTPUTF8)"
		                           : "8-bit octets in a MIME part's "
		                             "header");
	if (h.ctype.p == NULL ||
	    mime_ctype_parse(h.ctype.p, h.ctype.len, true, &type, &params,
	                     &nparams, &flags) < 0) {
		free(type);
		type = NULL;
	}
	if (type == NULL)
		type = xstrdup(digest_child ? "message/rfc822" : "text/plain");
	container = strncmp(type, "multipart/", 10) == 0 ||
	            strcmp(type, "message/rfc822") == 0;
	if (strcmp(type, "message/global") == 0) {
		mime_dg_fail(g, "a message/global part cannot be converted");
	} else if (h.enc == MIME_DG_CTE_ENCODED) {
		mime_dg_fail(g, "8-bit octets in a base64 or quoted-printable "
		                "part");
	} else if (h.enc == MIME_DG_CTE_UNKNOWN) {
		mime_dg_fail(g, "8-bit octets under an unknown "
		                "Content-Transfer-Encoding");
	} else if (container) {
		/* The children are made 7-bit, so an 8bit or binary label
		 * goes (7bit is the default). */
		extra = top && !h.mime_version ? "MIME-Version: 1.0\r\n" : NULL;
		mime_dg_head_write(g, p, &h, h.cte.p != NULL, extra);
		if (type[0] == 'm' && type[1] == 'e') {
			rc = mime_dg_entity(g, p + h.hlen, n - h.hlen,
			                    depth + 1, false, false);
		} else {
			boundary = mime_param_get(params, nparams, "boundary");
			if (boundary == NULL || boundary[0] == '\0' ||
			    strlen(boundary) > 70)
				mime_dg_fail(g, "malformed multipart: no "
				                "usable boundary");
			else
				rc = mime_dg_multipart(
				    g, p + h.hlen, n - h.hlen, boundary, depth,
				    strcmp(type, "multipart/digest") == 0);
		}
	} else {
		extra = top && !h.mime_version
		            ? "MIME-Version: 1.0\r\n"
		              "Content-Transfer-Encoding: quoted-printable\r\n"
		            : "Content-Transfer-Encoding: quoted-printable\r\n";
		mime_dg_head_write(g, p, &h, true, extra);
		mime_dg_qp(g->out, p + h.hlen, n - h.hlen);
		rc = 0;
	}
	free(type);
	mime_params_free(params, nparams);
	return rc;
}

int
mime_8bit_downgrade(const char *msg, size_t len, struct buf *out, char *why,
                    size_t whylen)
{
	struct mime_dg g = {.out = out, .why = why, .whylen = whylen};

	if (whylen > 0)
		why[0] = '\0';
	return mime_dg_entity(&g, msg, len, 0, false, true);
}
