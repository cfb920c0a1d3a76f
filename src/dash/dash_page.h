/*
 * dash_page.h - the dashboard's HTML, from figures gathered by dash.c
 * (contract).
 *
 * Pure rendering: each function appends to a buffer and escapes every
 * string it is given (dash_html.h). The page works without JavaScript:
 * tables are plain tables, charts inline SVG, actions HTML forms that
 * POST with the session's CSRF token in a hidden field "csrf".
 */
#ifndef SWERVE_DASH_DASH_PAGE_H
#define SWERVE_DASH_DASH_PAGE_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

struct dash_view_provider {
	const char *name, *type;
	const char *mode;   /* closed, open, half-open, paused, draining... */
	const char *reason; /* the circuit's last change, or "" */
	double share;       /* of accepted sends, last 5 minutes, 0..1 */
	double success;     /* last 5 minutes, 0..1 */
	uint64_t latency_ms;
	uint64_t sent, failed;    /* since start */
	int has_feedback;         /* bounce / complaint below are meaningful */
	double bounce, complaint; /* 24 h ratios over sends, 0..1 */
};

struct dash_view_stream {
	const char *name;
	uint64_t queued;
	uint64_t oldest_age_ms; /* 0: nothing waiting */
	uint64_t sent_5m;
	int64_t latency_ms; /* mean over the last 5 minutes; -1: none sent */
};

/* dash_page_login - the whole sign-in page; error (NULL: none) is shown
 * above the form. */
void dash_page_login(struct buf *out, const char *error);

/* dash_page_head - the page up to and including <main id="live">: who
 * is signed in and the sign-out form, with csrf in its meta tag. */
void dash_page_head(struct buf *out, const char *who, const char *csrf);

/* dash_page_tail - closes what dash_page_head opened. */
void dash_page_tail(struct buf *out);

/* dash_page_flash - a notice line (the outcome of the last action). */
void dash_page_flash(struct buf *out, const char *text, int error);

/* dash_page_providers - the providers' table with pause / drain /
 * resume forms. */
void dash_page_providers(struct buf *out, const struct dash_view_provider *p,
                         size_t n, const char *csrf);

/* dash_page_streams - the streams' table. */
void dash_page_streams(struct buf *out, const struct dash_view_stream *s,
                       size_t n);

/* dash_page_duration - "850 ms", "12 s", "4 min 5 s", "2 h 3 min". */
void dash_page_duration(struct buf *out, uint64_t ms);

/* dash_page_time - wall ms as "2026-12-08 01:02:03Z". */
void dash_page_time(struct buf *out, int64_t ms);

#endif
