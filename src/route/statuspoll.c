/*
 * statuspoll.c - poll one provider's status page on the loop.
 *
 * One timer and at most one HTTP call at a time: the timer starts a GET,
 * the call's done callback reads the answer (statuspage.c decides what it
 * says), updates the report and re-arms the timer. Nothing here blocks:
 * DNS, connect, TLS and the transfer happen inside libcurl's multi
 * interface, driven by the loop (net/http_client.c).
 *
 * Failures are facts for the owner (statuspoll_stats), not decisions: the
 * last good report stands until a poll succeeds again. A failure is
 * logged when its error key (the kind of failure, not its wording, which
 * may carry timings) differs from the previous poll's.
 *
 * Does not: follow redirects, send conditional requests (ETag), back off
 * when the page fails, or decide what a level means for routing.
 */
#include "route/statuspoll.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/event.h>

#include "core/log.h"
#include "core/xmalloc.h"
#include "net/http_client.h"

#define STATUSPOLL_KEY_SIZE 96

struct statuspoll {
	struct event_base *base;
	struct http_client *http;
	struct http_call *call; /* the poll in flight, or NULL */
	struct event *timer;
	char *name;
	char *url;
	char **components;
	size_t n_components;
	uint64_t interval_ms;
	long timeout_ms;
	statuspoll_change_fn *on_change;
	void *arg;

	struct status_report report; /* last good one */
	struct statuspoll_stats stats;
	char err_key[STATUSPOLL_KEY_SIZE]; /* the last poll's error kind */
	bool in_callback;                  /* on_change is running */
	bool free_pending;                 /* freed from inside on_change */
};

static void statuspoll_start(evutil_socket_t fd, short what, void *arg);

/* statuspoll_destroy - release everything; no callback runs after. */
static void
statuspoll_destroy(struct statuspoll *sp)
{
	size_t i;

	/* Freeing the client cancels the call; its callback never runs. */
	http_client_free(sp->http);
	if (sp->timer != NULL)
		event_free(sp->timer);
	for (i = 0; i < sp->n_components; i++)
		free(sp->components[i]);
	free(sp->components);
	free(sp->url);
	free(sp->name);
	free(sp);
}

/* statuspoll_schedule - the next poll, interval_ms from now. */
static void
statuspoll_schedule(struct statuspoll *sp, uint64_t ms)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)((ms % 1000) * 1000);
	evtimer_add(sp->timer, &tv);
}

/*
 * statuspoll_fail - count a failed poll; log it if its key differs from
 * the last poll's (so each distinct trouble is logged once).
 */
static void
statuspoll_fail(struct statuspoll *sp, const char *key, const char *text)
{
	sp->stats.failures++;
	snprintf(sp->stats.last_error, sizeof(sp->stats.last_error), "%s",
	         text);
	if (strcmp(sp->err_key, key) == 0)
		return;
	snprintf(sp->err_key, sizeof(sp->err_key), "%s", key);
	sp->stats.errors_logged++;
	log_warn("statuspoll %s: %s (keeping level %s)", sp->name, text,
	         statuspage_level_name(sp->report.level));
}

/* statuspoll_good - a poll read the page: store it, tell on a change. */
static void
statuspoll_good(struct statuspoll *sp, const struct status_report *now)
{
	struct status_report before = sp->report;
	bool first = !sp->stats.have_report;

	if (sp->err_key[0] != '\0')
		log_info("statuspoll %s: page readable again", sp->name);
	sp->err_key[0] = '\0';
	sp->stats.last_error[0] = '\0';
	sp->report = *now;
	sp->stats.have_report = true;
	if (!first && now->level == before.level)
		return;
	log_info("statuspoll %s: %s -> %s: %s", sp->name,
	         first ? "start" : statuspage_level_name(before.level),
	         statuspage_level_name(now->level), now->description);
	sp->stats.changes++;
	if (sp->on_change == NULL)
		return;
	sp->in_callback = true;
	sp->on_change(now, &before, sp->arg);
	sp->in_callback = false;
}

/* statuspoll_done - the GET finished: judge it, then re-arm. */
static void
statuspoll_done(const struct http_response *resp, void *arg)
{
	struct statuspoll *sp = arg;
	struct status_report now;
	char key[STATUSPOLL_KEY_SIZE], text[STATUSPOLL_ERROR_SIZE];
	char perr[200];

	sp->call = NULL;
	sp->stats.polls++;
	if (resp->error != HTTP_CLIENT_OK) {
		snprintf(key, sizeof(key), "transport %s",
		         http_client_error_name(resp->error));
		snprintf(text, sizeof(text), "GET %.80s: %s: %.120s", sp->url,
		         http_client_error_name(resp->error), resp->error_text);
		statuspoll_fail(sp, key, text);
	} else if (resp->status < 200 || resp->status > 299) {
		snprintf(key, sizeof(key), "http %d", resp->status);
		snprintf(text, sizeof(text), "GET %.80s: HTTP %d", sp->url,
		         resp->status);
		statuspoll_fail(sp, key, text);
	} else if (statuspage_parse(
	               resp->content_type, resp->body, resp->body_len,
	               (const char *const *)sp->components, sp->n_components,
	               &now, perr, sizeof(perr)) != 0) {
		snprintf(key, sizeof(key), "parse %.80s", perr);
		snprintf(text, sizeof(text), "GET %.80s: %.160s", sp->url,
		         perr);
		statuspoll_fail(sp, key, text);
	} else {
		statuspoll_good(sp, &now);
		if (sp->free_pending) {
			statuspoll_destroy(sp);
			return;
		}
	}
	statuspoll_schedule(sp, sp->interval_ms);
}

