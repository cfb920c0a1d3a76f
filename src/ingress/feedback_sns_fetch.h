/*
 * feedback_sns_fetch.h - SNS verification on the loop: the signing
 * certificate fetched over HTTPS (net/http_client, never blocking) and
 * cached by URL, SubscriptionConfirmation followed (contract).
 *
 * These are the SES source's init, fini, verify_start and verify_cancel
 * (feedback_ses_ops, ingress/feedback.h's rules). The pure checks they
 * run are feedback_sns.h's. Loop thread only.
 */
#ifndef SWERVE_INGRESS_FEEDBACK_SNS_FETCH_H
#define SWERVE_INGRESS_FEEDBACK_SNS_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "ingress/feedback.h"

/* Signing certificates kept (SNS uses one per region at a time). */
#define FEEDBACK_SNS_CACHE 16

/*
 * feedback_sns_init - src->state: the trust store (events.sns_trust_anchor
 * or the system's) and an HTTPS client on src->base (none when base is
 * NULL: then only cached certificates verify, as in unit tests). 0, or
 * -1 with err.
 */
int feedback_sns_init(struct feedback_source *src, char *err, size_t errlen);

/* feedback_sns_fini - cancel fetches, free the cache and src->state. */
void feedback_sns_fini(struct feedback_source *src);

/*
 * feedback_sns_verify_start - verify the SNS post req (see
 * feedback_sns_fetch.c for the order of checks). A Notification that
 * holds is FEEDBACK_CHECK_OK; a SubscriptionConfirmation that holds is
 * followed (events.auto_confirm) or logged with the swervectl command
 * that confirms it, then FEEDBACK_CHECK_DONE; an UnsubscribeConfirmation
 * is logged, DONE. done runs once (before the return, which is then
 * NULL, when no fetch is needed). req is not used after the return.
 */
struct feedback_verify *
feedback_sns_verify_start(struct feedback_source *src,
                          const struct feedback_request *req,
                          feedback_verify_done_fn *done, void *arg);

/* feedback_sns_verify_cancel - stop v; its done never runs. NULL: no-op. */
void feedback_sns_verify_cancel(struct feedback_verify *v);

/*
 * feedback_sns_cert_put - put key (the caller keeps its reference; one
 * is taken) in src's cache for url until expires_ms, as a fetch that
 * passed feedback_sns_cert_check would. A test seam. 0, or -1 when no
 * slot is free.
 */
int feedback_sns_cert_put(struct feedback_source *src, const char *url,
                          EVP_PKEY *key, int64_t expires_ms);

/* feedback_sns_cert_count - certificates ready in src's cache. */
size_t feedback_sns_cert_count(const struct feedback_source *src);

#endif
