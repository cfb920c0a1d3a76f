/*
 * auth_throttle.c - counts of failed AUTH attempts per address and user.
 *
 * One chained hash table holds both kinds of entry, keyed "ip:ADDR" and
 * "user:NAME". It is bounded: past AUTH_THROTTLE_ENTRIES, entries whose
 * wait is long over are swept out, and if it is still full a new address
 * is not counted (and that is logged) rather than memory growing without
 * limit under a spray of addresses.
 */
#include "ingress/auth_throttle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/xmalloc.h"

#define AUTH_THROTTLE_BUCKETS 4096 /* power of two */
#define AUTH_THROTTLE_ENTRIES 65536
#define AUTH_THROTTLE_KEY 320 /* "user:" + a name, "ip:" + an address */

struct auth_throttle_entry {
	struct auth_throttle_entry *next;
	unsigned failures;
	uint64_t until_ms; /* attempts before this wait */
	char key[];
};

struct auth_throttle {
	struct auth_throttle_entry *bucket[AUTH_THROTTLE_BUCKETS];
	size_t n;
};

/* auth_throttle_link - the link that points at key's entry (or NULL). */
static struct auth_throttle_entry **
auth_throttle_link(struct auth_throttle *t, const char *key)
{
	uint32_t h = 2166136261u;
	const char *k;
	struct auth_throttle_entry **pe;

	for (k = key; *k; k++)
		h = (h ^ (unsigned char)*k) * 16777619u;
	pe = &t->bucket[h & (AUTH_THROTTLE_BUCKETS - 1)];
	while (*pe != NULL && strcmp((*pe)->key, key) != 0)
		pe = &(*pe)->next;
	return pe;
}

/* auth_throttle_key - "kind:name" into buf. */
static const char *
auth_throttle_key(char *buf, const char *kind, const char *name)
{
	snprintf(buf, AUTH_THROTTLE_KEY, "%s:%s", kind, name);
	return buf;
}

/* auth_throttle_get - key's entry, or NULL; a forgotten one is dropped. */
static struct auth_throttle_entry *
auth_throttle_get(struct auth_throttle *t, const char *key, uint64_t now_ms)
{
	struct auth_throttle_entry **pe = auth_throttle_link(t, key), *e = *pe;

	if (e != NULL && now_ms > e->until_ms + AUTH_THROTTLE_FORGET_MS) {
		*pe = e->next;
		free(e);
		t->n--;
		return NULL;
	}
	return e;
}

/* auth_throttle_sweep - drop every entry whose wait is long over. */
static void
auth_throttle_sweep(struct auth_throttle *t, uint64_t now_ms)
{
	struct auth_throttle_entry **pe, *e;
	size_t i;

	for (i = 0; i < AUTH_THROTTLE_BUCKETS; i++)
		for (pe = &t->bucket[i]; (e = *pe) != NULL;) {
			if (now_ms > e->until_ms + AUTH_THROTTLE_FORGET_MS) {
				*pe = e->next;
				free(e);
				t->n--;
			} else {
				pe = &e->next;
			}
		}
}

/* auth_throttle_delay - the wait after failures, free ones not counted. */
static uint64_t
auth_throttle_delay(unsigned failures, unsigned free_failures)
{
	unsigned shift;
	uint64_t d;

	if (failures <= free_failures)
		return 0;
	shift = failures - free_failures - 1;
	if (shift > 20)
		shift = 20;
	d = (uint64_t)AUTH_THROTTLE_BASE_MS << shift;
	return d < AUTH_THROTTLE_MAX_MS ? d : AUTH_THROTTLE_MAX_MS;
}

/* auth_throttle_count - one more failure for key. */
static void
auth_throttle_count(struct auth_throttle *t, const char *key,
                    unsigned free_failures, uint64_t now_ms)
{
	struct auth_throttle_entry *e = auth_throttle_get(t, key, now_ms);
	size_t len;

	if (e == NULL) {
		if (t->n >= AUTH_THROTTLE_ENTRIES)
			auth_throttle_sweep(t, now_ms);
		if (t->n >= AUTH_THROTTLE_ENTRIES) {
			log_limited(LOG_LEVEL_WARN,
			            "smtpd: auth throttle full (%d entries); "
			            "not counting %s",
			            AUTH_THROTTLE_ENTRIES, key);
			return;
		}
		len = strlen(key);
		e = xcalloc(1, sizeof(*e) + len + 1);
		memcpy(e->key, key, len + 1);
		*auth_throttle_link(t, key) = e;
		t->n++;
	}
	e->failures++;
	e->until_ms = now_ms + auth_throttle_delay(e->failures, free_failures);
}

/* auth_throttle_clear - forget key. */
static void
auth_throttle_clear(struct auth_throttle *t, const char *key)
{
	struct auth_throttle_entry **pe = auth_throttle_link(t, key), *e = *pe;

	if (e == NULL)
		return;
	*pe = e->next;
	free(e);
	t->n--;
}

struct auth_throttle *
auth_throttle_new(void)
{
	return xcalloc(1, sizeof(struct auth_throttle));
}

uint64_t
auth_throttle_wait(struct auth_throttle *t, const char *ip, const char *user,
                   uint64_t now_ms)
{
	char key[AUTH_THROTTLE_KEY];
	struct auth_throttle_entry *e;
	uint64_t wait = 0;

	e = auth_throttle_get(t, auth_throttle_key(key, "ip", ip), now_ms);
	/* A clean address is never slowed by a user's failures elsewhere. */
	if (e == NULL)
		return 0;
	if (e->until_ms > now_ms)
		wait = e->until_ms - now_ms;
	if (user == NULL)
		return wait;
	e = auth_throttle_get(t, auth_throttle_key(key, "user", user), now_ms);
	if (e != NULL && e->until_ms > now_ms && e->until_ms - now_ms > wait)
		wait = e->until_ms - now_ms;
	return wait;
}

void
auth_throttle_failed(struct auth_throttle *t, const char *ip, const char *user,
                     uint64_t now_ms)
{
	char key[AUTH_THROTTLE_KEY];

	auth_throttle_count(t, auth_throttle_key(key, "ip", ip),
	                    AUTH_THROTTLE_FREE_IP, now_ms);
	if (user != NULL)
		auth_throttle_count(t, auth_throttle_key(key, "user", user),
		                    AUTH_THROTTLE_FREE_USER, now_ms);
}

void
auth_throttle_passed(struct auth_throttle *t, const char *ip, const char *user)
{
	char key[AUTH_THROTTLE_KEY];

	auth_throttle_clear(t, auth_throttle_key(key, "ip", ip));
	if (user != NULL)
		auth_throttle_clear(t, auth_throttle_key(key, "user", user));
}

void
auth_throttle_free(struct auth_throttle *t)
{
	struct auth_throttle_entry *e, *next;
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < AUTH_THROTTLE_BUCKETS; i++)
		for (e = t->bucket[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	free(t);
}
