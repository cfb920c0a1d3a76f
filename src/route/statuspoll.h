/*
 * statuspoll.h - poll one provider's public status page on the event loop
 * (contract).
 *
 * A struct statuspoll fetches one URL (an Atlassian Statuspage
 * status.json / components.json / summary.json, or an AWS Health RSS
 * feed) every interval with net/http_client.h (libcurl multi driven by
 * the caller's event_base: the loop never blocks), reads it with
 * route/statuspage.h, and tells its owner when the level changes. The
 * format is taken from the Content-Type, else sniffed from the body.
 *
 * Redirects are not followed (a 3xx is a failed poll): configure the
 * final URL, e.g. https://status.example.com/api/v2/status.json.
 *
 * The first poll starts on the loop right after statuspoll_new; each next
 * one starts interval_ms after the previous one finished, so polls never
 * overlap. A failed poll (DNS or connect error, TLS, timeout, a non-2xx
 * status, a body over max_body, a body neither format can read) keeps the
 * last good report, is counted, and is logged only when its error differs
 * from the previous poll's error (a page down for an hour logs one line,
 * and one more when it comes back).
 *
 * Callbacks: on_change(now, before, arg) runs on the loop, never from
 * inside statuspoll_new: once after the first successful poll (before is
 * then STATUS_UNKNOWN with an empty description) and then whenever a
 * successful poll finds a different level. A new description with the
 * same level is stored (statuspoll_report) without a call. The reports
 * are valid only during the call. on_change may call statuspoll_free on
 * its own poller.
 *
 * Ownership: statuspoll_new copies every string and the component list;
 * the caller keeps nothing alive for it. Loop thread only; not
 * thread-safe.
 */
#ifndef SWERVE_ROUTE_STATUSPOLL_H
#define SWERVE_ROUTE_STATUSPOLL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "route/statuspage.h"

struct event_base;
struct statuspoll;

#define STATUSPOLL_INTERVAL_DEFAULT_MS 60000
#define STATUSPOLL_TIMEOUT_DEFAULT_MS 10000
#define STATUSPOLL_ERROR_SIZE 256

typedef void statuspoll_change_fn(const struct status_report *now,
                                  const struct status_report *before,
                                  void *arg);

struct statuspoll_opts {
	const char *name; /* for logs, e.g. the provider; NULL: "status" */
	const char *url;  /* http:// or https:// */
	const char *const *components; /* Statuspage components to watch */
	size_t n_components;           /* 0: the page's overall status */
	uint64_t interval_ms;          /* between polls; 0: 60 s */
	long timeout_ms;               /* whole request; 0: 10 s */
	long connect_timeout_ms;       /* TCP + TLS; 0: the smaller of 5 s and
	                                  timeout_ms */
	size_t max_body;               /* response cap; 0: 1 MiB */
	bool tls_insecure;   /* skip certificate checks (tests only) */
	const char *ca_file; /* NULL: the system's CA store */
	statuspoll_change_fn *on_change; /* may be NULL */
	void *arg;                       /* passed to on_change */
};

/* Counters and the last outcome, for status pages and tests. */
struct statuspoll_stats {
	uint64_t polls;         /* polls finished, good or failed */
	uint64_t failures;      /* polls that failed */
	uint64_t changes;       /* on_change calls */
	uint64_t errors_logged; /* failures logged (error changed) */
	bool have_report;       /* a poll has succeeded */
	char last_error[STATUSPOLL_ERROR_SIZE]; /* "" after a good poll */
};

/*
 * statuspoll_new - start polling o->url on base. Returns NULL (with a log
 * line) if the URL is missing or not http(s), or libcurl cannot be set up.
 * Free with statuspoll_free.
 */
struct statuspoll *statuspoll_new(struct event_base *base,
                                  const struct statuspoll_opts *o);

/*
 * statuspoll_free - stop polling (a poll in flight is abandoned: on_change
 * will not run again) and free sp. NULL is a no-op. Safe from inside
 * on_change.
 */
void statuspoll_free(struct statuspoll *sp);

/*
 * statuspoll_report - the last good report (STATUS_UNKNOWN, "" before
 * the first good poll). Valid until the next poll finishes or sp is freed.
 */
const struct status_report *statuspoll_report(const struct statuspoll *sp);

/* statuspoll_stats - copy the counters and last error into out. */
void statuspoll_stats(const struct statuspoll *sp,
                      struct statuspoll_stats *out);

#endif
