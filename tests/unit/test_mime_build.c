/*
 * test_mime_build.c - the MIME builder: every message it builds is read
 * back with the project's MIME reader (mime/mime.h) and must give back
 * what went in (addresses, non-ASCII subject and names, text and HTML,
 * attachments with non-ASCII names, inline images), stay within 998
 * octets a line with CRLF only (long values folded, not refused), keep a
 * caller's Message-ID, and refuse what would be malformed. A
 * property test builds many random messages and checks the same.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/xmalloc.h"
#include "mime/mime.h"
#include "mime/mime_build.h"
#include "mime/mime_int.h"

/* addr_new - one address (name may be NULL). */
static struct mime_build_addr *
addr_new(const char *name, const char *addr)
{
	struct mime_build_addr *a = xcalloc(1, sizeof(*a));

	a->name = name ? xstrdup(name) : NULL;
	a->addr = xstrdup(addr);
	return a;
}

/* msg_base - From and one To, nothing else. */
static void
msg_base(struct mime_build_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->from.name = xstrdup("Ada Lovelace");
	m->from.addr = xstrdup("ada@example.com");
	m->to = addr_new(NULL, "bob@example.org");
	m->n_to = 1;
}

/* set_text - m->text = s. */
static void
set_text(char **dst, size_t *len, const char *s)
{
	*dst = xstrdup(s);
	*len = strlen(s);
}

/* att_add - append an attachment. */
static void
att_add(struct mime_build_msg *m, const char *fn, const char *type,
        const char *cid, const void *data, size_t len)
{
	struct mime_build_att *a;

	m->atts = xreallocarray(m->atts, m->n_atts + 1, sizeof(*m->atts));
	a = &m->atts[m->n_atts++];
	memset(a, 0, sizeof(*a));
	a->filename = fn ? xstrdup(fn) : NULL;
	a->content_type = type ? xstrdup(type) : NULL;
	a->content_id = cid ? xstrdup(cid) : NULL;
	a->data = xmemdup(data, len ? len : 1);
	a->len = len;
}

/* lines_ok - CRLF only, no line over 998 octets. */
static void
lines_ok(const struct buf *b)
{
	size_t i, col = 0;

	for (i = 0; i < b->len; i++) {
		if (b->p[i] == '\n') {
			assert_true(i > 0 && b->p[i - 1] == '\r');
			col = 0;
			continue;
		}
		if (b->p[i] == '\r')
			assert_true(i + 1 < b->len && b->p[i + 1] == '\n');
		col++;
		assert_true(col <= 999);
	}
}

/* build - build m (fixed date and id) into out, which must succeed. */
static struct mime_msg *
build(const struct mime_build_msg *m, struct buf *out)
{
	struct mime_build_opts o = {"01JTESTLOCALPART0000", NULL, 1700000000};
	const char *why = NULL;

	buf_init(out);
	assert_int_equal(mime_build(m, &o, out, &why), 0);
	assert_null(why);
	lines_ok(out);
	return mime_parse(out->p, out->len);
}

static void
text_only_is_text_plain_with_headers(void **state)
{
	struct mime_build_msg m;
	struct mime_msg *r;
	struct buf out;

	msg_base(&m);
	m.subject = xstrdup("Hello there");
	set_text(&m.text, &m.text_len, "Just text.\nTwo lines.");
	r = build(&m, &out);
	assert_int_equal(r->flags, 0);
	assert_true(mime_faithful_for_json(r, NULL));
	assert_string_equal(r->subject, "Hello there");
	assert_int_equal(r->nfrom, 1);
	assert_string_equal(r->from[0].addr, "ada@example.com");
	assert_string_equal(r->from[0].name, "Ada Lovelace");
	assert_int_equal(r->nto, 1);
	assert_string_equal(r->to[0].addr, "bob@example.org");
	assert_string_equal(r->root->type, "text/plain");
	assert_memory_equal(r->text, "Just text.\r\nTwo lines.\r\n",
	                    r->text_len);
	assert_string_equal(mime_field_get(r, "Message-ID"),
	                    "<01JTESTLOCALPART0000@example.com>");
	assert_string_equal(mime_field_get(r, "Date"),
	                    "Tue, 14 Nov 2023 22:13:20 +0000");
	assert_string_equal(mime_field_get(r, "MIME-Version"), "1.0");
	mime_free(r);
	buf_fini(&out);
	mime_build_msg_fini(&m);
}

