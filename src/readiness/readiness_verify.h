/*
 * readiness_verify.h - pure parsers of the providers' answers about a
 * sender domain's verification (issue 18 item 4): SES v2
 * GetEmailIdentity and SendGrid's authenticated domains
 * (GET /v3/whitelabel/domains). Each turns a response body into
 * whether the domain is verified, in the provider's own words, plus
 * the DKIM selectors and return-path domain the provider expects (what
 * the DNS checks then look up).
 *
 * Mailgun (GET /v3/domains/{d}), Postmark (GET /domains/{id}) and
 * Resend (GET /domains/{id}) too, one file each.
 */
#ifndef SWERVE_READINESS_READINESS_VERIFY_H
#define SWERVE_READINESS_READINESS_VERIFY_H

#include <jansson.h>
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

/*
 * readiness_verify_mailgun - Mailgun's GET /v3/domains/{domain}: verified
 * yes when domain.state is "active", else no ("domain state
 * unverified"); selectors from the TXT sending_dns_records named
 * "<sel>._domainkey..."; return_path is domain (Mailgun's envelope
 * sender). 0, or -1 (not JSON, no domain.state); *out zeroed first.
 */
int readiness_verify_mailgun(const char *body, size_t len, const char *domain,
                             struct readiness_verified *out, char *err,
                             size_t errlen);

/*
 * readiness_verify_postmark - Postmark's GET /domains/{id}: verified yes
 * when DKIMVerified is true (words also give ReturnPathDomainVerified);
 * the selector from DKIMHost (or DKIMPendingHost); return_path is
 * ReturnPathDomain. 0, or -1 (not JSON, no Name or no boolean
 * DKIMVerified, or the answer is about another domain).
 */
int readiness_verify_postmark(const char *body, size_t len, const char *domain,
                              struct readiness_verified *out, char *err,
                              size_t errlen);

/*
 * readiness_verify_resend - Resend's GET /domains/{id}: verified yes when
 * status is "verified" (words: "status pending"); selectors from the
 * records of kind DKIM; return_path the SPF record's name under domain.
 * 0, or -1 (not JSON, no name or status, another domain).
 */
int readiness_verify_resend(const char *body, size_t len, const char *domain,
                            struct readiness_verified *out, char *err,
                            size_t errlen);

/*
 * readiness_verify_list - the first step for Postmark and Resend: find
 * domain in their GET /domains list (type "postmark":
 * {"Domains":[{"Name","ID"}]}; "resend": {"data":[{"name","id"}]}) and
 * copy its id (digits, letters, '-' and '_', under 64 bytes) into id.
 * 1 found, 0 not among them, -1 with a reason in err (not JSON, no
 * such array, the entry's id missing or unusable).
 */
int readiness_verify_list(const char *body, size_t len, const char *type,
                          const char *domain, char *id, size_t idlen, char *err,
                          size_t errlen);

/* readiness_verify_load - body parsed as JSON (new reference), or NULL
 * with the reason in err. For the parsers above. */
json_t *readiness_verify_load(const char *body, size_t len, char *err,
                              size_t errlen);

/* readiness_verify_about - 0 when the answer's domain name is domain
 * (case-insensitive), else -1 with the reason in err (no name, or the
 * answer is about another domain). */
int readiness_verify_about(const char *name, const char *domain, char *err,
                           size_t errlen);

/* readiness_verify_selector - record the DKIM selector of host
 * ("<sel>._domainkey[.<domain>]", or a bare token) in out; ignored when
 * empty, too long or out is full. */
void readiness_verify_selector(struct readiness_verified *out,
                               const char *host);

#endif
