/*
 * readiness_model.c - the verdict on one provider x sender domain (see
 * readiness_model.h).
 */
#include "readiness/readiness_model.h"

#include <stdio.h>
#include <string.h>

void
readiness_facts_init(struct readiness_facts *f)
{
	memset(f, 0, sizeof(*f));
}

const char *
readiness_verdict_name(enum readiness_verdict v)
{
	switch (v) {
	case READINESS_V_READY:
		return "ready";
	case READINESS_V_NOT_VERIFIED:
		return "not_verified";
	case READINESS_V_DNS_INCOMPLETE:
		return "dns_incomplete";
	case READINESS_V_UNKNOWN:
	default:
		return "unknown";
	}
}

const char *
readiness_dns_check_name(enum readiness_dns_check c)
{
	static const char *const names[READINESS_N_DNS] = {
	    "spf", "dkim", "dmarc", "return_path"};

	return (unsigned)c < READINESS_N_DNS ? names[c] : "?";
}

/* list_checks - append to reason the checks whose fact is want, each as
 * "name (words)", joined by "; ". Returns how many. */
static int
list_checks(const struct readiness_facts *f, enum readiness_tri want,
            char *reason, size_t reasonlen)
{
	int n = 0, c;

	for (c = 0; c < READINESS_N_DNS; c++) {
		size_t used = strlen(reason);

		if (f->dns[c] != want)
			continue;
		snprintf(reason + used, reasonlen - used, "%s%s%s%s%s",
		         n > 0 ? "; " : "", readiness_dns_check_name(c),
		         f->dns_words[c][0] != '\0' ? " (" : "",
		         f->dns_words[c],
		         f->dns_words[c][0] != '\0' ? ")" : "");
		n++;
	}
	return n;
}

enum readiness_verdict
readiness_judge(const struct readiness_facts *f, char *reason, size_t reasonlen)
{
	if (reasonlen == 0)
		return READINESS_V_UNKNOWN;
	reason[0] = '\0';
	if (f->verified == READINESS_NO) {
		snprintf(reason, reasonlen, "not verified at the provider: %s",
		         f->verified_words[0] ? f->verified_words
		                              : "(no words)");
		return READINESS_V_NOT_VERIFIED;
	}
	if (f->verified == READINESS_UNKNOWN) {
		snprintf(reason, reasonlen, "verification unknown: %s",
		         f->verified_words[0] ? f->verified_words
		                              : "not checked yet");
		return READINESS_V_UNKNOWN;
	}
	snprintf(reason, reasonlen, "DNS missing: ");
	if (list_checks(f, READINESS_NO, reason, reasonlen) > 0)
		return READINESS_V_DNS_INCOMPLETE;
	reason[0] = '\0';
	snprintf(reason, reasonlen, "DNS unknown: ");
	if (list_checks(f, READINESS_UNKNOWN, reason, reasonlen) > 0)
		return READINESS_V_UNKNOWN;
	snprintf(reason, reasonlen,
	         "verified (%s); SPF, DKIM, DMARC and "
	         "return-path in place",
	         f->verified_words[0] ? f->verified_words : "yes");
	return READINESS_V_READY;
}
