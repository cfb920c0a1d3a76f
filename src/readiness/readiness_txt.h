/*
 * readiness_txt.h - pure parsers of the DNS TXT records failover readiness
 * reads: a sender domain's SPF record (does it include a provider's
 * include domain?) and its DMARC record (is there one, with a policy?).
 *
 * Both take the record's text as the resolver returned it (the strings
 * of one TXT record joined), bytes and length, never NUL-terminated.
 * Malformed text is an error with a reason; nothing is guessed.
 */
#ifndef SWERVE_READINESS_READINESS_TXT_H
#define SWERVE_READINESS_READINESS_TXT_H

#include <stddef.h>

/* The longest record text read (RFC 7208 limits an SPF check's work;
 * anything longer is refused as malformed). */
#define READINESS_TXT_MAX 4096

/*
 * readiness_spf_includes - 1 when the SPF record txt authorizes
 * include_domain through an "include:" mechanism (qualifier "+" or
 * none; case-insensitive, a trailing dot ignored), 0 when it is a valid
 * SPF record without it, -1 with a reason in err when txt is not an SPF
 * record ("v=spf1" first) or is malformed (an empty or invalid include
 * domain, control or non-ASCII bytes, over READINESS_TXT_MAX).
 * Nothing is allocated.
 */
int readiness_spf_includes(const char *txt, size_t len,
                           const char *include_domain, char *err,
                           size_t errlen);

enum readiness_dmarc_policy {
	READINESS_DMARC_NONE = 0,
	READINESS_DMARC_QUARANTINE,
	READINESS_DMARC_REJECT,
};

/*
 * readiness_dmarc_parse - parse the DMARC record txt ("v=DMARC1" as the
 * first tag, then "tag=value" pairs separated by ';'): 0 with the
 * policy (p=) in *policy, or -1 with a reason in err (not DMARC, a tag
 * without '=', an empty tag name, p missing, repeated or unknown,
 * control or non-ASCII bytes, over READINESS_TXT_MAX). *policy is
 * untouched on error. Nothing is allocated.
 */
int readiness_dmarc_parse(const char *txt, size_t len,
                          enum readiness_dmarc_policy *policy, char *err,
                          size_t errlen);

#endif
