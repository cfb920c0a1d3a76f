/*
 * dash_chart.h - a line chart as inline SVG, drawn on the server
 * (contract).
 *
 * The dashboard's live charts are SVG written here: no script library,
 * no canvas, readable without JavaScript (the page's script only fetches
 * the page again). One chart: a title, a y axis from 0 to a round
 * maximum (1, 2 or 5 times a power of ten) with three labelled lines,
 * an x axis of `slots` positions with the newest value at the right
 * edge, one polyline per series (class "ln sK", K the series' index,
 * coloured by the stylesheet) and a legend. Names are escaped
 * (dash_html.h). Pure.
 */
#ifndef SWERVE_DASH_DASH_CHART_H
#define SWERVE_DASH_DASH_CHART_H

#include <stddef.h>

#include "core/buf.h"

struct dash_series {
	const char *name;
	const double *v; /* n values, oldest first */
};

/* dash_chart_nice_max - the smallest 1, 2 or 5 times a power of ten that
 * is at least max (1 when max is at most 1 or not finite). */
double dash_chart_nice_max(double max);

/*
 * dash_chart_svg - append to out an <svg> element: title (also its
 * accessible name), the y unit (e.g. "per 10 s"), ns series of n values
 * each, placed in the last n of `slots` x positions spanning span_label
 * (e.g. "60 min").
 */
void dash_chart_svg(struct buf *out, const char *id, const char *title,
                    const char *unit, const struct dash_series *s, size_t ns,
                    size_t n, size_t slots, const char *span_label);

#endif
