/*
 * readiness_check.h - what the DNS checks of failover readiness ask and
 * what the answers mean (pure; issue 18 item 4).
 *
 * For one provider type x sender domain, given what the provider said
 * (readiness_verify.h: DKIM selectors, return-path host), the plan is:
 *
 *   spf          TXT at the SPF host: the return-path host for ses and
 *                resend when they name one (SES custom MAIL FROM,
 *                Resend's send.<domain>), else the domain itself; one
 *                SPF record there must include the provider's include
 *                (readiness_check_spf_include);
 *   dkim         TXT at <selector>._domainkey.<domain> for every
 *                selector the provider named: a CNAME or a TXT with a
 *                key (p=) resolves;
 *   dmarc        TXT at _dmarc.<domain>: a DMARC record that parses;
 *   return_path  MX at the return-path host: an MX or a CNAME answers
 *                (none named: the provider's own bounce domain, yes).
 *
 * Each answer becomes a fact, yes / no / unknown, with words;
 * readiness_check_finish folds them into struct readiness_facts. A
 * lookup that fails (timeout, SERVFAIL, a malformed answer) or a record
 * that does not parse is unknown with the reason, never "no".
 */
#ifndef SWERVE_READINESS_READINESS_CHECK_H
#define SWERVE_READINESS_READINESS_CHECK_H

#include <stddef.h>

#include "readiness/readiness_dnsmsg.h"
#include "readiness/readiness_model.h"
#include "readiness/readiness_verify.h"

/* spf + dmarc + return_path + the selectors. */
#define READINESS_QUERIES_MAX (3 + READINESS_MAX_SELECTORS)

struct readiness_query {
	enum readiness_dns_check check;
	int type; /* READINESS_DNS_T_TXT or READINESS_DNS_T_MX */
	char name[300];
};

/* How a lookup ended. */
enum readiness_dns_status {
	READINESS_DNS_OK = 0, /* an answer, read by readiness_dnsmsg.h */
	READINESS_DNS_NONE,   /* NXDOMAIN, or no record of the type */
	READINESS_DNS_FAIL,   /* timeout, SERVFAIL, refused, malformed */
};

struct readiness_qresult {
	enum readiness_tri tri;
	char words[READINESS_WORDS];
};

/* readiness_check_spf_include - the SPF include domain of provider
 * type ("amazonses.com" for ses and resend, "sendgrid.net",
 * "mailgun.org", "spf.mtasv.net"), or NULL for another type. */
const char *readiness_check_spf_include(const char *type);

/*
 * readiness_check_plan - the lookups for provider type x domain after
 * the provider's answer v (NULL: nothing known: no selectors, no return
 * path), into q (at least READINESS_QUERIES_MAX). Returns how many.
 */
size_t readiness_check_plan(const char *type, const char *domain,
                            const struct readiness_verified *v,
                            struct readiness_query *q);

/*
 * readiness_check_answer - what one lookup's outcome means for q: a
 * (READINESS_DNS_OK only) the parsed answer, why (FAIL only) the
 * resolver's or the reader's reason. Into *out.
 */
void readiness_check_answer(const char *type, const struct readiness_query *q,
                            enum readiness_dns_status st,
                            const struct readiness_dns_answer *a,
                            const char *why, struct readiness_qresult *out);

/*
 * readiness_check_finish - fold the n results of plan q into f's DNS
 * facts: a check is no when one of its lookups says no (its words), else
 * unknown when one is unknown, else yes. dkim without a selector is
 * unknown ("the provider named no DKIM selector"); return_path without
 * a host is yes ("the provider's own bounce domain").
 */
void readiness_check_finish(struct readiness_facts *f,
                            const struct readiness_query *q,
                            const struct readiness_qresult *res, size_t n);

#endif
