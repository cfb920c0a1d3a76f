/*
 * aws_sign.h - sign an HTTP request to an AWS JSON/REST service with a
 * provider's credentials (contract).
 *
 * One place for what every signed call of an ses provider needs: Host,
 * X-Amz-Date, X-Amz-Security-Token (temporary credentials), optionally
 * Content-Type and X-Amz-Target, all signed with SigV4
 * (providers/sigv4.h) for the provider's region and the given service.
 * Used by the SES adapter (service "ses") and the account poll's
 * CloudWatch call (service "monitoring"). Pure: time passed in.
 */
#ifndef SWERVE_PROVIDERS_AWS_SIGN_H
#define SWERVE_PROVIDERS_AWS_SIGN_H

#include <time.h>

#include "config/config.h"
#include "providers/http_adapter.h"

/* aws_region - cfg's region, us-east-1 by default (borrowed). */
const char *aws_region(const struct config_provider *cfg);

/*
 * aws_sign - set out's URL to base + path (base: scheme, host and an
 * optional path prefix, no trailing '/') and add the headers above for
 * out's method and body, signed for service. content_type and target
 * may be NULL (not sent). 0, or -1 without credentials or on a signing
 * failure (out may then hold some headers; its URL is unchanged).
 */
int aws_sign(const struct config_provider *cfg, struct http_out *out,
             const char *base, const char *service, const char *path,
             const char *content_type, const char *target, time_t now);

#endif
