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
	struct readiness_seen *seen;
	char prov[READINESS_MAX_PROVIDERS][64];
	size_t n_prov;
};

struct readiness *
readiness_new(void)
{
	struct readiness *r = calloc(1, sizeof(struct readiness));

	if (r != NULL && (r->seen = readiness_seen_new()) == NULL) {
		free(r);
		return NULL;
	}
	return r;
}

struct readiness_seen *
readiness_seen_of(struct readiness *r)
{
	return r->seen;
}

void
readiness_providers_set(struct readiness *r, const char *const *names, size_t n)
{
	size_t i;

	r->n_prov = 0;
	for (i = 0; i < n && r->n_prov < READINESS_MAX_PROVIDERS; i++)
		if (strlen(names[i]) < sizeof(r->prov[0]))
			snprintf(r->prov[r->n_prov++], sizeof(r->prov[0]), "%s",
			         names[i]);
}

void
readiness_free(struct readiness *r)
{
	if (r == NULL)
		return;
	readiness_seen_free(r->seen);
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
		if (r->v == NULL || r->n == r->cap) {
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
	if (r->v == NULL)
		return -1; /* not reached: at indexes an entry */
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

void
readiness_checked(struct readiness *r, const char *provider, const char *domain,
                  int64_t at_ms)
{
	long at = find(r, provider, domain);

	if (at >= 0)
		r->v[at].checked_ms = at_ms;
}

size_t
readiness_not_ready(struct readiness *r, const char *provider, int64_t since_ms,
                    char *note, size_t notelen)
{
	static const char *dom[READINESS_SEEN_MAX];
	size_t i, n, bad = 0;

	if (notelen > 0)
		note[0] = '\0';
	if (r == NULL)
		return 0;
	n = readiness_seen_since(r->seen, since_ms, dom, READINESS_SEEN_MAX);
	for (i = 0; i < n; i++) {
		const struct readiness_entry *e =
		    readiness_get(r, provider, dom[i]);
		size_t used = strlen(note);

		if (e == NULL || (e->verdict != READINESS_V_NOT_VERIFIED &&
		                  e->verdict != READINESS_V_DNS_INCOMPLETE))
			continue;
		if (bad < 3 && used + 1 < notelen)
			snprintf(note + used, notelen - used, "%s%s: %s",
			         bad > 0 ? "; " : "", e->domain, e->reason);
		bad++;
	}
	return bad;
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

/* expect_seen - an unknown entry for every seen domain x provider that
 * has none; -1 on memory exhaustion. */
static int
expect_seen(struct readiness *r, int64_t since_ms)
{
	static const char *dom[READINESS_SEEN_MAX];
	struct readiness_facts f;
	size_t i, j, n;

	readiness_facts_init(&f);
	snprintf(f.verified_words, sizeof(f.verified_words), "not checked yet");
	n = readiness_seen_since(r->seen, since_ms, dom, READINESS_SEEN_MAX);
	for (i = 0; i < n; i++)
		for (j = 0; j < r->n_prov; j++)
			if (readiness_get(r, r->prov[j], dom[i]) == NULL &&
			    readiness_set(r, r->prov[j], dom[i], &f) != 0)
				return -1;
	return 0;
}

json_t *
readiness_json(struct readiness *r, int64_t since_ms)
{
	json_t *out = json_object(), *arr = json_array();
	size_t i;
	int c;

	if (out == NULL || arr == NULL || expect_seen(r, since_ms) != 0 ||
	    json_object_set_new(out, "entries", arr) != 0) {
		json_decref(out);
		return NULL;
	}
	for (i = 0; i < readiness_count(r); i++) {
		const struct readiness_entry *e = &r->v[i];
		json_t *dns = json_object();
		json_t *o = json_pack(
		    "{s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "domain", e->domain,
		    "provider", e->provider, "verdict",
		    readiness_verdict_name(e->verdict), "reason", e->reason,
		    "verified", tri_name(e->facts.verified), "verified_words",
		    e->facts.verified_words, "checked_ms",
		    (json_int_t)e->checked_ms);

		for (c = 0; dns != NULL && c < READINESS_N_DNS; c++) {
			json_object_set_new(
			    dns, readiness_dns_check_name(c),
			    json_string(tri_name(e->facts.dns[c])));
			if (e->facts.dns_words[c][0] != '\0')
				json_object_set_new(
				    dns,
				    c == READINESS_SPF    ? "spf_words"
				    : c == READINESS_DKIM ? "dkim_words"
				    : c == READINESS_DMARC
				        ? "dmarc_words"
				        : "return_path_words",
				    json_string(e->facts.dns_words[c]));
		}
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
