/*
 * api_json_fast.c - the send API's JSON parsed in one pass over the bytes
 * (see api_json_fast.h). Every path that is not plainly valid JSON of the
 * shapes taken here returns NULL: jansson has the last word.
 */
#include "ingress/api_json_fast.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/xmalloc.h"
#include "mime/mime.h"

#define FAST_DEPTH_MAX 32  /* deeper: jansson's business */
#define FAST_DIGITS_MAX 18 /* fits an int64 whatever the digits */

struct fast {
	const char *p, *end;
	struct buf tmp; /* a string with escapes, decoded */
};

static json_t *fast_value(struct fast *f, int depth);

/* fast_ws - skip JSON whitespace. */
static void
fast_ws(struct fast *f)
{
	while (f->p < f->end && (*f->p == ' ' || *f->p == '\n' ||
	                         *f->p == '\r' || *f->p == '\t'))
		f->p++;
}

/* fast_hex4 - the four hex digits at p as a number, or -1. */
static long
fast_hex4(const char *p)
{
	long v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/* fast_utf8_put - append code point cp (valid, not a surrogate). */
static void
fast_utf8_put(struct buf *b, uint32_t cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		u[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	buf_add(b, u, n);
}

/*
 * fast_escape - decode the escape at f->p (just after the backslash)
 * into f->tmp. 0, or -1 when not sure (jansson decides).
 */
static int
fast_escape(struct fast *f)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *k;
	long hi, lo;

	if (f->p >= f->end)
		return -1;
	if (*f->p != 'u') {
		if (*f->p == '\0' || (k = strchr(from, *f->p)) == NULL)
			return -1;
		buf_addch(&f->tmp, to[k - from]);
		f->p++;
		return 0;
	}
	if (f->end - f->p < 5 || (hi = fast_hex4(f->p + 1)) < 0)
		return -1;
	f->p += 5;
	if (hi >= 0xdc00 && hi <= 0xdfff)
		return -1; /* a lone low surrogate */
	if (hi >= 0xd800 && hi <= 0xdbff) {
		if (f->end - f->p < 6 || f->p[0] != '\\' || f->p[1] != 'u' ||
		    (lo = fast_hex4(f->p + 2)) < 0xdc00 || lo > 0xdfff)
			return -1;
		f->p += 6;
		hi = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
	}
	fast_utf8_put(&f->tmp, (uint32_t)hi);
	return 0;
}

/*
 * fast_string - the string at f->p (just after its opening quote): *s,
 * *n are its decoded bytes (in the input when it has no escape, else in
 * f->tmp). 0, or -1 when not sure.
 */
static int
fast_string(struct fast *f, const char **s, size_t *n)
{
	const char *run = f->p;
	bool esc = false;
	uint32_t cp;
	size_t k;

	f->tmp.len = 0;
	while (f->p < f->end) {
		unsigned char c = (unsigned char)*f->p;
		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			f->p++;
			continue;
		}
		if (c == '"') {
			if (!esc) {
				*s = run;
				*n = (size_t)(f->p - run);
			} else {
				buf_add(&f->tmp, run, (size_t)(f->p - run));
				*s = f->tmp.p ? f->tmp.p : "";
				*n = f->tmp.len;
			}
			f->p++;
			return 0;
		}
		if (c == '\\') {
			buf_add(&f->tmp, run, (size_t)(f->p - run));
			esc = true;
			f->p++;
			if (fast_escape(f) < 0)
				return -1;
			run = f->p;
			continue;
		}
		if (c < 0x20)
			return -1; /* a control character: jansson says so */
		k = mime_utf8_char(f->p, (size_t)(f->end - f->p), &cp);
		if (k == 0)
			return -1;
		f->p += k;
	}
	return -1;
}

/* fast_number - an integer of at most FAST_DIGITS_MAX digits, or NULL. */
static json_t *
fast_number(struct fast *f)
{
	const char *start;
	bool neg = false;
	int64_t v = 0;

	if (*f->p == '-') {
		neg = true;
		f->p++;
	}
	start = f->p;
	for (; f->p < f->end && *f->p >= '0' && *f->p <= '9'; f->p++)
		if (f->p - start < FAST_DIGITS_MAX)
			v = v * 10 + (*f->p - '0');
	if (f->p == start || f->p - start > FAST_DIGITS_MAX ||
	    (*start == '0' && f->p - start > 1))
		return NULL;
	if (f->p < f->end && (*f->p == '.' || *f->p == 'e' || *f->p == 'E'))
		return NULL; /* a real: jansson's strtod has the last word */
	return json_integer(neg ? -v : v);
}

