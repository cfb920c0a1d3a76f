/*
 * mock_store.c - swerve-mock's captured messages.
 *
 * A ring of pointers that grows (doubling) up to max slots, so a mock
 * started with a large --max-store costs nothing until mail arrives.
 * Invariant: the held messages, read from head for count slots, are in
 * increasing id order.
 */
#include "mock/mock_store.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"

struct mock_store {
	struct mock_msg **ring;
	size_t cap;   /* slots allocated */
	size_t max;   /* slots allowed */
	size_t head;  /* index of the oldest message */
	size_t count; /* messages held */
};

/* mock_msg_free - release one message. */
static void
mock_msg_free(struct mock_msg *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nrcpt; i++)
		free(m->rcpt[i]);
	free(m->rcpt);
	free(m->mail_from);
	free(m->data);
	free(m->api);
	free(m);
}

/* mock_store_new - an empty store. */
struct mock_store *
mock_store_new(size_t max)
{
	struct mock_store *st = xcalloc(1, sizeof(*st));

	st->max = max ? max : 1;
	return st;
}

/* mock_store_free - release everything. */
void
mock_store_free(struct mock_store *st)
{
	if (st == NULL)
		return;
	mock_store_clear(st);
	free(st->ring);
	free(st);
}

/* mock_store_grow - double the ring (up to max), unrolling it to head 0. */
static void
mock_store_grow(struct mock_store *st)
{
	size_t cap = st->cap ? st->cap * 2 : 64, i;
	struct mock_msg **ring;

	if (cap > st->max)
		cap = st->max;
	ring = xcalloc(cap, sizeof(*ring));
	for (i = 0; i < st->count; i++)
		ring[i] = st->ring[(st->head + i) % st->cap];
	free(st->ring);
	st->ring = ring;
	st->cap = cap;
	st->head = 0;
}

/* mock_sha256_hex - the SHA-256 of p as lower-case hex. */
static void
mock_sha256_hex(const char *p, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	if (EVP_Digest(p, len, md, &n, EVP_sha256(), NULL) != 1 || n != 32)
		log_panic("mock: store: SHA-256 failed");
	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* mock_store_add - capture a message, dropping the oldest when full. */
const struct mock_msg *
mock_store_add(struct mock_store *st, const char *mail_from, char *const *rcpt,
               size_t nrcpt, struct buf *data, const char *via)
{
	return mock_store_add_api(st, mail_from, rcpt, nrcpt, data, via, NULL);
}

/* mock_store_add_api - capture a message with its fake API record. */
const struct mock_msg *
mock_store_add_api(struct mock_store *st, const char *mail_from,
                   char *const *rcpt, size_t nrcpt, struct buf *data,
                   const char *via, char *api)
{
	struct mock_msg *m = xcalloc(1, sizeof(*m));
	size_t i;

	id_new(m->id);
	m->mail_from = xstrdup(mail_from);
	m->rcpt = xcalloc(nrcpt ? nrcpt : 1, sizeof(*m->rcpt));
	for (i = 0; i < nrcpt; i++)
		m->rcpt[i] = xstrdup(rcpt[i]);
	m->nrcpt = nrcpt;
	m->data = buf_steal(data, &m->len);
	m->received_ms = clock_wall_ms();
	mock_sha256_hex(m->data, m->len, m->sha256);
	snprintf(m->via, sizeof(m->via), "%s", via);
	m->api = api;

	if (st->count == st->max) {
		mock_msg_free(st->ring[st->head]);
		st->ring[st->head] = NULL;
		st->head = (st->head + 1) % st->cap;
		st->count--;
	} else if (st->count == st->cap) {
		mock_store_grow(st);
	}
	st->ring[(st->head + st->count) % st->cap] = m;
	st->count++;
	return m;
}

/* mock_store_count - messages held. */
size_t
mock_store_count(const struct mock_store *st)
{
	return st->count;
}

/* mock_store_at - the i-th oldest message. */
const struct mock_msg *
mock_store_at(const struct mock_store *st, size_t i)
{
	if (i >= st->count)
		return NULL;
	return st->ring[(st->head + i) % st->cap];
}

/* mock_store_find - binary search by id (ids increase with time). */
const struct mock_msg *
mock_store_find(const struct mock_store *st, const char *id)
{
	size_t lo = 0, hi = st->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		/* mid < count: the slot holds a message. */
		const struct mock_msg *m = st->ring[(st->head + mid) % st->cap];
		int c = strcmp(m->id, id);

		if (c == 0)
			return m;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* mock_store_clear - drop every message. */
size_t
mock_store_clear(struct mock_store *st)
{
	size_t i, n = st->count;

	for (i = 0; i < n; i++) {
		struct mock_msg **slot = &st->ring[(st->head + i) % st->cap];

		mock_msg_free(*slot);
		*slot = NULL;
	}
	st->head = 0;
	st->count = 0;
	return n;
}
