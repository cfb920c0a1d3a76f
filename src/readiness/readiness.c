/*
 * readiness.c - the provider x sender domain readiness table (see
 * readiness.h).
 */
#include "readiness/readiness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct readiness {
	struct readiness_entry *v;
	size_t n, cap;
};

struct readiness *
readiness_new(void)
{
	return calloc(1, sizeof(struct readiness));
}

void
readiness_free(struct readiness *r)
{
	if (r == NULL)
		return;
	free(r->v);
	free(r);
}

/* find - the index of provider x domain in r, or -1. */
static long
find(const struct readiness *r, const char *provider, const char *domain)
{
	size_t i;

	for (i = 0; r != NULL && i < r->n; i++)
		if (strcmp(r->v[i].provider, provider) == 0 &&
		    strcasecmp(r->v[i].domain, domain) == 0)
			return (long)i;
	return -1;
}

int
readiness_set(struct readiness *r, const char *provider, const char *domain,
              const struct readiness_facts *facts)
{
	long at = find(r, provider, domain);
	struct readiness_entry *e;

	if (at < 0) {
		if (r->n == r->cap) {
			size_t cap = r->cap ? r->cap * 2 : 16;
			struct readiness_entry *v =
			    realloc(r->v, cap * sizeof(*v));

			if (v == NULL)
				return -1;
			r->v = v;
			r->cap = cap;
		}
		at = (long)r->n++;
		e = &r->v[at];
		memset(e, 0, sizeof(*e));
		snprintf(e->provider, sizeof(e->provider), "%s", provider);
		snprintf(e->domain, sizeof(e->domain), "%s", domain);
	}
	e = &r->v[at];
	e->facts = *facts;
	e->verdict = readiness_judge(&e->facts, e->reason, sizeof(e->reason));
	return 0;
}

const struct readiness_entry *
readiness_get(const struct readiness *r, const char *provider,
              const char *domain)
{
	long at = find(r, provider, domain);

	return at < 0 ? NULL : &r->v[at];
}

bool
readiness_blocks(const struct readiness *r, const char *provider,
                 const char *sender_domain, char *why, size_t whylen)
{
	const struct readiness_entry *e;

	if (r == NULL || sender_domain == NULL || sender_domain[0] == '\0')
		return false;
	e = readiness_get(r, provider, sender_domain);
	if (e == NULL || e->facts.verified != READINESS_NO)
		return false;
	snprintf(why, whylen, "sender domain %s not verified at %s: %s",
	         e->domain, e->provider, e->facts.verified_words);
	return true;
}

size_t
readiness_count(const struct readiness *r)
{
	return r == NULL ? 0 : r->n;
}

const struct readiness_entry *
readiness_at(const struct readiness *r, size_t i)
{
	return r != NULL && i < r->n ? &r->v[i] : NULL;
}

/* tri_name - "yes", "no", "unknown". */
static const char *
tri_name(enum readiness_tri t)
{
	return t == READINESS_YES  ? "yes"
	       : t == READINESS_NO ? "no"
	                           : "unknown";
}

json_t *
readiness_json(const struct readiness *r)
{
	json_t *out = json_object(), *arr = json_array();
	size_t i;
	int c;

	if (out == NULL || arr == NULL ||
	    json_object_set_new(out, "entries", arr) != 0) {
		json_decref(out);
		return NULL;
	}
	for (i = 0; i < readiness_count(r); i++) {
		const struct readiness_entry *e = &r->v[i];
		json_t *dns = json_object();
		json_t *o = json_pack(
		    "{s:s, s:s, s:s, s:s, s:s, s:s}", "domain", e->domain,
		    "provider", e->provider, "verdict",
		    readiness_verdict_name(e->verdict), "reason", e->reason,
		    "verified", tri_name(e->facts.verified), "verified_words",
		    e->facts.verified_words);

		for (c = 0; dns != NULL && c < READINESS_N_DNS; c++)
			json_object_set_new(
			    dns, readiness_dns_check_name(c),
			    json_string(tri_name(e->facts.dns[c])));
		if (o == NULL || dns == NULL) {
			json_decref(o);
			json_decref(dns);
			json_decref(out);
			return NULL;
		}
		if (json_object_set_new(o, "dns", dns) != 0 ||
		    json_array_append_new(arr, o) != 0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}
