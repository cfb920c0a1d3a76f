/*
 * feedback_replay.h - what identifies one inbound provider webhook
 * request for the fleet's replay check (contract; docs/cluster.md).
 *
 * A replay is the same signed request sent again. Its identity is what
 * the provider's signature covers and makes unique:
 *   mailgun   the signature's token ("mg:" + token);
 *   resend    the Svix / Standard Webhooks message id, header svix-id or
 *             webhook-id ("svix:" + id);
 *   others    the SHA-256 of the raw body ("body:" + 64 hex digits):
 *             SendGrid's signed batch, Postmark's and SES's messages
 *             (SES's and SendGrid's event ids are in the body).
 * Pure: no I/O.
 */
#ifndef SWERVE_INGRESS_FEEDBACK_REPLAY_H
#define SWERVE_INGRESS_FEEDBACK_REPLAY_H

#include <stddef.h>

#include "ingress/feedback.h"

#define FEEDBACK_REPLAY_KEY_MAX 200 /* longest key, with its NUL */

/*
 * feedback_replay_key - the identity of request r for a provider of
 * type (config's provider type) into out[0..n) (n at least
 * FEEDBACK_REPLAY_KEY_MAX). A token or id that is missing, empty, too
 * long or has bytes outside printable ASCII falls back to the body's
 * digest. Always writes a key; returns its length.
 */
size_t feedback_replay_key(const char *type, const struct feedback_request *r,
                           char *out, size_t n);

#endif
