/*
 * incident_report.h - the post-incident report (contract; issue 15).
 *
 * Pure functions over an incident as read (incident.h) and its scope
 * (incidents_scope): the facts a review asks for, computed from the
 * timeline, and the report as Markdown, HTML or JSON. The report has a
 * summary, the impact figures (per stream: messages affected, max and
 * p99 delay, failed, duplicates possible, lost), detection time (first
 * failed attempt -> first alert), time to failover (first failure -> 95%
 * of traffic elsewhere), time to fail back (circuit closed -> ramp
 * completed), what swerve did by itself and what people did, the whole
 * timeline, and a lessons section to fill in.
 *
 * Text from the timeline is written as given in Markdown and JSON, and
 * escaped (after cleaning to valid UTF-8 without controls) in HTML.
 */
#ifndef SWERVE_INCIDENT_INCIDENT_REPORT_H
#define SWERVE_INCIDENT_INCIDENT_REPORT_H

#include <stdint.h>

#include <jansson.h>

#include "core/buf.h"
#include "incident/incident.h"

/* Times from the timeline (wall ms; 0: not in it) and what follows. */
struct incident_facts {
	int64_t first_failure_ms; /* the first failed attempt */
	int64_t detected_ms;      /* the first alert */
	int64_t failover_ms;      /* failover started */
	int64_t moved_ms;         /* 95% of traffic elsewhere */
	int64_t healed_ms;        /* the last circuit closed */
	int64_t failback_ms;      /* fail-back ramp completed */
	/* Durations in ms; -1 when a time they need is missing. */
	int64_t detection;      /* first failure -> first alert */
	int64_t to_failover;    /* first failure (else start) -> moved */
	int64_t to_failback;    /* healed -> fail-back completed */
	int64_t duration;       /* start -> resolved (or now) */
	size_t n_auto, n_human; /* timeline entries by swerve / by people */
};

/* incident_json_text - s (NULL: "") as a new JSON string, cleaned to
 * valid UTF-8 without control characters (status_text_clean): timeline
 * text JSON could not carry is kept, not dropped. */
json_t *incident_json_text(const char *s);

/* incident_report_facts - the facts of ii as of now_ms. */
void incident_report_facts(const struct incident_info *ii, int64_t now_ms,
                           struct incident_facts *f);

enum incident_report_format {
	INCIDENT_REPORT_MD,
	INCIDENT_REPORT_HTML,
	INCIDENT_REPORT_JSON,
};

/* incident_report_format_parse - "md", "html", "json"; -1 otherwise. */
int incident_report_format_parse(const char *s);

/* incident_report_ext - "md", "html", "json". */
const char *incident_report_ext(enum incident_report_format f);

/*
 * incident_report_json - the incident (its record, timeline, facts and,
 * when s is not NULL, scope) as a new JSON object (the caller owns it).
 * The shape of GET /v1/incidents/ID and of the JSON report.
 */
json_t *incident_report_json(const struct incident_info *ii,
                             const struct incident_scope *s, int64_t now_ms);

/* incident_report_render - append the report of ii (s may be NULL: the
 * impact section says the figures are unavailable) to out. */
void incident_report_render(const struct incident_info *ii,
                            const struct incident_scope *s, int64_t now_ms,
                            enum incident_report_format fmt, struct buf *out);

#endif
