/*
 * readiness_model.h - failover readiness of one provider for one sender
 * domain (pure; issue 18 item 4).
 *
 * What is known about the pair is a set of facts, each yes / no /
 * unknown: verified at the provider (with the provider's own words),
 * and the sender domain's DNS: SPF includes the provider's include,
 * a DKIM selector resolves, a DMARC record exists, the return-path
 * (bounce) domain is set up. readiness_judge turns the facts into a
 * verdict with its reason. Unknown is never "not ready": routing
 * blocks a provider only on a known "not verified" (readiness_blocks).
 */
#ifndef SWERVE_READINESS_READINESS_MODEL_H
#define SWERVE_READINESS_READINESS_MODEL_H

#include <stddef.h>

enum readiness_tri {
	READINESS_UNKNOWN = 0,
	READINESS_YES,
	READINESS_NO,
};

enum readiness_verdict {
	READINESS_V_UNKNOWN = 0,
	READINESS_V_READY,
	READINESS_V_NOT_VERIFIED,
	READINESS_V_DNS_INCOMPLETE,
};

/* The DNS facts, in the order a reason lists them. */
enum readiness_dns_check {
	READINESS_SPF = 0,
	READINESS_DKIM,
	READINESS_DMARC,
	READINESS_RETURN_PATH,
	READINESS_N_DNS,
};

#define READINESS_WORDS 200

struct readiness_facts {
	enum readiness_tri verified;
	/* The provider's own words ("VerificationStatus PENDING"), or why it
	 * is unknown ("GET /v3/whitelabel/domains: HTTP 401"). */
	char verified_words[READINESS_WORDS];
	enum readiness_tri dns[READINESS_N_DNS];
	/* Per DNS check, what was found or missing ("no TXT at
	 * s1._domainkey.example.com"); may be empty. */
	char dns_words[READINESS_N_DNS][READINESS_WORDS];
};

/* readiness_facts_init - every fact unknown, no words. */
void readiness_facts_init(struct readiness_facts *f);

/*
 * readiness_judge - the verdict on f, its reason in reason (reasonlen
 * bytes, always terminated):
 *   not verified   the provider says the domain is not verified;
 *   unknown        verification unknown, or verified but a DNS fact is
 *                  unknown and none is known missing;
 *   DNS incomplete verified but a DNS fact is known missing (all the
 *                  missing ones listed);
 *   ready          verified and every DNS fact holds.
 */
enum readiness_verdict readiness_judge(const struct readiness_facts *f,
                                       char *reason, size_t reasonlen);

/* readiness_verdict_name - "ready", "not_verified", "dns_incomplete",
 * "unknown" (static). */
const char *readiness_verdict_name(enum readiness_verdict v);

/* readiness_dns_check_name - "spf", "dkim", "dmarc", "return_path"
 * (static). */
const char *readiness_dns_check_name(enum readiness_dns_check c);

#endif