/* A display name of atoms or a file name that holds "=?" must not read
 * back as an encoded-word (fuzz_mime_build: "a=?UTF-8?B?xa?=" came back
 * with MIME_F_CHARSET, the file name "=?UTFromF-8?B?xa?=" with
 * MIME_F_UNKNOWN_CS). */
static void
name_with_encoded_word_lookalike_round_trips(void **state)
{
	static const char *const names[] = {
	    "h1 lebd a=?UTF-8?B?xa?=",
	    "=?utf-8?q?Admin?=",
	    "x=?",
	    "=?UTFromF-8?B?xa?=",
	};
	struct mime_build_msg m;
	struct mime_msg *r;
	struct buf out;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		msg_base(&m);
		free(m.from.name);
		m.from.name = xstrdup(names[i]);
		set_text(&m.text, &m.text_len, "t");
		att_add(&m, names[i], NULL, NULL, "x", 1);
		r = build(&m, &out);
		assert_int_equal(r->flags, 0);
		assert_int_equal(r->nfrom, 1);
		assert_string_equal(r->from[0].name, names[i]);
		assert_int_equal(r->nattachments, 1);
		assert_string_equal(r->attachments[0].filename, names[i]);
		mime_free(r);
		buf_fini(&out);
		mime_build_msg_fini(&m);
	}
}

static void
non_ascii_subject_and_names_round_trip(void **state)
{
	static const char subj[] =
	    "Grüße aus Köln — 日本語のテキスト, a subject long enough to "
	    "need several encoded-words and folding 🎉🎉🎉";
	struct mime_build_msg m;
	struct mime_msg *r;
	struct buf out;

	msg_base(&m);
	free(m.from.name);
	m.from.name = xstrdup("Zoë \"The Boss\" Ünal");
	m.cc = addr_new("Smith, John", "john@example.net");
	m.n_cc = 1;
	m.reply_to = addr_new("Émile", "emile@example.com");
	m.n_reply_to = 1;
	m.subject = xstrdup(subj);
	set_text(&m.text, &m.text_len, "x");
	r = build(&m, &out);
	assert_int_equal(r->flags, 0);
	assert_string_equal(r->subject, subj);
	assert_string_equal(r->from[0].name, "Zoë \"The Boss\" Ünal");
	assert_string_equal(r->cc[0].name, "Smith, John");
	assert_string_equal(r->cc[0].addr, "john@example.net");
	assert_string_equal(r->reply_to[0].name, "Émile");
	/* Nothing but ASCII went on the wire. */
	for (size_t i = 0; i < out.len; i++)
		assert_true((unsigned char)out.p[i] < 0x80);
	mime_free(r);
	buf_fini(&out);
	mime_build_msg_fini(&m);
}

static void
long_ascii_subject_folds_and_unfolds_exactly(void **state)
{
	char subj[600];
	struct mime_build_msg m;
	struct mime_msg *r;
	struct buf out;
	size_t i;

	for (i = 0; i + 1 < sizeof(subj); i++)
		subj[i] = i % 7 == 6 ? ' ' : 'a' + (char)(i % 26);
	subj[sizeof(subj) - 1] = '\0';
	subj[sizeof(subj) - 2] = 'z';
	msg_base(&m);
	m.subject = xstrdup(subj);
	set_text(&m.text, &m.text_len, "x");
	r = build(&m, &out);
	assert_string_equal(r->subject, subj);
	assert_non_null(memmem(out.p, out.len, "\r\n ", 3));
	mime_free(r);
	buf_fini(&out);
	mime_build_msg_fini(&m);
}

