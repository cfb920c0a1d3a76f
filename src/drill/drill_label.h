/*
 * drill_label.h - is this alert a drill's? (contract)
 *
 * While a drill runs, and until its provider has failed back, alerts
 * whose subject is the drilled provider (or a stream the drill covers)
 * are the drill's: alerting (observe/alerting.c) marks their EVENT_ALERT
 * with drill = 1 and notifies them as drill.notify says. The drill
 * controller (drill/drill.h) sets and clears the label; everyone else
 * only asks. Loop thread only.
 */
#ifndef SWERVE_DRILL_DRILL_LABEL_H
#define SWERVE_DRILL_DRILL_LABEL_H

#include <stdbool.h>

/*
 * drill_label_set - from now on, alerts about provider, or about stream
 * (NULL: any stream), are labelled with drill id; notify is enum
 * config_drill_notify. Strings are copied. provider NULL clears.
 */
void drill_label_set(const char *id, const char *provider, const char *stream,
                     int notify);

/* drill_label_match - the running drill's id when an alert about
 * provider / stream (either may be NULL) is its, else NULL. */
const char *drill_label_match(const char *provider, const char *stream);

/* drill_label_notify - enum config_drill_notify for labelled alerts. */
int drill_label_notify(void);

#endif