/* fast_word - the literal w at f->p, or false. */
static bool
fast_word(struct fast *f, const char *w, size_t n)
{
	if ((size_t)(f->end - f->p) < n || memcmp(f->p, w, n) != 0)
		return false;
	f->p += n;
	return true;
}

/*
 * fast_member - one "key": value of the object o at f->p (the opening
 * quote). 0, or -1 when not sure: a duplicate key or a NUL in one are
 * jansson's errors to give.
 */
static int
fast_member(struct fast *f, json_t *o, int depth)
{
	char small[64], *key = small;
	const char *s;
	json_t *v = NULL;
	size_t n;
	int rc = -1;

	f->p++;
	if (fast_string(f, &s, &n) < 0 || memchr(s, '\0', n) != NULL ||
	    json_object_getn(o, s, n) != NULL)
		return -1;
	/* The key may sit in f->tmp, which the value reuses: copy it. */
	if (n >= sizeof(small))
		key = xmalloc(n + 1);
	memcpy(key, s, n);
	key[n] = '\0';
	fast_ws(f);
	if (f->p < f->end && *f->p == ':') {
		f->p++;
		v = fast_value(f, depth);
	}
	if (v != NULL)
		rc = json_object_setn_new_nocheck(o, key, n, v) == 0 ? 0 : -1;
	if (key != small)
		free(key);
	return rc;
}

/* fast_object - the object at f->p (after '{'), or NULL. */
static json_t *
fast_object(struct fast *f, int depth)
{
	json_t *o = json_object();

	fast_ws(f);
	if (o != NULL && f->p < f->end && *f->p == '}') {
		f->p++;
		return o;
	}
	while (o != NULL && f->p < f->end && *f->p == '"') {
		if (fast_member(f, o, depth) < 0)
			break;
		fast_ws(f);
		if (f->p < f->end && *f->p == ',') {
			f->p++;
			fast_ws(f);
			continue;
		}
		if (f->p < f->end && *f->p == '}') {
			f->p++;
			return o;
		}
		break;
	}
	json_decref(o);
	return NULL;
}

/* fast_array - the array at f->p (after '['), or NULL. */
static json_t *
fast_array(struct fast *f, int depth)
{
	json_t *a = json_array(), *v;

	fast_ws(f);
	if (f->p < f->end && *f->p == ']') {
		f->p++;
		return a;
	}
	while (a != NULL) {
		v = fast_value(f, depth);
		if (v == NULL || json_array_append_new(a, v) != 0)
			break;
		fast_ws(f);
		if (f->p < f->end && *f->p == ',') {
			f->p++;
			continue;
		}
		if (f->p < f->end && *f->p == ']') {
			f->p++;
			return a;
		}
		break;
	}
	json_decref(a);
	return NULL;
}

/* fast_value - the value at f->p (whitespace first), or NULL. */
static json_t *
fast_value(struct fast *f, int depth)
{
	const char *s;
	size_t n;

	fast_ws(f);
	if (f->p >= f->end || depth >= FAST_DEPTH_MAX)
		return NULL;
	switch (*f->p) {
	case '{':
		f->p++;
		return fast_object(f, depth + 1);
	case '[':
		f->p++;
		return fast_array(f, depth + 1);
	case '"':
		f->p++;
		if (fast_string(f, &s, &n) < 0)
			return NULL;
		return json_stringn_nocheck(s, n);
	case 't':
		return fast_word(f, "true", 4) ? json_true() : NULL;
	case 'f':
		return fast_word(f, "false", 5) ? json_false() : NULL;
	case 'n':
		return fast_word(f, "null", 4) ? json_null() : NULL;
	default:
		if (*f->p == '-' || (*f->p >= '0' && *f->p <= '9'))
			return fast_number(f);
		return NULL;
	}
}

json_t *
api_json_fast_load(const char *buf, size_t len)
{
	struct fast f = {buf, buf + len, {0}};
	json_t *root = NULL;

	fast_ws(&f);
	if (f.p < f.end && (*f.p == '{' || *f.p == '['))
		root = fast_value(&f, 0);
	fast_ws(&f);
	if (root != NULL && f.p != f.end) {
		json_decref(root); /* something after the value */
		root = NULL;
	}
	buf_fini(&f.tmp);
	return root;
}
