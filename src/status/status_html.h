/*
 * status_html.h - the status page as one accessible HTML document
 * (contract).
 *
 * What it is: a complete HTML5 page, readable without JavaScript (there
 * is none) and without any external resource (the style sheet is inline;
 * no fonts, images or scripts are fetched), so it loads under
 * Content-Security-Policy "default-src 'none'; style-src 'unsafe-inline';
 * img-src data:" (the icon is an empty data: URL, so a browser asks for
 * no /favicon.ico) and works as a static file. Semantic markup: header, main,
 * one h1, sections with headings, lists of components, an article per incident
 * with its updates as an ordered list, <time datetime=...> on every date.
 * Colour is never the only signal: every status is also written in words
 * and marked with a symbol, and the 90-day history bars (decorative,
 * hidden from screen readers) are repeated as text ("89 of 90 days
 * operational", and each day with an issue listed).
 *
 * Every string from the model is escaped (status_text_esc). Links are
 * relative (api/v2/summary.json, history.rss, history.atom), so the same
 * document works at any path and as an exported file.
 * Pure: m is only read.
 */
#ifndef SWERVE_STATUS_STATUS_HTML_H
#define SWERVE_STATUS_STATUS_HTML_H

#include <stddef.h>

#include "status/status_model.h"

/* status_html_render - the page, NUL-terminated; *len (if not NULL) its
 * length. The caller frees it. */
char *status_html_render(const struct status_model *m, size_t *len);

#endif
