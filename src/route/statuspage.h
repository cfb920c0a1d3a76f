/*
 * statuspage.h - what a provider's public status page says (contract).
 *
 * Pure parsers over a response body: no I/O, no global state, nothing kept
 * after they return. Two formats:
 *
 *   Atlassian Statuspage JSON (https://HOST/api/v2/status.json,
 *   components.json, summary.json). With no component names given, the
 *   page's overall "status.indicator" decides (none, minor, major,
 *   critical, maintenance); a page without one (components.json) is
 *   judged by the worst of all its components. With component names
 *   given, only those components count and the worst of them wins; names
 *   match case-insensitively, ignoring surrounding white space. Component
 *   statuses map as Statuspage itself computes its indicator:
 *     operational -> OK, degraded_performance -> MINOR,
 *     partial_outage -> MAJOR, major_outage -> CRITICAL,
 *     under_maintenance -> MAINTENANCE.
 *   A named component that is not on the page is listed in the
 *   description ("not on page: X"); if none of the named components is
 *   there, the level is UNKNOWN.
 *
 *   AWS Health RSS (https://status.aws.amazon.com/rss/ses-us-east-1.rss):
 *   the newest <item> by <pubDate> (RFC 822 dates; an item whose date
 *   cannot be read counts as older than any dated one, and among equals
 *   the first in the document wins) decides, by the start of its title:
 *     "Service is operating normally", "[RESOLVED]"  -> OK
 *     (and "[RESOLVED]" anywhere in the title: AWS also writes
 *     "Informational message: [RESOLVED] ...")
 *     "Informational message"                        -> MINOR
 *     "Performance issues"                           -> MINOR
 *     "Service disruption"                           -> MAJOR
 *     anything else                                  -> UNKNOWN
 *   "Performance issues" is MINOR, not MAJOR: it is AWS's yellow level
 *   (elevated latency or error rates while the service keeps working),
 *   the same degree as Statuspage's degraded_performance; AWS says
 *   "Service disruption" when sending is actually failing. A channel with
 *   no items is OK (AWS empties a feed that has nothing to report).
 *   The XML parser never touches the network, refuses any DOCTYPE (so no
 *   entity can be declared, let alone expanded: no "billion laughs", no
 *   external entities) and keeps libxml2's default size and depth limits.
 *
 * Severity, for "worst wins": UNKNOWN < OK < MAINTENANCE < MINOR < MAJOR
 * < CRITICAL. Callers that act on outages test level >= STATUS_MAJOR
 * (statuspage_level_outage).
 *
 * Bad input (truncated or non-UTF-8 JSON, wrong types, malformed XML, a
 * body over STATUSPAGE_BODY_MAX) is an expected failure: -1 and one line
 * in err; out is then left as STATUS_UNKNOWN with an empty description.
 * Thread-safe: no shared state (libxml2 is initialised once, under
 * pthread_once, on the first RSS parse).
 */
#ifndef SWERVE_ROUTE_STATUSPAGE_H
#define SWERVE_ROUTE_STATUSPAGE_H

#include <stdbool.h>
#include <stddef.h>

#define STATUSPAGE_DESC_SIZE 256              /* description, with its NUL */
#define STATUSPAGE_BODY_MAX (8 * 1024 * 1024) /* bigger bodies are refused */

/* The levels, in declaration order; see statuspage_level_worse for rank. */
enum status_level {
	STATUS_UNKNOWN,     /* no usable signal */
	STATUS_OK,          /* operating normally */
	STATUS_MINOR,       /* degraded performance, informational notice */
	STATUS_MAJOR,       /* partial outage, service disruption */
	STATUS_CRITICAL,    /* major outage */
	STATUS_MAINTENANCE, /* planned maintenance in progress */
};

/* What a page said. description: printable ASCII only, white space runs
 * folded to one space, NUL-terminated, truncated to fit. */
struct status_report {
	enum status_level level;
	char description[STATUSPAGE_DESC_SIZE];
};

enum statuspage_format {
	STATUSPAGE_FORMAT_UNKNOWN,
	STATUSPAGE_FORMAT_JSON, /* Atlassian Statuspage */
	STATUSPAGE_FORMAT_RSS,  /* AWS Health RSS */
};

/* statuspage_level_name - "unknown", "ok", "minor", "major", "critical",
 * "maintenance" (static strings). */
const char *statuspage_level_name(enum status_level l);

/* statuspage_level_worse - true if a ranks above b (see the ordering). */
bool statuspage_level_worse(enum status_level a, enum status_level b);

/* statuspage_level_outage - true for MAJOR and CRITICAL. */
bool statuspage_level_outage(enum status_level l);

/*
 * statuspage_format_detect - JSON or RSS from a Content-Type (may be
 * NULL) or, when it names neither (text/plain, octet-stream, absent),
 * from the body's first non-blank byte after any UTF-8 BOM: '{' JSON,
 * '<' RSS. Returns STATUSPAGE_FORMAT_UNKNOWN when neither fits.
 */
enum statuspage_format statuspage_format_detect(const char *content_type,
                                                const char *body, size_t len);

/*
 * statuspage_parse_json - read a Statuspage JSON body (len bytes, need not
 * be NUL-terminated). components: n_components names to consider (NULL/0:
 * the page's overall status); borrowed for the call. Returns 0 with out
 * filled, or -1 with a one-line reason in err (errlen may be 0).
 */
int statuspage_parse_json(const char *body, size_t len,
                          const char *const *components, size_t n_components,
                          struct status_report *out, char *err, size_t errlen);

/*
 * statuspage_parse_rss - read an AWS Health RSS body (len bytes). Returns
 * 0 with out filled (the newest item's title as description), or -1 with
 * a one-line reason in err.
 */
int statuspage_parse_rss(const char *body, size_t len,
                         struct status_report *out, char *err, size_t errlen);

/*
 * statuspage_parse - detect the format (statuspage_format_detect) and call
 * the matching parser; components are ignored for RSS. Returns 0 or -1.
 */
int statuspage_parse(const char *content_type, const char *body, size_t len,
                     const char *const *components, size_t n_components,
                     struct status_report *out, char *err, size_t errlen);

/*
 * statuspage_date_parse - an RFC 822 / RFC 2822 date ("Tue, 14 Nov 2023
 * 10:52:33 PST", "2 Jan 06 15:04 +0100") to seconds since the epoch (UTC).
 * Zones: +hhmm/-hhmm, UT, UTC, GMT, Z, EST/EDT, CST/CDT, MST/MDT,
 * PST/PDT. Returns 0, or -1 if s is not such a date.
 */
int statuspage_date_parse(const char *s, long long *out);

#endif
