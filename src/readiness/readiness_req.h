/*
 * readiness_req.h - the requests that ask a provider whether a sender
 * domain is verified there (pure; issue 18 item 4), and reading their
 * answers into struct readiness_verified:
 *
 *   ses       GET /v2/email/identities/{domain} (GetEmailIdentity, SigV4)
 *   sendgrid  GET /v3/whitelabel/domains?domain={domain} (Bearer key)
 *   mailgun   GET /v3/domains/{domain} (Basic api:key)
 *   postmark  GET /domains?count=500&offset=0, then GET /domains/{id}
 *             (X-Postmark-Account-Token: the provider's api_key)
 *   resend    GET /domains, then GET /domains/{id} (Bearer key)
 *
 * Postmark and Resend take two steps: the list names the domain's id
 * (readiness_verify_list), the details say whether it is verified. A
 * domain missing from the list is "not verified" in the provider's
 * words. The base URL is the provider's endpoint (as for sending).
 */
#ifndef SWERVE_READINESS_READINESS_REQ_H
#define SWERVE_READINESS_READINESS_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "config/config.h"
#include "providers/http_adapter.h"
#include "readiness/readiness_verify.h"

/* readiness_req_supported - has provider type a verification API here? */
bool readiness_req_supported(const char *type);

/*
 * readiness_req_build - the request for cfg x domain into out (an
 * initialised http_out): the list (id NULL) or the details of id for
 * postmark and resend, the one request for the others. 0, or -1 with
 * why (type without a verification API, SES without credentials).
 */
int readiness_req_build(const struct config_provider *cfg, const char *domain,
                        const char *id, time_t now, struct http_out *out,
                        char *why, size_t whylen);

/*
 * readiness_req_read - the answer (status, body) to the request built
 * with id: 0 with *out filled (verified yes/no in the provider's words),
 * 1 with the domain's id in id (idlen bytes) when the list step found it
 * and the details are to be asked next, or -1 with why (HTTP status
 * other than 2xx, an answer that does not parse). A 404 from ses and
 * mailgun means "not verified" ("no identity ... at ses").
 */
int readiness_req_read(const char *type, const char *domain, const char *id,
                       int status, const char *body, size_t len,
                       struct readiness_verified *out, char *next_id,
                       size_t idlen, char *why, size_t whylen);

#endif
