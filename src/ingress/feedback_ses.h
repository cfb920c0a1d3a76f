/*
 * feedback_ses.h - Amazon SES events delivered by Amazon SNS: the parser
 * of a verified notification, and the source row (contract).
 *
 * The body is the SNS envelope (JSON; its Message member is a string
 * holding the SES payload as JSON). Verification of the envelope (the
 * signature, the signing certificate, the topic) is feedback_sns.h's;
 * this file turns a Notification that passed it into events. Pure.
 */
#ifndef SWERVE_INGRESS_FEEDBACK_SES_H
#define SWERVE_INGRESS_FEEDBACK_SES_H

#include <stddef.h>

#include "ingress/feedback.h"
#include "spool/feedback.h"

/* Most events one notification may yield (SES caps recipients at 50 a
 * message; event publishing may list the destination). */
#define FEEDBACK_SES_MAX_EVENTS 1000

/*
 * feedback_ses_parse - the SNS Notification body[0..len) into one event
 * per recipient named by its SES payload: identity notifications
 * (notificationType) and configuration-set event publishing (eventType)
 * alike. Bounce Permanent is a hard bounce (Suppressed and
 * OnAccountSuppressionList: rejected, SES never tried), Transient and
 * Undetermined soft; Complaint a complaint (not-spam, and
 * OnAccountSuppressionList rejected, are not); Delivery delivered;
 * DeliveryDelay delayed; Reject and Rendering Failure rejected; Send
 * sent; anything else (Open, Click, Subscription, a new name) other.
 * event_id is the SNS MessageId, ":" and the recipient (its SHA-256 when
 * that would not fit); provider_msg_id is mail.messageId; swerve_id the
 * tag swerve_id that SES echoes in mail.tags. *out is one malloc'd array
 * the caller frees (NULL when *n is 0). 0, or -1 with err and nothing
 * returned.
 */
int feedback_ses_parse(const char *body, size_t len, const char *provider,
                       struct feedback_event **out, size_t *n, char *err,
                       size_t errlen);

/* The source row for provider type "ses" (ingress/feedback.c's table):
 * verify_start/verify_cancel from feedback_sns_source.c, parse above. */
extern const struct feedback_source_ops feedback_ses_ops;

#endif
