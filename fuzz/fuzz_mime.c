/*
 * fuzz_mime.c - libFuzzer target for the MIME reader.
 *
 * Parses arbitrary bytes as a whole message, walks everything the result
 * exposes, and checks the invariants the contract promises: a result
 * always comes back; the verdict and its reason agree; a faithful message
 * has no flags and a text or HTML body in valid UTF-8; the tree respects
 * the depth and part limits; decoded bytes never outgrow the input; and
 * mime_free() releases everything (LeakSanitizer checks).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mime/mime.h"
#include "mime/mime_int.h"

/* fuzz_check - abort unless cond holds. */
#define fuzz_check(cond)                                                       \
	do {                                                                   \
		if (!(cond))                                                   \
			abort();                                               \
	} while (0)

/* fuzz_walk - check part and its subtree; returns decoded leaf bytes. */
static size_t
fuzz_walk(const struct mime_part *p, size_t *nparts)
{
	size_t i, total = 0;

	(*nparts)++;
	fuzz_check(p->type != NULL && strchr(p->type, '/') != NULL);
	fuzz_check(p->depth <= MIME_MAX_DEPTH);
	fuzz_check(p->len == 0 || p->data != NULL);
	if (p->utf8 != NULL) {
		fuzz_check(p->cs_flags == 0);
		fuzz_check(mime_utf8_valid(p->utf8, p->utf8_len));
		fuzz_check(p->utf8_len <= 16 * p->len + 16);
	}
	for (i = 0; i < p->nfields; i++)
		fuzz_check(p->fields[i].name[0] != '\0' &&
		           p->fields[i].value != NULL);
	for (i = 0; i < p->nchildren; i++) {
		fuzz_check(p->children[i]->depth == p->depth + 1);
		total += fuzz_walk(p->children[i], nparts);
	}
	return total + p->len;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_msg *m = mime_parse((const char *)data, size);
	const char *why = NULL;
	bool ok;
	size_t i, nparts = 0, bytes;

	fuzz_check(m != NULL && m->root != NULL);
	ok = mime_faithful_for_json(m, &why);
	fuzz_check(ok == (why == NULL));
	fuzz_check((m->flags == 0) == (m->error == NULL));
	if (ok) {
		fuzz_check(m->flags == 0);
		fuzz_check(m->text != NULL || m->html != NULL);
		fuzz_check(m->nfrom == 1 && !m->groups);
	}
	if (m->text)
		fuzz_check(mime_utf8_valid(m->text, m->text_len));
	if (m->html)
		fuzz_check(mime_utf8_valid(m->html, m->html_len));
	if (m->subject && !(m->flags & (MIME_F_CHARSET | MIME_F_UNKNOWN_CS)))
		fuzz_check(mime_utf8_valid(m->subject, strlen(m->subject)));
	bytes = fuzz_walk(m->root, &nparts);
	fuzz_check(nparts == m->nparts && nparts <= MIME_MAX_PARTS);
	fuzz_check(bytes <= size);
	for (i = 0; i < m->nattachments; i++) {
		fuzz_check(m->attachments[i].type != NULL);
		fuzz_check(m->attachments[i].len == 0 ||
		           m->attachments[i].data != NULL);
		fuzz_check(!m->attachments[i].is_inline ||
		           m->attachments[i].content_id != NULL);
	}
	for (i = 0; i < m->nfrom; i++)
		fuzz_check(strchr(m->from[i].addr, '@') != NULL);
	for (i = 0; i < m->ncustom; i++)
		fuzz_check(m->custom[i]->name != NULL);
	mime_free(m);
	return 0;
}
