/*
 * dash_chart.c - line charts as SVG text.
 */
#include "dash/dash_chart.h"

#include <math.h>
#include <stdint.h>

#include "dash/dash_html.h"

#define W 640.0
#define H 190.0
#define LEFT 52.0
#define RIGHT 8.0
#define TOP 26.0
#define BOTTOM 40.0

double
dash_chart_nice_max(double max)
{
	double p;

	if (!isfinite(max) || max <= 1.0)
		return 1.0;
	p = pow(10.0, floor(log10(max)));
	if (max <= p)
		return p;
	if (max <= 2 * p)
		return 2 * p;
	if (max <= 5 * p)
		return 5 * p;
	return 10 * p;
}

/* dash_chart_num - a y label: "0", "2.5", "1k", "20k", "1.5M". */
static void
dash_chart_num(struct buf *out, double v)
{
	if (v >= 1e6)
		buf_printf(out, "%gM", v / 1e6);
	else if (v >= 1e4)
		buf_printf(out, "%gk", v / 1e3);
	else
		buf_printf(out, "%g", v);
}

/* dash_chart_fixed - append v >= 0 with one decimal ("12.3"), without
 * printf: the polylines hold thousands of these. */
static void
dash_chart_fixed(struct buf *out, double v)
{
	char tmp[24], *p = tmp + sizeof(tmp);
	uint64_t t = v > 0 ? (uint64_t)(v * 10.0 + 0.5) : 0;

	*--p = (char)('0' + t % 10);
	*--p = '.';
	t /= 10;
	do {
		*--p = (char)('0' + t % 10);
		t /= 10;
	} while (t > 0 && p > tmp);
	buf_add(out, p, (size_t)(tmp + sizeof(tmp) - p));
}

void
dash_chart_svg(struct buf *out, const char *id, const char *title,
               const char *unit, const struct dash_series *s, size_t ns,
               size_t n, size_t slots, const char *span_label)
{
	double max = 0, ymax, pw = W - LEFT - RIGHT, ph = H - TOP - BOTTOM;
	size_t i, k;

	if (slots < 2)
		slots = 2;
	if (n > slots)
		n = slots;
	for (k = 0; k < ns; k++)
		for (i = 0; i < n; i++)
			if (isfinite(s[k].v[i]) && s[k].v[i] > max)
				max = s[k].v[i];
	ymax = dash_chart_nice_max(max);
	buf_printf(out,
	           "<svg class=\"chart\" viewBox=\"0 0 %.0f %.0f\" "
	           "role=\"img\" aria-labelledby=\"%s-t\" id=\"%s\">"
	           "<title id=\"%s-t\">",
	           W, H, id, id, id);
	dash_html_esc(out, title);
	buf_addstr(out, " (");
	dash_html_esc(out, unit);
	buf_addstr(out, ")</title><text class=\"ct\" x=\"4\" y=\"16\">");
	dash_html_esc(out, title);
	buf_addstr(out, " <tspan class=\"cu\">");
	dash_html_esc(out, unit);
	buf_addstr(out, "</tspan></text>");
	/* The grid: 0, half, max. */
	for (i = 0; i <= 2; i++) {
		double y = TOP + ph - ph * (double)i / 2.0;
		buf_printf(out,
		           "<line class=\"grid\" x1=\"%.0f\" y1=\"%.1f\" "
		           "x2=\"%.0f\" y2=\"%.1f\"/>"
		           "<text class=\"ax\" x=\"%.0f\" y=\"%.1f\" "
		           "text-anchor=\"end\">",
		           LEFT, y, W - RIGHT, y, LEFT - 4, y + 4);
		dash_chart_num(out, ymax * (double)i / 2.0);
		buf_addstr(out, "</text>");
	}
	buf_printf(out, "<text class=\"ax\" x=\"%.0f\" y=\"%.0f\">-", LEFT,
	           TOP + ph + 14);
	dash_html_esc(out, span_label);
	buf_printf(out,
	           "</text><text class=\"ax\" x=\"%.0f\" y=\"%.0f\" "
	           "text-anchor=\"end\">now</text>",
	           W - RIGHT, TOP + ph + 14);
	for (k = 0; k < ns; k++) {
		if (n == 0)
			break;
		buf_printf(out, "<polyline class=\"ln s%zu\" points=\"", k % 8);
		buf_reserve(out, n * 14);
		for (i = 0; i < n; i++) {
			double v = isfinite(s[k].v[i]) ? s[k].v[i] : 0;
			double x = LEFT + pw * (double)(slots - n + i) /
			                      (double)(slots - 1);
			double y = TOP + ph - ph * (v < 0 ? 0 : v) / ymax;
			if (i > 0)
				buf_addch(out, ' ');
			dash_chart_fixed(out, x);
			buf_addch(out, ',');
			dash_chart_fixed(out, y);
		}
		buf_addstr(out, "\"/>");
	}
	/* The legend, in a row under the axis. */
	for (k = 0; k < ns; k++) {
		double x = LEFT + 110.0 * (double)k;
		buf_printf(out,
		           "<rect class=\"sw s%zu\" x=\"%.0f\" y=\"%.0f\" "
		           "width=\"10\" height=\"10\"/>"
		           "<text class=\"lg\" x=\"%.0f\" y=\"%.0f\">",
		           k % 8, x, H - 14, x + 14, H - 5);
		dash_html_esc(out, s[k].name);
		buf_addstr(out, "</text>");
	}
	if (n == 0)
		buf_printf(out,
		           "<text class=\"ax\" x=\"%.0f\" y=\"%.0f\" "
		           "text-anchor=\"middle\">no samples yet (one every "
		           "10 s)</text>",
		           LEFT + pw / 2, TOP + ph / 2);
	buf_addstr(out, "</svg>");
}