static void
text_and_html_make_alternative(void **state)
{
	struct mime_build_msg m;
	struct mime_msg *r;
	struct buf out;

	msg_base(&m);
	set_text(&m.text, &m.text_len, "Plain café\r\n");
	set_text(&m.html, &m.html_len, "<p>HTML café</p>");
	r = build(&m, &out);
	assert_int_equal(r->flags, 0);
	assert_true(mime_faithful_for_json(r, NULL));
	assert_string_equal(r->root->type, "multipart/alternative");
	assert_int_equal(r->text_len, strlen("Plain café\r\n"));
	assert_memory_equal(r->text, "Plain café\r\n", r->text_len);
	assert_int_equal(r->html_len, strlen("<p>HTML café</p>"));
	assert_memory_equal(r->html, "<p>HTML café</p>", r->html_len);
	assert_non_null(memmem(out.p, out.len, "quoted-printable", 16));
	mime_free(r);
	buf_fini(&out);
	mime_build_msg_fini(&m);
}

static void
attachment_and_inline_image_nest_correctly(void **state)
{
	unsigned char png[300];
	struct mime_build_msg m;
	struct mime_msg *r;
	struct buf out;
	size_t i, inl = 0, att = 0;

	for (i = 0; i < sizeof(png); i++)
		png[i] = (unsigned char)(i * 7);
	msg_base(&m);
	set_text(&m.text, &m.text_len, "see attached");
	set_text(&m.html, &m.html_len, "<img src=\"cid:logo@x\">");
	att_add(&m, "logo.png", "image/png", "logo@x", png, sizeof(png));
	att_add(&m, "Prüfbericht – März 2024 with a long name.pdf",
	        "application/pdf", NULL, "%PDF-1.4\n", 9);
	r = build(&m, &out);
	assert_int_equal(r->flags, 0);
	assert_true(mime_faithful_for_json(r, NULL));
	assert_string_equal(r->root->type, "multipart/mixed");
	assert_string_equal(r->root->children[0]->type,
	                    "multipart/alternative");
	assert_string_equal(r->root->children[0]->children[1]->type,
	                    "multipart/related");
	assert_int_equal(r->nattachments, 2);
	for (i = 0; i < r->nattachments; i++) {
		const struct mime_attachment *a = &r->attachments[i];
		if (a->is_inline) {
			inl++;
			assert_string_equal(a->content_id, "logo@x");
			assert_string_equal(a->type, "image/png");
			assert_int_equal(a->len, sizeof(png));
			assert_memory_equal(a->data, png, sizeof(png));
		} else {
			att++;
			assert_string_equal(
			    a->filename,
			    "Prüfbericht – März 2024 with a long name.pdf");
			assert_int_equal(a->len, 9);
			assert_memory_equal(a->data, "%PDF-1.4\n", 9);
		}
	}
	assert_int_equal(inl, 1);
	assert_int_equal(att, 1);
	assert_non_null(memmem(out.p, out.len, "filename*0*=utf-8''", 19));
	mime_free(r);
	buf_fini(&out);
	mime_build_msg_fini(&m);
}

static void
long_lines_and_boundary_lookalikes_stay_safe(void **state)
{
	struct mime_build_msg m;
	struct mime_msg *r;
	struct buf out, text;
	size_t i;

	buf_init(&text);
	for (i = 0; i < 3000; i++)
		buf_addch(&text, (char)('a' + i % 26));
	buf_addstr(&text,
	           "\n--=_swerve_01JTESTLOCALPART0000_a\n"
	           "--=_swerve_01JTESTLOCALPART0000_a--\n  trailing  \n");
	msg_base(&m);
	m.text = xstrdup(buf_cstr(&text));
	m.text_len = text.len;
	att_add(&m, "a.bin", NULL, NULL, "=_swerve_", 9);
	r = build(&m, &out);
	assert_int_equal(r->flags, 0);
	assert_int_equal(r->root->nchildren, 2);
	/* Line ends become CRLF; nothing else changes. */
	assert_int_equal(r->text_len, text.len + 4);
	assert_memory_equal(r->text, text.p, 3000);
	assert_int_equal(r->attachments[0].len, 9);
	assert_string_equal(r->attachments[0].type, "application/octet-stream");
	mime_free(r);
	buf_fini(&out);
	buf_fini(&text);
	mime_build_msg_fini(&m);
}

