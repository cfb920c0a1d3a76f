/*
 * mock_api_verify.h - the providers' domain verification APIs as
 * swerve-mock serves them (failover readiness, issue 18 item 4), with a
 * state a test sets:
 *
 *   PUT /verify/api
 *     {"provider": "sendgrid", "domain": "example.com",
 *      "verified": false, "selectors": ["s1", "s2"],
 *      "return_path": "em1.example.com", "garbage": false}
 *   DELETE /verify/api      forget every state
 *   GET /verify/api         what is set
 *
 * Once a provider has a state, it knows exactly the domains PUT for it
 * (others: "not found" / "not among"); "garbage": true makes its answers
 * for that domain unreadable (200 with a body that is not JSON). A
 * provider without a state answers that any asked domain is verified
 * with selector "s1" (Postmark's and Resend's lists name only
 * example.com then).
 *
 *   ses       GET /v2/email/identities/{domain}      (GetEmailIdentity)
 *   sendgrid  GET /v3/whitelabel/domains[?domain=D]
 *   mailgun   GET /v3/domains/{domain}               (with a state)
 *   postmark  GET /domains, GET /domains/{id}
 *   resend    GET /domains, GET /domains/{id}
 *
 * Loop thread only.
 */
#ifndef SWERVE_MOCK_MOCK_API_VERIFY_H
#define SWERVE_MOCK_MOCK_API_VERIFY_H

#include <stdbool.h>

#include "mock/mock_api.h"

struct mock_http;

struct mock_api_slot;
struct evhttp_request;

/*
 * mock_verify_slot - the slot a request on s's route is for: Postmark
 * and Resend both serve /domains and /domains/{id} on the one port; a
 * request with an X-Postmark-Account-Token or X-Postmark-Server-Token
 * header is Postmark's, any other Resend's. Other routes: s.
 */
struct mock_api_slot *mock_verify_slot(struct mock_api_slot *s,
                                       struct evhttp_request *req);

/* mock_api_verify_register - add /verify/api to h. */
void mock_api_verify_register(struct mock_api *api, struct mock_http *h);

/* The endpoints, for the providers' tables. */
void mock_verify_ses(struct mock_api_req *r);
void mock_verify_sendgrid(struct mock_api_req *r);
void mock_verify_postmark_list(struct mock_api_req *r);
void mock_verify_postmark_domain(struct mock_api_req *r);
void mock_verify_resend_domain(struct mock_api_req *r);

/* mock_verify_mailgun - answer GET /v3/domains/{domain} from the state
 * and return true, or false (nothing sent) when mailgun has none. */
bool mock_verify_mailgun(struct mock_api_req *r);

/* mock_verify_resend_list - the same for Resend's GET /domains. */
bool mock_verify_resend_list(struct mock_api_req *r);

#endif
