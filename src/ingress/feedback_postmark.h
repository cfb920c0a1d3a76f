/*
 * feedback_postmark.h - Postmark's webhooks: verifier and parser
 * (contract).
 *
 * Postmark signs nothing: the webhook URL carries HTTP basic credentials
 * (https://USER:PASS@host/feedback/...), optionally with a source-network
 * allow-list (events.username, events.password_file, events.networks).
 * The body is one JSON object per event, its kind in RecordType
 * (Delivery, Bounce, SpamComplaint, SubscriptionChange; Open, Click and
 * others are "other"); Postmark's key casing varies, so keys are read
 * regardless of case. Pure functions: no I/O, no logging.
 */
#ifndef SWERVE_INGRESS_FEEDBACK_POSTMARK_H
#define SWERVE_INGRESS_FEEDBACK_POSTMARK_H

#include <stddef.h>
#include <sys/socket.h>

#include "ingress/feedback.h"

struct config_net;

/*
 * feedback_postmark_verify - the request's credentials and source:
 * FEEDBACK_CHECK_FORBIDDEN when nets[0..n_nets) is not empty and peer
 * (may be NULL) lies in none; FEEDBACK_CHECK_AUTH unless authorization
 * (the header's value, may be NULL) is "Basic base64(username:password)"
 * (compared in constant time); else FEEDBACK_CHECK_OK. err gets why.
 */
enum feedback_check
feedback_postmark_verify(const char *authorization, const struct sockaddr *peer,
                         const char *username, const char *password,
                         const struct config_net *nets, size_t n_nets,
                         char *err, size_t errlen);

/*
 * feedback_postmark_parse - one webhook body into *out[0..*n) (one event;
 * an array of such objects is taken too). Types: Delivery -> delivered;
 * Bounce by TypeCode (HardBounce, BadEmailAddress, or any bounce that
 * made the address Inactive -> hard; Transient, DnsError, SoftBounce,
 * SpamNotification, Blocked, ChallengeVerification, Unknown and codes
 * not listed -> soft; Unsubscribe, ManuallyDeactivated, Unconfirmed,
 * VirusNotification, SMTPApiError, DMARCPolicy, TemplateRenderingFailed
 * -> rejected; AutoResponder, AddressChange, Subscribe, OpenRelayTest,
 * InboundError -> other); SpamComplaint -> complaint;
 * SubscriptionChange with SuppressSending true -> unsubscribe; the rest
 * -> other. event_id: "bounce:ID", "complaint:ID", else the RecordType,
 * MessageID, recipient and time joined. swerve_id from
 * Metadata.swerve_id. 0, or -1 with err (not JSON, not an object, no
 * MessageID or ID to name the event by). The caller frees *out.
 */
int feedback_postmark_parse(const char *body, size_t len, const char *provider,
                            struct feedback_event **out, size_t *n, char *err,
                            size_t errlen);

/* The route's row for provider type "postmark" (feedback.c). */
extern const struct feedback_source_ops feedback_postmark_ops;

#endif
