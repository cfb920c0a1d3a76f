/*
 * mime.c - the MIME reader: header sections and the body tree.
 *
 * Splits a whole message into header fields (unfolded) and body, then
 * walks the body as a tree of entities: multiparts are cut at their
 * boundary delimiters (RFC 2046 5.1.1: preamble and epilogue dropped,
 * trailing blanks on delimiter lines allowed, a missing close delimiter
 * flagged), leaves have their transfer encoding undone, and text/plain
 * and text/html leaves are converted to UTF-8. The decoded Subject and
 * address fields are filled in for the top level. The extraction for JSON
 * providers and the faithfulness verdict live in mime_json.c.
 *
 * It does not parse inside message/rfc822 parts (they are kept as bytes
 * and make the message unfaithful) and it never guesses: what it cannot
 * read is flagged. Nothing points into the input after mime_parse().
 */
#include "mime/mime.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/base64.h"
#include "core/xmalloc.h"
#include "mime/mime_int.h"

/* mime_flag_text - static text for the lowest bit in flags. */
static const char *
mime_flag_text(unsigned flags)
{
	static const char *const text[] = {
	    "malformed header",
	    "malformed multipart boundary",
	    "bad transfer encoding",
	    "bytes invalid in their charset",
	    "unknown charset",
	    "multipart nesting too deep",
	    "too many parts, fields or parameters",
	    "malformed address",
	    "malformed MIME parameter",
	};
	size_t i;

	for (i = 0; i < sizeof(text) / sizeof(text[0]); i++)
		if (flags & (1u << i))
			return text[i];
	return "malformed message";
}

/* mime_note - record new flag bits in m; text (or a default) if first. */
void
mime_note(struct mime_msg *m, unsigned bits, const char *text)
{
	if (bits == 0)
		return;
	if (m->error == NULL)
		m->error = text ? text : mime_flag_text(bits);
	m->flags |= bits;
}

/* mime_eol - length of the line ending at p[0..n) (CRLF, LF or none). */
size_t
mime_eol(const char *p, size_t n, size_t *content)
{
	const char *lf = memchr(p, '\n', n);

	if (lf == NULL) {
		*content = n;
		return n;
	}
	*content = (size_t)(lf - p);
	if (*content > 0 && p[*content - 1] == '\r')
		(*content)--;
	return (size_t)(lf - p) + 1;
}

/* mime_field_name - length of the field name at a header line, or 0. */
static size_t
mime_field_name(const char *p, size_t n, size_t *colon)
{
	size_t i, end;

	for (i = 0; i < n && p[i] > ' ' && p[i] < 0x7f && p[i] != ':'; i++)
		;
	end = i;
	/* obs-optional: blanks between the name and the colon. */
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	if (end == 0 || i >= n || p[i] != ':')
		return 0;
	*colon = i;
	return end;
}

/* mime_fields_free - release n fields and the array. */
static void
mime_fields_free(struct mime_field *f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(f[i].name);
		free(f[i].value);
	}
	free(f);
}

/* mime_field_finish - trim the value being built in v into field f. */
static void
mime_field_finish(struct mime_msg *m, struct mime_field *f, struct buf *v)
{
	size_t a = 0, b = v->len;

	/* A NUL would silently cut the value short where it is a C string. */
	if (v->len > 0 && memchr(v->p, '\0', v->len))
		mime_note(m, MIME_F_HEADER, "NUL byte in header field");

	while (a < b && (v->p[a] == ' ' || v->p[a] == '\t'))
		a++;
	while (b > a && (v->p[b - 1] == ' ' || v->p[b - 1] == '\t'))
		b--;
	f->value = xmemdup(v->p ? v->p + a : "", b - a);
	v->len = 0;
}

/*
 * mime_fields_parse - read the header section at p[0..n) into *fp and *np;
 * returns the offset where the body starts.
 */
static size_t
mime_fields_parse(struct mime_msg *m, const char *p, size_t n,
                  struct mime_field **fp, size_t *np)
{
	struct mime_field *f = NULL;
	struct buf v;
	size_t pos = 0, nf = 0, cap = 0;
	bool open = false, skipping = false;