/* statuspoll_start - timer: send the GET. */
static void
statuspoll_start(evutil_socket_t fd, short what, void *arg)
{
	static const struct http_header hdrs[] = {
	    {"Accept", "application/json, application/rss+xml;q=0.9, "
	               "application/xml;q=0.8, */*;q=0.1"},
	    {"User-Agent", "swerve-statuspoll/1"},
	};
	struct statuspoll *sp = arg;
	struct http_request req;

	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.url = sp->url;
	req.headers = hdrs;
	req.n_headers = sizeof(hdrs) / sizeof(hdrs[0]);
	req.total_timeout_ms = sp->timeout_ms;
	sp->call = http_client_submit(sp->http, &req, statuspoll_done, sp);
	if (sp->call == NULL) {
		/* Cannot happen with a checked URL; count it and go on. */
		sp->stats.polls++;
		statuspoll_fail(sp, "submit", "cannot submit the request");
		statuspoll_schedule(sp, sp->interval_ms);
	}
}

/* statuspoll_new - see the contract. */
struct statuspoll *
statuspoll_new(struct event_base *base, const struct statuspoll_opts *o)
{
	struct http_client_opts hopts;
	struct statuspoll *sp;
	size_t i;

	if (o->url == NULL || (strncasecmp(o->url, "http://", 7) != 0 &&
	                       strncasecmp(o->url, "https://", 8) != 0)) {
		log_warn("statuspoll %s: status page URL \"%.80s\" is not "
		         "http(s)",
		         o->name ? o->name : "status", o->url ? o->url : "");
		return NULL;
	}
	sp = xcalloc(1, sizeof(*sp));
	sp->base = base;
	sp->name = xstrdup(o->name ? o->name : "status");
	sp->url = xstrdup(o->url);
	sp->interval_ms =
	    o->interval_ms ? o->interval_ms : STATUSPOLL_INTERVAL_DEFAULT_MS;
	sp->timeout_ms =
	    o->timeout_ms > 0 ? o->timeout_ms : STATUSPOLL_TIMEOUT_DEFAULT_MS;
	sp->on_change = o->on_change;
	sp->arg = o->arg;
	sp->report.level = STATUS_UNKNOWN;
	if (o->n_components > 0) {
		sp->components = xcalloc(o->n_components, sizeof(char *));
		for (i = 0; i < o->n_components; i++)
			sp->components[i] = xstrdup(o->components[i]);
		sp->n_components = o->n_components;
	}
	memset(&hopts, 0, sizeof(hopts));
	hopts.name = sp->name;
	hopts.max_in_flight = 1;
	hopts.total_timeout_ms = sp->timeout_ms;
	hopts.connect_timeout_ms = o->connect_timeout_ms > 0
	                               ? o->connect_timeout_ms
	                           : sp->timeout_ms < 5000 ? sp->timeout_ms
	                                                   : 5000;
	hopts.max_body = o->max_body;
	hopts.tls_insecure = o->tls_insecure;
	hopts.ca_file = o->ca_file;
	sp->http = http_client_new(base, &hopts);
	if (sp->http == NULL) {
		log_warn("statuspoll %s: cannot set up the HTTP client",
		         sp->name);
		goto fail;
	}
	sp->timer = evtimer_new(base, statuspoll_start, sp);
	if (sp->timer == NULL)
		goto fail;
	statuspoll_schedule(sp, 0);
	return sp;
fail:
	statuspoll_destroy(sp);
	return NULL;
}

/* statuspoll_free - see the contract. */
void
statuspoll_free(struct statuspoll *sp)
{
	if (sp == NULL)
		return;
	if (sp->in_callback) {
		/* statuspoll_done frees it once on_change returns. */
		sp->free_pending = true;
		return;
	}
	statuspoll_destroy(sp);
}

/* statuspoll_report - the last good report. */
const struct status_report *
statuspoll_report(const struct statuspoll *sp)
{
	return &sp->report;
}

/* statuspoll_stats - copy the counters. */
void
statuspoll_stats(const struct statuspoll *sp, struct statuspoll_stats *out)
{
	*out = sp->stats;
}
