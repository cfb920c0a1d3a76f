/*
 * suppress.c - the suppression list's vocabulary: reason names, the
 * address forms (stored and compared), and the daemon's active list.
 * Pure, except for the one installed pointer (loop thread).
 */
#include "spool/suppress.h"

#include <stdio.h>
#include <string.h>

static const char *const suppress_reason_names[SUPPRESS_REASON_COUNT] = {
    [SUPPRESS_HARD_BOUNCE] = "hard_bounce",
    [SUPPRESS_COMPLAINT] = "complaint",
    [SUPPRESS_UNSUBSCRIBE] = "unsubscribe",
    [SUPPRESS_SOFT_BOUNCE] = "soft_bounce",
    [SUPPRESS_MANUAL] = "manual",
    [SUPPRESS_IMPORT] = "import",
};

static struct suppress *suppress_current;

/* suppress_reason_name - the reason's name ("?" out of range). */
const char *
suppress_reason_name(enum suppress_reason r)
{
	if ((unsigned)r >= SUPPRESS_REASON_COUNT)
		return "?";
	return suppress_reason_names[r];
}

/* suppress_reason_parse - a reason's value from its name, or -1. */
int
suppress_reason_parse(const char *name)
{
	int i;

	if (name == NULL)
		return -1;
	for (i = 0; i < SUPPRESS_REASON_COUNT; i++)
		if (strcmp(name, suppress_reason_names[i]) == 0)
			return i;
	return -1;
}

/* lower - ASCII lower case of c. */
static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* suppress_addr_store - local part as given, domain lower-cased. */
int
suppress_addr_store(const char *addr, char *out, size_t n)
{
	size_t len, i, at;
	const char *p;

	if (addr == NULL || n == 0)
		return -1;
	len = strlen(addr);
	if (len >= 2 && addr[0] == '<' && addr[len - 1] == '>') {
		addr++;
		len -= 2;
	}
	p = memchr(addr, '@', len);
	/* The last '@' ends a quoted local part that holds one. */
	for (at = len; at > 0 && addr[at - 1] != '@'; at--)
		;
	if (p == NULL || at <= 1 || at >= len || len >= n)
		return -1;
	at--;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)addr[i];
		if (c <= ' ' || c == 0x7f)
			return -1;
		out[i] = i > at ? lower((char)c) : (char)c;
	}
	out[len] = '\0';
	return 0;
}

/* suppress_addr_key - tenant '\n' address, local part folded. */
int
suppress_addr_key(const char *tenant, const char *addr, bool sensitive,
                  char *out, size_t n)
{
	char a[SUPPRESS_ADDR_MAX];
	size_t tl = tenant != NULL ? strlen(tenant) : 0, al, i;

	if (suppress_addr_store(addr, a, sizeof(a)) < 0)
		return -1;
	al = strlen(a);
	if (tl + 1 + al + 1 > n)
		return -1;
	if (tl > 0)
		memcpy(out, tenant, tl);
	out[tl] = '\n';
	for (i = 0; i < al; i++)
		out[tl + 1 + i] = sensitive ? a[i] : lower(a[i]);
	out[tl + 1 + al] = '\0';
	return (int)(tl + 1 + al);
}

/* suppress_check - ask s's backend; no list suppresses nothing. */
bool
suppress_check(const struct suppress *s, const char *tenant, const char *addr,
               int64_t now_ms, enum suppress_reason *why)
{
	if (s == NULL || s->be == NULL)
		return false;
	return s->be->check(s->impl, tenant, addr, now_ms, why);
}

/* suppress_purge - ask s's backend to delete expired entries. */
int
suppress_purge(const struct suppress *s, int64_t now_ms, size_t max,
               suppress_done_fn *cb, void *arg)
{
	if (s == NULL || s->be == NULL || s->be->purge == NULL)
		return -1;
	return s->be->purge(s->impl, now_ms, max, cb, arg);
}

/* suppress_active - the installed list, or NULL. */
struct suppress *
suppress_active(void)
{
	return suppress_current;
}

/* suppress_install - install s (borrowed) as the daemon's list. */
void
suppress_install(struct suppress *s)
{
	suppress_current = s;
}