static void
custom_fields_written_and_protected_refused(void **state)
{
	struct mime_build_opts o = {"ID", NULL, 0};
	struct mime_build_msg m;
	struct mime_msg *r;
	struct buf out;
	const char *why = NULL;

	msg_base(&m);
	set_text(&m.text, &m.text_len, "x");
	m.fields = xcalloc(2, sizeof(*m.fields));
	m.n_fields = 2;
	m.fields[0].name = xstrdup("List-Unsubscribe");
	m.fields[0].value = xstrdup(
	    "<https://example.com/unsubscribe?token=0123456789abcdef0123456789"
	    "abcdef0123456789abcdef>, <mailto:unsub@example.com>");
	m.fields[1].name = xstrdup("X-Campaign");
	m.fields[1].value = xstrdup("Été 2024");
	r = build(&m, &out);
	assert_string_equal(mime_field_get(r, "List-Unsubscribe"),
	                    m.fields[0].value);
	assert_non_null(mime_field_get(r, "X-Campaign"));
	mime_free(r);
	buf_fini(&out);
	mime_build_msg_fini(&m);

	assert_int_equal(mime_build_field_check("Date", "x", &why), -1);
	assert_int_equal(mime_build_field_check("message-id", "x", &why), -1);
	assert_non_null(strstr(why, "Message-ID"));
	assert_int_equal(mime_build_field_check("Message-ID", "<a b@c>", &why),
	                 -1);
	assert_int_equal(mime_build_field_check("message-id", " <a@b> ", &why),
	                 0);
	assert_int_equal(mime_build_field_check("Content-Foo", "x", &why), -1);
	assert_int_equal(mime_build_field_check("Bad Name", "x", &why), -1);
	assert_int_equal(mime_build_field_check("Bad:Name", "x", &why), -1);
	assert_int_equal(mime_build_field_check("X-Ok", "a\r\nBcc: x", &why),
	                 -1);
	assert_int_equal(mime_build_field_check("X-Ok", "fine", &why), 0);

	/* A caller's Message-ID replaces the one the builder makes. */
	msg_base(&m);
	set_text(&m.text, &m.text_len, "x");
	m.fields = xcalloc(2, sizeof(*m.fields));
	m.fields[0].name = xstrdup("message-id");
	m.fields[0].value = xstrdup(" <own.1@app.example> ");
	m.n_fields = 1;
	r = build(&m, &out);
	buf_cstr(&out);
	assert_non_null(
	    strstr(out.p, "\r\nMessage-ID: <own.1@app.example>\r\n"));
	assert_null(strstr(out.p, "01JTESTLOCALPART0000@"));
	assert_null(strstr(out.p, "message-id"));
	mime_free(r);
	buf_fini(&out);
	/* Two of them cannot both be kept: refused. */
	m.fields[1].name = xstrdup("Message-Id");
	m.fields[1].value = xstrdup("<other@app.example>");
	m.n_fields = 2;
	buf_init(&out);
	assert_int_equal(mime_build(&m, &o, &out, &why), -1);
	assert_non_null(strstr(why, "Message-ID"));
	buf_fini(&out);
	mime_build_msg_fini(&m);
}

