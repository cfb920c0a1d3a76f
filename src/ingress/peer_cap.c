/*
 * peer_cap.c - connection counts per client address.
 *
 * A chained hash table of the addresses that hold at least one connection;
 * an entry goes when its count drops to zero, so the table is as large as
 * the set of connected clients, never the set of clients ever seen.
 */
#include "ingress/peer_cap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/xmalloc.h"

#define PEER_CAP_BUCKETS 1024 /* power of two */

struct peer_cap_entry {
	struct peer_cap_entry *next;
	size_t count;
	char ip[]; /* NUL-terminated */
};

struct peer_cap {
	struct peer_cap_entry *bucket[PEER_CAP_BUCKETS];
};

/* peer_cap_hash - FNV-1a of the address text. */
static size_t
peer_cap_hash(const char *ip)
{
	uint32_t h = 2166136261u;

	for (; *ip; ip++)
		h = (h ^ (unsigned char)*ip) * 16777619u;
	return h & (PEER_CAP_BUCKETS - 1);
}

/* peer_cap_find - the link that points at ip's entry (or at NULL). */
static struct peer_cap_entry **
peer_cap_find(struct peer_cap *pc, const char *ip)
{
	struct peer_cap_entry **pe = &pc->bucket[peer_cap_hash(ip)];

	while (*pe != NULL && strcmp((*pe)->ip, ip) != 0)
		pe = &(*pe)->next;
	return pe;
}

struct peer_cap *
peer_cap_new(void)
{
	return xcalloc(1, sizeof(struct peer_cap));
}

int
peer_cap_take(struct peer_cap *pc, const char *ip, size_t limit)
{
	struct peer_cap_entry **pe = peer_cap_find(pc, ip), *e = *pe;
	size_t len;

	if (e != NULL) {
		if (e->count >= limit)
			return -1;
		e->count++;
		return 0;
	}
	if (limit == 0)
		return -1;
	len = strlen(ip);
	e = xmalloc(sizeof(*e) + len + 1);
	memcpy(e->ip, ip, len + 1);
	e->count = 1;
	e->next = NULL;
	*pe = e;
	return 0;
}

void
peer_cap_release(struct peer_cap *pc, const char *ip)
{
	struct peer_cap_entry **pe = peer_cap_find(pc, ip), *e = *pe;

	if (e == NULL)
		log_panic("peer_cap: release of %s, which holds nothing", ip);
	if (--e->count > 0)
		return;
	*pe = e->next;
	free(e);
}

size_t
peer_cap_count(const struct peer_cap *pc, const char *ip)
{
	/* peer_cap_find does not change the table. */
	struct peer_cap_entry *e = *peer_cap_find((struct peer_cap *)pc, ip);

	return e != NULL ? e->count : 0;
}

size_t
peer_cap_share(size_t total, size_t per_ip)
{
	if (per_ip > 0)
		return per_ip;
	return total / 4 > 0 ? total / 4 : 1;
}

void
peer_cap_free(struct peer_cap *pc)
{
	struct peer_cap_entry *e, *next;
	size_t i;

	if (pc == NULL)
		return;
	for (i = 0; i < PEER_CAP_BUCKETS; i++)
		for (e = pc->bucket[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	free(pc);
}
