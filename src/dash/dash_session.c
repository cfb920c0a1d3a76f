/*
 * dash_session.c - the dashboard's session table: a small array, searched
 * linearly (a handful of operators), ids and tokens from RAND_bytes.
 */
#include "dash/dash_session.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"

struct dash_sessions {
	struct dash_session *s;
	size_t n, max;
	int64_t lifetime_ms;
};

struct dash_sessions *
dash_sessions_new(size_t max, int64_t lifetime_ms)
{
	struct dash_sessions *t = xcalloc(1, sizeof(*t));

	t->max = max ? max : 1;
	t->s = xcalloc(t->max, sizeof(*t->s));
	t->lifetime_ms = lifetime_ms;
	return t;
}

void
dash_sessions_free(struct dash_sessions *t)
{
	if (t == NULL)
		return;
	OPENSSL_cleanse(t->s, t->max * sizeof(*t->s));
	free(t->s);
	free(t);
}

/* dash_session_random - 32 random octets as 64 hex digits in out; -1 when
 * the generator failed. */
static int
dash_session_random(char out[DASH_TOKEN_SIZE])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char r[DASH_TOKEN_HEX / 2];
	size_t i;

	if (RAND_bytes(r, (int)sizeof(r)) != 1)
		return -1;
	for (i = 0; i < sizeof(r); i++) {
		out[2 * i] = hex[r[i] >> 4];
		out[2 * i + 1] = hex[r[i] & 0xf];
	}
	out[DASH_TOKEN_HEX] = '\0';
	OPENSSL_cleanse(r, sizeof(r));
	return 0;
}

/* dash_session_remove - drop slot i (order is not kept). */
static void
dash_session_remove(struct dash_sessions *t, size_t i)
{
	t->s[i] = t->s[t->n - 1];
	OPENSSL_cleanse(&t->s[t->n - 1], sizeof(t->s[0]));
	t->n--;
}

const struct dash_session *
dash_session_create(struct dash_sessions *t, const char *who, int64_t now_ms)
{
	struct dash_session s;
	size_t i, oldest = 0;

	memset(&s, 0, sizeof(s));
	if (dash_session_random(s.id) != 0 || dash_session_random(s.csrf) != 0)
		return NULL;
	snprintf(s.who, sizeof(s.who), "%s", who ? who : "");
	s.created_ms = now_ms;
	s.expires_ms = now_ms + t->lifetime_ms;
	/* Expired ones first, then the oldest if still full. */
	for (i = t->n; i-- > 0;)
		if (t->s[i].expires_ms <= now_ms)
			dash_session_remove(t, i);
	if (t->n == t->max) {
		for (i = 1; i < t->n; i++)
			if (t->s[i].created_ms < t->s[oldest].created_ms)
				oldest = i;
		dash_session_remove(t, oldest);
	}
	t->s[t->n] = s;
	OPENSSL_cleanse(&s, sizeof(s));
	return &t->s[t->n++];
}

/* dash_session_index - the slot whose id is id, or -1. Every slot is
 * compared, found or not. */
static long
dash_session_index(const struct dash_sessions *t, const char *id)
{
	long found = -1;
	size_t i;

	if (id == NULL || strlen(id) != DASH_TOKEN_HEX)
		return -1;
	for (i = 0; i < t->n; i++)
		if (CRYPTO_memcmp(t->s[i].id, id, DASH_TOKEN_HEX) == 0)
			found = (long)i;
	return found;
}

const struct dash_session *
dash_session_find(struct dash_sessions *t, const char *id, int64_t now_ms)
{
	long i = dash_session_index(t, id);

	if (i < 0)
		return NULL;
	if (t->s[i].expires_ms <= now_ms) {
		dash_session_remove(t, (size_t)i);
		return NULL;
	}
	return &t->s[i];
}

int
dash_session_csrf_ok(const struct dash_session *s, const char *token)
{
	if (s == NULL || token == NULL || strlen(token) != DASH_TOKEN_HEX)
		return 0;
	return CRYPTO_memcmp(s->csrf, token, DASH_TOKEN_HEX) == 0;
}

int
dash_session_end(struct dash_sessions *t, const char *id)
{
	long i = dash_session_index(t, id);

	if (i < 0)
		return -1;
	dash_session_remove(t, (size_t)i);
	return 0;
}

size_t
dash_sessions_count(const struct dash_sessions *t)
{
	return t->n;
}
