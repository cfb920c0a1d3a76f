/*
 * backlog.c - unfinished messages per stream: a hash of ids and a
 * min-heap of creation times per stream. See backlog.h.
 *
 * An entry lives in the hash while unfinished and in its stream's heap
 * until it is popped or compacted away; `done` marks entries that left
 * the hash but are still in a heap. The heap owns the entries.
 */
#include "observe/backlog.h"

#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/id.h"
#include "core/xmalloc.h"
#include "observe/events.h"

struct backlog_entry {
	char id[ID_SIZE];
	bool deferred, done;
	uint32_t stream;
	int64_t created_ms;
	struct backlog_entry *next; /* hash chain */
};

struct backlog_heap {
	char *name;
	struct backlog_entry **v;
	size_t n, cap;
	uint64_t live, deferred, sent_total;
};

struct backlog {
	struct backlog_entry **buckets;
	size_t n_buckets, n_entries;
	struct backlog_heap *streams;
	size_t n_streams;
};

/* backlog_find - the unfinished entry id, with its chain slot. */
static struct backlog_entry **
backlog_slot(struct backlog *b, const char *id)
{
	struct backlog_entry **pp =
	    &b->buckets[(size_t)id_hash(id) & (b->n_buckets - 1)];

	while (*pp != NULL && strcmp((*pp)->id, id) != 0)
		pp = &(*pp)->next;
	return pp;
}

/* backlog_grow - double the buckets when the table is full. */
static void
backlog_grow(struct backlog *b)
{
	struct backlog_entry **old = b->buckets, *e, *next;
	size_t i, n = b->n_buckets;

	b->n_buckets *= 2;
	b->buckets = xcalloc(b->n_buckets, sizeof(*b->buckets));
	for (i = 0; i < n; i++) {
		for (e = old[i]; e != NULL; e = next) {
			size_t h = (size_t)id_hash(e->id) & (b->n_buckets - 1);
			next = e->next;
			e->next = b->buckets[h];
			b->buckets[h] = e;
		}
	}
	free(old);
}

/* backlog_before - heap order: older first. */
static bool
backlog_before(const struct backlog_entry *x, const struct backlog_entry *y)
{
	return x->created_ms < y->created_ms ||
	       (x->created_ms == y->created_ms && strcmp(x->id, y->id) < 0);
}

