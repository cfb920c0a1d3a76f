/*
 * mock_api_util.c - small readers and tables the fake APIs share.
 *
 * Address lists as they appear in headers and provider JSON ("A <a@x>,
 * b@y"), one header of a raw message, and the idempotency table the fake
 * Resend keeps for 24 hours. Loose on purpose where a fake provider may
 * be loose (addresses are not validated here), bounded everywhere.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include "core/clock.h"
#include "core/xmalloc.h"
#include "mock/mock_api_int.h"

#define MOCK_API_IDEM_BUCKETS 4096
#define MOCK_API_IDEM_MAX 200000
#define MOCK_API_IDEM_TTL_MS (24LL * 3600 * 1000)
#define MOCK_API_ADDRS_MAX 10000

struct mock_api_idem_ent {
	struct mock_api_idem_ent *next;
	char *key;
	char sha[65];
	char id[64];
	uint64_t at_ms; /* monotonic ms */
};

struct mock_api_idem {
	struct mock_api_idem_ent *bucket[MOCK_API_IDEM_BUCKETS];
	size_t n;
};

/* mock_api_addrs_push - add one address. */
void
mock_api_addrs_push(struct mock_api_addrs *a, const char *addr)
{
	if (a->n == MOCK_API_ADDRS_MAX)
		return;
	a->v = xreallocarray(a->v, a->n + 1, sizeof(*a->v));
	a->v[a->n++] = xstrdup(addr);
}

/* mock_api_addrs_fini - free the list. */
void
mock_api_addrs_fini(struct mock_api_addrs *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	a->v = NULL;
	a->n = 0;
}

/* mock_api_addr_one - the address of one list element. */
static void
mock_api_addr_one(struct mock_api_addrs *a, const char *p, size_t len)
{
	const char *lt = memchr(p, '<', len), *gt;
	struct buf b;
	size_t i;
	int depth = 0;

	buf_init(&b);
	if (lt != NULL && (gt = memchr(lt, '>', len - (size_t)(lt - p)))) {
		buf_add(&b, lt + 1, (size_t)(gt - lt - 1));
	} else {
		/* A bare address, perhaps with a (comment). */
		for (i = 0; i < len; i++) {
			if (p[i] == '(')
				depth++;
			else if (p[i] == ')' && depth > 0)
				depth--;
			else if (depth == 0 && p[i] != ' ' && p[i] != '\t' &&
			         p[i] != '\r' && p[i] != '\n')
				buf_addch(&b, p[i]);
		}
	}
	if (b.len > 0 && memchr(b.p, '\0', b.len) == NULL)
		mock_api_addrs_push(a, buf_cstr(&b));
	buf_fini(&b);
}

/* mock_api_addrs_add - split a header-style address list. */
void
mock_api_addrs_add(struct mock_api_addrs *a, const char *text, size_t len)
{
	size_t i, start = 0;
	bool quoted = false;
	int angle = 0, paren = 0;

	for (i = 0; i <= len; i++) {
		char c = i < len ? text[i] : ',';

		if (quoted) {
			if (c == '\\' && i + 1 < len)
				i++;
			else if (c == '"')
				quoted = false;
			if (i < len)
				continue;
			c = ','; /* an unterminated quote ends the list */
		}
		if (c == '"') {
			quoted = true;
		} else if (c == '<') {
			angle++;
		} else if (c == '>' && angle > 0) {
			angle--;
		} else if (c == '(') {
			paren++;
		} else if (c == ')' && paren > 0) {
			paren--;
		} else if (angle == 0 && paren == 0 && c == ':') {
			start = i + 1; /* "group:" - members follow */
		} else if (angle == 0 && paren == 0 && (c == ',' || c == ';')) {
			if (i > start)
				mock_api_addr_one(a, text + start, i - start);
			start = i + 1;
		}
	}
}

/* mock_api_line_end - index just past the line that starts at i. */
static size_t
mock_api_line_end(const char *msg, size_t len, size_t i)
{
	const char *nl = memchr(msg + i, '\n', len - i);

	return nl ? (size_t)(nl - msg) + 1 : len;
}