	buf_init(&v);
	while (pos < n) {
		size_t content, adv, name, colon;

		adv = mime_eol(p + pos, n - pos, &content);
		if (content == 0 && adv > 0) {
			pos += adv;
			break;
		}
		if (p[pos] == ' ' || p[pos] == '\t') {
			if (open)
				buf_add(&v, p + pos, content);
			else if (!skipping)
				mime_note(m, MIME_F_HEADER,
				          "header continuation without field");
			pos += adv;
			continue;
		}
		name = mime_field_name(p + pos, content, &colon);
		if (name == 0) {
			/* Not a field: the body starts here (as Postfix). */
			mime_note(m, MIME_F_HEADER, "malformed header line");
			break;
		}
		if (open)
			mime_field_finish(m, &f[nf - 1], &v);
		open = false;
		skipping = false;
		if (nf == MIME_MAX_FIELDS) {
			mime_note(m, MIME_F_LIMIT, "too many header fields");
			skipping = true;
			pos += adv;
			continue;
		}
		if (nf == cap) {
			cap = cap ? cap * 2 : 16;
			f = xreallocarray(f, cap, sizeof(*f));
		}
		f[nf].name = xmemdup(p + pos, name);
		f[nf].value = NULL;
		nf++;
		open = true;
		buf_add(&v, p + pos + colon + 1, content - colon - 1);
		pos += adv;
	}
	if (open)
		mime_field_finish(m, &f[nf - 1], &v);
	buf_fini(&v);
	*fp = f;
	*np = nf;
	return pos;
}

/* mime_fields_find - the first field named name in f[0..n), or NULL. */
static const struct mime_field *
mime_fields_find(const struct mime_field *f, size_t n, const char *name,
                 size_t *count)
{
	const struct mime_field *first = NULL;
	size_t i;

	*count = 0;
	for (i = 0; i < n; i++) {
		if (strcasecmp(f[i].name, name) != 0)
			continue;
		if (first == NULL)
			first = &f[i];
		(*count)++;
	}
	return first;
}

/* mime_part_field - first field of part p, flagging duplicates. */
static const char *
mime_part_field(struct mime_msg *m, const struct mime_part *p, const char *name)
{
	size_t count;
	const struct mime_field *f =
	    mime_fields_find(p->fields, p->nfields, name, &count);

	if (count > 1)
		mime_note(m, MIME_F_HEADER, "duplicate MIME header field");
	return f ? f->value : NULL;
}

static struct mime_part *mime_entity_parse(struct mime_msg *m, const char *p,
                                           size_t n, int depth,
                                           const char *deftype);

/* mime_child_add - parse p[0..n) as the next child of parent. */
static void
mime_child_add(struct mime_msg *m, struct mime_part *parent, const char *p,
               size_t n)
{
	const char *def = strcmp(parent->type, "multipart/digest") == 0
	                      ? "message/rfc822"
	                      : "text/plain";

	if (m->nparts >= MIME_MAX_PARTS) {
		mime_note(m, MIME_F_LIMIT, "too many MIME parts");
		return;
	}
	parent->children = xreallocarray(
	    parent->children, parent->nchildren + 1, sizeof(*parent->children));
	parent->children[parent->nchildren++] =
	    mime_entity_parse(m, p, n, parent->depth + 1, def);
}