static void
backlog_sift_up(struct backlog_heap *h, size_t i)
{
	while (i > 0 && backlog_before(h->v[i], h->v[(i - 1) / 2])) {
		struct backlog_entry *t = h->v[i];
		h->v[i] = h->v[(i - 1) / 2];
		h->v[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

static void
backlog_sift_down(struct backlog_heap *h, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		struct backlog_entry *t;
		if (l < h->n && backlog_before(h->v[l], h->v[m]))
			m = l;
		if (r < h->n && backlog_before(h->v[r], h->v[m]))
			m = r;
		if (m == i)
			return;
		t = h->v[i];
		h->v[i] = h->v[m];
		h->v[m] = t;
		i = m;
	}
}

/* backlog_compact - drop finished entries and rebuild the heap. */
static void
backlog_compact(struct backlog_heap *h)
{
	size_t i, k = 0;

	for (i = 0; i < h->n; i++) {
		if (h->v[i]->done)
			free(h->v[i]);
		else
			h->v[k++] = h->v[i];
	}
	h->n = k;
	for (i = h->n / 2; i-- > 0;)
		backlog_sift_down(h, i);
}

/* backlog_top - the oldest live entry of h, popping finished ones. */
static struct backlog_entry *
backlog_top(struct backlog_heap *h)
{
	while (h->n > 0 && h->v[0]->done) {
		free(h->v[0]);
		h->v[0] = h->v[--h->n];
		backlog_sift_down(h, 0);
	}
	return h->n > 0 ? h->v[0] : NULL;
}

/* backlog_stream_index - index of stream name (NULL: transactional), or
 * -1. */
static int
backlog_stream_index(const struct backlog *b, const char *name)
{
	size_t i;

	if (name == NULL)
		name = "transactional";
	for (i = 0; i < b->n_streams; i++)
		if (strcmp(b->streams[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* backlog_add - a new unfinished message. */
static void
backlog_add(struct backlog *b, const char *id, int s, int64_t created,
            bool deferred)
{
	struct backlog_heap *h = &b->streams[s];
	struct backlog_entry **pp, *e;

	if (strlen(id) >= ID_SIZE || *(pp = backlog_slot(b, id)) != NULL)
		return;
	e = xcalloc(1, sizeof(*e));
	memcpy(e->id, id, strlen(id) + 1);
	e->stream = (uint32_t)s;
	e->created_ms = created;
	e->deferred = deferred;
	*pp = e;
	if (++b->n_entries > b->n_buckets)
		backlog_grow(b);
	if (h->n == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 64;
		h->v = xreallocarray(h->v, h->cap, sizeof(*h->v));
	}
	h->v[h->n++] = e;
	backlog_sift_up(h, h->n - 1);
	h->live++;
	if (deferred)
		h->deferred++;
}

/* backlog_remove - message id finished; returns its stream or -1. */
static int
backlog_remove(struct backlog *b, const char *id)
{
	struct backlog_entry **pp = backlog_slot(b, id), *e = *pp;
	struct backlog_heap *h;
	int s;

	if (e == NULL)
		return -1;
	*pp = e->next;
	e->next = NULL;
	e->done = true;
	b->n_entries--;
	s = (int)e->stream;
	h = &b->streams[s];
	h->live--;
	if (e->deferred)
		h->deferred--;
	/* e may be freed by the compaction: not used after this. */
	if (h->n > 1024 && h->n > 2 * h->live)
		backlog_compact(h);
	return s;
}

/* backlog_mark - set id's deferred flag. */
static void
backlog_mark(struct backlog *b, const char *id, bool deferred)
{
	struct backlog_entry *e = *backlog_slot(b, id);

	if (e == NULL || e->deferred == deferred)
		return;
	e->deferred = deferred;
	if (deferred)
		b->streams[e->stream].deferred++;
	else
		b->streams[e->stream].deferred--;
}

struct backlog *
backlog_new(const struct config *cfg)
{
	struct backlog *b = xcalloc(1, sizeof(*b));
	size_t i;

	b->n_buckets = 1024;
	b->buckets = xcalloc(b->n_buckets, sizeof(*b->buckets));
	b->n_streams = cfg->n_streams;
	b->streams = xcalloc(b->n_streams + 1, sizeof(*b->streams));
	for (i = 0; i < b->n_streams; i++)
		b->streams[i].name = xstrdup(cfg->streams[i].name);
	return b;
}

void
backlog_free(struct backlog *b)
{
	size_t i, j;

	if (b == NULL)
		return;
	for (i = 0; i < b->n_streams; i++) {
		for (j = 0; j < b->streams[i].n; j++)
			free(b->streams[i].v[j]);
		free(b->streams[i].v);
		free(b->streams[i].name);
	}
	free(b->streams);
	free(b->buckets);
	free(b);
}

/* backlog_id_ms - the creation time an id carries (its first 10
 * characters, base32), or 0 if it is not an id. */
static int64_t
backlog_id_ms(const char *id)
{
	static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	uint64_t ms = 0;
	const char *p;
	int i;

	if (!id_valid(id))
		return 0;
	for (i = 0; i < 10; i++) {
		p = strchr(alphabet, id[i]);
		if (p == NULL || *p == '\0')
			return 0;
		ms = (ms << 5) | (uint64_t)(p - alphabet);
	}
	return (int64_t)ms;
}

void
backlog_event(struct backlog *b, const struct events_item *e)
{
	int s;

	if (e->msg_id == NULL)
		return;
	/* A message we have not seen accepted (the HTTP API, or one from
	 * before a restart) is learnt from its first delivery event; its
	 * id says when it was made. */
	if (e->kind == EVENT_ATTEMPT || e->kind == EVENT_DEFERRED ||
	    e->kind == EVENT_HELD || e->kind == EVENT_FAILOVER) {
		s = backlog_stream_index(b, e->stream);
		if (s >= 0 && *backlog_slot(b, e->msg_id) == NULL &&
		    backlog_id_ms(e->msg_id) > 0)
			backlog_add(b, e->msg_id, s, backlog_id_ms(e->msg_id),
			            false);
	}
	switch (e->kind) {
	case EVENT_ACCEPTED:
		s = backlog_stream_index(b, e->stream);
		if (s >= 0)
			backlog_add(b, e->msg_id, s, e->at_ms, false);
		break;
	case EVENT_SENT:
		backlog_remove(b, e->msg_id);
		s = backlog_stream_index(b, e->stream);
		if (s >= 0)
			b->streams[s].sent_total++;
		break;
	case EVENT_FAILED:
		backlog_remove(b, e->msg_id);
		break;
	case EVENT_DEFERRED:
	case EVENT_HELD:
		backlog_mark(b, e->msg_id, true);
		break;
	case EVENT_ATTEMPT:
		backlog_mark(b, e->msg_id, false);
		break;
	default:
		break;
	}
}

void
backlog_seed(struct backlog *b, const char *id, const char *stream,
             int64_t created_ms, bool deferred)
{
	int s = backlog_stream_index(b, stream);

	if (s >= 0)
		backlog_add(b, id, s, created_ms, deferred);
}

void
backlog_forget(struct backlog *b, const char *id)
{
	backlog_remove(b, id);
}

void
backlog_stream_get(struct backlog *b, size_t i, struct backlog_stream *out)
{
	struct backlog_heap *h = &b->streams[i];
	struct backlog_entry *top = backlog_top(h);

	memset(out, 0, sizeof(*out));
	out->oldest_ms = top ? top->created_ms : 0;
	out->oldest_id = top ? top->id : NULL;
	out->waiting = h->live;
	out->deferred = h->deferred;
	out->sent_total = h->sent_total;
}
