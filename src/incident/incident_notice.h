/*
 * incident_notice.h - notices about an incident (contract; issue 15).
 *
 * Words operators send: shipped Mustache templates filled with the
 * incident's facts and rendered by the one template engine (tmpl/tmpl.h)
 * with the escaping of the output:
 *
 *   delays       to customers: "delays on <streams>", since when, how
 *                late mail is, that nothing is lost, the public updates
 *   resolved     to customers: it is over, how long it lasted
 *   internal     to the team: status, impact, providers, what swerve did,
 *                the scope's figures, the whole timeline
 *   status_page  a status-page update: one short paragraph
 *
 * Formats: text (no escaping), html (HTML escaping: hostile note text
 * never breaks out), slack (Slack mrkdwn: & < > escaped). The subject
 * is rendered as text. A name the data lacks renders as nothing.
 *
 * Operators add their own: a template stored in the daemon's template
 * store (tmpl/tmpl_store.h) for tenant "" (`swervectl template put
 * NAME`) is a notice named NAME, rendered the same way from the same
 * data (its subject, html and text parts; the title when it has no
 * subject). A shipped name wins.
 *
 * Pure: no I/O. The data the templates see is incident_notice_data().
 */
#ifndef SWERVE_INCIDENT_INCIDENT_NOTICE_H
#define SWERVE_INCIDENT_INCIDENT_NOTICE_H

#include <stdint.h>

#include <jansson.h>

#include "core/buf.h"
#include "incident/incident.h"

enum incident_notice_format {
	NOTICE_TEXT,
	NOTICE_HTML,
	NOTICE_SLACK,
};

/* incident_notice_format_parse - "text", "html", "slack"; -1 otherwise. */
int incident_notice_format_parse(const char *s);

/* incident_notice_known - 1 if name is a shipped template. */
int incident_notice_known(const char *name);

/* incident_notice_names - the shipped templates' names, NULL-ended. */
extern const char *const incident_notice_names[];

/*
 * incident_notice_data - what the templates see (a new object): id,
 * title, status, impact, started_at and resolved_at (people's UTC
 * time), duration, streams (array) and streams_text ("a and b"),
 * providers, resolved (bool), expected_delay (from the scope's p99,
 * "" without scope), affected, failed, lost, updates (the public ones:
 * at, text), timeline (all: at, kind, who, text), actions (what swerve
 * did by itself: failovers, traffic moved, fail-back).
 */
json_t *incident_notice_data(const struct incident_info *ii,
                             const struct incident_scope *s, int64_t now_ms);

/*
 * incident_notice_render - render the shipped template name for ii (s
 * may be NULL) as fmt: the subject (text) appended to subject, the body
 * to body. 0, or -1 with err (unknown template, or the engine's error);
 * then subject and body are as they were.
 */
int incident_notice_render(const char *name, const struct incident_info *ii,
                           const struct incident_scope *s, int64_t now_ms,
                           enum incident_notice_format fmt, struct buf *subject,
                           struct buf *body, char *err, size_t errlen);

/* Who a notice goes to (incidents.notices; strings borrowed). */
struct incident_audience {
	const char *from;
	const char *const *to; /* e-mail recipients (n_to 0: no e-mail) */
	size_t n_to;
	const char *stream;       /* the stream the mail goes on */
	const char *const *slack; /* Slack incoming-webhook URLs */
	size_t n_slack;
	const char *const *webhooks; /* URLs the notice is POSTed to as JSON */
	size_t n_webhooks;
};

/*
 * incident_notice_fn - the outcome of incidents_notice(), on the loop:
 * status 0 with the rendered subject and body (fmt's) and, when sent,
 * the stored message's id (else NULL); SPOOL_ERR_NOTFOUND when the
 * template did not render (body: why); or another negative spool status
 * (the mail was not stored; nothing was recorded). Strings borrowed.
 */
typedef void incident_notice_fn(int status, const char *subject,
                                const char *body, const char *msg_id,
                                void *arg);

/*
 * incidents_notice - render notice name for incident id as fmt with its
 * live scope; with to != NULL also send it: one e-mail (text and HTML)
 * from to->from to every to->to, stored in the spool on to->stream, so
 * routing gives it to a provider that can take mail now (never only to
 * one whose circuit is open); once stored, a "notice" entry goes on the
 * timeline (by who), and the status_page notice becomes a public update.
 * It is also POSTed once (no retry) to each Slack URL ({"text"}, mrkdwn)
 * and webhook URL (JSON: incident, template, subject, text, html); each
 * answer goes on the timeline naming the host only (a Slack URL holds a
 * secret). Posting needs incidents_attach()'s loop. cb runs once, later
 * (after the e-mail's commit; at once when there is no e-mail). 0, or
 * -1 with err (no such incident, unknown template, nobody to send to,
 * spool closing): cb is not called.
 */
struct incidents;
int incidents_notice(struct incidents *in, const char *id, const char *name,
                     enum incident_notice_format fmt,
                     const struct incident_audience *to, const char *who,
                     incident_notice_fn *cb, void *arg, char *err,
                     size_t errlen);

#endif
