/*
 * cluster_fwd_event.h - one provider event handed from the node that
 * received it to the node whose message it concerns, and its JSON form
 * (contract; cluster_fwd.h moves it through Redis).
 *
 * One JSON object per event:
 *   {"v":1,"from":"mx2","type":"hard_bounce","provider":"sg",
 *    "event_id":"...","swerve_id":"<20-char id>","provider_msg_id":"...",
 *    "recipient":"a@b.c","occurred_ms":1700000000000,"smtp_code":550,
 *    "enhanced":"5.1.1","provider_type":"bounce","provider_subtype":"",
 *    "diagnostic":"..."}
 * type is a feedback_type_name(); provider, event_id and a valid
 * swerve_id are required (an event is forwarded only by the id it
 * echoes); the other texts may be absent (""), never longer than their
 * field in struct feedback_event. Unknown fields are ignored; a version
 * other than 1 is refused.
 *
 * Pure: no I/O, no global state.
 */
#ifndef SWERVE_CLUSTER_CLUSTER_FWD_EVENT_H
#define SWERVE_CLUSTER_CLUSTER_FWD_EVENT_H

#include <stddef.h>

#include "spool/feedback.h"

/* cluster_fwd_event_encode - e (from node `from`) as one JSON object:
 * malloc'd, NUL-terminated, the caller's; NULL when a text is not UTF-8
 * (such an event is not forwarded). */
char *cluster_fwd_event_encode(const struct feedback_event *e,
                               const char *from);

/*
 * cluster_fwd_event_decode - parse buf[0..len) into *e (zeroed first)
 * and the sending node's name into from[0..fromlen). 0, or -1 with err
 * set (not JSON, not an object, wrong version, an unknown type, a
 * missing or invalid provider, event_id or swerve_id, a field of the
 * wrong type or too long for its place); *e is then all zero.
 */
int cluster_fwd_event_decode(const char *buf, size_t len,
                             struct feedback_event *e, char *from,
                             size_t fromlen, char *err, size_t errlen);

#endif
