/*
 * providers_http.h - the five HTTPS provider types (contract).
 *
 * Each provider file exports its struct adapter_ops (listed in adapter.c)
 * and the pure pieces it is made of, so the unit tests can drive request
 * building and classification without a loop: *_request_build builds the
 * send request, *_classify reads an answer's facts (send/fact.h) and has
 * the failure policy (send/policy.h) turn them into a struct send_result,
 * *_probe_build / *_probe_read do the same for the active probe. See
 * providers/http_adapter.h for the shapes; the wire formats and tables are
 * in docs/providers.md, the tables as data in send/policy_http.c.
 *
 * Builders return 0, or -1 with a reason in why when the message cannot
 * go to that provider faithfully (JSON providers only). Nothing here keeps
 * state; "now" is passed in (SigV4 date, Retry-After dates).
 */
#ifndef SWERVE_PROVIDERS_PROVIDERS_HTTP_H
#define SWERVE_PROVIDERS_PROVIDERS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "providers/http_adapter.h"

/* The swerve id travels under this name (tag, custom arg, variable). */
#define PROVIDERS_ID_TAG "swerve_id"

extern const struct adapter_ops adapter_ses_ops;
extern const struct adapter_ops adapter_sendgrid_ops;
extern const struct adapter_ops adapter_mailgun_ops;
extern const struct adapter_ops adapter_postmark_ops;
extern const struct adapter_ops adapter_resend_ops;

extern const struct http_provider ses_http;
extern const struct http_provider sendgrid_http;
extern const struct http_provider mailgun_http;
extern const struct http_provider postmark_http;
extern const struct http_provider resend_http;

/*
 * Amazon SES v2: POST {base}/v2/email/outbound-emails with Content.Raw
 * (the message byte for byte, base64), Destination = the envelope
 * recipients, EmailTags swerve_id, ConfigurationSetName when set; SigV4
 * (service "ses") over content-type, host, x-amz-date and
 * x-amz-security-token when a session token is set. Probe: GET
 * /v2/email/account (GetAccount): quota, rate, SendingEnabled.
 */
int ses_request_build(const struct config_provider *cfg,
                      const struct adapter_msg *msg, time_t now,
                      struct http_out *out, char *why, size_t whylen);
void ses_classify(const struct http_response *resp, time_t now,
                  struct send_result *r);
void ses_probe_build(const struct config_provider *cfg, time_t now,
                     struct http_out *out);
void ses_probe_read(const struct http_response *resp, time_t now,
                    struct adapter_probe_result *pr);

/*
 * SendGrid v3: POST {base}/v3/mail/send, JSON rebuilt from the MIME;
 * message id from X-Message-Id. Probe: GET /v3/scopes (the key is valid
 * and has mail.send).
 */
int sendgrid_request_build(const struct config_provider *cfg,
                           const struct adapter_msg *msg, time_t now,
                           struct http_out *out, char *why, size_t whylen);
void sendgrid_classify(const struct http_response *resp, time_t now,
                       struct send_result *r);
void sendgrid_probe_build(const struct config_provider *cfg, time_t now,
                          struct http_out *out);
void sendgrid_probe_read(const struct http_response *resp, time_t now,
                         struct adapter_probe_result *pr);

/*
 * Mailgun: POST {base}/v3/{domain}/messages.mime, multipart/form-data with
 * one "to" per envelope recipient, v:swerve_id and the message as a file
 * part. Base https://api.mailgun.net, or api.eu.mailgun.net for region
 * eu. Probe: GET /v3/domains/{domain} (key valid, domain known).
 */
int mailgun_request_build(const struct config_provider *cfg,
                          const struct adapter_msg *msg, time_t now,
                          struct http_out *out, char *why, size_t whylen);
void mailgun_classify(const struct http_response *resp, time_t now,
                      struct send_result *r);
void mailgun_probe_build(const struct config_provider *cfg, time_t now,
                         struct http_out *out);
void mailgun_probe_read(const struct http_response *resp, time_t now,
                        struct adapter_probe_result *pr);
/* mailgun_base - cfg's base URL (endpoint, or by region; malloc'd). */
char *mailgun_base(const struct config_provider *cfg);
/* mailgun_auth - add the Basic Authorization header for cfg's key. */
void mailgun_auth(const struct config_provider *cfg, struct http_out *out);

/*
 * Postmark: POST {base}/email, JSON rebuilt from the MIME, MessageStream,
 * Metadata swerve_id; classified by ErrorCode. Probe: GET /server (the
 * server token is valid).
 */
int postmark_request_build(const struct config_provider *cfg,
                           const struct adapter_msg *msg, time_t now,
                           struct http_out *out, char *why, size_t whylen);
void postmark_classify(const struct http_response *resp, time_t now,
                       struct send_result *r);
void postmark_probe_build(const struct config_provider *cfg, time_t now,
                          struct http_out *out);
void postmark_probe_read(const struct http_response *resp, time_t now,
                         struct adapter_probe_result *pr);

/*
 * Resend: POST {base}/emails, JSON rebuilt from the MIME, Idempotency-Key
 * = swerve's message id, tags swerve_id; classified by error name. Probe:
 * GET /domains (a sending-only key answers restricted_api_key: valid).
 */
int resend_request_build(const struct config_provider *cfg,
                         const struct adapter_msg *msg, time_t now,
                         struct http_out *out, char *why, size_t whylen);
void resend_classify(const struct http_response *resp, time_t now,
                     struct send_result *r);
void resend_probe_build(const struct config_provider *cfg, time_t now,
                        struct http_out *out);
void resend_probe_read(const struct http_response *resp, time_t now,
                       struct adapter_probe_result *pr);

#endif
