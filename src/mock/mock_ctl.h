/*
 * mock_ctl.h - swerve-mock's HTTP control API (contract).
 *
 * Routes registered on the mock's HTTP server:
 *   GET  /healthz          200 {"status":"ok","name":NAME}
 *   GET  /mode             200 {"mode":"accept","slow_ms":0}
 *                          (rcptfail adds "match":"...")
 *   PUT|POST /mode         body JSON {"mode":"slow","ms":200} (also
 *                          "slow_ms"; rcptfail takes "match"), or the text
 *                          form "slow 200" / "rcptfail bad@"; 200 with the
 *                          new mode as GET shows it, 400 {"error":{...}}
 *   GET  /stats            counters, totals and by mode
 *   GET  /messages         JSON array, oldest first; ?limit=N: newest N
 *                          (messages from a fake API add an "api" object)
 *   DELETE /messages       clear the store and every counter
 *   GET  /messages/ID      the raw message, Content-Type message/rfc822
 *                          (application/json for a JSON payload a fake
 *                          provider API stored; see mock_api.h)
 * Other methods get 405, unknown ids 404, all errors as JSON.
 */
#ifndef SWERVE_MOCK_MOCK_CTL_H
#define SWERVE_MOCK_MOCK_CTL_H

#include "mock/mock.h"
#include "mock/mock_http.h"

/* mock_ctl_register - add the control routes for m to h. m must outlive
 * h's serving. */
void mock_ctl_register(struct mock_http *h, struct mock *m);

/* mock_ctl_mode_json - the mode as GET /mode shows it (new reference). */
json_t *mock_ctl_mode_json(const struct mock_mode_set *set);

/*
 * mock_ctl_mode_parse - a PUT /mode body (JSON object or text form) into
 * out. Returns 0, or -1 with *why set to a static reason.
 */
int mock_ctl_mode_parse(const char *body, size_t len, struct mock_mode_set *out,
                        const char **why);

#endif