static void
long_values_fold_instead_of_refusal(void **state)
{
	static const char *const fills[] = {"word ", "é", "x", "a  \t  ",
	                                    "a                              "
	                                    "                              "
	                                    "   b"};
	struct mime_build_msg m;
	struct mime_msg *r;
	struct buf out, v;
	size_t f, i;

	(void)state;
	for (f = 0; f < sizeof(fills) / sizeof(fills[0]); f++) {
		buf_init(&v);
		/* Far over the former limits (subject 2048, value 900,
		 * display name 256). */
		while (v.len < 5000)
			buf_addstr(&v, fills[f]);
		while (v.len > 0 &&
		       (v.p[v.len - 1] == ' ' || v.p[v.len - 1] == '\t'))
			v.len--;
		msg_base(&m);
		free(m.from.name);
		m.from.name =
		    xstrndup(buf_cstr(&v), v.len < 3000 ? v.len : 3000);
		/* 3000 ends on a whole character of every fill; a name has
		 * no outer blanks. */
		while (strchr(" \t", m.from.name[strlen(m.from.name) - 1]))
			m.from.name[strlen(m.from.name) - 1] = '\0';
		m.subject = xstrdup(buf_cstr(&v));
		m.fields = xcalloc(1, sizeof(*m.fields));
		m.fields[0].name = xstrdup("X-Long");
		m.fields[0].value = xstrdup(buf_cstr(&v));
		m.n_fields = 1;
		set_text(&m.text, &m.text_len, "x");
		r = build(&m, &out); /* lines_ok: every line within 998 */
		assert_int_equal(r->flags, 0);
		assert_string_equal(r->subject, m.subject);
		assert_string_equal(r->from[0].name, m.from.name);
		assert_string_equal(r->from[0].addr, "ada@example.com");
		for (i = 0; i < r->nfields; i++)
			if (strcmp(r->fields[i].name, "X-Long") == 0)
				break;
		assert_true(i < r->nfields);
		mime_free(r);
		buf_fini(&out);
		buf_fini(&v);
		mime_build_msg_fini(&m);
	}
}

static void
malformed_input_is_refused(void **state)
{
	struct mime_build_opts o = {"ID", NULL, 0};
	struct mime_build_msg m;
	struct buf out;
	const char *why = NULL;

	msg_base(&m);
	m.subject = xstrdup("a\r\nBcc: evil@example.com");
	buf_init(&out);
	assert_int_equal(mime_build(&m, &o, &out, &why), -1);
	assert_non_null(why);
	free(m.subject);
	m.subject = NULL;
	free(m.to[0].addr);
	m.to[0].addr = xstrdup("no-at-sign");
	assert_int_equal(mime_build(&m, &o, &out, &why), -1);
	mime_build_msg_fini(&m);
	buf_fini(&out);
}

/* rnd_text - n random bytes of UTF-8 text, some CR/LF, some long runs. */
static void
rnd_text(struct buf *b, size_t n, unsigned *seed)
{
	static const char *const pieces[] = {
	    "a", " ",  "\r\n", "\n", "é", "日", "=",  "=_", "--",
	    ".", "\t", "🎉",    "x",  "y", "=?", "?=", "\"", "\\",
	};
	size_t i;

	for (i = 0; i < n; i++)
		buf_addstr(b, pieces[rand_r(seed) % 18]);
}

