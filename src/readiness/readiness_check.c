/*
 * readiness_check.c - the DNS lookups of failover readiness and what
 * their answers mean (see readiness_check.h).
 */
#include "readiness/readiness_check.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "readiness/readiness_txt.h"

const char *
readiness_check_spf_include(const char *type)
{
	static const struct {
		const char *type, *include;
	} tab[] = {
	    {"ses", "amazonses.com"},      {"resend", "amazonses.com"},
	    {"sendgrid", "sendgrid.net"},  {"mailgun", "mailgun.org"},
	    {"postmark", "spf.mtasv.net"},
	};
	size_t i;

	for (i = 0; type != NULL && i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strcmp(tab[i].type, type) == 0)
			return tab[i].include;
	return NULL;
}

/* add - one lookup of check at name. */
static void
add(struct readiness_query *q, size_t *n, enum readiness_dns_check c, int type,
    const char *fmt, const char *a, const char *b)
{
	q[*n].check = c;
	q[*n].type = type;
	snprintf(q[*n].name, sizeof(q[*n].name), fmt, a, b);
	(*n)++;
}

size_t
readiness_check_plan(const char *type, const char *domain,
                     const struct readiness_verified *v,
                     struct readiness_query *q)
{
	const char *rp = v != NULL ? v->return_path : "";
	bool rp_spf = rp[0] != '\0' &&
	              (strcmp(type, "ses") == 0 || strcmp(type, "resend") == 0);
	size_t n = 0, i;

	add(q, &n, READINESS_SPF, READINESS_DNS_T_TXT, "%s%s",
	    rp_spf ? rp : domain, "");
	for (i = 0; v != NULL && i < v->n_selectors; i++)
		add(q, &n, READINESS_DKIM, READINESS_DNS_T_TXT,
		    "%s._domainkey.%s", v->selectors[i], domain);
	add(q, &n, READINESS_DMARC, READINESS_DNS_T_TXT, "_dmarc.%s%s", domain,
	    "");
	if (rp[0] != '\0')
		add(q, &n, READINESS_RETURN_PATH, READINESS_DNS_T_MX, "%s%s",
		    rp, "");
	return n;
}

/* starts - does the record text begin with tag (any case) followed by a
 * space, ';' or its end? */
static bool
starts(const char *txt, size_t len, const char *tag)
{
	size_t n = strlen(tag);

	return len >= n && strncasecmp(txt, tag, n) == 0 &&
	       (len == n || txt[n] == ' ' || txt[n] == ';');
}

/* pick - the one record of a that starts with tag: its index, -1 when
 * none, -2 when several. */
static int
pick(const struct readiness_dns_answer *a, const char *tag)
{
	int at = -1;
	unsigned i;

	for (i = 0; i < a->n_txt; i++) {
		if (!starts(a->txt[i], a->txt_len[i], tag))
			continue;
		if (at >= 0)
			return -2;
		at = (int)i;
	}
	return at;
}

/* say - set out. */
static void
say(struct readiness_qresult *out, enum readiness_tri t, const char *fmt,
    const char *a, const char *b)
{
	out->tri = t;
	/* Words are cut at their size (a long name loses its end). */
	if (snprintf(out->words, sizeof(out->words), fmt, a, b) < 0)
		out->words[0] = '\0';
}

/* answer_spf - an SPF lookup's answer. */
static void
answer_spf(const char *type, const struct readiness_query *q,
           const struct readiness_dns_answer *a, struct readiness_qresult *out)
{
	const char *inc = readiness_check_spf_include(type);
	char err[READINESS_WORDS / 2];
	int at = pick(a, "v=spf1"), rc;

	if (at == -1) {
		say(out, READINESS_NO, "no SPF record at %s%s", q->name, "");
		return;
	}
	if (at == -2) {
		say(out, READINESS_NO, "several SPF records at %s%s", q->name,
		    " (permerror)");
		return;
	}
	if (inc == NULL) {
		say(out, READINESS_UNKNOWN, "no SPF include known for %s%s",
		    type, "");
		return;
	}
	rc = readiness_spf_includes(a->txt[at], a->txt_len[at], inc, err,
	                            sizeof(err));
	if (rc == 1) {
		say(out, READINESS_YES, "include:%s at %s", inc, q->name);
	} else if (rc == 0) {
		say(out, READINESS_NO, "SPF at %s lacks include:%s", q->name,
		    inc);
	} else {
		out->tri = READINESS_UNKNOWN;
		if (snprintf(out->words, sizeof(out->words),
		             "SPF at %.80s unreadable: %s", q->name, err) < 0)
			out->words[0] = '\0';
	}
}