/* mime_delim - see mime_int.h. */
bool
mime_delim(const char *p, size_t n, const char *b, size_t bl, bool *close)
{
	size_t i;

	if (n < bl + 2 || p[0] != '-' || p[1] != '-' ||
	    memcmp(p + 2, b, bl) != 0)
		return false;
	i = bl + 2;
	*close = n - i >= 2 && p[i] == '-' && p[i + 1] == '-';
	if (*close)
		i += 2;
	for (; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t')
			return false;
	return true;
}

/* mime_multipart_split - cut body[0..n) at boundary b into children. */
static void
mime_multipart_split(struct mime_msg *m, struct mime_part *part,
                     const char *body, size_t n, const char *b)
{
	size_t bl = strlen(b), pos = 0, start = 0;
	bool open = false, closed = false;

	if (bl == 0 || bl > 70)
		mime_note(m, MIME_F_BOUNDARY, "boundary length not 1..70");
	if (bl == 0)
		return;
	while (pos < n && !closed) {
		size_t content, adv = mime_eol(body + pos, n - pos, &content);
		bool close;

		if (mime_delim(body + pos, content, b, bl, &close)) {
			if (open) {
				/* The line end before a delimiter is its own.
				 */
				size_t end = pos;

				if (end > start && body[end - 1] == '\n')
					end--;
				if (end > start && body[end - 1] == '\r')
					end--;
				mime_child_add(m, part, body + start,
				               end - start);
			}
			open = true;
			closed = close;
			start = pos + adv;
		}
		pos += adv;
	}
	if (!open) {
		mime_note(m, MIME_F_BOUNDARY, "no boundary delimiter found");
	} else if (!closed) {
		mime_note(m, MIME_F_BOUNDARY, "missing close delimiter");
		mime_child_add(m, part, body + start, n - start);
	} else if (part->nchildren == 0) {
		mime_note(m, MIME_F_BOUNDARY, "multipart without body parts");
	}
}

/* mime_cte_parse - the transfer encoding named by value (NULL: 7bit). */
static enum mime_cte
mime_cte_parse(struct mime_msg *m, const char *value)
{
	static const char *const names[] = {"7bit", "8bit", "binary", "base64",
	                                    "quoted-printable"};
	struct mime_param *params;
	size_t np, i;
	char *tok;
	unsigned flags = 0;
	enum mime_cte cte = MIME_CTE_UNKNOWN;

	if (value == NULL)
		return MIME_CTE_7BIT;
	if (mime_ctype_parse(value, strlen(value), false, &tok, &params, &np,
	                     &flags) == 0) {
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (tok && strcmp(tok, names[i]) == 0)
				cte = (enum mime_cte)i;
	}
	free(tok);
	mime_params_free(params, np);
	if (cte == MIME_CTE_UNKNOWN || np > 0 || flags)
		mime_note(m, MIME_F_ENCODING, "unknown transfer encoding");
	return cte;
}

/* mime_leaf_decode - undo part's transfer encoding of p[0..n). */
static void
mime_leaf_decode(struct mime_msg *m, struct mime_part *part, const char *p,
                 size_t n)
{
	struct buf b;
	int rc = 0;

	buf_init(&b);
	if (part->cte == MIME_CTE_BASE64)
		rc = base64_decode_buf((struct str){p, n}, BASE64_MIME, &b);
	else if (part->cte == MIME_CTE_QP)
		rc = mime_qp_decode(p, n, &b);
	else
		buf_add(&b, p, n);
	if (rc < 0)
		mime_note(m, MIME_F_ENCODING,
		          part->cte == MIME_CTE_BASE64
		              ? "invalid base64"
		              : "invalid quoted-printable");
	buf_cstr(&b);
	part->data = (unsigned char *)buf_steal(&b, &part->len);

	/* Bodies a JSON provider sends as text need UTF-8. */
	if ((strcmp(part->type, "text/plain") == 0 ||
	     strcmp(part->type, "text/html") == 0) &&
	    (part->disposition == NULL ||
	     strcmp(part->disposition, "attachment") != 0)) {
		buf_init(&b);
		part->cs_flags = mime_charset_to_utf8(
		    part->charset ? part->charset : "us-ascii",
		    (const char *)part->data, part->len, &b);
		if (part->cs_flags == 0) {
			buf_cstr(&b);
			part->utf8 = buf_steal(&b, &part->utf8_len);
		} else {
			buf_fini(&b);
		}
	}
}

/* mime_part_describe - fill type, params, disposition, names of part. */
static void
mime_part_describe(struct mime_msg *m, struct mime_part *part,
                   const char *deftype)
{
	const char *v;
	const char *fn;
	unsigned flags = 0;

	v = mime_part_field(m, part, "Content-Type");
	if (v != NULL &&
	    mime_ctype_parse(v, strlen(v), true, &part->type, &part->params,
	                     &part->nparams, &flags) < 0) {
		/* RFC 2045 5.2 says default, but then it is not faithful. */
		free(part->type);
		part->type = NULL;
		mime_params_free(part->params, part->nparams);
		part->params = NULL;
		part->nparams = 0;
		flags |= MIME_F_PARAM;
	}
	if (part->type == NULL)
		part->type = xstrdup(v ? "text/plain" : deftype);
	v = mime_param_get(part->params, part->nparams, "charset");
	if (v != NULL) {
		part->charset = xstrdup(v);
		for (char *c = part->charset; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
	}
	part->cte = mime_cte_parse(
	    m, mime_part_field(m, part, "Content-Transfer-Encoding"));
	v = mime_part_field(m, part, "Content-Disposition");
	if (v != NULL &&
	    mime_ctype_parse(v, strlen(v), false, &part->disposition,
	                     &part->dparams, &part->ndparams, &flags) < 0)
		flags |= MIME_F_PARAM;
	fn = mime_param_get(part->dparams, part->ndparams, "filename");
	if (fn == NULL)
		fn = mime_param_get(part->params, part->nparams, "name");
	if (fn != NULL)
		part->filename = xstrdup(fn);
	v = mime_part_field(m, part, "Content-ID");
	if (v != NULL) {
		size_t l = strlen(v);

		if (l >= 2 && v[0] == '<' && v[l - 1] == '>')
			part->content_id = xstrndup(v + 1, l - 2);
		else
			part->content_id = xstrdup(v);
	}
	mime_note(m, flags, NULL);
}

/* mime_entity_parse - parse one entity (header section and body). */
static struct mime_part *
mime_entity_parse(struct mime_msg *m, const char *p, size_t n, int depth,
                  const char *deftype)
{
	struct mime_part *part = xcalloc(1, sizeof(*part));
	size_t off;
	const char *b;

	m->nparts++;
	part->depth = depth;
	off = mime_fields_parse(m, p, n, &part->fields, &part->nfields);
	mime_part_describe(m, part, deftype);
	if (strncmp(part->type, "multipart/", 10) != 0) {
		mime_leaf_decode(m, part, p + off, n - off);
		return part;
	}
	if (part->cte != MIME_CTE_7BIT && part->cte != MIME_CTE_8BIT &&
	    part->cte != MIME_CTE_BINARY)
		mime_note(m, MIME_F_ENCODING, "encoded multipart");
	if (depth >= MIME_MAX_DEPTH) {
		mime_note(m, MIME_F_DEPTH, NULL);
		return part;
	}
	b = mime_param_get(part->params, part->nparams, "boundary");
	if (b == NULL)
		mime_note(m, MIME_F_BOUNDARY, "multipart without boundary");
	else
		mime_multipart_split(m, part, p + off, n - off, b);
	return part;
}

/* mime_part_free - release part and its subtree. */
static void
mime_part_free(struct mime_part *part)
{
	size_t i;

	if (part == NULL)
		return;
	for (i = 0; i < part->nchildren; i++)
		mime_part_free(part->children[i]);
	free(part->children);
	mime_fields_free(part->fields, part->nfields);
	free(part->type);
	free(part->charset);
	mime_params_free(part->params, part->nparams);
	free(part->disposition);
	mime_params_free(part->dparams, part->ndparams);
	free(part->filename);
	free(part->content_id);
	free(part->data);
	free(part->utf8);
	free(part);
}

/* mime_addrs_field - decode address field name of the top level. */
static void
mime_addrs_field(struct mime_msg *m, const char *name, struct mime_addr **v,
                 size_t *nv, bool *groups)
{
	size_t count;
	const struct mime_field *f =
	    mime_fields_find(m->root->fields, m->root->nfields, name, &count);
	unsigned flags = 0;

	if (count > 1)
		mime_note(m, MIME_F_HEADER, "duplicate address header field");
	if (f == NULL)
		return;
	mime_addrs_parse(f->value, strlen(f->value), v, nv, groups, &flags);
	mime_note(m, flags, NULL);
}

/* mime_parse - parse the message msg[0..len) into a new mime_msg. */
struct mime_msg *
mime_parse(const char *msg, size_t len)
{
	struct mime_msg *m = xcalloc(1, sizeof(*m));
	const struct mime_field *f;
	size_t count;
	unsigned flags = 0;

	m->root = mime_entity_parse(m, msg ? msg : "", msg ? len : 0, 0,
	                            "text/plain");
	m->fields = m->root->fields;
	m->nfields = m->root->nfields;
	f = mime_fields_find(m->fields, m->nfields, "Subject", &count);
	if (count > 1)
		mime_note(m, MIME_F_HEADER, "duplicate Subject field");
	if (f != NULL) {
		struct buf b;

		buf_init(&b);
		mime_words_decode(f->value, strlen(f->value), &b, &flags);
		buf_cstr(&b);
		m->subject = buf_steal(&b, NULL);
		mime_note(m, flags, NULL);
	}
	mime_addrs_field(m, "From", &m->from, &m->nfrom, &m->groups);
	mime_addrs_field(m, "To", &m->to, &m->nto, &m->groups);
	mime_addrs_field(m, "Cc", &m->cc, &m->ncc, &m->groups);
	mime_addrs_field(m, "Reply-To", &m->reply_to, &m->nreply_to,
	                 &m->groups);
	mime_json_extract(m);
	return m;
}

/* mime_free - release m and everything it owns; NULL is a no-op. */
void
mime_free(struct mime_msg *m)
{
	if (m == NULL)
		return;
	free(m->subject);
	mime_addrs_free(m->from, m->nfrom);
	mime_addrs_free(m->to, m->nto);
	mime_addrs_free(m->cc, m->ncc);
	mime_addrs_free(m->reply_to, m->nreply_to);
	mime_part_free(m->root);
	free(m->attachments);
	free(m->custom);
	free(m);
}

/* mime_field_get - value of m's first top-level field name, or NULL. */
const char *
mime_field_get(const struct mime_msg *m, const char *name)
{
	size_t count;
	const struct mime_field *f =
	    mime_fields_find(m->fields, m->nfields, name, &count);

	return f ? f->value : NULL;
}
