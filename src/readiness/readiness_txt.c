/*
 * readiness_txt.c - SPF include and DMARC policy parsing (see
 * readiness_txt.h).
 */
#include "readiness/readiness_txt.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* txt_bytes_ok - no control or non-ASCII byte in txt, and not too long;
 * else a reason in err. */
static bool
txt_bytes_ok(const char *txt, size_t len, char *err, size_t errlen)
{
	size_t i;

	if (len > READINESS_TXT_MAX) {
		snprintf(err, errlen, "record longer than %d bytes",
		         READINESS_TXT_MAX);
		return false;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)txt[i];

		if (c != '\t' && (c < 0x20 || c > 0x7e)) {
			snprintf(err, errlen, "byte 0x%02x at offset %zu", c,
			         i);
			return false;
		}
	}
	return true;
}

/* is_space - SPF/DMARC term separators. */
static bool
is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* domain_ok - a plausible domain name (letters, digits, '-', '_', '.',
 * no empty label), or a macro-free name; length n. */
static bool
domain_ok(const char *d, size_t n)
{
	size_t i, label = 0;

	if (n == 0 || n > 253)
		return false;
	for (i = 0; i < n; i++) {
		char c = d[i];

		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
		if (++label > 63)
			return false;
	}
	return true;
}

/* domain_eq - d (n bytes) names want, case-insensitively, a trailing
 * dot on either ignored. */
static bool
domain_eq(const char *d, size_t n, const char *want)
{
	size_t wn = strlen(want);

	if (n > 0 && d[n - 1] == '.')
		n--;
	if (wn > 0 && want[wn - 1] == '.')
		wn--;
	return n == wn && strncasecmp(d, want, n) == 0;
}

int
readiness_spf_includes(const char *txt, size_t len, const char *include_domain,
                       char *err, size_t errlen)
{
	size_t i = 0;
	int found = 0;

	if (!txt_bytes_ok(txt, len, err, errlen))
		return -1;
	if (len < 6 || strncasecmp(txt, "v=spf1", 6) != 0 ||
	    (len > 6 && !is_space(txt[6]))) {
		snprintf(err, errlen, "not an SPF record (no v=spf1 first)");
		return -1;
	}
	i = 6;
	while (i < len) {
		size_t s, n;
		const char *t;
		char q = '+';

		while (i < len && is_space(txt[i]))
			i++;
		s = i;
		while (i < len && !is_space(txt[i]))
			i++;
		if (i == s)
			break;
		t = txt + s;
		n = i - s;
		if (t[0] == '+' || t[0] == '-' || t[0] == '~' || t[0] == '?') {
			q = t[0];
			t++;
			n--;
		}
		if (n >= 8 && strncasecmp(t, "include:", 8) == 0) {
			if (!domain_ok(t + 8, n - 8)) {
				snprintf(
				    err, errlen, "include at offset %zu: %s", s,
				    n == 8 ? "no domain" : "invalid domain");
				return -1;
			}
			if (q == '+' && domain_eq(t + 8, n - 8, include_domain))
				found = 1;
		} else if (n == 7 && strncasecmp(t, "include", 7) == 0) {
			snprintf(err, errlen,
			         "include at offset %zu: no domain", s);
			return -1;
		}
	}
	return found;
}

/* trim - strip spaces from both ends of [*s, *s + *n). */
static void
trim(const char **s, size_t *n)
{
	while (*n > 0 && is_space(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && is_space((*s)[*n - 1]))
		(*n)--;
}

int
readiness_dmarc_parse(const char *txt, size_t len,
                      enum readiness_dmarc_policy *policy, char *err,
                      size_t errlen)
{
	size_t i = 0, tagno = 0;
	int have_p = 0;
	enum readiness_dmarc_policy p = READINESS_DMARC_NONE;

	if (!txt_bytes_ok(txt, len, err, errlen))
		return -1;
	while (i < len) {
		const char *t = txt + i, *eq, *v;
		size_t n = 0, tn, vn;

		while (i + n < len && txt[i + n] != ';')
			n++;
		i += n + 1;
		trim(&t, &n);
		if (n == 0) {
			if (tagno == 0)
				break;
			continue; /* "p=none; ;" or a trailing ';' */
		}
		eq = memchr(t, '=', n);
		if (eq == NULL) {
			snprintf(err, errlen, "tag %zu has no '='", tagno + 1);
			return -1;
		}
		tn = (size_t)(eq - t);
		v = eq + 1;
		vn = n - tn - 1;
		trim(&t, &tn);
		trim(&v, &vn);
		if (tn == 0) {
			snprintf(err, errlen, "tag %zu has no name", tagno + 1);
			return -1;
		}
		if (tagno == 0) {
			if (tn != 1 || (t[0] != 'v' && t[0] != 'V') ||
			    vn != 6 || strncasecmp(v, "DMARC1", 6) != 0) {
				snprintf(
				    err, errlen,
				    "not a DMARC record (no v=DMARC1 first)");
				return -1;
			}
		} else if (tn == 1 && (t[0] == 'p' || t[0] == 'P')) {
			if (have_p) {
				snprintf(err, errlen, "p given twice");
				return -1;
			}
			have_p = 1;
			if (vn == 4 && strncasecmp(v, "none", 4) == 0)
				p = READINESS_DMARC_NONE;
			else if (vn == 10 &&
			         strncasecmp(v, "quarantine", 10) == 0)
				p = READINESS_DMARC_QUARANTINE;
			else if (vn == 6 && strncasecmp(v, "reject", 6) == 0)
				p = READINESS_DMARC_REJECT;
			else {
				snprintf(err, errlen, "unknown policy p=%.*s",
				         (int)(vn > 32 ? 32 : vn), v);
				return -1;
			}
		}
		tagno++;
	}
	if (tagno == 0) {
		snprintf(err, errlen, "not a DMARC record (empty)");
		return -1;
	}
	if (!have_p) {
		snprintf(err, errlen, "no policy (p=)");
		return -1;
	}
	*policy = p;
	return 0;
}