/* answer_dmarc - a DMARC lookup's answer. */
static void
answer_dmarc(const struct readiness_query *q,
             const struct readiness_dns_answer *a,
             struct readiness_qresult *out)
{
	static const char *const pol[] = {"none", "quarantine", "reject"};
	enum readiness_dmarc_policy p = READINESS_DMARC_NONE;
	char err[READINESS_WORDS / 2];
	int at = pick(a, "v=DMARC1");

	if (at == -1) {
		say(out, READINESS_NO, "no DMARC record at %s%s", q->name, "");
		return;
	}
	if (at == -2) {
		say(out, READINESS_UNKNOWN, "several DMARC records at %s%s",
		    q->name, "");
		return;
	}
	if (readiness_dmarc_parse(a->txt[at], a->txt_len[at], &p, err,
	                          sizeof(err)) != 0) {
		out->tri = READINESS_UNKNOWN;
		if (snprintf(out->words, sizeof(out->words),
		             "DMARC at %.80s unreadable: %s", q->name, err) < 0)
			out->words[0] = '\0';
		return;
	}
	say(out, READINESS_YES, "p=%s at %s", pol[p], q->name);
}

/* answer_dkim - a DKIM selector's answer: a CNAME, or a TXT with p=. */
static void
answer_dkim(const struct readiness_query *q,
            const struct readiness_dns_answer *a, struct readiness_qresult *out)
{
	unsigned i;

	if (a->n_cname > 0) {
		say(out, READINESS_YES, "CNAME at %s%s", q->name, "");
		return;
	}
	for (i = 0; i < a->n_txt; i++)
		if (memmem(a->txt[i], a->txt_len[i], "p=", 2) != NULL) {
			say(out, READINESS_YES, "TXT key at %s%s", q->name, "");
			return;
		}
	say(out, READINESS_NO, "no DKIM key (CNAME or TXT p=) at %s%s", q->name,
	    "");
}

void
readiness_check_answer(const char *type, const struct readiness_query *q,
                       enum readiness_dns_status st,
                       const struct readiness_dns_answer *a, const char *why,
                       struct readiness_qresult *out)
{
	static const char *const what[READINESS_N_DNS] = {"TXT", "TXT or CNAME",
	                                                  "TXT", "MX or CNAME"};

	if (st == READINESS_DNS_FAIL || (st == READINESS_DNS_OK && a == NULL)) {
		out->tri = READINESS_UNKNOWN;
		snprintf(out->words, sizeof(out->words),
		         "lookup of %.100s failed: %s", q->name,
		         why != NULL ? why : "no answer");
		return;
	}
	if (st == READINESS_DNS_NONE ||
	    (a->n_answers == 0 && q->check != READINESS_DKIM)) {
		say(out, READINESS_NO, "no %s at %s", what[q->check], q->name);
		return;
	}
	switch (q->check) {
	case READINESS_SPF:
		answer_spf(type, q, a, out);
		break;
	case READINESS_DMARC:
		answer_dmarc(q, a, out);
		break;
	case READINESS_DKIM:
		answer_dkim(q, a, out);
		break;
	case READINESS_RETURN_PATH:
	default:
		if (a->n_mx > 0 || a->n_cname > 0)
			say(out, READINESS_YES, "%s at %s",
			    a->n_mx > 0 ? "MX" : "CNAME", q->name);
		else
			say(out, READINESS_NO, "no MX or CNAME at %s%s",
			    q->name, "");
		break;
	}
}

void
readiness_check_finish(struct readiness_facts *f,
                       const struct readiness_query *q,
                       const struct readiness_qresult *res, size_t n)
{
	int c;
	size_t i;

	for (c = 0; c < READINESS_N_DNS; c++) {
		const struct readiness_qresult *no = NULL, *unk = NULL,
		                               *yes = NULL;

		for (i = 0; i < n; i++) {
			if ((int)q[i].check != c)
				continue;
			if (res[i].tri == READINESS_NO && no == NULL)
				no = &res[i];
			else if (res[i].tri == READINESS_UNKNOWN && unk == NULL)
				unk = &res[i];
			else if (res[i].tri == READINESS_YES && yes == NULL)
				yes = &res[i];
		}
		if (no == NULL && unk == NULL && yes == NULL) {
			f->dns[c] = c == READINESS_RETURN_PATH
			                ? READINESS_YES
			                : READINESS_UNKNOWN;
			snprintf(f->dns_words[c], sizeof(f->dns_words[c]), "%s",
			         c == READINESS_RETURN_PATH
			             ? "the provider's own bounce domain"
			         : c == READINESS_DKIM
			             ? "the provider named no DKIM selector"
			             : "not looked up");
			continue;
		}
		const struct readiness_qresult *pickr = no != NULL    ? no
		                                        : unk != NULL ? unk
		                                                      : yes;

		f->dns[c] = pickr->tri;
		snprintf(f->dns_words[c], sizeof(f->dns_words[c]), "%s",
		         pickr->words);
	}
}
