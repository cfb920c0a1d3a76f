/*
 * feedback_json.h - what the JSON event parsers of the provider
 * webhooks share (contract): loading a verified body, reading members,
 * and growing the array of events a parser returns.
 *
 * Used by ingress/feedback_{sendgrid,mailgun,resend}.c. Pure.
 */
#ifndef SWERVE_INGRESS_FEEDBACK_JSON_H
#define SWERVE_INGRESS_FEEDBACK_JSON_H

#include <stddef.h>

#include <jansson.h>

#include "spool/feedback.h"

/*
 * feedback_json_load - body[0..len) as JSON whose top level is of type
 * want (JSON_OBJECT, JSON_ARRAY); a member repeated in an object is an
 * error (which of two would the provider have meant?). The caller
 * json_decref()s it. NULL with err.
 */
json_t *feedback_json_load(const char *body, size_t len, json_type want,
                           char *err, size_t errlen);

/* feedback_json_str - the string member key of o (o may be NULL or not
 * an object), or NULL when absent or not a string. Borrowed from o. */
const char *feedback_json_str(const json_t *o, const char *key);

/* feedback_json_obj - the object member key of o, or NULL. */
json_t *feedback_json_obj(const json_t *o, const char *key);

/* One parser's growing result. */
struct feedback_json_out {
	struct feedback_event *ev; /* malloc'd; handed to the caller */
	size_t n, cap;
	size_t max; /* more events than this is an error */
};

/*
 * feedback_json_event_add - a new zeroed event at the end of o, its
 * provider set; NULL (with err) when o already holds o->max events.
 */
struct feedback_event *feedback_json_event_add(struct feedback_json_out *o,
                                               const char *provider, char *err,
                                               size_t errlen);

/*
 * feedback_json_done - finish a parse: on rc 0 hand o's array to *out,
 * *n (NULL when empty); otherwise free it and leave *out NULL, *n 0.
 * Returns rc.
 */
int feedback_json_done(struct feedback_json_out *o, int rc,
                       struct feedback_event **out, size_t *n);

#endif