static void
random_messages_round_trip(void **state)
{
	unsigned seed = 42;
	int round;

	for (round = 0; round < 300; round++) {
		struct mime_build_msg m;
		struct mime_msg *r;
		struct buf out, t, s, h;
		unsigned char data[200];
		size_t i, len = (size_t)(rand_r(&seed) % 200);

		msg_base(&m);
		buf_init(&t);
		buf_init(&s);
		buf_init(&h);
		rnd_text(&t, (size_t)(rand_r(&seed) % 400), &seed);
		rnd_text(&s, (size_t)(rand_r(&seed) % 60), &seed);
		/* A subject has no line breaks and no outer blanks. */
		for (i = 0; i < s.len; i++)
			if (s.p[i] == '\r' || s.p[i] == '\n' || s.p[i] == '\t')
				s.p[i] = 'q';
		while (s.len > 0 && s.p[s.len - 1] == ' ')
			s.len--;
		i = 0;
		while (i < s.len && s.p[i] == ' ')
			i++;
		m.subject = xstrndup(buf_cstr(&s) + i, s.len - i);
		m.text = xstrdup(buf_cstr(&t));
		m.text_len = t.len;
		if (round % 2) {
			rnd_text(&h, 50, &seed);
			m.html = xstrdup(buf_cstr(&h));
			m.html_len = h.len;
		}
		for (i = 0; i < len; i++)
			data[i] = (unsigned char)rand_r(&seed);
		if (round % 3)
			att_add(&m, "f.bin", NULL, round % 5 ? NULL : "c@d",
			        data, len);
		r = build(&m, &out);
		assert_int_equal(r->flags, 0);
		if (m.subject[0] != '\0')
			assert_string_equal(r->subject, m.subject);
		/* Text comes back with CRLF line ends. */
		{
			struct buf want;
			buf_init(&want);
			for (i = 0; i < t.len; i++) {
				if (t.p[i] == '\r' && i + 1 < t.len &&
				    t.p[i + 1] == '\n')
					continue;
				if (t.p[i] == '\n' || t.p[i] == '\r')
					buf_addstr(&want, "\r\n");
				else
					buf_addch(&want, t.p[i]);
			}
			if (m.html == NULL && m.n_atts == 0 &&
			    (want.len < 2 ||
			     memcmp(want.p + want.len - 2, "\r\n", 2)) &&
			    r->text_len == want.len + 2)
				buf_addstr(&want, "\r\n");
			if (r->text_len != want.len)
				fprintf(stderr, "round %d:\n%.*s\n", round,
				        (int)out.len, out.p);
			assert_int_equal(r->text_len, want.len);
			if (want.len)
				assert_memory_equal(r->text, want.p, want.len);
			buf_fini(&want);
		}
		if (m.n_atts) {
			assert_int_equal(r->nattachments, 1);
			assert_int_equal(r->attachments[0].len, len);
			if (len)
				assert_memory_equal(r->attachments[0].data,
				                    data, len);
		}
		mime_free(r);
		buf_fini(&out);
		buf_fini(&t);
		buf_fini(&s);
		buf_fini(&h);
		mime_build_msg_fini(&m);
	}
}

/*
 * Quoted-printable of random octets (CRLF kept as line ends) decodes to
 * the same octets, no line is longer than 76, and the buffer is filled in
 * place after what it already held (the encoder writes without buf_add).
 */
static void
qp_random_round_trip(void **state)
{
	unsigned seed = 12345;
	(void)state;
	for (int round = 0; round < 400; round++) {
		size_t n = (size_t)(round * 7 % 600), i, col = 0;
		char *in = xmalloc(n + 1);
		struct buf out, dec;

		for (i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			in[i] = (char)(round % 3 == 0 ? 'a' + (seed >> 16) % 26
			                              : (seed >> 16) & 0xff);
			if (in[i] == '\r' || in[i] == '\n')
				in[i] = '=';
		}
		if (n > 10) {
			in[n / 2] = '\r';
			in[n / 2 + 1] = '\n';
		}
		buf_init(&out);
		buf_addstr(&out, "head:");
		mime_build_qp(&out, in, n);
		assert_memory_equal(out.p, "head:", 5);
		for (i = 5; i < out.len; i++) {
			if (out.p[i] == '\n') {
				col = 0;
				continue;
			}
			if (out.p[i] != '\r')
				assert_true(++col <= 76);
		}
		buf_init(&dec);
		assert_int_equal(mime_qp_decode(out.p + 5, out.len - 5, &dec),
		                 0);
		assert_int_equal(dec.len, n);
		if (n > 0)
			assert_memory_equal(dec.p, in, n);
		buf_fini(&dec);
		buf_fini(&out);
		free(in);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(text_only_is_text_plain_with_headers),
	    cmocka_unit_test(qp_random_round_trip),
	    cmocka_unit_test(non_ascii_subject_and_names_round_trip),
	    cmocka_unit_test(name_with_encoded_word_lookalike_round_trips),
	    cmocka_unit_test(long_ascii_subject_folds_and_unfolds_exactly),
	    cmocka_unit_test(text_and_html_make_alternative),
	    cmocka_unit_test(attachment_and_inline_image_nest_correctly),
	    cmocka_unit_test(long_lines_and_boundary_lookalikes_stay_safe),
	    cmocka_unit_test(custom_fields_written_and_protected_refused),
	    cmocka_unit_test(long_values_fold_instead_of_refusal),
	    cmocka_unit_test(malformed_input_is_refused),
	    cmocka_unit_test(random_messages_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