/* mock_api_mime_header - collect one header's unfolded values. */
bool
mock_api_mime_header(const char *msg, size_t len, const char *name,
                     struct buf *out)
{
	size_t i = 0, nlen = strlen(name);
	bool found = false;

	while (i < len && msg[i] != '\r' && msg[i] != '\n') {
		size_t e = mock_api_line_end(msg, len, i), j;
		bool match = e - i > nlen && msg[i + nlen] == ':' &&
		             strncasecmp(msg + i, name, nlen) == 0;

		/* Continuation lines belong to this header. */
		while (e < len && (msg[e] == ' ' || msg[e] == '\t'))
			e = mock_api_line_end(msg, len, e);
		if (match) {
			size_t vb = i + nlen + 1, ve = e;

			while (vb < ve && (msg[vb] == ' ' || msg[vb] == '\t'))
				vb++;
			while (ve > vb &&
			       (msg[ve - 1] == '\r' || msg[ve - 1] == '\n' ||
			        msg[ve - 1] == ' '))
				ve--;
			if (found)
				buf_addstr(out, ", ");
			for (j = vb; j < ve; j++)
				if (msg[j] != '\r' && msg[j] != '\n')
					buf_addch(out, msg[j]);
			found = true;
		}
		i = e;
	}
	return found;
}

/* mock_api_idem_hash - FNV-1a of the key, reduced to a bucket. */
static size_t
mock_api_idem_hash(const char *key)
{
	uint32_t h = 2166136261u;

	for (; *key; key++) {
		h ^= (unsigned char)*key;
		h *= 16777619u;
	}
	return h % MOCK_API_IDEM_BUCKETS;
}

/* mock_api_idem_clear - drop every entry and the table. */
void
mock_api_idem_clear(struct mock_api *api)
{
	struct mock_api_idem_ent *e, *next;
	size_t i;

	if (api->idem == NULL)
		return;
	for (i = 0; i < MOCK_API_IDEM_BUCKETS; i++) {
		for (e = api->idem->bucket[i]; e != NULL; e = next) {
			next = e->next;
			free(e->key);
			free(e);
		}
	}
	free(api->idem);
	api->idem = NULL;
}

/* mock_api_idem_get - the live entry for key, or NULL. */
static struct mock_api_idem_ent *
mock_api_idem_get(struct mock_api *api, const char *key)
{
	struct mock_api_idem_ent *e;

	if (api->idem == NULL)
		return NULL;
	for (e = api->idem->bucket[mock_api_idem_hash(key)]; e; e = e->next)
		if (strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

/* mock_api_idem_find - look a key up. */
int
mock_api_idem_find(struct mock_api_req *r, const char *key, const char *sha,
                   char *id, size_t size, bool *same)
{
	struct mock_api_idem_ent *e = mock_api_idem_get(r->api, key);

	if (e == NULL || clock_mono_ms() - e->at_ms > MOCK_API_IDEM_TTL_MS)
		return 0;
	snprintf(id, size, "%s", e->id);
	*same = strcmp(e->sha, sha) == 0;
	return 1;
}

/* mock_api_idem_put - remember a key (the table is reset when full). */
void
mock_api_idem_put(struct mock_api_req *r, const char *key, const char *sha,
                  const char *id)
{
	struct mock_api *api = r->api;
	struct mock_api_idem_ent *e = mock_api_idem_get(api, key);
	size_t h;

	if (e == NULL) {
		if (api->idem != NULL && api->idem->n >= MOCK_API_IDEM_MAX)
			mock_api_idem_clear(api);
		if (api->idem == NULL)
			api->idem = xcalloc(1, sizeof(*api->idem));
		e = xcalloc(1, sizeof(*e));
		e->key = xstrdup(key);
		h = mock_api_idem_hash(key);
		e->next = api->idem->bucket[h];
		api->idem->bucket[h] = e;
		api->idem->n++;
	}
	snprintf(e->sha, sizeof(e->sha), "%s", sha);
	snprintf(e->id, sizeof(e->id), "%s", id);
	e->at_ms = clock_mono_ms();
}
