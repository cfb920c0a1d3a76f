/*
 * mock_sns.h - swerve-mock plays sns.<region>.amazonaws.com over HTTPS
 * for the SES feedback it emits (contract).
 *
 * SNS names the certificate that signs a message by URL
 * (SigningCertURL, https://sns.<region>.amazonaws.com/
 * SimpleNotificationService-<hex>.pem) and confirms a subscription when
 * the subscriber GETs the SubscribeURL
 * (https://.../?Action=ConfirmSubscription&TopicArn=...&Token=...).
 * swerved fetches both only over HTTPS from its pinned host, so the mock
 * serves them on an HTTPS listener of its own (--sns HOST:PORT with
 * --sns-tls-cert and --sns-tls-key); swerved's test-only keys
 * sns_cert_host (this listener's HOST:PORT) and sns_trust_anchor (the CA
 * of the TLS and the signing certificates) point it here. What is served
 * is the SES target's state in mock_fb (mock_fb_sns_cert,
 * mock_fb_sns_confirm). Loop thread only.
 *
 * Routes:
 *   GET /SimpleNotificationService-<hex>.pem   the signing certificate
 *   GET /?Action=ConfirmSubscription&TopicArn=ARN&Token=T
 *                                  200 and the subscription is confirmed;
 *                                  404 for another topic or token
 *   GET /?Action=Unsubscribe&SubscriptionArn=ARN:...   200
 */
#ifndef SWERVE_MOCK_MOCK_SNS_H
#define SWERVE_MOCK_MOCK_SNS_H

#include "mock/mock_fb.h"
#include "mock/mock_http.h"

/* mock_sns_register - the routes above on h (an HTTPS mock_http), served
 * from fb's SES target. */
void mock_sns_register(struct mock_http *h, struct mock_fb *fb);

#endif
