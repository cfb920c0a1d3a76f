/*
 * fuzz_mime_build.c - libFuzzer target for the MIME builder.
 *
 * Cuts the input at NUL bytes into the strings of a message (subject,
 * display names, text, HTML, a file name, attachment bytes, a custom
 * field value), builds it, and reads it back with the MIME reader. The
 * builder must refuse exactly the header-bound strings with CR or LF;
 * whatever it builds must have CRLF line ends only, no line over 998
 * octets, parse without any flag, and give back the subject, the From
 * display name, the text (line ends as CRLF) and the attachment's bytes
 * and file name.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/xmalloc.h"
#include "mime/mime.h"
#include "mime/mime_build.h"
#include "mime/mime_int.h"

/* fuzz_check - abort unless cond holds. */
#define fuzz_check(cond)                                                       \
	do {                                                                   \
		if (!(cond))                                                   \
			abort();                                               \
	} while (0)

#define NFIELDS 8

/* has_crlf - CR or LF in s. */
static int
has_crlf(const char *s)
{
	return s != NULL && strpbrk(s, "\r\n") != NULL;
}

/* plain_blanks - no blank at either end, no run of blanks, no tab. */
static int
plain_blanks(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || s[0] == ' ' || s[n - 1] == ' ')
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] == '\t' || (s[i] == ' ' && s[i + 1] == ' '))
			return 0;
	return 1;
}

/* crlf_of - text with every CR, LF or CRLF as CRLF. */
static void
crlf_of(const char *p, size_t n, struct buf *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] == '\r' || p[i] == '\n') {
			if (p[i] == '\r' && i + 1 < n && p[i + 1] == '\n')
				i++;
			buf_add(out, "\r\n", 2);
		} else
			buf_addch(out, p[i]);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_build_opts o = {"01FUZZFUZZFUZZFUZZ00", NULL, 0};
	char *f[NFIELDS] = {0};
	struct mime_build_msg m;
	struct mime_msg *r;
	struct buf out, want;
	const char *why = NULL, *p = (const char *)data, *end = p + size;
	int i, rc, bad;
	size_t col = 0, k;

	for (i = 0; i < NFIELDS && p < end; i++) {
		const char *z = memchr(p, '\0', (size_t)(end - p));
		size_t n = z ? (size_t)(z - p) : (size_t)(end - p);
		/* Requests carry UTF-8 (JSON guarantees it). */
		if (mime_utf8_valid(p, n))
			f[i] = xstrndup(p, n);
		p += n + 1;
	}
	memset(&m, 0, sizeof(m));
	m.from.addr = xstrdup("a@example.com");
	m.from.name = f[1];
	m.to = xcalloc(1, sizeof(*m.to));
	m.to[0].addr = xstrdup("b@example.org");
	m.to[0].name = f[2];
	m.n_to = 1;
	m.subject = f[0];
	m.text = f[3];
	m.text_len = f[3] ? strlen(f[3]) : 0;
	m.html = f[4];
	m.html_len = f[4] ? strlen(f[4]) : 0;
	if (f[6] != NULL) {
		m.atts = xcalloc(1, sizeof(*m.atts));
		m.n_atts = 1;
		m.atts[0].filename = f[5];
		f[5] = NULL;
		m.atts[0].data = (unsigned char *)f[6];
		m.atts[0].len = strlen(f[6]);
		m.atts[0].content_id = (size % 3 == 0) ? xstrdup("c@d") : NULL;
	}
	if (f[7] != NULL) {
		m.fields = xcalloc(1, sizeof(*m.fields));
		m.n_fields = 1;
		m.fields[0].name = xstrdup("X-Fuzz");
		m.fields[0].value = f[7];
	}
	bad = has_crlf(m.subject) || has_crlf(m.from.name) ||
	      has_crlf(m.to[0].name) ||
	      (m.n_atts && has_crlf(m.atts[0].filename)) ||
	      (m.n_fields && has_crlf(m.fields[0].value)) ||
	      (m.subject && strlen(m.subject) > MIME_BUILD_SUBJECT_MAX) ||
	      (m.from.name && strlen(m.from.name) > MIME_BUILD_NAME_MAX) ||
	      (m.to[0].name && strlen(m.to[0].name) > MIME_BUILD_NAME_MAX) ||
	      (m.n_atts && m.atts[0].filename &&
	       strlen(m.atts[0].filename) > MIME_BUILD_FILENAME_MAX) ||
	      (m.n_fields && strlen(m.fields[0].value) > MIME_BUILD_FIELD_MAX);
	buf_init(&out);
	rc = mime_build(&m, &o, &out, &why);
	fuzz_check((rc < 0) == (bad != 0));
	if (rc == 0) {
		for (k = 0; k < out.len; k++) {
			if (out.p[k] == '\n') {
				fuzz_check(k > 0 && out.p[k - 1] == '\r');
				col = 0;
			} else {
				fuzz_check(
				    out.p[k] != '\r' ||
				    (k + 1 < out.len && out.p[k + 1] == '\n'));
				fuzz_check(++col <= 999);
			}
		}
		r = mime_parse(out.p, out.len);
		fuzz_check(r->flags == 0);
		if (m.subject && plain_blanks(m.subject))
			fuzz_check(r->subject &&
			           strcmp(r->subject, m.subject) == 0);
		if (m.from.name && plain_blanks(m.from.name))
			fuzz_check(r->nfrom == 1 && r->from[0].name &&
			           strcmp(r->from[0].name, m.from.name) == 0);
		if (m.text && m.html == NULL && m.n_atts == 0) {
			buf_init(&want);
			crlf_of(m.text, m.text_len, &want);
			fuzz_check(r->text != NULL && r->text_len >= want.len &&
			           memcmp(r->text, want.p ? want.p : "",
			                  want.len) == 0);
			buf_fini(&want);
		}
		if (m.n_atts && m.atts[0].content_id == NULL) {
			fuzz_check(r->nattachments == 1);
			fuzz_check(r->attachments[0].len == m.atts[0].len);
			fuzz_check(m.atts[0].len == 0 ||
			           memcmp(r->attachments[0].data,
			                  m.atts[0].data, m.atts[0].len) == 0);
			if (m.atts[0].filename &&
			    plain_blanks(m.atts[0].filename))
				fuzz_check(r->attachments[0].filename &&
				           strcmp(r->attachments[0].filename,
				                  m.atts[0].filename) == 0);
		}
		mime_free(r);
	}
	buf_fini(&out);
	mime_build_msg_fini(&m);
	/* Every other string moved into m; the file name did only when
	 * there was an attachment. */
	free(f[5]);
	return 0;
}
