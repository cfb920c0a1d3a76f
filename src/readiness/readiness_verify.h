/*
 * readiness_verify.h - pure parsers of the providers' answers about a
 * sender domain's verification (issue 18 item 4): SES v2
 * GetEmailIdentity and SendGrid's authenticated domains
 * (GET /v3/whitelabel/domains). Each turns a response body into
 * whether the domain is verified, in the provider's own words, plus
 * the DKIM selectors and return-path domain the provider expects (what
 * the DNS checks then look up).
 *
 * Mailgun, Postmark and Resend are not parsed yet.
 */
#ifndef SWERVE_READINESS_READINESS_VERIFY_H
#define SWERVE_READINESS_READINESS_VERIFY_H

#include <stddef.h>

#include "readiness/readiness_model.h"

#define READINESS_MAX_SELECTORS 4

struct readiness_verified {
	enum readiness_tri verified;
	char words[READINESS_WORDS];
	/* DKIM selectors (the label before "._domainkey.<domain>"). */
	char selectors[READINESS_MAX_SELECTORS][64];
	size_t n_selectors;
	/* The return-path / MAIL FROM host, "" when the provider has none. */
	char return_path[256];
};

/*
 * readiness_verify_ses - parse an SES v2 GetEmailIdentity response
 * (JSON) for domain: verified yes when VerifiedForSendingStatus is true,
 * no when false (words: "VerificationStatus <status>" and the DKIM
 * status); selectors are DkimAttributes.Tokens; return_path is
 * MailFromAttributes.MailFromDomain. 0, or -1 with a reason in err
 * (not JSON, not an object, VerifiedForSendingStatus missing or not a
 * boolean); *out is zeroed first. Nothing is allocated that outlives
 * the call.
 */
int readiness_verify_ses(const char *body, size_t len, const char *domain,
                         struct readiness_verified *out, char *err,
                         size_t errlen);

/*
 * readiness_verify_sendgrid - parse SendGrid's GET /v3/whitelabel/domains
 * response (a JSON array) for domain: verified no when domain is not
 * among the entries ("not among SendGrid's authenticated domains") or
 * its entry has "valid": false (words name the DNS records SendGrid
 * reports invalid), yes when "valid": true. selectors come from the
 * dns.dkim1/dkim2 hosts, return_path from dns.mail_cname.host. 0, or -1
 * with a reason (not JSON, not an array, an entry of the domain without
 * a boolean "valid"); *out zeroed first.
 */
int readiness_verify_sendgrid(const char *body, size_t len, const char *domain,
                              struct readiness_verified *out, char *err,
                              size_t errlen);

#endif
