/*
 * submit_suppress.h - the suppression list's step of the one submission
 * pipeline (see spool/suppress.h and submit.h).
 *
 * Every ingress path asks here, against the daemon's list
 * (suppress_active()) and the submitter's tenant (the SMTP user's name,
 * the API key's tenant; "" for a trusted network):
 *  - SMTP at RCPT (submit_suppress_rcpt): with suppression.on_submit
 *    refuse, a suppressed recipient hears 550 5.1.1 there;
 *  - every path when the message is prepared (submit_suppress_apply):
 *    suppressed recipients are taken out of the envelope and recorded
 *    in the message's meta.suppressed ([{"address","reason"}]); when
 *    every recipient is suppressed, refuse answers 422 "suppressed"
 *    (each drop-in endpoint renders it in its own error shape) and drop
 *    stores the message sandboxed (final, never delivered) with its
 *    recipients, all recorded as suppressed. SMTP recipients that got
 *    250 at RCPT are dropped at the dot whatever the mode (an address
 *    suppressed in between).
 * SendGrid's mail_settings.bypass_*_management (recorded in
 * meta.options by the SendGrid endpoint) lets a message through the
 * lists it names: bypass_list_management every reason,
 * bypass_bounce_management hard and soft bounces,
 * bypass_spam_management complaints, bypass_unsubscribe_management
 * unsubscribes.
 *
 * Loop thread only (the list's check answers from memory).
 */
#ifndef SWERVE_INGRESS_SUBMIT_SUPPRESS_H
#define SWERVE_INGRESS_SUBMIT_SUPPRESS_H

#include <stdbool.h>

#include "ingress/submit.h"
#include "spool/suppress.h"

/* submit_suppress_tenant - w's tenant as the list knows it ("" when
 * none); borrowed from w. */
const char *submit_suppress_tenant(const struct submit_who *w);

/* submit_suppress_rcpt - is rcpt on the list of w's tenant now? true
 * with *why set (why may be NULL); false with no list. */
bool submit_suppress_rcpt(const struct submit_who *w, const char *rcpt,
                          enum suppress_reason *why);

/*
 * submit_suppress_emit - tell the event bus that rcpt of tenant was left
 * out (EVENT_SUPPRESSED): refused (the submitter hears it) or dropped.
 */
void submit_suppress_emit(const char *tenant, const char *rcpt,
                          enum suppress_reason why, bool refused);

/*
 * submit_suppress_apply - the step above over m, whose tenant, recipients
 * and meta the pipeline set. 0 (m changed as said), or -1 with *e set
 * (422 suppressed: every recipient suppressed under refuse); m is then
 * untouched and the caller frees it.
 */
int submit_suppress_apply(const struct config *cfg, const struct submit_who *w,
                          struct spool_msg_new *m, struct api_error *e);

#endif
